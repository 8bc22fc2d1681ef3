package reoclo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// MaxResponseBytes bounds a reply's body: far above any real one (5 MB of
// docker output encodes to well under it). Of an error reply, 64 KiB is read.
const (
	MaxResponseBytes = 16 << 20
	maxErrorBody     = 64 << 10
)

var errTooLarge = fmt.Errorf("reply is larger than %d MiB", MaxResponseBytes>>20)

// do sends one call on ctx, retried under retryPolicy, and decodes a 2xx
// reply as a T. Once soft ends (ctx but for the login) no new attempt is
// sent and a retry wait ends; an attempt in flight still gets its reply.
func do[T any](ctx, soft context.Context, c *Client, method, path string, in *Request) (*T, error) {
	u := c.api + path
	var body any
	if in != nil {
		body, _ = json.Marshal(in) // a Request, all strings, always encodes
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("build %s %s: %w", method, u, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.UserAgent)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	e := &Error{Method: method, URL: u, Attempts: 1} // the hooks fill it in as the attempts go
	var reply []byte
	// A 2xx body is read inside the retry loop: a reply cut short is retried.
	req.SetResponseHandler(func(resp *http.Response) (err error) {
		if resp.StatusCode/100 == 2 {
			reply, err = readBody(resp.Body, resp.ContentLength)
		}
		return err
	})
	resp, err := (&retryablehttp.Client{
		HTTPClient:     c.http,
		RetryWaitMin:   minRetryWait,
		RetryWaitMax:   maxRetryWait,
		RetryMax:       maxAttempts - 1,
		RequestLogHook: func(_ retryablehttp.Logger, _ *http.Request, i int) { e.Attempts = i + 1 },
		CheckRetry: func(ctx context.Context, resp *http.Response, err error) (bool, error) {
			var uerr *url.Error // net/http's: it repeats the method and URL, which Error names
			switch {
			case err == nil && resp.StatusCode/100 != 2:
				e.StatusCode, e.Err = resp.StatusCode, fmt.Errorf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
			case ctx.Err() != nil: // a failure ctx caused says nothing of the API
			case errors.As(err, &uerr):
				e.Err = uerr.Err
			case err != nil:
				e.Err = err
			}
			e.Temporary, err = retryPolicy(ctx, resp, err)
			if e.Temporary && soft.Err() != nil {
				return false, context.Cause(soft) // the soft stop ends the call, even on its last attempt
			}
			return e.Temporary, err
		},
		// The wait happens here, where the soft stop ends it; the library's
		// own timer then waits no more, and PrepareRetry stops the call.
		// The call's deadline, not resp.Request's: that one is each attempt's.
		Backoff: func(lo, hi time.Duration, n int, resp *http.Response) time.Duration {
			left := time.Duration(math.MaxInt64)
			if deadline, ok := ctx.Deadline(); ok {
				left = time.Until(deadline)
			}
			_ = sleep(soft, retryWait(lo, hi, n, rand.Float64(), left, resp)) //nolint:gosec // jitter guards no secret
			return 0
		},
		PrepareRetry: func(*http.Request) error { return context.Cause(soft) },
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}).Do(req)
	if resp != nil {
		defer func() { _ = resp.Body.Close() }()
	}
	// Any other failure set e.Err, unless ctx or soft caused it.
	switch {
	case err == nil && resp.StatusCode/100 == 2:
		var out T
		err = json.Unmarshal(bytes.TrimPrefix(reply, []byte("\xEF\xBB\xBF")), &out)
		if err == nil {
			return &out, nil
		}
		var syntax *json.SyntaxError
		e.StatusCode, e.Err, e.Temporary = resp.StatusCode, err, errors.As(err, &syntax) // not JSON: a proxy's page, say
	case err == nil:
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		e.Detail = detailOf(resp.Header.Get("Content-Type"), b)
	case ctx.Err() != nil:
		e.Cause = context.Cause(ctx)
	case soft.Err() != nil:
		e.Cause = context.Cause(soft)
	}
	return nil, e
}

// readBody reads a reply's body into one buffer, sized from contentLength
// when it is known. It fails on a body cut short or over MaxResponseBytes.
func readBody(r io.Reader, contentLength int64) ([]byte, error) {
	var buf bytes.Buffer
	if contentLength > 0 && contentLength <= MaxResponseBytes {
		buf.Grow(int(contentLength) + bytes.MinRead) // the read that sees EOF needs MinRead free
	}
	if _, err := buf.ReadFrom(io.LimitReader(r, MaxResponseBytes+1)); err != nil {
		return nil, fmt.Errorf("read reply: %w", err)
	}
	if buf.Len() > MaxResponseBytes {
		return nil, errTooLarge
	}
	return buf.Bytes(), nil
}

// sleep waits d or until ctx ends, then returns ctx's cause.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}
