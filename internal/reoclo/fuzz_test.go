package reoclo

import (
	"bytes"
	"strings"
	"testing"
	"unicode"
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
		if err := decode(bytes.NewReader(body), int64(len(body)), &op); err != nil {
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
		msg := newAPIError("POST", "https://api.reoclo.com/x", status, contentType, body, false).Error()
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
