package main

import (
	"strings"
	"sync"
	"time"
)

// The stage walk; src/health/stage-walk.ts has the same semantics and the agreement test
// runs both on the same fixtures.

type StageReport struct {
	Name      string `json:"name"`
	Critical  bool   `json:"critical"`
	Status    string `json:"status"`
	LatencyMs *int64 `json:"latency_ms,omitempty"`
	Error     string `json:"error,omitempty"`
}

type Report struct {
	Service string        `json:"service"`
	Status  string        `json:"status"`
	Error   string        `json:"error,omitempty"`
	Stages  []StageReport `json:"stages"`
}

func walk(spec Spec) Report {
	stages := make([]StageReport, 0, len(spec.Stages))
	criticalFailed := false
	for _, stage := range spec.Stages {
		if criticalFailed {
			stages = append(stages, StageReport{Name: stage.Name, Critical: stage.Critical, Status: "skipped"})
			continue
		}
		report := runStage(stage)
		stages = append(stages, report)
		criticalFailed = report.Status == "fail" && stage.Critical
	}
	return Report{Service: spec.Service, Status: probeStatus(stages), Stages: stages}
}

func probeStatus(stages []StageReport) string {
	status := "healthy"
	for _, stage := range stages {
		if stage.Status != "fail" {
			continue
		}
		if stage.Critical {
			return "unhealthy"
		}
		status = "degraded"
	}
	return status
}

func runStage(stage Stage) StageReport {
	started := time.Now()
	deadline := started.Add(time.Duration(stage.TimeoutMs) * time.Millisecond)
	errs := make([]error, len(stage.Targets))
	if len(stage.Targets) == 1 {
		errs[0] = checkTarget(stage, stage.Targets[0], deadline)
	} else {
		var wg sync.WaitGroup
		for i, target := range stage.Targets {
			wg.Go(func() { errs[i] = checkTarget(stage, target, deadline) })
		}
		wg.Wait()
	}
	latency := time.Since(started).Milliseconds()
	report := StageReport{Name: stage.Name, Critical: stage.Critical, Status: "pass", LatencyMs: &latency}
	var messages []string
	for _, err := range errs {
		if err != nil {
			messages = append(messages, err.Error())
		}
	}
	if len(messages) > 0 {
		report.Status = "fail"
		report.Error = strings.Join(messages, "; ")
	}
	return report
}
