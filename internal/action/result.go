package action

import (
	"errors"
	"fmt"
	"time"

	"github.com/reoclo/docker-auth/internal/reoclo"
	"github.com/reoclo/docker-auth/internal/untrusted"
)

// maxReason bounds the server's reason quoted in the error annotation.
const maxReason = 500

// serverLabel names the server for people: its name from the API when it
// gave one, else its ID.
func serverLabel(op *reoclo.Operation, serverID string) string {
	if op == nil {
		return serverID
	}
	return serverName(op.ServerName, serverID)
}

// lastSeen is the operation as the wait that failed with err last saw it,
// or nil.
func lastSeen(err error) *reoclo.Operation {
	var we *reoclo.WaitError
	if errors.As(err, &we) {
		return we.Last
	}
	return nil
}

// serverName is name as one safe line, or serverID when name is empty.
func serverName(name, serverID string) string {
	if name := untrusted.Line(name, 100); name != "" {
		return name
	}
	return serverID
}

// loginFailed is commandFailed for docker login, with what to check next:
// a login the registry refused points at the credential stored in Reoclo; a
// login the server gave up on points at the server's way to the registry.
func loginFailed(d Deps, server string, op *reoclo.Operation) error {
	if err := printResult(d, "docker login", server, op); err != nil {
		return err
	}
	if op.Status == reoclo.StatusTimeout {
		return fmt.Errorf("docker login failed on server %s (%s): %s; the server gave up before docker login finished: "+
			"check that server %s can reach the registry (DNS, firewall, proxy)", server, outcome(op), reason(op), server)
	}
	return fmt.Errorf("docker login failed on server %s (%s): %s; check the user name and password or token stored with "+
		"this credential in Reoclo, and that the registry lets that account log in (and pull or push what the job needs)",
		server, outcome(op), reason(op))
}

// waitFailed adds a next step to a wait that ran out of time while the
// operation was still running on the server (the last poll said so): is the
// server's agent online, or does the step need a longer timeout? Other errors
// (a cancellation, polls that were failing) are returned as they are.
func waitFailed(err error, what, server string, timeout time.Duration) error {
	var we *reoclo.WaitError
	var te *TimeoutError
	if !errors.As(err, &we) || !errors.As(we.Cause, &te) || we.Last == nil || we.LastErr != nil {
		return err // not a timeout, or polls were failing: the API, not the server, is in question
	}
	return fmt.Errorf("%w; the %s has not finished on server %s: check in Reoclo that the server and its agent are online, "+
		"or raise timeout (now %s) if the %s is only slow", err, what, server, seconds(timeout), what)
}

// commandFailed prints the server's output of a command that did not succeed,
// as plain data, and returns an error that explains how it ended and quotes
// the server's reason: "docker login failed on server prod-api (operation
// 9d2f…, status failed, exit code 1): denied: denied".
func commandFailed(d Deps, command, server string, op *reoclo.Operation) error {
	if err := printResult(d, command, server, op); err != nil {
		return err
	}
	return fmt.Errorf("%s failed on server %s (%s): %s", command, server, outcome(op), reason(op))
}

// printResult prints the server's output of a command as plain data.
func printResult(d Deps, what, server string, op *reoclo.Operation) error {
	if op.Result == nil {
		return nil
	}
	if err := untrusted.Block(d.Stdout, fmt.Sprintf("Output of %s on %s (stdout)", what, server), op.Result.Stdout); err != nil {
		return err
	}
	return untrusted.Block(d.Stdout, fmt.Sprintf("Output of %s on %s (stderr)", what, server), op.Result.Stderr)
}

// outcome says how an operation ended: "operation 9d2f…, status failed, exit code 1".
func outcome(op *reoclo.Operation) string {
	s := fmt.Sprintf("operation %s, status %s", op.OperationID, untrusted.Line(op.Status, 40))
	switch {
	case op.Result == nil:
		s += ", no result"
	case op.Result.ExitCode == nil:
		s += ", no exit code"
	default:
		s += fmt.Sprintf(", exit code %d", *op.Result.ExitCode)
	}
	return s
}

// reason is the last non-empty line of stderr, else of stdout, as one safe line.
func reason(op *reoclo.Operation) string {
	if op.Result != nil {
		for _, text := range []string{op.Result.Stderr, op.Result.Stdout} {
			if line := lastLine(text); line != "" {
				return untrusted.Line(line, maxReason)
			}
		}
	}
	return "the server gave no output"
}

func lastLine(text string) string {
	for len(text) > 0 {
		i := len(text) - 1
		for i >= 0 && text[i] != '\n' {
			i--
		}
		if line := untrusted.Line(text[i+1:], maxReason); line != "" {
			return text[i+1:]
		}
		if i < 0 {
			break
		}
		text = text[:i]
	}
	return ""
}
