#!/usr/bin/env bash
# WebRTC SDP (S-RTC-1, S-RTC-2): scenarios/webrtc passes against the
# reference UAS; each rtc-* fault of the UAS fails it under the fault's
# rule; every test of fixtures/webrtc/broken.lua sends a hand-made answer
# with one deviation and names in "[expect ...]" the rules that must
# fail, no other rule (nor any other point) may. The findings name the
# value seen.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_webrtc "$@"

# --- the scenarios, healthy --------------------------------------------
siptap_run "$TMP/healthy.tap" "$TMP/err" run --t1 50 --jobs 2 \
  --report-dir "$TMP/h" scenarios/webrtc
[[ $rc -eq 0 ]] && pass "scenarios/webrtc passes against the reference UAS" ||
  { fail "scenarios/webrtc: exit $rc"; grep -E '^ *not ok' "$TMP/healthy.tap" | head; }
n=$(grep -cE '^    ok [0-9]+ - S-RTC-[12] ' "$TMP/healthy.tap" || true)
[[ $n -ge 10 ]] && pass "S-RTC-1/2 judged $n times on the healthy UAS" ||
  fail "S-RTC-1/2 judged only $n times"
grep -q 'S-RTC-1 .*(2 checked)' "$TMP/healthy.tap" &&
  pass "S-RTC-1 judges each stream (audio and video)" ||
  fail "S-RTC-1 never judged two streams"

# --- each fault, caught under its rule and no S-* rule else -----------
for f in rtc-actpass-answer:S-RTC-1 rtc-no-fingerprint:S-RTC-1 \
         rtc-bundle-foreign-mid:S-RTC-2; do
  name=${f%%:*} rule=${f##*:}
  siptap_run "$TMP/$name.tap" "$TMP/$name.err" run --t1 50 --jobs 2 \
    --report-dir "$TMP/$name" --uas-fault "$name" scenarios/webrtc
  got=$(grep -E '^    not ok [0-9]+ - [A-Z]+-[A-Z0-9]+-[0-9]+ ' "$TMP/$name.tap" |
        sed -E 's/^    not ok [0-9]+ - ([^ ]+) .*/\1/' | sort -u | tr '\n' ' ')
  if [[ $rc -eq 1 && "$got" == "$rule " ]]; then
    pass "--uas-fault $name: caught under $rule alone"
  else
    fail "--uas-fault $name: exit $rc, failing rules '$got', wanted '$rule'"
  fi
done
grep -q 'a=setup:actpass in an answer (wanted active or passive, never actpass)' \
  "$TMP/rtc-actpass-answer.tap" && pass "actpass is named as seen" ||
  fail "no finding naming a=setup:actpass"
grep -q 'names mid siptap-x, which the offer' "$TMP/rtc-bundle-foreign-mid.tap" &&
  pass "the foreign mid is named" || fail "no finding naming mid siptap-x"

# --- hand-made answers --------------------------------------------------
siptap_run "$TMP/out.tap" "$TMP/err" run --t1 50 --jobs 2 \
  --report-dir "$TMP/r" tests/e2e/fixtures/webrtc
[[ $rc -eq 1 ]] && pass "the broken answers make the run fail (exit 1)" ||
  { fail "exit $rc, wanted 1"; show "$TMP/err" stderr; }

expect_verdicts "$TMP/out.tap" 20

grep -q 'a=ice-pwd:ZYXWVUTS is not 22..256 ice-chars' "$TMP/out.tap" &&
  pass "a short ice-pwd is named with its value" || fail "no finding naming the ice-pwd"
grep -q 'has 20 bytes, a sha-256 digest has 32' "$TMP/out.tap" &&
  pass "a short fingerprint is named with its length" ||
  fail "no finding naming the fingerprint's length"
grep -q 'a=mid:video where the offer.s m= line 2 has a=mid:1' "$TMP/out.tap" &&
  pass "a renamed mid is named with both mids" || fail "no finding naming the mids"
grep -q 'found: "a=setup:actpass' "$TMP/out.tap" &&
  pass "findings carry the observed value" || fail "no observed value in the findings"

e2e_finish
