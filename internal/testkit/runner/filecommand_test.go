package runner

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseFileCommand(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want []Pair
	}{
		{"empty file", "", nil},
		{"simple", "a=1\n", []Pair{{"a", "1"}}},
		{"no final newline", "a=1", []Pair{{"a", "1"}}},
		{"empty lines skipped", "\na=1\n\n\nb=2\n\n", []Pair{{"a", "1"}, {"b", "2"}}},
		{"empty value", "a=\n", []Pair{{"a", ""}}},
		{"value keeps later equals", "a==x\nb=c=d\ne=f=\n", []Pair{{"a", "=x"}, {"b", "c=d"}, {"e", "f="}}},
		{"equals before heredoc marker is a plain value", "a=x<<y\n", []Pair{{"a", "x<<y"}}},
		{"empty name is not rejected", "=v\n", []Pair{{"", "v"}}},
		{"heredoc", "a<<EOF\nline one\nline two\nEOF\n", []Pair{{"a", "line one\nline two"}}},
		{"heredoc keeps inner empty lines", "a<<EOF\nx\n\ny\n\nEOF\n", []Pair{{"a", "x\n\ny\n"}}},
		{"heredoc empty value", "a<<EOF\nEOF\n", []Pair{{"a", ""}}},
		{"heredoc delimiter at end without newline", "a<<EOF\nv\nEOF", []Pair{{"a", "v"}}},
		{"heredoc body is not parsed", "a<<EOF\nb=2\n EOF\nEOF\n", []Pair{{"a", "b=2\n EOF"}}},
		{"heredoc marker before equals", "a<<=E=\nv\n=E=\n", []Pair{{"a", "v"}}},
		{"heredocs in a row", "a<<X\n1\nX\nb<<Y\n2\nY\nc=3\n", []Pair{{"a", "1"}, {"b", "2"}, {"c", "3"}}},
		{"BOM ignored", "\uFEFFa=1\n", []Pair{{"a", "1"}}},
		// Linux runner: only "\n" ends a line, so "\r" stays in values and delimiters.
		{"CRLF keeps CR in value", "a=1\r\nb=2\r\n", []Pair{{"a", "1\r"}, {"b", "2\r"}}},
		{"CRLF heredoc", "a<<EOF\r\nx\r\ny\r\nEOF\r\n", []Pair{{"a", "x\r\ny\r"}}},
		{"lone CR is not a line end", "a=1\rb=2\n", []Pair{{"a", "1\rb=2"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseFileCommand([]byte(tc.in))
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseFileCommandErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		wantErr string
		before  []Pair
	}{
		{"stray line", "a=1\nnot a command\nb=2\n", `invalid format "not a command"`, []Pair{{"a", "1"}}},
		{"empty delimiter", "a<<\nv\n\n", "delimiter must not be empty", nil},
		{"empty heredoc name", "<<EOF\nv\nEOF\n", "name must not be empty", nil},
		{"missing delimiter", "a=1\nb<<EOF\nv\n", `matching delimiter not found "EOF"`, []Pair{{"a", "1"}}},
		{"delimiter with trailing space", "a<<EOF\nv\nEOF \n", "matching delimiter not found", nil},
		{"last value line without newline", "a<<EOF\nv", "EOF marker missing new line", nil},
		{"delimiter on the same line", "a<<EOF v EOF", "matching delimiter not found", nil},
		// A CRLF closing line does not match an LF-only opening delimiter on Linux.
		{"CRLF closing delimiter", "a<<EOF\nv\r\nEOF\r\n", "matching delimiter not found", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseFileCommand([]byte(tc.in))
			require.ErrorContains(t, err, tc.wantErr)
			assert.Equal(t, tc.before, got, "entries before the error still apply")
		})
	}
}

func TestSplitDotNetLines(t *testing.T) {
	assert.Equal(t, []string{"a", "b", "", "c", "d"}, splitDotNetLines("a\nb\r\n\rc\rd"))
	assert.Equal(t, []string{"a", ""}, splitDotNetLines("a\n\n"))
	assert.Nil(t, splitDotNetLines(""))
}
