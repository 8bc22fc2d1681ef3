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
	ctx, cancel := d.withTimeout(ctx, cfg.Timeout)
	defer cancel()

	start := d.Now()
	accepted, err := client.Login(ctx, reoclo.LoginRequest{
		ServerID: cfg.ServerID, CredentialID: cfg.CredentialID, RunID: runID, RunContext: rc,
	})
	if err != nil {
		return fmt.Errorf("start the login: %w", err)
	}
	if err := checkOutputs(accepted.RegistryURL, accepted.RegistryType); err != nil {
		return err
	}
	if cfg.Cleanup {
		loginState{ServerID: cfg.ServerID, RegistryURL: accepted.RegistryURL, OperationID: accepted.OperationID}.save(gh)
	}
	gh.Debugf("login accepted: operation %s for %s", accepted.OperationID, untrusted.Line(accepted.RegistryURL, maxRegistryURL))

	op, err := client.Wait(ctx, accepted.OperationID)
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
