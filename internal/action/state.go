package action

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/reoclo/docker-auth/internal/reoclo"
	"github.com/reoclo/docker-auth/internal/untrusted"
)

// stateKey is the one state key main saves for post: the runner passes it
// back as STATE_login. The API key is never in it.
const stateKey = "login"

// loginState is what post needs to undo a login. Main saves it with no
// server before the login (a marker, and proof that state can be written),
// then once the API accepted the login, then once the login has ended.
type loginState struct {
	ServerID    string `json:"server_id,omitempty"`
	RegistryURL string `json:"registry_url,omitempty"`
	// OperationID is "" when the login reply named no usable operation.
	OperationID string `json:"operation_id,omitempty"`
	// Finished: main saw the login end, so post need not wait for it.
	Finished bool `json:"finished,omitempty"`
	// Refused: docker login itself refused the login (refusedLogin), so
	// there is nothing of ours to undo.
	Refused    bool   `json:"refused,omitempty"`
	ServerName string `json:"server_name,omitempty"`
	// Run names the run, attempt and job that saved it (runOf), so that a
	// value from another run, an old log, say, is refused.
	Run string `json:"run,omitempty"`
}

// runOf names this run's attempt at this job: "4242.1.deploy".
func runOf(getenv func(string) string) string {
	return strings.Trim(getenv("GITHUB_RUN_ID")+"."+getenv("GITHUB_RUN_ATTEMPT")+"."+getenv("GITHUB_JOB"), ".")
}

// seal encodes s for the variable named name: its JSON and an HMAC-SHA256
// of it and the name keyed by the API key. A step without the key can
// neither forge one nor move one to another name (step or place).
func seal(s loginState, key, name string) string {
	payload, _ := json.Marshal(s) // strings and booleans always encode
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + base64.RawURLEncoding.EncodeToString(stateMAC(key, name, p))
}

// open decodes a value seal made with key for the variable named name.
func open(v, key, name string) (loginState, error) {
	p, mac, _ := strings.Cut(v, ".")
	got, err := base64.RawURLEncoding.DecodeString(mac)
	if err != nil || !hmac.Equal(got, stateMAC(key, name, p)) {
		return loginState{}, errors.New("it was not written by this step's login (its signature does not match)")
	}
	var s loginState
	payload, err := base64.RawURLEncoding.DecodeString(p)
	if err == nil {
		err = json.Unmarshal(payload, &s)
	}
	return s, err
}

func stateMAC(key, name, payload string) []byte {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte("docker-auth state v1\x00" + name + "\x00" + payload))
	return m.Sum(nil)
}

// stateWriter saves state to GITHUB_STATE and, on act-family runners only
// (elsewhere every later step would see it), to GITHUB_ENV (envStateName).
type stateWriter struct {
	gh   *githubactions.Action
	key  string
	run  string // runOf
	copy string // the GITHUB_ENV variable, or ""
}

func newStateWriter(gh *githubactions.Action, getenv func(string) string, key string) stateWriter {
	w := stateWriter{gh: gh, key: key, run: runOf(getenv)}
	if runnerName(getenv) != "" && getenv("GITHUB_ENV") != "" {
		w.copy = envStateName(getenv("GITHUB_ACTION"))
	}
	return w
}

// save writes s to every place post may read it from. It fails when a file
// cannot be written (a full disk, say).
// The copy is masked: act prints what a step sets in GITHUB_ENV.
func (w stateWriter) save(s loginState) error {
	s.Run = w.run
	err := fileCommand(func() { w.gh.SaveState(stateKey, seal(s, w.key, "STATE_"+stateKey)) })
	if err == nil && w.copy != "" {
		v := seal(s, w.key, w.copy)
		w.gh.AddMask(v)
		err = fileCommand(func() { w.gh.SetEnv(w.copy, v) })
	}
	if err != nil {
		return fmt.Errorf("cannot save the step's state for the post step: %w", err)
	}
	return nil
}

// fileCommand runs f, which writes a file command with go-githubactions,
// and returns the error the library panics with when it cannot.
func fileCommand(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if err, _ = r.(error); err == nil {
				err = fmt.Errorf("%v", r)
			}
		}
	}()
	f()
	return nil
}

// readState opens main's state, STATE_login or, on an act-family runner that
// passed none, this step's GITHUB_ENV copy. ok is false when main saved no
// accepted login; it fails when this step's main, in this run, did not seal
// it.
func readState(getenv func(string) string, key string) (s loginState, ok bool, err error) {
	name := "STATE_" + stateKey
	if step := getenv("GITHUB_ACTION"); getenv(name) == "" && step != "" && runnerName(getenv) != "" {
		name = envStateName(step)
	}
	if getenv(name) == "" {
		return loginState{}, false, nil
	}
	if s, err = open(getenv(name), key, name); err != nil {
		return loginState{}, false, fmt.Errorf("saved state %s cannot be used: %w", name, err)
	}
	if s.Run != runOf(getenv) {
		return loginState{}, false, fmt.Errorf("saved state %s cannot be used: it was saved by run %s, not this one (%s)",
			name, untrusted.Line(s.Run), runOf(getenv))
	}
	return s, s.ServerID != "", nil
}

// refusedLogin reports a completed or failed login with a non-zero exit
// code: docker login left the config as it was, and a logout would remove a
// login not ours. A timeout or no exit code may have reached the config.
func refusedLogin(op *reoclo.Operation) bool {
	return (op.Status == reoclo.StatusCompleted || op.Status == reoclo.StatusFailed) &&
		op.Result != nil && op.Result.ExitCode != nil && *op.Result.ExitCode != 0
}
