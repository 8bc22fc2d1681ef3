package reoclo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPollInterval(t *testing.T) {
	tests := []struct {
		elapsed, want time.Duration
	}{
		{0, 50 * time.Millisecond},
		{-time.Second, 50 * time.Millisecond},
		{300 * time.Millisecond, 65 * time.Millisecond},
		{time.Second, 100 * time.Millisecond},
		{3 * time.Second, 200 * time.Millisecond},
		{10 * time.Second, 550 * time.Millisecond},
		{39 * time.Second, 2 * time.Second},
		{time.Hour, 2 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.elapsed.String(), func(t *testing.T) {
			assert.Equal(t, tc.want, PollInterval(tc.elapsed))
		})
	}
}

// TestPollScheduleRate holds the schedule to its promise: quick at first,
// about one request a second over a two-minute wait.
func TestPollScheduleRate(t *testing.T) {
	polls := func(d time.Duration) int {
		n := 0
		for at := time.Duration(0); at <= d; at += PollInterval(at) {
			n++
		}
		return n
	}
	assert.GreaterOrEqual(t, polls(300*time.Millisecond), 5, "sub-second logins are seen done quickly")
	assert.LessOrEqual(t, polls(120*time.Second), 120, "a two-minute wait averages at most one request a second")
}

// fakeTime is a clock that only moves when the poll loop sleeps.
type fakeTime struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (f *fakeTime) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeTime) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sleeps = append(f.sleeps, d)
	f.now = f.now.Add(d)
	return nil
}

func opJSON(status string) string {
	if status == "running" {
		return `{"operation_id":"op-1","status":"running","result":null}`
	}
	return fmt.Sprintf(`{"operation_id":"op-1","status":%q,"server_name":"prod-api","result":{"exit_code":0,"stdout":"Login Succeeded"}}`, status)
}

func TestWaitFollowsUntilTerminal(t *testing.T) {
	clock := &fakeTime{now: time.Unix(0, 0)}
	h := newHarness(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n < 4 {
			jsonReply(w, 200, opJSON("running"))
			return
		}
		jsonReply(w, 200, opJSON("completed"))
	}, WithClock(clock.Now), WithSleep(clock.Sleep))

	op, err := h.client.Wait(context.Background(), "op-1")
	require.NoError(t, err)
	assert.True(t, op.Succeeded())
	assert.Equal(t, 4, h.seen.count())
	assert.Equal(t, []time.Duration{PollInterval(0), PollInterval(50 * time.Millisecond), PollInterval(102500 * time.Microsecond)}, clock.sleeps,
		"the schedule follows the time already waited")
	assert.Equal(t, "/reoclo/api/automation/v1/operations/op-1", h.seen.requests[0].URL.Path)
}

func TestWaitRidesOutTransientFailures(t *testing.T) {
	clock := &fakeTime{now: time.Unix(0, 0)}
	h := newHarness(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		switch {
		case n <= maxAttempts: // one whole call's attempts fail
			jsonReply(w, 502, `{"detail":"bad gateway"}`)
		case n == maxAttempts+1:
			jsonReply(w, 200, `not json`)
		default:
			jsonReply(w, 200, opJSON("completed"))
		}
	}, WithClock(clock.Now), WithSleep(clock.Sleep))

	op, err := h.client.Wait(context.Background(), "op-1")
	require.NoError(t, err)
	assert.Equal(t, "completed", op.Status)
	assert.Contains(t, h.log.all(), "polling operation op-1 failed, will try again")
}

func TestWaitStopsOnPermanentErrors(t *testing.T) {
	clock := &fakeTime{now: time.Unix(0, 0)}
	h := newHarness(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		jsonReply(w, 404, `{"detail":"Operation not found"}`)
	}, WithClock(clock.Now), WithSleep(clock.Sleep))
	_, err := h.client.Wait(context.Background(), "op-1")
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 404, apiErr.StatusCode)
	assert.Equal(t, 1, h.seen.count())
}

func TestWaitTimesOut(t *testing.T) {
	clock := &fakeTime{now: time.Unix(0, 0)}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	h := newHarness(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n == 3 {
			cancel(errors.New("timed out after 120s"))
		}
		jsonReply(w, 200, opJSON("running"))
	}, WithClock(clock.Now), WithSleep(clock.Sleep))

	op, err := h.client.Wait(ctx, "op-1")
	require.EqualError(t, err, "timed out after 120s waiting for operation op-1 (last status: running)")
	var waitErr *WaitError
	require.ErrorAs(t, err, &waitErr)
	assert.Equal(t, "running", waitErr.LastStatus)
	require.NotNil(t, op)
	assert.Equal(t, "running", op.Status)
}

func TestWaitTimesOutNamingTheLastError(t *testing.T) {
	clock := &fakeTime{now: time.Unix(0, 0)}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	h := newHarness(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			jsonReply(w, 200, opJSON("running"))
			return
		}
		if n == 1+maxAttempts {
			cancel(errors.New("timed out after 5s"))
		}
		jsonReply(w, 503, `{"detail":"maintenance"}`)
	}, WithClock(clock.Now), WithSleep(clock.Sleep))
	_, err := h.client.Wait(ctx, "op-1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "timed out after 5s waiting for operation op-1 (last status: running; last error: 503 Service Unavailable)")
}
