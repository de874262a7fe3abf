#!/usr/bin/env bash
# A real S3 server for tests: Debian's OpenStack Swift (single node, 1 replica) behind the `s3api`
# middleware with `tempauth`. MinIO cannot be installed on this machine; see STACK-NOTES.md,
# "Object storage". Loopback only.
#
#   bash scripts/s3-server.sh start   # install if missing, start (idempotent), print export lines
#   bash scripts/s3-server.sh env     # print the export lines of a running server
#   bash scripts/s3-server.sh stop    # stop every daemon this script started (data is kept)
#   bash scripts/s3-server.sh missing-packages   # the Debian packages to install first (none: empty)
#
# `eval "$(bash scripts/s3-server.sh start)"` exports S3_ENDPOINT, S3_PORT, S3_ACCESS_KEY,
# S3_SECRET_KEY, S3_USE_SSL, S3_PATH_STYLE and S3_REGION; the same lines (without `export`) are
# written to $DIR/env. Progress goes to stderr, so stdout stays eval-safe.
#
# Settings: PARLEY_SWIFT_DIR (default /tmp/parley-swift: configs, rings, data, logs, pids),
# PARLEY_S3_PORT (proxy, default 8089). The storage daemons use 6210-6212, memcached 11219.
set -euo pipefail

DIR="${PARLEY_SWIFT_DIR:-/tmp/parley-swift}"
PROXY_PORT="${PARLEY_S3_PORT:-8089}"
OBJECT_PORT=6210
CONTAINER_PORT=6211
ACCOUNT_PORT=6212
MEMCACHED_PORT=11219
ACCESS_KEY="test:tester"
SECRET_KEY="testing"
REGION="us-east-1"
DAEMONS=(account container object proxy)

log() { echo "s3-server: $*" >&2; }

env_lines() {
  cat <<EOF
S3_ENDPOINT=127.0.0.1
S3_PORT=$PROXY_PORT
S3_ACCESS_KEY=$ACCESS_KEY
S3_SECRET_KEY=$SECRET_KEY
S3_USE_SSL=false
S3_PATH_STYLE=true
S3_REGION=$REGION
EOF
}

print_exports() { env_lines | sed 's/^/export /'; }

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The proxy answers /healthcheck without asking the storage daemons, so check their ports too.
is_up() {
  curl -fsS --max-time 2 "http://127.0.0.1:$PROXY_PORT/healthcheck" >/dev/null 2>&1 &&
    listening "$ACCOUNT_PORT" && listening "$CONTAINER_PORT" && listening "$OBJECT_PORT" && listening "$MEMCACHED_PORT"
}

# True when the pid file names a live process that is still ours (pids get reused after a reboot).
pid_alive() {
  local pid
  [ -f "$1" ] || return 1
  pid="$(cat "$1")"
  kill -0 "$pid" 2>/dev/null && grep -qE "memcached|swift-" "/proc/$pid/cmdline" 2>/dev/null
}

# Debian's packages for the server, printed when any of them is missing (nothing when all are
# there): `missing-packages` prints the same list for .ci/run's one apt run.
PACKAGES=(swift swift-proxy swift-object swift-container swift-account memcached)
missing_packages() {
  local bin
  for bin in swift-proxy-server swift-object-server swift-container-server swift-account-server swift-ring-builder memcached; do
    if ! command -v "$bin" >/dev/null; then
      echo "${PACKAGES[*]}"
      return
    fi
  done
}

install_packages() {
  [ -n "$(missing_packages)" ] || return 0
  log "installing Debian's swift and memcached"
  if [ "$(id -u)" != 0 ]; then
    log "not root: install them with apt-get install ${PACKAGES[*]}"
    exit 1
  fi
  {
    flock 9
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${PACKAGES[@]}" >/dev/null
  } 9>/tmp/apt.lock
}

# Swift reads /etc/swift/swift.conf whatever swift_dir says (hash salt + storage policies).
ensure_swift_conf() {
  if [ -f /etc/swift/swift.conf ] && grep -q '^swift_hash_path_suffix' /etc/swift/swift.conf; then return; fi
  mkdir -p /etc/swift
  cat >/etc/swift/swift.conf <<'EOF'
[swift-hash]
swift_hash_path_suffix = parley-test
swift_hash_path_prefix = parley-test

[storage-policy:0]
name = Policy-0
default = yes
EOF
}

# The daemons drop privileges to this user; as root that is `swift` (created when missing).
run_user() {
  if [ "$(id -u)" != 0 ]; then
    id -un
    return
  fi
  if ! id swift >/dev/null 2>&1; then useradd --system --no-create-home --shell /usr/sbin/nologin swift; fi
  echo swift
}

write_configs() {
  local user="$1"
  mkdir -p "$DIR/etc" "$DIR/node/sdb1" "$DIR/log" "$DIR/run" "$DIR/cache"
  local common="[DEFAULT]
bind_ip = 127.0.0.1
workers = 0
user = $user
swift_dir = $DIR/etc
devices = $DIR/node
mount_check = false
log_level = WARNING
recon_cache_path = $DIR/cache"
  local server
  for server in account container object; do
    local port_var="${server^^}_PORT"
    cat >"$DIR/etc/$server-server.conf" <<EOF
$common
bind_port = ${!port_var}

[pipeline:main]
pipeline = $server-server

[app:$server-server]
use = egg:swift#$server
EOF
  done
  cat >"$DIR/etc/proxy-server.conf" <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $PROXY_PORT
workers = 0
user = $user
swift_dir = $DIR/etc
log_level = WARNING

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo versioned_writes proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
# Browsers PUT uploads straight to presigned URLs from the app's origin (as with MinIO, which
# allows any origin by default): answer CORS for any origin on this loopback test server.
cors_allow_origin = *
cors_expose_headers = etag

[filter:s3api]
use = egg:swift#s3api
location = $REGION
s3_acl = false
cors_preflight_allow_origin = *

[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = $SECRET_KEY .admin

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$MEMCACHED_PORT

[filter:catch_errors]
use = egg:swift#catch_errors

[filter:gatekeeper]
use = egg:swift#gatekeeper

[filter:healthcheck]
use = egg:swift#healthcheck

[filter:proxy-logging]
use = egg:swift#proxy_logging

[filter:listing_formats]
use = egg:swift#listing_formats

[filter:copy]
use = egg:swift#copy

[filter:slo]
use = egg:swift#slo

[filter:dlo]
use = egg:swift#dlo

[filter:versioned_writes]
use = egg:swift#versioned_writes
EOF
}

# One Python process for all three rings (swift-ring-builder would be nine, ~20 s on 2 cores).
build_rings() {
  if [ -f "$DIR/etc/account.ring.gz" ] && [ -f "$DIR/etc/container.ring.gz" ] && [ -f "$DIR/etc/object.ring.gz" ]; then
    return
  fi
  /usr/bin/python3 - "$DIR/etc" "$ACCOUNT_PORT" "$CONTAINER_PORT" "$OBJECT_PORT" <<'PY'
import sys
from swift.common.ring import RingBuilder

etc, ports = sys.argv[1], dict(zip(("account", "container", "object"), map(int, sys.argv[2:5])))
for name, port in ports.items():
    builder = RingBuilder(8, 1, 1)  # 2^8 partitions, 1 replica, min_part_hours 1
    builder.add_dev({"region": 1, "zone": 1, "ip": "127.0.0.1", "port": port, "replication_ip": "127.0.0.1",
                     "replication_port": port, "device": "sdb1", "weight": 100})
    builder.rebalance()
    builder.save(f"{etc}/{name}.builder")
    builder.get_ring().save(f"{etc}/{name}.ring.gz")
PY
}

# Starts one detached daemon unless its pid file names a live process; nothing inherits stdout.
spawn() {
  local name="$1" port="$2"
  shift 2
  if pid_alive "$DIR/run/$name.pid"; then return; fi
  if listening "$port"; then
    log "port $port (for $name) is taken by another process; stop it or set PARLEY_S3_PORT"
    exit 1
  fi
  setsid "$@" </dev/null >>"$DIR/log/$name.log" 2>&1 &
  echo $! >"$DIR/run/$name.pid"
}

start() {
  if is_up && [ -f "$DIR/env" ]; then
    log "already running on 127.0.0.1:$PROXY_PORT"
    print_exports
    return
  fi
  local started=$SECONDS
  install_packages
  ensure_swift_conf
  local user
  user="$(run_user)"
  write_configs "$user"
  build_rings
  chown -R "$user:" "$DIR/node" "$DIR/cache" 2>/dev/null || true

  local memcached_user=()
  if [ "$(id -u)" = 0 ]; then memcached_user=(-u "$user"); fi
  spawn memcached "$MEMCACHED_PORT" memcached "${memcached_user[@]}" -l 127.0.0.1 -p "$MEMCACHED_PORT" -U 0 -m 64
  local server
  for server in account container object; do
    local port_var="${server^^}_PORT"
    spawn "$server" "${!port_var}" "swift-$server-server" "$DIR/etc/$server-server.conf" --verbose
  done
  spawn proxy "$PROXY_PORT" swift-proxy-server "$DIR/etc/proxy-server.conf" --verbose

  local deadline=$((SECONDS + 60))
  until is_up; do
    for server in memcached "${DAEMONS[@]}"; do
      if ! pid_alive "$DIR/run/$server.pid"; then
        log "$server exited; last lines of $DIR/log/$server.log:"
        tail -n 20 "$DIR/log/$server.log" >&2 || true
        exit 1
      fi
    done
    if [ $SECONDS -ge $deadline ]; then
      log "no /healthcheck answer on 127.0.0.1:$PROXY_PORT after 60 s (logs in $DIR/log)"
      exit 1
    fi
    sleep 0.3
  done
  env_lines >"$DIR/env"
  log "up on 127.0.0.1:$PROXY_PORT in $((SECONDS - started)) s (data and logs in $DIR)"
  print_exports
}

stop() {
  local name pidfile pids=()
  for name in proxy object container account memcached; do
    pidfile="$DIR/run/$name.pid"
    if pid_alive "$pidfile"; then pids+=("$(cat "$pidfile")"); fi
    rm -f "$pidfile"
  done
  if [ ${#pids[@]} -gt 0 ]; then
    kill "${pids[@]}" 2>/dev/null || true
    local pid
    for _ in $(seq 100); do
      local alive=0
      for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
      [ $alive = 0 ] && break
      sleep 0.1
    done
    kill -9 "${pids[@]}" 2>/dev/null || true
  fi
  rm -f "$DIR/env"
  log "stopped"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
missing-packages) missing_packages ;;
env)
  if ! is_up; then
    log "not running (bash scripts/s3-server.sh start)"
    exit 1
  fi
  print_exports
  ;;
*)
  echo "usage: $0 start|stop|env|missing-packages" >&2
  exit 2
  ;;
esac
