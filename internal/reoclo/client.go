// Package reoclo is a client for the parts of the Reoclo automation API that
// docker-auth uses: start a registry login or logout, and follow the
// operation until it is done.
//
// Every request carries the API key only to api_url's origin, is retried in
// one place (retry.go), is logged without headers (transport.go), and reads
// its reply through a size limit. Errors are *APIError for API replies.
package reoclo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/reoclo/docker-auth/internal/config"
	"github.com/reoclo/docker-auth/internal/untrusted"
)

// basePath is where the automation API lives under api_url.
const basePath = "/api/automation/v1"

// MaxResponseBytes bounds a successful reply's body: far above any real
// operation (5 MB of docker output encodes to well under it).
const MaxResponseBytes = 16 << 20

// attemptTimeout bounds one HTTP attempt, so a stalled connection is retried.
const attemptTimeout = 30 * time.Second

// Client talks to the Reoclo automation API with one key.
type Client struct {
	base      *url.URL
	key       string
	userAgent string
	http      *retryablehttp.Client
	log       Logger
	now       func() time.Time
	sleep     func(context.Context, time.Duration) error
}

// Option configures a Client.
type Option func(*Client)

// WithLogger sends a debug line per HTTP attempt to l.
func WithLogger(l Logger) Option {
	return func(c *Client) { c.log = l }
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *Client) { c.userAgent = ua }
}

// WithClock replaces time.Now, for timings, Retry-After dates and the poll
// schedule.
func WithClock(now func() time.Time) Option {
	return func(c *Client) { c.now = now }
}

// WithSleep replaces the pause between polls. sleep must return early with
// the context's error when ctx is done.
func WithSleep(sleep func(context.Context, time.Duration) error) Option {
	return func(c *Client) { c.sleep = sleep }
}

// Backoff returns the pause before retry attempt+1 (attempt counts from 0)
// after resp, which is nil after a connection error.
type Backoff func(attempt int, resp *http.Response) time.Duration

// NewBackoff returns the client's retry backoff: exponential with jitter,
// honouring Retry-After, capped by the request's deadline. jitter returns a
// number in [0, 1).
func NewBackoff(now func() time.Time, jitter func() float64) Backoff {
	b := &backoff{now: now, jitter: jitter}
	return b.wait
}

// WithBackoff replaces the retry backoff (tests use it to avoid real waits).
func WithBackoff(b Backoff) Option {
	return func(c *Client) {
		c.http.Backoff = func(_, _ time.Duration, attempt int, resp *http.Response) time.Duration {
			return b(attempt, resp)
		}
	}
}

// New returns a Client for the API at base (validated by config.ParseAPIURL)
// using key. The key is sent only to base's origin.
func New(base *url.URL, key string, opts ...Option) *Client {
	c := &Client{
		base:      base,
		key:       key,
		userAgent: "reoclo-docker-auth",
		log:       nopLogger{},
		now:       time.Now,
		sleep:     sleepContext,
	}
	transport := &loggingTransport{next: newHTTPTransport(http.ProxyFromEnvironment)}
	c.http = &retryablehttp.Client{
		HTTPClient: &http.Client{
			Transport:     transport,
			Timeout:       attemptTimeout,
			CheckRedirect: sameOriginOnly(base),
		},
		Logger:       nil, // the library's default logger prints URLs to the job log
		RetryWaitMin: minRetryWait,
		RetryWaitMax: maxRetryWait,
		RetryMax:     maxAttempts - 1,
		CheckRetry:   checkRetry,
		ErrorHandler: keepLastResponse,
	}
	c.http.RequestLogHook = func(_ retryablehttp.Logger, req *http.Request, i int) {
		if a, ok := req.Context().Value(attemptsKey{}).(*attempts); ok {
			a.begin(i + 1)
		}
	}
	bo := defaultBackoff()
	WithBackoff(bo.wait)(c)
	for _, opt := range opts {
		opt(c)
	}
	bo.now = c.now
	transport.log = c.log
	transport.now = c.now
	return c
}

// newHTTPTransport returns a private copy of net/http's default transport
// (sane dial and TLS timeouts) that speaks HTTP/1.1 only: a few sequential
// requests gain nothing from HTTP/2, whose flow-control window (4 MB a
// stream) would buffer a large reply a second time while decode reads it.
// It uses a proxy from the environment only as proxyFor allows.
func newHTTPTransport(envProxy func(*http.Request) (*url.URL, error)) http.RoundTripper {
	t, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return http.DefaultTransport
	}
	t = t.Clone()
	t.Proxy = proxyFor(envProxy)
	t.Protocols = new(http.Protocols)
	t.Protocols.SetHTTP1(true)
	// Clone copies the default transport's ALPN list, which offers h2: a
	// server would answer in HTTP/2 (golang/go#39302).
	if t.TLSClientConfig != nil {
		t.TLSClientConfig.NextProtos = nil
	}
	return t
}

// proxyFor returns the transport's proxy rule: plain http and loopback hosts
// (config.IsLoopback, the rule that allows plain http at all) never go
// through a proxy, whatever HTTP_PROXY and NO_PROXY say, so the API key is
// never handed to a proxy in clear; https to any other host uses envProxy
// (http.ProxyFromEnvironment), whose CONNECT tunnel carries only ciphertext.
func proxyFor(envProxy func(*http.Request) (*url.URL, error)) func(*http.Request) (*url.URL, error) {
	return func(req *http.Request) (*url.URL, error) {
		if req.URL.Scheme != "https" || config.IsLoopback(req.URL.Hostname()) {
			return nil, nil
		}
		return envProxy(req)
	}
}

// keepLastResponse hands back the last reply once retries run out, so its
// status and body reach the caller as an *APIError.
func keepLastResponse(resp *http.Response, err error, _ int) (*http.Response, error) {
	if err != nil && resp != nil {
		_ = resp.Body.Close()
		resp = nil
	}
	return resp, err
}

// endpoint joins an API path onto the base URL, keeping a self-hosted prefix.
func (c *Client) endpoint(path string) *url.URL {
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + basePath + path
	u.RawPath = ""
	return &u
}

// do sends one API call with retries and decodes a 2xx reply into out.
//
// A 2xx reply's body is read inside the retry loop, so a reply cut short (the
// connection drops before Content-Length bytes arrive) is retried and counted
// like any connection failure. A body that arrived whole but is not JSON is a
// *ReplyError that Temporary accepts; JSON that does not fit the API's shape
// is a *ReplyError that it does not.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	u := c.endpoint(path)
	var body any
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, u, err)
		}
		body = b
	}
	ctx, attempts, release := withAttempts(ctx)
	defer release()
	req, err := retryablehttp.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return fmt.Errorf("build %s %s: %w", method, u, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	var reply []byte
	req.SetResponseHandler(func(resp *http.Response) error {
		defer attempts.end()
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return nil // read below, once retries are over
		}
		defer func() { _ = resp.Body.Close() }()
		b, err := readReply(resp.Body, resp.ContentLength)
		if err != nil {
			attempts.fail(err.Error())
			return err
		}
		reply = b
		return nil
	})

	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return interrupted(ctx, method, u.String(), attempts)
		}
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // it repeats method and URL, which we name below
		}
		var tooLarge *TooLargeError
		if errors.As(err, &tooLarge) {
			return &ReplyError{Method: method, URL: u.String(), Err: tooLarge}
		}
		return &RequestError{Method: method, URL: u.String(), Attempts: attempts.count(), Err: err}
	}
	defer func() { _ = resp.Body.Close() }()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		raw, readErr := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody+1))
		truncated := len(raw) > maxErrorBody
		if truncated {
			raw = raw[:maxErrorBody]
		}
		apiErr := newAPIError(method, u.String(), resp.StatusCode, resp.Header.Get("Content-Type"), raw, truncated || readErr != nil)
		apiErr.Attempts = attempts.count()
		return apiErr
	}
	if err := decodeJSON(reply, out); err != nil {
		return &ReplyError{Method: method, URL: u.String(), Err: err}
	}
	return nil
}

// interrupted is the error of a call whose context ended during its retries.
// When no attempt got any HTTP reply and the context ran out of time (rather
// than being cancelled), the API was unreachable all along: that is a
// *RequestError naming the time limit, worded as when the attempts run out.
func interrupted(ctx context.Context, method, u string, a *attempts) error {
	cause := context.Cause(ctx)
	if connErr := a.connectionOnly(); connErr != "" && !errors.Is(cause, context.Canceled) {
		return &RequestError{Method: method, URL: u, Attempts: a.count(), Err: errors.New(connErr), Cause: cause}
	}
	return &InterruptedError{Cause: cause, Last: a.lastOutcome()}
}

// readReply reads a reply of at most MaxResponseBytes into one buffer, sized
// from its Content-Length when the reply gives one: json.Decoder would hold
// it in a buffer that doubles as it grows, up to twice its size, and more
// while it copies. A reply cut short is an error (io.ErrUnexpectedEOF).
func readReply(r io.Reader, contentLength int64) ([]byte, error) {
	var buf bytes.Buffer
	if contentLength > 0 && contentLength <= MaxResponseBytes {
		buf.Grow(int(contentLength) + bytes.MinRead) // the read that sees EOF needs MinRead free
	}
	if _, err := buf.ReadFrom(&limitReader{r: r, left: MaxResponseBytes}); err != nil {
		var tooLarge *TooLargeError
		if errors.As(err, &tooLarge) {
			return nil, tooLarge
		}
		return nil, fmt.Errorf("read reply: %w", err)
	}
	return buf.Bytes(), nil
}

// decode reads a reply as do does and decodes it into out (the fuzz targets
// use it).
func decode(r io.Reader, contentLength int64, out any) error {
	b, err := readReply(r, contentLength)
	if err != nil {
		return err
	}
	return decodeJSON(b, out)
}

// checker is a reply that can tell whether it makes sense once decoded.
type checker interface {
	check() error
}

// decodeJSON decodes a whole reply into out, then lets out check itself.
func decodeJSON(b []byte, out any) error {
	if err := json.Unmarshal(b, out); err != nil {
		return err
	}
	if c, ok := out.(checker); ok {
		return c.check()
	}
	return nil
}

// TooLargeError is returned for a reply body over MaxResponseBytes.
type TooLargeError struct{ Limit int64 }

// Error implements error.
func (e *TooLargeError) Error() string {
	return fmt.Sprintf("reply is larger than %d MiB", e.Limit>>20)
}

// limitReader is io.LimitReader that fails, rather than ends, at the limit,
// so a cut reply is told apart from a short one.
type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// One byte more tells a reply of exactly the limit from a larger one.
		var one [1]byte
		if n, _ := l.r.Read(one[:]); n > 0 {
			return 0, &TooLargeError{Limit: MaxResponseBytes}
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// RequestError is a call that got no HTTP reply: the connection failed on
// every attempt, or on every attempt until the time ran out (Cause).
type RequestError struct {
	Method, URL string
	Attempts    int
	// Err is the last attempt's failure.
	Err error
	// Cause is why the attempts stopped before the last one the retry policy
	// allows (a *TimeoutError of the action), or nil.
	Cause error
}

// Error implements error. It reads the same however the attempts ended:
// "cannot reach the API: POST https://api.reoclo.com/... failed on 6
// attempts; last error: dial tcp ...: connection refused; check api_url ...".
func (e *RequestError) Error() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "cannot reach the API: %s %s failed on %d attempt", e.Method, e.URL, e.Attempts)
	if e.Attempts != 1 {
		b.WriteString("s")
	}
	if e.Cause != nil {
		fmt.Fprintf(&b, " (%v)", e.Cause)
	}
	fmt.Fprintf(&b, "; last error: %v; %s", e.Err, unreachableHint)
	return b.String()
}

// unreachableHint says what to check when the API cannot be reached.
const unreachableHint = "check api_url, and that this runner can reach it: " +
	"a proxy it must use (HTTPS_PROXY, NO_PROXY) or firewall rules for outgoing traffic"

// Unwrap returns the underlying error.
func (e *RequestError) Unwrap() error { return e.Err }

// ReplyError is a 2xx reply that could not be used: not JSON at all (see
// Malformed: a proxy's page, say, worth asking again), or JSON the client
// cannot understand (a field of the wrong type: asking again will not help).
type ReplyError struct {
	Method, URL string
	Err         error
}

// Error implements error.
func (e *ReplyError) Error() string {
	msg := untrusted.Line(e.Err.Error(), maxDetail)
	if e.Malformed() {
		return fmt.Sprintf("the API's reply to %s %s is not JSON: %s", e.Method, e.URL, msg)
	}
	return fmt.Sprintf("the API's reply to %s %s could not be understood: %s", e.Method, e.URL, msg)
}

// Unwrap returns the decoding error.
func (e *ReplyError) Unwrap() error { return e.Err }

// Malformed reports whether the reply was not JSON (or not whole).
func (e *ReplyError) Malformed() bool {
	var syntax *json.SyntaxError
	return errors.As(e.Err, &syntax)
}

// InterruptedError is a call cut short by its context (the step's deadline or
// a cancellation). Last says how the last attempt before it ended, if one did.
type InterruptedError struct {
	Cause error
	Last  string
}

// Error implements error: "timed out after 120s (last attempt: 503 Service Unavailable)".
func (e *InterruptedError) Error() string {
	if e.Last == "" {
		return e.Cause.Error()
	}
	return fmt.Sprintf("%v (last attempt: %s)", e.Cause, e.Last)
}

// Unwrap returns the cause.
func (e *InterruptedError) Unwrap() error { return e.Cause }

// sleepContext waits d or until ctx is done.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}
