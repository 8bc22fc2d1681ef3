package reoclo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reoclo/docker-auth/internal/testkit/memnet"
)

const testKey = "rca_test_5ecret_key"

// recorder is a Logger that keeps every debug line.
type recorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *recorder) Debugf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, fmt.Sprintf(format, args...))
}

func (r *recorder) all() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

// seen records what a test server received.
type seen struct {
	mu       sync.Mutex
	requests []*http.Request
	bodies   []string
}

func (s *seen) add(r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
	s.bodies = append(s.bodies, string(b))
}

func (s *seen) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// apiURL is where the tests' API lives; memnet serves it in memory.
const apiURL = "http://127.0.0.1:8080"

// harness is a client against a scripted handler served in memory. Call
// newHarness inside synctest.Test: the client's real retry waits, timeouts
// and polls then run on the bubble's fake clock, and at records when each
// request arrived.
type harness struct {
	client *Client
	seen   *seen
	log    *recorder
	start  time.Time
	mu     sync.Mutex
	at     []time.Duration
}

func newHarness(t *testing.T, handler func(n int, w http.ResponseWriter, r *http.Request)) *harness {
	t.Helper()
	h := &harness{seen: &seen{}, log: &recorder{}, start: time.Now()}
	tr := memnet.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.at = append(h.at, time.Since(h.start))
		h.mu.Unlock()
		h.seen.add(r)
		handler(h.seen.count(), w, r)
	}))
	base, err := url.Parse(apiURL + "/reoclo/")
	require.NoError(t, err)
	h.client = New(base, testKey, Options{Log: h.log, UserAgent: "reoclo-docker-auth/test", Transport: tr})
	return h
}

// gaps returns the time between one request's arrival and the next.
func (h *harness) gaps() []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	var d []time.Duration
	for i := 1; i < len(h.at); i++ {
		d = append(d, h.at[i]-h.at[i-1])
	}
	return d
}

// arrivals returns when each request arrived, since the harness started.
func (h *harness) arrivals() []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.at)
}

// assertBackoff checks that gap is a retry wait of the policy before retry
// attempt+1: half to all of minRetryWait doubled attempt times.
func assertBackoff(t *testing.T, attempt int, gap time.Duration) {
	t.Helper()
	ceil := min(minRetryWait<<attempt, maxRetryWait)
	assert.GreaterOrEqual(t, gap, ceil/2, "retry %d waits at least half its backoff", attempt+1)
	assert.Less(t, gap, ceil, "retry %d waits less than its whole backoff", attempt+1)
}

func jsonReply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

const accepted = `{"operation_id":"op-1","status":"running","registry_url":"ghcr.io","registry_type":"ghcr"}`

func loginReq() Request {
	return Request{ServerID: "s", CredentialID: "c", RunID: "4242", RunContext: RunContext{Provider: "github_actions"}}
}

func TestLoginSendsTheContract(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, func(_ int, w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/reoclo/api/automation/v1/registry-auth/login":
				jsonReply(w, 202, "\xEF\xBB\xBF"+accepted) // a byte-order mark does not hide the JSON
			case "/reoclo/api/automation/v1/registry-auth/logout":
				jsonReply(w, 202, `{"operation_id":"op-10","status":"running"}`)
			default:
				jsonReply(w, 200, `{"operation_id":"op-9","operation_type":"registry_login","server_id":"s","server_name":"prod-api",
					"status":"completed","result":{"exit_code":0,"stdout":"Login Succeeded","stderr":"","duration_ms":1.5e2}}`)
			}
		})
		got, err := h.client.Login(t.Context(), t.Context(), loginReq())
		require.NoError(t, err)
		assert.Equal(t, &LoginAccepted{OperationID: "op-1", RegistryURL: "ghcr.io", RegistryType: "ghcr"}, got)
		r := h.seen.requests[0]
		assert.Equal(t, "POST", r.Method)
		assert.Equal(t, "/reoclo/api/automation/v1/registry-auth/login", r.URL.Path)
		assert.Equal(t, "Bearer "+testKey, r.Header.Get("Authorization"))
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		assert.Equal(t, "application/json", r.Header.Get("Accept"))
		assert.Equal(t, "reoclo-docker-auth/test", r.Header.Get("User-Agent"))
		assert.JSONEq(t, `{"server_id":"s","credential_id":"c","run_id":"4242","run_context":{"provider":"github_actions"}}`, h.seen.bodies[0])

		op, err := h.client.Operation(t.Context(), "op-9")
		require.NoError(t, err)
		assert.True(t, op.Succeeded())
		assert.Equal(t, "prod-api", op.ServerName)
		assert.Equal(t, "Login Succeeded", op.Result.Stdout.Head)

		out, err := h.client.Logout(t.Context(), Request{ServerID: "s", RegistryURL: "ghcr.io", RunID: "1"})
		require.NoError(t, err)
		assert.Equal(t, &LogoutAccepted{OperationID: "op-10", Status: "running"}, out)
		assert.JSONEq(t, `{"server_id":"s","registry_url":"ghcr.io","run_id":"1","run_context":{"provider":""}}`, h.seen.bodies[2])
	})
}

// A login reply whose operation ID is not a plain identifier is returned as
// sent (the login may have started and must be undoable), and Follow
// refuses to put the ID in a URL.
func TestAnUnsafeOperationIDIsNeverFollowed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
			jsonReply(w, 202, `{"operation_id":"../../x","status":"running","registry_url":"ghcr.io","registry_type":"ghcr"}`)
		})
		got, err := h.client.Login(t.Context(), t.Context(), loginReq())
		require.NoError(t, err)
		assert.Equal(t, "ghcr.io", got.RegistryURL)
		require.EqualError(t, CheckOperationID(got.OperationID), `operation ID "../../x" is not a plain identifier`)
		op, err := h.client.Follow(t.Context(), got.OperationID, "s")
		assert.Nil(t, op)
		require.ErrorContains(t, err, `operation ID "../../x" is not a plain identifier`)
		assert.Equal(t, 1, h.seen.count(), "no poll sent")
	})
}

// An error status that retrying cannot fix is sent once, and the error
// quotes what the API said, as one line.
func TestErrorStatusesAreSentOnceAndQuoted(t *testing.T) {
	const login = "from POST " + apiURL + "/reoclo/api/automation/v1/registry-auth/login"
	tests := []struct {
		name, contentType, body, want string
		status                        int
	}{
		{"detail", "application/json", `{"detail":"Invalid API key"}`, `401 Unauthorized ` + login + `: API says "Invalid API key"`, 401},
		{"detail with a BOM", "application/json", "\xEF\xBB\xBF" + `{"detail":"Server not in scope"}`,
			`403 Forbidden ` + login + `: API says "Server not in scope"`, 403},
		{"422 fields", "application/json", `{"detail":[{"loc":["body","server_id"],"msg":"Input should be a valid UUID","type":"uuid_parsing"},` +
			`{"loc":["body","run_context","provider"],"msg":"Field\nrequired","type":"missing"}]}`,
			`422 Unprocessable Entity ` + login + `: body.server_id: Input should be a valid UUID; body.run_context.provider: Field required`, 422},
		{"plain text", "text/plain", "bad request", `400 Bad Request ` + login + `: text/plain body (11 bytes) starting "bad request"`, 400},
		{"no body", "", "", `404 Not Found ` + login, 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Content-Type", tc.contentType)
					w.WriteHeader(tc.status)
					_, _ = io.WriteString(w, tc.body)
				})
				_, err := h.client.Login(t.Context(), t.Context(), loginReq())
				require.EqualError(t, err, tc.want)
				var e *Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, tc.status, e.StatusCode)
				assert.Equal(t, 1, h.seen.count(), "exactly one request")
				assert.False(t, Temporary(err))
			})
		})
	}
}

func TestRetriesTransientFailures(t *testing.T) {
	t.Run("503 twice then success", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := newHarness(t, func(n int, w http.ResponseWriter, _ *http.Request) {
				if n <= 2 {
					jsonReply(w, 503, `{"detail":"busy"}`)
					return
				}
				jsonReply(w, 202, accepted)
			})
			got, err := h.client.Login(t.Context(), t.Context(), loginReq())
			require.NoError(t, err)
			assert.Equal(t, "op-1", got.OperationID)
			gaps := h.gaps()
			require.Len(t, gaps, 2)
			for i, gap := range gaps {
				assertBackoff(t, i, gap)
			}
			for _, b := range h.seen.bodies {
				assert.JSONEq(t, h.seen.bodies[0], b, "the body is sent whole on every attempt")
			}
			assert.Contains(t, h.log.all(), "POST /reoclo/api/automation/v1/registry-auth/login -> 503 (")
			assert.Contains(t, h.log.all(), "-> 202 (")
		})
	})
	t.Run("429 with Retry-After", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := newHarness(t, func(n int, w http.ResponseWriter, _ *http.Request) {
				if n == 1 {
					w.Header().Set("Retry-After", "7")
					jsonReply(w, 429, `{"detail":"slow down"}`)
					return
				}
				jsonReply(w, 202, accepted)
			})
			_, err := h.client.Login(t.Context(), t.Context(), loginReq())
			require.NoError(t, err)
			assert.Equal(t, []time.Duration{7 * time.Second}, h.gaps())
		})
	})
	t.Run("408, a dropped connection, a reply cut short", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := newHarness(t, func(n int, w http.ResponseWriter, _ *http.Request) {
				switch n {
				case 1:
					jsonReply(w, 408, `{"detail":"took too long"}`)
				case 2:
					conn, _, err := http.NewResponseController(w).Hijack()
					require.NoError(t, err)
					_ = conn.Close()
				case 3:
					cutShort(t, w, accepted[:20])
				default:
					jsonReply(w, 202, accepted)
				}
			})
			_, err := h.client.Login(t.Context(), t.Context(), loginReq())
			require.NoError(t, err)
			assert.Equal(t, 4, h.seen.count())
			assert.Contains(t, h.log.all(), "-> error (")
		})
	})
	t.Run("persistent HTML 502 gives up with a short excerpt", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			page := "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>" + strings.Repeat("<p>nginx</p>\n", 2000) + "</body></html>"
			h := newHarness(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.WriteHeader(http.StatusBadGateway)
				_, _ = io.WriteString(w, page)
			})
			_, err := h.client.Login(t.Context(), t.Context(), loginReq())
			require.Error(t, err)
			assert.Equal(t, maxAttempts, h.seen.count())
			for i, gap := range h.gaps() {
				assertBackoff(t, i, gap)
			}
			msg := err.Error()
			assert.Contains(t, msg, "502 Bad Gateway from POST "+apiURL+"/reoclo/api/automation/v1/registry-auth/login, after 6 attempts: ")
			assert.Contains(t, msg, fmt.Sprintf(`text/html body (%d bytes) starting "<!DOCTYPE html><html><head><title>502 Bad Gateway</title>`, len(page)))
			assert.Less(t, len(msg), 1000, "never the whole page")
			assert.True(t, Temporary(err))
		})
	})
	t.Run("replies cut short every time", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := newHarness(t, func(_ int, w http.ResponseWriter, _ *http.Request) { cutShort(t, w, accepted[:20]) })
			_, err := h.client.Login(t.Context(), t.Context(), loginReq())
			require.ErrorContains(t, err, "failed on 6 attempts; last error: read reply: unexpected EOF")
			assert.Equal(t, maxAttempts, h.seen.count())
			assert.True(t, Temporary(err))
		})
	})
}

// cutShort answers with a Content-Length larger than what it sends, then
// drops the connection.
func cutShort(t *testing.T, w http.ResponseWriter, body string) {
	t.Helper()
	conn, buf, err := http.NewResponseController(w).Hijack()
	require.NoError(t, err)
	_, _ = fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body)+100, body)
	_ = buf.Flush()
	_ = conn.Close()
}

func TestRedirects(t *testing.T) {
	const other = "http://127.0.0.1:9999"
	t.Run("to another origin is refused and carries nothing", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := newHarness(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Location", other+"/steal")
				w.WriteHeader(http.StatusTemporaryRedirect)
			})
			_, err := h.client.Login(t.Context(), t.Context(), loginReq())
			require.ErrorIs(t, err, errOtherOrigin)
			assert.Contains(t, err.Error(), "refusing to follow a redirect from "+apiURL+" to "+other+"/steal: the API key is only sent to api_url's origin")
			assert.Equal(t, 1, h.seen.count(), "not retried, and the other origin got no request at all")
			assert.False(t, Temporary(err))
		})
	})
	t.Run("within the origin is followed, within its attempt", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := newHarness(t, func(_ int, w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/reoclo/moved" {
					w.Header().Set("Location", "/reoclo/moved")
					w.WriteHeader(http.StatusTemporaryRedirect)
					return
				}
				jsonReply(w, 503, `{"detail":"busy"}`)
			})
			_, err := h.client.Login(t.Context(), t.Context(), loginReq())
			require.ErrorContains(t, err, "503 Service Unavailable from POST "+apiURL+"/reoclo/api/automation/v1/registry-auth/login, after 6 attempts")
			assert.Equal(t, 2*maxAttempts, h.seen.count(), "each attempt and its redirect")
			assert.Equal(t, "Bearer "+testKey, h.seen.requests[1].Header.Get("Authorization"))
		})
	})
}

// The reply is read through a limit, and what a large output keeps is
// bounded: its start and its end, never the whole text.
func TestReplySizes(t *testing.T) {
	t.Run("over the limit", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			big := `{"operation_id":"op-1","status":"completed","result":{"exit_code":0,"stdout":"` + strings.Repeat("a", MaxResponseBytes) + `"}}`
			h := newHarness(t, func(_ int, w http.ResponseWriter, _ *http.Request) { jsonReply(w, 200, big) })
			_, err := h.client.Operation(t.Context(), "op-1")
			require.EqualError(t, err, "GET "+apiURL+"/reoclo/api/automation/v1/operations/op-1 failed on 1 attempt; last error: reply is larger than 16 MiB")
			assert.Equal(t, 1, h.seen.count(), "not retried")
			assert.False(t, Temporary(err))
		})
	})
	t.Run("5 MB of output", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			line := "::set-output name=x::\"é\"\t\u2028y\\n\n"
			text := strings.Repeat(line, 5<<20/len(line)) + "Error: denied: denied"
			reply, err := json.Marshal(map[string]any{"operation_id": "op-1", "status": "failed",
				"result": map[string]any{"exit_code": 1, "stdout": "", "stderr": text}})
			require.NoError(t, err)
			h := newHarness(t, func(_ int, w http.ResponseWriter, _ *http.Request) { jsonReply(w, 200, string(reply)) })
			op, err := h.client.Operation(t.Context(), "op-1")
			require.NoError(t, err)
			out := op.Result.Stderr
			assert.True(t, strings.HasPrefix(text, out.Head))
			assert.LessOrEqual(t, len(out.Head), MaxOutput)
			assert.Greater(t, len(out.Head), MaxOutput*3/4)
			assert.True(t, strings.HasSuffix(out.Tail, "\nError: denied: denied"))
			assert.Less(t, len(out.Tail), 2*tailBytes)
			assert.Greater(t, out.Size, len(text))
			assert.Equal(t, Output{}, op.Result.Stdout)
		})
	})
}

// The login's soft stop (SIGINT): the attempt in flight gets its reply, no
// new attempt is sent and a retry wait ends at once; the context still ends
// everything at once.
func TestLoginAfterTheSoftStop(t *testing.T) {
	t.Run("the reply in flight is kept", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			soft, stop := context.WithCancelCause(t.Context())
			h := newHarness(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
				stop(errors.New("interrupted")) // the signal comes while the API answers
				jsonReply(w, 202, accepted)
			})
			got, err := h.client.Login(t.Context(), soft, loginReq())
			require.NoError(t, err)
			assert.Equal(t, "op-1", got.OperationID)
		})
	})
	t.Run("no retry after it", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			soft, stop := context.WithCancelCause(t.Context())
			h := newHarness(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
				stop(errors.New("interrupted"))
				jsonReply(w, 503, `{"detail":"busy"}`)
			})
			start := time.Now()
			_, err := h.client.Login(t.Context(), soft, loginReq())
			require.EqualError(t, err, "interrupted (last attempt: 503 Service Unavailable)")
			assert.Equal(t, 1, h.seen.count())
			assert.Zero(t, time.Since(start), "no retry wait either")
		})
	})
	t.Run("a retry wait ends at it", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			soft, stop := context.WithCancelCause(t.Context())
			h := newHarness(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Retry-After", "30")
				jsonReply(w, 429, `{"detail":"slow down"}`)
			})
			time.AfterFunc(time.Second, func() { stop(errors.New("interrupted")) })
			start := time.Now()
			_, err := h.client.Login(t.Context(), soft, loginReq())
			require.EqualError(t, err, "interrupted (last attempt: 429 Too Many Requests)")
			assert.Equal(t, time.Second, time.Since(start))
			assert.Equal(t, 1, h.seen.count())
		})
	})
	t.Run("the context still ends it at once", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(t.Context())
			release := make(chan struct{})
			h := newHarness(t, func(_ int, _ http.ResponseWriter, r *http.Request) {
				cancel(errors.New("terminated"))
				select {
				case <-release:
				case <-r.Context().Done():
				}
			})
			defer close(release)
			_, err := h.client.Login(ctx, t.Context(), loginReq())
			require.EqualError(t, err, "terminated")
		})
	})
}

// An API that never answers reads the same whether the attempts ran out or
// the time did: the URL, the attempts and the last error.
func TestUnreachableAPI(t *testing.T) {
	base, _ := url.Parse(apiURL)
	endpoint := apiURL + "/api/automation/v1/registry-auth/login"
	t.Run("attempts ran out", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			c := New(base, testKey, Options{Transport: memnet.Refused()})
			_, err := c.Login(t.Context(), t.Context(), loginReq())
			assert.Regexp(t, `^POST `+endpoint+` failed on 6 attempts; last error: dial tcp [^;]*connection refused$`, err.Error())
			took := time.Since(start)
			assert.GreaterOrEqual(t, took, (125+250+500+1000+2000)*time.Millisecond, "five waits between six attempts")
			assert.Less(t, took, (250+500+1000+2000+4000)*time.Millisecond)
			assert.True(t, Temporary(err))
		})
	})
	t.Run("time ran out", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(t.Context())
			defer cancel(nil)
			// The second retry wait starts by 250 ms and lasts at least 250 ms.
			time.AfterFunc(300*time.Millisecond, func() { cancel(errors.New("timed out after 5s")) })
			c := New(base, testKey, Options{Transport: memnet.Refused()})
			_, err := c.Login(ctx, ctx, loginReq())
			assert.Regexp(t, `^POST `+endpoint+` failed on 2 attempts \(timed out after 5s\); last error: dial tcp [^;]*connection refused$`, err.Error())
		})
	})
	t.Run("a cancelled call is not called unreachable", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(t.Context())
			time.AfterFunc(100*time.Millisecond, func() { cancel(fmt.Errorf("cancelled (received interrupt): %w", context.Canceled)) })
			c := New(base, testKey, Options{Transport: memnet.Refused()})
			_, err := c.Login(ctx, ctx, loginReq())
			assert.True(t, strings.HasPrefix(err.Error(), "cancelled (received interrupt): context canceled (last attempt: dial tcp"), err.Error())
			assert.ErrorIs(t, err, context.Canceled)
		})
	})
}

func TestDebugLinesNeverCarryTheKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, func(n int, w http.ResponseWriter, _ *http.Request) {
			if n == 1 {
				jsonReply(w, 500, `{"detail":"oops"}`)
				return
			}
			jsonReply(w, 401, `{"detail":"Invalid API key"}`)
		})
		_, err := h.client.Login(t.Context(), t.Context(), loginReq())
		require.Error(t, err)
		assert.NotEmpty(t, h.log.all())
		assert.NotContains(t, h.log.all(), testKey)
		assert.NotContains(t, h.log.all(), "Bearer")
		assert.NotContains(t, err.Error(), testKey)
	})
}

// The API key never goes to a proxy in clear: plain http and loopback hosts,
// in any spelling, bypass the proxy whatever the environment says.
func TestPlainHTTPAndLoopbackNeverUseAProxy(t *testing.T) {
	var proxied seen
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.add(r)
		jsonReply(w, 202, accepted)
	}))
	defer proxy.Close()
	proxyURL, err := url.Parse(proxy.URL)
	require.NoError(t, err)
	env := http.ProxyURL(proxyURL) // as if HTTP(S)_PROXY were set and NO_PROXY did not match

	rule := proxyFor(env)
	for raw, direct := range map[string]bool{
		"http://LOCALHOST:8080/x":  true,
		"http://localhost.:8080/x": true,
		"https://LocalHost/x":      true,
		"https://127.0.0.1/x":      true,
		"https://127.8.9.10:443/x": true,
		"https://[::1]:8443/x":     true,
		"http://api.example.com/x": true, // refused by config anyway; never proxied
		"https://api.reoclo.com/x": false,
	} {
		t.Run(raw, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, raw, nil)
			require.NoError(t, err)
			got, err := rule(req)
			require.NoError(t, err)
			if direct {
				assert.Nil(t, got)
			} else {
				assert.Equal(t, proxyURL, got)
			}
		})
	}

	t.Run("through the client", func(t *testing.T) {
		var seen seen
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen.add(r)
			jsonReply(w, 202, accepted)
		}))
		defer srv.Close()
		base, err := url.Parse(strings.Replace(srv.URL, "127.0.0.1", "LOCALHOST", 1))
		require.NoError(t, err)
		c := New(base, testKey, Options{Transport: newHTTPTransport(env)})
		_, err = c.Login(t.Context(), t.Context(), loginReq())
		require.NoError(t, err)
		assert.Equal(t, 1, seen.count(), "sent straight to the API")
		assert.Equal(t, 0, proxied.count(), "the proxy saw nothing")
	})
}
