package runnertest

import (
	"archive/tar"
	"bytes"
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestImage builds the Dockerfile with podman (on goImage, with a VERSION) and checks what
// action.yml and the runners rely on: the size budget, the entry point, root, the OCI labels,
// the binary's other names and the CA bundle.
func TestImage(t *testing.T) {
	s := need(t)
	const ref, version = "localhost/docker-auth:runnertest", "0.0.0-runnertest"
	_, err := s.podman(t.Context(), "build", "--pull=never", "--build-arg", "GO_IMAGE="+goImage,
		"--build-arg", "VERSION="+version, "--tag", ref, s.src)
	require.NoError(t, err)
	out, err := s.podman(t.Context(), "image", "inspect", ref)
	require.NoError(t, err)
	var images []struct {
		Size   int64
		Config struct {
			Entrypoint []string
			User       string
			Labels     map[string]string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &images))
	require.Len(t, images, 1)
	img := images[0]
	t.Logf("%s: %.2f MB", ref, float64(img.Size)/1e6)
	assert.LessOrEqual(t, img.Size, int64(12_000_000), "image size")
	assert.Equal(t, []string{"/docker-auth"}, img.Config.Entrypoint)
	assert.Contains(t, []string{"", "root", "0"}, img.Config.User, "a container action runs as root")
	for k, v := range map[string]string{
		"org.opencontainers.image.source":   "https://github.com/reoclo/docker-auth",
		"org.opencontainers.image.version":  version,
		"org.opencontainers.image.licenses": "MIT",
	} {
		assert.Equal(t, v, img.Config.Labels[k], k)
	}
	assert.NotEmpty(t, img.Config.Labels["org.opencontainers.image.title"])
	assert.NotEmpty(t, img.Config.Labels["org.opencontainers.image.description"])

	id, err := s.podman(t.Context(), "create", "--pull=never", ref)
	require.NoError(t, err)
	archive := filepath.Join(t.TempDir(), "image.tar")
	_, err = s.podman(t.Context(), "export", "--output", archive, id)
	require.NoError(t, err)
	checkFiles(t, archive, version)
}

// checkFiles checks an exported image: /docker-auth is an executable, /docker-auth-post and
// /docker-auth-logout are the same file under other names (a symlink to it or a hard link,
// not a copy), /etc/ssl/cert.pem is the CA bundle, and the binary's build information
// records the version, where an SBOM scanner reads it (main.version in -ldflags, which Go
// leaves out under -trimpath).
func checkFiles(t *testing.T, archive, version string) {
	t.Helper()
	f, err := os.Open(archive)
	require.NoError(t, err)
	defer f.Close()
	files := map[string]*tar.Header{}
	var exe []byte
	for tr := tar.NewReader(f); ; {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		files[path.Clean("/" + h.Name)[1:]] = h
		if files["docker-auth"] == h {
			exe, err = io.ReadAll(tr)
			require.NoError(t, err)
		}
	}
	if info, err := buildinfo.Read(bytes.NewReader(exe)); assert.NoError(t, err, "/docker-auth's build information") {
		ldflags := ""
		for _, s := range info.Settings {
			if s.Key == "-ldflags" {
				ldflags = s.Value
			}
		}
		assert.Contains(t, ldflags, "-X main.version="+version, "the version, for the SBOM")
	}
	bin, ca := files["docker-auth"], files["etc/ssl/cert.pem"]
	assert.True(t, bin != nil && bin.Typeflag == tar.TypeReg && bin.Mode&0o111 != 0 && bin.Size > 0, "/docker-auth is an executable")
	assert.True(t, ca != nil && ca.Typeflag == tar.TypeReg && ca.Size > 0, "/etc/ssl/cert.pem holds the CA bundle")
	for _, name := range []string{"docker-auth-post", "docker-auth-logout"} {
		if h := files[name]; assert.NotNil(t, h, "/"+name) {
			assert.Contains(t, []byte{tar.TypeSymlink, tar.TypeLink}, h.Typeflag, "/%s is a link", name)
			assert.Equal(t, "docker-auth", path.Clean("/" + h.Linkname)[1:], "/%s links to /docker-auth", name)
		}
	}
}
