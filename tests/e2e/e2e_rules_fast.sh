#!/usr/bin/env bash
# The rules' fast paths give what the code before them gave, and each
# comparison can fail:
# - siptap.sdp.reader(), the rules' SDP parse kept by the SDP without
#   its o= value (the o= line read on its own), is sdp.parse over
#   thousands of mutated SDPs, and what a caller changes in its own parse
#   changes no verdict (fixtures/sdp-reader);
# - the checkers' readers that use plain finds where they used patterns
#   (siptap.checkers.wire: trim, via_core) give what the pattern versions
#   gave over 20,000 random strings of the bytes that matter, and
#   siptap.sdp's o= value read in one match what its fields say over
#   20,000 random values (fixtures/rules-fast);
# - the calls of a wire as l_calls.c sorts them in C (t:_views(true)) are
#   what W.calls's own Lua sort makes of the same wire, and so is each
#   call's view from the UAS's side, for every test of scenarios/ and
#   tests of 2 to 20 calls (fixtures/rules-fast/calls-compare.lua, put
#   into a copy of the library's wire.lua; many-calls.lua).
# Each fixture passes with the library, and fails against a copy of it
# with the fast path broken.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_rules_fast "$@"

# fixture NAME FILE TESTS FILE-TO-BREAK SED WANTED: the fixture passes
# (TESTS judged, none failing); with SED applied to a copy of
# FILE-TO-BREAK it exits 1 and its TAP has WANTED (an ERE)
fixture() {
  local name="$1" file="$2" tests="$3" target="$4" edit="$5" wanted="$6"
  siptap_run "$TMP/$name.tap" "$TMP/$name.err" run --t1 50 \
    --report-dir "$TMP/r-$name" "$file"
  [[ $rc -eq 0 ]] && pass "$name: the same answers (exit 0)" ||
    { fail "$name: exit $rc, wanted 0"; show "$TMP/$name.tap" tap; }
  expect_verdicts "$TMP/$name.tap" "$tests"
  rm -rf "$TMP/lua"
  cp -r lua "$TMP/lua"
  sed -i "$edit" "$TMP/lua/$target"
  if cmp -s "lua/$target" "$TMP/lua/$target"; then
    fail "$name: could not break $target (changed?)"
    return
  fi
  siptap_run "$TMP/$name-bad.tap" "$TMP/$name-bad.err" run --t1 50 \
    --lua-dir "$TMP/lua" --report-dir "$TMP/rb-$name" "$file"
  [[ $rc -eq 1 ]] && grep -qE "$wanted" "$TMP/$name-bad.tap" &&
    pass "$name: broken, the comparison fails naming the difference" ||
    { fail "$name: broken: exit $rc, wanted 1 and /$wanted/"
      show "$TMP/$name-bad.tap" tap; }
}

# the reader broken: the o= line's own problem never put back
fixture sdp-reader tests/e2e/fixtures/sdp-reader/reader.lua 3 \
  siptap/sdp.lua 's/^  if not wrong or c.at > 100 then return d end$/  do return d end/' \
  'first difference: round 1: parse.problems'
grep -qE '^    ok [0-9]+ - [0-9]+ SDPs compared' "$TMP/sdp-reader.tap" &&
  pass "$(grep -oE '[0-9]+ SDPs compared' "$TMP/sdp-reader.tap")" ||
  fail "no count of the SDPs compared"

# via_core broken: rport kept
fixture rules-fast tests/e2e/fixtures/rules-fast/helpers.lua 2 \
  siptap/checkers/wire.lua 's/name:lower() == "rport")$/name:lower() == "rport-broken")/' \
  '^    not ok 2 - via_core: the same for [0-9]+ strings, not for'

# the o= value's one match broken: its address not checked
fixture rules-fast-o tests/e2e/fixtures/rules-fast/helpers.lua 2 \
  siptap/sdp.lua 's/^  return address_problem(addrtype, addr, false)$/  return nil/' \
  '^    not ok 1 - o=: the same for [0-9]+ values \([0-9]+ right\), not for'

# calls_compare NAME BREAK: scenarios/ with a copy of the library whose
# W.calls compares the C sort with its own (BREAK: the C sort's first call
# loses an INVITE copy first); sets rc
calls_compare() {
  local name="$1" brk="$2" wire="$TMP/$1/siptap/checkers/wire.lua"
  rm -rf "$TMP/$name"
  cp -r lua "$TMP/$name"
  if [[ "$(tail -n 1 "$wire")" != "return W" ]]; then
    fail "$name: wire.lua does not end in 'return W' (changed?)"
    return
  fi
  sed -i '$d' "$wire"
  sed "s/^  local BREAK = false\$/  local BREAK = $brk/" \
    tests/e2e/fixtures/rules-fast/calls-compare.lua >> "$wire"
  echo "return W" >> "$wire"
  siptap_run "$TMP/$name.tap" "$TMP/$name.err" run --lua-dir "$TMP/$name" \
    --report-dir "$TMP/r-$name" scenarios/ \
    tests/e2e/fixtures/rules-fast/many-calls.lua
}

calls_compare calls-c false
[[ $rc -eq 0 ]] && grep -qE "^siptap: [0-9]+ tests: [0-9]+ passed, 0 failed" \
  "$TMP/calls-c.err" &&
  pass "the C sort of every test's calls is W.calls's ($(grep -oE '[0-9]+ tests' "$TMP/calls-c.err" | head -1))" ||
  { fail "the C sort of the calls: exit $rc"; show "$TMP/calls-c.tap" tap
    tail -3 "$TMP/calls-c.err"; }
calls_compare calls-c-broken true
[[ $rc -eq 1 ]] && grep -q "the C sort differs from W.calls's: invite_copies" \
  "$TMP/calls-c-broken.tap" &&
  pass "the C sort broken: the comparison fails, naming the list ($(grep -oE '[0-9]+ failed' "$TMP/calls-c-broken.err" | head -1) tests)" ||
  { fail "the C sort broken: exit $rc, wanted 1 and the difference named"
    tail -3 "$TMP/calls-c-broken.err"; }

e2e_finish
