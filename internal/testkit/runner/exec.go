package runner

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"syscall"
	"time"
)

// The paths at which the runner mounts the job's directories into an action's container.
const (
	ContainerWorkspace    = "/github/workspace"
	ContainerHome         = "/github/home"
	ContainerWorkflow     = "/github/workflow"
	ContainerFileCommands = "/github/file_commands"
	ContainerRunnerTemp   = "/github/runner_temp"
)

// Mount is a host directory and the path at which a container sees it.
type Mount struct {
	Host      string
	Container string
}

// Invocation is everything an [Exec] needs to start one entry point.
type Invocation struct {
	// Entrypoint is runs.entrypoint or runs.post-entrypoint, verbatim: one path, not split. It gets
	// no arguments (runs.args is not emulated).
	Entrypoint string
	// Env is the complete environment, sorted "KEY=VALUE" entries. Pass it as it is and add nothing
	// from the host: the runner builds a container's environment from scratch (a container still
	// gets its image's own ENV, such as PATH, as with docker run). Paths in it are container paths
	// when the Exec runs in a container, host paths otherwise.
	Env []string
	// Dir is the working directory as the process sees it (/github/workspace in a container).
	Dir string
	// Mounts lists the directories a container must mount (workspace, home, workflow,
	// file_commands, runner_temp), host path to container path. A host Exec ignores it.
	Mounts []Mount
	// Stdout and Stderr receive the process's output streams. Write them as the process writes;
	// the runner processes them line by line.
	Stdout, Stderr io.Writer
}

// Exec starts entry points.
type Exec interface {
	// InContainer reports whether Run starts the entry point in a container that mounts
	// Invocation.Mounts, so that the environment must carry the container paths.
	InContainer() bool
	// Run runs the entry point to completion and returns its exit code. An error means the entry
	// point could not be run at all (a problem of the test harness, not of the action). When ctx is
	// done, Run should stop the process as the runner does (SIGINT, then SIGTERM, then SIGKILL) and
	// still return its exit code.
	Run(ctx context.Context, inv *Invocation) (exitCode int, err error)
}

// ContainerExec adapts run, which starts inv.Entrypoint inside a container (mounting inv.Mounts,
// with exactly inv.Env, in inv.Dir), into an [Exec] whose InContainer is true.
func ContainerExec(run func(ctx context.Context, inv *Invocation) (exitCode int, err error)) Exec {
	return containerExec(run)
}

type containerExec func(ctx context.Context, inv *Invocation) (int, error)

func (containerExec) InContainer() bool { return true }

func (f containerExec) Run(ctx context.Context, inv *Invocation) (int, error) { return f(ctx, inv) }

// HostExecutor runs entry points as host binaries. The entry point's base name selects a file in
// BinDir: /docker-auth runs BinDir/docker-auth, /docker-auth-post runs BinDir/docker-auth-post (a
// link or copy), so the program sees the invoked name in os.Args[0] as it would in the image.
type HostExecutor struct {
	BinDir string
	// TermDelay and KillDelay give the escalation when the context is done: SIGINT at once, SIGTERM
	// TermDelay later, SIGKILL KillDelay after that. HostExec sets the runner's 7.5 s and 2.5 s;
	// zero values escalate at once.
	TermDelay, KillDelay time.Duration
}

// HostExec returns a [HostExecutor] for binDir with the runner's cancellation delays.
func HostExec(binDir string) *HostExecutor {
	return &HostExecutor{BinDir: binDir, TermDelay: 7500 * time.Millisecond, KillDelay: 2500 * time.Millisecond}
}

// InContainer reports false: the process sees host paths.
func (h *HostExecutor) InContainer() bool { return false }

// Run starts BinDir/<base name of inv.Entrypoint> with exactly inv.Env, in inv.Dir.
// The context must not be done yet (run a post step with a fresh one, as the runner does after a
// cancellation).
func (h *HostExecutor) Run(ctx context.Context, inv *Invocation) (int, error) {
	bin := filepath.Join(h.BinDir, path.Base(inv.Entrypoint))
	if _, err := os.Stat(bin); err != nil {
		return 0, fmt.Errorf("entry point %q: %w", inv.Entrypoint, err)
	}
	done := make(chan struct{})
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = inv.Env
	cmd.Dir = inv.Dir
	cmd.Stdout = inv.Stdout
	cmd.Stderr = inv.Stderr
	cmd.Cancel = func() error {
		go h.terminateLater(cmd.Process, done)
		return cmd.Process.Signal(os.Interrupt)
	}
	// After a cancellation, and after an exit whose grandchildren keep the pipes open, Wait
	// gives up after this long and kills the process.
	cmd.WaitDelay = max(h.TermDelay+h.KillDelay, time.Nanosecond)
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start entry point %q: %w", inv.Entrypoint, err)
	}
	err := cmd.Wait()
	close(done)
	if cmd.ProcessState == nil {
		return 0, fmt.Errorf("wait for entry point %q: %w", inv.Entrypoint, err)
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	return cmd.ProcessState.ExitCode(), nil
}

// terminateLater sends SIGTERM TermDelay after the interrupt, unless the process is done by then.
func (h *HostExecutor) terminateLater(p *os.Process, done <-chan struct{}) {
	t := time.NewTimer(h.TermDelay)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		_ = p.Signal(syscall.SIGTERM)
	}
}
