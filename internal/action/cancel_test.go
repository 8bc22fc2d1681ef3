package action

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reoclo/docker-auth/internal/testkit/fakeapi"
	"github.com/reoclo/docker-auth/internal/testkit/memnet"
)

// twoLevels returns a step's two stops as WithSignals gives them, with
// functions that stand for the runner's SIGINT and SIGTERM.
func twoLevels(t *testing.T) (ctx, hard context.Context, sigint, sigterm func()) {
	t.Helper()
	hard, cancelHard := context.WithCancelCause(context.Background())
	ctx, cancel := context.WithCancelCause(hard)
	t.Cleanup(func() { cancelHard(nil) })
	return ctx, hard,
		func() { cancel(&CancelledError{Signal: interrupt{}}) },
		func() { cancelHard(&CancelledError{Signal: terminated{}}) }
}

type interrupt struct{}

func (interrupt) String() string { return "interrupt" }
func (interrupt) Signal()        {}

type terminated struct{}

func (terminated) String() string { return "terminated" }
func (terminated) Signal()        {}

// onLogin serves the fake API, calling f when a login request arrives; the
// API then takes 10 ms to answer it.
func (e *testEnv) onLogin(f func()) { e.onLoginAnswerAfter(10*time.Millisecond, f) }

// onLoginAnswerAfter is onLogin with the API taking d to answer.
func (e *testEnv) onLoginAnswerAfter(d time.Duration, f func()) {
	e.transport = memnet.Serve(e.t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/registry-auth/login") {
			f()
			time.Sleep(d)
		}
		e.api.ServeHTTP(w, r)
	}))
}

// A stop while the login request is in flight: its reply, when it comes
// before the hard stop (SIGINT) or within loginLinger of it (SIGTERM, which
// docker stop sends first), is saved for post, which undoes the login; main
// then stops without polling.
func TestMainStoppedWhileTheLoginIsInFlight(t *testing.T) {
	for _, tc := range []struct {
		name    string
		sigterm bool
		reply   time.Duration
		want    string
	}{
		{"SIGINT", false, 10 * time.Millisecond, "::error::cancelled (received interrupt) waiting for operation"},
		{"SIGTERM, the reply in time", true, 1500 * time.Millisecond, "::error::cancelled (received terminated) waiting for operation"},
		{"SIGTERM, the reply too late", true, 3 * time.Second, "::error::start the login: cancelled (received terminated)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newTestEnv(t)
				ctx, hard, sigint, sigterm := twoLevels(t)
				e.onLoginAnswerAfter(tc.reply, map[bool]func(){false: sigint, true: sigterm}[tc.sigterm])
				start := time.Now()
				res := e.runStopped(ctx, hard, RoleMain, nil)
				assert.Equal(t, 1, res.code)
				assert.Contains(t, res.stdout, tc.want)
				assert.LessOrEqual(t, time.Since(start), loginLinger, "within the runner's 2.5 s before SIGKILL")
				if tc.reply > loginLinger {
					assert.Zero(t, res.login)
					return
				}
				assert.Equal(t, []string{loginPath}, e.requests(), "no poll")
				assert.Equal(t, loginState{ServerID: serverID, RegistryURL: "ghcr.io", OperationID: e.api.Operations()[0].ID}, res.login)
				assert.Contains(t, e.run(RolePost, res.state).stdout, "Logged out of ghcr.io")
				time.Sleep(time.Hour)
				assert.Empty(t, e.api.LoggedIn(), "the login that landed was undone")
			})
		})
	}
}

// SIGINT while post follows a logout the API accepted: the logout goes on
// on the server, so post stops waiting at once and says so.
func TestPostCancelledWhileTheLogoutRuns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		state := loggedIn(t, e)
		e.api.SetLogoutDuration(time.Minute)
		ctx, hard, sigint, _ := twoLevels(t)
		start := time.Now()
		time.AfterFunc(time.Second, sigint)
		post := e.runStopped(ctx, hard, RolePost, state)
		assert.Equal(t, 0, post.code)
		assert.Equal(t, time.Second, time.Since(start), "stopped at the SIGINT")
		ops := e.api.Operations()
		assert.Contains(t, post.stdout, "::warning::Not waiting for the logout of ghcr.io on server prod-api to finish: "+
			"cancelled (received interrupt) while the logout (operation "+ops[len(ops)-1].ID+") ran on the server; "+
			"the API accepted it, so it should finish there\n")
		assert.Contains(t, post.summary, "| Logout sent | ghcr.io | prod-api |")
	})
}

// SIGINT while post waits for a login still running: post keeps waiting,
// within the grace, then logs out; a login that outlasts that is logged out
// anyway; SIGTERM stops post at once.
func TestPostCancelledWhileWaitingForTheLogin(t *testing.T) {
	tests := []struct {
		name        string
		login       time.Duration
		hard        bool
		wantLogout  bool
		wantWarning string
	}{
		{"the login ends within the grace", 3 * time.Second, false, true, ""},
		{"the login outlasts the grace", time.Minute, false, true, "did not finish (cancelled (received interrupt) waiting for operation"},
		{"SIGTERM", 3 * time.Second, true, false, "cancelled before the logout was sent: cancelled (received terminated)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newTestEnv(t)
				e.api.AddCredential(fakeapi.Credential{ID: otherCred, RegistryURL: "ghcr.io", RegistryType: "ghcr", LoginDuration: tc.login})
				e.inputs["credential_id"] = otherCred
				e.inputs["timeout"] = "1"
				res := e.run(RoleMain, nil)
				require.Contains(t, res.stdout, "timed out after 1s")

				e.inputs["timeout"] = "120"
				ctx, hard, sigint, sigterm := twoLevels(t)
				start := time.Now()
				// Between post's second and third poll of the login.
				time.AfterFunc(80*time.Millisecond, func() {
					if tc.hard {
						sigterm()
					} else {
						sigint()
					}
				})
				post := e.runStopped(ctx, hard, RolePost, res.state)
				assert.Equal(t, 0, post.code)
				reqs := e.requests()
				if tc.wantLogout {
					assert.Equal(t, logoutPath, reqs[len(reqs)-1])
					assert.Contains(t, post.stdout, "Logged out of ghcr.io")
					assert.Less(t, time.Since(start), 7500*time.Millisecond, "within the runner's grace")
				} else {
					assert.NotContains(t, reqs, logoutPath)
				}
				if tc.wantWarning != "" {
					assert.Contains(t, post.stdout, tc.wantWarning)
				} else {
					assert.NotContains(t, post.stdout, "::warning")
					time.Sleep(time.Hour)
					assert.Empty(t, e.api.LoggedIn(), "the login ended before the logout")
				}
			})
		})
	}
}
