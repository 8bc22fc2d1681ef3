package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// shipped are the packages the binary may be built from, besides the
// standard library: this module's shipped packages and the libraries they use.
// Everything under internal/testkit (the fake API, the runner emulation, the
// harnesses) and the test libraries must stay out.
var shipped = map[string]bool{
	"github.com/reoclo/docker-auth":                    true,
	"github.com/reoclo/docker-auth/internal/action":    true,
	"github.com/reoclo/docker-auth/internal/config":    true,
	"github.com/reoclo/docker-auth/internal/reoclo":    true,
	"github.com/reoclo/docker-auth/internal/untrusted": true,
	"github.com/sethvargo/go-githubactions":            true,
	"github.com/hashicorp/go-retryablehttp":            true,
	"github.com/hashicorp/go-cleanhttp":                true,
}

// TestShippedDependencies fails when the binary's import graph (tests left
// out) reaches a package that is not shipped: a shipped package that imports
// the test kit, or a new dependency nobody chose.
func TestShippedDependencies(t *testing.T) {
	out, err := exec.CommandContext(t.Context(), "go", "list", "-deps",
		"-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	require.NoError(t, err, "go list -deps")
	deps := strings.Fields(string(out))
	require.Contains(t, deps, "github.com/reoclo/docker-auth/internal/action", "go list saw the import graph")
	for _, dep := range deps {
		assert.True(t, shipped[dep], "the binary imports %s, which is not shipped code", dep)
	}
}
