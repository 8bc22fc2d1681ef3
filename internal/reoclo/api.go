package reoclo

import "encoding/json"

// The terminal statuses, as the API reports them.
const (
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

// Request is the body of POST /registry-auth/login (with a credential) and
// of POST /registry-auth/logout (with a registry).
type Request struct {
	ServerID     string     `json:"server_id"`
	CredentialID string     `json:"credential_id,omitempty"`
	RegistryURL  string     `json:"registry_url,omitempty"`
	RunID        string     `json:"run_id"`
	RunContext   RunContext `json:"run_context"`
}

// LoginAccepted is the API's reply to a login: the operation it started and
// the registry the credential belongs to.
type LoginAccepted struct {
	OperationID  string `json:"operation_id"`
	RegistryURL  string `json:"registry_url"`
	RegistryType string `json:"registry_type"`
}

// LogoutAccepted is the API's reply to a logout. Status is "completed" when
// the logout is already done, "running" when it must be followed.
type LogoutAccepted struct {
	OperationID string `json:"operation_id"`
	Status      string `json:"status"`
}

// Operation is what GET /operations/{id} reports, as far as the action reads.
type Operation struct {
	OperationID string  `json:"operation_id"`
	ServerID    string  `json:"server_id"`
	ServerName  string  `json:"server_name"`
	Status      string  `json:"status"`
	Result      *Result `json:"result"`
}

// Result is what the command run on the server reported.
type Result struct {
	ExitCode *int   `json:"exit_code"`
	Stdout   Output `json:"stdout"`
	Stderr   Output `json:"stderr"`
}

// Succeeded reports whether the operation finished and its command exited 0.
// A missing exit code is a failure.
func (o *Operation) Succeeded() bool {
	return o.Status == StatusCompleted && o.Result != nil && o.Result.ExitCode != nil && *o.Result.ExitCode == 0
}

// Output is a command's output on the server, bounded: the action prints
// its start and quotes a line of its end. Untrusted: print it only through
// internal/untrusted.
type Output struct {
	Head string // the start, at most MaxOutput bytes: all of a short text
	Tail string // the end, about 4 KiB: all of a short text
	Size int    // the text's length, or that of its JSON form (about as long) when too long to keep whole
}

// MaxOutput is how much of an output's start Output keeps; tailBytes, of a
// long output's end.
const (
	MaxOutput = 64 << 10
	tailBytes = 4 << 10
)

// UnmarshalJSON implements json.Unmarshaler. A short text is decoded whole;
// of a long one only its start and its end (part): it is never held whole.
func (o *Output) UnmarshalJSON(raw []byte) error {
	if len(raw) <= MaxOutput+tailBytes || raw[0] != '"' {
		var s *string // null leaves the output empty; other kinds get the library's error
		if err := json.Unmarshal(raw, &s); err != nil || s == nil {
			return err
		}
		*o = Output{Head: (*s)[:min(len(*s), MaxOutput)], Tail: *s, Size: len(*s)}
		return nil
	}
	*o = Output{Head: part(raw, MaxOutput, false), Tail: part(raw, tailBytes, true), Size: len(raw) - 2}
	return nil
}

// part decodes n bytes of raw's start (or end), raw being a JSON string
// longer than n: the cut moves inward, by at most an escape's 6 bytes,
// until encoding/json takes it. (A tail may begin inside an escape that
// still decodes, as the "n" of "\n": a letter before its first line.)
func part(raw []byte, n int, end bool) string {
	for i := range 7 {
		lit := append(append(make([]byte, 0, n+1), raw[:n-i]...), '"')
		if end {
			lit = append([]byte{'"'}, raw[len(raw)-n+i:]...)
		}
		var s string
		if json.Unmarshal(lit, &s) == nil {
			return s
		}
	}
	return ""
}
