package imagebuild

import (
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// BusyboxPath is where Debian's busybox-static package installs its binary.
const BusyboxPath = "/bin/busybox"

// aptPackages are what the image test needs from Debian.
var aptPackages = []string{"buildah", "busybox-static"}

// EnsureTools makes sure buildah is on PATH and a static busybox is at BusyboxPath,
// installing the Debian packages with apt-get when either is missing (which needs root).
// apt-get's output goes to log.
func EnsureTools(ctx context.Context, log io.Writer) error {
	_, err := exec.LookPath("buildah")
	haveBuildah := err == nil
	haveBusybox, err := isStatic(BusyboxPath)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if haveBuildah && haveBusybox {
		return nil
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("buildah or a static busybox is missing: run as root, or install them: apt-get install %s", "buildah busybox-static")
	}
	env := append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	for _, args := range [][]string{
		{"update", "-q"},
		append([]string{"install", "-y", "-q"}, aptPackages...),
	} {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env, cmd.Stdout, cmd.Stderr = env, log, log
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("apt-get %s: %w", args[0], err)
		}
	}
	if _, err := exec.LookPath("buildah"); err != nil {
		return fmt.Errorf("buildah still missing after apt-get install: %w", err)
	}
	ok, err := isStatic(BusyboxPath)
	if err != nil {
		return fmt.Errorf("after apt-get install: %w", err)
	}
	if !ok {
		return fmt.Errorf("%s is not a static busybox after apt-get install", BusyboxPath)
	}
	return nil
}

// isStatic reports whether the ELF executable at name needs no program interpreter (the
// dynamic loader), so that it runs in an image with no libc.
func isStatic(name string) (bool, error) {
	f, err := elf.Open(name)
	if err != nil {
		return false, fmt.Errorf("read %s: %w", name, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false, nil
		}
	}
	return true, nil
}

// GoEnv reads `go env` variables: the local toolchain's GOROOT and GOVERSION that a Go base
// image is assembled from, the module (GOMOD) and its caches. It fails when the go command
// fails or a variable is empty (GOMOD is, outside a module).
func GoEnv(ctx context.Context, names ...string) (map[string]string, error) {
	out, err := exec.CommandContext(ctx, "go", append([]string{"env"}, names...)...).Output()
	if err != nil {
		return nil, fmt.Errorf("go env: %w", err)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) != len(names) {
		return nil, fmt.Errorf("go env: got %d lines for %d names", len(lines), len(names))
	}
	env := make(map[string]string, len(names))
	for i, n := range names {
		if lines[i] == "" {
			return nil, fmt.Errorf("go env %s is empty (run from inside the module)", n)
		}
		env[n] = lines[i]
	}
	return env, nil
}
