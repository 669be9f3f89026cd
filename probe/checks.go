package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// maxBody bounds the health response the probe reads (the seed's §3.1 document is < 1 KiB).
const maxBody = 64 << 10

func checkTarget(stage Stage, target string, deadline time.Time) error {
	switch stage.Kind {
	case "process":
		return checkProcess(target)
	case "tcp":
		return checkTCP(target, deadline)
	case "health":
		return checkHealth(target, deadline)
	default:
		method := stage.Method
		if method == "" {
			method = "GET"
		}
		return checkHTTP(method, target, deadline)
	}
}

func checkProcess(target string) error {
	if pid, isPid := strings.CutPrefix(target, "pid:"); isPid {
		return checkPid(pid)
	}
	name := target
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

// checkPid passes when process pid lives and is not a zombie (pid 1: the container's main process).
func checkPid(pid string) error {
	stat, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return fmt.Errorf("no process %s", pid)
	}
	close := strings.LastIndexByte(string(stat), ')')
	if close < 0 || close+2 >= len(stat) {
		return fmt.Errorf("unreadable /proc/%s/stat", pid)
	}
	if stat[close+2] == 'Z' {
		return fmt.Errorf("process %s is a zombie", pid)
	}
	return nil
}

func checkTCP(target string, deadline time.Time) error {
	conn, err := net.DialTimeout("tcp", target, time.Until(deadline))
	if err != nil {
		return fmt.Errorf("cannot connect to %s: %w", target, err)
	}
	return conn.Close()
}

// checkHTTP sends one HTTP/1.1 request and judges its status code as `curl -f` does.
func checkHTTP(method, target string, deadline time.Time) error {
	status, _, err := exchange(method, target, deadline, false)
	if err != nil {
		return err
	}
	if status >= 400 {
		return fmt.Errorf("%s %s answered %d", method, target, status)
	}
	return nil
}

// checkHealth passes when a standard health endpoint (seed 3.1) answers below 400 and reports
// "healthy": degraded is not fully operational.
func checkHealth(target string, deadline time.Time) error {
	status, body, err := exchange("GET", target, deadline, true)
	if err != nil {
		return err
	}
	if status >= 400 {
		return fmt.Errorf("GET %s answered %d", target, status)
	}
	var health struct {
		Status string `json:"status"`
	}
	if json.Unmarshal(body, &health) != nil || health.Status == "" {
		return fmt.Errorf("GET %s reports no health status", target)
	}
	if health.Status != "healthy" {
		return fmt.Errorf("GET %s reports %s", target, health.Status)
	}
	return nil
}

// exchange sends one HTTP/1.1 request and reads the status line, and the body when asked.
// net/http would double the probe's start-up cost (TLS, HTTP/2 and proxy machinery initialise
// on first use) for nothing: the probe talks plain HTTP to local ports.
func exchange(method, target string, deadline time.Time, withBody bool) (int, []byte, error) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "http" {
		return 0, nil, fmt.Errorf("not an http:// URL: %s", target)
	}
	address := u.Host
	if u.Port() == "" {
		address = net.JoinHostPort(u.Hostname(), "80")
	}
	conn, err := net.DialTimeout("tcp", address, time.Until(deadline))
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, target, err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(deadline); err != nil {
		return 0, nil, err
	}
	accept := "*/*" // as curl -f
	if withBody {
		accept = "application/json" // the seed's format, not application/health+json
	}
	request := method + " " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host +
		"\r\nUser-Agent: cascade-probe\r\nAccept: " + accept + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
	if _, err := conn.Write([]byte(request)); err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, target, err)
	}
	reader := bufio.NewReaderSize(conn, 512)
	statusLine, err := reader.ReadString('\n')
	if err != nil {
		return 0, nil, readError(method, target, err)
	}
	var major, minor, status int
	if _, err := fmt.Sscanf(statusLine, "HTTP/%d.%d %d", &major, &minor, &status); err != nil {
		return 0, nil, fmt.Errorf("%s %s: malformed status line %q", method, target, strings.TrimSpace(statusLine))
	}
	if !withBody {
		return status, nil, nil
	}
	body, err := readBody(reader)
	if err != nil {
		return 0, nil, readError(method, target, err)
	}
	return status, body, nil
}

func readError(method, target string, err error) error {
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return fmt.Errorf("timed out: %s %s", method, target)
	}
	return fmt.Errorf("%s %s: no response: %w", method, target, err)
}

// readBody reads the headers after the status line, then the body: chunked, or up to its
// Content-Length, or to the end of the connection (the request says Connection: close).
func readBody(reader *bufio.Reader) ([]byte, error) {
	chunked, length := false, int64(-1)
	for {
		line, err := reader.ReadString('\n')
		if err != nil {
			return nil, err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		name, value, _ := strings.Cut(line, ":")
		value = strings.TrimSpace(value)
		switch strings.ToLower(name) {
		case "transfer-encoding":
			chunked = strings.Contains(strings.ToLower(value), "chunked")
		case "content-length":
			if n, err := strconv.ParseInt(value, 10, 64); err == nil {
				length = n
			}
		}
	}
	if chunked {
		return readChunks(reader)
	}
	if length >= 0 {
		body := make([]byte, min(length, maxBody))
		_, err := io.ReadFull(reader, body)
		return body, err
	}
	return io.ReadAll(io.LimitReader(reader, maxBody))
}

func readChunks(reader *bufio.Reader) ([]byte, error) {
	var body []byte
	for {
		line, err := reader.ReadString('\n')
		if err != nil {
			return nil, err
		}
		sizeText, _, _ := strings.Cut(strings.TrimSpace(line), ";")
		size, err := strconv.ParseInt(sizeText, 16, 64)
		if err != nil || size < 0 {
			return nil, errors.New("malformed chunk size")
		}
		if size == 0 {
			return body, nil
		}
		if int64(len(body))+size > maxBody {
			return nil, errors.New("health response too large")
		}
		chunk := make([]byte, size+2) // the chunk and its CRLF
		if _, err := io.ReadFull(reader, chunk); err != nil {
			return nil, err
		}
		body = append(body, chunk[:size]...)
	}
}
