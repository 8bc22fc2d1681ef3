// Command bench times the docker-auth main step the way a workflow runs it.
//
// It builds the binary as the image does (CGO_ENABLED=0, -trimpath,
// -ldflags "-s -w"), serves the fake Reoclo API on 127.0.0.1 on the real
// clock, and runs the main entry point through the runner emulator (so its
// inputs, environment and files are what the runner gives it): logins that
// take 0.3 s and 3 s on the server, over plain HTTP and over TLS, logins
// whose server output is 5 MB, a bad input, and logins of 30 s and 120 s
// (once each by default). It prints the median and p95 step time, the
// overhead over the server's time, the requests sent, the peak RSS (the
// kernel's, through GNU time) and the binary size, then judges them against
// the targets of the "Fast" and "Hardening" issues.
//
// It is a report, not a gate: it exits 0 whatever the verdict, and non-zero
// only when the benchmark itself could not run.
//
// Usage:
//
//	go run ./internal/cmd/bench [-runs 10] [-big-runs 3] [-bad-runs 20] [-long-runs 1] [-bin path/to/docker-auth]
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/reoclo/docker-auth/internal/testkit/binary"
	"github.com/reoclo/docker-auth/internal/testkit/fakeapi"
	"github.com/reoclo/docker-auth/internal/testkit/runner"
)

// The fake world the step logs in to.
const (
	apiKey   = "rca_bench_0123456789abcdef"
	serverID = "6f1c2b8e-3d4a-4e5f-9a6b-7c8d9e0f1a2b"
)

// bigOutput is how much the server's docker login prints in the large-output
// scenarios: 5 MiB.
const bigOutput = 5 << 20

// version is stamped into the binary the benchmark builds.
const version = "bench"

// systemBundle is the host's CA bundle (Debian's path, and the image's). The
// TLS scenarios lay it out, with the fake API's certificate added, as the
// image lays out its own, so the binary parses as many roots as in the image.
const systemBundle = "/etc/ssl/certs/ca-certificates.crt"

type options struct {
	runs, bigRuns, badRuns, longRuns int
	// bin, when set, is a prebuilt binary to measure instead of building one.
	bin string
}

func main() {
	var o options
	flag.IntVar(&o.runs, "runs", 10, "runs of each login scenario (0.3 s and 3 s, HTTP and TLS)")
	flag.IntVar(&o.bigRuns, "big-runs", 3, "runs of each 5 MB output scenario")
	flag.IntVar(&o.badRuns, "bad-runs", 20, "runs of the bad-input scenario")
	flag.IntVar(&o.longRuns, "long-runs", 1, "runs of each long login (30 s and 120 s); 0 leaves them out")
	flag.StringVar(&o.bin, "bin", "", "measure this prebuilt docker-auth binary instead of building one")
	flag.Parse()
	if o.runs < 1 || o.bigRuns < 1 || o.badRuns < 1 || o.longRuns < 0 {
		fmt.Fprintln(os.Stderr, "bench: every run count must be at least 1 (-long-runs at least 0)")
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// kind says which targets a scenario's figures count towards.
type kind int

const (
	kindLogin kind = iota
	kindBig
	kindBad
)

// scenario is one way of running the main step, repeated.
type scenario struct {
	name string
	kind kind
	runs int
	// cred is the credential the login uses; its LoginDuration is the
	// server's time. The zero credential means no login is expected.
	cred fakeapi.Credential
	// tls runs the step against the HTTPS listener.
	tls bool
	// with overrides the step's inputs.
	with     map[string]string
	wantExit int
}

// serverTime is how long the login takes on the server.
func (sc *scenario) serverTime() time.Duration {
	if sc.cred.ID == "" {
		return 0
	}
	return sc.cred.LoginDuration
}

// sample is what one run measured.
type sample struct {
	// step is the time from starting the process to having reaped it.
	step time.Duration
	// afterDone is how long after the login finished on the server the
	// process had exited; 0 when no login ran.
	afterDone time.Duration
	requests  int
	// peakKiB is the process's peak RSS, or -1 when not measured.
	peakKiB int64
}

// result is every sample of one scenario.
type result struct {
	sc      *scenario
	samples []sample
}

func run(ctx context.Context, o options) error {
	m := describeMachine(ctx)
	tmp, err := os.MkdirTemp("", "docker-auth-bench-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(tmp) }()

	root, err := binary.ModuleRoot(ctx)
	if err != nil {
		return err
	}
	binDir := filepath.Join(tmp, "bin")
	built := ""
	if o.bin == "" {
		fmt.Fprintln(os.Stderr, "building the binary ...")
		built = "CGO_ENABLED=0 go " + shellWords(binary.BuildArgs(version, binary.Name))
	} else {
		built = "prebuilt " + o.bin
	}
	size, err := prepareBinary(ctx, binDir, o.bin)
	if err != nil {
		return err
	}
	act, err := runner.LoadAction(filepath.Join(root, "action.yml"))
	if err != nil {
		return err
	}

	api := fakeapi.New()
	api.AddKey(apiKey, fakeapi.AllScopes())
	api.AddServer(serverID, "bench-server")
	// httptest listens on 127.0.0.1; its certificate is valid for that address.
	plain := httptest.NewServer(api)
	defer plain.Close()
	// Over TLS it offers HTTP/2 and HTTP/1.1, as HTTPS front ends do.
	secure := httptest.NewUnstartedServer(api)
	secure.EnableHTTP2 = true
	secure.TLS = &tls.Config{NextProtos: []string{"h2", "http/1.1"}, MinVersion: tls.VersionTLS12}
	secure.StartTLS()
	defer secure.Close()
	dockerfile, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		return err
	}
	layout := imageCALayout(dockerfile)
	hostBundle, err := os.ReadFile(systemBundle)
	if err != nil && (layout.asFile || layout.inDir) {
		return fmt.Errorf("the image's CA bundle is emulated with the host's: %w", err)
	}
	tlsEnv, certs, err := tlsTrust(tmp, layout, hostBundle, secure.Certificate().Raw)
	if err != nil {
		return err
	}

	gnuTime := ""
	if m.GNUTime {
		gnuTime = timeBin
	}
	h := &harness{
		api:      api,
		action:   act,
		plainURL: plain.URL,
		tlsURL:   secure.URL,
		tlsEnv:   tlsEnv,
		tmp:      tmp,
		exec:     &measuredExec{binDir: binDir, gnuTime: gnuTime, scratch: tmp},
	}

	scenarios := makeScenarios(o)
	for _, sc := range scenarios {
		if sc.cred.ID != "" {
			api.AddCredential(sc.cred)
		}
	}

	// One unreported run first, so the binary and the loopback path are warm.
	if _, err := h.runOnce(ctx, scenarios[0]); err != nil {
		return fmt.Errorf("warm-up run: %w", err)
	}
	var results []result
	for _, sc := range scenarios {
		fmt.Fprintf(os.Stderr, "%-40s ", sc.name)
		r := result{sc: sc}
		for range sc.runs {
			s, err := h.runOnce(ctx, sc)
			if err != nil {
				fmt.Fprintln(os.Stderr)
				return fmt.Errorf("%s: %w", sc.name, err)
			}
			r.samples = append(r.samples, s)
			fmt.Fprint(os.Stderr, ".")
		}
		fmt.Fprintln(os.Stderr)
		results = append(results, r)
	}
	report(os.Stdout, header{
		machine: m, built: built, size: size, haveRSS: gnuTime != "",
		tls: fmt.Sprintf("HTTP/2 and HTTP/1.1 offered; %s (emulated with SSL_CERT_FILE and SSL_CERT_DIR: %d certificates, %s and the fake API's)",
			layout, certs, systemBundle),
	}, results)
	return nil
}

func makeScenarios(o options) []*scenario {
	big := bigText(bigOutput)
	fast := credential("11111111-1111-4111-8111-111111111111", 300*time.Millisecond, fakeapi.Result{}, "")
	slow := credential("22222222-2222-4222-8222-222222222222", 3*time.Second, fakeapi.Result{}, "")
	long := credential("55555555-5555-4555-8555-555555555555", 30*time.Second, fakeapi.Result{}, "")
	longest := credential("66666666-6666-4666-8666-666666666666", 120*time.Second, fakeapi.Result{}, "")
	bigFail := credential("33333333-3333-4333-8333-333333333333", 300*time.Millisecond, fakeapi.Result{
		ExitCode: 1, Stdout: big,
		Stderr: `Error response from daemon: Get "https://ghcr.io/v2/": denied: denied`,
	}, fakeapi.StatusFailed)
	bigOK := credential("44444444-4444-4444-8444-444444444444", 300*time.Millisecond, fakeapi.Result{
		Stdout: big + "Login Succeeded\n",
	}, "")
	// The long logins need more than the default timeout of 120 s.
	longer := map[string]string{"timeout": "180"}
	scenarios := []*scenario{
		{name: "login 0.3 s", kind: kindLogin, runs: o.runs, cred: fast},
		{name: "login 3 s", kind: kindLogin, runs: o.runs, cred: slow},
		{name: "login 0.3 s, TLS", kind: kindLogin, runs: o.runs, cred: fast, tls: true},
		{name: "login 0.3 s, 5 MB output, fails", kind: kindBig, runs: o.bigRuns, cred: bigFail, wantExit: 1},
		{name: "login 0.3 s, 5 MB output, succeeds", kind: kindBig, runs: o.bigRuns, cred: bigOK},
		{name: "login 0.3 s, 5 MB output, fails, TLS", kind: kindBig, runs: o.bigRuns, cred: bigFail, wantExit: 1, tls: true},
		// A server name where its UUID belongs: refused before any request.
		{
			name: "bad input (server_id)", kind: kindBad, runs: o.badRuns, wantExit: 1,
			with: map[string]string{"server_id": "prod-api", "credential_id": fast.ID},
		},
	}
	if o.longRuns > 0 {
		scenarios = append(scenarios,
			&scenario{name: "login 30 s", kind: kindLogin, runs: o.longRuns, cred: long, with: longer},
			&scenario{name: "login 120 s", kind: kindLogin, runs: o.longRuns, cred: longest, with: longer},
		)
	}
	return scenarios
}

func credential(id string, d time.Duration, res fakeapi.Result, status string) fakeapi.Credential {
	return fakeapi.Credential{
		ID: id, RegistryURL: "ghcr.io", RegistryType: "ghcr",
		LoginDuration: d, Result: res, Status: status,
	}
}

// bigText returns n bytes of docker-like log lines. Their quotes and line
// breaks are escaped in JSON, as real output's are.
func bigText(n int) string {
	var b strings.Builder
	b.Grow(n + 128)
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "time=\"2026-04-14T01:00:00Z\" level=warning msg=\"retrying layer %08d: Get \\\"https://ghcr.io/v2/\\\": EOF\"\n", i)
	}
	return b.String()[:n]
}

// harness runs the main step once per call.
type harness struct {
	api              *fakeapi.Server
	action           *runner.Action
	plainURL, tlsURL string
	tlsEnv           map[string]string
	tmp              string
	exec             *measuredExec
}

// runOnce runs the main step of a fresh job for sc and measures it.
func (h *harness) runOnce(ctx context.Context, sc *scenario) (sample, error) {
	dir, err := os.MkdirTemp(h.tmp, "job-")
	if err != nil {
		return sample{}, err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	job := runner.NewJob(dir)
	job.Secrets = []string{apiKey}
	step := &runner.Step{ID: "login", Action: h.action, With: map[string]string{
		"api_key":       apiKey,
		"server_id":     serverID,
		"credential_id": sc.cred.ID,
		"api_url":       h.plainURL,
	}}
	if sc.tls {
		step.With["api_url"] = h.tlsURL
		step.Env = h.tlsEnv
	}
	for k, v := range sc.with {
		step.With[k] = v
	}

	reqBefore, opsBefore := len(h.api.Requests()), len(h.api.Operations())
	res, err := job.RunMain(ctx, step, h.exec)
	if err != nil {
		return sample{}, err
	}
	if ctx.Err() != nil {
		return sample{}, context.Cause(ctx)
	}
	if res.ExitCode != sc.wantExit {
		return sample{}, fmt.Errorf("the main step exited %d, want %d; the end of its log:\n%s", res.ExitCode, sc.wantExit, tail(res.LogText(), 20))
	}
	s := sample{
		step:     h.exec.took,
		requests: len(h.api.Requests()) - reqBefore,
		peakKiB:  h.exec.peakKiB,
	}
	ops := h.api.Operations()
	switch {
	case sc.cred.ID == "":
		if len(ops) != opsBefore {
			return sample{}, errors.New("a bad input started an operation")
		}
	case len(ops) != opsBefore+1:
		return sample{}, fmt.Errorf("the run started %d operations, want 1", len(ops)-opsBefore)
	default:
		op := ops[len(ops)-1]
		if op.CompletedAt.IsZero() {
			return sample{}, errors.New("the step ended before the login finished on the server")
		}
		s.afterDone = h.exec.exited.Sub(op.CompletedAt)
	}
	return s, nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// shellWords joins args as a shell would read them back.
func shellWords(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = a
		if strings.ContainsAny(a, " \t\"'") {
			quoted[i] = fmt.Sprintf("%q", a)
		}
	}
	return strings.Join(quoted, " ")
}

// prepareBinary puts the binary in dir with its docker-auth-post symlink:
// built exactly as the Dockerfile builds it (binary.Build), or linked to
// prebuilt. It returns the binary's size in bytes.
func prepareBinary(ctx context.Context, dir, prebuilt string) (int64, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	bin := filepath.Join(dir, binary.Name)
	if prebuilt == "" {
		if err := binary.Build(ctx, dir, version, binary.Symlink); err != nil {
			return 0, err
		}
	} else {
		// A link, not a copy: how a file was written changes how much of it
		// the page cache maps at once, so a copy can show another RSS.
		abs, err := filepath.Abs(prebuilt)
		if err != nil {
			return 0, err
		}
		if err := os.Symlink(abs, bin); err != nil {
			return 0, err
		}
		if err := binary.AddPostName(dir, binary.Symlink); err != nil {
			return 0, err
		}
	}
	fi, err := os.Stat(bin)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}
