package action

import (
	"fmt"

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
	// ServerName is the server's name as the API gave it, or "".
	ServerName string
}

// saveServerName saves the server's name from the login operation, when it
// has one that can be a state value.
func saveServerName(gh *githubactions.Action, op *reoclo.Operation) {
	if name := untrusted.Line(op.ServerName, 100); name != "" && untrusted.CheckValue(name, 100+len("…")) == nil {
		gh.SaveState(stateServerName, name)
	}
}

// save writes the state as soon as the API has accepted the login, so the
// post step can log out even if main then times out, fails or is cancelled.
func (s loginState) save(gh *githubactions.Action) {
	gh.SaveState(stateServerID, s.ServerID)
	gh.SaveState(stateRegistryURL, s.RegistryURL)
	if s.OperationID != "" { // a login reply without a usable one
		gh.SaveState(stateOperationID, s.OperationID)
	}
}

// readState reads the main step's state. ok is false when main never had a
// login accepted: then there is nothing to undo.
func readState(getenv func(string) string) (s loginState, ok bool, err error) {
	s = loginState{
		ServerID:    getenv("STATE_" + stateServerID),
		RegistryURL: getenv("STATE_" + stateRegistryURL),
		OperationID: getenv("STATE_" + stateOperationID),
		Finished:    getenv("STATE_"+stateLoginFinished) == "true",
		ServerName:  untrusted.Line(getenv("STATE_"+stateServerName), 100),
	}
	if s.ServerID == "" && s.RegistryURL == "" && s.OperationID == "" {
		return s, false, nil
	}
	for name, v := range map[string]string{stateServerID: s.ServerID, stateRegistryURL: s.RegistryURL, stateOperationID: s.OperationID} {
		if name == stateOperationID && v == "" {
			continue // the login reply named no usable operation: log out without waiting
		}
		if err := untrusted.CheckValue(v, maxRegistryURL); err != nil {
			return s, false, fmt.Errorf("saved state %s %w", name, err)
		}
	}
	return s, true, nil
}

// checkOutputs refuses registry values that cannot be written as single-line
// outputs: a newline, a control character or the file-command delimiter
// could forge other outputs.
func checkOutputs(registryURL, registryType string) error {
	if err := untrusted.CheckValue(registryURL, maxRegistryURL); err != nil {
		return fmt.Errorf("the API returned a registry_url that cannot be an output: it %w", err)
	}
	if err := untrusted.CheckValue(registryType, maxRegistryType); err != nil {
		return fmt.Errorf("the API returned a registry_type that cannot be an output: it %w", err)
	}
	return nil
}
