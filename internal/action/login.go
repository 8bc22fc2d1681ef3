package action

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/reoclo/docker-auth/internal/config"
	"github.com/reoclo/docker-auth/internal/reoclo"
	"github.com/reoclo/docker-auth/internal/untrusted"
)

// runMain is the main step: validate the inputs, start the login, save what
// post needs, follow the operation to its end, set the outputs.
func runMain(ctx context.Context, gh *githubactions.Action, d Deps) error {
	in := d.inputs(config.Defaults)
	maskKey(gh, in(config.InputAPIKey))
	cfg, err := config.Load(in)
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
	state := newStateWriter(gh, d.Getenv)
	if cfg.Cleanup {
		state.save(loginState{ServerID: cfg.ServerID, RegistryURL: accepted.RegistryURL, OperationID: accepted.OperationID})
	}
	gh.Debugf("login accepted: operation %s for %s", accepted.OperationID, untrusted.Line(accepted.RegistryURL, maxRegistryURL))

	op, err := client.Wait(ctx, accepted.OperationID)
	if err != nil {
		return err
	}
	if cfg.Cleanup {
		state.finished(op)
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
	if name := runnerName(d.Getenv); name != "" && cfg.Cleanup {
		gh.Noticef("%s", logoutNotice(name, d.Getenv("GITHUB_ACTION")))
	}
	return nil
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
