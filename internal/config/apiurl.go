package config

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// ParseAPIURL validates the api_url input: an absolute http or https URL with
// no credentials, query or fragment. Plain http is refused for any host but a
// loopback address, so the API key never crosses a network in clear.
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
	if u.Scheme == "http" && !IsLoopback(u.Hostname()) {
		return bad(fmt.Sprintf("must use https (got %q); plain http is allowed only for loopback addresses such as 127.0.0.1", clip(v)))
	}
	return u, nil
}

// IsLoopback reports whether host (without port) is localhost or a loopback IP.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
