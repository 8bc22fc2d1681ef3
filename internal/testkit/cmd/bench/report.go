package main

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/reoclo/docker-auth/internal/reoclo"
)

// The issues' targets.
const (
	stepShare   = 10                    // the step may exceed the login's time by a tenth of it
	stepSlack   = 70 * time.Millisecond // and by this much more, median
	maxRequests = 12                    // requests for a 3 s login (traded off: see the README)
	requestsAt  = 3 * time.Second
	seenSlack   = 55 * time.Millisecond // the poll schedule's part of stepSlack
	maxBadInput = 20 * time.Millisecond // process start to exit on a bad input, median
	maxBinary   = 10e6                  // bytes
	maxRSS      = 10e6                  // bytes, a normal login
	maxRSSBig   = 24e6                  // bytes, 5 MB of server output
	maxPollRate = 1.0                   // requests a second over a long wait
	longWait    = 120 * time.Second     // a long wait: the timeout input's default
)

// header is what the report says before the figures.
type header struct {
	machine machine
	built   string
	size    int64
	haveRSS bool
	tls     string
}

// target is one limit of the issue and the figure measured against it.
type target struct {
	what       string
	got, limit float64
	unit       string // "ms", "MB" or "req/s"
	measured   bool
}

func (t target) verdict() string {
	switch {
	case !t.measured:
		return "SKIP"
	case t.got <= t.limit:
		return "PASS"
	}
	return "FAIL"
}

func (t target) format(v float64) string {
	switch t.unit {
	case "ms":
		return fmt.Sprintf("%.1f ms", v)
	case "MB":
		return fmt.Sprintf("%.1f MB", v/1e6)
	case "requests":
		return fmt.Sprintf("%.0f requests", v)
	}
	return fmt.Sprintf("%.2f %s", v, t.unit)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", msf(d)) }

func msf(d time.Duration) float64 { return float64(d) / 1e6 }

func secs(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " s" }

func report(w io.Writer, h header, results []result) {
	m := h.machine
	fmt.Fprintln(w, "docker-auth benchmark: the main step run by the runner emulator against the fake Reoclo API on 127.0.0.1")
	fmt.Fprintf(w, "machine:  %s, %d CPUs, %s RAM; %s, kernel %s, %s; %s\n", m.CPU, m.CPUs, m.Memory, m.OS, m.Kernel, m.GOARCH, m.Go)
	fmt.Fprintf(w, "binary:   %s: %.2f MB (%d bytes)\n", h.built, float64(h.size)/1e6, h.size)
	if h.haveRSS {
		fmt.Fprintf(w, "peak RSS: the binary's ru_maxrss from the kernel, as GNU time reports it (%s -f %%M)\n", timeBin)
	} else {
		fmt.Fprintf(w, "peak RSS: not measured, %s not found (Debian: apt-get install time)\n", timeBin)
	}
	fmt.Fprintf(w, "TLS:      %s\n", h.tls)
	fmt.Fprintln(w)

	// Scenario names are padded to one width, so the right-aligned column
	// reads as left-aligned.
	width := len("scenario")
	for _, r := range results {
		width = max(width, len(r.sc.name))
	}
	pad := func(s string) string { return fmt.Sprintf("%-*s", width, s) }
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\truns\tstep median\tstep p95\toverhead median\toverhead p95\texit after done\trequests\tpeak RSS\t\n", pad("scenario"))
	var targets []target
	measuredRate := -1.0
	for _, r := range results {
		var steps, over, after []time.Duration
		var reqs []int
		var peak int64
		for _, s := range r.samples {
			steps = append(steps, s.step)
			over = append(over, s.step-r.sc.serverTime())
			after = append(after, s.afterDone)
			reqs = append(reqs, s.requests)
			peak = max(peak, s.peakKiB)
		}
		afterCol, rssCol := "-", "-"
		if r.sc.kind != kindBad {
			afterCol = ms(Median(after))
		}
		if h.haveRSS {
			rssCol = fmt.Sprintf("%.1f MB", float64(peak)*1024/1e6)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t\n", pad(r.sc.name), len(r.samples),
			ms(Median(steps)), ms(Percentile(steps, 95)),
			ms(Median(over)), ms(Percentile(over, 95)), afterCol,
			Median(reqs), rssCol)

		rss := target{what: r.sc.name + ": peak RSS", unit: "MB", got: float64(peak) * 1024, measured: h.haveRSS}
		switch r.sc.kind {
		case kindLogin:
			rss.limit = maxRSS
			login := r.sc.serverTime()
			targets = append(targets, target{
				what: r.sc.name + ": median step within 10% + 70 ms of the login's time", unit: "ms",
				got: msf(Median(steps)), limit: msf(login + login/stepShare + stepSlack), measured: true,
			}, rss)
			if login == requestsAt && !r.sc.tls {
				targets = append(targets, target{
					what: r.sc.name + ": requests (issue's goal; traded for the step time, see README)", unit: "requests",
					got: float64(Median(reqs)), limit: maxRequests, measured: true,
				})
			}
			if login == longWait {
				measuredRate = float64(Median(reqs)) / login.Seconds()
			}
		case kindBig:
			rss.limit = maxRSSBig
			targets = append(targets, rss)
		case kindBad:
			targets = append(targets, target{
				what: r.sc.name + ": median start to exit", unit: "ms",
				got: msf(Median(steps)), limit: msf(maxBadInput), measured: true,
			})
		}
	}
	_ = tw.Flush()
	for _, line := range []string{
		"step: process start to exit (GNU time's start included; the targets judge its median); overhead: step minus the",
		"login's time on the server (start-up, the login request, the wait for the poll that sees the end, exit); exit after done: process exit minus the",
		"login's end on the server, median; requests: received by the fake API in one run, median; peak RSS: the",
		"largest of the runs. MB = 10^6 bytes.",
	} {
		fmt.Fprintln(w, "  "+line)
	}

	fmt.Fprintln(w)
	fmt.Fprintln(w, "poll schedule (computed from reoclo.PollInterval, request time not counted; first poll one interval in):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "login takes\trequests (1 POST + polls)\trequests a second\t")
	longRate := 0.0
	for _, wait := range []time.Duration{300 * time.Millisecond, time.Second, 3 * time.Second, 10 * time.Second, 30 * time.Second, 60 * time.Second, longWait} {
		n := 1 + FollowPolls(wait, reoclo.PollInterval)
		rate := float64(n) / wait.Seconds()
		if wait == longWait {
			longRate = rate
		}
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t\n", secs(wait), n, rate)
	}
	_ = tw.Flush()
	bound := func(t time.Duration) time.Duration { return t/stepShare + seenSlack }
	fmt.Fprintf(w, "  a login ending at any time up to 10 min is seen at most %.2f times (10%% + 55 ms) after it ends\n",
		WorstLag(10*time.Minute, reoclo.PollInterval, bound))

	rateWhat := "a " + secs(longWait) + " wait: requests a second (computed)"
	if measuredRate >= 0 {
		rateWhat, longRate = "a "+secs(longWait)+" login: requests a second (measured)", measuredRate
	}
	targets = append(targets,
		target{what: rateWhat, unit: "req/s", got: longRate, limit: maxPollRate, measured: true},
		target{what: "binary size", unit: "MB", got: float64(h.size), limit: maxBinary, measured: true},
	)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "targets:")
	failed, skipped := 0, 0
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, t := range targets {
		switch t.verdict() {
		case "FAIL":
			failed++
		case "SKIP":
			skipped++
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t(limit %s)\n", t.verdict(), t.what, t.format(t.got), t.format(t.limit))
	}
	_ = tw.Flush()
	switch {
	case failed > 0:
		fmt.Fprintf(w, "verdict: FAIL, %d of %d targets missed\n", failed, len(targets))
	case skipped > 0:
		fmt.Fprintf(w, "verdict: no target missed, but %d of %d not measured\n", skipped, len(targets))
	default:
		fmt.Fprintf(w, "verdict: PASS, all %d targets met\n", len(targets))
	}
}
