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

// loggingTransport writes a debug line for every request it sends (a
// redirect's hops included): method, path, status and time taken, never a
// header, so the Authorization header cannot leak through it. It also
// keeps the key's budget that rate-limit headers give.
type loggingTransport struct {
	next http.RoundTripper
	log  Logger
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
