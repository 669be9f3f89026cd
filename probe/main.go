// cascade-probe walks the health stages of a probe spec once, prints one line of JSON and
// exits 0 (healthy or degraded) or 1 (starting or unhealthy). It is the HEALTHCHECK of every
// container.
//
//	cascade-probe [SPEC_PATH]        spec from a file (default $CASCADE_PROBE_SPEC, then /etc/cascade/probe.json)
//	cascade-probe --spec-json JSON   spec inline, so the healthcheck command carries it
//
// Stage deadlines count from the start of the container's main process, PID 1
// ($CASCADE_PROBE_START_PID names another). Stages with an interval keep their last passes in
// $CASCADE_PROBE_STATE (default /tmp/cascade-probe-state.json).
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"
	"time"
)

const (
	defaultSpecPath  = "/etc/cascade/probe.json"
	defaultStatePath = "/tmp/cascade-probe-state.json"
)

func main() {
	// A run allocates a few kilobytes and lives for milliseconds: collecting is pure cost.
	debug.SetGCPercent(-1)
	spec, err := loadSpec(os.Args[1:])
	var report Report
	if err != nil {
		report = Report{Service: spec.Service, Status: "unhealthy", Error: err.Error(), Stages: []StageReport{}}
	} else {
		report = run(spec)
	}
	line, _ := json.Marshal(report)
	fmt.Println(string(line))
	os.Exit(exitCode(report))
}

// run gives the walk the container's uptime and, when a stage has an interval, its last passes.
func run(spec Spec) Report {
	pid := envOr("CASCADE_PROBE_START_PID", "1")
	ctx := walkContext{}
	start, uptime, err := processUptime(pid)
	if err == nil {
		ctx.uptime = &uptime
	}
	if !spec.hasIntervals() || err != nil {
		return walk(spec, ctx)
	}
	statePath := envOr("CASCADE_PROBE_STATE", defaultStatePath)
	state := loadState(statePath, start)
	now := time.Now()
	ctx.passedAgo = state.passedAgo(now)
	report := walk(spec, ctx)
	state.record(report, now)
	state.save(statePath) // best effort: without it every stage is checked on every run
	return report
}

func envOr(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

func loadSpec(args []string) (Spec, error) {
	if len(args) == 2 && args[0] == "--spec-json" {
		return parseSpec([]byte(args[1]))
	}
	if len(args) > 1 {
		return Spec{}, fmt.Errorf("usage: cascade-probe [SPEC_PATH] | --spec-json JSON")
	}
	path := envOr("CASCADE_PROBE_SPEC", defaultSpecPath)
	if len(args) == 1 {
		path = args[0]
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Spec{}, fmt.Errorf("cannot read probe spec: %w", err)
	}
	return parseSpec(data)
}
