package runner

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Action is the metadata of a Docker container action, read from its action.yml.
type Action struct {
	Name        string
	Description string
	Author      string
	// Inputs maps each declared input name to its definition.
	Inputs map[string]Input
	// InputNames lists the declared input names in the order action.yml declares them.
	InputNames []string
	// Outputs maps each declared output name to its definition.
	Outputs  map[string]Output
	Runs     Runs
	Branding map[string]string
}

// Input is one declared input of an action.
type Input struct {
	Description string
	// Required is informational: the runner does not enforce it (the action must check its inputs).
	Required bool
	// Default is the declared default, verbatim; HasDefault tells an empty default from none.
	Default    string
	HasDefault bool
	// DeprecationMessage, when set, makes the runner warn whenever a step passes this input.
	DeprecationMessage string
}

// Output is one declared output of an action.
type Output struct {
	Description string
}

// Runs is the runs: section of a Docker container action.
type Runs struct {
	Using string
	// Image is "Dockerfile" (or a path ending in Dockerfile) or "docker://image".
	Image string
	// Entrypoint, PreEntrypoint and PostEntrypoint are each one path, never split into arguments.
	Entrypoint     string
	PreEntrypoint  string
	PostEntrypoint string
	// PreIf and PostIf are conditions; an empty PostIf means always(), as on GitHub.
	PreIf  string
	PostIf string
	// Args is passed to every entry point (main, pre and post alike).
	Args []string
	// Env is added to the container's environment unless the step's environment already has the name.
	Env map[string]string
}

type rawAction struct {
	Name        string               `yaml:"name"`
	Description string               `yaml:"description"`
	Author      string               `yaml:"author"`
	Inputs      yaml.Node            `yaml:"inputs"`
	Outputs     map[string]rawOutput `yaml:"outputs"`
	Runs        rawRuns              `yaml:"runs"`
	Branding    map[string]string    `yaml:"branding"`
}

type rawOutput struct {
	Description string `yaml:"description"`
}

type rawRuns struct {
	Using          string            `yaml:"using"`
	Image          string            `yaml:"image"`
	Entrypoint     string            `yaml:"entrypoint"`
	PreEntrypoint  string            `yaml:"pre-entrypoint"`
	PreIf          string            `yaml:"pre-if"`
	PostEntrypoint string            `yaml:"post-entrypoint"`
	PostIf         string            `yaml:"post-if"`
	Args           []string          `yaml:"args"`
	Env            map[string]string `yaml:"env"`
}

// LoadAction reads and validates the action.yml at path. See [ParseAction].
func LoadAction(path string) (*Action, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read action metadata: %w", err)
	}
	a, err := ParseAction(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// ParseAction parses action.yml content. Like the runner's manifest schema it rejects unknown keys,
// and it accepts only Docker container actions (runs.using: docker, with an image).
func ParseAction(data []byte) (*Action, error) {
	var raw rawAction
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("parse action metadata: %w", err)
	}
	a := &Action{
		Name:        raw.Name,
		Description: raw.Description,
		Author:      raw.Author,
		Inputs:      map[string]Input{},
		Outputs:     map[string]Output{},
		Branding:    raw.Branding,
		Runs: Runs{
			Using:          raw.Runs.Using,
			Image:          raw.Runs.Image,
			Entrypoint:     raw.Runs.Entrypoint,
			PreEntrypoint:  raw.Runs.PreEntrypoint,
			PreIf:          raw.Runs.PreIf,
			PostEntrypoint: raw.Runs.PostEntrypoint,
			PostIf:         raw.Runs.PostIf,
			Args:           raw.Runs.Args,
			Env:            raw.Runs.Env,
		},
	}
	for name, o := range raw.Outputs {
		a.Outputs[name] = Output(o)
	}
	if err := parseInputs(&raw.Inputs, a); err != nil {
		return nil, err
	}
	if a.Name == "" {
		return nil, errors.New("action metadata: name is required")
	}
	if !strings.EqualFold(a.Runs.Using, "docker") {
		return nil, fmt.Errorf("action metadata: runs.using is %q, want docker", a.Runs.Using)
	}
	if a.Runs.Image == "" {
		return nil, errors.New("action metadata: runs.image is required")
	}
	return a, nil
}

var inputKeys = map[string]bool{"description": true, "required": true, "default": true, "deprecationMessage": true}

func parseInputs(node *yaml.Node, a *Action) error {
	if node.Kind == 0 {
		return nil
	}
	if node.Kind != yaml.MappingNode {
		return fmt.Errorf("action metadata: line %d: inputs must be a mapping", node.Line)
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		name, def := node.Content[i].Value, node.Content[i+1]
		if _, dup := a.Inputs[name]; dup {
			return fmt.Errorf("action metadata: line %d: input %q declared twice", node.Content[i].Line, name)
		}
		in, err := parseInput(name, def)
		if err != nil {
			return err
		}
		a.Inputs[name] = in
		a.InputNames = append(a.InputNames, name)
	}
	return nil
}

func parseInput(name string, node *yaml.Node) (Input, error) {
	var in Input
	if node.Kind == yaml.ScalarNode && node.Tag == "!!null" {
		return in, nil
	}
	if node.Kind != yaml.MappingNode {
		return in, fmt.Errorf("action metadata: line %d: input %q must be a mapping", node.Line, name)
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		key, val := node.Content[i].Value, node.Content[i+1]
		if !inputKeys[key] {
			return in, fmt.Errorf("action metadata: line %d: input %q: unexpected key %q", node.Content[i].Line, name, key)
		}
		if val.Kind != yaml.ScalarNode {
			return in, fmt.Errorf("action metadata: line %d: input %q: %s must be a scalar", val.Line, name, key)
		}
		switch key {
		case "description":
			in.Description = val.Value
		case "deprecationMessage":
			in.DeprecationMessage = val.Value
		case "default":
			in.Default, in.HasDefault = val.Value, true
		case "required":
			if err := val.Decode(&in.Required); err != nil {
				return in, fmt.Errorf("action metadata: line %d: input %q: required must be a boolean: %w", val.Line, name, err)
			}
		}
	}
	return in, nil
}
