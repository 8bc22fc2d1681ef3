package reoclo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/reoclo/docker-auth/internal/untrusted"
)

// The poll schedule. Follow polls an operation it has just started
// pollFirst after the start, then each next poll pollSlack plus a
// pollShare-th of the time already waited after the one before, and at most
// pollMax after it. An operation that ends T after the start (T ≥ 0.1 s) is
// then seen done at most T/4 + 110 ms after it ended, and at most 4.9 s
// after: the step ends within 25% of T + 150 ms of the login's end, and
// within 5 s of it, leaving 40 ms (0.1 s) for the login request, the last
// poll, start-up and exit. A 0.3 s login is seen at 0.37 s.
//
// Each request spent is taken from the key's budget, 100 requests a minute
// by default and shared by every Reoclo step and job that uses the key, so
// the schedule spaces polls as widely as that bound allows: the gap grows
// with the time waited (a quarter of it) instead of staying short. It costs
// 3 requests for a 0.3 s login (the POST included), 10 for 3 s, 20 for 30 s
// and 38 for 120 s; a 0.3 s login and a 0.2 s logout cost 5 in all.
// TestPollSchedule holds both to their bounds for every T from 0.1 s to 10
// minutes.
const (
	pollFirst = 200 * time.Millisecond
	pollSlack = 110 * time.Millisecond
	pollShare = 4
	pollMax   = 4900 * time.Millisecond
)

// PollInterval returns the time from one poll of an operation to the next
// when the first was sent elapsed after the wait began.
func PollInterval(elapsed time.Duration) time.Duration {
	return min(pollSlack+max(elapsed, 0)/pollShare, pollMax)
}

// PollSchedule returns the times, after Follow began, at which it polls an
// operation that never ends, up to limit, when polls take no time.
func PollSchedule(limit time.Duration) []time.Duration {
	var at []time.Duration
	for t := pollFirst; t <= limit; t += PollInterval(t) {
		at = append(at, t)
	}
	return at
}

// WaitError reports that Wait gave up before the operation reached a
// terminal status: its context ended (a deadline or a cancellation, see
// Cause), or a poll failed in a way asking again will not fix (Err).
type WaitError struct {
	OperationID string
	// Last is the operation as the last successful poll saw it, or nil.
	Last *Operation
	// Err, when set, is the poll's failure that ended the wait (an API
	// error such as 404, or a reply that cannot be understood); the
	// WaitError then reads as Err.
	Err error
	// LastErr is the last transient failure seen while polling, when the
	// context ended the wait.
	LastErr error
	// Cause is why the context ended, when it did.
	Cause error
}

// Error implements error: "timed out after 2m0s waiting for operation 9d2f…
// (last status: running)". When polls failed after the last status was seen,
// it says so, so a status the server may since have changed is not
// presented as its answer. A wait a failed poll ended reads as that failure.
func (e *WaitError) Error() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	status := "unknown"
	if e.Last != nil {
		status = untrusted.Line(e.Last.Status)
	}
	switch {
	case e.LastErr == nil:
		return fmt.Sprintf("%v waiting for operation %s (last status: %s)", e.Cause, e.OperationID, status)
	case e.Last == nil:
		return fmt.Sprintf("%v waiting for operation %s (last status: %s; last error: %v)", e.Cause, e.OperationID, status, e.LastErr)
	default:
		return fmt.Sprintf("%v waiting for operation %s (last status: %s, seen before the polls began failing; last error: %v)",
			e.Cause, e.OperationID, status, e.LastErr)
	}
}

// Unwrap returns the failure or the cause that ended the wait, so
// errors.Is(err, context.Canceled) and errors.As(err, &apiErr) work.
func (e *WaitError) Unwrap() error {
	if e.Err != nil {
		return e.Err
	}
	return e.Cause
}

// Wait polls operation id of server serverID on the PollInterval schedule
// until a reply about it says its status is terminal, and returns that
// operation. Transient failures (connection errors, 408, 429, 5xx, replies
// that are not JSON) do not end the wait, nor does a reply that is not an
// answer (answer): only ctx does. Other API errors (401, 403, 404) and a
// reply that is JSON but cannot be understood end it at once. Either way the
// error is a *WaitError, which keeps the operation as last seen; no
// operation is returned with it.
func (c *Client) Wait(ctx context.Context, id, serverID string) (*Operation, error) {
	return c.wait(ctx, id, serverID, time.Now())
}

// Follow is Wait for an operation the API has just started: its first poll
// comes pollFirst after the call, not at once, since the operation cannot
// have ended before then but by chance.
func (c *Client) Follow(ctx context.Context, id, serverID string) (*Operation, error) {
	start := time.Now()
	if err := sleep(ctx, pollFirst); err != nil {
		return nil, &WaitError{OperationID: id, Cause: context.Cause(ctx)}
	}
	return c.wait(ctx, id, serverID, start)
}

func (c *Client) wait(ctx context.Context, id, serverID string, start time.Time) (*Operation, error) {
	var last *Operation
	var lastErr error
	for {
		sent := time.Since(start)
		op, err := c.Operation(ctx, id)
		transient := Temporary(err)
		if err == nil {
			err = answer(op, id, serverID)
			transient = true
		}
		switch {
		case err == nil:
			last, lastErr = op, nil
			if IsTerminal(op.Status) {
				return op, nil
			}
		case ctx.Err() != nil:
			// The call's own failure, or how its last attempt failed when
			// the context cut it short (none, if it was cut before any).
			var e *Error
			switch {
			case !errors.As(err, &e):
				lastErr = err
			case e.Err != nil:
				lastErr = e.Err
			}
			return nil, &WaitError{OperationID: id, Last: last, LastErr: lastErr, Cause: context.Cause(ctx)}
		case !transient:
			return nil, &WaitError{OperationID: id, Last: last, Err: err}
		default:
			lastErr = err
			c.log.Debugf("polling operation %s failed, will try again: %v", id, err)
		}
		// The schedule counts from when each poll was sent, so the time a
		// poll takes does not delay the next; a key's budget running low
		// (rate-limit headers) spreads the polls further.
		pause := max(0, sent+PollInterval(sent)-time.Since(start), c.rate.pace(time.Now()))
		if err := sleep(ctx, pause); err != nil {
			return nil, &WaitError{OperationID: id, Last: last, LastErr: lastErr, Cause: err}
		}
	}
}

// answer returns nil when op, a poll's reply, is an answer about operation
// id on server serverID: it names that operation, no other server, and a
// status. A confused cache or proxy could hand back another operation's
// record, and a reply may come before the API has a status to give.
func answer(op *Operation, id, serverID string) error {
	switch {
	case op.OperationID != id:
		return fmt.Errorf("the reply is about operation %q, not %s", clip(untrusted.Line(op.OperationID), 40), id)
	case op.ServerID != "" && !strings.EqualFold(op.ServerID, serverID):
		return errors.New("the reply is about another server")
	case op.Status == "":
		return errors.New("the reply has no status")
	}
	return nil
}
