package fakeapi

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const keyOther = "rca_other"

// limited returns a fake API with two keys limited to rl on a manual clock,
// and a function that polls an unknown operation with a key ("": none).
func limited(rl RateLimit) (*Server, *clock, func(key string) *httptest.ResponseRecorder) {
	c := &clock{t: t0}
	api := New()
	api.now = c.Now
	api.AddKey(keyAll, AllScopes())
	api.AddKey(keyOther, AllScopes())
	api.SetRateLimit(rl)
	return api, c, func(key string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, opsPath+unknownID, nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		return rec
	}
}

func TestRateLimit(t *testing.T) {
	t.Run("per key", func(t *testing.T) {
		api, _, get := limited(RateLimit{Limit: 2, Window: time.Minute})
		for range 2 {
			require.Equal(t, http.StatusNotFound, get(keyAll).Code)
		}
		rec := get(keyAll)
		assert.Equal(t, http.StatusTooManyRequests, rec.Code)
		assert.JSONEq(t, `{"detail": "Rate limit exceeded"}`, rec.Body.String())
		assert.Equal(t, "60", rec.Header().Get("Retry-After"))
		assert.Equal(t, http.StatusNotFound, get(keyOther).Code, "another key has its own budget")
		assert.Equal(t, http.StatusUnauthorized, get("").Code, "no key: not limited")
		assert.Equal(t, http.StatusUnauthorized, get("rca_unknown").Code, "a bad key: not limited")
		api.Script(RouteOperation, Fault{Status: http.StatusServiceUnavailable})
		assert.Equal(t, http.StatusServiceUnavailable, get(keyAll).Code, "a scripted fault comes first")

		var tooMany int
		for _, r := range api.Requests() {
			if r.Status == http.StatusTooManyRequests {
				tooMany++
			}
		}
		assert.Equal(t, 1, tooMany)
	})

	t.Run("the window slides", func(t *testing.T) {
		_, clock, get := limited(RateLimit{Limit: 2, Window: 10 * time.Second})
		require.Equal(t, http.StatusNotFound, get(keyAll).Code)
		clock.Advance(3 * time.Second)
		require.Equal(t, http.StatusNotFound, get(keyAll).Code)
		clock.Advance(2500 * time.Millisecond)
		rec := get(keyAll)
		assert.Equal(t, http.StatusTooManyRequests, rec.Code)
		assert.Equal(t, "5", rec.Header().Get("Retry-After"), "4.5 s rounded up")

		clock.Advance(4500 * time.Millisecond) // t0+10s: the first request leaves the window
		assert.Equal(t, http.StatusNotFound, get(keyAll).Code)
		rec = get(keyAll)
		assert.Equal(t, http.StatusTooManyRequests, rec.Code)
		assert.Equal(t, "3", rec.Header().Get("Retry-After"))
		clock.Advance(3 * time.Second)
		assert.Equal(t, http.StatusNotFound, get(keyAll).Code, "429s do not count")
	})

	t.Run("headers count down", func(t *testing.T) {
		_, clock, get := limited(RateLimit{Limit: 3, Window: time.Minute, Headers: true})
		for i, want := range []struct{ remaining, reset string }{{"2", "60"}, {"1", "50"}, {"0", "40"}} {
			h := get(keyAll).Header()
			assert.Equal(t, "3", h.Get("X-RateLimit-Limit"), "request %d", i+1)
			assert.Equal(t, want.remaining, h.Get("X-RateLimit-Remaining"), "request %d", i+1)
			assert.Equal(t, want.reset, h.Get("X-RateLimit-Reset"), "request %d", i+1)
			clock.Advance(10 * time.Second)
		}
		assert.Equal(t, "3", get(keyOther).Header().Get("X-RateLimit-Limit"))
		assert.Empty(t, get("").Header().Get("X-RateLimit-Limit"), "not for a request without a key")
	})

	t.Run("no headers unless asked", func(t *testing.T) {
		_, _, get := limited(RateLimit{Limit: 3, Window: time.Minute})
		h := get(keyAll).Header()
		for _, name := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
			assert.Empty(t, h.Get(name), name)
		}
	})

	t.Run("the zero RateLimit removes the limit", func(t *testing.T) {
		api, _, get := limited(RateLimit{Limit: 1, Window: time.Minute})
		get(keyAll)
		require.Equal(t, http.StatusTooManyRequests, get(keyAll).Code)
		api.SetRateLimit(RateLimit{})
		for range 5 {
			assert.Equal(t, http.StatusNotFound, get(keyAll).Code)
		}
	})
}
