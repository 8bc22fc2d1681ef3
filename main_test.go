package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reoclo/docker-auth/internal/testkit/binary"
	"github.com/reoclo/docker-auth/internal/testkit/fakeapi"
)

// These tests run the built binary as the runner runs the image's entry
// points: by their three names, with real GITHUB_* files, the main step's
// state handed to post as STATE_*, and real signals.

// bin is the directory of the binary built for these tests.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "docker-auth-bin-")
	if err == nil {
		_, err = binary.Build(context.Background(), dir, "test")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

const testKey = "rca_binary_t3st_k3y_never_printed"

// job is one job's steps against a fake API served on 127.0.0.1.
type job struct {
	t   *testing.T
	api *fakeapi.Server
	url string
	env map[string]string
}

func newJob(t *testing.T) *job {
	api := fakeapi.NewWorld(testKey)
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	return &job{t: t, api: api, url: srv.URL, env: map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "4242", "GITHUB_REPOSITORY": "acme/webshop", "RUNNER_DEBUG": "1",
	}}
}

// run runs entry point name with inputs; ctx's end sends sig.
func (j *job) run(ctx context.Context, name string, inputs, state map[string]string, sig os.Signal) *binary.Result {
	j.t.Helper()
	in := map[string]string{"api_key": testKey, "server_id": fakeapi.WorldServer, "api_url": j.url}
	for k, v := range inputs {
		in[k] = v
	}
	res, err := binary.Run(ctx, j.t.TempDir(), binary.Step{Path: filepath.Join(bin, name), Inputs: in, Env: j.env, State: state, Signal: sig})
	require.NoError(j.t, err)
	written := strings.Replace(res.Stdout, "::add-mask::"+testKey+"\n", "", 1) + res.Summary + fmt.Sprint(res.Outputs, res.State, res.Env)
	assert.NotContains(j.t, written, testKey, "the key is only ever printed to be masked")
	return res
}

func TestMainThenPost(t *testing.T) {
	j := newJob(t)
	main := j.run(t.Context(), binary.Main, map[string]string{"credential_id": fakeapi.WorldGHCR}, nil, nil)
	require.Equal(t, 0, main.Code, main.Stdout)
	assert.Equal(t, "ghcr.io", main.Outputs["registry_url"])
	assert.Equal(t, "ghcr", main.Outputs["registry_type"])
	assert.Contains(t, main.Summary, "| Logged in | ghcr.io | ghcr | prod-api |")
	assert.Equal(t, map[string][]string{fakeapi.WorldServer: {"ghcr.io"}}, j.api.LoggedIn())

	post := j.run(t.Context(), binary.Post, nil, main.State, nil)
	require.Equal(t, 0, post.Code, post.Stdout)
	assert.Contains(t, post.Stdout, "Logged out of ghcr.io (operation ")
	assert.Empty(t, j.api.LoggedIn())

	logout := j.run(t.Context(), binary.Logout, map[string]string{"registry_url": "ghcr.io"}, nil, nil)
	require.Equal(t, 0, logout.Code, logout.Stdout)
	assert.Contains(t, logout.Summary, "| Logged out | ghcr.io |")
}

// The runner cancels a job with SIGINT, then SIGTERM: main stops at once,
// post still undoes the login that was running.
func TestCancelledBySignals(t *testing.T) {
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			j := newJob(t)
			j.api.AddCredential(fakeapi.Credential{ID: fakeapi.WorldSlow, RegistryURL: "ghcr.io", RegistryType: "ghcr", LoginDuration: 1500 * time.Millisecond})
			ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
			defer cancel()
			main := j.run(ctx, binary.Main, map[string]string{"credential_id": fakeapi.WorldSlow}, nil, sig)
			assert.Equal(t, 1, main.Code)
			assert.Less(t, main.Took, time.Second, "stopped at once")
			assert.Contains(t, main.Stdout, "::error::cancelled (received "+sig.String()+")")

			post := j.run(t.Context(), binary.Post, nil, main.State, nil)
			require.Equal(t, 0, post.Code, post.Stdout)
			assert.Contains(t, post.Stdout, "Logged out of ghcr.io")
			assert.Empty(t, j.api.LoggedIn(), "the login ended before the logout")
		})
	}
}

// A self-hosted API behind a private CA: SSL_CERT_DIR adds the CA to the
// image's bundle, SSL_CERT_FILE replaces the bundle (Go's crypto/x509
// rules), and nothing else is trusted.
func TestPrivateCAThroughStepEnv(t *testing.T) {
	j := newJob(t)
	caPEM, config, err := binary.NewCA(net.IPv4(127, 0, 0, 1))
	require.NoError(t, err)
	otherPEM, _, err := binary.NewCA(net.IPv4(127, 0, 0, 1)) // stands for the image's bundle
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(j.api)
	srv.TLS = config
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	srv.StartTLS()
	t.Cleanup(srv.Close)
	j.url = srv.URL

	dir := t.TempDir()
	caDir, caFile, otherFile := filepath.Join(dir, "certs"), filepath.Join(dir, "bundle.pem"), filepath.Join(dir, "other.pem")
	require.NoError(t, os.Mkdir(caDir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(caDir, "reoclo-ca.pem"), caPEM, 0o644))
	require.NoError(t, os.WriteFile(caFile, caPEM, 0o644))
	require.NoError(t, os.WriteFile(otherFile, otherPEM, 0o644))
	for name, tc := range map[string]struct {
		env map[string]string
		ok  bool
	}{
		"no CA given":                          {nil, false},
		"SSL_CERT_DIR adds the CA":             {map[string]string{"SSL_CERT_DIR": caDir}, true},
		"SSL_CERT_FILE replaces the bundle":    {map[string]string{"SSL_CERT_FILE": caFile}, true},
		"a bundle without the CA":              {map[string]string{"SSL_CERT_FILE": otherFile}, false},
		"SSL_CERT_DIR adds to the bundle file": {map[string]string{"SSL_CERT_FILE": otherFile, "SSL_CERT_DIR": caDir}, true},
	} {
		t.Run(name, func(t *testing.T) {
			j.env = map[string]string{"GITHUB_ACTIONS": "true"}
			for k, v := range tc.env {
				j.env[k] = v
			}
			main := j.run(t.Context(), binary.Main, map[string]string{"credential_id": fakeapi.WorldHub, "cleanup": "false"}, nil, nil)
			if !tc.ok {
				assert.Contains(t, main.Stdout, "x509: certificate signed by unknown authority")
				return
			}
			require.Equal(t, 0, main.Code, main.Stdout)
			assert.Equal(t, "docker.io", main.Outputs["registry_url"])
		})
	}
}
