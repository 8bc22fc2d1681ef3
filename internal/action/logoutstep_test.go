package action

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reoclo/docker-auth/internal/testkit/fakeapi"
)

// logoutStep turns e's inputs into the logout step's (logout/action.yml).
func logoutStep(e *testEnv) {
	delete(e.inputs, "credential_id")
	delete(e.inputs, "cleanup")
	e.inputs["registry_url"] = "ghcr.io"
}

func TestLogoutStepLogsOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		loggedIn(t, e)
		logoutStep(e)
		delete(e.inputs, "timeout") // action.yml's default applies
		e.api.SetLogoutDuration(700 * time.Millisecond)
		before := len(e.requests())

		res := e.run(RoleLogout, nil)
		require.Equal(t, 0, res.code, res.stdout)
		assert.True(t, strings.HasPrefix(res.stdout, "::add-mask::"+testKey+"\n"), "the key is masked first")
		assert.Equal(t, 1, strings.Count(res.stdout, testKey))
		reqs := e.requests()[before:]
		assert.Equal(t, logoutPath, reqs[0])
		assert.Greater(t, len(reqs), 1, "the running logout is followed")
		assert.Contains(t, res.stdout, "Logged out of ghcr.io (operation ")
		assert.Contains(t, res.stdout, ", 0.8 s)")
		assert.Empty(t, e.api.LoggedIn())
		assert.Empty(t, res.files["GITHUB_STATE"])
		assert.Empty(t, res.files["GITHUB_ENV"])
		assert.Empty(t, res.files["GITHUB_OUTPUT"])
		assert.Contains(t, res.summary, "### Registry logout\n")
		assert.Contains(t, res.summary, "| Logged out | ghcr.io | "+serverID+" | `")
	})
}

func TestLogoutStepThenPostIsHarmless(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		state := loggedIn(t, e)
		main := e.inputs
		e.inputs = map[string]string{}
		for k, v := range main {
			e.inputs[k] = v
		}
		logoutStep(e)
		step := e.run(RoleLogout, nil)
		require.Equal(t, 0, step.code, step.stdout)
		assert.Empty(t, e.api.LoggedIn())

		e.inputs = main
		post := e.run(RolePost, state)
		assert.Equal(t, 0, post.code)
		assert.Contains(t, post.stdout, "Logged out of ghcr.io")
		assert.NotContains(t, post.stdout, "::warning")
		assert.Empty(t, e.api.LoggedIn())
	})
}

func TestLogoutStepRejectsBadInputsBeforeAnyRequest(t *testing.T) {
	tests := []struct {
		name   string
		inputs map[string]string
		want   []string
	}{
		{"every problem at once", map[string]string{"server_id": "prod", "registry_url": "", "timeout": "soon"},
			[]string{"input server_id: must be a UUID", "input registry_url: is required", "steps.<login step id>.outputs.registry_url", "input timeout: must be a positive number"}},
		{"registry_url with a line break", map[string]string{"registry_url": "ghcr.io\nx=y"},
			[]string{"input registry_url: must be one registry such as ghcr.io"}},
		{"registry_url with a space", map[string]string{"registry_url": "ghcr.io docker.io"},
			[]string{"input registry_url: must be one registry such as ghcr.io"}},
		{"plain http", map[string]string{"api_url": "http://api.example.com"}, []string{"input api_url: must use https"}},
		{"no key", map[string]string{"api_key": ""}, []string{"input api_key: is required"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newTestEnv(t)
				logoutStep(e)
				for k, v := range tc.inputs {
					e.inputs[k] = v
				}
				res := e.run(RoleLogout, nil)
				assert.Equal(t, 1, res.code)
				assert.Empty(t, e.requests())
				require.Contains(t, res.stdout, "::error::")
				for _, w := range tc.want {
					assert.Contains(t, res.stdout, w)
				}
			})
		})
	}
}

func TestLogoutStepFailsWhenTheLogoutFails(t *testing.T) {
	tests := []struct {
		name  string
		setup func(e *testEnv)
		want  string
	}{
		{"fails on the server", func(e *testEnv) {
			e.api.SetLogout(fakeapi.Logout{Duration: time.Second, Status: fakeapi.StatusFailed,
				Result: fakeapi.Result{ExitCode: 1, Stderr: "cannot reach docker daemon"}})
		}, "::error::could not log out of ghcr.io on server " + serverID + ": docker logout failed on server prod-api (operation "},
		{"key lacks registry_logout", func(e *testEnv) {
			e.api.AddKey("rca_login_only", fakeapi.Scope{Operations: []string{fakeapi.OpRegistryLogin}, Servers: []string{fakeapi.Any}, Credentials: []string{fakeapi.Any}})
			e.inputs["api_key"] = "rca_login_only"
		}, "add it to the key's Allowed Operations"},
		{"never finishes", func(e *testEnv) {
			e.inputs["timeout"] = "10"
			e.api.SetLogoutDuration(fakeapi.Never)
		}, "timed out after 10s waiting for operation"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newTestEnv(t)
				loggedIn(t, e)
				logoutStep(e)
				tc.setup(e)
				res := e.run(RoleLogout, nil)
				assert.Equal(t, 1, res.code, "a failed explicit logout fails its step")
				assert.Contains(t, res.stdout, tc.want)
				assert.NotContains(t, res.stdout, "Logged out")
			})
		})
	}
}
