package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"
)

// probeState keeps the stages' last passes between runs, for one start of the container: a
// restarted container (another start time) starts afresh.
type probeState struct {
	Start  int64            `json:"start"`
	Passed map[string]int64 `json:"passed"` // stage -> unix milliseconds of its last pass
}

func loadState(path string, start int64) probeState {
	state := probeState{Start: start, Passed: map[string]int64{}}
	data, err := os.ReadFile(path)
	if err != nil {
		return state
	}
	var saved probeState
	if json.Unmarshal(data, &saved) != nil || saved.Start != start || saved.Passed == nil {
		return state
	}
	return saved
}

func (state probeState) passedAgo(now time.Time) map[string]time.Duration {
	ago := make(map[string]time.Duration, len(state.Passed))
	for stage, at := range state.Passed {
		ago[stage] = now.Sub(time.UnixMilli(at))
	}
	return ago
}

// record keeps the passes of this run: a new pass replaces the old one, a cached pass keeps
// it, anything else forgets it.
func (state probeState) record(report Report, now time.Time) {
	for _, stage := range report.Stages {
		switch {
		case stage.Status == "pass" && !stage.Cached:
			state.Passed[stage.Name] = now.UnixMilli()
		case stage.Status != "pass":
			delete(state.Passed, stage.Name)
		}
	}
}

// save writes the state atomically (a temporary file renamed over it); errors are ignored.
func (state probeState) save(path string) {
	data, err := json.Marshal(state)
	if err != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".cascade-probe-*")
	if err != nil {
		return
	}
	_, writeErr := tmp.Write(data)
	closeErr := tmp.Close()
	if writeErr != nil || closeErr != nil || os.Rename(tmp.Name(), path) != nil {
		os.Remove(tmp.Name())
	}
}
