package runner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Names of the file-command environment variables, in the order the runner processes the files
// after a step. GITHUB_PATH is not emulated: this action does not use it.
const (
	EnvEnv         = "GITHUB_ENV"
	EnvStepSummary = "GITHUB_STEP_SUMMARY"
	EnvState       = "GITHUB_STATE"
	EnvOutput      = "GITHUB_OUTPUT"
)

// fileCommands lists the file commands with the runner's file-name prefixes, in processing order.
var fileCommands = []struct{ env, prefix string }{
	{EnvEnv, "set_env_"},
	{EnvStepSummary, "step_summary_"},
	{EnvState, "save_state_"},
	{EnvOutput, "set_output_"},
}

// summaryLimit is the largest step summary the runner uploads (1 MiB).
const summaryLimit = 1024 * 1024

// Pair is one name and value read from a GITHUB_OUTPUT, GITHUB_STATE or GITHUB_ENV file.
type Pair struct {
	Name  string
	Value string
}

// ParseFileCommand parses the content of a GITHUB_OUTPUT, GITHUB_STATE or GITHUB_ENV file exactly as
// the Linux runner does:
//
//   - A leading UTF-8 byte-order mark is ignored; lines end at "\n" only. A "\r" is not a line end on
//     Linux: "a=b\r\n" sets a to "b\r", and a CRLF heredoc keeps its "\r"s (its delimiter line must
//     then end in "\r" too, as the opening line's delimiter does).
//   - Empty lines between entries are skipped.
//   - A line is "name=value" if it has "=" and no "<<" before it; the value is everything after the
//     first "=". The runner does not reject an empty name ("=value"), and neither does this.
//   - A line is "name<<DELIM" if it has "<<" and no "=" before it. Name and delimiter must not be
//     empty. The value is every following line up to a line equal to DELIM, joined with the newlines
//     between them; the line before the delimiter loses its newline. A missing delimiter, or a last
//     value line without a newline, is an error.
//   - Any other non-empty line is an error.
//
// The runner applies entries one by one while it reads, so the entries before an error still take
// effect: ParseFileCommand returns them along with the error.
func ParseFileCommand(data []byte) ([]Pair, error) {
	text := decodeText(data)
	var pairs []Pair
	i := 0
	for {
		line, _, ok := readLine(text, &i)
		if !ok {
			return pairs, nil
		}
		if line == "" {
			continue
		}
		eq := strings.Index(line, "=")
		hd := strings.Index(line, "<<")
		switch {
		case eq >= 0 && (hd < 0 || eq < hd):
			pairs = append(pairs, Pair{Name: line[:eq], Value: line[eq+1:]})
		case hd >= 0 && (eq < 0 || hd < eq):
			name, delim := line[:hd], line[hd+2:]
			if name == "" || delim == "" {
				return pairs, fmt.Errorf("invalid format %q: name must not be empty and delimiter must not be empty", line)
			}
			start, end := i, i
			for {
				l, newline, ok := readLine(text, &i)
				if !ok {
					return pairs, fmt.Errorf("invalid value: matching delimiter not found %q", delim)
				}
				if l == delim {
					break
				}
				if !newline {
					return pairs, errors.New("invalid value: EOF marker missing new line")
				}
				end = i - 1
			}
			value := ""
			if end > start {
				value = text[start:end]
			}
			pairs = append(pairs, Pair{Name: name, Value: value})
		default:
			return pairs, fmt.Errorf("invalid format %q", line)
		}
	}
}

// decodeText decodes file bytes the way File.ReadAllText does for UTF-8: the BOM is dropped and
// invalid bytes become U+FFFD.
func decodeText(data []byte) string {
	s := strings.TrimPrefix(string(data), "\uFEFF")
	return strings.ToValidUTF8(s, "\uFFFD")
}

// readLine returns the line starting at *i and whether a "\n" ended it, and advances *i past it.
// ok is false at the end of text.
func readLine(text string, i *int) (line string, newline, ok bool) {
	if *i >= len(text) {
		return "", false, false
	}
	rest := text[*i:]
	n := strings.IndexByte(rest, '\n')
	if n < 0 {
		*i = len(text)
		return rest, false, true
	}
	*i += n + 1
	return rest[:n], true, true
}

// splitDotNetLines splits text into lines the way .NET's StreamReader.ReadLine does: "\n", "\r\n"
// and a lone "\r" each end a line, and text ending in a line end has no empty last line.
func splitDotNetLines(text string) []string {
	var lines []string
	start := 0
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '\n':
			lines = append(lines, text[start:i])
			start = i + 1
		case '\r':
			lines = append(lines, text[start:i])
			if i+1 < len(text) && text[i+1] == '\n' {
				i++
			}
			start = i + 1
		}
	}
	if start < len(text) {
		lines = append(lines, text[start:])
	}
	return lines
}

// fileCommandSet is one step's set of file-command files.
type fileCommandSet struct {
	dir   string
	paths map[string]string // env name -> host path
}

// newFileCommandSet deletes the previous step's files (named with oldSuffix) and creates fresh, empty
// files named with suffix, as the runner does before every step.
func newFileCommandSet(dir, oldSuffix, suffix string) (*fileCommandSet, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create file-command directory: %w", err)
	}
	fs := &fileCommandSet{dir: dir, paths: map[string]string{}}
	for _, fc := range fileCommands {
		if oldSuffix != "" {
			if err := os.Remove(filepath.Join(dir, fc.prefix+oldSuffix)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("remove previous file command: %w", err)
			}
		}
		p := filepath.Join(dir, fc.prefix+suffix)
		// 0o666: the container runs as the image's user, which may differ from the host's.
		if err := os.WriteFile(p, nil, 0o666); err != nil {
			return nil, fmt.Errorf("create file command: %w", err)
		}
		if err := os.Chmod(p, 0o666); err != nil {
			return nil, fmt.Errorf("create file command: %w", err)
		}
		fs.paths[fc.env] = p
	}
	return fs, nil
}

// read returns the content of every file, keyed by env name. A file the process deleted reads as
// empty, as the runner treats a missing file as having no commands.
func (fs *fileCommandSet) read() (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, fc := range fileCommands {
		data, err := os.ReadFile(fs.paths[fc.env])
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("read %s: %w", fc.env, err)
		}
		out[fc.env] = data
	}
	return out, nil
}
