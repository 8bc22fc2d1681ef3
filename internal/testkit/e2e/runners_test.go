package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reoclo/docker-auth/internal/testkit/binary"
	"github.com/reoclo/docker-auth/internal/testkit/fakeapi"
	"github.com/reoclo/docker-auth/internal/testkit/runner"
)

// logoutStep is a `uses: reoclo/docker-auth/logout@v1` step (id: logout)
// with the required inputs; logout/action.yml's defaults supply the rest.
func (w *world) logoutStep(registryURL string, extra map[string]string) *runner.Step {
	with := map[string]string{"api_key": apiKey, "server_id": serverID, "registry_url": registryURL, "api_url": w.url}
	for k, v := range extra {
		with[k] = v
	}
	return &runner.Step{ID: "logout", Uses: "reoclo/docker-auth/logout@v1", Action: w.logout, With: with}
}

// notices returns the step's notice annotations.
func notices(res *runner.Result) []string {
	var out []string
	for _, a := range res.Annotations {
		if a.Level == "notice" {
			out = append(out, a.Message)
		}
	}
	return out
}

// keep logs the server in to ghcr.io with cleanup: 'false', a login the
// job's later steps must leave alone.
func (w *world) keep() {
	w.t.Helper()
	main := w.main(context.Background(), w.step("keep", ghcrCred, map[string]string{"cleanup": "false"}))
	require.False(w.t, main.Failed, main.LogText())
	require.Equal(w.t, map[string][]string{serverID: {"ghcr.io"}}, w.api.LoggedIn())
}

func TestActPostLogsOut(t *testing.T) {
	w := newWorld(t)
	w.job.Flavor = runner.Act
	s := w.step("login", ghcrCred, nil)
	main := w.main(context.Background(), s)
	require.False(t, main.Failed, main.LogText())
	opID := w.api.Operations()[0].ID
	require.Len(t, main.Env, 1)
	assert.Equal(t, map[string]any{"server_id": serverID, "registry_url": "ghcr.io", "operation_id": opID, "finished": true,
		"server_name": "prod-api"}, saved(t, main.Env["DOCKER_AUTH_STATE_login"]), "the state, for act's post step")
	require.Len(t, notices(main), 1)
	assert.Contains(t, notices(main)[0], "act runs this action's post step, which logs out, only from v0.2.65 on")
	assert.Contains(t, notices(main)[0], "registry_url: ${{ steps.login.outputs.registry_url }}")

	post := w.post(s, main)
	require.False(t, post.Failed, post.LogText())
	for name := range post.ProcessEnv {
		assert.False(t, strings.HasPrefix(name, "STATE_"), "act gives post no state: %s", name)
	}
	assert.NotContains(t, post.ProcessEnv, "INPUT_TIMEOUT", "nor input defaults")
	assert.NotContains(t, post.ProcessEnv, "INPUT_CLEANUP")
	assert.Contains(t, post.LogText(), "Logged out of ghcr.io (operation ")
	reqs := w.requests()
	assert.Equal(t, "POST /registry-auth/logout", reqs[len(reqs)-1])
	assert.Empty(t, w.api.LoggedIn(), "nothing left logged in")
}

// After a login that failed on the server, post logs out only if the login
// may have changed the server's docker config: never after docker login
// itself refused, so the login the first step kept stays; after a timeout
// status, yes.
func TestPostAfterAFailedLogin(t *testing.T) {
	tests := []struct {
		name    string
		status  string
		result  fakeapi.Result
		logsOut bool
	}{
		{"refused", fakeapi.StatusFailed, fakeapi.Result{ExitCode: 1, Stderr: "Error response from daemon: denied: denied\n"}, false},
		{"timeout status", fakeapi.StatusTimeout, fakeapi.Result{ExitCode: 124, Stderr: "timed out"}, true},
	}
	for _, tc := range tests {
		for _, flavor := range []runner.Flavor{runner.GitHub, runner.Act} {
			t.Run(tc.name+"/"+flavor.String(), func(t *testing.T) {
				w := newWorld(t)
				w.job.Flavor = flavor
				w.keep()
				w.api.AddCredential(fakeapi.Credential{ID: badCred, RegistryURL: "ghcr.io", RegistryType: "ghcr", Status: tc.status,
					LoginDuration: 50 * time.Millisecond, Result: tc.result})
				s := w.step("login", badCred, nil)
				main := w.main(context.Background(), s)
				require.True(t, main.Failed)
				assert.Equal(t, !tc.logsOut, saved(t, main.State["login"])["refused"] == true)
				n := len(w.requests())

				post := w.post(s, main)
				assert.False(t, post.Failed)
				if tc.logsOut {
					assert.Contains(t, post.LogText(), "Logged out of ghcr.io")
					assert.Equal(t, []string{"POST /registry-auth/logout"}, w.requests()[n:])
					assert.Empty(t, w.api.LoggedIn(), "a timed-out login may have written the config: logged out")
					return
				}
				assert.Contains(t, post.LogText(), "No login to undo: docker login failed on the server (operation ")
				assert.Len(t, w.requests(), n, "no logout sent")
				assert.Equal(t, map[string][]string{serverID: {"ghcr.io"}}, w.api.LoggedIn(), "the login kept by the first step stays")
			})
		}
	}
}

// Gitea's and Forgejo's runners run no post step for a container action: the
// logout step, given the login step's output, does the logout.
func TestLogoutStepOnGitea(t *testing.T) {
	for _, link := range []binary.PostLink{binary.Symlink, binary.Hardlink, binary.Copy} {
		t.Run(link.String(), func(t *testing.T) {
			w := newWorld(t)
			w.exec = runner.HostExec(binDirs[link])
			w.job.Flavor = runner.Gitea
			w.job.Context["FORGEJO_ACTIONS"] = "true"
			s := w.step("login", ghcrCred, nil)
			main := w.main(context.Background(), s)
			require.False(t, main.Failed, main.LogText())
			require.Len(t, notices(main), 1)
			assert.Contains(t, notices(main)[0], "Forgejo Actions does not run this action's post step")

			logout := w.logoutStep(main.Outputs["registry_url"], nil)
			res, err := w.job.RunMain(context.Background(), logout, w.exec)
			require.NoError(t, err)
			w.noLeaks(res)
			require.False(t, res.Failed, res.LogText())
			assert.Equal(t, "120", res.ProcessEnv["INPUT_TIMEOUT"], "logout/action.yml's default")
			assert.Equal(t, []string{apiKey}, res.Masks)
			assert.Contains(t, res.LogText(), "Logged out of ghcr.io (operation ")
			assert.Empty(t, w.api.LoggedIn())

			post := w.post(s, main)
			assert.True(t, post.Skipped, "Gitea runs no container post step")
		})
	}
}

// On GitHub the logout step and the post step may both run: the second
// logout changes nothing and fails nothing.
func TestLogoutStepThenPost(t *testing.T) {
	w := newWorld(t)
	s := w.step("login", ghcrCred, nil)
	main := w.main(context.Background(), s)
	require.False(t, main.Failed, main.LogText())
	assert.Empty(t, notices(main), "no notice on GitHub's runner")
	assert.Empty(t, main.Env, "no GITHUB_ENV copy on GitHub's runner")

	res, err := w.job.RunMain(context.Background(), w.logoutStep("ghcr.io", nil), w.exec)
	require.NoError(t, err)
	w.noLeaks(res)
	require.False(t, res.Failed, res.LogText())
	assert.Empty(t, w.api.LoggedIn())

	post := w.post(s, main)
	assert.False(t, post.Failed)
	assert.Empty(t, post.Annotations)
	assert.Contains(t, post.LogText(), "Logged out of ghcr.io")
	assert.Empty(t, w.api.LoggedIn())
}

func TestLogoutStepFailsOnBadInput(t *testing.T) {
	w := newWorld(t)
	res, err := w.job.RunMain(context.Background(), w.logoutStep("", map[string]string{"server_id": "prod-api"}), w.exec)
	require.NoError(t, err)
	w.noLeaks(res)
	assert.True(t, res.Failed)
	assert.Equal(t, 1, res.ExitCode)
	require.NotEmpty(t, res.Annotations)
	assert.Equal(t, "error", res.Annotations[0].Level)
	assert.Contains(t, res.Annotations[0].Message, "input server_id: must be a UUID")
	assert.Contains(t, res.Annotations[0].Message, "input registry_url: is required")
	assert.Empty(t, w.requests())
}

func TestLogoutStepFailsWhenTheLogoutFails(t *testing.T) {
	w := newWorld(t)
	w.api.SetLogout(fakeapi.Logout{Duration: 10 * time.Millisecond, Status: fakeapi.StatusFailed,
		Result: fakeapi.Result{ExitCode: 1, Stderr: "Cannot connect to the Docker daemon\n"}})
	res, err := w.job.RunMain(context.Background(), w.logoutStep("ghcr.io", nil), w.exec)
	require.NoError(t, err)
	w.noLeaks(res)
	assert.True(t, res.Failed)
	require.NotEmpty(t, res.Annotations)
	assert.Contains(t, res.Annotations[0].Message, "could not log out of ghcr.io on server "+serverID+
		": docker logout failed on server prod-api (operation ")
	assert.Contains(t, res.Annotations[0].Message, "Cannot connect to the Docker daemon")
}
