#!/usr/bin/env bash
# Spurious verdicts through a SIP server (issue #16): the suite N times
# (default 50) through a correct Kamailio over UDP, then N times over
# TCP (tests/bench/proxy-repeat.sh each), and the count of runs that
# failed. Through a correct proxy every failing point is spurious: a
# test that took another test's traffic, a timing verdict the loop made.
#
#   tests/bench/proxy-flake.sh [build/siptap] [N [SUITE...]]
#
# Exit 0 when no run failed. A run takes about a minute on 2 cores.
set -uo pipefail
ROOT="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SIPTAP="${1:-$ROOT/build/siptap}"
N="${2:-50}"
shift 2 2>/dev/null || shift $#
spurious=0
summary=()
for tp in udp tcp; do
  echo "# over $tp"
  out=$(PROXY_TRANSPORT=$tp bash "$ROOT/tests/bench/proxy-repeat.sh" \
        "$SIPTAP" "$N" "$@" | tee /dev/stderr | tail -n 1)
  passed=${out#proxy-repeat: }
  passed=${passed%%/*}
  [[ $passed =~ ^[0-9]+$ ]] || passed=0
  spurious=$((spurious + N - passed))
  summary+=("$tp $((N - passed))")
done
echo "proxy-flake: runs with spurious failures: ${summary[*]} (of $N each)"
[[ $spurious -eq 0 ]]
