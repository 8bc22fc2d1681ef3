package runner

import (
	"io"
	"sort"
	"strings"
	"sync"
)

// maskText is what the runner writes in place of a secret.
const maskText = "***"

// masker replaces registered values with "***", like the runner's secret masker: every occurrence
// of every value is found, overlapping or adjacent occurrences are merged, and each merged range
// becomes one "***".
type masker struct {
	values []string
}

func (m *masker) add(v string) {
	if v == "" {
		return
	}
	for _, have := range m.values {
		if have == v {
			return
		}
	}
	m.values = append(m.values, v)
}

func (m *masker) mask(s string) string {
	type span struct{ start, end int }
	var spans []span
	for _, v := range m.values {
		for from := 0; from < len(s); {
			n := strings.Index(s[from:], v)
			if n < 0 {
				break
			}
			spans = append(spans, span{from + n, from + n + len(v)})
			from += n + 1
		}
	}
	if len(spans) == 0 {
		return s
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	var b strings.Builder
	pos := 0
	for i := 0; i < len(spans); {
		start, end := spans[i].start, spans[i].end
		for i++; i < len(spans) && spans[i].start <= end; i++ {
			end = max(end, spans[i].end)
		}
		b.WriteString(s[pos:start])
		b.WriteString(maskText)
		pos = end
	}
	b.WriteString(s[pos:])
	return b.String()
}

// logger collects the rendered job log of one step. Every line is masked with the masks known when
// it is written, as the runner masks each line on its way to the log.
type logger struct {
	masker *masker
	debug  bool
	lines  []string
	live   io.Writer
}

// write appends text, split into lines, with prefix before the first line.
func (l *logger) write(prefix, text string) {
	for i, line := range strings.Split(l.masker.mask(text), "\n") {
		if i == 0 {
			line = prefix + line
		}
		l.lines = append(l.lines, line)
		if l.live != nil {
			_, _ = io.WriteString(l.live, line+"\n")
		}
	}
}

// output logs a line as it is.
func (l *logger) output(line string) { l.write("", line) }

// debugMsg logs a debug message, one "##[debug]" line per line of msg, only when debug is on.
func (l *logger) debugMsg(msg string) {
	if !l.debug {
		return
	}
	for _, line := range strings.Split(strings.ReplaceAll(msg, "\r\n", "\n"), "\n") {
		l.write("##[debug]", line)
	}
}

// lineSplitter turns one output stream into lines the way the runner reads a process's output
// (.NET StreamReader.ReadLine: "\n", "\r\n" and a lone "\r" each end a line; a last line without an
// end still counts). It keeps the raw bytes. Splitters of one process share mu, so lines from stdout
// and stderr are handled one at a time, in arrival order.
type lineSplitter struct {
	mu   *sync.Mutex
	raw  []byte
	buf  []byte
	cr   bool
	emit func(line string)
}

func (w *lineSplitter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.raw = append(w.raw, p...)
	for _, c := range p {
		if w.cr && c == '\n' {
			w.cr = false
			continue
		}
		w.cr = false
		switch c {
		case '\n':
			w.flush()
		case '\r':
			w.flush()
			w.cr = true
		default:
			w.buf = append(w.buf, c)
		}
	}
	return len(p), nil
}

// close emits a last line that had no line end.
func (w *lineSplitter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.flush()
	}
}

func (w *lineSplitter) flush() {
	line := strings.ToValidUTF8(string(w.buf), "\uFFFD")
	w.buf = w.buf[:0]
	w.emit(line)
}

func (w *lineSplitter) bytes() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]byte(nil), w.raw...)
}
