#!/usr/bin/env bash
# A private Docker Engine and registry for developing gantry's build side, the same pair the
# tests start (test/support/docker-services.ts): dockerd on a unix socket without bridge or
# iptables rules, docker-registry on 127.0.0.1. State (images, registry blobs, logs, pids) lives
# in .gantry/services/ and survives a stop, so the build cache stays warm.
#
#   eval "$(scripts/services.sh start)"   # starts both (or finds them running), prints the env
#   scripts/services.sh env | status | stop
#
# Needs root (dockerd does) and Debian's docker.io and docker-registry packages.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
STATE="$ROOT/.gantry/services"
DOCKER_DIR="$STATE/docker"
REG_DIR="$STATE/registry"

say() { echo "services: $*" >&2; }
die() { say "$*"; exit 1; }

# a unix socket path must stay under ~104 bytes: fall back to a short directory in /tmp
run_dir() {
  if [ ${#DOCKER_DIR} -le 50 ]; then echo "$DOCKER_DIR/run"; else echo "/tmp/gantry-$(printf %s "$ROOT" | sha1sum | cut -c1-10)"; fi
}
SOCK="$(run_dir)/docker.sock"

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# GET a URL (or a path on a unix socket) with node, which every gantry checkout has; prints the status
http_status() {
  node -e '
    const http = require("node:http");
    const [sock, url] = process.argv.slice(1);
    const opts = sock ? { socketPath: sock, path: url } : url;
    const req = http.get(opts, (res) => { console.log(res.statusCode); res.resume(); });
    req.setTimeout(2000, () => req.destroy());
    req.on("error", () => console.log(0));' "$@"
}

wait_for() { # name, tries of 0.1 s, command…
  local name=$1 tries=$2; shift 2
  for _ in $(seq "$tries"); do
    case "$("$@")" in 200|401) return 0 ;; esac
    sleep 0.1
  done
  die "$name did not become ready; see its log in $STATE"
}

print_env() {
  echo "export DOCKER_HOST=unix://$SOCK"
  echo "export GANTRY_REGISTRY=127.0.0.1:$(cat "$REG_DIR/port")"
}

start_registry() {
  if alive "$REG_DIR/registry.pid"; then return; fi
  mkdir -p "$REG_DIR/data"
  local port
  port=$(cat "$REG_DIR/port" 2>/dev/null || true)
  # reuse the last port when it is still free, so image names in a dev's notes stay valid
  if [ -z "$port" ] || [ "$(http_status "" "http://127.0.0.1:$port/")" != 0 ]; then
    port=$(node -e 'const s=require("node:net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  fi
  cat >"$REG_DIR/config.yml" <<EOF
version: 0.1
log: { level: warn, accesslog: { disabled: true } }
storage: { filesystem: { rootdirectory: $REG_DIR/data }, delete: { enabled: true } }
http: { addr: "127.0.0.1:$port", secret: "$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')" }
health: { storagedriver: { enabled: false } }
EOF
  echo "$port" >"$REG_DIR/port"
  setsid nohup docker-registry serve "$REG_DIR/config.yml" >>"$REG_DIR/registry.log" 2>&1 </dev/null &
  echo $! >"$REG_DIR/registry.pid"
  wait_for docker-registry 100 http_status "" "http://127.0.0.1:$port/v2/"
  say "registry on 127.0.0.1:$port"
}

start_dockerd() {
  if alive "$DOCKER_DIR/docker.pid"; then return; fi
  local run; run=$(dirname "$SOCK")
  mkdir -p "$DOCKER_DIR" "$run"
  echo '{}' >"$DOCKER_DIR/daemon.json" # never the host's /etc/docker/daemon.json
  setsid nohup dockerd \
    --host="unix://$SOCK" \
    --data-root="$DOCKER_DIR/data" \
    --exec-root="$run/exec" \
    --pidfile="$DOCKER_DIR/docker.pid" \
    --config-file="$DOCKER_DIR/daemon.json" \
    --containerd-namespace=gantry-dev \
    --containerd-plugins-namespace=gantry-dev-plugins \
    --bridge=none --iptables=false --ip-masq=false --ip-forward=false --userland-proxy=false \
    --log-level=warn \
    --insecure-registry="127.0.0.1:$(cat "$REG_DIR/port")" \
    >>"$DOCKER_DIR/dockerd.log" 2>&1 </dev/null &
  wait_for dockerd 300 http_status "$SOCK" /_ping
  say "dockerd on unix://$SOCK"
}

stop_pid() { # pid file, name
  alive "$1" || { rm -f "$1"; return 0; }
  local pid; pid=$(cat "$1")
  kill -TERM "$pid"
  for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then say "$2 did not stop in 20 s; killing it"; kill -KILL "$pid"; fi
  rm -f "$1"
  say "$2 stopped"
}

case "${1:-}" in
  start)
    [ "$(id -u)" = 0 ] || die "dockerd needs root: run as root (sudo -E $0 start)"
    command -v dockerd >/dev/null || [ -x /usr/sbin/dockerd ] || die "dockerd is missing: apt-get install docker.io"
    command -v docker-registry >/dev/null || die "docker-registry is missing: apt-get install docker-registry"
    command -v node >/dev/null || die "node is missing"
    PATH="$PATH:/usr/sbin:/sbin"
    start_registry
    start_dockerd
    print_env
    ;;
  env)
    alive "$REG_DIR/registry.pid" && alive "$DOCKER_DIR/docker.pid" || die "not running: $0 start"
    print_env
    ;;
  status)
    alive "$REG_DIR/registry.pid" && say "registry running on 127.0.0.1:$(cat "$REG_DIR/port")" || say "registry stopped"
    alive "$DOCKER_DIR/docker.pid" && say "dockerd running on unix://$SOCK" || say "dockerd stopped"
    ;;
  stop)
    stop_pid "$DOCKER_DIR/docker.pid" dockerd
    stop_pid "$REG_DIR/registry.pid" docker-registry
    ;;
  *)
    echo "usage: $0 start|stop|status|env" >&2
    exit 2
    ;;
esac
