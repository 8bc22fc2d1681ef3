package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Runner is one of the runners under test: nektos/act or Gitea's act fork, which share
// their command line.
type Runner struct {
	// Name is "act" or "gitea-act".
	Name string
	// Bin is the runner's binary.
	Bin string
	// RunsPost says whether the runner runs a container action's post entry point.
	RunsPost bool
}

// Run is what a runner should run.
type Run struct {
	// Workflow is the workflow file, relative to the workspace.
	Workflow string
	// JobImage is the image for runs-on: ubuntu-latest.
	JobImage string
	// Env and Secrets are passed with --env and --secret.
	Env, Secrets map[string]string
	// Timeout bounds the run.
	Timeout time.Duration
}

// RunResult is what a run produced.
type RunResult struct {
	// ExitCode is the runner's exit code: non-zero when the job failed.
	ExitCode int
	// Log is the runner's output, stdout and stderr interleaved.
	Log string
	// Duration is how long the run took.
	Duration time.Duration
}

// Run runs the workflow's push event in the workspace with the runner, against the engine,
// in a home directory of its own under home. The log is also copied to tee when not nil.
// It fails only when the runner could not be run or timed out; a failed job is an exit code.
func (r Runner) Run(ctx context.Context, ws *Workspace, p *Podman, home string, run Run, tee io.Writer) (RunResult, error) {
	args := []string{"push",
		"--workflows", run.Workflow,
		"--platform", "ubuntu-latest=" + run.JobImage,
		"--pull=false",
		// Build a local action's image only when the engine lacks it: once for the main
		// step, not again for the post step (see RemoveActionImages).
		"--rebuild=false",
		"--container-daemon-socket", "-",
	}
	for _, k := range slices.Sorted(maps.Keys(run.Env)) {
		args = append(args, "--env", k+"="+run.Env[k])
	}
	for _, k := range slices.Sorted(maps.Keys(run.Secrets)) {
		args = append(args, "--secret", k+"="+run.Secrets[k])
	}
	if err := os.MkdirAll(home, 0o700); err != nil {
		return RunResult{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, run.Timeout)
	defer cancel()
	var log bytes.Buffer
	w := io.Writer(&log)
	if tee != nil {
		w = io.MultiWriter(&log, tee)
	}
	cmd := exec.CommandContext(ctx, r.Bin, args...)
	cmd.Dir = ws.Dir
	cmd.Env = append(p.Env(),
		"DOCKER_HOST=unix://"+p.Socket,
		"HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
	)
	cmd.Stdout, cmd.Stderr = w, w
	cmd.WaitDelay = 10 * time.Second
	start := time.Now()
	err := cmd.Run()
	res := RunResult{Log: log.String(), Duration: time.Since(start)}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return res, fmt.Errorf("%s did not finish within %s: %w", r.Name, run.Timeout, ctx.Err())
	case errors.As(err, &exit):
		res.ExitCode = exit.ExitCode()
	case err != nil:
		return res, fmt.Errorf("run %s: %w", r.Name, err)
	}
	return res, nil
}

// RemoveActionImages removes the images the runners built for local actions (named
// act-…, which podman's Docker-compatible API files under docker.io/library/), so that the
// next run builds them again from the Dockerfile.
func RemoveActionImages(ctx context.Context, p *Podman) error {
	out, err := p.Output(ctx, "images", "--format", "{{.Repository}}:{{.Tag}}")
	if err != nil {
		return err
	}
	var refs []string
	for _, ref := range strings.Fields(out) {
		if strings.HasPrefix(path.Base(ref), "act-") {
			refs = append(refs, ref)
		}
	}
	if len(refs) == 0 {
		return nil
	}
	return p.Podman(ctx, append([]string{"rmi", "--force"}, refs...)...)
}
