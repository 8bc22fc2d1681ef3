package reoclo

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// budget is what a reply's rate-limit headers say of the key's budget: how
// many requests are left, and when the window resets.
type budget struct {
	remaining int
	limit     int       // 0 when not given
	reset     time.Time // when the budget refills
}

// parseBudget reads the rate-limit headers of a reply received at now, in
// the first of these forms that parses:
//   - X-RateLimit-Remaining, X-RateLimit-Reset and X-RateLimit-Limit, as
//     GitHub and many APIs send them;
//   - RateLimit-Remaining, RateLimit-Reset and RateLimit-Limit, from the IETF
//     httpapi draft up to -06;
//   - RateLimit: limit=100, remaining=50, reset=30, from draft -07;
//   - RateLimit: "default";r=50;t=30 with RateLimit-Policy:
//     "default";q=100;w=60, from draft -08 on (of several policies, the
//     first counts).
//
// Remaining and reset must be non-negative integers, the limit is optional.
// A reset above 1e9 is a Unix time in seconds (as GitHub sends it), a
// smaller one seconds from now; it is capped at an hour. ok is false when
// the reply carries none of these.
func parseBudget(h http.Header, now time.Time) (b budget, ok bool) {
	for _, p := range []string{"X-RateLimit-", "RateLimit-"} {
		limit, _, _ := strings.Cut(h.Get(p+"Limit"), ",") // a draft's list of policies: the first
		limit, _, _ = strings.Cut(limit, ";")
		if b, ok := newBudget(h.Get(p+"Remaining"), h.Get(p+"Reset"), limit, now); ok {
			return b, true
		}
	}
	f := params(h.Get("RateLimit"))
	if b, ok := newBudget(f["remaining"], f["reset"], f["limit"], now); ok {
		return b, true
	}
	return newBudget(f["r"], f["t"], params(h.Get("RateLimit-Policy"))["q"], now)
}

// params reads the key=value parameters of a structured header field, the
// first of each name: "limit=100, remaining=50" or "\"default\";r=50;t=30".
func params(v string) map[string]string {
	m := map[string]string{}
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' }) {
		k, val, ok := strings.Cut(strings.TrimSpace(f), "=")
		if _, seen := m[k]; ok && !seen {
			m[k] = val
		}
	}
	return m
}

func newBudget(remaining, reset, limit string, now time.Time) (budget, bool) {
	r, okR := count(remaining)
	t, okT := count(reset)
	l, okL := count(limit)
	if !okR || !okT || (limit != "" && !okL) {
		return budget{}, false
	}
	d := time.Duration(min(t, 3600)) * time.Second
	if t > 1e9 {
		d = min(max(time.Unix(int64(t), 0).Sub(now), 0), time.Hour)
	}
	return budget{remaining: r, limit: l, reset: now.Add(d)}, true
}

// count parses a non-negative decimal integer, without a sign.
func count(s string) (int, bool) {
	s = strings.TrimSpace(s)
	n, err := strconv.Atoi(s)
	return n, err == nil && s != "" && s[0] != '+' && n >= 0
}

// pace returns how long to wait, from now, before the next poll so that the
// key's budget is not run down to a 429. It keeps a reserve of
// max(10, limit/5) requests for the other steps and jobs that share the key:
//   - more than the reserve left: 0, no pacing;
//   - none left: the time until the reset;
//   - otherwise: the time until the reset divided by the requests left, so
//     they are spread evenly over what remains of the window.
func (b budget) pace(now time.Time) time.Duration {
	left := max(b.reset.Sub(now), 0)
	switch {
	case b.remaining > max(10, b.limit/5):
		return 0
	case b.remaining == 0:
		return left
	}
	return left / time.Duration(b.remaining)
}

// rateState keeps the budget the last reply with rate-limit headers gave.
type rateState struct {
	mu     sync.Mutex
	budget budget
	known  bool
}

// observe records the budget resp's headers give, if any.
func (r *rateState) observe(resp *http.Response, now time.Time) {
	if b, ok := parseBudget(resp.Header, now); ok {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.budget, r.known = b, true
	}
}

// pace is budget.pace of the last budget seen, or 0 when no reply told one.
func (r *rateState) pace(now time.Time) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.known {
		return 0
	}
	return r.budget.pace(now)
}
