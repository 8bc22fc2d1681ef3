package action

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/reoclo/docker-auth/internal/reoclo"
	"github.com/reoclo/docker-auth/internal/untrusted"
)

// This file turns failures into messages a person can act on: what the
// API's answer means and what to change, what a failed docker login points
// at, what a wait that ran out of time leaves to check.

// explain puts what to do before err, when it is an API call's failure
// (*reoclo.Error): "the API key was refused: …; create a new automation key
// in Reoclo and update the secret (401 Unauthorized from POST …: API says
// …)". Other errors, a cancellation among them, are returned as they are.
func explain(err error) error {
	var e *reoclo.Error
	if !errors.As(err, &e) {
		return err
	}
	if e.StatusCode == 0 || e.Cause != nil {
		if e.StatusCode != 0 || e.Err == nil || errors.Is(e.Cause, context.Canceled) {
			return err // cancelled, or timed out after the API answered
		}
		return fmt.Errorf("cannot reach the API: %w; check api_url, and that this runner can reach it: "+
			"a proxy it must use (HTTPS_PROXY, NO_PROXY) or firewall rules for outgoing traffic", err)
	}
	what := "the API refused the request"
	detail := strings.ToLower(e.Detail)
	switch status := e.StatusCode; {
	case status/100 == 2:
		return err
	case status == http.StatusUnauthorized:
		what = "the API key was refused: it is missing, invalid or expired; create a new automation key in Reoclo and update the secret"
	case status == http.StatusForbidden:
		setting := "Allowed Operations, Allowed Servers and Allowed Credentials"
		switch {
		case strings.Contains(detail, "credential"):
			setting = "Allowed Credentials"
		case strings.Contains(detail, "server"):
			setting = "Allowed Servers"
		case strings.Contains(detail, "operation"), strings.Contains(detail, "registry_log"):
			setting = "Allowed Operations (registry_login, registry_logout)"
		}
		what = "the API key is not allowed to do this; in Reoclo, add it to the key's " + setting
	case status == http.StatusNotFound:
		what = "not found: check api_url, server_id and credential_id"
		for _, thing := range []string{"credential", "server"} {
			if strings.Contains(detail, thing) {
				what = fmt.Sprintf("the %s was not found: check %s_id", thing, thing)
				break
			}
		}
	case status == http.StatusUnprocessableEntity:
		what = "the API rejected the request as invalid"
	case status == http.StatusTooManyRequests:
		what = "the API is rate limiting this key"
	case status >= 500:
		what = "the API is having trouble"
	}
	return fmt.Errorf("%s (%w)", what, err)
}

// waitFailed explains a wait for an operation that failed: a wait that ran
// out of time while the last poll said the operation was still running gets
// what to check next (is the server's agent online, or does the step need a
// longer timeout?); other failures (a cancellation, polls that kept
// failing, an API error) are explained as API errors.
func waitFailed(err error, what, server string, timeout time.Duration) error {
	var we *reoclo.WaitError
	var te *TimeoutError
	if !errors.As(err, &we) || !errors.As(we.Cause, &te) || we.Last == nil || we.LastErr != nil {
		return explain(err)
	}
	return fmt.Errorf("%w; the %s has not finished on server %s: check in Reoclo that the server and its agent are online, "+
		"or raise timeout (now %s) if the %s is only slow", err, what, server, seconds(timeout), what)
}

// loginFailed is commandFailed for docker login, with what to check next:
// a login the registry refused points at the credential stored in Reoclo; a
// login the server gave up on points at the server's way to the registry.
func loginFailed(s *step, server string, op *reoclo.Operation) error {
	err := commandFailed(s, "docker login", server, op)
	if op.Status == reoclo.StatusTimeout {
		return fmt.Errorf("%w; the server gave up before docker login finished: "+
			"check that server %s can reach the registry (DNS, firewall, proxy)", err, server)
	}
	return fmt.Errorf("%w; check the user name and password or token stored with this credential in Reoclo, "+
		"and that the registry lets that account log in (and pull or push what the job needs)", err)
}

// commandFailed prints the server's output of a command that did not
// succeed, as plain data, and returns an error that says how it ended and
// quotes the server's reason: "docker login failed on server prod-api
// (operation 9d2f…, status failed, exit code 1): denied: denied".
func commandFailed(s *step, command, server string, op *reoclo.Operation) error {
	reason, outcome := "the server gave no output", fmt.Sprintf("operation %s, status %s", op.OperationID, untrusted.Line(op.Status))
	switch r := op.Result; {
	case r == nil:
		outcome += ", no result"
	default:
		for _, out := range []struct {
			name string
			reoclo.Output
		}{{"stdout", r.Stdout}, {"stderr", r.Stderr}} {
			title := fmt.Sprintf("Output of %s on %s (%s)", command, server, out.name)
			if err := untrusted.Block(s.d.Stdout, title, out.Head, out.Size); err != nil {
				return err
			}
		}
		for _, tail := range []string{r.Stderr.Tail, r.Stdout.Tail} {
			if line := lastLine(tail); line != "" {
				reason = line
				break
			}
		}
		if r.ExitCode == nil {
			outcome += ", no exit code"
		} else {
			outcome += fmt.Sprintf(", exit code %d", *r.ExitCode)
		}
	}
	return fmt.Errorf("%s failed on server %s (%s): %s", command, server, outcome, reason)
}

// lastLine is the last line of text with something printable on it, as one
// safe line.
func lastLine(text string) string {
	lines := strings.Split(text, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if line := untrusted.Line(lines[i]); line != "" {
			return line
		}
	}
	return ""
}

// serverLabel names the server for people: its name from the API when op
// gave one, else its ID.
func serverLabel(op *reoclo.Operation, serverID string) string {
	if op != nil {
		if name := untrusted.Line(op.ServerName); name != "" {
			return name
		}
	}
	return serverID
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
