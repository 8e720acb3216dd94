#!/usr/bin/env bash
# TAP consumers that read no subtests find a failure's reason on the
# top-level point: tappy (Debian python3-tap), tap-junit and tap-spec
# (npm, tests/e2e/package.json). Every top-level point has duration_ms.
# tap-spec must not exit 0 on a failing run, and with --tap-yaml failed
# (no YAML after a passing point, which its reader cannot take) it shows
# the reason and exits 0 on a passing one.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_tapconsumers "$@"

fixture=tests/e2e/fixtures/fails.lua
passing=tests/e2e/fixtures/directives.lua
bin="$E2E/node_modules/.bin"
for tool in tap-spec tap-junit; do
  [[ -x "$bin/$tool" ]] || e2e_abort "$tool missing: npm ci in tests/e2e"
done

siptap_run "$TMP/f.tap" "$TMP/f.err" run --report-dir "$TMP/r" "$fixture" scenarios/flows/180-unreliable.lua
[[ $rc -eq 1 ]] && pass "the fixture run fails (exit 1)" || fail "fixture run: exit $rc"

# every top-level point carries duration_ms, in its own YAML block
points=$(grep -cE '^(not )?ok [0-9]+' "$TMP/f.tap")
durations=$(grep -cE '^  duration_ms: [0-9]+$' "$TMP/f.tap" || true)
[[ $points -ge 2 && $durations -eq $points ]] &&
  pass "each of the $points top-level points has duration_ms" ||
  { fail "$durations duration_ms lines for $points points"; show "$TMP/f.tap"; }
tap_check --version 14 --expect-ok false "$TMP/f.tap" >"$TMP/check" &&
  pass "the YAML blocks keep the TAP valid (tap-parser, strict)" ||
  { fail "tap-check"; show "$TMP/check"; }

# tappy: the top-level not ok's YAML has the reason
if /usr/bin/python3 -c 'import tap, yaml, more_itertools' 2>/dev/null; then
  /usr/bin/python3 - "$TMP/f.tap" >"$TMP/tappy" 2>&1 <<'PY' || true
import sys
from tap.parser import Parser
for line in Parser().parse_file(sys.argv[1]):
    if line.category == 'test' and not line.ok:
        y = line.yaml_block or {}
        print(line.number, y.get('failed_point'), y.get('wanted'), y.get('found'), y.get('where'))
PY
  grep -qx '1 reason phrase Trying Ringing tests/e2e/fixtures/fails.lua:8' "$TMP/tappy" &&
    pass "tappy: the failing point, wanted, found and where" ||
    { fail "tappy did not see the reason"; show "$TMP/tappy"; }
else
  fail "tappy needs /usr/bin/python3 with tap, yaml, more_itertools (python3-tap, python3-yaml, python3-more-itertools)"
fi

# tap-junit: the failure's message is the reason
rc=0
"$bin/tap-junit" <"$TMP/f.tap" >"$TMP/tj.xml" 2>"$TMP/tj.err" || rc=$?
n=$(xmllint --xpath 'count(//testcase/failure[@message="reason phrase"])' "$TMP/tj.xml" 2>/dev/null || echo 0)
[[ $n -eq 1 ]] && pass "tap-junit: <failure message=\"reason phrase\">" ||
  { fail "tap-junit: $n failures with the reason (exit $rc)"; show "$TMP/tj.xml"; }

# tap-spec
rc=0
"$bin/tap-spec" <"$TMP/f.tap" >"$TMP/ts" 2>&1 || rc=$?
[[ $rc -ne 0 ]] && pass "tap-spec: a failing run is not exit 0 ($rc)" ||
  fail "tap-spec exits 0 on a failing run"
siptap_run "$TMP/g.tap" "$TMP/g.err" run --tap-yaml failed --report-dir "$TMP/r" "$fixture" scenarios/flows/180-unreliable.lua
rc=0
"$bin/tap-spec" <"$TMP/g.tap" >"$TMP/ts" 2>&1 || rc=$?
if [[ $rc -eq 1 ]] && grep -q 'wanted: "Trying"' "$TMP/ts" && grep -q 'failing: *1' "$TMP/ts"; then
  pass "tap-spec, --tap-yaml failed: the reason shown, exit 1"
else
  fail "tap-spec --tap-yaml failed: exit $rc"; show "$TMP/ts"
fi
[[ $(grep -cE "^  ---$" "$TMP/g.tap" || true) -eq 1 ]] &&
  pass "--tap-yaml failed: a YAML block on the failing point only" ||
  fail "--tap-yaml failed: $(grep -cE '^  ---$' "$TMP/g.tap") blocks"
siptap_run "$TMP/p.tap" "$TMP/p.err" run --tap-yaml failed --report-dir "$TMP/r" "$passing"
rc2=0
"$bin/tap-spec" <"$TMP/p.tap" >"$TMP/ts" 2>&1 || rc2=$?
[[ $rc -ne 2 && $rc2 -eq 0 ]] && pass "tap-spec, --tap-yaml failed: a passing run exits 0" ||
  { fail "tap-spec on a passing run: exit $rc2 (siptap $rc)"; show "$TMP/ts"; }

e2e_finish
