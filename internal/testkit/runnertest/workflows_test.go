package runnertest

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reoclo/docker-auth/internal/testkit/fakeapi"
)

// apiKey is the key every run passes as API_KEY: it must never show in a runner's log.
const apiKey = "rca_runnertest_k3y_never_printed"

// outcome is what a run of a workflow must leave behind.
type outcome struct {
	ok       bool     // the job succeeded
	logouts  int      // logout requests the API received
	loggedIn []string // registries fakeapi.WorldServer is still logged in to
}

// workflowTests are the workflows under testdata/workflows and what each must do under each
// runner that runs it. Gitea's act runs no post step for a container action, so where the
// post step logs out, it leaves the server logged in.
var workflowTests = []struct {
	file string
	want map[string]outcome // by runner: "act", "gitea-act"; a runner not named skips the file
	// cancel sends the runner SIGINT, as Ctrl-C, once the action polls the login.
	cancel bool
	// settle is how long after the start of the run to look at who is logged in, so that a
	// login still running on the server has landed by then.
	settle time.Duration
}{
	{file: "login-post.yml", want: map[string]outcome{
		"act":       {ok: true, logouts: 1},
		"gitea-act": {ok: true, loggedIn: []string{"ghcr.io"}},
	}},
	{file: "refused.yml", want: map[string]outcome{"act": {}, "gitea-act": {}}},
	{file: "no-cleanup.yml", want: map[string]outcome{"act": {ok: true, loggedIn: []string{"ghcr.io"}}}},
	{file: "two-registries.yml", want: map[string]outcome{"act": {ok: true, logouts: 2}}},
	// On act the post step logs out after the logout step, harmlessly.
	{file: "logout-step.yml", want: map[string]outcome{
		"act":       {ok: true, logouts: 2},
		"gitea-act": {ok: true, logouts: 1},
	}},
	{file: "failing-job.yml", want: map[string]outcome{"act": {logouts: 1}}},
	// Not under Gitea's act, which cannot do it: SIGINT stops it at once (no graceful cancel:
	// its main.go cancels the one context everything runs on), it runs no post step, and a
	// logout step would not help: it does not wait for the login still running, which then
	// lands after the logout.
	{file: "cancel.yml", cancel: true, settle: 2*time.Minute + 5*time.Second, want: map[string]outcome{"act": {logouts: 1}}},
}

// TestWorkflows runs each workflow under each runner that runs it, against a fresh fake API.
func TestWorkflows(t *testing.T) {
	s := need(t)
	ws := s.workspace(t, "ws")
	for _, runner := range []string{"act", "gitea-act"} {
		t.Run(runner, func(t *testing.T) {
			s.removeActionImages(t)
			first := true
			for _, tt := range workflowTests {
				want, ok := tt.want[runner]
				if !ok {
					continue
				}
				t.Run(tt.file, func(t *testing.T) {
					start := time.Now()
					res := s.runWorkflow(t, runner, ws, tt.file, tt.cancel)
					if first {
						assert.Contains(t, res.log, "docker build -t act-dockeraction", "the first run builds the image from the Dockerfile")
						first = false
					}
					time.Sleep(time.Until(start.Add(tt.settle)))
					res.check(t, want)
				})
			}
		})
	}
}

// result is what one run of a workflow left: the runner's exit code and log, and the API.
type result struct {
	exit int
	log  string
	api  *fakeapi.Server
}

// check compares the run with want, and that the API key is not in the log. On a failure it
// logs the runner's log.
func (r result) check(t *testing.T, want outcome) {
	t.Helper()
	var logouts int
	for _, req := range r.api.Requests() {
		if req.Method == http.MethodPost && req.Path == fakeapi.APIPath+"/registry-auth/logout" {
			logouts++
		}
	}
	assert.Equal(t, want.ok, r.exit == 0, "the job succeeded (exit code %d)", r.exit)
	assert.Equal(t, want.logouts, logouts, "logout requests")
	assert.Equal(t, want.loggedIn, r.api.LoggedIn()[fakeapi.WorldServer], "still logged in")
	assert.NotContains(t, r.log, apiKey, "the API key shows in the log")
	if t.Failed() {
		t.Logf("the runner's log:\n%s", r.log)
	}
}

// runWorkflow runs testdata/workflows/<file> of the workspace ws with runner, on the engine,
// against a fresh fake API on 127.0.0.1 (API_URL, API_KEY). With cancel, it sends the runner
// SIGINT once the action polls the login.
func (s *setup) runWorkflow(t *testing.T, runner, ws, file string, cancel bool) result {
	t.Helper()
	api := fakeapi.NewWorld(apiKey)
	srv := httptest.NewServer(api)
	defer srv.Close()
	home := filepath.Join(s.tmp, "home-"+runner)
	require.NoError(t, os.MkdirAll(home, 0o700))
	ctx, stop := context.WithTimeout(t.Context(), 8*time.Minute)
	defer stop()
	cmd := exec.CommandContext(ctx, s.runners[runner], "push", "--workflows", "testdata/workflows/"+file,
		"--platform", "ubuntu-latest="+jobImage, "--pull=false", "--container-daemon-socket", "-",
		// Build a local action's image only when the engine lacks it: not again for post.
		"--rebuild=false",
		"--env", "API_URL="+srv.URL, "--env", "API_KEY="+apiKey)
	if runner == "gitea-act" {
		// Outside act_runner, Gitea's act logs every job at trace level, environment included
		// (pkg/runner/logger.go), so the key would show whatever the action does; act_runner
		// logs at its configured level and masks the secrets Gitea gives it. Mask it likewise.
		cmd.Args = append(cmd.Args, "--secret", "API_KEY="+apiKey)
	}
	cmd.Dir = ws
	cmd.Env = append(append(os.Environ(), s.podmanEnv...),
		"HOME="+home, "XDG_CONFIG_HOME="+home+"/.config", "XDG_CACHE_HOME="+home+"/.cache")
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.WaitDelay = 10 * time.Second
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	if cancel {
		go func() {
			for {
				select {
				case <-done:
					return
				case <-time.After(100 * time.Millisecond):
				}
				for _, r := range api.Requests() {
					if r.Method == http.MethodGet && strings.HasPrefix(r.Path, fakeapi.APIPath+"/operations/") {
						_ = cmd.Process.Signal(os.Interrupt)
						return
					}
				}
			}
		}()
	}
	err := cmd.Wait()
	close(done)
	require.NoError(t, ctx.Err(), "%s did not finish; its log:\n%s", runner, log.String())
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		require.NoError(t, err)
	}
	return result{exit: cmd.ProcessState.ExitCode(), log: log.String(), api: api}
}

// removeActionImages removes the images runners built for local actions (act-…-dockeraction),
// so that the next run builds them from the Dockerfile again.
func (s *setup) removeActionImages(t *testing.T) {
	out, err := s.podman(t.Context(), "images", "--format", "{{.Repository}}:{{.Tag}}")
	require.NoError(t, err)
	refs := []string{"rmi", "--force"}
	for _, ref := range strings.Fields(out) {
		if strings.Contains(ref, "-dockeraction:") {
			refs = append(refs, ref)
		}
	}
	if len(refs) > 2 {
		_, err = s.podman(t.Context(), refs...)
		require.NoError(t, err)
	}
}

// goImageArg is the Dockerfile's `ARG GO_IMAGE=<default>` line.
var goImageArg = regexp.MustCompile(`(?m)^ARG GO_IMAGE=\S+$`)

// workspace makes tmp/<name>, a git repository with one commit holding the checkout's files
// as the work tree has them (tracked and untracked, less what .gitignore ignores), where the
// Dockerfile builds on goImage: a runner builds an action's Dockerfile with no build
// arguments.
func (s *setup) workspace(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(s.tmp, name)
	require.NoError(t, os.Mkdir(dir, 0o755))
	// --ignore-failed-read: a file deleted in the work tree but still in the index.
	_, err := run(t.Context(), s.src, nil, "sh", "-c", `git ls-files -z --cached --others --exclude-standard |
		tar --null --ignore-failed-read -T - -cf - | tar -xf - -C "$0"`, dir)
	require.NoError(t, err)
	dockerfile, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	require.NoError(t, err)
	require.Len(t, goImageArg.FindAll(dockerfile, -1), 1, "`ARG GO_IMAGE=` lines in the Dockerfile")
	dockerfile = goImageArg.ReplaceAllLiteral(dockerfile, []byte("ARG GO_IMAGE="+goImage))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Dockerfile"), dockerfile, 0o644))

	git(t, dir, "init", "--quiet", "--initial-branch=main")
	git(t, dir, "add", "--all")
	git(t, dir, "commit", "--quiet", "--no-verify", "-m", "runner test workspace")
	return dir
}

// git runs git in dir with a fixed identity and returns its trimmed output.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := run(t.Context(), dir, nil, "git", append([]string{"-c", "user.name=runnertest", "-c", "user.email=runnertest@localhost"}, args...)...)
	require.NoError(t, err)
	return out
}
