package reoclo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/reoclo/docker-auth/internal/untrusted"
)

// The poll schedule (docs/performance.md): pollFirst after the start, then
// pollSlack plus a pollShare-th of the time waited, at most pollMax. An
// operation that ends T after the start is seen at most T/4 + 110 ms (and
// 4.9 s) later, 40 ms inside the step's bound of 25% of T + 150 ms (and
// 5 s), by polls as far apart as that allows: each takes from the key's
// budget (TestPollSchedule).
const (
	pollFirst = 200 * time.Millisecond
	pollSlack = 110 * time.Millisecond
	pollShare = 4
	pollMax   = 4900 * time.Millisecond
)

// PollInterval is the time to the next poll from one sent elapsed in.
func PollInterval(elapsed time.Duration) time.Duration {
	return min(pollSlack+max(elapsed, 0)/pollShare, pollMax)
}

// PollSchedule returns when Follow polls an operation that never ends, up
// to limit, if polls take no time.
func PollSchedule(limit time.Duration) []time.Duration {
	var at []time.Duration
	for t := pollFirst; t <= limit; t += PollInterval(t) {
		at = append(at, t)
	}
	return at
}

// WaitError is a wait that ended before the operation did: its context
// ended (Cause), or a poll failed in a way asking again cannot fix (Err).
type WaitError struct {
	OperationID string
	Last        *Operation // the operation as the last poll that answered saw it, or nil
	Err         error      // the failure that ended the wait, if one did
	LastErr     error      // the last failure seen since Last, when Cause ended the wait
	Cause       error
}

// Error implements error: "timed out after 2m0s waiting for operation 9d2f…
// (last status: running)", with the last error when polls were failing. A
// wait a failed poll ended reads as that failure.
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
	case e.Last != nil:
		status += ", seen before the polls began failing"
	}
	return fmt.Sprintf("%v waiting for operation %s (last status: %s; last error: %v)", e.Cause, e.OperationID, status, e.LastErr)
}

// Unwrap returns what ended the wait.
func (e *WaitError) Unwrap() error { return cmp.Or(e.Err, e.Cause) }

// Wait polls operation id, of server serverID, until a reply about it gives
// a terminal status, and returns it. Only ctx, an API error retrying cannot
// fix and a reply that cannot be understood end the wait, with a *WaitError.
func (c *Client) Wait(ctx context.Context, id, serverID string) (*Operation, error) {
	return c.wait(ctx, id, serverID, time.Now())
}

// Follow is Wait for an operation just started, first polling pollFirst later.
func (c *Client) Follow(ctx context.Context, id, serverID string) (*Operation, error) {
	start := time.Now()
	if err := sleep(ctx, pollFirst); err != nil {
		return nil, &WaitError{OperationID: id, Cause: err}
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
			err, transient = answer(op, id, serverID), true
		}
		var e *Error
		switch {
		case err == nil:
			last, lastErr = op, nil
			switch op.Status {
			case StatusCompleted, StatusFailed, StatusTimeout: // terminal: it will change no more
				return op, nil
			}
		case ctx.Err() != nil:
			if errors.As(err, &e) {
				err = e.Err // how its last attempt failed, if one did
			}
			lastErr = cmp.Or(err, lastErr)
			return nil, &WaitError{OperationID: id, Last: last, LastErr: lastErr, Cause: context.Cause(ctx)}
		case !transient:
			return nil, &WaitError{OperationID: id, Last: last, Err: err}
		default:
			lastErr = err
			c.Log.Debugf("polling operation %s failed, will try again: %v", id, err)
		}
		// Counted from when each poll was sent; a key's budget running low
		// spreads the polls further.
		pause := sent + PollInterval(sent) - time.Since(start)
		if b := c.rate.Load(); b != nil {
			pause = max(pause, b.pace(time.Now()))
		}
		if err := sleep(ctx, pause); err != nil {
			return nil, &WaitError{OperationID: id, Last: last, LastErr: lastErr, Cause: err}
		}
	}
}

// answer says why op is no answer about operation id of server serverID: a
// confused cache or proxy can hand back another operation's record, and a
// reply may come before the API has a status.
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
