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
func Inputs() []string {
	return []string{InputAPIKey, InputServerID, InputCredentialID, InputCleanup, InputAPIURL, InputTimeout}
}

// LogoutInputs lists every input the logout step reads, in the order
// logout/action.yml declares them.
func LogoutInputs() []string {
	return []string{InputAPIKey, InputServerID, InputRegistryURL, InputAPIURL, InputTimeout}
}

// The defaults action.yml and logout/action.yml declare.
const (
	defaultCleanup = "true"
	defaultAPIURL  = "https://api.reoclo.com"
	defaultTimeout = "120"
)

// Defaults returns action.yml's input defaults. A runner that leaves an
// input's INPUT_ variable out altogether (act's post step passes only the
// keys under `with:`) gets these; a test holds them equal to action.yml's.
func Defaults() map[string]string {
	return map[string]string{InputCleanup: defaultCleanup, InputAPIURL: defaultAPIURL, InputTimeout: defaultTimeout}
}

// LogoutDefaults returns logout/action.yml's input defaults, the main
// action's for the inputs they share.
func LogoutDefaults() map[string]string {
	return map[string]string{InputAPIURL: defaultAPIURL, InputTimeout: defaultTimeout}
}

// GetInputFunc returns the value of the named input, trimmed, or "" when it is
// not set. githubactions.Action.GetInput is one.
type GetInputFunc func(name string) string

// Access is what every step needs to reach the API: the inputs api_key,
// api_url and timeout, parsed.
type Access struct {
	// APIKey is the Reoclo automation key. Never print it.
	APIKey string
	// API is the validated base URL of the Reoclo API.
	API *url.URL
	// Timeout bounds the step's wait for its operation, retries included.
	Timeout time.Duration
}

// Config is what the main step needs: every input, parsed.
type Config struct {
	Access
	// ServerID is the UUID of the server that runs docker login.
	ServerID string
	// CredentialID is the UUID of the registry credential in Reoclo's vault.
	CredentialID string
	// Cleanup says whether the post step logs out again.
	Cleanup bool
}

// PostConfig is what the post step reads from its inputs. The server, the
// registry and the login operation come from the main step's saved state.
// When Cleanup is false, Access is left empty.
type PostConfig struct {
	Access
	Cleanup bool
}

// LogoutConfig is what the logout step (logout/action.yml) needs: every
// input, parsed.
type LogoutConfig struct {
	Access
	// ServerID is the UUID of the server that runs docker logout.
	ServerID string
	// RegistryURL is the registry to log out of, as the login step's
	// registry_url output gives it.
	RegistryURL string
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
// problems it found, joined in the order action.yml declares the inputs,
// each an *InputError.
func Load(get GetInputFunc) (*Config, error) {
	cfg := &Config{}
	err := errors.Join(
		into(&cfg.APIKey)(apiKey(get(InputAPIKey))),
		into(&cfg.ServerID)(uuidInput(InputServerID, get(InputServerID))),
		into(&cfg.CredentialID)(uuidInput(InputCredentialID, get(InputCredentialID))),
		into(&cfg.Cleanup)(boolInput(InputCleanup, get(InputCleanup))),
		into(&cfg.API)(ParseAPIURL(get(InputAPIURL))),
		into(&cfg.Timeout)(timeoutInput(get(InputTimeout))),
	)
	if err != nil {
		return nil, err
	}
	return cfg, nil
}

// LoadPost reads and validates the inputs the post step uses. Like Load, it
// returns every problem at once. When cleanup is false the other inputs are
// not needed, so they are not checked.
func LoadPost(get GetInputFunc) (*PostConfig, error) {
	cfg := &PostConfig{}
	if err := into(&cfg.Cleanup)(boolInput(InputCleanup, get(InputCleanup))); err != nil {
		return nil, err
	}
	if !cfg.Cleanup {
		return cfg, nil
	}
	err := errors.Join(
		into(&cfg.APIKey)(apiKey(get(InputAPIKey))),
		into(&cfg.API)(ParseAPIURL(get(InputAPIURL))),
		into(&cfg.Timeout)(timeoutInput(get(InputTimeout))),
	)
	if err != nil {
		return nil, err
	}
	return cfg, nil
}

// LoadLogout reads and validates every input of the logout step. Like Load,
// it returns every problem at once, each an *InputError.
func LoadLogout(get GetInputFunc) (*LogoutConfig, error) {
	cfg := &LogoutConfig{}
	err := errors.Join(
		into(&cfg.APIKey)(apiKey(get(InputAPIKey))),
		into(&cfg.ServerID)(uuidInput(InputServerID, get(InputServerID))),
		into(&cfg.RegistryURL)(registryURLInput(get(InputRegistryURL))),
		into(&cfg.API)(ParseAPIURL(get(InputAPIURL))),
		into(&cfg.Timeout)(timeoutInput(get(InputTimeout))),
	)
	if err != nil {
		return nil, err
	}
	return cfg, nil
}

// into returns a function that stores an input's parsed value in dst and
// returns its error: into(&cfg.X)(parse(get(name))) reads one input.
func into[T any](dst *T) func(T, error) error {
	return func(v T, err error) error {
		*dst = v
		return err
	}
}
