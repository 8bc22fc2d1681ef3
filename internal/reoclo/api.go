package reoclo

import "encoding/json"

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
	ExitCode   *int   `json:"exit_code"`
	Stdout     string `json:"stdout"`
	Stderr     string `json:"stderr"`
	DurationMS int64  `json:"duration_ms"`
}

// UnmarshalJSON implements json.Unmarshaler. It decodes stdout and stderr
// with one copy each: encoding/json unquotes a string into a buffer and then
// copies the buffer into the string, so 5 MB of docker output would be held
// three times at once (reply, buffer, string).
func (r *Result) UnmarshalJSON(b []byte) error {
	var raw struct {
		ExitCode   *int       `json:"exit_code"`
		Stdout     outputText `json:"stdout"`
		Stderr     outputText `json:"stderr"`
		DurationMS int64      `json:"duration_ms"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*r = Result{ExitCode: raw.ExitCode, Stdout: string(raw.Stdout), Stderr: string(raw.Stderr), DurationMS: raw.DurationMS}
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
