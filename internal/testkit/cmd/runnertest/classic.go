package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"
)

// classicBuild builds the checkout's own Dockerfile (GO_IMAGE given as a build argument)
// with Docker's classic builder, `DOCKER_BUILDKIT=0 docker build`, which is what act uses
// against a Docker daemon, and checks the image: the host's platform, the entry point and
// the three names of the binary.
func classicBuild(ctx context.Context, e *env) (err error) {
	start := time.Now()
	dir := filepath.Join(e.tmp, "d")
	var log bytes.Buffer
	w := io.Writer(&log)
	if e.opts.verbose {
		w = io.MultiWriter(&log, os.Stderr)
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("%w; dockerd and docker output:\n%s", err, tail(log.Bytes(), 8<<10))
		}
	}()
	d, err := StartDockerd(ctx, dir, w)
	if err != nil {
		return err
	}
	defer func() {
		if serr := d.Stop(); serr != nil {
			err = errors.Join(err, serr)
		}
	}()

	archive := filepath.Join(e.tmp, "gobase.tar")
	if err := e.podman.Podman(ctx, "save", "--format", "docker-archive", "--output", archive, e.baseRef); err != nil {
		return err
	}
	if err := d.Docker(ctx, nil, w, "load", "--input", archive); err != nil {
		return err
	}
	_ = os.Remove(archive)

	const ref = "docker-auth:classic"
	e.step("classic builder: DOCKER_BUILDKIT=0 docker build (dockerd %s, GO_IMAGE=%s)", d.Host, e.baseRef)
	if err := d.Docker(ctx, []string{"DOCKER_BUILDKIT=0"}, w, "build", "--pull=false",
		"--build-arg", "GO_IMAGE="+e.baseRef, "--tag", ref, e.src); err != nil {
		return err
	}

	var inspect bytes.Buffer
	if err := d.Docker(ctx, nil, &inspect, "image", "inspect", ref); err != nil {
		return err
	}
	var images []struct {
		Os, Architecture string
		Config           struct{ Entrypoint []string }
	}
	if err := json.Unmarshal(inspect.Bytes(), &images); err != nil {
		return fmt.Errorf("docker image inspect: %w", err)
	}
	if len(images) != 1 {
		return fmt.Errorf("docker image inspect: %d images: %s", len(images), inspect.String())
	}
	img := images[0]
	if img.Os != "linux" || img.Architecture != runtime.GOARCH || !slices.Equal(img.Config.Entrypoint, []string{"/docker-auth"}) {
		return fmt.Errorf("image is %s/%s with entry point %q, want linux/%s and [/docker-auth]",
			img.Os, img.Architecture, img.Config.Entrypoint, runtime.GOARCH)
	}

	var id bytes.Buffer
	if err := d.Docker(ctx, nil, &id, "create", ref); err != nil {
		return err
	}
	var export bytes.Buffer
	if err := d.Docker(ctx, nil, &export, "export", string(bytes.TrimSpace(id.Bytes()))); err != nil {
		return err
	}
	files, err := tarEntries(&export)
	if err != nil {
		return err
	}
	for _, name := range []string{"docker-auth", "docker-auth-post", "docker-auth-logout", "etc/ssl/cert.pem"} {
		if _, ok := files[name]; !ok {
			return fmt.Errorf("the image has no /%s (it has %v)", name, slices.Sorted(maps.Keys(files)))
		}
	}
	for _, name := range []string{"docker-auth-post", "docker-auth-logout"} {
		if h := files[name]; h.Typeflag != tar.TypeSymlink || h.Linkname != "docker-auth" {
			return fmt.Errorf("/%s is not a symlink to docker-auth", name)
		}
	}
	e.step("ok   classic builder: linux/%s image, entry point /docker-auth, post and logout links (%.1fs)",
		img.Architecture, time.Since(start).Seconds())
	return nil
}

// tarEntries reads a tar stream's headers by name, without a leading slash or "./".
func tarEntries(r io.Reader) (map[string]*tar.Header, error) {
	tr := tar.NewReader(r)
	files := map[string]*tar.Header{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read the exported image: %w", err)
		}
		name := filepath.Clean("/" + h.Name)[1:]
		files[name] = h
	}
}
