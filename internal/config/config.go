// Package config reads and checks the action's inputs, before any request,
// reporting every problem at once and never quoting the API key.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Names of the inputs action.yml and logout/action.yml declare.
const (
	InputAPIKey       = "api_key"
	InputServerID     = "server_id"
	InputCredentialID = "credential_id"
	InputCleanup      = "cleanup"
	InputAPIURL       = "api_url"
	InputTimeout      = "timeout"
	InputRegistryURL  = "registry_url" // the logout step's only
)

// Defaults returns action.yml's input defaults: an input whose variable is
// not set at all gets its default (act's post step passes only the keys
// under `with:`). A test holds them equal to action.yml's.
func Defaults() map[string]string {
	return map[string]string{InputCleanup: "true", InputAPIURL: defaultAPIURL, InputTimeout: defaultTimeout}
}

// LogoutDefaults returns logout/action.yml's input defaults.
func LogoutDefaults() map[string]string {
	return map[string]string{InputAPIURL: defaultAPIURL, InputTimeout: defaultTimeout}
}

const (
	defaultAPIURL  = "https://api.reoclo.com"
	defaultTimeout = "120"
)

// GetInputFunc returns the value of the named input, trimmed, or "".
type GetInputFunc func(name string) string

// Access is what every step needs to reach the API.
type Access struct {
	// APIKey is the Reoclo automation key. Never print it.
	APIKey string
	// API is the validated base URL of the Reoclo API.
	API *url.URL
	// Timeout bounds the step's wait for its operation, retries included.
	Timeout time.Duration
}

// Config is a step's inputs, parsed: the main step's (Load), the post
// step's (LoadPost: Access and Cleanup) or the logout step's (LoadLogout:
// no CredentialID nor Cleanup, a RegistryURL).
type Config struct {
	Access
	ServerID, CredentialID, RegistryURL string
	Cleanup                             bool
}

// InputError is one input that is missing or malformed: its message names
// the input and says what it expects; it never holds the API key.
type InputError struct {
	Input, Problem string
}

// Error implements error: "input timeout: must be …".
func (e *InputError) Error() string { return fmt.Sprintf("input %s: %s", e.Input, e.Problem) }

// Load reads and checks every input of the main step. It returns every
// problem at once, joined in the order action.yml declares the inputs, each
// an *InputError.
func Load(get GetInputFunc) (*Config, error) {
	cfg := &Config{}
	return cfg.check(errors.Join(
		into(&cfg.APIKey)(apiKey(get(InputAPIKey))),
		into(&cfg.ServerID)(uuidInput(InputServerID, get(InputServerID))),
		into(&cfg.CredentialID)(uuidInput(InputCredentialID, get(InputCredentialID))),
		into(&cfg.Cleanup)(boolInput(InputCleanup, get(InputCleanup))),
		cfg.access(get),
	))
}

// LoadPost reads and checks the post step's inputs, as Load does. With
// cleanup false the others are not needed, so not checked.
func LoadPost(get GetInputFunc) (*Config, error) {
	cfg := &Config{}
	err := into(&cfg.Cleanup)(boolInput(InputCleanup, get(InputCleanup)))
	if err == nil && cfg.Cleanup {
		err = errors.Join(into(&cfg.APIKey)(apiKey(get(InputAPIKey))), cfg.access(get))
	}
	return cfg.check(err)
}

// LoadLogout reads and checks every input of the logout step, as Load does.
func LoadLogout(get GetInputFunc) (*Config, error) {
	cfg := &Config{}
	return cfg.check(errors.Join(
		into(&cfg.APIKey)(apiKey(get(InputAPIKey))),
		into(&cfg.ServerID)(uuidInput(InputServerID, get(InputServerID))),
		into(&cfg.RegistryURL)(registryURLInput(get(InputRegistryURL))),
		cfg.access(get),
	))
}

func (cfg *Config) access(get GetInputFunc) error {
	return errors.Join(into(&cfg.API)(ParseAPIURL(get(InputAPIURL))), into(&cfg.Timeout)(timeoutInput(get(InputTimeout))))
}

func (cfg *Config) check(err error) (*Config, error) {
	if err != nil {
		return nil, withHint(err)
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
