#!/usr/bin/env bash
# Instructions per message (callgrind) for every corpus: raw httparse (heads
# only), the yardstick (testkit::yardstick, the minimal hand-written machine
# with the same inputs and replies) and keepalive, from one build. Stable on
# noisy machines, unlike timings. Prints a Markdown table for BENCHMARKS.md.
#
# Usage: benches/icount.sh [--check] [MESSAGES]     (needs valgrind)
#   --check  fail when keepalive's Ir per message on any corpus is more than
#            3% above benches/icount-budget.txt. Budgets only move down, in a
#            commit that says why.
#        benches/icount.sh --profile CORPUS [SIDE] [MESSAGES]
#   --profile  self Ir per message of the top functions of one loop (SIDE:
#            keepalive (default), yardstick or httparse), from
#            callgrind_annotate; the callgrind file stays in target/ for
#            callgrind_annotate --inclusive=yes or kcachegrind.
set -euo pipefail
cd "$(dirname "$0")/.."
check=0 profile=""
if [ "${1:-}" = --check ]; then check=1; shift; fi
if [ "${1:-}" = --profile ]; then profile=${2:?corpus}; side=${3:-keepalive}; shift $(( $# < 3 ? $# : 3 )); fi
# Ir is deterministic: a few thousand messages give the same figure per
# message as 20000 (setup is subtracted), in a fraction of the time.
n=${1:-2000}
budget_file=benches/icount-budget.txt
command -v valgrind >/dev/null || { echo "icount.sh: valgrind is not installed" >&2; exit 2; }
bin=$(cargo bench --bench icount --no-run --message-format=json 2>/dev/null \
  | python3 -c 'import sys,json
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m["target"]["name"]=="icount" and m.get("executable"): print(m["executable"])')
if [ -n "$profile" ]; then
  n=${1:-20000}
  out="target/icount-$profile-$side.callgrind"
  valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" "$profile" "$side" "$n" >/dev/null 2>&1
  echo "self Ir per message, $profile, $side, $n messages ($out)"
  callgrind_annotate --inclusive=no "$out" 2>/dev/null | N="$n" python3 -c '
import os, re, sys
n = int(os.environ["N"])
for line in sys.stdin:
    m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(\S+?:)?(.*?)( \[.*\])?$", line)
    if m and ":" in line and "PROGRAM TOTALS" not in line:
        ir = int(m.group(1).replace(",", "")) / n
        if ir >= 1:
            print(f"{ir:8.0f}  {m.group(3)[:110]}")
    elif "PROGRAM TOTALS" in line:
        total = int(line.split()[0].replace(",", "")) / n
        print(f"{total:8.0f}  total (setup included)")
'
  exit 0
fi
count() { # corpus side messages -> total Ir
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" "$2" "$3" 2>&1 \
    | sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
}
per_message() { # corpus side -> Ir per message, setup (a run with no messages) subtracted
  echo $(( ( $(count "$1" "$2" "$n") - base ) / n ))
}
echo "Ir per message, $n messages per corpus (benches/icount.sh)"
echo
echo "| corpus | raw httparse head | yardstick | keepalive | keepalive ÷ yardstick |"
echo "|---|---:|---:|---:|---:|"
failed=0
report=""
for c in req_tiny req_browser req_post1k resp_cl13 resp_chunked; do
  base=$(count "$c" none "$n")
  h=$(per_message "$c" httparse)
  y=$(per_message "$c" yardstick)
  k=$(per_message "$c" keepalive)
  printf '| %s | %d | %d | %d | %s |\n' "$c" "$h" "$y" "$k" "$(python3 -c "print(f'{$k/$y:.2f}')")"
  if [ "$check" = 1 ]; then
    b=$(awk -v c="$c" '$1==c {print $2}' "$budget_file")
    [ -n "$b" ] || { report+="$c: no budget in $budget_file"$'\n'; failed=1; continue; }
    verdict=$(python3 -c "k,b=$k,$b
print('over' if k>b*1.03 else 'under' if k<b*0.97 else 'ok')")
    case $verdict in
      over) report+="$c: $k Ir/message is more than 3% above the budget $b"$'\n'; failed=1 ;;
      under) report+="$c: $k Ir/message, more than 3% below the budget $b: lower the budget"$'\n' ;;
      *) report+="$c: $k Ir/message within 3% of the budget $b"$'\n' ;;
    esac
  fi
done
if [ "$check" = 1 ]; then
  echo; printf '%s' "$report"
  [ "$failed" = 0 ] || { echo "icount budget exceeded"; exit 1; }
fi
