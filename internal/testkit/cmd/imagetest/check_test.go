package main

import (
	"io/fs"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/reoclo/docker-auth/internal/testkit/imagebuild"
)

func goodImage() (imagebuild.Image, map[string]imagebuild.File) {
	img := imagebuild.Image{
		Size:       8_000_000,
		Entrypoint: []string{"/docker-auth"},
		Labels: map[string]string{
			"org.opencontainers.image.source":      "https://github.com/reoclo/docker-auth",
			"org.opencontainers.image.version":     imageVersion,
			"org.opencontainers.image.licenses":    "MIT",
			"org.opencontainers.image.title":       "t",
			"org.opencontainers.image.description": "d",
		},
	}
	files := map[string]imagebuild.File{
		"/docker-auth":      {Mode: 0o755, Size: 7_000_000, Inode: 10},
		"/docker-auth-post": {Mode: fs.ModeSymlink | 0o777, Target: "docker-auth", Inode: 11},
		"/etc":              {Mode: fs.ModeDir | 0o755, Inode: 12},
		"/etc/ssl/cert.pem": {Mode: 0o644, Size: 200_000, Inode: 13},
	}
	return img, files
}

func TestCheckImage(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*imagebuild.Image, map[string]imagebuild.File)
		wantErr string
	}{
		{name: "good image", change: func(*imagebuild.Image, map[string]imagebuild.File) {}},
		{name: "absolute symlink", change: func(_ *imagebuild.Image, f map[string]imagebuild.File) {
			f["/docker-auth-post"] = imagebuild.File{Mode: fs.ModeSymlink | 0o777, Target: "/docker-auth"}
		}},
		{name: "hard link", change: func(_ *imagebuild.Image, f map[string]imagebuild.File) {
			f["/docker-auth-post"] = imagebuild.File{Mode: 0o755, Size: 7_000_000, Inode: 10}
		}},
		{name: "second copy", wantErr: "neither a symlink to nor a hard link", change: func(_ *imagebuild.Image, f map[string]imagebuild.File) {
			f["/docker-auth-post"] = imagebuild.File{Mode: 0o755, Size: 7_000_000, Inode: 99}
		}},
		{name: "symlink elsewhere", wantErr: "neither a symlink to nor a hard link", change: func(_ *imagebuild.Image, f map[string]imagebuild.File) {
			f["/docker-auth-post"] = imagebuild.File{Mode: fs.ModeSymlink | 0o777, Target: "bin/docker-auth"}
		}},
		{name: "no post name", wantErr: "/docker-auth-post is missing", change: func(_ *imagebuild.Image, f map[string]imagebuild.File) {
			delete(f, "/docker-auth-post")
		}},
		{name: "binary not executable", wantErr: "not an executable file", change: func(_ *imagebuild.Image, f map[string]imagebuild.File) {
			f["/docker-auth"] = imagebuild.File{Mode: 0o644, Size: 7_000_000, Inode: 10}
		}},
		{name: "too big", wantErr: "more than the 12000000 allowed", change: func(img *imagebuild.Image, _ map[string]imagebuild.File) {
			img.Size = maxImageSize + 1
		}},
		{name: "shell-form entrypoint", wantErr: "entrypoint is", change: func(img *imagebuild.Image, _ map[string]imagebuild.File) {
			img.Entrypoint = []string{"/bin/sh", "-c", "/docker-auth"}
		}},
		{name: "non-root user", wantErr: "must run as root", change: func(img *imagebuild.Image, _ map[string]imagebuild.File) {
			img.User = "65532"
		}},
		{name: "version label from the build arg", wantErr: "org.opencontainers.image.version", change: func(img *imagebuild.Image, _ map[string]imagebuild.File) {
			img.Labels["org.opencontainers.image.version"] = "dev"
		}},
		{name: "no description", wantErr: "org.opencontainers.image.description is missing", change: func(img *imagebuild.Image, _ map[string]imagebuild.File) {
			delete(img.Labels, "org.opencontainers.image.description")
		}},
		{name: "no CA bundle", wantErr: "/etc/ssl/cert.pem", change: func(_ *imagebuild.Image, f map[string]imagebuild.File) {
			delete(f, "/etc/ssl/cert.pem")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, files := goodImage()
			tt.change(&img, files)
			err := checkImage(img, files)
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tt.wantErr)
		})
	}
}
