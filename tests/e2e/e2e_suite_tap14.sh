#!/usr/bin/env bash
# The whole scenario suite through the real binary: it must pass, print
# TAP 14 that tap-parser accepts in strict mode, and write the same TAP
# to exactly one report file. Its reports stay in reports/ci/ (TAP,
# junit.xml, summary.md), so a CI run leaves them, checked here.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_suite_tap14 "$@"

reports="$ROOT/reports/ci"
rm -rf "$reports"
siptap_run "$TMP/out.tap" "$TMP/err" run --report-dir "$reports" scenarios/

if [[ $rc -eq 0 ]]; then
  pass "siptap run scenarios/ exits 0"
else
  fail "siptap run scenarios/ exited $rc, wanted 0"
  grep -E '^ *not ok' "$TMP/out.tap" | sed 's/^/  /' || true
  show "$TMP/err" stderr
fi

if [[ "$(head -n 1 "$TMP/out.tap")" == "TAP version 14" ]]; then
  pass "stdout starts with 'TAP version 14'"
else
  fail "stdout starts with '$(head -n 1 "$TMP/out.tap")', wanted 'TAP version 14'"
fi

if tap_check --version 14 --expect-ok true "$TMP/out.tap" >"$TMP/check"; then
  pass "stdout is strict TAP 14 and all ok ($(tail -n 1 "$TMP/check"))"
else
  fail "tap-check rejected stdout:"
  sed 's/^/  /' "$TMP/check"
fi

shopt -s nullglob
tap_files=("$reports"/*.tap)
shopt -u nullglob
if [[ ${#tap_files[@]} -ne 1 ]]; then
  fail "report dir has ${#tap_files[@]} *.tap files, wanted 1"
  find "$reports" -maxdepth 1 -name '*.tap' 2>&1 | sed 's/^/  /' || true
elif cmp -s "${tap_files[0]}" "$TMP/out.tap"; then
  pass "report $(basename "${tap_files[0]}") is identical to stdout"
else
  fail "report $(basename "${tap_files[0]}") differs from stdout"
  diff "$TMP/out.tap" "${tap_files[0]}" | head -n 20 | sed 's/^/  /' || true
fi

if xmllint --noout "$reports/junit.xml" 2>/dev/null; then
  n=$(xmllint --xpath 'count(//testcase)' "$reports/junit.xml")
  t=$(grep -cE '^(not )?ok [0-9]+ ' "$TMP/out.tap")
  [[ $n -eq $t ]] && pass "reports/ci/junit.xml: $n testcases, as many as TAP tests" ||
    fail "junit testcases $n, TAP tests $t"
else
  fail "reports/ci/junit.xml missing or not XML"
fi
grep -q "^| $(grep -cE '^(not )?ok [0-9]+ ' "$TMP/out.tap") | " "$reports/summary.md" 2>/dev/null &&
  pass "reports/ci/summary.md counts the tests" || fail "reports/ci/summary.md"

e2e_finish
