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

// attempts is what one call's attempts came to, as go-retryablehttp's hooks
// report them, one at a time.
type attempts struct {
	n       int   // attempts begun
	status  int   // the last error status, or 0
	last    error // how the last attempt failed: a connection error or its error status
	retry   bool  // the retry policy's decision on the last attempt
	stopped bool  // the soft stop kept a retry from being sent
	reply   []byte
}

// do sends one call on ctx, retried under retryPolicy, and decodes a 2xx
// reply into out. Once soft ends (ctx but for the login) no new attempt is
// sent and a retry wait ends; an attempt in flight still gets its reply.
func (c *Client) do(ctx, soft context.Context, method, path string, in, out any) error {
	u := c.endpoint(path)
	var body any
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, u, err)
		}
		body = b
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return fmt.Errorf("build %s %s: %w", method, u, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.UserAgent)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	var a attempts
	// A 2xx body is read inside the retry loop: a reply cut short is retried.
	req.SetResponseHandler(func(resp *http.Response) (err error) {
		if resp.StatusCode/100 == 2 {
			a.reply, err = readBody(resp.Body, resp.ContentLength)
		}
		return err
	})
	resp, err := (&retryablehttp.Client{
		HTTPClient:     c.http,
		RetryWaitMin:   minRetryWait,
		RetryWaitMax:   maxRetryWait,
		RetryMax:       maxAttempts - 1,
		RequestLogHook: func(_ retryablehttp.Logger, _ *http.Request, i int) { a.n = i + 1 },
		CheckRetry: func(ctx context.Context, resp *http.Response, err error) (bool, error) {
			switch {
			case err == nil && resp.StatusCode/100 != 2:
				a.status, a.last = resp.StatusCode, fmt.Errorf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
			case err != nil && ctx.Err() == nil: // a failure ctx caused says nothing of the API
				a.last = unwrapURLError(err)
			}
			a.retry, err = retryPolicy(ctx, resp, err)
			a.stopped = a.retry && soft.Err() != nil
			return a.retry && !a.stopped, err
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
	e := &Error{Method: method, URL: u, StatusCode: a.status, Attempts: max(a.n, 1), Err: a.last, Temporary: a.retry}
	if resp != nil {
		defer func() { _ = resp.Body.Close() }()
	}
	switch {
	case err == nil && resp.StatusCode/100 == 2:
		if err := json.Unmarshal(bytes.TrimPrefix(a.reply, []byte("\xEF\xBB\xBF")), out); err != nil {
			var syntax *json.SyntaxError
			e.StatusCode, e.Err, e.Temporary = resp.StatusCode, err, errors.As(err, &syntax) // not JSON: a proxy's page, say
			return e
		}
		return nil
	case err == nil && !a.stopped:
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		e.Detail = detailOf(resp.Header.Get("Content-Type"), b)
		return e
	}
	for _, stop := range []context.Context{ctx, soft} {
		if stop.Err() != nil {
			e.Cause = context.Cause(stop)
			return e
		}
	}
	if e.Err == nil {
		e.Err = unwrapURLError(err)
	}
	return e
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

// unwrapURLError drops net/http's *url.Error around err: it repeats the
// method and URL, which the errors name themselves.
func unwrapURLError(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
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
