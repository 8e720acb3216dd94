#!/usr/bin/env bash
# The SDP rules fail on broken SDP, each under its own id: every test of
# fixtures/sdp/broken.lua sends an answer with one deviation and names
# in "[expect ...]" the rules that must fail; no other rule (nor any
# other point) may. The findings name the line and the observed value.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_sdp "$@"

siptap_run "$TMP/out.tap" "$TMP/err" run --t1 50 --jobs 2 \
  --report-dir "$TMP/r" tests/e2e/fixtures/sdp
[[ $rc -eq 1 ]] && pass "the broken answers make the run fail (exit 1)" ||
  { fail "exit $rc, wanted 1"; show "$TMP/err" stderr; }

expect_verdicts "$TMP/out.tap" 30

# what a maintainer reads: the line, and what is wrong with it
grep -q 'line 6 \\"m=audio abc RTP/AVP 0\\": port abc is not a number' \
  "$TMP/out.tap" && pass "a bad port is named with its line and value" ||
  fail "no finding naming line 6 and the port abc"
grep -q 'no c= line in this media section and none at session level' \
  "$TMP/out.tap" && pass "a missing c= line is named" ||
  fail "no finding for the missing c= line"
grep -q 'format 18 not in the offer' "$TMP/out.tap" &&
  pass "a foreign format is named" || fail "no finding naming format 18"
grep -q 'sendonly answered to a stream offered sendonly' "$TMP/out.tap" &&
  pass "a wrong direction is named with both directions" ||
  fail "no finding naming the directions"
grep -q 'o= version 2, but 1 in the 183, whose SDP this repeats unchanged' \
  "$TMP/out.tap" && pass "a version raised on a repeat is named" ||
  fail "no finding naming the o= versions"

e2e_finish
