package fakeapi

import (
	"cmp"
	"net/http"
	"time"
)

var loginFields = []field{
	{"server_id", kindUUID},
	{"credential_id", kindUUID},
	{"run_id", kindString},
	{"run_context", kindStringMap},
}

var logoutFields = []field{
	{"server_id", kindUUID},
	{"registry_url", kindNonEmptyString},
	{"run_id", kindString},
	{"run_context", kindStringMap},
}

// login answers POST /registry-auth/login. s.mu is held.
//
// Checks, in order: body (422), scope of the key for the operation, the
// server and the credential (403), existence of the server and the
// credential (404). It then starts a login operation and answers
// 202 {"operation_id", "status": "running", "registry_url", "registry_type"}.
func (s *Server) login(scope Scope, raw []byte, now time.Time) response {
	b, errs := parseBody(raw, loginFields)
	if errs != nil {
		return unprocessable(errs)
	}
	serverID, credID := b.str("server_id"), b.str("credential_id")
	if resp, ok := checkScope(scope, OpRegistryLogin, serverID, credID); !ok {
		return resp
	}
	name, ok := s.servers[serverID]
	if !ok {
		return detail(http.StatusNotFound, "Server not found")
	}
	cred, ok := s.creds[credID]
	if !ok {
		return detail(http.StatusNotFound, "Credential not found")
	}
	res := cred.Result
	if res == (Result{}) {
		res.Stdout = "Login Succeeded"
	}
	o := s.start(&operation{Operation: Operation{
		Type:         OpRegistryLogin,
		ServerID:     serverID,
		ServerName:   name,
		CredentialID: credID,
		RegistryURL:  cred.RegistryURL,
		RegistryType: cred.RegistryType,
		RunID:        b.str("run_id"),
		RunContext:   b.object("run_context"),
	}}, cred.LoginDuration, cred.Status, res, now)
	return jsonResponse(http.StatusAccepted, map[string]string{
		"operation_id":  cmp.Or(cred.ReplyOperationID, o.ID),
		"status":        StatusRunning,
		"registry_url":  o.RegistryURL,
		"registry_type": o.RegistryType,
	})
}

// logoutReq answers POST /registry-auth/logout. s.mu is held.
//
// Checks, in order: body (422), scope of the key for the operation and the
// server (403), existence of the server (404). It then starts a logout
// operation and answers 200 with its terminal status if it takes no time,
// else 202 {"operation_id", "status": "running"}.
func (s *Server) logoutReq(scope Scope, raw []byte, now time.Time) response {
	b, errs := parseBody(raw, logoutFields)
	if errs != nil {
		return unprocessable(errs)
	}
	serverID, url := b.str("server_id"), b.str("registry_url")
	if resp, ok := checkScope(scope, OpRegistryLogout, serverID, ""); !ok {
		return resp
	}
	name, ok := s.servers[serverID]
	if !ok {
		return detail(http.StatusNotFound, "Server not found")
	}
	res := s.logout.Result
	if res == (Result{}) {
		res.Stdout = "Removing login credentials for " + url
	}
	o := s.start(&operation{Operation: Operation{
		Type:        OpRegistryLogout,
		ServerID:    serverID,
		ServerName:  name,
		RegistryURL: url,
		RunID:       b.str("run_id"),
		RunContext:  b.object("run_context"),
	}}, s.logout.Duration, s.logout.Status, res, now)
	status := http.StatusAccepted
	if o.done {
		status = http.StatusOK
	}
	return jsonResponse(status, map[string]string{
		"operation_id": o.ID,
		"status":       cmp.Or(o.Status, StatusRunning),
	})
}
