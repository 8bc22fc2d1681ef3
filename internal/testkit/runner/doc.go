// Package runner emulates, in a small and faithful way, how the GitHub Actions runner (actions/runner)
// runs the main and post entry points of a Docker container action, as far as this action's tests
// need it. Real runners (make runner-test: act and Gitea's act on podman) cover the rest.
//
// It reads action.yml ([LoadAction]), builds each step's environment from scratch the way the runner
// builds a container's environment (INPUT_*, STATE_*, GITHUB_*, RUNNER_*, HOME, GITHUB_ACTIONS, CI),
// creates fresh file-command files for every step (GITHUB_OUTPUT, GITHUB_STATE, GITHUB_ENV,
// GITHUB_STEP_SUMMARY), starts the entry point through an [Exec], processes workflow commands on
// stdout and stderr line by line, parses the file commands when the process ends, and renders the
// job log the way a person sees it on GitHub ([Result.Log]).
//
// A [Job] is the job-wide state: the github/runner context, the workflow env, secrets, the masks
// registered so far and the directories the runner mounts into the container. [Job.RunMain] runs the
// main entry point of a [Step]; [Job.RunPost] runs its post entry point with the state main saved.
//
// Two Execs are provided: [HostExec] runs a binary from a directory on the host (the end-to-end test,
// the demo, the benchmark), and [ContainerExec] adapts a function that runs the entry point inside a
// container (the image test). For a container Exec the environment uses the runner's container paths
// (/github/workspace, /github/home, /github/workflow, /github/file_commands, /github/runner_temp) and
// [Invocation.Mounts] says which host directory goes where.
//
// Where the runner's behaviour depends on the platform, this package follows the Linux runner:
// container actions run only there.
//
// [Job.Flavor] switches to the few differences of other runners that matter to a container action:
// [Act] (nektos/act: ACT=true, and a post step without STATE_* or input defaults) and [Gitea]
// (Gitea's and Forgejo's runners: GITEA_ACTIONS=true, and no post step for container actions).
//
// What is deliberately not emulated, because this action does not use it: post-if conditions other
// than always(), pre entry points, runs.args and runs.env (ParseAction rejects them), the entryPoint
// and args inputs, deprecated-input warnings, GITHUB_PATH, the workflow commands set-env, add-path,
// echo, group, endgroup and the problem matchers (shown as plain text), the echo of commands under
// step debug, the runner's ACTIONS_RUNTIME_* variables, the secret masker's encoded
// variants (base64, JSON, URL escapes of a mask), expressions in input defaults, and the docker
// command line the runner logs.
package runner
