package action

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reoclo/docker-auth/internal/testkit/fakeapi"
)

// TestTroubleshooting holds the messages the docs quote to what the action
// prints: the code span that starts each row of a table in
// docs/troubleshooting.md and in the README's common problems ("…" standing
// for any text) is in the output of one of the runs below.
func TestTroubleshooting(t *testing.T) {
	var printed []string
	for _, tc := range mainFailures {
		synctest.Test(t, func(t *testing.T) {
			e := newTestEnv(t)
			tc.setup(e)
			printed = append(printed, e.run(RoleMain, nil).stdout)
		})
	}
	for _, run := range []func(e *testEnv) string{
		func(e *testEnv) string { // a logout that keeps failing, in the post step and the logout step
			state := loggedIn(t, e)
			e.api.Script(fakeapi.RouteLogout, fakeapi.Fault{Status: 500, Times: fakeapi.Forever})
			post := e.run(RolePost, state).stdout
			logoutStep(e)
			return post + e.run(RoleLogout, nil).stdout
		},
		func(e *testEnv) string { // a state the step's main did not seal
			return e.run(RolePost, map[string]string{stateKey: seal(loginState{ServerID: serverID}, "rca_other", "STATE_"+stateKey)}).stdout
		},
	} {
		synctest.Test(t, func(t *testing.T) { printed = append(printed, run(newTestEnv(t))) })
	}
	e := newTestEnv(t) // a private CA the runner does not trust: a real TLS handshake
	srv := httptest.NewTLSServer(e.api)
	defer srv.Close()
	e.transport, e.inputs["api_url"] = nil, srv.URL
	printed = append(printed, e.run(RoleMain, nil).stdout)

	out := strings.Join(printed, "\n")
	quotes := 0
	for doc, section := range map[string]string{"docs/troubleshooting.md": "", "README.md": "## Common problems"} {
		data, err := os.ReadFile(filepath.Join("..", "..", doc))
		require.NoError(t, err)
		text := string(data)
		if section != "" {
			_, text, _ = strings.Cut(text, "\n"+section+"\n")
			text, _, _ = strings.Cut(text, "\n## ")
		}
		for _, q := range regexp.MustCompile("(?m)^\\| `([^`]+)`").FindAllStringSubmatch(text, -1) {
			quotes++
			pattern := strings.ReplaceAll(regexp.QuoteMeta(q[1]), "…", ".*?")
			assert.Regexp(t, pattern, out, "%s quotes %q, which the action does not print", doc, q[1])
		}
	}
	assert.Greater(t, quotes, 20, "the tables were read") // 17 in docs/troubleshooting.md, 5 in the README
}
