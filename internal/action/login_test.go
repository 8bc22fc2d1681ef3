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
	for argv0, want := range map[string]Role{
		"/docker-auth": RoleMain, "/usr/local/bin/docker-auth-post": RolePost, "./bin/docker-auth-post.exe": RolePost,
		"bin/docker-auth-logout": RoleLogout, "/docker-auth-logout-old": RoleMain, "/tmp/go-build/exe/main": RoleMain, "": RoleMain,
	} {
		assert.Equal(t, want, RoleOf(argv0), argv0)
	}
}

func TestMainLogsIn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		res := e.run(RoleMain, nil)
		require.Equal(t, 0, res.code, res.stdout)

		opID := e.api.Operations()[0].ID
		assert.Equal(t, map[string]string{"operation_id": opID, "registry_url": "ghcr.io", "registry_type": "ghcr"}, res.outputs)
		assert.Equal(t, loginState{ServerID: serverID, RegistryURL: "ghcr.io", OperationID: opID, Finished: true, ServerName: "prod-api"},
			res.login)
		assert.Len(t, res.state, 1, "one state key")
		assert.Contains(t, res.stdout, fmt.Sprintf("Logged in to ghcr.io on server prod-api (operation %s, 0.4 s)\n", opID))
		assert.True(t, strings.HasPrefix(res.stdout, "::add-mask::"+testKey+"\n"), "the key is masked before anything else is printed")
		assert.Equal(t, map[string][]string{serverID: {"ghcr.io"}}, e.api.LoggedIn())

		reqs := e.api.Requests()
		assert.Equal(t, []string{loginPath, opPrefix + opID, opPrefix + opID}, e.requests())
		var body map[string]any
		require.NoError(t, json.Unmarshal(reqs[0].Body, &body))
		assert.Equal(t, map[string]any{
			"server_id": serverID, "credential_id": ghcrCred, "run_id": "4242",
			"run_context": map[string]any{"provider": "github_actions", "repository": "acme/webshop", "workflow": "deploy",
				"trigger": "push", "actor": "octocat", "sha": "0123456789abcdef0123456789abcdef01234567", "ref": "refs/heads/main"},
		}, body)
		assert.Equal(t, "Bearer "+testKey, reqs[0].Header.Get("Authorization"))
		assert.Contains(t, reqs[0].Header.Get("User-Agent"), "reoclo-docker-auth/test")
	})
}

func TestGiteaProvider(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		e.env["GITEA_ACTIONS"] = "true"
		require.Equal(t, 0, e.run(RoleMain, nil).code)
		assert.Equal(t, "gitea_actions", e.api.Operations()[0].RunContext["provider"])
	})
}

// mainFailures are the ways the main step fails: each says so in one error
// that names the cause and what to check, and leaves post the login to undo
// when one started. TestTroubleshooting reuses them.
var mainFailures = []struct {
	name     string
	setup    func(e *testEnv)
	want     string // in the error; %s stands for the operation ID
	not      string
	requests int  // sent by main, when not 0
	saved    bool // a login for post to undo
}{
	{"bad inputs: none sent", func(e *testEnv) { e.inputs["server_id"], e.inputs["api_key"] = "prod-api", "" },
		"input api_key: is required but empty%0Ainput server_id: must be a UUID", "", -1, false},
	{"not run as a step", func(e *testEnv) { e.setFile("GITHUB_OUTPUT", "") },
		"GITHUB_OUTPUT is not set: docker-auth must run as a GitHub Actions step", "", -1, false},
	{"the key refused: sent once", func(e *testEnv) { e.inputs["api_key"] = "rca_unknown" },
		"start the login: the API key was refused: it is missing, invalid or expired; create a new automation key in Reoclo " +
			"and update the secret (401 Unauthorized from POST " + apiURL + "/api/automation/v1/registry-auth/login: API says", "", 1, false},
	{"the API unreachable", func(e *testEnv) { e.transport = memnet.Refused() },
		"start the login: cannot reach the API: POST " + apiURL + "/api/automation/v1/registry-auth/login failed on 6 attempts; " +
			"last error: dial tcp 127.0.0.1:80: connect: connection refused; check api_url, and that this runner can reach it", "", -1, false},
	{"a credential not in the key's scope", func(e *testEnv) {
		e.api.AddKey("rca_narrow", fakeapi.Scope{Operations: []string{fakeapi.Any}, Servers: []string{fakeapi.Any}, Credentials: []string{otherCred}})
		e.inputs["api_key"] = "rca_narrow"
	}, "start the login: the API key is not allowed to do this; in Reoclo, add it to the key's Allowed Credentials (403 Forbidden " +
		"from POST " + apiURL + "/api/automation/v1/registry-auth/login: API says \"Credential not in scope for this key\")", "", 1, false},
	{"an unknown server", func(e *testEnv) { e.inputs["server_id"] = otherCred },
		"start the login: the server was not found: check server_id (404 Not Found", "", 1, false},
	{"a key the API rate-limits all along", func(e *testEnv) {
		e.api.Script(fakeapi.RouteLogin, fakeapi.Fault{Status: 429, Header: http.Header{"Retry-After": {"60"}}, Times: fakeapi.Forever})
	}, "start the login: the API is rate limiting this key (timed out after 120s (last attempt: 429 Too Many Requests))", "", 0, false},
	{"refused by the registry", func(e *testEnv) {
		e.cred(fakeapi.Credential{LoginDuration: time.Second, Status: fakeapi.StatusFailed,
			Result: fakeapi.Result{ExitCode: 1, Stderr: "Error response from daemon: Get \"https://ghcr.io/v2/\": denied: denied\n"}})
	}, "docker login failed on server prod-api (operation %s, status failed, exit code 1): Error response from daemon: Get " +
		"\"https://ghcr.io/v2/\": denied: denied; check the user name and password or token stored with this credential in Reoclo, " +
		"and that the registry lets that account log in (and pull or push what the job needs)", "", 0, true},
	{"no exit code", func(e *testEnv) {
		e.cred(fakeapi.Credential{Result: fakeapi.Result{MissingExitCode: true, Stdout: "Login Succeeded"}})
	}, "(operation %s, status completed, no exit code): Login Succeeded", "", 0, true},
	{"the server gave up", func(e *testEnv) {
		e.cred(fakeapi.Credential{Status: fakeapi.StatusTimeout, Result: fakeapi.Result{MissingExitCode: true, Stderr: "context deadline exceeded"}})
	}, "status timeout, no exit code): context deadline exceeded; the server gave up before docker login finished: " +
		"check that server prod-api can reach the registry (DNS, firewall, proxy)", "stored with this credential", 0, true},
	{"a login reply naming no usable operation", func(e *testEnv) { e.cred(fakeapi.Credential{ReplyOperationID: "../../x"}) },
		`start the login: login reply: operation ID "../../x" is not a plain identifier`, "", 1, true},
	{"a registry_type that cannot be an output", func(e *testEnv) {
		e.api.AddCredential(fakeapi.Credential{ID: otherCred, RegistryURL: "ghcr.io", RegistryType: "ghcr\nregistry_url=evil"})
		e.inputs["credential_id"] = otherCred
	}, "the API returned a registry_type that cannot be an output: the value contains a control character (U+000A)", "", 1, true},
	{"timed out while the login runs", func(e *testEnv) { e.cred(fakeapi.Credential{LoginDuration: fakeapi.Never}) },
		"timed out after 120s waiting for operation %s (last status: running); the login has not finished on server prod-api: " +
			"check in Reoclo that the server and its agent are online, or raise timeout (now 120s) if the login is only slow", "", 37, true},
	{"timed out while every poll fails: the API is in question, not the agent", func(e *testEnv) {
		e.inputs["timeout"] = "5"
		e.api.Script(fakeapi.RouteOperation, fakeapi.Fault{Status: 503, Times: fakeapi.Forever})
	}, "timed out after 5s waiting for operation %s (last status: unknown; last error: 503 Service Unavailable)", "agent", 0, true},
	{"timed out after polls began failing", func(e *testEnv) {
		e.cred(fakeapi.Credential{LoginDuration: fakeapi.Never})
		e.inputs["timeout"] = "5"
		time.AfterFunc(300*time.Millisecond, func() { // after the first poll saw "running"
			e.api.Script(fakeapi.RouteOperation, fakeapi.Fault{Status: 503, Times: fakeapi.Forever})
		})
	}, "(last status: running, seen before the polls began failing; last error: 503 Service Unavailable)", "agent", 0, true},
}

func TestMainFails(t *testing.T) {
	for _, tc := range mainFailures {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newTestEnv(t)
				tc.setup(e)
				res := e.run(RoleMain, nil)
				assert.Equal(t, 1, res.code)
				want := tc.want
				if ops := e.api.Operations(); strings.Contains(want, "%s") && len(ops) > 0 {
					want = fmt.Sprintf(want, ops[0].ID)
				}
				assert.Contains(t, res.stdout, "::error::")
				assert.Contains(t, res.stdout, want)
				if tc.not != "" {
					assert.NotContains(t, res.stdout, tc.not)
				}
				if tc.requests != 0 {
					assert.Len(t, e.requests(), max(tc.requests, 0))
				}
				assert.Empty(t, res.outputs)
				assert.Equal(t, tc.saved, res.login.ServerID != "", "a login saved for post")
			})
		})
	}
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
			e.cred(fakeapi.Credential{LoginDuration: 400 * time.Millisecond, Status: fakeapi.StatusFailed,
				Result: fakeapi.Result{ExitCode: 1, Stderr: "Error response from daemon: denied: [denied] *x* <b>|"}})
		}, func(opID string) string {
			return "### Registry login\n\n" + table + "| Failed | ghcr.io | ghcr | prod-api | `" + opID + "` | 0.6 s |\n\n" +
				"**Reason:** docker login failed on server prod-api (operation " + opID + ", status failed, exit code 1): " +
				"Error response from daemon: denied: \\[denied\\] \\*x\\* &lt;b&gt;\\|; " +
				"check the user name and password or token stored with this credential in Reoclo, " +
				"and that the registry lets that account log in (and pull or push what the job needs)\n\n"
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
				assert.Equal(t, tc.want(opID), res.summary)
			})
		})
	}
}

// A login reply cut short is retried: post then undoes the login, which
// the first attempt may have started on the server already.
func TestMainRetriesALoginReplyCutShort(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		e.api.Script(fakeapi.RouteLogin, fakeapi.Fault{Through: true, CutShort: true})
		res := e.run(RoleMain, nil)
		require.Equal(t, 0, res.code, res.stdout)
		assert.Equal(t, []string{loginPath, loginPath}, e.requests()[:2])
		assert.Contains(t, e.run(RolePost, res.state).stdout, "Logged out of ghcr.io")
		time.Sleep(time.Hour)
		assert.Empty(t, e.api.LoggedIn())
	})
}

func TestMainCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		e.cred(fakeapi.Credential{LoginDuration: fakeapi.Never})
		ctx, hard, sigint, _ := twoLevels(t)
		time.AfterFunc(500*time.Millisecond, sigint) // after the second poll (370 ms), before the third (582.5 ms)
		res := e.runStopped(ctx, hard, RoleMain, nil)
		assert.Equal(t, 1, res.code)
		assert.Contains(t, res.stdout, "::error::cancelled (received interrupt) waiting for operation")
		assert.NotContains(t, res.stdout, "raise timeout", "a cancelled step needs no hint about the timeout")
		assert.NotEmpty(t, res.login.OperationID, "post will clean up")
		assert.Len(t, e.requests(), 3, "the login and two polls; nothing sent after the cancel")
	})
}

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
		"3000 bytes": {strings.Repeat("a", 2990) + ".ghcr.io", "the API returned a registry_url that cannot be an output: the value is 2998 bytes long", true},
		"an option":  {"--config=/tmp/x", `the API started a login but returned a registry_url that no logout can name: it starts with "-"`, false},
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
				if !tc.logsOut {
					assert.Empty(t, logouts)
					return
				}
				assert.Equal(t, []string{tc.url}, logouts, "the exact value, in the JSON body")
				assert.Contains(t, res.stdout, "so the post step could not log out, main logged out of ")
				assert.Empty(t, e.api.LoggedIn())
			})
		})
	}
}

// A runner whose files cannot be written (a full disk): main finds out
// before the login and sends nothing; if saving fails after the login, it
// logs out again at once rather than leave a login no one will undo.
func TestMainWhenStateCannotBeWritten(t *testing.T) {
	for _, file := range []string{"GITHUB_STATE", "GITHUB_ENV"} {
		t.Run(file+" before the login", func(t *testing.T) {
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

func TestMainWithoutCleanupSavesNoState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		e.inputs["cleanup"] = "FALSE"
		res := e.run(RoleMain, nil)
		require.Equal(t, 0, res.code, res.stdout)
		assert.Empty(t, res.files["GITHUB_STATE"])
		assert.Equal(t, "ghcr.io", res.outputs["registry_url"])
	})
}

// 5 MB of docker output, commands in it: the log gets 64 KiB of it as plain
// data, a note of how much was left out, and the error its last line.
func TestHugeServerOutputIsTruncated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		huge := strings.Repeat("::error::forged annotation\n", 5<<20/27)
		e.cred(fakeapi.Credential{Result: fakeapi.Result{ExitCode: 1, Stdout: huge, Stderr: "denied: denied"}})
		res := e.run(RoleMain, nil)
		assert.Equal(t, 1, res.code)
		assert.Less(t, len(res.stdout), 80<<10, "the log gets at most 64 KiB of it")
		assert.Contains(t, res.stdout, "Output of docker login on prod-api (stdout):\n::stop-commands::")
		m := regexp.MustCompile(`\[output truncated: (\d+) bytes shown of about (\d+)\]`).FindStringSubmatch(res.stdout)
		require.NotNil(t, m, "a note says how much was shown")
		shown, _ := strconv.Atoi(m[1])
		total, _ := strconv.Atoi(m[2])
		assert.InDelta(t, 64<<10, shown, 3<<10)
		assert.InDelta(t, len(huge), total, float64(len(huge))/20)
		assert.Contains(t, res.stdout, "): denied: denied; check the user name and password or token")
	})
}

// panicsOnce is a writer whose first write panics, as go-githubactions does
// when it cannot write a command.
type panicsOnce struct {
	strings.Builder
	panicked bool
}

func (w *panicsOnce) Write(p []byte) (int, error) {
	if !w.panicked {
		w.panicked = true
		panic("cannot write the command")
	}
	return w.Builder.Write(p)
}

// A panic fails the main step and the logout step, never the post step.
func TestRunRecoversFromAPanic(t *testing.T) {
	for argv0, want := range map[string]string{
		"/docker-auth": "::error::", "/docker-auth-logout": "::error::", "/docker-auth-post": "::warning::",
	} {
		var out panicsOnce
		code := Run(context.Background(), context.Background(), []string{argv0},
			Deps{LookupEnv: lookupIn(map[string]string{"INPUT_API_KEY": testKey}), Stdout: &out})
		assert.Equal(t, map[bool]int{true: 0, false: 1}[argv0 == "/docker-auth-post"], code, argv0)
		assert.Equal(t, want+"cannot write the command\n", out.String(), argv0)
	}
}
