package reoclo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reoclo/docker-auth/internal/testkit/memnet"
)

const (
	testKey  = "rca_test_5ecret_key"
	apiURL   = "http://127.0.0.1:8080" // memnet serves it in memory
	login    = "POST " + apiURL + "/reoclo/api/automation/v1/registry-auth/login"
	accepted = `{"operation_id":"op-1","status":"running","registry_url":"ghcr.io","registry_type":"ghcr"}`
	busy     = `{"detail":"busy"}`
)

// reply is one scripted answer of the test API.
type reply func(w http.ResponseWriter, r *http.Request)

// status answers code with body, as JSON unless header (name, value, …)
// says otherwise.
func status(code int, body string, header ...string) reply {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}
}

// cut sends body under a longer Content-Length, then drops the connection;
// with no body, it drops the connection alone.
func cut(body string) reply {
	return func(w http.ResponseWriter, _ *http.Request) {
		conn, buf, _ := http.NewResponseController(w).Hijack()
		if body != "" {
			_, _ = fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body)+100, body)
			_ = buf.Flush()
		}
		_ = conn.Close()
	}
}

// harness is a client of a scripted API served in memory, with what the API
// got and the client's debug lines. Make it inside synctest.Test: retry
// waits, timeouts and polls then run on the bubble's fake clock.
type harness struct {
	client   *Client
	start    time.Time
	mu       sync.Mutex
	requests []*http.Request
	bodies   []string
	at       []time.Duration // when each request arrived
	lines    []string        // the client's debug lines
}

// Debugf is the client's Log, called from the goroutine of its call.
func (h *harness) Debugf(format string, args ...any) {
	h.lines = append(h.lines, fmt.Sprintf(format, args...))
}

// newHarness answers the n-th request with replies[n-1], and every later
// one with the last reply; with no replies every connection is refused.
func newHarness(t *testing.T, replies ...reply) *harness {
	t.Helper()
	h := &harness{start: time.Now()}
	tr := memnet.Refused()
	if len(replies) > 0 {
		tr = memnet.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			h.mu.Lock()
			h.requests, h.bodies, h.at = append(h.requests, r), append(h.bodies, string(b)), append(h.at, time.Since(h.start))
			n := len(h.requests)
			h.mu.Unlock()
			replies[min(n, len(replies))-1](w, r)
		}))
	}
	base, err := url.Parse(apiURL + "/reoclo/")
	require.NoError(t, err)
	h.client = New(base, testKey, Options{Log: h, UserAgent: "reoclo-docker-auth/test", Transport: tr})
	return h
}

var loginReq = Request{ServerID: "s", CredentialID: "c", RunID: "4242", RunContext: RunContext{Provider: "github_actions"}}

// Each call's method, path under a self-hosted prefix, headers and JSON
// body; replies decoded (after a byte-order mark), a login's as sent; an
// operation ID that is not a plain identifier is never put in a URL.
func TestCallsKeepTheContract(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		long := strings.Repeat("x", 129)
		h := newHarness(t,
			status(202, "\xEF\xBB\xBF"+`{"operation_id":"../../x","registry_url":"ghcr.io","registry_type":"ghcr"}`),
			status(200, `{"operation_id":"op-9","server_id":"s","server_name":"prod-api","status":"completed",
				"result":{"exit_code":0,"stdout":"Login Succeeded"}}`),
			status(202, `{"operation_id":"op-10","status":"running"}`),
			status(202, `{"operation_id":"`+long+`","status":"running"}`))
		got, err := h.client.Login(t.Context(), t.Context(), loginReq)
		require.NoError(t, err)
		assert.Equal(t, &LoginAccepted{OperationID: "../../x", RegistryURL: "ghcr.io", RegistryType: "ghcr"}, got)
		_, err = h.client.Operation(t.Context(), got.OperationID)
		require.EqualError(t, err, `operation ID "../../x" is not a plain identifier`)

		op, err := h.client.Operation(t.Context(), "op-9")
		require.NoError(t, err)
		assert.True(t, op.Succeeded())
		out, err := h.client.Logout(t.Context(), Request{ServerID: "s", RegistryURL: "ghcr.io", RunID: "1"})
		require.NoError(t, err)
		assert.Equal(t, &LogoutAccepted{OperationID: "op-10", Status: "running"}, out)
		_, err = h.client.Logout(t.Context(), Request{ServerID: "s", RegistryURL: "ghcr.io", RunID: "1"})
		require.EqualError(t, err, `logout reply: operation ID "`+long[:40]+`…" is not a plain identifier`)

		path := "/reoclo/api/automation/v1"
		require.Len(t, h.requests, 4)
		for i, want := range []string{"POST " + path + "/registry-auth/login", "GET " + path + "/operations/op-9", "POST " + path + "/registry-auth/logout"} {
			r := h.requests[i]
			assert.Equal(t, want, r.Method+" "+r.URL.Path)
			assert.Equal(t, "Bearer "+testKey, r.Header.Get("Authorization"))
			assert.Equal(t, "application/json", r.Header.Get("Accept"))
			assert.Equal(t, "reoclo-docker-auth/test", r.Header.Get("User-Agent"))
			assert.Equal(t, map[bool]string{true: "application/json"}[r.Method == http.MethodPost], r.Header.Get("Content-Type"))
		}
		assert.JSONEq(t, `{"server_id":"s","credential_id":"c","run_id":"4242","run_context":{"provider":"github_actions"}}`, h.bodies[0])
		assert.JSONEq(t, `{"server_id":"s","registry_url":"ghcr.io","run_id":"1","run_context":{"provider":""}}`, h.bodies[2])
	})
}

// What a login gets from each kind of answer. An error status retrying
// cannot fix is sent once; 408, 5xx, a dropped connection and a reply cut
// short are retried, up to maxAttempts; the API is quoted in one bounded
// line; a redirect is followed only within api_url's origin; a reply is
// read through a size limit. A debug line per request, never the key.
func TestLoginOutcomes(t *testing.T) {
	page := "<html><title>502 Bad Gateway</title>" + strings.Repeat("\n", maxErrorBody)
	tests := []struct {
		name    string
		replies []reply // none: every connection refused
		want    string  // the error; "" for success
		n       int     // requests the API got
		temp    bool    // whether the error is Temporary
	}{
		{"transient failures retried", []reply{status(408, ""), cut(""), cut(accepted[:20]), status(202, accepted)}, "", 4, false},
		{"a detail", []reply{status(401, `{"detail":"Invalid API key"}`)},
			"401 Unauthorized from " + login + `: API says "Invalid API key"`, 1, false},
		{"a detail after a byte-order mark", []reply{status(403, "\xEF\xBB\xBF"+`{"detail":"Server not in scope"}`)},
			"403 Forbidden from " + login + `: API says "Server not in scope"`, 1, false},
		{"422 fields", []reply{status(422, `{"detail":[{"loc":["body","server_id"],"msg":"Input should be a valid UUID"},`+
			`{"loc":["body","run_context","provider"],"msg":"Field\nrequired"}]}`)},
			"422 Unprocessable Entity from " + login + ": body.server_id: Input should be a valid UUID; body.run_context.provider: Field required", 1, false},
		{"plain text", []reply{status(400, "bad\nrequest", "Content-Type", "text/plain; charset=utf-8")},
			"400 Bad Request from " + login + `: text/plain body (11 bytes) starting "bad request"`, 1, false},
		{"no body", []reply{status(404, "")}, "404 Not Found from " + login, 1, false},
		{"a page on every attempt", []reply{status(502, page, "Content-Type", "text/html")}, "502 Bad Gateway from " + login +
			`, after 6 attempts: text/html body (over 65536 bytes) starting "<html><title>502 Bad Gateway</title>"`, 6, true},
		{"unreachable", nil, login + " failed on 6 attempts; last error: dial tcp 127.0.0.1:80: connect: connection refused", 0, true},
		{"cut short every time", []reply{cut(accepted[:20])}, login + " failed on 6 attempts; last error: read reply: unexpected EOF", 6, true},
		{"over the size limit", []reply{status(202, `"`+strings.Repeat("a", MaxResponseBytes)+`"`)},
			login + " failed on 1 attempt; last error: reply is larger than 16 MiB", 1, false},
		{"not JSON", []reply{status(200, "<html>", "Content-Type", "text/html")},
			"the API's reply to " + login + " is not JSON: invalid character '<' looking for beginning of value", 1, true},
		{"a redirect within the origin", []reply{status(307, "", "Location", "HTTP://127.0.0.1.:8080/reoclo/moved"), status(202, accepted)}, "", 2, false},
		{"a redirect to another origin", []reply{status(307, "", "Location", "http://127.0.0.1:9999/steal")}, login + " failed on 1 attempt; " +
			"last error: refusing to follow a redirect from " + apiURL + " to http://127.0.0.1:9999/steal: the API key is only sent to api_url's origin", 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, tc.replies...)
				_, err := h.client.Login(t.Context(), t.Context(), loginReq)
				if tc.want == "" {
					require.NoError(t, err)
				} else {
					require.EqualError(t, err, tc.want)
					assert.Equal(t, tc.temp, Temporary(err))
				}
				assert.Len(t, h.requests, tc.n)
				lines := strings.Join(h.lines, "\n")
				assert.Regexp(t, `^(POST /reoclo/\S+ -> (\d{3}|error) \(\w+\)[^\n]*\n?)+$`, lines)
				assert.NotContains(t, lines+fmt.Sprint(err), testKey)
			})
		})
	}
}

// Retries wait the policy's backoff, with jitter, or a 429's longer
// Retry-After.
func TestRetriesWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, status(503, busy), status(429, busy, "Retry-After", "60"), status(202, accepted))
		_, err := h.client.Login(t.Context(), t.Context(), loginReq)
		require.NoError(t, err)
		require.Len(t, h.at, 3)
		assert.GreaterOrEqual(t, h.at[1], minRetryWait/2)
		assert.Less(t, h.at[1], minRetryWait, "not go-retryablehttp's own backoff")
		assert.Equal(t, 60*time.Second, h.at[2]-h.at[1], "past the 30 s each attempt may take")
	})
}

// How a call ends with its contexts. The login's soft stop (SIGINT) lets
// the attempt in flight answer, but sends no retry and ends a retry wait;
// the context ends everything at once. An API that never answers reads the
// same whether the attempts or the time ran out; a cancelled call is not
// called unreachable.
func TestCallsEndWithTheirContexts(t *testing.T) {
	refused := "dial tcp 127.0.0.1:80: connect: connection refused"
	interrupted, cancelled := errors.New("interrupted"), fmt.Errorf("cancelled (received interrupt): %w", context.Canceled)
	tests := []struct {
		name  string
		reply reply         // nil: every connection refused
		soft  bool          // the stop ends the soft context, not the call's
		at    time.Duration // when the stop comes; 0: while the API answers
		cause error
		want  string // "": the reply is kept
	}{
		{"soft: the reply in flight is kept", status(202, accepted), true, 0, interrupted, ""},
		{"soft: no retry after it", status(503, busy), true, 0, interrupted, "interrupted (last attempt: 503 Service Unavailable)"},
		{"soft: a retry wait ends at it", status(429, busy, "Retry-After", "30"), true, time.Second, interrupted,
			"interrupted (last attempt: 429 Too Many Requests)"},
		{"the attempt in flight ends at once", func(http.ResponseWriter, *http.Request) { time.Sleep(time.Hour) },
			false, 0, errors.New("terminated"), "terminated"},
		{"time ran out", nil, false, 300 * time.Millisecond, errors.New("timed out after 5s"),
			login + " failed on 2 attempts (timed out after 5s); last error: " + refused},
		{"cancelled", nil, false, 100 * time.Millisecond, cancelled, "cancelled (received interrupt): context canceled (last attempt: " + refused + ")"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancelCause(t.Context())
				soft, stopSoft := context.WithCancelCause(ctx)
				defer stopSoft(nil)
				stop := func() { cancel(tc.cause) }
				if tc.soft {
					stop = func() { stopSoft(tc.cause) }
				}
				if tc.at > 0 {
					time.AfterFunc(tc.at, stop)
				}
				h := newHarness(t) // refused
				if tc.reply != nil {
					h = newHarness(t, func(w http.ResponseWriter, r *http.Request) {
						if tc.at == 0 {
							stop()
						}
						tc.reply(w, r)
					})
				}
				_, err := h.client.Login(ctx, soft, loginReq)
				if tc.want == "" {
					require.NoError(t, err)
					return
				}
				require.EqualError(t, err, tc.want)
				require.ErrorIs(t, err, tc.cause)
				assert.Equal(t, tc.at, time.Since(h.start), "ended at the stop")
				if tc.reply == nil {
					assert.ErrorIs(t, err, syscall.ECONNREFUSED, "and to the last failure")
				} else {
					assert.Len(t, h.requests, 1, "no retry sent")
				}
			})
		})
	}
}

// An output is decoded bounded: a short one whole; of a long one only its
// start, at most MaxOutput bytes, and its end, cut clear of escapes.
func TestOutputIsBounded(t *testing.T) {
	var r Result
	short := strings.Repeat("a", MaxOutput+1) // short enough to decode whole
	require.NoError(t, json.Unmarshal([]byte(`{"stdout":"`+short+`","stderr":null}`), &r))
	assert.Equal(t, Result{Stdout: Output{Head: short[:MaxOutput], Tail: short, Size: len(short)}}, r)
	require.Error(t, json.Unmarshal([]byte(`{"stdout":7}`), &r))

	line := "::set-output name=x::\"é\"\t\u2028y\\n\n"
	text := strings.Repeat(line, 5<<20/len(line)) + "Error: denied: denied"
	raw, _ := json.Marshal(map[string]string{"stderr": text})
	require.NoError(t, json.Unmarshal(raw, &r))
	out := r.Stderr
	assert.True(t, strings.HasPrefix(text, out.Head))
	assert.InDelta(t, MaxOutput*7/8, len(out.Head), MaxOutput/8, "at most MaxOutput bytes, most of them")
	assert.True(t, strings.HasSuffix(out.Tail, "\nError: denied: denied"))
	assert.Less(t, len(out.Tail), 2*tailBytes)
	assert.Greater(t, out.Size, len(text))
}
