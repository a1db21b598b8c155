#!/usr/bin/env bash
# Loopback end to end: requests per server CPU-second, and requests/s, of
# the example servers on keepalive's drivers (std_server: a thread per
# connection; tokio_server: tokio) next to a minimal hyper 1.x server
# (examples/hyper_server.rs: same response bytes, no Date field,
# pipeline_flush on), under wrk and h2load at pipelining depths 16 and 1.
#
#   benches/e2e.sh [--quick] [--secs S] [--rounds N] [--conns C]
#
# Defaults: 5 s per run, 3 rounds, 32 connections; --quick is 2 s and one
# round. Each round runs every server once per (client, depth), servers
# interleaved so that a burst of background load hits all three alike; a
# row shows the median round and every round's figure.
#
# Server CPU is utime + stime of the server process (all its threads, live
# and exited) from /proc/PID/stat, read before and after the client runs:
# requests completed by the client / server CPU-seconds used. It moves far
# less with machine load than requests/s does. Servers are pinned to one
# core and clients to another with taskset (E2E_SERVER_CPU, default 0;
# E2E_CLIENT_CPU, default 1), so the tokio runtimes get one worker each.
#
# E2E_BASELINE_BIN=DIR adds DIR/std_server (an older build, say) as
# `std_server@baseline`. Needs wrk and h2load (Debian: wrk nghttp2-client);
# release builds of the examples are made here.
set -euo pipefail
cd "$(dirname "$0")/.."

SECS=5
ROUNDS=3
CONNS=32
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) SECS=2; ROUNDS=1 ;;
    --secs) SECS="$2"; shift ;;
    --rounds) ROUNDS="$2"; shift ;;
    --conns) CONNS="$2"; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "e2e.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
SERVER_CPU="${E2E_SERVER_CPU:-0}"
CLIENT_CPU="${E2E_CLIENT_CPU:-1}"
for tool in wrk h2load taskset; do
  command -v "$tool" >/dev/null || { echo "e2e.sh: $tool not found" >&2; exit 1; }
done
TICK="$(getconf CLK_TCK)"

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

declare -A ADDR PID
# Starts server LABEL from binary PATH on an ephemeral port, on the
# server core.
start() {
  local label="$1" path="$2"; shift 2
  local out="$TMP/$label.out"
  : >"$out"  # exists before the server writes to it: the poll below reads it
  taskset -c "$SERVER_CPU" "$path" --addr 127.0.0.1:0 "$@" >"$out" 2>&1 &
  PIDS+=("$!")
  PID[$label]="$!"
  for _ in $(seq 100); do
    ADDR[$label]="$(sed -n 's/^listening on //p' "$out" | head -1)"
    [ -n "${ADDR[$label]}" ] && return 0
    sleep 0.05
  done
  echo "e2e.sh: $label did not start" >&2; cat "$out" >&2; exit 1
}

# utime + stime of a process, in clock ticks (fields 14 and 15; the
# command name, field 2, holds no space here).
cpu_ticks() {
  awk '{print $14 + $15}' "/proc/$1/stat"
}

hung() {
  echo "e2e.sh: $2 against $1 failed or hung:" >&2; cat "$TMP/out" >&2; exit 1
}

# One measured run: CLIENT (wrk | h2load) at DEPTH against LABEL; appends
# "requests cpu_ticks wall_secs errors" to $TMP/runs/LABEL.CLIENT.DEPTH.
run() {
  local label="$1" client="$2" depth="$3" url="http://${ADDR[$1]}/"
  local out="$TMP/out" before after t0 t1 requests errors
  before="$(cpu_ticks "${PID[$label]}")"
  t0="$(date +%s.%N)"
  case "$client" in
    wrk)
      local script=()
      [ "$depth" -gt 1 ] && script=(-s benches/pipeline.lua)
      timeout $((SECS + 30)) taskset -c "$CLIENT_CPU" wrk -t 1 -c "$CONNS" -d "${SECS}s" "${script[@]}" "$url" -- "$depth" >"$out" || hung "$label" "$client"
      requests="$(awk '/requests in/ {print $1}' "$out")"
      errors="$(awk '/Socket errors:/ {gsub(",", ""); e += $4 + $6 + $8 + $10} /Non-2xx/ {e += $NF} END {print e + 0}' "$out")"
      ;;
    h2load)
      timeout $((SECS + 30)) taskset -c "$CLIENT_CPU" h2load --h1 -t 1 -c "$CONNS" -m "$depth" -D "$SECS" "$url" >"$out" || hung "$label" "$client"
      requests="$(awk '/^requests:/ {print $8}' "$out")"
      errors="$(awk '/^requests:/ {print $10 + $12 + $14}' "$out")"
      ;;
  esac
  t1="$(date +%s.%N)"
  after="$(cpu_ticks "${PID[$label]}")"
  if [ -z "$requests" ] || [ "$requests" -eq 0 ]; then
    echo "e2e.sh: $client got no response from $label:" >&2; cat "$out" >&2; exit 1
  fi
  echo "$requests $((after - before)) $(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}') $errors" \
    >>"$TMP/runs/$label.$client.$depth"
}

mkdir -p "$TMP/runs"
# No request limit per connection: hyper has none, and the closes and
# reconnects every 1000 requests would be measured too.
start std_server "$BIN/std_server" --quiet --max-requests 0
start tokio_server "$BIN/tokio_server" --quiet --max-requests 0
start hyper_server "$BIN/hyper_server"
SERVERS=(std_server tokio_server hyper_server)
if [ -n "${E2E_BASELINE_BIN:-}" ]; then
  start std_server@baseline "$E2E_BASELINE_BIN/std_server" --quiet --max-requests 0
  SERVERS+=(std_server@baseline)
fi

# Warm-up, not recorded: threads, pages and caches of every server.
for s in "${SERVERS[@]}"; do
  taskset -c "$CLIENT_CPU" wrk -t 1 -c "$CONNS" -d 1s -s benches/pipeline.lua "http://${ADDR[$s]}/" -- 16 >/dev/null
done

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
  for client in wrk h2load; do
    for depth in 16 1; do
      for s in "${SERVERS[@]}"; do
        run "$s" "$client" "$depth"
      done
    done
  done
done
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

# The median of numbers on stdin.
median() {
  sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
# Per run of FILE: requests per CPU-second (COL=cpu) or per second (COL=wall).
per() {
  awk -v col="$2" -v tick="$TICK" '{d = (col == "cpu") ? $2 / tick : $3; printf "%.0f\n", (d > 0) ? $1 / d : 0}' "$1"
}

echo "Machine: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), $(uname -sr)"
echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); load average before/after: $LOAD_BEFORE / $LOAD_AFTER"
echo "Runs: $ROUNDS rounds x ${SECS}s, $CONNS connections, server on CPU $SERVER_CPU, client on CPU $CLIENT_CPU; wrk $(wrk --version 2>&1 | head -1 | awk '{print $2}'), $(h2load --version | head -1); GET / answered with a 13-byte body"
echo
echo "| client | depth | server | req per server CPU-s | ÷ hyper | req/s | ÷ hyper | server CPU use | req per CPU-s of each round | errors |"
echo "|---|---:|---|---:|---:|---:|---:|---:|---|---:|"
for client in wrk h2load; do
  for depth in 16 1; do
    f="$TMP/runs/hyper_server.$client.$depth"
    hyper_cpu="$(per "$f" cpu | median)"
    hyper_wall="$(per "$f" wall | median)"
    for s in "${SERVERS[@]}"; do
      f="$TMP/runs/$s.$client.$depth"
      cpu="$(per "$f" cpu | median)"
      wall="$(per "$f" wall | median)"
      use="$(awk -v tick="$TICK" '{print $2 / tick / $3}' "$f" | median)"
      printf '| %s | %s | %s | %.0f | %.2f | %.0f | %.2f | %.0f%% | %s | %s |\n' \
        "$client" "$depth" "$s" "$cpu" "$(awk -v a="$cpu" -v b="$hyper_cpu" 'BEGIN {print a / b}')" \
        "$wall" "$(awk -v a="$wall" -v b="$hyper_wall" 'BEGIN {print a / b}')" \
        "$(awk -v u="$use" 'BEGIN {print u * 100}')" \
        "$(per "$f" cpu | paste -sd/)" "$(awk '{e += $4} END {print e + 0}' "$f")"
    done
  done
done
