// Package config reads and checks the action's inputs, before any request,
// reporting every problem at once and never quoting the API key.
package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Names of the inputs action.yml and logout/action.yml declare, and the
// defaults of api_url and timeout.
const (
	InputAPIKey       = "api_key"
	InputServerID     = "server_id"
	InputCredentialID = "credential_id"
	InputCleanup      = "cleanup"
	InputAPIURL       = "api_url"
	InputTimeout      = "timeout"
	InputRegistryURL  = "registry_url" // the logout step's only

	defaultAPIURL  = "https://api.reoclo.com"
	defaultTimeout = "120"
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

// GetInputFunc returns the value of the named input, trimmed, or "".
type GetInputFunc func(name string) string

// Access is what every step needs to reach the API.
type Access struct {
	APIKey  string        // the Reoclo automation key: never print it
	API     *url.URL      // the validated base URL of the Reoclo API
	Timeout time.Duration // bounds the step's wait for its operation, retries included
}

// Config is a step's parsed inputs: Load's, LoadPost's (Access and Cleanup)
// or LoadLogout's (no CredentialID nor Cleanup, but a RegistryURL).
type Config struct {
	Access
	ServerID, CredentialID, RegistryURL string
	Cleanup                             bool
}

// InputError is one input that is missing or malformed: its message names
// the input and says what it expects; it never holds the API key.
type InputError struct{ Input, Problem string }

// Error implements error: "input timeout: must be …".
func (e *InputError) Error() string { return fmt.Sprintf("input %s: %s", e.Input, e.Problem) }

// Load reads and checks every input of the main step. It returns every
// problem at once, each an *InputError, in action.yml's order of inputs.
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

// check returns cfg, or err (errors.Join's) ending with SecretHint when a
// key or ID in it is empty.
func (cfg *Config) check(err error) (*Config, error) {
	if err == nil {
		return cfg, nil
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			var ie *InputError
			if errors.As(e, &ie) && ie.Problem == emptySecret {
				return nil, errors.Join(err, errors.New(SecretHint)) //nolint:staticcheck // ST1005: advice, a sentence
			}
		}
	}
	return nil, err
}

// into returns a function that stores an input's parsed value in dst and
// returns its error: into(&cfg.X)(parse(get(name))) reads one input.
func into[T any](dst *T) func(T, error) error {
	return func(v T, err error) error {
		*dst = v
		return err
	}
}

// uuidPattern matches the canonical 8-4-4-4-12 hexadecimal form.
var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// SecretHint is the usual cause of a key or ID that is set but empty. The
// error of a step's inputs ends with it, once, when one of them is empty.
const SecretHint = "An empty key or ID nearly always comes from a secret or variable (${{ secrets.… }}, ${{ vars.… }}) " +
	"this run cannot see: check its name; pull requests from forks get no secrets, Dependabot runs get only " +
	"Dependabot secrets, and an environment's secrets and variables reach only jobs whose environment: names it"

// emptySecret is an *InputError's Problem for a key or ID that is empty.
const emptySecret = "is required but empty"

// required fails for an empty value, saying what to do for an input with a
// default or the logout step's registry_url.
func required(name, v string) error {
	if v != "" {
		return nil
	}
	problem := emptySecret
	switch name {
	case InputAPIURL, InputTimeout:
		problem += " (leave it out of the step's with: to use its default)"
	case InputRegistryURL:
		problem += " (set it in the step's with:, typically to ${{ steps.<login step id>.outputs.registry_url }})"
	}
	return &InputError{Input: name, Problem: problem}
}

// apiKey checks the key is present and fits an HTTP header, never quoting it.
func apiKey(v string) (string, error) {
	if err := required(InputAPIKey, v); err != nil {
		return "", err
	}
	if strings.ContainsFunc(v, func(r rune) bool { return r > unicode.MaxASCII || unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return "", &InputError{Input: InputAPIKey, Problem: "must be a single token of printable ASCII characters, " +
			"with no spaces or line breaks (copy the automation key from Reoclo again)"}
	}
	return v, nil
}

func uuidInput(name, v string) (string, error) {
	if err := required(name, v); err != nil {
		return "", err
	}
	if !uuidPattern.MatchString(v) {
		return "", &InputError{Input: name, Problem: fmt.Sprintf(
			"must be a UUID such as 6f1c2b8e-3d4a-4e5f-9a6b-7c8d9e0f1a2b (got %d characters that are not one)", len(v))}
	}
	return strings.ToLower(v), nil
}

// boolInput accepts exactly what @actions/core's getBooleanInput accepts.
func boolInput(name, v string) (bool, error) {
	switch v {
	case "true", "True", "TRUE":
		return true, nil
	case "false", "False", "FALSE":
		return false, nil
	}
	return false, &InputError{Input: name, Problem: fmt.Sprintf("must be one of true, True, TRUE, false, False, FALSE (got %q)", clip(v))}
}

// timeoutInput parses a positive number of seconds, such as 120 or 7.5, from
// 0.001 to what a time.Duration holds.
func timeoutInput(v string) (time.Duration, error) {
	if err := required(InputTimeout, v); err != nil {
		return 0, err
	}
	const most = math.MaxInt64 / int64(time.Second)
	secs, err := strconv.ParseFloat(v, 64)
	switch {
	case err != nil || math.IsNaN(secs) || math.IsInf(secs, 0):
		return 0, &InputError{InputTimeout, fmt.Sprintf("must be a positive number of seconds such as 120 (got %q)", clip(v))}
	case secs <= 0:
		return 0, &InputError{InputTimeout, fmt.Sprintf("must be more than 0 seconds (got %s)", v)}
	case secs > float64(most):
		return 0, &InputError{InputTimeout, fmt.Sprintf("must be at most %d seconds (got %s)", most, clip(v))}
	case secs < 0.001:
		return 0, &InputError{InputTimeout, fmt.Sprintf("must be at least 0.001 seconds (got %s)", v)}
	}
	return time.Duration(secs * float64(time.Second)), nil
}

// MaxRegistryURL bounds a registry_url, the input's and the API's: longer,
// it cannot be an output.
const MaxRegistryURL = 2048

// CheckRegistry reports why v cannot name the registry of a docker logout:
// empty (docker logout without one logs out of Docker Hub), or starting with
// "-", which docker would read as an option (--config=/tmp/x, -h).
func CheckRegistry(v string) error {
	switch {
	case v == "":
		return errors.New("it is empty")
	case strings.HasPrefix(v, "-"):
		return errors.New("it starts with \"-\", which docker would read as an option, and no registry does")
	}
	return nil
}

// registryURLInput checks the logout step's registry_url: one registry, as
// the login's output gives it, with no white space or control characters.
func registryURLInput(v string) (string, error) {
	if err := required(InputRegistryURL, v); err != nil {
		return "", err
	}
	if len(v) > MaxRegistryURL {
		return "", &InputError{InputRegistryURL, fmt.Sprintf("must be at most %d bytes (got %d)", MaxRegistryURL, len(v))}
	}
	if strings.ContainsFunc(v, func(r rune) bool { return r == utf8.RuneError || unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return "", &InputError{InputRegistryURL, fmt.Sprintf(
			"must be one registry such as ghcr.io, with no spaces, line breaks or control characters (got %q)", clip(v))}
	}
	if err := CheckRegistry(v); err != nil {
		return "", &InputError{InputRegistryURL, fmt.Sprintf("must be one registry such as ghcr.io, but %v (got %q)", err, clip(v))}
	}
	return v, nil
}

// ParseAPIURL checks api_url: an absolute http(s) URL, no credentials,
// query or fragment, plain http only to loopback hosts (the key never
// crosses a network in clear); its host normalised, for one spelling.
func ParseAPIURL(v string) (*url.URL, error) {
	if err := required(InputAPIURL, v); err != nil {
		return nil, err
	}
	u, err := url.Parse(v)
	var problem string
	switch {
	case err != nil:
		problem = fmt.Sprintf("must be an absolute URL such as https://api.reoclo.com (got %q, which does not parse)", clip(v))
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Opaque != "":
		problem = fmt.Sprintf("must be an absolute http(s) URL such as https://api.reoclo.com (got %q)", clip(v))
	case u.User != nil:
		problem = "must not carry a user name or password; the API key goes in api_key"
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		problem = fmt.Sprintf("must not have a query or fragment (got %q)", clip(v))
	case NormalizeHost(u.Hostname()) == "":
		problem = fmt.Sprintf("must name a host (got %q)", clip(v))
	case u.Scheme == "http" && !IsLoopback(u.Hostname()):
		problem = fmt.Sprintf("must use https (got %q); plain http is allowed only for loopback addresses such as 127.0.0.1", clip(v))
	default:
		u.Host = strings.Replace(u.Host, u.Hostname(), NormalizeHost(u.Hostname()), 1)
		return u, nil
	}
	return nil, &InputError{Input: InputAPIURL, Problem: problem}
}

// NormalizeHost returns a host (without port or brackets) in the spelling
// the action compares: lower case, no trailing dot.
func NormalizeHost(host string) string {
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

// IsLoopback reports whether host (without port), in any spelling, is
// localhost or a loopback IP: the one rule for plain http and proxy bypass.
func IsLoopback(host string) bool {
	host = NormalizeHost(host)
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// clip shortens a user's value for quoting in an error message.
func clip(v string) string {
	if len(v) > 64 {
		return v[:64] + "…"
	}
	return v
}
