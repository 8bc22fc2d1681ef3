package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A self-hosted Reoclo API behind a private CA: the README tells users to
// add the CA with SSL_CERT_DIR (kept alongside the image's bundle) or to
// replace the bundle with SSL_CERT_FILE, both set in the step's env. This
// checks the binary honours both (Go's crypto/x509 rules) and trusts
// nothing else by default.
func TestPrivateCAThroughStepEnv(t *testing.T) {
	w := newWorld(t)
	srv := httptest.NewUnstartedServer(w.api)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	srv.StartTLS()
	t.Cleanup(srv.Close)
	w.url = srv.URL

	dir := t.TempDir()
	caDir := filepath.Join(dir, "certs")
	require.NoError(t, os.Mkdir(caDir, 0o755))
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	require.NoError(t, os.WriteFile(filepath.Join(caDir, "reoclo-ca.pem"), caPEM, 0o644))
	caFile := filepath.Join(dir, "bundle.pem")
	require.NoError(t, os.WriteFile(caFile, caPEM, 0o644))
	// otherFile stands for the image's own bundle (/etc/ssl/cert.pem): it
	// holds a CA, but not the one that signed the API's certificate.
	otherFile := filepath.Join(dir, "other.pem")
	require.NoError(t, os.WriteFile(otherFile, otherCA(t), 0o644))

	tests := []struct {
		name string
		env  map[string]string
		ok   bool
	}{
		{"no CA given", nil, false},
		{"SSL_CERT_DIR adds the CA", map[string]string{"SSL_CERT_DIR": caDir}, true},
		{"SSL_CERT_FILE replaces the bundle", map[string]string{"SSL_CERT_FILE": caFile}, true},
		{"a bundle without the CA", map[string]string{"SSL_CERT_FILE": otherFile}, false},
		{"SSL_CERT_DIR adds to the bundle file", map[string]string{"SSL_CERT_FILE": otherFile, "SSL_CERT_DIR": caDir}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := w.step("login", ghcrCred, map[string]string{"cleanup": "false"})
			s.Env = tc.env
			main := w.main(context.Background(), s)
			if !tc.ok {
				assert.True(t, main.Failed)
				require.NotEmpty(t, main.Annotations)
				assert.Contains(t, main.Annotations[0].Message, "x509: certificate signed by unknown authority", "as the README's Troubleshooting quotes it")
				return
			}
			require.False(t, main.Failed, main.LogText())
			assert.Equal(t, "ghcr.io", main.Outputs["registry_url"])
		})
	}
}

// otherCA returns a self-signed CA certificate, PEM-encoded, unrelated to
// httptest's.
func otherCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Other test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
