#!/usr/bin/env bash
# Edge mode: SIP.js in Chromium (tests/peers/sipjs/browser) registers at
# Kamailio 5.6 over WebSocket (tests/peers/kamailio/kamailio-ws.cfg), and
# siptap's UAC calls it through Kamailio over UDP (--agent with --proxy).
# The page reports what went over its WebSocket, so the UAS's side is on
# siptap's wire (marked as the agent's report) and the proxy rules (PX-*)
# run as when both ends are siptap's. SIP.js's deviations are TODO
# (todo-browser.txt). Then: an edge that rewrites the browser's Contact
# (-A BREAK_CONTACT_ALIAS) fails PX-HDR-1 and no rule of the UAS's; an
# agent that reports nothing (--no-wire) leaves a violation seen only
# after the proxy naming both the proxy and the UAS; and --agent with
# --uas-listen is one clear usage error. Chromium and Kamailio are started
# and stopped here by pid.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_kamailio_ws "$@"
command -v kamailio >/dev/null || [[ -x /usr/sbin/kamailio ]] ||
  e2e_abort "kamailio not installed (run .ci/setup)"
[[ -d tests/peers/sipjs/browser/node_modules/puppeteer-core ]] ||
  e2e_abort "tests/peers/sipjs/browser/node_modules is missing (run .ci/setup)"

kam_dir="$TMP/kamailio"
agent_pid=
stop_all() {
  [[ -n $agent_pid ]] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
  sh "$ROOT/tests/peers/kamailio/kamailio.sh" stop "$kam_dir" >/dev/null 2>&1 || true
}
trap 'stop_all; rm -rf "$TMP"' EXIT

# start_edge [KAMAILIO-ARGS...]: Kamailio's WebSocket edge on a free port
start_edge() {
  sh "$ROOT/tests/peers/kamailio/kamailio.sh" stop "$kam_dir" >/dev/null 2>&1 || true
  kam_port=$(free_port) || e2e_abort "no free port"
  if ! sh "$ROOT/tests/peers/kamailio/kamailio.sh" start "$kam_dir" "$kam_port" --ws "$@" \
    >"$TMP/kam.start" 2>&1; then
    show "$TMP/kam.start" "kamailio.sh start"
    e2e_abort "kamailio (WebSocket edge) did not start"
  fi
}

# start_agent [AGENT-ARGS...]: the browser agent registering at the edge
start_agent() {
  [[ -n $agent_pid ]] && { kill "$agent_pid" 2>/dev/null; wait "$agent_pid" 2>/dev/null || true; }
  start_browser_agent --edge "ws://127.0.0.1:$kam_port" "$@"
}

# edge_run NAME ARGS...: siptap through the edge to the agent's SIP.js
edge_run() {
  local name=$1
  shift
  siptap_run "$TMP/$name.tap" "$TMP/$name.err" run --agent "$addr" \
    --proxy "sip:127.0.0.1:$kam_port" --jobs 4 --timeout 60 \
    --report-dir "$TMP/r-$name" "$@"
}

# --- healthy edge, the page reporting its WebSocket ---------------------
start_edge
start_agent
edge_run healthy --todo tests/peers/sipjs/todo-browser.txt \
  scenarios/options/status-code.lua
want=$("$SIPTAP" list scenarios/options/status-code.lua | wc -l)
if [[ $rc -eq 0 ]]; then
  pass "SIP.js in Chromium through Kamailio's WebSocket edge: exit 0, deviations known ($(tail -n 1 "$TMP/healthy.err"))"
else
  fail "through the edge: exit $rc"
  grep -E '^ *not ok|^ +message:' "$TMP/healthy.tap" | grep -v '# TODO' | head -20 | sed 's/^/  /'
  show "$TMP/healthy.err" stderr
fi
tap_check --version 14 --expect-count "$want" "$TMP/healthy.tap" >"$TMP/check" &&
  pass "strict TAP 14, all $want tests ($(tail -n 1 "$TMP/check"))" ||
  { fail "tap-check:"; sed 's/^/  /' "$TMP/check"; }
grep -qE "^# UAC over UDP, through the proxy sip:127\.0\.0\.1:$kam_port, the UAS played by the agent at $addr\$" \
  "$TMP/healthy.tap" && pass "the TAP names the edge and the agent" ||
  fail "no 'through the proxy ... agent' line in the TAP"
if grep -q 'the agent set up the remote UAS' "$TMP/healthy.tap"; then
  fail "a test could not register its SIP.js at the edge"
  grep -A3 'the agent set up the remote UAS' "$TMP/healthy.tap" | head -8 | sed 's/^/  /'
else
  pass "every test registered a UserAgent of its own at the edge and was called there"
fi
# the proxy rules need the UAS's side: the page's report gives it
for rule in PX-FWD-1 PX-HDR-1 PX-100-1 PX-RR-1 PX-REQ-1; do
  n=$(grep -cE "^    ok [0-9]+ - $rule " "$TMP/healthy.tap" || true)
  [[ $n -gt 0 ]] && pass "$rule checked and passed in $n tests (the UAS's side as the page reported it)" ||
    fail "no passing $rule point through the edge"
done
if grep -rqsE "uas sent WS \(the agent's report\) 1[0-9][0-9] " "$TMP/r-healthy/wire"; then
  pass "wire logs show the UAS's responses as the agent's report, over WS"
else
  fail "no '(the agent's report)' message in the wire logs"
  ls "$TMP/r-healthy/wire" 2>&1 | head -3 | sed 's/^/  /'
fi
# SIP.js's own 100 has no Timestamp: blamed on SIP.js (its report shows
# it), not on the edge, whose 100 the UAC got
block=$(tap_block "statusCode 100: 100 Trying, no To tag, Timestamp copied [P-100-1]" "$TMP/healthy.tap")
if grep -q "message: \"Timestamp is nil" <<<"$block" && ! grep -q "the proxy or the UAS did it" <<<"$block"; then
  pass "P-100-1 blames SIP.js's own 100 (seen in the page's report), not the edge"
else
  fail "P-100-1 in the statusCode 100 test:"
  grep -E 'P-100-1|message' <<<"$block" | head -6 | sed 's/^/  /'
fi

# --- an edge that rewrites the browser's Contact --------------------------
start_edge -A BREAK_CONTACT_ALIAS
start_agent
edge_run alias --filter "statusCode 18" scenarios/options/status-code.lua
if grep -qE "^    not ok [0-9]+ - PX-HDR-1 " "$TMP/alias.tap" &&
  grep -q "'Contact: <sip:sipjs[^']*;alias=127.0.0.1~" "$TMP/alias.tap"; then
  pass "the edge's Contact rewrite (;alias=) fails PX-HDR-1, naming the header"
else
  fail "BREAK_CONTACT_ALIAS not caught by PX-HDR-1"
  grep -E 'PX-HDR-1' "$TMP/alias.tap" | head -3 | sed 's/^/  /'
fi
bad=$({ grep -oE "^    not ok [0-9]+ - [PRS]-[A-Z0-9]+-[0-9]+" "$TMP/alias.tap" || true; } |
  awk '{print $5}' | sort -u | tr '\n' ' ')
[[ -z $bad ]] && pass "no rule of the UAS's fails for the edge's rewrite" ||
  fail "UAS rules failed for the edge's doing: $bad"

# --- no report of the UAS's side: both are suspects ---------------------
start_edge
start_agent --no-wire
edge_run nowire --filter "statusCode 100" scenarios/options/status-code.lua
block=$(tap_block "statusCode 100: 100 Trying, no To tag, Timestamp copied [P-100-1]" "$TMP/nowire.tap")
if grep -qE "^    not ok [0-9]+ - P-100-1 " <<<"$block" &&
  grep -q "the proxy or the UAS did it" <<<"$block"; then
  pass "without the page's report, a violation seen after the edge names the proxy and the UAS"
else
  fail "P-100-1 without the report:"
  grep -E 'P-100-1|message' <<<"$block" | head -6 | sed 's/^/  /'
fi

# --- bad input ------------------------------------------------------------
rc=0
"$SIPTAP" run --agent "$addr" --proxy "sip:127.0.0.1:$kam_port" \
  --uas-listen 127.0.0.1:5999 scenarios/options >"$TMP/usage.out" 2>"$TMP/usage.err" || rc=$?
if [[ $rc -eq 2 && $(head -n 1 "$TMP/usage.err") == *"--agent: --uas-listen"* ]]; then
  pass "--agent with --uas-listen: exit 2, one line naming the option"
else
  fail "--agent --uas-listen: exit $rc"; show "$TMP/usage.err" stderr
fi

stop_all
agent_pid=
grep -q 'figures:' "$TMP/agent.log" && pass "the agent stopped by pid and printed its figures" ||
  fail "no figures from the agent"
e2e_finish
