package action

import (
	"io"
	"maps"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/sethvargo/go-githubactions"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reoclo/docker-auth/internal/config"
	"github.com/reoclo/docker-auth/internal/reoclo"
)

func TestInputsTellAbsentFromEmpty(t *testing.T) {
	vars := map[string]string{"INPUT_CLEANUP": "", "INPUT_TIMEOUT": " 7.5 ", "INPUT_API_KEY": "rca_x"}
	s := &step{gh: githubactions.New(githubactions.WithWriter(io.Discard)), d: Deps{LookupEnv: lookupIn(vars)}}
	in := s.inputs(config.Defaults())
	assert.Empty(t, in(config.InputCleanup), "set but empty stays empty, so validation refuses it")
	assert.Equal(t, "7.5", in(config.InputTimeout), "trimmed as GetInput trims")
	assert.Equal(t, "https://api.reoclo.com", in(config.InputAPIURL), "absent: action.yml's default")
	assert.Empty(t, in(config.InputServerID), "absent, no default")
}

// envStateName gives each step id its own variable, never one act drops.
func TestEnvStateName(t *testing.T) {
	seen := map[string]string{}
	for _, id := range []string{"login", "Login", "LOGIN", "a-b", "a_b", "a_2Db", "a_2db", "a__b", "a", "a_", "_a", "0", "00",
		"__reoclo_docker-auth", "INPUT_X", "input_x", "x.y", "ünï"} {
		name := envStateName(id)
		assert.NotContains(t, seen, name, "%q and %q share a name", id, seen[name])
		seen[name] = id
		assert.NotContains(t, name, "INPUT_", "act drops variables whose name holds INPUT_")
		assert.Regexp(t, `^DOCKER_AUTH_STATE_[A-Za-z0-9_]+$`, name)
	}
}

// TestReadStateTrustsOnlyWhatMainSealed: the state post acts on comes from
// this step's main, sealed with the key; on GitHub's runner only from its
// own state, on act-family runners from the GITHUB_ENV copy when the runner
// passed no state. A step without the key can neither forge it nor move it
// from another step or place.
func TestReadStateTrustsOnlyWhatMainSealed(t *testing.T) {
	// rewritten puts st's values in place of those of sealed value v, and
	// keeps v's signature.
	rewritten := func(v string, st loginState) string {
		_, mac, _ := strings.Cut(v, ".")
		payload, _, _ := strings.Cut(seal(st, "any", "any"), ".")
		return payload + "." + mac
	}
	login := loginState{ServerID: serverID, RegistryURL: "ghcr.io", OperationID: "op-1", Finished: true}
	other := loginState{ServerID: otherCred, RegistryURL: "docker.io", Finished: true}
	env := func(vars ...string) func(string) string {
		m := map[string]string{"GITHUB_ACTION": "login"}
		for i := 0; i+1 < len(vars); i += 2 {
			m[vars[i]] = vars[i+1]
		}
		return func(k string) string { return m[k] }
	}
	copyOf := func(st loginState, step string) string { return seal(st, testKey, envStateName(step)) }
	tests := []struct {
		name   string
		getenv func(string) string
		want   loginState
		ok     bool
		err    string
	}{
		{"github: its own state", env("STATE_login", seal(login, testKey, "STATE_"+stateKey)), login, true, ""},
		{"github: never a copy", env("DOCKER_AUTH_STATE_login", copyOf(other, "login")), loginState{}, false, ""},
		{"github: the marker wins over a copy and ACT=true a later step wrote",
			env("STATE_login", seal(loginState{}, testKey, "STATE_"+stateKey), "ACT", "true", "DOCKER_AUTH_STATE_login", copyOf(other, "login")),
			loginState{}, false, ""},
		{"act: the copy", env("ACT", "true", "DOCKER_AUTH_STATE_login", copyOf(login, "login")), login, true, ""},
		{"gitea: the copy", env("GITEA_ACTIONS", "true", "DOCKER_AUTH_STATE_login", copyOf(login, "login")), login, true, ""},
		{"forgejo: the copy", env("FORGEJO_ACTIONS", "true", "DOCKER_AUTH_STATE_login", copyOf(login, "login")), login, true, ""},
		{"act: the marker only", env("ACT", "true", "DOCKER_AUTH_STATE_login", copyOf(loginState{}, "login")), loginState{}, false, ""},
		{"act: a copy sealed without the key", env("ACT", "true", "DOCKER_AUTH_STATE_login", seal(other, "rca_guess", envStateName("login"))),
			loginState{}, false, "saved state DOCKER_AUTH_STATE_login cannot be used: it was not written by this step's login"},
		{"act: another step's copy moved here", env("ACT", "true", "DOCKER_AUTH_STATE_login", copyOf(other, "hub")),
			loginState{}, false, "it was not written by this step's login"},
		{"act: a copy with its values rewritten", env("ACT", "true", "DOCKER_AUTH_STATE_login", rewritten(copyOf(login, "login"), other)),
			loginState{}, false, "it was not written by this step's login"},
		{"act: a copy passed off as the step's state", env("ACT", "true", "STATE_login", copyOf(other, "login")),
			loginState{}, false, "saved state STATE_login cannot be used: it was not written by this step's login"},
		{"act: a copy from another run", env("ACT", "true", "GITHUB_RUN_ID", "42", "GITHUB_RUN_ATTEMPT", "1", "GITHUB_JOB", "deploy",
			"DOCKER_AUTH_STATE_login", copyOf(loginState{ServerID: serverID, RegistryURL: "ghcr.io", Run: "41.1.deploy"}, "login")),
			loginState{}, false, "saved state DOCKER_AUTH_STATE_login cannot be used: it was saved by run 41.1.deploy, not this one (42.1.deploy)"},
		{"act without GITHUB_ACTION", env("ACT", "true", "GITHUB_ACTION", "", "DOCKER_AUTH_STATE_", copyOf(login, "")), loginState{}, false, ""},
		{"garbage", env("STATE_login", "x"), loginState{}, false, "it was not written by this step's login"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, ok, err := readState(tc.getenv, testKey)
			if tc.err != "" {
				assert.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.want, st)
		})
	}
}

func TestRefusedLogin(t *testing.T) {
	one, zero := 1, 0
	for op, want := range map[*reoclo.Operation]bool{
		{Status: reoclo.StatusFailed, Result: &reoclo.Result{ExitCode: &one}}:     true,
		{Status: reoclo.StatusCompleted, Result: &reoclo.Result{ExitCode: &one}}:  true,
		{Status: reoclo.StatusCompleted, Result: &reoclo.Result{ExitCode: &zero}}: false,
		{Status: reoclo.StatusTimeout, Result: &reoclo.Result{ExitCode: &one}}:    false,
		{Status: reoclo.StatusFailed, Result: &reoclo.Result{}}:                   false,
		{Status: reoclo.StatusFailed}:                                             false,
	} {
		assert.Equal(t, want, refusedLogin(op), "%s %+v", op.Status, op.Result)
	}
}

// On act-family runners main copies its state to GITHUB_ENV, masked, for
// act's post step, which logs out from it, and says to add the logout step,
// naming this step's outputs when its id is a workflow's.
func TestMainOnActRunners(t *testing.T) {
	tests := []struct {
		variable, id, cleanup string
		copied, notice        string // "": none; in the notice, "…" stands for any text
	}{
		{"ACT", "ghcr-login", "true", "DOCKER_AUTH_STATE_ghcr_2Dlogin", "::notice::act runs this action's post step, which logs out, " +
			"only from v0.2.65 on. To be sure to log out, add a step…uses: reoclo/docker-auth/logout@v1…steps.ghcr-login.outputs.registry_url"},
		{"GITEA_ACTIONS", "login", "true", "DOCKER_AUTH_STATE_login", "::notice::Gitea Actions does not run this action's post step, " +
			"so nothing logs out at the end of the job. To be sure…registry_url: ${{ steps.login.outputs.registry_url }}"},
		{"FORGEJO_ACTIONS", "login", "true", "DOCKER_AUTH_STATE_login", "::notice::Forgejo Actions does not run this action's post step"},
		{"ACT", "0", "true", "DOCKER_AUTH_STATE_0", "::notice::…steps.<id of this step>.outputs.registry_url"},
		{"ACT", "login", "false", "", ""},
		{"GITHUB_ACTIONS", "login", "true", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.variable+"/"+tc.id+"/cleanup "+tc.cleanup, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newTestEnv(t)
				e.env[tc.variable], e.env["GITHUB_ACTION"] = "true", tc.id
				e.inputs["cleanup"] = tc.cleanup
				res := e.run(RoleMain, nil)
				require.Equal(t, 0, res.code, res.stdout)
				assert.Equal(t, "ghcr.io", res.outputs["registry_url"])
				assert.Equal(t, tc.variable == "GITEA_ACTIONS", e.api.Operations()[0].RunContext["provider"] == "gitea_actions")
				assert.Equal(t, tc.cleanup == "true", len(res.state) > 0, "state only with cleanup")
				assert.Equal(t, tc.notice != "", strings.Contains(res.stdout, "::notice"))
				assert.LessOrEqual(t, strings.Count(res.stdout, "::notice"), 1)
				e.assertPrinted(t, res.stdout, tc.notice)
				if tc.copied == "" {
					assert.Empty(t, res.env)
					return
				}
				require.Len(t, res.env, 1)
				st, err := open(res.env[tc.copied], testKey, tc.copied)
				require.NoError(t, err)
				assert.Equal(t, "4242.1.deploy", st.Run)
				st.Run = ""
				assert.Equal(t, res.login, st)
				assert.Contains(t, res.stdout, "::add-mask::"+res.env[tc.copied], "act prints GITHUB_ENV's values")

				// act's post step: no STATE_*, the inputs under with: only, main's GITHUB_ENV set.
				maps.Copy(e.env, res.env)
				for _, in := range []string{"cleanup", "timeout", "credential_id"} {
					delete(e.inputs, in)
				}
				before := len(e.requests())
				post := e.run(RolePost, nil)
				assert.Contains(t, post.stdout, "Logged out of ghcr.io")
				assert.Equal(t, []string{logoutPath}, e.requests()[before:], "main saw the login end: straight to the logout")
				assert.Empty(t, e.api.LoggedIn())
			})
		})
	}
}
