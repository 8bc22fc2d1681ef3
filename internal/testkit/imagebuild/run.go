package imagebuild

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
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
	// TermDelay and KillDelay say how the program is stopped once ctx is done: SIGINT at
	// once, SIGTERM TermDelay later, SIGKILL KillDelay after that, as the GitHub runner
	// stops a cancelled `docker run`. Zero means the runner's 7.5 s and 2.5 s.
	TermDelay, KillDelay time.Duration
}

// Run starts opts.Entrypoint in a fresh container of image, on the host's network (so the
// program reaches servers on 127.0.0.1), waits for it, removes the container, and returns
// the program's exit code, as `docker run --rm --network host --entrypoint` would. An error
// means the program could not be run at all.
func (b *Buildah) Run(ctx context.Context, image string, opts RunOptions) (int, error) {
	ctr, err := b.from(ctx, image)
	if err != nil {
		return 0, err
	}
	defer func() { _ = b.rm(ctx, ctr) }()

	// Not cancelled with ctx: buildah answers SIGINT by killing the program outright, so
	// the signals go to the program itself (see stopOnCancel).
	cmd := exec.CommandContext(context.WithoutCancel(ctx), "buildah", append(b.globalArgs(), runArgs(ctr, opts)...)...)
	stderr := &statusFilter{w: writerOrDiscard(opts.Stderr)}
	cmd.Stdout, cmd.Stderr = opts.Stdout, stderr
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start buildah run: %w", err)
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		stopOnCancel(ctx, cmd.Process, done, opts.TermDelay, opts.KillDelay)
	}()
	err = cmd.Wait()
	close(done)
	<-stopped
	stderr.flush()
	if err == nil {
		return 0, nil
	}
	if code, ok := stderr.exitCode(); ok {
		return code, nil
	}
	return 0, fmt.Errorf("buildah run %s: %w: %s", opts.Entrypoint, err, stderr.failure())
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

// stopOnCancel waits for ctx to be done, then signals the program buildah runs (SIGINT,
// SIGTERM after term, SIGKILL to buildah after kill), until done is closed.
func stopOnCancel(ctx context.Context, buildah *os.Process, done <-chan struct{}, term, kill time.Duration) {
	if term <= 0 {
		term = 7500 * time.Millisecond
	}
	if kill <= 0 {
		kill = 2500 * time.Millisecond
	}
	select {
	case <-done:
		return
	case <-ctx.Done():
	}
	signalProgram(buildah.Pid, syscall.SIGINT)
	for _, s := range []struct {
		after time.Duration
		send  func()
	}{
		{term, func() { signalProgram(buildah.Pid, syscall.SIGTERM) }},
		{kill, func() { _ = buildah.Kill() }},
	} {
		t := time.NewTimer(s.after)
		select {
		case <-done:
			t.Stop()
			return
		case <-t.C:
			s.send()
		}
	}
}

// signalProgram sends sig to the program a `buildah run` process started: with chroot
// isolation that is the child of the buildah-chroot-exec process below it.
func signalProgram(buildahPid int, sig syscall.Signal) {
	children := childProcesses()
	var walk func(pid int)
	walk = func(pid int) {
		for _, c := range children[pid] {
			if argv0(pid) == "buildah-chroot-exec" {
				_ = syscall.Kill(c, sig)
				continue
			}
			walk(c)
		}
	}
	walk(buildahPid)
}

// childProcesses maps each process ID to its children's, from /proc.
func childProcesses() map[int][]int {
	children := make(map[int][]int)
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		s := string(data)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(s[i+1:])
		pid, err1 := strconv.Atoi(strings.Fields(s)[0])
		if len(fields) < 2 || err1 != nil {
			continue
		}
		if ppid, err := strconv.Atoi(fields[1]); err == nil {
			children[ppid] = append(children[ppid], pid)
		}
	}
	return children
}

func argv0(pid int) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return ""
	}
	arg, _, _ := bytes.Cut(data, []byte{0})
	return filepath.Base(string(arg))
}

func writerOrDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// statusFilter passes a `buildah run` process's stderr on, line by line, less the lines
// buildah adds about how the program ended, which it keeps.
type statusFilter struct {
	w       io.Writer
	partial []byte
	status  []string
	last    string
}

// buildahStatus tells buildah's own lines: how the program ended, or why it did not start,
// and buildah's closing "Error: exit status N".
var buildahStatus = regexp.MustCompile(`^(subprocess exited |process failed to start|process exited with error|Error: exit status \d+$)`)

func (f *statusFilter) Write(p []byte) (int, error) {
	f.partial = append(f.partial, p...)
	for {
		i := bytes.IndexByte(f.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		f.line(f.partial[:i+1])
		f.partial = f.partial[i+1:]
	}
}

func (f *statusFilter) line(l []byte) {
	text := strings.TrimRight(string(l), "\n")
	if buildahStatus.MatchString(text) {
		f.status = append(f.status, text)
		return
	}
	if text != "" {
		f.last = text
	}
	_, _ = f.w.Write(l)
}

func (f *statusFilter) flush() {
	if len(f.partial) > 0 {
		f.line(f.partial)
		f.partial = nil
	}
}

// exitCode reads the program's exit code from buildah's report: "subprocess exited with
// status N", or "subprocess exited on SIGNAL" (128 + the signal's number, as Docker reports
// it). ok is false when the program did not run.
func (f *statusFilter) exitCode() (code int, ok bool) {
	for _, s := range f.status {
		if strings.HasPrefix(s, "process failed to start") {
			return 0, false
		}
	}
	for _, s := range f.status {
		if n, found := strings.CutPrefix(s, "subprocess exited with status "); found {
			code, err := strconv.Atoi(n)
			return code, err == nil
		}
		if name, found := strings.CutPrefix(s, "subprocess exited on "); found {
			for sig := syscall.Signal(1); sig < 32; sig++ {
				if sig.String() == name {
					return 128 + int(sig), true
				}
			}
		}
	}
	return 0, false
}

// failure says why the program did not run: buildah's status lines, or else the last line
// of stderr.
func (f *statusFilter) failure() string {
	if len(f.status) > 0 {
		return strings.Join(f.status, "; ")
	}
	return f.last
}
