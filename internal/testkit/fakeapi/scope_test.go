package fakeapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuthentication(t *testing.T) {
	f := newFixture(t)

	routes := []struct{ name, method, path, body string }{
		{"login", http.MethodPost, loginPath, loginBody(serverID, credID)},
		{"logout", http.MethodPost, logoutPath, logoutBody(serverID, "ghcr.io")},
		{"operation", http.MethodGet, opsPath + unknownID, ""},
	}
	tests := []struct {
		name, auth, detail string
	}{
		{"missing", "", "Not authenticated"},
		{"not bearer", "Basic cmNhX2FsbDo=", "Invalid authentication credentials"},
		{"empty bearer", "Bearer ", "Invalid authentication credentials"},
		{"unknown key", "Bearer rca_nope", "Invalid or expired API key"},
	}
	for _, rt := range routes {
		for _, tt := range tests {
			t.Run(rt.name+"/"+tt.name, func(t *testing.T) {
				req, err := http.NewRequestWithContext(t.Context(), rt.method, f.ts.URL+rt.path, strings.NewReader(rt.body))
				require.NoError(t, err)
				if tt.auth != "" {
					req.Header.Set("Authorization", tt.auth)
				}
				resp, err := f.ts.Client().Do(req)
				require.NoError(t, err)
				r := readReply(t, resp)
				assert.Equal(t, http.StatusUnauthorized, r.status)
				assert.Equal(t, "Bearer", r.header.Get("WWW-Authenticate"))
				assert.Equal(t, tt.detail, r.detail(t))
			})
		}
	}
	assert.Empty(t, f.api.Operations(), "no operation may start without a valid key")
}

func TestBearerSchemeIsCaseInsensitive(t *testing.T) {
	f := newFixture(t)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, f.ts.URL+opsPath+unknownID, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "bearer "+keyAll)
	resp, err := f.ts.Client().Do(req)
	if assert.NoError(t, err) {
		assert.Equal(t, http.StatusNotFound, readReply(t, resp).status)
	}
}

func TestScope(t *testing.T) {
	f := newFixture(t)
	f.api.AddServer(server2ID, "staging")
	f.api.AddCredential(Credential{ID: cred2ID, RegistryURL: "docker.io", RegistryType: "docker_hub"})

	narrow := Scope{
		Operations:  []string{OpRegistryLogin, OpRegistryLogout},
		Servers:     []string{serverID},
		Credentials: []string{credID},
	}
	tests := []struct {
		name   string
		scope  Scope
		path   string
		body   string
		status int
		detail string
	}{
		{"login allowed", narrow, loginPath, loginBody(serverID, credID), 202, ""},
		{"login by a logout-only key", Scope{[]string{OpRegistryLogout}, []string{Any}, []string{Any}},
			loginPath, loginBody(serverID, credID), 403, "Operation registry_login not in scope for this key"},
		{"login on another server", narrow, loginPath, loginBody(server2ID, credID), 403, "Server not in scope for this key"},
		{"login with another credential", narrow, loginPath, loginBody(serverID, cred2ID), 403, "Credential not in scope for this key"},
		{"scope is checked before existence", narrow, loginPath, loginBody(unknownID, credID), 403, "Server not in scope for this key"},
		{"zero scope", Scope{}, loginPath, loginBody(serverID, credID), 403, "Operation registry_login not in scope for this key"},
		{"IDs in scope match in any spelling", Scope{[]string{Any}, []string{"6F1C2B8E3D4A4E5F9A6B7C8D9E0F1A2B"}, []string{Any}},
			loginPath, loginBody(serverID, credID), 202, ""},
		{"logout allowed", narrow, logoutPath, logoutBody(serverID, "ghcr.io"), 200, ""},
		{"logout by a login-only key", Scope{[]string{OpRegistryLogin}, []string{Any}, []string{Any}},
			logoutPath, logoutBody(serverID, "ghcr.io"), 403, "Operation registry_logout not in scope for this key"},
		{"logout on another server", narrow, logoutPath, logoutBody(server2ID, "ghcr.io"), 403, "Server not in scope for this key"},
		{"logout needs no credential scope", Scope{[]string{Any}, []string{Any}, nil}, logoutPath, logoutBody(serverID, "ghcr.io"), 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.api.AddKey("rca_scoped", tt.scope)
			r := f.do(t, http.MethodPost, tt.path, "rca_scoped", tt.body)
			assert.Equal(t, tt.status, r.status, "body: %s", r.body)
			if tt.detail != "" {
				assert.Equal(t, tt.detail, r.detail(t))
			}
		})
	}
}
