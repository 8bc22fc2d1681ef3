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
)

// stateKey is the one state key main saves for post; the runner passes it
// back as STATE_login. The API key is never in it.
const stateKey = "login"

// loginState is what post needs to undo a login. Main saves it before the
// login request with no server (a marker: no login yet, and proof that state
// can be written), then as soon as the API accepts the login, then once the
// login has ended.
type loginState struct {
	ServerID    string `json:"server_id,omitempty"`
	RegistryURL string `json:"registry_url,omitempty"`
	// OperationID is the login's operation, or "" when the reply named no
	// usable one.
	OperationID string `json:"operation_id,omitempty"`
	// Finished is true when main saw the login operation reach a terminal
	// status, so post need not wait for it.
	Finished bool `json:"finished,omitempty"`
	// Refused is true when main saw docker login itself exit non-zero
	// (refusedLogin): the server's docker config is unchanged, so there is
	// nothing of ours to log out of.
	Refused bool `json:"refused,omitempty"`
	// ServerName is the server's name as the API gave it, or "".
	ServerName string `json:"server_name,omitempty"`
}

// seal encodes s as one state value: its JSON and an HMAC-SHA256 of it keyed
// by the API key, for the place it is saved (where), each in unpadded
// base64url. A step without the key cannot make a value that open accepts,
// nor move one from one place (or step) to another.
func seal(s loginState, key, where string) string {
	payload, err := json.Marshal(s)
	if err != nil {
		panic(err) // strings and booleans always encode
	}
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + base64.RawURLEncoding.EncodeToString(stateMAC(key, where, p))
}

// open decodes a value seal made with key for where. It fails when the value
// is malformed or its MAC does not match: written by something other than
// this step's main, with this key, for this place.
func open(v, key, where string) (loginState, error) {
	p, mac, _ := strings.Cut(v, ".")
	got, err := base64.RawURLEncoding.DecodeString(mac)
	if err != nil || !hmac.Equal(got, stateMAC(key, where, p)) {
		return loginState{}, errors.New("it was not written by this step's login (its signature does not match)")
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	var s loginState
	if err == nil {
		err = json.Unmarshal(payload, &s)
	}
	if err != nil {
		return loginState{}, fmt.Errorf("it cannot be decoded: %w", err)
	}
	return s, nil
}

func stateMAC(key, where, payload string) []byte {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte("docker-auth state v1\x00" + where + "\x00" + payload))
	return m.Sum(nil)
}

// Where a sealed state is saved: the step's own state, or the GITHUB_ENV
// copy of step (act's post step gets no STATE_*).
const whereState = "state"

func whereEnv(step string) string { return "env " + step }

// stateWriter saves state for the post step: to GITHUB_STATE, and on an
// act-family runner (runnerName) also to GITHUB_ENV under envStateName, the
// one place act hands to the post container. Elsewhere GITHUB_ENV is left
// alone: the runner passes STATE_*, and every later step would see the
// variable.
type stateWriter struct {
	gh  *githubactions.Action
	key string
	// step is GITHUB_ACTION when state is copied to GITHUB_ENV, else "".
	step string
}

func newStateWriter(gh *githubactions.Action, getenv func(string) string, key string) stateWriter {
	w := stateWriter{gh: gh, key: key}
	if runnerName(getenv) != "" && getenv("GITHUB_ENV") != "" {
		w.step = getenv("GITHUB_ACTION")
	}
	return w
}

// save writes s, whole, to every place post may read it from. It fails when
// a file cannot be written (a full disk, say).
func (w stateWriter) save(s loginState) error {
	err := fileCommand(func() { w.gh.SaveState(stateKey, seal(s, w.key, whereState)) })
	if err == nil && w.step != "" {
		err = fileCommand(func() { w.gh.SetEnv(envStateName(w.step), seal(s, w.key, whereEnv(w.step))) })
	}
	if err != nil {
		return fmt.Errorf("cannot save the step's state for the post step: %w", err)
	}
	return nil
}

// fileCommand runs f, which writes a file command with go-githubactions,
// and returns the error the library panics with when the file cannot be
// written.
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

// refusedLogin reports whether docker login ran on the server and exited
// non-zero: a completed or failed operation whose result carries a non-zero
// exit code. docker login then leaves the server's docker config as it was,
// so a logout would remove a login that is not ours (another job's, or one
// kept with cleanup: 'false'). A timeout status or a missing exit code is
// not a refusal: the login may have got as far as writing the config.
func refusedLogin(op *reoclo.Operation) bool {
	if op == nil || (op.Status != reoclo.StatusCompleted && op.Status != reoclo.StatusFailed) {
		return false
	}
	return op.Result != nil && op.Result.ExitCode != nil && *op.Result.ExitCode != 0
}

// readState reads the main step's state, sealed with key: STATE_login when
// the runner passes it, else, on an act-family runner only, the GITHUB_ENV
// copy main left for this step (envStateName of GITHUB_ACTION). ok is false
// when main saved no accepted login: then there is nothing to undo. It
// fails when the value was not sealed by this step's main with this key.
func readState(getenv func(string) string, key string) (s loginState, ok bool, err error) {
	v, where, name := getenv("STATE_"+stateKey), whereState, "STATE_"+stateKey
	if step := getenv("GITHUB_ACTION"); v == "" && step != "" && runnerName(getenv) != "" {
		v, where, name = getenv(envStateName(step)), whereEnv(step), envStateName(step)
	}
	if v == "" {
		return loginState{}, false, nil
	}
	if s, err = open(v, key, where); err != nil {
		return loginState{}, false, fmt.Errorf("saved state %s cannot be used: %w", name, err)
	}
	return s, s.ServerID != "", nil
}
