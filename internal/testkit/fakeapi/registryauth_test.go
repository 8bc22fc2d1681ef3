package fakeapi

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNotFound(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, method, path, body, detail string
	}{
		{"login on an unknown server", http.MethodPost, loginPath, loginBody(unknownID, credID), "Server not found"},
		{"login with an unknown credential", http.MethodPost, loginPath, loginBody(serverID, unknownID), "Credential not found"},
		{"logout on an unknown server", http.MethodPost, logoutPath, logoutBody(unknownID, "ghcr.io"), "Server not found"},
		{"unknown operation", http.MethodGet, opsPath + unknownID, "", "Operation not found"},
		{"operation ID that is not a UUID", http.MethodGet, opsPath + "nope", "", "Operation not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, tt.method, tt.path, keyAll, tt.body)
			assert.Equal(t, http.StatusNotFound, r.status)
			assert.Equal(t, tt.detail, r.detail(t))
		})
	}
	assert.Empty(t, f.api.Operations())
}

func TestLoginPollCompleted(t *testing.T) {
	f := newFixture(t)

	r := f.do(t, http.MethodPost, loginPath, keyAll, loginBody(serverID, credID))
	require.Equal(t, http.StatusAccepted, r.status, "body: %s", r.body)
	assert.Equal(t, "application/json", r.header.Get("Content-Type"))
	start := r.json(t)
	id, _ := start["operation_id"].(string)
	_, isUUID := parseUUID(id)
	assert.True(t, isUUID, "operation_id %q", id)
	assert.Equal(t, map[string]any{
		"operation_id": id, "status": "running", "registry_url": "ghcr.io", "registry_type": "ghcr",
	}, start)

	runContext := map[string]any{"provider": "github_actions", "repository": "acme/webshop", "sha": "0123"}
	assert.Equal(t, map[string]any{
		"operation_id":   id,
		"operation_type": "registry_login",
		"server_id":      serverID,
		"server_name":    "prod-api",
		"status":         "running",
		"result":         nil,
		"run_id":         "4242",
		"run_context":    runContext,
		"started_at":     "2026-04-14T01:00:00Z",
		"completed_at":   nil,
	}, f.poll(t, id))
	assert.Empty(t, f.api.LoggedIn(), "nobody is logged in while the login runs")

	f.clock.Advance(999 * time.Millisecond)
	assert.Equal(t, "running", f.poll(t, id)["status"])

	f.clock.Advance(time.Millisecond)
	assert.Equal(t, map[string]any{
		"operation_id":   id,
		"operation_type": "registry_login",
		"server_id":      serverID,
		"server_name":    "prod-api",
		"status":         "completed",
		"result":         map[string]any{"exit_code": float64(0), "stdout": "Login Succeeded", "stderr": "", "duration_ms": float64(1000)},
		"run_id":         "4242",
		"run_context":    runContext,
		"started_at":     "2026-04-14T01:00:00Z",
		"completed_at":   "2026-04-14T01:00:01Z",
	}, f.poll(t, id))
	assert.Equal(t, map[string][]string{serverID: {"ghcr.io"}}, f.api.LoggedIn())
}

func TestLoginAcceptsAnyUUIDSpelling(t *testing.T) {
	f := newFixture(t)
	f.api.AddServer("0A0B0C0D11114222833344445555666", "bad") // 31 digits: never matches
	id := f.login(t, "6F1C2B8E3D4A4E5F9A6B7C8D9E0F1A2B", strings.ToUpper(credID))
	assert.Equal(t, serverID, f.poll(t, id)["server_id"], "server_id is reported canonically")
}

func TestLoginOutcomes(t *testing.T) {
	tests := []struct {
		name     string
		cred     Credential
		status   string
		result   map[string]any
		loggedIn bool
	}{
		{"default", Credential{}, "completed",
			map[string]any{"exit_code": float64(0), "stdout": "Login Succeeded", "stderr": "", "duration_ms": float64(2000)}, true},
		{"failed with output", Credential{Status: StatusFailed, Result: Result{ExitCode: 1, Stderr: "Error response from daemon: denied", DurationMS: 150}},
			"failed", map[string]any{"exit_code": float64(1), "stdout": "", "stderr": "Error response from daemon: denied", "duration_ms": float64(150)}, false},
		{"completed but exit code 1", Credential{Result: Result{ExitCode: 1}}, "completed",
			map[string]any{"exit_code": float64(1), "stdout": "", "stderr": "", "duration_ms": float64(2000)}, false},
		{"completed without an exit code", Credential{Result: Result{MissingExitCode: true, Stdout: "Login Succeeded"}}, "completed",
			map[string]any{"stdout": "Login Succeeded", "stderr": "", "duration_ms": float64(2000)}, false},
		{"timeout", Credential{Status: StatusTimeout, Result: Result{ExitCode: 124}}, "timeout",
			map[string]any{"exit_code": float64(124), "stdout": "", "stderr": "", "duration_ms": float64(2000)}, false},
		{"an unknown terminal status", Credential{Status: "cancelled"}, "cancelled",
			map[string]any{"exit_code": float64(0), "stdout": "Login Succeeded", "stderr": "", "duration_ms": float64(2000)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			c := tt.cred
			c.ID, c.RegistryURL, c.RegistryType, c.LoginDuration = credID, "ghcr.io", "ghcr", 2*time.Second
			f.api.AddCredential(c)

			id := f.login(t, serverID, credID)
			f.clock.Advance(2 * time.Second)
			op := f.poll(t, id)
			assert.Equal(t, tt.status, op["status"])
			assert.Equal(t, tt.result, op["result"])
			assert.Equal(t, "2026-04-14T01:00:02Z", op["completed_at"])
			if tt.loggedIn {
				assert.Equal(t, map[string][]string{serverID: {"ghcr.io"}}, f.api.LoggedIn())
			} else {
				assert.Empty(t, f.api.LoggedIn())
			}
		})
	}
}

func TestLoginNeverFinishes(t *testing.T) {
	f := newFixture(t)
	f.api.AddCredential(Credential{ID: credID, RegistryURL: "ghcr.io", RegistryType: "ghcr", LoginDuration: Never})
	id := f.login(t, serverID, credID)

	f.clock.Advance(100 * 365 * 24 * time.Hour)
	op := f.poll(t, id)
	assert.Equal(t, "running", op["status"])
	assert.Nil(t, op["result"])
	assert.Nil(t, op["completed_at"])
	assert.Empty(t, f.api.LoggedIn())
}

func TestLoginZeroDurationFinishesAtOnce(t *testing.T) {
	f := newFixture(t)
	f.api.AddCredential(Credential{ID: credID, RegistryURL: "ghcr.io", RegistryType: "ghcr"})
	id := f.login(t, serverID, credID)
	assert.Equal(t, "completed", f.poll(t, id)["status"])
}

func TestHostileValuesAreEncodedFaithfully(t *testing.T) {
	f := newFixture(t)
	const pattern = "abc\n<>&\"\\\t\u00e9"
	stdout := "::set-output name=registry_url::evil\n::add-mask::x\r\n" + strings.Repeat(pattern, 5<<20/len(pattern)+1)
	stderr := "line1\nline2\x00\u2028end"
	f.api.AddCredential(Credential{
		ID: credID, RegistryURL: "ghcr.io\n::set-output name=x::y", RegistryType: "ghcr",
		Result: Result{Stdout: stdout, Stderr: stderr},
	})

	r := f.do(t, http.MethodPost, loginPath, keyAll, loginBody(serverID, credID))
	require.Equal(t, http.StatusAccepted, r.status)
	start := r.json(t)
	assert.Equal(t, "ghcr.io\n::set-output name=x::y", start["registry_url"], "the URL is returned as is")

	id, _ := start["operation_id"].(string)
	result, _ := f.poll(t, id)["result"].(map[string]any)
	require.NotNil(t, result)
	got, ok := result["stdout"].(string)
	require.True(t, ok, "stdout is a %T", result["stdout"])
	// Not assert.Equal: on a mismatch its diff of two 5 MB strings would bury the report.
	assert.Equal(t, -1, firstDiff(stdout, got), "first byte at which stdout differs after the round trip")
	assert.Equal(t, stderr, result["stderr"])
}

func TestLogout(t *testing.T) {
	t.Run("immediate", func(t *testing.T) {
		f := newFixture(t)
		f.login(t, serverID, credID)
		f.clock.Advance(time.Second)
		require.Equal(t, map[string][]string{serverID: {"ghcr.io"}}, f.api.LoggedIn())

		r := f.logout(t)
		assert.Equal(t, http.StatusOK, r.status)
		body := r.json(t)
		id, _ := body["operation_id"].(string)
		assert.Equal(t, map[string]any{"operation_id": id, "status": "completed"}, body)
		assert.Empty(t, f.api.LoggedIn())

		op := f.poll(t, id)
		assert.Equal(t, "registry_logout", op["operation_type"])
		assert.Equal(t, map[string]any{"exit_code": float64(0), "stdout": "Removing login credentials for ghcr.io",
			"stderr": "", "duration_ms": float64(0)}, op["result"])
	})

	t.Run("followed to completion", func(t *testing.T) {
		f := newFixture(t)
		f.api.SetLogoutDuration(3 * time.Second)
		f.login(t, serverID, credID)
		f.clock.Advance(time.Second)

		r := f.logout(t)
		assert.Equal(t, http.StatusAccepted, r.status)
		body := r.json(t)
		id, _ := body["operation_id"].(string)
		assert.Equal(t, map[string]any{"operation_id": id, "status": "running"}, body)

		op := f.poll(t, id)
		assert.Equal(t, "running", op["status"])
		assert.Nil(t, op["result"])
		assert.Equal(t, map[string][]string{serverID: {"ghcr.io"}}, f.api.LoggedIn(), "still logged in while the logout runs")

		f.clock.Advance(3 * time.Second)
		op = f.poll(t, id)
		assert.Equal(t, "completed", op["status"])
		assert.Equal(t, "2026-04-14T01:00:04Z", op["completed_at"])
		assert.Empty(t, f.api.LoggedIn())
	})

	t.Run("failed", func(t *testing.T) {
		f := newFixture(t)
		f.api.SetLogout(Logout{Status: StatusFailed, Result: Result{ExitCode: 1, Stderr: "boom"}})
		f.login(t, serverID, credID)
		f.clock.Advance(time.Second)

		r := f.logout(t)
		assert.Equal(t, http.StatusOK, r.status)
		assert.Equal(t, "failed", r.json(t)["status"])
		assert.Equal(t, map[string][]string{serverID: {"ghcr.io"}}, f.api.LoggedIn())
	})

	t.Run("other registries stay", func(t *testing.T) {
		f := newFixture(t)
		f.api.AddCredential(Credential{ID: cred2ID, RegistryURL: "docker.io", RegistryType: "docker_hub"})
		f.login(t, serverID, credID)
		f.login(t, serverID, cred2ID)
		f.clock.Advance(time.Second)
		require.Equal(t, map[string][]string{serverID: {"docker.io", "ghcr.io"}}, f.api.LoggedIn())

		f.logout(t)
		assert.Equal(t, map[string][]string{serverID: {"docker.io"}}, f.api.LoggedIn())
	})
}

// TestLoggedInSettlesInFinishOrder checks that logins and logouts take effect
// in the order they finish, not the order they started or were observed.
func TestLoggedInSettlesInFinishOrder(t *testing.T) {
	tests := []struct {
		name          string
		loginTakes    time.Duration
		logoutAfter   time.Duration // when the logout starts
		logoutTakes   time.Duration
		observeAt     []time.Duration // LoggedIn checks before the end, each with its expectation
		observed      []bool
		finallyLogged bool
	}{
		{"logout after the login finished", time.Second, 2 * time.Second, 0, nil, nil, false},
		{"login finishing after an immediate logout", 10 * time.Second, time.Second, 0,
			[]time.Duration{time.Second, 9 * time.Second}, []bool{false, false}, true},
		{"login finishing after a slow logout, unobserved in between", 10 * time.Second, time.Second, 2 * time.Second, nil, nil, true},
		{"slow logout finishing after the login, unobserved in between", time.Second, 0, 5 * time.Second, nil, nil, false},
		{"slow logout finishing after the login, observed", time.Second, 0, 5 * time.Second,
			[]time.Duration{time.Second, 4 * time.Second}, []bool{true, true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.api.AddCredential(Credential{ID: credID, RegistryURL: "ghcr.io", RegistryType: "ghcr", LoginDuration: tt.loginTakes})
			f.api.SetLogoutDuration(tt.logoutTakes)

			f.login(t, serverID, credID)
			f.clock.Advance(tt.logoutAfter)
			f.logout(t)
			for i, at := range tt.observeAt {
				f.clock.Advance(t0.Add(at).Sub(f.clock.Now()))
				assert.Equal(t, tt.observed[i], len(f.api.LoggedIn()) > 0, "at %v", at)
			}
			f.clock.Advance(t0.Add(time.Minute).Sub(f.clock.Now()))
			if tt.finallyLogged {
				assert.Equal(t, map[string][]string{serverID: {"ghcr.io"}}, f.api.LoggedIn())
			} else {
				assert.Empty(t, f.api.LoggedIn())
			}
		})
	}
}
