package reoclo

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/reoclo/docker-auth/internal/config"
)

// errOtherOrigin is why a redirect to another origin is refused: the
// client does not follow it, so the key is never sent anywhere but api_url.
var errOtherOrigin = errors.New("the API key is only sent to api_url's origin")

// newHTTPTransport copies net/http's default transport, with HTTP/1.1 only
// (HTTP/2's window would buffer a large reply twice) and the proxy rule:
// plain http and loopback hosts (config.IsLoopback) never use a proxy, so
// the key never reaches one in clear; https to other hosts uses envProxy,
// whose tunnel is ciphertext.
func newHTTPTransport(envProxy func(*http.Request) (*url.URL, error)) http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone() //nolint:errcheck // net/http's own: always a *Transport
	t.Proxy = func(req *http.Request) (*url.URL, error) {
		if req.URL.Scheme != "https" || config.IsLoopback(req.URL.Hostname()) {
			return nil, nil
		}
		return envProxy(req)
	}
	t.Protocols = new(http.Protocols)
	t.Protocols.SetHTTP1(true)
	// Clone copies the default transport's ALPN list, which offers h2: a
	// server would answer in HTTP/2 (golang/go#39302).
	if t.TLSClientConfig != nil {
		t.TLSClientConfig.NextProtos = nil
	}
	return t
}

// loggingTransport logs each request (a redirect's hops too) as method, path,
// status and time, never a header, and keeps the key's budget replies give.
type loggingTransport struct {
	next http.RoundTripper
	log  interface{ Debugf(string, ...any) }
	rate *atomic.Pointer[budget]
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
	if b, ok := parseBudget(resp.Header, time.Now()); ok {
		t.rate.Store(&b)
	}
	return resp, nil
}

// sameOriginOnly is an http.Client CheckRedirect that follows at most 10
// redirects, all within base's origin (scheme, host in any spelling, port).
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
