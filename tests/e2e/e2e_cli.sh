#!/usr/bin/env bash
# The command line contract: help, version, usage errors (exit 2 with a
# message on stderr and no TAP on stdout), list, and how the TAP version
# is chosen (--tap-version beats TAP_VERSION from the environment).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_cli "$@"

out="$TMP/out"
err="$TMP/err"
reports=(--report-dir "$TMP/reports")
fixture=tests/e2e/fixtures/fails.lua

# explain: what a failing check saw.
explain() {
  echo "  exit status: $rc"
  show "$out" stdout
  show "$err" stderr
}

siptap_run "$out" "$err" --help
if [[ $rc -eq 0 ]] && grep -qw run "$out" && grep -qw list "$out"; then
  pass "--help exits 0 and mentions run and list"
else
  fail "--help: wanted exit 0 and 'run' and 'list' on stdout"
  explain
fi

siptap_run "$out" "$err" --version
if [[ $rc -eq 0 ]] && grep -qE '[0-9]+\.[0-9]+' "$out"; then
  pass "--version exits 0 and prints a version ($(head -n 1 "$out"))"
else
  fail "--version: wanted exit 0 and a version number on stdout"
  explain
fi

siptap_run "$out" "$err" run "${reports[@]}" --bogus
if [[ $rc -eq 2 ]] && grep -q -- 'bogus' "$err" && [[ ! -s "$out" ]]; then
  pass "run --bogus exits 2, names the option on stderr, prints no TAP"
else
  fail "run --bogus: wanted exit 2, '--bogus' named on stderr, empty stdout"
  explain
fi

missing=/nonexistent.lua
if [[ -e "$missing" ]]; then
  fail "$missing exists on this machine; cannot test a missing path"
else
  siptap_run "$out" "$err" run "${reports[@]}" "$missing"
  if [[ $rc -eq 2 ]] && grep -qF -- "$missing" "$err"; then
    pass "run $missing exits 2 and names the path on stderr"
  else
    fail "run $missing: wanted exit 2 and the path named on stderr"
    explain
  fi
fi

siptap_run "$out" "$err" list scenarios/
if [[ $rc -eq 0 && -s "$out" ]] && ! grep -qE '^[[:space:]]*$' "$out" &&
  ! grep -qE '^(TAP version|[0-9]+\.\.[0-9]+$|(not )?ok\b)' "$out"; then
  pass "list scenarios/ exits 0 and prints $(wc -l <"$out") names, one per line"
else
  fail "list scenarios/: wanted exit 0 and non-empty names, one per line, no blank or TAP lines"
  explain
fi

siptap_run "$out" "$err" run "${reports[@]}" --tap-version 12
if [[ $rc -eq 2 && -s "$err" && ! -s "$out" ]]; then
  pass "run --tap-version 12 exits 2 with a message on stderr, prints no TAP"
else
  fail "run --tap-version 12: wanted exit 2, a message on stderr, empty stdout"
  explain
fi

rc=0
TAP_VERSION=13 timeout --kill-after=10 "$E2E_TIMEOUT" "$SIPTAP" run "${reports[@]}" "$fixture" \
  >"$out" 2>"$err" </dev/null || rc=$?
if [[ $rc -eq 1 && "$(head -n 1 "$out")" == "TAP version 13" ]]; then
  pass "TAP_VERSION=13 in the environment selects TAP 13"
else
  fail "TAP_VERSION=13 run $fixture: wanted exit 1 and 'TAP version 13' first"
  explain
fi

rc=0
TAP_VERSION=13 timeout --kill-after=10 "$E2E_TIMEOUT" "$SIPTAP" run "${reports[@]}" --tap-version 14 "$fixture" \
  >"$out" 2>"$err" </dev/null || rc=$?
if [[ $rc -eq 1 && "$(head -n 1 "$out")" == "TAP version 14" ]]; then
  pass "--tap-version 14 wins over TAP_VERSION=13"
else
  fail "TAP_VERSION=13 run --tap-version 14 $fixture: wanted exit 1 and 'TAP version 14' first"
  explain
fi

# On a terminal (a pty from script(1)): a progress line and a coloured
# summary on stderr; NO_COLOR turns the colour off; stdout stays TAP.
if command -v script >/dev/null; then
  script -qec "$SIPTAP run --t1 50 --report-dir $TMP/tty scenarios/flows/180-unreliable.lua >$TMP/tty2.tap" /dev/null </dev/null >"$TMP/tty.out" 2>&1 || true
  if grep -q '\[1/1\] 1 passed, 0 failed' "$TMP/tty.out" &&
    grep -q $'\033\[32msiptap: 1 tests' "$TMP/tty.out"; then
    pass "on a terminal: progress line and a green summary"
  else
    fail "no progress line or colour on a terminal: $(cat -v "$TMP/tty.out" | tail -c 300)"
  fi
  NO_COLOR=1 script -qec "$SIPTAP run --t1 50 --report-dir $TMP/tty scenarios/flows/180-unreliable.lua >$TMP/tty3.tap" /dev/null </dev/null >"$TMP/tty3.out" 2>&1 || true
  if grep -q 'siptap: 1 tests' "$TMP/tty3.out" && ! grep -q $'\033\[32m' "$TMP/tty3.out"; then
    pass "NO_COLOR: no colour"
  else
    fail "NO_COLOR still coloured"
  fi
  if head -n 1 "$TMP/tty2.tap" | grep -q '^TAP version 14$' && ! grep -q $'\033' "$TMP/tty2.tap"; then
    pass "stdout stays plain TAP when stderr is a terminal"
  else
    fail "escape codes on stdout"
  fi
fi

e2e_finish
