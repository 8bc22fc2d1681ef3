package action

import (
	"encoding/json"
	"fmt"
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
		logoutOp := ops[len(ops)-1]
		assert.Contains(t, post.stdout, fmt.Sprintf("Logged out of ghcr.io (operation %s, 0.0 s)\n", logoutOp.ID))
		assert.NotContains(t, post.stdout, "::warning")

		var body map[string]any
		require.NoError(t, json.Unmarshal(e.api.Requests()[before].Body, &body))
		assert.Equal(t, serverID, body["server_id"])
		assert.Equal(t, "ghcr.io", body["registry_url"])
		assert.Equal(t, "4242", body["run_id"])
		rc, ok := body["run_context"].(map[string]any)
		require.True(t, ok, "run_context is an object")
		assert.Equal(t, "acme/webshop", rc["repository"])
		assert.Empty(t, post.files["GITHUB_STATE"], "post saves nothing")
	})
}

func TestPostReadsTheKeyFromInputsOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		state := loggedIn(t, e)
		for k, v := range state {
			assert.NotContains(t, v, testKey, "state %s", k)
		}
		before := len(e.requests())
		e.inputs["api_key"] = ""
		post := e.run(RolePost, state)
		assert.Equal(t, 0, post.code)
		assert.Contains(t, post.stdout, "::warning::Not logging out: input api_key: is required but empty")
		assert.Len(t, e.requests(), before)
	})
}

func TestPostFollowsA202Logout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		state := loggedIn(t, e)
		e.api.SetLogoutDuration(700 * time.Millisecond)
		before := len(e.requests())

		post := e.run(RolePost, state)
		assert.Equal(t, 0, post.code)
		reqs := e.requests()[before:]
		assert.Equal(t, logoutPath, reqs[0])
		assert.Greater(t, len(reqs), 2, "the running logout is polled")
		assert.Empty(t, e.api.LoggedIn(), "reported only once the logout finished")
		assert.Contains(t, post.stdout, "Logged out of ghcr.io (operation ")
		assert.Contains(t, post.stdout, ", 0.8 s)")
	})
}

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
		}, "timed out after 10s waiting for operation"},
		{"logout never finishes: what to try", func(e *testEnv) {
			e.inputs["timeout"] = "10"
			e.api.SetLogoutDuration(fakeapi.Never)
		}, "(last status: running); the logout has not finished on server prod-api: check in Reoclo that the server and its agent are online, " +
			"or raise timeout (now 10s) if the logout is only slow"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newTestEnv(t)
				tc.setup(e)
				state := loggedIn(t, e)
				post := e.run(RolePost, state)
				assert.Equal(t, 0, post.code, "a failed logout never fails the job")
				assert.Contains(t, post.stdout, tc.want)
				assert.Contains(t, post.stdout, "%0AThe server stays logged in to ghcr.io.\n", "the warning says what is left behind")
				assert.NotContains(t, post.stdout, serverID, "the server is named, not its (masked) ID")
				assert.NotContains(t, post.stdout, "::error")
				assert.NotContains(t, post.stdout, "Logged out")
			})
		})
	}
}

func TestPostWithCleanupFalseSendsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		state := loggedIn(t, e)
		before := len(e.requests())
		e.inputs["cleanup"] = "false"
		post := e.run(RolePost, state)
		assert.Equal(t, 0, post.code)
		assert.Len(t, e.requests(), before)
		assert.Contains(t, post.stdout, "Cleanup is off (cleanup: false): staying logged in; nothing sent.\n")
		assert.Equal(t, map[string][]string{serverID: {"ghcr.io"}}, e.api.LoggedIn())
	})
}

func TestPostWithoutStateSendsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		post := e.run(RolePost, nil)
		assert.Equal(t, 0, post.code)
		assert.Empty(t, e.requests())
		assert.Contains(t, post.stdout, "No login to undo: the main step did not start one.\n")
	})
}

func TestPostWarnsOnBadInputsWhenThereIsALogin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		state := loggedIn(t, e)
		before := len(e.requests())
		e.inputs["api_url"] = "http://api.example.com"
		post := e.run(RolePost, state)
		assert.Equal(t, 0, post.code)
		assert.Contains(t, post.stdout, "::warning::Not logging out of ghcr.io on server prod-api: input api_url: must use https")
		assert.Contains(t, post.stdout, "%0AThe server stays logged in to ghcr.io.\n")
		assert.Len(t, e.requests(), before)
	})
}

func TestPostRefusesTamperedState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		forged := map[string]string{stateKey: seal(loginState{ServerID: serverID, RegistryURL: "ghcr.io"}, "rca_guess", whereState)}
		post := e.run(RolePost, forged)
		assert.Equal(t, 0, post.code)
		assert.Empty(t, e.requests())
		assert.Contains(t, post.stdout, "::warning::Not logging out: saved state STATE_login cannot be used: it was not written by this step's login")
	})
}

// A login still running when main gave up must not finish after the logout
// and leave the server logged in: post waits for it first.
func TestPostWaitsForALateLogin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		e.api.AddCredential(fakeapi.Credential{ID: otherCred, RegistryURL: "ghcr.io", RegistryType: "ghcr", LoginDuration: 30 * time.Second})
		e.inputs["credential_id"] = otherCred
		e.inputs["timeout"] = "10"
		res := e.run(RoleMain, nil)
		require.Equal(t, 1, res.code)
		require.Contains(t, res.stdout, "timed out after 10s")
		require.Empty(t, e.api.LoggedIn(), "the login has not finished yet")

		e.inputs["timeout"] = "60"
		post := e.run(RolePost, res.state)
		assert.Equal(t, 0, post.code, post.stdout)
		assert.Contains(t, post.stdout, "Logged out of ghcr.io")
		time.Sleep(time.Hour)
		assert.Empty(t, e.api.LoggedIn(), "nothing left logged in, even later")
	})
}

func TestPostLogsOutEvenIfTheLoginNeverFinishes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		e.api.AddCredential(fakeapi.Credential{ID: otherCred, RegistryURL: "ghcr.io", RegistryType: "ghcr", LoginDuration: fakeapi.Never})
		e.inputs["credential_id"] = otherCred
		e.inputs["timeout"] = "5"
		res := e.run(RoleMain, nil)
		require.Equal(t, 1, res.code)

		post := e.run(RolePost, res.state)
		assert.Equal(t, 0, post.code)
		assert.Contains(t, post.stdout, "did not finish (timed out after 5s waiting for operation")
		assert.Contains(t, post.stdout, "logging out anyway")
		assert.Contains(t, post.stdout, "Logged out of ghcr.io")
		reqs := e.requests()
		assert.Equal(t, logoutPath, reqs[len(reqs)-1])
	})
}

func TestPostCancelledBeforeLogout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		ctx, hard, _, sigterm := twoLevels(t)
		sigterm()
		post := e.runStopped(ctx, hard, RolePost, sealed(loginState{ServerID: serverID, RegistryURL: "ghcr.io", OperationID: "abc"}))
		assert.Equal(t, 0, post.code)
		assert.Contains(t, post.stdout, "::warning::Could not log out of ghcr.io on server "+serverID+": cancelled before the logout was sent")
	})
}

func TestPostSummary(t *testing.T) {
	const table = "| Result | Registry | Server | Operation | Duration |\n| --- | --- | --- | --- | --- |\n"
	tests := []struct {
		name   string
		setup  func(e *testEnv)
		noMain bool
		want   func(opID string) string
	}{
		{"logged out", func(e *testEnv) { e.api.SetLogoutDuration(700 * time.Millisecond) }, false, func(opID string) string {
			return "### Registry logout\n\n" + table + "| Logged out | ghcr.io | prod-api | `" + opID + "` | 0.8 s |\n\n"
		}},
		{"kept", func(e *testEnv) { e.inputs["cleanup"] = "false" }, false, func(string) string {
			return "### Registry logout\n\nKept logged in: cleanup is 'false', so nothing was sent.\n\n"
		}},
		{"nothing to undo", func(*testEnv) {}, true, func(string) string {
			return "### Registry logout\n\nNothing to log out: the main step did not start a login.\n\n"
		}},
		{"logout failed on the server", func(e *testEnv) {
			e.api.SetLogout(fakeapi.Logout{Duration: time.Second, Status: fakeapi.StatusFailed,
				Result: fakeapi.Result{ExitCode: 1, Stderr: "cannot reach docker daemon"}})
		}, false, func(opID string) string {
			return "### Registry logout\n\n" + table + "| Not logged out | ghcr.io | prod-api | `" + opID + "` | 1.1 s |\n\n" +
				"**Reason:** docker logout failed on server prod-api (operation " + opID + ", status failed, exit code 1): cannot reach docker daemon\n\n"
		}},
		{"bad input", func(e *testEnv) { e.inputs["timeout"] = "0" }, false, func(string) string {
			return "### Registry logout\n\n" + table + "| Not logged out | ghcr.io | prod-api | – | – |\n\n" +
				"**Reason:** input timeout: must be more than 0 seconds (got 0)\n\n"
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newTestEnv(t)
				var state map[string]string
				if !tc.noMain {
					state = loggedIn(t, e)
				}
				tc.setup(e)
				post := e.run(RolePost, state)
				require.Equal(t, 0, post.code)
				opID := ""
				if ops := e.api.Operations(); len(ops) > 1 {
					opID = ops[len(ops)-1].ID
				}
				assert.Equal(t, tc.want(opID), post.summary)
			})
		})
	}
}
