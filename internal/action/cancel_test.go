package action

import (
	"context"
	"net/http"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reoclo/docker-auth/internal/testkit/fakeapi"
	"github.com/reoclo/docker-auth/internal/testkit/memnet"
)

// onLogin calls f when a login request arrives; the API then takes d to answer.
func (e *testEnv) onLogin(d time.Duration, f func()) {
	e.transport = memnet.Serve(e.t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/registry-auth/login") {
			f()
			time.Sleep(d)
		}
		e.api.ServeHTTP(w, r)
	}))
}

// The soft stop comes at the first signal; the hard stop at SIGTERM, a
// second SIGINT or the grace after the first; stop releases both.
func TestSignalsInTwoLevels(t *testing.T) {
	tests := []struct {
		name          string
		signals       []os.Signal // sent 2 s apart (the watch ends at the hard stop); none: stop is called
		soft, hard    string
		wantHardAfter time.Duration
	}{
		{"SIGINT alone: the hard stop comes after the grace", []os.Signal{os.Interrupt}, "cancelled (received interrupt)",
			"cancelled (received interrupt, 7.5s ago)", Grace},
		{"SIGINT twice", []os.Signal{os.Interrupt, os.Interrupt}, "cancelled (received interrupt)", "cancelled (received interrupt)", 2 * time.Second},
		{"SIGTERM first stops everything", []os.Signal{syscall.SIGTERM}, "cancelled (received terminated)", "cancelled (received terminated)", 0},
		{"stop releases", nil, "context canceled", "context canceled", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ch := make(chan os.Signal, 1)
				ctx, hard, stop := watchSignals(context.Background(), ch, Grace)
				start := time.Now()
				for i, sig := range tc.signals {
					time.AfterFunc(time.Duration(i)*2*time.Second, func() { ch <- sig })
				}
				if tc.signals == nil {
					stop()
				}
				<-ctx.Done()
				assert.Equal(t, time.Duration(0), time.Since(start), "soft at the first signal")
				require.EqualError(t, context.Cause(ctx), tc.soft)
				require.ErrorIs(t, context.Cause(ctx), context.Canceled)
				<-hard.Done()
				assert.Equal(t, tc.wantHardAfter, time.Since(start))
				assert.EqualError(t, context.Cause(hard), tc.hard)
			})
		})
	}
}

// A stop while the login request is in flight: its reply, when it comes
// before the hard stop (SIGINT) or within loginLinger of it (SIGTERM, which
// docker stop sends first), is saved for post to undo; main stops unpolled.
func TestMainStoppedWhileTheLoginIsInFlight(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sig   os.Signal
		reply time.Duration
		want  string
	}{
		{"SIGINT", os.Interrupt, 10 * time.Millisecond, "::error::cancelled (received interrupt) waiting for operation"},
		{"SIGTERM, the reply in time", syscall.SIGTERM, 1500 * time.Millisecond, "::error::cancelled (received terminated) waiting for operation"},
		{"SIGTERM, the reply too late", syscall.SIGTERM, 3 * time.Second, "::error::start the login: cancelled (received terminated)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newTestEnv(t)
				e.onLogin(tc.reply, e.signal(tc.sig))
				start := time.Now()
				res := e.run(RoleMain, nil)
				assert.Equal(t, 1, res.code)
				assert.Contains(t, res.stdout, tc.want)
				assert.NotContains(t, res.stdout, "raise timeout")
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

// A cancelled post: SIGINT while it follows an accepted logout stops the wait
// at once (the logout goes on on the server); SIGINT while it waits for a
// login lets it wait within the grace, then log out; SIGTERM stops it at
// once. The signal comes 80 ms in: between post's 2nd and 3rd poll.
func TestPostCancelled(t *testing.T) {
	const at = 80 * time.Millisecond
	tests := []struct {
		name      string
		setup     setup
		sig       os.Signal
		within    time.Duration // post ends by then
		want      string        // in post's log and summary, as assertPrinted takes it
		loggedOut bool          // an hour later
	}{
		{"SIGINT while the logout runs", afterLogin(func(e *testEnv) { e.api.SetLogoutDuration(time.Minute) }), os.Interrupt, at,
			"::warning::Not waiting for the logout of ghcr.io on server prod-api to finish: cancelled (received interrupt) while the " +
				"logout (operation %s) ran on the server; the API accepted it, so it should finish there\n…| Logout sent | ghcr.io | prod-api |", true},
		{"SIGINT, the login ends within the grace", afterMain(fakeapi.Credential{LoginDuration: 3 * time.Second}, "1"), os.Interrupt, Grace,
			"Logged out of ghcr.io", true},
		{"SIGINT, the login outlasts the grace", afterMain(fakeapi.Credential{LoginDuration: time.Minute}, "1"), os.Interrupt, Grace,
			"::warning::The login operation …did not finish (cancelled (received interrupt) waiting for operation …Logged out of ghcr.io", false},
		{"SIGTERM", afterMain(fakeapi.Credential{LoginDuration: 3 * time.Second}, "1"), syscall.SIGTERM, at, "::warning::Could not log out of " +
			"ghcr.io on server " + serverID + ": cancelled before the logout was sent: cancelled (received terminated)", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newTestEnv(t)
				state := tc.setup(t, e)
				before := len(e.requests())
				start := time.Now()
				time.AfterFunc(at, e.signal(tc.sig))
				post := e.run(RolePost, state)
				assert.Equal(t, 0, post.code)
				assert.LessOrEqual(t, time.Since(start), tc.within)
				e.assertPrinted(t, post.stdout+post.summary, tc.want)
				assert.Equal(t, strings.Contains(tc.want, "::warning::"), strings.Contains(post.stdout, "::warning::"), "a warning")
				assert.Equal(t, tc.sig == os.Interrupt, slices.Contains(e.requests()[before:], logoutPath), "a logout sent")
				time.Sleep(time.Hour)
				assert.Equal(t, tc.loggedOut, len(e.api.LoggedIn()) == 0)
			})
		})
	}
}
