package imagebuild

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
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
	// ModCache, when set, is a Go module cache (a GOMODCACHE directory) copied to
	// /go/pkg/mod, for builders that cannot mount one: a Docker-compatible engine's build
	// API, as a runner uses it, or the classic builder. Empty leaves /go/pkg/mod empty.
	ModCache string
	// WarmModule, when set, is a Go module directory (with ModCache holding its
	// dependencies) that is built once in the image as the Dockerfile builds it
	// (CGO_ENABLED=0, -trimpath), so that the image's build cache already holds the
	// standard library and the dependencies: every later build of the Dockerfile on this
	// base compiles only what changed. Empty leaves the build cache empty.
	WarmModule string
}

// warmBuild is the build WarmModule gets: the Dockerfile's, less the output.
const warmBuild = "cd /warm && CGO_ENABLED=0 go build -trimpath -buildvcs=false -o /dev/null ."

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

// busyboxSetup runs inside a new image, with only /bin/busybox there to run it. Applets
// whose name is already taken (a script put there before) are not linked.
const busyboxSetup = `set -e
/bin/busybox --install -s /bin
mkdir -p -m 1777 /tmp
mkdir -p /root
echo 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd
echo 'root:x:0:' > /etc/group
`

// goBaseSetup is busyboxSetup plus GOPATH's directories.
const goBaseSetup = busyboxSetup + "mkdir -p /go/bin /go/pkg/mod\n"

// BuildGoBase commits the image described by base under ref. Unless base.ModCache is set,
// the Go module cache is not in it: mount one at /go/pkg/mod when building
// (BuildOptions.Volumes).
func (b *Buildah) BuildGoBase(ctx context.Context, ref string, base GoBase) error {
	config := []string{"--workingdir", "/go", "--cmd", "/bin/sh"}
	for _, e := range goBaseEnv(base.GoVersion) {
		config = append(config, "--env", e)
	}
	var warm func(ctr string) error
	if base.WarmModule != "" {
		warm = func(ctr string) error {
			return b.run(ctx, "run", "--isolation", "chroot", "--volume", base.WarmModule+":/warm:ro", ctr,
				"--", "/bin/sh", "-c", warmBuild)
		}
	}
	err := b.assemble(ctx, ref, func(root string) error { return fillGoBase(root, base) }, goBaseSetup, config, warm)
	if err != nil {
		return fmt.Errorf("go base image: %w", err)
	}
	return nil
}

// BusyboxImage describes a minimal image: a static busybox at /bin/busybox with its applets
// linked beside it, for jobs that need a shell and nothing else.
type BusyboxImage struct {
	// Busybox is a statically linked busybox.
	Busybox string
	// Scripts are executable files (image path -> content, mode 0755) written before the
	// applets are linked, so that a script named like an applet (/bin/sleep) replaces it.
	Scripts map[string]string
	// Env is the image's environment (NAME=VALUE); PATH defaults to /usr/local/bin:/usr/bin:/bin.
	Env []string
}

// BuildBusyboxImage commits the image described by img under ref. It fails when busybox
// cannot be read or buildah fails.
func (b *Buildah) BuildBusyboxImage(ctx context.Context, ref string, img BusyboxImage) error {
	fill := func(root string) error {
		if err := copyFile(img.Busybox, filepath.Join(root, "bin/busybox")); err != nil {
			return err
		}
		for _, p := range slices.Sorted(maps.Keys(img.Scripts)) {
			dst := filepath.Join(root, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(dst, []byte(img.Scripts[p]), 0o755); err != nil {
				return err
			}
		}
		return nil
	}
	config := []string{"--cmd", "/bin/sh", "--env", "PATH=/usr/local/bin:/usr/bin:/bin"}
	for _, e := range img.Env {
		config = append(config, "--env", e)
	}
	if err := b.assemble(ctx, ref, fill, busyboxSetup, config, nil); err != nil {
		return fmt.Errorf("busybox image: %w", err)
	}
	return nil
}

// assemble commits under ref an image made from scratch: fill copies files into its root,
// config (`buildah config` options) sets its run configuration, setup then runs in it with
// /bin/busybox sh, and last, when not nil, so does then (given the working container). The
// working container is removed whether or not it succeeds.
func (b *Buildah) assemble(ctx context.Context, ref string, fill func(root string) error, setup string, config []string, then func(ctr string) error) (err error) {
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
	err = fill(root)
	if _, uerr := b.output(context.WithoutCancel(ctx), "umount", ctr); uerr != nil && err == nil {
		err = uerr
	}
	if err != nil {
		return fmt.Errorf("fill the image: %w", err)
	}
	if err := b.run(ctx, append(append([]string{"config"}, config...), ctr)...); err != nil {
		return err
	}
	if err := b.run(ctx, "run", "--isolation", "chroot", ctr, "--", "/bin/busybox", "sh", "-c", setup); err != nil {
		return fmt.Errorf("set up the image: %w", err)
	}
	if then != nil {
		if err := then(ctr); err != nil {
			return fmt.Errorf("set up the image: %w", err)
		}
	}
	if err := b.run(ctx, "commit", "--rm", "--quiet", ctr, ref); err != nil {
		return fmt.Errorf("commit the image: %w", err)
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
	if err := copyTree(base.GOROOT, filepath.Join(root, "usr/local/go"), skipInGOROOT); err != nil {
		return err
	}
	if base.ModCache == "" {
		return nil
	}
	return copyTree(base.ModCache, filepath.Join(root, "go/pkg/mod"), func(string, fs.DirEntry) bool { return false })
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
			// Owner-writable while copying: the module cache's directories are read-only.
			return os.MkdirAll(target, info.Mode().Perm()|0o200)
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
