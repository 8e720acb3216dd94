#!/usr/bin/env bash
# Every mode on ::1 (issue #16, docs/network.md "IPv6"): the reference
# UAC and UAS over UDP, TCP, TLS (--ip ::1) and WebSocket (--ws-listen
# [::1]:P); a fixed --uas-listen [::1]:P alone puts the run on ::1;
# through Kamailio listening on [::1] (--proxy 'sip:[::1]:P', UDP and
# TCP, a stray INVITE of an earlier test turned away there too); a SIPp
# UAS on ::1 (--target '[::1]:P'); the SIP.js agent on ::1 (--agent
# '[::1]:P'); pcaps whose IPv6 headers tshark
# decodes (and an IPv4 capture that the same check refuses); mixed
# families and a non-loopback --ip are one-line usage errors.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_ipv6 "$@"
for c in openssl tshark sipp; do
  command -v $c >/dev/null || e2e_abort "$c not installed (run .ci/setup)"
done
command -v kamailio >/dev/null || [[ -x /usr/sbin/kamailio ]] ||
  e2e_abort "kamailio not installed (run .ci/setup)"
ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/' ||
  e2e_abort "no ::1 on lo (IPv6 disabled in this container?)"

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=::1" \
  -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1 ||
  e2e_abort "openssl could not make a certificate"
cat "$TMP/key.pem" "$TMP/cert.pem" >"$TMP/siptap.pem"
sipp_pids=()
cleanup() {
  for p in "${sipp_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  kamailio_down
  rm -rf "$TMP"
}
trap cleanup EXIT
flows=scenarios/flows
# one test at a time (--uas-listen): a few flows, for the time budget
few="scenarios/flows/180-unreliable.lua scenarios/flows/reliable-183.lua scenarios/flows/cancel.lua"

# ipv6_pcap DIR: every frame of the captures in DIR is IPv6 between ::1
# and ::1, none malformed, and SIP frames among them; prints their count.
# One tshark over the merged captures (a tshark a file is slow).
ipv6_pcap() {
  local all="$1/all.pcapng"
  rm -f "$all"
  compgen -G "$1/*.pcap" >/dev/null || { echo 0; return 1; }
  mergecap -w "$all" "$1"/*.pcap 2>/dev/null || { echo 0; return 1; }
  tshark -r "$all" -T fields -e frame.protocols -e ipv6.src \
    -e ipv6.dst 2>/dev/null | awk -F'\t' '
    { n++ }
    $2 == "::1" && $3 == "::1" && $1 ~ /:ipv6:/ && $1 !~ /:ip:/ { v6++ }
    $1 ~ /:sip/ { sip++ }
    $1 ~ /_ws.malformed|malformed/ { bad++ }
    END { print sip + 0; exit !(n > 0 && v6 == n && sip > 0 && bad == 0) }'
}

# the reference UAC and UAS on ::1: UDP, TCP, TLS, WebSocket
for tp in udp tcp tls ws; do
  args=(run --t1 50 --transport "$tp" --report-dir "$TMP/r-$tp" --pcap)
  [[ $tp == tls ]] && args+=(--tls-cert "$TMP/siptap.pem")
  if [[ $tp == ws ]]; then
    args+=(--ws-listen "[::1]:$(free_port)")
  else
    args+=(--ip ::1)
  fi
  siptap_run "$TMP/$tp.tap" "$TMP/$tp.err" "${args[@]}" $flows
  if [[ $rc -eq 0 ]]; then
    pass "$tp on ::1: $(tail -n 1 "$TMP/$tp.err")"
  else
    fail "$tp on ::1: exit $rc"; grep -E '^ *not ok|^ +message:' "$TMP/$tp.tap" | head -6 | sed 's/^/  /'
  fi
  if n=$(ipv6_pcap "$TMP/r-$tp/pcap"); then
    pass "$tp on ::1: tshark decodes $n SIP messages between ::1 and ::1, no IPv4, nothing malformed"
  else
    fail "$tp on ::1: the captures are not all SIP over IPv6 ($n SIP frames)"
  fi
done
# the check can fail: an IPv4 run's captures
siptap_run "$TMP/v4.tap" "$TMP/v4.err" run --t1 50 --report-dir "$TMP/r-v4" --pcap \
  --filter "180 Ringing" $flows
if ! n=$(ipv6_pcap "$TMP/r-v4/pcap") && [[ $rc -eq 0 ]]; then
  pass "an IPv4 run's captures ($n SIP frames) fail the IPv6 check"
else
  fail "the IPv6 check passed an IPv4 run (exit $rc)"
fi

# a fixed --uas-listen on [::1] alone: the run is on ::1
port=$(free_port)
siptap_run "$TMP/ul.tap" "$TMP/ul.err" run --t1 50 --uas-listen "[::1]:$port" \
  --report-dir "$TMP/r-ul" --pcap $few
if [[ $rc -eq 0 ]] && n=$(ipv6_pcap "$TMP/r-ul/pcap"); then
  pass "--uas-listen [::1]:$port: the run on ::1 ($n SIP messages)"
else
  fail "--uas-listen [::1]:$port: exit $rc"; grep -E '^ *not ok|^ +message:' "$TMP/ul.tap" | head -4
fi

# Kamailio on [::1] (kamailio.sh --ipv6), UDP and TCP
kam_port=$(free_port) || e2e_abort "no free port"
uas_port=$((kam_port + 1))
if kamailio_up "$kam_port" --ipv6; then
  for tp in udp tcp; do
    siptap_run "$TMP/k-$tp.tap" "$TMP/k-$tp.err" run --t1 50 \
      --proxy "sip:[::1]:$kam_port;transport=$tp" --uas-listen "[::1]:$uas_port" \
      --todo tests/peers/kamailio/findings.txt --report-dir "$TMP/r-k$tp" --pcap $few
    if [[ $rc -eq 0 ]] && n=$(ipv6_pcap "$TMP/r-k$tp/pcap") &&
       grep -qE "^    ok [0-9]+ - PX-FWD-1 " "$TMP/k-$tp.tap"; then
      pass "$tp through Kamailio on [::1]:$kam_port: $(tail -n 1 "$TMP/k-$tp.err"), PX rules checked, $n SIP messages on ::1"
    else
      fail "$tp through Kamailio on [::1]: exit $rc"
      grep -E '^ *not ok|^ +message:' "$TMP/k-$tp.tap" | grep -v TODO | head -6 | sed 's/^/  /'
    fi
  done
  siptap_run "$TMP/k-stray.tap" "$TMP/k-stray.err" run --t1 50 \
    --proxy "sip:[::1]:$kam_port" --uas-listen "[::1]:$uas_port" \
    --report-dir "$TMP/r-ks" tests/e2e/fixtures/isolation/stray.lua
  [[ $rc -eq 0 ]] && grep -qE '^    # a stray INVITE .*sip:siptap\.t[0-9a-f]{8}@\[::1\]:' "$TMP/k-stray.tap" &&
    pass "through Kamailio on [::1]: an earlier test's INVITE answered 481, not taken" ||
    { fail "stray INVITE on [::1]: exit $rc"; grep -E '^ *not ok|^ +message:|# a stray' "$TMP/k-stray.tap" | head -6; }
  kamailio_down
else
  fail "kamailio did not start on [::1]:$kam_port"
fi

# a SIPp UAS on ::1 (--target); SIPp's control socket is IPv4 only
for s in uas-180 uas-183-reliable; do
  port=$(free_port) || e2e_abort "no free port"
  sipp -sf "tests/peers/sipp/$s.xml" -i ::1 -p "$port" -m 1 -timeout 20s \
    -ci 127.0.0.1 -cp "$(free_port)" -nostdin -timeout_error \
    >"$TMP/$s.sipp" 2>&1 </dev/null &
  sipp_pid=$!
  sipp_pids+=("$sipp_pid")
  for _ in $(seq 1 50); do
    ss -Hlnu "sport = :$port" | grep -qF "[::1]:$port" && break
    sleep 0.1
  done
  siptap_run "$TMP/$s.tap" "$TMP/$s.err" run --target "[::1]:$port" \
    --report-dir "$TMP/r-$s" --pcap "tests/peers/sipp/scenarios/$s.lua"
  sipp_rc=0
  wait "$sipp_pid" || sipp_rc=$?
  if [[ $rc -eq 0 && $sipp_rc -eq 0 ]] && n=$(ipv6_pcap "$TMP/r-$s/pcap") &&
     grep -qE 'Successful call +\| +[0-9]+ +\| +1 ' "$TMP/$s.sipp"; then
    pass "--target [::1]:$port: siptap passes SIPp's $s on ::1 ($n SIP messages)"
  else
    fail "--target [::1]: $s: siptap exit $rc, sipp exit $sipp_rc"
    grep -E '^ *not ok|^ +message:' "$TMP/$s.tap" | head -6 | sed 's/^/  /'
  fi
done

# the SIP.js agent on ::1 (--control '[::1]:0'): its UDP on ::1 too
agent_pid=
if command -v node >/dev/null; then
  node tests/peers/sipjs/agent.mjs --control '[::1]:0' >"$TMP/agent.out" 2>"$TMP/agent.err" &
  agent_pid=$!
  sipp_pids+=("$agent_pid")
  for _ in $(seq 1 100); do grep -q '^control ' "$TMP/agent.out" && break; sleep 0.1; done
  addr=$(awk '/^control /{print $2}' "$TMP/agent.out")
  siptap_run "$TMP/agent.tap" "$TMP/agent.err2" run --agent "$addr" \
    --todo tests/peers/sipjs/todo.txt --report-dir "$TMP/r-agent" --pcap $few
  if [[ $addr == "[::1]:"* && $rc -eq 0 ]] && n=$(ipv6_pcap "$TMP/r-agent/pcap"); then
    pass "--agent $addr: SIP.js on ::1 ($(tail -n 1 "$TMP/agent.err2"), $n SIP messages on ::1)"
  else
    fail "--agent '$addr': exit $rc"; grep -E '^ *not ok|^ +message:' "$TMP/agent.tap" | grep -v TODO | head -6
  fi
  kill "$agent_pid" 2>/dev/null || true
else
  fail "node not installed: no SIP.js agent on ::1"
fi

# one family a run; --ip is a loopback
for bad in "--proxy sip:127.0.0.1:5070 --uas-listen [::1]:5080|--uas-listen: an IPv6 address, and --proxy says IPv4" \
    "--ip ::1 --target 127.0.0.1:5080|--target: an IPv4 address, and --ip says IPv6" \
    "--ip 10.1.2.3|--ip: '10.1.2.3' is not 127.0.0.1 or ::1" \
    "--ip ::2|--ip: '::2' is not 127.0.0.1 or ::1"; do
  IFS='|' read -r opts want <<<"$bad"
  # shellcheck disable=SC2086
  siptap_run "$TMP/bad.tap" "$TMP/bad.err" run $opts $flows
  if [[ $rc -eq 2 && $(wc -l <"$TMP/bad.err") -eq 1 ]] && grep -qF -- "$want" "$TMP/bad.err"; then
    pass "$opts: one usage line"
  else
    fail "$opts: exit $rc"; cat "$TMP/bad.err"
  fi
done

e2e_finish
