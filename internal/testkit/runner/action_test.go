package runner

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadAction(t *testing.T) {
	a, err := LoadAction(filepath.Join("testdata", "action.yml"))
	require.NoError(t, err)

	assert.Equal(t, "Runner emulator test action", a.Name)
	assert.Equal(t, map[string]string{"icon": "lock", "color": "blue"}, a.Branding)
	assert.Equal(t, []string{"api_key", "server id", "api-url", "cleanup", "timeout"}, a.InputNames)
	assert.Equal(t, Input{Description: "Required, no default.", Required: true}, a.Inputs["api_key"])
	assert.Equal(t, Input{Description: "A quoted default.", Default: "true", HasDefault: true}, a.Inputs["cleanup"])
	assert.Equal(t, "120", a.Inputs["timeout"].Default, "an unquoted number default is kept as written")
	assert.False(t, a.Inputs["server id"].HasDefault)
	assert.Equal(t, map[string]Output{"operation_id": {Description: "The operation."}}, a.Outputs)
	assert.Equal(t, Runs{
		Using: "docker", Image: "Dockerfile", Entrypoint: "/docker-auth", PostEntrypoint: "/docker-auth-post",
	}, a.Runs)
}

func TestLoadActionRejects(t *testing.T) {
	for _, tc := range []struct {
		file, want string
	}{
		{"unknown_key.yml", "post_entrypoint"},
		{"bad_input.yml", "field deprecated not found"},
		{"runs_args.yml", "field args not found"},
		{"node_action.yml", "runs.using"},
		{"missing.yml", "no such file"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			_, err := LoadAction(filepath.Join("testdata", tc.file))
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

func TestParseActionRequiresImage(t *testing.T) {
	_, err := ParseAction([]byte("name: x\nruns:\n  using: docker\n  entrypoint: /x\n"))
	assert.ErrorContains(t, err, "runs.image")
}

// The project's own action.yml must load: it is what the end-to-end test, the demo and the image
// test run.
func TestLoadProjectAction(t *testing.T) {
	a, err := LoadAction(filepath.Join("..", "..", "..", "action.yml"))
	require.NoError(t, err)
	assert.Equal(t, "/docker-auth", a.Runs.Entrypoint)
	assert.Equal(t, "/docker-auth-post", a.Runs.PostEntrypoint)
	assert.Equal(t, "always()", a.Runs.PostIf)
}
