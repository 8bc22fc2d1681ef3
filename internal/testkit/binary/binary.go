// Package binary builds the docker-auth binary as the image does, with its
// three names, and runs one of them as the GitHub runner runs a container
// action's entry point: inputs as INPUT_*, fresh file-command files, the
// main step's state back to post as STATE_*, a signal when cancelled. The
// end-to-end test, the demo and the benchmark use it.
package binary

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// The binary's names in the image: the main, post and logout entry points.
const (
	Main   = "docker-auth"
	Post   = "docker-auth-post"
	Logout = "docker-auth-logout"
)

// Build compiles the module's main package into dir as the Dockerfile does
// (static, trimmed, stripped, version stamped) and links its other names to
// it, and returns the main entry point's path. It fails with the compiler's
// output when the build fails.
func Build(ctx context.Context, dir, version string) (string, error) {
	root, err := ModuleRoot(ctx)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, Main)
	cmd := exec.CommandContext(ctx, "go", "build", "-buildvcs=false",
		"-ldflags", "-s -w -X main.version="+version, "-o", bin, ".")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	for _, name := range []string{Post, Logout} {
		_ = os.Remove(filepath.Join(dir, name))
		if err := os.Symlink(Main, filepath.Join(dir, name)); err != nil {
			return "", err
		}
	}
	return bin, nil
}

// ModuleRoot returns the directory of the main module's go.mod.
func ModuleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside the docker-auth module (go env GOMOD: %v)", err)
	}
	return filepath.Dir(gomod), nil
}

// Step is one run of an entry point.
type Step struct {
	// Path is the entry point to run: a Build result's directory joined
	// with Main, Post or Logout.
	Path string
	// Inputs become INPUT_<NAME> variables, as the runner names them.
	Inputs map[string]string
	// Env is the rest of the step's environment (GITHUB_*, proxies…).
	Env map[string]string
	// State is the main step's state, given to a post step as STATE_<key>.
	State map[string]string
	// Signal is sent when the context ends, as the runner sends SIGINT when
	// it cancels a job; the process is killed 10 s later (os.Interrupt if
	// nil).
	Signal os.Signal
}

// Result is what a run left: its exit code, its output and the file
// commands it wrote, read by the runner's rules.
type Result struct {
	Code                int
	Stdout              string
	Outputs, State, Env map[string]string
	Summary             string
	Took                time.Duration
}

// Run runs s with fresh file-command files in a temporary directory under
// dir and reads them back. It fails when the process cannot be started or a
// file command is malformed (the runner would fail the step).
func Run(ctx context.Context, dir string, s Step) (*Result, error) {
	files, err := os.MkdirTemp(dir, "step-")
	if err != nil {
		return nil, err
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + files}
	for k, v := range s.Env {
		env = append(env, k+"="+v)
	}
	for k, v := range s.Inputs {
		env = append(env, "INPUT_"+strings.ToUpper(strings.ReplaceAll(k, " ", "_"))+"="+v)
	}
	for k, v := range s.State {
		env = append(env, "STATE_"+k+"="+v)
	}
	commands := []string{"GITHUB_OUTPUT", "GITHUB_STATE", "GITHUB_ENV", "GITHUB_STEP_SUMMARY"}
	for _, name := range commands {
		p := filepath.Join(files, name)
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			return nil, err
		}
		env = append(env, name+"="+p)
	}
	cmd := exec.Command(s.Path) //nolint:gosec // the binary under test
	cmd.Env, cmd.Dir = env, files
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var waitErr error
	select {
	case waitErr = <-done:
	case <-ctx.Done():
		sig := s.Signal
		if sig == nil {
			sig = os.Interrupt
		}
		_ = cmd.Process.Signal(sig)
		select {
		case waitErr = <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			waitErr = <-done
		}
	}
	res := &Result{Code: cmd.ProcessState.ExitCode(), Stdout: out.String(), Took: time.Since(start)}
	var exit *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &exit) {
		return nil, waitErr
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return nil, fmt.Errorf("%s died of %v:\n%s", s.Path, ws.Signal(), out.String())
	}
	read := func(name string) (map[string]string, error) {
		b, err := os.ReadFile(filepath.Join(files, name))
		if err != nil {
			return nil, err
		}
		return ParseFileCommand(b)
	}
	if res.Outputs, err = read("GITHUB_OUTPUT"); err == nil {
		if res.State, err = read("GITHUB_STATE"); err == nil {
			res.Env, err = read("GITHUB_ENV")
		}
	}
	if err != nil {
		return nil, err
	}
	summary, err := os.ReadFile(filepath.Join(files, "GITHUB_STEP_SUMMARY"))
	res.Summary = string(summary)
	return res, err
}

// ParseFileCommand reads a GITHUB_OUTPUT, GITHUB_STATE or GITHUB_ENV file by
// the runner's rules: name=value lines, or name<<DELIMITER, the value's
// lines, DELIMITER. A later value of a name replaces an earlier one. It
// fails where the runner would fail the step: a line with neither form, an
// empty name or delimiter, a delimiter never closed.
func ParseFileCommand(data []byte) (map[string]string, error) {
	pairs := map[string]string{}
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if line == "" {
			continue
		}
		eq, heredoc := strings.Index(line, "="), strings.Index(line, "<<")
		if eq >= 0 && (heredoc < 0 || eq < heredoc) {
			if eq == 0 {
				return nil, fmt.Errorf("line %d: empty name", i+1)
			}
			pairs[line[:eq]] = line[eq+1:]
			continue
		}
		if heredoc <= 0 || heredoc+2 == len(line) {
			return nil, fmt.Errorf("line %d: neither name=value nor name<<DELIMITER: %q", i+1, line)
		}
		name, delim := line[:heredoc], line[heredoc+2:]
		var value []string
		for i++; ; i++ {
			if i >= len(lines) {
				return nil, fmt.Errorf("delimiter %q of %s is never closed", delim, name)
			}
			if lines[i] == delim {
				break
			}
			value = append(value, lines[i])
		}
		pairs[name] = strings.Join(value, "\n")
	}
	return pairs, nil
}
