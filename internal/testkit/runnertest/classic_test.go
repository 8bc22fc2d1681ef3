package runnertest

import (
	"encoding/json"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestClassicBuilder builds the Dockerfile (GO_IMAGE as a build argument) with Docker's
// classic builder, `DOCKER_BUILDKIT=0 docker build`, which is what act uses against a Docker
// daemon, on Debian's dockerd, and checks the image's platform, entry point and files.
func TestClassicBuilder(t *testing.T) {
	s := need(t)
	dir := filepath.Join(s.tmp, "d") // short: it holds a unix socket
	sock := filepath.Join(dir, "docker.sock")
	stop, err := s.daemon(t.Context(), dir, "http://docker/_ping", sock, nil, "dockerd", "--host", "unix://"+sock,
		"--data-root", filepath.Join(dir, "data"), "--exec-root", filepath.Join(dir, "exec"),
		"--pidfile", filepath.Join(dir, "dockerd.pid"), "--storage-driver", "vfs",
		"--iptables=false", "--ip-forward=false", "--ip-masq=false", "--bridge=none")
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, stop()) })
	docker := func(args ...string) string {
		t.Helper()
		out, err := run(t.Context(), "", []string{"DOCKER_HOST=unix://" + sock, "DOCKER_CONFIG=" + filepath.Join(dir, "config"),
			"DOCKER_BUILDKIT=0"}, "docker", args...)
		require.NoError(t, err)
		return out
	}
	base, image := filepath.Join(dir, "gobase.tar"), filepath.Join(dir, "image.tar")
	_, err = s.podman(t.Context(), "save", "--format", "docker-archive", "--output", base, goImage)
	require.NoError(t, err)
	docker("load", "--input", base)
	const ref = "docker-auth:classic"
	docker("build", "--pull=false", "--build-arg", "GO_IMAGE="+goImage, "--tag", ref, s.src)

	var images []struct {
		Os, Architecture string
		Config           struct{ Entrypoint []string }
	}
	require.NoError(t, json.Unmarshal([]byte(docker("image", "inspect", ref)), &images))
	require.Len(t, images, 1)
	assert.Equal(t, "linux/"+runtime.GOARCH, images[0].Os+"/"+images[0].Architecture)
	assert.Equal(t, []string{"/docker-auth"}, images[0].Config.Entrypoint)
	docker("export", "--output", image, docker("create", ref))
	checkFiles(t, image, "dev") // the Dockerfile's default VERSION
}
