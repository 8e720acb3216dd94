#!/usr/bin/env bash
# The user's side of a run (issue #18): the terminal (progress line
# erased before TAP on a shared terminal, no escapes for TERM=dumb or
# NO_COLOR), one-line usage errors with exit 2, the end of a run on
# stderr (failed tests, report paths, a replay command that works),
# interrupts that junit.xml, summary.md and the summary line agree on,
# and junit.xml valid against Jenkins' junit-10.xsd.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_ux "$@"
command -v xmllint >/dev/null || e2e_abort "xmllint not installed (run .ci/setup)"

fails=tests/e2e/fixtures/fails.lua
xsd=tests/e2e/schema/junit-10.xsd
out="$TMP/out"
err="$TMP/err"

# --- the terminal (a pty from script(1): stdout and stderr share it) ---
q() { printf '%q' "$1"; }
script -qec "$(q "$SIPTAP") run --t1 50 --report-dir $(q "$TMP/tty") $fails scenarios/flows/180-unreliable.lua" \
  /dev/null </dev/null >"$TMP/tty.out" 2>&1 || true
if grep -q $'\r\033\[KTAP version 14' "$TMP/tty.out" &&
  ! grep -qE 'failed(TAP|ok |not ok |# |    )' "$TMP/tty.out" &&
  grep -q '\[2/2\] 1 passed, 1 failed' "$TMP/tty.out"; then
  pass "shared terminal: the progress line is erased before each TAP write"
else
  fail "progress line and TAP interleave: $(cat -v "$TMP/tty.out" | head -c 400)"
fi
for env in TERM=dumb NO_COLOR=1; do
  env "$env" script -qec "$(q "$SIPTAP") run --t1 50 --report-dir $(q "$TMP/tty") $fails" \
    /dev/null </dev/null >"$TMP/tty.out" 2>&1 || true
  if grep -q 'siptap: 1 tests: 0 passed, 1 failed' "$TMP/tty.out" && ! grep -q $'\033' "$TMP/tty.out"; then
    pass "$env: no escape sequence at all on the terminal"
  else
    fail "$env: escapes on the terminal: $(cat -v "$TMP/tty.out" | head -c 300)"
  fi
done

# --- usage errors: exit 2, one line on stderr naming the problem, no TAP ---
# usage_error NAME PATTERN ARGS...
usage_error() {
  local name="$1" pattern="$2"
  shift 2
  siptap_run "$out" "$err" "$@"
  if [[ $rc -eq 2 && $(wc -l <"$err") -eq 1 && ! -s "$out" ]] && grep -qE -- "$pattern" "$err"; then
    pass "$name: exit 2, one line: $(cat "$err")"
  else
    fail "$name: wanted exit 2 and one line matching '$pattern', got exit $rc"
    show "$err" stderr
    show "$out" stdout
  fi
}
usage_error "run --jobs (no value)" '^siptap: --jobs needs a value' run --report-dir "$TMP/r" --jobs
usage_error "a missing value after a path" '^siptap: --t1 needs a value' run --report-dir "$TMP/r" "$fails" --t1
touch "$TMP/a-file"
usage_error "--report-dir naming a file" "^siptap: --report-dir $TMP/a-file: is a file, not a folder" \
  run --report-dir "$TMP/a-file" "$fails"
if [[ $EUID -eq 0 ]]; then
  unwritable=/proc/1/siptap-reports   # root writes anywhere else
else
  mkdir "$TMP/ro" && chmod 555 "$TMP/ro" && unwritable="$TMP/ro"
fi
usage_error "an unwritable --report-dir, before any test" "^siptap: --report-dir $unwritable: cannot write there" \
  run --report-dir "$unwritable" "$fails"
usage_error "a missing --lua-dir" '^siptap: --lua-dir /nonexistent-lua: not the siptap Lua library' \
  run --report-dir "$TMP/r" --lua-dir /nonexistent-lua "$fails"
usage_error "--seed out of range" "^siptap: --seed: '99999999999999999999' is not an integer in 0\.\.18446744073709551615" \
  run --report-dir "$TMP/r" --seed 99999999999999999999 "$fails"
usage_error "--jobs 0" "^siptap: --jobs: '0' is not a number in 1\.\.256" run --report-dir "$TMP/r" --jobs 0 "$fails"
usage_error "no test selected" '^siptap: no test selected' run --report-dir "$TMP/r" --filter no-such-test "$fails"
usage_error "list: no test selected" '^siptap: no test selected' list --filter no-such-test "$fails"
usage_error "an unknown option" "^siptap: unknown option '--bogus'" run --report-dir "$TMP/r" --bogus

# an option after a path is taken, as most tools do
siptap_run "$out" "$err" run "$fails" --report-dir "$TMP/r" --jobs 2
[[ $rc -eq 1 ]] && head -n 1 "$out" | grep -qx 'TAP version 14' && [[ -f "$TMP/r/junit.xml" ]] &&
  pass "options after the path: the run happens (exit 1, TAP, reports in --report-dir)" ||
  { fail "run FILE --jobs 2: exit $rc"; show "$err"; }

# --- the end of a failing run on stderr, and the replay command ---
rdir="$TMP/r dir"   # a path that needs quoting
siptap_run "$out" "$err" run --t1 50 --transport tcp --filter 'ux: a quick' --uas-fault rseq-zero \
  --report-dir "$rdir" tests/e2e/fixtures/ux/interrupt.lua
if [[ $rc -eq 1 ]] && grep -qx 'siptap: failed:' "$err" &&
  grep -qx '  2. ux: a quick failure' "$err" &&
  grep -qx '     first failing point: fails at once' "$err" &&
  grep -qF "siptap: reports: $rdir/siptap-" "$err" && grep -qF "$rdir/junit.xml $rdir/summary.md $rdir/findings.md $rdir/wire/" "$err" &&
  [[ "$(tail -n 1 "$err")" == "siptap: 2 tests: 1 passed, 1 failed, 0 skipped, 0 todo" ]]; then
  pass "end of a failing run: the failed test, its first failing point, the report paths, the counts last"
else
  fail "end of a failing run (exit $rc)"; show "$err"
fi
replay=$(sed -n 's/^siptap: replay: //p' "$err")
if [[ "$replay" == *"--transport tcp"* && "$replay" == *"--filter 'ux: a quick'"* &&
  "$replay" == *"--uas-fault rseq-zero"* && "$replay" == *"--report-dir '$rdir'"* ]] &&
  grep -qF "    $replay" "$rdir/summary.md"; then
  pass "the replay command keeps every option and path, the same in summary.md"
else
  fail "replay: '$replay'"; show "$rdir/summary.md"
fi
rc=0
bash -c "$replay" >"$TMP/replay.tap" 2>/dev/null </dev/null || rc=$?
diff <(grep -E '^(not )?ok ' "$out") <(grep -E '^(not )?ok ' "$TMP/replay.tap") >/dev/null && [[ $rc -eq 1 ]] &&
  pass "the replay command runs the same tests to the same verdicts" ||
  fail "the replay command: exit $rc, other verdicts"

# --- an interrupt: junit.xml, summary.md and the summary line agree ---
"$SIPTAP" run --jobs 1 --report-dir "$TMP/i" tests/e2e/fixtures/ux/interrupt.lua \
  >"$TMP/i.tap" 2>"$TMP/i.err" </dev/null &
pid=$!
for _ in $(seq 1 100); do
  grep -q '^not ok 2 ' "$TMP/i.tap" 2>/dev/null && break
  sleep 0.1
done
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
xi() { xmllint --xpath "$1" "$TMP/i/junit.xml" 2>/dev/null; }
line=$(tail -n 1 "$TMP/i.err")
if [[ $rc -eq 1 && "$line" == "siptap: 5 tests: 1 passed, 4 failed, 0 skipped, 0 todo" ]] &&
  [[ $(xi 'count(//testcase/error[@type="interrupted" and @message="interrupted"])') -eq 3 ]] &&
  [[ $(xi 'count(//testcase/failure)') -eq 1 ]] &&
  [[ $(xi 'string(/testsuites/@errors)') -eq 3 && $(xi 'string(/testsuites/@failures)') -eq 1 ]] &&
  grep -q '^| 5 | 1 | 4 | 0 | 0 |$' "$TMP/i/summary.md" &&
  [[ $(grep -c 'interrupted: no verdict' "$TMP/i/summary.md") -eq 3 ]] &&
  ! grep -q '^None\.$' "$TMP/i/summary.md" &&
  grep -q 'interrupted by SIGINT: 3 tests had no verdict' "$TMP/i.err"; then
  pass "SIGINT: 3 unfinished tests are <error type=interrupted>; junit, summary.md and the summary line agree (1 passed, 4 failed)"
else
  fail "interrupt: exit $rc, '$line'"; show "$TMP/i.err"; show "$TMP/i/summary.md"; show "$TMP/i/junit.xml"
fi

# --- junit.xml against Jenkins' junit-10.xsd (xunit plugin, MIT) ---
siptap_run "$TMP/f.tap" "$TMP/f.err" run --timeout 2 --jobs 4 --report-dir "$TMP/f" \
  tests/e2e/fixtures/robust tests/e2e/fixtures/directives.lua "$fails"
for x in "$TMP/f/junit.xml" "$TMP/i/junit.xml"; do
  if xmllint --noout --schema "$xsd" "$x" 2>"$TMP/xsd"; then
    pass "$(basename "$(dirname "$x")")/junit.xml is valid against junit-10.xsd"
  else
    fail "junit-10.xsd: $(head -c 400 "$TMP/xsd")"
  fi
done
xf() { xmllint --xpath "$1" "$TMP/f/junit.xml" 2>/dev/null; }
[[ $(xf 'count(//testcase[not(@file)])') -eq 0 && $(xf 'count(//testcase)') -gt 5 ]] &&
  [[ $(xf 'string(//testcase[@name="fixture: one pass, one fail"]/@file)') == "$fails" ]] &&
  pass "file= on every testcase: the scenario's path" || fail "testcase file attributes"
[[ $(xf 'count(//failure[not(@type)] | //error[not(@type)])') -eq 0 &&
   $(xf 'count(//failure | //error)') -ge 3 ]] &&
  pass "type= on every failure and error ($(xf 'count(//failure | //error)'))" || fail "failure/error type attributes"
[[ $(xf 'count(/testsuites/@skipped)') -eq 0 ]] && pass "no skipped= on <testsuites>" || fail "skipped on testsuites"

# --- selection: --bail, --rerun-failed, --rule, list --long / --json ---
siptap_run "$out" "$err" run --bail --jobs 1 --report-dir "$TMP/b" tests/e2e/fixtures/ux/interrupt.lua
xb() { xmllint --xpath "$1" "$TMP/b/junit.xml" 2>/dev/null; }
if [[ $rc -eq 1 ]] && [[ "$(tail -n 1 "$out")" == "Bail out! test 2 failed (--bail)" ]] &&
  [[ $(grep -cE '^(not )?ok ' "$out") -eq 2 ]] &&
  [[ $(xb 'count(//testcase/skipped[starts-with(@message, "not run: --bail")])') -eq 3 ]]; then
  pass "--bail: Bail out! after the first failing test; the 3 not run are skipped in junit.xml"
else
  fail "--bail: exit $rc"; show "$out"
fi
siptap_run "$out" "$err" run --rerun-failed --report-dir "$TMP/b" tests/e2e/fixtures/ux/interrupt.lua
[[ $rc -eq 1 && $(grep -cE '^(not )?ok ' "$out") -eq 1 ]] && grep -qx 'not ok 1 - ux: a quick failure' "$out" &&
  pass "--rerun-failed: only the test that failed in the last run" ||
  { fail "--rerun-failed: exit $rc"; show "$out"; }
usage_error "--rerun-failed without an earlier run" '^siptap: --rerun-failed: no earlier run in' \
  run --rerun-failed --report-dir "$TMP/empty" "$fails"
usage_error "--rule that is no rule id" "^siptap: --rule: 'rseq' is not a rule id" run --report-dir "$TMP/r" --rule rseq "$fails"

byname=$("$SIPTAP" list --rule R-RSEQ-1 --report-dir "$TMP/fl" scenarios/flows 2>/dev/null | wc -l)
siptap_run "$TMP/fl.tap" "$err" run --t1 50 --report-dir "$TMP/fl" scenarios/flows
"$SIPTAP" list --rule R-RSEQ-1 --report-dir "$TMP/fl" scenarios/flows >"$TMP/rule" 2>&1
n=$(wc -l <"$TMP/rule")
checked=0
while IFS= read -r name; do
  tap_block "$name" "$TMP/fl.tap" | grep -qE '^    (not )?ok [0-9]+ - R-RSEQ-1[ :]' && checked=$((checked + 1))
done <"$TMP/rule"
named=$(grep -c 'R-RSEQ-1' "$TMP/rule" || true)
if [[ $n -gt $byname && $checked -eq $n ]]; then
  pass "--rule R-RSEQ-1: $n tests, each with an R-RSEQ-1 point in the last run ($byname by name before it, $named name it)"
else
  fail "--rule R-RSEQ-1: $n tests, $checked checked it, $byname by name"; show "$TMP/rule"
fi
siptap_run "$out" "$err" run --rule R-RSEQ-1 --t1 50 --report-dir "$TMP/fl" scenarios/flows
[[ $rc -eq 0 && $(grep -cE '^(not )?ok ' "$out") -eq $n ]] &&
  pass "run --rule R-RSEQ-1 runs those $n tests" || fail "run --rule: exit $rc, $(grep -cE '^(not )?ok ' "$out") tests"

# (its own --report-dir: the rule ids of a last run in ./reports, a
# developer's, would be listed too)
siptap_run "$out" "$err" list --long --report-dir "$TMP/nolast" "$fails" tests/e2e/fixtures/directives.lua scenarios/flows/reliable-183.lua
if [[ $rc -eq 0 ]] && grep -qx $'tests/e2e/fixtures/fails.lua:6\tfixture: one pass, one fail\t' "$out" &&
  grep -qx $'scenarios/flows/reliable-183.lua:6\treliable 183 with SDP, PRACK, then 200 \\[R-HDR-1 R-RSEQ-1 R-PRACK-1 S-ANS-1\\]\tR-HDR-1 R-RSEQ-1 R-PRACK-1 S-ANS-1' "$out"; then
  pass "list --long: file:line of the test() call, name, rule ids"
else
  fail "list --long"; show "$out"
fi
siptap_run "$out" "$err" list --json --report-dir "$TMP/fl" scenarios/flows
if [[ $rc -eq 0 ]] && /usr/bin/python3 -c '
import json, sys
tests = json.load(open(sys.argv[1]))
names = open(sys.argv[2]).read().splitlines()
assert [t["name"] for t in tests] == names, "names"
assert all(t["file"].endswith(".lua") and t["line"] > 0 for t in tests), "file:line"
assert sum("R-RSEQ-1" in t["rules"] for t in tests) == int(sys.argv[3]), "rules"
' "$out" <("$SIPTAP" list scenarios/flows) "$n" 2>"$TMP/json.err"; then
  pass "list --json: the same tests, file, line, and the rule ids (R-RSEQ-1 in $n)"
else
  fail "list --json: $(cat "$TMP/json.err")"
fi

# --- siptap rules: every rule id the TAP cites leads to the rule book ---
siptap_run "$out" "$err" rules R-RSEQ-1
if [[ $rc -eq 0 ]] && grep -q '^R-RSEQ-1  RSeq starts in' "$out" && grep -q '^  RFC: *3262 3, 7.1$' "$out" &&
  grep -q '^  broken by: rseq-zero, rseq-skip, rseq-reuse$' "$out" && grep -q '^  checked: *after every test' "$out"; then
  pass "siptap rules R-RSEQ-1: title, RFC section, when checked, the faults that break it"
else
  fail "siptap rules R-RSEQ-1"; show "$out"
fi
usage_error "rules: an unknown id" "^siptap: rules: no rule 'R-NOPE-1' in the rule book" rules R-NOPE-1
"$SIPTAP" rules >"$TMP/rules" 2>&1
missing=""
for id in $( (grep -ohE '^    (not )?ok [0-9]+ - [A-Z]+-[A-Z0-9]+-[0-9]+' "$TMP/fl.tap" | awk '{print $NF}'
  "$SIPTAP" faults | awk '{print $2}' | tr ' ' '\n') | sort -u); do
  grep -q "^$id  " "$TMP/rules" || missing="$missing $id"
done
if [[ -z "$missing" ]] &&
  grep -q '^# rule ids (P-TAG-1, R-RSEQ-1, ...): siptap rules ID, or docs/rules.md$' "$TMP/fl.tap"; then
  pass "every rule id of the TAP's rule points and of siptap faults is in siptap rules; the TAP header points there"
else
  fail "rule ids missing from siptap rules:$missing"
fi

e2e_finish
