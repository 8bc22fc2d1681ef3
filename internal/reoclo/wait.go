package reoclo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/reoclo/docker-auth/internal/untrusted"
)

// The poll schedule: the first poll comes pollFirst after the start, and the
// interval grows by one twentieth of the time already waited, up to pollMax.
// Logins that take a fraction of a second are seen done within tens of
// milliseconds; a two-minute wait sends about one request a second.
const (
	pollFirst = 50 * time.Millisecond
	pollMax   = 2 * time.Second
)

// PollInterval returns the pause before the next poll of an operation that
// has been followed for elapsed.
func PollInterval(elapsed time.Duration) time.Duration {
	return min(pollFirst+max(elapsed, 0)/20, pollMax)
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
// (last status: running)".
func (e *WaitError) Error() string {
	status := untrusted.Line(e.LastStatus, 40)
	if status == "" {
		status = "unknown"
	}
	msg := fmt.Sprintf("%v waiting for operation %s (last status: %s", e.Cause, e.OperationID, status)
	if e.LastErr != nil {
		msg += fmt.Sprintf("; last error: %v", e.LastErr)
	}
	return msg + ")"
}

// Unwrap returns the cause, so errors.Is(err, context.Canceled) works.
func (e *WaitError) Unwrap() error { return e.Cause }

// Wait polls an operation on the PollInterval schedule until its status is
// terminal, and returns it. Transient failures (connection errors, 408, 429,
// 5xx, undecodable replies) do not end the wait; only ctx does, with a
// *WaitError. Other API errors (401, 403, 404) end it at once.
func (c *Client) Wait(ctx context.Context, id string) (*Operation, error) {
	start := c.now()
	var last *Operation
	var lastErr error
	for {
		op, err := c.Operation(ctx, id)
		switch {
		case err == nil:
			last, lastErr = op, nil
			if IsTerminal(op.Status) {
				return op, nil
			}
		case ctx.Err() != nil:
			var interrupted *InterruptedError
			if errors.As(err, &interrupted) && interrupted.Last != "" {
				lastErr = errors.New(interrupted.Last)
			}
			return last, waitError(ctx, id, last, lastErr)
		case !Temporary(err):
			return last, err
		default:
			lastErr = err
			c.log.Debugf("polling operation %s failed, will try again: %v", id, err)
		}
		if err := c.sleep(ctx, PollInterval(c.now().Sub(start))); err != nil {
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

// Temporary reports whether err is worth waiting out: a retryable API status,
// a failed connection, or an undecodable reply.
func Temporary(err error) bool {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.Temporary()
	}
	var reqErr *RequestError
	if errors.As(err, &reqErr) {
		return !permanent(reqErr.Err)
	}
	return false
}
