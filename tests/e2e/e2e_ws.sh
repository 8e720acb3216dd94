#!/usr/bin/env bash
# SIP over WebSocket (--transport ws|wss, docs/websocket.md): siptap is
# the edge, the UAS registers over a WebSocket connection it opens and
# gets the test's requests down it.
#  - the reference UAS as a WebSocket client: flows and options pass over
#    ws and wss with the counts they have over tcp, strict TAP;
#  - tshark decodes the ws pcap as SIP over WebSocket (a tcp one not);
#  - an agent with a raw RFC 6455 client (ws-agent.mjs): its calls over
#    ws and wss (its REGISTER without Content-Length and in two
#    fragments, its responses in binary frames); its hostile connections (garbage, no sip protocol, bad
#    frames, a close mid-message, an upgrade never finished) each
#    refused, on the wire with the reason, the next test unaffected; a
#    ping answered; a message over siptap's limit a loss of siptap's; a start naming a user nobody registered fails as one
#    point saying so;
#  - a listener that answers the 101 without the sip protocol
#    (SIPTAP_WS_FAULT=no-protocol) is refused by both clients;
#  - usage errors and a fixed --ws-listen.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_ws "$@"
command -v openssl >/dev/null || e2e_abort "openssl not installed (run .ci/setup)"
command -v tshark >/dev/null || e2e_abort "tshark not installed (run .ci/setup)"

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1 ||
  e2e_abort "openssl could not make a certificate"
cat "$TMP/key.pem" "$TMP/cert.pem" >"$TMP/siptap.pem"

# An idle connection stays up (libre's own WebSocket server dropped it
# after 32 s): a call held 40 s without a message, T1 500 so that the
# UAS refreshes its 180 only after a minute. In the background, by pid,
# while the rest runs.
cat >"$TMP/idle.lua" <<'LUA'
test("an idle WebSocket connection stays up for 40 s", function(t)
  local call = t:uac():invite{ sdp = true }
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 180 }
  call:response(180)
  t:sleep(40000)
  t:is(#call:responses(), 1, "nothing came in 40 s")
  inv:accept()
  call:ack(call:response(200))
end)
LUA
timeout --kill-after=10 120 "$SIPTAP" run --timeout 60 --transport ws \
  --report-dir "$TMP/idle" "$TMP/idle.lua" >"$TMP/idle.tap" 2>"$TMP/idle.err" </dev/null &
idle_pid=$!

# scenarios/early: the reference UAS's own requests in the dialog
# (UPDATE, INFO, re-INVITE, BYE) go down its connection to the edge
SUITE=(scenarios/flows scenarios/options scenarios/early)
# the T1-timed checks run one test at a time, as e2e_tls does
COMMON=(--t1 50 --jobs 1 --tls-cert "$TMP/siptap.pem")

# --- the reference UAS over ws and wss, counts as over tcp ----------------
for tp in tcp ws wss; do
  siptap_run "$TMP/$tp.tap" "$TMP/$tp.err" run "${COMMON[@]}" \
    --transport "$tp" --report-dir "$TMP/r-$tp" "${SUITE[@]}"
  if [[ $rc -eq 0 ]]; then
    pass "$tp: flows and options pass ($(tail -n 1 "$TMP/$tp.err"))"
  else
    fail "$tp: exit $rc"
    grep -E '^ *not ok' "$TMP/$tp.tap" | head -20 | sed 's/^/  /'
  fi
done
for tp in ws wss; do
  [[ "$(tail -n 1 "$TMP/$tp.err")" == "$(tail -n 1 "$TMP/tcp.err")" ]] &&
    pass "$tp: the same counts as tcp" ||
    fail "$tp: '$(tail -n 1 "$TMP/$tp.err")' against tcp's '$(tail -n 1 "$TMP/tcp.err")'"
  tap_check --version 14 "$TMP/$tp.tap" >"$TMP/$tp.check" &&
    pass "$tp: strict TAP" || { fail "$tp: TAP not strict"; show "$TMP/$tp.check"; }
  grep -q "^# UAC over ${tp^^}\$" "$TMP/$tp.tap" &&
    pass "$tp: the TAP says so" || fail "$tp: no '# UAC over ${tp^^}' line"
done

# --- the pcap: SIP over WebSocket for tshark -------------------------------
for tp in ws tcp; do
  siptap_run "$TMP/p-$tp.tap" "$TMP/p-$tp.err" run --t1 50 --transport "$tp" \
    --pcap --report-dir "$TMP/p-$tp" --filter "180 Ringing, unreliable" \
    scenarios/flows
  tshark -r "$TMP/p-$tp/pcap/001.pcap" -Y sip -T fields -e frame.protocols \
    >"$TMP/p-$tp.fields" 2>"$TMP/p-$tp.tshark" || true
done
if [[ $(grep -c 'tcp:http:websocket:sip' "$TMP/p-ws.fields") -ge 6 ]]; then
  pass "tshark -Y sip decodes the ws pcap as SIP over WebSocket ($(wc -l <"$TMP/p-ws.fields") messages)"
else
  fail "tshark did not decode SIP over WebSocket"; show "$TMP/p-ws.fields"; show "$TMP/p-ws.tshark"
fi
# the UAS's UPDATE (it is the WebSocket client) says WS in its Via and
# the UAC's 200 to it carries the answer, down the same connection
siptap_run "$TMP/u.tap" "$TMP/u.err" run --t1 50 --transport ws --pcap \
  --report-dir "$TMP/u" --filter "UPDATE after a reliable 183" scenarios/early
via=$(tshark -r "$TMP/u/pcap/001.pcap" -Y 'sip.Method == "UPDATE"' -T fields \
  -e sip.Via 2>/dev/null)
ok=$(tshark -r "$TMP/u/pcap/001.pcap" \
  -Y 'sip.Status-Code && sip.CSeq.method == "UPDATE" && sdp' -T fields \
  -e sip.Status-Code 2>/dev/null)
if [[ $rc -eq 0 && $via == SIP/2.0/WS\ * && $ok == 200 ]]; then
  pass "the UAS's UPDATE over ws: Via ${via%%;*}, answered 200 with SDP"
else
  fail "the UAS's UPDATE over ws: exit $rc, Via '$via', answer '$ok'"
  show "$TMP/u.tap"
fi
if [[ -s "$TMP/p-tcp.fields" ]] && ! grep -q websocket "$TMP/p-tcp.fields"; then
  pass "the check can fail: the tcp pcap has SIP and no WebSocket"
else
  fail "the tcp pcap: $(head -n 1 "$TMP/p-tcp.fields")"
fi

# --- an agent with a raw WebSocket client ----------------------------------
agent_pid=
start_agent() {
  node "$E2E/ws-agent.mjs" "$@" >"$TMP/agent.out" 2>"$TMP/agent.err" &
  agent_pid=$!
  for _ in $(seq 1 50); do
    grep -q PORT "$TMP/agent.out" && break
    sleep 0.1
  done
  agent_port=$(awk '/^PORT/ {print $2}' "$TMP/agent.out")
}
stop_agent() {
  [[ -n "$agent_pid" ]] && kill "$agent_pid" 2>/dev/null || true
  wait "$agent_pid" 2>/dev/null || true
  agent_pid=
}
trap 'stop_agent; rm -rf "$TMP"' EXIT
TWO=(--filter "180 Ringing, unreliable" --filter "reject with 486" scenarios/flows)

start_agent
for tp in ws wss; do
  siptap_run "$TMP/a-$tp.tap" "$TMP/a-$tp.err" run "${COMMON[@]}" \
    --transport "$tp" --agent "127.0.0.1:$agent_port" \
    --report-dir "$TMP/a-$tp" "${TWO[@]}"
  [[ $rc -eq 0 ]] && grep -q "2 passed, 0 failed" "$TMP/a-$tp.err" &&
    pass "agent over $tp: the UA registered, both calls came down its connection" ||
    { fail "agent over $tp: exit $rc"; show "$TMP/a-$tp.tap"; }
done
stop_agent

start_agent --hostile
siptap_run "$TMP/h.tap" "$TMP/h.err" run "${COMMON[@]}" --transport ws \
  --agent "127.0.0.1:$agent_port" --report-dir "$TMP/h" "${TWO[@]}"
stop_agent
log="$TMP/h/wire/001.log"
for want in "HELLO this is no HTTP.*siptap answered 400" \
  "does not offer Sec-WebSocket-Protocol: sip (RFC 7118 4.1); siptap answered 400" \
  "reserved opcode 0x3 (RFC 6455 5.2); dropped, siptap closed the WebSocket connection (1002)" \
  "an unmasked frame from the client (RFC 6455 5.1)" \
  "the connection closed in the middle of a WebSocket message" \
  "the client closed the connection before its WebSocket upgrade was whole"; do
  grep -q -- "uac recv WS .*$want" "$log" 2>/dev/null &&
    pass "hostile: on the wire: $want" || { fail "hostile: not on the wire: $want"; show "$log"; }
done
for want in "garbage instead of an upgrade: server answered HTTP/1.1 400" \
  "an upgrade without sip: server answered HTTP/1.1 400" \
  "a reserved opcode: server answered HTTP/1.1 101 Switching Protocols then close 1002" \
  "a ping: server answered HTTP/1.1 101 Switching Protocols then pong 'are you there'"; do
  grep -qF "$want" "$TMP/agent.err" &&
    pass "hostile: the client saw: $want" || { fail "hostile: the client did not see: $want"; show "$TMP/agent.err"; }
done
grep -q "^not ok 1 - 180 Ringing" "$TMP/h.tap" &&
  grep -q "P-WIRE-1" "$TMP/h.tap" && grep -q "^ok 2 - reject with 486" "$TMP/h.tap" &&
  pass "hostile: the test with the garbage fails on P-WIRE-1, the next passes" ||
  { fail "hostile: verdicts"; grep -E '^(not )?ok' "$TMP/h.tap" | sed 's/^/  /'; }

start_agent --too-big
siptap_run "$TMP/g.tap" "$TMP/g.err" run "${COMMON[@]}" --transport ws \
  --agent "127.0.0.1:$agent_port" --report-dir "$TMP/g" "${TWO[@]}"
stop_agent
grep -q "not ok 1 - siptap lost no message (harness error, not the peer's fault)" "$TMP/g.tap" &&
  grep -q "WebSocket message of 5242880 bytes or more" "$TMP/g.tap" &&
  grep -q "then close 1009" "$TMP/agent.err" && grep -q "^ok 2 - reject with 486" "$TMP/g.tap" &&
  pass "a message over siptap's limit: siptap's loss, not the peer's fault; 1009; the next test passes" ||
  { fail "too big: exit $rc"; show "$TMP/g.tap"; }

start_agent --wrong-user
siptap_run "$TMP/u.tap" "$TMP/u.err" run "${COMMON[@]}" --transport ws \
  --agent "127.0.0.1:$agent_port" --report-dir "$TMP/u" "${TWO[@]}"
stop_agent
[[ $(grep -c "registered the user 'nobody'" "$TMP/u.tap") -ge 2 ]] &&
  grep -q "0 passed, 2 failed" "$TMP/u.err" &&
  pass "a uri nobody registered: each test one failing point saying so" ||
  { fail "wrong user: exit $rc"; show "$TMP/u.tap"; }

# --- a 101 without the sip protocol is refused -----------------------------
SIPTAP_WS_FAULT=no-protocol siptap_run "$TMP/f.tap" "$TMP/f.err" run \
  "${COMMON[@]}" --transport ws --report-dir "$TMP/f" "${TWO[@]}"
[[ $rc -eq 1 ]] && [[ $(grep -c "does not answer Sec-WebSocket-Protocol: sip" "$TMP/f.tap") -ge 2 ]] &&
  pass "no-protocol fault: the reference UAS refuses the 101, each test fails saying so" ||
  { fail "no-protocol fault, reference UAS: exit $rc"; show "$TMP/f.tap"; }
start_agent
SIPTAP_WS_FAULT=no-protocol siptap_run "$TMP/fa.tap" "$TMP/fa.err" run \
  "${COMMON[@]}" --transport ws --agent "127.0.0.1:$agent_port" \
  --report-dir "$TMP/fa" "${TWO[@]}"
stop_agent
[[ $rc -eq 1 ]] && [[ $(grep -c "without Sec-WebSocket-Protocol: sip" "$TMP/fa.tap") -ge 2 ]] &&
  pass "no-protocol fault: the agent's client refuses the 101 too" ||
  { fail "no-protocol fault, agent: exit $rc"; show "$TMP/fa.tap"; }

# --- the idle connection ----------------------------------------------------
idle_rc=0
wait "$idle_pid" || idle_rc=$?
[[ $idle_rc -eq 0 ]] && grep -q "^ok 1 - an idle WebSocket" "$TMP/idle.tap" &&
  pass "a connection idle for 40 s stays up: the 200 came down it" ||
  { fail "idle connection: exit $idle_rc"; show "$TMP/idle.tap"; }

# --- options ---------------------------------------------------------------
port=$(free_port)
siptap_run "$TMP/l.tap" "$TMP/l.err" run --t1 50 --transport ws \
  --ws-listen "[::1]:$port" --report-dir "$TMP/l" "${TWO[@]}"
[[ $rc -eq 0 ]] && pass "--ws-listen [::1]:$port: two tests, one after the other, on ::1" ||
  { fail "--ws-listen: exit $rc"; show "$TMP/l.tap"; }
for bad in "--transport wss" "--transport ws --ws-listen 10.1.2.3:5062" \
  "--ws-listen 127.0.0.1:$port" "--transport ws --ws-listen 127.0.0.1:$port --jobs 2" \
  "--transport ws --proxy sip:127.0.0.1:5060"; do
  # shellcheck disable=SC2086 # the options split on purpose
  siptap_run "$TMP/b.tap" "$TMP/b.err" run $bad scenarios/flows
  [[ $rc -eq 2 ]] && [[ $(wc -l <"$TMP/b.err") -le 2 ]] &&
    pass "usage error: $bad ($(head -n 1 "$TMP/b.err"))" ||
    { fail "$bad: exit $rc"; show "$TMP/b.err"; }
done

e2e_finish
