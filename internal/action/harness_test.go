package action

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/reoclo/docker-auth/internal/fakeapi"
	"github.com/reoclo/docker-auth/internal/reoclo"
	"github.com/reoclo/docker-auth/internal/runner"
)

const (
	testKey   = "rca_live_k3y_that_must_never_print"
	serverID  = "6f1c2b8e-3d4a-4e5f-9a6b-7c8d9e0f1a2b"
	ghcrCred  = "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d"
	hubCred   = "2c3d4e5f-6071-4b8c-9d0e-1f2a3b4c5d6e"
	otherCred = "3d4e5f60-7182-4c9d-8e1f-2a3b4c5d6e7f"
)

var t0 = time.Date(2026, 4, 14, 1, 0, 0, 0, time.UTC)

// testClock is the fake API's clock, also driving the action's poll sleeps
// and its timeout, so no test waits in real time.
type testClock struct {
	*fakeapi.Clock
	mu     sync.Mutex
	timers []fakeTimer
}

type fakeTimer struct {
	at     time.Time
	cancel context.CancelCauseFunc
	cause  error
}

// Sleep advances the clock by d, firing on the way the timeouts that expire,
// and returns early, at that time, when one of them ends ctx.
func (c *testClock) Sleep(ctx context.Context, d time.Duration) error {
	until := c.Now().Add(d)
	for {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		c.mu.Lock()
		next := until
		for _, tm := range c.timers {
			if tm.at.Before(next) {
				next = tm.at
			}
		}
		var due []fakeTimer
		kept := c.timers[:0]
		for _, tm := range c.timers {
			if !next.Before(tm.at) {
				due = append(due, tm)
			} else {
				kept = append(kept, tm)
			}
		}
		c.timers = kept
		c.mu.Unlock()
		if next.After(c.Now()) {
			c.Set(next)
		}
		for _, tm := range due {
			tm.cancel(tm.cause)
		}
		if !next.Before(until) {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			return nil
		}
	}
}

// Timeout is Deps.Timeout on the fake clock.
func (c *testClock) Timeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	c.mu.Lock()
	c.timers = append(c.timers, fakeTimer{at: c.Now().Add(d), cancel: cancel, cause: &TimeoutError{After: d}})
	c.mu.Unlock()
	return ctx, func() { cancel(context.Canceled) }
}

// testEnv is one job: a fake Reoclo API with a key, a server and three
// credentials, and the runner's environment for the action's steps.
type testEnv struct {
	t      *testing.T
	clock  *testClock
	api    *fakeapi.Server
	url    string
	inputs map[string]string
	env    map[string]string
	// beforeSleep, when set, runs before each poll sleep (to cancel mid-poll).
	beforeSleep func()
	// retryWaits records the pause the client's real backoff policy chose
	// before each retry; the test does not wait it out.
	retryWaits []time.Duration
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	clock := &testClock{Clock: fakeapi.NewClock(t0)}
	api := fakeapi.New(fakeapi.WithClock(clock.Now))
	api.AddKey(testKey, fakeapi.AllScopes())
	api.AddServer(serverID, "prod-api")
	api.AddCredential(fakeapi.Credential{ID: ghcrCred, RegistryURL: "ghcr.io", RegistryType: "ghcr", LoginDuration: 300 * time.Millisecond})
	api.AddCredential(fakeapi.Credential{ID: hubCred, RegistryURL: "docker.io", RegistryType: "docker_hub", LoginDuration: 200 * time.Millisecond})
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	return &testEnv{
		t: t, clock: clock, api: api, url: srv.URL,
		inputs: map[string]string{
			"api_key": testKey, "server_id": serverID, "credential_id": ghcrCred,
			"cleanup": "true", "api_url": srv.URL, "timeout": "120",
		},
		env: map[string]string{
			"GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_REPOSITORY": "acme/webshop", "GITHUB_WORKFLOW": "deploy",
			"GITHUB_EVENT_NAME": "push", "GITHUB_ACTOR": "octocat", "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
			"GITHUB_REF": "refs/heads/main", "GITHUB_RUN_ID": "4242", "GITHUB_RUN_ATTEMPT": "1", "GITHUB_RUN_NUMBER": "7",
		},
	}
}

// stepResult is what one run of the binary's role left behind.
type stepResult struct {
	code    int
	stdout  string
	outputs map[string]string
	state   map[string]string
	// env is what the step wrote to GITHUB_ENV.
	env     map[string]string
	summary string
	files   map[string][]byte
}

// run runs one role in-process with fresh file-command files, as the runner
// gives each step. For the post role, state is the main step's.
func (e *testEnv) run(ctx context.Context, role Role, state map[string]string) *stepResult {
	e.t.Helper()
	dir := e.t.TempDir()
	vars := map[string]string{}
	for k, v := range e.env {
		vars[k] = v
	}
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
	policy := reoclo.NewBackoff(e.clock.Now, func() float64 { return 0 })
	sleep := func(ctx context.Context, d time.Duration) error {
		if e.beforeSleep != nil {
			e.beforeSleep()
		}
		return e.clock.Sleep(ctx, d)
	}
	code := Run(ctx, []string{argv0}, Deps{
		Getenv: func(k string) string { return vars[k] },
		LookupEnv: func(k string) (string, bool) {
			v, ok := vars[k]
			return v, ok
		},
		Stdout:  &out,
		Now:     e.clock.Now,
		Version: "test",
		Timeout: e.clock.Timeout,
		ClientOptions: []reoclo.Option{
			reoclo.WithSleep(sleep),
			reoclo.WithBackoff(func(attempt int, resp *http.Response) time.Duration {
				e.retryWaits = append(e.retryWaits, policy(attempt, resp))
				return 0
			}),
		},
	})

	res := &stepResult{code: code, stdout: out.String(), files: map[string][]byte{}}
	for name, p := range files {
		b, err := os.ReadFile(p)
		require.NoError(e.t, err)
		res.files[name] = b
	}
	res.outputs = parsePairs(e.t, res.files["GITHUB_OUTPUT"])
	res.state = parsePairs(e.t, res.files["GITHUB_STATE"])
	res.env = parsePairs(e.t, res.files["GITHUB_ENV"])
	res.summary = string(res.files["GITHUB_STEP_SUMMARY"])
	return res
}

// parsePairs reads a file command file by the runner's rules.
func parsePairs(t *testing.T, data []byte) map[string]string {
	t.Helper()
	pairs, err := runner.ParseFileCommand(data)
	require.NoError(t, err, "the runner would reject this file:\n%s", data)
	m := map[string]string{}
	for _, p := range pairs {
		m[p.Name] = p.Value
	}
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
