// Package imagebuild builds and runs this action's container image with buildah, with no
// Docker engine and no registry: images live in a private vfs storage root, RUN steps use
// chroot isolation, and the Go build stage's base image can be assembled offline from the
// local Go toolchain (see BuildGoBase).
package imagebuild

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Buildah runs the buildah command against one private storage root, so that nothing it
// creates touches the machine's other images and removing the root removes all of it.
type Buildah struct {
	dir string
	log io.Writer
}

// New returns a Buildah whose images and containers live under dir, which must be a
// directory of its own (Remove deletes it). Buildah's progress output goes to log.
func New(dir string, log io.Writer) *Buildah {
	if log == nil {
		log = io.Discard
	}
	return &Buildah{dir: dir, log: log}
}

// globalArgs are the options every buildah command gets: the private storage, on the vfs
// driver, which needs neither overlayfs nor fuse.
func (b *Buildah) globalArgs() []string {
	return []string{
		"--root", filepath.Join(b.dir, "root"),
		"--runroot", filepath.Join(b.dir, "runroot"),
		"--storage-driver", "vfs",
	}
}

func (b *Buildah) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "buildah", append(b.globalArgs(), args...)...)
	// Let buildah and whatever it runs stop on their own, as `docker run` does on cancel.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

// run runs buildah with its output going to the log.
func (b *Buildah) run(ctx context.Context, args ...string) error {
	cmd := b.command(ctx, args...)
	cmd.Stdout, cmd.Stderr = b.log, b.log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("buildah %s: %w", args[0], err)
	}
	return nil
}

// output runs buildah and returns its standard output, trimmed.
func (b *Buildah) output(ctx context.Context, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := b.command(ctx, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("buildah %s: %w: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// from creates a working container from image and returns its ID.
func (b *Buildah) from(ctx context.Context, image string) (string, error) {
	id, err := b.output(ctx, "from", "--pull=never", "--quiet", image)
	if err != nil {
		return "", err
	}
	return id, nil
}

// rm removes a working container, even when ctx is already cancelled.
func (b *Buildah) rm(ctx context.Context, id string) error {
	_, err := b.output(context.WithoutCancel(ctx), "rm", id)
	return err
}

// BuildOptions says what Build builds.
type BuildOptions struct {
	// ContextDir is the build context; its Dockerfile is built.
	ContextDir string
	// Tag names the resulting image, for example localhost/docker-auth:test.
	Tag string
	// BuildArgs are passed as --build-arg NAME=VALUE.
	BuildArgs map[string]string
	// Volumes are bind mounts (host:container[:options]) for every RUN step.
	Volumes []string
}

// Build builds a Dockerfile as `docker build` would, running its RUN steps with chroot
// isolation.
func (b *Buildah) Build(ctx context.Context, opts BuildOptions) error {
	return b.run(ctx, buildArgs(opts)...)
}

func buildArgs(opts BuildOptions) []string {
	args := []string{"build", "--isolation", "chroot", "--pull=never", "--layers=false",
		"-f", filepath.Join(opts.ContextDir, "Dockerfile"), "-t", opts.Tag}
	for _, k := range slices.Sorted(maps.Keys(opts.BuildArgs)) {
		args = append(args, "--build-arg", k+"="+opts.BuildArgs[k])
	}
	for _, v := range opts.Volumes {
		args = append(args, "--volume", v)
	}
	return append(args, opts.ContextDir)
}

// RemoveImage deletes an image and any working containers made from it.
func (b *Buildah) RemoveImage(ctx context.Context, ref string) error {
	_, err := b.output(context.WithoutCancel(ctx), "rmi", "--force", ref)
	return err
}

// Remove deletes every container and image in the private storage, then the storage
// itself. It runs even when ctx is already cancelled.
func (b *Buildah) Remove(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx)
	var errs []error
	if _, err := b.output(ctx, "rm", "--all"); err != nil {
		errs = append(errs, err)
	}
	if _, err := b.output(ctx, "rmi", "--all", "--force"); err != nil {
		errs = append(errs, err)
	}
	if err := os.RemoveAll(b.dir); err != nil {
		errs = append(errs, fmt.Errorf("remove buildah storage: %w", err))
	}
	return errors.Join(errs...)
}
