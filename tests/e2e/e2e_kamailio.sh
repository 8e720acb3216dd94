#!/usr/bin/env bash
# The progress suite through a real SIP server: Kamailio 5.6 (tests/peers/
# kamailio) started here on 127.0.0.1, siptap's UAC sending through it
# (--proxy) to the reference UAS on a fixed port (--uas-listen), over UDP
# and over TCP. The proxy rules (PX-*) run on every test; Kamailio's
# known deviations (tests/peers/kamailio/findings.txt) are TODO points
# with the finding, never passes.
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

e2e_finish
