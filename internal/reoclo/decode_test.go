package reoclo

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Result must decode stdout and stderr exactly as encoding/json decodes a
// string, whatever the server sent.
func TestResultDecodesOutputLikeEncodingJSON(t *testing.T) {
	tests := []struct{ name, literal string }{
		{"plain", `"Login Succeeded"`},
		{"empty", `""`},
		{"every simple escape", `"a\"b\\c\/d\be\ff\ng\rh\ti"`},
		{"unicode escapes", `"caf\u00e9 \u00E9 \u2028"`},
		{"surrogate pair", `"\ud83d\ude00"`},
		{"lone high surrogate", `"\ud83dx"`},
		{"lone low surrogate", `"\ude00"`},
		{"high surrogate then a non-surrogate escape", `"\ud83d\u0041"`},
		{"two high surrogates", `"\ud83d\ud83d\ude00"`},
		{"raw UTF-8", `"naïve ✓"`},
		{"invalid UTF-8", "\"a\xffb\xc3\""},
		{"docker output", `"WARNING! Your password will be stored unencrypted in /root/.docker/config.json.\nError response from daemon: Get \"https://ghcr.io/v2/\": denied: denied\n"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want string
			require.NoError(t, json.Unmarshal([]byte(tt.literal), &want))
			var got Result
			require.NoError(t, json.Unmarshal([]byte(`{"exit_code":1,"stdout":`+tt.literal+`,"stderr":`+tt.literal+`}`), &got))
			assert.Equal(t, want, got.Stdout)
			assert.Equal(t, want, got.Stderr)
		})
	}
}

func TestResultDecodesOtherFields(t *testing.T) {
	var r Result
	require.NoError(t, json.Unmarshal([]byte(`{"exit_code":0,"stdout":null,"stderr":"x","duration_ms":150}`), &r))
	require.NotNil(t, r.ExitCode)
	assert.Equal(t, 0, *r.ExitCode)
	assert.Equal(t, Result{ExitCode: r.ExitCode, Stderr: "x", DurationMS: 150}, r)

	var bad Result
	err := json.Unmarshal([]byte(`{"stdout":5}`), &bad)
	var typeErr *json.UnmarshalTypeError
	assert.ErrorAs(t, err, &typeErr, "a number where text belongs is the library's type error")
}

func FuzzOutputText(f *testing.F) {
	for _, s := range []string{`""`, `"a\nb"`, `"\u00e9\ud83d\ude00"`, `"\ud800x"`, "\"\xff\xfe\"", `"\ud83d\ud83d"`, `"\/"`, `"\b\f\r\t\\"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, literal []byte) {
		var want string
		if json.Unmarshal(literal, &want) != nil {
			return
		}
		var got outputText
		require.NoError(t, json.Unmarshal(literal, &got))
		assert.Equal(t, want, string(got))
	})
}

// Large output is copied once while decoding, where a plain string field
// allocates it twice (unquote buffer, then the string).
func TestResultDecodesLargeOutputWithOneCopy(t *testing.T) {
	body := []byte(`{"stdout":"` + strings.Repeat(`line \"quoted\"\n`, 1<<16) + `"}`)
	const size = 14 << 16 // decoded
	allocated := func(out any) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		require.NoError(t, json.Unmarshal(body, out))
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	var plain struct {
		Stdout string `json:"stdout"`
	}
	require.Greater(t, allocated(&plain), uint64(2*size), "the premise: encoding/json copies twice")
	var r Result
	assert.Less(t, allocated(&r), uint64(size+size/4))
	assert.Len(t, r.Stdout, size)
}
