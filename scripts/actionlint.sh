#!/usr/bin/env bash
# Validates .github/workflows with actionlint, built from its Go module into a cache outside the
# repository (the module proxy is enough; no binary download).
#
#   scripts/actionlint.sh [actionlint args...]
#
# Environment:
#   ACTIONLINT_VERSION  module version to build (default below)
#   CASCADE_TOOLS_CACHE cache root (default: $HOME/.cache/cascade-tools); the binary lands in
#                       $CASCADE_TOOLS_CACHE/actionlint/<version>/bin/actionlint
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION="${ACTIONLINT_VERSION:-v1.7.7}"
CACHE="${CASCADE_TOOLS_CACHE:-$HOME/.cache/cascade-tools}"
BIN_DIR="$CACHE/actionlint/$VERSION/bin"
BIN="$BIN_DIR/actionlint"

if [ ! -x "$BIN" ]; then
  command -v go >/dev/null || { echo "actionlint.sh: go is not on PATH; install Go 1.22+" >&2; exit 1; }
  echo "[actionlint] building github.com/rhysd/actionlint/cmd/actionlint@$VERSION into $BIN_DIR" >&2
  mkdir -p "$BIN_DIR"
  GOBIN="$BIN_DIR" GOFLAGS="${GOFLAGS:-} -trimpath" go install "github.com/rhysd/actionlint/cmd/actionlint@$VERSION"
fi

cd "$ROOT"
# shellcheck and pyflakes integrations are used when installed; actionlint skips them otherwise.
exec "$BIN" -color "$@"
