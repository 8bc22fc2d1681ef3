// Package config reads and validates the action's inputs.
//
// Every input is checked before the action sends a single request, and every
// problem is reported at once, each naming the input and what it expects.
// The API key's value never appears in an error.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Names of the inputs declared in action.yml.
const (
	InputAPIKey       = "api_key"
	InputServerID     = "server_id"
	InputCredentialID = "credential_id"
	InputCleanup      = "cleanup"
	InputAPIURL       = "api_url"
	InputTimeout      = "timeout"
	// InputRegistryURL is an input of the logout step (logout/action.yml) only.
	InputRegistryURL = "registry_url"
)

// Inputs lists every input the action reads, in the order action.yml declares them.
var Inputs = []string{InputAPIKey, InputServerID, InputCredentialID, InputCleanup, InputAPIURL, InputTimeout}

// LogoutInputs lists every input the logout step reads, in the order
// logout/action.yml declares them.
var LogoutInputs = []string{InputAPIKey, InputServerID, InputRegistryURL, InputAPIURL, InputTimeout}

// Defaults are action.yml's input defaults. A runner that leaves an input's
// INPUT_ variable out altogether (act's post step passes only the keys under
// `with:`) gets these; a test holds them equal to action.yml's.
var Defaults = map[string]string{
	InputCleanup: "true",
	InputAPIURL:  "https://api.reoclo.com",
	InputTimeout: "120",
}

// LogoutDefaults are logout/action.yml's input defaults, the main action's
// for the inputs they share.
var LogoutDefaults = map[string]string{
	InputAPIURL:  Defaults[InputAPIURL],
	InputTimeout: Defaults[InputTimeout],
}

// GetInputFunc returns the value of the named input, trimmed, or "" when it is
// not set. githubactions.Action.GetInput is one.
type GetInputFunc func(name string) string

// Config is what the main step needs: every input, parsed.
type Config struct {
	// APIKey is the Reoclo automation key. Never print it.
	APIKey string
	// ServerID is the UUID of the server that runs docker login.
	ServerID string
	// CredentialID is the UUID of the registry credential in Reoclo's vault.
	CredentialID string
	// Cleanup says whether the post step logs out again.
	Cleanup bool
	// API is the validated base URL of the Reoclo API.
	API *url.URL
	// Timeout bounds the whole wait for the operation, retries included.
	Timeout time.Duration
}

// PostConfig is what the post step reads from its inputs. The server, the
// registry and the login operation come from the main step's saved state.
type PostConfig struct {
	APIKey  string
	Cleanup bool
	API     *url.URL
	Timeout time.Duration
}

// LogoutConfig is what the logout step (logout/action.yml) needs: every
// input, parsed.
type LogoutConfig struct {
	// APIKey is the Reoclo automation key. Never print it.
	APIKey string
	// ServerID is the UUID of the server that runs docker logout.
	ServerID string
	// RegistryURL is the registry to log out of, as the login step's
	// registry_url output gives it.
	RegistryURL string
	// API is the validated base URL of the Reoclo API.
	API *url.URL
	// Timeout bounds the wait for the logout, retries included.
	Timeout time.Duration
}

// InputError reports one input that is missing or malformed. Its message names
// the input and says what it expects; it never carries the API key.
type InputError struct {
	// Input is the input's name as declared in action.yml.
	Input string
	// Problem says what is wrong and what is expected.
	Problem string
}

// Error implements error.
func (e *InputError) Error() string {
	return fmt.Sprintf("input %s: %s", e.Input, e.Problem)
}

// Load reads and validates every input of the main step. It returns all the
// problems it found, joined, each an *InputError.
func Load(get GetInputFunc) (*Config, error) {
	var errs []error
	collect := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}

	cfg := &Config{}
	var err error
	cfg.APIKey, err = apiKey(get(InputAPIKey))
	collect(err)
	cfg.ServerID, err = uuidInput(InputServerID, get(InputServerID))
	collect(err)
	cfg.CredentialID, err = uuidInput(InputCredentialID, get(InputCredentialID))
	collect(err)
	cfg.Cleanup, err = boolInput(InputCleanup, get(InputCleanup))
	collect(err)
	cfg.API, err = ParseAPIURL(get(InputAPIURL))
	collect(err)
	cfg.Timeout, err = timeoutInput(get(InputTimeout))
	collect(err)

	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return cfg, nil
}

// LoadPost reads and validates the inputs the post step uses. Like Load, it
// returns every problem at once. When cleanup is false the other inputs are
// not needed, so they are not checked.
func LoadPost(get GetInputFunc) (*PostConfig, error) {
	cleanup, err := boolInput(InputCleanup, get(InputCleanup))
	if err != nil {
		return nil, err
	}
	cfg := &PostConfig{Cleanup: cleanup}
	if !cleanup {
		return cfg, nil
	}

	var errs []error
	if cfg.APIKey, err = apiKey(get(InputAPIKey)); err != nil {
		errs = append(errs, err)
	}
	if cfg.API, err = ParseAPIURL(get(InputAPIURL)); err != nil {
		errs = append(errs, err)
	}
	if cfg.Timeout, err = timeoutInput(get(InputTimeout)); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return cfg, nil
}

// LoadLogout reads and validates every input of the logout step. Like Load,
// it returns every problem at once, each an *InputError.
func LoadLogout(get GetInputFunc) (*LogoutConfig, error) {
	cfg := &LogoutConfig{}
	var errs [5]error
	cfg.APIKey, errs[0] = apiKey(get(InputAPIKey))
	cfg.ServerID, errs[1] = uuidInput(InputServerID, get(InputServerID))
	cfg.RegistryURL, errs[2] = registryURLInput(get(InputRegistryURL))
	cfg.API, errs[3] = ParseAPIURL(get(InputAPIURL))
	cfg.Timeout, errs[4] = timeoutInput(get(InputTimeout))
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	return cfg, nil
}
