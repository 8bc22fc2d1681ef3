package runner

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// helperEnv makes the test binary act as the action's entry point instead of running the tests: it
// names a JSON file holding the helper's script (a helperSpec). The tests pass it through Step.Env,
// so the helper also proves that the step's env reaches the process. The script lives in a file,
// not in env values, because the runner prints the step's env in the log header.
const helperEnv = "RUNNER_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(helperMain())
	}
	os.Exit(m.Run())
}

// helperSpec is the helper's script; see helperMain for the keys.
type helperSpec map[string]string

// helperDump is what the helper reports about its own process.
type helperDump struct {
	Argv0 string
	Args  []string
	Dir   string
	Env   map[string]string
	// Files holds the file-command files' content when the process started.
	Files map[string]string
}

// helperMain is the fake action. Invoked as docker-auth it follows the spec's plain keys, invoked as
// docker-auth-post the keys prefixed POST_ (choosing the role by name, like the real binary):
//
//	DUMP     write a helperDump as JSON to this host path
//	OUTPUT, STATE, ENV, SUMMARY   append the text to GITHUB_OUTPUT, ...
//	STDOUT, STDERR   write the text to the stream (after the files)
//	WAIT     print "waiting", wait for SIGINT or SIGTERM, print "got <signal>", exit 130;
//	         with WAIT=ignore-interrupt, ignore SIGINT and wait to be killed
//	EXIT     exit with this code
func helperMain() int {
	data, err := os.ReadFile(os.Getenv(helperEnv)) //nolint:gosec // G703: the test's own spec file, named by the test
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 97
	}
	var spec helperSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 97
	}
	prefix := ""
	if strings.HasSuffix(filepath.Base(os.Args[0]), "-post") {
		prefix = "POST_"
	}
	get := func(k string) string { return spec[prefix+k] }
	files := map[string]string{"OUTPUT": EnvOutput, "STATE": EnvState, "ENV": EnvEnv, "SUMMARY": EnvStepSummary}
	if p := get("DUMP"); p != "" {
		d := helperDump{Argv0: filepath.Base(os.Args[0]), Args: os.Args[1:], Env: map[string]string{}, Files: map[string]string{}}
		d.Dir, _ = os.Getwd()
		for _, kv := range os.Environ() {
			k, v, _ := strings.Cut(kv, "=")
			d.Env[k] = v
		}
		for _, env := range files {
			data, _ := os.ReadFile(os.Getenv(env)) //nolint:gosec // G703: the file-command path the emulator under test gave
			d.Files[env] = string(data)
		}
		data, _ := json.Marshal(d)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 99
		}
	}
	for k, env := range files {
		if v := get(k); v != "" {
			f, err := os.OpenFile(os.Getenv(env), os.O_APPEND|os.O_WRONLY, 0) //nolint:gosec // G703: as above
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 98
			}
			_, _ = io.WriteString(f, v)
			_ = f.Close()
		}
	}
	_, _ = io.WriteString(os.Stdout, get("STDOUT"))
	_, _ = io.WriteString(os.Stderr, get("STDERR"))
	if get("WAIT") == "ignore-interrupt" {
		signal.Ignore(os.Interrupt)
		fmt.Println("waiting")
		select {}
	}
	if get("WAIT") != "" {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
		fmt.Println("waiting")
		fmt.Printf("got %v\n", <-ch)
		return 130
	}
	code, _ := strconv.Atoi(get("EXIT"))
	return code
}

// testSetup returns a job in a temporary directory, a step of testdata/action.yml whose entry
// points are this test binary, and the host Exec that runs them.
func testSetup(t *testing.T) (*Job, *Step, *HostExecutor) {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	bin := t.TempDir()
	for _, name := range []string{"docker-auth", "docker-auth-post"} {
		require.NoError(t, os.Symlink(exe, filepath.Join(bin, name)))
	}
	a, err := LoadAction(filepath.Join("testdata", "action.yml"))
	require.NoError(t, err)
	step := &Step{
		ID:     "login",
		Action: a,
		With:   map[string]string{"api_key": "rca_test_key"},
		// GORACE: a race-enabled helper would otherwise sleep a second before it exits.
		Env: map[string]string{"GORACE": "atexit_sleep_ms=0"},
	}
	setSpec(t, step, helperSpec{})
	return NewJob(t.TempDir()), step, HostExec(bin)
}

// setSpec gives the helper its script.
func setSpec(t *testing.T, s *Step, spec helperSpec) {
	t.Helper()
	data, err := json.Marshal(spec)
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), "spec.json")
	require.NoError(t, os.WriteFile(p, data, 0o600))
	s.Env[helperEnv] = p
}

// dumpPath returns a fresh path for the helper's dump.
func dumpPath(t *testing.T) string {
	return filepath.Join(t.TempDir(), "dump.json")
}

func readDump(t *testing.T, p string) helperDump {
	t.Helper()
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	var d helperDump
	require.NoError(t, json.Unmarshal(data, &d))
	return d
}
