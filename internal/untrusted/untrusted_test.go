package untrusted

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLine(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "denied: denied", "denied: denied"},
		{"newlines fold", "a\nb\r\nc", "a b c"},
		{"command cannot start a new line", "x\n::set-output name=a::b", "x ::set-output name=a::b"},
		{"leading space dropped", "  \n hi", "hi"},
		{"control characters replaced", "a\x1b[31mb\x00", "a\uFFFD[31mb\uFFFD"},
		{"invalid utf-8 replaced", "a\xffb", "a\uFFFDb"},
		{"line separator folds", "a\u2028b", "a b"},
		{"cut", strings.Repeat("x", 600), strings.Repeat("x", MaxLine) + "…"},
		{"empty", "", ""},
		{"legacy command broken up", "x ##[set-output name=a;]b", "x ## [set-output name=a;]b"},
		{"legacy command across a fold", "##\n[x", "## [x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Line(tc.in))
		})
	}
}

func TestCheckValue(t *testing.T) {
	tests := []struct {
		name, in string
		wantErr  string
	}{
		{"registry", "ghcr.io", ""},
		{"with path and port", "registry.example.com:5000/team", ""},
		{"empty", "", "the value is empty"},
		{"newline", "ghcr.io\nregistry_type=evil", "the value contains a control character (U+000A)"},
		{"carriage return", "ghcr.io\r", "the value contains a control character (U+000D)"},
		{"tab", "ghcr\t.io", "the value contains a control character (U+0009)"},
		{"delimiter", "x_GitHubActionsFileCommandDelimeter_", "delimiter"},
		{"too long", strings.Repeat("a", 65), "the value is 65 bytes long, more than 64"},
		{"invalid utf-8", "a\xff", "not valid UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckValue(tc.in, 64)
			if tc.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}

var blockPattern = regexp.MustCompile(`(?s)^title:\n::stop-commands::([A-Z2-7]{26})\n(.*)\n::([A-Z2-7]{26})::\n(.*)$`)

func TestBlockGuardsCommands(t *testing.T) {
	text := "Login Succeeded\n::set-output name=registry_url::evil\n  ::save-state name=server_id::x\n"
	var out bytes.Buffer
	require.NoError(t, Block(&out, "title", text, len(text)))

	m := blockPattern.FindStringSubmatch(out.String())
	require.NotNil(t, m, "output:\n%s", out.String())
	assert.Equal(t, m[1], m[3], "resume token matches")
	assert.Equal(t, strings.TrimRight(text, "\n"), m[2])
	assert.Empty(t, m[4], "no truncation note")

	var again bytes.Buffer
	require.NoError(t, Block(&again, "title", text, len(text)))
	assert.NotEqual(t, m[1], blockPattern.FindStringSubmatch(again.String())[1], "a fresh token every time")
}

func TestBlockTruncates(t *testing.T) {
	text := strings.Repeat("0123456789abcdef", 5<<20/16) // 5 MiB
	var out bytes.Buffer
	require.NoError(t, Block(&out, "title", text, len(text)))
	assert.Less(t, out.Len(), MaxBlock+500)
	assert.Contains(t, out.String(), "[output truncated: 65536 bytes shown of about 5242880]")

	out.Reset()
	require.NoError(t, Block(&out, "title", "the start\n", 5<<20))
	assert.Contains(t, out.String(), "\nthe start\n::")
	assert.Contains(t, out.String(), "[output truncated: 9 bytes shown of about 5242880]", "the start of a longer text")
}

func TestBlockEmpty(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, Block(&out, "title", "", 0))
	assert.Empty(t, out.String())
}
