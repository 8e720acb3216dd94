#!/usr/bin/env bash
# Message objects keep what they read (src/lua/l_msg.c, issue 17 round
# 3): one object per message, fields and header lines filed on first
# use. fixtures/msg/objects.lua checks that what a scenario reads is
# what the bytes say (every spelling of a header name against the C walk
# of the raw bytes that t:header_is does), that a list it gets is its
# own, that t:wire() and call:response() give the same objects, and that
# a field cannot be set. The same file with BROKEN set compares each
# check with a wrong value: every one of its checks must fail then.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_msg "$@"

fixture=tests/e2e/fixtures/msg/objects.lua
checks=$(grep -cE '^ *t:(is|ok|like|header_is)\(' "$fixture")

siptap_run "$TMP/ok.tap" "$TMP/ok.err" run --report-dir "$TMP/r1" "$fixture"
if [[ $rc -eq 0 ]] && grep -q "^ok 1 - message objects" "$TMP/ok.tap"; then
  pass "the message objects read what the bytes say (exit 0)"
else
  fail "message objects: exit $rc"; show "$TMP/ok.tap" tap
fi
n=$(grep -cE '^    ok [0-9]+ - ' "$TMP/ok.tap" || true)
# 18 spellings in one loop: its one t:header_is line counts 18 points
[[ $n -ge $((checks + 17)) ]] && pass "$n passing points, at least $((checks + 17))" ||
  fail "$n passing points, wanted at least $((checks + 17))"

sed 's/^local BROKEN = false$/local BROKEN = true/' "$fixture" >"$TMP/broken.lua"
grep -q '^local BROKEN = true$' "$TMP/broken.lua" ||
  e2e_abort "could not make the broken copy of $fixture"
siptap_run "$TMP/bad.tap" "$TMP/bad.err" run --report-dir "$TMP/r2" "$TMP/broken.lua"
bad=$(grep -cE '^    not ok [0-9]+ - ' "$TMP/bad.tap" || true)
[[ $rc -eq 1 ]] && pass "against wrong values the run fails (exit 1)" ||
  fail "broken copy: exit $rc, wanted 1"
[[ $bad -eq $((checks + 17)) ]] &&
  pass "every check fails against a wrong value ($bad of $((checks + 17)))" ||
  { fail "$bad failing points, wanted $((checks + 17))"; grep -E '^    ok ' "$TMP/bad.tap" | head -20 | sed 's/^/  /'; }
for f in "$TMP/ok.tap" "$TMP/bad.tap"; do
  tap_check --version 14 --expect-count 1 "$f" >"$TMP/check" && pass "$(basename "$f"): strict TAP" ||
    { fail "$(basename "$f"): not strict TAP"; show "$TMP/check"; }
done

e2e_finish
