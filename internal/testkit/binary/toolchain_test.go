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
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	require.NoError(t, err)
	dockerfile, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	require.NoError(t, err)

	toolchain := regexp.MustCompile(`(?m)^toolchain go(\S+)$`).FindSubmatch(gomod)
	require.NotNil(t, toolchain, "go.mod has a toolchain line")
	image := regexp.MustCompile(`(?m)^ARG GO_IMAGE=golang:([0-9][0-9.]*)-`).FindSubmatch(dockerfile)
	require.NotNil(t, image, "the Dockerfile's default GO_IMAGE is golang:<version>-…")
	assert.Equal(t, string(image[1]), string(toolchain[1]))
}
