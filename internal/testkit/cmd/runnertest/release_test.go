package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reoclo/docker-auth/internal/testkit/binary"
)

const (
	testImage  = "ghcr.io/reoclo/docker-auth"
	testDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

// scratchRepo is a git repository with the two action files as main has them, tagged tag.
type scratchRepo struct {
	t      *testing.T
	dir    string
	source string
}

func newScratchRepo(t *testing.T, tag string) *scratchRepo {
	t.Helper()
	for _, tool := range []string{"bash", "git"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip(tool + " not installed")
		}
	}
	r := &scratchRepo{t: t, dir: t.TempDir()}
	files := map[string]string{
		"action.yml":        "name: a\nruns:\n  using: docker\n  image: Dockerfile\n  entrypoint: /docker-auth\n",
		"logout/action.yml": "name: b\nruns:\n  using: docker\n  image: ../Dockerfile\n  entrypoint: /docker-auth-logout\n",
		"Dockerfile":        "FROM scratch\n",
	}
	for name, content := range files {
		p := filepath.Join(r.dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	r.git("init", "--quiet")
	r.git("add", "--all")
	r.git("commit", "--quiet", "-m", "source")
	r.git("tag", tag)
	r.source = r.git("rev-parse", "HEAD")
	r.git("checkout", "--quiet", "--detach", tag)
	return r
}

func (r *scratchRepo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.CommandContext(r.t.Context(), "git", append([]string{"-c", "user.name=t", "-c", "user.email=t@localhost"}, args...)...)
	cmd.Dir = r.dir
	out, err := cmd.CombinedOutput()
	require.NoError(r.t, err, "git %v: %s", args, out)
	return strings.TrimSpace(string(out))
}

// script runs .github/release.sh command and returns its combined output, what it wrote to
// GITHUB_OUTPUT, and its error.
func (r *scratchRepo) script(command string, env ...string) (string, map[string]string, error) {
	r.t.Helper()
	root, err := binary.ModuleRoot(r.t.Context())
	require.NoError(r.t, err)
	script := filepath.Join(root, ".github", "release.sh")
	outFile := filepath.Join(r.t.TempDir(), "output")
	cmd := exec.CommandContext(r.t.Context(), "bash", script, command)
	cmd.Dir = r.dir
	cmd.Env = append(append(os.Environ(), "GITHUB_OUTPUT="+outFile, "SOURCE_SHA="+r.source, "IMAGE="+testImage), env...)
	out, err := cmd.CombinedOutput()
	outputs := map[string]string{}
	if data, rerr := os.ReadFile(outFile); rerr == nil {
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				outputs[k] = v
			}
		}
	}
	return string(out), outputs, err
}

func TestReleaseCheck(t *testing.T) {
	tests := []struct {
		name, tag string
		pinned    bool
		wantErr   string
	}{
		{name: "stable", tag: "v1.2.3"},
		{name: "pre-release", tag: "v1.2.3-rc.1"},
		{name: "not semver", tag: "v1.2", wantErr: "is not vMAJOR.MINOR.PATCH"},
		{name: "leading zero", tag: "v01.2.3", wantErr: "is not vMAJOR.MINOR.PATCH"},
		{name: "a release commit", tag: "v1.2.3", pinned: true, wantErr: "logout/action.yml at v1.2.3 does not say 'image: ../Dockerfile'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newScratchRepo(t, tt.tag)
			if tt.pinned {
				p := filepath.Join(r.dir, "logout/action.yml")
				data, err := os.ReadFile(p)
				require.NoError(t, err)
				pinned := strings.Replace(string(data), "../Dockerfile", "docker://x@"+testDigest, 1)
				require.NoError(t, os.WriteFile(p, []byte(pinned), 0o644)) //nolint:gosec // G703: p is in the test's temp dir
			}
			out, _, err := r.script("check", "TAG="+tt.tag)
			if tt.wantErr == "" {
				assert.NoError(t, err, out)
				return
			}
			require.Error(t, err)
			assert.Contains(t, out, tt.wantErr)
		})
	}
}

func TestReleasePin(t *testing.T) {
	const tag = "v1.2.3"
	ref := "docker://" + testImage + "@" + testDigest

	r := newScratchRepo(t, tag)
	out, outputs, err := r.script("pin", "TAG="+tag, "DIGEST="+testDigest)
	require.NoError(t, err, out)
	commit := outputs["commit"]
	assert.Equal(t, ref, outputs["ref"])
	assert.Equal(t, r.source, r.git("rev-parse", commit+"^"), "the release commit's parent is the source commit")
	assert.Equal(t, "1\t1\taction.yml\n1\t1\tlogout/action.yml", r.git("diff", "--numstat", r.source, commit),
		"one line changed in each action file, nothing else")
	for _, f := range []string{"action.yml", "logout/action.yml"} {
		assert.Contains(t, r.git("show", commit+":"+f), "\n  image: "+ref+"\n", f)
	}

	t.Run("a re-run after the tag moved reuses the commit", func(t *testing.T) {
		r.git("tag", "--force", tag, commit)
		r.git("checkout", "--quiet", "--detach", r.source)
		out, outputs, err := r.script("pin", "TAG="+tag, "DIGEST="+testDigest)
		require.NoError(t, err, out)
		assert.Equal(t, commit, outputs["commit"])
		assert.Equal(t, r.source, r.git("rev-parse", "HEAD"), "no new commit")
	})
	t.Run("a re-run with another digest fails", func(t *testing.T) {
		other := "sha256:" + strings.Repeat("f", 64)
		out, _, err := r.script("pin", "TAG="+tag, "DIGEST="+other)
		require.Error(t, err)
		assert.Contains(t, out, "moved to "+commit)
	})
	t.Run("a tag moved elsewhere fails", func(t *testing.T) {
		r.git("commit", "--quiet", "--allow-empty", "-m", "someone else's")
		r.git("tag", "--force", tag, "HEAD")
		r.git("checkout", "--quiet", "--detach", r.source)
		out, _, err := r.script("pin", "TAG="+tag, "DIGEST="+testDigest)
		require.Error(t, err)
		assert.Contains(t, out, "moved to")
	})
	t.Run("a digest that is not sha256 fails", func(t *testing.T) {
		out, _, err := r.script("pin", "TAG="+tag, "DIGEST=latest")
		require.Error(t, err)
		assert.Contains(t, out, "is not sha256:<64 hex>")
	})
}
