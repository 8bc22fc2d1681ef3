package reoclo

// This file reads and decodes the API's 2xx replies with as few copies as
// it can, because a reply may carry up to 5 MB of docker output and the
// action holds its peak memory under 24 MB (README, Performance; measured
// by make bench): the reply is read into one buffer sized from its
// Content-Length (readReply), and stdout and stderr are unquoted straight
// into their strings (outputText), where encoding/json would hold the text
// three times at once.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxResponseBytes bounds a successful reply's body: far above any real
// operation (5 MB of docker output encodes to well under it).
const MaxResponseBytes = 16 << 20

// errTooLarge is a reply body over MaxResponseBytes.
var errTooLarge = fmt.Errorf("reply is larger than %d MiB", MaxResponseBytes>>20)

// readReply reads a reply of at most MaxResponseBytes into one buffer, sized
// from its Content-Length when the reply gives one: json.Decoder would hold
// it in a buffer that doubles as it grows, up to twice its size, and more
// while it copies. A reply cut short is an error (io.ErrUnexpectedEOF), one
// over the limit is errTooLarge.
func readReply(r io.Reader, contentLength int64) ([]byte, error) {
	var buf bytes.Buffer
	if contentLength > 0 && contentLength <= MaxResponseBytes {
		buf.Grow(int(contentLength) + bytes.MinRead) // the read that sees EOF needs MinRead free
	}
	if _, err := buf.ReadFrom(&limitReader{r: r, left: MaxResponseBytes}); err != nil {
		if errors.Is(err, errTooLarge) {
			return nil, errTooLarge
		}
		return nil, fmt.Errorf("read reply: %w", err)
	}
	return buf.Bytes(), nil
}

// limitReader is io.LimitReader that fails, rather than ends, at the limit,
// so a cut reply is told apart from a short one.
type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// One byte more tells a reply of exactly the limit from a larger one.
		var one [1]byte
		if n, _ := l.r.Read(one[:]); n > 0 {
			return 0, errTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// decode reads a reply as the client does and decodes it into out (the
// fuzz targets use it).
func decode(r io.Reader, contentLength int64, out any) error {
	b, err := readReply(r, contentLength)
	if err != nil {
		return err
	}
	return decodeJSON(b, out)
}

// decodeJSON decodes a whole reply into out.
func decodeJSON(b []byte, out any) error {
	return json.Unmarshal(withoutBOM(b), out)
}

// UnmarshalJSON implements json.Unmarshaler. It decodes stdout and stderr
// with one copy each: encoding/json unquotes a string into a buffer and then
// copies the buffer into the string, so 5 MB of docker output would be held
// three times at once (reply, buffer, string).
func (r *Result) UnmarshalJSON(b []byte) error {
	var raw struct {
		ExitCode   *int       `json:"exit_code"`
		Stdout     outputText `json:"stdout"`
		Stderr     outputText `json:"stderr"`
		DurationMS Millis     `json:"duration_ms"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*r = Result{ExitCode: raw.ExitCode, Stdout: string(raw.Stdout), Stderr: string(raw.Stderr), DurationMS: raw.DurationMS}
	return nil
}

// outputText is a JSON string decoded with a single copy, exactly as
// encoding/json decodes it into a string: invalid UTF-8 and unpaired
// surrogates become U+FFFD.
type outputText string

// UnmarshalJSON implements json.Unmarshaler. encoding/json has validated raw
// before it calls this.
func (t *outputText) UnmarshalJSON(raw []byte) error {
	if len(raw) < 2 || raw[0] != '"' {
		var s string // null leaves t alone; other kinds get the library's error
		return json.Unmarshal(raw, &s)
	}
	s, err := unquote(raw[1 : len(raw)-1])
	if err != nil {
		return err
	}
	*t = outputText(s)
	return nil
}

var errBadEscape = errors.New("invalid escape in JSON string")

// unquote decodes the inside of a JSON string literal into a string, writing
// each byte once.
func unquote(b []byte) (string, error) {
	var out strings.Builder
	out.Grow(len(b)) // decoding never grows text, save for invalid UTF-8
	for i := 0; i < len(b); {
		switch c := b[i]; {
		case c == '\\':
			if i+1 >= len(b) {
				return "", errBadEscape
			}
			if b[i+1] == 'u' {
				r, n := unicodeEscape(b[i:])
				if n == 0 {
					return "", errBadEscape
				}
				out.WriteRune(r)
				i += n
				continue
			}
			e, ok := simpleEscapes[b[i+1]]
			if !ok {
				return "", errBadEscape
			}
			out.WriteByte(e)
			i += 2
		case c < utf8.RuneSelf:
			out.WriteByte(c)
			i++
		default:
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n == 1 {
				out.WriteRune(utf8.RuneError)
			} else {
				out.Write(b[i : i+n])
			}
			i += n
		}
	}
	return out.String(), nil
}

var simpleEscapes = map[byte]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// unicodeEscape decodes the \uXXXX escape at the start of b, and the low
// surrogate escape after it if it is a high surrogate. It returns the rune
// and the bytes used, 0 when b does not start with a valid escape.
func unicodeEscape(b []byte) (rune, int) {
	r, ok := hex4(b)
	if !ok {
		return 0, 0
	}
	if !utf16.IsSurrogate(r) {
		return r, 6
	}
	if r2, ok := hex4(b[6:]); ok {
		if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
			return dec, 12
		}
	}
	return utf8.RuneError, 6
}

// hex4 reads the four hex digits of a \uXXXX escape at the start of b.
func hex4(b []byte) (rune, bool) {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range b[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// withoutBOM drops a UTF-8 byte-order mark before a reply's JSON: some
// servers and proxies write one, and encoding/json refuses it.
func withoutBOM(b []byte) []byte {
	return bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
}
