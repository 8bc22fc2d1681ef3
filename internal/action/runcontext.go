package action

import (
	"strconv"

	"github.com/sethvargo/go-githubactions"

	"github.com/reoclo/docker-auth/internal/reoclo"
)

// Providers as the API's audit log names them.
const (
	providerGitHub = "github_actions"
	providerGitea  = "gitea_actions"
)

// runContext describes the workflow run for the audit log, and returns the
// run ID (GITHUB_RUN_ID) as the API wants it: a string.
func runContext(gh *githubactions.Action) (reoclo.RunContext, string) {
	rc := reoclo.RunContext{Provider: providerGitHub}
	if gh.Getenv("GITEA_ACTIONS") == "true" {
		rc.Provider = providerGitea
	}
	runID := gh.Getenv("GITHUB_RUN_ID")

	c, err := gh.Context()
	if err != nil {
		// A malformed variable (a non-numeric GITHUB_RUN_NUMBER, an unreadable
		// event file) costs the audit log a field, not the login.
		gh.Debugf("reading the workflow context: %v", err)
	}
	if c == nil {
		c = &githubactions.GitHubContext{
			Repository: gh.Getenv("GITHUB_REPOSITORY"), Workflow: gh.Getenv("GITHUB_WORKFLOW"),
			EventName: gh.Getenv("GITHUB_EVENT_NAME"), Actor: gh.Getenv("GITHUB_ACTOR"),
			SHA: gh.Getenv("GITHUB_SHA"), Ref: gh.Getenv("GITHUB_REF"),
		}
	}
	rc.Repository = c.Repository
	rc.Workflow = c.Workflow
	rc.Trigger = c.EventName
	rc.Actor = c.Actor
	rc.SHA = c.SHA
	rc.Ref = c.Ref
	if runID == "" && c.RunID != 0 {
		runID = strconv.FormatInt(c.RunID, 10)
	}
	return rc, runID
}
