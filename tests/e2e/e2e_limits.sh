#!/usr/bin/env bash
# Limits that hold whatever a scenario does (fixtures/limits/): loops
# that catch every error (pcall, coroutines, error handlers, C callbacks)
# are stopped by the guard at --timeout with their line; a pattern match
# that backtracks in C, in a test or at a file's top level, is ended by
# killing the process that runs it, with its line; the rest of the run
# goes on and every report is written. require and package give no view
# of the file system. SIGTERM and SIGINT stop a run within a second at
# any moment (listing, a test stuck in C) with Bail out! and the reports,
# and no process of siptap's is left behind.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_limits "$@"

dir=tests/e2e/fixtures/limits
# the escapes fixture, pointed at a Lua file outside the library
mkdir -p "$TMP/evil"
echo 'EVIL_RAN = true; return {}' >"$TMP/evil/evil.lua"
sed "s|SIPTAP_EVIL|$TMP/evil|" "$dir/i-escapes.lua" >"$TMP/i-escapes.lua"
files=("$dir"/[a-h]-*.lua "$TMP/i-escapes.lua")   # j-: a run of its own

start=$(date +%s)
siptap_run "$TMP/out.tap" "$TMP/err" run --timeout 2 --jobs 2 \
  --report-dir "$TMP/reports" "${files[@]}"
took=$(($(date +%s) - start))
[[ $rc -eq 1 ]] && pass "exit 1 (tests fail), no hang" ||
  { fail "exit $rc, wanted 1"; show "$TMP/err" stderr; }
# 8 stopped tests and 2 files, 2 s each, on 2 jobs, plus the kills' grace
[[ $took -le 40 ]] && pass "the whole run took ${took} s" ||
  fail "the run took ${took} s"

line() { grep -n -- "-- @$2\$" "$dir/$1" | cut -d: -f1; }
block() {
  awk -v name="$1" '
    $0 == "# Subtest: " name || $0 ~ ("^not ok [0-9]+ - " name "$") { on = 1 }
    on { print }
    on && /^(not )?ok [0-9]+ - / { exit }
  ' "$TMP/out.tap"
}
yaml_val() { sed -n "s/^ *$2: \"\\(.*\\)\"\$/\\1/p" <<<"$1" | head -n 1; }

# stopped NAME FILE MARK MESSAGE-REGEX: NAME fails at its end with one
# failing point whose message matches and whose at: is FILE's MARK line
stopped() {
  local name="$1" file="$2" mark="$3" re="$4" b msg at want
  b=$(block "$name")
  want="$dir/$file:$(line "$file" "$mark")"
  msg=$(yaml_val "$b" message)
  at=$(yaml_val "$b" at)
  if [[ "$(tail -n 1 <<<"$b")" != "not ok "*" - $name" ]]; then
    fail "$name: not a failing test"
  elif [[ $(grep -c '^    not ok ' <<<"$b" || true) -ne 1 ]]; then
    fail "$name: not exactly one failing point"
    sed 's/^/  | /' <<<"$b"
  elif ! grep -Eq -- "$re" <<<"$msg"; then
    fail "$name: message '$msg' does not match /$re/"
  elif [[ "$at" != "$want" ]]; then
    fail "$name: at '$at', wanted '$want'"
  else
    pass "$name: stopped at $want"
  fi
}

lua_stop='within 2 s \(--timeout\): it was running Lua|instruction budget exceeded'
killed='within 2 s \(--timeout\) and could not be stopped there: siptap killed its process'
stopped "pcall around an endless loop, in a loop" a-pcall-loop.lua loop1 "$lua_stop"
stopped "a loop in a pcall that catches in a loop, with error()" a-pcall-loop.lua loop2 "$lua_stop"
stopped "many coroutines, each looping in a pcall" b-coroutines.lua loop1 "$lua_stop"
stopped "a new coroutine for every short loop" b-coroutines.lua loop2 "$lua_stop"
stopped "an endless loop inside coroutine.wrap" b-coroutines.lua loop3 "$lua_stop"
stopped "an xpcall message handler that loops" c-handlers.lua loop1 "$lua_stop"
stopped "a table.sort comparator that loops and catches" c-handlers.lua loop2 "$lua_stop"
stopped "a gsub callback that loops" c-handlers.lua loop3 "$lua_stop"
stopped "a backtracking string.find" d-pattern.lua match "$killed"
stopped "__gc is refused" e-finalizer.lua gc "__gc metamethods are not allowed"

b=$(block "a backtracking string.find")
grep -q '^    ok 1 - before the match$' <<<"$b" &&
  pass "a killed test keeps the points it had" ||
  fail "the killed test lost its first point"

for f in g-toplevel-loop h-toplevel-pattern; do
  b=$(grep -A3 "^not ok [0-9]* - $dir/$f.lua\$" "$TMP/out.tap" || true)
  msg=$(yaml_val "$b" message)
  if [[ "$b" == "not ok "* ]] && grep -q -- "$dir/$f.lua:$(line $f.lua top)" <<<"$msg"; then
    pass "$f: the file fails as one point naming its line"
  else
    fail "$f: $b"
  fi
done
grep -q '^ok [0-9]* - a real call after the hostile ones$' "$TMP/out.tap" &&
  pass "a real call still works after them" || fail "the real call failed"

esc=$(grep -c '^ok [0-9]* - ' <<<"$(sed -n '/i-escapes\|package has no path/,$p' "$TMP/out.tap")" || true)
for name in "package has no path, cpath, searchers, searchpath or loadlib" \
  "a path a scenario adds is not read" "module names cannot name a path" \
  "a searcher a scenario adds is never asked" "a replaced package.loaded reaches no file" \
  "preload works, and reads no file" "no file functions, no bytecode, no finalizers"; do
  grep -q "^ok [0-9]* - $name\$" "$TMP/out.tap" && pass "escape refused: $name" ||
    { fail "escape: $name"; block "$name" | sed 's/^/  | /'; }
done
[[ $esc -ge 7 ]] || fail "escapes: $esc tests passed"

if tap_check --version 14 "$TMP/out.tap" >"$TMP/check" 2>&1; then
  pass "the TAP is strict TAP 14"
else
  fail "TAP: $(head -5 "$TMP/check")"
fi
if xmllint --noout "$TMP/reports/junit.xml" 2>"$TMP/xml"; then
  pass "junit.xml is well-formed"
else
  fail "junit.xml: $(head -3 "$TMP/xml")"
fi
for f in summary.md findings.md; do
  [[ -s "$TMP/reports/$f" ]] && pass "$f written" || fail "no $f"
done

# two tests in one worker: the one stuck in C is blamed, the one that
# waited beside it runs again on a new worker and passes
siptap_run "$TMP/j.tap" "$TMP/j.err" run --timeout 2 --workers 1 --jobs 2 \
  --report-dir "$TMP/rj" "$dir/j-beside.lua"
grep -q '^ok 1 - waits, beside a test stuck in C$' "$TMP/j.tap" &&
  pass "the test beside the stuck one is not blamed: it runs again, passes" ||
  { fail "the waiting test was blamed"; show "$TMP/j.tap" stdout; }
grep -q '^not ok 2 - stuck in C beside a waiting test$' "$TMP/j.tap" &&
  grep -q "at: \"$dir/j-beside.lua:$(line j-beside.lua match)\"" "$TMP/j.tap" &&
  pass "the test stuck in C is blamed, with its line" ||
  { fail "the stuck test not blamed"; show "$TMP/j.tap" stdout; }

# pids_of PID: the process and every descendant
pids_of() {
  local p="$1" c
  echo "$p"
  for c in $(ps -o pid= --ppid "$p" 2>/dev/null); do pids_of "$c"; done
}

# signal_stops SIG WHAT ARGS...: siptap run ARGS, signalled once it has
# a worker busy; it must end within a second, with Bail out!, reports,
# and no process left.
signal_stops() {
  local sig="$1" what="$2" out="$TMP/sig-$1-$2"
  shift 2
  "$SIPTAP" run --report-dir "$out" "$@" >"$out.tap" 2>"$out.err" </dev/null &
  local pid=$! kids="" t0 t1 rc=0
  for _ in $(seq 1 100); do
    kids=$(pids_of "$pid" | grep -v "^$pid\$" || true)
    [[ -n "$kids" ]] && break
    sleep 0.05
  done
  sleep 0.5
  kids=$(pids_of "$pid" | grep -v "^$pid\$" || true)
  t0=$(date +%s%N)
  kill -s "$sig" "$pid"
  wait "$pid" || rc=$?
  t1=$(date +%s%N)
  local ms=$(((t1 - t0) / 1000000))
  [[ $ms -le 1000 ]] && pass "SIG$sig $what: stopped in $ms ms" ||
    fail "SIG$sig $what: took $ms ms"
  [[ $rc -eq 1 ]] && pass "SIG$sig $what: exit 1" || fail "SIG$sig $what: exit $rc"
  grep -q '^Bail out! ' "$out.tap" && pass "SIG$sig $what: Bail out!" ||
    fail "SIG$sig $what: no Bail out!"
  [[ -s "$out/junit.xml" ]] && xmllint --noout "$out/junit.xml" 2>/dev/null &&
    pass "SIG$sig $what: junit.xml written and well-formed" ||
    fail "SIG$sig $what: no valid junit.xml"
  local left=""
  for k in $kids; do kill -0 "$k" 2>/dev/null && left="$left $k"; done
  [[ -z "$left" && -n "$kids" ]] && pass "SIG$sig $what: its processes ($kids) are gone" ||
    fail "SIG$sig $what: processes left: '$left' (had '$kids')"
}

signal_stops TERM "in a test stuck in C" --timeout 60 "$dir/d-pattern.lua"
signal_stops INT "in a test stuck in C" --timeout 60 "$dir/d-pattern.lua"
signal_stops TERM "while listing a file stuck in C" --timeout 60 "$dir/h-toplevel-pattern.lua"
signal_stops INT "in a Lua loop" --timeout 60 "$dir/a-pcall-loop.lua"

e2e_finish
