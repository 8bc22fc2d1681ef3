package action

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/reoclo/docker-auth/internal/config"
)

// actionYML is an action.yml as the runner reads it.
type actionYML struct {
	Name, Description, Author string
	Branding                  map[string]string
	Inputs                    yaml.Node
	Outputs                   map[string]struct{ Description string }
	Runs                      struct {
		Using, Image, Entrypoint string
		PreEntrypoint            string `yaml:"pre-entrypoint"`
		PostEntrypoint           string `yaml:"post-entrypoint"`
		PostIf                   string `yaml:"post-if"`
	}
}

// input is one declared input; Default is nil when none is declared.
type input struct {
	Description string
	Required    bool
	Default     *string
}

// loadAction reads the action.yml at path, from the module root; unknown
// keys are errors, as on the runner.
func loadAction(t *testing.T, path string) (a actionYML, names []string, inputs map[string]input) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", path))
	require.NoError(t, err)
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(&a))
	require.NoError(t, a.Inputs.Decode(&inputs))
	for i := 0; i < len(a.Inputs.Content); i += 2 {
		names = append(names, a.Inputs.Content[i].Value)
	}
	return a, names, inputs
}

// defaults maps each input that declares a default to it.
func defaults(inputs map[string]input) map[string]string {
	m := map[string]string{}
	for n, in := range inputs {
		if in.Default != nil {
			m[n] = *in.Default
		}
	}
	return m
}

// inputsRead records every input name load asks for.
func inputsRead(load func(config.GetInputFunc)) []string {
	var names []string
	load(func(name string) string {
		names = append(names, name)
		return map[string]string{"cleanup": "true"}[name]
	})
	slices.Sort(names)
	return slices.Compact(names)
}

func TestActionFilesMatchTheCode(t *testing.T) {
	main, mainNames, mainInputs := loadAction(t, "action.yml")
	logout, logoutNames, logoutInputs := loadAction(t, filepath.Join("logout", "action.yml"))
	for file, a := range map[string]actionYML{"action.yml": main, "logout/action.yml": logout} {
		assert.NotEmpty(t, a.Name, file)
		assert.NotEmpty(t, a.Description, file)
		assert.NotEmpty(t, a.Branding["icon"], file)
		assert.Equal(t, "docker", a.Runs.Using, file)
		assert.Empty(t, a.Runs.PreEntrypoint, file)
	}
	assert.NotEqual(t, main.Name, logout.Name, "a Marketplace name is unique")

	t.Run("entry points: one path each, the roles the binary picks from it", func(t *testing.T) {
		assert.Equal(t, RoleMain, RoleOf(main.Runs.Entrypoint))
		assert.Equal(t, "/"+PostName, main.Runs.PostEntrypoint)
		assert.Equal(t, "always()", main.Runs.PostIf)
		assert.Equal(t, "/"+LogoutName, logout.Runs.Entrypoint)
		assert.Empty(t, logout.Runs.PostEntrypoint)
	})
	t.Run("one image for both", func(t *testing.T) {
		if strings.HasPrefix(main.Runs.Image, "docker://") {
			assert.Equal(t, main.Runs.Image, logout.Runs.Image, "a release pins both to the same image")
			return
		}
		// The runner resolves a Dockerfile against the action's directory.
		assert.Equal(t, filepath.Clean(main.Runs.Image), filepath.Join("logout", logout.Runs.Image))
	})
	t.Run("inputs: all read, defaults the code's", func(t *testing.T) {
		read := inputsRead(func(g config.GetInputFunc) { _, _ = config.Load(g); _, _ = config.LoadPost(g) })
		assert.Equal(t, slices.Sorted(slices.Values(mainNames)), read)
		assert.Equal(t, slices.Sorted(slices.Values(logoutNames)), inputsRead(func(g config.GetInputFunc) { _, _ = config.LoadLogout(g) }))
		assert.Equal(t, defaults(mainInputs), config.Defaults())
		assert.Equal(t, defaults(logoutInputs), config.LogoutDefaults())
		name := regexp.MustCompile(`^[a-z][a-z0-9_]*$`) // hyphens would be kept in INPUT_ names
		for n, in := range mainInputs {
			assert.Regexp(t, name, n)
			assert.NotEmpty(t, in.Description, n)
			assert.Equal(t, in.Required, in.Default == nil, "%s: required exactly when it has no default", n)
		}
		for n, in := range logoutInputs {
			assert.NotEmpty(t, in.Description, n)
			assert.Equal(t, in.Required, in.Default == nil, n)
		}
	})
	t.Run("act evaluates ${{ }} in descriptions: none holds one", func(t *testing.T) {
		for _, in := range []map[string]input{mainInputs, logoutInputs} {
			for n, def := range in {
				assert.NotContains(t, def.Description, "${{", n)
			}
		}
	})
	t.Run("outputs: declared and described, exactly what a login sets", func(t *testing.T) {
		assert.Empty(t, logout.Outputs)
		synctest.Test(t, func(t *testing.T) {
			res := newTestEnv(t).run(RoleMain, nil)
			require.Equal(t, 0, res.code, res.stdout)
			for n, out := range main.Outputs {
				assert.NotEmpty(t, out.Description, n)
				assert.Contains(t, res.outputs, n)
			}
			assert.Len(t, res.outputs, len(main.Outputs))
		})
	})
}

// The workflows in examples/ (which make lint also runs actionlint on) use
// the actions as their action.yml declares them: every docker-auth step
// gives the required inputs and no unknown one, and every
// steps.<id>.outputs.<name> names an earlier docker-auth step of the job and
// an output it declares.
func TestExamplesUseTheActionAsDeclared(t *testing.T) {
	main, _, mainInputs := loadAction(t, "action.yml")
	_, _, logoutInputs := loadAction(t, filepath.Join("logout", "action.yml"))
	inputs := map[string]map[string]input{"reoclo/docker-auth": mainInputs, "reoclo/docker-auth/logout": logoutInputs}
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "*.yml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	outputRef := regexp.MustCompile(`steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)`)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			var wf struct {
				Jobs map[string]struct {
					Steps []struct {
						ID, Uses string
						With     map[string]string
					}
				}
			}
			require.NoError(t, yaml.Unmarshal(data, &wf))
			uses := 0
			for job, j := range wf.Jobs {
				logins := map[string]bool{}
				for i, s := range j.Steps {
					name, _, _ := strings.Cut(s.Uses, "@")
					declared, ok := inputs[name]
					if ok {
						uses++
						for in := range s.With {
							assert.Contains(t, declared, in, "job %s step %d: unknown input", job, i)
						}
						for in, def := range declared {
							assert.True(t, !def.Required || s.With[in] != "", "job %s step %d: required input %s", job, i, in)
						}
					}
					for _, v := range s.With {
						for _, m := range outputRef.FindAllStringSubmatch(v, -1) {
							assert.True(t, logins[m[1]], "job %s step %d: %s is not an earlier login step", job, i, m[0])
							assert.Contains(t, main.Outputs, m[2], "job %s step %d", job, i)
						}
					}
					logins[s.ID] = logins[s.ID] || name == "reoclo/docker-auth"
				}
			}
			assert.Positive(t, uses, "the example uses the action")
		})
	}
}
