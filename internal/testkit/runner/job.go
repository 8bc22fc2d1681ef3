package runner

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// Job is the job-wide state the runner keeps between steps. Create it with [NewJob]; a Job is not
// safe for concurrent use.
type Job struct {
	// Dir is the host directory that holds the job's directories: workspace, home, workflow,
	// file_commands and runner_temp (created on first use).
	Dir string
	// Context holds the github and runner context variables every step receives (GITHUB_*,
	// RUNNER_*, GITHUB_ACTIONS, CI). NewJob fills in defaults; change or add
	// entries freely. They override same-named variables of Env, as on GitHub. CI is only applied
	// when the step's environment has no CI. The per-step values (GITHUB_WORKSPACE,
	// GITHUB_EVENT_PATH, GITHUB_OUTPUT, GITHUB_STATE, GITHUB_ENV, GITHUB_STEP_SUMMARY,
	// GITHUB_ACTION, GITHUB_ACTION_REPOSITORY, GITHUB_ACTION_REF, RUNNER_TEMP, HOME, RUNNER_DEBUG)
	// are computed for each step and cannot be overridden here.
	Context map[string]string
	// Env is the workflow and job `env:`; a step's Env is laid over it. Names a step writes to
	// GITHUB_ENV are added here for the steps that follow.
	Env map[string]string
	// Secrets are values the runner masks from the start of the job, like ${{ secrets.NAME }}
	// values (each line of a multi-line secret is masked too). To check that the action masks a
	// value itself, do not list it here.
	Secrets []string
	// Debug is step debug logging (ACTIONS_STEP_DEBUG / re-run with debug): RUNNER_DEBUG=1, and the
	// ::debug:: messages and the runner's own debug lines appear in the log as "##[debug]...".
	Debug bool
	// LiveLog, when set, receives each log line as it is produced (for `make demo`).
	LiveLog io.Writer
	// Flavor is the runner emulated: GitHub's (the zero value), act, or Gitea's and Forgejo's.
	Flavor Flavor

	// actIDs are the step IDs act gives steps without an id: their index in the job.
	actIDs map[*Step]string

	masks      masker
	fileSuffix string
}

// Flavor is a runner whose handling of container actions the Job emulates. Apart from what each
// flavor lists, every flavor behaves as GitHub's runner.
type Flavor int

const (
	// GitHub is actions/runner, as runner-contract.md describes it.
	GitHub Flavor = iota
	// Act is nektos/act (v0.2.89): every step's environment has ACT=true; a step without an ID gets
	// its index in the job as GITHUB_ACTION; the post step gets no STATE_* and, of the inputs, only
	// the keys under `with:` (no defaults). Variables a step writes to GITHUB_ENV reach later steps
	// and post steps, as on GitHub.
	Act
	// Gitea is Gitea's act fork (v0.261.10) and Forgejo's runner (v12): GITEA_ACTIONS=true in every
	// step's environment (Forgejo's also sets FORGEJO_ACTIONS=true: add it to Job.Context), and no
	// post step for a container action: RunPost returns a Skipped result.
	Gitea
)

// String names the flavor.
func (f Flavor) String() string {
	switch f {
	case GitHub:
		return "github"
	case Act:
		return "act"
	case Gitea:
		return "gitea"
	}
	return fmt.Sprintf("Flavor(%d)", int(f))
}

// Step is one `uses:` step of the workflow that runs the action.
type Step struct {
	// ID is the step's id; it names GITHUB_ACTION (the runner uses __owner_repo without one).
	ID string
	// Uses is the action reference, such as "reoclo/docker-auth@v1"; it gives
	// GITHUB_ACTION_REPOSITORY and GITHUB_ACTION_REF. Empty means DefaultUses.
	Uses   string
	Action *Action
	// With holds the step's `with:` values.
	With map[string]string
	// Env holds the step's `env:` values.
	Env map[string]string
}

// DefaultUses is the action reference used when Step.Uses is empty.
const DefaultUses = "reoclo/docker-auth@v1"

// NewJob returns a Job rooted at dir with a realistic github and runner context for a push to main
// of acme/webshop; override entries of Job.Context as needed.
func NewJob(dir string) *Job {
	const sha = "ffac537e6cbbf934b08745a378932722df287a53"
	return &Job{
		Dir: dir,
		Context: map[string]string{
			"CI":                         "true",
			"GITHUB_ACTIONS":             "true",
			"GITHUB_ACTOR":               "octocat",
			"GITHUB_ACTOR_ID":            "583231",
			"GITHUB_API_URL":             "https://api.github.com",
			"GITHUB_BASE_REF":            "",
			"GITHUB_EVENT_NAME":          "push",
			"GITHUB_GRAPHQL_URL":         "https://api.github.com/graphql",
			"GITHUB_HEAD_REF":            "",
			"GITHUB_JOB":                 "login",
			"GITHUB_REF":                 "refs/heads/main",
			"GITHUB_REF_NAME":            "main",
			"GITHUB_REF_PROTECTED":       "false",
			"GITHUB_REF_TYPE":            "branch",
			"GITHUB_REPOSITORY":          "acme/webshop",
			"GITHUB_REPOSITORY_ID":       "700000001",
			"GITHUB_REPOSITORY_OWNER":    "acme",
			"GITHUB_REPOSITORY_OWNER_ID": "9919",
			"GITHUB_RETENTION_DAYS":      "90",
			"GITHUB_RUN_ATTEMPT":         "1",
			"GITHUB_RUN_ID":              "4242",
			"GITHUB_RUN_NUMBER":          "17",
			"GITHUB_SERVER_URL":          "https://github.com",
			"GITHUB_SHA":                 sha,
			"GITHUB_TRIGGERING_ACTOR":    "octocat",
			"GITHUB_WORKFLOW":            "deploy",
			"GITHUB_WORKFLOW_REF":        "acme/webshop/.github/workflows/deploy.yml@refs/heads/main",
			"GITHUB_WORKFLOW_SHA":        sha,
			"RUNNER_ARCH":                "X64",
			"RUNNER_ENVIRONMENT":         "github-hosted",
			"RUNNER_NAME":                "GitHub Actions 2",
			"RUNNER_OS":                  "Linux",
			"RUNNER_TOOL_CACHE":          "/opt/hostedtoolcache",
		},
		Env: map[string]string{},
	}
}

// RunMain runs the step's main entry point (runs.entrypoint) and returns what happened. The error
// is for problems of the harness (bad step, missing binary, I/O); the action's own failure is in
// the Result.
func (j *Job) RunMain(ctx context.Context, s *Step, exec Exec) (*Result, error) {
	if err := checkStep(s); err != nil {
		return nil, err
	}
	entry := s.Action.Runs.Entrypoint
	if entry == "" {
		return nil, errors.New("run main: the action has no runs.entrypoint")
	}
	return j.runStep(ctx, s, StageMain, entry, nil, exec)
}

// RunPost runs the step's post entry point (runs.post-entrypoint) after main, as the runner does at
// the end of the job: the environment is rebuilt (inputs with their defaults again) and every entry
// main saved to GITHUB_STATE (or with ::save-state) arrives as STATE_<name>, the name's case kept.
// Job.Flavor changes that: act passes neither STATE_* nor input defaults, and Gitea runs no post
// step at all (the Result has Skipped set). Only runs.post-if always() (the default) is emulated:
// the post step runs whatever main did.
func (j *Job) RunPost(ctx context.Context, s *Step, main *Result, exec Exec) (*Result, error) {
	if err := checkStep(s); err != nil {
		return nil, err
	}
	if main == nil || main.Stage != StageMain {
		return nil, errors.New("run post: the runner registers a post step only when the main step ran; pass main's Result")
	}
	entry := s.Action.Runs.PostEntrypoint
	if entry == "" {
		return nil, errors.New("run post: the action has no runs.post-entrypoint")
	}
	cond := strings.Join(strings.Fields(s.Action.Runs.PostIf), "")
	if cond = strings.TrimSuffix(strings.TrimPrefix(cond, "${{"), "}}"); cond != "" && cond != "always()" {
		return nil, fmt.Errorf("run post: post-if %q is not emulated, only always()", s.Action.Runs.PostIf)
	}
	if j.Flavor == Gitea {
		return &Result{Stage: StagePost, Skipped: true, Outputs: map[string]string{}, State: map[string]string{},
			Env: map[string]string{}, Files: map[string][]byte{}}, nil
	}
	state := main.State
	if j.Flavor == Act {
		state = nil
	}
	return j.runStep(ctx, s, StagePost, entry, state, exec)
}

func checkStep(s *Step) error {
	if s == nil || s.Action == nil {
		return errors.New("run step: the step has no action")
	}
	return nil
}

// jobDirs are the host directories the runner mounts into an action's container.
type jobDirs struct {
	workspace, home, workflow, fileCommands, runnerTemp string
}

func (j *Job) dirs() jobDirs {
	return jobDirs{
		workspace:    filepath.Join(j.Dir, "workspace"),
		home:         filepath.Join(j.Dir, "home"),
		workflow:     filepath.Join(j.Dir, "workflow"),
		fileCommands: filepath.Join(j.Dir, "file_commands"),
		runnerTemp:   filepath.Join(j.Dir, "runner_temp"),
	}
}

func (d jobDirs) mounts() []Mount {
	return []Mount{
		{Host: d.workspace, Container: ContainerWorkspace},
		{Host: d.home, Container: ContainerHome},
		{Host: d.workflow, Container: ContainerWorkflow},
		{Host: d.fileCommands, Container: ContainerFileCommands},
		{Host: d.runnerTemp, Container: ContainerRunnerTemp},
	}
}

// toContainer rewrites a value that is a path under a mounted host directory to the container path,
// as the runner translates every environment value of a container.
func (d jobDirs) toContainer(v string) string {
	for _, m := range d.mounts() {
		if v == m.Host || strings.HasPrefix(v, m.Host+"/") {
			return m.Container + v[len(m.Host):]
		}
	}
	return v
}

func (d jobDirs) create(ctx map[string]string) error {
	for _, m := range d.mounts() {
		if err := os.MkdirAll(m.Host, 0o755); err != nil {
			return fmt.Errorf("create job directory: %w", err)
		}
	}
	event := filepath.Join(d.workflow, "event.json")
	if _, err := os.Stat(event); err == nil {
		return nil
	}
	payload, err := json.MarshalIndent(map[string]any{
		"ref":        ctx["GITHUB_REF"],
		"after":      ctx["GITHUB_SHA"],
		"repository": map[string]any{"full_name": ctx["GITHUB_REPOSITORY"]},
		"sender":     map[string]any{"login": ctx["GITHUB_ACTOR"]},
	}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode event payload: %w", err)
	}
	if err := os.WriteFile(event, payload, 0o644); err != nil {
		return fmt.Errorf("write event payload: %w", err)
	}
	return nil
}

// input is one resolved input, user-given or defaulted.
type input struct{ name, value string }

func (j *Job) runStep(ctx context.Context, s *Step, stage Stage, entry string, state map[string]string, ex Exec) (*Result, error) {
	if j.Env == nil {
		j.Env = map[string]string{}
	}
	res := &Result{
		Stage: stage, Outputs: map[string]string{}, State: map[string]string{},
		Env: map[string]string{}, Files: map[string][]byte{},
	}
	for _, secret := range j.Secrets {
		j.masks.add(secret)
		for _, line := range strings.Split(secret, "\n") {
			j.masks.add(strings.TrimSuffix(line, "\r"))
		}
	}
	lg := &logger{masker: &j.masks, debug: j.Debug, live: j.LiveLog}

	dirs := j.dirs()
	if err := dirs.create(j.Context); err != nil {
		return nil, err
	}
	suffix := strings.ToLower(rand.Text())
	fcs, err := newFileCommandSet(dirs.fileCommands, j.fileSuffix, suffix)
	if err != nil {
		return nil, err
	}
	j.fileSuffix = suffix

	inputs := resolveInputs(s, lg, res)
	if stage == StagePost && j.Flavor == Act {
		inputs = slices.DeleteFunc(inputs, func(in input) bool { return !hasFold(s.With, in.name) })
	}
	env := j.buildEnv(s, state, inputs, dirs, fcs, ex.InContainer())
	res.ProcessEnv = env

	var mu sync.Mutex
	proc := &commandProcessor{
		log: lg,
		res: res,
		addMask: func(v string, fromCommand bool) {
			j.masks.add(v)
			if fromCommand {
				res.Masks = append(res.Masks, v)
			}
		},
	}
	stdout := &lineSplitter{mu: &mu, emit: proc.line}
	stderr := &lineSplitter{mu: &mu, emit: proc.line}
	inv := &Invocation{
		Entrypoint: entry,
		Env:        envSlice(env),
		Dir:        dirs.workspace,
		Mounts:     dirs.mounts(),
		Stdout:     stdout,
		Stderr:     stderr,
	}
	if ex.InContainer() {
		inv.Dir = ContainerWorkspace
	}
	exitCode, err := ex.Run(ctx, inv)
	stdout.close()
	stderr.close()
	if err != nil {
		return nil, fmt.Errorf("run %s entry point: %w", stage, err)
	}
	res.ExitCode = exitCode
	res.Stdout, res.Stderr = stdout.bytes(), stderr.bytes()
	res.Cancelled = ctx.Err() != nil
	lg.debugMsg(fmt.Sprintf("Docker Action run completed with exit code %d", exitCode))

	// The runner processes the file commands even when the step failed or was cancelled.
	files, err := fcs.read()
	if err != nil {
		return nil, err
	}
	res.Files = files
	j.processFiles(lg, res)

	if exitCode != 0 {
		addIssue(lg, res, "error", fmt.Sprintf("Docker run failed with exit code %d", exitCode), nil)
		res.Failed = true
	}
	if res.Cancelled {
		addIssue(lg, res, "error", "The operation was canceled.", nil)
		res.Failed = true
	}
	res.Log = lg.lines
	return res, nil
}

// resolveInputs returns the step's inputs as the runner passes them: the `with:` values, then each
// declared input the step did not give, with its default (or ""). It logs the runner's warning for
// unexpected inputs. Names compare case-insensitively.
func resolveInputs(s *Step, lg *logger, res *Result) []input {
	a := s.Action
	var inputs []input
	var unexpected []string
	valid := append([]string{"entryPoint", "args"}, a.InputNames...)
	for _, k := range slices.Sorted(maps.Keys(s.With)) {
		inputs = append(inputs, input{k, s.With[k]})
		if !slices.ContainsFunc(valid, func(v string) bool { return strings.EqualFold(v, k) }) {
			unexpected = append(unexpected, k)
		}
	}
	if len(unexpected) > 0 {
		addIssue(lg, res, "warning", fmt.Sprintf("Unexpected input(s) '%s', valid inputs are ['%s']",
			strings.Join(unexpected, "', '"), strings.Join(valid, "', '")), nil)
	}
	for _, name := range a.InputNames {
		if !hasFold(s.With, name) {
			inputs = append(inputs, input{name, a.Inputs[name].Default})
		}
	}
	return inputs
}

// buildEnv builds the process environment from scratch in the runner's order of precedence: the
// workflow's and the step's env, STATE_*, INPUT_*, then the runner's own variables.
func (j *Job) buildEnv(s *Step, state map[string]string, inputs []input, dirs jobDirs, fcs *fileCommandSet, inContainer bool) map[string]string {
	env := maps.Clone(j.Env)
	maps.Copy(env, s.Env)
	for k, v := range state {
		env["STATE_"+k] = v
	}
	for _, in := range inputs {
		env[InputEnvName(in.name)] = in.value
	}
	env["HOME"] = dirs.home
	for k, v := range j.Context {
		if k != "CI" {
			env[k] = v
		}
	}
	repo, ref, _ := strings.Cut(cmp.Or(s.Uses, DefaultUses), "@")
	action := s.ID
	switch {
	case action == "" && j.Flavor == Act:
		action = j.actID(s)
	case action == "":
		action = "__" + strings.ReplaceAll(repo, "/", "_")
	}
	env["GITHUB_ACTION"] = action
	env["GITHUB_ACTION_REPOSITORY"] = repo
	env["GITHUB_ACTION_REF"] = ref
	env["GITHUB_WORKSPACE"] = dirs.workspace
	env["GITHUB_EVENT_PATH"] = filepath.Join(dirs.workflow, "event.json")
	for _, fc := range fileCommands {
		env[fc.env] = fcs.paths[fc.env]
	}
	env["RUNNER_TEMP"] = dirs.runnerTemp
	switch j.Flavor {
	case Act:
		env["ACT"] = "true"
	case Gitea:
		env["GITEA_ACTIONS"] = "true"
	}
	if j.Debug {
		env["RUNNER_DEBUG"] = "1"
	}
	if inContainer {
		for k, v := range env {
			env[k] = dirs.toContainer(v)
		}
	}
	if _, ok := env["CI"]; !ok && j.Context["CI"] != "" {
		env["CI"] = j.Context["CI"]
	}
	return env
}

// actID returns the ID act gives a step without one: its index among the job's steps, here the
// steps this Job has run, in the order it first ran them.
func (j *Job) actID(s *Step) string {
	if j.actIDs == nil {
		j.actIDs = map[*Step]string{}
	}
	id, ok := j.actIDs[s]
	if !ok {
		id = fmt.Sprint(len(j.actIDs))
		j.actIDs[s] = id
	}
	return id
}

// processFiles applies the file commands in the runner's order (GITHUB_ENV, GITHUB_STEP_SUMMARY,
// GITHUB_STATE, GITHUB_OUTPUT); a malformed file fails the step, the entries before the error
// still applied.
func (j *Job) processFiles(lg *logger, res *Result) {
	for _, fc := range []struct {
		env, name, debug string
		into             map[string]string
	}{
		{EnvEnv, "env", "%s='%s'", res.Env},
		{EnvStepSummary, "", "", nil},
		{EnvState, "state", "Save intra-action state %s = %s", res.State},
		{EnvOutput, "output", "Set output %s = %s", res.Outputs},
	} {
		if fc.env == EnvStepSummary {
			j.processSummary(lg, res)
			continue
		}
		pairs, err := ParseFileCommand(res.Files[fc.env])
		for _, p := range pairs {
			if fc.env == EnvEnv {
				j.Env[p.Name], res.Env[p.Name] = p.Value, p.Value
			} else {
				setFold(fc.into, p.Name, p.Value)
			}
			lg.debugMsg(fmt.Sprintf(fc.debug, p.Name, p.Value))
		}
		if err != nil {
			addIssue(lg, res, "error", fmt.Sprintf("Unable to process file command '%s' successfully.", fc.name), nil)
			addIssue(lg, res, "error", err.Error(), nil)
			res.Failed = true
			if res.FileCommandErr == nil {
				res.FileCommandErr = fmt.Errorf("%s: %w", fc.env, err)
			}
		}
	}
}

// processSummary shows GITHUB_STEP_SUMMARY as GitHub does: masked line by line, or not at all over
// the 1 MiB limit.
func (j *Job) processSummary(lg *logger, res *Result) {
	summary := res.Files[EnvStepSummary]
	if len(summary) > summaryLimit {
		addIssue(lg, res, "error", fmt.Sprintf("$GITHUB_STEP_SUMMARY upload aborted, supports content up to a size of %dk, got %dk.",
			summaryLimit/1024, len(summary)/1024), nil)
		return
	}
	var b strings.Builder
	for _, line := range splitDotNetLines(decodeText(summary)) {
		b.WriteString(j.masks.mask(line))
		b.WriteByte('\n')
	}
	res.Summary = b.String()
}

// InputEnvName returns the environment variable that carries an input: INPUT_ followed by the name
// with spaces replaced by "_", in upper case. Hyphens are kept ("api-key" -> "INPUT_API-KEY").
func InputEnvName(name string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))
}

func envSlice(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, k+"="+m[k])
	}
	return out
}

func hasFold(m map[string]string, key string) bool {
	for k := range m {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}
