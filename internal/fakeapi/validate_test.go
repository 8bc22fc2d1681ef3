package fakeapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fieldErr is the part of a 422 detail entry the tests compare.
type fieldErr struct {
	Loc  []any
	Type string
	Msg  string
}

func validationErrors(t *testing.T, r reply) []fieldErr {
	t.Helper()
	require.Equal(t, http.StatusUnprocessableEntity, r.status, "body: %s", r.body)
	list, ok := r.json(t)["detail"].([]any)
	require.True(t, ok, "detail is not a list: %s", r.body)
	var out []fieldErr
	for _, e := range list {
		m, ok := e.(map[string]any)
		require.True(t, ok)
		require.Contains(t, m, "input")
		loc, _ := m["loc"].([]any)
		typ, _ := m["type"].(string)
		msg, _ := m["msg"].(string)
		out = append(out, fieldErr{Loc: loc, Type: typ, Msg: msg})
	}
	return out
}

func TestLoginValidation(t *testing.T) {
	f := newFixture(t)
	missing := func(name string) fieldErr {
		return fieldErr{[]any{"body", name}, "missing", "Field required"}
	}
	tests := []struct {
		name        string
		body        string
		contentType string
		want        []fieldErr
	}{
		{"empty body", "", "", []fieldErr{{[]any{"body"}, "missing", "Field required"}}},
		{"invalid JSON", `{"server_id": `, "application/json",
			[]fieldErr{{[]any{"body"}, "json_invalid", "JSON decode error"}}},
		{"not an object", `["x"]`, "application/json", []fieldErr{{[]any{"body"}, "model_attributes_type",
			"Input should be a valid dictionary or object to extract fields from"}}},
		{"every field missing", `{}`, "application/json",
			[]fieldErr{missing("server_id"), missing("credential_id"), missing("run_id"), missing("run_context")}},
		{"every field ill-typed", `{"server_id": 5, "credential_id": "nope", "run_id": 4242, "run_context": "x"}`, "application/json",
			[]fieldErr{
				{[]any{"body", "server_id"}, "uuid_type", "UUID input should be a string, bytes or UUID object"},
				{[]any{"body", "credential_id"}, "uuid_parsing", "Input should be a valid UUID"},
				{[]any{"body", "run_id"}, "string_type", "Input should be a valid string"},
				{[]any{"body", "run_context"}, "dict_type", "Input should be a valid dictionary"},
			}},
		{"null server_id", `{"server_id": null, "credential_id": "` + credID + `", "run_id": "1", "run_context": {}}`, "",
			[]fieldErr{{[]any{"body", "server_id"}, "uuid_type", "UUID input should be a string, bytes or UUID object"}}},
		{"UUID too short", `{"server_id": "6f1c2b8e-3d4a-4e5f-9a6b", "credential_id": "` + credID + `", "run_id": "1", "run_context": {}}`, "",
			[]fieldErr{{[]any{"body", "server_id"}, "uuid_parsing", "Input should be a valid UUID"}}},
		{"UUID with misplaced hyphens", `{"server_id": "6f1c2b8e3-d4a-4e5f-9a6b-7c8d9e0f1a2b", "credential_id": "` + credID + `", "run_id": "1", "run_context": {}}`, "",
			[]fieldErr{{[]any{"body", "server_id"}, "uuid_parsing", "Input should be a valid UUID"}}},
		{"run_context values must be strings", `{"server_id": "` + serverID + `", "credential_id": "` + credID + `", "run_id": "1", "run_context": {"sha": 1, "ref": "x", "actor": true}}`, "",
			[]fieldErr{
				{[]any{"body", "run_context", "actor"}, "string_type", "Input should be a valid string"},
				{[]any{"body", "run_context", "sha"}, "string_type", "Input should be a valid string"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, f.ts.URL+loginPath, strings.NewReader(tt.body))
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+keyAll)
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			resp, err := f.ts.Client().Do(req)
			require.NoError(t, err)
			assert.Equal(t, tt.want, validationErrors(t, readReply(t, resp)))
		})
	}
	assert.Empty(t, f.api.Operations())
}

func TestLogoutValidation(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name string
		body string
		want []fieldErr
	}{
		{"every field missing", `{}`, []fieldErr{
			{[]any{"body", "server_id"}, "missing", "Field required"},
			{[]any{"body", "registry_url"}, "missing", "Field required"},
			{[]any{"body", "run_id"}, "missing", "Field required"},
			{[]any{"body", "run_context"}, "missing", "Field required"},
		}},
		{"empty registry_url", logoutBody(serverID, ""),
			[]fieldErr{{[]any{"body", "registry_url"}, "string_too_short", "String should have at least 1 character"}}},
		{"ill-typed registry_url", `{"server_id": "` + serverID + `", "registry_url": ["ghcr.io"], "run_id": "1", "run_context": {}}`,
			[]fieldErr{{[]any{"body", "registry_url"}, "string_type", "Input should be a valid string"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, validationErrors(t, f.do(t, http.MethodPost, logoutPath, keyAll, tt.body)))
		})
	}
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
