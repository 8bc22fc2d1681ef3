package fakeapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const key = "rca_fake_test_key"

// send sends one request to api.
func send(t *testing.T, api http.Handler, method, path, key, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequestWithContext(t.Context(), method, APIPath+path, strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, req)
	return rec
}

// call sends one request to api and returns its status and JSON body.
func call(t *testing.T, api http.Handler, method, path, key, body string) (int, map[string]any) {
	t.Helper()
	rec := send(t, api, method, path, key, body)
	var m map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &m), rec.Body.String())
	return rec.Code, m
}

func login(cred string) string {
	return `{"server_id":"` + WorldServer + `","credential_id":"` + cred + `","run_id":"7","run_context":{"provider":"github_actions"}}`
}

const logout = `{"server_id":"` + WorldServer + `","registry_url":"ghcr.io","run_id":"7","run_context":{}}`

func TestLoginPollLogout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		api := NewWorld(key)
		code, got := call(t, api, "POST", "/registry-auth/login", key, login(strings.ToUpper(WorldGHCR)))
		require.Equal(t, http.StatusAccepted, code)
		id, _ := got["operation_id"].(string)
		assert.Equal(t, map[string]any{"operation_id": id, "status": "running", "registry_url": "ghcr.io", "registry_type": "ghcr"}, got)

		_, got = call(t, api, "GET", "/operations/"+id, key, "")
		assert.Equal(t, "running", got["status"])
		assert.Nil(t, got["result"])
		time.Sleep(300 * time.Millisecond)
		_, got = call(t, api, "GET", "/operations/"+id, key, "")
		assert.Equal(t, "completed", got["status"])
		assert.Equal(t, map[string]any{"exit_code": 0.0, "stdout": "Login Succeeded", "stderr": "", "duration_ms": 300.0}, got["result"])
		assert.Equal(t, map[string]any{"provider": "github_actions"}, got["run_context"])
		assert.Equal(t, map[string][]string{WorldServer: {"ghcr.io"}}, api.LoggedIn())

		code, got = call(t, api, "POST", "/registry-auth/logout", key, logout)
		assert.Equal(t, http.StatusOK, code, "a logout that takes no time is done at once")
		assert.Equal(t, "completed", got["status"])
		assert.Empty(t, api.LoggedIn())
		assert.Len(t, api.Requests(), 4)
		assert.Equal(t, OpRegistryLogout, api.Operations()[1].Type)
	})
}

// Logins and logouts count in the order they end, not start, and only when
// they succeed.
func TestLoggedInInTheOrderOperationsEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		api := NewWorld(key)
		api.SetLogoutDuration(time.Second)
		call(t, api, "POST", "/registry-auth/login", key, login(WorldSlow))   // ends at 2 min
		call(t, api, "POST", "/registry-auth/logout", key, logout)            // ends at 1 s
		call(t, api, "POST", "/registry-auth/login", key, login(WorldDenied)) // refused
		time.Sleep(time.Hour)
		assert.Equal(t, map[string][]string{WorldServer: {"ghcr.io"}}, api.LoggedIn())
		_, got := call(t, api, "GET", "/operations/"+api.Operations()[2].ID, key, "")
		assert.Equal(t, "failed", got["status"])
	})
}

func TestRefusals(t *testing.T) {
	api := NewWorld(key)
	api.AddKey("rca_narrow", Scope{Operations: []string{OpRegistryLogout}, Servers: []string{Any}})
	for _, tc := range []struct {
		method, path, key, body string
		status                  int
		detail                  string
	}{
		{"POST", "/registry-auth/login", "", login(WorldGHCR), 401, "Invalid or expired API key"},
		{"POST", "/registry-auth/login", "rca_unknown", login(WorldGHCR), 401, "Invalid or expired API key"},
		{"POST", "/registry-auth/login", "rca_narrow", login(WorldGHCR), 403, "Operation registry_login not in scope for this key"},
		{"POST", "/registry-auth/login", key, strings.Replace(login(WorldGHCR), WorldServer, WorldGHCR, 1), 404, "Server not found"},
		{"POST", "/registry-auth/login", key, login(WorldServer), 404, "Credential not found"},
		{"POST", "/registry-auth/login", key, `{"server_id":"prod"}`, 422, ""},
		{"GET", "/operations/nope", key, "", 404, "Operation not found"},
		{"GET", "/registry-auth/login", key, "", 404, "Not Found"},
	} {
		code, got := call(t, api, tc.method, tc.path, tc.key, tc.body)
		assert.Equal(t, tc.status, code, tc.detail)
		if tc.detail != "" {
			assert.Equal(t, tc.detail, got["detail"])
		}
	}
}

func TestScriptedFaults(t *testing.T) {
	api := NewWorld(key)
	// Without a key: a fault takes the place of the key checks, normal handling answers 401.
	api.Script(RouteOperation, Fault{Status: 503, Times: 2}, Fault{Header: http.Header{"Retry-After": {"7"}}})
	for _, want := range []int{503, 503, 500, 401, 401} {
		rec := send(t, api, "GET", "/operations/x", "", "")
		assert.Equal(t, want, rec.Code)
		if want == 500 {
			assert.JSONEq(t, `{"detail": "Internal Server Error"}`, rec.Body.String())
			assert.Equal(t, "7", rec.Header().Get("Retry-After"))
		}
	}
	api.Script(RouteLogout, Fault{Status: 429, Times: Forever})
	for range 5 {
		assert.Equal(t, http.StatusTooManyRequests, send(t, api, "POST", "/registry-auth/logout", key, logout).Code)
	}
}

func TestRateLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		api := NewWorld(key)
		api.AddKey("rca_other", AllScopes())
		api.SetRateLimit(RateLimit{Limit: 2, Window: time.Minute})
		poll := func(k string) *httptest.ResponseRecorder { return send(t, api, "GET", "/operations/x", k, "") }
		assert.Equal(t, http.StatusNotFound, poll(key).Code)
		time.Sleep(30 * time.Second)
		assert.Equal(t, http.StatusNotFound, poll(key).Code)
		rec := poll(key)
		assert.Equal(t, http.StatusTooManyRequests, rec.Code)
		assert.Equal(t, "30", rec.Header().Get("Retry-After"), "until the first request leaves the window")
		assert.Equal(t, http.StatusNotFound, poll("rca_other").Code, "another key has its own budget")
		time.Sleep(30 * time.Second)
		assert.Equal(t, http.StatusNotFound, poll(key).Code, "the window slid; the 429 did not count")
		api.SetRateLimit(RateLimit{})
		for range 5 {
			assert.Equal(t, http.StatusNotFound, poll(key).Code)
		}
	})
}
