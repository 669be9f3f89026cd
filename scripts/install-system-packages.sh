#!/usr/bin/env bash
# Debian packages the tests need: docker.io (a real dockerd for the rehearsal and the stand-in
# image), docker-compose (validates and runs the file `cascade export compose` writes),
# prometheus (promtool checks the generated alert rules) and chromium (the rollout report's page
# is tested in a real headless browser). Skips what is present.
set -euo pipefail
needed=()
command -v dockerd >/dev/null || needed+=(docker.io)
command -v docker-compose >/dev/null || needed+=(docker-compose)
command -v promtool >/dev/null || needed+=(prometheus)
command -v chromium >/dev/null || needed+=(chromium)
if ((${#needed[@]} > 0)); then
  echo "installing ${needed[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
fi
