package action

import (
	"fmt"
	"regexp"
	"strings"
)

// runnerName names act and the runners built on it (Gitea's, Forgejo's),
// which run a container action's post step without STATE_* and input
// defaults, or not at all; "" elsewhere (GitHub's runner, GHES).
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

// envStateName is the GITHUB_ENV variable that carries step's state to
// act's post step, DOCKER_AUTH_STATE_<step>: a-z and 0-9 kept, other bytes
// as _XX, so no two steps share one and none holds "INPUT_" (act drops it).
func envStateName(step string) string {
	var b strings.Builder
	b.WriteString("DOCKER_AUTH_STATE_")
	for _, c := range []byte(step) {
		if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "_%02X", c)
		}
	}
	return b.String()
}

// logoutNotice tells people on act, Gitea or Forgejo to add the logout step,
// naming this step's outputs when its id is a workflow's.
func logoutNotice(runner, step string) string {
	if !stepID.MatchString(step) || strings.HasPrefix(step, "__") {
		step = "<id of this step>"
	}
	why := runner + " does not run this action's post step, so nothing logs out at the end of the job."
	if runner == "act" {
		why = "act runs this action's post step, which logs out, only from v0.2.65 on."
	}
	return why + " To be sure to log out, add a step after the ones that use the registry: " +
		"uses: reoclo/docker-auth/logout@v1, if: always(), with api_key, server_id and " +
		"registry_url: ${{ steps." + step + ".outputs.registry_url }}."
}

var stepID = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,99}$`)
