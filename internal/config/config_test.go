package config

import (
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
)

// inputs returns a GetInputFunc over the action.yml defaults plus overrides.
func inputs(overrides map[string]string) GetInputFunc {
	m := map[string]string{
		InputAPIKey:       goodKey,
		InputServerID:     goodServer,
		InputCredentialID: goodCred,
		InputCleanup:      "true",
		InputAPIURL:       "https://api.reoclo.com",
		InputTimeout:      "120",
	}
	for k, v := range overrides {
		m[k] = v
	}
	return func(name string) string { return m[name] }
}

func TestLoadValid(t *testing.T) {
	cfg, err := Load(inputs(nil))
	require.NoError(t, err)
	assert.Equal(t, goodKey, cfg.APIKey)
	assert.Equal(t, goodServer, cfg.ServerID)
	assert.Equal(t, goodCred, cfg.CredentialID)
	assert.True(t, cfg.Cleanup)
	assert.Equal(t, 120*time.Second, cfg.Timeout)
	assert.Equal(t, "https://api.reoclo.com", cfg.API.String())
}

func TestLoadNormalisesUUIDCase(t *testing.T) {
	cfg, err := Load(inputs(map[string]string{InputServerID: "6F1C2B8E-3D4A-4E5F-9A6B-7C8D9E0F1A2B"}))
	require.NoError(t, err)
	assert.Equal(t, goodServer, cfg.ServerID)
}

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name  string
		input string
		value string
		want  string
	}{
		{"missing key", InputAPIKey, "", "input api_key: is required"},
		{"key with space", InputAPIKey, "rca_abc def", "input api_key: must be a single token"},
		{"key with newline", InputAPIKey, "rca_abc\nAuthorization: x", "input api_key: must be a single token"},
		{"missing server", InputServerID, "", "input server_id: is required"},
		{"server not uuid", InputServerID, "prod-api", "input server_id: must be a UUID"},
		{"server uuid without dashes", InputServerID, "6f1c2b8e3d4a4e5f9a6b7c8d9e0f1a2b", "input server_id: must be a UUID"},
		{"credential not uuid", InputCredentialID, "ghcr", "input credential_id: must be a UUID"},
		{"cleanup yes", InputCleanup, "yes", `input cleanup: must be one of true, True, TRUE, false, False, FALSE (got "yes")`},
		{"cleanup tRUE", InputCleanup, "tRUE", "input cleanup: must be one of"},
		{"cleanup empty", InputCleanup, "", "input cleanup: must be one of"},
		{"timeout empty", InputTimeout, "", "input timeout: is required"},
		{"timeout with unit", InputTimeout, "120s", `input timeout: must be a positive number of seconds such as 120 (got "120s")`},
		{"timeout zero", InputTimeout, "0", "input timeout: must be more than 0 seconds"},
		{"timeout negative", InputTimeout, "-5", "input timeout: must be more than 0 seconds"},
		{"timeout NaN", InputTimeout, "NaN", "input timeout: must be a positive number"},
		{"timeout Inf", InputTimeout, "+Inf", "input timeout: must be a positive number"},
		{"timeout huge", InputTimeout, "1e300", "input timeout: must be at most 9223372036 seconds"},
		{"timeout below a millisecond", InputTimeout, "0.0000001", "input timeout: must be at least 0.001 seconds"},
		{"url empty", InputAPIURL, "", "input api_url: is required"},
		{"url relative", InputAPIURL, "api.reoclo.com", "input api_url: must be an absolute http(s) URL"},
		{"url ftp", InputAPIURL, "ftp://api.reoclo.com", "input api_url: must be an absolute http(s) URL"},
		{"url plain http remote", InputAPIURL, "http://api.reoclo.com", "input api_url: must use https"},
		{"url plain http private", InputAPIURL, "http://10.0.0.5:8080", "input api_url: must use https"},
		{"url with credentials", InputAPIURL, "https://user:pw@api.reoclo.com", "input api_url: must not carry a user name"},
		{"url with query", InputAPIURL, "https://api.reoclo.com/?x=1", "input api_url: must not have a query"},
		{"url unparsable", InputAPIURL, "https://[::1", "input api_url: must be an absolute URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Load(inputs(map[string]string{tc.input: tc.value}))
			require.Error(t, err)
			assert.Nil(t, cfg)
			assert.Contains(t, err.Error(), tc.want)
			var ie *InputError
			require.ErrorAs(t, err, &ie)
			assert.Equal(t, tc.input, ie.Input)
		})
	}
}

// An empty key or ID is nearly always a secret this run cannot see: the
// error says so once, after the inputs, and only when one of them is empty.
func TestEmptyInputNamesTheUsualCause(t *testing.T) {
	_, err := Load(inputs(map[string]string{InputAPIKey: "", InputServerID: "", InputTimeout: "soon"}))
	assert.EqualError(t, err, "input api_key: is required but empty\ninput server_id: is required but empty\n"+
		"input timeout: must be a positive number of seconds such as 120 (got \"soon\")\n"+SecretHint)
	assert.Contains(t, SecretHint, "pull requests from forks get no secrets")
	for _, name := range []string{InputAPIURL, InputTimeout} {
		_, err := Load(inputs(map[string]string{name: ""}))
		assert.EqualError(t, err, "input "+name+": is required but empty (leave it out of the step's with: to use its default)")
	}
}

func TestLoadReportsEveryProblemAtOnce(t *testing.T) {
	_, err := Load(inputs(map[string]string{InputServerID: "x", InputCredentialID: "", InputTimeout: "soon"}))
	require.Error(t, err)
	for _, want := range []string{"input server_id", "input credential_id", "input timeout"} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestErrorsNeverCarryTheKey(t *testing.T) {
	secret := "rca_sup3r secret"
	_, err := Load(inputs(map[string]string{InputAPIKey: secret, InputServerID: secret, InputCredentialID: secret,
		InputCleanup: "nope", InputTimeout: "x", InputAPIURL: "http://example.com"}))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "sup3r")
}

func TestTimeoutAcceptsFractions(t *testing.T) {
	cfg, err := Load(inputs(map[string]string{InputTimeout: "7.5"}))
	require.NoError(t, err)
	assert.Equal(t, 7500*time.Millisecond, cfg.Timeout)
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1": true, "127.9.9.9": true, "::1": true, "localhost": true, "LOCALHOST": true, "LocalHost.": true,
		"10.0.0.1": false, "api.reoclo.com": false, "localhost.example.com": false, "": false,
	} {
		t.Run(host, func(t *testing.T) {
			assert.Equal(t, want, IsLoopback(host))
		})
	}
}

func TestParseAPIURLAcceptsLoopbackHTTP(t *testing.T) {
	for _, v := range []string{"http://127.0.0.1:8080", "http://localhost:1/reoclo/", "http://[::1]:9000", "https://ops.example.com:8443/reoclo"} {
		t.Run(v, func(t *testing.T) {
			u, err := ParseAPIURL(v)
			require.NoError(t, err)
			assert.Equal(t, v, u.String())
		})
	}
}

// The host is normalised once, so every later check of it (the transport's
// "never through a proxy" among them) sees one spelling.
func TestParseAPIURLNormalisesTheHost(t *testing.T) {
	for v, want := range map[string]string{
		"http://LOCALHOST:8080":            "http://localhost:8080",
		"HTTP://LocalHost.:1/reoclo/":      "http://localhost:1/reoclo/",
		"https://API.Reoclo.COM.":          "https://api.reoclo.com",
		"https://Ops.Example.com:8443/X/y": "https://ops.example.com:8443/X/y",
		"http://[::1]:9000":                "http://[::1]:9000",
		"https://[2001:DB8::1]/":           "https://[2001:db8::1]/",
	} {
		t.Run(v, func(t *testing.T) {
			u, err := ParseAPIURL(v)
			require.NoError(t, err)
			assert.Equal(t, want, u.String())
		})
	}
}

func TestLoadPost(t *testing.T) {
	t.Run("cleanup false needs nothing else", func(t *testing.T) {
		cfg, err := LoadPost(inputs(map[string]string{InputCleanup: "False", InputAPIKey: "", InputTimeout: "x"}))
		require.NoError(t, err)
		assert.False(t, cfg.Cleanup)
	})
	t.Run("cleanup true checks key, url and timeout", func(t *testing.T) {
		_, err := LoadPost(inputs(map[string]string{InputAPIKey: "", InputAPIURL: "http://example.com", InputTimeout: "x"}))
		require.Error(t, err)
		for _, want := range []string{"input api_key", "input api_url", "input timeout"} {
			assert.Contains(t, err.Error(), want)
		}
	})
	t.Run("server and credential come from state, not inputs", func(t *testing.T) {
		cfg, err := LoadPost(inputs(map[string]string{InputServerID: "", InputCredentialID: ""}))
		require.NoError(t, err)
		assert.True(t, cfg.Cleanup)
		assert.Equal(t, goodKey, cfg.APIKey)
	})
	t.Run("bad cleanup", func(t *testing.T) {
		_, err := LoadPost(inputs(map[string]string{InputCleanup: "maybe"}))
		var ie *InputError
		require.ErrorAs(t, err, &ie)
		assert.Equal(t, InputCleanup, ie.Input)
	})
}

func TestLoadLogout(t *testing.T) {
	in := func(overrides map[string]string) GetInputFunc {
		m := map[string]string{InputAPIKey: goodKey, InputServerID: "6F1C2B8E-3D4A-4E5F-9A6B-7C8D9E0F1A2B", InputRegistryURL: "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
			InputAPIURL: "https://api.reoclo.com", InputTimeout: "30"}
		for k, v := range overrides {
			m[k] = v
		}
		return func(name string) string { return m[name] }
	}
	t.Run("valid", func(t *testing.T) {
		cfg, err := LoadLogout(in(nil))
		require.NoError(t, err)
		assert.Equal(t, goodKey, cfg.APIKey)
		assert.Equal(t, goodServer, cfg.ServerID)
		assert.Equal(t, "123456789012.dkr.ecr.eu-west-1.amazonaws.com", cfg.RegistryURL)
		assert.Equal(t, 30*time.Second, cfg.Timeout)
	})
	for _, tc := range []struct{ name, input, value, want string }{
		{"registry missing", InputRegistryURL, "", "input registry_url: is required but empty (set it in the step's with:, typically to ${{ steps.<login step id>.outputs.registry_url }})"},
		{"registry with newline", InputRegistryURL, "ghcr.io\nregistry_type=x", `input registry_url: must be one registry such as ghcr.io, with no spaces, line breaks or control characters (got "ghcr.io\nregistry_type=x")`},
		{"registry with tab", InputRegistryURL, "ghcr.io\t", "input registry_url: must be one registry"},
		{"registry with escape", InputRegistryURL, "ghcr.io\x1b[2J", "input registry_url: must be one registry"},
		{"registry not UTF-8", InputRegistryURL, "ghcr.io\xff", "input registry_url: must be one registry"},
		{"registry too long", InputRegistryURL, strings.Repeat("a", 2049), "input registry_url: must be at most 2048 bytes (got 2049)"},
		{"registry an option", InputRegistryURL, "--config=/tmp/x", `input registry_url: must be one registry such as ghcr.io, but it starts with "-", which docker would read as an option, and no registry does (got "--config=/tmp/x")`},
		{"registry a short option", InputRegistryURL, "-h", `but it starts with "-"`},
		{"registry --password-stdin", InputRegistryURL, "--password-stdin", `but it starts with "-"`},
		{"server not uuid", InputServerID, "prod", "input server_id: must be a UUID"},
		{"key with space", InputAPIKey, "rca_a b", "input api_key: must be a single token"},
		{"http", InputAPIURL, "http://api.reoclo.com", "input api_url: must use https"},
		{"timeout", InputTimeout, "0", "input timeout: must be more than 0 seconds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := LoadLogout(in(map[string]string{tc.input: tc.value}))
			assert.Nil(t, cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			var ie *InputError
			require.ErrorAs(t, err, &ie)
			assert.Equal(t, tc.input, ie.Input)
		})
	}
	t.Run("every problem at once, never the key", func(t *testing.T) {
		_, err := LoadLogout(in(map[string]string{InputAPIKey: "rca_sup3r secret", InputServerID: "", InputRegistryURL: "", InputTimeout: "x"}))
		require.Error(t, err)
		for _, want := range []string{"input api_key", "input server_id", "input registry_url", "input timeout"} {
			assert.Contains(t, err.Error(), want)
		}
		assert.NotContains(t, err.Error(), "sup3r")
	})
}
