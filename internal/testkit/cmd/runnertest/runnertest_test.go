package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reoclo/docker-auth/internal/testkit/binary"
)

func TestSetGoImage(t *testing.T) {
	t.Run("the repository's Dockerfile", func(t *testing.T) {
		root, err := binary.ModuleRoot(t.Context())
		require.NoError(t, err)
		data, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
		require.NoError(t, err)
		got, err := SetGoImage(data, "localhost/gobase:1")
		require.NoError(t, err)
		assert.Contains(t, string(got), "\nARG GO_IMAGE=localhost/gobase:1\n")
		assert.NotContains(t, string(got), "ARG GO_IMAGE=golang:")
		// Nothing else changed.
		assert.Equal(t, strings.Count(string(data), "\n"), strings.Count(string(got), "\n"))
	})
	tests := []struct {
		name, dockerfile string
	}{
		{name: "no GO_IMAGE line", dockerfile: "FROM scratch\n"},
		{name: "two GO_IMAGE lines", dockerfile: "ARG GO_IMAGE=a\nARG GO_IMAGE=b\nFROM ${GO_IMAGE}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := SetGoImage([]byte(tt.dockerfile), "x")
			assert.ErrorContains(t, err, "ARG GO_IMAGE")
		})
	}
}

func TestConfigFiles(t *testing.T) {
	storage, containers, registries := configFiles("/e", PodmanConfig{InsecureRegistries: []string{"127.0.0.1:5000"}})
	// The storage imagebuild.New("/e", …) uses, so buildah's images are the engine's.
	assert.Contains(t, storage, `driver = "vfs"`)
	assert.Contains(t, storage, `graphroot = "/e/root"`)
	assert.Contains(t, storage, `runroot = "/e/runroot"`)
	for _, want := range []string{`netns = "host"`, `runtime = "runc"`, `cgroup_manager = "cgroupfs"`, `tmp_dir = "/e/tmp"`} {
		assert.Contains(t, containers, want)
	}
	assert.Contains(t, registries, "[[registry]]\nlocation = \"127.0.0.1:5000\"\ninsecure = true\n")

	_, _, registries = configFiles("/e", PodmanConfig{})
	assert.NotContains(t, registries, "insecure")
}

func TestCopyPath(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(src, "run"), []byte("#!/bin/sh\n"), 0o755))
	require.NoError(t, os.Symlink("run", filepath.Join(src, "link")))

	require.NoError(t, copyPath(filepath.Join(src, "run"), filepath.Join(dst, "a/run")))
	require.NoError(t, copyPath(filepath.Join(src, "link"), filepath.Join(dst, "a/link")))

	info, err := os.Stat(filepath.Join(dst, "a/run"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o755), info.Mode().Perm())
	target, err := os.Readlink(filepath.Join(dst, "a/link"))
	require.NoError(t, err)
	assert.Equal(t, "run", target)
	assert.ErrorIs(t, copyPath(filepath.Join(src, "gone"), filepath.Join(dst, "gone")), os.ErrNotExist)
}
