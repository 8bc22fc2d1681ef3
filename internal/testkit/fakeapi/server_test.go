package fakeapi

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRouting(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, method, path string
		status             int
		detail, allow      string
	}{
		{"unknown path", http.MethodGet, "/api/automation/v1/servers", 404, "Not Found", ""},
		{"root", http.MethodGet, "/", 404, "Not Found", ""},
		{"no operation id", http.MethodGet, opsPath, 404, "Not Found", ""},
		{"nested operation path", http.MethodGet, opsPath + "a/b", 404, "Not Found", ""},
		{"trailing slash", http.MethodPost, loginPath + "/", 404, "Not Found", ""},
		{"double slash from a careless join", http.MethodPost, "/" + loginPath, 404, "Not Found", ""},
		{"GET on login", http.MethodGet, loginPath, 405, "Method Not Allowed", "POST"},
		{"PUT on logout", http.MethodPut, logoutPath, 405, "Method Not Allowed", "POST"},
		{"POST on an operation", http.MethodPost, opsPath + unknownID, 405, "Method Not Allowed", "GET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, tt.method, tt.path, keyAll, "")
			assert.Equal(t, tt.status, r.status)
			assert.Equal(t, "application/json", r.header.Get("Content-Type"))
			assert.Equal(t, tt.detail, r.detail(t))
			assert.Equal(t, tt.allow, r.header.Get("Allow"))
		})
	}
}

func TestRequestsRecordsEveryRequest(t *testing.T) {
	f := newFixture(t)
	f.api.Script(RouteLogin, Fault{Status: http.StatusServiceUnavailable})

	body := loginBody(serverID, credID)
	f.do(t, http.MethodPost, loginPath, keyAll, body)
	f.clock.Advance(3 * time.Second)
	r := f.do(t, http.MethodPost, loginPath, keyAll, body)
	id, _ := r.json(t)["operation_id"].(string)
	f.do(t, http.MethodGet, opsPath+id, "", "")

	reqs := f.api.Requests()
	require.Len(t, reqs, 3)

	assert.Equal(t, http.MethodPost, reqs[0].Method)
	assert.Equal(t, loginPath, reqs[0].Path)
	assert.Equal(t, "Bearer "+keyAll, reqs[0].Header.Get("Authorization"))
	assert.Equal(t, "application/json", reqs[0].Header.Get("Content-Type"))
	assert.Equal(t, body, string(reqs[0].Body))
	assert.Equal(t, http.StatusServiceUnavailable, reqs[0].Status)
	assert.Equal(t, t0, reqs[0].Time)
	assert.Equal(t, http.StatusAccepted, reqs[1].Status)
	assert.Equal(t, t0.Add(3*time.Second), reqs[1].Time)

	assert.Equal(t, http.MethodGet, reqs[2].Method)
	assert.Equal(t, opsPath+id, reqs[2].Path)
	assert.Equal(t, http.StatusUnauthorized, reqs[2].Status)
	assert.Empty(t, reqs[2].Body)

	// The record is a copy.
	reqs[0].Header.Set("Authorization", "changed")
	reqs[0].Body[0] = 'X'
	again := f.api.Requests()
	assert.Equal(t, "Bearer "+keyAll, again[0].Header.Get("Authorization"))
	assert.Equal(t, body, string(again[0].Body))
}
