package fakeapi

import (
	"net/http"
	"slices"
	"strings"
)

// Operation types, as the API names them in key scopes and in the
// operation_type field of an operation.
const (
	OpRegistryLogin  = "registry_login"
	OpRegistryLogout = "registry_logout"
)

// Any is the entry that, in any list of a [Scope], allows everything of that
// kind.
const Any = "*"

// Scope is what an API key may do: the operation types it may start
// ([OpRegistryLogin], [OpRegistryLogout]), the server IDs and the credential
// IDs it may use. Any entry may be [Any]. The zero Scope allows nothing.
type Scope struct {
	Operations  []string
	Servers     []string
	Credentials []string
}

// AllScopes returns a Scope that allows every operation on every server with
// every credential.
func AllScopes() Scope {
	return Scope{Operations: []string{Any}, Servers: []string{Any}, Credentials: []string{Any}}
}

func (sc Scope) clone() Scope {
	c := Scope{Operations: slices.Clone(sc.Operations)}
	for _, id := range sc.Servers {
		c.Servers = append(c.Servers, canonicalID(id))
	}
	for _, id := range sc.Credentials {
		c.Credentials = append(c.Credentials, canonicalID(id))
	}
	return c
}

func allows(list []string, v string) bool {
	return slices.Contains(list, Any) || slices.Contains(list, v)
}

// authenticate checks the bearer token. s.mu is held.
func (s *Server) authenticate(h http.Header) (Scope, response, bool) {
	auth := h.Get("Authorization")
	if auth == "" {
		return Scope{}, unauthorized("Not authenticated"), false
	}
	scheme, key, _ := strings.Cut(auth, " ")
	if !strings.EqualFold(scheme, "bearer") || key == "" {
		return Scope{}, unauthorized("Invalid authentication credentials"), false
	}
	scope, ok := s.keys[key]
	if !ok {
		return Scope{}, unauthorized("Invalid or expired API key"), false
	}
	return scope, response{}, true
}

// checkScope answers 403 unless scope allows operation op on server and, if
// credential is not empty, with credential.
func checkScope(scope Scope, op, server, credential string) (response, bool) {
	switch {
	case !allows(scope.Operations, op):
		return detail(http.StatusForbidden, "Operation "+op+" not in scope for this key"), false
	case !allows(scope.Servers, server):
		return detail(http.StatusForbidden, "Server not in scope for this key"), false
	case credential != "" && !allows(scope.Credentials, credential):
		return detail(http.StatusForbidden, "Credential not in scope for this key"), false
	}
	return response{}, true
}
