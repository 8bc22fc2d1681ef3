package action

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/reoclo/docker-auth/internal/testkit/runner"
)

// exampleWorkflow is the part of a workflow file the examples check needs.
type exampleWorkflow struct {
	Jobs map[string]struct {
		Steps []struct {
			ID   string            `yaml:"id"`
			Uses string            `yaml:"uses"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// The workflows in examples/ (which make lint also runs actionlint on) use
// this action as action.yml declares it: every docker-auth step gives the
// required inputs and no unknown one, and every steps.<id>.outputs.<name>
// names an earlier docker-auth step of the job and an output it declares
// (the examples refer to no other step's outputs).
func TestExamplesUseTheActionAsDeclared(t *testing.T) {
	actions := map[string]*runner.Action{"reoclo/docker-auth": loadActionYML(t)}
	// The logout step, when this tree has it.
	if a, err := runner.LoadAction(filepath.Join("..", "..", "logout", "action.yml")); err == nil {
		actions["reoclo/docker-auth/logout"] = a
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "*.yml"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "examples/*.yml")
	outputRef := regexp.MustCompile(`steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)`)

	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			var wf exampleWorkflow
			require.NoError(t, yaml.Unmarshal(data, &wf))
			uses := 0
			for job, j := range wf.Jobs {
				seen := map[string]*runner.Action{}
				for i, s := range j.Steps {
					name, _, _ := strings.Cut(s.Uses, "@")
					if a, ok := actions[name]; ok {
						uses++
						for in := range s.With {
							assert.Contains(t, a.Inputs, in, "%s: job %s step %d: unknown input", name, job, i)
						}
						for in, def := range a.Inputs {
							if def.Required {
								assert.NotEmpty(t, s.With[in], "%s: job %s step %d: required input %s", name, job, i, in)
							}
						}
					}
					for _, v := range s.With {
						for _, m := range outputRef.FindAllStringSubmatch(v, -1) {
							a, ok := seen[m[1]]
							if assert.True(t, ok, "job %s step %d: %s is not an earlier docker-auth step", job, i, m[0]) {
								assert.Contains(t, a.Outputs, m[2], "job %s step %d: %s", job, i, m[0])
							}
						}
					}
					if a, ok := actions[name]; ok && s.ID != "" {
						seen[s.ID] = a
					}
				}
			}
			assert.Positive(t, uses, "the example uses the action")
		})
	}
}
