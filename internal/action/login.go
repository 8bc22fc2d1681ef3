package action

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/reoclo/docker-auth/internal/config"
	"github.com/reoclo/docker-auth/internal/reoclo"
	"github.com/reoclo/docker-auth/internal/untrusted"
)

// loginLinger is how long a login reply on its way still has after the hard
// stop: the runner kills the container 2.5 s after SIGTERM.
const loginLinger = 2 * time.Second

// login is the main step: check the inputs, save a marker state, start the
// login, save what post needs, follow the login to its end, set the outputs.
// ctx ends the wait; hard, loginLinger later, the login request in flight.
func (s *step) login(ctx, hard context.Context) (report, error) {
	rep := report{Title: loginTitle, Result: resultFailed, Note: "Failed before any login started on the server."}
	cfg, err := config.Load(s.in)
	if err != nil {
		return rep, err
	}
	for _, name := range []string{"GITHUB_OUTPUT", "GITHUB_STATE"} {
		if s.getenv(name) == "" {
			return rep, fmt.Errorf("%s is not set: docker-auth must run as a GitHub Actions step", name)
		}
	}
	state := newStateWriter(s.gh, s.getenv, cfg.APIKey)
	if cfg.Cleanup { // post then reads this step's own state, never a copy; and the disk takes state
		if err := state.save(loginState{}); err != nil {
			return rep, fmt.Errorf("%w; nothing was sent", err)
		}
	}
	s.connect(cfg.Access)
	deadline := time.Now().Add(cfg.Timeout)
	waitCtx, cancel := withDeadline(ctx, deadline, cfg.Timeout)
	defer cancel()
	loginCtx, cancelLogin := withDeadline(context.WithoutCancel(hard), deadline, cfg.Timeout)
	defer cancelLogin()
	loginCtx, cancelLinger := linger(loginCtx, hard, loginLinger)
	defer cancelLinger()

	rc, runID := runContext(s.getenv)
	start := time.Now()
	accepted, err := s.api.Login(loginCtx, waitCtx, reoclo.Request{
		ServerID: cfg.ServerID, CredentialID: cfg.CredentialID, RunID: runID, RunContext: rc})
	if err != nil {
		return rep, fmt.Errorf("start the login: %w", explain(err))
	}
	rep.Note = "The API started a login, but its reply could not be used."
	registry := untrusted.Line(accepted.RegistryURL)
	if err := config.CheckRegistry(accepted.RegistryURL); err != nil {
		return rep, fmt.Errorf("the API started a login but returned a registry_url that no logout can name: %v (got %q); "+
			"not logging out, so check the server's docker logins in Reoclo", err, registry)
	}
	st := loginState{ServerID: cfg.ServerID, RegistryURL: accepted.RegistryURL}
	if reoclo.CheckOperationID(accepted.OperationID) == nil {
		st.OperationID = accepted.OperationID
	}
	urlErr := checkOutput("registry_url", accepted.RegistryURL, config.MaxRegistryURL)
	if cfg.Cleanup { // a login post cannot undo, main undoes at once
		unsaved := urlErr
		if unsaved == nil {
			unsaved = state.save(st)
		}
		if unsaved != nil {
			rep.Registry, rep.Server, rep.OperationID = registry, cfg.ServerID, st.OperationID
			return rep, s.undoNow(ctx, hard, st, unsaved)
		}
	}
	if err := reoclo.CheckOperationID(accepted.OperationID); err != nil {
		return rep, fmt.Errorf("start the login: login reply: %w", err)
	}
	if err := errors.Join(urlErr, checkOutput("registry_type", accepted.RegistryType, 64)); err != nil {
		return rep, err
	}
	rep.Registry, rep.Type, rep.OperationID = accepted.RegistryURL, accepted.RegistryType, accepted.OperationID

	op, err := s.api.Follow(waitCtx, accepted.OperationID, cfg.ServerID)
	rep.Took, rep.Server = time.Since(start), serverLabel(op, err, cfg.ServerID)
	if err != nil {
		return rep, waitFailed(err, "login", rep.Server, cfg.Timeout)
	}
	if cfg.Cleanup {
		st.Finished, st.Refused, st.ServerName = true, refusedLogin(op), untrusted.Line(op.ServerName)
		if err := state.save(st); err != nil { // what was saved before still lets post undo it
			s.gh.Debugf("saving the login's end: %v", err)
		}
	}
	if !op.Succeeded() {
		return rep, loginFailed(s, rep.Server, op)
	}
	s.gh.SetOutput("operation_id", accepted.OperationID)
	s.gh.SetOutput("registry_url", accepted.RegistryURL)
	s.gh.SetOutput("registry_type", accepted.RegistryType)
	rep.Result = resultLoggedIn
	s.gh.Infof("Logged in to %s on server %s (operation %s, %.1f s)", registry, rep.Server, accepted.OperationID, rep.Took.Seconds())
	if name := runnerName(s.getenv); name != "" && cfg.Cleanup {
		s.gh.Noticef("%s", logoutNotice(name, s.getenv("GITHUB_ACTION")))
	}
	return rep, nil
}

// checkOutput refuses a value from the API that cannot be output name, one
// line: a newline, a control character or the file-command delimiter could
// forge other outputs.
func checkOutput(name, v string, limit int) error {
	if err := untrusted.CheckValue(v, limit); err != nil {
		return fmt.Errorf("the API returned a %s that cannot be an output: %w", name, err)
	}
	return nil
}

// undoNow logs out of a login post cannot undo (why says why), once it has
// ended, and returns the step's error: why, and what became of the login.
func (s *step) undoNow(ctx, hard context.Context, st loginState, why error) error {
	registry := untrusted.Line(st.RegistryURL)
	opID, err := s.undo(ctx, hard, st, st.ServerID)
	switch {
	case errors.Is(err, errLoginRefused):
		return fmt.Errorf("%w; docker login failed on the server, so nothing was logged out", why)
	case err != nil:
		return fmt.Errorf("%w; so the post step could not log out, main tried: could not log out of %s on server %s: %w; "+
			"the server stays logged in to %s", why, registry, st.ServerID, err, registry)
	}
	return fmt.Errorf("%w; so the post step could not log out, main logged out of %s again (operation %s)", why, registry, opID)
}
