package action

import (
	"context"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reoclo/docker-auth/internal/config"
	"github.com/reoclo/docker-auth/internal/testkit/runner"
)

// loadActionYML reads the repository's action.yml the way the runner does:
// unknown keys are errors.
func loadActionYML(t *testing.T) *runner.Action {
	t.Helper()
	a, err := runner.LoadAction(filepath.Join("..", "..", "action.yml"))
	require.NoError(t, err)
	return a
}

// declaredDefaults maps each input of a that declares a default to it.
func declaredDefaults(a *runner.Action) map[string]string {
	m := map[string]string{}
	for n, in := range a.Inputs {
		if in.HasDefault {
			m[n] = in.Default
		}
	}
	return m
}

// inputsRead records every input name the config package asks for.
func inputsRead(load func(config.GetInputFunc)) []string {
	seen := map[string]bool{}
	load(func(name string) string {
		seen[name] = true
		return map[string]string{"cleanup": "true"}[name]
	})
	var names []string
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func TestActionYMLMatchesTheCode(t *testing.T) {
	a := loadActionYML(t)

	t.Run("metadata GitHub requires", func(t *testing.T) {
		assert.NotEmpty(t, a.Name)
		assert.NotEmpty(t, a.Description)
		assert.NotEmpty(t, a.Branding["icon"])
		assert.NotEmpty(t, a.Branding["color"])
	})

	t.Run("runs: one binary, two entry points, post always", func(t *testing.T) {
		assert.Equal(t, "docker", a.Runs.Using)
		assert.NotEmpty(t, a.Runs.Image)
		assert.Equal(t, "/docker-auth", a.Runs.Entrypoint)
		assert.Equal(t, "/"+PostName, a.Runs.PostEntrypoint)
		assert.NotContains(t, a.Runs.PostEntrypoint, " ", "an entry point is one path, never split into arguments")
		assert.Equal(t, RoleMain, RoleOf(a.Runs.Entrypoint))
		assert.Equal(t, RolePost, RoleOf(a.Runs.PostEntrypoint))
		assert.Equal(t, "always()", a.Runs.PostIf)
	})

	t.Run("every input read is declared, every declared input is read", func(t *testing.T) {
		read := map[string]bool{}
		for _, n := range inputsRead(func(g config.GetInputFunc) { _, _ = config.Load(g) }) {
			read[n] = true
		}
		for _, n := range inputsRead(func(g config.GetInputFunc) { _, _ = config.LoadPost(g) }) {
			read[n] = true
		}
		var readNames, declared []string
		for n := range read {
			readNames = append(readNames, n)
		}
		for n := range a.Inputs {
			declared = append(declared, n)
		}
		sort.Strings(readNames)
		sort.Strings(declared)
		assert.Equal(t, declared, readNames)
		assert.ElementsMatch(t, config.Inputs(), declared)
	})

	t.Run("inputs are described, named with underscores, required as the code needs", func(t *testing.T) {
		name := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
		for n, in := range a.Inputs {
			assert.NotEmpty(t, in.Description, "input %s", n)
			assert.Regexp(t, name, n, "hyphens would be kept in INPUT_ names")
		}
		for _, n := range []string{"api_key", "server_id", "credential_id"} {
			assert.True(t, a.Inputs[n].Required, n)
			assert.False(t, a.Inputs[n].HasDefault, n)
		}
		assert.Equal(t, "true", a.Inputs["cleanup"].Default)
		assert.Equal(t, "https://api.reoclo.com", a.Inputs["api_url"].Default)
		assert.Equal(t, "120", a.Inputs["timeout"].Default)
	})

	t.Run("the code's defaults for absent inputs are action.yml's", func(t *testing.T) {
		assert.Equal(t, declaredDefaults(a), config.Defaults())
	})

	t.Run("the defaults are valid inputs", func(t *testing.T) {
		in := map[string]string{"api_key": testKey, "server_id": serverID, "credential_id": ghcrCred}
		for n, def := range a.Inputs {
			if def.HasDefault {
				in[n] = def.Default
			}
		}
		_, err := config.Load(func(n string) string { return in[n] })
		assert.NoError(t, err)
	})

	t.Run("outputs: declared, described, and exactly what a login sets", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := newTestEnv(t)
			res := e.run(context.Background(), RoleMain, nil)
			require.Equal(t, 0, res.code, res.stdout)
			var set, declared []string
			for n := range res.outputs {
				set = append(set, n)
			}
			for n, out := range a.Outputs {
				declared = append(declared, n)
				assert.NotEmpty(t, out.Description, "output %s", n)
			}
			sort.Strings(set)
			sort.Strings(declared)
			assert.Equal(t, declared, set)
		})
	})
}

func TestLogoutActionYMLMatchesTheCode(t *testing.T) {
	a, err := runner.LoadAction(filepath.Join("..", "..", "logout", "action.yml"))
	require.NoError(t, err)
	main := loadActionYML(t)

	t.Run("metadata GitHub requires", func(t *testing.T) {
		assert.NotEmpty(t, a.Name)
		assert.NotEqual(t, main.Name, a.Name, "a Marketplace name is unique")
		assert.NotEmpty(t, a.Description)
		assert.NotEmpty(t, a.Branding["icon"])
		assert.NotEmpty(t, a.Branding["color"])
	})

	t.Run("runs: the main action's image, the logout entry point, no post step", func(t *testing.T) {
		assert.Equal(t, "docker", a.Runs.Using)
		assert.Equal(t, "/"+LogoutName, a.Runs.Entrypoint)
		assert.Equal(t, RoleLogout, RoleOf(a.Runs.Entrypoint))
		assert.Empty(t, a.Runs.PostEntrypoint)
		assert.Empty(t, a.Runs.PreEntrypoint)
		if strings.HasPrefix(main.Runs.Image, "docker://") {
			assert.Equal(t, main.Runs.Image, a.Runs.Image, "a release pins both to the same image")
			return
		}
		// The runner resolves a Dockerfile against the action's directory and
		// builds it with the Dockerfile's directory as the context.
		mainDockerfile, err := filepath.Abs(filepath.Join("..", "..", main.Runs.Image))
		require.NoError(t, err)
		logoutDockerfile, err := filepath.Abs(filepath.Join("..", "..", "logout", a.Runs.Image))
		require.NoError(t, err)
		assert.Equal(t, mainDockerfile, logoutDockerfile)
		assert.FileExists(t, logoutDockerfile)
	})

	t.Run("inputs: declared in the code's order, read by LoadLogout", func(t *testing.T) {
		assert.Equal(t, config.LogoutInputs(), a.InputNames)
		read := inputsRead(func(g config.GetInputFunc) { _, _ = config.LoadLogout(g) })
		declared := append([]string(nil), a.InputNames...)
		sort.Strings(declared)
		assert.Equal(t, declared, read)
		for _, n := range []string{"api_key", "server_id", "registry_url"} {
			assert.True(t, a.Inputs[n].Required, n)
			assert.False(t, a.Inputs[n].HasDefault, n)
		}
		for n, in := range a.Inputs {
			assert.NotEmpty(t, in.Description, "input %s", n)
		}
	})

	t.Run("defaults: the code's, and the main action's", func(t *testing.T) {
		assert.Equal(t, declaredDefaults(a), config.LogoutDefaults())
		for n, def := range config.LogoutDefaults() {
			assert.Equal(t, main.Inputs[n].Default, def, n)
		}
	})

	t.Run("the defaults are valid inputs", func(t *testing.T) {
		in := map[string]string{"api_key": testKey, "server_id": serverID, "registry_url": "ghcr.io"}
		for n, def := range declaredDefaults(a) {
			in[n] = def
		}
		_, err := config.LoadLogout(func(n string) string { return in[n] })
		assert.NoError(t, err)
	})

	t.Run("no outputs", func(t *testing.T) {
		assert.Empty(t, a.Outputs)
	})
}

// act evaluates ${{ }} in action.yml's input descriptions and fails the step
// when one does not parse (seen with act v0.2.89), so no description holds one.
func TestNoExpressionsInDescriptions(t *testing.T) {
	for _, path := range []string{filepath.Join("..", "..", "action.yml"), filepath.Join("..", "..", "logout", "action.yml")} {
		a, err := runner.LoadAction(path)
		require.NoError(t, err)
		texts := map[string]string{"description": a.Description}
		for n, in := range a.Inputs {
			texts["input "+n] = in.Description
		}
		for n, out := range a.Outputs {
			texts["output "+n] = out.Description
		}
		for where, text := range texts {
			assert.NotContains(t, text, "${{", "%s: %s", path, where)
		}
	}
}
