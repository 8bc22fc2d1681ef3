package reoclo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/reoclo/docker-auth/internal/untrusted"
)

// The poll schedule. The next poll is sent pollSlack plus a pollShare-th of
// the time already waited after the previous one was sent, and at most
// pollMax after it. So an operation that ends T after the wait began is seen
// done at most T/10 + 55 ms after it ended (and at most 5 s after it), for
// every T: the step stays within 10% + 70 ms of the login's own time, which
// leaves ~15 ms for start-up, the login request and the last poll.
//
// That bound costs requests that grow with the logarithm of T: 6 for a
// 0.3 s login, 21 for 3 s, 44 for 30 s, 63 for 120 s (the POST included).
// Fewer requests for a 3 s login (say 12) would need polls about 30% of the
// time waited apart, and a 1 s login could then be seen 0.35 s late: this
// schedule puts the step's time first. See the README's Performance section.
const (
	pollSlack = 55 * time.Millisecond
	pollShare = 10
	pollMax   = 5 * time.Second
)

// PollInterval returns the time from one poll of an operation to the next
// when the first was sent elapsed after the wait began.
func PollInterval(elapsed time.Duration) time.Duration {
	return min(pollSlack+max(elapsed, 0)/pollShare, pollMax)
}

// WaitError reports that Wait gave up: its context ended (a deadline or a
// cancellation, see Cause) before the operation reached a terminal status.
type WaitError struct {
	OperationID string
	// LastStatus is the last status seen, or "" if no poll succeeded.
	LastStatus string
	// LastErr is the last transient error seen while polling, if any.
	LastErr error
	// Cause is why the context ended.
	Cause error
}

// Error implements error: "timed out after 2m0s waiting for operation 9d2f…
// (last status: running)". When polls failed after the last status was seen,
// it says so, so a status the server may since have changed is not
// presented as its answer.
func (e *WaitError) Error() string {
	status := untrusted.Line(e.LastStatus, 40)
	if status == "" {
		status = "unknown"
	}
	switch {
	case e.LastErr == nil:
		return fmt.Sprintf("%v waiting for operation %s (last status: %s)", e.Cause, e.OperationID, status)
	case e.LastStatus == "":
		return fmt.Sprintf("%v waiting for operation %s (last status: %s; last error: %v)", e.Cause, e.OperationID, status, e.LastErr)
	default:
		return fmt.Sprintf("%v waiting for operation %s (last status: %s, seen before the polls began failing; last error: %v)",
			e.Cause, e.OperationID, status, e.LastErr)
	}
}

// Unwrap returns the cause, so errors.Is(err, context.Canceled) works.
func (e *WaitError) Unwrap() error { return e.Cause }

// Wait polls an operation on the PollInterval schedule until its status is
// terminal, and returns it. Transient failures (connection errors, 408, 429,
// 5xx, replies that are not JSON) do not end the wait; only ctx does, with a
// *WaitError. Other API errors (401, 403, 404) and a reply that is JSON but
// cannot be understood end it at once.
func (c *Client) Wait(ctx context.Context, id string) (*Operation, error) {
	return c.wait(ctx, id, time.Now())
}

// Follow is Wait for an operation the API has just started: its first poll
// comes PollInterval(0) after the call, not at once, since the operation
// cannot have ended before then but by chance.
func (c *Client) Follow(ctx context.Context, id string) (*Operation, error) {
	start := time.Now()
	if err := sleep(ctx, PollInterval(0)); err != nil {
		return nil, waitError(ctx, id, nil, nil)
	}
	return c.wait(ctx, id, start)
}

func (c *Client) wait(ctx context.Context, id string, start time.Time) (*Operation, error) {
	var last *Operation
	var lastErr error
	for {
		sent := time.Since(start)
		op, err := c.Operation(ctx, id)
		switch {
		case err == nil:
			last, lastErr = op, nil
			if IsTerminal(op.Status) {
				return op, nil
			}
		case ctx.Err() != nil:
			// The call's own failure, or how its last attempt failed when
			// the context cut it short (none, if it was cut before any).
			var reqErr *RequestError
			switch {
			case !errors.As(err, &reqErr):
				lastErr = err
			case reqErr.Err != nil:
				lastErr = reqErr.Err
			}
			return last, waitError(ctx, id, last, lastErr)
		case !Temporary(err):
			return last, err
		default:
			lastErr = err
			c.log.Debugf("polling operation %s failed, will try again: %v", id, err)
		}
		// The schedule counts from when each poll was sent, so the time a
		// poll takes does not delay the next.
		pause := max(0, sent+PollInterval(sent)-time.Since(start))
		if err := sleep(ctx, pause); err != nil {
			return last, waitError(ctx, id, last, lastErr)
		}
	}
}

func waitError(ctx context.Context, id string, last *Operation, lastErr error) error {
	e := &WaitError{OperationID: id, LastErr: lastErr, Cause: context.Cause(ctx)}
	if last != nil {
		e.LastStatus = last.Status
	}
	return e
}

// sleep waits d or until ctx is done, then returns ctx's cause.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}
