package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/reoclo/docker-auth/internal/testkit/runner"
)

// timeBin is GNU time, which reports a command's peak RSS.
const timeBin = "/usr/bin/time"

// measuredExec is a host runner.Exec that times each run and takes the
// process's peak RSS from the kernel.
//
// The peak RSS cannot come from the rusage Go's os/exec returns: Go starts a
// child with vfork, sharing the parent's memory until exec, and Linux counts
// the parent's peak RSS into the child's ru_maxrss at exec time, so every
// child would look as large as the benchmark itself. GNU time forks a small
// process of its own, so its %M is the binary's own peak (it cannot be below
// time's fork, about 1 MB).
type measuredExec struct {
	binDir string
	// gnuTime is the path of GNU time, or "" to run without it (no RSS).
	gnuTime string
	// scratch holds the file GNU time writes its figure to.
	scratch string

	// Set by Run: the time from starting the process to having reaped it,
	// when it was reaped, and its peak RSS in KiB (-1 when not measured).
	took    time.Duration
	exited  time.Time
	peakKiB int64
}

// InContainer implements runner.Exec.
func (*measuredExec) InContainer() bool { return false }

// Run implements runner.Exec: it runs binDir/<base name of the entry point>
// with exactly the runner's environment, as runner.HostExec does.
func (e *measuredExec) Run(ctx context.Context, inv *runner.Invocation) (int, error) {
	bin := filepath.Join(e.binDir, path.Base(inv.Entrypoint))
	name, args := bin, []string(nil)
	rssFile := filepath.Join(e.scratch, "maxrss")
	if e.gnuTime != "" {
		_ = os.Remove(rssFile)
		args = []string{"-f", "%M", "-o", rssFile, bin}
		name = e.gnuTime
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = inv.Env
	cmd.Dir = inv.Dir
	cmd.Stdout, cmd.Stderr = inv.Stdout, inv.Stderr
	// Its own process group, so a cancellation reaches the binary under
	// GNU time (which ignores SIGINT itself).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) }
	cmd.WaitDelay = 5 * time.Second

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start %s: %w", bin, err)
	}
	err := cmd.Wait()
	e.exited = time.Now()
	e.took = e.exited.Sub(start)
	e.peakKiB = -1
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return 0, fmt.Errorf("wait for %s: %w", bin, err)
	}
	if e.gnuTime != "" {
		kib, err := readMaxRSS(rssFile)
		if err != nil {
			return 0, err
		}
		e.peakKiB = kib
	}
	return cmd.ProcessState.ExitCode(), nil
}

// readMaxRSS reads GNU time's %M figure: the last line of its output (a line
// "Command exited with non-zero status 1" may come first).
func readMaxRSS(file string) (int64, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, fmt.Errorf("read peak RSS: %w", err)
	}
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	kib, err := strconv.ParseInt(string(bytes.TrimSpace(lines[len(lines)-1])), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse peak RSS from %s: %q: %w", timeBin, b, err)
	}
	return kib, nil
}
