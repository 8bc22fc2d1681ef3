package reoclo

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// budget is what a reply's rate-limit headers say of the key's: the
// requests left, the limit (0 when not given) and when it refills.
type budget struct {
	remaining, limit int
	reset            time.Time
}

// parseBudget reads the first rate-limit headers that parse: X-RateLimit-*
// (Remaining, Reset, Limit); the IETF draft's RateLimit-* (up to -06), its
// RateLimit: limit=100, remaining=50, reset=30 (-07), or its RateLimit:
// "p";r=50;t=30 with RateLimit-Policy: "p";q=100 (-08 on; the first policy).
// A reset over 1e9 is a Unix time, else seconds; at most an hour away.
func parseBudget(h http.Header, now time.Time) (budget, bool) {
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
// first of each name.
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

// pace is the wait before the next poll that keeps max(10, limit/5)
// requests for the key's other users: none while more are left, the time to
// the reset when none is, else that time shared among the requests left.
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
