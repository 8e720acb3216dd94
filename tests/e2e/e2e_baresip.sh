#!/usr/bin/env bash
# baresip 1.0.0 as a remote UAS (tests/peers/baresip), started here on
# 127.0.0.1: siptap's UAC calls it (--target) and checks its provisional
# and final responses against the rules (tests/peers/baresip/scenarios).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_baresip "$@"
command -v baresip >/dev/null || e2e_abort "baresip not installed (run .ci/setup)"

port=$(free_port) || e2e_abort "no free port"
run_dir="$TMP/baresip"
stop_baresip() { bash "$ROOT/tests/peers/baresip/baresip.sh" stop "$run_dir" >/dev/null 2>&1 || true; }
trap 'stop_baresip; rm -rf "$TMP"' EXIT

if bash "$ROOT/tests/peers/baresip/baresip.sh" start "$run_dir" "$port" >"$TMP/start" 2>&1; then
  pass "baresip started on 127.0.0.1:$port"
else
  show "$TMP/start" "baresip.sh start"
  e2e_abort "baresip did not start"
fi

siptap_run "$TMP/out.tap" "$TMP/err" run --target "127.0.0.1:$port" \
  --report-dir "$TMP/r" tests/peers/baresip/scenarios
if [[ $rc -eq 0 ]]; then
  pass "baresip passes the remote-UAS scenarios"
else
  fail "exit $rc against baresip"
  grep -E '^ *not ok' "$TMP/out.tap" | head -20 | sed 's/^/  /'
  show "$run_dir/baresip.log" baresip.log
fi
tap_check --version 14 --expect-count 3 "$TMP/out.tap" >"$TMP/check" &&
  pass "strict TAP ($(tail -n 1 "$TMP/check"))" ||
  { fail "tap-check:"; sed 's/^/  /' "$TMP/check"; }

# The case-free rules ran on baresip's responses.
for rule in P-COPY-1 P-TAG-1 P-TAG-2 P-DLG-1 P-BODY-1 R-WHEN-1 S-FMT-1; do
  grep -qE "^    ok [0-9]+ - $rule " "$TMP/out.tap" &&
    pass "$rule checked on baresip's responses" ||
    fail "no passing $rule point"
done
grep -q "^# UAC over UDP, calling the remote UAS 127.0.0.1:$port\$" "$TMP/out.tap" &&
  pass "the TAP names the remote UAS" || fail "no remote UAS line in the TAP"

# A scenario that needs the reference UAS says so in remote mode.
siptap_run "$TMP/o2" "$TMP/e2" run --target "127.0.0.1:$port" \
  --report-dir "$TMP/r2" scenarios/flows/180-unreliable.lua
grep -q "remote UAS (--target)" "$TMP/o2" &&
  pass "t:uas() in remote mode is a clear error" ||
  fail "t:uas() in remote mode: no clear error"

e2e_finish
