package action

import (
	"maps"
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
	e.inputs = maps.Clone(e.inputs)
	delete(e.inputs, "credential_id")
	delete(e.inputs, "cleanup")
	delete(e.inputs, "timeout") // action.yml's default applies
	e.inputs["registry_url"] = "ghcr.io"
}

// The logout step logs out and follows the logout to its end; post after it
// finds nothing to remove and succeeds.
func TestLogoutStepLogsOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		state, inputs := loggedIn(t, e), e.inputs
		logoutStep(e)
		e.api.SetLogoutDuration(700 * time.Millisecond)
		before := len(e.requests())

		res := e.run(RoleLogout, nil)
		require.Equal(t, 0, res.code, res.stdout)
		assert.True(t, strings.HasPrefix(res.stdout, "::add-mask::"+testKey+"\n"), "the key is masked first")
		reqs := e.requests()[before:]
		assert.Equal(t, logoutPath, reqs[0])
		assert.Greater(t, len(reqs), 1, "the running logout is followed")
		assert.Contains(t, res.stdout, "Logged out of ghcr.io (operation ")
		assert.Contains(t, res.stdout, ", 0.8 s)")
		assert.Empty(t, e.api.LoggedIn())
		assert.Empty(t, res.files["GITHUB_STATE"])
		assert.Empty(t, res.files["GITHUB_OUTPUT"])
		assert.Contains(t, res.summary, "| Logged out | ghcr.io | "+serverID+" | `")

		e.inputs = inputs
		post := e.run(RolePost, state)
		assert.Equal(t, 0, post.code)
		assert.Contains(t, post.stdout, "Logged out of ghcr.io")
		assert.NotContains(t, post.stdout, "::warning")
	})
}

// Unlike the post step's, the logout step's failures fail the step.
func TestLogoutStepFails(t *testing.T) {
	tests := []struct {
		name  string
		setup func(e *testEnv)
		want  []string
		sent  bool
	}{
		{"bad inputs: every problem at once, nothing sent", func(e *testEnv) {
			e.inputs["server_id"], e.inputs["registry_url"], e.inputs["timeout"] = "prod", "", "soon"
		}, []string{"input server_id: must be a UUID", "input registry_url: is required but empty (set it in the step's with:, " +
			"typically to ${{ steps.<login step id>.outputs.registry_url }})", "input timeout: must be a positive number"}, false},
		{"a registry_url docker would read as an option", func(e *testEnv) { e.inputs["registry_url"] = "--config=/tmp/x" },
			[]string{`input registry_url: must be one registry such as ghcr.io, but it starts with "-"`}, false},
		{"the logout fails on the server", func(e *testEnv) {
			e.api.SetLogout(fakeapi.Logout{Duration: time.Second, Status: fakeapi.StatusFailed,
				Result: fakeapi.Result{ExitCode: 1, Stderr: "cannot reach docker daemon"}})
		}, []string{"::error::could not log out of ghcr.io on server " + serverID + ": docker logout failed on server prod-api (operation "}, true},
		{"the logout never finishes", func(e *testEnv) {
			e.inputs["timeout"] = "10"
			e.api.SetLogoutDuration(fakeapi.Never)
		}, []string{"timed out after 10s waiting for operation"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newTestEnv(t)
				logoutStep(e)
				tc.setup(e)
				res := e.run(RoleLogout, nil)
				assert.Equal(t, 1, res.code)
				assert.Contains(t, res.stdout, "::error::")
				for _, w := range tc.want {
					assert.Contains(t, res.stdout, w)
				}
				assert.Equal(t, tc.sent, len(e.requests()) > 0, "requests sent")
			})
		})
	}
}
