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

// logoutStep is the explicit logout step (logout/action.yml): validate the
// inputs, log out of registry_url on server_id and follow the logout to its
// end. Unlike the post step, a failure fails the step.
func (s *step) logoutStep(ctx, hard context.Context) (report, error) {
	rep := report{Title: logoutTitle, Result: resultNotLoggedOut, Note: "Failed before any logout started on the server."}
	cfg, err := config.LoadLogout(s.in)
	if err != nil {
		return rep, err
	}
	s.connect(cfg.Access)
	rep.Registry, rep.Server = cfg.RegistryURL, cfg.ServerID
	st := loginState{ServerID: cfg.ServerID, RegistryURL: cfg.RegistryURL}
	rep.OperationID, rep.Took, err = s.timed(func() (string, error) { return s.logout(ctx, hard, st, cfg.ServerID) })
	if err != nil {
		return rep, fmt.Errorf("could not log out of %s on server %s: %w", untrusted.Line(cfg.RegistryURL), cfg.ServerID, err)
	}
	rep.Result = resultLoggedOut
	return rep, nil
}

// timed runs f and says how long it took.
func (s *step) timed(f func() (string, error)) (string, time.Duration, error) {
	start := time.Now()
	id, err := f()
	return id, time.Since(start), err
}

// undo logs out of the login st describes, once it has ended (waitForLogin),
// and returns the logout's operation ID. It fails with errLoginRefused,
// sending nothing, when docker login itself refused that login. server names
// the server in messages.
func (s *step) undo(ctx, hard context.Context, st loginState, server string) (string, error) {
	if err := s.waitForLogin(ctx, hard, st); err != nil {
		return "", err
	}
	return s.logout(ctx, hard, st, server)
}

// loginWaitAfterCancel bounds how long post still waits for a running login
// once it is cancelled (SIGINT): within the runner's grace of 7.5 s, leaving
// time for the logout before SIGTERM.
const loginWaitAfterCancel = 5 * time.Second

// errLoginRefused is waitForLogin's answer when docker login itself refused
// the login it waited for: there is nothing of ours to log out of.
var errLoginRefused = errors.New("docker login refused: nothing to undo")

// waitForLogin waits, within the step's timeout, for a login main did not
// see end, so it cannot finish after the logout. It fails with
// errLoginRefused when docker login itself refused (refusedLogin), and when
// stopped hard (SIGTERM, or the end of the grace); a login that does not
// finish in time is only a warning. A cancellation (SIGINT) ends the wait
// loginWaitAfterCancel later.
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

// logout logs out of st's registry on its server and follows the logout to
// its end, within the step's timeout. It returns the logout's operation ID
// once the API has accepted it; server names the server in messages. Only
// the hard stop (SIGTERM, or the end of the grace) ends the request; a
// cancellation (SIGINT) ends the wait for a logout the API accepted, with a
// *logoutRunning error.
func (s *step) logout(ctx, hard context.Context, st loginState, server string) (string, error) {
	deadline := time.Now().Add(s.timeout)
	hardCtx, cancel := withDeadline(hard, deadline, s.timeout)
	defer cancel()
	rc, runID := runContext(s.d.Getenv)
	start := time.Now()
	accepted, err := s.api.Logout(hardCtx, reoclo.LogoutRequest{ServerID: st.ServerID, RegistryURL: st.RegistryURL, RunID: runID, RunContext: rc})
	if err != nil {
		return "", explain(err)
	}
	if accepted.Status != reoclo.StatusCompleted {
		waitCtx, cancel := withDeadline(ctx, deadline, s.timeout)
		defer cancel()
		op, err := s.api.Follow(waitCtx, accepted.OperationID, st.ServerID)
		switch {
		case err != nil && ctx.Err() != nil:
			return accepted.OperationID, &logoutRunning{OperationID: accepted.OperationID, Cause: context.Cause(ctx)}
		case err != nil:
			return accepted.OperationID, waitFailed(err, "logout", serverLabel(lastSeen(err), server), s.timeout)
		case !op.Succeeded():
			return accepted.OperationID, commandFailed(s, "docker logout", serverLabel(op, server), op)
		}
	}
	s.gh.Infof("Logged out of %s (operation %s, %.1f s)", untrusted.Line(st.RegistryURL), accepted.OperationID, time.Since(start).Seconds())
	return accepted.OperationID, nil
}

// logoutRunning is why a step stopped waiting for a logout the API had
// accepted: it was cancelled. The logout goes on on the server.
type logoutRunning struct {
	OperationID string
	Cause       error
}

func (e *logoutRunning) Error() string {
	return fmt.Sprintf("%v while the logout (operation %s) ran on the server; the API accepted it, so it should finish there",
		e.Cause, e.OperationID)
}
