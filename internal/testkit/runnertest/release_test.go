package runnertest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRelease rehearses the release: .github/release.sh as release.yml runs it (check,
// build-push, pin), with podman and the registry on 127.0.0.1 standing in for buildx and
// ghcr.io; pin again as a re-run of the job would; then act runs logout-step.yml on the
// release commit, which pulls the image by digest for the main, logout and post steps.
func TestRelease(t *testing.T) {
	s := need(t)
	const tag, repo = "v1.2.3", "reoclo/docker-auth"
	ws := s.workspace(t, "release-ws")
	source := git(t, ws, "rev-parse", "HEAD")
	git(t, ws, "tag", tag)
	git(t, ws, "checkout", "--quiet", "--detach", tag) // as release.yml's checkout
	image := s.registry + "/" + repo
	// Debian's buildah cannot cross-compile (see the Dockerfile): only the host's platform.
	platform := "linux/" + runtime.GOARCH
	release := func(command string, env ...string) (map[string]string, error) {
		return s.releaseSh(t.Context(), ws, command, append(env, "TAG="+tag, "IMAGE="+image, "SOURCE_SHA="+source,
			"ENGINE=podman", "TLS_VERIFY=false", "PLATFORMS="+platform)...)
	}

	out, err := release("build-push")
	require.NoError(t, err)
	digest := out["digest"]
	require.Regexp(t, `^sha256:[0-9a-f]{64}$`, digest)
	var index struct {
		Manifests []struct {
			Platform struct{ OS, Architecture string }
		}
	}
	s.registryGet(t, repo+"/manifests/"+digest, &index)
	require.Len(t, index.Manifests, 1, "the pushed index")
	assert.Equal(t, platform, index.Manifests[0].Platform.OS+"/"+index.Manifests[0].Platform.Architecture)
	var tags struct{ Tags []string }
	s.registryGet(t, repo+"/tags/list", &tags)
	assert.ElementsMatch(t, []string{"1", "1.2", "1.2.3"}, tags.Tags)

	out, err = release("pin", "DIGEST="+digest)
	require.NoError(t, err)
	commit, ref := out["commit"], out["ref"]
	assert.Equal(t, "docker://"+image+"@"+digest, ref)
	assert.Equal(t, source, git(t, ws, "rev-parse", commit+"^"), "the release commit's parent is the source commit")
	assert.Equal(t, "1\t1\taction.yml\n1\t1\tlogout/action.yml", git(t, ws, "diff", "--numstat", source, commit))
	for _, f := range []string{"action.yml", "logout/action.yml"} {
		assert.Contains(t, git(t, ws, "show", commit+":"+f), "\n  image: "+ref+"\n", f)
	}
	// A re-run of the job after the tag moved reuses the release commit; another digest fails.
	git(t, ws, "tag", "--force", tag, commit)
	git(t, ws, "checkout", "--quiet", "--detach", source)
	out, err = release("pin", "DIGEST="+digest)
	require.NoError(t, err)
	assert.Equal(t, commit, out["commit"], "a re-run of pin")
	_, err = release("pin", "DIGEST=sha256:"+strings.Repeat("f", 64))
	require.ErrorContains(t, err, "moved to "+commit)
	// What users get: the tag's commit, which names the image by digest.
	git(t, ws, "checkout", "--quiet", "--detach", tag)
	_, err = release("check")
	require.ErrorContains(t, err, "tag a commit of main, not a release commit")

	res := s.runWorkflow(t, "act", ws, "logout-step.yml", false)
	res.check(t, outcome{ok: true, logouts: 2})
	registryLog, err := os.ReadFile(filepath.Join(s.tmp, "docker-registry.log"))
	require.NoError(t, err)
	assert.Contains(t, string(registryLog), "GET /v2/"+repo+"/manifests/"+digest, "act pulls the image by digest")
	assert.NotContains(t, res.log, "docker build", "act builds no image for the release commit")
}

// releaseSh runs .github/release.sh command in ws with the engine's environment and env, and
// returns what it wrote to GITHUB_OUTPUT.
func (s *setup) releaseSh(ctx context.Context, ws, command string, env ...string) (map[string]string, error) {
	outFile := filepath.Join(ws, ".git", "github_output")
	if err := os.WriteFile(outFile, nil, 0o600); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "bash", ".github/release.sh", command)
	cmd.Dir = ws
	cmd.Env = append(append(append(os.Environ(), s.podmanEnv...), "GITHUB_OUTPUT="+outFile), env...)
	if log, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("release.sh %s: %w; output:\n%s", command, err, tail(string(log)))
	}
	data, err := os.ReadFile(outFile)
	out := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = v
		}
	}
	return out, err
}

// registryGet decodes the registry's answer to GET /v2/<path>.
func (s *setup) registryGet(t *testing.T, path string, v any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+s.registry+"/v2/"+path, nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "GET /v2/%s", path)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
}
