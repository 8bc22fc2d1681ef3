package main

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/reoclo/docker-auth/internal/testkit/fakeapi"
)

//go:embed testdata/*.yml
var workflowFiles embed.FS

const (
	apiKey     = "rca_runnertest_k3y_never_printed"
	serverID   = "5e0b1a7d-2c39-4d4e-8f5a-6b7c8d9e0f1a"
	goodCred   = "0a1b2c3d-4e5f-4607-8819-2a3b4c5d6e7f"
	deniedCred = "1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7a8b"
	slowCred   = "2c3d4e5f-6071-4829-8b3c-4d5e6f7a8b9c"
	// workflowDir is where the workspace holds the test workflows (not .github/workflows:
	// the checkout's own workflows are there).
	workflowDir = "runnertest"
)

// jobCase is one workflow run under one or more runners, each run with a fresh fake API.
type jobCase struct {
	name       string
	workflow   string
	runners    []string
	credential string
	check      func(c *checker, r *caseRun)
}

// caseRun is one run of a case: which runner, what it printed, what the API saw.
type caseRun struct {
	runner Runner
	res    RunResult
	api    *fakeapi.Server
}

var cases = []jobCase{
	{
		name:     "post step logs out",
		workflow: "post.yml", runners: []string{"act"}, credential: goodCred,
		check: func(c *checker, r *caseRun) {
			c.jobSucceeded(r)
			c.outputsShown(r)
			c.truef(strings.Contains(r.res.Log, "Post Log in"), "act should run the post step; log:\n%s", r.res.Log)
			c.logoutNotice(r, true)
			c.logoutsSent(r, 1)
			c.nothingLoggedIn(r)
		},
	},
	{
		name:     "logout step logs out",
		workflow: "logout-step.yml", runners: []string{"act", "gitea-act"}, credential: goodCred,
		check: func(c *checker, r *caseRun) {
			c.jobSucceeded(r)
			c.outputsShown(r)
			c.logoutNotice(r, true)
			if r.runner.RunsPost {
				// The logout step, then the post step: both log out, harmlessly.
				c.logoutsSent(r, 2)
			} else {
				c.logoutsSent(r, 1)
			}
			c.nothingLoggedIn(r)
		},
	},
	{
		name:     "refused login sends no logout",
		workflow: "refused.yml", runners: []string{"act", "gitea-act"}, credential: deniedCred,
		check: func(c *checker, r *caseRun) {
			c.truef(r.res.ExitCode != 0, "the job should fail, the runner exited 0")
			c.truef(strings.Contains(r.res.Log, "denied: denied"), "the log should show the server's docker login error; log:\n%s", r.res.Log)
			if r.runner.RunsPost {
				c.truef(strings.Contains(r.res.Log, "Post Log in"), "act should run the post step; log:\n%s", r.res.Log)
			}
			c.logoutsSent(r, 0)
			c.nothingLoggedIn(r)
		},
	},
	{
		name:     "cleanup false stays logged in",
		workflow: "no-cleanup.yml", runners: []string{"act"}, credential: goodCred,
		check: func(c *checker, r *caseRun) {
			c.jobSucceeded(r)
			c.outputsShown(r)
			c.truef(strings.Contains(r.res.Log, "Post Log in"), "act should run the post step; log:\n%s", r.res.Log)
			c.logoutNotice(r, false)
			c.logoutsSent(r, 0)
			c.truef(slices.Equal(r.api.LoggedIn()[serverID], []string{"ghcr.io"}),
				"the server should still be logged in to ghcr.io, got %v", r.api.LoggedIn())
		},
	},
}

// workflows returns the test workflows as the workspace holds them.
func workflows() (map[string][]byte, error) {
	entries, err := workflowFiles.ReadDir("testdata")
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for _, e := range entries {
		data, err := workflowFiles.ReadFile("testdata/" + e.Name())
		if err != nil {
			return nil, err
		}
		files[filepath.Join(workflowDir, e.Name())] = data
	}
	return files, nil
}

// runCases runs every selected case under each of its runners, in one workspace. Each
// runner's first run rebuilds the action's image from the Dockerfile.
func runCases(ctx context.Context, e *env) error {
	files, err := workflows()
	if err != nil {
		return err
	}
	ws, err := NewWorkspace(ctx, e.src, filepath.Join(e.tmp, "ws"), e.baseRef, files)
	if err != nil {
		return err
	}
	built := map[string]bool{}
	var errs []error
	for _, jc := range cases {
		if !e.selected(jc.name) {
			continue
		}
		for _, name := range jc.runners {
			r := e.runners[name]
			label := fmt.Sprintf("%s [%s]", jc.name, name)
			first := !built[name]
			if first {
				// Each runner builds the action's image from the Dockerfile itself.
				if err := RemoveActionImages(ctx, e.podman); err != nil {
					return err
				}
				built[name] = true
			}
			cr, err := runCase(ctx, e, ws, r, jc)
			if err != nil {
				return fmt.Errorf("%s: %w", label, err)
			}
			c := &checker{}
			if first {
				c.truef(strings.Contains(cr.res.Log, "docker build -t act-dockeraction"),
					"%s should build the action's image from the Dockerfile; log:\n%s", name, cr.res.Log)
			}
			c.noKey(cr)
			jc.check(c, cr)
			if err := c.err(); err != nil {
				errs = append(errs, fmt.Errorf("%s:\n%w", label, err))
				e.step("FAIL %s (%.1fs)", label, cr.res.Duration.Seconds())
				continue
			}
			e.step("ok   %s (exit %d, %.1fs)", label, cr.res.ExitCode, cr.res.Duration.Seconds())
		}
	}
	return errors.Join(errs...)
}

// runCase serves a fresh fake API on 127.0.0.1 and runs the case's workflow with r.
func runCase(ctx context.Context, e *env, ws *Workspace, r Runner, jc jobCase) (*caseRun, error) {
	api := newFakeAPI()
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()

	res, err := r.Run(ctx, ws, e.podman, filepath.Join(e.tmp, "home-"+r.Name), Run{
		Workflow: filepath.Join(workflowDir, jc.workflow),
		JobImage: jobImage,
		Env: map[string]string{
			"API_URL":       "http://" + l.Addr().String(),
			"SERVER_ID":     serverID,
			"CREDENTIAL_ID": jc.credential,
		},
		Secrets: map[string]string{"REOCLO_API_KEY": apiKey},
		Timeout: runTimeout,
	}, e.opts.stepLogsTee)
	if err != nil {
		return nil, fmt.Errorf("%w; log:\n%s", err, res.Log)
	}
	return &caseRun{runner: r, res: res, api: api}, nil
}

// newFakeAPI returns the fake Reoclo API the cases use.
func newFakeAPI() *fakeapi.Server {
	api := fakeapi.New()
	api.AddKey(apiKey, fakeapi.AllScopes())
	api.AddServer(serverID, "runnertest")
	api.AddCredential(fakeapi.Credential{ID: goodCred, RegistryURL: "ghcr.io", RegistryType: "ghcr",
		LoginDuration: 300 * time.Millisecond})
	api.AddCredential(fakeapi.Credential{ID: deniedCred, RegistryURL: "registry.example.com", RegistryType: "generic",
		Status: fakeapi.StatusFailed, Result: fakeapi.Result{ExitCode: 1,
			Stderr: `Error response from daemon: Get "https://registry.example.com/v2/": denied: denied`}})
	api.AddCredential(fakeapi.Credential{ID: slowCred, RegistryURL: "docker.io", RegistryType: "docker_hub",
		LoginDuration: 2 * time.Second})
	return api
}

// checker collects failed expectations.
type checker struct{ errs []error }

func (c *checker) truef(ok bool, format string, args ...any) {
	if !ok {
		c.errs = append(c.errs, fmt.Errorf(format, args...))
	}
}

func (c *checker) err() error { return errors.Join(c.errs...) }

// noKey: the API key appears nowhere in the runner's log.
func (c *checker) noKey(r *caseRun) {
	c.truef(!strings.Contains(r.res.Log, apiKey), "the API key appears in the runner's log")
}

func (c *checker) jobSucceeded(r *caseRun) {
	c.truef(r.res.ExitCode == 0, "the job should succeed, the runner exited %d; log:\n%s", r.res.ExitCode, r.res.Log)
}

// outputsShown: the step after the login printed the login's outputs, as the API knows them.
func (c *checker) outputsShown(r *caseRun) {
	logins := operations(r.api, fakeapi.OpRegistryLogin)
	if len(logins) != 1 {
		c.truef(false, "want 1 login operation, got %d", len(logins))
		return
	}
	want := fmt.Sprintf("outputs: registry_url=ghcr.io registry_type=ghcr operation_id=%s", logins[0].ID)
	c.truef(strings.Contains(r.res.Log, want), "the next step should see the outputs (%q); log:\n%s", want, r.res.Log)
}

// logoutsSent: exactly n logout requests reached the API, each for the login's registry on
// the login's server, and every logout operation completed.
func (c *checker) logoutsSent(r *caseRun, n int) {
	var sent int
	for _, req := range r.api.Requests() {
		if strings.HasSuffix(req.Path, "/registry-auth/logout") {
			sent++
		}
	}
	c.truef(sent == n, "want %d logout request(s), got %d", n, sent)
	for _, op := range operations(r.api, fakeapi.OpRegistryLogout) {
		c.truef(op.ServerID == serverID && op.RegistryURL == "ghcr.io" && op.Status == fakeapi.StatusCompleted,
			"logout operation %s: server %s, registry %q, status %s", op.ID, op.ServerID, op.RegistryURL, op.Status)
	}
}

// logoutNotice: the main step's notice naming the logout step (for runners that may not run
// the post step) is in the log when cleanup is on, and only then.
func (c *checker) logoutNotice(r *caseRun, want bool) {
	const notice = "uses: reoclo/docker-auth/logout@v1"
	c.truef(strings.Contains(r.res.Log, notice) == want,
		"notice naming the logout step (%q) in the log: want %t; log:\n%s", notice, want, r.res.Log)
}

func (c *checker) nothingLoggedIn(r *caseRun) {
	c.truef(len(r.api.LoggedIn()) == 0, "nothing should be left logged in, got %v", r.api.LoggedIn())
}

func operations(api *fakeapi.Server, typ string) []fakeapi.Operation {
	var ops []fakeapi.Operation
	for _, op := range api.Operations() {
		if op.Type == typ {
			ops = append(ops, op)
		}
	}
	return ops
}
