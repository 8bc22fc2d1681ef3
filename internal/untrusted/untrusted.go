// Package untrusted keeps text that comes from the network (the API's
// strings, the server's docker output) as data: it can neither issue
// workflow commands to the runner nor forge file commands, and it is bounded.
package untrusted

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxLine is how many bytes of a text Line keeps.
const MaxLine = 512

// Line returns s as one printable line: runs of white space (line breaks
// included) become one space, other control and invalid characters become
// U+FFFD, and a cut at MaxLine bytes is marked with "…". The runner's legacy
// "##[command]" form, which it recognises anywhere in a line, is broken up
// as "## [".
func Line(s string) string {
	return strings.ReplaceAll(line(s, MaxLine), "##[", "## [")
}

func line(s string, limit int) string {
	var b strings.Builder
	space := false
	for i, r := range s {
		if b.Len() >= limit {
			return strings.TrimSpace(b.String()) + "…"
		}
		switch {
		case r == utf8.RuneError && isInvalid(s[i:]):
			r = unicode.ReplacementChar
		case unicode.IsSpace(r):
			space = true
			continue
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			r = unicode.ReplacementChar
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

func isInvalid(s string) bool {
	r, size := utf8.DecodeRuneInString(s)
	return r == utf8.RuneError && size <= 1
}

// CheckValue reports why s cannot be written as a single-line output or state
// value, or nil when it can: it must be non-empty, valid UTF-8, at most limit
// bytes, with no control characters (no line breaks) and no file-command
// delimiter. Its error is a whole clause about "the value", for a caller to
// put after a colon.
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

// Block prints untrusted multi-line text so the runner reads it as plain log
// lines: between ::stop-commands::TOKEN and ::TOKEN:: with a fresh random
// token, cut to MaxBlock bytes. When the text is the start of a longer one
// of about size bytes, or is cut, a note says how much was shown. Nothing is
// printed for empty text.
func Block(w io.Writer, title, text string, size int) error {
	if text == "" {
		return nil
	}
	token, err := newToken()
	if err != nil {
		return err
	}
	shown := text
	if len(shown) > MaxBlock {
		shown = strings.ToValidUTF8(shown[:MaxBlock], "")
	}
	shown = strings.TrimRight(shown, "\r\n")
	var b strings.Builder
	fmt.Fprintf(&b, "%s:\n::stop-commands::%s\n%s\n::%s::\n", Line(title), token, shown, token)
	if size = max(size, len(text)); len(shown) < len(strings.TrimRight(text, "\r\n")) || size > len(text) {
		fmt.Fprintf(&b, "[output truncated: %d bytes shown of about %d]\n", len(shown), size)
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// newToken returns 128 random bits as hex: unguessable by the text it guards.
func newToken() (string, error) {
	var buf [16]byte
	if _, err := rand.Read(buf[:]); err != nil {
		return "", fmt.Errorf("make stop-commands token: %w", err)
	}
	return hex.EncodeToString(buf[:]), nil
}
