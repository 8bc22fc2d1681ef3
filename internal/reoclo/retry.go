package reoclo

import (
	"context"
	"crypto/x509"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Retry settings. Every request is sent at most maxAttempts times, waiting
// between minRetryWait and maxRetryWait (doubling, with jitter) or as long as
// the API's Retry-After asks, and never past the caller's deadline.
const (
	maxAttempts  = 6
	minRetryWait = 250 * time.Millisecond
	maxRetryWait = 8 * time.Second
)

// retryPolicy decides whether an attempt's request is sent again:
// go-retryablehttp's DefaultRetryPolicy (connection errors, 429 and 5xx but
// 501; not too many redirects, a bad scheme or header, or a certificate
// the system does not trust; nothing once the context is done), with three
// additions:
//   - 408 Request Timeout is retried too;
//   - a reply that is an answer (any other status, 2xx included) stands even
//     when the context ended while it came;
//   - a redirect to another origin and a reply over MaxResponseBytes are
//     not retried, nor are certificate errors the library does not spot.
//
// Retrying the login POST is safe: a second docker login of the same
// credential on the same server changes nothing. Likewise a second logout.
func retryPolicy(ctx context.Context, resp *http.Response, err error) (bool, error) {
	// The library's judgement of the attempt alone, whatever ctx says.
	retry, _ := retryablehttp.DefaultRetryPolicy(context.WithoutCancel(ctx), resp, err)
	switch {
	case err == nil && resp.StatusCode == http.StatusRequestTimeout:
		retry = true
	case err != nil && permanent(err):
		retry = false
	}
	if !retry {
		return false, nil
	}
	// Then its context handling: no retry once ctx is done.
	if _, ctxErr := retryablehttp.DefaultRetryPolicy(ctx, resp, err); ctxErr != nil {
		return false, ctxErr
	}
	return true, nil
}

// permanent reports the errors, beyond those DefaultRetryPolicy knows, that
// retrying cannot fix.
func permanent(err error) bool {
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	return errors.Is(err, errOtherOrigin) || errors.Is(err, errTooLarge) ||
		errors.As(err, &unknownAuthority) || errors.As(err, &hostname) || errors.As(err, &invalid)
}

// retryBackoff is the client's retryablehttp.Backoff: retryWait with a
// random jitter draw, at the current time.
func retryBackoff(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	return retryWait(lo, hi, attempt, rand.Float64(), time.Now(), resp) //nolint:gosec // jitter spreads retries; it guards no secret
}

// retryWait returns the pause before retry number attempt+1 (attempt counts
// from 0). It doubles from lo up to hi and keeps 50–100% of that as jitter
// (in [0, 1)) says, so many jobs retrying together spread out. A
// Retry-After header on the reply (seconds or an HTTP date) can make the
// wait longer, never shorter: "Retry-After: 0" or a date in the past gets
// the normal backoff. Either way the wait is capped by the time left at now
// before the request's deadline.
func retryWait(lo, hi time.Duration, attempt int, jitter float64, now time.Time, resp *http.Response) time.Duration {
	d := hi
	if attempt < 16 {
		d = min(lo<<attempt, hi)
	}
	d = d/2 + time.Duration(jitter*float64(d/2))

	if resp != nil {
		if after, ok := retryAfter(resp.Header.Get("Retry-After"), now); ok {
			d = max(d, after)
		}
		if resp.Request != nil {
			if deadline, ok := resp.Request.Context().Deadline(); ok {
				d = max(0, min(d, deadline.Sub(now)))
			}
		}
	}
	return d
}

// retryAfter parses a Retry-After value: a number of seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second) // the deadline caps it further
		}
		return time.Duration(secs) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(0, at.Sub(now)), true
	}
	return 0, false
}
