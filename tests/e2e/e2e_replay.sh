#!/usr/bin/env bash
# The reference UAS answers a PRACK and a BYE over UDP through libre's
# server transaction, then keeps a replay of the answer in its place (not
# the decoded request: issue #17, memory a call). Its copies must be
# answered as libre's transaction answered them (fixtures/replay/replay.lua):
# - a copy of the PRACK, then of the BYE: the same 200, byte for byte;
# - a CANCEL on the answered PRACK's branch: 200, the INVITE not cancelled
#   (RFC 3261 9.2);
# - the PRACK merged (no To tag, another branch): 482;
# - after the ACK of the INVITE's 2xx, when the UAS lets the decoded
#   INVITE and libre's Accepted transaction go (a replay without a
#   response in its place): a copy of the INVITE is absorbed (no new
#   call, no answer), a CANCEL on its branch gets 200, a merged copy 482.
# Under --uas-fault prack-stateless (a PRACK answered without a
# transaction) the PRACK's three fail and the BYE's copy is still
# answered: the checks can fail.
# The general rules leave the fixture's raw copies alone: a CANCEL of the
# PRACK may get 200 (P-DLG-2), a merged copy and its 482 are another
# transaction, not the INVITE's or the PRACK's (siptap.checkers.wire
# split_merged); the tests pass as a whole.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_replay "$@"

FIX=tests/e2e/fixtures/replay/replay.lua
point() { grep -E "^    (not )?ok [0-9]+ - $2\$" "$1" | head -1; }
want() {   # want FILE ok|not DESC
  local line
  line="$(point "$1" "$3")"
  if [[ $2 == ok && $line == "    ok "* ]] || [[ $2 == not && $line == "    not ok "* ]]; then
    pass "$(basename "$1" .tap): $2: $3"
  else
    fail "$(basename "$1" .tap): want $2 '$3', got: ${line:-no such point}"
    show "$1"
  fi
}

siptap_run "$TMP/uas.tap" "$TMP/uas.err" run --t1 50 --report-dir "$TMP/r1" "$FIX"
for d in "the PRACK's copy is answered" "the BYE's copy is answered" \
         "the CANCEL: 200" "the INVITE is not cancelled" "no 487" \
         "482 Loop Detected" "the copy is no new call .*" \
         "and gets no answer" "a CANCEL on its branch: 200" \
         "the call goes on" "the merged copy: 482 Loop Detected"; do
  want "$TMP/uas.tap" ok "$d"
done
n=$(grep -cE '^    ok [0-9]+ - with the same bytes$' "$TMP/uas.tap")
[[ $n -eq 2 ]] && pass "uas: both copies answered with the same bytes" ||
  fail "uas: want 2 'with the same bytes' points ok, got $n"
tap_check "$TMP/uas.tap" >/dev/null && pass "uas: strict TAP" || fail "uas: TAP does not parse"
# the general rules blame nobody for the copies: no rule takes the 200 to
# a CANCEL of the PRACK, or the 482 to a merged copy, for a fault
if [[ $rc -eq 0 ]] && [[ $(grep -cE '^ok [1-4] - ' "$TMP/uas.tap") -eq 4 ]]; then
  pass "uas: the four tests pass whole: no rule blames the UAS for the copies' answers"
else
  fail "uas: exit $rc; a rule blamed the UAS for the copies' answers"
  grep -E '^    not ok|message:' "$TMP/uas.tap" | head -10
fi

siptap_run "$TMP/stateless.tap" "$TMP/stateless.err" run --t1 50 \
  --uas-fault prack-stateless --report-dir "$TMP/r2" "$FIX"
for d in "the PRACK's copy is answered" "the CANCEL: 200" "482 Loop Detected"; do
  want "$TMP/stateless.tap" not "$d"
done
want "$TMP/stateless.tap" ok "the BYE's copy is answered"
tap_check "$TMP/stateless.tap" >/dev/null && pass "stateless: strict TAP" ||
  fail "stateless: TAP does not parse"

e2e_finish
