#!/usr/bin/env bash
# Spurious verdicts through a SIP server (issue #16): the suite N times
# (default 50) through a correct Kamailio over UDP and N times over TCP
# (tests/bench/proxy-repeat.sh each), and the count of runs that
# failed. Through a correct proxy every failing point is spurious: a
# test that took another test's traffic, a timing verdict the loop made.
#
#   tests/bench/proxy-flake.sh [build/siptap] [N [SUITE...]]
#
# Exit 0 when no run failed, 1 when some failed (spurious verdicts), 2
# when a run gave no verdict at all (Kamailio did not start, siptap
# crashed or was stopped): that is no spurious verdict, and is counted
# apart. UDP and TCP run side by side, a run about a minute on 2
# cores: N = 50 is about an hour; N = 3 is a quick look.
set -uo pipefail
ROOT="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SIPTAP="${1:-$ROOT/build/siptap}"
N="${2:-50}"
shift 2 2>/dev/null || shift $#
spurious=0
broken=0
summary=()
tmp="$(mktemp -d "${TMPDIR:-/tmp}/proxy-flake.XXXXXX")"
pids=()
stop() {
  # proxy-repeat's own trap stops its siptap and its Kamailio
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait
  rm -rf "$tmp"
}
trap stop EXIT
trap 'exit 130' INT TERM
# UDP and TCP side by side, each through a Kamailio of its own: the
# suite mostly waits on timers, so two at once take little more than one
# (a run is about a minute; N = 50 about an hour). Each line is printed
# as it comes, with its transport.
# KEEP=DIR keeps each failed run's reports in DIR/udp, DIR/tcp.
for tp in udp tcp; do
  : >"$tmp/$tp.log"
  PROXY_TRANSPORT=$tp KEEP="${KEEP:+$KEEP/$tp}" \
    bash "$ROOT/tests/bench/proxy-repeat.sh" "$SIPTAP" "$N" "$@" \
    >"$tmp/$tp.log" 2>&1 </dev/null &
  pids+=($!)
done
runs=("${pids[@]}")
tail -q -n +1 -F "$tmp/udp.log" "$tmp/tcp.log" 2>/dev/null &
pids+=($!)
wait "${runs[@]}"
sleep 1    # tail's last lines
kill "${pids[2]}" 2>/dev/null
wait
pids=()
for tp in udp tcp; do
  out=$(tail -n 1 "$tmp/$tp.log")
  # "proxy-repeat: P/N runs passed, B broken"; anything else: it did
  # not get to run the suite (Kamailio did not start)
  if [[ ! $out =~ ^proxy-repeat:\ ([0-9]+)/[0-9]+\ runs\ passed,\ ([0-9]+)\ broken$ ]]; then
    echo "proxy-flake: over $tp the suite did not run: ${out:-no output}" >&2
    broken=$((broken + N))
    summary+=("$tp ?")
    continue
  fi
  passed=${BASH_REMATCH[1]}
  b=${BASH_REMATCH[2]}
  broken=$((broken + b))
  spurious=$((spurious + N - passed - b))
  summary+=("$tp $((N - passed - b))")
done
nv=
[[ $broken -eq 0 ]] || nv="; runs with no verdict: $broken"
echo "proxy-flake: runs with spurious failures: ${summary[*]} (of $N each)$nv"
[[ $broken -eq 0 ]] || exit 2
[[ $spurious -eq 0 ]]
