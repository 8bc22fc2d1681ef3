package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// daemon is a background server process of the test's own, in a process group of its own.
type daemon struct {
	name   string
	cmd    *exec.Cmd
	exited chan struct{}
}

func startDaemon(name string, cmd *exec.Cmd) (*daemon, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	d := &daemon{name: name, cmd: cmd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(d.exited)
	}()
	return d, nil
}

// waitHTTP polls url through c until it answers 200, the daemon exits or limit passes.
func (d *daemon) waitHTTP(ctx context.Context, c *http.Client, url string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if resp, err := c.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-d.exited:
			return fmt.Errorf("%s exited before it answered %s", d.name, url)
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer %s: %w", d.name, url, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// stop sends SIGTERM to the daemon's process group, SIGKILL after grace, and waits.
func (d *daemon) stop(grace time.Duration) error {
	_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-d.exited:
		return nil
	case <-time.After(grace):
		_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		<-d.exited
		return fmt.Errorf("%s ignored SIGTERM for %s", d.name, grace)
	}
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(ctx context.Context) (int, error) {
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return 0, fmt.Errorf("listener address %v is not TCP", l.Addr())
	}
	return addr.Port, l.Close()
}

// Registry is Debian's docker-registry (the CNCF distribution registry) serving plain http
// on 127.0.0.1, with its storage under a directory of its own.
type Registry struct {
	d *daemon
	// Addr is host:port.
	Addr string
	log  *lockedBuffer
}

// StartRegistry starts a registry storing under dir and waits until it answers /v2/.
func StartRegistry(ctx context.Context, dir string) (*Registry, error) {
	port, err := freePort(ctx)
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	config := fmt.Sprintf(`version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: %s
http:
  addr: %s
`, filepath.Join(dir, "data"), addr)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	cfg := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfg, []byte(config), 0o644); err != nil {
		return nil, err
	}
	r := &Registry{Addr: addr, log: &lockedBuffer{}}
	// Not cancelled with ctx: Stop ends it.
	cmd := exec.CommandContext(context.WithoutCancel(ctx), "docker-registry", "serve", cfg)
	cmd.Stdout, cmd.Stderr = r.log, r.log
	if r.d, err = startDaemon("docker-registry", cmd); err != nil {
		return nil, err
	}
	if err := r.d.waitHTTP(ctx, http.DefaultClient, "http://"+addr+"/v2/", 30*time.Second); err != nil {
		return nil, errors.Join(fmt.Errorf("%w; its log:\n%s", err, r.log.String()), r.Stop())
	}
	return r, nil
}

// Log is what the registry logged so far, access log included.
func (r *Registry) Log() string { return r.log.String() }

// Stop stops the registry.
func (r *Registry) Stop() error { return r.d.stop(10 * time.Second) }

// Dockerd is Debian's Docker daemon (docker.io) with vfs storage and no networking
// features, data and exec roots under a directory of its own: enough to build with the
// classic builder.
type Dockerd struct {
	d *daemon
	// Host is the DOCKER_HOST value that reaches it.
	Host string
	dir  string
	log  io.Writer
}

// StartDockerd starts dockerd under dir (keep the path short: it holds a unix socket) and
// waits until it answers /_ping. Its output goes to log.
func StartDockerd(ctx context.Context, dir string, log io.Writer) (*Dockerd, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	sock := filepath.Join(dir, "docker.sock")
	// Not cancelled with ctx: Stop ends it.
	cmd := exec.CommandContext(context.WithoutCancel(ctx), "dockerd",
		"--host", "unix://"+sock,
		"--data-root", filepath.Join(dir, "data"),
		"--exec-root", filepath.Join(dir, "exec"),
		"--pidfile", filepath.Join(dir, "dockerd.pid"),
		"--storage-driver", "vfs",
		"--iptables=false", "--ip-forward=false", "--ip-masq=false", "--bridge=none",
	)
	cmd.Stdout, cmd.Stderr = log, log
	d, err := startDaemon("dockerd", cmd)
	if err != nil {
		return nil, err
	}
	dd := &Dockerd{d: d, Host: "unix://" + sock, dir: dir, log: log}
	c := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var dl net.Dialer
			return dl.DialContext(ctx, "unix", sock)
		},
	}}
	if err := d.waitHTTP(ctx, c, "http://docker/_ping", time.Minute); err != nil {
		return nil, errors.Join(err, dd.Stop())
	}
	return dd, nil
}

// Docker runs the docker client against this daemon with extra environment env; its
// standard output goes to out, its standard error to the daemon's log.
func (d *Dockerd) Docker(ctx context.Context, env []string, out io.Writer, args ...string) error {
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Env = append(append(os.Environ(), "DOCKER_HOST="+d.Host, "DOCKER_CONFIG="+filepath.Join(d.dir, "config")), env...)
	cmd.Stdout, cmd.Stderr = out, d.log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("docker %s: %w", strings.Join(args, " "), err)
	}
	return nil
}

// Stop stops dockerd (and the containerd it started) and waits for it.
func (d *Dockerd) Stop() error { return d.d.stop(20 * time.Second) }

// lockedBuffer is a strings.Builder safe for a process's concurrent writes and reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitNoProcesses waits until no process's command line names a path under dir (conmon's
// do, for the containers of an engine under dir), then kills by process ID whatever is
// left after limit, and reports it.
func waitNoProcesses(dir string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		pids := processesUnder(dir)
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			for _, pid := range pids {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			return fmt.Errorf("killed %d process(es) still using %s after %s: %v", len(pids), dir, limit, pids)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// processesUnder returns the IDs of the processes whose command line has an argument in dir.
func processesUnder(dir string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	prefix := filepath.Clean(dir) + "/"
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		for _, arg := range strings.Split(string(cmdline), "\x00") {
			if strings.HasPrefix(arg, prefix) {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}
