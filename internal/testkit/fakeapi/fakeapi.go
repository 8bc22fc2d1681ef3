// Package fakeapi is a fake of the Reoclo automation API, as far as
// docker-auth uses it: an http.Handler on the API's paths under APIPath
// with JSON bodies and FastAPI-shaped errors, keys with scopes, servers,
// credentials, operations that run for a set time, scripted faults
// (faults.go) and a per-key rate limit.
//
//	POST /api/automation/v1/registry-auth/login
//	POST /api/automation/v1/registry-auth/logout
//	GET  /api/automation/v1/operations/{operation_id}
//
// Time is time.Now: inside a testing/synctest bubble, serve it with
// internal/testkit/memnet and the bubble's fake clock drives it. Requests(),
// Operations() and LoggedIn() tell what the action did. It is safe for
// concurrent use.
package fakeapi

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// APIPath is where the automation API lives.
const APIPath = "/api/automation/v1"

// Never is an operation's duration when it never ends.
const Never time.Duration = 1<<63 - 1

// Statuses, operation types (the scope names of a key) and Any, which in a
// Scope's list allows all.
const (
	StatusRunning    = "running"
	StatusCompleted  = "completed"
	StatusFailed     = "failed"
	StatusTimeout    = "timeout"
	OpRegistryLogin  = "registry_login"
	OpRegistryLogout = "registry_logout"
	Any              = "*"
)

// Scope is what a key may do: operation types, server IDs, credential IDs.
type Scope struct{ Operations, Servers, Credentials []string }

// AllScopes allows everything.
func AllScopes() Scope { return Scope{[]string{Any}, []string{Any}, []string{Any}} }

// allows tells whether a Scope's list allows v.
func allows(list []string, v string) bool {
	return slices.Contains(list, Any) || slices.Contains(list, v)
}

// Credential is a registry credential a login may name.
type Credential struct {
	ID, RegistryURL, RegistryType string // the registry values are sent as they are, hostile or not
	LoginDuration                 time.Duration
	Result                        Result // zero: exit code 0, stdout "Login Succeeded"
	Status                        string // the terminal status; "": completed
	// ReplyOperationID, when set, is the operation_id the login reply
	// gives instead of the real one (a broken API); the login still runs.
	ReplyOperationID string
}

// Result is what the command an operation ran reported.
type Result struct {
	ExitCode        int
	MissingExitCode bool // leave exit_code out
	Stdout, Stderr  string
}

// Logout says how logouts run (SetLogout): with Duration 0 the request
// answers 200 and the final status, else 202 "running".
type Logout struct {
	Duration time.Duration
	Result   Result // zero: exit code 0
	Status   string // "": completed
}

// Operation is an operation as Operations reports it.
type Operation struct {
	ID, Type, ServerID, ServerName, CredentialID, RegistryURL, RegistryType, Status, RunID string
	Result                                                                                 *Result // nil while running
	RunContext                                                                             map[string]any
	StartedAt, CompletedAt                                                                 time.Time
}

// Request is one request the server received.
type Request struct {
	Method, Path string
	Header       http.Header
	Body         []byte
	Status       int
	Time         time.Time
}

// Server is the fake API. Create it with New or NewWorld.
type Server struct {
	mu        sync.Mutex
	keys      map[string]Scope
	servers   map[string]string // ID -> name
	creds     map[string]Credential
	logout    Logout
	ops       []*op
	requests  []Request
	faults    map[Route][]*Fault
	rateLimit RateLimit
	sent      map[string][]time.Time // per key, the requests still in rateLimit's window
}

// op is an operation and how it ends.
type op struct {
	Operation
	end    time.Time // zero: never
	status string
	result Result
}

// New returns a fake API that knows no key, server or credential.
func New() *Server {
	return &Server{keys: map[string]Scope{}, servers: map[string]string{}, creds: map[string]Credential{}, faults: map[Route][]*Fault{}}
}

// AddKey accepts key as a bearer token allowed scope.
func (s *Server) AddKey(key string, scope Scope) { s.locked(func() { s.keys[key] = scope }) }

// AddServer registers a server: id is a UUID, in any case.
func (s *Server) AddServer(id, name string) {
	s.locked(func() { s.servers[strings.ToLower(id)] = name })
}

// AddCredential registers c (or replaces it) for logins started from now.
func (s *Server) AddCredential(c Credential) {
	s.locked(func() { c.ID = strings.ToLower(c.ID); s.creds[c.ID] = c })
}

// SetLogout sets how logouts started from now run.
func (s *Server) SetLogout(l Logout) { s.locked(func() { s.logout = l }) }

// SetLogoutDuration sets how long logouts started from now run.
func (s *Server) SetLogoutDuration(d time.Duration) { s.locked(func() { s.logout.Duration = d }) }

// RateLimit is a per-key request budget, as Reoclo gives each automation
// key one (100 requests a minute by default): Limit requests in any Window;
// with a Limit below 1, none is limited.
type RateLimit struct {
	Limit  int
	Window time.Duration
}

// SetRateLimit limits every key to rl from now on: over it, a request gets
// 429 {"detail": "Rate limit exceeded"} and a Retry-After of the whole
// seconds until a slot frees, and does not count. Requests with no valid
// key, and those a Fault answers, are not counted.
func (s *Server) SetRateLimit(rl RateLimit) {
	s.locked(func() { s.rateLimit, s.sent = rl, map[string][]time.Time{} })
}

func (s *Server) locked(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

// Requests returns every request received, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Operations returns every operation started, in order, as of now.
func (s *Server) Operations() []Operation {
	s.mu.Lock()
	defer s.mu.Unlock()
	out, now := make([]Operation, len(s.ops)), time.Now()
	for i, o := range s.ops {
		out[i] = o.at(now)
	}
	return out
}

// at is o as of now.
func (o *op) at(now time.Time) Operation {
	c := o.Operation
	if !o.end.IsZero() && !now.Before(o.end) {
		r := o.result
		c.Status, c.Result, c.CompletedAt = o.status, &r, o.end
	}
	return c
}

// LoggedIn reports, as of now, the registries each server is logged in to:
// the successful logins and logouts that have ended, in the order they
// ended. Servers logged in to none are left out.
func (s *Server) LoggedIn() map[string][]string {
	ended := slices.DeleteFunc(s.Operations(), func(o Operation) bool { return o.Result == nil })
	slices.SortStableFunc(ended, func(a, b Operation) int { return a.CompletedAt.Compare(b.CompletedAt) })
	out := map[string][]string{}
	for _, o := range ended {
		if o.Status != StatusCompleted || o.Result.MissingExitCode || o.Result.ExitCode != 0 {
			continue
		}
		in := slices.DeleteFunc(out[o.ServerID], func(r string) bool { return r == o.RegistryURL })
		if o.Type == OpRegistryLogin {
			in = append(in, o.RegistryURL)
		}
		out[o.ServerID] = in
	}
	maps.DeleteFunc(out, func(_ string, in []string) bool { return len(in) == 0 })
	for _, in := range out {
		slices.Sort(in)
	}
	return out
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	s.mu.Lock()
	now := time.Now()
	route, id := routeOf(r.Method, r.URL.Path)
	a, faulted := s.fault(route)
	if !faulted {
		a = s.handle(route, id, r.Header, body, now)
	}
	s.requests = append(s.requests, Request{r.Method, r.URL.Path, r.Header.Clone(), body, a.status, now})
	s.mu.Unlock()
	a.write(w)
}

// routeOf maps a request to its route, and an operation's ID.
func routeOf(method, path string) (Route, string) {
	rest, _ := strings.CutPrefix(path, APIPath)
	switch id, isOp := strings.CutPrefix(rest, "/operations/"); {
	case method == http.MethodPost && rest == "/registry-auth/login":
		return RouteLogin, ""
	case method == http.MethodPost && rest == "/registry-auth/logout":
		return RouteLogout, ""
	case method == http.MethodGet && isOp && id != "" && !strings.Contains(id, "/"):
		return RouteOperation, id
	}
	return "", ""
}

// handle answers a request on route ("": none). s.mu is held.
func (s *Server) handle(route Route, id string, h http.Header, raw []byte, now time.Time) answer {
	if route == "" {
		return detail(http.StatusNotFound, "Not Found")
	}
	key := bearer(h)
	scope, ok := s.keys[key]
	if !ok {
		a := detail(http.StatusUnauthorized, "Invalid or expired API key")
		a.header.Set("WWW-Authenticate", "Bearer")
		return a
	}
	if a, over := s.overLimit(key, now); over {
		return a
	}
	if route == RouteOperation {
		for _, o := range s.ops {
			if o.ID == id {
				return reply(http.StatusOK, opJSON(o.at(now)))
			}
		}
		return detail(http.StatusNotFound, "Operation not found")
	}
	var b struct {
		ServerID     string         `json:"server_id"`
		CredentialID string         `json:"credential_id"`
		RegistryURL  string         `json:"registry_url"`
		RunID        string         `json:"run_id"`
		RunContext   map[string]any `json:"run_context"`
	}
	typ, wantCred := OpRegistryLogout, route == RouteLogin
	if wantCred {
		typ = OpRegistryLogin
	}
	if err := json.Unmarshal(raw, &b); err != nil || !uuid.MatchString(b.ServerID) || wantCred && !uuid.MatchString(b.CredentialID) ||
		!wantCred && b.RegistryURL == "" || b.RunContext == nil {
		return reply(http.StatusUnprocessableEntity, map[string]any{"detail": []map[string]any{
			{"type": "value_error", "loc": []string{"body"}, "msg": "Invalid request body"}}})
	}
	server, cred := strings.ToLower(b.ServerID), strings.ToLower(b.CredentialID)
	switch {
	case !allows(scope.Operations, typ):
		return detail(http.StatusForbidden, "Operation "+typ+" not in scope for this key")
	case !allows(scope.Servers, server):
		return detail(http.StatusForbidden, "Server not in scope for this key")
	case wantCred && !allows(scope.Credentials, cred):
		return detail(http.StatusForbidden, "Credential not in scope for this key")
	case s.servers[server] == "":
		return detail(http.StatusNotFound, "Server not found")
	}
	o := &op{Operation: Operation{ID: newUUID(), Type: typ, ServerID: server, ServerName: s.servers[server], Status: StatusRunning,
		RegistryURL: b.RegistryURL, RunID: b.RunID, RunContext: b.RunContext, StartedAt: now}}
	d, final, res := s.logout.Duration, s.logout.Status, s.logout.Result
	if wantCred {
		c, ok := s.creds[cred]
		if !ok {
			return detail(http.StatusNotFound, "Credential not found")
		}
		o.CredentialID, o.RegistryURL, o.RegistryType = cred, c.RegistryURL, c.RegistryType
		d, final, res = c.LoginDuration, c.Status, c.Result
		if res == (Result{}) {
			res.Stdout = "Login Succeeded"
		}
	}
	if d != Never {
		o.end = now.Add(max(d, 0))
	}
	o.status, o.result = cmp.Or(final, StatusCompleted), res
	s.ops = append(s.ops, o)
	if wantCred {
		return reply(http.StatusAccepted, map[string]string{"operation_id": cmp.Or(s.creds[cred].ReplyOperationID, o.ID),
			"status": StatusRunning, "registry_url": o.RegistryURL, "registry_type": o.RegistryType})
	}
	status, done := http.StatusAccepted, o.at(now)
	if done.Result != nil {
		status = http.StatusOK
	}
	return reply(status, map[string]string{"operation_id": o.ID, "status": done.Status})
}

// overLimit counts a request with a valid key and returns false, or
// returns the 429 answer when the key is over its limit. s.mu is held.
func (s *Server) overLimit(key string, now time.Time) (answer, bool) {
	rl, sent := s.rateLimit, s.sent[key]
	if rl.Limit < 1 {
		return answer{}, false
	}
	for len(sent) > 0 && now.Sub(sent[0]) >= rl.Window {
		sent = sent[1:]
	}
	if len(sent) < rl.Limit {
		s.sent[key] = append(sent, now)
		return answer{}, false
	}
	s.sent[key] = sent
	a := detail(http.StatusTooManyRequests, "Rate limit exceeded")
	a.header.Set("Retry-After", strconv.Itoa(int((sent[0].Add(rl.Window).Sub(now)+time.Second-1)/time.Second)))
	return a, true
}

// opJSON is o as GET /operations/{id} reports it.
func opJSON(o Operation) map[string]any {
	j := map[string]any{"operation_id": o.ID, "operation_type": o.Type, "server_id": o.ServerID, "server_name": o.ServerName,
		"status": o.Status, "result": nil, "run_id": o.RunID, "run_context": o.RunContext,
		"started_at": o.StartedAt.UTC().Format(time.RFC3339Nano), "completed_at": nil}
	if r := o.Result; r != nil {
		res := map[string]any{"exit_code": r.ExitCode, "stdout": r.Stdout, "stderr": r.Stderr,
			"duration_ms": o.CompletedAt.Sub(o.StartedAt).Milliseconds()}
		if r.MissingExitCode {
			delete(res, "exit_code")
		}
		j["result"], j["completed_at"] = res, o.CompletedAt.UTC().Format(time.RFC3339Nano)
	}
	return j
}

var uuid = regexp.MustCompile(`^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$`)

func bearer(h http.Header) string {
	scheme, key, _ := strings.Cut(h.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "bearer") {
		return ""
	}
	return key
}

// answer is a reply computed under the lock and written after it.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// reply is a JSON answer; like FastAPI, it does not escape <, > and &.
func reply(status int, v any) answer {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // maps of strings, numbers and maps always encode
	return answer{status, http.Header{"Content-Type": {"application/json"}}, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))}
}

// detail is a FastAPI error answer: {"detail": msg}.
func detail(status int, msg string) answer { return reply(status, map[string]string{"detail": msg}) }

func (a answer) write(w http.ResponseWriter) {
	maps.Copy(w.Header(), a.header)
	w.Header().Set("Content-Length", strconv.Itoa(len(a.body)))
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var r [16]byte
	_, _ = rand.Read(r[:])
	r[6], r[8] = r[6]&0x0f|0x40, r[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", r[:4], r[4:6], r[6:8], r[8:10], r[10:])
}
