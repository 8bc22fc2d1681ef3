package reoclo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPollSchedule holds the schedule to its derivation (wait.go) for every
// login time T from 0.1 s to 10 minutes: the poll that sees the login end
// comes at most T/4 + 110 ms and at most 4.9 s after it, which leaves 40 ms
// (0.1 s) of the step's bound of 25% of T + 150 ms (5 s); and the requests it
// costs, the POST included, stay within the key's budget: at most 12 for a
// 3 s login, 22 for 30 s, 40 for 120 s, and 10 for a 0.3 s login with a
// 0.2 s logout.
func TestPollSchedule(t *testing.T) {
	polls := PollSchedule(11 * time.Minute)
	seen := func(T time.Duration) (at time.Duration, requests int) {
		i, _ := slices.BinarySearch(polls, T)
		require.Less(t, i, len(polls))
		return polls[i], 1 + i + 1 // the POST, the polls before T, the poll that sees the end
	}
	for T := 100 * time.Millisecond; T <= 10*time.Minute; T += max(time.Millisecond, T/2000) {
		at, _ := seen(T)
		if lag, bound := at-T, min(T/4+150*time.Millisecond, 5*time.Second)-40*time.Millisecond; lag > bound {
			t.Fatalf("a login of %v is seen %v after it ended, over its bound %v", T, lag, bound)
		}
	}
	for _, tc := range []struct {
		T        time.Duration
		requests int
	}{{3 * time.Second, 12}, {30 * time.Second, 22}, {120 * time.Second, 40}} {
		_, n := seen(tc.T)
		assert.LessOrEqual(t, n, tc.requests, "a %v login", tc.T)
	}
	at, login := seen(300 * time.Millisecond)
	assert.LessOrEqual(t, at, 410*time.Millisecond, "a 0.3 s login's step stays within 0.45 s")
	_, logout := seen(200 * time.Millisecond)
	assert.LessOrEqual(t, login+logout, 10, "a 0.3 s login and its 0.2 s logout")
}

func opJSON(status string) string {
	if status == "running" {
		return `{"operation_id":"op-1","status":"running","result":null}`
	}
	return fmt.Sprintf(`{"operation_id":"op-1","status":%q,"server_name":"prod-api","result":{"exit_code":0,"stdout":"Login Succeeded"}}`, status)
}

func TestWaitFollowsUntilTerminal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, func(n int, w http.ResponseWriter, _ *http.Request) {
			if n < 4 {
				jsonReply(w, 200, opJSON("running"))
				return
			}
			jsonReply(w, 200, opJSON("completed"))
		})

		op, err := h.client.Wait(t.Context(), "op-1", "srv-1")
		require.NoError(t, err)
		assert.True(t, op.Succeeded())
		assert.Equal(t, 4, h.seen.count())
		second := PollInterval(0)
		third := second + PollInterval(second)
		assert.Equal(t, []time.Duration{0, second, third, third + PollInterval(third)}, h.arrivals(),
			"at once, then the schedule follows the time already waited")
		assert.Equal(t, []time.Duration{0, 110 * time.Millisecond, 247500 * time.Microsecond, 419375 * time.Microsecond}, h.arrivals())
		assert.Equal(t, "/reoclo/api/automation/v1/operations/op-1", h.seen.requests[0].URL.Path)
	})
}

func TestWaitRidesOutTransientFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, func(n int, w http.ResponseWriter, _ *http.Request) {
			switch {
			case n <= maxAttempts: // one whole call's attempts fail
				jsonReply(w, 502, `{"detail":"bad gateway"}`)
			case n == maxAttempts+1:
				jsonReply(w, 200, `not json`)
			default:
				jsonReply(w, 200, opJSON("completed"))
			}
		})

		op, err := h.client.Wait(t.Context(), "op-1", "srv-1")
		require.NoError(t, err)
		assert.Equal(t, "completed", op.Status)
		assert.Contains(t, h.log.all(), "polling operation op-1 failed, will try again")
	})
}

func TestWaitStopsOnPermanentErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
			jsonReply(w, 404, `{"detail":"Operation not found"}`)
		})
		_, err := h.client.Wait(t.Context(), "op-1", "srv-1")
		var apiErr *Error
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, 404, apiErr.StatusCode)
		assert.Equal(t, apiErr.Error(), err.Error(), "reads as the API's error")
		assert.Equal(t, 1, h.seen.count())
	})
}

// The step's real timeout, context.WithTimeoutCause, on fake time: two
// minutes of polls take milliseconds.
func TestWaitTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeoutCause(t.Context(), 120*time.Second, errors.New("timed out after 120s"))
		defer cancel()
		h := newHarness(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
			jsonReply(w, 200, opJSON("running"))
		})

		start := time.Now()
		op, err := h.client.Wait(ctx, "op-1", "srv-1")
		require.EqualError(t, err, "timed out after 120s waiting for operation op-1 (last status: running)")
		assert.Equal(t, 120*time.Second, time.Since(start))
		var waitErr *WaitError
		require.ErrorAs(t, err, &waitErr)
		require.NotNil(t, waitErr.Last)
		assert.Equal(t, "running", waitErr.Last.Status)
		assert.Nil(t, op, "no operation beside the error")
		assert.Equal(t, 38, h.seen.count(), "the schedule's polls in two minutes, the first at once")
	})
}

func TestWaitTimesOutNamingTheLastError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancelCause(t.Context())
		defer cancel(nil)
		h := newHarness(t, func(n int, w http.ResponseWriter, _ *http.Request) {
			if n == 1 {
				jsonReply(w, 200, opJSON("running"))
				return
			}
			jsonReply(w, 503, `{"detail":"maintenance"}`)
		})
		// Inside the second poll's fifth retry wait, whatever the jitter: it
		// starts by 3.805 s and lasts until 3.93 s at least.
		time.AfterFunc(3850*time.Millisecond, func() { cancel(errors.New("timed out after 5s")) })
		_, err := h.client.Wait(ctx, "op-1", "srv-1")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "timed out after 5s waiting for operation op-1 (last status: running, seen before the polls began failing; last error: 503 Service Unavailable)")
	})
}

// Follow waits before its first poll (an operation just started has not
// ended), and the time a poll takes does not delay the next one.
func TestFollowKeepsToTheSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, func(n int, w http.ResponseWriter, _ *http.Request) {
			time.Sleep(20 * time.Millisecond) // each poll takes 20 ms
			if n < 3 {
				jsonReply(w, 200, opJSON("running"))
				return
			}
			jsonReply(w, 200, opJSON("completed"))
		})

		op, err := h.client.Follow(t.Context(), "op-1", "srv-1")
		require.NoError(t, err)
		assert.Equal(t, "completed", op.Status)
		assert.Equal(t, 3, h.seen.count())
		assert.Equal(t, PollSchedule(time.Second)[:3], h.arrivals())
	})
}

// A reply that is JSON but cannot be understood ends the wait at once, and
// says so; the status of an earlier poll is not reported as the answer.
func TestWaitStopsOnAReplyItCannotUnderstand(t *testing.T) {
	for name, body := range map[string]string{
		"exit code not an integer": `{"operation_id":"op-1","status":"completed","result":{"exit_code":0.5}}`,
		"status not a string":      `{"operation_id":"op-1","status":7}`,
		"not an object":            `["completed"]`,
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithTimeoutCause(t.Context(), 120*time.Second, errors.New("timed out after 120s"))
				defer cancel()
				h := newHarness(t, func(n int, w http.ResponseWriter, _ *http.Request) {
					if n == 1 {
						jsonReply(w, 200, opJSON("running"))
						return
					}
					jsonReply(w, 200, body)
				})
				op, err := h.client.Wait(ctx, "op-1", "srv-1")
				assert.Nil(t, op)
				var waitErr *WaitError
				require.ErrorAs(t, err, &waitErr)
				require.NotNil(t, waitErr.Last, "the running operation is kept in the error")
				assert.Equal(t, "running", waitErr.Last.Status)
				var apiErr *Error
				require.ErrorAs(t, err, &apiErr)
				assert.Contains(t, err.Error(), "the API's reply to GET "+apiURL+"/reoclo/api/automation/v1/operations/op-1 could not be understood")
				assert.NotContains(t, err.Error(), "running")
				assert.False(t, Temporary(err))
				assert.Equal(t, 2, h.seen.count(), "reported at once, not polled until the deadline")
			})
		})
	}
}

func TestWaitErrorReadsWhole(t *testing.T) {
	cause := errors.New("timed out after 120s")
	tests := []struct {
		name string
		err  *WaitError
		want string
	}{
		{"no poll answered", &WaitError{OperationID: "op-1", Cause: cause},
			"timed out after 120s waiting for operation op-1 (last status: unknown)"},
		{"a status", &WaitError{OperationID: "op-1", Last: &Operation{Status: "running"}, Cause: cause},
			"timed out after 120s waiting for operation op-1 (last status: running)"},
		{"polls failing from the start", &WaitError{OperationID: "op-1", LastErr: errors.New("503 Service Unavailable"), Cause: cause},
			"timed out after 120s waiting for operation op-1 (last status: unknown; last error: 503 Service Unavailable)"},
		{"polls failing after a status", &WaitError{OperationID: "op-1", Last: &Operation{Status: "running"}, LastErr: errors.New("503 Service Unavailable"), Cause: cause},
			"timed out after 120s waiting for operation op-1 (last status: running, seen before the polls began failing; last error: 503 Service Unavailable)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.EqualError(t, tc.err, tc.want)
			assert.ErrorIs(t, tc.err, cause)
		})
	}
	t.Run("ended by a failed poll", func(t *testing.T) {
		notFound := &Error{StatusCode: 404, Method: "GET", URL: "u", Detail: `API says "Operation not found"`}
		err := &WaitError{OperationID: "op-1", Last: &Operation{Status: "running"}, Err: notFound}
		require.EqualError(t, err, notFound.Error())
		assert.ErrorIs(t, err, notFound)
	})
}

// A reply that is not about the operation asked for (another operation's or
// another server's record, from a confused cache or proxy), or that has no
// status yet, is not an answer: the wait keeps polling and, if no answer
// comes, times out saying what it got.
func TestWaitTakesOnlyAnAnswerAboutItsOperation(t *testing.T) {
	tests := map[string]struct{ body, want string }{
		"status null":       {`{"operation_id":"op-1","server_id":"srv-1","status":null}`, "the reply has no status"},
		"no status":         {`{"operation_id":"op-1"}`, "the reply has no status"},
		"another operation": {`{"operation_id":"op-2","server_id":"srv-1","status":"completed","result":{"exit_code":0}}`, `the reply is about operation "op-2", not op-1`},
		"no operation":      {`{"server_id":"srv-1","status":"completed","result":{"exit_code":0}}`, `the reply is about operation "", not op-1`},
		"another server":    {`{"operation_id":"op-1","server_id":"srv-2","status":"completed","result":{"exit_code":0}}`, "the reply is about another server"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithTimeoutCause(t.Context(), 10*time.Second, errors.New("timed out after 10s"))
				defer cancel()
				h := newHarness(t, func(_ int, w http.ResponseWriter, _ *http.Request) { jsonReply(w, 200, tc.body) })
				op, err := h.client.Wait(ctx, "op-1", "SRV-1")
				assert.Nil(t, op)
				require.EqualError(t, err, "timed out after 10s waiting for operation op-1 (last status: unknown; last error: "+tc.want+")")
				assert.Greater(t, h.seen.count(), 10, "polled until the deadline")
			})
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, func(n int, w http.ResponseWriter, _ *http.Request) {
					if n <= 3 {
						jsonReply(w, 200, tc.body)
						return
					}
					jsonReply(w, 200, `{"operation_id":"op-1","server_id":"srv-1","status":"completed","result":{"exit_code":0}}`)
				})
				op, err := h.client.Wait(t.Context(), "op-1", "srv-1")
				require.NoError(t, err)
				assert.True(t, op.Succeeded())
				assert.Equal(t, 4, h.seen.count())
			})
		})
	}
}

// A key's budget running low, as rate-limit headers tell it, spreads the
// polls out so the key's other users are not walked into a 429; with budget
// to spare, or without the headers, the schedule is unchanged.
func TestWaitPacesPollsWhenTheBudgetRunsLow(t *testing.T) {
	for _, tc := range []struct {
		name      string
		remaining string
		gap       time.Duration
	}{
		{"budget to spare", "50", PollInterval(0)},
		{"5 left, 30 s to the reset", "5", 6 * time.Second},
		{"none left", "0", 30 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, func(n int, w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("X-RateLimit-Remaining", tc.remaining)
					w.Header().Set("X-RateLimit-Reset", "30")
					if n < 2 {
						jsonReply(w, 200, opJSON("running"))
						return
					}
					jsonReply(w, 200, opJSON("completed"))
				})
				_, err := h.client.Wait(t.Context(), "op-1", "srv-1")
				require.NoError(t, err)
				assert.Equal(t, []time.Duration{tc.gap}, h.gaps())
			})
		})
	}
}
