#!/usr/bin/env bash
# End-to-end load on loopback: requests/s and latency percentiles of the
# keepalive-based example servers (std_server, tokio_server) next to nginx
# and a minimal hyper 1.x server, each with keep-alive and with
# `Connection: close` on every request. One run, printed as a Markdown
# table with the machine and date (copied into BENCHMARKS.md by hand).
# The run makes ROUNDS passes over all servers (interleaved, so a burst of
# background load hits every server alike) and reports each row's median
# pass by requests/s, with every pass's requests/s alongside.
#
#   benches/e2e.sh [SECONDS_PER_RUN (default 5)] [CONNECTIONS (default 32)] [ROUNDS (default 3)]
#
# The example servers run on the library's socket drivers (features
# `blocking`, `tokio`). To compare with another build of the examples (an
# older commit's, say), set E2E_BASELINE_BIN to its directory of release
# example binaries: its std_server and tokio_server join the table as
# `std_server@baseline` and `tokio_server@baseline`.
#
# Needs wrk and nginx (Debian: wrk nginx-light); release builds of the
# examples are made here. The load generator shares the machine with the
# server: numbers compare servers with each other, not with other machines.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${1:-5}"
CONNS="${2:-32}"
ROUNDS="${3:-3}"
THREADS=1
for tool in wrk nginx; do
  command -v "$tool" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin"
  command -v "$tool" >/dev/null 2>&1 || { echo "e2e.sh: $tool not found" >&2; exit 1; }
done

cargo build -q --release --example std_server --example tokio_server --example hyper_server
BIN=target/release/examples

TMP="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

# Starts an example server on an ephemeral port; sets ADDR. BIN_DIR and
# LABEL may name another build and its label.
start_example() {
  local name="$1"; shift
  local out="$TMP/${LABEL:-$name}.out"
  : >"$out"  # exists before the server writes to it: the poll below reads it
  "${BIN_DIR:-$BIN}/$name" --addr 127.0.0.1:0 "$@" >"$out" 2>&1 &
  PIDS+=("$!")
  for _ in $(seq 100); do
    ADDR="$(sed -n 's/^listening on //p' "$out" | head -1)"
    [ -n "$ADDR" ] && return 0
    sleep 0.05
  done
  echo "e2e.sh: $name did not start" >&2; exit 1
}

# nginx as its own baseline: one worker per core, no access log, the
# same 13-byte body, keepalive_requests at its default (1000, like the
# examples' max_requests default).
start_nginx() {
  local port
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  mkdir -p "$TMP/nginx"
  cat >"$TMP/nginx/nginx.conf" <<EOF
daemon off;
worker_processes auto;
error_log $TMP/nginx/error.log;
pid $TMP/nginx/nginx.pid;
events { worker_connections 1024; }
http {
  client_body_temp_path $TMP/nginx/body; proxy_temp_path $TMP/nginx/proxy;
  fastcgi_temp_path $TMP/nginx/fastcgi; uwsgi_temp_path $TMP/nginx/uwsgi; scgi_temp_path $TMP/nginx/scgi;
  access_log off;
  server {
    listen 127.0.0.1:$port;
    location = / { default_type text/plain; return 200 "Hello, World!"; }
  }
}
EOF
  nginx -p "$TMP/nginx" -e "$TMP/nginx/error.log" -c "$TMP/nginx/nginx.conf" &
  PIDS+=("$!")
  ADDR="127.0.0.1:$port"
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "e2e.sh: nginx did not start" >&2; cat "$TMP/nginx/error.log" >&2; exit 1
}

# One wrk run, kept as $TMP/runs/SERVER.MODE.ROUND.
measure() {
  local label="$1" mode="$2" addr="$3" round="$4"
  local args=(-t "$THREADS" -c "$CONNS" -d "${DURATION}s" --latency)
  [ "$mode" = close ] && args+=(-H "Connection: close")
  # Warm-up, not recorded.
  wrk -t 1 -c 4 -d 1s "http://$addr/" >/dev/null
  wrk "${args[@]}" "http://$addr/" >"$TMP/runs/$label.$mode.$round"
}

# The median pass of SERVER MODE as a table row.
report() {
  local label="$1" mode="$2" f rps all=() best
  for f in "$TMP/runs/$label.$mode".*; do
    rps="$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$f")"
    all+=("$rps $f")
  done
  best="$(printf '%s\n' "${all[@]}" | sort -n | sed -n "$(( (${#all[@]} + 1) / 2 ))p" | cut -d' ' -f2)"
  local out; out="$(cat "$best")"
  local p50 p90 p99 errors non2xx passes
  rps="$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")"
  p50="$(awk '$1=="50%" {print $2}' <<<"$out")"
  p90="$(awk '$1=="90%" {print $2}' <<<"$out")"
  p99="$(awk '$1=="99%" {print $2}' <<<"$out")"
  errors="$(cat "$TMP/runs/$label.$mode".* | sed -n 's/.*Socket errors: \(.*\)/\1/p' | paste -sd';')"
  non2xx="$(cat "$TMP/runs/$label.$mode".* | sed -n 's/.*Non-2xx or 3xx responses: \([0-9]*\).*/\1/p' | paste -sd+)"
  passes="$(printf '%s\n' "${all[@]}" | cut -d' ' -f1 | paste -sd/)"
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' \
    "$label" "$mode" "$rps" "$p50" "$p90" "$p99" "$passes" "${errors:-none}${non2xx:+, non-2xx: $non2xx}"
}

mkdir -p "$TMP/runs"
declare -A ADDRS
start_example std_server --quiet; ADDRS[std_server]="$ADDR"
start_example tokio_server --quiet; ADDRS[tokio_server]="$ADDR"
start_example hyper_server; ADDRS[hyper_server]="$ADDR"
start_nginx; ADDRS[nginx]="$ADDR"
SERVERS=(std_server tokio_server hyper_server nginx)
if [ -n "${E2E_BASELINE_BIN:-}" ]; then
  for name in std_server tokio_server; do
    BIN_DIR="$E2E_BASELINE_BIN" LABEL="$name@baseline" start_example "$name" --quiet
    ADDRS[$name@baseline]="$ADDR"
    SERVERS+=("$name@baseline")
  done
fi

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
  for server in "${SERVERS[@]}"; do
    for mode in keep-alive close; do
      measure "$server" "$mode" "${ADDRS[$server]}" "$round"
    done
  done
done
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

echo "Machine: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), $(uname -sr)"
echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); load average before/after: $LOAD_BEFORE / $LOAD_AFTER"
echo "Load: wrk $(wrk --version 2>&1 | head -1 | awk '{print $2}'), $THREADS thread, $CONNS connections, ${DURATION}s per pass, $ROUNDS passes, GET / (13-byte body), loopback"
echo
echo "| server | connection | req/s (median pass) | p50 | p90 | p99 | req/s of each pass | errors |"
echo "|---|---|---:|---:|---:|---:|---|---|"
for server in "${SERVERS[@]}"; do
  for mode in keep-alive close; do
    report "$server" "$mode"
  done
done
