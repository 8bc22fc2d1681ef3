package untrusted

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Line folds white space (line breaks included) to single spaces, replaces
// control and invalid bytes, cuts at MaxLine bytes on a character boundary,
// and breaks the runner's legacy "##[" command form.
func TestLine(t *testing.T) {
	for in, want := range map[string]string{
		"denied: denied":               "denied: denied",
		"  a\nb\r\nc\u2028d \t":        "a b c d",
		"a\x1b[31mb\x00":               "a\uFFFD[31mb\uFFFD",
		"a\xffb":                       "a\uFFFDb",
		"x" + strings.Repeat("é", 300): "x" + strings.Repeat("é", 255) + "…",
		"x ##[set-output name=a;]b":    "x ## [set-output name=a;]b",
		"##\n[x":                       "## [x",
	} {
		assert.Equal(t, want, Line(in), "%q", in)
	}
}

// CheckValue refuses what cannot be a single-line output, saying why.
func TestCheckValue(t *testing.T) {
	require.NoError(t, CheckValue("registry.example.com:5000/team", 64))
	for in, want := range map[string]string{
		"":                                     "the value is empty",
		strings.Repeat("a", 65):                "the value is 65 bytes long, more than 64",
		"a\xff":                                "the value is not valid UTF-8",
		"x_GitHubActionsFileCommandDelimeter_": "the value contains the runner's file-command delimiter",
		"ghcr.io\nregistry_type=evil":          "the value contains a control character (U+000A)",
		"ghcr.io\u2028":                        "the value contains a control character (U+2028)",
	} {
		assert.EqualError(t, CheckValue(in, 64), want, "%q", in)
	}
}

var blockStart = regexp.MustCompile(`^title:\n::stop-commands::([A-Z2-7]{26})\n`)

// Block prints a text between ::stop-commands:: and a fresh token, its end
// of line trimmed, cut at MaxBlock bytes; a note says when it shows the start
// of a longer text; an empty text prints nothing.
func TestBlock(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 5<<20/16)
	tests := []struct {
		text       string
		size       int
		shown, end string
	}{
		{"Login Succeeded\n::set-output name=registry_url::evil\n", 0, "Login Succeeded\n::set-output name=registry_url::evil", ""},
		{big, len(big), big[:MaxBlock], "[output truncated: 65536 bytes shown of about 5242880]\n"},
		{"the start\n", 5 << 20, "the start", "[output truncated: 9 bytes shown of about 5242880]\n"},
	}
	tokens := map[string]bool{}
	for _, tc := range tests {
		var out bytes.Buffer
		require.NoError(t, Block(&out, "title", tc.text, tc.size))
		m := blockStart.FindStringSubmatch(out.String())
		require.NotNil(t, m, out.String())
		assert.Equal(t, m[0]+tc.shown+"\n::"+m[1]+"::\n"+tc.end, out.String())
		assert.False(t, tokens[m[1]], "a fresh token every time")
		tokens[m[1]] = true
	}
	var out bytes.Buffer
	require.NoError(t, Block(&out, "title", "", 0))
	assert.Empty(t, out.String())
}
