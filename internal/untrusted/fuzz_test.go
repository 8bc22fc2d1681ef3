package untrusted

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzLine: whatever the text, Line returns one bounded line of printable,
// valid UTF-8. Seeds live in testdata/fuzz/FuzzLine.
func FuzzLine(f *testing.F) {
	f.Add("denied: denied", 100)
	f.Add("a\n::set-output name=x::y\r\n", 10)
	f.Add("\xff\x00\u2028", 3)
	f.Fuzz(func(t *testing.T, s string, limit int) {
		out := Line(s) // limit: the corpus's old second argument, unused
		limit = MaxLine
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 %q", out)
		}
		for _, r := range out {
			if unicode.IsControl(r) || r == '\n' || r == '\r' {
				t.Fatalf("control character %U in %q", r, out)
			}
		}
		if strings.Contains(out, "##[") {
			t.Fatalf("legacy command form in %q", out)
		}
		if len(out) > 2*limit+utf8.UTFMax+len("…") {
			t.Fatalf("%d bytes for limit %d", len(out), limit)
		}
	})
}

var resumeLine = regexp.MustCompile(`(?m)^\s*::([A-Z2-7]{26})::\s*$`)

// FuzzBlock: no text can end the stop-commands block before Block does.
// Seeds live in testdata/fuzz/FuzzBlock.
func FuzzBlock(f *testing.F) {
	f.Add("Login Succeeded\n")
	f.Add("::stop-commands::x\n::x::\n::set-output name=a::b")
	f.Add(strings.Repeat("::0123456789abcdef0123456789abcdef::\n", 3))
	f.Fuzz(func(t *testing.T, text string) {
		var out bytes.Buffer
		if err := Block(&out, "title", text, len(text)); err != nil {
			t.Fatal(err)
		}
		if text == "" {
			return
		}
		first := strings.Index(out.String(), "::stop-commands::")
		token := out.String()[first+len("::stop-commands::") : first+len("::stop-commands::")+26]
		ends := 0
		for _, m := range resumeLine.FindAllStringSubmatch(out.String(), -1) {
			if m[1] == token {
				ends++
			}
		}
		if ends != 1 {
			t.Fatalf("the block's token ends it %d times", ends)
		}
		tail := out.String()[strings.LastIndex(out.String(), "::"+token+"::"):]
		if strings.Count(tail, "\n") > 2 {
			t.Fatalf("text after the block ends: %q", tail)
		}
	})
}
