package imagebuild

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// BusyboxPath is where Debian's busybox-static package installs its binary.
const BusyboxPath = "/bin/busybox"

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
