// cascade-probe walks the health stages of a probe spec once, prints one line of JSON and
// exits 0 (healthy or degraded) or 1 (unhealthy). It is the HEALTHCHECK of every container.
//
//	cascade-probe [SPEC_PATH]        spec from a file (default $CASCADE_PROBE_SPEC, then /etc/cascade/probe.json)
//	cascade-probe --spec-json JSON   spec inline, so the healthcheck command carries it
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"
)

const defaultSpecPath = "/etc/cascade/probe.json"

func main() {
	// A run allocates a few kilobytes and lives for milliseconds: collecting is pure cost.
	debug.SetGCPercent(-1)
	spec, err := loadSpec(os.Args[1:])
	var report Report
	if err != nil {
		report = Report{Service: spec.Service, Status: "unhealthy", Error: err.Error(), Stages: []StageReport{}}
	} else {
		report = walk(spec)
	}
	line, _ := json.Marshal(report)
	fmt.Println(string(line))
	if report.Status == "unhealthy" {
		os.Exit(1)
	}
}

func loadSpec(args []string) (Spec, error) {
	if len(args) == 2 && args[0] == "--spec-json" {
		return parseSpec([]byte(args[1]))
	}
	if len(args) > 1 {
		return Spec{}, fmt.Errorf("usage: cascade-probe [SPEC_PATH] | --spec-json JSON")
	}
	path := defaultSpecPath
	if env := os.Getenv("CASCADE_PROBE_SPEC"); env != "" {
		path = env
	}
	if len(args) == 1 {
		path = args[0]
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Spec{}, fmt.Errorf("cannot read probe spec: %w", err)
	}
	return parseSpec(data)
}
