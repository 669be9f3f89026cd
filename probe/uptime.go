package main

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicksPerSecond is USER_HZ, the unit of /proc/<pid>/stat's starttime: 100 on every
// architecture Linux runs containers on (the kernel fixes it for userspace).
const clockTicksPerSecond = 100

// processUptime returns when process pid started (in clock ticks since boot, an identity that
// changes when the container restarts) and how long ago that was: /proc/uptime less the
// process's start. Both are read in the container's own view, time namespaces included.
func processUptime(pid string) (startTicks int64, uptime time.Duration, err error) {
	stat, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, 0, err
	}
	startTicks, err = startTime(string(stat))
	if err != nil {
		return 0, 0, err
	}
	text, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return 0, 0, err
	}
	sinceBoot, _, _ := strings.Cut(string(text), " ")
	seconds, err := strconv.ParseFloat(sinceBoot, 64)
	if err != nil {
		return 0, 0, err
	}
	uptime = time.Duration(seconds*float64(time.Second)) -
		time.Duration(startTicks)*time.Second/clockTicksPerSecond
	return startTicks, max(uptime, 0), nil
}

// startTime reads field 22 (starttime) of a /proc/<pid>/stat line, "pid (comm) state ...",
// where comm may hold spaces and parentheses.
func startTime(stat string) (int64, error) {
	close := strings.LastIndexByte(stat, ')')
	if close < 0 {
		return 0, errors.New("unreadable stat")
	}
	fields := strings.Fields(stat[close+1:]) // from field 3, state
	const starttime = 22 - 3
	if len(fields) <= starttime {
		return 0, errors.New("unreadable stat")
	}
	return strconv.ParseInt(fields[starttime], 10, 64)
}
