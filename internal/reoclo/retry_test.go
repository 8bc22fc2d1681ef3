package reoclo

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestRetryPolicy(t *testing.T) {
	live := context.Background()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	resp := func(code int) *http.Response { return &http.Response{StatusCode: code} }

	tests := []struct {
		name  string
		ctx   context.Context
		resp  *http.Response
		err   error
		retry bool
	}{
		{"connection refused", live, nil, &url.Error{Op: "Post", URL: "u", Err: errors.New("connection refused")}, true},
		{"connection reset", live, nil, errors.New("read: connection reset by peer"), true},
		{"408", live, resp(408), nil, true},
		{"429", live, resp(429), nil, true},
		{"500", live, resp(500), nil, true},
		{"502", live, resp(502), nil, true},
		{"503", live, resp(503), nil, true},
		{"504", live, resp(504), nil, true},
		{"501 will not change", live, resp(501), nil, false},
		{"200", live, resp(200), nil, false},
		{"202", live, resp(202), nil, false},
		{"400", live, resp(400), nil, false},
		{"401", live, resp(401), nil, false},
		{"403", live, resp(403), nil, false},
		{"404", live, resp(404), nil, false},
		{"422", live, resp(422), nil, false},
		{"cancelled context", cancelled, nil, errors.New("connection refused"), false},
		{"cancelled context with 503", cancelled, resp(503), nil, false},
		{"cancelled context with 200", cancelled, resp(200), nil, false},
		{"refused redirect", live, nil, &url.Error{Err: fmt.Errorf("refusing: %w", errOtherOrigin)}, false},
		{"untrusted certificate", live, nil, &url.Error{Err: x509.UnknownAuthorityError{}}, false},
		{"certificate not verified", live, nil, &url.Error{Err: &tls.CertificateVerificationError{Err: errors.New("x")}}, false},
		{"reply too large", live, nil, errTooLarge, false},
		{"bad scheme", live, nil, &url.Error{Op: "Post", URL: "ftp://x", Err: errors.New(`unsupported protocol scheme "ftp"`)}, false},
		{"too many redirects", live, nil, &url.Error{Op: "Post", URL: "u", Err: errors.New("stopped after 10 redirects")}, false},
		{"reply cut short", live, nil, errors.New("read reply: unexpected EOF"), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			retry, err := retryPolicy(tc.ctx, tc.resp, tc.err)
			assert.Equal(t, tc.retry, retry)
			if tc.ctx.Err() != nil && (tc.err != nil || tc.resp.StatusCode >= 500) {
				assert.ErrorIs(t, err, context.Canceled, "the library's context handling")
			} else {
				assert.NoError(t, err, "an answer stands")
			}
		})
	}
}

// wait is retryWait with the policy's bounds at now with a jitter draw.
func wait(now time.Time, jitter float64) func(attempt int, resp *http.Response) time.Duration {
	return func(attempt int, resp *http.Response) time.Duration {
		return retryWait(minRetryWait, maxRetryWait, attempt, jitter, now, resp)
	}
}

func TestBackoffDoublesWithJitter(t *testing.T) {
	now := time.Date(2026, 4, 14, 1, 0, 0, 0, time.UTC)
	low, high := wait(now, 0), wait(now, 0.999999)
	wantCeil := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second,
		4 * time.Second, 8 * time.Second, 8 * time.Second, 8 * time.Second}
	for attempt, ceil := range wantCeil {
		t.Run(fmt.Sprint(attempt), func(t *testing.T) {
			assert.Equal(t, ceil/2, low(attempt, nil), "lowest draw is half")
			assert.InDelta(t, float64(ceil), float64(high(attempt, nil)), float64(10*time.Microsecond), "highest draw is all")
		})
	}
	assert.Equal(t, 4*time.Second, low(1000, nil), "no overflow for huge attempt numbers")
	t.Run("the bounds it is given", func(t *testing.T) {
		assert.Equal(t, 2*time.Second, retryWait(time.Second, 6*time.Second, 2, 0, now, nil))
		assert.Equal(t, 3*time.Second, retryWait(time.Second, 6*time.Second, 5, 0, now, nil))
	})
}

func TestBackoffHonoursRetryAfter(t *testing.T) {
	now := time.Date(2026, 4, 14, 1, 0, 0, 0, time.UTC)
	b := wait(now, 0)
	reply := func(ctx context.Context, code int, retryAfter string) *http.Response {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1/", nil)
		h := http.Header{}
		if retryAfter != "" {
			h.Set("Retry-After", retryAfter)
		}
		return &http.Response{StatusCode: code, Header: h, Request: req}
	}
	far, cancel := context.WithDeadline(context.Background(), now.Add(time.Hour))
	defer cancel()
	near, cancel2 := context.WithDeadline(context.Background(), now.Add(3*time.Second))
	defer cancel2()
	past, cancel3 := context.WithDeadline(context.Background(), now.Add(-time.Second))
	defer cancel3()

	tests := []struct {
		name string
		resp *http.Response
		want time.Duration
	}{
		{"429 seconds", reply(far, 429, "7"), 7 * time.Second},
		{"503 seconds", reply(far, 503, "2"), 2 * time.Second},
		{"a 502's is not", reply(far, 502, "1"), 125 * time.Millisecond},
		{"http date in the past never shortens the backoff", reply(far, 429, time.Now().Add(-time.Minute).Format(http.TimeFormat)), 125 * time.Millisecond},
		{"zero never shortens the backoff", reply(far, 503, "0"), 125 * time.Millisecond},
		{"capped by the deadline", reply(near, 429, "60"), 3 * time.Second},
		{"backoff capped by the deadline too", reply(near, 503, ""), 125 * time.Millisecond},
		{"deadline passed", reply(past, 429, "5"), 0},
		{"garbage falls back to backoff", reply(far, 429, "soon"), 125 * time.Millisecond},
		{"negative falls back to backoff", reply(far, 429, "-3"), 125 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, b(0, tc.resp))
		})
	}
	t.Run("an http date", func(t *testing.T) {
		// go-retryablehttp parses it against the real clock.
		d := b(0, reply(far, 429, time.Now().Add(30*time.Second).Format(http.TimeFormat)))
		assert.InDelta(t, float64(30*time.Second), float64(d), float64(2*time.Second))
	})
	t.Run("a Retry-After shorter than a later attempt's backoff never shortens it", func(t *testing.T) {
		assert.Equal(t, 2*time.Second, b(4, reply(far, 503, "1")))
	})
}
