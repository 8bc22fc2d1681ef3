package reoclo

import "encoding/json"

// Statuses as the API reports them.
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

// Operation is an operation as GET /operations/{id} reports it, as far as
// the action reads it.
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

// IsTerminal reports whether an operation in this status will change no more.
func IsTerminal(status string) bool {
	return status == StatusCompleted || status == StatusFailed || status == StatusTimeout
}

// Succeeded reports whether the operation finished and its command exited 0.
// A missing exit code is a failure.
func (o *Operation) Succeeded() bool {
	return o.Status == StatusCompleted && o.Result != nil && o.Result.ExitCode != nil && *o.Result.ExitCode == 0
}

// Output is a command's output on the server, kept bounded: a reply may
// carry megabytes of it, and the action prints at most the first
// MaxOutput bytes and quotes a line from the end. Text is untrusted: print
// it only through internal/untrusted.
type Output struct {
	// Head is the text's start, all of it when it is at most MaxOutput
	// bytes.
	Head string
	// Tail is the text's end (the last tailBytes, about): all of it when it
	// is short.
	Tail string
	// Size is the text's length in bytes, or, when it was too long to keep,
	// the length of its JSON escaped form, about as long.
	Size int
}

// MaxOutput is how much of an output's start Output keeps.
const MaxOutput = 64 << 10

// tailBytes is how much of a long output's end Output keeps: enough for
// its last lines.
const tailBytes = 4 << 10

// UnmarshalJSON implements json.Unmarshaler. A short text is decoded
// whole; of a long one only its start and its end are decoded, from a cut
// of the JSON string that encoding/json accepts, so it is never held whole.
func (o *Output) UnmarshalJSON(raw []byte) error {
	if len(raw) <= MaxOutput+tailBytes || raw[0] != '"' {
		var s *string // null leaves the output empty; other kinds get the library's error
		if err := json.Unmarshal(raw, &s); err != nil || s == nil {
			return err
		}
		*o = Output{Head: *s, Tail: *s, Size: len(*s)}
		if len(*s) > MaxOutput {
			o.Head = (*s)[:MaxOutput]
		}
		return nil
	}
	*o = Output{Head: part(raw, MaxOutput, false), Tail: part(raw, tailBytes, true), Size: len(raw) - 2}
	return nil
}

// part decodes n bytes of the start (or the end) of raw, a valid JSON
// string literal longer than n. The cut moves inward, a byte at a time and
// at most the 6 bytes of an escape (\uXXXX), until it splits no escape and
// encoding/json takes it. (A tail may begin inside an escape encoding/json
// also takes, such as the "n" of "\n": a letter more or less at the start
// of the tail, which is only ever quoted from its end.)
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
