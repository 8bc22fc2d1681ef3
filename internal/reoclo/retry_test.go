package reoclo

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Which answers are retried: 408, 429 and 5xx but 501, a failed connection
// or a reply cut short; never a redirect to another origin, an untrusted
// certificate or a reply too large; nothing once the context has ended,
// though an answer then stands.
func TestRetryPolicy(t *testing.T) {
	for code, want := range map[int]bool{200: false, 400: false, 401: false, 404: false, 408: true, 422: false,
		429: true, 500: true, 501: false, 502: true, 503: true, 504: true} {
		retry, err := retryPolicy(t.Context(), &http.Response{StatusCode: code}, nil)
		require.NoError(t, err)
		assert.Equal(t, want, retry, "status %d", code)
	}
	for err, want := range map[error]bool{
		&url.Error{Op: "Post", URL: "u", Err: errors.New("connection refused")}: true,
		errors.New("read reply: unexpected EOF"):                                true,
		&url.Error{Err: fmt.Errorf("refusing: %w", errOtherOrigin)}:             false,
		&url.Error{Err: x509.UnknownAuthorityError{}}:                           false,
		errTooLarge: false,
	} {
		retry, perr := retryPolicy(t.Context(), nil, err)
		require.NoError(t, perr)
		assert.Equal(t, want, retry, "%v", err)
	}
	ended, cancel := context.WithCancel(t.Context())
	cancel()
	retry, err := retryPolicy(ended, &http.Response{StatusCode: 503}, nil)
	assert.False(t, retry)
	require.ErrorIs(t, err, context.Canceled)
	retry, err = retryPolicy(ended, &http.Response{StatusCode: 404}, nil)
	assert.False(t, retry)
	assert.NoError(t, err, "an answer stands")
}

// A retry waits half to all of a backoff doubling from minRetryWait to
// maxRetryWait, as the jitter draw says; a Retry-After lengthens the wait
// but never shortens it; no wait runs past the call's deadline.
func TestRetryWait(t *testing.T) {
	now := time.Now()
	reply := func(deadline time.Duration, retryAfter string) *http.Response {
		ctx, cancel := context.WithDeadline(t.Context(), now.Add(deadline))
		t.Cleanup(cancel)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1/", nil)
		return &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {retryAfter}}, Request: req}
	}
	const top = 0.999999
	for _, tc := range []struct {
		attempt int
		jitter  float64
		resp    *http.Response
		want    time.Duration
	}{
		{0, 0, nil, 125 * time.Millisecond}, {0, top, nil, 250 * time.Millisecond}, {1, top, nil, 500 * time.Millisecond},
		{2, 0, nil, 500 * time.Millisecond}, {5, top, nil, maxRetryWait}, {6, 0, nil, maxRetryWait / 2}, {1000, 0, nil, maxRetryWait / 2},
		{0, 0, reply(time.Hour, "7"), 7 * time.Second},
		{4, 0, reply(time.Hour, "1"), 2 * time.Second},
		{0, 0, reply(3*time.Second, "60"), 3 * time.Second},
		{0, 0, reply(-time.Second, "5"), 0},
	} {
		got := retryWait(minRetryWait, maxRetryWait, tc.attempt, tc.jitter, now, tc.resp)
		assert.InDelta(t, tc.want, got, float64(10*time.Microsecond), "%+v", tc)
	}
}
