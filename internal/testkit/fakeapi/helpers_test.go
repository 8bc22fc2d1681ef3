package fakeapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const (
	keyAll    = "rca_all"
	serverID  = "6f1c2b8e-3d4a-4e5f-9a6b-7c8d9e0f1a2b"
	server2ID = "0a0b0c0d-1111-4222-8333-444455556666"
	credID    = "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d"
	cred2ID   = "99999999-8888-4777-a666-555544443333"
	unknownID = "00000000-0000-4000-8000-000000000000"

	loginPath  = APIPath + "/registry-auth/login"
	logoutPath = APIPath + "/registry-auth/logout"
	opsPath    = APIPath + "/operations/"
)

var t0 = time.Date(2026, 4, 14, 1, 0, 0, 0, time.UTC)

// clock is a manual clock for the fixture's server: its time moves only when
// told to.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is a fake API on an httptest server with a manual clock, a key
// allowed everything, one server ("prod-api") and one ghcr.io credential
// whose login takes a second.
type fixture struct {
	api   *Server
	clock *clock
	ts    *httptest.Server
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	clock := &clock{t: t0}
	api := New()
	api.now = clock.Now
	api.AddKey(keyAll, AllScopes())
	api.AddServer(serverID, "prod-api")
	api.AddCredential(Credential{ID: credID, RegistryURL: "ghcr.io", RegistryType: "ghcr", LoginDuration: time.Second})
	ts := httptest.NewServer(api)
	t.Cleanup(ts.Close)
	return &fixture{api: api, clock: clock, ts: ts}
}

// reply is an HTTP answer.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a generic value.
func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	require.NoError(t, json.Unmarshal(r.body, &v), "body: %s", r.body)
	return v
}

// detail returns the string detail of a FastAPI error body.
func (r reply) detail(t *testing.T) string {
	t.Helper()
	d, ok := r.json(t)["detail"].(string)
	require.True(t, ok, "detail is not a string: %s", r.body)
	return d
}

// do sends a request with an optional bearer key and JSON body.
func (f *fixture) do(t *testing.T, method, path, key, body string) reply {
	t.Helper()
	r, err := f.send(t.Context(), method, path, key, body)
	require.NoError(t, err)
	return r
}

func (f *fixture) send(ctx context.Context, method, path, key, body string) (reply, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, f.ts.URL+path, rd)
	if err != nil {
		return reply{}, err
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: b}, err
}

func loginBody(server, cred string) string {
	return `{"server_id":"` + server + `","credential_id":"` + cred + `","run_id":"4242",` +
		`"run_context":{"provider":"github_actions","repository":"acme/webshop","sha":"0123"}}`
}

func logoutBody(server, url string) string {
	b, _ := json.Marshal(map[string]any{
		"server_id": server, "registry_url": url, "run_id": "4242",
		"run_context": map[string]string{"provider": "github_actions"},
	})
	return string(b)
}

// login starts a login with the fixture's key and returns the operation ID.
func (f *fixture) login(t *testing.T, server, cred string) string {
	t.Helper()
	r := f.do(t, http.MethodPost, loginPath, keyAll, loginBody(server, cred))
	require.Equal(t, http.StatusAccepted, r.status, "body: %s", r.body)
	id, _ := r.json(t)["operation_id"].(string)
	require.NotEmpty(t, id)
	return id
}

// logout starts a logout of ghcr.io on serverID and returns the reply.
func (f *fixture) logout(t *testing.T) reply {
	t.Helper()
	return f.do(t, http.MethodPost, logoutPath, keyAll, logoutBody(serverID, "ghcr.io"))
}

// poll gets an operation and returns its decoded body.
func (f *fixture) poll(t *testing.T, id string) map[string]any {
	t.Helper()
	r := f.do(t, http.MethodGet, opsPath+id, keyAll, "")
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	return r.json(t)
}

func readReply(t *testing.T, resp *http.Response) reply {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

func newServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

// firstDiff returns the index of the first byte at which a and b differ, or
// -1 if they are equal.
func firstDiff(a, b string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}
