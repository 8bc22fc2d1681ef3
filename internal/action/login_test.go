package action

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reoclo/docker-auth/internal/testkit/fakeapi"
	"github.com/reoclo/docker-auth/internal/testkit/memnet"
)

func TestRoleOf(t *testing.T) {
	tests := map[string]Role{
		"/docker-auth":                    RoleMain,
		"docker-auth":                     RoleMain,
		"/docker-auth-post":               RolePost,
		"/usr/local/bin/docker-auth-post": RolePost,
		"./bin/docker-auth-post.exe":      RolePost,
		"/docker-auth-logout":             RoleLogout,
		"bin/docker-auth-logout":          RoleLogout,
		"/docker-auth-logout-old":         RoleMain,
		"/tmp/go-build/exe/main":          RoleMain,
		"":                                RoleMain,
	}
	for argv0, want := range tests {
		t.Run(argv0, func(t *testing.T) {
			assert.Equal(t, want, RoleOf(argv0))
		})
	}
}

func TestMainLogsIn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		res := e.run(RoleMain, nil)
		require.Equal(t, 0, res.code, res.stdout)

		ops := e.api.Operations()
		require.Len(t, ops, 1)
		opID := ops[0].ID
		assert.Equal(t, map[string]string{"operation_id": opID, "registry_url": "ghcr.io", "registry_type": "ghcr"}, res.outputs)
		assert.Equal(t, loginState{ServerID: serverID, RegistryURL: "ghcr.io", OperationID: opID, Finished: true, ServerName: "prod-api"},
			res.login)
		assert.Len(t, res.state, 1, "one state key")
		assert.Contains(t, res.stdout, fmt.Sprintf("Logged in to ghcr.io on server prod-api (operation %s, 0.4 s)\n", opID))
		assert.True(t, strings.HasPrefix(res.stdout, "::add-mask::"+testKey+"\n"), "the key is masked before anything else is printed")

		reqs := e.requests()
		assert.Equal(t, loginPath, reqs[0])
		for _, r := range reqs[1:] {
			assert.Equal(t, opPrefix+opID, r)
		}
		assert.Equal(t, map[string][]string{serverID: {"ghcr.io"}}, e.api.LoggedIn())

		var body map[string]any
		require.NoError(t, json.Unmarshal(e.api.Requests()[0].Body, &body))
		assert.Equal(t, map[string]any{
			"server_id": serverID, "credential_id": ghcrCred, "run_id": "4242",
			"run_context": map[string]any{"provider": "github_actions", "repository": "acme/webshop", "workflow": "deploy",
				"trigger": "push", "actor": "octocat", "sha": "0123456789abcdef0123456789abcdef01234567", "ref": "refs/heads/main"},
		}, body)
		assert.Equal(t, "Bearer "+testKey, e.api.Requests()[0].Header.Get("Authorization"))
		assert.Contains(t, e.api.Requests()[0].Header.Get("User-Agent"), "reoclo-docker-auth/test")
	})
}

func TestMainSummary(t *testing.T) {
	const table = "| Result | Registry | Type | Server | Operation | Duration |\n| --- | --- | --- | --- | --- | --- |\n"
	tests := []struct {
		name  string
		setup func(e *testEnv)
		want  func(opID string) string
	}{
		{"logged in", func(*testEnv) {}, func(opID string) string {
			return "### Registry login\n\n" + table + "| Logged in | ghcr.io | ghcr | prod-api | `" + opID + "` | 0.4 s |\n\n"
		}},
		{"refused by the registry", func(e *testEnv) {
			e.api.AddCredential(fakeapi.Credential{ID: otherCred, RegistryURL: "ghcr.io", RegistryType: "ghcr", LoginDuration: 400 * time.Millisecond,
				Status: fakeapi.StatusFailed, Result: fakeapi.Result{ExitCode: 1, Stderr: "Error response from daemon: Get \"https://ghcr.io/v2/\": denied: [denied] *x* <b>|"}})
			e.inputs["credential_id"] = otherCred
		}, func(opID string) string {
			return "### Registry login\n\n" + table + "| Failed | ghcr.io | ghcr | prod-api | `" + opID + "` | 0.6 s |\n\n" +
				"**Reason:** docker login failed on server prod-api (operation " + opID + ", status failed, exit code 1): " +
				"Error response from daemon: Get &#34;https://ghcr.io/v2/&#34;: denied: \\[denied\\] \\*x\\* &lt;b&gt;\\|; " +
				"check the user name and password or token stored with this credential in Reoclo, " +
				"and that the registry lets that account log in (and pull or push what the job needs)\n\n"
		}},
		{"key refused", func(e *testEnv) { e.inputs["api_key"] = "rca_unknown" }, func(string) string {
			// The API error's own wording belongs to internal/reoclo: only its start is checked here.
			return "### Registry login\n\nFailed before any login started on the server.\n\n**Reason:** start the login: the API key was refused" + prefixOnly
		}},
		{"bad inputs", func(e *testEnv) { e.inputs["server_id"], e.inputs["timeout"] = "prod", "soon" }, func(string) string {
			return "### Registry login\n\nFailed before any login started on the server.\n\n**Reason:**\n\n" +
				"- input server\\_id: must be a UUID such as 6f1c2b8e-3d4a-4e5f-9a6b-7c8d9e0f1a2b (got 4 characters that are not one)\n" +
				"- input timeout: must be a positive number of seconds such as 120 (got &#34;soon&#34;)\n\n"
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newTestEnv(t)
				tc.setup(e)
				res := e.run(RoleMain, nil)
				opID := ""
				if ops := e.api.Operations(); len(ops) > 0 {
					opID = ops[0].ID
				}
				want, prefix := strings.CutSuffix(tc.want(opID), prefixOnly)
				if prefix {
					assert.True(t, strings.HasPrefix(res.summary, want), res.summary)
					assert.True(t, strings.HasSuffix(res.summary, "\n\n"), "the section ends with a blank line")
					return
				}
				assert.Equal(t, want, res.summary)
			})
		})
	}
}

// prefixOnly ends an expected summary that is checked up to that point only.
const prefixOnly = "\x00prefix"

func TestGiteaProvider(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		e.env["GITEA_ACTIONS"] = "true"
		res := e.run(RoleMain, nil)
		require.Equal(t, 0, res.code, res.stdout)
		op := e.api.Operations()[0]
		assert.Equal(t, "gitea_actions", op.RunContext["provider"])
	})
}

func TestMainRejectsBadInputsBeforeAnyRequest(t *testing.T) {
	tests := []struct {
		input, value, want string
	}{
		{"api_key", "", "input api_key: is required"},
		{"server_id", "prod-api", "input server_id: must be a UUID"},
		{"credential_id", "", "input credential_id: is required"},
		{"cleanup", "yes", "input cleanup: must be one of true, True, TRUE, false, False, FALSE"},
		{"timeout", "2m", "input timeout: must be a positive number of seconds"},
		{"api_url", "http://api.example.com", "input api_url: must use https"},
	}
	for _, tc := range tests {
		t.Run(tc.input, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newTestEnv(t)
				e.inputs[tc.input] = tc.value
				res := e.run(RoleMain, nil)
				assert.Equal(t, 1, res.code)
				assert.Contains(t, res.stdout, "::error::"+tc.want)
				assert.Empty(t, e.requests(), "nothing is sent")
				assert.Zero(t, res.login)
				assert.Empty(t, res.outputs)

				post := e.run(RolePost, res.state)
				assert.Equal(t, 0, post.code)
				assert.Empty(t, e.requests(), "post sends nothing either")
				assert.Contains(t, post.stdout, "No login to undo: the main step did not start one.")
				assert.NotContains(t, post.stdout, "::warning")
			})
		})
	}
}

func TestMainExplainsAPIErrorsAfterOneRequest(t *testing.T) {
	tests := []struct {
		name  string
		setup func(e *testEnv)
		want  string
	}{
		{"401 invalid key", func(e *testEnv) { e.inputs["api_key"] = "rca_unknown" },
			"the API key was refused: it is missing, invalid or expired"},
		{"403 credential out of scope", func(e *testEnv) {
			e.api.AddKey("rca_narrow", fakeapi.Scope{Operations: []string{fakeapi.Any}, Servers: []string{fakeapi.Any}, Credentials: []string{hubCred}})
			e.inputs["api_key"] = "rca_narrow"
		}, "the API key is not allowed to do this; in Reoclo, add it to the key's Allowed Credentials"},
		{"403 operation out of scope", func(e *testEnv) {
			e.api.AddKey("rca_logout_only", fakeapi.Scope{Operations: []string{fakeapi.OpRegistryLogout}, Servers: []string{fakeapi.Any}, Credentials: []string{fakeapi.Any}})
			e.inputs["api_key"] = "rca_logout_only"
		}, "the API key is not allowed to do this; in Reoclo, add it to the key's Allowed Operations"},
		{"404 credential", func(e *testEnv) { e.inputs["credential_id"] = otherCred }, "the credential was not found: check credential_id"},
		{"404 server", func(e *testEnv) { e.inputs["server_id"] = otherCred }, "the server was not found: check server_id"},
		{"422 field messages", func(e *testEnv) {
			e.api.Script(fakeapi.RouteLogin, fakeapi.Fault{Status: 422,
				Body: `{"detail":[{"loc":["body","credential_id"],"msg":"Input should be a valid UUID","type":"uuid_parsing"}]}`})
		}, "the API rejected the request as invalid (422 Unprocessable Entity from POST"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newTestEnv(t)
				tc.setup(e)
				res := e.run(RoleMain, nil)
				assert.Equal(t, 1, res.code)
				assert.Contains(t, res.stdout, "::error::start the login: "+tc.want)
				assert.Len(t, e.requests(), 1, "exactly one request")
				assert.Zero(t, res.login, "nothing for post to undo")

				post := e.run(RolePost, res.state)
				assert.Equal(t, 0, post.code)
				assert.Len(t, e.requests(), 1, "post sends nothing")
			})
		})
	}
}

func TestMainReportsTheServersReason(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		e.api.AddCredential(fakeapi.Credential{ID: otherCred, RegistryURL: "ghcr.io", RegistryType: "ghcr",
			LoginDuration: time.Second, Status: fakeapi.StatusFailed,
			Result: fakeapi.Result{ExitCode: 1, Stderr: "Error response from daemon: Get \"https://ghcr.io/v2/\": denied: denied\n"}})
		e.inputs["credential_id"] = otherCred
		res := e.run(RoleMain, nil)
		assert.Equal(t, 1, res.code)
		opID := e.api.Operations()[0].ID
		assert.Contains(t, res.stdout, fmt.Sprintf("::error::docker login failed on server prod-api (operation %s, status failed, exit code 1): "+
			"Error response from daemon: Get \"https://ghcr.io/v2/\": denied: denied; check the user name and password or token stored with "+
			"this credential in Reoclo, and that the registry lets that account log in (and pull or push what the job needs)\n", opID))
		assert.Contains(t, res.stdout, "Output of docker login on prod-api (stderr):\n::stop-commands::")
		assert.Empty(t, res.outputs, "no outputs for a failed login")
		assert.Equal(t, opID, res.login.OperationID, "post still logs out")
	})
}

func TestMainMissingExitCodeIsAFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		e.api.AddCredential(fakeapi.Credential{ID: otherCred, RegistryURL: "ghcr.io", RegistryType: "ghcr",
			Result: fakeapi.Result{MissingExitCode: true, Stdout: "Login Succeeded"}})
		e.inputs["credential_id"] = otherCred
		res := e.run(RoleMain, nil)
		assert.Equal(t, 1, res.code)
		assert.Contains(t, res.stdout, "status completed, no exit code): Login Succeeded")
	})
}

func TestMainTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		e.api.AddCredential(fakeapi.Credential{ID: otherCred, RegistryURL: "ghcr.io", RegistryType: "ghcr", LoginDuration: fakeapi.Never})
		e.inputs["credential_id"] = otherCred
		e.inputs["timeout"] = "120"
		res := e.run(RoleMain, nil)
		assert.Equal(t, 1, res.code)
		opID := e.api.Operations()[0].ID
		assert.Contains(t, res.stdout, fmt.Sprintf("::error::timed out after 120s waiting for operation %s (last status: running); "+
			"the login has not finished on server prod-api: check in Reoclo that the server and its agent are online, "+
			"or raise timeout (now 120s) if the login is only slow\n", opID))
		assert.Equal(t, 120*time.Second, time.Since(e.start), "stopped at the deadline")
		polls := len(e.requests()) - 1
		assert.LessOrEqual(t, polls, 120, "about one request a second at most")
		assert.Equal(t, opID, res.login.OperationID, "state saved before polling, so post can clean up")
		assert.False(t, res.login.Finished)
	})
}

func TestMainTimeoutCoversRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		e.inputs["timeout"] = "5"
		e.api.Script(fakeapi.RouteOperation, fakeapi.Fault{Status: 503, Times: fakeapi.Forever})
		res := e.run(RoleMain, nil)
		assert.Equal(t, 1, res.code)
		assert.Contains(t, res.stdout, "::error::timed out after 5s waiting for operation")
		// The deadline comes during a poll's retries, or as they run out.
		assert.Contains(t, res.stdout, "(last status: unknown; last error: ")
		assert.Contains(t, res.stdout, "503 Service Unavailable")
		assert.NotContains(t, res.stdout, "has not finished on server", "no poll succeeded: the API, not the server, is the problem")
	})
}

// When the polls were failing at the deadline, the API is in question, not
// the server's agent: no hint about the agent.
func TestMainTimeoutWhilePollsFailHasNoAgentHint(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		e.api.AddCredential(fakeapi.Credential{ID: otherCred, RegistryURL: "ghcr.io", RegistryType: "ghcr", LoginDuration: fakeapi.Never})
		e.inputs["credential_id"] = otherCred
		e.inputs["timeout"] = "5"
		// After the first poll (at 200 ms) saw "running", before the second.
		time.AfterFunc(300*time.Millisecond, func() {
			e.api.Script(fakeapi.RouteOperation, fakeapi.Fault{Status: 503, Times: fakeapi.Forever})
		})
		res := e.run(RoleMain, nil)
		assert.Equal(t, 1, res.code)
		assert.Contains(t, res.stdout, "::error::timed out after 5s waiting for operation")
		assert.Contains(t, res.stdout, "(last status: running, seen before the polls began failing; last error: ")
		assert.Contains(t, res.stdout, "503 Service Unavailable")
		assert.NotContains(t, res.stdout, "has not finished on server")
	})
}

// The server's own time limit ended docker login: the hint points at the
// server's way to the registry, not at the credential.
func TestMainLoginTheServerGaveUpOn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		e.api.AddCredential(fakeapi.Credential{ID: otherCred, RegistryURL: "ghcr.io", RegistryType: "ghcr", Status: fakeapi.StatusTimeout,
			Result: fakeapi.Result{MissingExitCode: true, Stderr: "context deadline exceeded"}})
		e.inputs["credential_id"] = otherCred
		res := e.run(RoleMain, nil)
		assert.Equal(t, 1, res.code)
		assert.Contains(t, res.stdout, "status timeout, no exit code): context deadline exceeded; the server gave up before docker login finished: "+
			"check that server prod-api can reach the registry (DNS, firewall, proxy)\n")
		assert.NotContains(t, res.stdout, "stored with this credential")
	})
}

func TestMainRidesOutTransientPollFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		e.api.Script(fakeapi.RouteLogin, fakeapi.Fault{Status: 503}, fakeapi.Fault{Status: 503})
		e.api.Script(fakeapi.RouteOperation, fakeapi.Fault{Status: 502, Times: 8, ContentType: "text/html", Body: "<html>bad gateway</html>"})
		res := e.run(RoleMain, nil)
		require.Equal(t, 0, res.code, res.stdout)
		assert.Equal(t, "ghcr.io", res.outputs["registry_url"])
		assert.Equal(t, []string{loginPath, loginPath, loginPath}, e.requests()[:3])
	})
}

func TestMainRetriesScriptedFaults(t *testing.T) {
	retryAfter := http.Header{"Retry-After": []string{"7"}}
	tests := []struct {
		name      string
		route     fakeapi.Route
		faults    []fakeapi.Fault
		wantWaits []time.Duration
	}{
		{"503 twice on the login", fakeapi.RouteLogin, []fakeapi.Fault{{Status: 503}, {Status: 503}},
			[]time.Duration{125 * time.Millisecond, 250 * time.Millisecond}},
		{"429 with Retry-After on the login", fakeapi.RouteLogin, []fakeapi.Fault{{Status: 429, Header: retryAfter}},
			[]time.Duration{7 * time.Second}},
		{"dropped connection on the login", fakeapi.RouteLogin, []fakeapi.Fault{{Drop: true}},
			[]time.Duration{125 * time.Millisecond}},
		{"408 on a poll", fakeapi.RouteOperation, []fakeapi.Fault{{Status: 408}},
			[]time.Duration{125 * time.Millisecond}},
		{"Retry-After: 0 on every poll never shortens the backoff", fakeapi.RouteOperation,
			[]fakeapi.Fault{{Status: 429, Header: http.Header{"Retry-After": []string{"0"}}, Times: 3}},
			[]time.Duration{125 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond}},
		{"Retry-After in the past never shortens the backoff", fakeapi.RouteOperation,
			[]fakeapi.Fault{{Status: 503, Header: http.Header{"Retry-After": []string{"Fri, 31 Dec 1999 23:00:00 GMT"}}, Times: 2}},
			[]time.Duration{125 * time.Millisecond, 250 * time.Millisecond}},
		{"a poll reply cut short", fakeapi.RouteOperation, []fakeapi.Fault{{Through: true, CutShort: true}},
			[]time.Duration{125 * time.Millisecond}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newTestEnv(t)
				e.api.Script(tc.route, tc.faults...)
				res := e.run(RoleMain, nil)
				require.Equal(t, 0, res.code, res.stdout)
				assert.Equal(t, "ghcr.io", res.outputs["registry_url"])
				assertRetryWaits(t, tc.wantWaits, e.gaps(tc.route, len(tc.wantWaits)))
				assert.Len(t, e.api.Operations(), 1, "retries start no second login operation")
			})
		})
	}
}

// A login reply cut short is retried like a dropped connection. The first
// attempt may have started a login on the server: a second docker login of
// the same credential changes nothing, and post logs out of the registry.
func TestMainRetriesALoginReplyCutShort(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		e.api.Script(fakeapi.RouteLogin, fakeapi.Fault{Through: true, CutShort: true})
		res := e.run(RoleMain, nil)
		require.Equal(t, 0, res.code, res.stdout)
		assertRetryWaits(t, []time.Duration{125 * time.Millisecond}, e.gaps(fakeapi.RouteLogin, 1))
		assert.Equal(t, []string{loginPath, loginPath}, e.requests()[:2])
		post := e.run(RolePost, res.state)
		assert.Contains(t, post.stdout, "Logged out of ghcr.io")
		time.Sleep(time.Hour)
		assert.Empty(t, e.api.LoggedIn())
	})
}

// duration_ms is informational: any JSON number form is fine.
func TestMainAcceptsNumberForms(t *testing.T) {
	for _, n := range []string{"412.7", "1e3", "-0"} {
		t.Run(n, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newTestEnv(t)
				e.api.AddCredential(fakeapi.Credential{ID: otherCred, RegistryURL: "ghcr.io", RegistryType: "ghcr",
					LoginDuration: time.Second, Result: fakeapi.Result{Stdout: "Login Succeeded", DurationJSON: n}})
				e.inputs["credential_id"] = otherCred
				res := e.run(RoleMain, nil)
				require.Equal(t, 0, res.code, res.stdout)
				assert.Equal(t, "ghcr.io", res.outputs["registry_url"])
				assert.LessOrEqual(t, time.Since(e.start), 1155*time.Millisecond, "seen within 10% + 55 ms")
			})
		})
	}
}

func TestMainCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		e.api.AddCredential(fakeapi.Credential{ID: otherCred, RegistryURL: "ghcr.io", RegistryType: "ghcr", LoginDuration: fakeapi.Never})
		e.inputs["credential_id"] = otherCred
		ctx, hard, sigint, _ := twoLevels(t)
		// After the second poll (at 370 ms), before the third (582.5 ms).
		time.AfterFunc(500*time.Millisecond, sigint)
		res := e.runStopped(ctx, hard, RoleMain, nil)
		assert.Equal(t, 1, res.code)
		assert.Contains(t, res.stdout, "::error::cancelled (received interrupt) waiting for operation")
		assert.NotContains(t, res.stdout, "raise timeout", "a cancelled step needs no hint about the timeout")
		assert.NotEmpty(t, res.login.OperationID, "post will clean up")
		assert.Len(t, e.requests(), 3, "the login and two polls (the first comes after a pause); nothing sent after the cancel")
	})
}

type interrupt struct{}

func (interrupt) String() string { return "interrupt" }
func (interrupt) Signal()        {}

// A registry_url that cannot be an output cannot be handed to post either:
// main, which holds the exact value and the key, logs out of it at once.
// One that no logout can name (empty, or read by docker as an option) is
// never sent back.
func TestMainRefusesUnsafeRegistryValues(t *testing.T) {
	tests := map[string]struct {
		url, want string
		logsOut   bool
	}{
		"newline":    {"ghcr.io\nregistry_type=evil", "the API returned a registry_url that cannot be an output: the value contains a control character", true},
		"delimiter":  {"ghcr.io_GitHubActionsFileCommandDelimeter_", "the API returned a registry_url that cannot be an output", true},
		"escape":     {"ghcr.io\x1b[2K", "the API returned a registry_url that cannot be an output", true},
		"3000 bytes": {strings.Repeat("a", 2990) + ".ghcr.io", "the API returned a registry_url that cannot be an output: the value is 2998 bytes long", true},
		"an option":  {"--config=/tmp/x", `the API started a login but returned a registry_url that no logout can name: it starts with "-"`, false},
		"-h":         {"-h", `the API started a login but returned a registry_url that no logout can name: it starts with "-"`, false},
		"empty":      {"", "the API started a login but returned a registry_url that no logout can name: it is empty", false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newTestEnv(t)
				e.api.AddCredential(fakeapi.Credential{ID: otherCred, RegistryURL: tc.url, RegistryType: "ghcr", LoginDuration: time.Second})
				e.inputs["credential_id"] = otherCred
				res := e.run(RoleMain, nil)
				assert.Equal(t, 1, res.code)
				assert.Contains(t, res.stdout, "::error::"+tc.want)
				assert.Empty(t, res.files["GITHUB_OUTPUT"], "nothing written")
				assert.Zero(t, res.login, "no login for post")
				var logouts []string
				for _, r := range e.api.Requests() {
					if r.Method+" "+r.Path == logoutPath {
						var body struct {
							RegistryURL string `json:"registry_url"`
						}
						require.NoError(t, json.Unmarshal(r.Body, &body))
						logouts = append(logouts, body.RegistryURL)
					}
				}
				if tc.logsOut {
					assert.Equal(t, []string{tc.url}, logouts, "the exact value, in the JSON body")
					assert.Contains(t, res.stdout, "so the post step could not log out, main logged out of ")
					assert.Empty(t, e.api.LoggedIn())
				} else {
					assert.Empty(t, logouts)
				}
			})
		})
	}
}

// A runner whose files cannot be written (a full disk): main finds out
// before the login and sends nothing; if saving fails after the login, it
// logs out again at once rather than leave a login no one will undo.
func TestMainWhenStateCannotBeWritten(t *testing.T) {
	t.Run("before the login", func(t *testing.T) {
		for _, file := range []string{"GITHUB_STATE", "GITHUB_ENV"} {
			t.Run(file, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					e := newTestEnv(t)
					actRunner(e, "ACT", "login")
					e.setFile(file, "/dev/full")
					res := e.run(RoleMain, nil)
					assert.Equal(t, 1, res.code)
					assert.Contains(t, res.stdout, "::error::cannot save the step's state for the post step: "+
						"unable to write command to the environment file: write /dev/full: no space left on device; nothing was sent")
					assert.Empty(t, e.requests())
				})
			})
		}
	})
	t.Run("after the login", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := newTestEnv(t)
			e.onLogin(func() { e.setFile("GITHUB_STATE", "/dev/full") })
			res := e.run(RoleMain, nil)
			assert.Equal(t, 1, res.code)
			assert.Contains(t, res.stdout, "::error::cannot save the step's state for the post step: "+
				"unable to write command to the environment file: write /dev/full: no space left on device; "+
				"so the post step could not log out, main logged out of ghcr.io again (operation ")
			reqs := e.requests()
			assert.Equal(t, logoutPath, reqs[len(reqs)-1], "after the login ended")
			time.Sleep(time.Hour)
			assert.Empty(t, e.api.LoggedIn())
		})
	})
}

func TestMainNeedsTheRunnersFiles(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		e.env["GITHUB_OUTPUT"] = ""
		vars := map[string]string{"INPUT_API_KEY": testKey, "INPUT_SERVER_ID": serverID, "INPUT_CREDENTIAL_ID": ghcrCred,
			"INPUT_CLEANUP": "true", "INPUT_API_URL": apiURL, "INPUT_TIMEOUT": "120"}
		var out strings.Builder
		code := Run(context.Background(), context.Background(), []string{"docker-auth"}, Deps{Getenv: func(k string) string { return vars[k] }, Stdout: &out, Transport: e.transport})
		assert.Equal(t, 1, code)
		assert.Contains(t, out.String(), "::error::GITHUB_OUTPUT is not set: docker-auth must run as a GitHub Actions step")
		assert.Empty(t, e.requests())
	})
}

func TestMainWithoutCleanupSavesNoState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		e.inputs["cleanup"] = "FALSE"
		res := e.run(RoleMain, nil)
		require.Equal(t, 0, res.code, res.stdout)
		assert.Zero(t, res.login)
		assert.Equal(t, "ghcr.io", res.outputs["registry_url"])
	})
}

func TestHugeServerOutputIsTruncated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		huge := strings.Repeat("::error::forged annotation\n", 5<<20/27)
		e.api.AddCredential(fakeapi.Credential{ID: otherCred, RegistryURL: "ghcr.io", RegistryType: "ghcr",
			Result: fakeapi.Result{ExitCode: 1, Stdout: huge, Stderr: "denied: denied"}})
		e.inputs["credential_id"] = otherCred
		res := e.run(RoleMain, nil)
		assert.Equal(t, 1, res.code)
		assert.Less(t, len(res.stdout), 80<<10, "the log gets at most 64 KiB of it")
		m := regexp.MustCompile(`\[output truncated: (\d+) bytes shown of about (\d+)\]`).FindStringSubmatch(res.stdout)
		require.NotNil(t, m, "a note says how much was shown")
		shown, _ := strconv.Atoi(m[1])
		total, _ := strconv.Atoi(m[2])
		assert.InDelta(t, 64<<10, shown, 3<<10)
		assert.InDelta(t, len(huge), total, float64(len(huge))/20)
		assert.Contains(t, res.stdout, "): denied: denied; check the user name and password or token")
	})
}

// An unreachable API names the URL, the attempts, the last error and what to
// check; nothing is saved, so post sends nothing.
func TestMainUnreachableAPI(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		e.transport = memnet.Refused()
		res := e.run(RoleMain, nil)
		assert.Equal(t, 1, res.code)
		assert.Contains(t, res.stdout, "::error::start the login: cannot reach the API: POST "+apiURL+
			"/api/automation/v1/registry-auth/login failed on 6 attempts; last error: dial tcp ")
		assert.Contains(t, res.stdout, "connection refused; check api_url, and that this runner can reach it: "+
			"a proxy it must use (HTTPS_PROXY, NO_PROXY) or firewall rules for outgoing traffic\n")
		assert.Zero(t, res.login)
	})
}

// assertRetryWaits checks the waits before retries against the least the
// backoff may draw for each: the draw takes 50-100% of the backoff, so a
// wait is at least its least and under twice it (a Retry-After of 7 s
// lies in [7 s, 14 s) too).
func assertRetryWaits(t *testing.T, least, got []time.Duration) {
	t.Helper()
	require.Len(t, got, len(least))
	for i, w := range least {
		assert.GreaterOrEqual(t, got[i], w, "wait %d", i+1)
		assert.Less(t, got[i], 2*w, "wait %d", i+1)
	}
}

// panicsOnce is a writer whose first write panics, as go-githubactions does
// when it cannot write a file command.
type panicsOnce struct {
	strings.Builder
	panicked bool
}

func (w *panicsOnce) Write(p []byte) (int, error) {
	if !w.panicked {
		w.panicked = true
		panic("cannot write the file command")
	}
	return w.Builder.Write(p)
}

// A panic fails the main step and the logout step, never the post step.
func TestRunRecoversFromAPanic(t *testing.T) {
	for argv0, want := range map[string]struct {
		code    int
		command string
	}{
		"/docker-auth":        {1, "::error::cannot write the file command"},
		"/docker-auth-logout": {1, "::error::cannot write the file command"},
		"/docker-auth-post":   {0, "::warning::cannot write the file command"},
	} {
		t.Run(argv0, func(t *testing.T) {
			vars := map[string]string{"INPUT_API_KEY": testKey}
			var out panicsOnce
			code := Run(context.Background(), context.Background(), []string{argv0}, Deps{Getenv: func(k string) string { return vars[k] }, Stdout: &out})
			assert.Equal(t, want.code, code)
			assert.Equal(t, want.command+"\n", out.String())
		})
	}
}
