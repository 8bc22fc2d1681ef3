package imagebuild

import (
	"context"
	"fmt"
	"io"
)

// Mount is a host directory bind-mounted into a container.
type Mount struct {
	// Source is the host path; Target the path inside the container.
	Source, Target string
}

// RunOptions says how Run starts a program in an image.
type RunOptions struct {
	// Entrypoint is the program to start, as `docker run --entrypoint` takes it: one path.
	Entrypoint string
	// Args follow it.
	Args []string
	// Env is added to the image's environment, as NAME=VALUE.
	Env []string
	// Mounts are bind-mounted read-write.
	Mounts []Mount
	// WorkDir is the working directory; empty keeps the image's.
	WorkDir string
	// Stdout and Stderr receive the program's output; nil discards it.
	Stdout, Stderr io.Writer
}

// Run starts opts.Entrypoint in a fresh container of image, on the host's network (so the
// program reaches servers on 127.0.0.1), waits for it and removes the container, as
// `docker run --rm --network host --entrypoint` would. A non-zero exit is an error that
// wraps an *exec.ExitError carrying the program's exit code. When ctx is cancelled the
// program gets SIGINT, then is killed 10 s later.
func (b *Buildah) Run(ctx context.Context, image string, opts RunOptions) error {
	ctr, err := b.from(ctx, image)
	if err != nil {
		return err
	}
	defer func() { _ = b.rm(ctx, ctr) }()
	cmd := b.command(ctx, runArgs(ctr, opts)...)
	cmd.Stdout, cmd.Stderr = opts.Stdout, opts.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("run %s in %s: %w", opts.Entrypoint, image, err)
	}
	return nil
}

func runArgs(ctr string, opts RunOptions) []string {
	args := []string{"run", "--isolation", "chroot", "--network", "host"}
	if opts.WorkDir != "" {
		args = append(args, "--workingdir", opts.WorkDir)
	}
	for _, m := range opts.Mounts {
		args = append(args, "--volume", m.Source+":"+m.Target)
	}
	for _, e := range opts.Env {
		args = append(args, "--env", e)
	}
	args = append(args, ctr, "--", opts.Entrypoint)
	return append(args, opts.Args...)
}
