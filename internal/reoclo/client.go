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
	"time"
)

// basePath is where the automation API lives under api_url;
// attemptTimeout bounds one attempt, so a stalled connection is retried.
const (
	basePath       = "/api/automation/v1"
	attemptTimeout = 30 * time.Second
)

// Client talks to the Reoclo automation API with one key.
type Client struct {
	base *url.URL
	key  string
	http *http.Client
	rate rateState // the key's budget, as the last reply that told of it said
	Options
}

// Options are a Client's optional settings.
type Options struct {
	// Log receives a debug line per HTTP request (githubactions.Action
	// is one); nil discards them.
	Log interface {
		Debugf(format string, args ...any)
	}
	// UserAgent names the action and its version.
	UserAgent string
	// Transport, when set, sends the requests instead of the client's own
	// HTTP/1.1 transport (newHTTPTransport): tests serve the API in memory
	// with it (internal/testkit/memnet), inside a testing/synctest bubble.
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
	c := &Client{base: base, key: key, Options: o}
	c.http = &http.Client{Timeout: attemptTimeout, CheckRedirect: sameOriginOnly(base),
		Transport: &loggingTransport{next: o.Transport, log: o.Log, rate: &c.rate}}
	return c
}

type nopLogger struct{}

func (nopLogger) Debugf(string, ...any) {}

// endpoint joins path onto the base URL, keeping a self-hosted prefix.
func (c *Client) endpoint(path string) string {
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + basePath + path
	u.RawPath = ""
	return u.String()
}

// Login asks the API to run docker login for a credential on a server and
// returns its reply as sent: the caller checks the operation ID and the
// registry before it uses them. Once soft ends no new attempt is sent, but
// one in flight gets its reply until ctx ends: that login is not lost.
func (c *Client) Login(ctx, soft context.Context, req Request) (*LoginAccepted, error) {
	var out LoginAccepted
	if err := c.do(ctx, soft, http.MethodPost, "/registry-auth/login", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Logout asks the API to run docker logout of a registry on a server.
func (c *Client) Logout(ctx context.Context, req Request) (*LogoutAccepted, error) {
	var out LogoutAccepted
	if err := c.do(ctx, ctx, http.MethodPost, "/registry-auth/logout", req, &out); err != nil {
		return nil, err
	}
	if err := CheckOperationID(out.OperationID); err != nil {
		return nil, fmt.Errorf("logout reply: %w", err)
	}
	return &out, nil
}

// Operation fetches an operation, unless id is not a plain identifier.
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
