package action

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/reoclo/docker-auth/internal/config"
	"github.com/reoclo/docker-auth/internal/reoclo"
	"github.com/reoclo/docker-auth/internal/untrusted"
)

// runMain is the main step: validate the inputs, start the login, save what
// post needs, follow the operation to its end, set the outputs.
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

	rc, runID := runContext(gh)
	client := newClient(gh, d, cfg.API, cfg.APIKey)
	// Two deadlines of one timeout: the login request may finish after a
	// cancellation (until the hard stop), the wait may not.
	hardCtx, cancel := withTimeout(hardOf(ctx), cfg.Timeout)
	defer cancel()
	softCtx, cancelSoft := context.WithCancelCause(hardCtx)
	defer cancelSoft(nil)
	stopSoft := context.AfterFunc(ctx, func() { cancelSoft(context.Cause(ctx)) })
	defer stopSoft()

	state := newStateWriter(gh, d.Getenv)
	start := time.Now()
	accepted, err := client.Login(reoclo.FinishInFlight(hardCtx, softCtx), reoclo.LoginRequest{
		ServerID: cfg.ServerID, CredentialID: cfg.CredentialID, RunID: runID, RunContext: rc,
	})
	if err != nil {
		return fmt.Errorf("start the login: %w", err)
	}
	sum.Note = "The API started a login, but its reply could not be used."
	if cfg.Cleanup {
		saveForPost(state, cfg.ServerID, accepted)
	}
	if err := reoclo.CheckOperationID(accepted.OperationID); err != nil {
		return fmt.Errorf("start the login: login reply: %w", err)
	}
	if err := checkOutputs(accepted.RegistryURL, accepted.RegistryType); err != nil {
		return err
	}
	sum.Registry, sum.Type, sum.OperationID = accepted.RegistryURL, accepted.RegistryType, accepted.OperationID
	gh.Debugf("login accepted: operation %s for %s", accepted.OperationID, untrusted.Line(accepted.RegistryURL, maxRegistryURL))

	op, err := client.Follow(softCtx, accepted.OperationID, cfg.ServerID)
	sum.Took = time.Since(start)
	if err != nil {
		sum.Server = serverLabel(lastSeen(err), cfg.ServerID)
		return waitFailed(err, "login", sum.Server, cfg.Timeout)
	}
	if cfg.Cleanup {
		state.finished(op)
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
	gh.Infof("Logged in to %s on server %s (operation %s, %.1f s)",
		untrusted.Line(accepted.RegistryURL, maxRegistryURL), server, accepted.OperationID, sum.Took.Seconds())
	if name := runnerName(d.Getenv); name != "" && cfg.Cleanup {
		gh.Noticef("%s", logoutNotice(name, d.Getenv("GITHUB_ACTION")))
	}
	return nil
}

// saveForPost saves what the post step needs to undo a login the API
// accepted, as soon as each part is usable, before anything else can fail:
// the server and the registry (enough to log out), then the operation (to
// wait for the login first). A registry_url that cannot be written as state
// saves nothing: post could not log out of it.
func saveForPost(state stateWriter, serverID string, accepted *reoclo.LoginAccepted) {
	if untrusted.CheckValue(accepted.RegistryURL, maxRegistryURL) != nil {
		return
	}
	st := loginState{ServerID: serverID, RegistryURL: accepted.RegistryURL}
	if reoclo.CheckOperationID(accepted.OperationID) == nil {
		st.OperationID = accepted.OperationID
	}
	state.save(st)
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
