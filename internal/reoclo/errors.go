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

// Error is an API call that failed, in facts: the API answered with an
// error status (StatusCode, Detail), or with a 2xx reply that cannot be used
// (StatusCode, Err), or no usable reply came before the retries ran out or
// the call's context ended (Err, Cause). It never holds the key; what it
// quotes of the API is one sanitised line.
type Error struct {
	// Method and URL name the request. URL has no credentials or query.
	Method, URL string
	// StatusCode is the status of the reply at fault: the last error
	// status, or the 2xx reply that cannot be used; 0 when no attempt got
	// an error status.
	StatusCode int
	// Detail is what the API said: FastAPI's detail, its 422 field
	// messages, or an excerpt of a body that is not its JSON.
	Detail string
	// Attempts is how many times the request was sent.
	Attempts int
	// Err is how the last attempt failed (a connection error, its error
	// status once the context ended), or why a 2xx reply cannot be used.
	Err error
	// Cause is why the call's context ended (a timeout, a cancellation),
	// when that ended the call.
	Cause error
	// Temporary is whether asking again may get a better answer: an error
	// status the retry policy retries (408, 429, 5xx but 501), a failed
	// connection, a 2xx reply that is not JSON at all.
	Temporary bool
}

// Error implements error:
//   - "401 Unauthorized from POST https://…: API says "Invalid API key"";
//   - "the API's reply to GET https://… is not JSON: …" (or "could not be
//     understood");
//   - "POST https://… failed on 6 attempts; last error: …", with "(timed out
//     after 5s)" after the attempts when time ran out first;
//   - "cancelled (received interrupt) (last attempt: 503 Service
//     Unavailable)" when a cancellation, or time running out after the API
//     answered, ended the call.
func (e *Error) Error() string {
	call := e.Method + " " + e.URL
	switch {
	case e.Cause != nil && e.StatusCode == 0 && e.Err != nil && !errors.Is(e.Cause, context.Canceled):
		return fmt.Sprintf("%s failed on %s (%v); last error: %v", call, attemptsText(e.Attempts), e.Cause, e.Err)
	case e.Cause != nil && e.Err != nil:
		return fmt.Sprintf("%v (last attempt: %v)", e.Cause, e.Err)
	case e.Cause != nil:
		return e.Cause.Error()
	case e.StatusCode == 0:
		return fmt.Sprintf("%s failed on %s; last error: %v", call, attemptsText(e.Attempts), e.Err)
	case e.StatusCode/100 == 2 && e.Err != nil && e.Temporary:
		return fmt.Sprintf("the API's reply to %s is not JSON: %s", call, untrusted.Line(e.Err.Error()))
	case e.StatusCode/100 == 2 && e.Err != nil:
		return fmt.Sprintf("the API's reply to %s could not be understood: %s", call, untrusted.Line(e.Err.Error()))
	}
	s := fmt.Sprintf("%d %s from %s", e.StatusCode, http.StatusText(e.StatusCode), call)
	if e.Attempts > 1 {
		s += fmt.Sprintf(", after %d attempts", e.Attempts)
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns the cause and the last failure, so that errors.Is(err,
// context.Canceled) and errors.As on either work.
func (e *Error) Unwrap() []error {
	var errs []error
	for _, err := range []error{e.Cause, e.Err} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// Temporary reports whether err is an *Error worth waiting out.
func Temporary(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Temporary
}

func attemptsText(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return fmt.Sprintf("%d attempts", n)
}

// detailOf says what an error reply's body holds, as one line: FastAPI's
// {"detail": "…"} as API says "…", its 422 {"detail": [{"loc": […], "msg":
// …}]} as "body.server_id: Input should be a valid UUID; …", and any other
// body as its type, size and start (a proxy's HTML page, say).
func detailOf(contentType string, body []byte) string {
	body = []byte(strings.TrimPrefix(string(body), "\xEF\xBB\xBF"))
	var fastapi struct {
		Detail json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &fastapi) == nil && len(fastapi.Detail) > 0 {
		var s string
		if json.Unmarshal(fastapi.Detail, &s) == nil {
			return fmt.Sprintf("API says %q", untrusted.Line(s))
		}
		var fields []struct {
			Loc []any  `json:"loc"`
			Msg string `json:"msg"`
		}
		if json.Unmarshal(fastapi.Detail, &fields) == nil && len(fields) > 0 {
			msgs := make([]string, 0, len(fields))
			for _, f := range fields {
				loc := make([]string, 0, len(f.Loc))
				for _, l := range f.Loc {
					loc = append(loc, fmt.Sprint(l))
				}
				msgs = append(msgs, strings.TrimPrefix(strings.Join(loc, ".")+": ", ": ")+f.Msg)
			}
			return untrusted.Line(strings.Join(msgs, "; "))
		}
	}
	if len(body) == 0 {
		return ""
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "" {
		mt = "unknown type"
	}
	size := fmt.Sprintf("%d bytes", len(body))
	if len(body) >= maxErrorBody {
		size = fmt.Sprintf("over %d bytes", len(body))
	}
	return fmt.Sprintf("%s body (%s) starting %q", mt, size, untrusted.Line(string(body)))
}
