// Package untrusted keeps text that comes from the network (the API's
// strings, the server's docker output) as data: it can neither issue
// workflow commands to the runner nor forge file commands, and it is bounded.
package untrusted

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxLine is how many bytes of a text Line keeps.
const MaxLine = 512

// Line returns s as one printable line: white space runs as one space,
// control and invalid characters as U+FFFD, cut at MaxLine bytes ("…"),
// the runner's legacy "##[command]" form broken as "## [".
func Line(s string) string {
	s = strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && !unicode.IsSpace(r) {
			return unicode.ReplacementChar
		}
		return r
	}, s)), " ")
	if len(s) > MaxLine {
		s = strings.TrimSpace(strings.ToValidUTF8(s[:MaxLine], "")) + "…"
	}
	return strings.ReplaceAll(s, "##[", "## [")
}

// CheckValue reports why s cannot be a single-line output: empty, over limit
// bytes, not UTF-8, holding a control character (a line break) or the
// file-command delimiter. Its error is a clause about "the value".
func CheckValue(s string, limit int) error {
	switch {
	case s == "":
		return errors.New("the value is empty")
	case len(s) > limit:
		return fmt.Errorf("the value is %d bytes long, more than %d", len(s), limit)
	case !utf8.ValidString(s):
		return errors.New("the value is not valid UTF-8")
	case strings.Contains(s, "_GitHubActionsFileCommandDelimeter_"):
		return errors.New("the value contains the runner's file-command delimiter")
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return fmt.Errorf("the value contains a control character (%U)", r)
		}
	}
	return nil
}

// MaxBlock is how many bytes of one text Block prints.
const MaxBlock = 64 << 10

// Block prints text as plain log lines, between ::stop-commands::TOKEN and
// ::TOKEN:: with a fresh token, cut to MaxBlock bytes, noting when it is
// the start of a longer text (of about size bytes). Empty, it prints none.
func Block(w io.Writer, title, text string, size int) error {
	if text == "" {
		return nil
	}
	token := rand.Text() // unguessable by the text it guards
	shown := text
	if len(shown) > MaxBlock {
		shown = strings.ToValidUTF8(shown[:MaxBlock], "")
	}
	shown = strings.TrimRight(shown, "\r\n")
	out := fmt.Sprintf("%s:\n::stop-commands::%s\n%s\n::%s::\n", Line(title), token, shown, token)
	if size = max(size, len(text)); len(shown) < len(strings.TrimRight(text, "\r\n")) || size > len(text) {
		out += fmt.Sprintf("[output truncated: %d bytes shown of about %d]\n", len(shown), size)
	}
	_, err := io.WriteString(w, out) // in one write
	return err
}
