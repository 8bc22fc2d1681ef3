package fakeapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// APIPath is the path under which every endpoint of the automation API lives.
const APIPath = "/api/automation/v1"

// maxBody bounds the request bodies the server reads and records.
const maxBody = 1 << 20

// Server is a fake Reoclo automation API. It implements [http.Handler]. The
// zero value is not usable; create one with [New].
type Server struct {
	// now is the clock, time.Now (the package's tests set a manual one). Under
	// testing/synctest it is the bubble's fake clock.
	now func() time.Time

	mu       sync.Mutex
	keys     map[string]Scope
	servers  map[string]string // server ID -> name
	creds    map[string]Credential
	logout   Logout
	ops      map[string]*operation
	pending  []*operation // started, not yet settled
	loggedIn map[string]map[string]struct{}
	faults   map[Route][]*scripted
	requests []Request
	limiter  limiter
}

// New returns a fake API with no keys, servers or credentials, whose logouts
// complete at once (see [Server.SetLogout]).
func New() *Server {
	s := &Server{
		now:      time.Now,
		keys:     map[string]Scope{},
		servers:  map[string]string{},
		creds:    map[string]Credential{},
		ops:      map[string]*operation{},
		loggedIn: map[string]map[string]struct{}{},
		faults:   map[Route][]*scripted{},
	}
	return s
}

// AddKey accepts key as a bearer token limited to scope. Adding a key again
// replaces its scope.
func (s *Server) AddKey(key string, scope Scope) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[key] = scope.clone()
}

// AddServer registers a Reoclo-managed server. id must be a UUID (any case,
// with or without hyphens); it is stored and reported in canonical lowercase
// form.
func (s *Server) AddServer(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.servers[canonicalID(id)] = name
}

// AddCredential registers a registry credential. c.ID must be a UUID, as for
// [Server.AddServer]. Adding a credential again replaces it for logins started
// afterwards.
func (s *Server) AddCredential(c Credential) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.ID = canonicalID(c.ID)
	s.creds[c.ID] = c
}

// SetLogout sets how logouts started from now on behave.
func (s *Server) SetLogout(l Logout) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logout = l
}

// SetLogoutDuration sets how long logouts started from now on run, keeping
// their outcome. With 0 (the default) the logout request answers
// 200 {"operation_id": ..., "status": "completed"}; otherwise it answers
// 202 with status "running" and the client follows the operation.
func (s *Server) SetLogoutDuration(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logout.Duration = d
}

// Request is one HTTP request the server received, as recorded by
// [Server.Requests].
type Request struct {
	// Method and Path are the request's method and URL path.
	Method, Path string
	// Header is a copy of the request headers.
	Header http.Header
	// Body is the request body as received (at most 1 MiB of it).
	Body []byte
	// Status is the status code the server answered, or 0 if a [Fault]
	// dropped the connection.
	Status int
	// Time is the server clock's time when the request arrived.
	Time time.Time
}

// Requests returns every request received so far, in order of arrival,
// including those answered by a scripted [Fault].
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		r.Header = r.Header.Clone()
		r.Body = bytes.Clone(r.Body)
		out[i] = r
	}
	return out
}

// LoggedIn reports who is logged in where as of the server's clock: a map
// from server ID to the sorted registry URLs a finished, successful login
// added and no later finished, successful logout removed. Servers with no
// login are absent.
func (s *Server) LoggedIn() map[string][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle(s.now())
	out := make(map[string][]string, len(s.loggedIn))
	for server, urls := range s.loggedIn {
		if len(urls) == 0 {
			continue
		}
		list := make([]string, 0, len(urls))
		for u := range urls {
			list = append(list, u)
		}
		slices.Sort(list)
		out[server] = list
	}
	return out
}

// response is an answer computed under the lock and written after it.
type response struct {
	status   int
	header   http.Header
	body     []byte
	drop     bool
	delay    time.Duration
	cutShort bool
}

// ServeHTTP implements [http.Handler].
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))

	s.mu.Lock()
	now := s.now()
	s.settle(now)
	rec := Request{
		Method: r.Method,
		Path:   r.URL.Path,
		Header: r.Header.Clone(),
		Body:   body,
		Time:   now,
	}
	var resp response
	route, opID, allow := s.route(r.URL.Path)
	f := s.nextFault(route, r.Method)
	if f != nil && !f.Through {
		resp = f.deliver(f.response())
	} else {
		switch {
		case err != nil:
			resp = detail(http.StatusBadRequest, "Could not read request body")
		case allow == "":
			resp = detail(http.StatusNotFound, "Not Found")
		case r.Method != allow:
			resp = detail(http.StatusMethodNotAllowed, "Method Not Allowed")
			resp.header.Set("Allow", allow)
		default:
			resp = s.limit(r.Header, now, func() response { return s.handle(route, opID, r.Header, body, now) })
		}
		if f != nil {
			resp = f.deliver(resp)
		}
	}
	if !resp.drop {
		rec.Status = resp.status
	}
	s.requests = append(s.requests, rec)
	s.mu.Unlock()

	if resp.delay > 0 {
		t := time.NewTimer(resp.delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
	}
	if resp.drop {
		dropConnection(w)
		return
	}
	if resp.cutShort {
		writeCutShort(w, resp)
		return
	}
	h := w.Header()
	for k, v := range resp.header {
		h[k] = v
	}
	h.Set("Content-Length", strconv.Itoa(len(resp.body)))
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

// route maps a URL path to its route, the operation ID for [RouteOperation],
// and the one method the path allows ("" if the path is unknown).
func (s *Server) route(path string) (route Route, opID, allow string) {
	rest, ok := strings.CutPrefix(path, APIPath)
	if !ok {
		return "", "", ""
	}
	switch rest {
	case "/registry-auth/login":
		return RouteLogin, "", http.MethodPost
	case "/registry-auth/logout":
		return RouteLogout, "", http.MethodPost
	}
	if id, ok := strings.CutPrefix(rest, "/operations/"); ok && id != "" && !strings.Contains(id, "/") {
		return RouteOperation, id, http.MethodGet
	}
	return "", "", ""
}

// handle answers a request on a known route with the right method. s.mu is
// held.
func (s *Server) handle(route Route, opID string, h http.Header, body []byte, now time.Time) response {
	scope, resp, ok := s.authenticate(h)
	if !ok {
		return resp
	}
	switch route {
	case RouteLogin:
		return s.login(scope, body, now)
	case RouteLogout:
		return s.logoutReq(scope, body, now)
	default:
		return s.getOperation(opID)
	}
}

// jsonResponse encodes v as the JSON body of a response with the given status.
// Like FastAPI it does not escape <, > and & in strings.
func jsonResponse(status int, v any) response {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Every value encoded here is built from strings, numbers and maps.
		panic("fakeapi: encoding response: " + err.Error())
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	return response{
		status: status,
		header: http.Header{"Content-Type": {"application/json"}},
		body:   b,
	}
}
