#!/usr/bin/env bash
# Builds the stand-in agent image cascade/standin:dev without any registry:
#   1. a root filesystem: the project's node binary (node_modules/.bin/node, the Node.js that
#      package.json installs) and the shared libraries `ldd` lists,
#      the stand-in as one esbuild bundle, the static probe binary and its default spec;
#   2. `docker import` of that filesystem as the base, then `docker build` of
#      images/standin/Dockerfile on top (entrypoint, env, user, HEALTHCHECK).
# The image is also tagged with a hash of its content; when that tag exists, nothing is
# rebuilt. Prints the image id. Needs a running engine (scripts/dockerd.sh start).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
IMAGE_DIR=$ROOT/images/standin
ROOTFS=$IMAGE_DIR/rootfs
REPOSITORY=cascade/standin

rm -rf "$ROOTFS"
mkdir -p "$ROOTFS"/{app,etc/cascade,usr/local/bin,tmp}
chmod 1777 "$ROOTFS/tmp"

[[ -x "$ROOT/node_modules/.bin/node" ]] || { echo "no $ROOT/node_modules/.bin/node: run npm ci first" >&2; exit 1; }
node_binary=$(readlink -f "$ROOT/node_modules/.bin/node")
cp "$node_binary" "$ROOTFS/usr/local/bin/node"
# `ldd` lines: "libm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)".
ldd "$node_binary" | grep -o '/[^ ]*' | while read -r library; do
  mkdir -p "$ROOTFS$(dirname "$library")"
  cp -L "$library" "$ROOTFS$library"
done

cp "$("$ROOT/probe/build.sh")" "$ROOTFS/usr/local/bin/cascade-probe"
cp "$IMAGE_DIR/probe.json" "$ROOTFS/etc/cascade/probe.json"
"$ROOT/node_modules/.bin/esbuild" "$ROOT/src/standin/main.ts" --bundle --platform=node \
  --target=node24 --log-level=warning --outfile="$ROOTFS/app/standin.js"
printf 'root:x:0:0::/:/nonexistent\nnobody:x:65534:65534::/:/nonexistent\n' >"$ROOTFS/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$ROOTFS/etc/group"

# A reproducible tar (fixed order, times and owners), so equal content gives an equal hash.
tarball=$(mktemp --suffix=.tar)
trap 'rm -f "$tarball"' EXIT
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$ROOTFS" -cf "$tarball" .
content_hash=$(cat "$tarball" "$IMAGE_DIR/Dockerfile" | sha256sum | cut -c1-16)
tag=$REPOSITORY:$content_hash

if ! docker image inspect "$tag" >/dev/null 2>&1; then
  docker import "$tarball" "$REPOSITORY-rootfs:$content_hash" >/dev/null
  DOCKER_BUILDKIT=0 docker build --quiet --build-arg "BASE=$REPOSITORY-rootfs:$content_hash" \
    --label "cascade.content-hash=$content_hash" -t "$tag" - <"$IMAGE_DIR/Dockerfile" >/dev/null
fi
docker tag "$tag" "$REPOSITORY:dev"
docker image inspect --format '{{.Id}}' "$REPOSITORY:dev"
