#!/usr/bin/env bash
# Starts, stops or reports a local Docker engine for tests and rehearsals:
#   scripts/dockerd.sh start|stop|status
# `start` reuses any daemon already answering on the socket, so several callers can share one.
# The daemon gets no bridge and no iptables rules: containers run with --network host and
# only 127.0.0.1 is used. Needs root and Debian's docker.io (exit 3 when it is absent).
set -euo pipefail

PIDFILE=${CASCADE_DOCKERD_PIDFILE:-/var/run/cascade-dockerd.pid}
LOGFILE=${CASCADE_DOCKERD_LOG:-/tmp/cascade-dockerd.log}
LOCKFILE=/tmp/cascade-dockerd.lock
START_TIMEOUT_SECONDS=${CASCADE_DOCKERD_START_TIMEOUT:-60}

answering() { docker info >/dev/null 2>&1; }

start() {
  if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null; then
    echo "dockerd.sh: docker.io is not installed (apt-get install -y docker.io)" >&2
    exit 3
  fi
  exec 9>"$LOCKFILE"
  flock 9 # one starter at a time; the others find it answering
  if answering; then
    echo "dockerd.sh: reusing the running Docker engine"
    return
  fi
  setsid dockerd --bridge=none --iptables=false --ip6tables=false --pidfile "$PIDFILE" \
    >>"$LOGFILE" 2>&1 </dev/null 9>&- &
  for ((i = 0; i < START_TIMEOUT_SECONDS * 5; i++)); do
    if answering; then
      echo "dockerd.sh: started dockerd (pid $(cat "$PIDFILE"), log $LOGFILE)"
      return
    fi
    sleep 0.2
  done
  echo "dockerd.sh: dockerd did not answer within ${START_TIMEOUT_SECONDS}s; last log lines:" >&2
  tail -n 20 "$LOGFILE" >&2
  exit 1
}

stop() {
  if [[ ! -s $PIDFILE ]]; then
    echo "dockerd.sh: no dockerd started by this script"
    return
  fi
  local pid
  pid=$(cat "$PIDFILE")
  kill "$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || { echo "dockerd.sh: stopped dockerd (pid $pid)"; return; }
    sleep 0.2
  done
  echo "dockerd.sh: dockerd (pid $pid) did not stop within 30s" >&2
  exit 1
}

status() {
  if answering; then
    echo "running: $(docker version --format 'engine {{.Server.Version}}' 2>/dev/null)"
  else
    echo "not running"
    exit 1
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
