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

func TestPollInterval(t *testing.T) {
	tests := []struct {
		elapsed, want time.Duration
	}{
		{0, 55 * time.Millisecond},
		{-time.Second, 55 * time.Millisecond},
		{300 * time.Millisecond, 85 * time.Millisecond},
		{time.Second, 155 * time.Millisecond},
		{3 * time.Second, 355 * time.Millisecond},
		{10 * time.Second, 1055 * time.Millisecond},
		{49450 * time.Millisecond, 5 * time.Second},
		{time.Hour, 5 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.elapsed.String(), func(t *testing.T) {
			assert.Equal(t, tc.want, PollInterval(tc.elapsed))
		})
	}
}

// pollTimes are the times, after the wait began, at which Follow polls an
// operation that never ends, up to limit.
func pollTimes(limit time.Duration) []time.Duration {
	var at []time.Duration
	for t := PollInterval(0); t <= limit; t += PollInterval(t) {
		at = append(at, t)
	}
	return at
}

// TestPollScheduleSeesEveryLoginWithinItsBound holds the schedule to the
// README's promise for every login time, not only the benchmark's: an
// operation that ends T after the wait began is seen done by the first poll
// at or after T, at most T/10 + 55 ms later and at most 5 s later.
func TestPollScheduleSeesEveryLoginWithinItsBound(t *testing.T) {
	polls := pollTimes(11 * time.Minute)
	for T := time.Millisecond; T <= 10*time.Minute; T += max(time.Millisecond, T/1000) {
		i, _ := slices.BinarySearch(polls, T)
		require.Less(t, i, len(polls))
		lag := polls[i] - T
		bound := min(T/10+55*time.Millisecond, 5*time.Second)
		if lag > bound {
			t.Fatalf("a login of %v is seen %v after it ended, over its bound %v", T, lag, bound)
		}
	}
}

// TestPollScheduleRequests holds the schedule to the request counts the
// README gives (the login POST included), and to at most one request a
// second over a two-minute wait.
func TestPollScheduleRequests(t *testing.T) {
	requests := func(T time.Duration) int {
		i, _ := slices.BinarySearch(pollTimes(time.Hour), T)
		return 1 + i + 1 // the POST, the polls before T, the poll that sees the end
	}
	assert.Equal(t, 6, requests(300*time.Millisecond))
	assert.Equal(t, 12, requests(time.Second))
	assert.Equal(t, 21, requests(3*time.Second))
	assert.Equal(t, 44, requests(30*time.Second))
	assert.Equal(t, 63, requests(120*time.Second))
	assert.Less(t, float64(requests(120*time.Second))/120, 1.0)
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
		assert.Equal(t, []time.Duration{0, 55 * time.Millisecond, 115500 * time.Microsecond, 182050 * time.Microsecond}, h.arrivals())
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
		var apiErr *APIError
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
		assert.Equal(t, 62, h.seen.count(), "the schedule's polls in two minutes, the first at once")
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

// Follow waits one interval before its first poll (an operation just started
// has not ended), and the time a poll takes does not delay the next one.
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
		first := PollInterval(0)
		second := first + PollInterval(first)
		assert.Equal(t, []time.Duration{first, second, second + PollInterval(second)}, h.arrivals())
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
				var apiErr *APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Contains(t, err.Error(), "the API's reply to GET "+apiURL+"/reoclo/api/automation/v1/operations/op-1 could not be understood")
				assert.NotContains(t, err.Error(), "running")
				assert.False(t, Temporary(err))
				assert.Equal(t, 2, h.seen.count(), "reported at once, not polled until the deadline")
			})
		})
	}
}

// Informational numbers come in any JSON number form.
func TestWaitAcceptsNumberForms(t *testing.T) {
	for _, n := range []string{"412", "412.7", "1e3", "4.127E+2", "-0", "1e400", "0.0000001", "18446744073709551616", `"412"`, "null"} {
		t.Run(n, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
					jsonReply(w, 200, `{"operation_id":"op-1","status":"completed","result":{"exit_code":0,"stdout":"Login Succeeded","duration_ms":`+n+`}}`)
				})
				op, err := h.client.Wait(t.Context(), "op-1", "srv-1")
				require.NoError(t, err)
				assert.True(t, op.Succeeded())
				assert.Equal(t, 1, h.seen.count())
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
		notFound := &APIError{StatusCode: 404, Method: "GET", URL: "u", Detail: "Operation not found"}
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
