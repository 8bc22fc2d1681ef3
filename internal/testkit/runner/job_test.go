package runner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunMainEnvironment(t *testing.T) {
	t.Setenv("RUNNER_TEST_HOST_ONLY", "must not leak")
	job, step, ex := testSetup(t)
	job.Env["JOB_LEVEL"] = "1"
	job.Env["GITHUB_SHA"] = "from-workflow-env"
	step.Env["SHARED"] = "from-step"
	step.With["server id"] = "srv-1"
	step.With["extra"] = "x"
	dump := dumpPath(t)
	setSpec(t, step, helperSpec{"DUMP": dump})

	res, err := job.RunMain(t.Context(), step, ex)
	require.NoError(t, err)
	require.False(t, res.Failed, res.LogText())
	d := readDump(t, dump)

	assert.Equal(t, "docker-auth", d.Argv0)
	assert.Empty(t, d.Args)
	assert.Equal(t, filepath.Join(job.Dir, "workspace"), d.Dir)
	assert.Equal(t, res.ProcessEnv, d.Env, "the process gets exactly the environment the runner built")

	env := d.Env
	for name, want := range map[string]string{
		"INPUT_API_KEY":   "rca_test_key",
		"INPUT_SERVER_ID": "srv-1",
		"INPUT_API-URL":   "https://api.example.test",
		"INPUT_CLEANUP":   "true",
		"INPUT_TIMEOUT":   "120",
		"INPUT_EXTRA":     "x",
		"SHARED":          "from-step",
		"JOB_LEVEL":       "1",
		"GITHUB_SHA":      job.Context["GITHUB_SHA"],
		"GITHUB_ACTIONS":  "true",
		"CI":              "true",
		"GITHUB_ACTION":   "login",
		"HOME":            filepath.Join(job.Dir, "home"),
		"RUNNER_TEMP":     filepath.Join(job.Dir, "runner_temp"),
		"RUNNER_OS":       "Linux",
	} {
		got, ok := env[name]
		if assert.True(t, ok, "%s is set", name) {
			assert.Equal(t, want, got, name)
		}
	}
	assert.NotContains(t, env, "RUNNER_TEST_HOST_ONLY", "the host environment is not inherited")
	assert.NotContains(t, env, "RUNNER_DEBUG")
	for name := range env {
		assert.False(t, strings.HasPrefix(name, "STATE_"), "main gets no state: %s", name)
	}
	assert.Equal(t, filepath.Join(job.Dir, "workflow", "event.json"), env["GITHUB_EVENT_PATH"])
	assert.FileExists(t, env["GITHUB_EVENT_PATH"])
	for _, fc := range fileCommands {
		assert.Equal(t, filepath.Join(job.Dir, "file_commands"), filepath.Dir(env[fc.env]))
		assert.True(t, strings.HasPrefix(filepath.Base(env[fc.env]), fc.prefix), fc.env)
	}

	assert.Contains(t, res.Log, "Warning: Unexpected input(s) 'extra', valid inputs are "+
		"['entryPoint', 'args', 'api_key', 'server id', 'api-url', 'cleanup', 'timeout']")
}

func TestRunPostGetsStateWithCaseKept(t *testing.T) {
	job, step, ex := testSetup(t)
	dump := dumpPath(t)
	setSpec(t, step, helperSpec{
		"STATE":     "operation_id=op-1\nRegistry_URL<<EOF\nghcr.io\nEOF\nshadowed=from-file\n",
		"STDOUT":    "::save-state name=server_id::srv-1\n::save-state name=shadowed::from-command\n",
		"OUTPUT":    "operation_id=op-1\n",
		"POST_DUMP": dump,
	})

	main, err := job.RunMain(t.Context(), step, ex)
	require.NoError(t, err)
	require.False(t, main.Failed, main.LogText())
	assert.Equal(t, map[string]string{
		"operation_id": "op-1", "Registry_URL": "ghcr.io", "server_id": "srv-1", "shadowed": "from-file",
	}, main.State, "the files are read after the process, so they override the command")
	assert.Equal(t, map[string]string{"operation_id": "op-1"}, main.Outputs)

	post, err := job.RunPost(t.Context(), step, main, ex)
	require.NoError(t, err)
	require.False(t, post.Failed, post.LogText())
	d := readDump(t, dump)
	assert.Equal(t, "docker-auth-post", d.Argv0)
	assert.Equal(t, "op-1", d.Env["STATE_operation_id"])
	assert.Equal(t, "ghcr.io", d.Env["STATE_Registry_URL"])
	assert.Equal(t, "srv-1", d.Env["STATE_server_id"])
	assert.NotContains(t, d.Env, "STATE_OPERATION_ID", "the state name's case is kept")
	assert.Equal(t, "rca_test_key", d.Env["INPUT_API_KEY"], "post gets the inputs again")
	assert.Equal(t, "true", d.Env["INPUT_CLEANUP"], "post gets the defaults again")
}

func TestFreshFileCommandsPerStep(t *testing.T) {
	job, step, ex := testSetup(t)
	mainDump, postDump := dumpPath(t), dumpPath(t)
	setSpec(t, step, helperSpec{
		"OUTPUT":    "a=1\n",
		"STATE":     "s=1\n",
		"SUMMARY":   "# main\n",
		"ENV":       "FROM_MAIN=yes\n",
		"DUMP":      mainDump,
		"POST_DUMP": postDump,
	})

	main, err := job.RunMain(t.Context(), step, ex)
	require.NoError(t, err)
	post, err := job.RunPost(t.Context(), step, main, ex)
	require.NoError(t, err)

	md, pd := readDump(t, mainDump), readDump(t, postDump)
	for _, fc := range fileCommands {
		assert.NotEqual(t, md.Env[fc.env], pd.Env[fc.env], "%s is a new file for post", fc.env)
		assert.Empty(t, md.Files[fc.env], "%s starts empty in main", fc.env)
		assert.Empty(t, pd.Files[fc.env], "%s starts empty in post", fc.env)
		assert.NoFileExists(t, md.Env[fc.env], "main's %s was removed", fc.env)
	}
	assert.Empty(t, post.Outputs)
	assert.Empty(t, post.State)
	assert.Equal(t, "# main\n", main.Summary)
	assert.Empty(t, post.Summary)

	assert.Equal(t, map[string]string{"FROM_MAIN": "yes"}, main.Env)
	assert.Equal(t, "yes", job.Env["FROM_MAIN"])
	assert.Equal(t, "yes", pd.Env["FROM_MAIN"], "GITHUB_ENV reaches later steps")
}

func TestMalformedFileCommandFailsStep(t *testing.T) {
	job, step, ex := testSetup(t)
	setSpec(t, step, helperSpec{"OUTPUT": "a=1\nbroken line\nb=2\n"})

	res, err := job.RunMain(t.Context(), step, ex)
	require.NoError(t, err)
	assert.Equal(t, 0, res.ExitCode)
	assert.True(t, res.Failed)
	require.Error(t, res.FileCommandErr)
	assert.Contains(t, res.FileCommandErr.Error(), `GITHUB_OUTPUT: invalid format "broken line"`)
	assert.Equal(t, map[string]string{"a": "1"}, res.Outputs)
	assert.Contains(t, res.Log, "Error: Unable to process file command 'output' successfully.")
}

func TestStdoutAndStderrAreBothProcessed(t *testing.T) {
	job, step, ex := testSetup(t)
	setSpec(t, step, helperSpec{
		"STDERR":      "   ::add-mask::sk-live-123456\n::warning title=w::from stderr sk-live-123456\n",
		"STDOUT":      "::notice::from stdout\r\nplain line\n",
		"POST_STDOUT": "post sees sk-live-123456\n",
	})

	main, err := job.RunMain(t.Context(), step, ex)
	require.NoError(t, err)
	assert.Contains(t, main.Log, "Warning: from stderr ***")
	assert.Contains(t, main.Log, "Notice: from stdout")
	assert.Contains(t, main.Log, "plain line")
	assert.Equal(t, []string{"sk-live-123456"}, main.Masks)
	for _, line := range main.Log {
		assert.NotContains(t, line, "add-mask")
		assert.NotContains(t, line, "sk-live-123456")
	}

	post, err := job.RunPost(t.Context(), step, main, ex)
	require.NoError(t, err)
	assert.Contains(t, post.Log, "post sees ***", "masks last for the whole job")
}

func TestSecretsAndSummaryAreMasked(t *testing.T) {
	job, step, ex := testSetup(t)
	job.Secrets = []string{"first-line\nsecond-line"}
	setSpec(t, step, helperSpec{"STDOUT": "::add-mask::tok-98765\nsecond-line\n", "SUMMARY": "# Title\r\nkey tok-98765"})

	res, err := job.RunMain(t.Context(), step, ex)
	require.NoError(t, err)
	assert.Equal(t, "# Title\nkey ***\n", res.Summary)
	assert.Equal(t, []string{"***"}, res.Log, "each line of a secret is masked from the start")
}

func TestExitCodeAndPostAlways(t *testing.T) {
	job, step, ex := testSetup(t)
	setSpec(t, step, helperSpec{"EXIT": "3"})

	main, err := job.RunMain(t.Context(), step, ex)
	require.NoError(t, err)
	assert.Equal(t, 3, main.ExitCode)
	assert.True(t, main.Failed)
	assert.Equal(t, "Error: Docker run failed with exit code 3", main.Log[len(main.Log)-1])

	for _, cond := range []string{"", "always()", "${{ always() }}"} {
		step.Action.Runs.PostIf = cond
		post, err := job.RunPost(t.Context(), step, main, ex)
		require.NoError(t, err, cond)
		assert.False(t, post.Skipped, "post-if %q runs after a failed main", cond)
		assert.Equal(t, 0, post.ExitCode)
	}

	step.Action.Runs.PostIf = "success()"
	_, err = job.RunPost(t.Context(), step, main, ex)
	require.ErrorContains(t, err, "not emulated")

	_, err = job.RunPost(t.Context(), step, nil, ex)
	assert.ErrorContains(t, err, "main")
}

func TestLeaks(t *testing.T) {
	job, step, ex := testSetup(t)
	const secret = "rca_live_secret_42"
	const paused = "registered-while-paused"
	setSpec(t, step, helperSpec{
		"STDOUT": "::add-mask::" + secret + "\nstill written " + secret + "\n" +
			"::stop-commands::tok-abcdefgh\n::add-mask::" + paused + "\n::tok-abcdefgh::\n",
		"OUTPUT": "x=" + secret + "\n",
	})

	res, err := job.RunMain(t.Context(), step, ex)
	require.NoError(t, err)
	assert.Contains(t, string(res.RawBytes()), secret)
	// Stdout line 2 is masked in the log but the process still wrote it; the ::add-mask:: line 1
	// is the legitimate place.
	assert.Equal(t, []string{"stdout line 2", "GITHUB_OUTPUT"}, res.Leaks(secret))
	// An ::add-mask:: between stop-commands and the token registers nothing and is logged as is.
	leaks := res.Leaks(paused)
	require.Len(t, leaks, 1)
	assert.True(t, strings.HasPrefix(leaks[0], "log line "), leaks[0])
	assert.Nil(t, res.Leaks("absent"))
	assert.Nil(t, res.Leaks(""))
}

func TestDebug(t *testing.T) {
	for _, debug := range []bool{false, true} {
		job, step, ex := testSetup(t)
		job.Debug = debug
		dump := dumpPath(t)
		setSpec(t, step, helperSpec{"STDOUT": "::debug::details\n", "OUTPUT": "a=1\n", "DUMP": dump})

		res, err := job.RunMain(t.Context(), step, ex)
		require.NoError(t, err)
		d := readDump(t, dump)
		if debug {
			assert.Equal(t, "1", d.Env["RUNNER_DEBUG"])
			assert.Contains(t, res.Log, "##[debug]details")
			assert.Contains(t, res.Log, "##[debug]Set output a = 1")
		} else {
			assert.NotContains(t, d.Env, "RUNNER_DEBUG")
			for _, l := range res.Log {
				assert.NotContains(t, l, "##[debug]")
			}
		}
	}
}

// cancelOn cancels when a log line equals line; the line is logged under the output lock.
type cancelOn struct {
	line   string
	cancel context.CancelFunc
	mu     sync.Mutex
	buf    strings.Builder
}

func (c *cancelOn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf.Write(p)
	if strings.Contains(string(p), c.line+"\n") {
		c.cancel()
	}
	return len(p), nil
}

func TestCancelInterruptsAndPostStillRuns(t *testing.T) {
	job, step, ex := testSetup(t)
	postDump := dumpPath(t)
	setSpec(t, step, helperSpec{"STATE": "early=saved-before-cancel\n", "WAIT": "1", "POST_DUMP": postDump})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	job.LiveLog = &cancelOn{line: "waiting", cancel: cancel}

	main, err := job.RunMain(ctx, step, ex)
	require.NoError(t, err)
	assert.True(t, main.Cancelled)
	assert.True(t, main.Failed)
	assert.Equal(t, 130, main.ExitCode)
	assert.Contains(t, main.Log, "got interrupt", "SIGINT comes first")
	assert.Contains(t, main.Log, "Error: The operation was canceled.")
	assert.Equal(t, map[string]string{"early": "saved-before-cancel"}, main.State)

	job.LiveLog = nil
	post, err := job.RunPost(t.Context(), step, main, ex)
	require.NoError(t, err)
	require.False(t, post.Skipped)
	assert.Equal(t, "saved-before-cancel", readDump(t, postDump).Env["STATE_early"])
}

func TestCancelEscalatesToSIGTERM(t *testing.T) {
	job, step, ex := testSetup(t)
	setSpec(t, step, helperSpec{"WAIT": "ignore-interrupt"})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	job.LiveLog = &cancelOn{line: "waiting", cancel: cancel}
	ex.TermDelay, ex.KillDelay = 0, time.Minute

	res, err := job.RunMain(ctx, step, ex)
	require.NoError(t, err)
	assert.True(t, res.Cancelled)
	assert.Equal(t, 128+15, res.ExitCode, "SIGTERM ended the process that ignored SIGINT")
}

func TestContainerExecGetsContainerPaths(t *testing.T) {
	job, step, _ := testSetup(t)
	step.With["server id"] = filepath.Join(job.Dir, "workspace", "sub")
	var got *Invocation
	ex := ContainerExec(func(_ context.Context, inv *Invocation) (int, error) {
		got = inv
		// Write GITHUB_OUTPUT through the mount, as a process in the container would.
		env := map[string]string{}
		for _, kv := range inv.Env {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
		hostPath := ""
		for _, m := range inv.Mounts {
			if rest, ok := strings.CutPrefix(env[EnvOutput], m.Container+"/"); ok {
				hostPath = filepath.Join(m.Host, rest)
			}
		}
		if err := os.WriteFile(hostPath, []byte("written=in-container\n"), 0o600); err != nil {
			return 0, err
		}
		_, _ = inv.Stdout.Write([]byte("::set-output name=also::stdout\n"))
		return 0, nil
	})

	res, err := job.RunMain(t.Context(), step, ex)
	require.NoError(t, err)
	require.NotNil(t, got)
	assert.Equal(t, ContainerWorkspace, got.Dir)
	assert.Equal(t, "/docker-auth", got.Entrypoint)
	assert.Contains(t, got.Mounts, Mount{Host: filepath.Join(job.Dir, "file_commands"), Container: ContainerFileCommands})
	env := res.ProcessEnv
	assert.Equal(t, ContainerHome, env["HOME"])
	assert.Equal(t, ContainerWorkspace, env["GITHUB_WORKSPACE"])
	assert.Equal(t, ContainerRunnerTemp, env["RUNNER_TEMP"])
	assert.Equal(t, ContainerWorkflow+"/event.json", env["GITHUB_EVENT_PATH"])
	assert.True(t, strings.HasPrefix(env[EnvOutput], ContainerFileCommands+"/set_output_"), env[EnvOutput])
	assert.Equal(t, ContainerWorkspace+"/sub", env["INPUT_SERVER_ID"], "host paths in values are translated")
	assert.NotContains(t, env, "PATH", "a container keeps its image's PATH")
	assert.Equal(t, map[string]string{"written": "in-container", "also": "stdout"}, res.Outputs)
}

func TestInputEnvName(t *testing.T) {
	assert.Equal(t, "INPUT_API_KEY", InputEnvName("api_key"))
	assert.Equal(t, "INPUT_API-KEY", InputEnvName("api-key"))
	assert.Equal(t, "INPUT_SERVER_ID", InputEnvName("server id"))
}

func TestHostExecMissingBinary(t *testing.T) {
	job, step, _ := testSetup(t)
	_, err := job.RunMain(t.Context(), step, HostExec(t.TempDir()))
	assert.ErrorContains(t, err, "/docker-auth")
}

func TestActFlavor(t *testing.T) {
	job, step, ex := testSetup(t)
	job.Flavor = Act
	step.With["cleanup"] = "false"
	mainDump, postDump := dumpPath(t), dumpPath(t)
	setSpec(t, step, helperSpec{
		"DUMP":      mainDump,
		"STATE":     "operation_id=op-1\n",
		"ENV":       "DOCKER_AUTH_OPERATION_ID_login=op-1\n",
		"POST_DUMP": postDump,
	})

	main, err := job.RunMain(t.Context(), step, ex)
	require.NoError(t, err)
	require.False(t, main.Failed, main.LogText())
	assert.Equal(t, map[string]string{"operation_id": "op-1"}, main.State)
	m := readDump(t, mainDump)
	assert.Equal(t, "true", m.Env["ACT"])
	assert.Equal(t, "login", m.Env["GITHUB_ACTION"])
	assert.Equal(t, "120", m.Env["INPUT_TIMEOUT"], "act's main step gets the defaults")

	post, err := job.RunPost(t.Context(), step, main, ex)
	require.NoError(t, err)
	require.False(t, post.Skipped)
	p := readDump(t, postDump)
	for name := range p.Env {
		assert.False(t, strings.HasPrefix(name, "STATE_"), "act's post step gets no state: %s", name)
	}
	assert.Equal(t, "rca_test_key", p.Env["INPUT_API_KEY"], "keys under with: come back")
	assert.Equal(t, "false", p.Env["INPUT_CLEANUP"])
	assert.NotContains(t, p.Env, "INPUT_TIMEOUT", "no defaults")
	assert.NotContains(t, p.Env, "INPUT_API-URL", "no defaults")
	assert.Equal(t, "op-1", p.Env["DOCKER_AUTH_OPERATION_ID_login"], "GITHUB_ENV reaches the post step")
	assert.Equal(t, "true", p.Env["ACT"])
	assert.Equal(t, "login", p.Env["GITHUB_ACTION"])
}

func TestActFlavorNumbersStepsWithoutID(t *testing.T) {
	job, first, ex := testSetup(t)
	job.Flavor = Act
	first.ID = ""
	second := &Step{Action: first.Action, With: first.With, Env: map[string]string{"GORACE": "atexit_sleep_ms=0"}}
	d1, d2, p1 := dumpPath(t), dumpPath(t), dumpPath(t)
	setSpec(t, first, helperSpec{"DUMP": d1, "POST_DUMP": p1})
	setSpec(t, second, helperSpec{"DUMP": d2})

	main1, err := job.RunMain(t.Context(), first, ex)
	require.NoError(t, err)
	_, err = job.RunMain(t.Context(), second, ex)
	require.NoError(t, err)
	_, err = job.RunPost(t.Context(), first, main1, ex)
	require.NoError(t, err)
	assert.Equal(t, "0", readDump(t, d1).Env["GITHUB_ACTION"])
	assert.Equal(t, "1", readDump(t, d2).Env["GITHUB_ACTION"])
	assert.Equal(t, "0", readDump(t, p1).Env["GITHUB_ACTION"], "post keeps its step's ID")
}

func TestGiteaFlavorRunsNoContainerPostStep(t *testing.T) {
	job, step, ex := testSetup(t)
	job.Flavor = Gitea
	mainDump, postDump := dumpPath(t), dumpPath(t)
	setSpec(t, step, helperSpec{"DUMP": mainDump, "POST_DUMP": postDump})

	main, err := job.RunMain(t.Context(), step, ex)
	require.NoError(t, err)
	assert.Equal(t, "true", readDump(t, mainDump).Env["GITEA_ACTIONS"])
	post, err := job.RunPost(t.Context(), step, main, ex)
	require.NoError(t, err)
	assert.True(t, post.Skipped)
	assert.NoFileExists(t, postDump, "the post entry point never ran")
}

func TestGitHubFlavorSetsNoOtherRunnersVariables(t *testing.T) {
	job, step, ex := testSetup(t)
	dump := dumpPath(t)
	setSpec(t, step, helperSpec{"DUMP": dump})
	_, err := job.RunMain(t.Context(), step, ex)
	require.NoError(t, err)
	env := readDump(t, dump).Env
	assert.NotContains(t, env, "ACT")
	assert.NotContains(t, env, "GITEA_ACTIONS")
	assert.Equal(t, "act", Act.String())
}
