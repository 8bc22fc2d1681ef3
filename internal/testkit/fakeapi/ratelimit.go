package fakeapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RateLimit is a per-key request budget, as Reoclo gives each automation key one (100 requests a
// minute by default).
type RateLimit struct {
	// Limit is how many requests one key may make in any Window. Below 1, keys
	// are not limited.
	Limit  int
	Window time.Duration
	// Headers makes every authenticated reply carry X-RateLimit-Limit, X-RateLimit-Remaining and
	// X-RateLimit-Reset (seconds until a request slot frees).
	Headers bool
}

// limiter is a [RateLimit] in force: when each key's requests still in the
// window arrived, oldest first.
type limiter struct {
	RateLimit
	sent map[string][]time.Time
}

// SetRateLimit limits every key to rl from now on; the zero RateLimit removes the limit.
//
// The window slides: a request counts against its key until Window after it
// arrived. A request with a valid key beyond the limit is answered 429
// {"detail": "Rate limit exceeded"} with a Retry-After of the whole seconds
// (rounded up) until the oldest request in the window leaves it, and does not
// count itself. Requests without a valid key, and those a scripted [Fault]
// answers, are neither counted nor limited.
func (s *Server) SetRateLimit(rl RateLimit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limiter = limiter{RateLimit: rl, sent: map[string][]time.Time{}}
}

// limit answers a request at now with handle, unless its key is over the
// limit. s.mu is held.
func (s *Server) limit(h http.Header, now time.Time, handle func() response) response {
	l := &s.limiter
	if _, _, ok := s.authenticate(h); !ok || l.Limit < 1 {
		return handle()
	}
	_, key, _ := strings.Cut(h.Get("Authorization"), " ")
	sent := l.sent[key]
	for len(sent) > 0 && now.Sub(sent[0]) >= l.Window {
		sent = sent[1:]
	}
	over := len(sent) >= l.Limit
	if !over {
		sent = append(sent, now)
	}
	l.sent[key] = sent
	// Whole seconds until the oldest request leaves the window, rounded up: at
	// least 1, as it is still in it.
	free := strconv.Itoa(int((sent[0].Add(l.Window).Sub(now) + time.Second - 1) / time.Second))
	if over {
		resp := detail(http.StatusTooManyRequests, "Rate limit exceeded")
		resp.header.Set("Retry-After", free)
		return resp
	}
	resp := handle()
	if l.Headers {
		resp.header.Set("X-RateLimit-Limit", strconv.Itoa(l.Limit))
		resp.header.Set("X-RateLimit-Remaining", strconv.Itoa(l.Limit-len(sent)))
		resp.header.Set("X-RateLimit-Reset", free)
	}
	return resp
}
