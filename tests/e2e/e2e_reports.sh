#!/usr/bin/env bash
# What a run leaves for CI: JUnit that xmllint accepts, with XPath counts
# equal to the TAP's; summary.md; findings.md; a wire log per failed
# test; a pcap per test that tshark decodes as SIP over UDP and over TCP;
# shards that add up to the whole suite; --filter and --list; --jobs that
# does not change the output.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_reports "$@"
for tool in xmllint tshark; do
  command -v "$tool" >/dev/null || e2e_abort "$tool not installed (run .ci/setup)"
done

# A run with failures, a TODO, a skip and a Lua error: fixtures.
siptap_run "$TMP/f.tap" "$TMP/f.err" run --timeout 2 --jobs 1 --report-dir "$TMP/f" \
  tests/e2e/fixtures/robust tests/e2e/fixtures/directives.lua
xml="$TMP/f/junit.xml"
if xmllint --noout "$xml" 2>"$TMP/xmllint"; then
  pass "junit.xml is well-formed XML"
else
  fail "xmllint: $(cat "$TMP/xmllint")"
fi
xp() { xmllint --xpath "$1" "$xml" 2>/dev/null; }
tap_tests=$(grep -cE '^(not )?ok [0-9]+ ' "$TMP/f.tap")
[[ $(xp 'count(//testcase)') -eq $tap_tests ]] &&
  pass "one testcase per TAP test ($tap_tests)" ||
  fail "testcases $(xp 'count(//testcase)') != TAP tests $tap_tests"
[[ $(xp "count(//testsuite)") -eq 10 ]] &&
  pass "one testsuite per scenario file (10)" ||
  fail "testsuites: $(xp "count(//testsuite)"), wanted 10"
# not ok without TODO: failures + errors
tap_fail=$(grep -E '^not ok [0-9]+ ' "$TMP/f.tap" | grep -vc '# TODO' || true)
junit_fail=$(xp 'count(//testcase[failure or error])')
[[ $junit_fail -eq $tap_fail ]] &&
  pass "failures + errors = TAP not-ok tests ($tap_fail)" ||
  fail "junit failures+errors $junit_fail != TAP not ok $tap_fail"
tap_skip=$(grep -cE '^(not )?ok [0-9]+ .*# (SKIP|TODO)' "$TMP/f.tap" || true)
[[ $(xp 'count(//testcase[skipped])') -eq $tap_skip ]] &&
  pass "skipped = SKIP and failing TODO ($tap_skip)" ||
  fail "junit skipped $(xp 'count(//testcase[skipped])') != $tap_skip"
[[ $(xp 'count(//testcase[error])') -ge 2 ]] &&
  pass "a Lua error and a broken file are <error>, not <failure>" ||
  fail "errors: $(xp 'count(//testcase[error])')"
[[ $(xp 'string(//testcase[@name="raises at line 5"]/@classname)') == \
   "tests.e2e.fixtures.robust.b-runtime-error" ]] &&
  pass "classname is the scenario path with dots" ||
  fail "classname: $(xp 'string(//testcase[@name="raises at line 5"]/@classname)')"
xp '//testcase[@name="a real call still works"]/@time' | grep -qE 'time="[0-9]+\.[0-9]{3}"' &&
  pass "time in seconds" || fail "no time attribute"

[[ -s "$TMP/f/summary.md" ]] && grep -q '^## Failures' "$TMP/f/summary.md" &&
  grep -q 'raises at line 5' "$TMP/f/summary.md" &&
  pass "summary.md lists the failures" || fail "summary.md"

# A failing test with network traffic leaves its wire log.
siptap_run "$TMP/w.tap" "$TMP/w.err" run --t1 50 --uas-fault rseq-zero \
  --report-dir "$TMP/w" --pcap scenarios/flows/reliable-183.lua
logs=("$TMP"/w/wire/*.log)
if [[ -f "${logs[0]}" ]] && grep -q ' uac recv UDP .* 183 Session Progress' "${logs[0]}"; then
  pass "a failed test's wire log: messages, direction, addresses, times"
else
  fail "no wire log with the 183"
fi
# findings.md: the broken rule's row, then the offending message
f="$TMP/w/findings.md"
grep -qE '^\| R-RSEQ-1 \| [0-9]+ \| [0-9]+\. ' "$f" && grep -qE '^  RSeq: 0$' "$f" &&
  pass "findings.md: R-RSEQ-1's row and the RSeq: 0 on the wire" ||
  { fail "findings.md of the rseq-zero run"; show "$f"; }
siptap_run "$TMP/c.tap" "$TMP/c.err" run --t1 50 --report-dir "$TMP/c" \
  scenarios/flows/180-unreliable.lua
grep -qx 'No rule broken.' "$TMP/c/findings.md" &&
  pass "findings.md of a clean run: No rule broken." || fail "clean findings.md"
xp2() { xmllint --xpath "$1" "$TMP/w/junit.xml" 2>/dev/null; }
[[ $(xp2 'count(//testcase/system-out)') -ge 1 ]] &&
  pass "the wire log is in the failed testcase's <system-out>" ||
  fail "no <system-out>"

# pcaps decode in tshark, UDP and TCP
n=$(tshark -r "$TMP/w/pcap/001.pcap" -Y sip 2>/dev/null | grep -c 'SIP' || true)
[[ $n -ge 4 ]] && pass "UDP pcap: tshark decodes $n SIP messages" ||
  fail "UDP pcap: tshark found $n SIP messages"
siptap_run "$TMP/t.tap" "$TMP/t.err" run --t1 50 --transport tcp --pcap \
  --report-dir "$TMP/t" scenarios/flows/180-unreliable.lua
n=$(tshark -r "$TMP/t/pcap/001.pcap" -Y 'sip && tcp' 2>/dev/null | grep -c 'SIP' || true)
[[ $n -ge 4 ]] && pass "TCP pcap: tshark decodes $n SIP messages over TCP" ||
  fail "TCP pcap: tshark found $n SIP messages"

# shards add up to the whole suite
"$SIPTAP" list scenarios >"$TMP/all"
: >"$TMP/shards"
for k in 1 2 3; do
  "$SIPTAP" run --list --shard "$k/3" scenarios >>"$TMP/shards"
done
if sort "$TMP/all" | cmp -s - <(sort "$TMP/shards"); then
  pass "--shard 1/3, 2/3, 3/3 add up to the whole suite ($(wc -l <"$TMP/all") tests)"
else
  fail "shards do not add up"
fi
siptap_run "$TMP/s.tap" "$TMP/s.err" run --t1 50 --jobs 1 --shard 2/3 \
  --report-dir "$TMP/s" scenarios
n=$(grep -cE '^(not )?ok [0-9]+ ' "$TMP/s.tap")
[[ $rc -eq 0 && $n -eq $(sed -n 2p "$TMP/shards" >/dev/null; "$SIPTAP" run --list --shard 2/3 scenarios | wc -l) ]] &&
  pass "a shard runs its slice and passes ($n tests)" || fail "shard 2/3: exit $rc, $n tests"

n=$("$SIPTAP" run --list --filter 'R-RSEQ-1' scenarios | wc -l)
[[ $n -ge 2 ]] && ! "$SIPTAP" run --list --filter 'R-RSEQ-1' scenarios | grep -v R-RSEQ-1 | grep -q . &&
  pass "--filter selects by name ($n tests)" || fail "--filter: $n tests"

# --jobs does not change what is printed (only the timing differs)
norm() { sed -E 's/[0-9]+ ms/N ms/g; s/\(([0-9]+) checked\)/(N checked)/' "$1" | grep -vE '^ +# '; }
siptap_run "$TMP/j1.tap" "$TMP/j1.err" run --jobs 1 --t1 50 --report-dir "$TMP/j1" scenarios/options
siptap_run "$TMP/j4.tap" "$TMP/j4.err" run --jobs 4 --t1 50 --report-dir "$TMP/j4" scenarios/options
if diff <(grep -E '^(not )?ok ' "$TMP/j1.tap") <(grep -E '^(not )?ok ' "$TMP/j4.tap") >/dev/null; then
  pass "--jobs 1 and --jobs 4 print the same tests in the same order"
else
  fail "--jobs changes the output"
fi

e2e_finish
