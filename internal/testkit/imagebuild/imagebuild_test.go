package imagebuild

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCopyTreeSkipsWhatBuildsDoNotRead(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "go")
	write := func(rel string, mode os.FileMode) {
		p := filepath.Join(src, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(rel), mode))
	}
	write("bin/go", 0o755)
	write("go.env", 0o644)
	write("src/fmt/print.go", 0o644)
	write("src/fmt/print_test.go", 0o644)
	write("src/fmt/testdata/x", 0o644)
	write("src/cmd/go/main.go", 0o644)
	write("test/bench.go", 0o644)
	write("api/go1.txt", 0o644)
	require.NoError(t, os.Symlink("print.go", filepath.Join(src, "src/fmt/link.go")))

	require.NoError(t, copyTree(src, dst, skipInGOROOT))

	for _, rel := range []string{"bin/go", "go.env", "src/fmt/print.go"} {
		data, err := os.ReadFile(filepath.Join(dst, rel))
		if assert.NoError(t, err, rel) {
			assert.Equal(t, rel, string(data))
		}
	}
	info, err := os.Stat(filepath.Join(dst, "bin/go"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o755), info.Mode().Perm(), "executable bit kept")
	link, err := os.Readlink(filepath.Join(dst, "src/fmt/link.go"))
	require.NoError(t, err)
	assert.Equal(t, "print.go", link, "symlink kept as a link")
	for _, rel := range []string{"src/fmt/print_test.go", "src/fmt/testdata", "src/cmd", "test", "api"} {
		assert.NoFileExists(t, filepath.Join(dst, rel))
		assert.NoDirExists(t, filepath.Join(dst, rel))
	}
}
