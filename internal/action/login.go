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
func runMain(ctx context.Context, gh *githubactions.Action, d Deps) error {
	maskKey(gh, gh.GetInput(config.InputAPIKey))
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
	if accepted != nil && cfg.Cleanup {
		saveForPost(gh, cfg.ServerID, accepted)
	}
	if err != nil {
		return fmt.Errorf("start the login: %w", err)
	}
	if err := checkOutputs(accepted.RegistryURL, accepted.RegistryType); err != nil {
		return err
	}
	gh.Debugf("login accepted: operation %s for %s", accepted.OperationID, untrusted.Line(accepted.RegistryURL, maxRegistryURL))

	op, err := client.Follow(softCtx, accepted.OperationID)
	if err != nil {
		return err
	}
	if cfg.Cleanup {
		gh.SaveState(stateLoginFinished, "true")
	}
	took := d.Now().Sub(start)
	server := serverLabel(op, cfg.ServerID)
	if !op.Succeeded() {
		return commandFailed(d, "docker login", server, op)
	}

	gh.SetOutput(outputOperationID, accepted.OperationID)
	gh.SetOutput(outputRegistryURL, accepted.RegistryURL)
	gh.SetOutput(outputRegistryType, accepted.RegistryType)
	writeSummary(gh, d, summaryRow{
		Registry: accepted.RegistryURL, Type: accepted.RegistryType, Server: server,
		OperationID: accepted.OperationID, Took: took,
	})
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
