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

// The client speaks HTTP/1.1 to a server that offers HTTP/2.
func TestClientSpeaksHTTP1OverTLS(t *testing.T) {
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
	require.True(t, ok, "New uses an *http.Transport")
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	tr.TLSClientConfig.RootCAs = roots
	c := New(u, "rca_test", Options{Transport: tr})

	_, err = c.Operation(t.Context(), "op-1")
	require.NoError(t, err)
	assert.Equal(t, "HTTP/1.1", proto)
}
