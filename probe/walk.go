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
	Cached    bool   `json:"cached,omitempty"`
	Error     string `json:"error,omitempty"`
}

type Report struct {
	Service  string        `json:"service"`
	Status   string        `json:"status"`
	Error    string        `json:"error,omitempty"`
	UptimeMs *int64        `json:"uptime_ms,omitempty"`
	Stages   []StageReport `json:"stages"`
}

// walkContext is what the walk knows besides the spec.
type walkContext struct {
	// Time since the container started; nil when unknown (then every deadline has passed).
	uptime *time.Duration
	// Per stage, the time since its last pass.
	passedAgo map[string]time.Duration
}

// walk checks the stages in order. A stage failing before its deadline is "pending" (still
// starting), after it "fail". A critical stage that does not pass ends the walk: the stages
// after it are "skipped".
func walk(spec Spec, ctx walkContext) Report {
	stages := make([]StageReport, 0, len(spec.Stages))
	stop := false
	for _, stage := range spec.Stages {
		if stop {
			stages = append(stages, StageReport{Name: stage.Name, Critical: stage.Critical, Status: "skipped"})
			continue
		}
		report, fresh := freshPass(stage, ctx)
		if !fresh {
			report = runStage(stage, ctx)
		}
		stages = append(stages, report)
		stop = stage.Critical && report.Status != "pass"
	}
	report := Report{Service: spec.Service, Status: probeStatus(stages), Stages: stages}
	if ctx.uptime != nil {
		ms := ctx.uptime.Milliseconds()
		report.UptimeMs = &ms
	}
	return report
}

// probeStatus: a critical stage failed -> unhealthy; one pending -> starting; a non-critical
// stage failed or pending -> degraded; else healthy.
func probeStatus(stages []StageReport) string {
	pending, degraded := false, false
	for _, stage := range stages {
		switch {
		case stage.Status != "fail" && stage.Status != "pending":
		case !stage.Critical:
			degraded = true
		case stage.Status == "fail":
			return "unhealthy"
		default:
			pending = true
		}
	}
	switch {
	case pending:
		return "starting"
	case degraded:
		return "degraded"
	}
	return "healthy"
}

// exitCode: Docker counts 0 as healthy (degraded included) and 1 as not.
func exitCode(report Report) int {
	if report.Status == "healthy" || report.Status == "degraded" {
		return 0
	}
	return 1
}

// freshPass: a pass younger than the stage's interval stands without a new check.
func freshPass(stage Stage, ctx walkContext) (StageReport, bool) {
	ago, passed := ctx.passedAgo[stage.Name]
	if stage.IntervalMs <= 0 || !passed || ago >= time.Duration(stage.IntervalMs)*time.Millisecond {
		return StageReport{}, false
	}
	return StageReport{Name: stage.Name, Critical: stage.Critical, Status: "pass", Cached: true}, true
}

func runStage(stage Stage, ctx walkContext) StageReport {
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
		if beforeDeadline(stage, ctx) {
			report.Status = "pending"
		}
		report.Error = strings.Join(messages, "; ")
	}
	return report
}

func beforeDeadline(stage Stage, ctx walkContext) bool {
	return stage.DeadlineMs != nil && ctx.uptime != nil &&
		*ctx.uptime < time.Duration(*stage.DeadlineMs)*time.Millisecond
}
