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
// valid UTF-8, with no legacy command form. Seeds live in
// testdata/fuzz/FuzzLine; their int is an old limit, now unused.
func FuzzLine(f *testing.F) {
	f.Add("a\n::set-output name=x::y\r\n", 10)
	f.Fuzz(func(t *testing.T, s string, _ int) {
		out := Line(s)
		if !utf8.ValidString(out) || strings.IndexFunc(out, unicode.IsControl) >= 0 || strings.Contains(out, "##[") ||
			len(out) > 2*MaxLine+utf8.UTFMax+len("…") {
			t.Fatalf("not one bounded printable line: %q", out)
		}
	})
}

// FuzzBlock: no text can end the stop-commands block before Block does, nor
// print after it. Seeds live in testdata/fuzz/FuzzBlock.
func FuzzBlock(f *testing.F) {
	f.Add("::stop-commands::x\n::x::\n::set-output name=a::b")
	f.Fuzz(func(t *testing.T, text string) {
		var b bytes.Buffer
		if err := Block(&b, "title", text, len(text)); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if text == "" {
			return
		}
		start := strings.Index(out, "::stop-commands::") + len("::stop-commands::")
		token := out[start : start+26]
		ends := len(regexp.MustCompile(`(?m)^\s*::`+token+`::\s*$`).FindAllStringIndex(out, -1)) // lines that end the block
		if tail := out[strings.LastIndex(out, "::"+token+"::"):]; ends != 1 || strings.Count(tail, "\n") > 2 {
			t.Fatalf("the block's token ends it %d times; after the last: %q", ends, tail)
		}
	})
}
