package action

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/reoclo/docker-auth/internal/config"
	"github.com/reoclo/docker-auth/internal/reoclo"
	"github.com/reoclo/docker-auth/internal/untrusted"
)

// logoutStep is the logout step (logout/action.yml): check the inputs, log
// out of registry_url on server_id, follow the logout to its end. Unlike the
// post step's, its failures fail the step.
func (s *step) logoutStep(ctx, hard context.Context) (report, error) {
	rep := report{Title: logoutTitle, Result: resultNotLoggedOut, Note: "Failed before any logout started on the server."}
	cfg, err := config.LoadLogout(s.in)
	if err != nil {
		return rep, err
	}
	s.connect(cfg.Access)
	rep.Registry, rep.Server = cfg.RegistryURL, cfg.ServerID
	start := time.Now()
	rep.OperationID, err = s.logout(ctx, hard, loginState{ServerID: cfg.ServerID, RegistryURL: cfg.RegistryURL}, cfg.ServerID)
	if rep.Took = time.Since(start); err != nil {
		return rep, fmt.Errorf("could not log out of %s on server %s: %w", untrusted.Line(cfg.RegistryURL), cfg.ServerID, err)
	}
	rep.Result = resultLoggedOut
	return rep, nil
}

// undo logs out of the login st describes once it has ended (waitForLogin),
// and returns the logout's operation ID; server names the server. It fails
// with errLoginRefused, sending nothing, after a login docker refused.
func (s *step) undo(ctx, hard context.Context, st loginState, server string) (string, error) {
	if err := s.waitForLogin(ctx, hard, st); err != nil {
		return "", err
	}
	return s.logout(ctx, hard, st, server)
}

// loginWaitAfterCancel bounds how long post still waits for a running login
// after a cancellation (SIGINT), leaving time within the runner's grace for
// the logout.
const loginWaitAfterCancel = 5 * time.Second

// errLoginRefused says docker login itself refused the login waited for:
// nothing of ours to undo.
var errLoginRefused = errors.New("docker login refused: nothing to undo")

// waitForLogin waits, within the timeout, for a login main did not see end,
// lest it land after the logout: errLoginRefused after a refused login, an
// error at the hard stop, a warning if it does not end. A cancellation ends
// it loginWaitAfterCancel later.
func (s *step) waitForLogin(ctx, hard context.Context, st loginState) error {
	switch {
	case st.Finished:
		return nil
	case st.OperationID == "":
		s.gh.Warningf("The login cannot be followed (the API's reply named no usable operation); logging out without waiting for it.")
		return nil
	}
	waitCtx, cancel := withDeadline(hard, time.Now().Add(s.timeout), s.timeout)
	defer cancel()
	waitCtx, cancelLinger := linger(waitCtx, ctx, loginWaitAfterCancel)
	defer cancelLinger()
	op, err := s.api.Wait(waitCtx, st.OperationID, st.ServerID)
	switch {
	case hard.Err() != nil:
		return fmt.Errorf("cancelled before the logout was sent: %w", context.Cause(hard))
	case err != nil:
		s.gh.Warningf("The login operation %s did not finish (%v); logging out anyway.", st.OperationID, explain(err))
	case refusedLogin(op):
		return errLoginRefused
	}
	return nil
}

// logout logs out of st's registry and follows the logout, within the
// timeout, returning its operation ID once accepted. Only the hard stop ends
// the request; a cancellation ends the wait (*logoutRunning).
func (s *step) logout(ctx, hard context.Context, st loginState, server string) (string, error) {
	deadline := time.Now().Add(s.timeout)
	hardCtx, cancel := withDeadline(hard, deadline, s.timeout)
	defer cancel()
	rc, runID := runContext(s.getenv)
	start := time.Now()
	accepted, err := s.api.Logout(hardCtx, reoclo.Request{ServerID: st.ServerID, RegistryURL: st.RegistryURL, RunID: runID, RunContext: rc})
	if err != nil {
		return "", explain(err)
	}
	if accepted.Status != reoclo.StatusCompleted {
		waitCtx, cancel := withDeadline(ctx, deadline, s.timeout)
		defer cancel()
		op, err := s.api.Follow(waitCtx, accepted.OperationID, st.ServerID)
		switch {
		case err != nil && ctx.Err() != nil:
			return accepted.OperationID, &logoutRunning{accepted.OperationID, context.Cause(ctx)}
		case err != nil:
			return accepted.OperationID, waitFailed(err, "logout", serverLabel(nil, err, server), s.timeout)
		case !op.Succeeded():
			return accepted.OperationID, commandFailed(s, "docker logout", serverLabel(op, nil, server), op)
		}
	}
	s.gh.Infof("Logged out of %s (operation %s, %.1f s)", untrusted.Line(st.RegistryURL), accepted.OperationID, time.Since(start).Seconds())
	return accepted.OperationID, nil
}

// logoutRunning is a wait for an accepted logout that a cancellation ended:
// the logout goes on on the server.
type logoutRunning struct {
	OperationID string
	Cause       error
}

func (e *logoutRunning) Error() string {
	return fmt.Sprintf("%v while the logout (operation %s) ran on the server; the API accepted it, so it should finish there",
		e.Cause, e.OperationID)
}
