package action

import (
	"fmt"
	"regexp"
	"strings"
)

// runnerName names the runner when it is act or one built on it (Gitea's and
// Forgejo's runners), which may not run a container action's post step, or
// run it without STATE_* and input defaults; "" elsewhere (GitHub's runner,
// GHES, self-hosted).
func runnerName(getenv func(string) string) string {
	switch {
	case getenv("FORGEJO_ACTIONS") == "true":
		return "Forgejo Actions"
	case getenv("GITEA_ACTIONS") == "true":
		return "Gitea Actions"
	case getenv("ACT") == "true":
		return "act"
	}
	return ""
}

// envStateName is the GITHUB_ENV variable that carries the state of the
// step whose GITHUB_ACTION is step on act-family runners, the one place act
// hands to the post container: DOCKER_AUTH_STATE_login for step "login".
// The step ID is encoded one to one: a-z and 0-9 are kept, every other byte
// becomes _XX (its hex code), so two steps never share a name, and no name
// contains "INPUT_" (act drops such variables from a step's environment).
func envStateName(step string) string {
	var b strings.Builder
	b.WriteString("DOCKER_AUTH_STATE_")
	for i := 0; i < len(step); i++ {
		c := step[i]
		if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "_%02X", c)
	}
	return b.String()
}

// logoutNotice tells people on act, Gitea or Forgejo to add the logout step:
// Gitea's and Forgejo's runners never run a container action's post step,
// and act runs it only from v0.2.65 on (and then only thanks to the state's
// GITHUB_ENV copy).
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
