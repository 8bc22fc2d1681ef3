package reoclo

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/reoclo/docker-auth/internal/config"
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

// stopKey holds, in a context, the context whose end lets the attempt in
// flight finish but starts no other (see FinishInFlight).
type stopKey struct{}

// FinishInFlight returns a copy of ctx for one API call that, once stop is
// done, sends no new attempt (no retry) but lets the attempt in flight get
// its whole reply; ctx itself still cuts everything short. The main step
// uses it so that a login the API is answering when the job is cancelled is
// not lost: its reply says what post must undo.
func FinishInFlight(ctx, stop context.Context) context.Context {
	return context.WithValue(ctx, stopKey{}, stop)
}

// attempts follows the attempts of one call, as the retry loop counts them
// (a redirect followed within the origin is part of its attempt): their
// number, the last failure (an error status or a connection error), whether
// any got an HTTP reply, and whether one is in flight.
type attempts struct {
	mu       sync.Mutex
	n        int // attempts sent
	next     int // the attempt the retry loop is making
	last     string
	connErr  string // the last connection failure, if no attempt got a reply
	replied  bool
	inFlight bool
	stopped  bool // stop is done: cancel once the attempt in flight ends
	cancel   context.CancelCauseFunc
	stop     context.Context
}

// withAttempts returns ctx with a fresh *attempts. When ctx carries a stop
// context (FinishInFlight), the returned context is cancelled with stop's
// cause as soon as stop is done and no attempt is in flight. release frees
// what that takes.
func withAttempts(ctx context.Context) (_ context.Context, _ *attempts, release func()) {
	a := new(attempts)
	ctx = context.WithValue(ctx, attemptsKey{}, a)
	stop, ok := ctx.Value(stopKey{}).(context.Context)
	if !ok || stop == nil {
		return ctx, a, func() {}
	}
	ctx, a.cancel = context.WithCancelCause(ctx)
	a.stop = stop
	after := context.AfterFunc(stop, func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.stopped = true
		if !a.inFlight {
			a.cancel(context.Cause(stop))
		}
	})
	return ctx, a, func() {
		after()
		a.cancel(context.Canceled)
	}
}

// begin marks the start of attempt n (counting from 1).
func (a *attempts) begin(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.next = n
	a.inFlight = true
}

// send records that the attempt begun goes out (or one of its redirects),
// and returns its number.
func (a *attempts) send() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.n = max(a.next, 1)
	return a.n
}

// end marks the end of the attempt in flight, reply read; if stop came
// meanwhile, the call ends here.
func (a *attempts) end() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.inFlight = false
	if a.stopped && a.cancel != nil {
		a.cancel(context.Cause(a.stop))
	}
}

// count is the number of attempts sent so far (at least 1).
func (a *attempts) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return max(a.n, 1)
}

// reply records an HTTP reply with this status.
func (a *attempts) reply(code int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.replied = true
	a.connErr = ""
	if code < 200 || code > 299 {
		a.last = fmt.Sprintf("%d %s", code, http.StatusText(code))
	}
}

// fail records an attempt that got no (whole) reply.
func (a *attempts) fail(msg string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.last = msg
	if !a.replied {
		a.connErr = msg
	}
}

// lastOutcome is the last failure, "503 Service Unavailable" or a connection
// error, or "" when there was none.
func (a *attempts) lastOutcome() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.last
}

// connectionOnly is the last connection failure when no attempt got an HTTP
// reply, else "".
func (a *attempts) connectionOnly() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.replied {
		return ""
	}
	return a.connErr
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
	if err := req.Context().Err(); err != nil {
		return nil, err // not sent, so not an attempt
	}
	attempt := 1
	a, counted := req.Context().Value(attemptsKey{}).(*attempts)
	if counted {
		attempt = a.send()
	}
	start := t.now()
	resp, err := t.next.RoundTrip(req)
	took := t.now().Sub(start).Round(time.Millisecond)
	if err != nil {
		t.log.Debugf("%s %s -> error (attempt %d, %s): %v", req.Method, req.URL.Path, attempt, took, err)
		if counted && req.Context().Err() == nil {
			a.fail(err.Error())
		}
		return nil, err
	}
	t.log.Debugf("%s %s -> %d (attempt %d, %s)", req.Method, req.URL.Path, resp.StatusCode, attempt, took)
	if counted {
		a.reply(resp.StatusCode)
	}
	return resp, nil
}

// sameOriginOnly is an http.Client CheckRedirect that follows redirects only
// within base's origin (scheme, host in any spelling, and port), at most 10
// of them.
func sameOriginOnly(base *url.URL) func(*http.Request, []*http.Request) error {
	origin := originOf(base)
	return func(req *http.Request, via []*http.Request) error {
		if to := originOf(req.URL); to != origin {
			return &RedirectError{From: origin, To: to + req.URL.Path}
		}
		if len(via) >= 10 {
			return fmt.Errorf("stopped after 10 redirects")
		}
		return nil
	}
}

// originOf is u's scheme, host (normalised) and port, as "https://host:port".
func originOf(u *url.URL) string {
	host := config.NormalizeHost(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port := u.Port(); port != "" {
		host += ":" + port
	}
	return strings.ToLower(u.Scheme) + "://" + host
}
