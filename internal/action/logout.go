package action

import (
	"context"
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
	maskKey(gh, gh.GetInput(config.InputAPIKey))
	cfg, err := config.LoadPost(gh.GetInput)
	sum := stepSummary{Title: logoutTitle, Result: resultNotLoggedOut}
	defer func() { sum.write(gh, d) }()
	if err == nil && !cfg.Cleanup {
		gh.Infof("%s", "Cleanup is off (cleanup: false): staying logged in; nothing sent.")
		sum.Note = "Kept logged in: cleanup is 'false', so nothing was sent."
		return
	}
	st, ok, stateErr := readState(d.Getenv)
	switch {
	case !ok && stateErr == nil:
		// Bad inputs included: main failed on them before sending anything.
		gh.Infof("%s", "No login to undo: the main step did not start one.")
		sum.Note = "Nothing to log out: the main step did not start a login."
		return
	case stateErr != nil:
		gh.Warningf("%s", fmt.Sprintf("Not logging out: %v", stateErr))
		sum.Note, sum.Reason = "Not logged out: the main step's saved state cannot be used.", stateErr.Error()
		return
	}
	registry := untrusted.Line(st.RegistryURL, maxRegistryURL)
	server := serverName(st.ServerName, untrusted.Line(st.ServerID, 64))
	sum.Registry, sum.Server = st.RegistryURL, server
	if err != nil {
		gh.Warningf("%s", fmt.Sprintf("Not logging out of %s on server %s: %v\nThe server stays logged in to %s.", registry, server, err, registry))
		sum.Reason = err.Error()
		return
	}
	start := d.Now()
	opID, err := logout(ctx, gh, d, cfg, st, server)
	sum.OperationID, sum.Took = opID, d.Now().Sub(start)
	if err != nil {
		gh.Warningf("%s", fmt.Sprintf("Could not log out of %s on server %s: %v\nThe server stays logged in to %s.",
			registry, server, err, registry))
		sum.Reason = err.Error()
		return
	}
	sum.Result = resultLoggedOut
}

// loginWaitAfterCancel bounds how long post still waits for a running login
// once it is cancelled (SIGINT): within the runner's grace of 7.5 s, leaving
// time for the logout before SIGTERM.
const loginWaitAfterCancel = 5 * time.Second

// logout waits (bounded) for a login that may still be running, so it cannot
// finish after the logout, then logs out and follows the logout to its end.
// It returns the logout's operation ID once the API has accepted it. A
// cancellation (SIGINT) cuts the wait for the login short but not the
// logout; only the hard stop (SIGTERM, or the end of the grace) ends it.
func logout(ctx context.Context, gh *githubactions.Action, d Deps, cfg *config.PostConfig, st loginState, server string) (string, error) {
	client := newClient(gh, d, cfg.API, cfg.APIKey)
	rc, runID := runContext(gh)
	soft := ctx
	ctx = hardOf(ctx)

	switch {
	case st.Finished:
	case st.OperationID == "":
		gh.Warningf("%s", "The login cannot be followed (the API's reply named no usable operation); logging out without waiting for it.")
	default:
		waitCtx, cancel := d.withTimeout(ctx, cfg.Timeout)
		waitCtx, stopWaiting := context.WithCancelCause(waitCtx)
		stop := context.AfterFunc(soft, func() {
			// Still within the grace: wait a little longer, then log out.
			limit, cancelLimit := d.withTimeout(waitCtx, loginWaitAfterCancel)
			context.AfterFunc(limit, func() {
				cancelLimit()
				stopWaiting(context.Cause(soft))
			})
		})
		op, err := client.Wait(waitCtx, st.OperationID)
		stop()
		stopWaiting(nil)
		cancel()
		switch {
		case ctx.Err() != nil:
			return "", fmt.Errorf("cancelled before the logout was sent: %w", context.Cause(ctx))
		case err != nil:
			gh.Warningf("%s", fmt.Sprintf("The login operation %s did not finish (%v); logging out anyway.", st.OperationID, err))
		default:
			gh.Debugf("login operation %s ended with status %s", st.OperationID, untrusted.Line(op.Status, 40))
		}
	}

	ctx, cancel := d.withTimeout(ctx, cfg.Timeout)
	defer cancel()
	start := d.Now()
	accepted, err := client.Logout(ctx, reoclo.LogoutRequest{
		ServerID: st.ServerID, RegistryURL: st.RegistryURL, RunID: runID, RunContext: rc,
	})
	if err != nil {
		return "", err
	}
	if accepted.Status != reoclo.StatusCompleted {
		op, err := client.Follow(ctx, accepted.OperationID)
		if err != nil {
			return accepted.OperationID, waitFailed(err, "logout", serverLabel(op, server), cfg.Timeout)
		}
		if !op.Succeeded() {
			return accepted.OperationID, commandFailed(d, "docker logout", serverLabel(op, server), op)
		}
	}
	gh.Infof("%s", fmt.Sprintf("Logged out of %s (operation %s, %.1f s)",
		untrusted.Line(st.RegistryURL, maxRegistryURL), accepted.OperationID, d.Now().Sub(start).Seconds()))
	return accepted.OperationID, nil
}
