#!/usr/bin/env bash
# The checkers' shared readers that read with plain finds where they
# used patterns (siptap.checkers.wire: trim, via_core) give what the
# pattern versions gave over 20,000 random strings of the bytes that
# matter (fixtures/rules-fast); against a copy of the library whose
# via_core keeps rport, the comparison fails.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_rules_fast "$@"

fixture=tests/e2e/fixtures/rules-fast/helpers.lua

siptap_run "$TMP/out.tap" "$TMP/err" run --t1 50 --report-dir "$TMP/r" \
  "$fixture"
[[ $rc -eq 0 ]] && pass "the same answers (exit 0)" ||
  { fail "exit $rc, wanted 0"; show "$TMP/out.tap" tap; }
expect_verdicts "$TMP/out.tap" 1

cp -r lua "$TMP/lua"
sed -i 's/name:lower() == "rport")$/name:lower() == "rport-broken")/' \
  "$TMP/lua/siptap/checkers/wire.lua"
if cmp -s lua/siptap/checkers/wire.lua "$TMP/lua/siptap/checkers/wire.lua"
then
  fail "could not break via_core (wire.lua changed?)"
else
  siptap_run "$TMP/bad.tap" "$TMP/bad.err" run --t1 50 --lua-dir "$TMP/lua" \
    --report-dir "$TMP/rb" "$fixture"
  [[ $rc -eq 1 ]] && grep -q '^    not ok 2 - via_core: the same for [0-9]* strings, not for' \
    "$TMP/bad.tap" && pass "a broken via_core fails the comparison" ||
    { fail "a broken via_core: exit $rc, wanted 1 naming a string"
      show "$TMP/bad.tap" tap; }
fi

e2e_finish
