package main

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/reoclo/docker-auth/internal/testkit/fakeapi"
	"github.com/reoclo/docker-auth/internal/testkit/runner"
)

const (
	imageRef = "localhost/docker-auth:runnertest"
	// imageVersion is passed as the VERSION build argument and checked in the labels and
	// the User-Agent.
	imageVersion = "0.0.0-runnertest"
	// maxImageSize is the most the final image may take, uncompressed.
	maxImageSize = 12_000_000
)

// image is what `podman image inspect` says about the image that checkImage checks.
type image struct {
	Size   int64
	Config struct {
		Entrypoint []string
		User       string
		Labels     map[string]string
	}
}

// wantLabels are the OCI labels the image must carry, with their values.
var wantLabels = map[string]string{
	"org.opencontainers.image.source":   "https://github.com/reoclo/docker-auth",
	"org.opencontainers.image.version":  imageVersion,
	"org.opencontainers.image.licenses": "MIT",
}

// checkImage checks what action.yml and the runner rely on, and the size budget; files are
// the image's tar headers by name, without the leading slash.
func checkImage(img image, files map[string]*tar.Header) error {
	var errs []error
	if img.Size > maxImageSize {
		errs = append(errs, fmt.Errorf("image is %d bytes, more than the %d allowed", img.Size, maxImageSize))
	}
	if !slices.Equal(img.Config.Entrypoint, []string{"/docker-auth"}) {
		errs = append(errs, fmt.Errorf("entrypoint is %q, want [\"/docker-auth\"]", img.Config.Entrypoint))
	}
	if u := img.Config.User; u != "" && u != "root" && u != "0" {
		errs = append(errs, fmt.Errorf("image user is %q: a container action must run as root", u))
	}
	for k, v := range wantLabels {
		if got := img.Config.Labels[k]; got != v {
			errs = append(errs, fmt.Errorf("label %s is %q, want %q", k, got, v))
		}
	}
	for _, k := range []string{"org.opencontainers.image.title", "org.opencontainers.image.description"} {
		if img.Config.Labels[k] == "" {
			errs = append(errs, fmt.Errorf("label %s is missing", k))
		}
	}
	if bin := files["docker-auth"]; bin == nil || bin.Typeflag != tar.TypeReg || bin.Mode&0o111 == 0 || bin.Size == 0 {
		errs = append(errs, errors.New("/docker-auth is missing or not an executable file"))
	}
	for _, name := range []string{"docker-auth-post", "docker-auth-logout"} {
		if h := files[name]; h == nil {
			errs = append(errs, fmt.Errorf("/%s is missing", name))
		} else if !sameBinary(h) {
			errs = append(errs, fmt.Errorf("/%s (type %c, link %q) is neither a symlink to nor a hard link of /docker-auth", name, h.Typeflag, h.Linkname))
		}
	}
	if ca := files["etc/ssl/cert.pem"]; ca == nil || ca.Typeflag != tar.TypeReg || ca.Size == 0 {
		errs = append(errs, errors.New("/etc/ssl/cert.pem (the CA bundle) is missing or empty"))
	}
	return errors.Join(errs...)
}

// sameBinary reports whether the top-level file h is /docker-auth under another name: a
// symlink to it (relative or absolute) or a hard link of it. A second copy is not.
func sameBinary(h *tar.Header) bool {
	return (h.Typeflag == tar.TypeSymlink || h.Typeflag == tar.TypeLink) &&
		strings.TrimPrefix(path.Clean(h.Linkname), "/") == "docker-auth"
}

// imageTest builds the Dockerfile with podman (offline, on the local Go base image), checks
// the image, and runs its entry points through the runner emulation in each image case.
func imageTest(ctx context.Context, e *env) error {
	start := time.Now()
	e.step("podman build %s (GO_IMAGE=%s, VERSION=%s)", e.src, e.baseRef, imageVersion)
	if err := e.podman.Podman(ctx, "build", "--pull=never", "--network", "host",
		"--build-arg", "GO_IMAGE="+e.baseRef, "--build-arg", "VERSION="+imageVersion, "--tag", imageRef, e.src); err != nil {
		return err
	}
	out, err := e.podman.Output(ctx, "image", "inspect", imageRef)
	if err != nil {
		return err
	}
	var imgs []image
	if err := json.Unmarshal([]byte(out), &imgs); err != nil {
		return fmt.Errorf("podman image inspect: %w", err)
	}
	if len(imgs) != 1 {
		return fmt.Errorf("podman image inspect: %d images: %s", len(imgs), out)
	}
	files, err := imageFiles(ctx, e)
	if err != nil {
		return err
	}
	if err := checkImage(imgs[0], files); err != nil {
		return fmt.Errorf("image %s: %w", imageRef, err)
	}
	e.step("ok   image: %.2f MB (limit %d bytes), entry point %q, labels, post and logout links (%.1fs)",
		float64(imgs[0].Size)/1e6, maxImageSize, imgs[0].Config.Entrypoint, time.Since(start).Seconds())

	act, err := runner.LoadAction(filepath.Join(e.src, "action.yml"))
	if err != nil {
		return err
	}
	var errs []error
	for i, sc := range imageCases {
		if !e.selected(sc.name) {
			continue
		}
		start := time.Now()
		c := &checker{}
		api, main, post, err := runImageCase(ctx, e, act, sc, filepath.Join(e.tmp, fmt.Sprintf("job%d", i)))
		if err != nil {
			return fmt.Errorf("%s: %w", sc.name, err)
		}
		sc.check(c, api, main, post)
		for _, r := range []*runner.Result{main, post} {
			c.truef(!strings.Contains(r.LogText(), apiKey), "the %s log shows the API key", r.Stage)
		}
		if err := c.err(); err != nil {
			errs = append(errs, fmt.Errorf("%s:\n%w\n--- main step log:\n%s--- post step log:\n%s",
				sc.name, err, main.LogText(), post.LogText()))
			e.step("FAIL %s", sc.name)
			continue
		}
		e.step("ok   %s (main exit %d, post exit %d, %.1fs)", sc.name, main.ExitCode, post.ExitCode, time.Since(start).Seconds())
	}
	return errors.Join(errs...)
}

// imageFiles returns the image's files as `podman export` of a container of it lists them.
func imageFiles(ctx context.Context, e *env) (map[string]*tar.Header, error) {
	id, err := e.podman.Output(ctx, "create", "--pull=never", imageRef)
	if err != nil {
		return nil, err
	}
	defer func() { _ = e.podman.Podman(context.WithoutCancel(ctx), "rm", "--force", id) }()
	archive := filepath.Join(e.tmp, "image.tar")
	defer os.Remove(archive)
	if err := e.podman.Podman(ctx, "export", "--output", archive, id); err != nil {
		return nil, err
	}
	f, err := os.Open(archive)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return tarEntries(f)
}

// imageCase is one job run on the image: the main step, then the post step.
type imageCase struct {
	name       string
	credential string
	// cancelMain, when set, cancels the main step once the action has polled the login.
	cancelMain bool
	check      func(c *checker, api *fakeapi.Server, main, post *runner.Result)
}

var imageCases = []imageCase{
	{
		name:       "image: login, outputs and state, logout in post",
		credential: goodCred,
		check: func(c *checker, api *fakeapi.Server, main, post *runner.Result) {
			c.truef(main.ExitCode == 0 && !main.Failed, "main should succeed, got exit code %d", main.ExitCode)
			logins := operations(api, fakeapi.OpRegistryLogin)
			c.truef(len(logins) == 1, "want 1 login operation, got %d", len(logins))
			if len(logins) == 1 {
				login := logins[0]
				for k, v := range map[string]string{"operation_id": login.ID, "registry_url": "ghcr.io", "registry_type": "ghcr"} {
					c.truef(main.Outputs[k] == v, "output %s is %q, want %q", k, main.Outputs[k], v)
				}
				c.truef(len(main.State) == 1 && main.State["login"] != "", "want one state key, login; got %v", main.State)
				c.truef(login.Status == fakeapi.StatusCompleted && login.RunID == "4242",
					"login status %s, run_id %q; want completed, 4242", login.Status, login.RunID)
			}
			for _, r := range api.Requests() {
				if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/registry-auth/login") {
					ua := r.Header.Get("User-Agent")
					c.truef(strings.Contains(ua, imageVersion), "User-Agent %q should carry the VERSION build argument %q", ua, imageVersion)
				}
			}
			c.truef(post.ExitCode == 0 && !post.Failed, "post should succeed, got exit code %d", post.ExitCode)
			c.imageLogouts(api, 1)
		},
	},
	{
		name:       "image: login denied on the server: main fails, post sends nothing",
		credential: deniedCred,
		check: func(c *checker, api *fakeapi.Server, main, post *runner.Result) {
			c.truef(main.Failed && main.ExitCode != 0, "main should fail, got exit code %d", main.ExitCode)
			c.truef(slices.ContainsFunc(main.Annotations, func(a runner.Annotation) bool { return a.Level == "error" }),
				"main should report an error annotation")
			c.truef(post.ExitCode == 0 && !post.Failed, "post should not fail the job, got exit code %d", post.ExitCode)
			c.imageLogouts(api, 0)
		},
	},
	{
		name:       "image: job cancelled while the login runs: main stops on SIGINT, post still logs out",
		credential: slowCred,
		cancelMain: true,
		check: func(c *checker, api *fakeapi.Server, main, post *runner.Result) {
			c.truef(main.Cancelled && main.Failed, "main should be cancelled and failed")
			// SIGTERM follows SIGINT after 7.5 s: an exit code of 143 or 137 means the action
			// ignored SIGINT.
			c.truef(main.ExitCode > 0 && main.ExitCode < 128, "main should stop on SIGINT with its own exit code, got %d", main.ExitCode)
			c.truef(post.ExitCode == 0 && !post.Failed, "post should succeed, got exit code %d", post.ExitCode)
			c.imageLogouts(api, 1)
		},
	},
}

// imageLogouts: n logout operations, each completed, and nothing left logged in.
func (c *checker) imageLogouts(api *fakeapi.Server, n int) {
	out := operations(api, fakeapi.OpRegistryLogout)
	c.truef(len(out) == n, "want %d logout operation(s), got %+v", n, out)
	for _, op := range out {
		c.truef(op.ServerID == serverID && op.Status == fakeapi.StatusCompleted,
			"logout operation %s: server %s, status %s", op.ID, op.ServerID, op.Status)
	}
	c.truef(len(api.LoggedIn()) == 0, "nothing should be left logged in, got %v", api.LoggedIn())
}

// runImageCase runs one case's main and post steps in a job of its own, against a fresh
// fake API served on 127.0.0.1.
func runImageCase(ctx context.Context, e *env, act *runner.Action, sc imageCase, dir string) (api *fakeapi.Server, main, post *runner.Result, err error) {
	api = newFakeAPI()
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, nil, err
	}
	srv := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	job := runner.NewJob(dir)
	// As in a workflow, where the key comes from ${{ secrets.REOCLO_API_KEY }}.
	job.Secrets = []string{apiKey}
	s := &runner.Step{ID: "login", Action: act, With: map[string]string{
		"api_key":       apiKey,
		"server_id":     serverID,
		"credential_id": sc.credential,
		"api_url":       "http://" + ln.Addr().String(),
		"timeout":       "30",
	}}
	mainCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if sc.cancelMain {
		go cancelOnPoll(mainCtx, api, sc.credential, cancel)
	}
	ex := runner.ContainerExec(func(ctx context.Context, inv *runner.Invocation) (int, error) {
		return podmanRun(ctx, e.podman, inv)
	})
	if main, err = job.RunMain(mainCtx, s, ex); err != nil {
		return nil, nil, nil, err
	}
	if post, err = job.RunPost(ctx, s, main, ex); err != nil {
		return nil, nil, nil, err
	}
	return api, main, post, nil
}

// podmanRun starts inv's entry point in a fresh container of the image, as the runner's
// `docker run --rm --entrypoint` does: host network, the job's directories mounted, exactly
// inv.Env. When ctx is done it sends SIGINT, and SIGTERM 7.5 s later, which podman passes
// on to the entry point, as the runner stops a cancelled step.
func podmanRun(ctx context.Context, p *Podman, inv *runner.Invocation) (int, error) {
	args := []string{"run", "--rm", "--pull=never", "--network", "host", "--entrypoint", inv.Entrypoint, "--workdir", inv.Dir}
	for _, m := range inv.Mounts {
		args = append(args, "--volume", m.Host+":"+m.Container)
	}
	for _, kv := range inv.Env {
		args = append(args, "--env", kv)
	}
	cmd := p.command(ctx, append(args, imageRef)...)
	cmd.Stdout, cmd.Stderr = inv.Stdout, inv.Stderr
	cmd.Cancel = func() error {
		time.AfterFunc(7500*time.Millisecond, func() { _ = cmd.Process.Signal(syscall.SIGTERM) })
		return cmd.Process.Signal(os.Interrupt)
	}
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	if cmd.ProcessState == nil {
		return 0, fmt.Errorf("podman run %s: %w", inv.Entrypoint, err)
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	return cmd.ProcessState.ExitCode(), nil
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
