package reoclo

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/reoclo/docker-auth/internal/untrusted"
)

// APIError is an unsuccessful reply from the Reoclo API: the status, the
// request's method and URL (which never hold the key), and what the API said.
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
// request and quotes the API.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.explain())
	fmt.Fprintf(&b, " (%d %s from %s %s", e.StatusCode, http.StatusText(e.StatusCode), e.Method, e.URL)
	if e.Attempts > 1 {
		fmt.Fprintf(&b, ", after %d attempts", e.Attempts)
	}
	b.WriteString(")")
	switch {
	case len(e.Fields) > 0:
		msgs := make([]string, 0, len(e.Fields))
		for _, f := range e.Fields {
			msgs = append(msgs, f.String())
		}
		b.WriteString(": " + strings.Join(msgs, "; "))
	case e.Detail != "":
		fmt.Fprintf(&b, ": API says %q", e.Detail)
	case e.Excerpt != "":
		b.WriteString(": " + e.Excerpt)
	}
	return b.String()
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

// Temporary reports whether trying again later may succeed: timeouts, rate
// limits and server errors.
func (e *APIError) Temporary() bool {
	return retryableStatus(e.StatusCode)
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
