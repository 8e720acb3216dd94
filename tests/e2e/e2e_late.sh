#!/usr/bin/env bash
# siptap's own lateness is not the UAS's: when siptap's loop runs late
# (a busy machine; here a scenario that holds it up on purpose), the
# times it stamps and sends are late by as much. A timing check that
# missed by no more (flows.timing, R-RETX-1) is a SKIP saying so; one
# that missed with nothing late in that interval still fails, and so
# does R-RETX-1 against a UAS that never retransmits. (The browser's own
# lateness, which the agent reports, is e2e_browser's.)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_late "$@"
trap 'rm -rf "$TMP"' EXIT

# HOLD ms: siptap's loop held up that long once the reliable 180 is in
# (a loop in Lua waits for nothing): its UAS's copy due at T1 goes late.
# EXPECT: the gap the scenario wants, in T1
scenario() {
  cat >"$TMP/late_$1.lua" <<LUA
local flows = require "siptap.flows"
test("a reliable 180's first gap, siptap held up $2 T1", function(t)
  local t1 = t:t1()
  local call = t:uac():invite{ supported = "100rel", retransmit = false }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 180, rel100 = true }
  local r = call:response(180)
  local c0 = os.clock()
  while os.clock() - c0 < $2 * t1 / 1000 do end
  t:sleep(t1 * 4)
  local times = {}
  for _, m in ipairs(t:wire()) do
    if m.role == "uas" and m.sent and m.status == 180 then
      times[#times + 1] = m.time
    end
  end
  local gap = (times[2] or math.huge) - times[1]
  flows.timing(t, gap, $3 * t1 * 0.9, $3 * t1 * 1.5,
               ("first gap %.0f ms ~ $3 T1"):format(gap), times[1], times[2])
  call:prack(r)
  t:sleep(t1)
end)
LUA
}
scenario held 4 1
scenario quiet 0 3

# held up: the gap and R-RETX-1 are skipped, naming siptap's lateness
siptap_run "$TMP/held.tap" "$TMP/held.err" run --t1 100 --report-dir "$TMP/r1" \
  "$TMP/late_held.lua"
if grep -qE "^    ok [0-9]+ - first gap [0-9]+ ms ~ 1 T1 # SKIP siptap's own loop ran [0-9]+ ms late then" "$TMP/held.tap"; then
  pass "a gap missed while siptap's loop ran late: SKIP naming siptap's lateness (exit $rc)"
else
  fail "the held-up gap was not skipped as siptap's"; show "$TMP/held.tap" tap
fi
grep -qE "^    ok [0-9]+ - R-RETX-1 .* # SKIP siptap's own loop ran [0-9]+ ms late then" "$TMP/held.tap" &&
  pass "R-RETX-1 on that wire: SKIP naming siptap's lateness, no finding against the UAS" ||
  { fail "R-RETX-1 blamed the UAS for siptap's lateness"; grep R-RETX-1 "$TMP/held.tap" | sed 's/^/  /'; }
grep -qE "^    # siptap's own loop ran up to [0-9]+ ms late in this test" "$TMP/held.tap" &&
  pass "the test says how late siptap's loop ran" ||
  fail "no note of siptap's lateness"
[[ $rc -eq 0 ]] && pass "a skip is no failure: exit 0" || fail "held-up run: exit $rc"
tap_check --version 14 "$TMP/held.tap" >"$TMP/c1" && pass "strict TAP 14" ||
  { fail "tap-check:"; sed 's/^/  /' "$TMP/c1"; }

# nothing late: a miss is the UAS's (here the scenario wants 3*T1)
siptap_run "$TMP/quiet.tap" "$TMP/quiet.err" run --t1 100 --report-dir "$TMP/r2" \
  "$TMP/late_quiet.lua"
if [[ $rc -eq 1 ]] && grep -qE "^    not ok [0-9]+ - first gap [0-9]+ ms ~ 3 T1$" "$TMP/quiet.tap"; then
  pass "a gap missed with nothing late: not ok, exit 1"
else
  fail "the quiet miss was not a failure (exit $rc)"; show "$TMP/quiet.tap" tap
fi
# a UAS that never retransmits: R-RETX-1 fails, lateness or not
siptap_run "$TMP/noretx.tap" "$TMP/noretx.err" run --t1 100 --uas-fault no-retransmit \
  --report-dir "$TMP/r3" --filter "until the PRACK" scenarios/flows/retransmission.lua
grep -qE "^    not ok [0-9]+ - R-RETX-1: the original and two retransmissions" "$TMP/noretx.tap" &&
  pass "--uas-fault no-retransmit: R-RETX-1 fails (no lateness excuses a missing copy)" ||
  { fail "--uas-fault no-retransmit was not caught"; grep -E 'R-RETX|SKIP' "$TMP/noretx.tap" | sed 's/^/  /'; }
e2e_finish
