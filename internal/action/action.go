// Package action holds the docker-auth binary's three roles: the main step
// (log in), its post step (log out) and the logout step of
// logout/action.yml, picked by the name the binary was invoked by.
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

// The roles, and the names the post and logout entry points invoke the
// binary by.
const (
	RoleMain Role = iota
	RolePost
	RoleLogout

	PostName   = "docker-auth-post"
	LogoutName = "docker-auth-logout"
)

// RoleOf picks the role from the invoked name (os.Args[0]), be it a copy, a
// hard link or a symlink; main for any name but the two others.
func RoleOf(argv0 string) Role {
	switch strings.TrimSuffix(filepath.Base(argv0), ".exe") {
	case PostName:
		return RolePost
	case LogoutName:
		return RoleLogout
	}
	return RoleMain
}

// Deps is what a run takes from its surroundings: DefaultDeps's, or a
// test's.
type Deps struct {
	// LookupEnv reads the environment: inputs, GITHUB_* and STATE_*.
	LookupEnv func(string) (string, bool)
	// Stdout receives the log lines and workflow commands.
	Stdout io.Writer
	// Version names this build in the User-Agent.
	Version string
	// Transport, when set, sends the API client's requests: tests serve
	// the fake API in memory, inside a testing/synctest bubble.
	Transport http.RoundTripper
}

// DefaultDeps returns the process's environment and stdout.
func DefaultDeps(version string) Deps {
	return Deps{LookupEnv: os.LookupEnv, Stdout: os.Stdout, Version: version}
}

// step is one run of a role: the runner's commands and files (gh), the
// surroundings, the inputs and, once read, the API client and timeout.
type step struct {
	gh      *githubactions.Action
	d       Deps
	in      config.GetInputFunc
	api     *reoclo.Client
	timeout time.Duration
}

// Run runs the role args[0] names, writes its job summary section and
// returns the exit code: 1 when main or the logout step fails; post's
// failures, a panic included, are warnings.
func Run(ctx, hard context.Context, args []string, d Deps) (code int) {
	s := &step{d: d}
	s.gh = githubactions.New(githubactions.WithWriter(d.Stdout), githubactions.WithGetenv(s.getenv))
	role := RoleMain
	if len(args) > 0 {
		role = RoleOf(args[0])
	}
	defer func() {
		if r := recover(); r != nil { // go-githubactions panics when it cannot write a command
			if role == RolePost {
				s.gh.Warningf("%v", r)
				code = 0
				return
			}
			s.gh.Errorf("%v", r)
			code = 1
		}
	}()
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
		s.gh.Errorf("%v", err)
		return 1
	}
	return 0
}

func (s *step) getenv(k string) string {
	v, _ := s.d.LookupEnv(k)
	return v
}

// inputs reads the inputs as GetInput does, but one not set at all gets
// its default (act's post step passes only `with:`'s). It masks the key.
func (s *step) inputs(defaults map[string]string) config.GetInputFunc {
	in := func(name string) string {
		v, ok := s.d.LookupEnv("INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_")))
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

// connect gives the step its API client and timeout.
func (s *step) connect(a config.Access) {
	s.timeout = a.Timeout
	s.api = reoclo.New(a.API, a.APIKey, reoclo.Options{Log: s.gh, Transport: s.d.Transport,
		UserAgent: fmt.Sprintf("reoclo-docker-auth/%s (+https://github.com/reoclo/docker-auth) Go-http-client", s.d.Version)})
}
