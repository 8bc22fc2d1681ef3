package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

// Versions of the runners under test.
const (
	ActModule       = "github.com/nektos/act"
	ActVersion      = "v0.2.89"
	GiteaActModule  = "gitea.com/gitea/act"
	GiteaActVersion = "v0.261.10"
)

// debianPackages are the Debian packages the test needs, each with a file that shows it is
// installed.
var debianPackages = []struct{ pkg, file string }{
	{"podman", "/usr/bin/podman"},
	{"runc", "/usr/sbin/runc"},
	{"buildah", "/usr/bin/buildah"},
	{"busybox-static", "/bin/busybox"},
	{"docker-registry", "/usr/bin/docker-registry"},
	{"docker.io", "/usr/sbin/dockerd"},
	{"git", "/usr/bin/git"},
}

// EnsurePackages installs with apt-get whichever of the Debian packages the test needs is
// missing (which needs root). apt-get's output goes to log. It returns the packages it
// installed.
func EnsurePackages(ctx context.Context, log io.Writer) ([]string, error) {
	var missing []string
	for _, p := range debianPackages {
		if _, err := os.Stat(p.file); err != nil {
			missing = append(missing, p.pkg)
		}
	}
	if len(missing) == 0 {
		return nil, nil
	}
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("missing Debian packages %v: run as root, or install them", missing)
	}
	env := append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	for _, args := range [][]string{
		{"update", "-q"},
		append([]string{"install", "-y", "-q"}, missing...),
	} {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env, cmd.Stdout, cmd.Stderr = env, log, log
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("apt-get %s: %w", args[0], err)
		}
	}
	for _, p := range debianPackages {
		if _, err := os.Stat(p.file); err != nil {
			return nil, fmt.Errorf("after apt-get install %s: %w", p.pkg, err)
		}
	}
	return missing, nil
}

// InstallAct builds nektos/act at ActVersion into binDir with `go install` (the Go build
// cache makes a second call quick) and returns the binary's path.
func InstallAct(ctx context.Context, binDir string, log io.Writer) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "install", ActModule+"@"+ActVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+binDir)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go install %s@%s: %w", ActModule, ActVersion, err)
	}
	return filepath.Join(binDir, "act"), nil
}

// InstallGiteaAct downloads Gitea's act fork at GiteaActVersion with `go mod download` and
// builds its main package into binDir (it cannot be `go install`ed by version), returning
// the binary's path.
func InstallGiteaAct(ctx context.Context, binDir string, log io.Writer) (string, error) {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", GiteaActModule+"@"+GiteaActVersion)
	cmd.Dir = os.TempDir() // outside any module: this must not touch our go.mod
	cmd.Stdout, cmd.Stderr = &out, log
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %w", GiteaActModule, GiteaActVersion, err)
	}
	var mod struct{ Dir, Error string }
	if err := json.Unmarshal(out.Bytes(), &mod); err != nil {
		return "", fmt.Errorf("go mod download -json: %w", err)
	}
	if mod.Error != "" || mod.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s: %s", GiteaActModule, GiteaActVersion, mod.Error)
	}
	bin := filepath.Join(binDir, "gitea-act")
	cmd = exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir, cmd.Stdout, cmd.Stderr = mod.Dir, log, log
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build %s@%s: %w", GiteaActModule, GiteaActVersion, err)
	}
	return bin, nil
}

// ModCache fills dir, a Go module cache of its own, with the modules the module in srcDir
// needs (`go mod download` with GOMODCACHE=dir), taking them from the machine's module
// cache first and the proxy only for what it lacks.
func ModCache(ctx context.Context, srcDir, dir string, log io.Writer) error {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMODCACHE", "GOPROXY").Output()
	if err != nil {
		return fmt.Errorf("go env: %w", err)
	}
	var mainCache, proxy string
	if _, err := fmt.Sscan(string(out), &mainCache, &proxy); err != nil {
		return fmt.Errorf("go env GOMODCACHE GOPROXY: %w", err)
	}
	cmd := exec.CommandContext(ctx, "go", "mod", "download")
	cmd.Dir = srcDir
	cmd.Env = append(os.Environ(), "GOMODCACHE="+dir,
		"GOPROXY=file://"+filepath.Join(mainCache, "cache", "download")+","+proxy)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go mod download into %s: %w", dir, err)
	}
	return nil
}
