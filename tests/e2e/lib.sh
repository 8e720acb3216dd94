# shellcheck shell=bash
# Shared by the e2e_*.sh tests; sourced, never run. Usage in a test:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   e2e_init e2e_name "$@"     # $1 = path to the siptap binary
#   ... check / pass / fail ...
#   e2e_finish                 # prints "e2e_name: N passed, M failed"
#
# After e2e_init the working directory is the source root, $SIPTAP is the
# binary, $TMP a scratch directory removed on exit, $E2E this folder, and
# $TAP_CHECK the strict TAP validator (run it with `tap_check ARGS...`).

E2E="$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd -P "$E2E/../.." && pwd)"
TAP_CHECK="$E2E/tap-check.mjs"
# One siptap run may not take longer than this (ctest stops us at 300 s).
E2E_TIMEOUT="${SIPTAP_E2E_TIMEOUT:-280}"

e2e_passed=0
e2e_failed=0

# e2e_init NAME SIPTAP: checks the tools, makes $TMP, cds to the root.
e2e_init() {
  E2E_NAME="$1"
  SIPTAP="${2:-}"
  if [[ -z "$SIPTAP" ]]; then
    echo "usage: $0 PATH/TO/siptap" >&2
    exit 2
  fi
  if [[ ! -f "$SIPTAP" || ! -x "$SIPTAP" ]]; then
    e2e_abort "siptap binary '$SIPTAP' is missing or not executable"
  fi
  SIPTAP="$(cd -P "$(dirname "$SIPTAP")" && pwd)/$(basename "$SIPTAP")"
  command -v node >/dev/null || e2e_abort "node not found (run .ci/setup)"
  if [[ ! -d "$E2E/node_modules/tap-parser" ]]; then
    e2e_abort "tests/e2e/node_modules is missing: run 'npm ci' in tests/e2e (.ci/setup does)"
  fi
  TMP="$(mktemp -d "${TMPDIR:-/tmp}/siptap-$E2E_NAME.XXXXXX")"
  trap 'rm -rf "$TMP"' EXIT
  # every process started from here on carries the mark; the watchdog
  # (not marked itself) stops them if this script dies without its
  # EXIT trap (ctest's TIMEOUT is a SIGKILL)
  # (started from a subshell that ends at once: no child of this script,
  # so a bare `wait` in a test does not wait for it)
  export SIPTAP_E2E_RUN="$E2E_NAME.$$.$RANDOM$RANDOM"
  (env -u SIPTAP_E2E_RUN setsid bash "$E2E/watchdog.sh" "$$" \
    "$SIPTAP_E2E_RUN" </dev/null >/dev/null 2>&1 &)
  cd "$ROOT" || exit 1
  # Whatever the caller's shell had, the tests decide the TAP version.
  unset TAP_VERSION
}

# e2e_abort MESSAGE: a test that cannot even start fails as one check.
e2e_abort() {
  echo "FAIL: $*"
  echo "$E2E_NAME: 0 passed, 1 failed"
  exit 1
}

pass() {
  e2e_passed=$((e2e_passed + 1))
  echo "ok: $*"
}

fail() {
  e2e_failed=$((e2e_failed + 1))
  echo "FAIL: $*"
}

# show FILE [LABEL]: prints a file's tail, indented, to explain a failure.
show() {
  local file="$1" label="${2:-$1}"
  echo "  --- $label (last 40 lines) ---"
  if [[ -s "$file" ]]; then
    tail -n 40 "$file" | sed 's/^/  | /'
  else
    echo "  | (empty)"
  fi
}

# tap_check ARGS...: the strict validator; its messages go to our stdout.
tap_check() {
  node "$TAP_CHECK" "$@" 2>&1
}

# tap_block NAME FILE: the TAP of test NAME in FILE, its subtest and its
# result line
tap_block() {
  awk -v name="$1" '
    $0 == "# Subtest: " name { on = 1 }
    on { print }
    on && /^(not )?ok [0-9]+ - / { exit }
  ' "$2"
}

# siptap_run OUT ERR ARGS...: runs siptap with a time limit, stdout to OUT,
# stderr to ERR; sets $rc (124 means it timed out).
# rseq_zero_only TAP: every point of TAP that failed (not TODO) is
# R-RSEQ-1 finding "RSeq: 0", and there is one. SIP.js 0.21 draws its
# first RSeq as floor(Math.random() * 10000) (api/invitation.js): 0, which
# RFC 3262 forbids, in one reliable provisional in 10000. siptap is right
# to fail it (tests/peers/sipjs/todo-rseq-zero.txt pins it in a probe);
# a run of SIP.js that met it is still a run whose other deviations are
# all known.
rseq_zero_only() {
  awk '
    /^    not ok [0-9]+ / && !/# TODO/ {
      n++; if ($0 !~ / - R-RSEQ-1 /) bad = 1; inpt = 1; next }
    inpt && /^      found: "RSeq: 0"$/ { zero++ }
    /^    (not )?ok [0-9]+ / { inpt = 0 }
    END { exit !(n > 0 && !bad && zero == n) }' "$1"
}

siptap_run() {
  local out="$1" err="$2"
  shift 2
  rc=0
  timeout --kill-after=10 "$E2E_TIMEOUT" "$SIPTAP" "$@" >"$out" 2>"$err" </dev/null || rc=$?
  if [[ $rc -eq 124 ]]; then
    echo "  (siptap $* timed out after ${E2E_TIMEOUT}s)"
  fi
}

# prove_wrapper T_FILE OUT ARGS...: writes a .t script that runs
# `siptap run ARGS...`, copying the TAP it prints to OUT and the
# TAP_VERSION it was given to OUT.env, and exits with siptap's status.
# Run it with `prove --exec bash T_FILE`: TAP::Parser sets TAP_VERSION=13
# in its own environment, which the wrapper and siptap inherit.
# shellcheck disable=SC2016 # the single-quoted lines are the wrapper's code
prove_wrapper() {
  local t="$1" out="$2"
  shift 2
  {
    printf '%s\n' '#!/usr/bin/env bash' \
      "printf '%s\\n' \"\${TAP_VERSION-unset}\" > $(printf '%q' "$out.env")"
    printf 'timeout --kill-after=10 %q %q run' "$E2E_TIMEOUT" "$SIPTAP"
    printf ' %q' "$@"
    printf ' </dev/null | tee %q\n' "$out"
    printf '%s\n' 'exit "${PIPESTATUS[0]}"'
  } >"$t"
}

# e2e_finish: the closing line, and the exit status.
e2e_finish() {
  echo "$E2E_NAME: $e2e_passed passed, $e2e_failed failed"
  [[ $e2e_failed -eq 0 ]]
}

# start_browser_agent ARGS...: SIP.js in Chromium's agent
# (tests/peers/sipjs/browser/agent.mjs) on a free port of 127.0.0.1, its
# stderr appended to $TMP/agent.log; sets agent_pid and addr. Stop it by
# that pid.
start_browser_agent() {
  node tests/peers/sipjs/browser/agent.mjs "$@" >"$TMP/agent.out" 2>>"$TMP/agent.log" &
  agent_pid=$!
  addr=
  for _ in $(seq 300); do
    addr=$(sed -n 's/^control //p' "$TMP/agent.out")
    [[ -n $addr ]] && break
    kill -0 "$agent_pid" 2>/dev/null || break
    sleep 0.1
  done
  [[ -n $addr ]] || { show "$TMP/agent.log" agent.log; e2e_abort "the browser agent did not start"; }
}

# free_port: a port free for both UDP and TCP on 127.0.0.1 (and the next
# one too, for peers that take two). Below the kernel's ephemeral range
# (ip_local_port_range, 32768 and up by default), so a port chosen here
# is not taken a moment later by some process's outgoing socket.
# kamailio_up PORT [kamailio.sh ARGS...]: Kamailio (tests/peers/kamailio)
# on PORT, its log and pid in $TMP/kamailio; 1 (its log shown) when it
# did not start. kamailio_down stops it by its pid (call it from the
# script's EXIT trap).
kamailio_up() {
  mkdir -p "$TMP/kamailio"
  sh "$ROOT/tests/peers/kamailio/kamailio.sh" start "$TMP/kamailio" "$@" \
    >"$TMP/kam.start" 2>&1 && return 0
  show "$TMP/kam.start" "kamailio.sh start"
  show "$TMP/kamailio/kamailio.log" kamailio.log
  return 1
}
kamailio_down() {
  sh "$ROOT/tests/peers/kamailio/kamailio.sh" stop "$TMP/kamailio" >/dev/null 2>&1 || true
}

free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((12000 + RANDOM % 20000))
    if ! ss -Hlnu "sport = :$p" 2>/dev/null | grep -q . &&
      ! ss -Hlnt "sport = :$p" 2>/dev/null | grep -q . &&
      ! ss -Hlnu "sport = :$((p + 1))" 2>/dev/null | grep -q . &&
      ! ss -Hlnt "sport = :$((p + 1))" 2>/dev/null | grep -q .; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

# start_node_uas SCRIPT PORT: a raw UAS of a test's own (node SCRIPT PORT,
# printing "ready" once bound) on 127.0.0.1:PORT; sets uas_pid, which
# stop_node_uas stops.
start_node_uas() {
  node "$1" "$2" >"$TMP/uas.$2.out" 2>&1 &
  uas_pid=$!
  for _ in $(seq 1 50); do
    grep -q ready "$TMP/uas.$2.out" && break
    sleep 0.1
  done
}

stop_node_uas() {
  kill "$uas_pid" 2>/dev/null || true
  wait "$uas_pid" 2>/dev/null || true
}

# expect_verdicts TAP MIN: every test of TAP names in "[expect ...]" the
# rule ids that must fail in it ("[expect]": none, a control), and no
# other point may fail; a pass or fail line per test, and a fail if
# fewer than MIN tests were judged (fixtures/sdp, fixtures/webrtc).
expect_verdicts() {
  local tap="$1" min="$2" n=0 name want got
  # "name|expected ids|failing ids", one line a test
  awk '
    function flush() {
      if (name == "") return
      want = name; sub(/.*\[expect ?/, "", want); sub(/\].*/, "", want)
      print name "|" want "|" got
    }
    /^# Subtest: / { flush(); name = substr($0, 12); got = "" }
    /^    not ok / {
      id = $0; sub(/^    not ok [0-9]+ - /, "", id)
      if (id ~ /^[A-Z]+-[A-Z0-9]+-[0-9]+ /) sub(/ .*/, "", id)
      else id = "(" id ")"
      got = got == "" ? id : got " " id
    }
    END { flush() }' "$tap" >"$tap.verdicts"
  while IFS='|' read -r name want got; do
    n=$((n + 1))
    if [[ "$got" == "$want" ]]; then
      pass "${name%% \[*}: ${want:-passes}"
    else
      fail "${name%% \[*}: failed under '${got}', wanted '${want}'"
    fi
  done <"$tap.verdicts"
  [[ $n -ge $min ]] && pass "$n tests judged" || fail "only $n tests judged"
}
