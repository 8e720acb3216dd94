#!/usr/bin/env bash
# Remote mode against SIP.js (tests/peers/sipjs): the one command runs
# every progress scenario against a real SIP.js UserAgent. The run passes
# with SIP.js's known deviations as TODO (todo.txt), its TAP is strict TAP
# 14, every selected test ran against SIP.js, and findings.md shows each
# expected deviation with the wire. Then the remote mode's own errors: no
# agent, an agent that does not speak JSON-RPC, one that refuses start,
# one that points siptap at an address off this machine, one that stops
# answering, one that hangs up.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_sipjs "$@"
[[ -d tests/peers/sipjs/node_modules/sip.js ]] ||
  e2e_abort "tests/peers/sipjs/node_modules is missing (run .ci/setup)"

paths=(scenarios/options scenarios/flows scenarios/invalid scenarios/matrix)
reports=reports/sipjs
rm -rf "$reports"

# --- the agent alone (its own check of the protocol on real sockets) ----
node tests/peers/sipjs/selftest.mjs >"$TMP/self" 2>&1 &&
  pass "agent selftest ($(grep -c '^ok' "$TMP/self") checks)" ||
  { fail "agent selftest"; show "$TMP/self"; }

# --- the one command ----------------------------------------------------
rc=0
SIPTAP="$SIPTAP" timeout "$E2E_TIMEOUT" tests/peers/sipjs/run \
  >"$TMP/out.tap" 2>"$TMP/err" || rc=$?
if [[ $rc -eq 0 ]]; then
  pass "tests/peers/sipjs/run: exit 0, SIP.js's deviations all known"
elif [[ $rc -eq 1 ]] && rseq_zero_only "$TMP/out.tap"; then
  pass "tests/peers/sipjs/run: exit 1 for SIP.js's RSeq 0 alone (1 in 10000, lib.sh rseq_zero_only), its other deviations all known"
else
  fail "tests/peers/sipjs/run: exit $rc"
  grep -E '^not ok' "$TMP/out.tap" | grep -v '# TODO' | head -20 | sed 's/^/  /'
  show "$TMP/err" stderr
fi

want=$("$SIPTAP" list "${paths[@]}" | wc -l)
tap_check --version 14 --expect-count "$want" "$TMP/out.tap" >"$TMP/check" &&
  pass "strict TAP 14, all $want progress tests ($(tail -n 1 "$TMP/check"))" ||
  { fail "tap-check:"; sed 's/^/  /' "$TMP/check"; }

# siptap's own sessionDescriptionHandlerOptions (codecs, direction,
# port) never reach SIP.js: such a test is a skip with the reason, in the
# TAP and in junit.xml, never a pass
if grep -qE '^ok [0-9]+ - sessionDescriptionHandlerOptions: codecs and direction \[S-MOD-1\] # SKIP siptap extension codecs: SIP\.js 0\.21\.2 has no such option' \
  "$TMP/out.tap" &&
  grep -q '<skipped message="siptap extension codecs: SIP.js 0.21.2 has no such option' \
  "$reports/junit.xml"; then
  pass "a siptap extension is skipped with the reason (TAP and junit.xml)"
else
  fail "sdh-options.lua's codecs test is not a skip naming the extension"
  grep -E 'codecs and direction' "$TMP/out.tap" | sed 's/^/  /'
fi

grep -qE '^# UAC over UDP, the UAS played by the agent at 127\.0\.0\.1:[0-9]+$' \
  "$TMP/out.tap" && pass "the TAP names the agent" || fail "no agent line in the TAP"

# Every test reached SIP.js: none failed to set up, and SIP.js answered
# the INVITEs (its own 100 Trying is on every wire).
if grep -q 'the agent set up the remote UAS' "$TMP/out.tap"; then
  fail "a test could not set up the remote UAS"
else
  pass "every test had its own SIP.js UserAgent"
fi
n100=$(grep -c '^    ok [0-9]* - P-100-1 ' "$TMP/out.tap" || true)
# tests that cannot run against SIP.js (siptap's extensions, WebRTC with
# the stand-in SDH) end # SKIP before any INVITE
skipped=$(grep -cE '^ok [0-9]+ - .* # SKIP' "$TMP/out.tap" || true)
ran=$((want - skipped))
[[ $n100 -ge $((ran * 3 / 4)) ]] &&
  pass "P-100-1 checked on SIP.js's responses in $n100 of the $ran tests that ran" ||
  fail "P-100-1 checked in only $n100 of the $ran tests that ran ($skipped skipped)"

[[ -f $reports/agent.log ]] && pass "the agent's log kept" || fail "no $reports/agent.log"
for f in junit.xml summary.md findings.md probe-rseq-zero/findings.md; do
  [[ -s $reports/$f ]] && pass "$reports/$f written" || fail "no $reports/$f"
done
cmp -s "$TMP/out.tap" "$(ls "$reports"/siptap-*.tap | head -n 1)" &&
  pass "the TAP kept in $reports" || fail "no copy of the TAP in $reports"
xmllint --noout "$reports/junit.xml" 2>/dev/null &&
  pass "junit.xml is well formed" || fail "junit.xml does not parse"

# --- findings.md: what the wire showed ----------------------------------
findings="$reports/findings.md"
# finding RULE PATTERN WHAT: a table row for RULE, and PATTERN in the
# file (a wire excerpt or a message)
finding() {
  if grep -qE "^\| [^|]*$1[^|]* \|" "$findings" && grep -qE -- "$2" "$findings"; then
    pass "findings.md: $3"
  else
    fail "findings.md: $3 (no $1 row or no /$2/)"
  fi
}
finding R-WHEN-1 '180 sent unreliably to an INVITE that requires 100rel' \
  "Require and Supported: 100rel taken as only supported"
finding P-BODY-1 'body on a reliable provisional' "body ignored on a reliable provisional"
finding P-REASON-1 'statusCode unset on a reliable provisional' \
  "the default code becomes 183 on the reliable path"
finding R-RSEQ-1 '^  RSeq: 0$' "RSeq 0 on the wire (Math.random() pinned to 0)"
finding P-100-1 'Timestamp' "100 Trying without the INVITE's Timestamp"
grep -qE '^  ~~~$' "$findings" && grep -qE '^  SIP/2\.0 18[0-9] ' "$findings" &&
  pass "findings.md carries wire excerpts" || fail "no wire excerpt in findings.md"
finding P-EXT-1 'reached the application' "no 420 for an unknown Require: the call reaches the application"
# the held INVITE, with noAnswerTimeout = 120: SIP.js refreshes its 180
# (the P-LONG-1 finding of old was the agent's 60 s timeout)
if grep -qE '^\| P-LONG-1 ' "$findings"; then
  fail "findings.md: a P-LONG-1 row (the held INVITE ended before the minute?)"
else
  pass "findings.md: no P-LONG-1 row: SIP.js refreshes its 180 when let"
fi
# what SIP.js does not refuse of siptap's API, apart from the RFC rows
sed -n "/^# siptap's API contract, not RFC findings$/,/^# Probe/p" "$findings" >"$TMP/api.md"
grep -qE '^- not ok: the error names statusCode$' "$TMP/api.md" &&
  pass "findings.md: the API-contract points under their own heading" ||
  { fail "findings.md: no API-contract section"; show "$TMP/api.md"; }

# --- SIP.js as its users configure it: --defaults --------------------------
def=reports/sipjs-defaults
rm -rf "$def"
rc=0
SIPTAP="$SIPTAP" timeout 120 tests/peers/sipjs/run --defaults \
  --filter "reasonPhrase ascii" scenarios/options/reason-phrase.lua \
  >"$TMP/def.tap" 2>"$TMP/def.err" || rc=$?
[[ $rc -eq 0 ]] && grep -q '^not ok 1 - reasonPhrase ascii .* # TODO the automatic 180' "$TMP/def.tap" &&
  pass "--defaults: exit 0, the test that reads the automatic 180 is known (todo-defaults.txt)" ||
  { fail "--defaults: exit $rc"; show "$TMP/def.tap"; show "$TMP/def.err" stderr; }
grep -q '^    SIP/2.0 180 Ringing' "$def/wire/001.log" &&
  grep -q '^    SIP/2.0 180 Please Hold The Line' "$def/wire/001.log" &&
  pass "--defaults: SIP.js's automatic 180 goes out, then the scenario's" ||
  { fail "--defaults: wire"; show "$def/wire/001.log"; }
grep -qx '## (no rule)' "$def/findings.md" && ! grep -qE '^\| P-REASON-1 ' "$def/findings.md" &&
  pass "--defaults: findings.md files the misread 180 under no rule, not P-REASON-1" ||
  { fail "--defaults: findings.md"; show "$def/findings.md"; }

# --- the remote mode's own errors ---------------------------------------
one=scenarios/options/status-code.lua

# No agent listening: each test is one clear failing point.
port=$(free_port) || e2e_abort "no free port"
siptap_run "$TMP/o1" "$TMP/e1" run --agent "127.0.0.1:$port" \
  --report-dir "$TMP/r1" "$one"
[[ $rc -eq 1 ]] && grep -q "the agent at 127.0.0.1:$port: Connection refused" "$TMP/o1" &&
  pass "no agent: 'Connection refused' in each test" ||
  { fail "no agent: exit $rc"; show "$TMP/o1"; }

# fake_agent MODE: a control socket on a free port that answers start
# badly; sets fport.
fakes=()
trap 'kill "${fakes[@]}" 2>/dev/null || true; rm -rf "$TMP"' EXIT
fake_agent() {
  node -e '
    const net = require("net");
    const mode = process.argv[1];
    const srv = net.createServer((c) => {
      c.on("data", (d) => {
        const req = JSON.parse(String(d).split("\n")[0]);
        if (mode === "garbage") c.write("hello, I am not JSON\n");
        if (mode === "refuse") c.write(JSON.stringify({ jsonrpc: "2.0", id: req.id,
          error: { code: -32000, message: "no UAS today" } }) + "\n");
        if (mode === "offsite") c.write(JSON.stringify({ jsonrpc: "2.0", id: req.id,
          result: { host: "192.0.2.1", port: 5060, t1: 500 } }) + "\n");
        // silent: starts, reports an INVITE, then never answers again;
        // hangup: the same, then closes the connection
        if ((mode === "silent" || mode === "hangup") && req.method === "start") {
          c.write(JSON.stringify({ jsonrpc: "2.0", id: req.id,
            result: { host: "127.0.0.1", port: srv.address().port, t1: 500 } }) + "\n");
          c.write(JSON.stringify({ jsonrpc: "2.0", method: "invite",
            params: { call: 1, callId: "fake" } }) + "\n");
          if (mode === "hangup") c.end();
        }
      });
    });
    srv.listen(0, "127.0.0.1", () => console.log(srv.address().port));
  ' "$1" >"$TMP/fake.$1" 2>&1 &
  fakes+=($!)
  for _ in $(seq 50); do
    [[ -s $TMP/fake.$1 ]] && break
    sleep 0.1
  done
  fport=$(head -n 1 "$TMP/fake.$1")
}

for c in "garbage|Protocol error (a line that is not a JSON-RPC message)" \
  "refuse|the agent refused start: no UAS today" \
  "offsite|has no host and port on 127.0.0.1 or ::1" \
  "silent|waiting_for: \"the agent's answer to progress()\"" \
  "hangup|progress: could not reach the agent at 127.0.0.1:"; do
  mode=${c%%|*} text=${c#*|}
  scenario=$one filter="statusCode 180"
  if [[ $mode == hangup ]]; then
    scenario=tests/e2e/fixtures/agent-gone.lua filter="hung up"
  fi
  fake_agent "$mode"
  siptap_run "$TMP/o.$mode" "$TMP/e.$mode" run --agent "127.0.0.1:$fport" \
    --timeout 2 --report-dir "$TMP/r.$mode" --filter "$filter" "$scenario"
  [[ $rc -eq 1 ]] && grep -qF "$text" "$TMP/o.$mode" &&
    pass "agent that answers '$mode': '$text'" ||
    { fail "agent '$mode': exit $rc"; show "$TMP/o.$mode"; }
done

# --- the UAS's own requests through SIP.js (docs/early-dialog.md) ------
# inv:bye, inv:info, inv:reinvite are SIP.js's Session.bye/info/invite;
# the agent sets rport in SIP.js's portless Via so siptap's answers reach
# it. agent_run NAME FILTER [AGENT-ARGS...]: the tests of the UAS's
# requests named FILTER against a fresh agent; TAP in $TMP/NAME.tap.
early=(scenarios/early/reinvite.lua scenarios/early/uas-requests.lua)
agent_run() {
  local name=$1 filter=$2 apid aport
  shift 2
  node tests/peers/sipjs/agent.mjs --control 127.0.0.1:0 "$@" \
    >"$TMP/$name.ctl" 2>"$TMP/$name.alog" &
  apid=$!
  fakes+=("$apid")
  for _ in $(seq 50); do
    aport=$(sed -n 's/^control 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$TMP/$name.ctl")
    [[ -n $aport ]] && break
    sleep 0.1
  done
  siptap_run "$TMP/$name.tap" "$TMP/$name.err" run --agent "127.0.0.1:$aport" \
    --todo tests/peers/sipjs/todo.txt --timeout 4 --jobs 4 \
    --report-dir "$TMP/r.$name" --filter "$filter" "${early[@]}"
  kill "$apid" 2>/dev/null || true
}
agent_run own "the UAS"
for t in "the UAS's re-INVITE with an offer: the UAC's answer in the 200" \
         "the UAS's re-INVITE without an offer: the UAC offers, the ACK answers" \
         "the UAS hangs up: BYE after the ACK; INFO before it" \
         "no re-INVITE from the UAS before the ACK" \
         "the UAS may not hang up with BYE in the early dialog"; do
  grep -qE "^ok [0-9]+ - $t\$" "$TMP/own.tap" && pass "SIP.js: $t" ||
    { fail "SIP.js: $t"; grep -A12 -F -- "$t" "$TMP/own.tap" | head -30 | sed 's/^/  | /'; }
done
[[ $rc -eq 0 ]] && pass "SIP.js's own requests: exit 0 (deviations as TODO)" ||
  fail "SIP.js's own requests: exit $rc"
# the probe without rport: SIP.js's BYE is answered at 5060 and the test
# (and its INFO before it) never gets a final response: the test runs
# out of time (the check above can fail)
agent_run norport "the UAS hangs up" --no-rport
grep -qE '^not ok [0-9]+ - the UAS hangs up' "$TMP/norport.tap" &&
  grep -q 'the test did not finish within 4 s' "$TMP/norport.tap" &&
  pass "--no-rport probe: the 200s never reach SIP.js (RFC 3261 18.2.2: port 5060)" ||
  { fail "--no-rport probe did not fail the UAS's INFO and BYE"; grep -E '^(not )?ok' "$TMP/norport.tap" | sed 's/^/  | /'; }

# What a remote run cannot do is refused before anything runs.
for bad in "--target 127.0.0.1:5060" "--uas-fault rseq-zero" "--transport tcp"; do
  # shellcheck disable=SC2086 # $bad is two words on purpose
  siptap_run "$TMP/o3" "$TMP/e3" run --agent 127.0.0.1:9 $bad "$one"
  [[ $rc -eq 2 ]] && grep -q -- "--agent" "$TMP/e3" &&
    pass "--agent with $bad: usage error" || fail "--agent with $bad: exit $rc"
done

e2e_finish
