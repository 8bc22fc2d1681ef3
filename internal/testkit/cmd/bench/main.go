// Command bench builds the docker-auth binary as the image does, runs its
// steps as the GitHub runner runs them (internal/testkit/binary) against the
// fake Reoclo API on 127.0.0.1, and prints one table of step times, requests
// and peak RSS, then a PASS, FAIL or SKIP line per target (issues 15 and 16).
// It is a report, not a gate: it exits non-zero only when it cannot run.
//
// Usage: go run ./internal/testkit/cmd/bench [-runs 10] [-big-runs 3] [-bad-runs 20] [-long=false]
package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/reoclo/docker-auth/internal/reoclo"
	"github.com/reoclo/docker-auth/internal/testkit/binary"
	"github.com/reoclo/docker-auth/internal/testkit/fakeapi"
)

const (
	apiKey  = "rca_bench_0123456789abcdef"
	credID  = "0a1b2c3d-4e5f-4607-8819-2a3b4c5d6e7f"
	timeBin = "/usr/bin/time" // GNU time: %M is the peak RSS in KiB
	fast    = 300 * time.Millisecond
)

var (
	runs    = flag.Int("runs", 10, "runs of the 0.3 s and 3 s login rows")
	bigRuns = flag.Int("big-runs", 3, "runs of the 5 MB output rows")
	badRuns = flag.Int("bad-runs", 20, "runs of the bad-input row")
	long    = flag.Bool("long", true, "include the 30 s and 120 s logins (one run each)")
)

// row is one line of the table: one way of running the steps, repeated, and
// its targets besides the step-time bound every login row has.
type row struct {
	name   string
	runs   int
	login  time.Duration     // the login's time on the server; 0: a bad input
	result fakeapi.Result    // docker login's outcome on the server
	inputs map[string]string // added to the step's inputs
	code   int               // the main step's exit code
	tls    bool
	post   bool          // the post step follows; the server must end logged out
	logout time.Duration // the logout's time on the server
	jobs   int           // the matrix: jobs at once, one key at 100 requests a minute
	under  time.Duration // a limit on the step's p95
	maxReq int           // a limit on a run's requests
	maxRSS float64       // MB; 0 is 10
}

// rows returns the table's rows, with the numbers of runs the flags give.
func rows() []row {
	big := strings.Repeat("time=\"2026-04-14T01:00:00Z\" level=warning msg=\"retrying: Get \\\"https://ghcr.io/v2/\\\": EOF\"\n", 5e6/80)
	fail := fakeapi.Result{ExitCode: 1, Stdout: big, Stderr: "Error response from daemon: denied: denied\n"}
	rs := []row{
		{name: "login 0.3 s", runs: *runs, login: fast, under: 450 * time.Millisecond},
		{name: "login 3 s", runs: *runs, login: 3 * time.Second, maxReq: 12},
		{name: "login 0.3 s, TLS", runs: *runs, login: fast, tls: true, under: 450 * time.Millisecond},
	}
	if *long {
		wait := map[string]string{"timeout": "180"}
		rs = append(rs, row{name: "login 30 s", runs: 1, login: 30 * time.Second, inputs: wait, maxReq: 22},
			row{name: "login 120 s", runs: 1, login: 120 * time.Second, inputs: wait, maxReq: 40})
	}
	return append(rs,
		row{name: "5 MB output, login fails", runs: *bigRuns, login: fast, result: fail, code: 1, maxRSS: 24},
		row{name: "5 MB output, login succeeds", runs: *bigRuns, login: fast, result: fakeapi.Result{Stdout: big + "Login Succeeded\n"}, maxRSS: 24},
		row{name: "5 MB output, login fails, TLS", runs: *bigRuns, login: fast, result: fail, code: 1, tls: true, maxRSS: 24},
		row{name: "bad input (no request)", runs: *badRuns, inputs: map[string]string{"server_id": "prod-api"}, code: 1},
		row{name: "login 0.3 s + post, logout 0.2 s", runs: *runs, login: fast, post: true, logout: 200 * time.Millisecond, maxReq: 10},
		row{name: "matrix: 8 jobs, 3 s login + post", runs: 1, login: 3 * time.Second, post: true, jobs: 8},
	)
}

func main() {
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// bench is what every row shares.
type bench struct {
	tmp, caFile string      // tmp also holds the built entry points; caFile is the steps' CA bundle
	tls         *tls.Config // the fake API's, with a certificate a CA in caFile signed
	wrapper     string      // runs an entry point under GNU time; "" without it
}

func run(ctx context.Context) error {
	fmt.Println("docker-auth benchmark: the built binary's steps against the fake Reoclo API on 127.0.0.1")
	fmt.Println("machine:", machine())
	tmp, err := os.MkdirTemp("", "docker-auth-bench-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	path, err := binary.Build(ctx, tmp, "bench")
	if err != nil {
		return fmt.Errorf("build the binary: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	// The image's roots are Debian's bundle, read once from /etc/ssl/cert.pem:
	// here the host's bundle and the fake API's CA.
	caPEM, config, err := binary.NewCA(net.IPv4(127, 0, 0, 1))
	if err != nil {
		return err
	}
	b := &bench{tmp: tmp, caFile: filepath.Join(tmp, "ca.pem"), tls: config}
	bundle, _ := os.ReadFile("/etc/ssl/certs/ca-certificates.crt")
	if err := os.WriteFile(b.caFile, append(bundle, caPEM...), 0o600); err != nil {
		return err
	}
	// binary.Step cannot wrap the command, so a script runs it under GNU time,
	// whose figure then ends the step's output.
	if out, err := exec.CommandContext(ctx, timeBin, "--version").CombinedOutput(); err == nil && strings.Contains(string(out), "GNU") {
		b.wrapper = filepath.Join(tmp, "under-time")
		script := "#!/bin/sh\nexec " + timeBin + " -f %M \"$BENCH_ENTRY\"\n"
		if err := os.WriteFile(b.wrapper, []byte(script), 0o700); err != nil {
			return err
		}
	}

	if _, err := b.row(ctx, row{runs: 1, login: fast}); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 1, ' ', 0)
	fmt.Fprintln(w, "| row\t| runs\t| step median\t| step p95\t| overhead median\t| requests\t| schedule\t| peak RSS\t|")
	fmt.Fprintln(w, "| ---\t| ---\t| ---\t| ---\t| ---\t| ---\t| ---\t| ---\t|")
	var verdicts []string
	for _, r := range rows() {
		fmt.Fprintf(os.Stderr, "%s ...\n", r.name)
		res, err := b.row(ctx, r)
		if err != nil {
			return fmt.Errorf("%s: %w", r.name, err)
		}
		verdicts = append(verdicts, tabulate(w, r, res, b.wrapper != "")...)
	}
	_ = w.Flush()
	fmt.Print(legend)
	verdicts = append(verdicts, judge(fi.Size() <= 10e6, "binary %.2f MB ≤ 10 MB", float64(fi.Size())/1e6))
	if b.wrapper == "" {
		verdicts = append(verdicts, "SKIP  peak RSS: no GNU time at "+timeBin+" (apt-get install -y time)")
	}
	fmt.Printf("\n%s\nload average at the end: %s\n", strings.Join(verdicts, "\n"), loadAverage())
	return nil
}

// result is one row's samples and what the fake API counted.
type result struct {
	samples  []sample
	requests int // the most in a run (the matrix: all its jobs')
	r429     int // answered 429, in all
	loggedIn int // servers left logged in after a post step
}

// sample is what one job (its main step, and its post step if any) measured.
type sample struct {
	step, slowest time.Duration // both steps' time; the slower step's
	rssKiB        int64         // the larger peak RSS
	err           error
}

// row runs r r.runs times (the matrix: r.jobs jobs at once, once) against a
// fresh fake API.
func (b *bench) row(ctx context.Context, r row) (result, error) {
	api := fakeapi.New()
	api.AddKey(apiKey, fakeapi.AllScopes())
	api.AddCredential(fakeapi.Credential{ID: credID, RegistryURL: "ghcr.io", RegistryType: "ghcr",
		LoginDuration: r.login, Result: r.result})
	api.SetLogoutDuration(r.logout)
	if r.jobs > 0 {
		api.SetRateLimit(fakeapi.RateLimit{Limit: 100, Window: time.Minute})
	}
	servers := make([]string, max(r.jobs, 1)) // one server per job
	for i := range servers {
		servers[i] = fmt.Sprintf("5e0b1a7d-2c39-4d4e-8f5a-%012d", i)
		api.AddServer(servers[i], "bench-"+strconv.Itoa(i))
	}
	srv := httptest.NewUnstartedServer(api) // on 127.0.0.1
	srv.TLS, srv.EnableHTTP2 = b.tls, true
	if r.tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	defer srv.Close()
	var res result
	for range r.runs {
		before := len(api.Requests())
		jobs := make([]sample, len(servers))
		var wg sync.WaitGroup
		for i, server := range servers {
			wg.Go(func() { jobs[i] = b.job(ctx, r, srv.URL, server) })
		}
		wg.Wait()
		if r.jobs == 0 && jobs[0].err != nil {
			return res, jobs[0].err
		}
		res.samples = append(res.samples, jobs...)
		res.requests = max(res.requests, len(api.Requests())-before)
		if r.post {
			res.loggedIn = max(res.loggedIn, len(api.LoggedIn()))
		}
	}
	for _, q := range api.Requests() {
		if q.Status == http.StatusTooManyRequests {
			res.r429++
		}
	}
	return res, nil
}

// job runs the main step on server against the API at url, then the post
// step if r has one.
func (b *bench) job(ctx context.Context, r row, url, server string) sample {
	in := map[string]string{"api_key": apiKey, "server_id": server, "credential_id": credID, "api_url": url}
	maps.Copy(in, r.inputs)
	m, mainRSS, err := b.step(ctx, binary.Main, in, nil, r.tls, r.code)
	if err != nil {
		return sample{err: fmt.Errorf("main step: %w", err)}
	}
	if !r.post {
		return sample{step: m.Took, slowest: m.Took, rssKiB: mainRSS}
	}
	p, postRSS, err := b.step(ctx, binary.Post, in, m.State, r.tls, 0)
	if err != nil {
		return sample{err: fmt.Errorf("post step: %w", err)}
	}
	return sample{step: m.Took + p.Took, slowest: max(m.Took, p.Took), rssKiB: max(mainRSS, postRSS)}
}

// step runs one entry point of the built binary (under GNU time when there is
// one), checks its exit code, and returns the run and its peak RSS in KiB.
func (b *bench) step(ctx context.Context, entry string, in, state map[string]string, tls bool, code int) (*binary.Result, int64, error) {
	s := binary.Step{Path: filepath.Join(b.tmp, entry), Inputs: in, State: state, Env: map[string]string{}}
	if tls { // the bundle, and no certificate directory, as in the image
		s.Env["SSL_CERT_FILE"], s.Env["SSL_CERT_DIR"] = b.caFile, filepath.Join(b.tmp, "no-such-dir")
	}
	if b.wrapper != "" {
		s.Env["BENCH_ENTRY"], s.Path = s.Path, b.wrapper
	}
	res, err := binary.Run(ctx, b.tmp, s)
	if err != nil {
		return nil, 0, err
	}
	lines := strings.Split(strings.TrimRight(res.Stdout, "\n"), "\n")
	if res.Code != code {
		return nil, 0, fmt.Errorf("exit code %d, want %d; the log ends:\n%s", res.Code, code, strings.Join(lines[max(0, len(lines)-15):], "\n"))
	}
	if b.wrapper == "" {
		return res, 0, nil
	}
	kib, err := strconv.ParseInt(lines[len(lines)-1], 10, 64)
	if err != nil {
		return nil, 0, fmt.Errorf("read GNU time's peak RSS: %w", err)
	}
	return res, kib, nil
}

// legend explains the table's columns.
const legend = `step: process start to exit (through sh and GNU time), main + post where a row has a post step;
overhead: step minus the login's (and logout's) time on the server; requests: as the fake API counted
them, the most of any run (the matrix: all its jobs'); schedule: what reoclo.PollSchedule costs
(per operation, 1 POST + the polls up to the first at or after its end); peak RSS: GNU time's %M,
the largest of the runs (MB = 10^6 bytes). Medians and p95 are nearest-rank.
`

// tabulate writes r's line of the table and returns its targets' verdicts.
func tabulate(w io.Writer, r row, res result, haveRSS bool) (verdicts []string) {
	check := func(ok bool, format string, a ...any) {
		verdicts = append(verdicts, judge(ok, r.name+": "+format, a...))
	}
	var steps []time.Duration
	var slowest time.Duration
	var rssKiB int64
	for _, s := range res.samples {
		if s.err != nil {
			verdicts = append(verdicts, "FAIL  "+r.name+": "+s.err.Error())
			continue
		}
		steps, slowest, rssKiB = append(steps, s.step), max(slowest, s.slowest), max(rssKiB, s.rssKiB)
	}
	median, p95 := percentile(steps, 0.5), percentile(steps, 0.95)
	p95Cell, over, sched, rss := "–", "–", "–", "SKIP"
	if len(steps) > 1 {
		p95Cell = ms(p95)
	}
	if r.login > 0 {
		n := scheduleRequests(r.login)
		if r.post {
			n += scheduleRequests(r.logout)
		}
		over, sched = ms(median-r.login-r.logout), fmt.Sprint(max(r.jobs, 1)*n)
	}
	if mb, limit := float64(rssKiB)*1024/1e6, cmp.Or(r.maxRSS, 10); haveRSS {
		rss = fmt.Sprintf("%.1f MB", mb)
		check(mb <= limit, "peak RSS %.1f MB ≤ %.0f MB", mb, limit)
	}
	fmt.Fprintf(w, "| %s\t| %d\t| %s\t| %s\t| %s\t| %d\t| %s\t| %s\t|\n", r.name, len(res.samples), ms(median), p95Cell, over, res.requests, sched, rss)

	if limit := r.login + min(r.login/4+150*time.Millisecond, 5*time.Second); r.login > 0 && !r.post {
		check(p95 <= limit, "step p95 %s ≤ %s (login + 25%% + 150 ms, ≤ login + 5 s)", ms(p95), ms(limit))
	}
	if r.under > 0 {
		check(p95 <= r.under, "step p95 %s ≤ %s", ms(p95), ms(r.under))
	}
	if r.maxReq > 0 {
		check(res.requests <= r.maxReq, "requests %d ≤ %d", res.requests, r.maxReq)
	}
	if r.jobs > 0 {
		check(len(steps) == r.jobs && res.loggedIn == 0, "%d of %d jobs succeeded, %d servers left logged in; %d requests in all, %d answered 429, slowest step %s",
			len(steps), r.jobs, res.loggedIn, res.requests, res.r429, ms(slowest))
	}
	return verdicts
}

// judge returns a target's verdict line.
func judge(ok bool, format string, a ...any) string {
	if ok {
		return "PASS  " + fmt.Sprintf(format, a...)
	}
	return "FAIL  " + fmt.Sprintf(format, a...)
}

// scheduleRequests is what reoclo.PollSchedule costs an operation that ends d
// after it starts: 1 POST, then the polls up to and including the first at or
// after d. An operation that ends at once (d = 0) needs the POST alone.
func scheduleRequests(d time.Duration) int {
	if d == 0 {
		return 1
	}
	return 2 + slices.IndexFunc(reoclo.PollSchedule(d+time.Minute), func(at time.Duration) bool { return at >= d })
}

// percentile is the nearest-rank p-quantile of ds (0 < p ≤ 1), 0 for none.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(ds))
	return s[int(math.Ceil(p*float64(len(s))))-1]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/1e6) }

// machine describes where the figures come from.
func machine() string {
	grab := func(file, key string) string {
		b, _ := os.ReadFile(file)
		if m := regexp.MustCompile(`(?m)^` + key + `\s*[:=]\s*"?([^"\n]*)`).FindSubmatch(b); m != nil {
			return string(m[1])
		}
		return "unknown"
	}
	var kib float64
	_, _ = fmt.Sscanf(grab("/proc/meminfo", "MemTotal"), "%f", &kib)
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return fmt.Sprintf("%s, %d cores, %.1f GiB RAM; %s, Linux %s, %s; %s; load average %s", grab("/proc/cpuinfo", "model name"),
		runtime.NumCPU(), kib/(1<<20), grab("/etc/os-release", "PRETTY_NAME"), strings.TrimSpace(string(kernel)),
		runtime.GOARCH, runtime.Version(), loadAverage())
}

// loadAverage is the machine's load over the last 1, 5 and 15 minutes:
// other work on it slows the steps.
func loadAverage() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.Join(strings.Fields(string(b) + " ? ? ?")[:3], " ")
}
