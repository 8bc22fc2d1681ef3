package action

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/reoclo/docker-auth/internal/config"
	"github.com/reoclo/docker-auth/internal/reoclo"
	"github.com/reoclo/docker-auth/internal/untrusted"
)

// runMain is the main step: validate the inputs, save a marker state, start
// the login, save what post needs, follow the operation to its end, set the
// outputs. A login post could not undo (its registry_url cannot be an output,
// or its state cannot be saved) main logs out again itself.
func runMain(ctx context.Context, gh *githubactions.Action, d Deps) (err error) {
	in := readInputs(gh, d, config.Defaults())
	sum := stepSummary{Title: loginTitle, Result: resultFailed, Note: "Failed before any login started on the server."}
	defer sum.finish(gh, d, &err)
	cfg, err := config.Load(in)
	if err != nil {
		return err
	}
	if err := requireEnv(d.Getenv, "GITHUB_OUTPUT", "GITHUB_STATE"); err != nil {
		return err
	}
	state := newStateWriter(gh, d.Getenv, cfg.APIKey)
	if cfg.Cleanup {
		// The marker: post reads this step's own state, never a copy a later
		// step could write; and the disk is known to take state.
		if err := state.save(loginState{}); err != nil {
			return fmt.Errorf("%w; nothing was sent", err)
		}
	}

	rc, runID := runContext(gh)
	client := newClient(gh, d, cfg.API, cfg.APIKey)
	// One timeout for the whole step. The wait stops at once at a
	// cancellation (SIGINT); the login request in flight gets its reply
	// until the hard stop, and for loginLinger after it, so that what post
	// needs is saved.
	deadline := time.Now().Add(cfg.Timeout)
	lingering, cancelLinger := linger(hardOf(ctx), loginLinger)
	defer cancelLinger()
	loginCtx, cancel := context.WithDeadlineCause(lingering, deadline, &TimeoutError{After: cfg.Timeout})
	defer cancel()
	waitCtx, cancelWait := context.WithDeadlineCause(ctx, deadline, &TimeoutError{After: cfg.Timeout})
	defer cancelWait()

	start := time.Now()
	accepted, err := client.Login(reoclo.FinishInFlight(loginCtx, waitCtx), reoclo.LoginRequest{
		ServerID: cfg.ServerID, CredentialID: cfg.CredentialID, RunID: runID, RunContext: rc,
	})
	if err != nil {
		return fmt.Errorf("start the login: %w", err)
	}
	sum.Note = "The API started a login, but its reply could not be used."
	registry := untrusted.Line(accepted.RegistryURL, config.MaxRegistryURL)
	if err := config.CheckRegistry(accepted.RegistryURL); err != nil {
		return fmt.Errorf("the API started a login but returned a registry_url that no logout can name: %v (got %q); "+
			"not logging out, so check the server's docker logins in Reoclo", err, clip(registry))
	}
	st := loginState{ServerID: cfg.ServerID, RegistryURL: accepted.RegistryURL}
	if reoclo.CheckOperationID(accepted.OperationID) == nil {
		st.OperationID = accepted.OperationID
	}
	// Why post cannot undo this login, when it cannot: main must.
	var unsaved error
	if cfg.Cleanup {
		if unsaved = checkOutput(outputRegistryURL, accepted.RegistryURL, config.MaxRegistryURL); unsaved == nil {
			unsaved = state.save(st)
		}
	}
	if unsaved != nil {
		server := serverLabel(nil, cfg.ServerID)
		sum.Registry, sum.Server, sum.OperationID = registry, server, st.OperationID
		opID, err := undo(ctx, gh, d, client, cfg.Timeout, st, server)
		switch {
		case errors.Is(err, errLoginRefused):
			return fmt.Errorf("%w; docker login failed on the server, so nothing was logged out", unsaved)
		case err != nil:
			return fmt.Errorf("%w; so the post step could not log out, main tried: could not log out of %s on server %s: %w; "+
				"the server stays logged in to %s", unsaved, registry, server, err, registry)
		}
		return fmt.Errorf("%w; so the post step could not log out, main logged out of %s again (operation %s)", unsaved, registry, opID)
	}
	if err := reoclo.CheckOperationID(accepted.OperationID); err != nil {
		return fmt.Errorf("start the login: login reply: %w", err)
	}
	if err := errors.Join(checkOutput(outputRegistryURL, accepted.RegistryURL, config.MaxRegistryURL),
		checkOutput(outputRegistryType, accepted.RegistryType, maxRegistryType)); err != nil {
		return err
	}
	sum.Registry, sum.Type, sum.OperationID = accepted.RegistryURL, accepted.RegistryType, accepted.OperationID
	gh.Debugf("login accepted: operation %s for %s", accepted.OperationID, registry)

	op, err := client.Follow(waitCtx, accepted.OperationID, cfg.ServerID)
	sum.Took = time.Since(start)
	if err != nil {
		sum.Server = serverLabel(lastSeen(err), cfg.ServerID)
		return waitFailed(err, "login", sum.Server, cfg.Timeout)
	}
	if cfg.Cleanup {
		st.Finished, st.Refused, st.ServerName = true, refusedLogin(op), untrusted.Line(op.ServerName, 100)
		if err := state.save(st); err != nil {
			// The login saved before still lets post undo it; post will
			// check how it ended again.
			gh.Debugf("saving the login's end: %v", err)
		}
	}
	server := serverLabel(op, cfg.ServerID)
	sum.Server = server
	if !op.Succeeded() {
		return loginFailed(d, server, op)
	}

	gh.SetOutput(outputOperationID, accepted.OperationID)
	gh.SetOutput(outputRegistryURL, accepted.RegistryURL)
	gh.SetOutput(outputRegistryType, accepted.RegistryType)
	sum.Result = resultLoggedIn
	gh.Infof("Logged in to %s on server %s (operation %s, %.1f s)", registry, server, accepted.OperationID, sum.Took.Seconds())
	if name := runnerName(d.Getenv); name != "" && cfg.Cleanup {
		gh.Noticef("%s", logoutNotice(name, d.Getenv("GITHUB_ACTION")))
	}
	return nil
}

// loginLinger is how long a login reply already on its way still has after
// the hard stop (SIGTERM): the runner kills the container 2.5 s after it.
const loginLinger = 2 * time.Second

// linger returns a context that ends d after ctx ends, with ctx's cause.
func linger(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	out, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			cancel(context.Cause(ctx))
		case <-out.Done():
		}
	})
	return out, func() {
		stop()
		cancel(context.Canceled)
	}
}

// clip shortens a value for quoting in a message.
func clip(v string) string {
	if len(v) > 64 {
		return v[:64] + "…"
	}
	return v
}

// logoutNotice tells people on act, Gitea or Forgejo to add the logout step:
// Gitea's and Forgejo's runners never run a container action's post step,
// and act runs it only from v0.2.65 on (and then only thanks to stateWriter).
func logoutNotice(runner, step string) string {
	id := step
	if !stepIDPattern.MatchString(id) || strings.HasPrefix(id, "__") {
		id = "<id of this step>"
	}
	why := runner + " does not run this action's post step, so nothing logs out at the end of the job."
	if runner == "act" {
		why = "act runs this action's post step, which logs out, only from v0.2.65 on."
	}
	return why + " To be sure to log out, add a step after the ones that use the registry: " +
		"uses: reoclo/docker-auth/logout@v1, if: always(), with api_key, server_id and " +
		"registry_url: ${{ steps." + id + ".outputs.registry_url }}."
}

// stepIDPattern is what a workflow step's id may look like.
var stepIDPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,99}$`)
