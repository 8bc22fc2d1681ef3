package action

import (
	"fmt"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/reoclo/docker-auth/internal/reoclo"
	"github.com/reoclo/docker-auth/internal/untrusted"
)

// State keys the main step saves for the post step. The runner passes them
// back as STATE_<key>, case kept. The API key is never among them.
const (
	stateServerID      = "server_id"
	stateRegistryURL   = "registry_url"
	stateOperationID   = "operation_id"
	stateLoginFinished = "login_finished"
	stateLoginRefused  = "login_refused"
	// stateServerName is the server's name from the login operation, so a
	// failed logout can name the server (its ID is usually masked).
	stateServerName = "server_name"
)

// Output names, as action.yml declares them.
const (
	outputOperationID  = "operation_id"
	outputRegistryURL  = "registry_url"
	outputRegistryType = "registry_type"
)

// Limits on values from the API that become outputs or state.
const (
	maxRegistryURL  = 2048
	maxRegistryType = 64
)

// loginState is what post needs to undo a login.
type loginState struct {
	ServerID, RegistryURL, OperationID string
	// Finished is true when main saw the login operation reach a terminal
	// status, so post need not wait for it.
	Finished bool
	// Refused is true when main saw docker login itself exit non-zero
	// (refusedLogin): the server's docker config is unchanged, so there is
	// nothing of ours to log out of.
	Refused bool
	// ServerName is the server's name as the API gave it, or "".
	ServerName string
}

// runnerName names the runner when it is act or one built on it (Gitea's and
// Forgejo's runners), which may not run a container action's post step, or
// run it without STATE_* and input defaults; "" elsewhere (GitHub's runner,
// GHES, self-hosted).
func runnerName(getenv func(string) string) string {
	switch {
	case getenv("FORGEJO_ACTIONS") == "true":
		return "Forgejo Actions"
	case getenv("GITEA_ACTIONS") == "true":
		return "Gitea Actions"
	case getenv("ACT") == "true":
		return "act"
	}
	return ""
}

// envPrefix starts the names of the GITHUB_ENV variables that carry a step's
// state to its post step on act-family runners.
const envPrefix = "DOCKER_AUTH_"

// envStateName is the GITHUB_ENV variable that carries state key for the step
// whose GITHUB_ACTION is step: DOCKER_AUTH_SERVER_ID_login for step "login".
// The step ID is encoded one to one: a-z and 0-9 are kept, every other byte
// becomes _XX (its hex code), so two steps never share a name, and no name
// contains "INPUT_" (act drops such variables from a step's environment).
func envStateName(step, key string) string {
	var b strings.Builder
	b.WriteString(envPrefix)
	b.WriteString(strings.ToUpper(key))
	b.WriteByte('_')
	for i := 0; i < len(step); i++ {
		c := step[i]
		if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "_%02X", c)
	}
	return b.String()
}

// stateWriter saves state for the post step: to GITHUB_STATE, and on an
// act-family runner (runnerName) also to GITHUB_ENV under envStateName, the
// one place act hands to the post container. Elsewhere GITHUB_ENV is left
// alone: the runner passes STATE_*, and every later step would see the
// variables.
type stateWriter struct {
	gh *githubactions.Action
	// step is GITHUB_ACTION when state is mirrored to GITHUB_ENV, else "".
	step string
}

func newStateWriter(gh *githubactions.Action, getenv func(string) string) stateWriter {
	w := stateWriter{gh: gh}
	if runnerName(getenv) != "" && getenv("GITHUB_ENV") != "" {
		w.step = getenv("GITHUB_ACTION")
	}
	return w
}

// set saves one key.
func (w stateWriter) set(key, value string) {
	w.gh.SaveState(key, value)
	if w.step != "" {
		w.gh.SetEnv(envStateName(w.step, key), value)
	}
}

// save writes the login as soon as the API has accepted it, so the post step
// can log out even if main then times out, fails or is cancelled.
func (w stateWriter) save(s loginState) {
	w.set(stateServerID, s.ServerID)
	w.set(stateRegistryURL, s.RegistryURL)
	if s.OperationID != "" { // a login reply without a usable one
		w.set(stateOperationID, s.OperationID)
	}
}

// finished records that main saw the login end, the server's name when it
// can be a state value, and whether docker login itself was refused.
func (w stateWriter) finished(op *reoclo.Operation) {
	w.set(stateLoginFinished, "true")
	if name := untrusted.Line(op.ServerName, 100); name != "" && untrusted.CheckValue(name, 100+len("…")) == nil {
		w.set(stateServerName, name)
	}
	if refusedLogin(op) {
		w.set(stateLoginRefused, "true")
	}
}

// refusedLogin reports whether docker login ran on the server and exited
// non-zero: a completed or failed operation whose result carries a non-zero
// exit code. docker login then leaves the server's docker config as it was,
// so a logout would remove a login that is not ours (another job's, or one
// kept with cleanup: 'false'). A timeout status or a missing exit code is
// not a refusal: the login may have got as far as writing the config.
func refusedLogin(op *reoclo.Operation) bool {
	if op == nil || (op.Status != reoclo.StatusCompleted && op.Status != reoclo.StatusFailed) {
		return false
	}
	return op.Result != nil && op.Result.ExitCode != nil && *op.Result.ExitCode != 0
}

// stateKeys are the keys main may save, in the order it saves them.
var stateKeys = []string{stateServerID, stateRegistryURL, stateOperationID, stateLoginFinished, stateServerName, stateLoginRefused}

// readState reads the main step's state: STATE_* when the runner passes any,
// else, on an act-family runner, the GITHUB_ENV copy main left for this step
// (envStateName of GITHUB_ACTION). ok is false when main never had a login
// accepted: then there is nothing to undo. It fails when a value could not
// have been written by main (a control character, an empty server ID…).
func readState(getenv func(string) string) (s loginState, ok bool, err error) {
	name := func(key string) string { return "STATE_" + key }
	label := func(key string) string { return key }
	present := false
	for _, k := range stateKeys {
		present = present || getenv(name(k)) != ""
	}
	if step := getenv("GITHUB_ACTION"); !present && step != "" && runnerName(getenv) != "" {
		name = func(key string) string { return envStateName(step, key) }
		label = name
	}
	s = loginState{
		ServerID:    getenv(name(stateServerID)),
		RegistryURL: getenv(name(stateRegistryURL)),
		OperationID: getenv(name(stateOperationID)),
		Finished:    getenv(name(stateLoginFinished)) == "true",
		Refused:     getenv(name(stateLoginRefused)) == "true",
		ServerName:  untrusted.Line(getenv(name(stateServerName)), 100),
	}
	if s.ServerID == "" && s.RegistryURL == "" && s.OperationID == "" {
		return loginState{}, false, nil
	}
	for _, k := range []string{stateServerID, stateRegistryURL, stateOperationID} {
		if k == stateOperationID && s.OperationID == "" {
			continue // the login reply named no usable operation: log out without waiting
		}
		if err := untrusted.CheckValue(getenv(name(k)), maxRegistryURL); err != nil {
			return loginState{}, false, fmt.Errorf("saved state %s cannot be used: %w", label(k), err)
		}
	}
	return s, true, nil
}

// checkOutputs refuses registry values that cannot be written as single-line
// outputs: a newline, a control character or the file-command delimiter
// could forge other outputs.
func checkOutputs(registryURL, registryType string) error {
	if err := untrusted.CheckValue(registryURL, maxRegistryURL); err != nil {
		return fmt.Errorf("the API returned a registry_url that cannot be an output: %w", err)
	}
	if err := untrusted.CheckValue(registryType, maxRegistryType); err != nil {
		return fmt.Errorf("the API returned a registry_type that cannot be an output: %w", err)
	}
	return nil
}
