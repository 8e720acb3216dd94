#!/usr/bin/env bash
# Message objects keep what they read (src/lua/l_msg.c, issue 17 round
# 3): one object per message, fields and header lines filed on first
# use. fixtures/msg/objects.lua checks that what a scenario reads is
# what the bytes say (every spelling of a header name against the C walk
# of the raw bytes that t:header_is does), that a list it gets is its
# own, that t:wire() and call:response() give the same objects, and that
# a field cannot be set. fixtures/msg/views.lua checks that the views
# the rules read the wire through (t:_views(), issue 17 round 12) read
# every field and header as the objects do, and cannot be changed. Each
# file with BROKEN set compares each check with a wrong value: every one
# of its checks must fail then.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_msg "$@"

# fixture NAME FIXTURE TEST EXTRA: the fixture's test passes with every
# check, and its BROKEN copy fails every one; EXTRA: points its loops
# add beyond one a check line
fixture() {
  local name=$1 file=$2 title=$3 extra=$4 checks n bad
  checks=$(grep -cE '^ *t:(is|ok|like|header_is)\(' "$file")
  siptap_run "$TMP/$name-ok.tap" "$TMP/$name-ok.err" run --report-dir "$TMP/$name-r1" "$file"
  if [[ $rc -eq 0 ]] && grep -q "^ok 1 - $title" "$TMP/$name-ok.tap"; then
    pass "$name: what they read is what the bytes say (exit 0)"
  else
    fail "$name: exit $rc"; show "$TMP/$name-ok.tap" tap
  fi
  n=$(grep -cE '^    ok [0-9]+ - ' "$TMP/$name-ok.tap" || true)
  [[ $n -ge $((checks + extra)) ]] && pass "$name: $n passing points, at least $((checks + extra))" ||
    fail "$name: $n passing points, wanted at least $((checks + extra))"

  sed 's/^local BROKEN = false$/local BROKEN = true/' "$file" >"$TMP/$name-broken.lua"
  grep -q '^local BROKEN = true$' "$TMP/$name-broken.lua" ||
    e2e_abort "could not make the broken copy of $file"
  siptap_run "$TMP/$name-bad.tap" "$TMP/$name-bad.err" run --report-dir "$TMP/$name-r2" "$TMP/$name-broken.lua"
  bad=$(grep -cE '^    not ok [0-9]+ - ' "$TMP/$name-bad.tap" || true)
  [[ $rc -eq 1 ]] && pass "$name: against wrong values the run fails (exit 1)" ||
    fail "$name: broken copy: exit $rc, wanted 1"
  [[ $bad -eq $((checks + extra)) ]] &&
    pass "$name: every check fails against a wrong value ($bad of $((checks + extra)))" ||
    { fail "$name: $bad failing points, wanted $((checks + extra))"; grep -E '^    ok ' "$TMP/$name-bad.tap" | head -20 | sed 's/^/  /'; }
  for f in "$TMP/$name-ok.tap" "$TMP/$name-bad.tap"; do
    tap_check --version 14 --expect-count 1 "$f" >"$TMP/check" && pass "$(basename "$f"): strict TAP" ||
      { fail "$(basename "$f"): not strict TAP"; show "$TMP/check"; }
  done
}

# 18 spellings in one loop: its one t:header_is line counts 18 points
fixture objects tests/e2e/fixtures/msg/objects.lua "message objects" 17
fixture views tests/e2e/fixtures/msg/views.lua "views" 0

e2e_finish
