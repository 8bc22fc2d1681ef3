package config

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// uuidPattern matches the canonical 8-4-4-4-12 hexadecimal form.
var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// maxTimeout is the longest timeout a time.Duration can hold, in whole seconds.
const maxTimeout = math.MaxInt64 / int64(time.Second)

// secretHint is the usual cause of an input that is set but empty: the
// secret or variable it comes from is not available to this run.
const secretHint = "is required but empty. If the step sets it from a secret or variable (${{ secrets.… }}, ${{ vars.… }}), " +
	"this run cannot see it: check the name; pull requests from forks get no secrets, Dependabot runs get only " +
	"Dependabot secrets, and an environment's secrets and variables reach only jobs whose environment: names it " +
	"(see Troubleshooting in the README)"

// required fails for an empty value. For the inputs a workflow passes from
// secrets (the key and the IDs) it names the usual cause; for those with a
// default in action.yml it says how to get the default.
func required(name, v string) error {
	if v != "" {
		return nil
	}
	switch name {
	case InputAPIKey, InputServerID, InputCredentialID:
		return &InputError{Input: name, Problem: secretHint}
	case InputAPIURL, InputTimeout:
		return &InputError{Input: name, Problem: "is required but empty (leave it out of the step's with: to use its default)"}
	}
	return &InputError{Input: name, Problem: "is required but empty"}
}

// apiKey checks the key is present and fits in an HTTP header. The key itself
// never goes into the error.
func apiKey(v string) (string, error) {
	if err := required(InputAPIKey, v); err != nil {
		return "", err
	}
	for _, r := range v {
		if r > unicode.MaxASCII || unicode.IsSpace(r) || unicode.IsControl(r) {
			return "", &InputError{Input: InputAPIKey, Problem: "must be a single token of printable ASCII characters, " +
				"with no spaces or line breaks (copy the automation key from Reoclo again)"}
		}
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
	return false, &InputError{Input: name, Problem: fmt.Sprintf(
		"must be one of true, True, TRUE, false, False, FALSE (got %q)", clip(v))}
}

// timeoutInput parses a positive number of seconds, such as 120 or 7.5.
func timeoutInput(v string) (time.Duration, error) {
	if err := required(InputTimeout, v); err != nil {
		return 0, err
	}
	secs, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(secs) || math.IsInf(secs, 0) {
		return 0, &InputError{Input: InputTimeout, Problem: fmt.Sprintf(
			"must be a positive number of seconds such as 120 (got %q)", clip(v))}
	}
	if secs <= 0 {
		return 0, &InputError{Input: InputTimeout, Problem: fmt.Sprintf("must be more than 0 seconds (got %s)", v)}
	}
	if secs > float64(maxTimeout) {
		return 0, &InputError{Input: InputTimeout, Problem: fmt.Sprintf(
			"must be at most %d seconds (got %s)", maxTimeout, clip(v))}
	}
	d := time.Duration(secs * float64(time.Second))
	if d < time.Millisecond {
		return 0, &InputError{Input: InputTimeout, Problem: fmt.Sprintf("must be at least 0.001 seconds (got %s)", v)}
	}
	return d, nil
}

// MaxRegistryURL bounds a registry_url, the input's and the one the API
// returns: longer, it cannot be an output.
const MaxRegistryURL = 2048

// CheckRegistry reports why v cannot name the registry of a docker logout,
// or nil when it can: it must not be empty (docker logout without one logs
// out of Docker Hub), nor start with "-", which docker would read as an
// option (--config=/tmp/x, -h).
func CheckRegistry(v string) error {
	switch {
	case v == "":
		return errors.New("it is empty")
	case strings.HasPrefix(v, "-"):
		return errors.New("it starts with \"-\", which docker would read as an option, and no registry does")
	}
	return nil
}

// registryURLInput checks the logout step's registry_url: one registry as
// the login step's registry_url output gives it (ghcr.io, docker.io, an ECR
// host…), with no white space or control characters.
func registryURLInput(v string) (string, error) {
	if err := required(InputRegistryURL, v); err != nil {
		return "", &InputError{Input: InputRegistryURL, Problem: "is required but empty (set it in the step's with:, " +
			"typically to ${{ steps.<login step id>.outputs.registry_url }})"}
	}
	if len(v) > MaxRegistryURL {
		return "", &InputError{Input: InputRegistryURL, Problem: fmt.Sprintf("must be at most %d bytes (got %d)", MaxRegistryURL, len(v))}
	}
	for _, r := range v {
		if r == utf8.RuneError || unicode.IsSpace(r) || unicode.IsControl(r) {
			return "", &InputError{Input: InputRegistryURL, Problem: fmt.Sprintf(
				"must be one registry such as ghcr.io, with no spaces, line breaks or control characters (got %q)", clip(v))}
		}
	}
	if err := CheckRegistry(v); err != nil {
		return "", &InputError{Input: InputRegistryURL, Problem: fmt.Sprintf("must be one registry such as ghcr.io, but %v (got %q)", err, clip(v))}
	}
	return v, nil
}

// clip shortens a user's value for quoting in an error message.
func clip(v string) string {
	const maxQuoted = 64
	if len(v) <= maxQuoted {
		return v
	}
	return v[:maxQuoted] + "…"
}
