#!/usr/bin/env bash
# A scenario with one failing assertion (fixtures/fails.lua): siptap must
# exit 1, still print strict TAP, and explain the failure in a YAML block
# (at: file:line, wanted:, found:) that tap-parser and prove both read.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_failing_scenario "$@"
command -v prove >/dev/null || e2e_abort "prove not found (Debian package perl; run .ci/setup)"

fixture=tests/e2e/fixtures/fails.lua
line="$(grep -n 't:is("Ringing", "Trying"' "$fixture" | cut -d: -f1)"
[[ -n "$line" ]] || e2e_abort "no failing t:is(\"Ringing\", \"Trying\", ...) in $fixture"

siptap_run "$TMP/out.tap" "$TMP/err" run --report-dir "$TMP/reports" "$fixture"

if [[ $rc -eq 1 ]]; then
  pass "siptap run $fixture exits 1"
else
  fail "siptap run $fixture exited $rc, wanted 1"
  show "$TMP/out.tap" stdout
  show "$TMP/err" stderr
fi

if tap_check --version 14 --expect-ok false --expect-count 1 \
  --dump-failures "$TMP/failures.jsonl" "$TMP/out.tap" >"$TMP/check"; then
  pass "stdout is strict TAP 14, not ok ($(tail -n 1 "$TMP/check"))"
else
  fail "tap-check rejected stdout:"
  sed 's/^/  /' "$TMP/check"
  show "$TMP/out.tap" stdout
fi

# The parsed diagnostics of the one failing assertion.
failures="$(cat "$TMP/failures.jsonl" 2>/dev/null || true)"
nfail="$(grep -c . <<<"$failures" || true)"
want_name='"name":"fixture: one pass, one fail > reason phrase"'
if [[ "$nfail" -ne 1 ]]; then
  fail "$nfail failing assertions parsed, wanted 1"
  printf '  %s\n' "$failures"
elif ! grep -qF "$want_name" <<<"$failures"; then
  fail "the failing assertion is not 'fixture: one pass, one fail > reason phrase': $failures"
elif ! grep -qE "\"at\":\"[^\"]*fails\\.lua:$line\"" <<<"$failures"; then
  fail "its YAML 'at' does not name fails.lua:$line: $failures"
elif ! grep -qE '"wanted":"(\\")?Trying(\\")?"' <<<"$failures"; then
  fail "its YAML 'wanted' is not Trying: $failures"
elif ! grep -qE '"found":"(\\")?Ringing(\\")?"' <<<"$failures"; then
  fail "its YAML 'found' is not Ringing: $failures"
else
  pass "the failing assertion's YAML has at: ...fails.lua:$line, wanted: Trying, found: Ringing"
fi

# The text itself: child points at 4 spaces, their YAML at 6.
layout_ok=1
for re in '^# Subtest: fixture: one pass, one fail$' \
  '^    ok 1 - one is one$' \
  '^    not ok 2 - reason phrase$' \
  '^      ---$' \
  "^      at: .*fails\\.lua:$line\"?\$" \
  '^      wanted: ' \
  '^      found: ' \
  '^      \.\.\.$' \
  '^    1\.\.2$' \
  '^not ok 1 - fixture: one pass, one fail$'; do
  if ! grep -qE -- "$re" "$TMP/out.tap"; then
    fail "no line of stdout matches /$re/"
    layout_ok=0
  fi
done
if [[ $layout_ok -eq 1 ]]; then
  pass "subtest, child points and YAML block are laid out and indented as specified"
else
  show "$TMP/out.tap" stdout
fi

# prove (TAP 13) must parse the same run and report the failure.
prove_wrapper "$TMP/fails.t" "$TMP/prove.tap" --report-dir "$TMP/reports-prove" "$fixture"
prc=0
prove --norc -v --exec bash "$TMP/fails.t" >"$TMP/prove.out" 2>&1 || prc=$?
problems=()
[[ $prc -ne 0 ]] || problems+=("prove exited 0")
grep -q '^Result: FAIL$' "$TMP/prove.out" || problems+=("no 'Result: FAIL'")
grep -qE 'Failed tests?: +1$' "$TMP/prove.out" || problems+=("no 'Failed test:  1'")
if grep -q 'Parse errors' "$TMP/prove.out"; then problems+=("prove reported parse errors"); fi
[[ "$(head -n 1 "$TMP/prove.tap")" == "TAP version 13" ]] || problems+=("siptap did not print 'TAP version 13' under prove")
if [[ ${#problems[@]} -eq 0 ]]; then
  pass "prove parses the TAP 13 run and reports test 1 failed"
else
  fail "under prove: $(IFS=';'; echo "${problems[*]}")"
  show "$TMP/prove.out" "prove -v output"
fi

e2e_finish
