#!/usr/bin/env bash
# The option matrix: the generator covers every pair (fixtures/
# matrix-check.lua), the cases depend on --seed alone, --matrix full
# lists the whole product, and a bad --matrix is a usage error.
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
[[ $n -eq 13608 ]] && pass "--matrix full lists all 13608 combinations" ||
  fail "--matrix full listed $n cases, wanted 13608"

siptap_run "$TMP/o" "$TMP/e" run --matrix some scenarios/matrix
[[ $rc -eq 2 ]] && grep -q -- "--matrix" "$TMP/e" &&
  pass "--matrix some is a usage error" || fail "--matrix some: exit $rc"

e2e_finish
