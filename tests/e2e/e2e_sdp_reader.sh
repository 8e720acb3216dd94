#!/usr/bin/env bash
# The rules' SDP parse whose results are kept (siptap.sdp.reader: the
# SDP without its o= value parsed once, the o= line read on its own) is
# sdp.parse over thousands of mutated SDPs (fixtures/sdp-reader), and
# what a caller changes in its own parse changes no verdict. The same
# fixture against a copy of the library whose reader is broken (the o=
# line's problem left out) must fail: the comparison can see it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_sdp_reader "$@"

fixture=tests/e2e/fixtures/sdp-reader/reader.lua

siptap_run "$TMP/out.tap" "$TMP/err" run --t1 50 --report-dir "$TMP/r" \
  "$fixture"
[[ $rc -eq 0 ]] && pass "the kept parse is sdp.parse's (exit 0)" ||
  { fail "exit $rc, wanted 0"; show "$TMP/out.tap" tap; }
expect_verdicts "$TMP/out.tap" 3
grep -qE '^    ok [0-9]+ - [0-9]+ SDPs compared' "$TMP/out.tap" &&
  pass "$(grep -oE '[0-9]+ SDPs compared' "$TMP/out.tap")" ||
  fail "no count of the SDPs compared"

# broken: the o= line's own problem never put back
cp -r lua "$TMP/lua"
sed -i 's/^  if not wrong or c.at > 100 then return d end$/  do return d end/' \
  "$TMP/lua/siptap/sdp.lua"
if cmp -s lua/siptap/sdp.lua "$TMP/lua/siptap/sdp.lua"; then
  fail "could not break the reader (sdp.lua changed?)"
else
  siptap_run "$TMP/bad.tap" "$TMP/bad.err" run --t1 50 --lua-dir "$TMP/lua" \
    --report-dir "$TMP/rb" "$fixture"
  [[ $rc -eq 1 ]] && grep -q 'first difference: round 1: parse.problems' \
    "$TMP/bad.tap" && pass "a broken reader fails the comparison" ||
    { fail "a broken reader: exit $rc, wanted 1 naming the difference"
      show "$TMP/bad.tap" tap; }
fi

e2e_finish
