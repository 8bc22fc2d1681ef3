// Package reoclo is a client for the Reoclo automation API, as far as
// docker-auth uses it: registry logins and logouts and their operations.
// Requests carry the key only to api_url's origin (transport.go), are
// retried under one policy (retry.go), read bounded replies (call.go) and
// fail with an *Error of facts (errors.go).
package reoclo

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"time"
)

const (
	basePath       = "/api/automation/v1" // where the automation API lives under api_url
	attemptTimeout = 30 * time.Second     // for one attempt, so a stalled connection is retried
)

// Client talks to the Reoclo automation API with one key.
type Client struct {
	api  string // basePath under api_url, keeping a self-hosted prefix
	key  string
	http *http.Client
	rate atomic.Pointer[budget] // the key's budget, as the last reply that told of it said
	Options
}

// Options are a Client's optional settings.
type Options struct {
	// Log receives a debug line per HTTP request (githubactions.Action
	// is one); nil discards them.
	Log       interface{ Debugf(string, ...any) }
	UserAgent string // names the action and its version
	// Transport, when set, sends the requests instead of newHTTPTransport's:
	// tests serve the API in memory (internal/testkit/memnet) with it.
	Transport http.RoundTripper
}

// New returns a Client for the API at base (validated by
// config.ParseAPIURL) using key, which it sends only to base's origin.
func New(base *url.URL, key string, o Options) *Client {
	if o.Log == nil {
		o.Log = nopLogger{}
	}
	if o.Transport == nil {
		o.Transport = newHTTPTransport(http.ProxyFromEnvironment)
	}
	api := *base // with no query or fragment (config.ParseAPIURL): paths join onto its string
	api.Path = strings.TrimSuffix(api.Path, "/") + basePath
	api.RawPath = ""
	c := &Client{api: api.String(), key: key, Options: o}
	c.http = &http.Client{Timeout: attemptTimeout, CheckRedirect: sameOriginOnly(base),
		Transport: &loggingTransport{next: o.Transport, log: o.Log, rate: &c.rate}}
	return c
}

type nopLogger struct{}

func (nopLogger) Debugf(string, ...any) {}

// Login asks the API to run docker login for a credential on a server and
// returns its reply as sent: the caller checks the operation ID and the
// registry before it uses them. Once soft ends no new attempt is sent, but
// one in flight gets its reply until ctx ends: that login is not lost.
func (c *Client) Login(ctx, soft context.Context, req Request) (*LoginAccepted, error) {
	return do[LoginAccepted](ctx, soft, c, http.MethodPost, "/registry-auth/login", &req)
}

// Logout asks the API to run docker logout of a registry on a server.
func (c *Client) Logout(ctx context.Context, req Request) (*LogoutAccepted, error) {
	out, err := do[LogoutAccepted](ctx, ctx, c, http.MethodPost, "/registry-auth/logout", &req)
	if err != nil {
		return nil, err
	}
	if err := CheckOperationID(out.OperationID); err != nil {
		return nil, fmt.Errorf("logout reply: %w", err)
	}
	return out, nil
}

// Operation fetches an operation, unless id is not a plain identifier.
func (c *Client) Operation(ctx context.Context, id string) (*Operation, error) {
	if err := CheckOperationID(id); err != nil {
		return nil, err
	}
	return do[Operation](ctx, ctx, c, http.MethodGet, "/operations/"+id, nil)
}

var operationIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// CheckOperationID fails unless id is a plain identifier, safe in a URL
// path, a log line, an output and state.
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
