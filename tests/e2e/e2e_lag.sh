#!/usr/bin/env bash
# The timing rules judged without an interval of their own (P-2XX-1,
# R-TIMEOUT-1, ...; docs/checks.md) do not blame a peer for siptap's own
# lateness either (P-2XX-1's finer check is e2e_late's):
# - test B of fixtures/lag/lag.lua withholds its ACK while the reference
#   UAS resends its 200 and test A keeps the one event loop busy (--jobs
#   2 --workers 1): the copies go out late. P-2XX-1 is not judged (# SKIP
#   naming how late siptap ran and what it saw), B passes;
# - B alone: the loop is not late, P-2XX-1 is judged and holds;
# - B alone against a UAS that never resends its 2xx (--uas-fault
#   no-2xx-retransmit): P-2XX-1 fails as before;
# - B with A2, which holds the loop 80 ms (late past the slack),
#   against a UAS that ignores the ACK (--uas-fault 2xx-after-ack): its
#   copies, the last some 800 ms after the ACK, miss by more than the lateness, and
#   P-2XX-1 fails all the same (a violation's miss beyond the lateness).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_lag "$@"

FIX=tests/e2e/fixtures/lag/lag.lua
retx() { grep -E '^ +(not )?ok [0-9]+ - P-2XX-1 ' "$1" | head -1; }

siptap_run "$TMP/busy.tap" "$TMP/busy.err" run --t1 50 --jobs 2 --workers 1 \
  --filter "B:" --filter "A:" --report-dir "$TMP/busy" "$FIX"
line="$(retx "$TMP/busy.tap")"
if [[ $rc -eq 0 && "$line" == *"# SKIP not judged: siptap's event loop (or the agent's UAS host) ran "*" ms late"*"it saw: "* ]]; then
  pass "busy loop: P-2XX-1 not judged, the reason names siptap's lateness (exit 0)"
else
  fail "busy loop: want P-2XX-1 # SKIP not judged and exit 0, got rc=$rc: ${line:-no P-2XX-1 point}"
  show "$TMP/busy.tap"
fi
tap_check "$TMP/busy.tap" >/dev/null && pass "busy loop: strict TAP" || fail "busy loop: TAP does not parse"

siptap_run "$TMP/alone.tap" "$TMP/alone.err" run --t1 50 --filter "B:" \
  --report-dir "$TMP/alone" "$FIX"
line="$(retx "$TMP/alone.tap")"
if [[ $rc -eq 0 && "$line" == *" ok "*"P-2XX-1 "* && "$line" != *"# SKIP"* ]]; then
  pass "quiet loop: P-2XX-1 judged and held"
else
  fail "quiet loop: want P-2XX-1 judged ok, got rc=$rc: ${line:-no P-2XX-1 point}"
fi

siptap_run "$TMP/fault.tap" "$TMP/fault.err" run --t1 50 --filter "B:" \
  --uas-fault no-2xx-retransmit --report-dir "$TMP/fault" "$FIX"
line="$(retx "$TMP/fault.tap")"
if [[ $rc -eq 1 && "$line" == *"not ok "*"P-2XX-1 "* && "$line" != *"# SKIP"* ]]; then
  pass "no-2xx-retransmit: P-2XX-1 still fails"
else
  fail "no-2xx-retransmit: want P-2XX-1 not ok, got rc=$rc: ${line:-no P-2XX-1 point}"
fi

siptap_run "$TMP/miss.tap" "$TMP/miss.err" run --t1 50 --jobs 2 --workers 1 \
  --uas-fault 2xx-after-ack --filter "B:" --filter "A2:" --report-dir "$TMP/miss" "$FIX"
line="$(retx "$TMP/miss.tap")"
late=$(sed -n "s/.*siptap's own loop ran up to \([0-9]*\) ms late.*/\1/p" "$TMP/miss.tap" | sort -n | tail -1)
if [[ $rc -eq 1 && "$line" == *"not ok "*"P-2XX-1 "* && "$line" != *"# SKIP"* &&
      ${late:-0} -gt 30 ]]; then
  pass "loop ${late} ms late, a 2xx copy long after the ACK: P-2XX-1 still fails"
else
  fail "2xx-after-ack on a late loop: want P-2XX-1 not ok and a lateness over 30 ms, got rc=$rc, late=${late:-none}: ${line:-no P-2XX-1 point}"
  show "$TMP/miss.tap"
fi

e2e_finish
