package config

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// ParseAPIURL validates the api_url input: an absolute http or https URL with
// no credentials, query or fragment. Plain http is refused for any host but a
// loopback address, so the API key never crosses a network in clear. The host
// is normalised (lower case, no trailing dot), so that every later check of
// it, the transport's "never through a proxy" included, sees one spelling.
func ParseAPIURL(v string) (*url.URL, error) {
	bad := func(problem string) (*url.URL, error) {
		return nil, &InputError{Input: InputAPIURL, Problem: problem}
	}
	if err := required(InputAPIURL, v); err != nil {
		return nil, err
	}
	u, err := url.Parse(v)
	if err != nil {
		return bad(fmt.Sprintf("must be an absolute URL such as https://api.reoclo.com (got %q, which does not parse)", clip(v)))
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Opaque != "" {
		return bad(fmt.Sprintf("must be an absolute http(s) URL such as https://api.reoclo.com (got %q)", clip(v)))
	}
	if u.User != nil {
		return bad("must not carry a user name or password; the API key goes in api_key")
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return bad(fmt.Sprintf("must not have a query or fragment (got %q)", clip(v)))
	}
	host := NormalizeHost(u.Hostname())
	if host == "" {
		return bad(fmt.Sprintf("must name a host (got %q)", clip(v)))
	}
	if port := u.Port(); port != "" {
		u.Host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		u.Host = "[" + host + "]"
	} else {
		u.Host = host
	}
	if u.Scheme == "http" && !IsLoopback(host) {
		return bad(fmt.Sprintf("must use https (got %q); plain http is allowed only for loopback addresses such as 127.0.0.1", clip(v)))
	}
	return u, nil
}

// NormalizeHost returns a host name (without port or brackets) in the one
// spelling the action compares: lower case, without the trailing dot of a
// fully qualified name.
func NormalizeHost(host string) string {
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

// IsLoopback reports whether host (without port), in any spelling, is
// localhost or a loopback IP. It is the one rule for two guarantees: plain
// http is allowed only to such a host (ParseAPIURL), and requests to such a
// host never go through a proxy (the API client's transport).
func IsLoopback(host string) bool {
	host = NormalizeHost(host)
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
