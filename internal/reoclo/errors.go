package reoclo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/reoclo/docker-auth/internal/untrusted"
)

// APIError is a reply from the Reoclo API that the client cannot use: an
// error status, with what the API said, or a 2xx reply whose body is not the
// JSON it expects (Err). Method and URL name the request; they never hold
// the key.
type APIError struct {
	// StatusCode is the HTTP status of the last reply.
	StatusCode int
	// Method and URL identify the request. URL has no credentials or query.
	Method, URL string
	// Detail is FastAPI's string "detail", when the body carried one.
	Detail string
	// Fields are FastAPI's validation messages (422), when the body carried them.
	Fields []FieldError
	// Excerpt is a short, single-line, sanitised start of a body that was not
	// the API's JSON (a proxy's HTML page, say), with its type and size.
	Excerpt string
	// Attempts is how many times the request was sent.
	Attempts int
	// Err is why a 2xx reply could not be used: it is not JSON (a proxy's
	// page, say), it is JSON of another shape, or it is too large. Nil for an
	// error status.
	Err error
	// Retryable is whether asking again may get a better reply, as decided
	// where the reply was judged: for an error status by the retry policy
	// (408, 429 and 5xx but 501), for a 2xx reply when it is not JSON.
	Retryable bool
}

// FieldError is one entry of FastAPI's 422 "detail" list.
type FieldError struct {
	Loc  []any  `json:"loc"`
	Msg  string `json:"msg"`
	Type string `json:"type"`
}

// String renders the field error as "body.server_id: Input should be a valid UUID".
func (f FieldError) String() string {
	parts := make([]string, 0, len(f.Loc))
	for _, l := range f.Loc {
		parts = append(parts, fmt.Sprint(l))
	}
	loc := strings.Join(parts, ".")
	if loc == "" {
		return untrusted.Line(f.Msg, maxDetail)
	}
	return untrusted.Line(loc, maxDetail) + ": " + untrusted.Line(f.Msg, maxDetail)
}

// Error explains the failure in words a person can act on, then names the
// request and quotes the API: "the API key was refused: ... (401
// Unauthorized from POST https://...): API says "Invalid API key"". For a
// 2xx reply it reads "the API's reply to GET https://... is not JSON: ..."
// or "... could not be understood: ...".
func (e *APIError) Error() string {
	if e.Err != nil {
		msg := untrusted.Line(e.Err.Error(), maxDetail)
		if e.Retryable {
			return fmt.Sprintf("the API's reply to %s %s is not JSON: %s", e.Method, e.URL, msg)
		}
		return fmt.Sprintf("the API's reply to %s %s could not be understood: %s", e.Method, e.URL, msg)
	}
	request := fmt.Sprintf("%d %s from %s %s", e.StatusCode, http.StatusText(e.StatusCode), e.Method, e.URL)
	if e.Attempts > 1 {
		request = fmt.Sprintf("%d %s from %s %s, after %d attempts", e.StatusCode, http.StatusText(e.StatusCode), e.Method, e.URL, e.Attempts)
	}
	switch {
	case len(e.Fields) > 0:
		msgs := make([]string, 0, len(e.Fields))
		for _, f := range e.Fields {
			msgs = append(msgs, f.String())
		}
		return fmt.Sprintf("%s (%s): %s", e.explain(), request, strings.Join(msgs, "; "))
	case e.Detail != "":
		return fmt.Sprintf("%s (%s): API says %q", e.explain(), request, e.Detail)
	case e.Excerpt != "":
		return fmt.Sprintf("%s (%s): %s", e.explain(), request, e.Excerpt)
	default:
		return fmt.Sprintf("%s (%s)", e.explain(), request)
	}
}

func (e *APIError) explain() string {
	detail := strings.ToLower(e.Detail)
	switch e.StatusCode {
	case http.StatusUnauthorized:
		return "the API key was refused: it is missing, invalid or expired; create a new automation key in Reoclo and update the secret"
	case http.StatusForbidden:
		setting := "Allowed Operations, Allowed Servers and Allowed Credentials"
		switch {
		case strings.Contains(detail, "credential"):
			setting = "Allowed Credentials"
		case strings.Contains(detail, "server"):
			setting = "Allowed Servers"
		case strings.Contains(detail, "operation"), strings.Contains(detail, "registry_log"):
			setting = "Allowed Operations (registry_login, registry_logout)"
		}
		return "the API key is not allowed to do this; in Reoclo, add it to the key's " + setting
	case http.StatusNotFound:
		switch {
		case strings.Contains(detail, "credential"):
			return "the credential was not found: check credential_id"
		case strings.Contains(detail, "server"):
			return "the server was not found: check server_id"
		case strings.Contains(detail, "operation"):
			return "the operation was not found"
		}
		return "not found: check api_url, server_id and credential_id"
	case http.StatusUnprocessableEntity:
		return "the API rejected the request as invalid"
	case http.StatusTooManyRequests:
		return "the API is rate limiting this key"
	}
	if e.StatusCode >= 500 {
		return "the API is having trouble"
	}
	return "the API refused the request"
}

// Unwrap returns why a 2xx reply could not be used, or nil.
func (e *APIError) Unwrap() error { return e.Err }

// newReplyError is the *APIError of a 2xx reply that could not be used
// because of err: retryable when the reply is not JSON at all.
func newReplyError(method, url string, status int, err error) *APIError {
	var syntax *json.SyntaxError
	return &APIError{StatusCode: status, Method: method, URL: url, Err: err, Retryable: errors.As(err, &syntax)}
}

const (
	// maxDetail bounds each string quoted from an error body.
	maxDetail = 512
	// maxExcerpt bounds the excerpt of a body that is not the API's JSON.
	maxExcerpt = 200
	// maxErrorBody is how much of an error body is read.
	maxErrorBody = 64 << 10
)

// newAPIError builds an APIError from a reply and its (bounded) body.
func newAPIError(method, url string, status int, contentType string, body []byte, truncated bool) *APIError {
	e := &APIError{StatusCode: status, Method: method, URL: url}
	body = withoutBOM(body)
	var fastapi struct {
		Detail json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &fastapi) == nil && len(fastapi.Detail) > 0 {
		var s string
		if json.Unmarshal(fastapi.Detail, &s) == nil {
			e.Detail = untrusted.Line(s, maxDetail)
			return e
		}
		var fields []FieldError
		if json.Unmarshal(fastapi.Detail, &fields) == nil && len(fields) > 0 {
			e.Fields = fields
			return e
		}
	}
	if len(body) == 0 {
		return e
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "" {
		mt = "unknown type"
	}
	size := fmt.Sprintf("%d bytes", len(body))
	if truncated {
		size = fmt.Sprintf("over %d bytes", len(body))
	}
	e.Excerpt = fmt.Sprintf("%s body (%s) starting %q", mt, size, untrusted.Line(string(body), maxExcerpt))
	return e
}

// RequestError is an API call that got no reply it could use: every attempt
// failed to connect, was refused a redirect or had its reply cut short
// (Err), or the call's context ended before the retry policy gave up
// (Cause).
type RequestError struct {
	Method, URL string
	// Attempts is how many times the request was sent (at least 1).
	Attempts int
	// Err is how the last attempt failed: a connection error, or its error
	// status ("503 Service Unavailable") when the context ended after it.
	// Nil when no attempt ended before the context.
	Err error
	// Replied is whether any attempt got an HTTP reply.
	Replied bool
	// Cause is why the context ended (a *TimeoutError of the action, a
	// cancellation), or nil when the retry policy gave up.
	Cause error
	// Retryable is the retry policy's decision on the last attempt: whether
	// sending the request again may succeed.
	Retryable bool
}

// Error implements error. An API that never answered reads the same however
// the attempts ended: "cannot reach the API: POST https://api.reoclo.com/...
// failed on 6 attempts; last error: dial tcp ...: connection refused; check
// api_url, ...", with "(timed out after 5s)" after the attempts when time
// ran out first. A call cancelled, or timed out after the API answered,
// reads "timed out after 120s (last attempt: 503 Service Unavailable)".
func (e *RequestError) Error() string {
	switch {
	case e.Cause == nil:
		return fmt.Sprintf("cannot reach the API: %s %s failed on %s; last error: %v; %s",
			e.Method, e.URL, attemptsText(e.Attempts), e.Err, unreachableHint)
	case e.unreachable():
		return fmt.Sprintf("cannot reach the API: %s %s failed on %s (%v); last error: %v; %s",
			e.Method, e.URL, attemptsText(e.Attempts), e.Cause, e.Err, unreachableHint)
	case e.Err == nil:
		return e.Cause.Error()
	default:
		return fmt.Sprintf("%v (last attempt: %v)", e.Cause, e.Err)
	}
}

// unreachable reports a call whose time ran out (not cancelled) while no
// attempt got an HTTP reply: the API was unreachable all along.
func (e *RequestError) unreachable() bool {
	return e.Err != nil && !e.Replied && !errors.Is(e.Cause, context.Canceled)
}

// Unwrap returns the cause, when the context ended, and the last failure:
// errors.Is(err, context.Canceled) works, as errors.As on a failure does.
func (e *RequestError) Unwrap() []error {
	var errs []error
	for _, err := range []error{e.Cause, e.Err} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// attemptsText is "1 attempt" or "6 attempts".
func attemptsText(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return fmt.Sprintf("%d attempts", n)
}

// unreachableHint says what to check when the API cannot be reached.
const unreachableHint = "check api_url, and that this runner can reach it: " +
	"a proxy it must use (HTTPS_PROXY, NO_PROXY) or firewall rules for outgoing traffic"

// Temporary reports whether err is worth waiting out, as the client decided
// where the call failed: a retryable API status, a failed connection, or a
// reply that is not JSON.
func Temporary(err error) bool {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.Retryable
	}
	var reqErr *RequestError
	if errors.As(err, &reqErr) {
		return reqErr.Retryable
	}
	return false
}
