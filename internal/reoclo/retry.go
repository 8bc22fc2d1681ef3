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
)

// Retry settings. Every request is sent at most maxAttempts times, waiting
// between minRetryWait and maxRetryWait (doubling, with jitter) or as long as
// the API's Retry-After asks, and never past the caller's deadline.
const (
	maxAttempts  = 6
	minRetryWait = 250 * time.Millisecond
	maxRetryWait = 8 * time.Second
)

// retryableStatus reports whether a reply with this status is worth sending
// again: a request timeout, a rate limit, or trouble on the server side
// (501 Not Implemented excepted: it will not change).
func retryableStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests ||
		code >= 500 && code != http.StatusNotImplemented
}

// checkRetry is the one place that decides whether a request is sent again.
// It retries connection errors (a reply cut short included) and
// retryableStatus replies, and nothing once the context is done. Errors that another try cannot fix (a refused
// redirect, a certificate the system does not trust, a malformed URL) are not
// retried.
//
// Retrying the login POST is safe: a second docker login of the same
// credential on the same server changes nothing. Likewise a second logout.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	final := err == nil && !retryableStatus(resp.StatusCode)
	if a, ok := ctx.Value(attemptsKey{}).(*attempts); ok && !(final && resp.StatusCode >= 200 && resp.StatusCode <= 299) {
		// The attempt is over (a 2xx is over once its body is read).
		a.end()
	}
	if final {
		return false, nil // an answer stands even if the context ended meanwhile
	}
	if ctx.Err() != nil {
		return false, context.Cause(ctx)
	}
	if err != nil {
		return !permanent(err), nil
	}
	return true, nil
}

// permanent reports errors that retrying cannot fix.
func permanent(err error) bool {
	var redirect *RedirectError
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var tooLarge *TooLargeError
	switch {
	case errors.As(err, &redirect), errors.As(err, &unknownAuthority), errors.As(err, &hostname),
		errors.As(err, &invalid), errors.As(err, &tooLarge):
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "unsupported protocol scheme") || strings.Contains(msg, "stopped after") ||
		strings.Contains(msg, "invalid header")
}

// backoff decides how long to wait before the next attempt.
type backoff struct {
	now    func() time.Time
	jitter func() float64 // in [0, 1)
}

func defaultBackoff() *backoff {
	return &backoff{now: time.Now, jitter: rand.Float64}
}

// wait returns the pause before retry number attempt+1 (attempt counts from
// 0). It doubles from minRetryWait up to maxRetryWait and keeps a random
// 50–100% of that, so many jobs retrying together spread out. A Retry-After
// header on the reply (seconds or an HTTP date) can make the wait longer,
// never shorter: "Retry-After: 0" or a date in the past gets the normal
// backoff. Either way the wait is capped by the time left before the
// request's deadline.
func (b *backoff) wait(attempt int, resp *http.Response) time.Duration {
	d := maxRetryWait
	if attempt < 16 {
		d = min(minRetryWait<<attempt, maxRetryWait)
	}
	d = d/2 + time.Duration(b.jitter()*float64(d/2))

	if resp != nil {
		if after, ok := retryAfter(resp.Header.Get("Retry-After"), b.now()); ok {
			d = max(d, after)
		}
		if resp.Request != nil {
			if deadline, ok := resp.Request.Context().Deadline(); ok {
				d = max(0, min(d, deadline.Sub(b.now())))
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
