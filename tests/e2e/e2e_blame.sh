#!/usr/bin/env bash
# Blame the right rule: with one fault of the reference UAS in force,
# every failing point of scenarios/flows cites a rule the fault breaks
# (its id in the point, or "a consequence of <id>"), never another rule
# and never none. Where the fault makes a later step impossible (no PRACK
# to a 180 without Contact), the UAC's error names what was missing and
# whose consequence it is, and findings.md files it under that rule.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_blame "$@"

CHECK="$E2E/blame-check.mjs"

# The checker itself fails on a wrongly blamed point and on one that
# names no rule, and passes a consequence.
cat >"$TMP/bad.tap" <<'TAP'
TAP version 14
# Subtest: t
    not ok 1 - R-PRACK-1: PRACK answered 200
      ---
      message: "R-PRACK-1: PRACK answered 200"
      ...
    not ok 2 - BYE answered 200
    not ok 3 - scenario raised an error
      ---
      message: "prack: no PRACK possible: the 183 has no Contact (a consequence of P-DLG-1)"
      ...
    1..3
not ok 1 - t
1..1
TAP
if node "$CHECK" "P-DLG-1" "$TMP/bad.tap" >"$TMP/bad.out" 2>&1; then
  fail "blame-check.mjs passed a wrongly blamed point"
elif grep -q 'blames R-PRACK-1' "$TMP/bad.out" &&
     grep -q 'names no rule): BYE answered 200' "$TMP/bad.out" &&
     grep -q '3 failing point(s), 2 wrongly blamed' "$TMP/bad.out"; then
  pass "blame-check.mjs: another rule and no rule are wrong, a consequence is right"
else
  fail "blame-check.mjs output"; show "$TMP/bad.out"
fi

# The faults whose rule the flows can be blamed under alone. Left out,
# with the reason: new-tag-final (the UAC's ACK and BYE then go to the
# new dialog; their points are about the call, not P-TAG-2),
# retransmit-forever (the fault also keeps the UAS from timing out:
# R-TIMEOUT-1 fails), prack-481 and prack-after-final-481 (a matching
# PRACK after the final response is both R-PRACK-1's and R-FINAL-2's).
faults="no-to-tag no-contact no-record-route via-dropped wrong-reason
  extra-header-dropped wrong-content-length no-content-type no-retx-invite
  require-ignored rel100-ignored no-require-header rseq-zero rseq-skip
  no-queue no-retransmit no-timeout prack-always-200 early-2xx
  answer-changes no-offer sdp-lf"
"$SIPTAP" faults >"$TMP/faults" 2>&1 || true
for f in $faults; do
  rules=$(awk -v f="$f" '$1 == f { for (i = 2; i <= NF; i++) {
            if ($i ~ /^[A-Z]+-[A-Z0-9]+-[0-9]+$/) printf "%s ", $i; else break } }' \
          "$TMP/faults")
  if [[ -z "$rules" ]]; then
    fail "$f: not in 'siptap faults'"
    continue
  fi
  siptap_run "$TMP/$f.tap" "$TMP/$f.err" run --t1 50 --uas-fault "$f" \
    --report-dir "$TMP/r-$f" scenarios/flows
  if [[ $rc -ne 1 ]]; then
    fail "$f: exit $rc, wanted 1 (the fault caught)"; show "$TMP/$f.err"
    continue
  fi
  if node "$CHECK" "$rules" "$TMP/$f.tap" >"$TMP/$f.blame" 2>&1; then
    pass "$f: $(tail -n 1 "$TMP/$f.blame")"
  else
    fail "$f: points blamed on the wrong rule"; show "$TMP/$f.blame"
  fi
done

# The UAC's error names what was missing, and whose consequence it is.
grep -q 'prack: no PRACK possible: the 18[03] has no Contact (a consequence of P-DLG-1)' \
  "$TMP/no-contact.tap" &&
  pass "no-contact: the PRACK error names the missing Contact and P-DLG-1" ||
  { fail "no-contact: PRACK error"; grep -m3 'prack:' "$TMP/no-contact.tap"; }
grep -q 'prack: no PRACK possible: the 18[03] has no To tag (a consequence of P-TAG-1)' \
  "$TMP/no-to-tag.tap" &&
  pass "no-to-tag: the PRACK error names the missing To tag and P-TAG-1" ||
  { fail "no-to-tag: PRACK error"; grep -m3 'prack:' "$TMP/no-to-tag.tap"; }
if grep -q 'has no RSeq (not a reliable' "$TMP/no-contact.tap"; then
  fail "no-contact: a missing Contact still reads 'no RSeq'"
else
  pass "no-contact: no 'no RSeq' error for a response that has one"
fi
grep -q 'no PRACK possible: the 18[03] came unreliably (a consequence of R-WHEN-3)' \
  "$TMP/rel100-ignored.tap" &&
  pass "rel100-ignored: the flows stop at the unreliable response, citing R-WHEN-3" ||
  fail "rel100-ignored: no consequence point"

# findings.md files the consequence under the rule it follows from, and
# no R-PRACK-* section appears for a fault that breaks P-DLG-1 only.
fm="$TMP/r-no-contact/findings.md"
if awk '/^## P-DLG-1$/ { s = 1; next } /^## / { s = 0 }
        s && /a consequence of P-DLG-1/ { found = 1 } END { exit !found }' "$fm" &&
   ! grep -qE '^## R-' "$fm"; then
  pass "findings.md: the PRACK that could not be sent is under P-DLG-1, no R-* finding"
else
  fail "findings.md of no-contact"; show "$fm"
fi

e2e_finish
