package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDocLinks fails on a relative link in the Markdown files that does not
// resolve (a file that is not there, or a #fragment that is none of the
// target's headings as GitHub names them), and on a test the docs cite that
// no longer exists.
func TestDocLinks(t *testing.T) {
	docs, err := filepath.Glob("docs/*.md")
	require.NoError(t, err)
	docs = append(docs, "README.md", "CONTRIBUTING.md", "RELEASING.md", "CHANGELOG.md", "SECURITY.md")
	tests, err := exec.CommandContext(t.Context(), "go", "test", "-list", ".", "./...").Output()
	require.NoError(t, err)
	links := 0
	for _, doc := range docs {
		data, err := os.ReadFile(doc)
		require.NoError(t, err)
		for _, m := range regexp.MustCompile("`((Test|Fuzz)[A-Z][A-Za-z]*)`").FindAllStringSubmatch(string(data), -1) {
			assert.Regexp(t, "(?m)^"+m[1]+"$", string(tests), "%s cites %s", doc, m[1])
		}
		for _, m := range regexp.MustCompile(`\]\(([^)\s]+)\)`).FindAllStringSubmatch(string(data), -1) {
			target, fragment, _ := strings.Cut(m[1], "#")
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			links++
			path := doc
			if target != "" {
				path = filepath.Join(filepath.Dir(doc), target)
			}
			info, err := os.Stat(path)
			if err != nil {
				t.Errorf("%s links to %s: %v", doc, m[1], err)
			}
			if err != nil || fragment == "" {
				continue
			}
			require.False(t, info.IsDir(), "%s links to a fragment of directory %s", doc, m[1])
			assert.Contains(t, anchors(t, path), fragment, "%s links to %s", doc, m[1])
		}
	}
	assert.Greater(t, links, 30, "the links were read")
}

// anchors returns the fragments GitHub gives the headings of a Markdown file:
// lower case, punctuation dropped, spaces as hyphens.
func anchors(t *testing.T, path string) []string {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []string
	for _, m := range regexp.MustCompile(`(?m)^#+ (.+)$`).FindAllStringSubmatch(string(data), -1) {
		slug := regexp.MustCompile(`[^\p{L}\p{N} _-]`).ReplaceAllString(strings.ToLower(m[1]), "")
		out = append(out, strings.ReplaceAll(slug, " ", "-"))
	}
	return out
}
