package imagebuild

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// GoBase describes an offline stand-in for the official golang image: what the Dockerfile's
// build stage needs (a Go toolchain, a shell for RUN and a CA bundle), laid out as that
// image lays it out, and configured so that a build can never reach the network.
type GoBase struct {
	// GOROOT is the local Go toolchain (`go env GOROOT`), copied to /usr/local/go.
	GOROOT string
	// GoVersion is that toolchain's version, for example go1.26.8.
	GoVersion string
	// Busybox is a statically linked busybox, installed as /bin/busybox with its applets
	// (sh, mkdir, ln, ...) linked beside it.
	Busybox string
	// CABundle is a PEM bundle, copied to /etc/ssl/certs/ca-certificates.crt.
	CABundle string
}

// goBaseEnv is the image's environment: the official image's (PATH, GOPATH, GOTOOLCHAIN,
// GOLANG_VERSION), HOME for the build cache, and GOPROXY=off so that a module missing from
// the mounted module cache fails the build instead of being fetched.
func goBaseEnv(goVersion string) []string {
	return []string{
		"PATH=/usr/local/go/bin:/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"GOLANG_VERSION=" + strings.TrimPrefix(goVersion, "go"),
		"GOPATH=/go",
		"GOTOOLCHAIN=local",
		"GOPROXY=off",
		"HOME=/root",
	}
}

// goBaseSetup runs inside the new image, with only /bin/busybox there to run it.
const goBaseSetup = `set -e
/bin/busybox --install -s /bin
mkdir -p -m 1777 /tmp
mkdir -p /root /go/bin /go/pkg/mod
echo 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd
echo 'root:x:0:' > /etc/group
`

// BuildGoBase commits the image described by base under ref. The Go module cache is not in
// it: mount one at /go/pkg/mod when building (BuildOptions.Volumes).
func (b *Buildah) BuildGoBase(ctx context.Context, ref string, base GoBase) (err error) {
	ctr, err := b.from(ctx, "scratch")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = b.rm(ctx, ctr)
		}
	}()
	root, err := b.output(ctx, "mount", ctr)
	if err != nil {
		return err
	}
	err = fillGoBase(root, base)
	if _, uerr := b.output(context.WithoutCancel(ctx), "umount", ctr); uerr != nil && err == nil {
		err = uerr
	}
	if err != nil {
		return fmt.Errorf("fill the go base image: %w", err)
	}
	if err := b.run(ctx, "run", "--isolation", "chroot", ctr, "--", "/bin/busybox", "sh", "-c", goBaseSetup); err != nil {
		return fmt.Errorf("set up the go base image: %w", err)
	}
	config := []string{"config", "--workingdir", "/go", "--cmd", "/bin/sh"}
	for _, e := range goBaseEnv(base.GoVersion) {
		config = append(config, "--env", e)
	}
	if err := b.run(ctx, append(config, ctr)...); err != nil {
		return err
	}
	if err := b.run(ctx, "commit", "--rm", "--quiet", ctr, ref); err != nil {
		return fmt.Errorf("commit the go base image: %w", err)
	}
	return nil
}

// fillGoBase copies base's files into the image root.
func fillGoBase(root string, base GoBase) error {
	if err := copyFile(base.Busybox, filepath.Join(root, "bin/busybox")); err != nil {
		return err
	}
	if err := copyFile(base.CABundle, filepath.Join(root, "etc/ssl/certs/ca-certificates.crt")); err != nil {
		return err
	}
	return copyTree(base.GOROOT, filepath.Join(root, "usr/local/go"), skipInGOROOT)
}

// skipInGOROOT leaves out what no build of ours reads: the toolchain's own tests, API
// lists and docs, the sources of the go command and its tools (they are prebuilt in
// pkg/tool), and the standard library's tests. It roughly halves the copy.
func skipInGOROOT(rel string, d fs.DirEntry) bool {
	switch rel {
	case "api", "doc", "misc", "test", "src/cmd":
		return true
	}
	if !strings.HasPrefix(rel, "src/") {
		return false
	}
	if d.IsDir() {
		return d.Name() == "testdata"
	}
	return strings.HasSuffix(rel, "_test.go")
}

// copyTree copies the directory src to dst, keeping modes and symlinks, except the entries
// for which skip (given the slash-separated path relative to src) is true.
func copyTree(src, dst string, skip func(rel string, d fs.DirEntry) bool) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if rel != "." && skip(filepath.ToSlash(rel), d) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			info, err := d.Info()
			if err != nil {
				return err
			}
			return os.MkdirAll(target, info.Mode().Perm())
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.Type().IsRegular():
			return copyFile(p, target)
		default:
			return nil
		}
	})
}

// copyFile copies the regular file src to dst with its permissions, creating dst's parent
// directories.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, info.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return out.Close()
}
