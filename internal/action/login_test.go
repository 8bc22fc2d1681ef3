package action

import (
	"context"
	"net/http"
	"os"
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
		"bin/docker-auth-logout": RoleLogout, "/docker-auth-logout-old": RoleMain, "": RoleMain,
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
		assert.Contains(t, res.stdout, "Logged in to ghcr.io on server prod-api (operation "+opID+", 0.4 s)\n")
		assert.Equal(t, "### Registry login\n\n| Result | Registry | Type | Server | Operation | Duration |\n"+
			"| --- | --- | --- | --- | --- | --- |\n| Logged in | ghcr.io | ghcr | prod-api | `"+opID+"` | 0.4 s |\n\n", res.summary)
		assert.Equal(t, map[string][]string{serverID: {"ghcr.io"}}, e.api.LoggedIn())

		reqs := e.api.Requests()
		assert.Equal(t, []string{loginPath, opPrefix + opID, opPrefix + opID}, e.requests())
		assert.JSONEq(t, `{"server_id": "`+serverID+`", "credential_id": "`+ghcrCred+`", "run_id": "4242", "run_context": `+
			runContextJSON+`}`, string(reqs[0].Body))
		assert.Equal(t, "Bearer "+testKey, reqs[0].Header.Get("Authorization"))
		assert.Contains(t, reqs[0].Header.Get("User-Agent"), "reoclo-docker-auth/test")
	})
}

// mainFailures are the ways the main step fails: each says so in one error
// that names the cause and what to check, and leaves post the login to undo
// or undoes it itself. TestTroubleshooting reuses them.
var mainFailures = []struct {
	name     string
	setup    func(e *testEnv)
	want     string // in the output, as assertPrinted takes it
	not      string // not in the output, when set
	requests int    // sent by main, when not 0
	saved    bool   // a login for post to undo
	left     bool   // the server still logged in, an hour later
	summary  string // in the job summary, as want
}{
	{"bad inputs: none sent", func(e *testEnv) { e.inputs["server_id"], e.inputs["api_key"] = "prod-api", "" },
		"input api_key: is required but empty%0Ainput server_id: must be a UUID", "", -1, false, false,
		"Failed before any login started on the server.\n\n**Reason:**\n\n- input api\\_key: is required but empty\n- input server\\_id: must be a UUID"},
	{"not run as a step", func(e *testEnv) { e.setFile("GITHUB_OUTPUT", "") },
		"GITHUB_OUTPUT is not set: docker-auth must run as a GitHub Actions step", "", -1, false, false, ""},
	{"state cannot be written (a full disk, act's copy here): none sent", func(e *testEnv) { e.env["ACT"] = "true"; e.setFile("GITHUB_ENV", "/dev/full") },
		"::error::cannot save the step's state for the post step: unable to write command to the environment file: " +
			"write /dev/full: no space left on device; nothing was sent", "", -1, false, false, ""},
	{"the key refused: sent once", func(e *testEnv) { e.inputs["api_key"] = "rca_unknown" },
		"start the login: the API key was refused: it is missing, invalid or expired; create a new automation key in Reoclo " +
			"and update the secret (401 Unauthorized from POST " + apiURL + "/api/automation/v1/registry-auth/login: API says", "", 1, false, false, ""},
	{"the API unreachable", func(e *testEnv) { e.transport = memnet.Refused() },
		"start the login: cannot reach the API: POST " + apiURL + "/api/automation/v1/registry-auth/login failed on 6 attempts; " +
			"last error: dial tcp 127.0.0.1:80: connect: connection refused; check api_url, and that this runner can reach it", "", -1, false, false, ""},
	{"a credential not in the key's scope", func(e *testEnv) {
		e.api.AddKey("rca_narrow", fakeapi.Scope{Operations: []string{fakeapi.Any}, Servers: []string{fakeapi.Any}, Credentials: []string{otherCred}})
		e.inputs["api_key"] = "rca_narrow"
	}, "start the login: the API key is not allowed to do this; in Reoclo, add it to the key's Allowed Credentials (403 Forbidden " +
		"from POST " + apiURL + "/api/automation/v1/registry-auth/login: API says \"Credential not in scope for this key\")", "", 1, false, false, ""},
	{"an unknown server", func(e *testEnv) { e.inputs["server_id"] = otherCred },
		"start the login: the server was not found: check server_id (404 Not Found", "", 1, false, false, ""},
	{"a key the API rate-limits all along", func(e *testEnv) {
		e.api.Script(fakeapi.RouteLogin, fakeapi.Fault{Status: 429, Header: http.Header{"Retry-After": {"60"}}, Times: fakeapi.Forever})
	}, "start the login: the API is rate limiting this key (timed out after 120s (last attempt: 429 Too Many Requests))", "", 0, false, false, ""},
	{"refused by the registry: 5 MB of output, commands in it, printed as plain data, cut", func(e *testEnv) {
		e.cred(fakeapi.Credential{LoginDuration: time.Second, Status: fakeapi.StatusFailed, Result: fakeapi.Result{ExitCode: 1,
			Stdout: strings.Repeat("::error::forged annotation\n", 5<<20/27), Stderr: "Error response from daemon: denied: [denied] *x* <b>|\n"}})
	}, "Output of docker login on prod-api (stdout):\n::stop-commands::…[output truncated: …" +
		"::error::docker login failed on server prod-api (operation %s, status failed, exit code 1): Error response from daemon: denied: " +
		"[denied] *x* <b>|; check the user name and password or token stored with this credential in Reoclo, " +
		"and that the registry lets that account log in (and pull or push what the job needs)", "", 0, true, false,
		"| Failed | ghcr.io | ghcr | prod-api | `%s` | 1.1 s |\n\n**Reason:** docker login failed on server prod-api (operation %s, " +
			"status failed, exit code 1): Error response from daemon: denied: \\[denied\\] \\*x\\* &lt;b&gt;\\|; check the user name"},
	{"the server gave up: no exit code, stdout's last line", func(e *testEnv) {
		e.cred(fakeapi.Credential{Status: fakeapi.StatusTimeout, Result: fakeapi.Result{MissingExitCode: true, Stdout: "context deadline exceeded"}})
	}, "status timeout, no exit code): context deadline exceeded; the server gave up before docker login finished: " +
		"check that server prod-api can reach the registry (DNS, firewall, proxy)", "stored with this credential", 0, true, false, ""},
	{"a login reply naming no usable operation", func(e *testEnv) { e.cred(fakeapi.Credential{ReplyOperationID: "../../x"}) },
		`start the login: login reply: operation ID "../../x" is not a plain identifier`, "", 1, true, true, ""},
	{"a registry_type that cannot be an output", func(e *testEnv) {
		e.cred(fakeapi.Credential{RegistryURL: "ghcr.io", RegistryType: "ghcr\nregistry_url=evil"})
	}, "the API returned a registry_type that cannot be an output: the value contains a control character (U+000A)", "", 1, true, true, ""},
	{"a registry_url that cannot be an output: main logs out of it, the exact value, once the login ended", func(e *testEnv) {
		e.cred(fakeapi.Credential{RegistryURL: "ghcr.io\nregistry_type=evil", RegistryType: "ghcr", LoginDuration: time.Second})
	}, "::error::the API returned a registry_url that cannot be an output: the value contains a control character (U+000A); " +
		"so the post step could not log out, main logged out of ghcr.io registry_type=evil again (operation ", "", 0, false, false, ""},
	{"state that cannot be saved once the login started: main logs out", func(e *testEnv) {
		e.onLogin(10*time.Millisecond, func() { e.setFile("GITHUB_STATE", "/dev/full") })
	}, "::error::cannot save the step's state for the post step: unable to write command to the environment file: write /dev/full: " +
		"no space left on device; so the post step could not log out, main logged out of ghcr.io again (operation ", "", 0, false, false, ""},
	{"a registry_url no logout can name: never sent back", func(e *testEnv) {
		e.cred(fakeapi.Credential{RegistryURL: "--config=/tmp/x", RegistryType: "ghcr"})
	}, `the API started a login but returned a registry_url that no logout can name: it starts with "-"`, "", 1, false, true, ""},
	{"timed out while the login runs", func(e *testEnv) { e.cred(fakeapi.Credential{LoginDuration: fakeapi.Never}) },
		"timed out after 120s waiting for operation %s (last status: running); the login has not finished on server prod-api: " +
			"check in Reoclo that the server and its agent are online, or raise timeout (now 120s) if the login is only slow", "", 37, true, false, ""},
	{"cancelled while the login runs: no hint about the timeout", func(e *testEnv) {
		e.cred(fakeapi.Credential{LoginDuration: fakeapi.Never})
		time.AfterFunc(500*time.Millisecond, e.signal(os.Interrupt)) // after the second poll (370 ms), before the third
	}, "::error::cancelled (received interrupt) waiting for operation %s (last status: running)", "raise timeout", 3, true, false, ""},
	{"timed out while every poll fails: the API is in question, not the agent", func(e *testEnv) {
		e.inputs["timeout"] = "5"
		e.api.Script(fakeapi.RouteOperation, fakeapi.Fault{Status: 503, Times: fakeapi.Forever})
	}, "timed out after 5s waiting for operation %s (last status: unknown; last error: 503 Service Unavailable", "agent", 0, true, true, ""},
	{"timed out after polls began failing", func(e *testEnv) {
		e.cred(fakeapi.Credential{LoginDuration: fakeapi.Never})
		e.inputs["timeout"] = "5"
		time.AfterFunc(300*time.Millisecond, func() { // after the first poll saw "running"
			e.api.Script(fakeapi.RouteOperation, fakeapi.Fault{Status: 503, Times: fakeapi.Forever})
		})
	}, "(last status: running, seen before the polls began failing; last error: 503 Service Unavailable", "agent", 0, true, false, ""},
}

func TestMainFails(t *testing.T) {
	for _, tc := range mainFailures {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newTestEnv(t)
				tc.setup(e)
				res := e.run(RoleMain, nil)
				assert.Equal(t, 1, res.code)
				assert.Contains(t, res.stdout, "::error::")
				e.assertPrinted(t, res.stdout, tc.want)
				assert.False(t, tc.not != "" && strings.Contains(res.stdout, tc.not), "%q printed", tc.not)
				if tc.requests != 0 {
					assert.Len(t, e.requests(), max(tc.requests, 0))
				}
				assert.Empty(t, res.outputs)
				assert.Equal(t, tc.saved, res.login.ServerID != "", "a login saved for post")
				e.assertPrinted(t, res.summary, tc.summary)
				time.Sleep(time.Hour)
				assert.Equal(t, tc.left, len(e.api.LoggedIn()) > 0, "logged in an hour later")
			})
		})
	}
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
