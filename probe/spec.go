package main

import (
	"encoding/json"
	"errors"
	"fmt"
)

// The probe spec; src/health/probe-spec.ts is its definition (with the zod schema the Docker
// target validates against before writing it). This mirror only rejects what would make the
// walk meaningless.

type Stage struct {
	Name      string   `json:"name"`
	Kind      string   `json:"kind"`
	Targets   []string `json:"targets"`
	TimeoutMs int      `json:"timeout_ms"`
	Critical  bool     `json:"critical"`
	Method    string   `json:"method,omitempty"`
	// Milliseconds from the container's start by which the stage must pass; nil: from the start.
	DeadlineMs *int64 `json:"deadline_ms,omitempty"`
	// A pass younger than this is not checked again; 0: checked on every run.
	IntervalMs int64 `json:"interval_ms,omitempty"`
}

type Spec struct {
	Version int     `json:"version"`
	Service string  `json:"service"`
	Stages  []Stage `json:"stages"`
}

func parseSpec(data []byte) (Spec, error) {
	var spec Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		return spec, fmt.Errorf("probe spec is not valid JSON: %w", err)
	}
	if spec.Version != 1 {
		return spec, fmt.Errorf("probe spec version %d is not supported (expected 1)", spec.Version)
	}
	if len(spec.Stages) == 0 {
		return spec, errors.New("probe spec has no stages")
	}
	for _, stage := range spec.Stages {
		switch stage.Kind {
		case "process", "tcp", "http", "health":
		default:
			return spec, fmt.Errorf("stage %q has unknown kind %q", stage.Name, stage.Kind)
		}
		if len(stage.Targets) == 0 || stage.TimeoutMs <= 0 {
			return spec, fmt.Errorf("stage %q needs targets and a positive timeout_ms", stage.Name)
		}
	}
	return spec, nil
}

// hasIntervals tells whether any stage keeps its passes between runs (and so needs the state).
func (spec Spec) hasIntervals() bool {
	for _, stage := range spec.Stages {
		if stage.IntervalMs > 0 {
			return true
		}
	}
	return false
}
