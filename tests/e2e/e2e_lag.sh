#!/usr/bin/env bash
# A timing rule does not blame a peer for siptap's own lateness (lag.h):
# - test B of fixtures/lag/lag.lua waits out the reference UAS's
#   retransmissions of a reliable 183 while test A keeps the one event
#   loop busy (--jobs 2 --workers 1): the reference UAS's copies go out
#   late. R-RETX-1 is not judged (# SKIP naming how late siptap ran and
#   what it saw), B passes, no rule is blamed;
# - B alone: the loop is not late, R-RETX-1 is judged and holds;
# - B alone against a UAS that does not retransmit (--uas-fault
#   no-retransmit): R-RETX-1 fails as before, lateness or not.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_lag "$@"

FIX=tests/e2e/fixtures/lag/lag.lua
retx() { grep -E '^ +(not )?ok [0-9]+ - R-RETX-1 ' "$1" | head -1; }

siptap_run "$TMP/busy.tap" "$TMP/busy.err" run --t1 50 --jobs 2 --workers 1 \
  --report-dir "$TMP/busy" "$FIX"
line="$(retx "$TMP/busy.tap")"
if [[ $rc -eq 0 && "$line" == *"# SKIP not judged: siptap's event loop ran "*" ms late"*"it saw: "* ]]; then
  pass "busy loop: R-RETX-1 not judged, the reason names siptap's lateness (exit 0)"
else
  fail "busy loop: want R-RETX-1 # SKIP not judged and exit 0, got rc=$rc: ${line:-no R-RETX-1 point}"
  show "$TMP/busy.tap"
fi
tap_check "$TMP/busy.tap" >/dev/null && pass "busy loop: strict TAP" || fail "busy loop: TAP does not parse"

siptap_run "$TMP/alone.tap" "$TMP/alone.err" run --t1 50 --filter "B:" \
  --report-dir "$TMP/alone" "$FIX"
line="$(retx "$TMP/alone.tap")"
if [[ $rc -eq 0 && "$line" == *" ok "*"R-RETX-1 "* && "$line" != *"# SKIP"* ]]; then
  pass "quiet loop: R-RETX-1 judged and held"
else
  fail "quiet loop: want R-RETX-1 judged ok, got rc=$rc: ${line:-no R-RETX-1 point}"
fi

siptap_run "$TMP/fault.tap" "$TMP/fault.err" run --t1 50 --filter "B:" \
  --uas-fault no-retransmit --report-dir "$TMP/fault" "$FIX"
line="$(retx "$TMP/fault.tap")"
if [[ $rc -eq 1 && "$line" == *"not ok "*"R-RETX-1 "* && "$line" != *"# SKIP"* ]]; then
  pass "no-retransmit: R-RETX-1 still fails"
else
  fail "no-retransmit: want R-RETX-1 not ok, got rc=$rc: ${line:-no R-RETX-1 point}"
fi

e2e_finish
