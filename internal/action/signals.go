package action

import (
	"context"
	"os"
	"os/signal"
)

// CancelledError is the cause of the context when the runner cancels the job:
// it sends SIGINT, then SIGTERM 7.5 s later, then kills the container.
type CancelledError struct {
	Signal os.Signal
}

// Error implements error: "cancelled (received interrupt)".
func (e *CancelledError) Error() string {
	return "cancelled (received " + e.Signal.String() + ")"
}

// Unwrap makes errors.Is(err, context.Canceled) hold.
func (e *CancelledError) Unwrap() error { return context.Canceled }

// WithSignals returns a context cancelled, with a *CancelledError cause, on
// the first of the given signals. Every request and wait of the step is bound
// to it, so the step stops at once. stop releases the signal handler.
func WithSignals(ctx context.Context, signals ...os.Signal) (_ context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, signals...)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			cancel(&CancelledError{Signal: sig})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(context.Canceled)
	}
}
