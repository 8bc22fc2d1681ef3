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

// attemptsKey holds, in a request's context, the counter of attempts made for
// one logical call.
type attemptsKey struct{}

func withAttempts(ctx context.Context) (context.Context, *atomic.Int32) {
	n := new(atomic.Int32)
	return context.WithValue(ctx, attemptsKey{}, n), n
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
	if n, ok := req.Context().Value(attemptsKey{}).(*atomic.Int32); ok {
		attempt = n.Add(1)
	}
	start := t.now()
	resp, err := t.next.RoundTrip(req)
	took := t.now().Sub(start).Round(time.Millisecond)
	if err != nil {
		t.log.Debugf("%s %s -> error (attempt %d, %s): %v", req.Method, req.URL.Path, attempt, took, err)
		return nil, err
	}
	t.log.Debugf("%s %s -> %d (attempt %d, %s)", req.Method, req.URL.Path, resp.StatusCode, attempt, took)
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
