package reoclo

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The budget is read from the first rate-limit headers that parse, of each
// form the API may send: counts are unsigned integers, a reset is seconds
// or a Unix time, at most an hour away.
func TestParseBudget(t *testing.T) {
	now := time.Date(2026, 4, 14, 1, 0, 0, 0, time.UTC)
	epoch := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }
	in := func(remaining, limit int, d time.Duration) *budget { return &budget{remaining, limit, now.Add(d)} }
	x := func(remaining, reset, limit string) []string {
		return []string{"X-RateLimit-Remaining", remaining, "X-RateLimit-Reset", reset, "X-RateLimit-Limit", limit}
	}
	tests := []struct {
		name   string
		header []string // name, value, …; an empty value is as none
		want   *budget  // nil: none
	}{
		{"none", nil, nil},
		{"x seconds", x("42", "30", "100"), in(42, 100, 30*time.Second)},
		{"x without a limit", x("42", "30", ""), in(42, 0, 30*time.Second)},
		{"x Unix time", x("5", epoch(90*time.Second), "60"), in(5, 60, 90*time.Second)},
		{"x Unix time past", x("0", epoch(-time.Minute), ""), in(0, 0, 0)},
		{"x seconds capped", x("1", "999999", ""), in(1, 0, time.Hour)},
		{"x Unix time capped", x("1", epoch(5*time.Hour), ""), in(1, 0, time.Hour)},
		{"x limit list: the first", x("7", "1", "10;w=1, 50;w=60"), in(7, 10, time.Second)},
		{"x reset missing", x("42", "", "100"), nil},
		{"x negative", x("-1", "30", ""), nil},
		{"x signed", x("+1", "30", ""), nil},
		{"x limit not a count", x("1", "30", "many"), nil},
		{"draft fields", []string{"RateLimit-Limit", "100", "RateLimit-Remaining", "50", "RateLimit-Reset", "30"}, in(50, 100, 30*time.Second)},
		{"x first", append(x("3", "4", ""), "RateLimit-Remaining", "50", "RateLimit-Reset", "30"), in(3, 0, 4*time.Second)},
		{"x malformed: the draft", append(x("3", "soon", ""), "RateLimit-Remaining", "50", "RateLimit-Reset", "30"), in(50, 0, 30*time.Second)},
		{"draft 07", []string{"RateLimit", "limit=100, remaining=50, reset=30"}, in(50, 100, 30*time.Second)},
		{"draft 08", []string{"RateLimit", `"default";r=50;t=30`, "RateLimit-Policy", `"default";q=100;w=60`}, in(50, 100, 30*time.Second)},
		{"draft 08 without a policy", []string{"RateLimit", `"default";r=50;t=30`}, in(50, 0, 30*time.Second)},
		{"draft 08 policies: the first", []string{"RateLimit", `"burst";r=5;t=10, "daily";r=900;t=3000`,
			"RateLimit-Policy", `"burst";q=100;w=60, "daily";q=1000;w=86400`}, in(5, 100, 10*time.Second)},
		{"draft 08 quota not a count", []string{"RateLimit", `"default";r=50;t=30`, "RateLimit-Policy", `"default";q=lots`}, nil},
	}
	for _, tc := range tests {
		h := http.Header{}
		for i := 0; i < len(tc.header); i += 2 {
			h.Add(tc.header[i], tc.header[i+1])
		}
		b, ok := parseBudget(h, now)
		if assert.Equal(t, tc.want != nil, ok, tc.name) && ok {
			assert.Equal(t, *tc.want, b, tc.name)
		}
	}
}

// A budget running low spaces the polls to keep max(10, limit/5) requests
// for the key's other users: none while more are left, the requests left
// shared over the time to the reset, and none left, all of it.
func TestBudgetPace(t *testing.T) {
	now := time.Date(2026, 4, 14, 1, 0, 0, 0, time.UTC)
	in := now.Add
	for _, tc := range []struct {
		b    budget
		want time.Duration
	}{
		{budget{21, 100, in(time.Minute)}, 0},
		{budget{20, 100, in(40 * time.Second)}, 2 * time.Second},
		{budget{150, 1000, in(time.Minute)}, 400 * time.Millisecond},
		{budget{11, 20, in(time.Minute)}, 0},
		{budget{10, 0, in(30 * time.Second)}, 3 * time.Second},
		{budget{0, 100, in(30 * time.Second)}, 30 * time.Second},
		{budget{0, 100, in(-time.Second)}, 0},
		{budget{3, 100, in(-time.Second)}, 0},
	} {
		assert.Equal(t, tc.want, tc.b.pace(now), "%+v", tc.b)
	}
}
