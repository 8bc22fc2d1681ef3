package fakeapi

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Never is a duration that makes an operation run forever: it reports
// "running" whatever the clock says.
const Never time.Duration = 1<<63 - 1

// Operation statuses. An operation reports StatusRunning until it ends with a
// terminal one: StatusCompleted, StatusFailed, StatusTimeout, or whatever
// other status a [Credential] or [Logout] says.
const (
	StatusRunning   = "running"
	StatusCompleted = "completed"
	StatusFailed    = "failed"
	StatusTimeout   = "timeout"
)

// Credential is a registry credential a login may name.
type Credential struct {
	// ID is the credential's UUID.
	ID string
	// RegistryURL and RegistryType are what the login reply reports, as is:
	// they are not validated, so a test may give a hostile URL.
	RegistryURL, RegistryType string
	// LoginDuration is how long a login with this credential runs; [Never]
	// means it never finishes.
	LoginDuration time.Duration
	// Result is the login's outcome when it finishes. The zero Result means
	// exit code 0 with stdout "Login Succeeded".
	Result Result
	// Status is the terminal status the login ends with; "" means
	// [StatusCompleted].
	Status string
	// ReplyOperationID, when set, is the operation_id the login reply
	// reports instead of the real one (a broken or hostile API): the login
	// still runs.
	ReplyOperationID string
}

// Result is the outcome of the docker command an operation ran on the server.
type Result struct {
	// ExitCode is the command's exit code, reported as exit_code unless
	// MissingExitCode is set, in which case exit_code is left out.
	ExitCode        int
	MissingExitCode bool
	// Stdout and Stderr are the command's output, encoded faithfully however
	// large or odd.
	Stdout, Stderr string
	// DurationMS is reported as duration_ms; 0 means the operation's duration.
	DurationMS int64
	// DurationJSON, when set, is reported as duration_ms instead, as raw
	// JSON (it must be valid JSON): another number form a JSON API may send
	// ("412.7", "1e3").
	DurationJSON string
}

// Logout says how logouts behave; see [Server.SetLogout].
type Logout struct {
	// Duration is how long a logout runs. With 0 the logout request answers
	// 200 with its terminal status; otherwise 202 with status "running".
	// [Never] means it never finishes.
	Duration time.Duration
	// Result is the logout's outcome. The zero Result means exit code 0 with
	// stdout "Removing login credentials for <registry_url>".
	Result Result
	// Status is the terminal status; "" means [StatusCompleted].
	Status string
}

// Operation is a snapshot of an operation, as [Server.Operations] reports it.
type Operation struct {
	// ID is the operation_id.
	ID string
	// Type is [OpRegistryLogin] or [OpRegistryLogout].
	Type string
	// ServerID and ServerName identify the server it runs on.
	ServerID, ServerName string
	// CredentialID is the credential a login used; "" for a logout.
	CredentialID string
	// RegistryURL is the registry logged in to or out of, and RegistryType its
	// type ("" for a logout).
	RegistryURL, RegistryType string
	// Status is [StatusRunning] or the terminal status.
	Status string
	// Result is the outcome; nil while running.
	Result *Result
	// RunID and RunContext are what the request sent.
	RunID      string
	RunContext map[string]any
	// StartedAt is when the operation started; CompletedAt when it finished,
	// or the zero time while running.
	StartedAt, CompletedAt time.Time
	// Polls counts the GET /operations/{id} requests answered for it.
	Polls int
}

// operation is the server's record of an operation.
type operation struct {
	Operation
	duration time.Duration
	final    Result // with defaults applied
	status   string // terminal status
	seq      int    // creation order, to settle ties
	done     bool
}

// finish is when o ends; ok is false if it never does.
func (o *operation) finish() (t time.Time, ok bool) {
	if o.duration == Never {
		return time.Time{}, false
	}
	return o.StartedAt.Add(o.duration), true
}

// succeeded reports whether o ended completed with exit code 0.
func (o *operation) succeeded() bool {
	return o.done && o.status == StatusCompleted && !o.final.MissingExitCode && o.final.ExitCode == 0
}

// start records a new operation and returns it. s.mu is held.
func (s *Server) start(o *operation, d time.Duration, status string, res Result, now time.Time) *operation {
	o.ID = newUUID()
	o.Status = StatusRunning
	o.StartedAt = now
	o.duration = max(d, 0)
	o.status = cmp.Or(status, StatusCompleted)
	if res.DurationMS == 0 && d != Never {
		res.DurationMS = o.duration.Milliseconds()
	}
	o.final = res
	o.seq = len(s.ops)
	s.ops[o.ID] = o
	s.pending = append(s.pending, o)
	s.settle(now)
	return o
}

// settle finishes, in the order they end, every pending operation whose end
// is not after now, applying logins and logouts to who is logged in. s.mu is
// held.
func (s *Server) settle(now time.Time) {
	var due, keep []*operation
	for _, o := range s.pending {
		if t, ok := o.finish(); ok && !t.After(now) {
			due = append(due, o)
		} else {
			keep = append(keep, o)
		}
	}
	if len(due) == 0 {
		return
	}
	s.pending = keep
	slices.SortFunc(due, func(a, b *operation) int {
		ta, _ := a.finish()
		tb, _ := b.finish()
		return cmp.Or(ta.Compare(tb), cmp.Compare(a.seq, b.seq))
	})
	for _, o := range due {
		o.done = true
		o.Status = o.status
		o.CompletedAt, _ = o.finish()
		res := o.final
		o.Result = &res
		if !o.succeeded() {
			continue
		}
		switch o.Type {
		case OpRegistryLogin:
			if s.loggedIn[o.ServerID] == nil {
				s.loggedIn[o.ServerID] = map[string]struct{}{}
			}
			s.loggedIn[o.ServerID][o.RegistryURL] = struct{}{}
		case OpRegistryLogout:
			delete(s.loggedIn[o.ServerID], o.RegistryURL)
		}
	}
}

// Operations returns snapshots of every operation started so far, in the
// order they started.
func (s *Server) Operations() []Operation {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle(s.now())
	all := slices.SortedFunc(maps.Values(s.ops), func(a, b *operation) int { return cmp.Compare(a.seq, b.seq) })
	out := make([]Operation, len(all))
	for i, o := range all {
		out[i] = o.snapshot()
	}
	return out
}

func (o *operation) snapshot() Operation {
	c := o.Operation
	c.RunContext = maps.Clone(o.RunContext)
	if o.Result != nil {
		r := *o.Result
		c.Result = &r
	}
	return c
}

// operationJSON is the body of GET /operations/{operation_id}.
type operationJSON struct {
	OperationID   string         `json:"operation_id"`
	OperationType string         `json:"operation_type"`
	ServerID      string         `json:"server_id"`
	ServerName    string         `json:"server_name"`
	Status        string         `json:"status"`
	Result        *resultJSON    `json:"result"`
	RunID         string         `json:"run_id"`
	RunContext    map[string]any `json:"run_context"`
	StartedAt     string         `json:"started_at"`
	CompletedAt   *string        `json:"completed_at"`
}

type resultJSON struct {
	ExitCode   *int            `json:"exit_code,omitempty"`
	Stdout     string          `json:"stdout"`
	Stderr     string          `json:"stderr"`
	DurationMS json.RawMessage `json:"duration_ms"`
}

// timestamp formats t as the API does: RFC 3339 in UTC, to the microsecond.
func timestamp(t time.Time) string {
	return t.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)
}

// getOperation answers GET /operations/{id}. s.mu is held.
func (s *Server) getOperation(id string) response {
	o, ok := s.ops[id]
	if !ok {
		return detail(http.StatusNotFound, "Operation not found")
	}
	o.Polls++
	j := operationJSON{
		OperationID:   o.ID,
		OperationType: o.Type,
		ServerID:      o.ServerID,
		ServerName:    o.ServerName,
		Status:        o.Status,
		RunID:         o.RunID,
		RunContext:    o.RunContext,
		StartedAt:     timestamp(o.StartedAt),
	}
	if o.Result != nil {
		r := resultJSON{Stdout: o.Result.Stdout, Stderr: o.Result.Stderr, DurationMS: json.RawMessage(strconv.FormatInt(o.Result.DurationMS, 10))}
		if o.Result.DurationJSON != "" {
			r.DurationMS = json.RawMessage(o.Result.DurationJSON)
		}
		if !o.Result.MissingExitCode {
			r.ExitCode = &o.Result.ExitCode
		}
		j.Result = &r
		c := timestamp(o.CompletedAt)
		j.CompletedAt = &c
	}
	return jsonResponse(http.StatusOK, j)
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
