package main

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/reoclo/docker-auth/internal/reoclo"
)

// legend explains the table's columns.
const legend = `step: process start to exit (through sh and GNU time), main + post where a row has a post step;
overhead: step minus the login's (and logout's) time on the server; requests: as the fake API counted
them, the most of any run (the matrix: all its jobs'); schedule: what reoclo.PollSchedule costs
(per operation, 1 POST + the polls up to the first at or after its end); peak RSS: GNU time's %M,
the largest of the runs (MB = 10^6 bytes). Medians and p95 are nearest-rank.
`

// tabulate writes r's line of the table and returns its targets' verdicts.
func tabulate(w io.Writer, r row, res result, haveRSS bool) []string {
	var steps []time.Duration
	var slowest time.Duration
	var rssKiB int64
	var verdicts []string
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
		verdicts = append(verdicts, judge(mb <= limit, "%s: peak RSS %.1f MB ≤ %.0f MB", r.name, mb, limit))
	}
	fmt.Fprintf(w, "| %s\t| %d\t| %s\t| %s\t| %s\t| %d\t| %s\t| %s\t|\n", r.name, len(res.samples), ms(median), p95Cell, over, res.requests, sched, rss)

	if limit := r.login + min(r.login/4+150*time.Millisecond, 5*time.Second); r.login > 0 && !r.post {
		verdicts = append(verdicts, judge(p95 <= limit, "%s: step p95 %s ≤ %s (login + 25%% + 150 ms, ≤ login + 5 s)", r.name, ms(p95), ms(limit)))
	}
	if r.under > 0 {
		verdicts = append(verdicts, judge(p95 <= r.under, "%s: step p95 %s ≤ %s", r.name, ms(p95), ms(r.under)))
	}
	if r.maxReq > 0 {
		verdicts = append(verdicts, judge(res.requests <= r.maxReq, "%s: requests %d ≤ %d", r.name, res.requests, r.maxReq))
	}
	if r.jobs > 0 {
		verdicts = append(verdicts, judge(len(steps) == r.jobs && res.loggedIn == 0,
			"%s: %d of %d jobs succeeded, %d servers left logged in; %d requests in all, %d answered 429, slowest step %s",
			r.name, len(steps), r.jobs, res.loggedIn, res.requests, res.r429, ms(slowest)))
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
