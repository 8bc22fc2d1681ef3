package action

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reoclo/docker-auth/internal/testkit/fakeapi"
)

// loggedIn runs a successful main step and returns its state.
func loggedIn(t *testing.T, e *testEnv) map[string]string {
	t.Helper()
	res := e.run(RoleMain, nil)
	require.Equal(t, 0, res.code, res.stdout)
	require.Equal(t, map[string][]string{serverID: {"ghcr.io"}}, e.api.LoggedIn())
	return res.state
}

func TestPostLogsOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		state := loggedIn(t, e)
		before := len(e.requests())
		post := e.run(RolePost, state)
		assert.Equal(t, 0, post.code)
		assert.Equal(t, []string{logoutPath}, e.requests()[before:], "main saw the login finish, so post goes straight to the logout")
		assert.Empty(t, e.api.LoggedIn())
		ops := e.api.Operations()
		assert.Contains(t, post.stdout, fmt.Sprintf("Logged out of ghcr.io (operation %s, 0.0 s)\n", ops[len(ops)-1].ID))
		assert.NotContains(t, post.stdout, "::warning")
		var body map[string]any
		require.NoError(t, json.Unmarshal(e.api.Requests()[before].Body, &body))
		assert.Equal(t, serverID, body["server_id"])
		assert.Equal(t, "ghcr.io", body["registry_url"])
		assert.Equal(t, "4242", body["run_id"])
		assert.Empty(t, post.files["GITHUB_STATE"], "post saves nothing")
	})
}

// Post logs out only once the login has ended, so that it cannot land after
// the logout; a logout the API runs in the background is followed.
func TestPostLogsOutOnceTheLoginEnded(t *testing.T) {
	tests := []struct {
		name  string
		setup func(e *testEnv)
		want  []string
	}{
		{"a 202 logout is followed", func(e *testEnv) { e.api.SetLogoutDuration(700 * time.Millisecond) },
			[]string{"Logged out of ghcr.io (operation ", ", 0.8 s)"}},
		{"a login main gave up on is waited for", func(e *testEnv) {
			e.cred(fakeapi.Credential{LoginDuration: 30 * time.Second})
			e.inputs["timeout"] = "10"
		}, []string{"Logged out of ghcr.io"}},
		{"one that never ends, up to the timeout", func(e *testEnv) {
			e.cred(fakeapi.Credential{LoginDuration: fakeapi.Never})
			e.inputs["timeout"] = "5"
		}, []string{"::warning::The login operation", "did not finish (timed out after 60s waiting for operation", "logging out anyway", "Logged out of ghcr.io"}},
		{"one the server timed out, which may have written the config", func(e *testEnv) {
			e.cred(fakeapi.Credential{LoginDuration: time.Second, Status: fakeapi.StatusTimeout, Result: fakeapi.Result{ExitCode: 1}})
		}, []string{"Logged out of ghcr.io"}},
		{"one whose reply named no operation, at once", func(e *testEnv) {
			e.cred(fakeapi.Credential{ReplyOperationID: "../../x"})
		}, []string{"The login cannot be followed (the API's reply named no usable operation); logging out without waiting for it.", "Logged out of ghcr.io"}},
		{"one whose registry_type cannot be an output", func(e *testEnv) {
			e.api.AddCredential(fakeapi.Credential{ID: otherCred, RegistryURL: "ghcr.io", RegistryType: "ghcr\nregistry_url=evil", LoginDuration: time.Second})
			e.inputs["credential_id"] = otherCred
		}, []string{"Logged out of ghcr.io"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newTestEnv(t)
				tc.setup(e)
				main := e.run(RoleMain, nil)
				e.inputs["timeout"] = "60"
				post := e.run(RolePost, main.state)
				assert.Equal(t, 0, post.code, post.stdout)
				for _, w := range tc.want {
					assert.Contains(t, post.stdout, w)
				}
				assert.Contains(t, e.requests(), logoutPath)
				time.Sleep(time.Hour)
				assert.Empty(t, e.api.LoggedIn(), "nothing left logged in, even later")
			})
		})
	}
}

// Post sends nothing when there is nothing of this step's to undo, or it
// cannot know what: a login docker refused leaves a login that was already
// there (another job's, or one kept with cleanup: 'false').
func TestPostSendsNothing(t *testing.T) {
	refused := fakeapi.Credential{LoginDuration: time.Second, Status: fakeapi.StatusFailed, Result: fakeapi.Result{ExitCode: 1, Stderr: "denied"}}
	tests := []struct {
		name  string
		setup func(t *testing.T, e *testEnv) map[string]string // the state post gets
		want  string
	}{
		{"cleanup false", func(t *testing.T, e *testEnv) map[string]string {
			s := loggedIn(t, e)
			e.inputs["cleanup"] = "false"
			return s
		}, "Cleanup is off (cleanup: false): staying logged in; nothing sent.\n"},
		{"no login started", func(*testing.T, *testEnv) map[string]string { return nil }, "No login to undo: the main step did not start one.\n"},
		{"bad inputs", func(t *testing.T, e *testEnv) map[string]string {
			s := loggedIn(t, e)
			e.inputs["api_url"] = "http://api.example.com"
			return s
		}, "::warning::Not logging out of ghcr.io on server prod-api: input api_url: must use https"},
		{"the key gone", func(t *testing.T, e *testEnv) map[string]string {
			s := loggedIn(t, e)
			e.inputs["api_key"] = ""
			return s
		}, "::warning::Not logging out: input api_key: is required but empty"},
		{"a state sealed without the key", func(*testing.T, *testEnv) map[string]string {
			return map[string]string{stateKey: seal(loginState{ServerID: serverID, RegistryURL: "ghcr.io"}, "rca_guess", "STATE_"+stateKey)}
		}, "::warning::Not logging out: saved state STATE_login cannot be used: it was not written by this step's login"},
		{"docker refused the login", func(t *testing.T, e *testEnv) map[string]string {
			e.cred(refused)
			return e.run(RoleMain, nil).state
		}, "No login to undo: docker login failed on the server (operation "},
		{"docker refused the login post waited for", func(t *testing.T, e *testEnv) map[string]string {
			refused.LoginDuration = 30 * time.Second
			e.cred(refused)
			e.inputs["timeout"] = "10"
			s := e.run(RoleMain, nil).state
			e.inputs["timeout"] = "60"
			return s
		}, "No login to undo: docker login failed on the server (operation "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newTestEnv(t)
				e.inputs["cleanup"] = "false"
				require.Equal(t, 0, e.run(RoleMain, nil).code, "a login that is not post's to undo")
				e.inputs["cleanup"] = "true"
				state := tc.setup(t, e)
				before := e.requests()
				post := e.run(RolePost, state)
				assert.Equal(t, 0, post.code)
				assert.Contains(t, post.stdout, tc.want)
				assert.NotContains(t, e.requests()[len(before):], logoutPath)
				assert.Equal(t, map[string][]string{serverID: {"ghcr.io"}}, e.api.LoggedIn())
			})
		})
	}
}

// A logout that fails is a warning, never a failed job, and says what is
// left behind.
func TestPostWarnsWhenTheLogoutFails(t *testing.T) {
	tests := []struct {
		name  string
		setup func(e *testEnv)
		want  string
	}{
		{"logout keeps failing", func(e *testEnv) {
			e.api.Script(fakeapi.RouteLogout, fakeapi.Fault{Status: 500, Times: fakeapi.Forever})
		}, "::warning::Could not log out of ghcr.io on server prod-api: the API is having trouble (500 Internal Server Error"},
		{"logout fails on the server", func(e *testEnv) {
			e.api.SetLogout(fakeapi.Logout{Duration: time.Second, Status: fakeapi.StatusFailed,
				Result: fakeapi.Result{ExitCode: 1, Stderr: "cannot reach docker daemon"}})
		}, "docker logout failed on server prod-api (operation "},
		{"key lacks registry_logout", func(e *testEnv) {
			e.api.AddKey("rca_login_only", fakeapi.Scope{Operations: []string{fakeapi.OpRegistryLogin}, Servers: []string{fakeapi.Any}, Credentials: []string{fakeapi.Any}})
			e.inputs["api_key"] = "rca_login_only"
		}, "add it to the key's Allowed Operations"},
		{"logout never finishes", func(e *testEnv) {
			e.inputs["timeout"] = "10"
			e.api.SetLogoutDuration(fakeapi.Never)
		}, "timed out after 10s waiting for operation %s (last status: running); the logout has not finished on server prod-api: " +
			"check in Reoclo that the server and its agent are online, or raise timeout (now 10s) if the logout is only slow"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newTestEnv(t)
				tc.setup(e)
				post := e.run(RolePost, loggedIn(t, e))
				assert.Equal(t, 0, post.code, "a failed logout never fails the job")
				ops := e.api.Operations()
				assert.Contains(t, post.stdout, strings.ReplaceAll(tc.want, "%s", ops[len(ops)-1].ID))
				assert.Contains(t, post.stdout, "%0AThe server stays logged in to ghcr.io.\n", "the warning says what is left behind")
				assert.NotContains(t, post.stdout, serverID, "the server is named, not its (masked) ID")
				assert.NotContains(t, post.stdout, "::error")
			})
		})
	}
}

func TestPostSummary(t *testing.T) {
	const table = "| Result | Registry | Server | Operation | Duration |\n| --- | --- | --- | --- | --- |\n"
	tests := []struct {
		name  string
		setup func(e *testEnv)
		want  func(opID string) string
	}{
		{"logged out", func(e *testEnv) { e.api.SetLogoutDuration(700 * time.Millisecond) }, func(opID string) string {
			return "### Registry logout\n\n" + table + "| Logged out | ghcr.io | prod-api | `" + opID + "` | 0.8 s |\n\n"
		}},
		{"kept", func(e *testEnv) { e.inputs["cleanup"] = "false" }, func(string) string {
			return "### Registry logout\n\nKept logged in: cleanup is 'false', so nothing was sent.\n\n"
		}},
		{"logout failed on the server", func(e *testEnv) {
			e.api.SetLogout(fakeapi.Logout{Duration: time.Second, Status: fakeapi.StatusFailed,
				Result: fakeapi.Result{ExitCode: 1, Stderr: "cannot reach docker daemon"}})
		}, func(opID string) string {
			return "### Registry logout\n\n" + table + "| Not logged out | ghcr.io | prod-api | `" + opID + "` | 1.1 s |\n\n" +
				"**Reason:** docker logout failed on server prod-api (operation " + opID + ", status failed, exit code 1): cannot reach docker daemon\n\n"
		}},
		{"bad input", func(e *testEnv) { e.inputs["timeout"] = "0" }, func(string) string {
			return "### Registry logout\n\n" + table + "| Not logged out | ghcr.io | prod-api | – | – |\n\n" +
				"**Reason:** input timeout: must be more than 0 seconds (got 0)\n\n"
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newTestEnv(t)
				state := loggedIn(t, e)
				tc.setup(e)
				post := e.run(RolePost, state)
				require.Equal(t, 0, post.code)
				ops := e.api.Operations()
				assert.Equal(t, tc.want(ops[len(ops)-1].ID), post.summary)
			})
		})
	}
}
