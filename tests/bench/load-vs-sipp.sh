#!/usr/bin/env bash
# siptap load beside SIPp, in one run on this machine: the reliable-183
# flow (INVITE with an offer and Supported: 100rel, reliable 183 with the
# answer, PRACK, 200, ACK, BYE) at rising rates, each for DURATION s:
#   siptap: `siptap load` of tests/bench/load-183.lua (its UAC against its
#           reference UAS, every rule checked on every call);
#   SIPp:   uac-100rel.xml against uas-183-reliable.xml (tests/peers/sipp).
# Prints a row per rate, then for each the highest rate held with 0
# failed calls (and, for siptap, 0 broken rules and the rate reached) and
# the CPU per call (user+system of all processes of the side: siptap's
# workers; SIPp's UAC and UAS), and the two CPU figures side by side at
# the highest rate both held with 0 failures (the target's figure: CPU a
# call falls as the rate rises); siptap's memory a call in progress at each
# rate (100 ms holds: at 2000/s a worker has ~125 calls at once, and what
# every run needs, whatever its calls, weighs in it).
# Then memory a call in progress for both, the same flow held 2 s before
# the BYE, at MEMRATE calls/s (env, default 500: 1000 calls at once):
# the anonymous resident memory (RSS less the pages that map files)
# grown at the peak over the calls at once; siptap's from its summary,
# SIPp's from its UAC's and UAS's /proc/PID/statm and its UAC's
# CurrentCall. Asserts nothing: figures for docs/load.md (targets: rate
# >= 1.0x SIPp's, CPU/call <= 2x SIPp's, <= 20 KB a call in progress).
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
# sum_failed, sum_kb SUMMARY: failed calls, KB a call in progress of a
# siptap load summary.md
sum_failed() { sed -n 's/.*passed [0-9]*, failed \([0-9]*\);.*/\1/p' "$1"; }
sum_kb() { sed -n 's/.*memory: \([0-9]*\) bytes.*/\1/p' "$1" | awk '{ printf "%.1f", $1 / 1024 }'; }
# sipp_uas: SIPp's UAS on 127.0.0.1:$port once it listens; sets port, uas_pid
sipp_uas() {
  port=$(free_port)
  sipp -sf tests/peers/sipp/uas-183-reliable.xml -i 127.0.0.1 -p "$port" \
    -ci 127.0.0.1 -cp "$(free_port)" -nostdin >/dev/null 2>&1 </dev/null &
  uas_pid=$!
  for _ in $(seq 1 50); do ss -Hlnu "sport = :$port" | grep -q . && break; sleep 0.1; done
}
# anon_kb PID...: anonymous resident KB of live processes, summed
pg=$(getconf PAGESIZE)
anon_kb() { local p; for p; do cat "/proc/$p/statm" 2>/dev/null; done |
  awk -v pg="$pg" '{ s += ($2 - $3) * pg / 1024 } END { printf "%d", s }'; }

best_siptap=0; cpu_siptap=""; mem_siptap=""
best_sipp=0; cpu_sipp=""
both=0; both_siptap=""; both_sipp=""   # the highest rate both held

printf '%-7s | %-44s | %-34s\n' rate "siptap: reached, failed, CPU ms/call, KB/call" "SIPp: failed calls, CPU ms/call"
for r in $RATES; do
  # siptap
  "$SIPTAP" load --rate "$r" --duration "$DUR" --timeout 10 \
    --report-dir "$tmp/s$r" tests/bench/load-183.lua >"$tmp/s$r.tap" 2>"$tmp/s$r.err"
  src=$?
  sum="$tmp/s$r/summary.md"
  reached=$(sed -n 's/.*reached: \([0-9.]*\) calls.*/\1/p' "$sum")
  failed=$(sum_failed "$sum")
  unfin=$(sed -n 's/.*in progress at the end: \([0-9]*\);.*/\1/p' "$sum")
  cpu=$(sed -n 's/.*CPU: [0-9.]* s (\([0-9.]*\) ms a call).*/\1/p' "$sum")
  kb=$(sum_kb "$sum")
  s_ok=0
  if [[ $src -eq 0 && $failed == 0 && $unfin == 0 ]] &&
    awk -v a="$reached" -v r="$r" 'BEGIN { exit !(a >= 0.95 * r) }'; then
    s_ok=1; best_siptap=$r; cpu_siptap=$cpu; mem_siptap=$kb
  fi

  # SIPp: its UAS, then its UAC for the same calls at the same rate
  sipp_uas
  calls=$(awk -v r="$r" -v d="$DUR" 'BEGIN { printf "%d", r * d }')
  sipp "127.0.0.1:$port" -sf tests/peers/sipp/uac-100rel.xml -i 127.0.0.1 \
    -p "$(free_port)" -ci 127.0.0.1 -cp "$(free_port)" -r "$r" -m "$calls" \
    -l 100000 -timeout $((DUR + 30))s -nostdin -trace_stat -stf "$tmp/p$r.csv" \
    >"$tmp/p$r.out" 2>&1 </dev/null &
  uac_pid=$!
  # SIPp's own -timeout did not always end an overloaded UAC here
  (sleep $((DUR + 40)); kill "$uac_pid" 2>/dev/null) &
  dog=$!
  # an ended UAC stays a zombie until `wait`: its stat then has all of
  # its CPU, the last 0.2 s included
  uac_cpu=0
  while kill -0 "$uac_pid" 2>/dev/null; do
    uac_cpu=$(cpu_s "$uac_pid" 2>/dev/null || echo "$uac_cpu")
    [[ "$(awk '{ print $3 }' "/proc/$uac_pid/stat" 2>/dev/null)" == Z ]] && break
    sleep 0.2
  done
  wait "$uac_pid"; prc=$?
  kill "$dog" 2>/dev/null
  uas_cpu=$(cpu_s "$uas_pid" 2>/dev/null || echo 0)
  kill "$uas_pid" 2>/dev/null; wait "$uas_pid" 2>/dev/null; uas_pid=""
  pfailed=$(grep -E '^ *Failed call' "$tmp/p$r.out" | tail -1 | awk -F'|' '{ gsub(/ /, "", $3); print $3 }')
  pcpu=$(awk -v a="$uac_cpu" -v b="$uas_cpu" -v n="$calls" 'BEGIN { printf "%.3f", (a + b) * 1000 / n }')
  if [[ $prc -eq 0 ]]; then best_sipp=$r; cpu_sipp=$pcpu; fi
  if ((s_ok)) && [[ $prc -eq 0 ]]; then both=$r; both_siptap=$cpu; both_sipp=$pcpu; fi

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
  if (cb > 0) printf "CPU a call, each at its own highest rate: %.1fx SIPp'"'"'s\n", ca / cb }'
# CPU a call falls as the rate rises (more done a wakeup of each loop):
# the target is read at a rate both sides held, the highest
awk -v r="$both" -v ca="${both_siptap:-0}" -v cb="${both_sipp:-0}" 'BEGIN {
  if (r > 0 && cb > 0)
    printf "CPU a call at %d calls/s, the highest rate both held: siptap %.3f ms, SIPp %.3f ms: %.1fx SIPp'"'"'s (target <= 2x)\n", r, ca, cb, ca / cb
  else print "CPU a call at the same rate: no rate that both held" }'

# Memory a call in progress, both sides, calls held 2 s
MEMRATE="${MEMRATE:-500}"
sed 's/t:sleep(100)/t:sleep(2000)/' tests/bench/load-183.lua >"$tmp/hold.lua"
sed 's/<pause milliseconds="100"\/>/<pause milliseconds="2000"\/>/' \
  tests/peers/sipp/uac-100rel.xml >"$tmp/uac-hold.xml"
grep -q 'sleep(2000)' "$tmp/hold.lua" && grep -q '"2000"' "$tmp/uac-hold.xml" ||
  { echo "the 2 s hold could not be set in the copies"; exit 2; }
"$SIPTAP" load --rate "$MEMRATE" --duration "$DUR" --timeout 10 \
  --report-dir "$tmp/mem" "$tmp/hold.lua" >"$tmp/mem.tap" 2>"$tmp/mem.err"
msum="$tmp/mem/summary.md"
s_mem=$(sum_kb "$msum")
s_peak=$(sed -n 's/.*(peak \([0-9]*\) at once).*/\1/p' "$msum")
s_fail=$(sum_failed "$msum")

sipp_uas
calls=$(awk -v r="$MEMRATE" -v d="$DUR" 'BEGIN { printf "%d", r * d }')
sipp "127.0.0.1:$port" -sf "$tmp/uac-hold.xml" -i 127.0.0.1 \
  -p "$(free_port)" -ci 127.0.0.1 -cp "$(free_port)" -r "$MEMRATE" -m "$calls" \
  -l 100000 -timeout $((DUR + 30))s -nostdin -trace_stat -fd 1 \
  -stf "$tmp/pmem.csv" >"$tmp/pmem.out" 2>&1 </dev/null &
uac_pid=$!
(sleep $((DUR + 40)); kill "$uac_pid" 2>/dev/null) &
dog=$!
base=$(anon_kb "$uac_pid" "$uas_pid"); top=$base
while kill -0 "$uac_pid" 2>/dev/null; do
  now=$(anon_kb "$uac_pid" "$uas_pid")
  ((now > top)) && top=$now
  sleep 0.1
done
wait "$uac_pid"; prc=$?
kill "$dog" 2>/dev/null
kill "$uas_pid" 2>/dev/null; wait "$uas_pid" 2>/dev/null; uas_pid=""
# the CurrentCall column of SIPp's statistics, its highest value
p_peak=$(awk -F';' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "CurrentCall") c = i; next }
  c && $c + 0 > m { m = $c + 0 } END { print m + 0 }' "$tmp/pmem.csv")
p_mem=$(awk -v a="$top" -v b="$base" -v n="$p_peak" 'BEGIN { if (n > 0) printf "%.1f", (a - b) / n; else print "?" }')
echo
echo "memory a call in progress, calls held 2 s, $MEMRATE calls/s for $DUR s (anonymous memory grown at the peak):"
printf '  siptap: %s KB a call (%s at once, %s failed)\n' "${s_mem:-?}" "${s_peak:-?}" "${s_fail:-?}"
printf '  SIPp:   %s KB a call (%s at once, UAC and UAS; exit %s)\n' "$p_mem" "$p_peak" "$prc"
awk -v m="${s_mem:-0}" 'BEGIN { if (m > 0) printf "memory a call: %.1f KB (target <= 20 KB)\n", m }'
