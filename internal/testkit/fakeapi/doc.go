// Package fakeapi is an in-memory fake of the Reoclo automation API, as far as
// the docker-auth action uses it: starting a registry login, following an
// operation and logging out again.
//
// A [Server] is an [http.Handler]; serve it with net/http/httptest in unit
// tests or with [http.Serve] on a 127.0.0.1 listener for end-to-end runs. It
// answers on the API's real paths under /api/automation/v1 with JSON bodies
// and FastAPI-shaped errors:
//
//	POST /api/automation/v1/registry-auth/login
//	POST /api/automation/v1/registry-auth/logout
//	GET  /api/automation/v1/operations/{operation_id}
//
// Tests describe the world with [Server.AddKey], [Server.AddServer] and
// [Server.AddCredential], inject failures with [Server.Script], and check the
// outcome with [Server.Requests], [Server.Operations] and [Server.LoggedIn].
//
// Operations run on [time.Now]: an operation started at t with duration d
// reports "running" until the clock reaches t+d. State is settled lazily, in
// the order operations finish, on every request and in every inspection
// method, so no goroutines or timers are involved and a test inside a
// testing/synctest bubble controls time completely (serve the fake with
// internal/memnet there: a socket leaves the bubble).
//
// Everything is safe for concurrent use.
package fakeapi
