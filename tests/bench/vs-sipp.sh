#!/usr/bin/env bash
# siptap beside SIPp, on this machine, in one run. Prints figures; asserts
# nothing (targets: siptap >= 25x SIPp per case, <= 100 KB per concurrent
# test).
#
#   tests/bench/vs-sipp.sh [build/siptap] [SIPP_CASES]
#
# 1. siptap: the default suite (scenarios/, --t1 50) with --jobs 1 and with
#    the default jobs; the option matrix alone (scenarios/matrix, the
#    cases most like a SIPp call); cases per second.
# 2. memory: the peak RSS of the worker process with 64 calls in progress
#    at once (tests/bench/concurrent.lua at --jobs 64, --workers 1), less
#    the peak of the same at --jobs 1, divided by 63.
# 3. SIPp, the way SIPp users check one case: one `sipp -sn uac -m 1`
#    process per case against a SIPp UAS, cases per second.
set -euo pipefail
ROOT="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SIPTAP="${1:-$ROOT/build/siptap}"
SIPP_CASES="${2:-40}"
cd "$ROOT"
tmp="$(mktemp -d)"
uas_pid=""
cleanup() { [[ -n "$uas_pid" ]] && kill "$uas_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
command -v sipp >/dev/null || { echo "sipp not installed (.ci/setup)"; exit 2; }

now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", n / (b - a) }'; }

# siptap_cases ARGS...: runs siptap, prints "cases seconds"
siptap_cases() {
  local a b n
  a=$(now)
  "$SIPTAP" run --t1 50 --report-dir "$tmp/r" "$@" >"$tmp/out.tap" 2>/dev/null || true
  b=$(now)
  n=$(grep -cE '^(not )?ok [0-9]+ ' "$tmp/out.tap" || true)
  echo "$n $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b - a }')"
}

# peak_kb ARGS...: the highest peak RSS (VmHWM, KB) of the worker
# processes of a siptap run, sampled until the run ends. --workers 1
# keeps every concurrent test in that one worker.
peak_kb() {
  "$SIPTAP" run --t1 50 --workers 1 --report-dir "$tmp/r" "$@" \
    >/dev/null 2>&1 &
  local p=$! max=0 h c
  while kill -0 "$p" 2>/dev/null; do
    for c in $(ps -o pid= --ppid "$p"); do
      h=$(awk '/VmHWM/ { print $2 }' "/proc/$c/status" 2>/dev/null || true)
      [[ -n "$h" && $h -gt $max ]] && max=$h
    done
    sleep 0.01
  done
  wait "$p" || true
  echo "$max"
}

printf '%-44s %8s %8s %10s\n' what cases seconds cases/s
row() { printf '%-44s %8s %8s %10s\n' "$1" "$2" "$3" "$(awk -v n="$2" -v s="$3" 'BEGIN { printf "%.1f", n / s }')"; }

read -r n s < <(siptap_cases --jobs 1 scenarios); row "siptap default suite, --jobs 1" "$n" "$s"
read -r n s < <(siptap_cases scenarios);          row "siptap default suite, default jobs (4)" "$n" "$s"
read -r n s < <(siptap_cases --jobs 1 scenarios/matrix); row "siptap option matrix, --jobs 1" "$n" "$s"
read -r mn ms < <(siptap_cases --jobs 8 scenarios/matrix); row "siptap option matrix, --jobs 8" "$mn" "$ms"

# SIPp: a UAS, and one UAC process per case
port=$((12000 + RANDOM % 20000))  # below the ephemeral range
sipp -sn uas -i 127.0.0.1 -p "$port" -ci 127.0.0.1 -cp $((port + 1)) \
  -nostdin -bg >/dev/null 2>&1 &
sleep 0.5
uas_pid=$(pgrep -f "sipp -sn uas -i 127.0.0.1 -p $port" | head -1 || true)
a=$(now)
ok=0
for i in $(seq 1 "$SIPP_CASES"); do
  if sipp -sn uac -i 127.0.0.1 -p $((port + 2)) -ci 127.0.0.1 \
    -cp $((port + 3)) -m 1 -nostdin -timeout 10s -timeout_error \
    "127.0.0.1:$port" >/dev/null 2>&1; then
    ok=$((ok + 1))
  fi
done
b=$(now)
sipp_s=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b - a }')
row "SIPp, one process per case (-sn uac -m 1)" "$ok" "$sipp_s"

siptap_rate=$(awk -v n="$mn" -v s="$ms" 'BEGIN { printf "%.2f", n / s }')
sipp_rate=$(awk -v n="$ok" -v s="$sipp_s" 'BEGIN { printf "%.2f", n / s }')
echo
awk -v a="$siptap_rate" -v b="$sipp_rate" 'BEGIN {
  printf "ratio (siptap option matrix --jobs 8 / SIPp): %.1fx (target >= 25x)\n", a / b }'

# 64 reliable calls held in their early dialog for a second each
# (tests/bench/concurrent.lua): at --jobs 64 all are in progress at once
one=$(peak_kb --jobs 1 tests/bench/concurrent.lua)
many=$(peak_kb --jobs 64 tests/bench/concurrent.lua)
awk -v one="$one" -v many="$many" 'BEGIN {
  printf "worker peak RSS: %d KB at --jobs 1, %d KB with 64 calls in progress at once: %.0f KB per concurrent test (target <= 100 KB)\n",
         one, many, (many - one) / 63 }'
