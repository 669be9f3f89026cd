#!/usr/bin/env bash
# Build the real Pulumi engine and a local Kubernetes control plane from Go modules, into a cache outside
# the repository, keyed by version. Only what is missing (or whose pinned version changed) is rebuilt.
#
#   scripts/build-engine.sh [build] [COMPONENT...]   build missing components (default: all)
#   scripts/build-engine.sh check [COMPONENT...]     exit 0 if every component is built, else list what is missing
#   scripts/build-engine.sh env                      print `export` lines (PATH, PULUMI_*, CASCADE_K8S_BIN)
#   scripts/build-engine.sh path COMPONENT           print the bin dir of one component
#
# Components: pulumi (CLI + cascade's Node.js language host), pulumi-kubernetes (provider), pulumi-docker
# (provider, bridged from the Terraform Docker provider), k8s (kube-apiserver, kube-controller-manager,
# kube-scheduler), etcd, kwok.
#
# Versions come from the Go modules under tools/ (tools/*/go.mod); the CLI's version must equal the npm
# @pulumi/pulumi version in package-lock.json, which is checked here. The Docker provider is versioned as
# @pulumi/docker in package-lock.json: the npm SDK asks the engine for that version.
#
# Environment:
#   CASCADE_TOOLS_CACHE  cache root (default: $HOME/.cache/cascade-tools); layout <component>/<version>/bin/
#   CASCADE_BUILD_JOBS   how many components to build at once (default 1: each `go build` already uses all cores)
#   CASCADE_BUILD_BUDGET seconds; past it, running builds are stopped and the script exits 2 (what finished stays
#                        cached, and Go's build cache keeps partial progress for the next run). 0 = no limit.
#   GOFLAGS, GOCACHE, GOMODCACHE are honoured as usual.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/tools"
CACHE="${CASCADE_TOOLS_CACHE:-$HOME/.cache/cascade-tools}"
ALL=(pulumi pulumi-kubernetes pulumi-docker k8s etcd kwok)
export GOFLAGS="${GOFLAGS:--buildvcs=false} -trimpath"

log() { printf '[build-engine] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

need_go() { command -v go >/dev/null || die "go is not on PATH (install Go >= 1.26)"; }

# modver DIR MODULE: the version of MODULE selected in the tools module DIR (offline after the first download).
modver() { (cd "$1" && go list -m -f '{{if .Replace}}{{.Replace.Version}}{{else}}{{.Version}}{{end}}' "$2"); }

# moddir DIR MODULE: where MODULE's source is, downloading it first: `go list -m` prints an empty .Dir for a
# module that is not in the module cache yet (on a new machine, every module).
moddir() {
  (cd "$1" && go mod download "$2" &&
    go list -m -f '{{if .Replace}}{{.Replace.Dir}}{{else}}{{.Dir}}{{end}}' "$2")
}

# stamp DIR [FILES...]: a digest of the inputs of a tools module (go.mod, go.sum, any local sources) + Go version.
stamp() {
  local dir="$1"; shift
  { go env GOVERSION; cat "$dir/go.mod" "$dir/go.sum" "$@"; } | sha256sum | cut -c1-16
}

lock_version() { # npm package version from package-lock.json
  node -e 'const l=require(process.argv[1]);const p=l.packages["node_modules/"+process.argv[2]];if(!p)process.exit(1);console.log(p.version)' \
    "$ROOT/package-lock.json" "$1"
}

# version_of COMPONENT -> prints the version used as the cache key
version_of() {
  case "$1" in
    pulumi) modver "$TOOLS/pulumi" github.com/pulumi/pulumi/pkg/v3 ;;
    pulumi-kubernetes) modver "$TOOLS/pulumi-kubernetes" github.com/pulumi/pulumi-kubernetes/provider/v4 ;;
    pulumi-docker) echo "v$(lock_version @pulumi/docker)" ;;
    k8s) modver "$TOOLS/k8s" k8s.io/kubernetes ;;
    etcd) modver "$TOOLS/k8s" go.etcd.io/etcd/server/v3 ;;
    kwok) modver "$TOOLS/kwok" sigs.k8s.io/kwok ;;
    *) die "unknown component $1" ;;
  esac
}

binaries_of() {
  case "$1" in
    pulumi) echo pulumi pulumi-language-nodejs ;;
    pulumi-kubernetes) echo pulumi-resource-kubernetes ;;
    pulumi-docker) echo pulumi-resource-docker ;;
    k8s) echo kube-apiserver kube-controller-manager kube-scheduler ;;
    etcd) echo etcd ;;
    kwok) echo kwok ;;
  esac
}

moddir_of() {
  case "$1" in
    pulumi) echo "$TOOLS/pulumi" ;;
    pulumi-kubernetes) echo "$TOOLS/pulumi-kubernetes" ;;
    pulumi-docker) echo "$TOOLS/pulumi-docker" ;;
    k8s | etcd) echo "$TOOLS/k8s" ;;
    kwok) echo "$TOOLS/kwok" ;;
  esac
}

stamp_of() {
  local c="$1" d; d="$(moddir_of "$c")"
  case "$c" in
    pulumi) stamp "$d" "$d/cmd/pulumi-language-nodejs/main.go" ;;
    pulumi-kubernetes) stamp "$d" "$d/cmd/pulumi-resource-kubernetes/main.go" ;;
    pulumi-docker) stamp "$d" $(find "$d" -name '*.go' | sort) ;;
    *) stamp "$d" ;;
  esac
}

bindir_of() { echo "$CACHE/$1/$(version_of "$1")/bin"; }

is_built() {
  local c="$1" bin b
  bin="$(bindir_of "$c")"
  for b in $(binaries_of "$c"); do [[ -x "$bin/$b" ]] || return 1; done
  [[ "$(cat "$bin/../.stamp" 2>/dev/null)" == "$(stamp_of "$c")" ]]
}

check_versions() {
  local npm_pulumi cli
  npm_pulumi="$(lock_version @pulumi/pulumi)" || die "package-lock.json has no @pulumi/pulumi"
  cli="$(version_of pulumi)"
  [[ "v$npm_pulumi" == "$cli" ]] ||
    die "tools/pulumi pins pulumi $cli but package-lock.json has @pulumi/pulumi $npm_pulumi: update tools/pulumi/go.mod"
}

# build_docker_provider TOOLSDIR OUT VERSION: pulumi-resource-docker, with its schema and bridge metadata generated
# here and embedded. It builds in a scratch copy: the shim that reaches the Terraform provider's internal package
# must live inside that provider's module, and the bridge's SDK fork lacks one method that terraform-plugin-go
# v0.31 asks for (tools/pulumi-docker/_upstream holds both files). The copy's go.mod points at the two patched
# module copies; everything else resolves exactly as tools/pulumi-docker/go.sum says. `no_compose` leaves out
# the docker_compose resource (docker/compose), which cascade does not map.
build_docker_provider() {
  local d="$1" out="$2" version="$3" work="$2/src" tf sdk
  # Each step is checked: build_one runs this on the left of `||`, where `set -e` does not apply.
  tf="$(moddir "$d" github.com/terraform-providers/terraform-provider-docker)" &&
    sdk="$(moddir "$d" github.com/hashicorp/terraform-plugin-sdk/v2)" &&
    mkdir -p "$work" &&
    cp -r "$d" "$work/tools" &&
    cp -r "$tf" "$work/terraform-provider-docker" &&
    cp -r "$sdk" "$work/terraform-plugin-sdk" &&
    chmod -R u+w "$work" &&
    cp -r "$d/_upstream/." "$work/" || return 1
  (
    cd "$work/tools" &&
      go mod edit -replace "github.com/terraform-providers/terraform-provider-docker=../terraform-provider-docker" \
        -replace "github.com/hashicorp/terraform-plugin-sdk/v2=../terraform-plugin-sdk" &&
      go build -tags no_compose -ldflags "-s -w" -o "$out/pulumi-tfgen-docker" ./cmd/pulumi-tfgen-docker &&
      CASCADE_DOCKER_PROVIDER_VERSION="$version" "$out/pulumi-tfgen-docker" schema --skip-docs --out "$work/gen" \
        >"$work/tfgen.log" 2>&1 || { cat "$work/tfgen.log" >&2; exit 1; }
    node -e '
      const fs = require("fs"); const [file, version] = process.argv.slice(1);
      const schema = JSON.parse(fs.readFileSync(file, "utf8")); schema.version = version;
      fs.writeFileSync(file, JSON.stringify(schema));
    ' "$work/gen/schema.json" "$version" &&
      cp "$work/gen/schema.json" "$work/gen/bridge-metadata.json" cmd/pulumi-resource-docker/ &&
      go build -tags no_compose -ldflags "-s -w -X main.version=$version" \
        -o "$out/bin/pulumi-resource-docker" ./cmd/pulumi-resource-docker
  ) || return 1
  # The schema the provider serves, for test/docker/provider-schema.test.ts.
  cp "$work/gen/schema.json" "$out/schema.json" && rm -rf "$work" "$out/pulumi-tfgen-docker"
}

build_one() {
  local c="$1" ver d out tmp
  ver="$(version_of "$c")"; d="$(moddir_of "$c")"
  out="$CACHE/$c/$ver"; tmp="$out.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp/bin"
  log "building $c $ver into $out"
  local start timing; start=$(date +%s)
  (
    cd "$d"
    case "$c" in
      pulumi)
        local sdkver; sdkver="$(modver "$d" github.com/pulumi/pulumi/sdk/v3)"
        go build -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$ver" \
          -o "$tmp/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
        go build -ldflags "-s -w -X main.version=${sdkver#v}-cascade" \
          -o "$tmp/bin/pulumi-language-nodejs" ./cmd/pulumi-language-nodejs
        ;;
      pulumi-kubernetes)
        # Upstream's main package embeds schema-embed.json / terraform-mapping-embed.json, generated before its
        # release builds (cmd/pulumi-resource-kubernetes/generate.go) and so missing from the module zip. Build
        # tools/pulumi-kubernetes/cmd/pulumi-resource-kubernetes (the same entry point) instead, generating the two
        # files the way generate.go does (schema.json with its version set, compacted) into a temp dir and handing
        # them to `go build -overlay` (overlays may not touch the module cache, hence the local main package).
        local src gen; src="$(moddir "$d" github.com/pulumi/pulumi-kubernetes/provider/v4)/cmd/pulumi-resource-kubernetes"
        gen="$tmp/gen"; mkdir -p "$gen"
        node -e '
          const fs = require("fs"); const [src, pkg, out, version] = process.argv.slice(1);
          const s = JSON.parse(fs.readFileSync(src + "/schema.json", "utf8")); s.version = version;
          fs.writeFileSync(out + "/schema-embed.json", JSON.stringify(s));
          fs.writeFileSync(out + "/terraform-mapping-embed.json",
            JSON.stringify(JSON.parse(fs.readFileSync(src + "/terraform-mapping.json", "utf8"))));
          fs.writeFileSync(out + "/overlay.json", JSON.stringify({ Replace: {
            [pkg + "/schema-embed.json"]: out + "/schema-embed.json",
            [pkg + "/terraform-mapping-embed.json"]: out + "/terraform-mapping-embed.json" } }));
        ' "$src" "$d/cmd/pulumi-resource-kubernetes" "$gen" "${ver#v}"
        go build -overlay "$gen/overlay.json" \
          -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=${ver#v}" \
          -o "$tmp/bin/pulumi-resource-kubernetes" ./cmd/pulumi-resource-kubernetes
        rm -rf "$gen"
        ;;
      pulumi-docker) build_docker_provider "$d" "$tmp" "${ver#v}" ;;
      k8s)
        local b
        for b in kube-apiserver kube-controller-manager kube-scheduler; do
          go build -ldflags "-s -w" -o "$tmp/bin/$b" "k8s.io/kubernetes/cmd/$b"
        done
        ;;
      etcd)
        go build -ldflags "-s -w" -o "$tmp/bin/etcd" go.etcd.io/etcd/server/v3
        ;;
      kwok)
        go build -ldflags "-s -w" -o "$tmp/bin/kwok" sigs.k8s.io/kwok/cmd/kwok
        # kwok's own stage definitions (node lifecycle, pod lifecycle), used by scripts/k8s-local.sh.
        local kdir; kdir="$(moddir "$d" sigs.k8s.io/kwok)/kustomize/stage"
        mkdir -p "$tmp/stages"
        cp "$kdir/node/fast/node-initialize.yaml" "$kdir/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml" \
          "$kdir"/pod/fast/pod-{ready,complete,delete}.yaml "$tmp/stages/"
        chmod -R u+w "$tmp/stages"
        ;;
    esac
  ) || { log "FAILED to build $c $ver"; rm -rf "$tmp"; return 1; }
  local b; for b in $(binaries_of "$c"); do
    [[ -x "$tmp/bin/$b" ]] || { log "FAILED to build $c $ver: no $b"; rm -rf "$tmp"; return 1; }
  done
  # CPU time of this shell's children (build_one runs in its own subshell, so that is this build only).
  times > "$tmp/.times"
  timing="wall=$(( $(date +%s) - start ))s cpu=$(awk 'NR==2 {
    split($1, u, /[ms]/); split($2, s, /[ms]/); printf "%.0fs", u[1]*60 + u[2] + s[1]*60 + s[2] }' "$tmp/.times")"
  rm -f "$tmp/.times"
  stamp_of "$c" > "$tmp/.stamp"
  rm -rf "$out"; mv "$tmp" "$out"
  printf '%s\t%s\t%s\t%s\tjobs=%s\n' "$(date -u +%FT%TZ)" "$c" "$ver" "$timing" "${CASCADE_BUILD_JOBS:-1}" \
    >> "$CACHE/build-times.log"
  log "built $c $ver: $timing"
  if [[ "$c" == pulumi ]]; then
    # Where npm's `pulumi` shim looks first.
    local ph="${PULUMI_HOME:-$HOME/.pulumi}/versions/${ver#v}/bin"
    mkdir -p "$ph"; ln -sf "$out/bin/pulumi" "$out/bin/pulumi-language-nodejs" "$ph/"
  fi
}

print_env() {
  local c path=""
  for c in pulumi pulumi-kubernetes pulumi-docker; do path="$(bindir_of "$c"):$path"; done
  echo "export PATH=\"${path}\$PATH\""
  echo "export PULUMI_SKIP_UPDATE_CHECK=true"
  echo "export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true"
  echo "export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true"
  echo "export CASCADE_K8S_BIN=\"$(bindir_of k8s):$(bindir_of etcd):$(bindir_of kwok)\""
}

cmd="${1:-build}"; [[ $# -gt 0 ]] && shift
need_go
mkdir -p "$CACHE"
comps=("$@"); [[ ${#comps[@]} -eq 0 ]] && comps=("${ALL[@]}")
case "$cmd" in
  build)
    check_versions
    todo=()
    for c in "${comps[@]}"; do
      if is_built "$c"; then log "$c $(version_of "$c"): cached"; else todo+=("$c"); fi
    done
    [[ ${#todo[@]} -eq 0 ]] && exit 0
    jobs_max="${CASCADE_BUILD_JOBS:-1}"
    budget="${CASCADE_BUILD_BUDGET:-0}"
    # Each build runs in its own process group (job control), so that a build over budget can be stopped
    # with everything it started. Go's build cache keeps what was compiled: the next run resumes from there.
    set -m
    pids=(); next=0; over=0
    # Interrupted: the builds go too (each is its own process group), then exit 130.
    stop_builds() { for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done; }
    trap 'stop_builds; exit 130' INT
    trap 'stop_builds; exit 143' TERM
    while :; do
      running=0
      for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && running=$((running + 1)); done
      if ((budget > 0 && SECONDS >= budget)); then
        if ((running > 0 || next < ${#todo[@]})); then
          log "over the ${budget}s budget (CASCADE_BUILD_BUDGET): stopping; rerun to resume from Go's build cache"
          over=1
          for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
        fi
        break
      fi
      if ((next < ${#todo[@]} && running < jobs_max)); then
        build_one "${todo[$next]}" &
        pids+=($!); next=$((next + 1)); continue
      fi
      ((running == 0 && next >= ${#todo[@]})) && break
      sleep 2
    done
    rc=0
    for p in "${pids[@]}"; do wait "$p" || rc=1; done
    for c in "${todo[@]}"; do is_built "$c" || { log "not built: $c"; rc=1; }; done
    ((over)) && exit 2
    exit $rc
    ;;
  check)
    missing=()
    for c in "${comps[@]}"; do is_built "$c" || missing+=("$c"); done
    [[ ${#missing[@]} -eq 0 ]] || { echo "missing: ${missing[*]}"; exit 1; }
    ;;
  env) print_env ;;
  path) bindir_of "${comps[0]}" ;;
  *) die "usage: $0 [build|check|env|path] [component...]" ;;
esac
