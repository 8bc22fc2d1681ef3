// Package reoclo is a client for the parts of the Reoclo automation API that
// docker-auth uses: start a registry login or logout, and follow the
// operation until it is done.
//
// Every request carries the API key only to api_url's origin
// (transport.go), is retried by go-retryablehttp under one policy
// (retry.go), is logged without headers, and reads its reply through a size
// limit into as little memory as it can (decode.go). A call that fails
// returns an *APIError when the API answered and a *RequestError when it did
// not (errors.go); both record whether trying again may help (Temporary).
package reoclo

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
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
	// transport sends the attempts: newHTTPTransport, or what WithTransport gave.
	transport http.RoundTripper
	// rate is the key's budget as the last reply that told of it said.
	rate rateState
}

// rateState keeps the budget the last reply with rate-limit headers gave.
type rateState struct {
	mu     sync.Mutex
	budget budget
	known  bool
}

// observe records the budget resp's headers give, if any.
func (r *rateState) observe(resp *http.Response, now time.Time) {
	if b, ok := parseBudget(resp.Header, now); ok {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.budget, r.known = b, true
	}
}

// pace is budget.pace of the last budget seen, or 0 when no reply told one.
func (r *rateState) pace(now time.Time) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.known {
		return 0
	}
	return r.budget.pace(now)
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
func WithLogger(l Logger) Option {
	return func(c *Client) { c.log = l }
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *Client) { c.userAgent = ua }
}

// WithTransport sends the client's HTTP attempts through rt instead of its
// own HTTP/1.1 transport with the proxy rule of proxyFor. Tests use it to
// serve the API in memory (internal/testkit/memnet), where testing/synctest runs the
// client's real timers on a fake clock.
func WithTransport(rt http.RoundTripper) Option {
	return func(c *Client) { c.transport = rt }
}

// New returns a Client for the API at base (validated by config.ParseAPIURL)
// using key. The key is sent only to base's origin.
func New(base *url.URL, key string, opts ...Option) *Client {
	c := &Client{
		base:      base,
		key:       key,
		userAgent: "reoclo-docker-auth",
		log:       nopLogger{},
	}
	for _, opt := range opts {
		opt(c)
	}
	if c.transport == nil {
		c.transport = newHTTPTransport(http.ProxyFromEnvironment)
	}
	return c
}

// endpoint joins an API path onto the base URL, keeping a self-hosted prefix.
func (c *Client) endpoint(path string) *url.URL {
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + basePath + path
	u.RawPath = ""
	return &u
}
