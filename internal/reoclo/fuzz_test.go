package reoclo

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"unicode"
)

// FuzzDecodeOperation decodes arbitrary replies as an operation: it must
// never panic, and only an exit code of 0 may count as success. Seeds live
// in testdata/fuzz/FuzzDecodeOperation.
func FuzzDecodeOperation(f *testing.F) {
	f.Add([]byte(`{"status":"completed","result":{"exit_code":null}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var op Operation
		if json.Unmarshal(body, &op) == nil && op.Succeeded() &&
			(op.Status != StatusCompleted || op.Result == nil || op.Result.ExitCode == nil || *op.Result.ExitCode != 0) {
			t.Fatalf("success without exit code 0: %+v", op)
		}
	})
}

// FuzzAPIError builds errors from arbitrary error replies: the message must
// be one bounded line of printable text whatever the body holds. Seeds live
// in testdata/fuzz/FuzzAPIError.
func FuzzAPIError(f *testing.F) {
	f.Add(422, "application/json", []byte(`{"detail":[{"loc":["body","server_id"],"msg":"bad\nline","type":"x"}]}`))
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		if status < 100 || status > 999 {
			return
		}
		msg := (&Error{Method: http.MethodPost, URL: "https://api.reoclo.com/x", StatusCode: status, Attempts: 1, Detail: detailOf(contentType, body)}).Error()
		if strings.IndexFunc(msg, unicode.IsControl) >= 0 || len(msg) > 64<<10 {
			t.Fatalf("not one bounded line of printable text: %q", msg)
		}
	})
}

// FuzzRedirect answers the login with a redirect to an arbitrary Location,
// through the real client: the key may reach only api_url's origin, however
// the Location spells another one ("OTHER" stands for another origin's host
// and port). Seeds live in testdata/fuzz/FuzzRedirect.
func FuzzRedirect(f *testing.F) {
	for _, loc := range []string{
		"/reoclo/moved", "http://OTHER/steal", "//OTHER/steal", "HTTP://OTHER/x", "http://127.0.0.1.:1/x",
		"http://localhost/x", `\\OTHER\x`, "http:OTHER/x", "https://OTHER/x", "http://user@OTHER/x", "/%2F%2FOTHER/x",
	} {
		f.Add(loc)
	}
	f.Fuzz(func(t *testing.T, loc string) {
		loc = strings.ReplaceAll(loc, "OTHER", "127.0.0.1:9999")
		synctest.Test(t, func(t *testing.T) {
			h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
				if !strings.HasSuffix(r.URL.Path, "/registry-auth/login") {
					status(202, accepted)(w, r)
					return
				}
				w.Header()["Location"] = []string{loc}
				w.WriteHeader(http.StatusTemporaryRedirect)
			})
			_, _ = h.client.Login(t.Context(), t.Context(), loginReq)
			for _, r := range h.requests {
				if host, port, _ := strings.Cut(r.Host, ":"); strings.TrimSuffix(strings.ToLower(host), ".")+":"+port != "127.0.0.1:8080" {
					t.Fatalf("Location %q: a request for host %q", loc, r.Host)
				}
			}
		})
	})
}
