#!/usr/bin/env bash
# Every conformance check can fail: the suite passes against the healthy
# reference UAS, and each --uas-fault makes a test that checks each rule
# it breaks say not ok. Every rule id of conformance.md has a fault.
# The table lands in reports/faults.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_faults "$@"

if "$E2E/fault-table.sh" "$SIPTAP" "$ROOT/reports/faults.md" scenarios \
  >"$TMP/table" 2>&1; then
  pass "every fault caught, every rule id covered ($(grep -o 'Faults caught: .*' "$TMP/table"))"
else
  fail "the fault table has gaps:"
  sed 's/^/  /' "$TMP/table"
fi

# A fault run is a failing run: exit 1, not a crash.
siptap_run "$TMP/out.tap" "$TMP/err" run --t1 50 --report-dir "$TMP/r" \
  --uas-fault rseq-zero scenarios/flows/reliable-183.lua
[[ $rc -eq 1 ]] && pass "a fault run exits 1" ||
  fail "a fault run exited $rc, wanted 1"
grep -q '^# reference UAS faults: rseq-zero$' "$TMP/out.tap" &&
  pass "the TAP names the fault in force" ||
  fail "no '# reference UAS faults: rseq-zero' line"

siptap_run "$TMP/out2" "$TMP/err2" run --uas-fault no-such-fault scenarios
[[ $rc -eq 2 ]] && grep -q "no-such-fault" "$TMP/err2" &&
  pass "an unknown fault is a usage error naming it" ||
  fail "unknown fault: exit $rc"

e2e_finish
