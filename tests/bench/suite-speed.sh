#!/usr/bin/env bash
# How fast the default suite runs: cases, seconds, cases per second, at
# --t1 50 (the issue's target: all pairwise cases plus the special flows
# within 10 s on a 2-core machine). Prints figures; asserts nothing.
#
#   tests/bench/suite-speed.sh [build/siptap] [RUNS]
set -euo pipefail
ROOT="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SIPTAP="${1:-$ROOT/build/siptap}"
RUNS="${2:-3}"
cd "$ROOT"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

printf '%-6s %-8s %-8s %-10s %s\n' run cases seconds cases/s result
for i in $(seq 1 "$RUNS"); do
  start=$(date +%s.%N)
  rc=0
  "$SIPTAP" run --t1 50 --seed "$i" --report-dir "$tmp" scenarios \
    >"$tmp/out.tap" 2>"$tmp/err" || rc=$?
  end=$(date +%s.%N)
  cases=$(grep -c '^\(not \)\?ok ' "$tmp/out.tap" || true)
  awk -v i="$i" -v c="$cases" -v s="$start" -v e="$end" -v rc="$rc" \
    'BEGIN { d = e - s; printf "%-6d %-8d %-8.2f %-10.1f %s\n", i, c, d, c / d, rc ? "FAILED" : "pass" }'
done
echo "(siptap run --t1 50 scenarios; target: the whole suite under 10 s)"
