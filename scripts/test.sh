#!/usr/bin/env bash
# `npm test`: every test, in five lanes run at once, each line prefixed with its lane. The lanes
# mostly wait (health checks, verify windows, the engine), so together they take about as long as
# the longest one. Lanes by what they need:
#   unit           nothing: no containers, no engine
#   docker         dockerd: the rehearsal, Compose, the stand-in image
#   docker-engine  dockerd and the engine with its Docker provider: the local Docker stacks
#   engine         the engine and its Docker provider, no containers: the rollout suite on the
#                  file backend, the provider's schema against the npm SDK
#   kubernetes     the engine with its Kubernetes provider and a local control plane
# The docker and docker-engine lanes bind the agents' ports on the host network, so they take the
# machine's Docker lock: one after the other, whoever runs them.
#   npm test                              every lane
#   npm test -- --lanes unit,docker       those lanes, at once
#   npm test -- FILE...                   just those files, in one mocha
set -uo pipefail
cd "$(dirname "$0")/.."

DOCKER=(test/rehearse/scenarios.test.ts test/rehearse/cli.test.ts test/rehearse/leftovers.test.ts
  test/docker/compose-up.test.ts test/standin/image.test.ts)
DOCKER_ENGINE=(test/e2e/docker-local.test.ts)
ENGINE=(test/rollout/e2e.test.ts test/docker/provider-schema.test.ts)
KUBERNETES=(test/e2e/k8s-local.test.ts)
UNIT=('test/**/*.test.ts')
for file in "${DOCKER[@]}" "${DOCKER_ENGINE[@]}" "${ENGINE[@]}" "${KUBERNETES[@]}"; do
  UNIT+=(--exclude "$file")
done
ALL=unit,docker,docker-engine,engine,kubernetes

docker_locked() { flock "${CASCADE_DOCKER_LOCK:-/tmp/cascade-docker.lock}" mocha "$@"; }
unit_lane() { mocha "${UNIT[@]}"; }
docker_lane() { docker_locked "${DOCKER[@]}"; }
docker-engine_lane() { docker_locked "${DOCKER_ENGINE[@]}"; }
engine_lane() { mocha "${ENGINE[@]}"; }
kubernetes_lane() { mocha "${KUBERNETES[@]}"; }

lanes=$ALL
case ${1:-} in
  --lanes) lanes=${2:?--lanes one or more of $ALL, comma-separated} ;;
  -*) echo "usage: npm test [-- --lanes $ALL | FILE...]" >&2 && exit 2 ;;
  ?*) exec mocha "$@" ;;
esac
IFS=, read -ra names <<<"$lanes"
for name in "${names[@]}"; do
  [[ ,$ALL, == *,"$name",* ]] || { echo "no lane '$name': the lanes are $ALL" >&2 && exit 2; }
done

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
# Interrupted: every lane's mocha goes too (they share this process group), then exit 130.
trap 'trap "" INT TERM; kill -TERM 0; exit 130' INT TERM

lane() {
  local name=$1 start=$SECONDS
  "${name}_lane" 2>&1 | tee "$results/$name.log" | sed -u "s/^/[$name] /"
  echo "${PIPESTATUS[0]} $((SECONDS - start))" >"$results/$name"
}

# A failed lane's failures, from mocha's closing report ("N passing", "M failing", each error),
# or its last lines if it has none; at most 80 lines. With the lanes' lines interleaved above,
# this is where a reader looks.
failures_of() {
  local log=$results/$1.log closing
  closing=$(sed -n '/[0-9] passing.*(/,$p' "$log")
  { [[ -n $closing ]] && echo "$closing" || tail -n 30 "$log"; } | head -n 80 | sed "s/^/[$1, node $node] /"
}

for name in "${names[@]}"; do lane "$name" & done
wait

failed=()
summary=""
node=$(node --version)
for name in "${names[@]}"; do
  read -r status seconds <"$results/$name" || status=1 seconds=?
  summary+="lane $name (node $node): $([[ $status == 0 ]] && echo passed || echo FAILED) in ${seconds}s"$'\n'
  [[ $status == 0 ]] || failed+=("$name")
done
report=$(for name in "${failed[@]}"; do failures_of "$name"; done)
[[ -z $report ]] || echo "$report"
echo -n "$summary"
# CASCADE_TEST_SUMMARY: a file that collects the same from every `npm test` of a CI run (several
# at once: each appends under the file's lock).
if [[ -n ${CASCADE_TEST_SUMMARY:-} ]]; then
  { flock 9 && printf '%s%s' "${report:+$report$'\n'}" "$summary" >&9; } 9>>"$CASCADE_TEST_SUMMARY"
fi
((${#failed[@]} == 0))
