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
		case "process", "tcp", "http":
		default:
			return spec, fmt.Errorf("stage %q has unknown kind %q", stage.Name, stage.Kind)
		}
		if len(stage.Targets) == 0 || stage.TimeoutMs <= 0 {
			return spec, fmt.Errorf("stage %q needs targets and a positive timeout_ms", stage.Name)
		}
	}
	return spec, nil
}
