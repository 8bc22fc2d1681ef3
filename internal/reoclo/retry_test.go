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
	retry, err := retryPolicy(ended, &http.Response{StatusCode: http.StatusServiceUnavailable}, nil)
	assert.False(t, retry)
	require.ErrorIs(t, err, context.Canceled)
	retry, err = retryPolicy(ended, &http.Response{StatusCode: http.StatusNotFound}, nil)
	assert.False(t, retry)
	assert.NoError(t, err, "an answer stands")
}

// A retry waits half to all of a backoff doubling from minRetryWait to
// maxRetryWait, as the jitter draw says; a Retry-After lengthens the wait
// but never shortens it; no wait runs past the call's deadline.
func TestRetryWait(t *testing.T) {
	retryAfter := func(v string) *http.Response {
		return &http.Response{StatusCode: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {v}}}
	}
	const top, hour = 0.999999, time.Hour
	for _, tc := range []struct {
		attempt int
		jitter  float64
		left    time.Duration
		resp    *http.Response
		want    time.Duration
	}{
		{0, 0, hour, nil, 125 * time.Millisecond}, {0, top, hour, nil, 250 * time.Millisecond}, {1, top, hour, nil, 500 * time.Millisecond},
		{2, 0, hour, nil, 500 * time.Millisecond}, {5, top, hour, nil, maxRetryWait}, {6, 0, hour, nil, maxRetryWait / 2},
		{1000, 0, hour, nil, maxRetryWait / 2},
		{0, 0, hour, retryAfter("7"), 7 * time.Second},
		{4, 0, hour, retryAfter("1"), 2 * time.Second},
		{0, 0, 3 * time.Second, retryAfter("60"), 3 * time.Second},
		{0, 0, -time.Second, retryAfter("5"), 0},
	} {
		got := retryWait(minRetryWait, maxRetryWait, tc.attempt, tc.jitter, tc.left, tc.resp)
		assert.InDelta(t, tc.want, got, float64(10*time.Microsecond), "%+v", tc)
	}
}
