#!/usr/bin/env bash
# Builds the static probe binary (stdlib only, no downloads) and prints its path:
# probe/dist/cascade-probe for this machine, probe/dist/cascade-probe-<GOOS>-<GOARCH> when
# GOOS or GOARCH asks for another platform (e.g. GOARCH=arm64 for an arm64 Docker host; point
# cascade:probeBinary at it), so a cross build never replaces the probe this machine's tests use.
# Go's build cache makes a rebuild without changes take a fraction of a second.
set -euo pipefail
cd "$(dirname "$0")"
export GOTOOLCHAIN=local
native_os="$(env -u GOOS -u GOARCH go env GOOS)"
native_arch="$(env -u GOOS -u GOARCH go env GOARCH)"
os="${GOOS:-$native_os}"
arch="${GOARCH:-$native_arch}"
output=dist/cascade-probe
if [[ "$os/$arch" != "$native_os/$native_arch" ]]; then
  output="dist/cascade-probe-$os-$arch"
fi
GOOS="$os" GOARCH="$arch" CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$output" .
echo "$(pwd)/$output"
