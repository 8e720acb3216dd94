#!/usr/bin/env bash
# The option matrix: the generator covers every pair (fixtures/
# matrix-check.lua), the cases depend on --seed alone, --matrix full
# lists the whole product and runs a case without loading the others,
# and a bad --matrix is a usage error. tests(), which declares them
# (fixtures/bulk.lua), numbers on beside test().
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_matrix "$@"

siptap_run "$TMP/out.tap" "$TMP/err" run --report-dir "$TMP/r" \
  tests/e2e/fixtures/matrix-check.lua
[[ $rc -eq 0 ]] && pass "pairwise covers every pair, deterministic, full product" ||
  { fail "matrix-check exited $rc"; show "$TMP/out.tap" stdout; }

"$SIPTAP" list --seed 7 scenarios/matrix >"$TMP/a"
"$SIPTAP" list --seed 7 scenarios/matrix >"$TMP/b"
if cmp -s "$TMP/a" "$TMP/b" && [[ $(wc -l <"$TMP/a") -ge 28 ]]; then
  pass "the same --seed lists the same $(wc -l <"$TMP/a") cases"
else
  fail "--seed 7 listed different cases"
fi

n=$("$SIPTAP" list --matrix full scenarios/matrix | wc -l)
[[ $n -eq 17280 ]] && pass "--matrix full lists all 17280 combinations" ||
  fail "--matrix full listed $n cases, wanted 17280"

# 48 of the 17280: each test's state makes its own case only (a state
# that declared all of them took a tenth of a second, long enough to
# delay the other tests' retransmissions at --t1 50)
siptap_run "$TMP/full.tap" "$TMP/full.err" run --matrix full --t1 50 \
  --jobs 8 --report-dir "$TMP/rf" --filter \
  "statusCode=180 reasonPhrase=utf8 extraHeaders=several body=sdp sdh=extensions" \
  scenarios/matrix
[[ $rc -eq 0 && $(grep -c '^ok ' "$TMP/full.tap") -eq 48 ]] &&
  pass "--matrix full: 48 cases of one family run and pass" ||
  { fail "--matrix full, 48 cases: exit $rc"; show "$TMP/full.err" stderr; }

siptap_run "$TMP/bulk.tap" "$TMP/bulk.err" run --report-dir "$TMP/rb" \
  tests/e2e/fixtures/bulk.lua
if [[ $rc -eq 0 ]] && grep -qx 'ok 4 - bulk 3' "$TMP/bulk.tap" &&
  grep -qx 'ok 5 - last, declared alone' "$TMP/bulk.tap"; then
  pass "tests() numbers on beside test(); a test's state makes only its own"
else
  fail "tests() fixture: exit $rc"
  show "$TMP/bulk.tap" stdout
fi

printf 'tests(2, function(i) return nil end, function(i) end)\n' >"$TMP/bad.lua"
siptap_run "$TMP/bad.out" "$TMP/bad.err" list "$TMP/bad.lua"
[[ $rc -eq 1 ]] && grep -q "tests: name(1) must return a name" "$TMP/bad.err" &&
  pass "tests() with a name that is no string: the file does not load" ||
  { fail "tests() with a bad name: exit $rc"; show "$TMP/bad.err" stderr; }

siptap_run "$TMP/o" "$TMP/e" run --matrix some scenarios/matrix
[[ $rc -eq 2 ]] && grep -q -- "--matrix" "$TMP/e" &&
  pass "--matrix some is a usage error" || fail "--matrix some: exit $rc"

e2e_finish
