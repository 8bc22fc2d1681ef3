package reoclo

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"unicode"

	"github.com/reoclo/docker-auth/internal/testkit/memnet"
)

// FuzzDecodeOperation decodes arbitrary replies as an operation: it must never
// panic, and only an exit code of 0 may count as success.
// Seeds live in testdata/fuzz/FuzzDecodeOperation.
func FuzzDecodeOperation(f *testing.F) {
	f.Add([]byte(`{"operation_id":"9d2f","status":"completed","result":{"exit_code":0,"stdout":"Login Succeeded"}}`))
	f.Add([]byte(`{"status":"completed","result":{"exit_code":null}}`))
	f.Add([]byte(`{"status":"running","result":null}`))
	f.Add([]byte(`<html>502</html>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var op Operation
		if err := json.Unmarshal(body, &op); err != nil {
			return
		}
		if op.Succeeded() && (op.Result == nil || op.Result.ExitCode == nil || *op.Result.ExitCode != 0 || op.Status != StatusCompleted) {
			t.Fatalf("success without exit code 0: %+v", op)
		}
	})
}

// FuzzAPIError builds errors from arbitrary error replies: the message must
// be one bounded line of printable text whatever the body holds.
// Seeds live in testdata/fuzz/FuzzAPIError.
func FuzzAPIError(f *testing.F) {
	f.Add(401, "application/json", []byte(`{"detail":"Invalid API key"}`))
	f.Add(422, "application/json", []byte(`{"detail":[{"loc":["body","server_id"],"msg":"bad\nline","type":"x"}]}`))
	f.Add(502, "text/html", []byte("<html>\n<h1>502</h1>\n::error::x</html>"))
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		if status < 100 || status > 999 {
			return
		}
		msg := (&Error{Method: "POST", URL: "https://api.reoclo.com/x", StatusCode: status, Attempts: 1, Detail: detailOf(contentType, body)}).Error()
		for _, r := range msg {
			if unicode.IsControl(r) {
				t.Fatalf("control character %U in %q", r, msg)
			}
		}
		if len(msg) > 64<<10 {
			t.Fatalf("message of %d bytes", len(msg))
		}
		if strings.Contains(msg, "\n") {
			t.Fatal("multi-line message")
		}
	})
}

// FuzzRedirect answers the login with a redirect to an arbitrary Location,
// through the real client: the key may reach only api_url's origin, however
// the Location spells another one, and a redirect the client follows must
// stay within that origin. "OTHER" in the Location stands for another
// origin's host and port. Seeds live in testdata/fuzz/FuzzRedirect.
func FuzzRedirect(f *testing.F) {
	for _, loc := range []string{
		"/reoclo/moved", "http://OTHER/steal", "//OTHER/steal", "HTTP://OTHER/x", "http://127.0.0.1.:1/x",
		"http://localhost/x", `\\OTHER\x`, "http:OTHER/x", "https://OTHER/x", "http://user@OTHER/x", "/%2F%2FOTHER/x",
	} {
		f.Add(loc)
	}
	const other = "127.0.0.1:9999"
	base, err := url.Parse(apiURL + "/reoclo/")
	if err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, loc string) {
		loc = strings.ReplaceAll(loc, "OTHER", other)
		synctest.Test(t, func(t *testing.T) {
			var seen seen
			tr := memnet.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen.add(r)
				if r.URL.Path == "/reoclo/api/automation/v1/registry-auth/login" {
					w.Header()["Location"] = []string{loc}
					w.WriteHeader(http.StatusTemporaryRedirect)
					return
				}
				jsonReply(w, 202, accepted)
			}))
			client := New(base, testKey, Options{Transport: tr})
			_, _ = client.Login(t.Context(), t.Context(), loginReq())
			seen.mu.Lock()
			defer seen.mu.Unlock()
			for _, r := range seen.requests {
				host, port, _ := strings.Cut(r.Host, ":")
				if strings.TrimSuffix(strings.ToLower(host), ".")+":"+port != strings.TrimPrefix(apiURL, "http://") {
					t.Fatalf("Location %q: a request for host %q", loc, r.Host)
				}
			}
		})
	})
}
