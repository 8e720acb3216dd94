#!/usr/bin/env bash
# One test's traffic never reaches another (issue #16): through Kamailio
# (tests/peers/kamailio) with a fixed --uas-listen, each test's INVITE
# carries its UAC's token in the Request-URI (sip:siptap.tXXXXXXXX@). An
# INVITE the link keeps from the first test's UAS is retransmitted by
# Kamailio into the next test (a delayed INVITE of an earlier test): the
# UAS answers it 481, says so in a TAP comment, and hands the test only
# its own call. The same from one run into the next.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_isolation "$@"
command -v kamailio >/dev/null || [[ -x /usr/sbin/kamailio ]] ||
  e2e_abort "kamailio not installed (run .ci/setup)"

kam_port=$(free_port) || e2e_abort "no free port"
uas_port=$((kam_port + 1))
run_dir="$TMP/kamailio"
trap 'kamailio_down; rm -rf "$TMP"' EXIT
kamailio_up "$kam_port" || e2e_abort "kamailio did not start"

stray=tests/e2e/fixtures/isolation/stray.lua
args=(run --t1 50 --proxy "sip:127.0.0.1:$kam_port"
  --uas-listen "127.0.0.1:$uas_port" --report-dir "$TMP/r")
comment='^    # a stray INVITE of another test or run reached the UAS \(Request-URI sip:siptap\.t[0-9a-f]{8}@127\.0\.0\.1:'"$uas_port"', Call-ID [^)]+\): answered 481, not this test.s call$'

# one run: test 1's INVITE reaches test 2
siptap_run "$TMP/one.tap" "$TMP/one.err" "${args[@]}" "$stray"
if [[ $rc -eq 0 ]]; then
  pass "one run: the delayed INVITE of test 1 is not test 2's call ($(tail -n 1 "$TMP/one.err"))"
else
  fail "one run: exit $rc"; grep -E '^ *not ok|^ +message:' "$TMP/one.tap" | head -8 | sed 's/^/  /'
fi
# the comment is in test 2's subtest, not test 1's or 3's
sub=$(awk '/^# Subtest: /{s=$0} /^    # a stray INVITE/{print s}' "$TMP/one.tap" | sort -u)
[[ $sub == "# Subtest: the earlier test's INVITE is not this test's call" ]] &&
  grep -qE "$comment" "$TMP/one.tap" &&
  pass "one run: the stray INVITE is a TAP comment of the test it reached" ||
  { fail "one run: no (or a misplaced) stray comment: '$sub'"; grep -n '#' "$TMP/one.tap" | head -8; }
tap_check --version 14 "$TMP/one.tap" >"$TMP/one.check" &&
  pass "one run: strict TAP" || { fail "one run: tap-check"; cat "$TMP/one.check"; }
# every INVITE siptap's UAC sent names its own test's token
toks=$(grep -oE 'INVITE sip:siptap\.t[0-9a-f]{8}@' "$run_dir/kamailio.log" | sort -u | wc -l)
[[ $toks -eq 2 ]] && pass "one run: two tests, two Request-URI tokens at the proxy" ||
  { fail "one run: $toks distinct tokens at the proxy (want 2)"; grep 'INVITE sip' "$run_dir/kamailio.log" | head; }

# two runs: the first run's INVITE reaches the second run's test
siptap_run "$TMP/r1.tap" "$TMP/r1.err" "${args[@]}" --filter "is lost" "$stray"
siptap_run "$TMP/r2.tap" "$TMP/r2.err" "${args[@]}" --filter "not this test" "$stray"
if [[ $rc -eq 0 ]] && grep -qE "$comment" "$TMP/r2.tap"; then
  pass "two runs: the earlier run's INVITE is answered 481, not taken"
else
  fail "two runs: exit $rc"; grep -E '^ *not ok|^ +message:|# a stray' "$TMP/r2.tap" | head -8 | sed 's/^/  /'
fi

e2e_finish
