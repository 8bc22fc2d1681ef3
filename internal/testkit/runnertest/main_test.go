// Package runnertest runs the action under real runners nobody here wrote (nektos/act and
// Gitea's act fork) on a podman engine of its own, against the fake Reoclo API on 127.0.0.1:
// the workflows under testdata/workflows (workflows_test.go), the image's static checks
// (image_test.go), a rehearsal of the release (release_test.go) and a build with Docker's
// classic builder (classic_test.go).
//
// Every test is skipped unless RUNNER_TEST=1. Then TestMain, as root, installs what is
// missing (Debian packages with apt-get; act and Gitea's act with the go command, cached
// under the user cache dir), assembles a Go base image and a busybox job image offline,
// starts podman's Docker-compatible service (vfs storage, host network) and a registry on
// 127.0.0.1, and removes all of it at the end. `make runner-test` runs it.
package runnertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	actVersion      = "v0.2.89"
	giteaActVersion = "v0.261.10"
	// jobImage runs the jobs and goImage is the Dockerfile's GO_IMAGE: see testdata/Containerfile.
	jobImage = "localhost/runnertest-job:1"
	goImage  = "localhost/runnertest-gobase:1"
)

// debianPackages maps the Debian packages the tests need to a file that shows each is there.
var debianPackages = map[string]string{
	"podman": "/usr/bin/podman", "runc": "/usr/sbin/runc", "busybox-static": "/bin/busybox",
	"docker-registry": "/usr/bin/docker-registry", "docker.io": "/usr/sbin/dockerd", "git": "/usr/bin/git",
}

// shared is what TestMain set up; nil unless RUNNER_TEST=1.
var shared *setup

// setup is the machinery every test shares.
type setup struct {
	start     time.Time
	src, tmp  string            // the checkout; a private directory holding everything else
	runners   map[string]string // "act" and "gitea-act" to their binaries
	podmanEnv []string          // what podman commands and the runners add to the environment
	registry  string            // host:port of the registry
	cleanups  []func() error
	once      sync.Once
}

// need returns the set-up, or skips the test unless RUNNER_TEST=1.
func need(t *testing.T) *setup {
	t.Helper()
	if shared == nil {
		t.Skip("real runners: set RUNNER_TEST=1 (as root; `make runner-test`)")
	}
	return shared
}

// TestMain runs the tests, inside the set-up and tear-down when RUNNER_TEST=1.
func TestMain(m *testing.M) {
	if os.Getenv("RUNNER_TEST") != "1" {
		os.Exit(m.Run())
	}
	s := &setup{start: time.Now()}
	// Ctrl-C: the daemons are in process groups of their own, so take them down here.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() { <-sig; _ = s.tearDown(); os.Exit(130) }()
	code := 1
	if err := s.setUp(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "runnertest: set-up failed:", err)
	} else {
		shared = s
		code = m.Run()
	}
	if err := s.tearDown(); err != nil {
		fmt.Fprintln(os.Stderr, "runnertest: tear-down:", err)
		code = 1
	}
	s.logf("done")
	os.Exit(code)
}

// logf prints a step of the set-up with the time since the start.
func (s *setup) logf(format string, args ...any) {
	fmt.Printf("runnertest: [%6.1fs] %s\n", time.Since(s.start).Seconds(), fmt.Sprintf(format, args...))
}

// setUp installs what is missing, starts the registry and podman, and builds the images.
func (s *setup) setUp(ctx context.Context) (err error) {
	if os.Geteuid() != 0 {
		return errors.New("run as root: podman and dockerd need it here, and apt-get to install them")
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return err
	}
	if s.src, err = filepath.Abs("../../.."); err != nil {
		return err
	}
	// cmd runs a command unless one has failed already, and returns its output.
	cmd := func(dir string, env []string, args ...string) (out string) {
		if err == nil {
			out, err = run(ctx, dir, env, args[0], args[1:]...)
		}
		return out
	}
	var missing []string
	for pkg, file := range debianPackages {
		if _, err := os.Stat(file); err != nil {
			missing = append(missing, pkg)
		}
	}
	if len(missing) > 0 {
		s.logf("apt-get install %s", strings.Join(missing, " "))
		cmd("", nil, "apt-get", "update", "-q")
		cmd("", []string{"DEBIAN_FRONTEND=noninteractive"}, append([]string{"apt-get", "install", "-y", "-q"}, missing...)...)
	}
	bin := filepath.Join(cache, "docker-auth-runnertest", "bin")
	s.runners = map[string]string{"act": filepath.Join(bin, "act"), "gitea-act": filepath.Join(bin, "gitea-act")}
	s.logf("act %s and Gitea's act %s into %s", actVersion, giteaActVersion, bin)
	modcache, goroot := cmd("", nil, "go", "env", "GOMODCACHE"), cmd("", nil, "go", "env", "GOROOT")
	cmd("", []string{"GOBIN=" + bin}, "go", "install", "github.com/nektos/act@"+actVersion)
	// Gitea's act cannot be `go install`ed by version: build it in the downloaded module.
	cmd(os.TempDir(), nil, "go", "mod", "download", "gitea.com/gitea/act@"+giteaActVersion)
	cmd(filepath.Join(modcache, "gitea.com/gitea/act@"+giteaActVersion), nil, "go", "build", "-o", s.runners["gitea-act"], ".")
	cmd(s.src, nil, "go", "mod", "download") // what the image build takes from the module cache
	if err != nil {
		return err
	}
	// A short path: it holds unix sockets.
	if s.tmp, err = os.MkdirTemp("", "rt-"); err != nil {
		return err
	}
	s.cleanups = append(s.cleanups, func() error { return os.RemoveAll(s.tmp) })
	if err := s.startRegistry(ctx); err != nil {
		return err
	}
	if err := s.startPodman(ctx); err != nil {
		return err
	}
	s.logf("podman build %s and %s", jobImage, goImage)
	dir := filepath.Join(s.tmp, "images")
	cmd("", nil, "mkdir", "-p", dir)
	cmd("", nil, "cp", "testdata/Containerfile", "/bin/busybox", "/etc/ssl/certs/ca-certificates.crt", dir)
	cmd("", s.podmanEnv, "podman", "build", "--target", "job", "--tag", jobImage, dir)
	cmd("", s.podmanEnv, "podman", "build", "--tag", goImage, "--volume", goroot+":/goroot:ro",
		"--volume", modcache+":/gomodcache:ro", "--volume", s.src+":/warm:ro", dir)
	return err
}

// startRegistry starts Debian's docker-registry on 127.0.0.1.
func (s *setup) startRegistry(ctx context.Context) error {
	l, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.registry = l.Addr().String()
	l.Close()
	config := filepath.Join(s.tmp, "registry.yml")
	if err := os.WriteFile(config, fmt.Appendf(nil, "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n",
		filepath.Join(s.tmp, "registry"), s.registry), 0o644); err != nil {
		return err
	}
	s.logf("docker-registry on %s", s.registry)
	_, err = s.daemon(ctx, filepath.Join(s.tmp, "registry"), "http://"+s.registry+"/v2/", "", nil, "docker-registry", "serve", config)
	return err
}

// startPodman configures an engine under tmp/engine (as shared/docs/runners.md says: vfs storage, the
// host's network, ulimits and a runtime this machine allows, the registry as insecure) and
// starts its Docker-compatible service.
func (s *setup) startPodman(ctx context.Context) error {
	dir := filepath.Join(s.tmp, "engine")
	files := map[string]string{
		"storage.conf": fmt.Sprintf("[storage]\ndriver = \"vfs\"\nrunroot = %q\ngraphroot = %q\n",
			filepath.Join(dir, "runroot"), filepath.Join(dir, "root")),
		"containers.conf": fmt.Sprintf(`[containers]
netns = "host"
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = %q
# conmon leaves ten seconds after an exec session ends (at 0 it removes the session before
# act has read its exit code).
exit_command_delay = 10
runtime = "runc"
tmp_dir = %q
`, filepath.Join(dir, "events.log"), filepath.Join(dir, "tmp")),
		"registries.conf": fmt.Sprintf("unqualified-search-registries = []\n[[registry]]\nlocation = %q\ninsecure = true\n", s.registry),
	}
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o700); err != nil {
		return err
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	sock := filepath.Join(dir, "podman.sock")
	s.podmanEnv = []string{"DOCKER_HOST=unix://" + sock,
		"CONTAINERS_STORAGE_CONF=" + filepath.Join(dir, "storage.conf"),
		"CONTAINERS_CONF=" + filepath.Join(dir, "containers.conf"),
		"CONTAINERS_REGISTRIES_CONF=" + filepath.Join(dir, "registries.conf")}
	s.logf("podman system service (vfs, host network)")
	if _, err := s.daemon(ctx, dir, "http://podman/_ping", sock, s.podmanEnv, "podman", "system", "service", "--time=0", "unix://"+sock); err != nil {
		return err
	}
	s.cleanups = append(s.cleanups, func() error {
		_, err := s.podman(context.Background(), "rm", "--all", "--force", "--time", "0")
		return err
	})
	return nil
}

// podman runs podman against the engine and returns its standard output.
func (s *setup) podman(ctx context.Context, args ...string) (string, error) {
	return run(ctx, "", s.podmanEnv, "podman", args...)
}

// daemon starts a server in a process group of its own, logging to tmp/<name>.log, and waits
// until url answers 200 (through the unix socket sock, if not empty). stop, which tear-down
// calls too, ends it, then waits for (and at worst kills) what it left that still uses dir:
// conmon outlives podman's service.
func (s *setup) daemon(ctx context.Context, dir, url, sock string, env []string, name string, args ...string) (stop func() error, err error) {
	logName := filepath.Join(s.tmp, name+".log")
	log, err := os.Create(logName)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(context.WithoutCancel(ctx), name, args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = append(os.Environ(), env...), log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); log.Close(); close(exited) }()
	stop = sync.OnceValue(func() error {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		return killUnder(dir, 30*time.Second)
	})
	s.cleanups = append(s.cleanups, stop)
	client := &http.Client{Timeout: 5 * time.Second}
	if sock != "" {
		client.Transport = &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, errors.Join(err, stop())
	}
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return stop, nil
			}
		}
		select {
		case <-exited:
			deadline = time.Time{}
		default:
		}
	}
	data, _ := os.ReadFile(logName)
	return nil, errors.Join(fmt.Errorf("%s did not answer %s; its log:\n%s", name, url, tail(string(data))), stop())
}

// tearDown runs the clean-ups, last first, once.
func (s *setup) tearDown() (err error) {
	s.once.Do(func() {
		for i := len(s.cleanups) - 1; i >= 0; i-- {
			err = errors.Join(err, s.cleanups[i]())
		}
	})
	return err
}

// killUnder waits until no process has an argument under dir, then kills by ID what is left
// after limit, and reports it.
func killUnder(dir string, limit time.Duration) error {
	for deadline := time.Now().Add(limit); ; time.Sleep(250 * time.Millisecond) {
		var pids []int
		procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
		for _, p := range procs {
			cmdline, _ := os.ReadFile(p)
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			if pid != os.Getpid() && bytes.Contains(cmdline, []byte(dir+"/")) {
				pids = append(pids, pid)
			}
		}
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			for _, pid := range pids {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			return fmt.Errorf("killed %v, still using %s after %s", pids, dir, limit)
		}
	}
}

// run runs a command in dir (if not empty) with os.Environ() and env, and returns its trimmed
// standard output; its error carries the end of its standard error.
func run(ctx context.Context, dir string, env []string, name string, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, append(os.Environ(), env...), &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, tail(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// tail is the last 8 KiB of a log.
func tail(log string) string {
	return log[max(0, len(log)-8<<10):]
}
