package reoclo

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/reoclo/docker-auth/internal/config"
)

// errOtherOrigin is why a redirect to another origin is refused: the
// client does not follow it, so the key is never sent anywhere but api_url.
var errOtherOrigin = errors.New("the API key is only sent to api_url's origin")

// newHTTPTransport copies net/http's default transport, with proxyFor's
// rule and HTTP/1.1 only: HTTP/2's window would buffer a large reply twice.
func newHTTPTransport(envProxy func(*http.Request) (*url.URL, error)) http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone() //nolint:forcetypeassert // net/http's own
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

// proxyFor is the proxy rule: plain http and loopback hosts
// (config.IsLoopback) never use a proxy, so the key never reaches one in
// clear; https to other hosts uses envProxy, whose tunnel is ciphertext.
func proxyFor(envProxy func(*http.Request) (*url.URL, error)) func(*http.Request) (*url.URL, error) {
	return func(req *http.Request) (*url.URL, error) {
		if req.URL.Scheme != "https" || config.IsLoopback(req.URL.Hostname()) {
			return nil, nil
		}
		return envProxy(req)
	}
}

// loggingTransport logs each request (a redirect's hops too) as method,
// path, status and time, never a header, and keeps the key's budget the
// replies give.
type loggingTransport struct {
	next http.RoundTripper
	log  interface{ Debugf(string, ...any) }
	rate *rateState
}

// RoundTrip implements http.RoundTripper.
func (t *loggingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	took := time.Since(start).Round(time.Millisecond)
	if err != nil {
		t.log.Debugf("%s %s -> error (%s): %v", req.Method, req.URL.Path, took, err)
		return nil, err
	}
	t.log.Debugf("%s %s -> %d (%s)", req.Method, req.URL.Path, resp.StatusCode, took)
	t.rate.observe(resp, time.Now())
	return resp, nil
}

// sameOriginOnly is an http.Client CheckRedirect that follows redirects only
// within base's origin (scheme, host in any spelling, and port), at most 10
// of them.
func sameOriginOnly(base *url.URL) func(*http.Request, []*http.Request) error {
	origin := originOf(base)
	return func(req *http.Request, via []*http.Request) error {
		if to := originOf(req.URL); to != origin {
			return fmt.Errorf("refusing to follow a redirect from %s to %s: %w", origin, to+req.URL.Path, errOtherOrigin)
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
