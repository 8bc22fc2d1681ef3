package e2e

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reoclo/docker-auth/internal/testkit/fakeapi"
)

// The job summary as the runner collects it from the GITHUB_STEP_SUMMARY
// file of each step, main and post: the README's "Job summary" section
// describes these sections.
func TestJobSummaryForEachStep(t *testing.T) {
	w := newWorld(t)
	w.api.AddCredential(fakeapi.Credential{ID: badCred, RegistryURL: "harbor.example.com", RegistryType: "harbor",
		LoginDuration: 400 * time.Millisecond, Status: fakeapi.StatusFailed,
		Result: fakeapi.Result{ExitCode: 1, Stderr: "unauthorized: authentication required\n"}})
	ok := w.step("ghcr", ghcrCred, nil)
	kept := w.step("hub", hubCred, map[string]string{"cleanup": "false"})
	refused := w.step("harbor", badCred, nil)
	bad := w.step("typo", "not-a-uuid", nil)

	mainOK := w.main(context.Background(), ok)
	require.False(t, mainOK.Failed, mainOK.LogText())
	mainKept := w.main(context.Background(), kept)
	require.False(t, mainKept.Failed, mainKept.LogText())
	mainRefused := w.main(context.Background(), refused)
	require.True(t, mainRefused.Failed)
	mainBad := w.main(context.Background(), bad)
	require.True(t, mainBad.Failed)

	ops := w.api.Operations()
	require.Len(t, ops, 3)
	okOp, refusedOp := ops[0].ID, ops[2].ID
	const loginTable = "| Result | Registry | Type | Server | Operation | Duration |\n| --- | --- | --- | --- | --- | --- |\n"
	assert.Regexp(t, `^### Registry login\n\n`+regexp.QuoteMeta(loginTable)+`\| Logged in \| ghcr\.io \| ghcr \| prod-api \| `+"`"+okOp+"`"+` \| 0\.\d s \|\n\n$`, mainOK.Summary)
	assert.Contains(t, mainRefused.Summary, "| Failed | harbor.example.com | harbor | prod-api | `"+refusedOp+"` | ")
	assert.Contains(t, mainRefused.Summary, "\n\n**Reason:** docker login failed on server prod-api (operation "+refusedOp+
		", status failed, exit code 1): unauthorized: authentication required; check the user name and password or token stored with this credential in Reoclo")
	assert.Equal(t, "### Registry login\n\nFailed before any login started on the server.\n\n"+
		"**Reason:** input credential\\_id: must be a UUID such as 6f1c2b8e-3d4a-4e5f-9a6b-7c8d9e0f1a2b (got 10 characters that are not one)\n\n",
		mainBad.Summary)

	// Post steps run in reverse order.
	postBad := w.post(bad, mainBad)
	assert.Equal(t, "### Registry logout\n\nNothing to log out: the main step did not start a login.\n\n", postBad.Summary)
	postRefused := w.post(refused, mainRefused)
	assert.True(t, strings.HasPrefix(postRefused.Summary, "### Registry logout\n\n"), postRefused.Summary)
	postKept := w.post(kept, mainKept)
	assert.Equal(t, "### Registry logout\n\nKept logged in: cleanup is 'false', so nothing was sent.\n\n", postKept.Summary)
	postOK := w.post(ok, mainOK)
	const logoutTable = "| Result | Registry | Server | Operation | Duration |\n| --- | --- | --- | --- | --- |\n"
	assert.Regexp(t, `^### Registry logout\n\n`+regexp.QuoteMeta(logoutTable)+"\\| Logged out \\| ghcr\\.io \\| prod-api \\| `[0-9a-f-]+` \\| \\d+\\.\\d s \\|\n\n$", postOK.Summary)
}
