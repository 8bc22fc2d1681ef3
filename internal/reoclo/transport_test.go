package reoclo

import (
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The key never goes to a proxy in clear: plain http and loopback hosts, in
// any spelling, bypass the environment's proxy; https elsewhere uses it.
func TestTransportProxyRule(t *testing.T) {
	proxy := &url.URL{Scheme: "http", Host: "proxy.example.com:3128"}
	tr, ok := newHTTPTransport(http.ProxyURL(proxy)).(*http.Transport)
	require.True(t, ok)
	for raw, direct := range map[string]bool{
		"http://LOCALHOST:8080/x": true, "http://localhost.:8080/x": true, "https://LocalHost/x": true,
		"https://127.8.9.10:443/x": true, "https://[::1]:8443/x": true,
		"http://api.example.com/x": true, // refused by config anyway; never proxied
		"https://api.reoclo.com/x": false,
	} {
		got, err := tr.Proxy(httptest.NewRequestWithContext(t.Context(), http.MethodGet, raw, nil))
		require.NoError(t, err)
		assert.Equal(t, map[bool]*url.URL{false: proxy}[direct], got, raw)
	}
}

// The client speaks HTTP/1.1 to a server that offers HTTP/2.
func TestTransportSpeaksHTTP1OverTLS(t *testing.T) {
	var proto string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proto = r.Proto
		_, _ = w.Write([]byte(`{"operation_id":"op-1","status":"running"}`))
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	tr, ok := newHTTPTransport(http.ProxyFromEnvironment).(*http.Transport)
	require.True(t, ok)
	tr.TLSClientConfig.RootCAs = x509.NewCertPool()
	tr.TLSClientConfig.RootCAs.AddCert(srv.Certificate())

	_, err = New(u, testKey, Options{Transport: tr}).Operation(t.Context(), "op-1")
	require.NoError(t, err)
	assert.Equal(t, "HTTP/1.1", proto)
}
