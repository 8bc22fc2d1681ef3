package reoclo

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"
)

// Logger receives one debug line per HTTP attempt. githubactions.Action is one.
type Logger interface {
	Debugf(format string, args ...any)
}

type nopLogger struct{}

func (nopLogger) Debugf(string, ...any) {}

// RedirectError is returned when the API redirects to another origin. The
// client refuses to follow, so the key is never sent anywhere but api_url.
type RedirectError struct {
	// From is the origin of api_url; To is where the redirect pointed (no query).
	From, To string
}

// Error implements error.
func (e *RedirectError) Error() string {
	return fmt.Sprintf("refusing to follow a redirect from %s to %s: the API key is only sent to api_url's origin", e.From, e.To)
}

// attemptsKey holds, in a request's context, the *attempts of one logical call.
type attemptsKey struct{}

// attempts counts the attempts of one call and remembers the last failure
// (an error status or a connection error), for errors raised when the
// deadline cuts the retries short.
type attempts struct {
	n    atomic.Int32
	last atomic.Pointer[string]
}

func withAttempts(ctx context.Context) (context.Context, *attempts) {
	a := new(attempts)
	return context.WithValue(ctx, attemptsKey{}, a), a
}

// lastOutcome is the last failure, "503 Service Unavailable" or a connection
// error, or "" when there was none.
func (a *attempts) lastOutcome() string {
	if p := a.last.Load(); p != nil {
		return *p
	}
	return ""
}

// loggingTransport writes a debug line for every attempt: method, path,
// status, attempt number and time taken. It never logs headers, so the
// Authorization header cannot leak through it.
type loggingTransport struct {
	next http.RoundTripper
	log  Logger
	now  func() time.Time
}

// RoundTrip implements http.RoundTripper.
func (t *loggingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	attempt := int32(1)
	record := func(string) {}
	if a, ok := req.Context().Value(attemptsKey{}).(*attempts); ok {
		attempt = a.n.Add(1)
		record = func(s string) { a.last.Store(&s) }
	}
	start := t.now()
	resp, err := t.next.RoundTrip(req)
	took := t.now().Sub(start).Round(time.Millisecond)
	if err != nil {
		t.log.Debugf("%s %s -> error (attempt %d, %s): %v", req.Method, req.URL.Path, attempt, took, err)
		if req.Context().Err() == nil {
			record(err.Error())
		}
		return nil, err
	}
	t.log.Debugf("%s %s -> %d (attempt %d, %s)", req.Method, req.URL.Path, resp.StatusCode, attempt, took)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		record(fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode)))
	}
	return resp, nil
}

// sameOriginOnly is an http.Client CheckRedirect that follows redirects only
// within origin (scheme, host and port), at most 10 of them.
func sameOriginOnly(origin string) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		to := req.URL.Scheme + "://" + req.URL.Host
		if to != origin {
			return &RedirectError{From: origin, To: to + req.URL.Path}
		}
		if len(via) >= 10 {
			return fmt.Errorf("stopped after 10 redirects")
		}
		return nil
	}
}
