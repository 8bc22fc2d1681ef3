// Package reoclo is a client for the parts of the Reoclo automation API that
// docker-auth uses: start a registry login or logout, and follow the
// operation until it is done.
//
// Every request carries the API key only to api_url's origin and is logged
// without headers (transport.go), is retried by go-retryablehttp under one
// policy (retry.go) and reads a bounded reply (call.go). A call that fails
// returns an *Error with the facts: status, method, URL, what the API said,
// and whether trying again may help (errors.go).
package reoclo

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// basePath is where the automation API lives under api_url.
const basePath = "/api/automation/v1"

// attemptTimeout bounds one HTTP attempt, so a stalled connection is retried.
const attemptTimeout = 30 * time.Second

// Client talks to the Reoclo automation API with one key.
type Client struct {
	base      *url.URL
	key       string
	userAgent string
	log       Logger
	http      *http.Client
	// rate is the key's budget as the last reply that told of it said.
	rate rateState
}

// Logger receives one debug line per HTTP attempt. githubactions.Action is one.
type Logger interface {
	Debugf(format string, args ...any)
}

type nopLogger struct{}

func (nopLogger) Debugf(string, ...any) {}

// Option configures a Client.
type Option func(*Client)

// WithLogger sends a debug line per HTTP attempt to l.
func WithLogger(l Logger) Option { return func(c *Client) { c.log = l } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// WithTransport sends the client's HTTP attempts through rt instead of its
// own HTTP/1.1 transport with the proxy rule of proxyFor. Tests serve the
// API in memory with it (internal/testkit/memnet), where testing/synctest
// runs the client's real timers on a fake clock.
func WithTransport(rt http.RoundTripper) Option {
	return func(c *Client) { c.http.Transport = rt }
}

// New returns a Client for the API at base (validated by config.ParseAPIURL)
// using key. The key is sent only to base's origin.
func New(base *url.URL, key string, opts ...Option) *Client {
	c := &Client{base: base, key: key, userAgent: "reoclo-docker-auth", log: nopLogger{},
		http: &http.Client{Transport: newHTTPTransport(http.ProxyFromEnvironment), Timeout: attemptTimeout,
			CheckRedirect: sameOriginOnly(base)}}
	for _, opt := range opts {
		opt(c)
	}
	c.http.Transport = &loggingTransport{next: c.http.Transport, log: c.log, rate: &c.rate}
	return c
}

// endpoint joins an API path onto the base URL, keeping a self-hosted prefix.
func (c *Client) endpoint(path string) string {
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + basePath + path
	u.RawPath = ""
	return u.String()
}

// Login asks the API to run docker login for a credential on a server, and
// returns the reply once the API has accepted it, as sent: the caller checks
// its operation ID (CheckOperationID) and registry before it uses them, and
// can still undo the login when they are unusable. Requests run on ctx;
// once soft ends no new attempt is sent, but an attempt in flight gets its
// reply until ctx ends, so that a login the API is starting is not lost.
func (c *Client) Login(ctx, soft context.Context, req LoginRequest) (*LoginAccepted, error) {
	var out LoginAccepted
	if err := c.do(ctx, soft, http.MethodPost, "/registry-auth/login", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Logout asks the API to run docker logout of a registry on a server. A
// reply with status "running" is followed with Follow.
func (c *Client) Logout(ctx context.Context, req LogoutRequest) (*LogoutAccepted, error) {
	var out LogoutAccepted
	if err := c.do(ctx, ctx, http.MethodPost, "/registry-auth/logout", req, &out); err != nil {
		return nil, err
	}
	if err := CheckOperationID(out.OperationID); err != nil {
		return nil, fmt.Errorf("logout reply: %w", err)
	}
	return &out, nil
}

// Operation fetches an operation's current state. It fails without a
// request when id is not a plain identifier.
func (c *Client) Operation(ctx context.Context, id string) (*Operation, error) {
	if err := CheckOperationID(id); err != nil {
		return nil, err
	}
	var out Operation
	if err := c.do(ctx, ctx, http.MethodGet, "/operations/"+id, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// operationIDPattern is what an operation ID may look like: safe in a URL
// path, a log line, an output and state.
var operationIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// CheckOperationID returns an error unless id is a plain identifier.
func CheckOperationID(id string) error {
	if !operationIDPattern.MatchString(id) {
		return fmt.Errorf("operation ID %q is not a plain identifier", clip(id, 40))
	}
	return nil
}

// clip cuts s to n bytes, marking the cut.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
