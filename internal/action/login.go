package action

import (
	"context"
	"fmt"

	"github.com/sethvargo/go-githubactions"

	"github.com/reoclo/docker-auth/internal/config"
	"github.com/reoclo/docker-auth/internal/reoclo"
	"github.com/reoclo/docker-auth/internal/untrusted"
)

// maxReason bounds the server's reason quoted in the error annotation.
const maxReason = 500

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
		if err := printResult(d, "docker login", server, op); err != nil {
			return err
		}
		return loginFailed(op, server)
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

// serverLabel names the server for people: its name from the API when it
// gave one, else its ID.
func serverLabel(op *reoclo.Operation, serverID string) string {
	if name := untrusted.Line(op.ServerName, 100); name != "" {
		return name
	}
	return serverID
}

// printResult prints the server's output of a failed command as plain data.
func printResult(d Deps, what, server string, op *reoclo.Operation) error {
	if op.Result == nil {
		return nil
	}
	if err := untrusted.Block(d.Stdout, fmt.Sprintf("Output of %s on %s (stdout)", what, server), op.Result.Stdout); err != nil {
		return err
	}
	return untrusted.Block(d.Stdout, fmt.Sprintf("Output of %s on %s (stderr)", what, server), op.Result.Stderr)
}

// loginFailed explains a terminal login that did not succeed, quoting the
// server's reason (the last line docker printed).
func loginFailed(op *reoclo.Operation, server string) error {
	return fmt.Errorf("docker login failed on server %s (%s): %s", server, outcome(op), reason(op))
}

// outcome says how an operation ended: "operation 9d2f…, status failed, exit code 1".
func outcome(op *reoclo.Operation) string {
	s := fmt.Sprintf("operation %s, status %s", op.OperationID, untrusted.Line(op.Status, 40))
	switch {
	case op.Result == nil:
		s += ", no result"
	case op.Result.ExitCode == nil:
		s += ", no exit code"
	default:
		s += fmt.Sprintf(", exit code %d", *op.Result.ExitCode)
	}
	return s
}

// reason is the last non-empty line of stderr, else of stdout, as one safe line.
func reason(op *reoclo.Operation) string {
	if op.Result != nil {
		for _, text := range []string{op.Result.Stderr, op.Result.Stdout} {
			if line := lastLine(text); line != "" {
				return untrusted.Line(line, maxReason)
			}
		}
	}
	return "the server gave no output"
}

func lastLine(text string) string {
	for len(text) > 0 {
		i := len(text) - 1
		for i >= 0 && text[i] != '\n' {
			i--
		}
		if line := untrusted.Line(text[i+1:], maxReason); line != "" {
			return text[i+1:]
		}
		if i < 0 {
			break
		}
		text = text[:i]
	}
	return ""
}
