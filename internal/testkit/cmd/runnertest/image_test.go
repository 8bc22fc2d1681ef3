package main

import (
	"archive/tar"
	"testing"

	"github.com/stretchr/testify/assert"
)

func goodImage() (image, map[string]*tar.Header) {
	var img image
	img.Size = 8_000_000
	img.Config.Entrypoint = []string{"/docker-auth"}
	img.Config.Labels = map[string]string{
		"org.opencontainers.image.source":      "https://github.com/reoclo/docker-auth",
		"org.opencontainers.image.version":     imageVersion,
		"org.opencontainers.image.licenses":    "MIT",
		"org.opencontainers.image.title":       "t",
		"org.opencontainers.image.description": "d",
	}
	files := map[string]*tar.Header{
		"docker-auth":        {Typeflag: tar.TypeReg, Mode: 0o755, Size: 7_000_000},
		"docker-auth-post":   {Typeflag: tar.TypeSymlink, Linkname: "docker-auth"},
		"docker-auth-logout": {Typeflag: tar.TypeSymlink, Linkname: "docker-auth"},
		"etc/ssl/cert.pem":   {Typeflag: tar.TypeReg, Mode: 0o644, Size: 200_000},
	}
	return img, files
}

func TestCheckImage(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*image, map[string]*tar.Header)
		wantErr string
	}{
		{name: "good image", change: func(*image, map[string]*tar.Header) {}},
		{name: "absolute symlink", change: func(_ *image, f map[string]*tar.Header) {
			f["docker-auth-post"] = &tar.Header{Typeflag: tar.TypeSymlink, Linkname: "/docker-auth"}
		}},
		{name: "hard link", change: func(_ *image, f map[string]*tar.Header) {
			f["docker-auth-logout"] = &tar.Header{Typeflag: tar.TypeLink, Linkname: "docker-auth"}
		}},
		{name: "second copy", wantErr: "/docker-auth-post (type 0", change: func(_ *image, f map[string]*tar.Header) {
			f["docker-auth-post"] = &tar.Header{Typeflag: tar.TypeReg, Mode: 0o755, Size: 7_000_000}
		}},
		{name: "symlink elsewhere", wantErr: "neither a symlink to nor a hard link", change: func(_ *image, f map[string]*tar.Header) {
			f["docker-auth-logout"] = &tar.Header{Typeflag: tar.TypeSymlink, Linkname: "bin/docker-auth"}
		}},
		{name: "no logout name", wantErr: "/docker-auth-logout is missing", change: func(_ *image, f map[string]*tar.Header) {
			delete(f, "docker-auth-logout")
		}},
		{name: "binary not executable", wantErr: "not an executable file", change: func(_ *image, f map[string]*tar.Header) {
			f["docker-auth"].Mode = 0o644
		}},
		{name: "too big", wantErr: "more than the 12000000 allowed", change: func(img *image, _ map[string]*tar.Header) {
			img.Size = maxImageSize + 1
		}},
		{name: "shell-form entrypoint", wantErr: "entrypoint is", change: func(img *image, _ map[string]*tar.Header) {
			img.Config.Entrypoint = []string{"/bin/sh", "-c", "/docker-auth"}
		}},
		{name: "non-root user", wantErr: "must run as root", change: func(img *image, _ map[string]*tar.Header) {
			img.Config.User = "65532"
		}},
		{name: "version label from the build arg", wantErr: "org.opencontainers.image.version", change: func(img *image, _ map[string]*tar.Header) {
			img.Config.Labels["org.opencontainers.image.version"] = "dev"
		}},
		{name: "no description", wantErr: "org.opencontainers.image.description is missing", change: func(img *image, _ map[string]*tar.Header) {
			delete(img.Config.Labels, "org.opencontainers.image.description")
		}},
		{name: "no CA bundle", wantErr: "/etc/ssl/cert.pem", change: func(_ *image, f map[string]*tar.Header) {
			delete(f, "etc/ssl/cert.pem")
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
