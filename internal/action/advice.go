package action

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/reoclo/docker-auth/internal/reoclo"
	"github.com/reoclo/docker-auth/internal/untrusted"
)

// This file turns failures into messages a person can act on: what the
// API's answer means and what to change, what a failed docker login points
// at, what a wait that ran out of time leaves to check.

// explain puts what to do before an API call's failure: "the API key was
// refused: …; create a new automation key … (401 Unauthorized from …)", also
// when time ran out after it. A cancelled call is left as it is.
func explain(err error) error {
	var e *reoclo.Error
	switch {
	case !errors.As(err, &e) || e.StatusCode/100 == 2 || errors.Is(e.Cause, context.Canceled):
		return err
	case e.StatusCode == 0 && e.Err == nil:
		return err
	case e.StatusCode == 0:
		return fmt.Errorf("cannot reach the API: %w; check api_url, and that this runner can reach it: "+
			"a proxy it must use (HTTPS_PROXY, NO_PROXY) or firewall rules for outgoing traffic", err)
	}
	what := "the API refused the request"
	for _, a := range advice {
		if (a.status == e.StatusCode || a.status == 500 && e.StatusCode > 500) && strings.Contains(strings.ToLower(e.Detail), a.word) {
			what = a.what
			break
		}
	}
	return fmt.Errorf("%s (%w)", what, err)
}

// advice is what to do about an error status, the first whose word (in
// the API's detail, any when "") matches; 500 stands for every 5xx.
var advice = []struct {
	status     int
	word, what string
}{
	{401, "", "the API key was refused: it is missing, invalid or expired; create a new automation key in Reoclo and update the secret"},
	{403, "credential", "the API key is not allowed to do this; in Reoclo, add it to the key's Allowed Credentials"},
	{403, "server", "the API key is not allowed to do this; in Reoclo, add it to the key's Allowed Servers"},
	{403, "operation", "the API key is not allowed to do this; in Reoclo, add it to the key's Allowed Operations (registry_login, registry_logout)"},
	{403, "registry_log", "the API key is not allowed to do this; in Reoclo, add it to the key's Allowed Operations (registry_login, registry_logout)"},
	{403, "", "the API key is not allowed to do this; in Reoclo, add it to the key's Allowed Operations, Allowed Servers and Allowed Credentials"},
	{404, "credential", "the credential was not found: check credential_id"},
	{404, "server", "the server was not found: check server_id"},
	{404, "", "not found: check api_url, server_id and credential_id"},
	{422, "", "the API rejected the request as invalid"},
	{429, "", "the API is rate limiting this key"},
	{500, "", "the API is having trouble"},
}

// waitFailed explains a failed wait: one timed out while the operation was
// running gets what to check next; others are explained as API errors.
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
// the credential stored in Reoclo, or, when the server gave up, the
// server's way to the registry.
func loginFailed(s *step, server string, op *reoclo.Operation) error {
	err := commandFailed(s, "docker login", server, op)
	if op.Status == reoclo.StatusTimeout {
		return fmt.Errorf("%w; the server gave up before docker login finished: "+
			"check that server %s can reach the registry (DNS, firewall, proxy)", err, server)
	}
	return fmt.Errorf("%w; check the user name and password or token stored with this credential in Reoclo, "+
		"and that the registry lets that account log in (and pull or push what the job needs)", err)
}

// commandFailed prints a failed command's output on the server as plain
// data and says how it ended, quoting its last line: "docker login failed
// on server prod-api (operation 9d2f…, status failed, exit code 1): denied".
func commandFailed(s *step, command, server string, op *reoclo.Operation) error {
	reason, outcome := "the server gave no output", "operation "+op.OperationID+", status "+untrusted.Line(op.Status)
	r := op.Result
	switch {
	case r == nil:
		outcome += ", no result"
	case r.ExitCode == nil:
		outcome += ", no exit code"
	default:
		outcome += fmt.Sprintf(", exit code %d", *r.ExitCode)
	}
	if r != nil {
		for i, out := range []reoclo.Output{r.Stdout, r.Stderr} {
			title := fmt.Sprintf("Output of %s on %s (%s)", command, server, []string{"stdout", "stderr"}[i])
			if err := untrusted.Block(s.d.Stdout, title, out.Head, out.Size); err != nil {
				return err
			}
		}
		if line := lastLine(r.Stdout.Tail + "\n" + r.Stderr.Tail); line != "" { // stderr's, else stdout's
			reason = line
		}
	}
	return fmt.Errorf("%s failed on server %s (%s): %s", command, server, outcome, reason)
}

// lastLine is text's last line with something printable on it, as one
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

// serverLabel names the server for people: its name, when op (or the last
// operation a failed wait saw, err) gave one, else its ID.
func serverLabel(op *reoclo.Operation, err error, serverID string) string {
	var we *reoclo.WaitError
	if op == nil && errors.As(err, &we) {
		op = we.Last
	}
	if op != nil && untrusted.Line(op.ServerName) != "" {
		return untrusted.Line(op.ServerName)
	}
	return serverID
}
