#!/usr/bin/env bash
# Debian packages the tests need: docker.io (a real dockerd for the rehearsal and the stand-in
# image) and prometheus (promtool checks the generated alert rules). Skips what is present.
set -euo pipefail
needed=()
command -v dockerd >/dev/null || needed+=(docker.io)
command -v promtool >/dev/null || needed+=(prometheus)
if ((${#needed[@]} > 0)); then
  echo "installing ${needed[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
fi
