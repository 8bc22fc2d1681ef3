package fakeapi

import (
	"fmt"
	"net/http"
)

// Route names an endpoint, as "METHOD path" below APIPath.
type Route string

// The API's routes.
const (
	RouteLogin     Route = "POST /registry-auth/login"
	RouteLogout    Route = "POST /registry-auth/logout"
	RouteOperation Route = "GET /operations/{operation_id}"
)

// Forever is a Fault's Times when it answers every request from then on.
const Forever = -1

// Fault is a scripted answer that takes the place of a request's normal
// handling, key checks included.
type Fault struct {
	Status      int    // 0: 500
	Body        string // "": {"detail": "<status text>"}
	ContentType string // "": application/json
	Header      http.Header
	Drop        bool // close the connection without an answer
	Times       int  // how many requests it answers: 0 or 1 once, Forever
	// Through handles the request normally and changes only how the
	// answer is delivered: CutShort sends its headers, half its body and
	// closes the connection, a reply cut off mid-body.
	Through, CutShort bool
}

// Script queues faults for route: the next requests on it get them, in
// order, each Times times, before normal handling resumes.
func (s *Server) Script(route Route, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range faults {
		if f.Times == 0 {
			f.Times = 1
		}
		s.faults[route] = append(s.faults[route], &f)
	}
}

// fault takes the fault that answers the next request on route. s.mu is held.
func (s *Server) fault(route Route) *Fault {
	q := s.faults[route]
	if len(q) == 0 {
		return nil
	}
	f := *q[0]
	if q[0].Times > 0 {
		if q[0].Times--; q[0].Times == 0 {
			s.faults[route] = q[1:]
		}
	}
	return &f
}

// answer is the fault's own answer.
func (f *Fault) answer() answer {
	status := f.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	a := detail(status, http.StatusText(status))
	if f.Body != "" {
		a.body = []byte(f.Body)
	}
	if f.ContentType != "" {
		a.header.Set("Content-Type", f.ContentType)
	}
	for k, v := range f.Header {
		a.header[k] = v
	}
	return a
}

// deliver writes a as the fault says: dropped, cut short or whole.
func (f *Fault) deliver(w http.ResponseWriter, a answer) {
	if !f.Drop && !f.CutShort {
		a.write(w)
		return
	}
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // a recorder or HTTP/2: abort the stream
	}
	defer func() { _ = conn.Close() }()
	if f.CutShort {
		a.header.Set("Content-Length", fmt.Sprint(len(a.body)+100))
		_, _ = fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n", a.status, http.StatusText(a.status))
		_ = a.header.Write(buf)
		_, _ = buf.WriteString("\r\n")
		_, _ = buf.Write(a.body[:len(a.body)/2])
		_ = buf.Flush()
	}
}
