// Command imagetest builds the repository's Dockerfile with buildah and runs the image's
// main and post entry points, as the GitHub runner would, against the fake Reoclo API on
// 127.0.0.1. It needs no Docker engine and no registry: the Dockerfile's Go build stage
// gets a base image assembled from the local Go toolchain and the local module cache.
// It installs buildah and busybox-static with apt-get when they are missing (as root).
//
// Usage (from the repository root): go run ./internal/cmd/imagetest [-v]
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/reoclo/docker-auth/internal/testkit/imagebuild"
)

// maxImageSize is the most the final image may take, uncompressed.
const maxImageSize = 12_000_000

const (
	imageRef = "localhost/docker-auth:imagetest"
	// imageVersion is passed as the VERSION build argument and checked in the labels.
	imageVersion = "0.0.0-imagetest"
)

func main() {
	os.Exit(imageTest())
}

// imageTest runs the test and returns the process's exit code.
func imageTest() int {
	verbose := flag.Bool("v", false, "stream apt-get and buildah output, and show each step's job log")
	contextDir := flag.String("context", "", "build context (default: the module root)")
	buildOnly := flag.Bool("build-only", false, "build and check the image, skip the entry-point runs")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var log bytes.Buffer
	logw := io.Writer(&log)
	if *verbose {
		logw = os.Stderr
	}
	var stepLogs io.Writer
	if *verbose {
		stepLogs = os.Stdout
	}
	err := run(ctx, os.Stdout, logw, stepLogs, *contextDir, *buildOnly)
	if err != nil {
		if !*verbose && log.Len() > 0 {
			fmt.Fprintf(os.Stderr, "--- apt-get/buildah output (last 8 KiB):\n%s\n---\n", tail(log.Bytes(), 8<<10))
		}
		fmt.Fprintln(os.Stderr, "image-test: FAIL:", err)
		return 1
	}
	return 0
}

func run(ctx context.Context, out, log, stepLogs io.Writer, contextDir string, buildOnly bool) (err error) {
	start := time.Now()
	step := func(format string, args ...any) {
		fmt.Fprintf(out, "image-test: [%5.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}

	if os.Geteuid() != 0 {
		return errors.New("run as root: buildah's vfs storage and chroot isolation need it (and apt-get, to install buildah)")
	}
	goEnv, err := imagebuild.GoEnv(ctx, "GOMOD", "GOROOT", "GOMODCACHE", "GOVERSION")
	if err != nil {
		return err
	}
	if contextDir == "" {
		contextDir = filepath.Dir(goEnv["GOMOD"])
	}

	step("checking buildah and busybox-static (apt-get install when missing)")
	if err := imagebuild.EnsureTools(ctx, log); err != nil {
		return err
	}
	// The build runs with GOPROXY=off against this cache: fill it first (the proxy is
	// reachable here, the build container is not meant to be).
	step("go mod download into %s", goEnv["GOMODCACHE"])
	if err := goModDownload(ctx, contextDir, log); err != nil {
		return err
	}

	dir, err := os.MkdirTemp("", "docker-auth-imagetest-")
	if err != nil {
		return err
	}
	b := imagebuild.New(dir, log)
	defer func() {
		if rerr := b.Remove(ctx); rerr != nil {
			err = errors.Join(err, fmt.Errorf("clean up: %w", rerr))
		}
	}()

	baseRef := "localhost/docker-auth-gobase:" + strings.TrimPrefix(goEnv["GOVERSION"], "go")
	step("assembling %s from %s and %s", baseRef, goEnv["GOROOT"], imagebuild.BusyboxPath)
	if err := b.BuildGoBase(ctx, baseRef, imagebuild.GoBase{
		GOROOT:    goEnv["GOROOT"],
		GoVersion: goEnv["GOVERSION"],
		Busybox:   imagebuild.BusyboxPath,
		CABundle:  "/etc/ssl/certs/ca-certificates.crt",
	}); err != nil {
		return err
	}

	step("buildah build %s (GO_IMAGE=%s, VERSION=%s)", contextDir, baseRef, imageVersion)
	buildStart := time.Now()
	if err := b.Build(ctx, imagebuild.BuildOptions{
		ContextDir: contextDir,
		Tag:        imageRef,
		BuildArgs:  map[string]string{"GO_IMAGE": baseRef, "VERSION": imageVersion},
		Volumes:    []string{goEnv["GOMODCACHE"] + ":/go/pkg/mod:ro"},
	}); err != nil {
		return err
	}
	step("built in %.1fs", time.Since(buildStart).Seconds())

	img, err := b.Inspect(ctx, imageRef)
	if err != nil {
		return err
	}
	files, err := b.Files(ctx, imageRef)
	if err != nil {
		return err
	}
	if err := checkImage(img, files); err != nil {
		return err
	}
	step("image %s: %.2f MB (%d bytes, limit %d), %d layer(s), entrypoint %q, /docker-auth-post -> %s",
		imageRef, float64(img.Size)/1e6, img.Size, maxImageSize, img.Layers, img.Entrypoint, postLink(files))

	if !buildOnly {
		if err := runScenarios(ctx, b, dir, contextDir, stepLogs, step); err != nil {
			return err
		}
	}

	if err := b.RemoveImage(ctx, imageRef); err != nil {
		return err
	}
	if err := b.RemoveImage(ctx, baseRef); err != nil {
		return err
	}
	step("PASS (total %.1fs)", time.Since(start).Seconds())
	return nil
}

func goModDownload(ctx context.Context, dir string, log io.Writer) error {
	cmd := exec.CommandContext(ctx, "go", "mod", "download")
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go mod download: %w", err)
	}
	return nil
}

func tail(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	return b[len(b)-n:]
}
