#!/usr/bin/env bash
# Instructions per message (callgrind) for every corpus: keepalive vs raw
# httparse, from one build. Stable on noisy machines, unlike timings.
# Usage: benches/icount.sh [MESSAGES]   (needs valgrind)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}
bin=$(cargo bench --bench icount --no-run --message-format=json 2>/dev/null \
  | python3 -c 'import sys,json
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m["target"]["name"]=="icount" and m.get("executable"): print(m["executable"])')
count() { # corpus side messages -> total Ir
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" "$2" "$3" 2>&1 \
    | sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
}
printf '%-14s %12s %12s %8s\n' corpus httparse keepalive ratio
for c in req_tiny req_browser req_post1k resp_cl13 resp_chunked; do
  # Subtract a run with no messages (setup, corpus copy) from each side.
  h=$(( ( $(count $c httparse $n) - $(count $c none $n) ) / n ))
  k=$(( ( $(count $c keepalive $n) - $(count $c none $n) ) / n ))
  printf '%-14s %12d %12d %8s\n' "$c" "$h" "$k" "$(python3 -c "print(f'{$h/$k:.2f}x')")"
done
