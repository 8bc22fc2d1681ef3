package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/reoclo/docker-auth/internal/testkit/fakeapi"
	"github.com/reoclo/docker-auth/internal/testkit/imagebuild"
	"github.com/reoclo/docker-auth/internal/testkit/runner"
)

const (
	apiKey     = "rca_imagetest_k3y_never_printed"
	serverID   = "6f1c2b8e-3d4a-4e5f-9a6b-7c8d9e0f1a2b"
	goodCred   = "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d"
	deniedCred = "2c3d4e5f-6071-4b8c-9d0e-1f2a3b4c5d6e"
	slowCred   = "3d4e5f60-7182-4c9d-8e1f-2a3b4c5d6e7f"
)

// harness runs the image's entry points through the runner emulator, each in a fresh
// container on the host network, against a fake Reoclo API on 127.0.0.1.
type harness struct {
	b      *imagebuild.Buildah
	image  string
	action *runner.Action
	dir    string
	apiURL string
	api    *fakeapi.Server
}

// scenario is one job: the main step, then the post step at the end of the job.
type scenario struct {
	name       string
	credential string
	// cancelMain, when set, cancels the main step once the action has polled the login.
	cancelMain bool
	check      func(c *checker, h *harness, main, post *runner.Result)
}

var scenarios = []scenario{
	{
		name:       "login, outputs and state, logout in post",
		credential: goodCred,
		check:      checkHappyPath,
	},
	{
		name:       "login denied on the server: main fails, post leaves nothing logged in",
		credential: deniedCred,
		check: func(c *checker, h *harness, main, post *runner.Result) {
			c.truef(main.Failed && main.ExitCode != 0, "main should fail, got exit code %d", main.ExitCode)
			c.truef(hasAnnotation(main, "error"), "main should report an error annotation; log:\n%s", main.LogText())
			c.truef(post.ExitCode == 0 && !post.Failed, "post should not fail the job, got exit code %d; log:\n%s", post.ExitCode, post.LogText())
			c.truef(len(h.api.LoggedIn()) == 0, "nothing should be logged in, got %v", h.api.LoggedIn())
		},
	},
	{
		name:       "job cancelled while the login runs: main stops on SIGINT, post still logs out",
		credential: slowCred,
		cancelMain: true,
		check: func(c *checker, h *harness, main, post *runner.Result) {
			c.truef(main.Cancelled && main.Failed, "main should be cancelled and failed")
			// SIGTERM follows SIGINT after 7.5 s: an exit code of 143 or 137 means the action
			// ignored SIGINT.
			c.truef(main.ExitCode != 0 && main.ExitCode < 128, "main should stop on SIGINT with its own exit code, got %d", main.ExitCode)
			c.truef(post.ExitCode == 0 && !post.Failed, "post should succeed, got exit code %d; log:\n%s", post.ExitCode, post.LogText())
			c.truef(len(logouts(h.api)) == 1, "post should log out once, got %d logout operations", len(logouts(h.api)))
			c.truef(len(h.api.LoggedIn()) == 0, "nothing should be left logged in, got %v", h.api.LoggedIn())
		},
	},
}

// runScenarios runs every scenario against the built image; with logs set, it writes each
// step's job log there as GitHub would show it.
func runScenarios(ctx context.Context, b *imagebuild.Buildah, dir, contextDir string, logs io.Writer, step func(string, ...any)) error {
	act, err := runner.LoadAction(filepath.Join(contextDir, "action.yml"))
	if err != nil {
		return err
	}
	var errs []error
	for i, sc := range scenarios {
		start := time.Now()
		h := &harness{b: b, image: imageRef, action: act, dir: filepath.Join(dir, fmt.Sprintf("job%d", i))}
		main, post, err := h.run(ctx, sc)
		if err != nil {
			return fmt.Errorf("%s: %w", sc.name, err)
		}
		if logs != nil {
			fmt.Fprintf(logs, "--- %s: main step log:\n%s--- post step log:\n%s", sc.name, main.LogText(), post.LogText())
		}
		c := &checker{}
		sc.check(c, h, main, post)
		if err := c.err(); err != nil {
			errs = append(errs, fmt.Errorf("%s:\n%w\n--- main step log:\n%s--- post step log:\n%s",
				sc.name, err, main.LogText(), post.LogText()))
			step("FAIL %s", sc.name)
			continue
		}
		step("ok   %s (main exit %d, post exit %d, %.1fs)", sc.name, main.ExitCode, post.ExitCode, time.Since(start).Seconds())
	}
	return errors.Join(errs...)
}

// newFakeAPI returns the fake Reoclo API the scenarios use.
func newFakeAPI() *fakeapi.Server {
	api := fakeapi.New()
	api.AddKey(apiKey, fakeapi.AllScopes())
	api.AddServer(serverID, "imagetest")
	api.AddCredential(fakeapi.Credential{ID: goodCred, RegistryURL: "ghcr.io", RegistryType: "ghcr",
		LoginDuration: 300 * time.Millisecond})
	api.AddCredential(fakeapi.Credential{ID: deniedCred, RegistryURL: "registry.example.com", RegistryType: "generic",
		Status: fakeapi.StatusFailed, Result: fakeapi.Result{ExitCode: 1,
			Stderr: `Error response from daemon: Get "https://registry.example.com/v2/": denied: denied`}})
	api.AddCredential(fakeapi.Credential{ID: slowCred, RegistryURL: "docker.io", RegistryType: "docker_hub",
		LoginDuration: 2 * time.Second})
	return api
}

// run runs one scenario's main and post steps in a job of its own, against a fresh fake
// API served on 127.0.0.1.
func (h *harness) run(ctx context.Context, sc scenario) (main, post *runner.Result, err error) {
	h.api = newFakeAPI()
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	srv := &http.Server{Handler: h.api, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	h.apiURL = "http://" + ln.Addr().String()

	job := runner.NewJob(h.dir)
	// As in a workflow, where the key comes from ${{ secrets.REOCLO_API_KEY }}.
	job.Secrets = []string{apiKey}
	s := &runner.Step{ID: "login", Action: h.action, With: map[string]string{
		"api_key":       apiKey,
		"server_id":     serverID,
		"credential_id": sc.credential,
		"api_url":       h.apiURL,
		"timeout":       "30",
	}}
	mainCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if sc.cancelMain {
		go cancelOnPoll(mainCtx, h.api, sc.credential, cancel)
	}
	if main, err = job.RunMain(mainCtx, s, h.exec()); err != nil {
		return nil, nil, err
	}
	if post, err = job.RunPost(ctx, s, main, h.exec()); err != nil {
		return nil, nil, err
	}
	return main, post, nil
}

// exec starts an entry point in a fresh container of the image, as the runner's
// `docker run --rm --entrypoint` does, with the job directories mounted.
func (h *harness) exec() runner.Exec {
	return runner.ContainerExec(func(ctx context.Context, inv *runner.Invocation) (int, error) {
		mounts := make([]imagebuild.Mount, len(inv.Mounts))
		for i, m := range inv.Mounts {
			mounts[i] = imagebuild.Mount{Source: m.Host, Target: m.Container}
		}
		return h.b.Run(ctx, h.image, imagebuild.RunOptions{
			Entrypoint: inv.Entrypoint,
			Env:        inv.Env,
			Mounts:     mounts,
			WorkDir:    inv.Dir,
			Stdout:     inv.Stdout,
			Stderr:     inv.Stderr,
		})
	})
}

// cancelOnPoll cancels once the action has polled the login with the given credential,
// as a person pressing "Cancel workflow" while the step waits.
func cancelOnPoll(ctx context.Context, api *fakeapi.Server, credential string, cancel context.CancelFunc) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for _, op := range api.Operations() {
			if op.CredentialID == credential && op.Polls > 0 {
				cancel()
				return
			}
		}
	}
}

func checkHappyPath(c *checker, h *harness, main, post *runner.Result) {
	c.truef(main.ExitCode == 0 && !main.Failed, "main should succeed, got exit code %d; log:\n%s", main.ExitCode, main.LogText())
	var login fakeapi.Operation
	for _, op := range h.api.Operations() {
		if op.CredentialID == goodCred {
			login = op
		}
	}
	c.equal("output operation_id", main.Outputs["operation_id"], login.ID)
	c.equal("output registry_url", main.Outputs["registry_url"], "ghcr.io")
	c.equal("output registry_type", main.Outputs["registry_type"], "ghcr")
	c.equal("state server_id", main.State["server_id"], serverID)
	c.equal("state registry_url", main.State["registry_url"], "ghcr.io")
	c.equal("state operation_id", main.State["operation_id"], login.ID)
	c.equal("login status", login.Status, fakeapi.StatusCompleted)
	c.equal("login run_id", login.RunID, "4242")
	for _, r := range h.api.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/registry-auth/login") {
			ua := r.Header.Get("User-Agent")
			c.truef(strings.Contains(ua, imageVersion), "User-Agent %q should carry the VERSION build argument %q", ua, imageVersion)
		}
	}

	c.truef(post.ExitCode == 0 && !post.Failed, "post should succeed, got exit code %d; log:\n%s", post.ExitCode, post.LogText())
	out := logouts(h.api)
	c.truef(len(out) == 1 && out[0].RegistryURL == "ghcr.io" && out[0].ServerID == serverID && out[0].Status == fakeapi.StatusCompleted,
		"post should log out of ghcr.io on %s once, got %+v", serverID, out)
	c.truef(len(h.api.LoggedIn()) == 0, "nothing should be left logged in, got %v", h.api.LoggedIn())
	for _, r := range []*runner.Result{main, post} {
		c.truef(!strings.Contains(r.LogText(), apiKey), "the %s log shows the API key", r.Stage)
	}
}

func logouts(api *fakeapi.Server) []fakeapi.Operation {
	var out []fakeapi.Operation
	for _, op := range api.Operations() {
		if op.Type == fakeapi.OpRegistryLogout {
			out = append(out, op)
		}
	}
	return out
}

func hasAnnotation(r *runner.Result, level string) bool {
	return slices.ContainsFunc(r.Annotations, func(a runner.Annotation) bool { return a.Level == level })
}

// checker collects failed checks.
type checker struct{ errs []error }

func (c *checker) truef(ok bool, format string, args ...any) {
	if !ok {
		c.errs = append(c.errs, fmt.Errorf(format, args...))
	}
}

func (c *checker) equal(what, got, want string) {
	c.truef(got == want, "%s is %q, want %q", what, got, want)
}

func (c *checker) err() error { return errors.Join(c.errs...) }
