package config

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	goodKey    = "rca_0123456789abcdef"
	goodServer = "6f1c2b8e-3d4a-4e5f-9a6b-7c8d9e0f1a2b"
	goodCred   = "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d"
	ecr        = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
)

// inputs returns valid inputs of every step, but for overrides (name,
// value, …).
func inputs(overrides ...string) GetInputFunc {
	m := map[string]string{InputAPIKey: goodKey, InputServerID: goodServer, InputCredentialID: goodCred, InputCleanup: "true",
		InputAPIURL: "https://api.reoclo.com", InputTimeout: "120", InputRegistryURL: ecr}
	for i := 0; i+1 < len(overrides); i += 2 {
		m[overrides[i]] = overrides[i+1]
	}
	return func(name string) string { return m[name] }
}

// Each step reads its own inputs: IDs in lower case, a timeout in
// fractional seconds; post needs no IDs (they come from state), and
// nothing else with cleanup off.
func TestLoadersRead(t *testing.T) {
	api, err := url.Parse("https://api.reoclo.com")
	require.NoError(t, err)
	access := Access{APIKey: goodKey, API: api, Timeout: 7500 * time.Millisecond}
	tests := []struct {
		name string
		load func(GetInputFunc) (*Config, error)
		in   GetInputFunc
		want *Config
	}{
		{"main", Load, inputs(InputServerID, strings.ToUpper(goodServer), InputTimeout, "7.5"),
			&Config{Access: access, ServerID: goodServer, CredentialID: goodCred, Cleanup: true}},
		{"logout", LoadLogout, inputs(InputTimeout, "7.5"), &Config{Access: access, ServerID: goodServer, RegistryURL: ecr}},
		{"post", LoadPost, inputs(InputServerID, "", InputCredentialID, "", InputTimeout, "7.5"), &Config{Access: access, Cleanup: true}},
		{"post, cleanup off", LoadPost, inputs(InputCleanup, "False", InputAPIKey, "", InputTimeout, "x"), &Config{}},
	}
	for _, tc := range tests {
		cfg, err := tc.load(tc.in)
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, cfg, tc.name)
	}
}

// A step's every problem at once, in action.yml's order, each naming its
// input; an empty key or ID is nearly always a secret this run cannot see,
// which the error says once, after them. No error quotes the key.
func TestLoadersReportEveryProblem(t *testing.T) {
	const (
		uuid  = "must be a UUID such as 6f1c2b8e-3d4a-4e5f-9a6b-7c8d9e0f1a2b (got 1 characters that are not one)"
		secs  = `must be a positive number of seconds such as 120 (got "x")`
		plain = `must use https (got "http://example.com"); plain http is allowed only for loopback addresses such as 127.0.0.1`
	)
	tests := []struct {
		load func(GetInputFunc) (*Config, error)
		in   GetInputFunc
		want string
	}{
		{Load, inputs(InputAPIKey, "", InputServerID, "", InputCredentialID, "x", InputCleanup, "no", InputAPIURL, "http://example.com", InputTimeout, "x"),
			"input api_key: is required but empty\ninput server_id: is required but empty\ninput credential_id: " + uuid +
				"\ninput cleanup: must be one of true, True, TRUE, false, False, FALSE (got \"no\")\ninput api_url: " + plain +
				"\ninput timeout: " + secs + "\n" + SecretHint},
		{LoadPost, inputs(InputAPIKey, "", InputAPIURL, "http://example.com", InputTimeout, "x"),
			"input api_key: is required but empty\ninput api_url: " + plain + "\ninput timeout: " + secs + "\n" + SecretHint},
		{LoadLogout, inputs(InputAPIKey, "rca_sup3r secret", InputServerID, "x", InputRegistryURL, "", InputTimeout, "x"),
			"input api_key: must be a single token of printable ASCII characters, with no spaces or line breaks (copy the automation key from Reoclo again)" +
				"\ninput server_id: " + uuid + "\ninput registry_url: is required but empty (set it in the step's with:, typically to " +
				"${{ steps.<login step id>.outputs.registry_url }})\ninput timeout: " + secs},
	}
	for _, tc := range tests {
		cfg, err := tc.load(tc.in)
		assert.Nil(t, cfg)
		require.EqualError(t, err, tc.want)
		var ie *InputError
		assert.ErrorAs(t, err, &ie)
	}
}

// errOf is a parser's error.
func errOf[T any](_ T, err error) error { return err }

// What each input accepts, and the problem with what it does not, quoting
// the value (clipped) only where it is no secret.
func TestInputProblems(t *testing.T) {
	long := strings.Repeat("9", 70)
	tests := []struct {
		err  error
		want string
	}{
		{errOf(ParseAPIURL("")), "input api_url: is required but empty (leave it out of the step's with: to use its default)"},
		{errOf(timeoutInput("")), "input timeout: is required but empty (leave it out of the step's with: to use its default)"},
		{errOf(boolInput(InputCleanup, "tRUE")), `input cleanup: must be one of true, True, TRUE, false, False, FALSE (got "tRUE")`},
		{errOf(uuidInput(InputServerID, strings.ReplaceAll(goodServer, "-", ""))),
			"input server_id: must be a UUID such as 6f1c2b8e-3d4a-4e5f-9a6b-7c8d9e0f1a2b (got 32 characters that are not one)"},
		{errOf(timeoutInput("NaN")), `input timeout: must be a positive number of seconds such as 120 (got "NaN")`},
		{errOf(timeoutInput(long + "x")), `input timeout: must be a positive number of seconds such as 120 (got "` + long[:64] + `…")`},
		{errOf(timeoutInput("-5")), "input timeout: must be more than 0 seconds (got -5)"},
		{errOf(timeoutInput("1e300")), "input timeout: must be at most 9223372036 seconds (got 1e300)"},
		{errOf(timeoutInput("0.0000001")), "input timeout: must be at least 0.001 seconds (got 0.0000001)"},
		{errOf(ParseAPIURL("https://[::1")), `input api_url: must be an absolute URL such as https://api.reoclo.com (got "https://[::1", which does not parse)`},
		{errOf(ParseAPIURL("api.reoclo.com")), `input api_url: must be an absolute http(s) URL such as https://api.reoclo.com (got "api.reoclo.com")`},
		{errOf(ParseAPIURL("ftp://api.reoclo.com")), `input api_url: must be an absolute http(s) URL such as https://api.reoclo.com (got "ftp://api.reoclo.com")`},
		{errOf(ParseAPIURL("https://user:pw@api.reoclo.com")), "input api_url: must not carry a user name or password; the API key goes in api_key"},
		{errOf(ParseAPIURL("https://api.reoclo.com/#x")), `input api_url: must not have a query or fragment (got "https://api.reoclo.com/#x")`},
		{errOf(ParseAPIURL("https://:443")), `input api_url: must name a host (got "https://:443")`},
		{errOf(ParseAPIURL("http://localhost.example.com")), `input api_url: must use https (got "http://localhost.example.com"); ` +
			"plain http is allowed only for loopback addresses such as 127.0.0.1"},
		{errOf(registryURLInput("ghcr.io\nregistry_type=x")), `input registry_url: must be one registry such as ghcr.io, ` +
			`with no spaces, line breaks or control characters (got "ghcr.io\nregistry_type=x")`},
		{errOf(registryURLInput("ghcr.io\xff")), `input registry_url: must be one registry such as ghcr.io, ` +
			`with no spaces, line breaks or control characters (got "ghcr.io\xff")`},
		{errOf(registryURLInput(strings.Repeat("a", 2049))), "input registry_url: must be at most 2048 bytes (got 2049)"},
		{errOf(registryURLInput("--config=/tmp/x")), `input registry_url: must be one registry such as ghcr.io, ` +
			`but it starts with "-", which docker would read as an option, and no registry does (got "--config=/tmp/x")`},
		{CheckRegistry(""), "it is empty"},
	}
	for _, tc := range tests {
		assert.EqualError(t, tc.err, tc.want)
	}
}

// api_url's host is normalised once, so every later check of it (the
// proxy rule among them) sees one spelling; plain http is for loopback
// hosts, in any spelling.
func TestParseAPIURL(t *testing.T) {
	for v, want := range map[string]string{
		"http://127.9.9.9:8080":            "http://127.9.9.9:8080",
		"HTTP://LocalHost.:1/reoclo/":      "http://localhost:1/reoclo/",
		"http://[::1]:9000":                "http://[::1]:9000",
		"https://API.Reoclo.COM.":          "https://api.reoclo.com",
		"https://Ops.Example.com:8443/X/y": "https://ops.example.com:8443/X/y",
		"https://[2001:DB8::1]/":           "https://[2001:db8::1]/",
	} {
		u, err := ParseAPIURL(v)
		require.NoError(t, err, v)
		assert.Equal(t, want, u.String(), v)
	}
}
