package fakeapi

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestScriptAnswersInOrder(t *testing.T) {
	f := newFixture(t)
	const page = "<html><body>502 Bad Gateway</body></html>"
	f.api.Script(RouteLogin,
		Fault{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"7"}}},
		Fault{Status: http.StatusBadGateway, Body: page, ContentType: "text/html", Times: 2},
		Fault{Body: `{"detail":"boom"}`},
	)
	body := loginBody(serverID, credID)

	r := f.do(t, http.MethodPost, loginPath, keyAll, body)
	assert.Equal(t, http.StatusTooManyRequests, r.status)
	assert.Equal(t, "7", r.header.Get("Retry-After"))
	assert.Equal(t, "application/json", r.header.Get("Content-Type"))
	assert.Equal(t, "Too Many Requests", r.detail(t))

	for range 2 {
		r = f.do(t, http.MethodPost, loginPath, keyAll, body)
		assert.Equal(t, http.StatusBadGateway, r.status)
		assert.Equal(t, "text/html", r.header.Get("Content-Type"))
		assert.Equal(t, page, string(r.body))
	}

	r = f.do(t, http.MethodPost, loginPath, keyAll, body)
	assert.Equal(t, http.StatusInternalServerError, r.status, "status 0 means 500")
	assert.JSONEq(t, `{"detail":"boom"}`, string(r.body))

	assert.Empty(t, f.api.Operations(), "faulted requests start nothing")
	r = f.do(t, http.MethodPost, loginPath, keyAll, body)
	assert.Equal(t, http.StatusAccepted, r.status, "the script is used up")
	assert.Len(t, f.api.Operations(), 1)
}

func TestScriptCallsQueueUp(t *testing.T) {
	f := newFixture(t)
	f.api.Script(RouteOperation, Fault{Status: http.StatusServiceUnavailable})
	f.api.Script(RouteOperation, Fault{Status: http.StatusGatewayTimeout})
	id := f.login(t, serverID, credID)

	assert.Equal(t, http.StatusServiceUnavailable, f.do(t, http.MethodGet, opsPath+id, keyAll, "").status)
	assert.Equal(t, http.StatusGatewayTimeout, f.do(t, http.MethodGet, opsPath+id, keyAll, "").status)
	assert.Equal(t, http.StatusOK, f.do(t, http.MethodGet, opsPath+id, keyAll, "").status)
}

func TestScriptForever(t *testing.T) {
	f := newFixture(t)
	f.api.Script(RouteLogout, Fault{Status: http.StatusServiceUnavailable, Times: Forever}, Fault{Status: http.StatusTeapot})
	for range 5 {
		assert.Equal(t, http.StatusServiceUnavailable, f.logout(t).status)
	}
}

func TestScriptMatchesOnlyItsRoute(t *testing.T) {
	f := newFixture(t)
	f.api.Script(RouteLogin, Fault{Status: http.StatusServiceUnavailable, Times: Forever})
	f.api.Script(RouteOperation, Fault{Status: http.StatusBadGateway, Times: Forever})

	assert.Equal(t, http.StatusOK, f.logout(t).status, "another route")
	assert.Equal(t, http.StatusMethodNotAllowed, f.do(t, http.MethodGet, loginPath, keyAll, "").status, "another method")
	assert.Equal(t, http.StatusNotFound, f.do(t, http.MethodPost, loginPath+"/", keyAll, "").status, "another path")
	assert.Equal(t, http.StatusBadGateway, f.do(t, http.MethodGet, opsPath+unknownID, keyAll, "").status, "any operation ID")
	assert.Equal(t, http.StatusServiceUnavailable, f.do(t, http.MethodPost, loginPath, "", "").status,
		"faults answer before authentication")
}

func TestScriptRedirect(t *testing.T) {
	f := newFixture(t)
	f.api.Script(RouteLogin, Fault{Status: http.StatusMovedPermanently, Header: http.Header{"Location": {"https://elsewhere.example/"}}})
	client := f.ts.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, f.ts.URL+loginPath, nil)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	require.NoError(t, err)
	r := readReply(t, resp)
	assert.Equal(t, http.StatusMovedPermanently, r.status)
	assert.Equal(t, "https://elsewhere.example/", r.header.Get("Location"))
}

func TestScriptDrop(t *testing.T) {
	f := newFixture(t)
	f.api.Script(RouteLogin, Fault{Drop: true})
	body := loginBody(serverID, credID)

	_, err := f.send(t.Context(), http.MethodPost, loginPath, keyAll, body)
	require.Error(t, err, "the client must see the connection drop")
	assert.Empty(t, f.api.Operations())

	r := f.do(t, http.MethodPost, loginPath, keyAll, body)
	assert.Equal(t, http.StatusAccepted, r.status)

	reqs := f.api.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, 0, reqs[0].Status, "a dropped request has no status")
	assert.Equal(t, body, string(reqs[0].Body), "the body is recorded before the drop")
	assert.Equal(t, http.StatusAccepted, reqs[1].Status)
}

func TestScriptedHeadersAreCopied(t *testing.T) {
	f := newFixture(t)
	h := http.Header{"Retry-After": {"1"}}
	f.api.Script(RouteLogin, Fault{Status: http.StatusTooManyRequests, Header: h})
	h.Set("Retry-After", "999")
	assert.Equal(t, "1", f.do(t, http.MethodPost, loginPath, keyAll, "").header.Get("Retry-After"))
}

func TestScriptCutShort(t *testing.T) {
	f := newFixture(t)
	f.api.Script(RouteLogin, Fault{Through: true, CutShort: true})
	_, err := f.send(t.Context(), http.MethodPost, loginPath, keyAll, loginBody(serverID, credID))
	require.ErrorIs(t, err, io.ErrUnexpectedEOF, "the body ends before its Content-Length")
	assert.Len(t, f.api.Operations(), 1, "handled normally: the login was started")

	f.api.Script(RouteLogin, Fault{Status: http.StatusServiceUnavailable, CutShort: true})
	_, err = f.send(t.Context(), http.MethodPost, loginPath, keyAll, loginBody(serverID, credID))
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Len(t, f.api.Operations(), 1, "a scripted answer starts nothing")
}

func TestScriptDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		api := New()
		api.AddKey(keyAll, AllScopes())
		api.AddServer(serverID, "prod-api")
		api.AddCredential(Credential{ID: credID, RegistryURL: "ghcr.io", RegistryType: "ghcr", LoginDuration: time.Second})
		post := func(ctx context.Context) *httptest.ResponseRecorder {
			req := httptest.NewRequestWithContext(ctx, http.MethodPost, loginPath, strings.NewReader(loginBody(serverID, credID)))
			req.Header.Set("Authorization", "Bearer "+keyAll)
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			api.ServeHTTP(rec, req)
			return rec
		}

		api.Script(RouteLogin, Fault{Through: true, Delay: 2 * time.Second, Header: http.Header{"X-Slow": {"yes"}}})
		start := time.Now()
		rec := post(t.Context())
		assert.Equal(t, 2*time.Second, time.Since(start), "answered after the delay")
		assert.Equal(t, http.StatusAccepted, rec.Code)
		assert.Equal(t, "yes", rec.Header().Get("X-Slow"))

		// A client that gives up meanwhile gets nothing; the login was started.
		api.Script(RouteLogin, Fault{Through: true, Delay: time.Hour})
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start = time.Now()
		rec = post(ctx)
		assert.Equal(t, time.Second, time.Since(start))
		assert.Empty(t, rec.Body.String())
		assert.Len(t, api.Operations(), 2)
	})
}

func TestNumberFormsAndReplyOperationID(t *testing.T) {
	f := newFixture(t)
	f.api.AddCredential(Credential{ID: cred2ID, RegistryURL: "ghcr.io", RegistryType: "ghcr",
		Result: Result{Stdout: "Login Succeeded", DurationJSON: "412.7"}, ReplyOperationID: "../not-an-id"})
	r := f.do(t, http.MethodPost, loginPath, keyAll, loginBody(serverID, cred2ID))
	require.Equal(t, http.StatusAccepted, r.status)
	assert.Equal(t, "../not-an-id", r.json(t)["operation_id"])
	ops := f.api.Operations()
	require.Len(t, ops, 1)
	assert.NotEqual(t, "../not-an-id", ops[0].ID, "the login runs under its real ID")
	assert.Contains(t, string(f.do(t, http.MethodGet, opsPath+ops[0].ID, keyAll, "").body), `"duration_ms":412.7`)
}
