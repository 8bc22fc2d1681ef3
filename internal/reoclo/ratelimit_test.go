package reoclo

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestParseBudget(t *testing.T) {
	now := time.Date(2026, 4, 14, 1, 0, 0, 0, time.UTC)
	epoch := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }
	in := func(d time.Duration) time.Time { return now.Add(d) }
	x := func(remaining, reset, limit string) []string {
		return []string{"X-RateLimit-Remaining", remaining, "X-RateLimit-Reset", reset, "X-RateLimit-Limit", limit}
	}

	tests := []struct {
		name   string
		header []string // name, value, ...; an empty value is left out
		want   budget
		ok     bool
	}{
		{"none", nil, budget{}, false},
		{"x delta", x("42", "30", "100"), budget{42, 100, in(30 * time.Second)}, true},
		{"x without limit", x("42", "30", ""), budget{42, 0, in(30 * time.Second)}, true},
		{"x epoch", x("5", epoch(90*time.Second), "60"), budget{5, 60, in(90 * time.Second)}, true},
		{"x epoch in the past is now", x("0", epoch(-time.Minute), ""), budget{0, 0, now}, true},
		{"x limit list gives its first member", x("7", "1", "10, 10;w=1, 50;w=60"), budget{7, 10, in(time.Second)}, true},
		{"x delta capped at an hour", x("1", "999999", ""), budget{1, 0, in(time.Hour)}, true},
		{"x epoch capped at an hour", x("1", epoch(5*time.Hour), ""), budget{1, 0, in(time.Hour)}, true},
		{"x remaining missing", x("", "30", "100"), budget{}, false},
		{"x reset missing", x("42", "", "100"), budget{}, false},
		{"x garbage remaining", x("lots", "30", ""), budget{}, false},
		{"x negative remaining", x("-1", "30", ""), budget{}, false},
		{"x negative reset", x("1", "-30", ""), budget{}, false},
		{"x signed", x("+1", "30", ""), budget{}, false},
		{"x decimal reset", x("1", "1.5", ""), budget{}, false},
		{"x garbage limit", x("1", "30", "many"), budget{}, false},
		{"draft fields", []string{"RateLimit-Limit", "100", "RateLimit-Remaining", "50", "RateLimit-Reset", "30"},
			budget{50, 100, in(30 * time.Second)}, true},
		{"x wins over the draft", append(x("3", "4", ""), "RateLimit-Remaining", "50", "RateLimit-Reset", "30"),
			budget{3, 0, in(4 * time.Second)}, true},
		{"a malformed x falls back to the draft", append(x("3", "soon", ""), "RateLimit-Remaining", "50", "RateLimit-Reset", "30"),
			budget{50, 0, in(30 * time.Second)}, true},
		{"draft 07", []string{"RateLimit", "limit=100, remaining=50, reset=30"}, budget{50, 100, in(30 * time.Second)}, true},
		{"draft 07 parameters ignored", []string{"RateLimit", "remaining=5;x=1,reset=3"}, budget{5, 0, in(3 * time.Second)}, true},
		{"draft 07 reset missing", []string{"RateLimit", "limit=100, remaining=50"}, budget{}, false},
		{"draft 07 garbage", []string{"RateLimit", "limit=100, remaining=fifty, reset=30"}, budget{}, false},
		{"draft 08", []string{"RateLimit", `"default";r=50;t=30`, "RateLimit-Policy", `"default";q=100;w=60`},
			budget{50, 100, in(30 * time.Second)}, true},
		{"draft 08 without a policy", []string{"RateLimit", `"default";r=50;t=30`}, budget{50, 0, in(30 * time.Second)}, true},
		{"draft 08 item without t", []string{"RateLimit", `"default";r=50`}, budget{}, false},
		{"draft 08 of several policies the first", []string{"RateLimit", `"burst";r=5;t=10, "daily";r=900;t=3000`,
			"RateLimit-Policy", `"burst";q=100;w=60, "daily";q=1000;w=86400`}, budget{5, 100, in(10 * time.Second)}, true},
		{"draft 08 bad quota", []string{"RateLimit", `"default";r=50;t=30`, "RateLimit-Policy", `"default";q=lots`}, budget{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for i := 0; i < len(tc.header); i += 2 {
				if tc.header[i+1] != "" {
					h.Add(tc.header[i], tc.header[i+1])
				}
			}
			b, ok := parseBudget(h, now)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.want, b)
		})
	}
}

func TestBudgetPace(t *testing.T) {
	now := time.Date(2026, 4, 14, 1, 0, 0, 0, time.UTC)
	in := func(d time.Duration) time.Time { return now.Add(d) }
	tests := []struct {
		name string
		b    budget
		want time.Duration
	}{
		{"above the reserve of a fifth", budget{21, 100, in(time.Minute)}, 0},
		{"at the reserve: spread", budget{20, 100, in(40 * time.Second)}, 2 * time.Second},
		{"reserve at least 10", budget{11, 20, in(time.Minute)}, 0},
		{"reserve 10 with a small limit", budget{10, 20, in(30 * time.Second)}, 3 * time.Second},
		{"reserve 10 without a limit", budget{10, 0, in(30 * time.Second)}, 3 * time.Second},
		{"above 10 without a limit", budget{11, 0, in(30 * time.Second)}, 0},
		{"a big limit's reserve", budget{150, 1000, in(time.Minute)}, 400 * time.Millisecond},
		{"one left", budget{1, 100, in(7 * time.Second)}, 7 * time.Second},
		{"none left: until the reset", budget{0, 100, in(30 * time.Second)}, 30 * time.Second},
		{"none left, reset passed", budget{0, 100, in(-time.Second)}, 0},
		{"some left, reset passed", budget{3, 100, in(-time.Second)}, 0},
		{"reset now", budget{3, 100, now}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.b.pace(now))
		})
	}
}
