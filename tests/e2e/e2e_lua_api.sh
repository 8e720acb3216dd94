#!/usr/bin/env bash
# The Lua API's limits (fixtures/api/): an unknown key in any options
# table, an error whose value is not a string, a siptap wait inside a
# coroutine the test made or where C calls Lua, SIPTAP.memo past its
# caps, tests(n) with an absurd n, test() with an unknown option, a test
# out of memory. Each is exactly one failing point with its message and
# the scenario line (at:, or file:line in a file's load error); the
# other tests of the run pass; the TAP is strict and every report is
# written, junit.xml valid.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_lua_api "$@"

dir=tests/e2e/fixtures/api
# one point a test, and one for each file that does not load (e-, f-)
count=39
siptap_run "$TMP/out.tap" "$TMP/err" run --timeout 10 --jobs 2 \
  --report-dir "$TMP/reports" "$dir"

[[ $rc -eq 1 ]] && pass "exit 1 when tests fail" ||
  { fail "exit $rc, wanted 1"; show "$TMP/err" stderr; }

# line FILE MARK: the line of FILE that ends with "-- @MARK"
line() {
  grep -n -- "-- @$2\$" "$dir/$1" | cut -d: -f1
}

# block NAME: the TAP of the test NAME, its subtest and its result line
block() {
  tap_block "$1" "$TMP/out.tap"
}

# yaml_val BLOCK KEY: the first "KEY: value" of a failing sub-point
yaml_val() {
  sed -n "s/^      $2: \"\\(.*\\)\"\$/\\1/p" <<<"$1" | head -n 1
}

# fails_once NAME FILE MARK MESSAGE-REGEX: test NAME is not ok with
# exactly one failing point, whose message matches and whose at: is the
# line of FILE marked MARK.
fails_once() {
  local name="$1" file="$2" mark="$3" re="$4" b n msg at want
  b=$(block "$name")
  want="$dir/$file:$(line "$file" "$mark")"
  n=$(grep -c '^    not ok ' <<<"$b" || true)
  msg=$(yaml_val "$b" message)
  at=$(yaml_val "$b" at)
  if [[ "$(tail -n 1 <<<"$b")" != "not ok "*" - $name" ]]; then
    fail "$name: not a failing test"
    echo "$b" | sed 's/^/  | /'
  elif [[ $n -ne 1 ]]; then
    fail "$name: $n failing points, wanted 1"
    echo "$b" | sed 's/^/  | /'
  elif ! grep -Eq -- "$re" <<<"$msg"; then
    fail "$name: message '$msg' does not match /$re/"
  elif [[ "$at" != "$want" ]]; then
    fail "$name: at '$at', wanted '$want'"
  else
    pass "$name: one failing point, '$msg' at $at"
  fi
}

# passes NAME: test NAME is ok
passes() {
  if block "$1" | grep -Eq "^ok [0-9]+ - "; then
    pass "$1: passes beside the broken ones"
  else
    fail "$1: does not pass"
    block "$1" | sed 's/^/  | /'
  fi
}

# load_fails FILE MARK MESSAGE-REGEX: FILE does not load, one failing
# point whose message starts with its file:line marked MARK
load_fails() {
  local file="$1" want msg
  want="$dir/$file:$(line "$file" "$2"):"
  msg=$(awk -v f="$dir/$file" '
    $0 ~ "^not ok [0-9]+ - " f "$" { on = 1; next }
    on && /^  message: / { print; exit }' "$TMP/out.tap" |
    sed 's/^  message: "//')
  if [[ "$msg" != "$want"* ]]; then
    fail "$file: load error '${msg:0:120}' does not start with $want"
  elif ! grep -Eq -- "$3" <<<"${msg%%\\n*}"; then
    fail "$file: load error '${msg%%\\n*}' does not match /$3/"
  else
    pass "$file: one failing point, '${msg%%\\n*}'"
  fi
}

# Each case: test name | fixture | line mark | message regex (ERE)
while IFS='|' read -r name file mark re; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  fails_once "$name" "$file" "$mark" "$re"
done <<'CASES'
# unknown keys in options tables
call:response with a misspelt timeout|a-options.lua|response|call:response: unknown option 'timeot' \(it takes timeout\)
uas:incoming with a misspelt timeout|a-options.lua|incoming|uas:incoming: unknown option 'timeot'
inv:wait with a misspelt timeout|a-options.lua|wait|inv:wait: unknown option 'timout'
call:bye with a misspelt timeout|a-options.lua|bye|call:bye: unknown option 'timeot'
uac:send_raw with a misspelt to|a-options.lua|send_raw|uac:send_raw: unknown option 'too'
peer:send with a misspelt transport|a-options.lua|peer|peer:send: unknown option 'tranport' \(it takes to, transport, cut\)
call:response with options that are not a table|a-options.lua|notable|call:response: options must be a table, got number
t:report with a misspelt message|a-options.lua|report|t:report: unknown option 'mesage' \(it takes message, rule, wanted, found, contract\)
siptap.matrix.cases with a misspelt option|a-options.lua|matrix|siptap.matrix.cases: unknown option 'matrx' \(it takes matrix, seed\)
# error values that are not strings
error with an empty table|b-errors.lua|empty|^error value \(table\): \{\}$
error with a table of fields|b-errors.lua|fields|^error value \(table\): \{code = 42, reason = \\"busy\\"\}$
error with a table that has __tostring|b-errors.lua|tostring|^my own error$
error with nil|b-errors.lua|nil|^error value \(nil\)$
error with a boolean|b-errors.lua|false|^error value \(boolean\): false$
error with a number|b-errors.lua|number|^error value \(number\): 42$
error with a __tostring that raises|b-errors.lua|badtostring|^error value \(a table whose __tostring raised
# siptap waits in a coroutine the test made, or where C calls Lua
t:sleep in coroutine.wrap|c-coroutines.lua|wrap|^t:sleep must be called from the test function itself, not from a coroutine it created$
t:sleep in coroutine.resume, its result ignored|c-coroutines.lua|resume|^t:sleep must be called from the test function
uas:incoming in a coroutine|c-coroutines.lua|incoming|^uas:incoming must be called from the test function itself
call:response in a coroutine|c-coroutines.lua|response|^call:response must be called from the test function itself
call:bye in a coroutine sends nothing|c-coroutines.lua|bye|^call:bye must be called from the test function itself
t:sleep in a table.sort comparator|c-coroutines.lua|sort|^t:sleep cannot wait here: it is called from a function that C calls
# SIPTAP.memo's caps
a memo value over the cap|d-memo.lua|big|SIPTAP.memo: a value is at most 4 MB, this one is 5242880 bytes
memo values over the run's total|d-memo.lua|total|SIPTAP.memo: a run keeps at most 16 MB
# sessionDescriptionHandlerOptions/Modifiers: SIP.js's names, siptap's checks
sdh: hold that is not a boolean|i-sdh.lua|hold|progress: sessionDescriptionHandlerOptions\.hold must be a boolean, got string$
sdh: constraints.video that is a number|i-sdh.lua|video|progress: sessionDescriptionHandlerOptions\.constraints\.video must be a boolean or a table of track constraints, got number$
sdh: a name SIP.js does not have|i-sdh.lua|unknown|accept: sessionDescriptionHandlerOptions: unknown option 'onHold' \(it takes constraints, hold,
sdh: dataChannel without WebRTC SDP|i-sdh.lua|datachannel|accept: sessionDescriptionHandlerOptions\.dataChannel: siptap cannot honour it in an answer
sdh: a negative iceGatheringTimeout|i-sdh.lua|ice|progress: sessionDescriptionHandlerOptions\.iceGatheringTimeout must be a number of ms, 0 or more, got -5$
sdh: a modifier that raises|i-sdh.lua|modifier|progress: sessionDescriptionHandlerModifiers\[2\] raised: boom \(the modifier at tests/e2e/fixtures/api/i-sdh\.lua:[0-9]+, run over the remote offer\)$
# out of memory: the line it was at
eats memory|h-memory.lua|memory|^not enough memory: the test went over siptap's 256 MB per test$
CASES

for name in "a right timeout still works" "passes beside them" \
  "a coroutine that does not wait is fine" "a small memo is kept" \
  "a real call still works" "sdh: hold as SIP.js means it"; do
  passes "$name"
done

# declarations: the file does not load, its message says where
load_fails e-tests-huge.lua huge "tests: n must be a whole number 0\.\.1000000"
load_fails f-test-options.lua skp "test: unknown option 'skp' \(it takes skip, todo\)"

# --- the run as a whole ---
if tap_check --version 14 --expect-ok false --expect-count "$count" \
  "$TMP/out.tap" >"$TMP/check"; then
  pass "strict TAP 14 with all $count points"
else
  fail "tap-check rejected stdout:"
  sed 's/^/  /' "$TMP/check"
fi

r="$TMP/reports"
for f in junit.xml summary.md findings.md; do
  [[ -s "$r/$f" ]] && pass "$f written" || fail "$f missing or empty"
done
if xmllint --noout "$r/junit.xml" 2>"$TMP/xmllint"; then
  pass "junit.xml is valid XML"
else
  fail "xmllint: $(head -c 300 "$TMP/xmllint")"
fi
tcs=$(xmllint --xpath 'count(//testcase)' "$r/junit.xml" 2>/dev/null || echo 0)
[[ $tcs -eq $count ]] && pass "junit.xml has all $count testcases" ||
  fail "junit.xml has $tcs testcases, wanted $count"

e2e_finish
