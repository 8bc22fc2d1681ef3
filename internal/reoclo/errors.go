package reoclo

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/reoclo/docker-auth/internal/untrusted"
)

// Error is an API call that failed, in facts: an error status (StatusCode,
// Detail), a 2xx reply that cannot be used (StatusCode, Err), or no usable
// answer before the retries or the context ended (Err, Cause). It never
// holds the key, and quotes the API as one sanitised line.
type Error struct {
	Method, URL string // the request's; URL has no credentials or query
	// StatusCode is the last error status, or the status of the 2xx reply
	// that cannot be used; 0 when the API answered neither.
	StatusCode int
	// Detail is what the API said: FastAPI's detail, its 422 field
	// messages, or the start of a body that is not its JSON.
	Detail   string
	Attempts int
	// Err is how the last attempt failed (a connection error, an error
	// status), or why a 2xx reply cannot be used.
	Err   error
	Cause error // why the call's context ended, when that ended the call
	// Temporary is whether asking again may get a better answer: an error
	// status the retry policy retries, a failed connection, a reply not JSON.
	Temporary bool
}

// Error implements error: "401 Unauthorized from POST https://…: API says
// …"; "the API's reply to GET https://… is not JSON: …"; "POST https://…
// failed on 6 attempts[ (timed out after 5s)]; last error: …"; or, ended
// by a cancellation or after an answer, "cancelled (…) (last attempt: …)".
func (e *Error) Error() string {
	call := e.Method + " " + e.URL
	switch {
	case e.Cause != nil && e.StatusCode == 0 && e.Err != nil && !errors.Is(e.Cause, context.Canceled):
		return fmt.Sprintf("%s failed on %s (%v); last error: %v", call, times(e.Attempts), e.Cause, e.Err)
	case e.Cause != nil && e.Err != nil:
		return fmt.Sprintf("%v (last attempt: %v)", e.Cause, e.Err)
	case e.Cause != nil:
		return e.Cause.Error()
	case e.StatusCode == 0:
		return fmt.Sprintf("%s failed on %s; last error: %v", call, times(e.Attempts), e.Err)
	case e.StatusCode/100 == 2 && e.Err != nil:
		what := "could not be understood"
		if e.Temporary {
			what = "is not JSON"
		}
		return fmt.Sprintf("the API's reply to %s %s: %s", call, what, untrusted.Line(e.Err.Error()))
	}
	s := fmt.Sprintf("%d %s from %s", e.StatusCode, http.StatusText(e.StatusCode), call)
	if e.Attempts > 1 {
		s += fmt.Sprintf(", after %s", times(e.Attempts))
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns the cause and the last failure, those that are set.
func (e *Error) Unwrap() []error {
	return slices.DeleteFunc([]error{e.Cause, e.Err}, func(err error) bool { return err == nil })
}

// Temporary reports whether err is an *Error worth waiting out.
func Temporary(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Temporary
}

func times(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return fmt.Sprintf("%d attempts", n)
}

// detailOf says in one line what an error body holds: FastAPI's {"detail":
// "…"} as API says "…", its 422 field list as "body.server_id: msg; …",
// another body (a proxy's HTML page) as its type, size and start.
func detailOf(contentType string, body []byte) string {
	body = []byte(strings.TrimPrefix(string(body), "\xEF\xBB\xBF"))
	var fastapi struct{ Detail json.RawMessage }
	var s string
	var fields []struct {
		Loc []any
		Msg string
	}
	switch {
	case json.Unmarshal(body, &fastapi) != nil || len(fastapi.Detail) == 0:
	case json.Unmarshal(fastapi.Detail, &s) == nil:
		return fmt.Sprintf("API says %q", untrusted.Line(s))
	case json.Unmarshal(fastapi.Detail, &fields) == nil && len(fields) > 0:
		msgs := make([]string, 0, len(fields))
		for _, f := range fields {
			loc := make([]string, len(f.Loc))
			for i, l := range f.Loc {
				loc[i] = fmt.Sprint(l)
			}
			msgs = append(msgs, strings.TrimPrefix(strings.Join(loc, ".")+": ", ": ")+f.Msg)
		}
		return untrusted.Line(strings.Join(msgs, "; "))
	}
	if len(body) == 0 {
		return ""
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	size := fmt.Sprintf("%d bytes", len(body))
	if len(body) >= maxErrorBody {
		size = "over " + size
	}
	return fmt.Sprintf("%s body (%s) starting %q", cmp.Or(mt, "unknown type"), size, untrusted.Line(string(body)))
}
