package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Job is the job-wide state the runner keeps between steps. Create it with [NewJob]; a Job is not
// safe for concurrent use.
type Job struct {
	// Dir is the host directory that holds the job's directories: workspace, home, workflow,
	// file_commands and runner_temp (created on first use).
	Dir string
	// Context holds the github and runner context variables every step receives (GITHUB_*,
	// RUNNER_*, ACTIONS_RUNTIME_*, GITHUB_ACTIONS, CI). NewJob fills in defaults; change or add
	// entries freely. They override same-named variables of Env, as on GitHub. CI is only applied
	// when the step's environment has no CI. The per-step values (GITHUB_WORKSPACE,
	// GITHUB_EVENT_PATH, GITHUB_OUTPUT, GITHUB_STATE, GITHUB_ENV, GITHUB_PATH, GITHUB_STEP_SUMMARY,
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
	// Debug is step debug logging (ACTIONS_STEP_DEBUG / re-run with debug): RUNNER_DEBUG=1, the
	// ::debug:: messages and the runner's own debug lines appear in the log as "##[debug]...", and
	// workflow commands are echoed.
	Debug bool
	// PathEnv is the PATH a host process gets (a container keeps its image's PATH). NewJob sets the
	// host's PATH; nothing else is inherited from the host environment.
	PathEnv string
	// Failed and Cancelled are the job status that post-if conditions see. Steps that fail or are
	// cancelled set them; set them yourself to stand for other steps of the job.
	Failed, Cancelled bool
	// LiveLog, when set, receives each log line as it is produced (for `make demo`).
	LiveLog io.Writer
	// Now is the clock for Result.Duration.
	Now func() time.Time
	// Flavor is the runner emulated: GitHub's (the zero value), act, or Gitea's and Forgejo's.
	Flavor Flavor

	// actIDs are the step IDs act gives steps without an id: their index in the job.
	actIDs map[*Step]string

	masks       masker
	prependPath []string
	fileSuffix  string
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
	// Uses is the action reference, such as "reoclo/docker-auth@v1"; it shows in the log header
	// and gives GITHUB_ACTION_REPOSITORY and GITHUB_ACTION_REF. Empty means DefaultUses.
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
			"ACTIONS_RUNTIME_URL":        "https://pipelines.actions.githubusercontent.com/emulated/",
			"ACTIONS_RUNTIME_TOKEN":      "emulated-runtime-token-" + randomHex(8),
			"ACTIONS_CACHE_URL":          "https://artifactcache.actions.githubusercontent.com/emulated/",
		},
		Env:     map[string]string{},
		PathEnv: os.Getenv("PATH"),
		Now:     time.Now,
	}
}

// RunMain runs the step's main entry point (runs.entrypoint) and returns what happened. The error
// is for problems of the harness (bad step, missing binary, I/O); the action's own failure is in
// the Result. A failed or cancelled step sets Job.Failed or Job.Cancelled.
func (j *Job) RunMain(ctx context.Context, s *Step, exec Exec) (*Result, error) {
	if err := checkStep(s); err != nil {
		return nil, err
	}
	entry := s.Action.Runs.Entrypoint
	if entry == "" {
		// Actions without an entrypoint in action.yml may give one as the entryPoint input.
		entry = getFold(s.With, "entryPoint")
	}
	if entry == "" {
		return nil, errors.New("run main: the action has no runs.entrypoint")
	}
	return j.runStep(ctx, s, StageMain, entry, nil, exec)
}

// RunPost runs the step's post entry point (runs.post-entrypoint) after main, as the runner does at
// the end of the job: the environment is rebuilt (inputs with their defaults again) and every entry
// main saved to GITHUB_STATE (or with ::save-state) arrives as STATE_<name>, the name's case kept.
// Job.Flavor changes that: act passes neither STATE_* nor input defaults, and Gitea runs no post
// step at all (the Result has Skipped set).
// runs.post-if is honoured: always() (the default), success(), failure(), cancelled(),
// !cancelled() and "success() || failure()", optionally inside ${{ }}, evaluated against
// Job.Failed and Job.Cancelled; any other condition is reported as unsupported. When the condition
// is false the Result has Skipped set.
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
	cond := s.Action.Runs.PostIf
	if cond == "" {
		cond = "always()"
	}
	ok, err := evalCondition(cond, j.Failed || main.Failed, j.Cancelled || main.Cancelled)
	if err != nil {
		return nil, fmt.Errorf("run post: %w", err)
	}
	if !ok || j.Flavor == Gitea {
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

// evalCondition evaluates the few status functions a post-if uses.
func evalCondition(cond string, failed, cancelled bool) (bool, error) {
	c := strings.TrimSpace(cond)
	if strings.HasPrefix(c, "${{") && strings.HasSuffix(c, "}}") {
		c = strings.TrimSpace(c[3 : len(c)-2])
	}
	switch strings.Join(strings.Fields(c), " ") {
	case "always()":
		return true, nil
	case "success()":
		return !failed && !cancelled, nil
	case "failure()":
		return failed, nil
	case "cancelled()":
		return cancelled, nil
	case "!cancelled()", "success() || failure()", "failure() || success()":
		return !cancelled, nil
	}
	return false, fmt.Errorf("condition %q is not supported by the emulator", cond)
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

// envList is an environment that remembers insertion order (for the log) and allows overrides.
type envList struct {
	keys []string
	m    map[string]string
}

func (e *envList) set(k, v string) {
	if e.m == nil {
		e.m = map[string]string{}
	}
	if _, ok := e.m[k]; !ok {
		e.keys = append(e.keys, k)
	}
	e.m[k] = v
}

func (e *envList) has(k string) bool { _, ok := e.m[k]; return ok }

// input is one resolved input, user-given or defaulted.
type input struct{ name, value string }

func (j *Job) runStep(ctx context.Context, s *Step, stage Stage, entry string, state map[string]string, ex Exec) (*Result, error) {
	start := j.now()
	a := s.Action
	uses := s.Uses
	if uses == "" {
		uses = DefaultUses
	}
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
	j.masks.add(j.Context["ACTIONS_RUNTIME_TOKEN"])
	lg := &logger{masker: &j.masks, debug: j.Debug, live: j.LiveLog}

	dirs := j.dirs()
	if err := dirs.create(j.Context); err != nil {
		return nil, err
	}
	suffix := newSuffix()
	fcs, err := newFileCommandSet(dirs.fileCommands, j.fileSuffix, suffix)
	if err != nil {
		return nil, err
	}
	j.fileSuffix = suffix

	// The env context: workflow/job env, then the step's env.
	envCtx := &envList{}
	for _, k := range sortedKeys(j.Env) {
		envCtx.set(k, j.Env[k])
	}
	for _, k := range sortedKeys(s.Env) {
		envCtx.set(k, s.Env[k])
	}

	inputs := j.resolveInputs(s, lg, res)
	if stage == StagePost && j.Flavor == Act {
		inputs = slices.DeleteFunc(inputs, func(in input) bool { return !hasFold(s.With, in.name) })
	}

	if stage == StageMain {
		lg.output("##[group]Run " + uses)
		printed := false
		for _, in := range inputs {
			if in.value == "" {
				continue
			}
			if !printed {
				lg.output("with:")
				printed = true
			}
			lg.output(fmt.Sprintf("  %s: %s", in.name, in.value))
		}
		if len(envCtx.keys) > 0 {
			lg.output("env:")
			for _, k := range envCtx.keys {
				lg.output(fmt.Sprintf("  %s: %s", k, envCtx.m[k]))
			}
		}
		lg.output("##[endgroup]")
	} else {
		lg.output("Post job cleanup.")
	}

	env := j.buildEnv(s, envCtx, state, inputs, dirs, fcs, ex.InContainer())
	res.ProcessEnv = env.m

	image := a.Runs.Image
	if strings.HasPrefix(strings.ToLower(image), "docker://") {
		image = image[len("docker://"):]
	} else {
		image = "e0a5bc:" + strings.ReplaceAll(suffix, "-", "")
	}
	args := j.resolveArgs(s, inputs)
	lg.output(dockerRunLine(image, suffix, entry, args, env, dirs))

	var mu sync.Mutex
	proc := &commandProcessor{
		log:               lg,
		res:               res,
		echo:              j.Debug,
		allowUnsecure:     parseDotNetBool(envCtx.m["ACTIONS_ALLOW_UNSECURE_COMMANDS"]),
		allowUnsecureStop: parseRunnerBool(envCtx.m["ACTIONS_ALLOW_UNSECURE_STOPCOMMAND_TOKENS"]),
		stepID:            s.ID,
		addMask: func(v string, fromCommand bool) {
			j.masks.add(v)
			if fromCommand {
				res.Masks = append(res.Masks, v)
			}
		},
		setEnv:  func(name, value string) { j.Env[name] = value },
		addPath: j.addPath,
	}
	stdout := &lineSplitter{mu: &mu, emit: proc.line}
	stderr := &lineSplitter{mu: &mu, emit: proc.line}
	inv := &Invocation{
		Stage:          stage,
		Entrypoint:     entry,
		Args:           args,
		Env:            envSlice(env.m),
		Dir:            dirs.workspace,
		Mounts:         dirs.mounts(),
		FileCommandDir: dirs.fileCommands,
		Stdout:         stdout,
		Stderr:         stderr,
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
	if res.Cancelled {
		j.Cancelled = true
	} else if res.Failed {
		j.Failed = true
	}
	res.Log = lg.lines
	res.Duration = j.now().Sub(start)
	return res, nil
}

// resolveInputs returns the step's inputs as the runner passes them: the `with:` values, then each
// declared input the step did not give, with its default (or ""). It logs the runner's warnings
// for deprecated and unexpected inputs. Names compare case-insensitively.
func (j *Job) resolveInputs(s *Step, lg *logger, res *Result) []input {
	a := s.Action
	var inputs []input
	for _, k := range sortedKeys(s.With) {
		inputs = append(inputs, input{k, s.With[k]})
		for _, name := range a.InputNames {
			if strings.EqualFold(name, k) && a.Inputs[name].DeprecationMessage != "" {
				addIssue(lg, res, "warning", fmt.Sprintf("Input '%s' has been deprecated with message: %s",
					k, a.Inputs[name].DeprecationMessage), nil)
			}
		}
	}
	valid := append([]string{"entryPoint", "args"}, a.InputNames...)
	var unexpected []string
	for _, k := range sortedKeys(s.With) {
		if !containsFold(valid, k) {
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

// buildEnv builds the process environment from scratch in the runner's order of precedence.
func (j *Job) buildEnv(s *Step, envCtx *envList, state map[string]string, inputs []input,
	dirs jobDirs, fcs *fileCommandSet, inContainer bool,
) *envList {
	env := &envList{}
	for _, k := range envCtx.keys {
		env.set(k, envCtx.m[k])
	}
	for _, k := range sortedKeys(state) {
		env.set("STATE_"+k, state[k])
	}
	for _, in := range inputs {
		env.set(InputEnvName(in.name), in.value)
	}
	for _, k := range sortedKeys(s.Action.Runs.Env) {
		if !env.has(k) {
			env.set(k, s.Action.Runs.Env[k])
		}
	}
	env.set("HOME", dirs.home)
	for _, k := range sortedKeys(j.Context) {
		if k != "CI" {
			env.set(k, j.Context[k])
		}
	}
	repo, ref, _ := strings.Cut(s.Uses, "@")
	if s.Uses == "" {
		repo, ref, _ = strings.Cut(DefaultUses, "@")
	}
	action := s.ID
	switch {
	case action == "" && j.Flavor == Act:
		action = j.actID(s)
	case action == "":
		action = "__" + strings.ReplaceAll(repo, "/", "_")
	}
	env.set("GITHUB_ACTION", action)
	env.set("GITHUB_ACTION_REPOSITORY", repo)
	env.set("GITHUB_ACTION_REF", ref)
	env.set("GITHUB_WORKSPACE", dirs.workspace)
	env.set("GITHUB_EVENT_PATH", filepath.Join(dirs.workflow, "event.json"))
	for _, fc := range fileCommands {
		env.set(fc.env, fcs.paths[fc.env])
	}
	env.set("RUNNER_TEMP", dirs.runnerTemp)
	switch j.Flavor {
	case Act:
		env.set("ACT", "true")
	case Gitea:
		env.set("GITEA_ACTIONS", "true")
	}
	if j.Debug {
		env.set("RUNNER_DEBUG", "1")
	}
	if inContainer {
		for k, v := range env.m {
			env.m[k] = dirs.toContainer(v)
		}
	}
	if ci, ok := j.Context["CI"]; ok && !env.has("CI") {
		env.set("CI", ci)
	}
	if !inContainer && !env.has("PATH") && j.PathEnv != "" {
		env.set("PATH", j.PathEnv)
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

var inputsExpr = regexp.MustCompile(`\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}`)

// resolveArgs returns runs.args with ${{ inputs.NAME }} replaced, or, without runs.args, the
// step's `args` input split on white space.
func (j *Job) resolveArgs(s *Step, inputs []input) []string {
	if s.Action.Runs.Args == nil {
		return strings.Fields(getFold(s.With, "args"))
	}
	args := make([]string, len(s.Action.Runs.Args))
	for i, a := range s.Action.Runs.Args {
		args[i] = inputsExpr.ReplaceAllStringFunc(a, func(m string) string {
			name := inputsExpr.FindStringSubmatch(m)[1]
			for _, in := range inputs {
				if strings.EqualFold(in.name, name) {
					return in.value
				}
			}
			return ""
		})
	}
	return args
}

// processFiles applies the file commands in the runner's order; a malformed file fails the step.
func (j *Job) processFiles(lg *logger, res *Result) {
	fail := func(contextName, env string, err error) {
		addIssue(lg, res, "error", fmt.Sprintf("Unable to process file command '%s' successfully.", contextName), nil)
		addIssue(lg, res, "error", err.Error(), nil)
		res.Failed = true
		if res.FileCommandErr == nil {
			res.FileCommandErr = fmt.Errorf("%s: %w", env, err)
		}
	}

	res.Path = parsePathFile(res.Files[EnvPath])
	for _, p := range res.Path {
		j.addPath(p)
	}

	pairs, err := ParseFileCommand(res.Files[EnvEnv])
	for _, p := range pairs {
		if strings.EqualFold(p.Name, "NODE_OPTIONS") {
			addIssue(lg, res, "error", "Can't store NODE_OPTIONS output parameter using '$GITHUB_ENV' command.", nil)
			continue
		}
		j.Env[p.Name] = p.Value
		res.Env[p.Name] = p.Value
		lg.debugMsg(fmt.Sprintf("%s='%s'", p.Name, p.Value))
	}
	if err != nil {
		fail("env", EnvEnv, err)
	}

	if summary := res.Files[EnvStepSummary]; len(summary) > summaryLimit {
		addIssue(lg, res, "error", fmt.Sprintf("$GITHUB_STEP_SUMMARY upload aborted, supports content up to a size of %dk, got %dk.",
			summaryLimit/1024, len(summary)/1024), nil)
	} else if len(summary) > 0 {
		var b strings.Builder
		for _, line := range splitDotNetLines(decodeText(summary)) {
			b.WriteString(j.masks.mask(line))
			b.WriteByte('\n')
		}
		res.Summary = b.String()
	}

	pairs, err = ParseFileCommand(res.Files[EnvState])
	for _, p := range pairs {
		setFold(res.State, p.Name, p.Value)
		lg.debugMsg(fmt.Sprintf("Save intra-action state %s = %s", p.Name, p.Value))
	}
	if err != nil {
		fail("state", EnvState, err)
	}

	pairs, err = ParseFileCommand(res.Files[EnvOutput])
	for _, p := range pairs {
		setFold(res.Outputs, p.Name, p.Value)
		lg.debugMsg(fmt.Sprintf("Set output %s = %s", p.Name, p.Value))
	}
	if err != nil {
		fail("output", EnvOutput, err)
	}
}

// addPath prepends p to the job's path list (GITHUB_PATH); container actions do not use it.
func (j *Job) addPath(p string) {
	j.prependPath = slices.DeleteFunc(j.prependPath, func(have string) bool { return have == p })
	j.prependPath = append(j.prependPath, p)
}

func (j *Job) now() time.Time {
	if j.Now == nil {
		return time.Now()
	}
	return j.Now()
}

// InputEnvName returns the environment variable that carries an input: INPUT_ followed by the name
// with spaces replaced by "_", in upper case. Hyphens are kept ("api-key" -> "INPUT_API-KEY").
func InputEnvName(name string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))
}

// dockerRunLine renders the docker command the runner logs before starting the container.
func dockerRunLine(image, suffix, entry string, args []string, env *envList, dirs jobDirs) string {
	var b strings.Builder
	fmt.Fprintf(&b, "/usr/bin/docker run --name %s_%s --label e0a5bc --workdir %s --rm",
		strings.NewReplacer(":", "", "/", "", ".", "").Replace(image), suffix[:6], ContainerWorkspace)
	for _, k := range env.keys {
		if k == "GITHUB_ACTIONS" || k == "CI" || k == "PATH" {
			continue
		}
		fmt.Fprintf(&b, " -e %q", k)
	}
	b.WriteString(" -e GITHUB_ACTIONS=true -e CI=true")
	b.WriteString(` -v "/var/run/docker.sock":"/var/run/docker.sock"`)
	for _, m := range dirs.mounts() {
		fmt.Fprintf(&b, " -v %q:%q", m.Host, m.Container)
	}
	fmt.Fprintf(&b, " --entrypoint %q %s", entry, image)
	for _, a := range args {
		fmt.Fprintf(&b, " %q", a)
	}
	return b.String()
}

func envSlice(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, k+"="+m[k])
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func getFold(m map[string]string, key string) string {
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}

func hasFold(m map[string]string, key string) bool {
	for k := range m {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// parseDotNetBool is .NET's bool.TryParse: "true" in any case, surrounding space allowed.
func parseDotNetBool(s string) bool { return strings.EqualFold(strings.TrimSpace(s), "true") }

// parseRunnerBool is the runner's StringUtil.ConvertToBoolean: "1", "true" or "$true".
func parseRunnerBool(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "$true":
		return true
	}
	return false
}

func newSuffix() string {
	h := randomHex(16)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
