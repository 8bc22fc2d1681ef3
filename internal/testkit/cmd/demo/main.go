// Command demo runs the action end to end on this machine, as `make demo`:
// it builds the binary as the image does, serves the fake Reoclo API on
// 127.0.0.1 and runs one job's steps the way the GitHub runner runs the
// image's entry points, then prints each step's log, the job summary, every
// API call the action made and what is still logged in. No Reoclo account,
// container engine or network is needed.
package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"

	"github.com/reoclo/docker-auth/internal/testkit/binary"
	"github.com/reoclo/docker-auth/internal/testkit/fakeapi"
)

const demoKey = "rca_demo_0123456789abcdef0123456789abcdef"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// demoStep is one step of the demo's job: an entry point and its with:.
type demoStep struct {
	title, entry string
	with         map[string]string
	// post is the index of the step whose post step this is, or -1.
	post int
}

func run(ctx context.Context, out io.Writer) error {
	tmp, err := os.MkdirTemp("", "docker-auth-demo-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	fmt.Fprintln(out, "Building the action binary as the Dockerfile does...")
	if _, err := binary.Build(ctx, tmp, "demo"); err != nil {
		return err
	}
	api := fakeapi.NewWorld(demoKey)
	l, err := new(net.ListenConfig).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: api} //nolint:gosec // on loopback, for the demo's few requests
	go func() { _ = srv.Serve(l) }()
	defer func() { _ = srv.Close() }()
	apiURL := "http://" + l.Addr().String()
	fmt.Fprintf(out, "Fake Reoclo API on %s: server prod-api, credentials for ghcr.io, docker.io and one the registry refuses.\n", apiURL)

	steps := []demoStep{
		{"Log in to ghcr.io", binary.Main, map[string]string{"credential_id": fakeapi.WorldGHCR}, -1},
		{"Log in to Docker Hub, cleanup: 'false'", binary.Main, map[string]string{"credential_id": fakeapi.WorldHub, "cleanup": "false"}, -1},
		{"Log in with a credential the registry refuses", binary.Main, map[string]string{"credential_id": fakeapi.WorldDenied}, -1},
		{"Log out of ghcr.io (reoclo/docker-auth/logout)", binary.Logout, map[string]string{"registry_url": "ghcr.io"}, -1},
	}
	// The runner runs post steps after the last step, in reverse order.
	for i := len(steps) - 1; i >= 0; i-- {
		if steps[i].entry == binary.Main {
			steps = append(steps, demoStep{"Post " + steps[i].title, binary.Post, steps[i].with, i})
		}
	}
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "acme/webshop", "GITHUB_WORKFLOW": "deploy",
		"GITHUB_EVENT_NAME": "push", "GITHUB_ACTOR": "octocat", "GITHUB_RUN_ID": "4242", "GITHUB_REF": "refs/heads/main"}
	states := map[int]map[string]string{}
	var summary strings.Builder
	for i, s := range steps {
		inputs := map[string]string{"api_key": demoKey, "server_id": fakeapi.WorldServer, "api_url": apiURL}
		for k, v := range s.with {
			inputs[k] = v
		}
		res, err := binary.Run(ctx, tmp, binary.Step{Path: filepath.Join(tmp, s.entry), Inputs: inputs, Env: env, State: states[s.post]})
		if err != nil {
			return err
		}
		states[i] = res.State
		fmt.Fprintf(out, "\n== %s (%s, exit code %d, %.2f s)\n", s.title, s.entry, res.Code, res.Took.Seconds())
		for _, line := range strings.SplitAfter(res.Stdout, "\n") {
			// The log shows neither debug lines (without step debug logging) nor masks.
			if !strings.HasPrefix(line, "::debug::") && !strings.HasPrefix(line, "::add-mask::") {
				fmt.Fprint(out, line)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(res.Outputs)) {
			fmt.Fprintf(out, "  output %s=%s\n", k, res.Outputs[k])
		}
		summary.WriteString(res.Summary)
	}
	fmt.Fprintf(out, "\n== The job summary (GITHUB_STEP_SUMMARY, Markdown)\n\n%s", summary.String())
	fmt.Fprintln(out, "== API calls the action made")
	for _, r := range api.Requests() {
		fmt.Fprintf(out, "  %s %s -> %d\n", r.Method, strings.TrimPrefix(r.Path, fakeapi.APIPath), r.Status)
	}
	fmt.Fprintf(out, "\n== Still logged in on prod-api afterwards: %v (kept by cleanup: 'false')\n", api.LoggedIn()[fakeapi.WorldServer])
	return nil
}
