// Package binary builds the docker-auth binary as the image does (static,
// trimmed, stripped) and gives it its other names, for the end-to-end test,
// the demo and the benchmark.
package binary

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/reoclo/docker-auth/internal/action"
)

// Name is the binary's name in the image: action.yml's main entry point.
// The post entry point and logout/action.yml's are action.PostName and
// action.LogoutName.
const Name = "docker-auth"

// PostLink is how the post and logout entry points' names point at the binary.
type PostLink int

// The ways an image can carry the second name.
const (
	Symlink PostLink = iota
	Hardlink
	Copy
)

// String names the link kind.
func (l PostLink) String() string {
	switch l {
	case Symlink:
		return "symlink"
	case Hardlink:
		return "hardlink"
	case Copy:
		return "copy"
	}
	return fmt.Sprintf("PostLink(%d)", int(l))
}

// BuildArgs are the go command's arguments for the image's build (see the
// Dockerfile), stamping version into the binary; run with CGO_ENABLED=0.
func BuildArgs(version, out string) []string {
	return []string{"build", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w -X main.version=" + version, "-o", out, "."}
}

// Build compiles the module's main package into dir/docker-auth as the image
// does (BuildArgs, CGO_ENABLED=0), and adds its other names as link
// (AddNames). It fails with the compiler's output when the build fails.
func Build(ctx context.Context, dir, version string, link PostLink) error {
	root, err := ModuleRoot(ctx)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "go", BuildArgs(version, filepath.Join(dir, Name))...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out.String())
	}
	return AddNames(dir, link)
}

// AddNames gives dir/docker-auth its other names, dir/docker-auth-post and
// dir/docker-auth-logout, as the image does.
func AddNames(dir string, link PostLink) error {
	if err := AddPostName(dir, link); err != nil {
		return err
	}
	return addName(dir, action.LogoutName, link)
}

// AddPostName gives dir/docker-auth its second name dir/docker-auth-post.
func AddPostName(dir string, link PostLink) error {
	return addName(dir, action.PostName, link)
}

func addName(dir, name string, link PostLink) error {
	bin, post := filepath.Join(dir, Name), filepath.Join(dir, name)
	_ = os.Remove(post)
	switch link {
	case Symlink:
		return os.Symlink(Name, post)
	case Hardlink:
		return os.Link(bin, post)
	case Copy:
		return copyFile(bin, post)
	}
	return fmt.Errorf("unknown post link %v", link)
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer func() { _ = src.Close() }()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		_ = dst.Close()
		return err
	}
	return dst.Close()
}

// ModuleRoot returns the directory of the main module's go.mod.
func ModuleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside the docker-auth module")
	}
	return filepath.Dir(gomod), nil
}
