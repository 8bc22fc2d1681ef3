package action

import (
	"context"
	"fmt"

	"github.com/sethvargo/go-githubactions"

	"github.com/reoclo/docker-auth/internal/config"
	"github.com/reoclo/docker-auth/internal/reoclo"
	"github.com/reoclo/docker-auth/internal/untrusted"
)

// runMain is the main step: validate the inputs, start the login, save what
// post needs, follow the operation to its end, set the outputs.
func runMain(ctx context.Context, gh *githubactions.Action, d Deps) (err error) {
	maskKey(gh, gh.GetInput(config.InputAPIKey))
	sum := stepSummary{Title: loginTitle, Result: resultFailed, Note: "Failed before any login started on the server."}
	defer func() {
		if err != nil {
			sum.Reason = err.Error()
		}
		sum.write(gh, d)
	}()
	cfg, err := config.Load(gh.GetInput)
	if err != nil {
		return err
	}
	if err := requireEnv(d.Getenv, "GITHUB_OUTPUT", "GITHUB_STATE"); err != nil {
		return err
	}

	rc, runID := runContext(gh)
	client := newClient(gh, d, cfg.API, cfg.APIKey)
	// Two deadlines of one timeout: the login request may finish after a
	// cancellation (until the hard stop), the wait may not.
	hardCtx, cancel := d.withTimeout(hardOf(ctx), cfg.Timeout)
	defer cancel()
	softCtx, cancelSoft := context.WithCancelCause(hardCtx)
	defer cancelSoft(nil)
	stopSoft := context.AfterFunc(ctx, func() { cancelSoft(context.Cause(ctx)) })
	defer stopSoft()

	start := d.Now()
	accepted, err := client.Login(reoclo.FinishInFlight(hardCtx, softCtx), reoclo.LoginRequest{
		ServerID: cfg.ServerID, CredentialID: cfg.CredentialID, RunID: runID, RunContext: rc,
	})
	if accepted != nil {
		sum.Note = "The API started a login, but its reply could not be used."
		if cfg.Cleanup {
			saveForPost(gh, cfg.ServerID, accepted)
		}
	}
	if err != nil {
		return fmt.Errorf("start the login: %w", err)
	}
	if err := checkOutputs(accepted.RegistryURL, accepted.RegistryType); err != nil {
		return err
	}
	sum.Registry, sum.Type, sum.OperationID = accepted.RegistryURL, accepted.RegistryType, accepted.OperationID
	gh.Debugf("login accepted: operation %s for %s", accepted.OperationID, untrusted.Line(accepted.RegistryURL, maxRegistryURL))

	op, err := client.Follow(softCtx, accepted.OperationID)
	sum.Took = d.Now().Sub(start)
	if err != nil {
		sum.Server = serverLabel(op, cfg.ServerID)
		return waitFailed(err, "login", sum.Server, cfg.Timeout)
	}
	if cfg.Cleanup {
		gh.SaveState(stateLoginFinished, "true")
		saveServerName(gh, op)
	}
	took := sum.Took
	server := serverLabel(op, cfg.ServerID)
	sum.Server = server
	if !op.Succeeded() {
		return loginFailed(d, server, op)
	}

	gh.SetOutput(outputOperationID, accepted.OperationID)
	gh.SetOutput(outputRegistryURL, accepted.RegistryURL)
	gh.SetOutput(outputRegistryType, accepted.RegistryType)
	sum.Result = resultLoggedIn
	gh.Infof("%s", fmt.Sprintf("Logged in to %s on server %s (operation %s, %.1f s)",
		untrusted.Line(accepted.RegistryURL, maxRegistryURL), server, accepted.OperationID, took.Seconds()))
	return nil
}

// saveForPost saves what the post step needs to undo a login the API
// accepted, as soon as each part is usable, before anything else can fail:
// the server and the registry (enough to log out), then the operation (to
// wait for the login first). A registry_url that cannot be written as state
// saves nothing: post could not log out of it.
func saveForPost(gh *githubactions.Action, serverID string, accepted *reoclo.LoginAccepted) {
	if untrusted.CheckValue(accepted.RegistryURL, maxRegistryURL) != nil {
		return
	}
	st := loginState{ServerID: serverID, RegistryURL: accepted.RegistryURL}
	if reoclo.CheckOperationID(accepted.OperationID) == nil {
		st.OperationID = accepted.OperationID
	}
	st.save(gh)
}
