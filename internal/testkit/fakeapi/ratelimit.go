package fakeapi

import (
	"net/http"
	"strconv"
	"time"
)

// RateLimit is a per-key request budget, as Reoclo gives each automation
// key one (100 requests a minute by default).
type RateLimit struct {
	// Limit is how many requests one key may make in any Window; below 1,
	// none is limited.
	Limit  int
	Window time.Duration
	// Headers adds X-RateLimit-Limit, -Remaining and -Reset (seconds until
	// a request leaves the window) to the replies to the key's requests.
	Headers bool
}

type limiter struct {
	RateLimit
	sent map[string][]time.Time // per key, the requests still in the window
}

// SetRateLimit limits every key to rl from now on: over it, a request gets
// 429 {"detail": "Rate limit exceeded"} and a Retry-After of the whole
// seconds until a slot frees, and does not count. Requests with no valid
// key, and those a Fault answers, are not counted.
func (s *Server) SetRateLimit(rl RateLimit) {
	s.locked(func() { s.limiter = limiter{rl, map[string][]time.Time{}} })
}

// limit answers with handle unless the request's key is over its limit.
// s.mu is held.
func (s *Server) limit(h http.Header, now time.Time, handle func() answer) answer {
	l, key := &s.limiter, bearer(h)
	if _, ok := s.keys[key]; !ok || l.Limit < 1 {
		return handle()
	}
	sent := l.sent[key]
	for len(sent) > 0 && now.Sub(sent[0]) >= l.Window {
		sent = sent[1:]
	}
	over := len(sent) >= l.Limit
	if !over {
		sent = append(sent, now)
	}
	l.sent[key] = sent
	free := strconv.Itoa(int((sent[0].Add(l.Window).Sub(now) + time.Second - 1) / time.Second))
	if over {
		a := detail(http.StatusTooManyRequests, "Rate limit exceeded")
		a.header.Set("Retry-After", free)
		return a
	}
	a := handle()
	if l.Headers {
		a.header.Set("X-RateLimit-Limit", strconv.Itoa(l.Limit))
		a.header.Set("X-RateLimit-Remaining", strconv.Itoa(l.Limit-len(sent)))
		a.header.Set("X-RateLimit-Reset", free)
	}
	return a
}
