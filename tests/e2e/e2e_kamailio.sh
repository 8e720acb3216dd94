#!/usr/bin/env bash
# The progress suite through a real SIP server: Kamailio 5.6 (tests/peers/
# kamailio, 4 UDP workers) started here on 127.0.0.1, siptap's UAC
# sending through it (--proxy) to the reference UAS on a fixed port
# (--uas-listen), over UDP and over TCP. The proxy rules (PX-*) run on
# every test; Kamailio's known deviations (tests/peers/kamailio/
# findings.txt) are TODO points with the finding, never passes. A 180
# and a 486 sent back to back (the proxy may drop the 180, RFC 3261 16.7
# step 5) pass 15 times in a row. Then Kamailio broken on purpose
# (-A BREAK_...): each PX rule must fail against the proxy that breaks
# it, and no rule of the UAS's (P-, R-, S-) may fail for what the proxy
# did. With topology hiding (-A TOPOH) the legs are matched by the From
# tag and the PX rules run; when even that is changed they are SKIP
# points that say why.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_kamailio "$@"
command -v kamailio >/dev/null || [[ -x /usr/sbin/kamailio ]] ||
  e2e_abort "kamailio not installed (run .ci/setup)"

kam_port=$(free_port) || e2e_abort "no free port"
uas_port=$((kam_port + 1))
run_dir="$TMP/kamailio"
mkdir -p "$run_dir"
stop_kamailio() { sh "$ROOT/tests/peers/kamailio/kamailio.sh" stop "$run_dir" >/dev/null 2>&1 || true; }
# on the way out, also the runs still going in the background and their
# Kamailios (each in a folder of $TMP)
stop_all() {
  local j d
  for j in $(jobs -p); do   # a run's subshell, its timeout, its siptap
    pkill -P "$(pgrep -P "$j" | head -n 1)" 2>/dev/null || true
    pkill -P "$j" 2>/dev/null || true
    kill "$j" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  for d in "$TMP"/*/; do
    [[ -e "$d/kamailio.pid" || -e "$d/kamailio.cfg" ]] &&
      sh "$ROOT/tests/peers/kamailio/kamailio.sh" stop "$d" >/dev/null 2>&1 || true
  done
}
trap 'stop_kamailio; stop_all; rm -rf "$TMP"' EXIT

if sh "$ROOT/tests/peers/kamailio/kamailio.sh" start "$run_dir" "$kam_port" >"$TMP/kam.start" 2>&1; then
  pass "kamailio started on 127.0.0.1:$kam_port (pid $(tail -n 1 "$TMP/kam.start"))"
else
  show "$TMP/kam.start" "kamailio.sh start"
  show "$run_dir/kamailio.log" kamailio.log
  e2e_abort "kamailio did not start"
fi

# taken_ports: the ports this script handed out (free_port picks at
# random and reserves nothing: runs started at once must not share one)
taken_ports=" $kam_port $uas_port "
# own_port: sets port to a free port (and the next, for a Kamailio's
# UAS) no run of this script was given (in this shell: not in $(...))
own_port() {
  local p
  for _ in $(seq 1 50); do
    p=$(free_port) || return 1
    [[ "$taken_ports" == *" $p "* || "$taken_ports" == *" $((p + 1)) "* ||
       "$taken_ports" == *" $((p - 1)) "* ]] && continue
    taken_ports+="$p $((p + 1)) "
    port=$p
    return 0
  done
  return 1
}

# The whole suite over UDP and over TCP, both at once through the same
# Kamailio (each run waits on its timers far more than it computes: one
# at a time took twice as long), each to a UAS on a port of its own
own_port || e2e_abort "no free port"
tcp_uas_port=$port
for tp in udp tcp; do
  proxy="sip:127.0.0.1:$kam_port" up=$uas_port
  [[ $tp == tcp ]] && proxy="$proxy;transport=tcp" up=$tcp_uas_port
  ( siptap_run "$TMP/$tp.tap" "$TMP/$tp.err" run --t1 50 \
      --proxy "$proxy" --uas-listen "127.0.0.1:$up" \
      --todo tests/peers/kamailio/findings.txt \
      --report-dir "$TMP/r-$tp" scenarios
    echo "$rc" >"$TMP/$tp.rc" ) &
done
wait
for tp in udp tcp; do
  proxy="sip:127.0.0.1:$kam_port"
  [[ $tp == tcp ]] && proxy="$proxy;transport=tcp"
  rc=$(cat "$TMP/$tp.rc" 2>/dev/null || echo 99)
  if [[ $rc -eq 0 ]]; then
    pass "$tp: the suite passes through Kamailio ($(tail -n 1 "$TMP/$tp.err"))"
  else
    fail "$tp: exit $rc through Kamailio"
    grep -E '^ *not ok|^ +message:' "$TMP/$tp.tap" | grep -v '# TODO' | head -20 | sed 's/^/  /'
    show "$run_dir/kamailio.log" kamailio.log
  fi
  if tap_check --version 14 "$TMP/$tp.tap" >"$TMP/$tp.check"; then
    pass "$tp: strict TAP ($(tail -n 1 "$TMP/$tp.check"))"
  else
    fail "$tp: tap-check:"; sed 's/^/  /' "$TMP/$tp.check"
  fi
  for rule in PX-FWD-1 PX-HDR-1 PX-100-1 PX-RR-1 PX-REL-1 PX-REQ-1 PX-REQ-2; do
    n=$(grep -cE "^    ok [0-9]+ - $rule " "$TMP/$tp.tap" || true)
    [[ $n -gt 0 ]] && pass "$tp: $rule checked and passed in $n tests" ||
      fail "$tp: no passing $rule point"
  done
  if grep -qE '^not ok .*# TODO Kamailio 5\.6' "$TMP/$tp.tap"; then
    pass "$tp: Kamailio's known deviation is a TODO with the finding"
  else
    fail "$tp: the known deviation did not show up as a TODO"
  fi
  grep -q "^# UAC over ${tp^^}, through the proxy $proxy\$" "$TMP/$tp.tap" &&
    pass "$tp: the TAP says which proxy and transport" ||
    fail "$tp: no '# UAC over ${tp^^}, through the proxy' line"
done

# 180 then 486 at once: with 4 workers Kamailio may handle the 486 first
# and drop the 180; that is no PX-FWD-1 violation
bad=0
for i in $(seq 1 15); do
  siptap_run "$TMP/486.tap" "$TMP/486.err" run --t1 50 \
    --proxy "sip:127.0.0.1:$kam_port" --uas-listen "127.0.0.1:$uas_port" \
    --report-dir "$TMP/r-486" --filter "reject with 486" scenarios/flows
  [[ $rc -eq 0 ]] || { bad=$((bad + 1)); grep -E '^ +message:' "$TMP/486.tap" | head -3; }
done
[[ $bad -eq 0 ]] && pass "180 then 486 at once: 15/15 runs pass through 4 workers" ||
  fail "180 then 486 at once: $bad of 15 runs failed"

# an INVITE a test left unanswered, retransmitted by the proxy into the
# next test: that test's UAS gets its own call (the stale one a 481)
# (in one run, and from one run into the next)
stale=tests/e2e/fixtures/proxy-stale.lua
for how in one two; do
  args=(run --t1 50 --proxy "sip:127.0.0.1:$kam_port"
    --uas-listen "127.0.0.1:$uas_port" --report-dir "$TMP/r-stale")
  if [[ $how == two ]]; then
    siptap_run "$TMP/stale0.tap" "$TMP/stale0.err" "${args[@]}" --filter "leaves its" $stale
    args+=(--filter "gets its own")
  fi
  siptap_run "$TMP/stale.tap" "$TMP/stale.err" "${args[@]}" $stale
  if [[ $rc -eq 0 ]]; then
    pass "$how run(s): an earlier test's INVITE retransmitted by the proxy is not taken for the next test's"
  else
    fail "$how run(s): stale INVITE: exit $rc"
    grep -E '^ *not ok|^ +message:' "$TMP/stale.tap" | head -6 | sed 's/^/  /'
  fi
done

stop_kamailio

# kam_run NAME DEFINES FILTER...: siptap through a Kamailio started with
# the defines (a+b: -A a -A b), the TAP in $TMP/NAME.tap, its exit
# status in $TMP/NAME.rc (99: Kamailio did not start). Runs in the
# background, up to three at once, each with its own Kamailio and ports:
# kam_result NAME waits for it and sets bdir and rc.
kam_run() {
  local name=$1 defines=$2 d args=() port
  shift 2
  for d in ${defines//+/ }; do args+=(-A "$d"); done
  own_port || e2e_abort "no free port"
  while (($(jobs -pr | wc -l) >= 3)); do wait -n || true; done
  (
    bdir="$TMP/$name"
    mkdir -p "$bdir"
    if ! sh "$ROOT/tests/peers/kamailio/kamailio.sh" start "$bdir" "$port" "${args[@]}" >"$bdir.start" 2>&1; then
      echo 99 >"$bdir.rc"; exit 0
    fi
    siptap_run "$bdir.tap" "$bdir.err" run --t1 50 --timeout 3 \
      --proxy "sip:127.0.0.1:$port" --uas-listen "127.0.0.1:$((port + 1))" \
      --report-dir "$bdir.r" "$@" scenarios/flows
    sh "$ROOT/tests/peers/kamailio/kamailio.sh" stop "$bdir" >/dev/null 2>&1 || true
    echo "$rc" >"$bdir.rc"
  ) &
}
kam_result() {
  bdir="$TMP/$1"
  while [[ ! -e "$bdir.rc" ]] && (($(jobs -pr | wc -l) > 0)); do wait -n || true; done
  rc=$(cat "$bdir.rc" 2>/dev/null || echo 99)
  if [[ $rc -eq 99 && ! -e "$bdir.tap" ]]; then
    fail "$1: kamailio did not start"; show "$bdir.start"; return 1
  fi
}
flows=(--filter "180 Ringing, unreliable" --filter "reliable 183 with SDP, PRACK")

# A proxy that breaks each rule: the rule must say not ok, and the UAS's
# own rules must not.
breaks=(BREAK_DROP_18X:PX-FWD-1 BREAK_DROP_180:PX-FWD-1
  BREAK_ADD_HEADER:PX-HDR-1 BREAK_SDP:PX-HDR-1 BREAK_NO_RECORD_ROUTE:PX-RR-1
  BREAK_NO_100REL:PX-REL-1 BREAK_NO_RSEQ:PX-REL-1 BREAK_NO_100:PX-100-1
  BREAK_STRIP_REQUIRE:PX-REQ-1 BREAK_NO_RACK:PX-REQ-2
  TOPOH+BREAK_SDP:PX-HDR-1 TOPOH+BREAK_STRIP_REQUIRE:PX-REQ-1)
for b in "${breaks[@]}"; do
  define=${b%%:*}
  kam_run "$define" "$define" "${flows[@]}"
done
kam_run topoh TOPOH "${flows[@]}" --filter "reject with 486"
kam_run topoh-from TOPOH+BREAK_FROM_TAG "${flows[@]}"
for b in "${breaks[@]}"; do
  define=${b%%:*} rule=${b##*:}
  kam_result "$define" || continue
  if grep -qE "^    not ok [0-9]+ - $rule " "$bdir.tap"; then
    pass "$define: $rule fails against a proxy that breaks it"
  else
    fail "$define: $rule did not fail (exit $rc)"
    grep -E '^ *not ok' "$bdir.tap" | head -5 | sed 's/^/  /'
  fi
  if grep -E "^    not ok [0-9]+ - [PRS]-[A-Z0-9]+-[0-9]+ " "$bdir.tap" >"$bdir.blamed"; then
    fail "$define: the UAS is blamed for what the proxy did:"
    sed 's/^/  /' "$bdir.blamed"
  else
    pass "$define: no rule of the UAS's fails"
  fi
done

# Topology hiding: Call-ID, Via, Contact, Record-Route masked; the legs
# are matched by the From tag and every rule passes
kam_result topoh
if [[ $rc -eq 0 ]] && grep -qE '^    ok [0-9]+ - PX-HDR-1 .*\([1-9][0-9]* checked\)$' "$bdir.tap"; then
  pass "topoh: the legs are matched, the PX rules run and pass"
else
  fail "topoh: exit $rc, or no PX-HDR-1 checked"
  grep -E '^ *not ok|^ +message:' "$bdir.tap" | head -6 | sed 's/^/  /'
fi

# ... and with the From tag changed too nothing marks the call: the PX
# rules are SKIP points with the reason, none passes or fails
kam_result topoh-from
n=$(grep -cE '^    ok [0-9]+ - PX-[A-Z0-9]+-[0-9]+ .*# SKIP the two legs could not be matched' "$bdir.tap" || true)
if [[ $n -ge 14 ]] && ! grep -qE '^    (not )?ok [0-9]+ - PX-[^#]*$' "$bdir.tap"; then
  pass "topoh, From tag changed: the PX rules are $n SKIP points with the reason"
else
  fail "topoh, From tag changed: $n PX SKIP points"
  grep -E 'PX-' "$bdir.tap" | head -4 | sed 's/^/  /'
fi

# every Kamailio this script started is gone, its workers too (a main
# process that died first used to leave them holding their ports)
stop_kamailio
left=$(pgrep -f -- "-Y $TMP/" || true)
[[ -z "$left" ]] && pass "no Kamailio process of this test is left" ||
  fail "Kamailio processes left running: $left"

e2e_finish
