package action

import (
	"bytes"
	"context"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
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

	apiURL     = "http://127.0.0.1:8080" // memnet serves the fake API there, in memory
	loginPath  = "POST /api/automation/v1/registry-auth/login"
	logoutPath = "POST /api/automation/v1/registry-auth/logout"
	opPrefix   = "GET /api/automation/v1/operations/"
)

// runContextJSON is the run_context each request of a testEnv's steps sends.
const runContextJSON = `{"provider": "github_actions", "repository": "acme/webshop", "workflow": "deploy", "trigger": "push",
	"actor": "octocat", "sha": "0123456789abcdef0123456789abcdef01234567", "ref": "refs/heads/main"}`

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
	files     map[string]string // file commands setFile redirects, /dev/full for a full disk
	// signals reach the running step as the runner's do (WithSignals).
	signals chan os.Signal
}

// signal returns a function that sends sig to the running step.
func (e *testEnv) signal(sig os.Signal) func() { return func() { e.signals <- sig } }

// setFile makes the step's file command name write to path from now on.
func (e *testEnv) setFile(name, path string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.files[name] = path
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	api := fakeapi.New()
	api.AddKey(testKey, fakeapi.AllScopes())
	api.AddServer(serverID, "prod-api")
	api.AddCredential(fakeapi.Credential{ID: ghcrCred, RegistryURL: "ghcr.io", RegistryType: "ghcr", LoginDuration: 300 * time.Millisecond})
	return &testEnv{
		t: t, api: api, transport: memnet.Serve(t, api), files: map[string]string{}, signals: make(chan os.Signal, 2),
		inputs: map[string]string{
			"api_key": testKey, "server_id": serverID, "credential_id": ghcrCred,
			"cleanup": "true", "api_url": apiURL, "timeout": "120",
		},
		env: map[string]string{
			"GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_ACTION": "login", "GITHUB_REPOSITORY": "acme/webshop", "GITHUB_WORKFLOW": "deploy",
			"GITHUB_EVENT_NAME": "push", "GITHUB_ACTOR": "octocat", "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
			"GITHUB_REF": "refs/heads/main", "GITHUB_RUN_ID": "4242", "GITHUB_RUN_ATTEMPT": "1", "GITHUB_JOB": "deploy", "GITHUB_RUN_NUMBER": "7",
		},
	}
}

// stepResult is what one run of a role left behind; state as the runner
// passes it to post, login its login key opened (Run checked, left out).
type stepResult struct {
	code                int
	stdout, summary     string
	outputs, state, env map[string]string
	login               loginState
}

// run runs one role in-process with fresh file-command files and the two
// stops WithSignals gives; state is what the runner passes to post. Every
// run checks that the key is masked first, and never printed or written.
func (e *testEnv) run(role Role, state map[string]string) *stepResult {
	e.t.Helper()
	ctx, hard, stop := watchSignals(context.Background(), e.signals, Grace)
	defer stop()
	dir := e.t.TempDir()
	vars := maps.Clone(e.env)
	for k, v := range e.inputs {
		vars["INPUT_"+strings.ToUpper(k)] = v
	}
	for k, v := range state {
		vars["STATE_"+k] = v
	}
	for _, name := range []string{"GITHUB_OUTPUT", "GITHUB_STATE", "GITHUB_ENV", "GITHUB_STEP_SUMMARY"} {
		vars[name] = filepath.Join(dir, name)
		require.NoError(e.t, os.WriteFile(vars[name], nil, 0o600))
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

	res := &stepResult{code: code, stdout: out.String()}
	key := e.inputs["api_key"]
	if key != "" {
		assert.True(e.t, strings.HasPrefix(res.stdout, "::add-mask::"+key+"\n"), "the key is masked first")
		assert.Equal(e.t, 1, strings.Count(res.stdout, key), "the key is printed only to mask it")
	}
	file := func(name string) string {
		b, err := os.ReadFile(vars[name])
		require.NoError(e.t, err)
		assert.False(e.t, key != "" && bytes.Contains(b, []byte(key)), "the key in %s", name)
		return string(b)
	}
	res.outputs, res.state, res.env = parsePairs(e.t, file("GITHUB_OUTPUT")), parsePairs(e.t, file("GITHUB_STATE")), parsePairs(e.t, file("GITHUB_ENV"))
	res.summary = file("GITHUB_STEP_SUMMARY")
	if v := res.state[stateKey]; v != "" {
		var err error
		res.login, err = open(v, key, "STATE_"+stateKey)
		require.NoError(e.t, err)
		require.Equal(e.t, "4242.1.deploy", res.login.Run, "state names the run that saved it")
		res.login.Run = ""
	}
	return res
}

// parsePairs reads a file command file by the runner's rules.
func parsePairs(t *testing.T, data string) map[string]string {
	t.Helper()
	m, err := binary.ParseFileCommand([]byte(data))
	require.NoError(t, err, "the runner would reject this file:\n%s", data)
	return m
}

// assertPrinted asserts that out holds want, in which %s stands for the ID
// of the last operation the fake API started and "…" for any text.
func (e *testEnv) assertPrinted(t *testing.T, out, want string) {
	t.Helper()
	id := ""
	if ops := e.api.Operations(); len(ops) > 0 {
		id = ops[len(ops)-1].ID
	}
	re := regexp.QuoteMeta(strings.ReplaceAll(want, "%s", id))
	assert.Regexp(t, strings.ReplaceAll(re, "…", "(?s:.*?)"), out)
}

// requests returns "METHOD path" for each request the fake API received.
func (e *testEnv) requests() []string {
	var out []string
	for _, r := range e.api.Requests() {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

// lookupIn looks variables up in vars.
func lookupIn(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
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
