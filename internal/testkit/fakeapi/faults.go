package fakeapi

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Route names one endpoint of the API, as "METHOD path" with the path below
// /api/automation/v1.
type Route string

// The API's routes.
const (
	RouteLogin     Route = "POST /registry-auth/login"
	RouteLogout    Route = "POST /registry-auth/logout"
	RouteOperation Route = "GET /operations/{operation_id}"
)

// Forever is a [Fault.Times] that applies a fault to every matching request
// from then on.
const Forever = -1

// Fault is a scripted answer that replaces the normal handling of a request,
// before authentication or anything else.
type Fault struct {
	// Status is the status code to answer; 0 means 500.
	Status int
	// Body is the response body; "" means a FastAPI-shaped
	// {"detail": "<status text>"}.
	Body string
	// ContentType is the Content-Type of Body; "" means application/json.
	// A proxy's error page would be "text/html".
	ContentType string
	// Header holds extra response headers, such as Retry-After for a 429 or
	// Location for a redirect.
	Header http.Header
	// Drop closes the connection without answering. Note that Go's
	// http.Transport silently retries an idempotent request (a GET) that
	// fails this way on a reused connection, so a client may not see a
	// single dropped GET.
	Drop bool
	// Times is how many matching requests the fault answers: 0 or 1 means
	// once, [Forever] means every one from then on.
	Times int

	// Through handles the request normally (a login is started, a logout
	// done): the fault changes only how the answer is delivered, by Delay,
	// CutShort and Header. Status, Body, ContentType and Drop are ignored.
	Through bool
	// Delay holds the answer this long on the real clock (not the server's)
	// before writing it, as a slow API or network would; the request is
	// recorded, and a login started, when it arrives. A client that gives up
	// meanwhile gets nothing.
	Delay time.Duration
	// CutShort sends the answer's headers with a Content-Length larger than
	// its body, then half the body, then closes the connection: a reply cut
	// off mid-body.
	CutShort bool
}

// scripted is a fault with the number of requests it still answers
// (negative: forever).
type scripted struct {
	Fault
	left int
}

// Script queues faults for route: the next requests matching the route (its
// method and path) are answered by them, in order, each as many times as its
// Times says, before requests are handled normally again. Faults from
// several calls queue up behind each other; a [Forever] fault blocks those
// behind it.
func (s *Server) Script(route Route, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range faults {
		left := f.Times
		switch {
		case left < 0:
			left = Forever
		case left == 0:
			left = 1
		}
		f.Header = f.Header.Clone()
		s.faults[route] = append(s.faults[route], &scripted{Fault: f, left: left})
	}
}

// nextFault takes the fault that answers a request with method on route, if
// any. s.mu is held.
func (s *Server) nextFault(route Route, method string) *Fault {
	if route == "" || !strings.HasPrefix(string(route), method+" ") {
		return nil
	}
	q := s.faults[route]
	if len(q) == 0 {
		return nil
	}
	f := q[0]
	if f.left > 0 {
		f.left--
		if f.left == 0 {
			s.faults[route] = q[1:]
		}
	}
	return &f.Fault
}

// deliver changes how r is delivered as the fault says.
func (f *Fault) deliver(r response) response {
	r.delay, r.cutShort = f.Delay, f.CutShort
	if f.Through && len(f.Header) > 0 {
		r.header = r.header.Clone()
		for k, v := range f.Header {
			r.header[k] = v
		}
	}
	return r
}

// response is the answer the fault gives.
func (f *Fault) response() response {
	if f.Drop {
		return response{drop: true}
	}
	status := f.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	r := response{status: status, header: http.Header{"Content-Type": {"application/json"}}, body: []byte(f.Body)}
	if f.Body == "" {
		r = detail(status, http.StatusText(status))
	}
	if f.ContentType != "" {
		r.header.Set("Content-Type", f.ContentType)
	}
	for k, v := range f.Header {
		r.header[k] = v
	}
	return r
}

// dropConnection closes the client's connection without an answer.
func dropConnection(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	conn, _, err := rc.Hijack()
	if err != nil {
		// HTTP/2 or a recorder: abort the handler, which resets the stream.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// writeCutShort writes resp's headers with a Content-Length larger than its
// body, then the first half of the body, and closes the connection.
func writeCutShort(w http.ResponseWriter, resp response) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	defer func() { _ = conn.Close() }()
	_, _ = fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n", resp.status, http.StatusText(resp.status))
	resp.header.Set("Content-Length", fmt.Sprint(len(resp.body)+100))
	_ = resp.header.Write(buf)
	_, _ = buf.WriteString("\r\n")
	_, _ = buf.Write(resp.body[:len(resp.body)/2])
	_ = buf.Flush()
}
