package reoclo

import (
	"bytes"
	"errors"
	"math"
	"strconv"
)

// Operation types and statuses as the API reports them.
const (
	StatusRunning   = "running"
	StatusCompleted = "completed"
	StatusFailed    = "failed"
	StatusTimeout   = "timeout"
)

// RunContext describes the workflow run that asked for an operation. The API
// records it in the audit log with every login and logout.
type RunContext struct {
	Provider   string `json:"provider"`
	Repository string `json:"repository,omitempty"`
	Workflow   string `json:"workflow,omitempty"`
	Trigger    string `json:"trigger,omitempty"`
	Actor      string `json:"actor,omitempty"`
	SHA        string `json:"sha,omitempty"`
	Ref        string `json:"ref,omitempty"`
}

// LoginRequest is the body of POST /registry-auth/login.
type LoginRequest struct {
	ServerID     string     `json:"server_id"`
	CredentialID string     `json:"credential_id"`
	RunID        string     `json:"run_id"`
	RunContext   RunContext `json:"run_context"`
}

// LoginAccepted is the API's reply to a login: the operation it started and
// the registry the credential belongs to.
type LoginAccepted struct {
	OperationID  string `json:"operation_id"`
	Status       string `json:"status"`
	RegistryURL  string `json:"registry_url"`
	RegistryType string `json:"registry_type"`
}

// LogoutRequest is the body of POST /registry-auth/logout.
type LogoutRequest struct {
	ServerID    string     `json:"server_id"`
	RegistryURL string     `json:"registry_url"`
	RunID       string     `json:"run_id"`
	RunContext  RunContext `json:"run_context"`
}

// LogoutAccepted is the API's reply to a logout. Status is "completed" when
// the logout is already done, "running" when it must be followed.
type LogoutAccepted struct {
	OperationID string `json:"operation_id"`
	Status      string `json:"status"`
}

// Operation is an operation as GET /operations/{id} reports it.
type Operation struct {
	OperationID   string  `json:"operation_id"`
	OperationType string  `json:"operation_type"`
	ServerID      string  `json:"server_id"`
	ServerName    string  `json:"server_name"`
	Status        string  `json:"status"`
	Result        *Result `json:"result"`
}

// Result is what the command run on the server reported. Stdout and Stderr
// are untrusted text: print them only through a guard.
type Result struct {
	ExitCode *int   `json:"exit_code"`
	Stdout   string `json:"stdout"`
	Stderr   string `json:"stderr"`
	// DurationMS is informational: any JSON number form is accepted (412,
	// 412.7, 4.127e2), and a value of another kind is ignored.
	DurationMS Millis `json:"duration_ms"`
}

// Millis is an informational number of milliseconds. It decodes from any
// JSON number (a float, an exponent, one too large for float64 saturates),
// and ignores null and values of other kinds rather than fail the reply.
type Millis float64

// UnmarshalJSON implements json.Unmarshaler.
func (m *Millis) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) {
		return nil // null, a string, an object...: informational, so left out
	}
	f, err := strconv.ParseFloat(string(b), 64)
	var numErr *strconv.NumError
	if err != nil && !(errors.As(err, &numErr) && errors.Is(numErr.Err, strconv.ErrRange)) {
		return nil
	}
	if math.IsNaN(f) {
		return nil
	}
	*m = Millis(f)
	return nil
}

// IsTerminal reports whether an operation in this status will change no more.
func IsTerminal(status string) bool {
	switch status {
	case StatusCompleted, StatusFailed, StatusTimeout:
		return true
	}
	return false
}

// Succeeded reports whether the operation finished and its command exited 0.
// A missing exit code is a failure.
func (o *Operation) Succeeded() bool {
	return o.Status == StatusCompleted && o.Result != nil && o.Result.ExitCode != nil && *o.Result.ExitCode == 0
}
