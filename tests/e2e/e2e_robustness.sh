#!/usr/bin/env bash
# Broken scenarios lose nothing (fixtures/robust/): a file that does not
# compile, a runtime error, a test that waits forever, a hand-made yield
# and a test without assertions each fail as their own TAP point, with
# file and line; every other test still runs; the TAP stays strict and
# the report is written. Also: tests are isolated from each other, and
# the sandbox holds.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_robustness "$@"

dir=tests/e2e/fixtures/robust
siptap_run "$TMP/out.tap" "$TMP/err" run --timeout 2 --jobs 1 \
  --report-dir "$TMP/reports" "$dir"

[[ $rc -eq 1 ]] && pass "exit 1 when tests fail" ||
  { fail "exit $rc, wanted 1"; show "$TMP/err" stderr; }

if tap_check --version 14 --expect-ok false --expect-count 12 \
  "$TMP/out.tap" >"$TMP/check"; then
  pass "strict TAP 14 with all 12 points ($(tail -n 1 "$TMP/check"))"
else
  fail "tap-check rejected stdout:"
  sed 's/^/  /' "$TMP/check"
fi

# expect LINE-REGEX WHAT: one line of stdout must match.
expect() {
  if grep -Eq -- "$1" "$TMP/out.tap"; then
    pass "$2"
  else
    fail "$2: no line matches /$1/"
    show "$TMP/out.tap" stdout
  fi
}

expect "^not ok 1 - $dir/a-broken-syntax\\.lua\$" \
  "a file that does not compile is one not-ok point named by the file"
expect "^  message: \".*a-broken-syntax\\.lua:5: unexpected symbol" \
  "its diagnostic names the file and line 5"
expect "^not ok 2 - raises at line 5\$" "a runtime error fails its test"
expect "^      at: \".*b-runtime-error\\.lua:5\"\$" \
  "the runtime error names file and line"
expect "^      traceback: \".*stack traceback:" "with a traceback"
expect "^ok 3 - runs after the error\$" "the next test in that file runs"
expect "^ok 5 - sees none of it\$" \
  "a test does not see another test's globals or library changes"
expect "^ok 6 - sandbox: no commands, no files, no C, no bytecode\$" \
  "the sandbox removes io, os.execute, debug, loadlib, bytecode"
expect "^not ok 7 - waits forever\$" "a test waiting forever fails"
expect "^      message: \"the test did not finish within 2 s \\(--timeout\\)\"\$" \
  "at --timeout, saying so"
expect "^      waiting_for: \"an INVITE at the UAS\"\$" "and what it waited for"
expect "^      at: \".*e-timeout\\.lua:4\"\$" "and where"
expect "^not ok 8 - yields by hand\$" "a hand-made coroutine.yield fails"
expect "^    not ok 1 - the test made no assertions\$" \
  "a test without assertions fails"
expect "^ok 10 - a real call still works\$" \
  "after all that, a real call still runs"
expect "^not ok 11 - loops forever\$" "an endless loop fails its test"
expect "instruction budget exceeded|did not finish within 2 s \\(--timeout\\): it was running Lua" \
  "at the instruction budget or the deadline, whichever comes first, saying so"
expect "^not ok 12 - eats memory\$" "a memory blow-up fails its test"
expect "not enough memory" "at the allocator cap, saying so"

reports=("$TMP"/reports/*.tap)
if [[ ${#reports[@]} -eq 1 && -f "${reports[0]}" ]] &&
  cmp -s "${reports[0]}" "$TMP/out.tap"; then
  pass "the report is written and equals stdout"
else
  fail "report missing or different: ${reports[*]}"
fi

# --allow-unsafe opens files and commands; without it they are not there
siptap_run "$TMP/u1.tap" "$TMP/u1.err" run --report-dir "$TMP/u1" \
  tests/e2e/fixtures/unsafe.lua
[[ $rc -eq 1 ]] && pass "without --allow-unsafe: no io, no os.execute" ||
  fail "without --allow-unsafe: exit $rc"
siptap_run "$TMP/u2.tap" "$TMP/u2.err" run --allow-unsafe \
  --report-dir "$TMP/u2" tests/e2e/fixtures/unsafe.lua
[[ $rc -eq 0 ]] && pass "with --allow-unsafe: io and os.execute" ||
  fail "with --allow-unsafe: exit $rc"

e2e_finish
