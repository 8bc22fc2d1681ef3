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
	// own transport: tests serve the fake API in memory, inside a
	// testing/synctest bubble.
	Transport http.RoundTripper
}

// DefaultDeps returns the process's real environment and stdout.
func DefaultDeps(version string) Deps {
	return Deps{Getenv: os.Getenv, LookupEnv: os.LookupEnv, Stdout: os.Stdout, Version: version}
}

// step is one run of a role: the runner's commands and files (gh), the
// surroundings, the step's inputs and, once they are read, its API client
// and timeout.
type step struct {
	gh      *githubactions.Action
	d       Deps
	in      config.GetInputFunc
	api     *reoclo.Client
	timeout time.Duration
}

// Run runs the role named by args[0] with the two stops WithSignals gives
// (ctx, then hard), writes its section of the job summary and returns the
// process exit code: 0 on success, 1 when the main step or the logout step
// fails. The post step returns 0 even when the logout fails, or panics:
// that is a warning, never a failed job.
func Run(ctx, hard context.Context, args []string, d Deps) (code int) {
	gh := githubactions.New(githubactions.WithWriter(d.Stdout), githubactions.WithGetenv(d.Getenv))
	role := RoleMain
	if len(args) > 0 {
		role = RoleOf(args[0])
	}
	defer func() {
		// go-githubactions panics when it cannot write a command.
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
	s := &step{gh: gh, d: d}
	var rep report
	var err error
	switch role {
	case RolePost:
		s.in = s.inputs(config.Defaults())
		rep = s.post(ctx, hard)
	case RoleLogout:
		s.in = s.inputs(config.LogoutDefaults())
		rep, err = s.logoutStep(ctx, hard)
	default:
		s.in = s.inputs(config.Defaults())
		rep, err = s.login(ctx, hard)
	}
	if err != nil {
		rep.Reason = err.Error()
	}
	s.summarise(rep)
	if err != nil {
		gh.Errorf("%v", err)
		return 1
	}
	return 0
}

// inputs reads the step's inputs as githubactions.Action.GetInput does
// (INPUT_<NAME>, trimmed), except that an input whose variable is absent
// altogether gets its default from defaults: act's post step passes only the
// keys under `with:`, not action.yml's defaults. The API key is registered
// with the runner's log masking before anything else can print it.
func (s *step) inputs(defaults map[string]string) config.GetInputFunc {
	lookup := s.d.LookupEnv
	if lookup == nil {
		lookup = func(k string) (string, bool) {
			v := s.d.Getenv(k)
			return v, v != ""
		}
	}
	in := func(name string) string {
		v, ok := lookup("INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_")))
		if !ok {
			return defaults[name]
		}
		return strings.TrimSpace(v)
	}
	if key := in(config.InputAPIKey); key != "" {
		s.gh.AddMask(key)
	}
	return in
}

// connect sets the step's API client and timeout from a, its inputs.
func (s *step) connect(a config.Access) {
	s.api, s.timeout = s.client(a), a.Timeout
}

// client returns an API client for a, with the step's logger and User-Agent.
func (s *step) client(a config.Access) *reoclo.Client {
	opts := []reoclo.Option{
		reoclo.WithLogger(s.gh),
		reoclo.WithUserAgent(fmt.Sprintf("reoclo-docker-auth/%s (+https://github.com/reoclo/docker-auth) Go-http-client", s.d.Version)),
	}
	if s.d.Transport != nil {
		opts = append(opts, reoclo.WithTransport(s.d.Transport))
	}
	return reoclo.New(a.API, a.APIKey, opts...)
}
