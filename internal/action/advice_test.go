package action

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/reoclo/docker-auth/internal/reoclo"
)

// explain says what to do about each answer of the API, before its facts.
func TestExplain(t *testing.T) {
	status := func(code int, detail string) error {
		return &reoclo.Error{Method: "POST", URL: "u", StatusCode: code, Detail: detail, Attempts: 1}
	}
	unreachable := &reoclo.Error{Method: "POST", URL: "u", Attempts: 6, Err: errors.New("connection refused")}
	cancelled := &reoclo.Error{Method: "POST", URL: "u", Attempts: 1, Err: errors.New("connection refused"),
		Cause: &CancelledError{Signal: os.Interrupt}}
	for err, want := range map[error]string{
		status(401, `API says "Invalid API key"`): "the API key was refused: it is missing, invalid or expired; create a new automation key in Reoclo " +
			`and update the secret (401 Unauthorized from POST u: API says "Invalid API key")`,
		status(403, `API says "Credential not in scope"`):               "in Reoclo, add it to the key's Allowed Credentials (403",
		status(403, `API says "Server not in scope"`):                   "in Reoclo, add it to the key's Allowed Servers (403",
		status(403, `API says "Operation registry_logout not allowed"`): "add it to the key's Allowed Operations (registry_login, registry_logout) (403",
		status(403, `API says "IP not allowed"`):                        "add it to the key's Allowed Operations, Allowed Servers and Allowed Credentials (403",
		status(404, `API says "Credential not found"`):                  "the credential was not found: check credential_id (404",
		status(404, `API says "Server not found"`):                      "the server was not found: check server_id (404",
		status(404, ""):                    "not found: check api_url, server_id and credential_id (404 Not Found from POST u)",
		status(422, "body.server_id: bad"): "the API rejected the request as invalid (422",
		status(429, ""):                    "the API is rate limiting this key (429",
		status(502, ""):                    "the API is having trouble (502",
		status(400, ""):                    "the API refused the request (400",
		unreachable:                        "cannot reach the API: POST u failed on 6 attempts; last error: connection refused; check api_url",
		cancelled:                          "cancelled (received interrupt) (last attempt: connection refused)",
		context.Canceled:                   "context canceled",
	} {
		assert.Contains(t, explain(err).Error(), want)
	}
}
