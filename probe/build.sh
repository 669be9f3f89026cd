#!/usr/bin/env bash
# Builds the static probe binary: probe/dist/cascade-probe (stdlib only, no downloads).
# Go's build cache makes a rebuild without changes take a fraction of a second.
set -euo pipefail
cd "$(dirname "$0")"
export GOTOOLCHAIN=local
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o dist/cascade-probe .
echo "$(pwd)/dist/cascade-probe"
