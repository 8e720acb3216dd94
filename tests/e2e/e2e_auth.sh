#!/usr/bin/env bash
# Digest authentication through a real SIP server (docs/network.md):
# Kamailio 5.6 with its auth module challenging every initial INVITE
# (tests/peers/kamailio/kamailio.cfg, -A WITH_AUTH: a fixed password, no
# database). The suite passes through it with --auth; without
# credentials, or with a wrong password, a test fails at once with one
# point that shows the 407, no hang; -A AUTH_SHA256 makes Kamailio ask
# for SHA-256 digests, which siptap answers too.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_auth "$@"
command -v kamailio >/dev/null || [[ -x /usr/sbin/kamailio ]] ||
  e2e_abort "kamailio not installed (run .ci/setup)"

kam_port=$(free_port) || e2e_abort "no free port"
run_dir="$TMP/kamailio"
kam() { sh "$ROOT/tests/peers/kamailio/kamailio.sh" "$@"; }
stop_kamailio() { kam stop "$run_dir" >/dev/null 2>&1 || true; }
trap 'stop_kamailio; rm -rf "$TMP"' EXIT

start_kamailio() {
  mkdir -p "$run_dir"
  if kam start "$run_dir" "$kam_port" "$@" >"$TMP/kam.start" 2>&1; then
    pass "kamailio $* started on 127.0.0.1:$kam_port"
  else
    show "$TMP/kam.start" "kamailio.sh start"
    e2e_abort "kamailio did not start"
  fi
}

# Each test's UAS on a port of its own, which Kamailio finds in the
# Request-URI: four tests at once (a fixed --uas-listen takes one at a
# time; e2e_kamailio runs the suite that way).
through() {
  local name="$1"
  shift
  siptap_run "$TMP/$name.tap" "$TMP/$name.err" run --t1 50 --jobs 4 \
    --proxy "sip:127.0.0.1:$kam_port" \
    --todo tests/peers/kamailio/findings.txt --report-dir "$TMP/r-$name" "$@"
}

start_kamailio -A WITH_AUTH

through suite --auth alice:siptap-secret scenarios
if [[ $rc -eq 0 ]]; then
  pass "the suite passes through an authenticating Kamailio ($(tail -n 1 "$TMP/suite.err"))"
else
  fail "the suite through an authenticating Kamailio: exit $rc"
  grep -E '^ *not ok|^ +message:' "$TMP/suite.tap" | grep -v '# TODO' | head -20 | sed 's/^/  /'
fi

# without credentials, and with a wrong password: one failing point each,
# showing the 407, well within the wait (not a hang)
one=scenarios/flows/180-unreliable.lua
for case in none wrong; do
  args=()
  [[ $case == wrong ]] && args=(--auth alice:wrong)
  start_s=$SECONDS
  through "$case" "${args[@]}" --filter "180 Ringing" "$one"
  took=$((SECONDS - start_s))
  points=$(grep -c '^    not ok' "$TMP/$case.tap" || true)
  if [[ $rc -eq 1 && $points -eq 1 && $took -lt 20 ]] &&
     grep -q "got 407 Proxy Authentication Required" "$TMP/$case.tap"; then
    pass "credentials $case: one failing point showing the 407 (${took}s)"
  else
    fail "credentials $case: exit $rc, $points failing points, ${took}s"
    grep -E '^ *not ok|^ +message:' "$TMP/$case.tap" | head -8 | sed 's/^/  /'
  fi
done
n=$(grep -c 'Proxy-Authorization: Digest' "$TMP/r-wrong"/wire/*.log || true)
[[ $n -ge 1 ]] && pass "the wrong password was sent once, and shown in the wire log" ||
  fail "no Proxy-Authorization in the wire log of the wrong password"

# SHA-256 digests (RFC 7616)
stop_kamailio
start_kamailio -A WITH_AUTH -A AUTH_SHA256
through sha --auth alice:siptap-secret scenarios/flows/reliable-183.lua
if [[ $rc -eq 0 ]]; then
  pass "SHA-256 challenges are answered ($(tail -n 1 "$TMP/sha.err"))"
else
  fail "SHA-256: exit $rc"
  grep -E '^ *not ok|^ +message:' "$TMP/sha.tap" | head -8 | sed 's/^/  /'
fi
through shawrong --auth alice:wrong --filter "reliable 183 with SDP" \
  scenarios/flows/reliable-183.lua
grep -q 'algorithm=SHA-256' "$TMP/r-shawrong"/wire/*.log 2>/dev/null &&
  pass "the answer to Kamailio's SHA-256 challenge is a SHA-256 digest" ||
  fail "no algorithm=SHA-256 in the wire log"

e2e_finish
