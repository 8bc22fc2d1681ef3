package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// goImageArg matches the Dockerfile's `ARG GO_IMAGE=<default>` line.
var goImageArg = regexp.MustCompile(`(?m)^ARG GO_IMAGE=\S+$`)

// SetGoImage returns the Dockerfile with the GO_IMAGE build argument's default replaced by
// image: a runner builds an action's Dockerfile with no build arguments. It fails unless
// the Dockerfile has exactly one such line.
func SetGoImage(dockerfile []byte, image string) ([]byte, error) {
	if n := len(goImageArg.FindAllIndex(dockerfile, -1)); n != 1 {
		return nil, fmt.Errorf("the Dockerfile has %d `ARG GO_IMAGE=...` lines, want 1", n)
	}
	return goImageArg.ReplaceAllLiteral(dockerfile, []byte("ARG GO_IMAGE="+image)), nil
}

// Workspace is a throwaway git repository holding this checkout's files as they are in the
// work tree (tracked and untracked, less what .gitignore ignores), with the Dockerfile's
// GO_IMAGE default set to a local image and test workflows added: what a runner checks out.
type Workspace struct {
	// Dir is the repository's root.
	Dir string
}

// NewWorkspace creates the workspace at dir (which must not exist) from the checkout at
// src, and commits it. workflows maps paths relative to dir to their contents.
func NewWorkspace(ctx context.Context, src, dir, goImage string, workflows map[string][]byte) (*Workspace, error) {
	out, err := exec.CommandContext(ctx, "git", "-C", src, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		return nil, fmt.Errorf("git ls-files in %s: %w", src, err)
	}
	for _, rel := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		if rel == "" {
			continue
		}
		err := copyPath(filepath.Join(src, rel), filepath.Join(dir, rel))
		if errors.Is(err, os.ErrNotExist) {
			continue // deleted in the work tree, not yet in the index
		}
		if err != nil {
			return nil, err
		}
	}
	df := filepath.Join(dir, "Dockerfile")
	data, err := os.ReadFile(df)
	if err != nil {
		return nil, err
	}
	if data, err = SetGoImage(data, goImage); err != nil {
		return nil, err
	}
	if err := os.WriteFile(df, data, 0o644); err != nil { //nolint:gosec // G703: df is in the workspace this function made
		return nil, err
	}
	for rel, content := range workflows {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, content, 0o644); err != nil {
			return nil, err
		}
	}
	w := &Workspace{Dir: dir}
	for _, args := range [][]string{
		{"init", "--quiet", "--initial-branch=main"},
		{"add", "--all"},
		{"commit", "--quiet", "--no-verify", "-m", "runner test workspace"},
	} {
		if _, err := w.Git(ctx, args...); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// Git runs git in the workspace with a fixed identity and returns its trimmed output.
func (w *Workspace) Git(ctx context.Context, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", w.Dir,
		"-c", "user.name=runner-test", "-c", "user.email=runner-test@localhost"}, args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %w: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// copyPath copies a regular file or a symlink, creating dst's parent directories.
func copyPath(src, dst string) error {
	info, err := os.Lstat(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if info.Mode()&os.ModeSymlink != 0 {
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		return os.Symlink(target, dst)
	}
	if !info.Mode().IsRegular() {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, info.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return out.Close()
}
