package reoclo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"

	"github.com/hashicorp/go-retryablehttp"
)

// stopKey holds, in a context, the context whose end lets the attempt in
// flight finish but starts no other (see FinishInFlight).
type stopKey struct{}

// FinishInFlight returns a copy of ctx for one API call that, once stop is
// done, sends no new attempt (no retry) but lets the attempt in flight get
// its whole reply; ctx itself still cuts everything short. The main step
// uses it so that a login the API is answering when the job is cancelled is
// not lost: its reply says what post must undo.
func FinishInFlight(ctx, stop context.Context) context.Context {
	return context.WithValue(ctx, stopKey{}, stop)
}

// call is one API call: its attempts as go-retryablehttp makes and numbers
// them (a redirect followed within the origin is part of its attempt), and
// what the retry policy decided about the last one.
type call struct {
	method, url string

	mu       sync.Mutex
	attempt  int   // the attempt the library is making, from 1
	sent     int   // the last attempt that went out
	retry    bool  // the retry policy's decision on the last attempt
	last     error // the last attempt's failure: a connection error, or its error status
	replied  bool  // some attempt got an HTTP reply
	status   int   // the status of the last reply
	inFlight bool
	stopped  bool // FinishInFlight's stop is done: cancel once the attempt in flight ends
	cancel   context.CancelCauseFunc
	stop     context.Context
	reply    []byte // the body of a 2xx reply, read whole
}

// do sends one API call with retries and decodes a 2xx reply into out.
//
// A 2xx reply's body is read inside the retry loop, so a reply cut short (the
// connection drops before Content-Length bytes arrive) is retried and counted
// like any connection failure. A body that arrived whole but is not JSON is
// an *APIError that Temporary accepts (a proxy's page, say: the wait polls
// again); JSON that does not fit the API's shape is one that it does not.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	cl := &call{method: method, url: c.endpoint(path).String()}
	var body any
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, cl.url, err)
		}
		body = b
	}
	ctx, release := cl.finishInFlight(ctx)
	defer release()
	req, err := retryablehttp.NewRequestWithContext(ctx, method, cl.url, body)
	if err != nil {
		return fmt.Errorf("build %s %s: %w", method, cl.url, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.SetResponseHandler(cl.readReply)

	resp, err := c.retrying(cl).Do(req)
	if err != nil {
		return cl.requestError(ctx, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		raw, readErr := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody+1))
		truncated := len(raw) > maxErrorBody
		if truncated {
			raw = raw[:maxErrorBody]
		}
		apiErr := newAPIError(method, cl.url, resp.StatusCode, resp.Header.Get("Content-Type"), raw, truncated || readErr != nil)
		apiErr.Attempts, apiErr.Retryable = cl.outcome()
		return apiErr
	}
	if err := decodeJSON(cl.reply, out); err != nil {
		return newReplyError(method, cl.url, resp.StatusCode, err)
	}
	return nil
}

// retrying returns the retry loop for one call: go-retryablehttp over an
// http.Client that sends through the client's transport, logs each attempt
// and follows redirects only within api_url's origin.
func (c *Client) retrying(cl *call) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient: &http.Client{
			Transport:     &loggingTransport{next: c.transport, log: c.log, call: cl, rate: &c.rate},
			Timeout:       attemptTimeout,
			CheckRedirect: sameOriginOnly(c.base),
		},
		Logger:         nil, // the library's default logger prints URLs to the job log
		RetryWaitMin:   minRetryWait,
		RetryWaitMax:   maxRetryWait,
		RetryMax:       maxAttempts - 1,
		RequestLogHook: func(_ retryablehttp.Logger, _ *http.Request, i int) { cl.begin(i + 1) },
		CheckRetry:     cl.checkRetry,
		Backoff:        retryBackoff,
		ErrorHandler:   keepLastResponse,
	}
}

// keepLastResponse hands back the last reply once retries run out, so its
// status and body reach the caller as an *APIError.
func keepLastResponse(resp *http.Response, err error, _ int) (*http.Response, error) {
	if err != nil && resp != nil {
		_ = resp.Body.Close()
		resp = nil
	}
	return resp, err
}

// finishInFlight returns ctx for the call's requests. When ctx carries a
// stop context (FinishInFlight), the returned context is cancelled with
// stop's cause as soon as stop is done and no attempt is in flight. release
// frees what that takes.
func (cl *call) finishInFlight(ctx context.Context) (_ context.Context, release func()) {
	stop, ok := ctx.Value(stopKey{}).(context.Context)
	if !ok || stop == nil {
		return ctx, func() {}
	}
	ctx, cl.cancel = context.WithCancelCause(ctx)
	cl.stop = stop
	after := context.AfterFunc(stop, func() {
		cl.mu.Lock()
		defer cl.mu.Unlock()
		cl.stopped = true
		if !cl.inFlight {
			cl.cancel(context.Cause(stop))
		}
	})
	return ctx, func() {
		after()
		cl.cancel(context.Canceled)
	}
}

// begin marks the start of attempt n, as the retry loop numbers it.
func (cl *call) begin(n int) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	cl.attempt = n
	cl.inFlight = true
}

// send records that the attempt begun goes out (or one of its redirects),
// and returns its number.
func (cl *call) send() int {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	cl.sent = max(cl.attempt, 1)
	return cl.sent
}

// end marks the end of the attempt in flight, reply read; if stop came
// meanwhile, the call ends here.
func (cl *call) end() {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	cl.inFlight = false
	if cl.stopped && cl.cancel != nil {
		cl.cancel(context.Cause(cl.stop))
	}
}

// checkRetry is the client's retry policy (retryPolicy) as the library calls
// it after each attempt (and again once a 2xx reply's body is read): it
// records the decision and how the attempt ended, and ends the attempt
// unless a 2xx body is still to be read.
func (cl *call) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	retry, checkErr := retryPolicy(ctx, resp, err)
	cl.mu.Lock()
	cl.retry = retry
	switch {
	case err == nil && (resp.StatusCode < 200 || resp.StatusCode > 299):
		cl.replied, cl.status = true, resp.StatusCode
		cl.last = fmt.Errorf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode)) // not resp.Status: the server wrote that
	case err == nil:
		cl.replied, cl.status = true, resp.StatusCode
	case ctx.Err() == nil: // a failure the context caused says nothing of the API
		cl.last = unwrapURLError(err)
	}
	cl.mu.Unlock()
	if err != nil || retry || resp.StatusCode < 200 || resp.StatusCode > 299 {
		cl.end()
	}
	return retry, checkErr
}

// readReply is the request's response handler: it reads a 2xx reply whole
// (readReply in decode.go) while the retry loop can still retry it.
func (cl *call) readReply(resp *http.Response) error {
	defer cl.end()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil // read once retries are over
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := readReply(resp.Body, resp.ContentLength)
	if err != nil {
		return err
	}
	cl.reply = b
	return nil
}

// outcome returns the number of attempts sent (at least 1) and the retry
// policy's decision on the last.
func (cl *call) outcome() (attempts int, retryable bool) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return max(cl.sent, 1), cl.retry
}

// requestError is the error of a call that got no reply it can use: err is
// what the retry loop returned, ctx the call's context.
func (cl *call) requestError(ctx context.Context, err error) error {
	attempts, retryable := cl.outcome()
	cl.mu.Lock()
	defer cl.mu.Unlock()
	e := &RequestError{Method: cl.method, URL: cl.url, Attempts: attempts, Err: cl.last, Replied: cl.replied, Retryable: retryable}
	if ctx.Err() != nil {
		e.Cause = context.Cause(ctx)
		return e
	}
	if e.Err == nil {
		e.Err = unwrapURLError(err)
	}
	if errors.Is(e.Err, errTooLarge) {
		replyErr := newReplyError(cl.method, cl.url, cl.status, e.Err)
		replyErr.Attempts = attempts
		return replyErr
	}
	return e
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
