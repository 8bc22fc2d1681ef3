package reoclo

import (
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

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
