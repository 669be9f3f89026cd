package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const deadPid = "pid:999999999"

func ms(n int64) *int64 { return &n }

func seconds(n float64) *time.Duration {
	d := time.Duration(n * float64(time.Second))
	return &d
}

func self() string { return "pid:" + strconv.Itoa(os.Getpid()) }

func stage(name, target string, critical bool, deadline *int64) Stage {
	return Stage{Name: name, Kind: "process", Targets: []string{target}, TimeoutMs: 500, Critical: critical, DeadlineMs: deadline}
}

func statuses(report Report) string {
	parts := []string{report.Status}
	for _, s := range report.Stages {
		parts = append(parts, s.Name+"="+s.Status)
	}
	return strings.Join(parts, " ")
}

func TestDeadlineTellsStartingFromFailed(t *testing.T) {
	spec := Spec{Version: 1, Service: "x", Stages: []Stage{
		stage("process_started", self(), true, ms(10_000)),
		stage("port_listening", deadPid, true, ms(30_000)),
		stage("fully_operational", self(), false, ms(120_000)),
	}}
	cases := []struct {
		uptime *time.Duration
		want   string
		exit   int
	}{
		{seconds(12), "starting process_started=pass port_listening=pending fully_operational=skipped", 1},
		{seconds(30), "unhealthy process_started=pass port_listening=fail fully_operational=skipped", 1},
		// Uptime unknown: every deadline has passed.
		{nil, "unhealthy process_started=pass port_listening=fail fully_operational=skipped", 1},
	}
	for _, c := range cases {
		report := walk(spec, walkContext{uptime: c.uptime})
		if got := statuses(report); got != c.want || exitCode(report) != c.exit {
			t.Errorf("uptime %v: got %q exit %d, want %q exit %d", c.uptime, got, exitCode(report), c.want, c.exit)
		}
	}
}

func TestNonCriticalStageIsDegradedBeforeAndAfterItsDeadline(t *testing.T) {
	spec := Spec{Version: 1, Service: "x", Stages: []Stage{
		stage("api_responsive", self(), true, ms(60_000)),
		stage("fully_operational", deadPid, false, ms(120_000)),
	}}
	for uptime, want := range map[float64]string{
		100: "degraded api_responsive=pass fully_operational=pending",
		121: "degraded api_responsive=pass fully_operational=fail",
	} {
		report := walk(spec, walkContext{uptime: seconds(uptime)})
		if got := statuses(report); got != want || exitCode(report) != 0 {
			t.Errorf("uptime %vs: got %q exit %d, want %q exit 0", uptime, got, exitCode(report), want)
		}
		if *report.UptimeMs != int64(uptime*1000) {
			t.Errorf("uptime_ms %d", *report.UptimeMs)
		}
	}
}

func TestAStagePassedWithinItsIntervalIsNotCheckedAgain(t *testing.T) {
	failing := stage("models_loaded", deadPid, true, nil)
	failing.IntervalMs = 15_000
	spec := Spec{Version: 1, Service: "x", Stages: []Stage{failing}}
	recent := walk(spec, walkContext{passedAgo: map[string]time.Duration{"models_loaded": 10 * time.Second}})
	if got := statuses(recent); got != "healthy models_loaded=pass" || !recent.Stages[0].Cached {
		t.Errorf("a 10 s old pass of a 15 s stage should stand: %q", got)
	}
	stale := walk(spec, walkContext{passedAgo: map[string]time.Duration{"models_loaded": 15 * time.Second}})
	if got := statuses(stale); got != "unhealthy models_loaded=fail" {
		t.Errorf("a 15 s old pass should be checked again: %q", got)
	}
	without := stage("ready", deadPid, true, nil) // no interval: checked on every run
	report := walk(Spec{Version: 1, Stages: []Stage{without}}, walkContext{passedAgo: map[string]time.Duration{"ready": time.Millisecond}})
	if got := statuses(report); got != "unhealthy ready=fail" {
		t.Errorf("a stage without interval is checked every run: %q", got)
	}
}

func TestStateKeepsPassesForOneStartOfTheContainer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	now := time.UnixMilli(1_000_000)
	state := loadState(path, 42)
	state.record(Report{Stages: []StageReport{
		{Name: "a", Status: "pass"},
		{Name: "b", Status: "fail"},
	}}, now)
	state.save(path)

	later := now.Add(4 * time.Second)
	again := loadState(path, 42)
	if ago := again.passedAgo(later); len(ago) != 1 || ago["a"] != 4*time.Second {
		t.Fatalf("passedAgo %v", ago)
	}
	again.record(Report{Stages: []StageReport{{Name: "a", Status: "pass", Cached: true}}}, later)
	if again.Passed["a"] != now.UnixMilli() {
		t.Errorf("a cached pass keeps the time of the check")
	}
	again.record(Report{Stages: []StageReport{{Name: "a", Status: "pending"}}}, later)
	if _, kept := again.Passed["a"]; kept {
		t.Errorf("a stage that does not pass forgets its pass")
	}
	if restarted := loadState(path, 43); len(restarted.Passed) != 0 {
		t.Errorf("another start of the container starts afresh: %v", restarted.Passed)
	}
}

func TestProcessUptimeOfAFreshProcess(t *testing.T) {
	// This test binary started moments ago; PID 1 (this machine's or container's init) earlier.
	start, uptime, err := processUptime(strconv.Itoa(os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	if uptime < 0 || uptime > time.Minute {
		t.Errorf("this process started %v ago", uptime)
	}
	initStart, initUptime, err := processUptime("1")
	if err == nil && (initStart > start || initUptime < uptime) {
		t.Errorf("pid 1 started at tick %d (%v ago), after this process (tick %d, %v ago)", initStart, initUptime, start, uptime)
	}
	time.Sleep(50 * time.Millisecond)
	_, later, _ := processUptime(strconv.Itoa(os.Getpid()))
	if later < uptime+40*time.Millisecond {
		t.Errorf("uptime did not grow: %v then %v", uptime, later)
	}
}

func TestStartTimeSurvivesAnOddCommand(t *testing.T) {
	fields := make([]string, 50)
	for i := range fields {
		fields[i] = strconv.Itoa(i + 3) // field number
	}
	line := "7 (a) b (c)) " + strings.Join(fields, " ")
	got, err := startTime(line)
	if err != nil || got != 22 {
		t.Errorf("startTime = %d, %v; want field 22", got, err)
	}
}

func TestPidTargets(t *testing.T) {
	if err := checkProcess(self()); err != nil {
		t.Errorf("this process: %v", err)
	}
	if err := checkProcess(deadPid); err == nil {
		t.Errorf("a process that does not exist passed")
	}
}

func TestHealthKindRequiresAHealthyReport(t *testing.T) {
	answers := map[string]func(http.ResponseWriter){
		"/healthy": func(w http.ResponseWriter) {
			fmt.Fprint(w, `{"status": "healthy", "timestamp": "2025-07-30T12:00:00"}`)
		},
		"/degraded": func(w http.ResponseWriter) { fmt.Fprint(w, `{"status":"degraded"}`) },
		"/down": func(w http.ResponseWriter) {
			w.WriteHeader(503)
			fmt.Fprint(w, `{"status":"unhealthy"}`)
		},
		"/garbage": func(w http.ResponseWriter) { fmt.Fprint(w, "OK") },
		"/chunked": func(w http.ResponseWriter) {
			fmt.Fprint(w, `{"status":`)
			w.(http.Flusher).Flush() // no Content-Length: chunked
			fmt.Fprint(w, `"healthy"}`)
		},
	}
	var accepts []string
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		accepts = append(accepts, r.Header.Get("Accept"))
		answers[r.URL.Path](w)
	}))
	defer server.Close()
	deadline := time.Now().Add(2 * time.Second)
	want := map[string]string{
		"/healthy":  "",
		"/chunked":  "",
		"/degraded": "reports degraded",
		"/down":     "answered 503",
		"/garbage":  "reports no health status",
	}
	for path, message := range want {
		err := checkHealth(server.URL+path, deadline)
		if (message == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), message)) {
			t.Errorf("%s: %v, want %q", path, err, message)
		}
	}
	for _, accept := range accepts {
		if accept != "application/json" {
			t.Errorf("asked for %q, not the seed's format", accept)
		}
	}
}
