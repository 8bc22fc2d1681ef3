package action

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Grace is the time the runner leaves between SIGINT and SIGTERM when it
// cancels a job; it kills the container 2.5 s after SIGTERM.
const Grace = 7500 * time.Millisecond

// CancelledError is why a step stopped: the runner cancelled the job.
type CancelledError struct {
	Signal os.Signal
	// After, when set: the hard stop came that long after Signal, no
	// other signal having come within the grace.
	After time.Duration
}

// Error implements error: "cancelled (received interrupt)".
func (e *CancelledError) Error() string {
	if e.After > 0 {
		return fmt.Sprintf("cancelled (received %s, %s ago)", e.Signal, seconds(e.After))
	}
	return "cancelled (received " + e.Signal.String() + ")"
}

// Unwrap makes errors.Is(err, context.Canceled) hold.
func (e *CancelledError) Unwrap() error { return context.Canceled }

// WithSignals returns a step's two stops: ctx ends at the first SIGINT or
// SIGTERM (wait no more, start nothing new); hard, its parent, at SIGTERM,
// a second SIGINT or grace after the first (stop what is in flight).
func WithSignals(parent context.Context, grace time.Duration) (ctx, hard context.Context, stop func()) {
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	ctx, hard, release := watchSignals(parent, ch, grace)
	return ctx, hard, func() {
		signal.Stop(ch)
		release()
	}
}

// watchSignals is WithSignals reading signals from ch.
func watchSignals(parent context.Context, ch <-chan os.Signal, grace time.Duration) (ctx, hard context.Context, stop func()) {
	hard, cancelHard := context.WithCancelCause(parent)
	ctx, cancel := context.WithCancelCause(hard)
	done := make(chan struct{})
	go func() {
		var first os.Signal
		var graceOver <-chan time.Time
		for {
			select {
			case sig := <-ch:
				if first != nil || sig == syscall.SIGTERM {
					cancelHard(&CancelledError{Signal: sig})
					return
				}
				first = sig
				cancel(&CancelledError{Signal: sig})
				graceOver = time.After(grace)
			case <-graceOver:
				cancelHard(&CancelledError{Signal: first, After: grace})
				return
			case <-done:
				return
			}
		}
	}()
	return ctx, hard, func() {
		close(done)
		cancel(context.Canceled)
		cancelHard(context.Canceled)
	}
}

// linger returns a context that ends with parent, or d after stop ends,
// with the cause of the one that ended it.
func linger(parent, stop context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	release := context.AfterFunc(stop, func() {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			cancel(context.Cause(stop))
		case <-ctx.Done():
		}
	})
	return ctx, func() {
		release()
		cancel(context.Canceled)
	}
}

// TimeoutError is why a step stopped when its timeout ran out.
type TimeoutError struct{ After time.Duration }

// Error implements error: "timed out after 120s".
func (e *TimeoutError) Error() string { return "timed out after " + seconds(e.After) }

// withDeadline bounds ctx by the step's timeout, ending at deadline with a
// *TimeoutError.
func withDeadline(ctx context.Context, deadline time.Time, timeout time.Duration) (context.Context, context.CancelFunc) {
	return context.WithDeadlineCause(ctx, deadline, &TimeoutError{After: timeout})
}

// seconds formats a duration as "120s" or "7.5s".
func seconds(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return fmt.Sprintf("%.3gs", d.Seconds())
}
