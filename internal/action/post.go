package action

import (
	"context"
	"errors"
	"time"

	"github.com/reoclo/docker-auth/internal/config"
	"github.com/reoclo/docker-auth/internal/reoclo"
	"github.com/reoclo/docker-auth/internal/untrusted"
)

// post is the post step: unless cleanup is false, log out of the registry
// the main step logged in to, on the same server, once that login has ended.
// Every failure here is a warning: post never fails the job.
func (s *step) post(ctx, hard context.Context) report {
	rep := report{Title: logoutTitle, Result: resultNotLoggedOut}
	cfg, err := config.LoadPost(s.in)
	if err == nil && !cfg.Cleanup {
		s.gh.Infof("Cleanup is off (cleanup: false): staying logged in; nothing sent.")
		rep.Note = "Kept logged in: cleanup is 'false', so nothing was sent."
		return rep
	}
	st, ok, stateErr := readState(s.getenv, s.in(config.InputAPIKey))
	switch {
	case !ok && stateErr == nil:
		// Bad inputs included: main failed on them before sending anything.
		s.gh.Infof("No login to undo: the main step did not start one.")
		rep.Note = "Nothing to log out: the main step did not start a login."
		return rep
	case stateErr != nil && err != nil:
		stateErr = err // a wrong key cannot open the state: the input is the problem
		fallthrough
	case stateErr != nil:
		s.gh.Warningf("Not logging out: %v", stateErr)
		rep.Note, rep.Reason = "Not logged out: the main step's saved state cannot be used.", stateErr.Error()
		return rep
	case st.Refused:
		return s.notOurs(rep, st.OperationID)
	}
	registry := untrusted.Line(st.RegistryURL)
	server := serverLabel(&reoclo.Operation{ServerName: st.ServerName}, nil, st.ServerID)
	rep.Registry, rep.Server = st.RegistryURL, server
	if err != nil {
		s.gh.Warningf("Not logging out of %s on server %s: %v\nThe server stays logged in to %s.", registry, server, err, registry)
		rep.Reason = err.Error()
		return rep
	}
	s.connect(cfg.Access)
	start := time.Now()
	rep.OperationID, err = s.undo(ctx, hard, st, server)
	rep.Took = time.Since(start)
	var running *logoutRunning
	switch {
	case errors.Is(err, errLoginRefused):
		return s.notOurs(report{Title: rep.Title, Result: rep.Result}, st.OperationID)
	case errors.As(err, &running):
		s.gh.Warningf("Not waiting for the logout of %s on server %s to finish: %v", registry, server, err)
		rep.Result, rep.Reason = resultLogoutSent, err.Error()
	case err != nil:
		s.gh.Warningf("Could not log out of %s on server %s: %v\nThe server stays logged in to %s.", registry, server, err, registry)
		rep.Reason = err.Error()
	default:
		rep.Result = resultLoggedOut
	}
	return rep
}

// notOurs says, in the log and the report, why post sends no logout after a
// login docker login itself refused (refusedLogin).
func (s *step) notOurs(rep report, operationID string) report {
	s.gh.Infof("No login to undo: docker login failed on the server (operation %s) and left its "+
		"docker config as it was; nothing sent.", operationID)
	rep.Note = "Nothing to log out: docker login failed on the server and left its docker config as it was."
	return rep
}
