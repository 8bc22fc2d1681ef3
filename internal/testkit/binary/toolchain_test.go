package binary

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// go.mod's toolchain line names the Go release the Dockerfile's build stage
// uses (its default GO_IMAGE, golang:<version>-…), so a contributor's go
// command builds and tests with the same compiler the image ships.
func TestGoModToolchainIsTheDockerfiles(t *testing.T) {
	root, err := ModuleRoot(t.Context())
	require.NoError(t, err)
	version := func(file, pattern string) string {
		data, err := os.ReadFile(filepath.Join(root, file))
		require.NoError(t, err)
		m := regexp.MustCompile(pattern).FindSubmatch(data)
		require.NotNil(t, m, "%s has no line %s", file, pattern)
		return string(m[1])
	}
	image := version("Dockerfile", `(?m)^ARG GO_IMAGE=golang:([0-9][0-9.]*)-`)
	assert.Equal(t, image, version("go.mod", `(?m)^toolchain go(\S+)$`),
		"after a base-image bump, run: go mod edit -toolchain=go%s", image)
}
