package main

import (
	"bufio"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func checkTarget(stage Stage, target string, deadline time.Time) error {
	switch stage.Kind {
	case "process":
		return checkProcess(target)
	case "tcp":
		return checkTCP(target, deadline)
	default:
		method := stage.Method
		if method == "" {
			method = "GET"
		}
		return checkHTTP(method, target, deadline)
	}
}

func checkProcess(name string) error {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return fmt.Errorf("cannot list processes: %w", err)
	}
	for _, entry := range entries {
		pid := entry.Name()
		if pid[0] < '0' || pid[0] > '9' {
			continue
		}
		stat, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil {
			continue // the process exited while we were looking at it
		}
		// stat is "pid (comm) state ...": comm may hold spaces and parentheses.
		open, close := strings.IndexByte(string(stat), '('), strings.LastIndexByte(string(stat), ')')
		if open < 0 || close+2 >= len(stat) || stat[close+2] == 'Z' {
			continue
		}
		if string(stat[open+1:close]) == name {
			return nil
		}
		cmdline, err := os.ReadFile("/proc/" + pid + "/cmdline")
		if err == nil {
			argv0, _, _ := strings.Cut(string(cmdline), "\x00")
			if filepath.Base(argv0) == name {
				return nil
			}
		}
	}
	return fmt.Errorf("no running process named %s", name)
}

func checkTCP(target string, deadline time.Time) error {
	conn, err := net.DialTimeout("tcp", target, time.Until(deadline))
	if err != nil {
		return fmt.Errorf("cannot connect to %s: %w", target, err)
	}
	return conn.Close()
}

// checkHTTP sends one HTTP/1.1 request and reads only the status line. net/http would double
// the probe's start-up cost (TLS, HTTP/2 and proxy machinery initialise on first use) for
// nothing: the probe talks plain HTTP to local ports and judges the status code as `curl -f`.
func checkHTTP(method, target string, deadline time.Time) error {
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "http" {
		return fmt.Errorf("not an http:// URL: %s", target)
	}
	address := u.Host
	if u.Port() == "" {
		address = net.JoinHostPort(u.Hostname(), "80")
	}
	conn, err := net.DialTimeout("tcp", address, time.Until(deadline))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, target, err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(deadline); err != nil {
		return err
	}
	request := method + " " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host +
		"\r\nUser-Agent: cascade-probe\r\nAccept: */*\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
	if _, err := conn.Write([]byte(request)); err != nil {
		return fmt.Errorf("%s %s: %w", method, target, err)
	}
	statusLine, err := bufio.NewReaderSize(conn, 256).ReadString('\n')
	if err != nil {
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			return fmt.Errorf("timed out: %s %s", method, target)
		}
		return fmt.Errorf("%s %s: no response: %w", method, target, err)
	}
	var major, minor, status int
	if _, err := fmt.Sscanf(statusLine, "HTTP/%d.%d %d", &major, &minor, &status); err != nil {
		return fmt.Errorf("%s %s: malformed status line %q", method, target, strings.TrimSpace(statusLine))
	}
	if status >= 400 {
		return fmt.Errorf("%s %s answered %d", method, target, status)
	}
	return nil
}
