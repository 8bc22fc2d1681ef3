package fakeapi

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOperationSnapshot(t *testing.T) {
	f := newFixture(t)
	id := f.login(t, serverID, credID)
	f.poll(t, id)
	op := f.api.Operations()[0]
	assert.Equal(t, Operation{
		ID:           id,
		Type:         OpRegistryLogin,
		ServerID:     serverID,
		ServerName:   "prod-api",
		CredentialID: credID,
		RegistryURL:  "ghcr.io",
		RegistryType: "ghcr",
		Status:       StatusRunning,
		RunID:        "4242",
		RunContext:   map[string]any{"provider": "github_actions", "repository": "acme/webshop", "sha": "0123"},
		StartedAt:    t0,
		Polls:        1,
	}, op)

	op.RunContext["provider"] = "changed"
	f.clock.Advance(time.Second)
	op = f.api.Operations()[0]
	assert.Equal(t, "github_actions", op.RunContext["provider"], "a snapshot is a copy")
	assert.Equal(t, StatusCompleted, op.Status, "Operations settles by the clock without a request")
	assert.Equal(t, &Result{Stdout: "Login Succeeded", DurationMS: 1000}, op.Result)
	assert.Equal(t, t0.Add(time.Second), op.CompletedAt)

	f.logout(t)
	ops := f.api.Operations()
	require.Len(t, ops, 2)
	assert.Equal(t, id, ops[0].ID)
	assert.Equal(t, OpRegistryLogout, ops[1].Type)
	assert.Empty(t, ops[1].CredentialID)
}

func TestTimestampsUseUTCMicroseconds(t *testing.T) {
	loc := time.FixedZone("X", 2*3600)
	assert.Equal(t, "2026-04-14T01:00:00.123456Z", timestamp(time.Date(2026, 4, 14, 3, 0, 0, 123456789, loc)))
}

func TestDefaultClockIsRealTime(t *testing.T) {
	api := New()
	api.AddKey(keyAll, AllScopes())
	api.AddServer(serverID, "prod-api")
	api.AddCredential(Credential{ID: credID, RegistryURL: "ghcr.io", RegistryType: "ghcr", LoginDuration: Never})
	f := &fixture{api: api}
	f.ts = newServer(t, api)

	before := time.Now()
	f.login(t, serverID, credID)
	assert.WithinRange(t, api.Operations()[0].StartedAt, before, time.Now())
}

func TestConcurrentUse(t *testing.T) {
	f := newFixture(t)
	const workers = 8
	// Workers report back instead of asserting: require must not be called
	// outside the test's goroutine.
	work := func(w int) error {
		id := fmt.Sprintf("%08x-0000-4000-8000-000000000000", w)
		f.api.AddServer(id, fmt.Sprint("server-", w))
		for range 5 {
			r, err := f.send(t.Context(), http.MethodPost, loginPath, keyAll, loginBody(id, credID))
			if err != nil {
				return fmt.Errorf("worker %d: login: %w", w, err)
			}
			if r.status != http.StatusAccepted {
				return fmt.Errorf("worker %d: login: status %d, body %s", w, r.status, r.body)
			}
			f.clock.Advance(100 * time.Millisecond)
			f.api.LoggedIn()
			f.api.Requests()
			f.api.Script(RouteOperation, Fault{Status: http.StatusServiceUnavailable})
			if _, err := f.send(t.Context(), http.MethodGet, opsPath+unknownID, keyAll, ""); err != nil {
				return fmt.Errorf("worker %d: poll: %w", w, err)
			}
		}
		return nil
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { errs[w] = work(w) })
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
	f.clock.Advance(time.Second)
	assert.Len(t, f.api.LoggedIn(), workers)
	assert.Len(t, f.api.Operations(), workers*5)
	assert.Len(t, f.api.Requests(), workers*10)
}
