package config

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary inputs to Load. It must never panic, what it
// accepts must hold the invariants the rest of the action relies on, and no
// error may quote the API key. Seeds live in testdata/fuzz/FuzzLoad.
func FuzzLoad(f *testing.F) {
	f.Add(goodKey, goodServer, goodCred, "true", "https://api.reoclo.com", "120")
	f.Add("rca_x y", strings.ToUpper(goodServer), "x", "TRUE", "http://LOCALHOST.:8080/", "0.5")
	f.Fuzz(func(t *testing.T, key, server, cred, cleanup, api, timeout string) {
		in := map[string]string{InputAPIKey: key, InputServerID: server, InputCredentialID: cred,
			InputCleanup: cleanup, InputAPIURL: api, InputTimeout: timeout}
		cfg, err := Load(func(name string) string { return in[name] })
		if err != nil {
			if cfg != nil {
				t.Fatal("config returned with an error")
			}
			others := server + cred + cleanup + api + timeout
			if len(key) >= 4 && !strings.Contains(others, key) && strings.Contains(err.Error(), key) {
				t.Fatalf("error quotes the API key: %v", err)
			}
			return
		}
		if cfg.Timeout <= 0 {
			t.Fatalf("accepted timeout %v", cfg.Timeout)
		}
		if !uuidPattern.MatchString(cfg.ServerID) || !uuidPattern.MatchString(cfg.CredentialID) {
			t.Fatalf("accepted non-UUID ids %q %q", cfg.ServerID, cfg.CredentialID)
		}
		if cfg.API.User != nil || cfg.API.RawQuery != "" || cfg.API.Fragment != "" ||
			(cfg.API.Scheme != "https" && !(cfg.API.Scheme == "http" && IsLoopback(cfg.API.Hostname()))) {
			t.Fatalf("accepted api_url %q", api)
		}
		if host := cfg.API.Hostname(); host != NormalizeHost(host) || host != strings.ToLower(host) {
			t.Fatalf("host %q is not normalised", host)
		}
		if again, err := url.Parse(cfg.API.String()); err != nil || again.Host != cfg.API.Host {
			t.Fatalf("api_url %q does not read back as itself: %v", cfg.API, err)
		}
		if strings.ContainsAny(cfg.APIKey, " \t\r\n") {
			t.Fatalf("accepted a key with white space")
		}
	})
}
