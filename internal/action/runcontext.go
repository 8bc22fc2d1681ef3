package action

import "github.com/reoclo/docker-auth/internal/reoclo"

// runContext describes the workflow run for the audit log, from the
// runner's variables: the provider is gitea_actions on Gitea's runner (and
// Forgejo's, which sets GITEA_ACTIONS too), github_actions elsewhere. It
// returns the run ID beside it.
func runContext(getenv func(string) string) (reoclo.RunContext, string) {
	rc := reoclo.RunContext{
		Provider:   "github_actions",
		Repository: getenv("GITHUB_REPOSITORY"),
		Workflow:   getenv("GITHUB_WORKFLOW"),
		Trigger:    getenv("GITHUB_EVENT_NAME"),
		Actor:      getenv("GITHUB_ACTOR"),
		SHA:        getenv("GITHUB_SHA"),
		Ref:        getenv("GITHUB_REF"),
	}
	if getenv("GITEA_ACTIONS") == "true" {
		rc.Provider = "gitea_actions"
	}
	return rc, getenv("GITHUB_RUN_ID")
}
