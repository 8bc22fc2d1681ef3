package runner

import (
	"bytes"
	"fmt"
	"strings"
)

// Stage says which entry point a step runs.
type Stage string

// The stages this package runs.
const (
	StageMain Stage = "main"
	StagePost Stage = "post"
)

// Annotation is an error, warning or notice: from a ::error/::warning/::notice command, or one the
// runner itself raises (unexpected inputs, a failed command, a malformed file command, ...).
type Annotation struct {
	// Level is "error", "warning" or "notice".
	Level string
	// Message is masked, as GitHub stores it.
	Message string
	// Props are the command's properties (title, file, line, endLine, col, endColumn), unescaped, as
	// written; nil for the runner's own annotations.
	Props map[string]string
}

// Result is what one step (main or post) did, as the runner saw it.
type Result struct {
	Stage Stage
	// Skipped is true when the entry point did not run: the runner (Flavor Gitea) runs no post step
	// for a container action.
	Skipped bool
	// ExitCode is the process's exit status (128+signal when a signal ended it).
	ExitCode int
	// Failed is the step's outcome: a non-zero exit, a malformed file command, a workflow command the
	// runner could not process (::set-output without a name, a refused stop-commands token), or a
	// cancellation.
	Failed bool
	// Cancelled is true when the context was done while the entry point ran.
	Cancelled bool
	// Stdout and Stderr are every byte the process wrote to each stream.
	Stdout, Stderr []byte
	// Outputs and State come from GITHUB_OUTPUT and GITHUB_STATE (and from the deprecated, still
	// honoured ::set-output and ::save-state commands, which the files override). Names are
	// case-insensitive: a later name that differs only in case replaces the value and keeps the first
	// spelling.
	Outputs, State map[string]string
	// Env is what the step added with GITHUB_ENV; it is also applied to Job.Env for later steps.
	Env map[string]string
	// Summary is the GITHUB_STEP_SUMMARY content as GitHub would show it: masked line by line, each
	// line ending in "\n"; empty when the file is empty or over the 1 MiB limit.
	Summary string
	// Files holds the raw content of each file-command file, keyed by its env name (GITHUB_OUTPUT,
	// GITHUB_STATE, GITHUB_ENV, GITHUB_STEP_SUMMARY).
	Files map[string][]byte
	// Annotations are in log order.
	Annotations []Annotation
	// Masks are the values registered with ::add-mask:: during this step.
	Masks []string
	// Log is the step's log as a person sees it on GitHub, without the step's header, one line per
	// element, masked: output lines as written, "Error: msg" / "Warning: msg" / "Notice: msg", and
	// "##[debug]msg" when the job has debug on. Command lines are not shown.
	Log []string
	// FileCommandErr is the first malformed file command; when set, the step failed (the entries
	// before the malformed one still took effect, as on GitHub).
	FileCommandErr error
	// ProcessEnv is the complete environment the entry point received.
	ProcessEnv map[string]string
}

// LogText returns Log joined with newlines, with a final newline when Log is not empty.
func (r *Result) LogText() string {
	if len(r.Log) == 0 {
		return ""
	}
	return strings.Join(r.Log, "\n") + "\n"
}

// RawBytes returns every byte the process wrote: stdout, stderr and each file-command file, one
// after the other. Use it to check that a secret never left the process; the one place a secret
// legitimately appears is the ::add-mask:: command that registers it (see [Result.Leaks]).
func (r *Result) RawBytes() []byte {
	var b bytes.Buffer
	b.Write(r.Stdout)
	b.WriteByte('\n')
	b.Write(r.Stderr)
	for _, fc := range fileCommands {
		b.WriteByte('\n')
		b.Write(r.Files[fc.env])
	}
	return b.Bytes()
}

// Leaks reports every place secret appears in what the process wrote or in the log, other than an
// ::add-mask:: command line (the only legitimate place for it): "stdout line 3", "stderr line 1",
// "GITHUB_OUTPUT", "log line 7", ... It returns nil when secret is empty or appears nowhere else.
func (r *Result) Leaks(secret string) []string {
	if secret == "" {
		return nil
	}
	var where []string
	for _, s := range []struct {
		name string
		data []byte
	}{{"stdout", r.Stdout}, {"stderr", r.Stderr}} {
		for i, line := range splitDotNetLines(string(s.data)) {
			if strings.Contains(line, secret) && !isAddMask(line) {
				where = append(where, fmt.Sprintf("%s line %d", s.name, i+1))
			}
		}
	}
	for _, fc := range fileCommands {
		if bytes.Contains(r.Files[fc.env], []byte(secret)) {
			where = append(where, fc.env)
		}
	}
	for i, line := range r.Log {
		if strings.Contains(line, secret) {
			where = append(where, fmt.Sprintf("log line %d", i+1))
		}
	}
	return where
}

func isAddMask(line string) bool {
	cmd, ok := parseCommandV2(line, isKnownCommand)
	return ok && strings.EqualFold(cmd.name, "add-mask")
}
