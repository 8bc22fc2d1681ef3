package action

import "github.com/reoclo/docker-auth/internal/reoclo"

// runContext describes the run for the audit log, and returns its run ID;
// the provider is gitea_actions where GITEA_ACTIONS is set (Forgejo too).
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
