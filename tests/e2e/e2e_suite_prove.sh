#!/usr/bin/env bash
# The whole scenario suite under Perl's prove (TAP::Harness 3.44), which
# only knows TAP 13 and says so by setting TAP_VERSION=13 for what it runs:
# siptap must then print TAP 13 that prove parses without complaint.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_suite_prove "$@"
command -v prove >/dev/null || e2e_abort "prove not found (Debian package perl; run .ci/setup)"

# prove runs one .t file; ours is a bash script that runs the whole suite.
prove_wrapper "$TMP/suite.t" "$TMP/out.tap" --report-dir "$TMP/reports" scenarios/
rc=0
prove --norc -v --exec bash "$TMP/suite.t" >"$TMP/prove.out" 2>&1 || rc=$?

if [[ $rc -eq 0 ]] && grep -q '^Result: PASS$' "$TMP/prove.out"; then
  pass "prove passes the suite"
else
  fail "prove exited $rc without 'Result: PASS'"
  show "$TMP/prove.out" "prove -v output"
fi

if grep -q 'Parse errors' "$TMP/prove.out"; then
  fail "prove reported parse errors:"
  grep -A3 'Parse errors' "$TMP/prove.out" | sed 's/^/  /'
else
  pass "prove reported no parse errors"
fi

given="$(cat "$TMP/out.tap.env" 2>/dev/null || echo 'not run')"
if [[ "$given" == "13" ]]; then
  pass "prove ran siptap with TAP_VERSION=13"
else
  fail "siptap ran with TAP_VERSION '$given', wanted 13 (did prove run the wrapper?)"
fi

if [[ "$(head -n 1 "$TMP/out.tap")" == "TAP version 13" ]]; then
  pass "siptap printed 'TAP version 13' for prove"
else
  fail "siptap's first line for prove was '$(head -n 1 "$TMP/out.tap")', wanted 'TAP version 13'"
fi

if tap_check --version 13 --expect-ok true "$TMP/out.tap" >"$TMP/check"; then
  pass "the TAP 13 stream is also strict TAP ($(tail -n 1 "$TMP/check"))"
else
  fail "tap-check rejected the TAP 13 stream:"
  sed 's/^/  /' "$TMP/check"
fi

e2e_finish
