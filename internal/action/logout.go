package action

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/reoclo/docker-auth/internal/config"
	"github.com/reoclo/docker-auth/internal/reoclo"
	"github.com/reoclo/docker-auth/internal/untrusted"
)

// runPost is the post step: unless cleanup is false, log out of the registry
// the main step logged in to, on the same server. Every failure here is a
// warning: the post step never fails the job, so it returns nothing.
func runPost(ctx context.Context, gh *githubactions.Action, d Deps) {
	in := readInputs(gh, d, config.Defaults())
	cfg, err := config.LoadPost(in)
	sum := stepSummary{Title: logoutTitle, Result: resultNotLoggedOut}
	defer func() { sum.write(gh, d) }()
	if err == nil && !cfg.Cleanup {
		gh.Infof("Cleanup is off (cleanup: false): staying logged in; nothing sent.")
		sum.Note = "Kept logged in: cleanup is 'false', so nothing was sent."
		return
	}
	st, ok, stateErr := readState(d.Getenv, in(config.InputAPIKey))
	switch {
	case !ok && stateErr == nil:
		// Bad inputs included: main failed on them before sending anything.
		gh.Infof("No login to undo: the main step did not start one.")
		sum.Note = "Nothing to log out: the main step did not start a login."
		return
	case stateErr != nil && err != nil:
		stateErr = err // a wrong key cannot open the state: the input is the problem
		fallthrough
	case stateErr != nil:
		gh.Warningf("Not logging out: %v", stateErr)
		sum.Note, sum.Reason = "Not logged out: the main step's saved state cannot be used.", stateErr.Error()
		return
	case st.Refused:
		notOurs(gh, &sum, st.OperationID)
		return
	}
	registry := untrusted.Line(st.RegistryURL, config.MaxRegistryURL)
	server := serverName(st.ServerName, untrusted.Line(st.ServerID, 64))
	sum.Registry, sum.Server = st.RegistryURL, server
	if err != nil {
		gh.Warningf("Not logging out of %s on server %s: %v\nThe server stays logged in to %s.", registry, server, err, registry)
		sum.Reason = err.Error()
		return
	}
	client := newClient(gh, d, cfg.API, cfg.APIKey)
	start := time.Now()
	opID, err := undo(ctx, gh, d, client, cfg.Timeout, st, server)
	sum.OperationID, sum.Took = opID, time.Since(start)
	var running *logoutRunning
	switch {
	case errors.Is(err, errLoginRefused):
		sum.Registry, sum.Server, sum.OperationID, sum.Took = "", "", "", 0
		notOurs(gh, &sum, st.OperationID)
	case errors.As(err, &running):
		gh.Warningf("Not waiting for the logout of %s on server %s to finish: %v", registry, server, err)
		sum.Result, sum.Reason = resultLogoutSent, err.Error()
	case err != nil:
		gh.Warningf("Could not log out of %s on server %s: %v\nThe server stays logged in to %s.", registry, server, err, registry)
		sum.Reason = err.Error()
	default:
		sum.Result = resultLoggedOut
	}
}

// undo logs out of the login st describes, once it has ended (waitForLogin),
// and returns the logout's operation ID. It fails with errLoginRefused,
// sending nothing, when docker login itself refused that login. server names
// the server in errors.
func undo(ctx context.Context, gh *githubactions.Action, d Deps, client *reoclo.Client, timeout time.Duration,
	st loginState, server string,
) (string, error) {
	if err := waitForLogin(ctx, gh, client, timeout, st); err != nil {
		return "", err
	}
	return logout(ctx, gh, d, client, timeout, st.ServerID, st.RegistryURL, server)
}

// loginWaitAfterCancel bounds how long post still waits for a running login
// once it is cancelled (SIGINT): within the runner's grace of 7.5 s, leaving
// time for the logout before SIGTERM.
const loginWaitAfterCancel = 5 * time.Second

// notOurs says, in the log and the job summary, why post sends no logout
// after a login docker login itself refused (refusedLogin).
func notOurs(gh *githubactions.Action, sum *stepSummary, operationID string) {
	gh.Infof("No login to undo: docker login failed on the server (operation %s) and left its "+
		"docker config as it was; nothing sent.", operationID)
	sum.Note = "Nothing to log out: docker login failed on the server and left its docker config as it was."
}

// errLoginRefused is waitForLogin's answer when docker login itself refused
// the login it waited for: there is nothing of ours to log out of.
var errLoginRefused = errors.New("docker login refused: nothing to undo")

// waitForLogin waits (bounded) for a login main did not see end, so it cannot
// finish after the logout. It fails with errLoginRefused when docker login
// itself refused (refusedLogin), and with the cause when stopped hard (SIGTERM,
// or the end of the grace) before the logout could be sent; a login that does
// not finish in time is only a warning. A cancellation (SIGINT) cuts the wait
// short, loginWaitAfterCancel later.
func waitForLogin(ctx context.Context, gh *githubactions.Action, client *reoclo.Client, timeout time.Duration, st loginState) error {
	soft := ctx
	ctx = hardOf(ctx)

	switch {
	case st.Finished:
	case st.OperationID == "":
		gh.Warningf("The login cannot be followed (the API's reply named no usable operation); logging out without waiting for it.")
	default:
		waitCtx, cancel := withTimeout(ctx, timeout)
		waitCtx, stopWaiting := context.WithCancelCause(waitCtx)
		stop := context.AfterFunc(soft, func() {
			// Still within the grace: wait a little longer, then log out.
			limit, cancelLimit := withTimeout(waitCtx, loginWaitAfterCancel)
			context.AfterFunc(limit, func() {
				cancelLimit()
				stopWaiting(context.Cause(soft))
			})
		})
		op, err := client.Wait(waitCtx, st.OperationID, st.ServerID)
		stop()
		stopWaiting(nil)
		cancel()
		switch {
		case ctx.Err() != nil:
			return fmt.Errorf("cancelled before the logout was sent: %w", context.Cause(ctx))
		case err != nil:
			gh.Warningf("The login operation %s did not finish (%v); logging out anyway.", st.OperationID, err)
		case refusedLogin(op):
			return errLoginRefused
		default:
			gh.Debugf("login operation %s ended with status %s", st.OperationID, untrusted.Line(op.Status, 40))
		}
	}
	return nil
}

// logout logs out of registryURL on serverID and follows the logout to its
// end, within timeout. It returns the logout's operation ID once the API has
// accepted it; server names the server in errors. A cancellation (SIGINT)
// does not stop the request, only the hard stop (SIGTERM, or the end of the
// grace) does; but it ends the wait for a logout the API accepted, with a
// *logoutRunning error.
func logout(ctx context.Context, gh *githubactions.Action, d Deps, client *reoclo.Client, timeout time.Duration,
	serverID, registryURL, server string,
) (string, error) {
	rc, runID := runContext(gh)
	deadline := time.Now().Add(timeout)
	hardCtx, cancel := context.WithDeadlineCause(hardOf(ctx), deadline, &TimeoutError{After: timeout})
	defer cancel()
	start := time.Now()
	accepted, err := client.Logout(hardCtx, reoclo.LogoutRequest{
		ServerID: serverID, RegistryURL: registryURL, RunID: runID, RunContext: rc,
	})
	if err != nil {
		return "", err
	}
	if accepted.Status != reoclo.StatusCompleted {
		waitCtx, cancel := context.WithDeadlineCause(ctx, deadline, &TimeoutError{After: timeout})
		defer cancel()
		op, err := client.Follow(waitCtx, accepted.OperationID, serverID)
		switch {
		case err != nil && ctx.Err() != nil:
			return accepted.OperationID, &logoutRunning{OperationID: accepted.OperationID, Cause: context.Cause(ctx)}
		case err != nil:
			return accepted.OperationID, waitFailed(err, "logout", serverLabel(lastSeen(err), server), timeout)
		case !op.Succeeded():
			return accepted.OperationID, commandFailed(d, "docker logout", serverLabel(op, server), op)
		}
	}
	gh.Infof("Logged out of %s (operation %s, %.1f s)",
		untrusted.Line(registryURL, config.MaxRegistryURL), accepted.OperationID, time.Since(start).Seconds())
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

// runLogoutStep is the explicit logout step (logout/action.yml): validate the
// inputs, log out of registry_url on server_id and follow the logout to its
// end. Unlike the post step, a failure fails the step.
func runLogoutStep(ctx context.Context, gh *githubactions.Action, d Deps) (err error) {
	in := readInputs(gh, d, config.LogoutDefaults())
	sum := stepSummary{Title: logoutTitle, Result: resultNotLoggedOut, Note: "Failed before any logout started on the server."}
	defer sum.finish(gh, d, &err)
	cfg, err := config.LoadLogout(in)
	if err != nil {
		return err
	}
	registry := untrusted.Line(cfg.RegistryURL, config.MaxRegistryURL)
	sum.Registry, sum.Server = cfg.RegistryURL, cfg.ServerID
	client := newClient(gh, d, cfg.API, cfg.APIKey)
	start := time.Now()
	opID, err := logout(ctx, gh, d, client, cfg.Timeout, cfg.ServerID, cfg.RegistryURL, cfg.ServerID)
	sum.OperationID, sum.Took = opID, time.Since(start)
	if err != nil {
		return fmt.Errorf("could not log out of %s on server %s: %w", registry, cfg.ServerID, err)
	}
	sum.Result = resultLoggedOut
	return nil
}
