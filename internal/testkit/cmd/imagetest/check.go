package main

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"

	"github.com/reoclo/docker-auth/internal/testkit/imagebuild"
)

// wantLabels are the OCI labels the image must carry, with their values.
var wantLabels = map[string]string{
	"org.opencontainers.image.source":   "https://github.com/reoclo/docker-auth",
	"org.opencontainers.image.version":  imageVersion,
	"org.opencontainers.image.licenses": "MIT",
}

// checkImage checks what action.yml and the runner rely on, and the size budget.
func checkImage(img imagebuild.Image, files map[string]imagebuild.File) error {
	var errs []error
	if img.Size > maxImageSize {
		errs = append(errs, fmt.Errorf("image is %d bytes, more than the %d allowed", img.Size, maxImageSize))
	}
	if !slices.Equal(img.Entrypoint, []string{"/docker-auth"}) {
		errs = append(errs, fmt.Errorf("entrypoint is %q, want [\"/docker-auth\"]", img.Entrypoint))
	}
	if img.User != "" && img.User != "root" && img.User != "0" {
		errs = append(errs, fmt.Errorf("image user is %q: a container action must run as root", img.User))
	}
	for k, v := range wantLabels {
		if got := img.Labels[k]; got != v {
			errs = append(errs, fmt.Errorf("label %s is %q, want %q", k, got, v))
		}
	}
	for _, k := range []string{"org.opencontainers.image.title", "org.opencontainers.image.description"} {
		if img.Labels[k] == "" {
			errs = append(errs, fmt.Errorf("label %s is missing", k))
		}
	}

	bin, ok := files["/docker-auth"]
	switch {
	case !ok:
		errs = append(errs, errors.New("/docker-auth is missing"))
	case !bin.Mode.IsRegular() || bin.Mode.Perm()&0o111 == 0 || bin.Size == 0:
		errs = append(errs, fmt.Errorf("/docker-auth is not an executable file (mode %v, %d bytes)", bin.Mode, bin.Size))
	}
	if post, ok := files["/docker-auth-post"]; !ok {
		errs = append(errs, errors.New("/docker-auth-post is missing"))
	} else if !sameBinary("/docker-auth-post", post, bin) {
		errs = append(errs, fmt.Errorf("/docker-auth-post (mode %v, %d bytes) is neither a symlink to nor a hard link of /docker-auth", post.Mode, post.Size))
	}
	if ca := files["/etc/ssl/cert.pem"]; !ca.Mode.IsRegular() || ca.Size == 0 {
		errs = append(errs, errors.New("/etc/ssl/cert.pem (the CA bundle) is missing or empty"))
	}
	return errors.Join(errs...)
}

// sameBinary reports whether the file at name is /docker-auth under another name: a
// symlink that resolves to it, or a hard link (same inode). A second copy is not.
func sameBinary(name string, f, bin imagebuild.File) bool {
	if f.Mode&fs.ModeSymlink != 0 {
		target := f.Target
		if !path.IsAbs(target) {
			target = path.Join(path.Dir(name), target)
		}
		return target == "/docker-auth"
	}
	return f.Mode.IsRegular() && bin.Inode != 0 && f.Inode == bin.Inode
}

// postLink describes how /docker-auth-post reaches the binary, for the log.
func postLink(files map[string]imagebuild.File) string {
	f := files["/docker-auth-post"]
	if f.Mode&fs.ModeSymlink != 0 {
		return "symlink " + f.Target
	}
	return "hard link"
}
