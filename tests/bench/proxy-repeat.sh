#!/usr/bin/env bash
# Are the proxy verdicts stable? Runs the suite through a correct
# Kamailio with 4 UDP workers (tests/peers/kamailio, the way
# e2e_kamailio does: --t1 50, --todo findings.txt, UDP) N times and
# prints how many runs passed and every failing point of the others:
# through a correct proxy each one is a spurious verdict.
#
#   tests/bench/proxy-repeat.sh [build/siptap] [N [SUITE...]]
#                         (N: 30; SUITE: scenarios, or e.g. --filter X DIR)
#
# PROXY_TRANSPORT=tcp sends through Kamailio over TCP (default udp).
#
# Kamailio is started here on a free port below the ephemeral range
# (127.0.0.1 only) and stopped by its pid. Exit 0 when all N runs passed. With
# KEEP=DIR the reports of each failed run are kept in DIR/run-I.
set -euo pipefail
ROOT="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SIPTAP="${1:-$ROOT/build/siptap}"
N="${2:-30}"
shift 2 2>/dev/null || shift $#
SUITE=("$@")                 # after N: siptap run arguments, e.g. --filter
[[ ${#SUITE[@]} -gt 0 ]] || SUITE=(scenarios)
KAM="$ROOT/tests/peers/kamailio/kamailio.sh"
cd "$ROOT"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/proxy-repeat.XXXXXX")"
spid=
cleanup() {
  [[ -n $spid ]] && kill "$spid" 2>/dev/null
  sh "$KAM" stop "$tmp/kam" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Two ports in a row, free for UDP and TCP, below the kernel's ephemeral
# range: the UAS binds the second one again for every test, and a port
# the kernel may hand to any socket (a UAC's, another program's) in
# between would now and then be taken.
free_pair() {
  python3 - <<'EOF'
import random, socket
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
for _ in range(200):
    p = random.randint(10000, max(10001, low - 2))
    socks = []
    try:
        for port in (p, p + 1):
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                t = socket.socket(socket.AF_INET, kind)
                socks.append(t)
                t.bind(("127.0.0.1", port))
        print(p)
        break
    except OSError:
        pass
    finally:
        for t in socks:
            t.close()
else:
    raise SystemExit("no free port pair")
EOF
}

tp=${PROXY_TRANSPORT:-udp}
port=$(free_pair)
sh "$KAM" start "$tmp/kam" "$port" >"$tmp/kam.start" 2>&1 || {
  echo "proxy-repeat: kamailio did not start:" >&2
  cat "$tmp/kam.start" >&2
  exit 2
}
echo "# kamailio (4 UDP workers) on 127.0.0.1:$port, siptap over $tp, pid $(tail -n 1 "$tmp/kam.start")"

proxy_param=
[[ $tp == tcp ]] && proxy_param=";transport=tcp"
passed=0
broken=0
strays=0
for i in $(seq 1 "$N"); do
  rc=0
  rm -rf "$tmp/r"
  # in the background, so that a signal to this script stops it too
  "$SIPTAP" run --t1 50 --proxy "sip:127.0.0.1:$port$proxy_param" \
    --uas-listen "127.0.0.1:$((port + 1))" \
    --todo tests/peers/kamailio/findings.txt --report-dir "$tmp/r" \
    "${SUITE[@]}" >"$tmp/run.tap" 2>"$tmp/run.err" </dev/null &
  spid=$!
  wait "$spid" || rc=$?
  spid=
  # INVITEs of an earlier test the UAS turned away (docs/network.md)
  n=$(grep -c '^ *# a stray INVITE' "$tmp/run.tap" || true)
  strays=$((strays + n))
  if [[ $rc -eq 0 ]]; then
    passed=$((passed + 1))
    echo "run $i ($tp): pass ($n stray INVITEs answered 481)"
    continue
  fi
  # exit 1 is a failing test; anything else (usage, a crash, a signal)
  # is no verdict at all, and not counted as a spurious one
  if [[ $rc -ne 1 ]]; then
    broken=$((broken + 1))
    echo "run $i ($tp): BROKEN (exit $rc, no verdict): $(tail -n 1 "$tmp/run.err")"
    continue
  fi
  echo "run $i ($tp): FAILED (exit $rc): $(tail -n 1 "$tmp/run.err")"
  if [[ -n ${KEEP:-} ]]; then
    mkdir -p "$KEEP" && cp -r "$tmp/r" "$KEEP/run-$i" &&
      cp "$tmp/kam/kamailio.log" "$KEEP/run-$i/"
  fi
  # each failing point (not TODO) with the test it is in and its message
  awk '/^# Subtest: / { test = substr($0, 12) }
       /^ +not ok / && !/# TODO/ { print "  " test ": " $0; want = 1; next }
       want && /^ +message: / { print "    " $0; want = 0 }' "$tmp/run.tap"
done
echo "# $strays stray INVITEs answered 481 in all"
echo "proxy-repeat: $passed/$N runs passed, $broken broken"
[[ $passed -eq $N ]]
