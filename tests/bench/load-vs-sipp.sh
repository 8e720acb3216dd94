#!/usr/bin/env bash
# siptap load beside SIPp, in one run on this machine: the reliable-183
# flow (INVITE with an offer and Supported: 100rel, reliable 183 with the
# answer, PRACK, 200, ACK, BYE) at rising rates, each for DURATION s:
#   siptap: `siptap load` of tests/bench/load-183.lua (its UAC against its
#           reference UAS, every rule checked on every call);
#   SIPp:   uac-100rel.xml against uas-183-reliable.xml (tests/peers/sipp).
# Prints a row per rate, then for each the highest rate held with 0
# failed calls (and, for siptap, 0 broken rules and the rate reached), the
# CPU per call (user+system of all processes of the side: siptap's
# workers; SIPp's UAC and UAS) and siptap's memory per call in progress.
# Asserts nothing: figures for docs/load.md (targets: rate >= 1.0x SIPp's,
# CPU/call <= 2x SIPp's, <= 20 KB a call in progress).
#
#   tests/bench/load-vs-sipp.sh [build/siptap] [RATES] [DURATION]
#   e.g. tests/bench/load-vs-sipp.sh build/siptap "250 500 1000 1500" 5
set -uo pipefail
ROOT="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SIPTAP="${1:-$ROOT/build/siptap}"
RATES="${2:-100 250 500 1000 1500 2000 3000}"
DUR="${3:-5}"
cd "$ROOT"
. tests/e2e/lib.sh   # free_port
tmp="$(mktemp -d)"
uas_pid=""
cleanup() { [[ -n "$uas_pid" ]] && kill "$uas_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
command -v sipp >/dev/null || { echo "sipp not installed (.ci/setup)"; exit 2; }
hz=$(getconf CLK_TCK)

# cpu_s PID: user+system seconds of a live process
cpu_s() { awk -v hz="$hz" '{ printf "%.3f", ($14 + $15) / hz }' "/proc/$1/stat"; }

best_siptap=0; cpu_siptap=""; mem_siptap=""
best_sipp=0; cpu_sipp=""

printf '%-7s | %-44s | %-34s\n' rate "siptap: reached, failed, CPU ms/call, KB/call" "SIPp: failed calls, CPU ms/call"
for r in $RATES; do
  # siptap
  "$SIPTAP" load --rate "$r" --duration "$DUR" --timeout 10 \
    --report-dir "$tmp/s$r" tests/bench/load-183.lua >"$tmp/s$r.tap" 2>"$tmp/s$r.err"
  src=$?
  sum="$tmp/s$r/summary.md"
  reached=$(sed -n 's/.*reached: \([0-9.]*\) calls.*/\1/p' "$sum")
  failed=$(sed -n 's/.*passed [0-9]*, failed \([0-9]*\);.*/\1/p' "$sum")
  unfin=$(sed -n 's/.*in progress at the end: \([0-9]*\);.*/\1/p' "$sum")
  cpu=$(sed -n 's/.*CPU: [0-9.]* s (\([0-9.]*\) ms a call).*/\1/p' "$sum")
  kb=$(sed -n 's/.*memory: \([0-9]*\) bytes.*/\1/p' "$sum" | awk '{ printf "%.1f", $1 / 1024 }')
  s_ok=0
  if [[ $src -eq 0 && $failed == 0 && $unfin == 0 ]] &&
    awk -v a="$reached" -v r="$r" 'BEGIN { exit !(a >= 0.95 * r) }'; then
    s_ok=1; best_siptap=$r; cpu_siptap=$cpu; mem_siptap=$kb
  fi

  # SIPp: its UAS, then its UAC for the same calls at the same rate
  port=$(free_port)
  sipp -sf tests/peers/sipp/uas-183-reliable.xml -i 127.0.0.1 -p "$port" \
    -ci 127.0.0.1 -cp "$(free_port)" -nostdin >/dev/null 2>&1 </dev/null &
  uas_pid=$!
  for _ in $(seq 1 50); do ss -Hlnu "sport = :$port" | grep -q . && break; sleep 0.1; done
  calls=$(awk -v r="$r" -v d="$DUR" 'BEGIN { printf "%d", r * d }')
  sipp "127.0.0.1:$port" -sf tests/peers/sipp/uac-100rel.xml -i 127.0.0.1 \
    -p "$(free_port)" -ci 127.0.0.1 -cp "$(free_port)" -r "$r" -m "$calls" \
    -l 100000 -timeout $((DUR + 30))s -nostdin -trace_stat -stf "$tmp/p$r.csv" \
    >"$tmp/p$r.out" 2>&1 </dev/null &
  uac_pid=$!
  # SIPp's own -timeout did not always end an overloaded UAC here
  (sleep $((DUR + 40)); kill "$uac_pid" 2>/dev/null) &
  dog=$!
  uac_cpu=0
  while kill -0 "$uac_pid" 2>/dev/null; do
    uac_cpu=$(cpu_s "$uac_pid" 2>/dev/null || echo "$uac_cpu")
    sleep 0.2
  done
  wait "$uac_pid"; prc=$?
  kill "$dog" 2>/dev/null
  uas_cpu=$(cpu_s "$uas_pid" 2>/dev/null || echo 0)
  kill "$uas_pid" 2>/dev/null; wait "$uas_pid" 2>/dev/null; uas_pid=""
  pfailed=$(grep -E '^ *Failed call' "$tmp/p$r.out" | tail -1 | awk -F'|' '{ gsub(/ /, "", $3); print $3 }')
  pcpu=$(awk -v a="$uac_cpu" -v b="$uas_cpu" -v n="$calls" 'BEGIN { printf "%.3f", (a + b) * 1000 / n }')
  if [[ $prc -eq 0 ]]; then best_sipp=$r; cpu_sipp=$pcpu; fi

  printf '%-7s | %-44s | %-34s\n' "$r" \
    "$reached/s, $failed failed ($unfin unfinished), $cpu ms, $kb KB$( ((s_ok)) || echo ' X')" \
    "${pfailed:-?} failed (exit $prc), $pcpu ms$( [[ $prc -eq 0 ]] || echo ' X')"
done

echo
echo "load: $(uptime | sed 's/.*load average/load average/') on $(nproc) cores"
printf 'highest rate with 0 failures: siptap %s calls/s (%s ms CPU a call, %s KB a call in progress), SIPp %s calls/s (%s ms CPU a call)\n' \
  "$best_siptap" "${cpu_siptap:-?}" "${mem_siptap:-?}" "$best_sipp" "${cpu_sipp:-?}"
awk -v a="$best_siptap" -v b="$best_sipp" -v ca="${cpu_siptap:-0}" -v cb="${cpu_sipp:-0}" 'BEGIN {
  if (b > 0) printf "rate: %.2fx SIPp'"'"'s (target >= 1.0x)\n", a / b
  if (cb > 0) printf "CPU a call: %.1fx SIPp'"'"'s (target <= 2x)\n", ca / cb }'
