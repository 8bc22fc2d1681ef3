package reoclo

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Every request is sent at most maxAttempts times, waiting between
// minRetryWait and maxRetryWait (doubling, with jitter) or as long as a
// Retry-After asks, and never past the call's deadline.
const (
	maxAttempts  = 6
	minRetryWait = 250 * time.Millisecond
	maxRetryWait = 8 * time.Second
)

// retryPolicy is go-retryablehttp's DefaultRetryPolicy (connection errors,
// 429, 5xx but 501; nothing once ctx ends) and 408; never a redirect to
// another origin, a reply too large or an untrusted certificate. Retrying a
// login or logout is safe: a second one changes nothing.
func retryPolicy(ctx context.Context, resp *http.Response, err error) (bool, error) {
	retry, _ := retryablehttp.DefaultRetryPolicy(context.WithoutCancel(ctx), resp, err)
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case err == nil && resp.StatusCode == http.StatusRequestTimeout:
		retry = true
	case errors.Is(err, errOtherOrigin), errors.Is(err, errTooLarge),
		errors.As(err, &unknownAuthority), errors.As(err, &hostname), errors.As(err, &invalid):
		retry = false
	}
	if retry && ctx.Err() != nil { // an answer that is not retried stands
		return false, ctx.Err()
	}
	return retry, nil
}

// retryWait is the pause before retry attempt+1: doubling from lo to hi, of
// which jitter in [0, 1) takes 50–100% (jobs retrying together spread out),
// longer if a 429's or 503's Retry-After asks, at most left (to the deadline).
func retryWait(lo, hi time.Duration, attempt int, jitter float64, left time.Duration, resp *http.Response) time.Duration {
	d := min(lo<<min(attempt, 16), hi)
	d = d/2 + time.Duration(jitter*float64(d/2))
	if resp != nil {
		d = max(d, retryablehttp.DefaultBackoff(0, 0, 0, resp))
	}
	return max(0, min(d, left))
}
