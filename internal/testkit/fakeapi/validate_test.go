package fakeapi

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func validationErrors(t *testing.T, r reply) []fieldError {
	t.Helper()
	require.Equal(t, http.StatusUnprocessableEntity, r.status, "body: %s", r.body)
	var got struct{ Detail []fieldError }
	require.NoError(t, json.Unmarshal(r.body, &got), "body: %s", r.body)
	return got.Detail
}

func TestLoginValidation(t *testing.T) {
	f := newFixture(t)
	notObject := []fieldError{{"model_attributes_type", []any{"body"}, "Input should be a valid JSON object"}}
	missing := func(name string) fieldError { return fieldError{"missing", []any{"body", name}, "Field required"} }
	uuid := func(name string) fieldError {
		return fieldError{"uuid_parsing", []any{"body", name}, "Input should be a valid UUID"}
	}
	ok := func(server, cred string) string {
		return `{"server_id": "` + server + `", "credential_id": "` + cred + `", "run_id": "1", "run_context": {}}`
	}
	tests := []struct {
		name string
		body string
		want []fieldError
	}{
		{"empty body", "", notObject},
		{"invalid JSON", `{"server_id": `, notObject},
		{"not an object", `["x"]`, notObject},
		{"every field missing", `{}`, []fieldError{missing("server_id"), missing("credential_id"), missing("run_id"), missing("run_context")}},
		{"every field ill-typed", `{"server_id": 5, "credential_id": "nope", "run_id": 4242, "run_context": "x"}`, []fieldError{
			uuid("server_id"), uuid("credential_id"),
			{"string_type", []any{"body", "run_id"}, "Input should be a valid string"},
			{"dict_type", []any{"body", "run_context"}, "Input should be a valid dictionary of strings"},
		}},
		{"null server_id", `{"server_id": null, "credential_id": "` + credID + `", "run_id": "1", "run_context": {}}`, []fieldError{uuid("server_id")}},
		{"UUID too short", ok("6f1c2b8e-3d4a-4e5f-9a6b", credID), []fieldError{uuid("server_id")}},
		{"UUID with misplaced hyphens", ok(serverID, "1b2c3d4e5-f60-4a7b-8c9d-0e1f2a3b4c5d"), []fieldError{uuid("credential_id")}},
		{"run_context values must be strings", `{"server_id": "` + serverID + `", "credential_id": "` + credID +
			`", "run_id": "1", "run_context": {"sha": 1, "ref": "x", "actor": null}}`,
			[]fieldError{{"dict_type", []any{"body", "run_context"}, "Input should be a valid dictionary of strings"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, validationErrors(t, f.do(t, http.MethodPost, loginPath, keyAll, tt.body)))
		})
	}
	assert.Empty(t, f.api.Operations())
}

func TestLogoutValidation(t *testing.T) {
	f := newFixture(t)
	assert.Equal(t, []fieldError{{"string_too_short", []any{"body", "registry_url"}, "String should have at least 1 character"}},
		validationErrors(t, f.do(t, http.MethodPost, logoutPath, keyAll, logoutBody(serverID, ""))))
	assert.Equal(t, []fieldError{
		{"missing", []any{"body", "server_id"}, "Field required"},
		{"string_too_short", []any{"body", "registry_url"}, "String should have at least 1 character"},
	}, validationErrors(t, f.do(t, http.MethodPost, logoutPath, keyAll, `{"registry_url": ["ghcr.io"], "run_id": "1", "run_context": {}}`)))
}

func TestParseUUID(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{serverID, serverID, true},
		{"6F1C2B8E-3D4A-4E5F-9A6B-7C8D9E0F1A2B", serverID, true},
		{"6f1c2b8e3d4a4e5f9a6b7c8d9e0f1a2b", serverID, true},
		{"", "", false},
		{"6f1c2b8e-3d4a-4e5f-9a6b-7c8d9e0f1a2g", "", false},
		{"6f1c2b8e-3d4a-4e5f-9a6b-7c8d9e0f1a2b0", "", false},
		{"6f1c2b8e 3d4a 4e5f 9a6b 7c8d9e0f1a2b", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseUUID(tt.in)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}
