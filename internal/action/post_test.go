package action

import (
	"slices"
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

// setup prepares a job, and returns the state post gets.
type setup = func(t *testing.T, e *testEnv) map[string]string

// afterLogin runs a successful main step, then f.
func afterLogin(f func(e *testEnv)) setup {
	return func(t *testing.T, e *testEnv) map[string]string {
		state := loggedIn(t, e)
		f(e)
		return state
	}
}

// afterMain runs main with credential c and timeout main; post gets 60 s.
func afterMain(c fakeapi.Credential, main string) setup {
	return func(_ *testing.T, e *testEnv) map[string]string {
		e.cred(c)
		e.inputs["timeout"] = main
		defer func() { e.inputs["timeout"] = "60" }()
		return e.run(RoleMain, nil).state
	}
}

// logoutStep turns e's inputs into the logout step's (logout/action.yml).
func logoutStep(e *testEnv) {
	for _, in := range []string{"credential_id", "cleanup", "timeout"} {
		delete(e.inputs, in)
	}
	e.inputs["registry_url"] = "ghcr.io"
}

const logoutTable = "### Registry logout\n\n| Result | Registry | Server | Operation | Duration |\n| --- | --- | --- | --- | --- |\n"

// What post does after each kind of main step, never failing the job: it
// logs out once the login has ended, lest it land after the logout; it sends
// nothing when it has nothing to undo or cannot know what (a login docker
// refused leaves one that was there before); a failed logout is a warning.
func TestPostOutcomes(t *testing.T) {
	refused := fakeapi.Credential{LoginDuration: 30 * time.Second, Status: fakeapi.StatusFailed, Result: fakeapi.Result{ExitCode: 1}}
	const (
		loggedOut = iota
		nothingSent
		failed // a logout sent, which failed
	)
	tests := []struct {
		name    string
		setup   setup
		want    string // in post's log, as assertPrinted takes it
		outcome int
		summary string // in the job summary, as want
	}{
		{"a login main saw end, at once; a 202 logout followed", afterLogin(func(e *testEnv) { e.api.SetLogoutDuration(700 * time.Millisecond) }),
			"Logged out of ghcr.io (operation %s, 0.8 s)\n", loggedOut, logoutTable + "| Logged out | ghcr.io | prod-api | `%s` | 0.8 s |\n\n"},
		{"a login main gave up on, once it ended", afterMain(fakeapi.Credential{LoginDuration: 30 * time.Second}, "10"),
			"Logged out of ghcr.io", loggedOut, ""},
		{"one that never ends, up to the timeout", afterMain(fakeapi.Credential{LoginDuration: fakeapi.Never}, "5"), "::warning::The login " +
			"operation …did not finish (timed out after 60s waiting for operation …logging out anyway.…Logged out of ghcr.io", loggedOut, ""},
		{"one whose reply named no operation, at once", afterMain(fakeapi.Credential{ReplyOperationID: "../../x"}, "120"), "::warning::The " +
			"login cannot be followed (the API's reply named no usable operation); logging out without waiting for it.…Logged out of ghcr.io", loggedOut, ""},
		{"cleanup false", afterLogin(func(e *testEnv) { e.inputs["cleanup"] = "false" }), "Cleanup is off (cleanup: false): staying logged in; " +
			"nothing sent.\n", nothingSent, "### Registry logout\n\nKept logged in: cleanup is 'false', so nothing was sent.\n\n"},
		{"no login started", func(*testing.T, *testEnv) map[string]string { return nil }, "No login to undo: the main step did not start one.\n", nothingSent, ""},
		{"bad inputs", afterLogin(func(e *testEnv) { e.inputs["timeout"] = "0" }), "::warning::Not logging out of ghcr.io on server prod-api: " +
			"input timeout: must be more than 0 seconds (got 0)%0AThe server stays logged in to ghcr.io.\n", nothingSent,
			logoutTable + "| Not logged out | ghcr.io | prod-api | – | – |\n\n**Reason:** input timeout: must be more than 0 seconds (got 0)\n\n"},
		{"the key gone", afterLogin(func(e *testEnv) { e.inputs["api_key"] = "" }), "::warning::Not logging out: input api_key: is required but empty", nothingSent, ""},
		{"a state sealed without the key", func(*testing.T, *testEnv) map[string]string {
			return map[string]string{stateKey: seal(loginState{ServerID: serverID, RegistryURL: "ghcr.io"}, "rca_guess", "STATE_"+stateKey)}
		}, "::warning::Not logging out: saved state STATE_login cannot be used: it was not written by this step's login", nothingSent, ""},
		{"docker refused the login", afterMain(refused, "120"), "No login to undo: docker login failed on the server (operation ", nothingSent, ""},
		{"docker refused the login post waited for", afterMain(refused, "10"), "No login to undo: docker login failed on the server (operation ", nothingSent, ""},
		{"logout keeps failing", afterLogin(func(e *testEnv) {
			e.api.Script(fakeapi.RouteLogout, fakeapi.Fault{Status: 500, Times: fakeapi.Forever})
		}), "::warning::Could not log out of ghcr.io on server prod-api: the API is having trouble (500 Internal Server Error", failed, ""},
		{"logout fails on the server", afterLogin(func(e *testEnv) {
			e.api.SetLogout(fakeapi.Logout{Duration: time.Second, Status: fakeapi.StatusFailed, Result: fakeapi.Result{ExitCode: 1, Stderr: "no daemon"}})
		}), "::warning::Could not log out of ghcr.io on server prod-api: docker logout failed on server prod-api (operation ", failed, logoutTable +
			"| Not logged out | ghcr.io | prod-api | `%s` | 1.1 s |\n\n**Reason:** docker logout failed on server prod-api (operation %s, " +
			"status failed, exit code 1): no daemon\n\n"},
		{"logout never finishes", afterLogin(func(e *testEnv) { e.inputs["timeout"] = "10"; e.api.SetLogoutDuration(fakeapi.Never) }),
			"::warning::Could not log out of ghcr.io on server prod-api: timed out after 10s waiting for operation %s (last status: running); " +
				"the logout has not finished on server prod-api: check in Reoclo that the server and its agent are online, " +
				"or raise timeout (now 10s) if the logout is only slow", failed, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newTestEnv(t)
				e.inputs["cleanup"] = "false"
				require.Equal(t, 0, e.run(RoleMain, nil).code, "a login that is not post's to undo")
				e.inputs["cleanup"] = "true"
				state := tc.setup(t, e)
				before := len(e.requests())
				post := e.run(RolePost, state)
				assert.Equal(t, 0, post.code, "post never fails the job")
				e.assertPrinted(t, post.stdout, tc.want)
				e.assertPrinted(t, post.summary, tc.summary)
				assert.NotContains(t, post.stdout, "::error")
				assert.Equal(t, strings.Contains(tc.want, "::warning::"), strings.Contains(post.stdout, "::warning::"), "a warning")
				assert.Empty(t, post.state, "post saves nothing")
				assert.Equal(t, tc.outcome != nothingSent, slices.Contains(e.requests()[before:], logoutPath), "a logout sent")
				if tc.outcome == failed {
					assert.Contains(t, post.stdout, "%0AThe server stays logged in to ghcr.io.\n", "the warning says what is left behind")
					assert.NotContains(t, post.stdout, serverID, "the server is named, not its (masked) ID")
				}
				time.Sleep(time.Hour)
				assert.Equal(t, tc.outcome != loggedOut, len(e.api.LoggedIn()) > 0, "still logged in, even later")
			})
		})
	}
}

// The logout step logs out; unlike post's, its failures fail the step.
func TestLogoutStep(t *testing.T) {
	tests := []struct {
		name  string
		setup func(e *testEnv)
		want  string // in the log and summary, as assertPrinted takes it
		sent  int    // requests
	}{
		{"logs out, not following a logout that completed at once", func(*testEnv) {},
			"Logged out of ghcr.io (operation %s, 0.0 s)\n…| Logged out | ghcr.io | " + serverID + " | `%s` |", 1},
		{"bad inputs: every problem at once, nothing sent", func(e *testEnv) {
			e.inputs["server_id"], e.inputs["registry_url"], e.inputs["timeout"] = "prod", "", "soon"
		}, "::error::input server_id: must be a UUID…input registry_url: is required but empty (set it in the step's with:, " +
			"typically to ${{ steps.<login step id>.outputs.registry_url }})…input timeout: must be a positive number", 0},
		{"the logout fails on the server", func(e *testEnv) {
			e.api.SetLogout(fakeapi.Logout{Duration: time.Second, Status: fakeapi.StatusFailed, Result: fakeapi.Result{ExitCode: 1}})
		}, "::error::could not log out of ghcr.io on server " + serverID + ": docker logout failed on server prod-api (operation %s", 6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newTestEnv(t)
				loggedIn(t, e)
				logoutStep(e)
				tc.setup(e)
				before := len(e.requests())
				res := e.run(RoleLogout, nil)
				e.assertPrinted(t, res.stdout+res.summary, tc.want)
				assert.Equal(t, strings.Contains(tc.want, "::error::"), res.code == 1)
				assert.Len(t, e.requests()[before:], tc.sent)
				assert.Empty(t, res.state)
				assert.Empty(t, res.outputs)
				assert.Equal(t, res.code == 0, len(e.api.LoggedIn()) == 0, "logged out")
				if res.code == 0 {
					assert.JSONEq(t, `{"server_id": "`+serverID+`", "registry_url": "ghcr.io", "run_id": "4242", "run_context": `+
						runContextJSON+`}`, string(e.api.Requests()[before].Body))
				}
			})
		})
	}
}
