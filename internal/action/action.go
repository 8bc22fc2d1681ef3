// Package action holds the three roles of the docker-auth binary: the main
// step (log in, wait, set outputs), its post step (log out) and the explicit
// logout step of logout/action.yml.
//
// The binary picks its role from the name it was invoked by (os.Args[0]); the
// image carries it as /docker-auth, /docker-auth-post and /docker-auth-logout.
package action

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/reoclo/docker-auth/internal/config"
	"github.com/reoclo/docker-auth/internal/reoclo"
)

// Role is what one run of the binary does.
type Role int

// The roles.
const (
	RoleMain Role = iota
	RolePost
	RoleLogout
)

// Names the post entry point and the logout step's entry point invoke the
// binary by.
const (
	PostName   = "docker-auth-post"
	LogoutName = "docker-auth-logout"
)

// RoleOf picks the role from the invoked name (os.Args[0]), whether the image
// copies, hard-links or symlinks it: the post role for docker-auth-post, the
// logout role for docker-auth-logout, and the main role for anything else.
func RoleOf(argv0 string) Role {
	switch strings.TrimSuffix(filepath.Base(argv0), ".exe") {
	case PostName:
		return RolePost
	case LogoutName:
		return RoleLogout
	}
	return RoleMain
}

// Deps is everything a run takes from its surroundings. DefaultDeps returns
// the real ones; tests replace them.
type Deps struct {
	// Getenv reads the environment: inputs, GITHUB_* and STATE_* variables.
	Getenv func(string) string
	// LookupEnv tells a variable set to "" from one not set at all: an input
	// whose INPUT_ variable is absent gets action.yml's default. Nil means a
	// variable is set when Getenv returns more than "".
	LookupEnv func(string) (string, bool)
	// Stdout receives the log lines and workflow commands.
	Stdout io.Writer
	// Version names this build in the User-Agent.
	Version string
	// Transport, when set, sends the API client's requests instead of its
	// own HTTP/1.1 transport (reoclo.WithTransport): tests serve the fake
	// API in memory, inside a testing/synctest bubble.
	Transport http.RoundTripper
}

// DefaultDeps returns the process's real environment and stdout.
func DefaultDeps(version string) Deps {
	return Deps{Getenv: os.Getenv, LookupEnv: os.LookupEnv, Stdout: os.Stdout, Version: version}
}

// Run runs the role named by args[0] and returns the process exit code: 0 on
// success, 1 when the main step or the logout step fails. The post step
// returns 0 even when the logout fails, or panics: that is a warning, never
// a failed job.
func Run(ctx context.Context, args []string, d Deps) (code int) {
	gh := githubactions.New(githubactions.WithWriter(d.Stdout), githubactions.WithGetenv(d.Getenv))
	role := RoleMain
	if len(args) > 0 {
		role = RoleOf(args[0])
	}
	defer func() {
		// go-githubactions panics when it cannot write a file command.
		if r := recover(); r != nil {
			if role == RolePost {
				gh.Warningf("%v", r)
				code = 0
				return
			}
			gh.Errorf("%v", r)
			code = 1
		}
	}()

	run := runMain
	switch role {
	case RolePost:
		runPost(ctx, gh, d)
		return 0
	case RoleLogout:
		run = runLogoutStep
	}
	if err := run(ctx, gh, d); err != nil {
		gh.Errorf("%v", err)
		return 1
	}
	return 0
}

// inputs reads the step's inputs as githubactions.Action.GetInput does
// (INPUT_<NAME>, trimmed), except that an input whose variable is absent
// altogether gets its default from defaults: act's post step passes only the
// keys under `with:`, not action.yml's defaults.
func (d Deps) inputs(defaults map[string]string) config.GetInputFunc {
	lookup := d.LookupEnv
	if lookup == nil {
		lookup = func(k string) (string, bool) {
			v := d.Getenv(k)
			return v, v != ""
		}
	}
	return func(name string) string {
		v, ok := lookup("INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_")))
		if !ok {
			return defaults[name]
		}
		return strings.TrimSpace(v)
	}
}

// readInputs returns the step's inputs (Deps.inputs with defaults), having
// registered the API key with the runner's log masking before anything else
// can print it.
func readInputs(gh *githubactions.Action, d Deps, defaults map[string]string) config.GetInputFunc {
	in := d.inputs(defaults)
	if key := in(config.InputAPIKey); key != "" {
		gh.AddMask(key)
	}
	return in
}

// newClient builds the API client with the step's logger and User-Agent.
func newClient(gh *githubactions.Action, d Deps, api *url.URL, key string) *reoclo.Client {
	opts := []reoclo.Option{
		reoclo.WithLogger(gh),
		reoclo.WithUserAgent(fmt.Sprintf("reoclo-docker-auth/%s (+https://github.com/reoclo/docker-auth) Go-http-client", d.Version)),
	}
	if d.Transport != nil {
		opts = append(opts, reoclo.WithTransport(d.Transport))
	}
	return reoclo.New(api, key, opts...)
}

// TimeoutError is the cause of a step's context when its timeout runs out.
type TimeoutError struct {
	After time.Duration
}

// Error implements error: "timed out after 120s".
func (e *TimeoutError) Error() string {
	return "timed out after " + seconds(e.After)
}

// withTimeout bounds ctx by a time limit, with a *TimeoutError cause that
// says so.
func withTimeout(ctx context.Context, after time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, after, &TimeoutError{After: after})
}

// seconds formats a duration as "120s" or "7.5s".
func seconds(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return fmt.Sprintf("%.3gs", d.Seconds())
}

// requireEnv fails when the runner did not provide a file command path the
// step needs: the binary was not started as an action step.
func requireEnv(getenv func(string) string, names ...string) error {
	for _, n := range names {
		if getenv(n) == "" {
			return fmt.Errorf("%s is not set: docker-auth must run as a GitHub Actions step", n)
		}
	}
	return nil
}
