package fakeapi

import (
	"cmp"
	"maps"
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

// Fault is a scripted answer, Status and {"detail": "<status text>"}, that
// takes the place of a request's normal handling, key checks included.
type Fault struct {
	Status int // 0: 500
	Header http.Header
	Times  int // how many requests it answers: 0 or 1 once, Forever
}

// Script queues faults for route: the next requests on it get them, in
// order, each Times times, before normal handling resumes.
func (s *Server) Script(route Route, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range faults {
		f.Times = cmp.Or(f.Times, 1)
		s.faults[route] = append(s.faults[route], &f)
	}
}

// fault takes the answer of the fault queued for the next request on
// route, if there is one. s.mu is held.
func (s *Server) fault(route Route) (answer, bool) {
	q := s.faults[route]
	if len(q) == 0 {
		return answer{}, false
	}
	if f := q[0]; f.Times > 0 { // not Forever
		if f.Times--; f.Times == 0 {
			s.faults[route] = q[1:]
		}
	}
	status := cmp.Or(q[0].Status, http.StatusInternalServerError)
	a := detail(status, http.StatusText(status))
	maps.Copy(a.header, q[0].Header)
	return a, true
}
