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
// cancels a job (it kills the container 2.5 s after SIGTERM).
const Grace = 7500 * time.Millisecond

// CancelledError is the cause of the context when the runner cancels the job:
// it sends SIGINT, then SIGTERM 7.5 s later, then kills the container.
type CancelledError struct {
	Signal os.Signal
	// After, when set, says the hard stop came that long after Signal,
	// because no other signal came within the grace.
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

// hardKey holds, in a step's context, the context of the hard stop.
type hardKey struct{}

// withHard returns soft carrying hard: a step given it stops what can stop at
// once when soft ends, and finishes what must be finished (the login reply in
// flight, the logout) until hard ends. soft must be derived from hard, so
// that it ends no later.
func withHard(soft, hard context.Context) context.Context {
	return context.WithValue(soft, hardKey{}, hard)
}

// hardOf returns the hard-stop context ctx carries, or ctx itself: without
// signals handled in two levels, the step stops everything at once.
func hardOf(ctx context.Context) context.Context {
	if hard, ok := ctx.Value(hardKey{}).(context.Context); ok {
		return hard
	}
	return ctx
}

// WithSignals returns a context for the step with two levels of
// cancellation, as the runner cancels a job:
//
//   - soft: the context itself ends at the first SIGINT or SIGTERM, with a
//     *CancelledError cause. Waits and new requests stop at once.
//   - hard: a context it carries ends at SIGTERM, at a second SIGINT, or
//     grace after the first one. Until then the step may finish what must
//     be finished: the reply of a login in flight, so that state can be
//     saved, and in the post step the logout.
//
// stop releases the signal handlers.
func WithSignals(parent context.Context, grace time.Duration) (_ context.Context, stop func()) {
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	ctx, release := watchSignals(parent, ch, grace)
	return ctx, func() {
		signal.Stop(ch)
		release()
	}
}

// watchSignals is WithSignals reading signals from ch.
func watchSignals(parent context.Context, ch <-chan os.Signal, grace time.Duration) (context.Context, func()) {
	hard, cancelHard := context.WithCancelCause(parent)
	soft, cancelSoft := context.WithCancelCause(hard)
	done := make(chan struct{})
	go func() {
		var first os.Signal
		var graceOver <-chan time.Time
		var timer *time.Timer
		defer func() {
			if timer != nil {
				timer.Stop()
			}
		}()
		for {
			select {
			case sig := <-ch:
				cause := &CancelledError{Signal: sig}
				if first != nil || sig == syscall.SIGTERM {
					cancelHard(cause)
					return
				}
				first = sig
				cancelSoft(cause)
				timer = time.NewTimer(grace)
				graceOver = timer.C
			case <-graceOver:
				cancelHard(&CancelledError{Signal: first, After: grace})
				return
			case <-done:
				return
			}
		}
	}()
	return withHard(soft, hard), func() {
		close(done)
		cancelSoft(context.Canceled)
		cancelHard(context.Canceled)
	}
}
