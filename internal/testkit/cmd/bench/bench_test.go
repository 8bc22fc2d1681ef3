package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestImageCALayout(t *testing.T) {
	tests := []struct {
		name       string
		dockerfile string
		want       caLayout
	}{
		{
			name:       "Debian's path: Go reads it as the bundle file and again from the directory",
			dockerfile: "FROM scratch\nCOPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt\nCOPY --from=build /out/ /\n",
			want:       caLayout{dest: "/etc/ssl/certs/ca-certificates.crt", asFile: true, inDir: true},
		},
		{
			name:       "Alpine's path: only as the bundle file",
			dockerfile: "COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/cert.pem\n",
			want:       caLayout{dest: "/etc/ssl/cert.pem", asFile: true},
		},
		{
			name:       "a file in a certificate directory only",
			dockerfile: "copy ca.pem /etc/ssl/certs/extra.pem\n",
			want:       caLayout{dest: "/etc/ssl/certs/extra.pem", inDir: true},
		},
		{
			name:       "a path Go never reads",
			dockerfile: "COPY ca.pem /opt/ca.pem\n",
			want:       caLayout{dest: "/opt/ca.pem"},
		},
		{
			name:       "no bundle",
			dockerfile: "FROM scratch\nCOPY --from=build /out/ /\n",
			want:       caLayout{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, imageCALayout([]byte(tt.dockerfile)))
		})
	}
}

func TestTLSTrust(t *testing.T) {
	host := []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
	fake := []byte{1, 2, 3}

	t.Run("bundle in a certificate directory: one file, named by both variables", func(t *testing.T) {
		dir := t.TempDir()
		env, certs, err := tlsTrust(dir, caLayout{dest: "/etc/ssl/certs/ca-certificates.crt", asFile: true, inDir: true}, host, fake)
		require.NoError(t, err)
		assert.Equal(t, 2, certs)
		assert.Equal(t, filepath.Join(env["SSL_CERT_DIR"], "ca-certificates.crt"), env["SSL_CERT_FILE"])
		assert.FileExists(t, env["SSL_CERT_FILE"])
	})
	t.Run("no bundle in the image: only the fake API's certificate, an empty directory", func(t *testing.T) {
		dir := t.TempDir()
		env, certs, err := tlsTrust(dir, caLayout{}, host, fake)
		require.NoError(t, err)
		assert.Equal(t, 1, certs)
		entries, err := os.ReadDir(env["SSL_CERT_DIR"])
		require.NoError(t, err)
		assert.Empty(t, entries)
	})
	t.Run("bundle only in a directory: no bundle file", func(t *testing.T) {
		dir := t.TempDir()
		env, _, err := tlsTrust(dir, caLayout{dest: "/etc/ssl/certs/extra.pem", inDir: true}, host, fake)
		require.NoError(t, err)
		assert.NoFileExists(t, env["SSL_CERT_FILE"])
	})
}

func TestReadMaxRSS(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    int64
		wantErr bool
	}{
		{"plain figure", "7324\n", 7324, false},
		{"after GNU time's note on a failed command", "Command exited with non-zero status 1\n7452\n", 7452, false},
		{"garbage", "Command terminated by signal 9\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "maxrss")
			require.NoError(t, os.WriteFile(file, []byte(tt.content), 0o600))
			got, err := readMaxRSS(file)
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestTargetVerdict(t *testing.T) {
	assert.Equal(t, "PASS", target{got: 10, limit: 10, measured: true}.verdict(), "the limit itself is met")
	assert.Equal(t, "FAIL", target{got: 10.1, limit: 10, measured: true}.verdict())
	assert.Equal(t, "SKIP", target{got: 99, limit: 10}.verdict(), "a figure not measured is not judged")
}
