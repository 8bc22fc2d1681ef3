// Command demo runs the action end to end on this machine: it builds the
// binary as the image does, serves the fake Reoclo API on 127.0.0.1, and runs
// a workflow job's steps through the runner emulator, printing what the
// workflow log would show, the job summary as the run's page shows it, and
// the API calls the action made. No Reoclo
// account, Docker engine or network is needed.
//
// Run it with `make demo`.
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/reoclo/docker-auth/internal/testkit/binary"
	"github.com/reoclo/docker-auth/internal/testkit/fakeapi"
	"github.com/reoclo/docker-auth/internal/testkit/runner"
)

const (
	demoKey    = "rca_demo_0123456789abcdef0123456789abcdef"
	serverID   = "6f1c2b8e-3d4a-4e5f-9a6b-7c8d9e0f1a2b"
	ghcrCred   = "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d"
	hubCred    = "2c3d4e5f-6071-4b8c-9d0e-1f2a3b4c5d6e"
	harborCred = "3d4e5f60-7182-4c9d-8e1f-2a3b4c5d6e7f"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) error {
	tmp, err := os.MkdirTemp("", "docker-auth-demo-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(tmp) }()

	fmt.Fprintln(out, "Building the action binary (CGO_ENABLED=0, -trimpath, -ldflags \"-s -w\")...")
	binDir := filepath.Join(tmp, "bin")
	if err := os.Mkdir(binDir, 0o755); err != nil {
		return err
	}
	if err := binary.Build(ctx, binDir, "demo", binary.Symlink); err != nil {
		return err
	}
	root, err := binary.ModuleRoot(ctx)
	if err != nil {
		return err
	}
	action, err := runner.LoadAction(filepath.Join(root, "action.yml"))
	if err != nil {
		return err
	}
	logoutAction, err := runner.LoadAction(filepath.Join(root, "logout", "action.yml"))
	if err != nil {
		return err
	}

	api := fakeapi.New()
	api.AddKey(demoKey, fakeapi.AllScopes())
	api.AddServer(serverID, "prod-api")
	api.AddCredential(fakeapi.Credential{ID: ghcrCred, RegistryURL: "ghcr.io", RegistryType: "ghcr", LoginDuration: 300 * time.Millisecond})
	api.AddCredential(fakeapi.Credential{ID: hubCred, RegistryURL: "docker.io", RegistryType: "docker_hub", LoginDuration: 200 * time.Millisecond})
	api.AddCredential(fakeapi.Credential{ID: harborCred, RegistryURL: "harbor.example.com", RegistryType: "harbor",
		LoginDuration: 400 * time.Millisecond, Status: fakeapi.StatusFailed,
		Result: fakeapi.Result{ExitCode: 1, Stderr: "Error response from daemon: Get \"https://harbor.example.com/v2/\": unauthorized: authentication required\n"}})
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() { _ = srv.Close() }()
	apiURL := "http://" + ln.Addr().String()

	fmt.Fprintf(out, "Fake Reoclo API on %s: server prod-api (%s), credentials for ghcr.io, docker.io and harbor.example.com.\n", apiURL, serverID)
	fmt.Fprintln(out, "The workflow job below logs in to three registries; the harbor credential is refused by the registry.")

	job := runner.NewJob(filepath.Join(tmp, "job"))
	job.Secrets = []string{demoKey} // ${{ secrets.REOCLO_API_KEY }}
	job.LiveLog = indent{out}
	exec := runner.HostExec(binDir)
	step := func(id, cred string, extra map[string]string) *runner.Step {
		with := map[string]string{"api_key": demoKey, "server_id": serverID, "credential_id": cred, "api_url": apiURL}
		for k, v := range extra {
			with[k] = v
		}
		return &runner.Step{ID: id, Action: action, With: with}
	}
	steps := []struct {
		title string
		step  *runner.Step
	}{
		{"- id: ghcr  (log in to GHCR)", step("ghcr", ghcrCred, nil)},
		{"- id: hub  (log in to Docker Hub, cleanup: 'false')", step("hub", hubCred, map[string]string{"cleanup": "false"})},
		{"- id: harbor  (continue-on-error: true; the registry refuses the login)", step("harbor", harborCred, nil)},
	}
	mains := make([]*runner.Result, len(steps))
	for i, s := range steps {
		fmt.Fprintf(out, "\n%s\n", s.title)
		res, err := job.RunMain(ctx, s.step, exec)
		if err != nil {
			return err
		}
		mains[i] = res
		fmt.Fprintf(out, "  => exit code %d; outputs: %s\n", res.ExitCode, pairs(res.Outputs))
	}

	fmt.Fprintf(out, "\n- run: echo \"pushing to ${{ steps.ghcr.outputs.registry_url }}\"\n")
	fmt.Fprintf(out, "    pushing to %s\n", mains[0].Outputs["registry_url"])

	fmt.Fprintln(out, "\n- uses: reoclo/docker-auth/logout@v1  (log out of GHCR once the push is done;")
	fmt.Fprintln(out, "    registry_url: ${{ steps.ghcr.outputs.registry_url }}; on Gitea and Forgejo this step is the only logout)")
	logout := &runner.Step{ID: "ghcr-logout", Uses: "reoclo/docker-auth/logout@v1", Action: logoutAction, With: map[string]string{
		"api_key": demoKey, "server_id": serverID, "registry_url": mains[0].Outputs["registry_url"], "api_url": apiURL,
	}}
	logoutRes, err := job.RunMain(ctx, logout, exec)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  => exit code %d\n", logoutRes.ExitCode)

	fmt.Fprintln(out, "\nPost steps run at the end of the job, in reverse order (a second logout of GHCR is harmless;")
	fmt.Fprintln(out, "the refused harbor login changed nothing on the server, so its post step sends nothing):")
	var posts []*runner.Result
	for i := len(steps) - 1; i >= 0; i-- {
		fmt.Fprintf(out, "\n- post of %s\n", steps[i].step.ID)
		res, err := job.RunPost(ctx, steps[i].step, mains[i], exec)
		if err != nil {
			return err
		}
		posts = append(posts, res)
		fmt.Fprintf(out, "  => exit code %d\n", res.ExitCode)
	}

	fmt.Fprintln(out, "\nJob summary (the run's summary page; each step adds its section, post steps last):")
	for _, res := range append(append(mains, logoutRes), posts...) {
		if res.Summary == "" {
			continue
		}
		fmt.Fprintln(out)
		if _, err := io.WriteString(indent{out}, renderSummary(res.Summary)); err != nil {
			return err
		}
	}

	fmt.Fprintln(out, "\nAPI calls the action made (as the fake Reoclo API received them):")
	for _, r := range api.Requests() {
		fmt.Fprintf(out, "  %-4s %-60s %d\n", r.Method, r.Path, r.Status)
	}
	fmt.Fprintln(out, "\nStill logged in on the server after the job:")
	loggedIn := api.LoggedIn()
	if len(loggedIn) == 0 {
		fmt.Fprintln(out, "  nothing")
	}
	for server, urls := range loggedIn {
		fmt.Fprintf(out, "  %s: %s (the step with cleanup: 'false')\n", server, strings.Join(urls, ", "))
	}
	return nil
}

// pairs formats outputs as "name=value" in name order.
func pairs(m map[string]string) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ", ")
}

// indent writes the live log indented under its step.
type indent struct{ w io.Writer }

func (i indent) Write(p []byte) (int, error) {
	text := strings.TrimSuffix(string(p), "\n")
	for _, line := range strings.Split(text, "\n") {
		if line != "" {
			line = "    " + line
		}
		if _, err := fmt.Fprintln(i.w, line); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}
