// Package runnertest runs this repository's action under real third-party runners (nektos/act
// and Gitea's act fork) on a podman engine of its own, with no Docker engine and no reachable
// container registry: it installs what it needs (Debian packages, the runners from the Go
// module proxy), assembles a Go base image and a job image locally, serves a throwaway copy
// of the checkout as the job's repository, and rehearses the release against a registry on
// 127.0.0.1. internal/cmd/runnertest is its command.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Podman is a podman engine whose storage, configuration and Docker-compatible API socket
// all live under one directory. Its storage is the one imagebuild.New(dir, …) uses, so
// images assembled with buildah are the engine's images.
type Podman struct {
	dir string
	env []string
	log io.Writer
	d   *daemon
	// Socket is the path of the API socket; DOCKER_HOST=unix://<Socket> points a runner at it.
	Socket string
}

// PodmanConfig is what differs between engines.
type PodmanConfig struct {
	// InsecureRegistries are host:port registries reached over plain http.
	InsecureRegistries []string
}

// configFiles returns the contents of storage.conf, containers.conf and registries.conf for
// an engine under dir (see runners.md: vfs storage, the host's network, ulimits this
// machine allows, cgroupfs and runc).
func configFiles(dir string, cfg PodmanConfig) (storage, containers, registries string) {
	storage = fmt.Sprintf(`[storage]
driver = "vfs"
runroot = %q
graphroot = %q
`, filepath.Join(dir, "runroot"), filepath.Join(dir, "root"))
	containers = fmt.Sprintf(`[containers]
netns = "host"
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = %q
# conmon leaves ten seconds after an exec session ends instead of five minutes (at 0 it
# removes the session before act has read its exit code).
exit_command_delay = 10
runtime = "runc"
tmp_dir = %q
`, filepath.Join(dir, "events.log"), filepath.Join(dir, "tmp"))
	var b strings.Builder
	b.WriteString("unqualified-search-registries = []\n")
	for _, r := range cfg.InsecureRegistries {
		fmt.Fprintf(&b, "\n[[registry]]\nlocation = %q\ninsecure = true\n", r)
	}
	return storage, containers, b.String()
}

// StartPodman writes the engine's configuration under dir, starts `podman system service`
// on dir/podman.sock and waits until it answers /_ping. The service's output goes to log.
// It fails when podman does not start or does not answer within a minute; Stop undoes it.
func StartPodman(ctx context.Context, dir string, cfg PodmanConfig, log io.Writer) (*Podman, error) {
	storage, containers, registries := configFiles(dir, cfg)
	files := map[string]string{
		"storage.conf":    storage,
		"containers.conf": containers,
		"registries.conf": registries,
	}
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o700); err != nil {
		return nil, err
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return nil, err
		}
	}
	p := &Podman{
		dir: dir,
		log: log,
		env: append(os.Environ(),
			"CONTAINERS_STORAGE_CONF="+filepath.Join(dir, "storage.conf"),
			"CONTAINERS_CONF="+filepath.Join(dir, "containers.conf"),
			"CONTAINERS_REGISTRIES_CONF="+filepath.Join(dir, "registries.conf"),
		),
		Socket: filepath.Join(dir, "podman.sock"),
	}
	// Not tied to ctx: Stop ends it, so that cleanup can still talk to it after a cancel.
	svc := exec.CommandContext(context.WithoutCancel(ctx), "podman", "system", "service", "--time=0", "unix://"+p.Socket)
	svc.Env, svc.Stdout, svc.Stderr = p.env, log, log
	var err error
	if p.d, err = startDaemon("podman system service", svc); err != nil {
		return nil, err
	}
	if err := p.d.waitHTTP(ctx, p.Client(), "http://podman/_ping", time.Minute); err != nil {
		return nil, errors.Join(err, p.Stop())
	}
	return p, nil
}

// Env is the environment podman commands need to use this engine (CONTAINERS_* files).
func (p *Podman) Env() []string { return p.env }

// Client is an HTTP client that talks to the engine's API socket.
func (p *Podman) Client() *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", p.Socket)
		},
	}}
}

// command returns a podman command against this engine.
func (p *Podman) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "podman", args...)
	cmd.Env = p.env
	return cmd
}

// Podman runs a podman command against this engine, its output going to the log.
func (p *Podman) Podman(ctx context.Context, args ...string) error {
	cmd := p.command(ctx, args...)
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("podman %s: %w", strings.Join(args, " "), err)
	}
	return nil
}

// Output runs a podman command against this engine and returns its standard output.
func (p *Podman) Output(ctx context.Context, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := p.command(ctx, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("podman %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// Stop removes every container the engine still has, then stops the service (SIGTERM, and
// SIGKILL after ten seconds) and waits for it.
func (p *Podman) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var errs []error
	if err := p.Podman(ctx, "rm", "--all", "--force", "--time", "0"); err != nil {
		errs = append(errs, err)
	}
	if err := p.d.stop(10 * time.Second); err != nil {
		errs = append(errs, err)
	}
	// conmon processes outlive the service by exit_command_delay; wait for them.
	if err := waitNoProcesses(p.dir, 20*time.Second); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
