#!/usr/bin/env bash
# A local Kubernetes control plane on 127.0.0.1 for cascade's end-to-end tests: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, and kwok simulating the nodes (one with nvidia.com/gpu capacity) and
# the pods' lifecycle. Nothing listens on or talks to anything but 127.0.0.1; there is no kubelet, no container
# runtime and no kube-proxy, so pod and service IPs are bookkeeping only.
#
#   scripts/k8s-local.sh start     start it (idempotent), wait until nodes are Ready, print `export KUBECONFIG=...`
#   scripts/k8s-local.sh stop      stop the processes this script started and remove the state directory
#   scripts/k8s-local.sh env       print `export KUBECONFIG=...` (and exit 1 if it is not running)
#   scripts/k8s-local.sh status    print what runs
#   scripts/k8s-local.sh kubectl-json METHOD PATH [BODY_FILE]   raw API call (no kubectl binary is needed)
#
# Binaries come from scripts/build-engine.sh (components k8s, etcd, kwok).
#
# Pods whose container image contains "kwok-unready" are made Running but never Ready (a failing readiness
# probe), so a deployment that rolls such an image out never becomes Available: that is how tests make
# cascade's post-deploy verification fail.
#
# Environment: CASCADE_K8S_STATE (default ${TMPDIR:-/tmp}/cascade-k8s), CASCADE_K8S_PORT (kube-apiserver, 16443),
# CASCADE_ETCD_PORT (client port, 23790; the peer port is +10).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${CASCADE_K8S_STATE:-${TMPDIR:-/tmp}/cascade-k8s}"
PORT="${CASCADE_K8S_PORT:-16443}"
ETCD_PORT="${CASCADE_ETCD_PORT:-23790}"
ETCD_PEER_PORT=$((ETCD_PORT + 10))
HOST=127.0.0.1
SERVER="https://$HOST:$PORT"
KUBECONFIG_FILE="$STATE/kubeconfig"
TOKEN_FILE="$STATE/pki/admin.token"

log() { printf '[k8s-local] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

bindir() { "$ROOT/scripts/build-engine.sh" path "$1"; }

api() { # api METHOD PATH [BODY_FILE|-]
  local method="$1" path="$2" body="${3:-}"
  local args=(-sS --fail-with-body --cacert "$STATE/pki/ca.crt" -H "Authorization: Bearer $(cat "$TOKEN_FILE")"
    -X "$method" "$SERVER$path")
  if [[ -n "$body" ]]; then args+=(-H "Content-Type: application/json" --data-binary "@$body"); fi
  curl "${args[@]}"
}

running() { # running NAME
  local pidf="$STATE/pids/$1.pid"
  [[ -f "$pidf" ]] && kill -0 "$(cat "$pidf")" 2>/dev/null
}

launch() { # launch NAME BINARY ARGS...
  local name="$1"; shift
  if running "$name"; then return 0; fi
  log "starting $name"
  setsid "$@" >"$STATE/logs/$name.log" 2>&1 < /dev/null &
  echo $! >"$STATE/pids/$name.pid"
}

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local secs="$1" what="$2"; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then die "timed out after ${secs}s waiting for $what (logs: $STATE/logs)"; fi
    sleep 1
  done
}

gen_pki() {
  local pki="$STATE/pki"
  [[ -f "$pki/ca.crt" ]] && return 0
  mkdir -p "$pki"
  log "generating certificates"
  (
    cd "$pki"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 -subj "/CN=cascade-local-ca" 2>/dev/null
    cat >apiserver.ext <<EOF
subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
extendedKeyUsage=serverAuth
EOF
    openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver" 2>/dev/null
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out apiserver.crt -days 30 \
      -extfile apiserver.ext 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >admin.token
    printf '%s,admin,admin,system:masters\n' "$(cat admin.token)" >tokens.csv
  )
}

write_kubeconfig() {
  cat >"$KUBECONFIG_FILE" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: cascade-local
  cluster:
    server: $SERVER
    certificate-authority: $STATE/pki/ca.crt
users:
- name: admin
  user:
    token: $(cat "$TOKEN_FILE")
contexts:
- name: cascade-local
  context:
    cluster: cascade-local
    user: admin
current-context: cascade-local
EOF
}

write_kwok_config() {
  local stages="$1" out="$STATE/kwok.yaml"
  {
    # kwok's defaults are kept for its own options (node leases etc.); only the stages are given.
    local f
    for f in node-initialize node-heartbeat-with-lease pod-complete pod-delete; do
      cat "$stages/$f.yaml"; echo "---"
    done
    # kwok's pod-ready stage, except for pods with a "kwok-unready" image (handled below).
    sed -e "/^    matchExpressions:/a\\
    - key: '.spec.containers.[].image | select(test(\"kwok-unready\"))'\\
      operator: 'DoesNotExist'" "$stages/pod-ready.yaml"
    cat <<'EOF'
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: cascade-pod-running-unready
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.phase'
      operator: 'In'
      values:
      - 'Pending'
    - key: '.spec.nodeName'
      operator: 'Exists'
    - key: '.spec.containers.[].image | select(test("kwok-unready"))'
      operator: 'Exists'
  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: Initialized
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: PodScheduled
      - lastTransitionTime: {{ $now | Quote }}
        status: "False"
        type: Ready
        reason: ContainersNotReady
        message: "readiness probe failed (simulated by kwok)"
      - lastTransitionTime: {{ $now | Quote }}
        status: "False"
        type: ContainersReady
        reason: ContainersNotReady
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: false
        started: true
        restartCount: 0
        state:
          running:
            startedAt: {{ $now | Quote }}
      {{ end }}
      {{ $hostIPs := NodeIPsWith .spec.nodeName }}
      {{ with $hostIPs }}
      hostIP: {{ index . 0 | Quote }}
      {{ end }}
      {{ $podIPs := PodIPsWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) }}
      {{ with $podIPs }}
      podIP: {{ index . 0 | Quote }}
      {{ end }}
      phase: Running
      startTime: {{ $now | Quote }}
EOF
  } >"$out"
  echo "$out"
}

create_node() { # create_node NAME GPUS
  local name="$1" gpus="$2" f="$STATE/node-$1.json"
  local gpu_cap="" gpu_label=""
  if ((gpus > 0)); then
    gpu_cap=", \"nvidia.com/gpu\": \"$gpus\""
    gpu_label=", \"nvidia.com/gpu.present\": \"true\", \"cascade.dev/host\": \"mainpc\""
  fi
  cat >"$f" <<EOF
{
  "apiVersion": "v1",
  "kind": "Node",
  "metadata": {
    "name": "$name",
    "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
    "labels": {"type": "kwok", "kubernetes.io/hostname": "$name", "kubernetes.io/os": "linux",
               "kubernetes.io/arch": "amd64"$gpu_label}
  },
  "spec": {},
  "status": {
    "allocatable": {"cpu": "64", "memory": "256Gi", "pods": "250", "ephemeral-storage": "1Ti"$gpu_cap},
    "capacity": {"cpu": "64", "memory": "256Gi", "pods": "250", "ephemeral-storage": "1Ti"$gpu_cap},
    "nodeInfo": {"kubeletVersion": "fake", "kubeProxyVersion": "fake", "architecture": "amd64",
                 "operatingSystem": "linux", "containerRuntimeVersion": "kwok"}
  }
}
EOF
  if ! api GET "/api/v1/nodes/$name" >/dev/null 2>&1; then
    api POST /api/v1/nodes "$f" >/dev/null
  fi
}

nodes_ready() {
  local out
  out="$(api GET /api/v1/nodes)" || return 1
  node -e '
    const l = JSON.parse(process.argv[1]);
    const ready = l.items.filter(n => (n.status.conditions || []).some(c => c.type === "Ready" && c.status === "True"));
    process.exit(l.items.length >= 2 && ready.length === l.items.length ? 0 : 1);
  ' "$out"
}

sa_ready() { api GET /api/v1/namespaces/default/serviceaccounts/default; }

start() {
  command -v openssl >/dev/null || die "openssl is required"
  command -v curl >/dev/null || die "curl is required"
  local k8s etcd kwok
  "$ROOT/scripts/build-engine.sh" check k8s etcd kwok >/dev/null ||
    die "control plane binaries are not built: run scripts/build-engine.sh build k8s etcd kwok"
  k8s="$(bindir k8s)"; etcd="$(bindir etcd)"; kwok="$(bindir kwok)"
  mkdir -p "$STATE"/{pids,logs,etcd}
  gen_pki
  write_kubeconfig

  launch etcd "$etcd/etcd" --name cascade --data-dir "$STATE/etcd" \
    --listen-client-urls "http://$HOST:$ETCD_PORT" --advertise-client-urls "http://$HOST:$ETCD_PORT" \
    --listen-peer-urls "http://$HOST:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://$HOST:$ETCD_PEER_PORT" \
    --initial-cluster "cascade=http://$HOST:$ETCD_PEER_PORT" --unsafe-no-fsync --log-level warn
  wait_for 30 etcd curl -sf "http://$HOST:$ETCD_PORT/health"

  launch kube-apiserver "$k8s/kube-apiserver" \
    --etcd-servers "http://$HOST:$ETCD_PORT" \
    --bind-address "$HOST" --advertise-address "$HOST" --secure-port "$PORT" \
    --tls-cert-file "$STATE/pki/apiserver.crt" --tls-private-key-file "$STATE/pki/apiserver.key" \
    --client-ca-file "$STATE/pki/ca.crt" --token-auth-file "$STATE/pki/tokens.csv" \
    --authorization-mode Node,RBAC \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$STATE/pki/sa.pub" --service-account-signing-key-file "$STATE/pki/sa.key" \
    --service-cluster-ip-range 10.96.0.0/24 --allow-privileged \
    --endpoint-reconciler-type none --profiling=false
  wait_for 120 kube-apiserver api GET /readyz

  launch kube-controller-manager "$k8s/kube-controller-manager" \
    --kubeconfig "$KUBECONFIG_FILE" --authentication-kubeconfig "$KUBECONFIG_FILE" \
    --authorization-kubeconfig "$KUBECONFIG_FILE" \
    --bind-address "$HOST" --secure-port 0 --leader-elect=false \
    --service-account-private-key-file "$STATE/pki/sa.key" --root-ca-file "$STATE/pki/ca.crt" \
    --use-service-account-credentials=false --node-monitor-grace-period 120s --profiling=false
  launch kube-scheduler "$k8s/kube-scheduler" \
    --kubeconfig "$KUBECONFIG_FILE" --authentication-kubeconfig "$KUBECONFIG_FILE" \
    --authorization-kubeconfig "$KUBECONFIG_FILE" \
    --bind-address "$HOST" --secure-port 0 --leader-elect=false --profiling=false

  local cfg; cfg="$(write_kwok_config "$kwok/../stages")"
  launch kwok "$kwok/kwok" --kubeconfig "$KUBECONFIG_FILE" --config "$cfg" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --node-ip "$HOST" --cidr 10.244.0.1/16 --server-address "$HOST:0" --node-lease-duration-seconds 40

  create_node kwok-cpu-0 0
  create_node kwok-gpu-0 8
  wait_for 120 "nodes Ready" nodes_ready
  wait_for 60 "default service account" sa_ready
  log "control plane ready at $SERVER"
  echo "export KUBECONFIG=\"$KUBECONFIG_FILE\""
}

stop() {
  local name pid
  for name in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
    [[ -f "$STATE/pids/$name.pid" ]] || continue
    pid="$(cat "$STATE/pids/$name.pid")"
    if kill -0 "$pid" 2>/dev/null; then
      log "stopping $name ($pid)"
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$STATE/pids/$name.pid"
  done
  if [[ "${1:-}" != "--keep" ]]; then rm -rf "$STATE"; fi
}

status() {
  local name
  for name in etcd kube-apiserver kube-controller-manager kube-scheduler kwok; do
    if running "$name"; then echo "$name: running ($(cat "$STATE/pids/$name.pid"))"; else echo "$name: stopped"; fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) shift; stop "$@" ;;
  env)
    running kube-apiserver || die "not running (scripts/k8s-local.sh start)"
    echo "export KUBECONFIG=\"$KUBECONFIG_FILE\""
    ;;
  status) status ;;
  kubectl-json) shift; api "$@" ;;
  *) die "usage: $0 start|stop [--keep]|env|status|kubectl-json METHOD PATH [BODY_FILE]" ;;
esac
