// Package imagebuild assembles, with buildah and no registry, the images runner-test builds
// the action's Dockerfile on: an offline stand-in for the Go build stage's base image, made
// from the local Go toolchain (see BuildGoBase), and a busybox job image. The images live in
// a private vfs storage root that a podman engine can share.
package imagebuild

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
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
