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
	in := d.inputs(config.Defaults)
	maskKey(gh, in(config.InputAPIKey))
	cfg, err := config.LoadPost(in)
	if err == nil && !cfg.Cleanup {
		gh.Infof("%s", "Cleanup is off (cleanup: false): staying logged in; nothing sent.")
		return
	}
	st, ok, stateErr := readState(d.Getenv)
	switch {
	case !ok && stateErr == nil:
		// Bad inputs included: main failed on them before sending anything.
		gh.Infof("%s", "No login to undo: the main step did not start one.")
		return
	case err != nil:
		gh.Warningf("%s", fmt.Sprintf("Not logging out: %v", err))
		return
	case stateErr != nil:
		gh.Warningf("%s", fmt.Sprintf("Not logging out: %v", stateErr))
		return
	case st.Refused:
		gh.Infof("%s", notOurs(st.OperationID))
		return
	}
	if err := postLogout(ctx, gh, d, cfg, st); err != nil {
		gh.Warningf("%s", fmt.Sprintf("Could not log out of %s on server %s: %v",
			untrusted.Line(st.RegistryURL, maxRegistryURL), untrusted.Line(st.ServerID, 64), err))
	}
}

// notOurs says why post sends no logout after a refused login.
func notOurs(operationID string) string {
	return fmt.Sprintf("No login to undo: docker login failed on the server (operation %s) and left its "+
		"docker config as it was; nothing sent.", operationID)
}

// postLogout waits (bounded) for a login that may still be running, so it
// cannot finish after the logout, then logs out and follows the logout to its
// end. A login that ends refused (refusedLogin) leaves nothing to undo.
func postLogout(ctx context.Context, gh *githubactions.Action, d Deps, cfg *config.PostConfig, st loginState) error {
	client := newClient(gh, d, cfg.API, cfg.APIKey)

	if !st.Finished {
		waitCtx, cancel := d.withTimeout(ctx, cfg.Timeout)
		op, err := client.Wait(waitCtx, st.OperationID)
		cancel()
		switch {
		case ctx.Err() != nil:
			return fmt.Errorf("cancelled before the logout was sent: %w", context.Cause(ctx))
		case err != nil:
			gh.Warningf("%s", fmt.Sprintf("The login operation %s did not finish (%v); logging out anyway.", st.OperationID, err))
		case refusedLogin(op):
			gh.Infof("%s", notOurs(st.OperationID))
			return nil
		default:
			gh.Debugf("login operation %s ended with status %s", st.OperationID, untrusted.Line(op.Status, 40))
		}
	}
	return logout(ctx, gh, d, client, cfg.Timeout, st.ServerID, st.RegistryURL)
}

// runLogoutStep is the explicit logout step (logout/action.yml): validate the
// inputs, log out of registry_url on server_id and follow the logout to its
// end. Unlike the post step, a failure fails the step.
func runLogoutStep(ctx context.Context, gh *githubactions.Action, d Deps) error {
	in := d.inputs(config.LogoutDefaults)
	maskKey(gh, in(config.InputAPIKey))
	cfg, err := config.LoadLogout(in)
	if err != nil {
		return err
	}
	client := newClient(gh, d, cfg.API, cfg.APIKey)
	if err := logout(ctx, gh, d, client, cfg.Timeout, cfg.ServerID, cfg.RegistryURL); err != nil {
		return fmt.Errorf("could not log out of %s on server %s: %w",
			untrusted.Line(cfg.RegistryURL, maxRegistryURL), cfg.ServerID, err)
	}
	return nil
}

// logout sends the logout and follows it to its end, within timeout.
func logout(ctx context.Context, gh *githubactions.Action, d Deps, client *reoclo.Client, timeout time.Duration, serverID, registryURL string) error {
	rc, runID := runContext(gh)
	ctx, cancel := d.withTimeout(ctx, timeout)
	defer cancel()
	start := d.Now()
	accepted, err := client.Logout(ctx, reoclo.LogoutRequest{
		ServerID: serverID, RegistryURL: registryURL, RunID: runID, RunContext: rc,
	})
	if err != nil {
		return err
	}
	if accepted.Status != reoclo.StatusCompleted {
		op, err := client.Wait(ctx, accepted.OperationID)
		if err != nil {
			return err
		}
		if !op.Succeeded() {
			return commandFailed(d, "docker logout", serverLabel(op, serverID), op)
		}
	}
	gh.Infof("%s", fmt.Sprintf("Logged out of %s (operation %s, %.1f s)",
		untrusted.Line(registryURL, maxRegistryURL), accepted.OperationID, d.Now().Sub(start).Seconds()))
	return nil
}
