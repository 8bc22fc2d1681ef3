package action

import (
	"fmt"

	"github.com/reoclo/docker-auth/internal/reoclo"
	"github.com/reoclo/docker-auth/internal/untrusted"
)

// maxReason bounds the server's reason quoted in the error annotation.
const maxReason = 500

// serverLabel names the server for people: its name from the API when it
// gave one, else its ID.
func serverLabel(op *reoclo.Operation, serverID string) string {
	if name := untrusted.Line(op.ServerName, 100); name != "" {
		return name
	}
	return serverID
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
