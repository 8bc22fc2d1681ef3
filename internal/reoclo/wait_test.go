package reoclo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPollSchedule holds the schedule to its derivation (wait.go) for every
// login time T from 0.1 s to 10 minutes: the poll that sees the login end
// comes at most T/4 + 110 ms and 4.9 s after it, 40 ms inside the step's
// bound of 25% of T + 150 ms (5 s); and the requests it costs, the POST
// included, stay within the key's budget: at most 12 for a 3 s login, 22 for
// 30 s, 40 for 120 s, and 10 for a 0.3 s login with a 0.2 s logout.
func TestPollSchedule(t *testing.T) {
	polls := PollSchedule(11 * time.Minute)
	seen := func(T time.Duration) (at time.Duration, requests int) {
		i, _ := slices.BinarySearch(polls, T)
		require.Less(t, i, len(polls))
		return polls[i], 1 + i + 1 // the POST, the polls before T, the poll that sees the end
	}
	for T := 100 * time.Millisecond; T <= 10*time.Minute; T += max(time.Millisecond, T/2000) {
		if at, _ := seen(T); at-T > min(T/4+150*time.Millisecond, 5*time.Second)-40*time.Millisecond {
			t.Fatalf("a login of %v is seen %v after it ended", T, at-T)
		}
	}
	for T, most := range map[time.Duration]int{3 * time.Second: 12, 30 * time.Second: 22, 120 * time.Second: 40} {
		_, n := seen(T)
		assert.LessOrEqual(t, n, most, "a %v login", T)
	}
	at, login := seen(300 * time.Millisecond)
	assert.LessOrEqual(t, at, 410*time.Millisecond, "a 0.3 s login's step stays within 0.45 s")
	_, logout := seen(200 * time.Millisecond)
	assert.LessOrEqual(t, login+logout, 10, "a 0.3 s login and its 0.2 s logout")
}

// op answers a poll with operation op-1 of server srv-1 in status.
func op(s string, header ...string) reply {
	return status(200, fmt.Sprintf(`{"operation_id":"op-1","server_id":"srv-1","status":%q,"result":{"exit_code":0}}`, s), header...)
}

// wait is h's Wait, or its Follow.
func (h *harness) wait(follow bool) func(context.Context, string, string) (*Operation, error) {
	if follow {
		return h.client.Follow
	}
	return h.client.Wait
}

// Wait polls at once, then on the schedule, counted from when each poll was
// sent; Follow first waits pollFirst. A key's budget running low, as the
// rate-limit headers tell it, spreads the polls.
func TestWaitPolls(t *testing.T) {
	slow := func(r reply) reply { // a poll that takes 20 ms
		return func(w http.ResponseWriter, req *http.Request) { time.Sleep(20 * time.Millisecond); r(w, req) }
	}
	tests := []struct {
		name    string
		follow  bool
		replies []reply
		at      []time.Duration
	}{
		{"wait", false, []reply{op("running"), op("running"), op("running"), op("completed")},
			[]time.Duration{0, 110 * time.Millisecond, 247500 * time.Microsecond, 419375 * time.Microsecond}},
		{"follow", true, []reply{slow(op("running")), slow(op("running")), slow(op("completed"))}, PollSchedule(time.Second)[:3]},
		{"a budget running low", false, []reply{op("running", "X-RateLimit-Remaining", "5", "X-RateLimit-Reset", "30"), op("completed")},
			[]time.Duration{0, 6 * time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, tc.replies...)
				got, err := h.wait(tc.follow)(t.Context(), "op-1", "srv-1")
				require.NoError(t, err)
				assert.True(t, got.Succeeded())
				assert.Equal(t, tc.at, h.at)
			})
		})
	}
}

// Only an answer about the operation asked for ends a wait: calls that
// failed in a way asking again may fix, a reply that is not JSON, another
// operation's or server's record (a confused cache or proxy) and a reply
// with no status yet are polled past. Server IDs match in any case.
func TestWaitPollsPastWhatIsNoAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		replies := slices.Repeat([]reply{status(502, busy)}, maxAttempts)
		replies = append(replies, status(200, "not json"), status(200, `{"operation_id":"op-2","status":"completed"}`),
			status(200, `{"operation_id":"op-1","server_id":"srv-2","status":"completed"}`), status(200, `{"operation_id":"op-1"}`), op("completed"))
		h := newHarness(t, replies...)
		got, err := h.client.Wait(t.Context(), "op-1", "SRV-1")
		require.NoError(t, err)
		assert.True(t, got.Succeeded())
		assert.Len(t, h.requests, len(replies))
		assert.Contains(t, strings.Join(h.lines, "\n"), "polling operation op-1 failed, will try again: the reply is about another server")
	})
}

// How a wait ends before the operation does. Its context ending (here
// inside a retry wait, or between polls), it says what it last saw: the
// last status, then the last failure since, of a call its last attempt's.
// A poll that asking again cannot fix ends it at once, reading as itself;
// the error keeps the status an earlier poll saw.
func TestWaitEnds(t *testing.T) {
	poll := "GET " + apiURL + "/reoclo/api/automation/v1/operations/op-1"
	tests := []struct {
		name    string
		follow  bool
		stopAt  time.Duration // 0: never
		replies []reply
		want    string
		polls   int
	}{
		{"before the first poll", true, 100 * time.Millisecond, []reply{op("completed")}, "out of time waiting for operation op-1 (last status: unknown)", 0},
		{"running", false, 120 * time.Second, []reply{op("running")}, "out of time waiting for operation op-1 (last status: running)", 38},
		{"polls failing after a status", false, 10 * time.Second, []reply{op("running"), status(503, busy, "Retry-After", "20")},
			"out of time waiting for operation op-1 (last status: running, seen before the polls began failing; last error: 503 Service Unavailable)", 2},
		{"another operation", false, 10 * time.Second, []reply{status(200, `{"operation_id":"op-2","status":"running"}`)},
			`out of time waiting for operation op-1 (last status: unknown; last error: the reply is about operation "op-2", not op-1)`, 15},
		{"no status", false, 10 * time.Second, []reply{status(200, `{"operation_id":"op-1","status":null}`)},
			"out of time waiting for operation op-1 (last status: unknown; last error: the reply has no status)", 15},
		{"an error status", false, 0, []reply{op("running"), status(404, `{"detail":"Operation not found"}`)},
			"404 Not Found from " + poll + `: API says "Operation not found"`, 2},
		{"a reply that cannot be understood", false, 0, []reply{op("running"), status(200, `{"operation_id":"op-1","status":"completed","result":{"exit_code":0.5}}`)},
			"the API's reply to " + poll + " could not be understood: json: cannot unmarshal number 0.5 into Go struct field Result.result.exit_code of type int", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cause := errors.New("out of time")
				ctx, cancel := context.WithCancelCause(t.Context())
				defer cancel(nil)
				if tc.stopAt > 0 {
					time.AfterFunc(tc.stopAt, func() { cancel(cause) })
				}
				h := newHarness(t, tc.replies...)
				got, err := h.wait(tc.follow)(ctx, "op-1", "srv-1")
				assert.Nil(t, got)
				require.EqualError(t, err, tc.want)
				assert.Len(t, h.requests, tc.polls)
				if tc.stopAt > 0 {
					require.ErrorIs(t, err, cause)
					assert.Equal(t, tc.stopAt, time.Since(h.start))
					return
				}
				var we *WaitError
				require.ErrorAs(t, err, &we)
				require.NotNil(t, we.Last)
				assert.Equal(t, "running", we.Last.Status)
				var e *Error
				require.ErrorAs(t, err, &e)
				assert.False(t, Temporary(err))
			})
		})
	}
}
