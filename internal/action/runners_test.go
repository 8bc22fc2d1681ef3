package action

import (
	"io"
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
	assert.Equal(t, "rca_x", in(config.InputAPIKey))
	assert.Empty(t, in(config.InputServerID), "absent, no default")

}

func TestEnvStateName(t *testing.T) {
	assert.Equal(t, "DOCKER_AUTH_STATE_login", envStateName("login"))
	assert.Equal(t, "DOCKER_AUTH_STATE_0", envStateName("0"))
	assert.Equal(t, "DOCKER_AUTH_STATE_ghcr_2Dlogin_5F2", envStateName("ghcr-login_2"))

	ids := []string{"login", "Login", "LOGIN", "a-b", "a_b", "a_2Db", "a_2db", "a__b", "a", "a_", "_a", "0", "00",
		"__reoclo_docker-auth", "INPUT_X", "input_x", "x.y", "ünï"}
	seen := map[string]string{}
	for _, id := range ids {
		name := envStateName(id)
		if other, dup := seen[name]; dup {
			t.Errorf("%q and %q share the name %s", id, other, name)
		}
		seen[name] = id
		assert.NotContains(t, name, "INPUT_", "act drops variables whose name holds INPUT_")
		assert.Regexp(t, `^[A-Za-z0-9_]+$`, name)
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
	code := func(c int) *int { return &c }
	tests := []struct {
		status string
		result *reoclo.Result
		want   bool
	}{
		{reoclo.StatusFailed, &reoclo.Result{ExitCode: code(1)}, true},
		{reoclo.StatusCompleted, &reoclo.Result{ExitCode: code(1)}, true},
		{reoclo.StatusCompleted, &reoclo.Result{ExitCode: code(0)}, false},
		{reoclo.StatusTimeout, &reoclo.Result{ExitCode: code(1)}, false},
		{reoclo.StatusFailed, &reoclo.Result{}, false},
		{reoclo.StatusFailed, nil, false},
		{"running", &reoclo.Result{ExitCode: code(1)}, false},
	}
	for _, tc := range tests {
		op := &reoclo.Operation{Status: tc.status, Result: tc.result}
		assert.Equal(t, tc.want, refusedLogin(op), "%s %+v", tc.status, tc.result)
	}
}

// actRunner makes e one of the runners built on act, running step id.
func actRunner(e *testEnv, variable, id string) {
	e.env[variable] = "true"
	e.env["GITHUB_ACTION"] = id
}

func TestMainCopiesStateToGitHubEnvOnActRunners(t *testing.T) {
	for _, variable := range []string{"ACT", "GITEA_ACTIONS", "FORGEJO_ACTIONS"} {
		t.Run(variable, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newTestEnv(t)
				actRunner(e, variable, "ghcr-login")
				res := e.run(RoleMain, nil)
				require.Equal(t, 0, res.code, res.stdout)
				require.Len(t, res.env, 1)
				copied := res.env["DOCKER_AUTH_STATE_ghcr_2Dlogin"]
				st, err := open(copied, testKey, envStateName("ghcr-login"))
				require.NoError(t, err)
				assert.Equal(t, "4242.1.deploy", st.Run)
				st.Run = ""
				assert.Equal(t, res.login, st)
				assert.Contains(t, res.stdout, "::add-mask::"+copied, "act prints GITHUB_ENV's values")
				assert.NotContains(t, string(res.files["GITHUB_ENV"])+string(res.files["GITHUB_STATE"]), testKey)
			})
		})
	}
	t.Run("not on GitHub's runner", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := newTestEnv(t)
			e.env["GITHUB_ACTION"] = "login"
			res := e.run(RoleMain, nil)
			require.Equal(t, 0, res.code, res.stdout)
			assert.NotEmpty(t, res.state)
			assert.Empty(t, res.files["GITHUB_ENV"])
		})
	})
	t.Run("not with cleanup false", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := newTestEnv(t)
			actRunner(e, "ACT", "login")
			e.inputs["cleanup"] = "false"
			res := e.run(RoleMain, nil)
			require.Equal(t, 0, res.code, res.stdout)
			assert.Empty(t, res.files["GITHUB_ENV"])
			assert.Empty(t, res.files["GITHUB_STATE"])
		})
	})
}

// TestActPostLogsOut is act's post step: no STATE_*, only the inputs given
// under with:, the main step's GITHUB_ENV values in the environment.
func TestActPostLogsOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newTestEnv(t)
		actRunner(e, "ACT", "login")
		main := e.run(RoleMain, nil)
		require.Equal(t, 0, main.code, main.stdout)
		require.NotEmpty(t, e.api.LoggedIn())
		for k, v := range main.env {
			e.env[k] = v
		}
		delete(e.inputs, "cleanup")
		delete(e.inputs, "timeout")
		delete(e.inputs, "credential_id")
		before := len(e.requests())

		post := e.run(RolePost, nil)
		assert.Equal(t, 0, post.code)
		assert.Contains(t, post.stdout, "Logged out of ghcr.io")
		assert.Equal(t, []string{logoutPath}, e.requests()[before:])
		assert.Empty(t, e.api.LoggedIn())
	})
}

func TestMainNoticeNamesTheLogoutStep(t *testing.T) {
	tests := []struct {
		variable, id, cleanup string
		want                  string
	}{
		{"ACT", "login", "true", "::notice::act runs this action's post step, which logs out, only from v0.2.65 on. To be sure to log out, add a step"},
		{"GITEA_ACTIONS", "login", "true", "::notice::Gitea Actions does not run this action's post step, so nothing logs out at the end of the job. To be sure"},
		{"FORGEJO_ACTIONS", "login", "true", "::notice::Forgejo Actions does not run this action's post step"},
		{"ACT", "0", "true", "steps.<id of this step>.outputs.registry_url"},
		{"ACT", "login", "false", ""},
		{"GITHUB_ACTIONS", "login", "true", ""},
	}
	for _, tc := range tests {
		t.Run(tc.variable+"/"+tc.id+"/cleanup "+tc.cleanup, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newTestEnv(t)
				actRunner(e, tc.variable, tc.id)
				e.inputs["cleanup"] = tc.cleanup
				res := e.run(RoleMain, nil)
				require.Equal(t, 0, res.code, res.stdout)
				if tc.want == "" {
					assert.NotContains(t, res.stdout, "::notice")
					return
				}
				assert.Equal(t, 1, strings.Count(res.stdout, "::notice"), res.stdout)
				assert.Contains(t, res.stdout, tc.want)
				assert.Contains(t, res.stdout, "uses: reoclo/docker-auth/logout@v1")
				if tc.id == "login" {
					assert.Contains(t, res.stdout, "registry_url: ${{ steps.login.outputs.registry_url }}")
				}
			})
		})
	}
}
