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
}

// Output is one declared output of an action.
type Output struct {
	Description string `yaml:"description"`
}

// Runs is the runs: section of a Docker container action, as far as this package emulates it.
type Runs struct {
	Using string `yaml:"using"`
	// Image is "Dockerfile" (or a path ending in Dockerfile) or "docker://image".
	Image string `yaml:"image"`
	// Entrypoint, PreEntrypoint and PostEntrypoint are each one path, never split into arguments.
	Entrypoint     string `yaml:"entrypoint"`
	PreEntrypoint  string `yaml:"pre-entrypoint"`
	PostEntrypoint string `yaml:"post-entrypoint"`
	// PostIf is the post step's condition; empty means always(), as on GitHub.
	PostIf string `yaml:"post-if"`
}

type rawAction struct {
	Name        string              `yaml:"name"`
	Description string              `yaml:"description"`
	Author      string              `yaml:"author"`
	Inputs      map[string]rawInput `yaml:"inputs"`
	Outputs     map[string]Output   `yaml:"outputs"`
	Runs        Runs                `yaml:"runs"`
	Branding    map[string]string   `yaml:"branding"`
}

type rawInput struct {
	Description string  `yaml:"description"`
	Required    bool    `yaml:"required"`
	Default     *string `yaml:"default"`
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

// ParseAction parses action.yml content. It rejects unknown keys, which includes the keys this
// package does not emulate (runs.args, runs.env, pre-if, an input's deprecationMessage), and it
// accepts only Docker container actions (runs.using: docker, with an image).
func ParseAction(data []byte) (*Action, error) {
	var raw rawAction
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("parse action metadata: %w", err)
	}
	// The declaration order of the inputs, which a map loses.
	var order struct {
		Inputs yaml.Node `yaml:"inputs"`
	}
	if err := yaml.Unmarshal(data, &order); err != nil {
		return nil, fmt.Errorf("parse action metadata: %w", err)
	}
	a := &Action{
		Name: raw.Name, Description: raw.Description, Inputs: map[string]Input{}, Outputs: raw.Outputs,
		Runs: raw.Runs, Branding: raw.Branding,
	}
	if a.Outputs == nil {
		a.Outputs = map[string]Output{}
	}
	for i := 0; i+1 < len(order.Inputs.Content); i += 2 {
		name := order.Inputs.Content[i].Value
		in := raw.Inputs[name]
		a.Inputs[name] = Input{Description: in.Description, Required: in.Required, Default: deref(in.Default), HasDefault: in.Default != nil}
		a.InputNames = append(a.InputNames, name)
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

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
