// Package e2e runs the built binary exactly as the GitHub runner runs the
// container action: action.yml's inputs and defaults as INPUT_* variables,
// real GITHUB_OUTPUT / GITHUB_STATE / GITHUB_STEP_SUMMARY files parsed by the
// runner's rules, STATE_* for the post step, workflow commands processed on
// stdout, against the fake Reoclo API on 127.0.0.1. runners_test.go runs it
// as act and Gitea's runner do (runner.Flavor), with logout/action.yml too.
package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reoclo/docker-auth/internal/testkit/binary"
	"github.com/reoclo/docker-auth/internal/testkit/fakeapi"
	"github.com/reoclo/docker-auth/internal/testkit/runner"
)

const (
	apiKey   = "rca_e2e_k3y_that_must_never_print"
	serverID = "6f1c2b8e-3d4a-4e5f-9a6b-7c8d9e0f1a2b"
	ghcrCred = "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d"
	hubCred  = "2c3d4e5f-6071-4b8c-9d0e-1f2a3b4c5d6e"
	badCred  = "3d4e5f60-7182-4c9d-8e1f-2a3b4c5d6e7f"
)

// binDirs holds one build of the binary per way of giving it its post name.
var binDirs = map[binary.PostLink]string{}

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "docker-auth-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	ctx := context.Background()
	first := filepath.Join(tmp, binary.Symlink.String())
	if err := os.Mkdir(first, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := binary.Build(ctx, first, "test", binary.Symlink); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	binDirs[binary.Symlink] = first
	for _, link := range []binary.PostLink{binary.Hardlink, binary.Copy} {
		dir := filepath.Join(tmp, link.String())
		if err := os.Mkdir(dir, 0o755); err == nil {
			err = os.Link(filepath.Join(first, binary.Name), filepath.Join(dir, binary.Name))
			if err == nil {
				err = binary.AddNames(dir, link)
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
		}
		binDirs[link] = dir
	}
	return m.Run()
}

// world is one job against one fake API.
type world struct {
	t      *testing.T
	api    *fakeapi.Server
	url    string
	job    *runner.Job
	action *runner.Action
	// logout is logout/action.yml.
	logout *runner.Action
	exec   runner.Exec
}

func newWorld(t *testing.T) *world {
	t.Helper()
	api := fakeapi.New()
	api.AddKey(apiKey, fakeapi.AllScopes())
	api.AddServer(serverID, "prod-api")
	api.AddCredential(fakeapi.Credential{ID: ghcrCred, RegistryURL: "ghcr.io", RegistryType: "ghcr", LoginDuration: 20 * time.Millisecond})
	api.AddCredential(fakeapi.Credential{ID: hubCred, RegistryURL: "docker.io", RegistryType: "docker_hub"})
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)

	root, err := binary.ModuleRoot(context.Background())
	require.NoError(t, err)
	action, err := runner.LoadAction(filepath.Join(root, "action.yml"))
	require.NoError(t, err)
	logout, err := runner.LoadAction(filepath.Join(root, "logout", "action.yml"))
	require.NoError(t, err)
	job := runner.NewJob(t.TempDir())
	// On GitHub the key comes from a secret, which the runner masks in the
	// step's header; the action must mask it too, checked through Masks.
	job.Secrets = []string{apiKey}
	return &world{t: t, api: api, url: srv.URL, job: job, action: action, logout: logout, exec: runner.HostExec(binDirs[binary.Symlink])}
}

// step is a `uses:` step with the required inputs; action.yml's defaults
// supply the rest, as on GitHub.
func (w *world) step(id, credential string, extra map[string]string) *runner.Step {
	with := map[string]string{"api_key": apiKey, "server_id": serverID, "credential_id": credential, "api_url": w.url}
	for k, v := range extra {
		with[k] = v
	}
	return &runner.Step{ID: id, Action: w.action, With: with}
}

func (w *world) main(ctx context.Context, s *runner.Step) *runner.Result {
	w.t.Helper()
	res, err := w.job.RunMain(ctx, s, w.exec)
	require.NoError(w.t, err)
	w.noLeaks(res)
	return res
}

func (w *world) post(s *runner.Step, main *runner.Result) *runner.Result {
	w.t.Helper()
	res, err := w.job.RunPost(context.Background(), s, main, w.exec)
	require.NoError(w.t, err)
	w.noLeaks(res)
	return res
}

// noLeaks scans every byte the step wrote (stdout, stderr, each GITHUB_*
// file) and its log for the API key: only the ::add-mask:: command may hold it.
func (w *world) noLeaks(res *runner.Result) {
	w.t.Helper()
	assert.Empty(w.t, res.Leaks(apiKey), "the API key leaked")
	assert.NotContains(w.t, res.State, "api_key")
}

func (w *world) requests() []string {
	var out []string
	for _, r := range w.api.Requests() {
		out = append(out, r.Method+" "+strings.TrimPrefix(r.Path, fakeapi.APIPath))
	}
	return out
}

func TestMainThenPost(t *testing.T) {
	for _, link := range []binary.PostLink{binary.Symlink, binary.Hardlink, binary.Copy} {
		t.Run(link.String(), func(t *testing.T) {
			w := newWorld(t)
			w.exec = runner.HostExec(binDirs[link])
			s := w.step("login", ghcrCred, nil)

			main := w.main(context.Background(), s)
			require.False(t, main.Failed, main.LogText())
			opID := w.api.Operations()[0].ID
			assert.Equal(t, map[string]string{"operation_id": opID, "registry_url": "ghcr.io", "registry_type": "ghcr"}, main.Outputs)
			assert.Equal(t, map[string]any{"server_id": serverID, "registry_url": "ghcr.io", "operation_id": opID, "finished": true, "server_name": "prod-api"}, saved(t, main.State["login"]))
			assert.Contains(t, main.LogText(), "Logged in to ghcr.io on server prod-api (operation "+opID+", ")
			assert.Contains(t, main.Summary, "| ghcr.io | ghcr | prod-api | `"+opID+"` |")
			assert.Equal(t, []string{apiKey}, main.Masks)
			assert.Empty(t, main.Annotations)
			assert.Equal(t, map[string][]string{serverID: {"ghcr.io"}}, w.api.LoggedIn())

			post := w.post(s, main)
			assert.False(t, post.Failed, post.LogText())
			assert.Contains(t, post.LogText(), "Logged out of ghcr.io (operation ")
			assert.Equal(t, "POST /registry-auth/logout", w.requests()[len(w.requests())-1])
			assert.Empty(t, w.api.LoggedIn(), "nothing left logged in")

			assert.Equal(t, "POST /registry-auth/login", w.requests()[0])
			assert.Equal(t, "GET /operations/"+opID, w.requests()[1])
			ua := w.api.Requests()[0].Header.Get("User-Agent")
			assert.True(t, strings.HasPrefix(ua, "reoclo-docker-auth/test "), ua)
		})
	}
}

func TestDefaultsComeFromActionYML(t *testing.T) {
	w := newWorld(t)
	main := w.main(context.Background(), w.step("login", ghcrCred, nil))
	require.False(t, main.Failed, main.LogText())
	assert.Equal(t, "true", main.ProcessEnv["INPUT_CLEANUP"])
	assert.Equal(t, "120", main.ProcessEnv["INPUT_TIMEOUT"])
	assert.NotContains(t, main.ProcessEnv, "INPUT_API-KEY")
}

// Two logins in one job: each post step logs out of its own registry. On act
// the steps have no IDs (act numbers them), so each post step finds its own
// state copy.
func TestTwoRegistriesTwoPosts(t *testing.T) {
	for _, flavor := range []runner.Flavor{runner.GitHub, runner.Act} {
		t.Run(flavor.String(), func(t *testing.T) {
			w := newWorld(t)
			w.job.Flavor = flavor
			ghcr, hub := w.step("ghcr", ghcrCred, nil), w.step("hub", hubCred, nil)
			if flavor == runner.Act {
				ghcr.ID, hub.ID = "", ""
			}
			mainGHCR := w.main(context.Background(), ghcr)
			mainHub := w.main(context.Background(), hub)
			require.False(t, mainGHCR.Failed, mainGHCR.LogText())
			require.False(t, mainHub.Failed, mainHub.LogText())
			assert.Equal(t, "ghcr.io", mainGHCR.Outputs["registry_url"])
			assert.Equal(t, "docker.io", mainHub.Outputs["registry_url"])
			assert.Equal(t, map[string][]string{serverID: {"docker.io", "ghcr.io"}}, w.api.LoggedIn())

			// Post steps run in reverse order; each logs out of its own registry.
			postHub := w.post(hub, mainHub)
			assert.Contains(t, postHub.LogText(), "Logged out of docker.io")
			assert.Equal(t, map[string][]string{serverID: {"ghcr.io"}}, w.api.LoggedIn())
			postGHCR := w.post(ghcr, mainGHCR)
			assert.Contains(t, postGHCR.LogText(), "Logged out of ghcr.io")
			assert.Empty(t, w.api.LoggedIn())
		})
	}
}

// With cleanup false nothing is saved, nothing is sent at the end, and on act
// no logout step is suggested.
func TestCleanupFalse(t *testing.T) {
	for _, flavor := range []runner.Flavor{runner.GitHub, runner.Act} {
		t.Run(flavor.String(), func(t *testing.T) {
			w := newWorld(t)
			w.job.Flavor = flavor
			s := w.step("login", ghcrCred, map[string]string{"cleanup": "false"})
			main := w.main(context.Background(), s)
			require.False(t, main.Failed, main.LogText())
			assert.Empty(t, main.State)
			assert.Empty(t, main.Env)
			assert.Empty(t, main.Annotations, "no notice")
			n := len(w.requests())
			post := w.post(s, main)
			assert.False(t, post.Failed)
			assert.Equal(t, "Cleanup is off (cleanup: false): staying logged in; nothing sent.", post.Log[len(post.Log)-1])
			assert.Len(t, w.requests(), n)
			assert.Equal(t, map[string][]string{serverID: {"ghcr.io"}}, w.api.LoggedIn())
		})
	}
}

func TestBadInputSendsNothing(t *testing.T) {
	w := newWorld(t)
	s := w.step("login", "not-a-uuid", map[string]string{"timeout": "soon"})
	main := w.main(context.Background(), s)
	assert.True(t, main.Failed)
	assert.Equal(t, 1, main.ExitCode)
	require.NotEmpty(t, main.Annotations)
	assert.Equal(t, "error", main.Annotations[0].Level)
	assert.Contains(t, main.Annotations[0].Message, "input credential_id: must be a UUID")
	assert.Contains(t, main.Annotations[0].Message, "input timeout: must be a positive number of seconds")
	post := w.post(s, main)
	assert.False(t, post.Failed)
	assert.Empty(t, w.requests())
}

func TestKeyNeverLeaksWithDebugOn(t *testing.T) {
	w := newWorld(t)
	w.job.Debug = true
	w.api.Script(fakeapi.RouteLogin, fakeapi.Fault{Status: 503})
	w.api.Script(fakeapi.RouteLogout, fakeapi.Fault{Status: 403, Body: `{"detail":"Operation registry_logout not in scope for this key"}`})
	s := w.step("login", ghcrCred, nil)
	main := w.main(context.Background(), s) // noLeaks checks every byte
	require.False(t, main.Failed, main.LogText())
	assert.Contains(t, main.LogText(), "##[debug]POST /api/automation/v1/registry-auth/login -> 503 (attempt 1, ")
	assert.Contains(t, main.LogText(), "##[debug]POST /api/automation/v1/registry-auth/login -> 202 (attempt 2, ")
	assert.Empty(t, string(main.Stderr), "go-retryablehttp's default logger, which prints every URL, is silenced")
	post := w.post(s, main)
	assert.False(t, post.Failed, "a failed logout is a warning")
	require.NotEmpty(t, post.Annotations)
	assert.Equal(t, "warning", post.Annotations[len(post.Annotations)-1].Level)

	// A refused key goes through the error path; it must not leak there either.
	w.job.Secrets = append(w.job.Secrets, "rca_unknown_but_still_secret")
	s2 := w.step("login2", ghcrCred, map[string]string{"api_key": "rca_unknown_but_still_secret"})
	refused, err := w.job.RunMain(context.Background(), s2, w.exec)
	require.NoError(t, err)
	assert.True(t, refused.Failed)
	assert.Empty(t, refused.Leaks("rca_unknown_but_still_secret"))
	assert.Contains(t, refused.LogText(), "Error: start the login: the API key was refused")
}

func TestServerOutputStaysData(t *testing.T) {
	w := newWorld(t)
	hostile := "::set-output name=registry_url::evil.example.com\n" +
		"  ::save-state name=server_id::00000000-0000-4000-8000-000000000000\n" +
		"::add-mask::Login\n::error title=forged::forged annotation\n::stop-commands::x\n::x::\n" +
		"Error response from daemon: Get \"https://ghcr.io/v2/\": denied: denied\n"
	w.api.AddCredential(fakeapi.Credential{ID: badCred, RegistryURL: "ghcr.io", RegistryType: "ghcr", Status: fakeapi.StatusFailed,
		Result: fakeapi.Result{ExitCode: 1, Stdout: hostile, Stderr: hostile}})
	s := w.step("login", badCred, nil)
	main := w.main(context.Background(), s)
	assert.True(t, main.Failed)
	assert.Empty(t, main.Outputs, "no output forged")
	assert.Equal(t, serverID, saved(t, main.State["login"])["server_id"], "state not rewritten")
	assert.Empty(t, main.Masks[1:], "no mask added by the server")
	for _, a := range main.Annotations {
		assert.NotContains(t, a.Message, "forged")
	}
	assert.Contains(t, main.Annotations[0].Message, "docker login failed on server prod-api")
	assert.Contains(t, main.Annotations[0].Message, "denied: denied")
	assert.Contains(t, main.LogText(), "::set-output name=registry_url::evil.example.com", "shown as plain text")

	post := w.post(s, main)
	assert.False(t, post.Failed)
	assert.Empty(t, w.api.LoggedIn())
}

// A server name or registry URL holding the runner's legacy "##[command]"
// form, which it recognises anywhere in a line, must not set anything.
func TestLegacyCommandsInAPIStringsStayData(t *testing.T) {
	w := newWorld(t)
	const evilServer = "00000000-0000-4000-8000-0000000000aa"
	w.api.AddServer(evilServer, "prod ##[set-output name=registry_type;]forged")
	w.api.AddCredential(fakeapi.Credential{ID: badCred, RegistryURL: "ghcr.io##[save-state name=server_id;]forged", RegistryType: "ghcr"})
	s := w.step("login", badCred, map[string]string{"server_id": evilServer})
	main := w.main(context.Background(), s)
	require.False(t, main.Failed, main.LogText())
	assert.Equal(t, "ghcr", main.Outputs["registry_type"])
	assert.Equal(t, evilServer, saved(t, main.State["login"])["server_id"])
	assert.Contains(t, main.LogText(), "on server prod ## [set-output")
	post := w.post(s, main)
	assert.False(t, post.Failed)
	assert.Empty(t, w.api.LoggedIn())
}

func TestNewlineInRegistryURLIsRefused(t *testing.T) {
	w := newWorld(t)
	w.api.AddCredential(fakeapi.Credential{ID: badCred, RegistryURL: "ghcr.io\nregistry_type=forged", RegistryType: "ghcr"})
	main := w.main(context.Background(), w.step("login", badCred, nil))
	assert.True(t, main.Failed)
	require.NoError(t, main.FileCommandErr)
	assert.Empty(t, main.Outputs)
	assert.Empty(t, main.Files["GITHUB_OUTPUT"])
	require.NotEmpty(t, main.Annotations)
	assert.Contains(t, main.Annotations[0].Message, "the API returned a registry_url that cannot be an output: the value contains a control character (U+000A)")
}

// cancelWhen wraps the fake API and cancels the step (the runner's SIGINT)
// when the first request that match accepts arrives, before the API answers.
type cancelWhen struct {
	http.Handler
	match  func(*http.Request) bool
	cancel context.CancelFunc
	once   sync.Once
	at     time.Time
}

func (c *cancelWhen) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if c.match(r) {
		c.once.Do(func() { c.at = time.Now(); c.cancel() })
	}
	c.Handler.ServeHTTP(w, r)
}

// mainCancelledWhen runs s's main step, cancelled when a request that match
// accepts reaches the fake API, and returns its result and how long it ran
// after the cancellation.
func (w *world) mainCancelledWhen(s *runner.Step, match func(*http.Request) bool) (*runner.Result, time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	watch := &cancelWhen{Handler: w.api, match: match, cancel: cancel}
	srv := httptest.NewServer(watch)
	w.t.Cleanup(srv.Close)
	s.With["api_url"] = srv.URL
	main := w.main(ctx, s)
	return main, time.Since(watch.at)
}

func TestCancelStopsPromptlyAndPostCleansUp(t *testing.T) {
	w := newWorld(t)
	// The login is still running when the job is cancelled; post must wait
	// for it, then log out, so it cannot finish after the logout.
	w.api.AddCredential(fakeapi.Credential{ID: badCred, RegistryURL: "ghcr.io", RegistryType: "ghcr", LoginDuration: 400 * time.Millisecond})
	s := w.step("login", badCred, nil)
	main, stoppedAfter := w.mainCancelledWhen(s, func(r *http.Request) bool { return r.Method == http.MethodGet })
	assert.True(t, main.Cancelled)
	assert.NotEqual(t, 0, main.ExitCode)
	assert.Less(t, stoppedAfter, time.Second, "stops within a second of SIGINT")
	assert.Contains(t, main.LogText(), "Error: cancelled (received interrupt) waiting for operation")
	assert.NotEmpty(t, saved(t, main.State["login"])["operation_id"], "state saved before polling")

	post := w.post(s, main)
	assert.False(t, post.Failed)
	assert.Contains(t, post.LogText(), "Logged out of ghcr.io")
	reqs := w.requests()
	assert.Equal(t, "POST /registry-auth/logout", reqs[len(reqs)-1])
	assert.Empty(t, w.api.LoggedIn(), "the late login did not outlive the logout")
}

// The runner's SIGINT while the login request is in flight (its reply comes
// a second later): main waits for the reply within the grace, saves what
// post needs and stops; post then logs out, so nothing is left logged in.
func TestCancelWhileTheLoginIsInFlight(t *testing.T) {
	w := newWorld(t)
	w.api.Script(fakeapi.RouteLogin, fakeapi.Fault{Through: true, Delay: time.Second})
	s := w.step("login", ghcrCred, nil)
	main, stoppedAfter := w.mainCancelledWhen(s, func(r *http.Request) bool {
		return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/registry-auth/login")
	})
	assert.True(t, main.Cancelled)
	assert.NotEqual(t, 0, main.ExitCode)
	assert.Less(t, stoppedAfter, 3*time.Second, "waited for the reply, not for SIGTERM")
	assert.GreaterOrEqual(t, stoppedAfter, 900*time.Millisecond, "waited for the reply")
	opID := w.api.Operations()[0].ID
	assert.Equal(t, opID, saved(t, main.State["login"])["operation_id"], "the late reply was saved")
	assert.Contains(t, main.LogText(), "Error: cancelled (received interrupt) waiting for operation "+opID)
	assert.Equal(t, []string{"POST /registry-auth/login"}, w.requests(), "no poll after SIGINT")

	post := w.post(s, main)
	assert.False(t, post.Failed)
	assert.Contains(t, post.LogText(), "Logged out of ghcr.io")
	assert.Empty(t, w.api.LoggedIn(), "nothing left logged in")
}

// An unreachable API reads the same whatever timeout is: here the timeout
// ends the retries before the retry policy does.
func TestUnreachableAPIWithAShortTimeout(t *testing.T) {
	w := newWorld(t)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	w.url = closed.URL
	main := w.main(context.Background(), w.step("login", ghcrCred, map[string]string{"timeout": "1"}))
	assert.True(t, main.Failed)
	require.NotEmpty(t, main.Annotations)
	msg := main.Annotations[0].Message
	assert.Regexp(t, `^start the login: cannot reach the API: POST `+closed.URL+`/api/automation/v1/registry-auth/login failed on \d attempts \(timed out after 1s\); last error: dial tcp [^;]*connection refused; check api_url, and that this runner can reach it`, msg)
	assert.Empty(t, saved(t, main.State["login"]), "only the marker")
}

// saved is what a state value main sealed holds (its payload, unchecked).
func saved(t *testing.T, v string) map[string]any {
	t.Helper()
	payload, _, _ := strings.Cut(v, ".")
	b, err := base64.RawURLEncoding.DecodeString(payload)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}
