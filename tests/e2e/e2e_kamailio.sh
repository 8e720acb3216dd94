#!/usr/bin/env bash
# The progress suite through a real SIP server: Kamailio 5.6 (tests/peers/
# kamailio) started here on 127.0.0.1, siptap's UAC sending through it
# (--proxy) to the reference UAS on a fixed port (--uas-listen), over UDP
# and over TCP. The proxy rules (PX-*) run on every test; Kamailio's
# known deviations (tests/peers/kamailio/findings.txt) are TODO points
# with the finding, never passes. Then Kamailio broken on purpose
# (-A BREAK_...): each PX rule must fail against the proxy that breaks it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_kamailio "$@"
command -v kamailio >/dev/null || [[ -x /usr/sbin/kamailio ]] ||
  e2e_abort "kamailio not installed (run .ci/setup)"

kam_port=$(free_port) || e2e_abort "no free port"
uas_port=$((kam_port + 1))
run_dir="$TMP/kamailio"
mkdir -p "$run_dir"
stop_kamailio() { sh "$ROOT/tests/peers/kamailio/kamailio.sh" stop "$run_dir" >/dev/null 2>&1 || true; }
trap 'stop_kamailio; rm -rf "$TMP"' EXIT

if sh "$ROOT/tests/peers/kamailio/kamailio.sh" start "$run_dir" "$kam_port" >"$TMP/kam.start" 2>&1; then
  pass "kamailio started on 127.0.0.1:$kam_port (pid $(tail -n 1 "$TMP/kam.start"))"
else
  show "$TMP/kam.start" "kamailio.sh start"
  show "$run_dir/kamailio.log" kamailio.log
  e2e_abort "kamailio did not start"
fi

for tp in udp tcp; do
  proxy="sip:127.0.0.1:$kam_port"
  [[ $tp == tcp ]] && proxy="$proxy;transport=tcp"
  siptap_run "$TMP/$tp.tap" "$TMP/$tp.err" run --t1 50 \
    --proxy "$proxy" --uas-listen "127.0.0.1:$uas_port" \
    --todo tests/peers/kamailio/findings.txt \
    --report-dir "$TMP/r-$tp" scenarios
  if [[ $rc -eq 0 ]]; then
    pass "$tp: the suite passes through Kamailio ($(tail -n 1 "$TMP/$tp.err"))"
  else
    fail "$tp: exit $rc through Kamailio"
    grep -E '^ *not ok|^ +message:' "$TMP/$tp.tap" | grep -v '# TODO' | head -20 | sed 's/^/  /'
    show "$run_dir/kamailio.log" kamailio.log
  fi
  if tap_check --version 14 "$TMP/$tp.tap" >"$TMP/$tp.check"; then
    pass "$tp: strict TAP ($(tail -n 1 "$TMP/$tp.check"))"
  else
    fail "$tp: tap-check:"; sed 's/^/  /' "$TMP/$tp.check"
  fi
  for rule in PX-FWD-1 PX-HDR-1 PX-100-1 PX-RR-1 PX-REL-1; do
    n=$(grep -cE "^    ok [0-9]+ - $rule " "$TMP/$tp.tap" || true)
    [[ $n -gt 0 ]] && pass "$tp: $rule checked and passed in $n tests" ||
      fail "$tp: no passing $rule point"
  done
  if grep -qE '^not ok .*# TODO Kamailio 5\.6' "$TMP/$tp.tap"; then
    pass "$tp: Kamailio's known deviation is a TODO with the finding"
  else
    fail "$tp: the known deviation did not show up as a TODO"
  fi
  grep -q "^# UAC over ${tp^^}, through the proxy $proxy\$" "$TMP/$tp.tap" &&
    pass "$tp: the TAP says which proxy and transport" ||
    fail "$tp: no '# UAC over ${tp^^}, through the proxy' line"
done

stop_kamailio

# A proxy that breaks each rule: the rule must say not ok.
breaks=(BREAK_DROP_18X:PX-FWD-1 BREAK_ADD_HEADER:PX-HDR-1
  BREAK_NO_RECORD_ROUTE:PX-RR-1 BREAK_NO_100REL:PX-REL-1 BREAK_NO_100:PX-100-1)
for b in "${breaks[@]}"; do
  define=${b%%:*} rule=${b##*:}
  port=$(free_port) || e2e_abort "no free port"
  bdir="$TMP/$define"
  mkdir -p "$bdir"
  if ! sh "$ROOT/tests/peers/kamailio/kamailio.sh" start "$bdir" "$port" -A "$define" >"$bdir.start" 2>&1; then
    fail "$define: kamailio did not start"; show "$bdir.start"; continue
  fi
  siptap_run "$bdir.tap" "$bdir.err" run --t1 50 --timeout 3 \
    --proxy "sip:127.0.0.1:$port" --uas-listen "127.0.0.1:$((port + 1))" \
    --report-dir "$bdir.r" --filter "180 Ringing, unreliable" \
    --filter "reliable 183 with SDP, PRACK" scenarios/flows
  sh "$ROOT/tests/peers/kamailio/kamailio.sh" stop "$bdir" >/dev/null 2>&1 || true
  if grep -qE "^    not ok [0-9]+ - $rule " "$bdir.tap"; then
    pass "$define: $rule fails against a proxy that breaks it"
  else
    fail "$define: $rule did not fail (exit $rc)"
    grep -E '^ *not ok' "$bdir.tap" | head -5 | sed 's/^/  /'
  fi
done

e2e_finish
