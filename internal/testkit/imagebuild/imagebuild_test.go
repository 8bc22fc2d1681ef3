package imagebuild

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseInspect(t *testing.T) {
	const manifest = `{\"schemaVersion\":2,\"config\":{\"size\":663},\"layers\":[{\"size\":1000},{\"size\":24}]}`
	tests := []struct {
		name    string
		data    string
		want    Image
		wantErr bool
	}{
		{
			name: "config and layer sizes add up",
			data: `{"FromImageID":"abc","Manifest":"` + manifest + `","OCIv1":{"config":{` +
				`"Entrypoint":["/docker-auth"],"User":"","Env":["PATH=/bin"],"Labels":{"k":"v"}}}}`,
			want: Image{ID: "abc", Size: 663 + 1000 + 24, Layers: 2, Entrypoint: []string{"/docker-auth"},
				Env: []string{"PATH=/bin"}, Labels: map[string]string{"k": "v"}},
		},
		{name: "not JSON", data: `Error: no such image`, wantErr: true},
		{name: "manifest not JSON", data: `{"Manifest":"nope"}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseInspect([]byte(tt.data))
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestBuildArgs(t *testing.T) {
	got := buildArgs(BuildOptions{
		ContextDir: "/src",
		Tag:        "localhost/x:t",
		BuildArgs:  map[string]string{"VERSION": "1", "GO_IMAGE": "localhost/go:1"},
		Volumes:    []string{"/cache:/go/pkg/mod:ro"},
	})
	assert.Equal(t, []string{
		"build", "--isolation", "chroot", "--pull=never", "--layers=false", "-f", "/src/Dockerfile", "-t", "localhost/x:t",
		"--build-arg", "GO_IMAGE=localhost/go:1", "--build-arg", "VERSION=1",
		"--volume", "/cache:/go/pkg/mod:ro", "/src",
	}, got)
}

func TestRunArgs(t *testing.T) {
	tests := []struct {
		name string
		opts RunOptions
		want []string
	}{
		{
			name: "entry point only",
			opts: RunOptions{Entrypoint: "/docker-auth"},
			want: []string{"run", "--isolation", "chroot", "--network", "host", "ctr", "--", "/docker-auth"},
		},
		{
			name: "workdir, mounts, env and args",
			opts: RunOptions{
				Entrypoint: "/docker-auth-post",
				Args:       []string{"a b"},
				Env:        []string{"INPUT_CLEANUP=true", "STATE_server_id=s"},
				Mounts:     []Mount{{Source: "/tmp/fc", Target: "/github/file_commands"}},
				WorkDir:    "/github/workspace",
			},
			want: []string{"run", "--isolation", "chroot", "--network", "host",
				"--workingdir", "/github/workspace", "--volume", "/tmp/fc:/github/file_commands",
				"--env", "INPUT_CLEANUP=true", "--env", "STATE_server_id=s",
				"ctr", "--", "/docker-auth-post", "a b"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, runArgs("ctr", tt.opts))
		})
	}
}

func TestCopyTreeSkipsWhatBuildsDoNotRead(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "go")
	write := func(rel string, mode os.FileMode) {
		p := filepath.Join(src, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(rel), mode))
	}
	write("bin/go", 0o755)
	write("go.env", 0o644)
	write("src/fmt/print.go", 0o644)
	write("src/fmt/print_test.go", 0o644)
	write("src/fmt/testdata/x", 0o644)
	write("src/cmd/go/main.go", 0o644)
	write("test/bench.go", 0o644)
	write("api/go1.txt", 0o644)
	require.NoError(t, os.Symlink("print.go", filepath.Join(src, "src/fmt/link.go")))

	require.NoError(t, copyTree(src, dst, skipInGOROOT))

	for _, rel := range []string{"bin/go", "go.env", "src/fmt/print.go"} {
		data, err := os.ReadFile(filepath.Join(dst, rel))
		if assert.NoError(t, err, rel) {
			assert.Equal(t, rel, string(data))
		}
	}
	info, err := os.Stat(filepath.Join(dst, "bin/go"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o755), info.Mode().Perm(), "executable bit kept")
	link, err := os.Readlink(filepath.Join(dst, "src/fmt/link.go"))
	require.NoError(t, err)
	assert.Equal(t, "print.go", link, "symlink kept as a link")
	for _, rel := range []string{"src/fmt/print_test.go", "src/fmt/testdata", "src/cmd", "test", "api"} {
		assert.NoFileExists(t, filepath.Join(dst, rel))
		assert.NoDirExists(t, filepath.Join(dst, rel))
	}
}

func TestIsStaticRejectsNonELF(t *testing.T) {
	p := filepath.Join(t.TempDir(), "busybox")
	require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755))
	ok, err := isStatic(p)
	assert.False(t, ok)
	assert.Error(t, err)
}
