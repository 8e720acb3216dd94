#!/usr/bin/env bash
# SIPp (Debian sip-tester) in both directions, on 127.0.0.1:
# - SIPp as the UAS (tests/peers/sipp/uas-*.xml): siptap's UAC calls it
#   (--target) and checks SIPp's bytes with the same rules;
# - SIPp as the UAC (uac-100rel.xml) against siptap's reference UAS
#   (--uas-listen): SIPp's own regex checks verify Require: 100rel and
#   RSeq, and that its PRACK was matched; with a --uas-fault that drops
#   Require: 100rel, SIPp's check must fail.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_sipp "$@"
command -v sipp >/dev/null || e2e_abort "sipp not installed (run .ci/setup)"
peers="$ROOT/tests/peers/sipp"

sipp_pids=()
cleanup() {
  for p in "${sipp_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

# SIPp UAS, siptap UAC
for s in uas-180 uas-183-sdp uas-183-reliable; do
  port=$(free_port) || e2e_abort "no free port"
  # -ci/-cp: SIPp's control socket on loopback too (its default is
  # 0.0.0.0:8888, where a stray datagram can stop it)
  sipp -sf "$peers/$s.xml" -i 127.0.0.1 -p "$port" -m 1 -timeout 20s \
    -ci 127.0.0.1 -cp "$(free_port)" -nostdin \
    -timeout_error -trace_err -error_file "$TMP/$s.sipp.err" \
    >"$TMP/$s.sipp.out" 2>&1 </dev/null &
  sipp_pid=$!
  sipp_pids+=("$sipp_pid")
  for _ in $(seq 1 50); do
    ss -Hlnu "sport = :$port" | grep -q . && break
    sleep 0.1
  done
  siptap_run "$TMP/$s.tap" "$TMP/$s.err" run --target "127.0.0.1:$port" \
    --report-dir "$TMP/r" "tests/peers/sipp/scenarios/$s.lua"
  sipp_rc=0
  wait "$sipp_pid" || sipp_rc=$?
  # SIPp exits 0 when stopped from outside: count its successful call
  if [[ $rc -eq 0 && $sipp_rc -eq 0 ]] &&
    grep -qE 'Successful call +\| +[0-9]+ +\| +1 ' "$TMP/$s.sipp.out"; then
    pass "$s: siptap passes SIPp's UAS, SIPp completes its call"
  else
    fail "$s: siptap exit $rc, sipp exit $sipp_rc"
    grep -E '^ *not ok' "$TMP/$s.tap" | head -10 | sed 's/^/  /'
    show "$TMP/$s.sipp.out" sipp
  fi
  grep -qE '^    ok [0-9]+ - P-COPY-1 ' "$TMP/$s.tap" &&
    pass "$s: the rules ran on SIPp's bytes" || fail "$s: no P-COPY-1 point"
done

# SIPp UAC, siptap UAS: healthy, then with a fault SIPp must notice.
for fault in none no-require-header; do
  port=$(free_port) || e2e_abort "no free port"
  args=(run --uas-listen "127.0.0.1:$port" --report-dir "$TMP/r")
  [[ $fault != none ]] && args+=(--uas-fault "$fault")
  timeout 60 "$SIPTAP" "${args[@]}" tests/peers/sipp/scenarios/sipp-uac.lua \
    >"$TMP/uac-$fault.tap" 2>"$TMP/uac-$fault.err" </dev/null &
  siptap_pid=$!
  for _ in $(seq 1 50); do
    ss -Hlnu "sport = :$port" | grep -q . && break
    sleep 0.1
  done
  sipp_rc=0
  sipp "127.0.0.1:$port" -sf "$peers/uac-100rel.xml" -i 127.0.0.1 \
    -p "$(free_port)" -m 1 -timeout 15s -timeout_error -nostdin \
    -ci 127.0.0.1 -cp "$(free_port)" \
    >"$TMP/uac-$fault.sipp" 2>&1 </dev/null || sipp_rc=$?
  siptap_rc=0
  wait "$siptap_pid" || siptap_rc=$?
  if [[ $fault == none ]]; then
    if [[ $sipp_rc -eq 0 && $siptap_rc -eq 0 ]]; then
      pass "SIPp's UAC: its checks pass on the reference UAS, and siptap's too"
    else
      fail "SIPp's UAC against the reference UAS: sipp $sipp_rc, siptap $siptap_rc"
      show "$TMP/uac-$fault.sipp" sipp
      show "$TMP/uac-$fault.tap" siptap
    fi
  elif [[ $sipp_rc -ne 0 ]]; then
    pass "SIPp's regex check fails when the UAS drops Require: 100rel (exit $sipp_rc)"
  else
    fail "SIPp did not notice --uas-fault $fault"
  fi
done

e2e_finish
