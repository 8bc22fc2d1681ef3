package action

import (
	"bytes"
	"context"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/reoclo/docker-auth/internal/testkit/binary"
	"github.com/reoclo/docker-auth/internal/testkit/fakeapi"
	"github.com/reoclo/docker-auth/internal/testkit/memnet"
)

const (
	testKey   = "rca_live_k3y_that_must_never_print"
	serverID  = "6f1c2b8e-3d4a-4e5f-9a6b-7c8d9e0f1a2b"
	ghcrCred  = "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d"
	otherCred = "3d4e5f60-7182-4c9d-8e1f-2a3b4c5d6e7f"
)

// apiURL is where the tests' fake API lives; memnet serves it in memory.
const apiURL = "http://127.0.0.1:8080"

// testEnv is one job: a fake Reoclo API that knows the key, a server and a
// ghcr.io credential (a 0.3 s login), and the runner's environment for the
// action's steps. Make it inside synctest.Test: the API, the action's timers,
// retry waits, polls and timeouts then run on the bubble's fake clock.
type testEnv struct {
	t         *testing.T
	api       *fakeapi.Server
	transport http.RoundTripper
	inputs    map[string]string
	env       map[string]string
	mu        sync.Mutex
	// files replaces the path of a file command (GITHUB_STATE…) the step
	// gets, from the moment setFile sets it: /dev/full makes a full disk.
	files map[string]string
}

// setFile makes the step's file command name write to path from now on.
func (e *testEnv) setFile(name, path string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.files == nil {
		e.files = map[string]string{}
	}
	e.files[name] = path
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	api := fakeapi.New()
	api.AddKey(testKey, fakeapi.AllScopes())
	api.AddServer(serverID, "prod-api")
	api.AddCredential(fakeapi.Credential{ID: ghcrCred, RegistryURL: "ghcr.io", RegistryType: "ghcr", LoginDuration: 300 * time.Millisecond})
	return &testEnv{
		t: t, api: api, transport: memnet.Serve(t, api),
		inputs: map[string]string{
			"api_key": testKey, "server_id": serverID, "credential_id": ghcrCred,
			"cleanup": "true", "api_url": apiURL, "timeout": "120",
		},
		env: map[string]string{
			"GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_REPOSITORY": "acme/webshop", "GITHUB_WORKFLOW": "deploy",
			"GITHUB_EVENT_NAME": "push", "GITHUB_ACTOR": "octocat", "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
			"GITHUB_REF": "refs/heads/main", "GITHUB_RUN_ID": "4242", "GITHUB_RUN_ATTEMPT": "1", "GITHUB_JOB": "deploy", "GITHUB_RUN_NUMBER": "7",
		},
	}
}

// stepResult is what one run of the binary's role left behind.
type stepResult struct {
	code    int
	stdout  string
	outputs map[string]string
	// state is the step's state as the runner passes it to post (the last
	// value of each key), login what its login key holds, opened (Run checked
	// and left out).
	state map[string]string
	login loginState
	// env is what the step wrote to GITHUB_ENV.
	env     map[string]string
	summary string
	files   map[string][]byte
}

// run runs one role in-process with fresh file-command files, as the runner
// gives each step. For the post role, state is the main step's.
func (e *testEnv) run(role Role, state map[string]string) *stepResult {
	e.t.Helper()
	return e.runStopped(context.Background(), context.Background(), role, state)
}

// runStopped is run with the two stops WithSignals would give.
func (e *testEnv) runStopped(ctx, hard context.Context, role Role, state map[string]string) *stepResult {
	e.t.Helper()
	dir := e.t.TempDir()
	vars := maps.Clone(e.env)
	for k, v := range e.inputs {
		vars["INPUT_"+strings.ToUpper(k)] = v
	}
	for k, v := range state {
		vars["STATE_"+k] = v
	}
	files := map[string]string{}
	for _, name := range []string{"GITHUB_OUTPUT", "GITHUB_STATE", "GITHUB_ENV", "GITHUB_STEP_SUMMARY"} {
		p := filepath.Join(dir, name)
		require.NoError(e.t, os.WriteFile(p, nil, 0o600))
		vars[name], files[name] = p, p
	}
	argv0 := map[Role]string{RoleMain: "/docker-auth", RolePost: "/docker-auth-post", RoleLogout: "/docker-auth-logout"}[role]
	var out bytes.Buffer
	lookup := func(k string) (string, bool) {
		e.mu.Lock()
		defer e.mu.Unlock()
		if p, ok := e.files[k]; ok {
			return p, true
		}
		v, ok := vars[k]
		return v, ok
	}
	code := Run(ctx, hard, []string{argv0}, Deps{LookupEnv: lookup, Stdout: &out, Version: "test", Transport: e.transport})

	res := &stepResult{code: code, stdout: out.String(), files: map[string][]byte{}}
	for name, p := range files {
		b, err := os.ReadFile(p)
		require.NoError(e.t, err)
		res.files[name] = b
	}
	res.outputs = parsePairs(e.t, res.files["GITHUB_OUTPUT"])
	res.state = parsePairs(e.t, res.files["GITHUB_STATE"])
	if v := res.state[stateKey]; v != "" {
		var err error
		res.login, err = open(v, e.inputs["api_key"], "STATE_"+stateKey)
		require.NoError(e.t, err)
		require.Equal(e.t, "4242.1.deploy", res.login.Run, "state names the run that saved it")
		res.login.Run = ""
	}
	res.env = parsePairs(e.t, res.files["GITHUB_ENV"])
	res.summary = string(res.files["GITHUB_STEP_SUMMARY"])
	return res
}

// parsePairs reads a file command file by the runner's rules.
func parsePairs(t *testing.T, data []byte) map[string]string {
	t.Helper()
	m, err := binary.ParseFileCommand(data)
	require.NoError(t, err, "the runner would reject this file:\n%s", data)
	return m
}

// requests returns "METHOD path" for each request the fake API received.
func (e *testEnv) requests() []string {
	var out []string
	for _, r := range e.api.Requests() {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

const (
	loginPath  = "POST /api/automation/v1/registry-auth/login"
	logoutPath = "POST /api/automation/v1/registry-auth/logout"
	opPrefix   = "GET /api/automation/v1/operations/"
)

// lookupIn looks variables up in vars.
func lookupIn(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

// cred makes c, a ghcr.io credential unless it says otherwise, the one the
// step logs in with.
func (e *testEnv) cred(c fakeapi.Credential) {
	c.ID = otherCred
	if c.RegistryURL == "" {
		c.RegistryURL, c.RegistryType = "ghcr.io", "ghcr"
	}
	e.api.AddCredential(c)
	e.inputs["credential_id"] = otherCred
}
