#!/usr/bin/env bash
# sessionDescriptionHandlerOptions and Modifiers with SIP.js's meaning
# (scenarios/options/sdh-sipjs.lua): against the healthy reference UAS
# each option's effect is on the wire (hold's directions, constraints'
# m= lines, modifiers over the remote offer); with the faults that
# ignore them (sipjs-options-ignored: hold and constraints;
# modifiers-ignored: everything) S-MOD-1 says not ok on exactly the tests
# whose wire depends on them, and names what it saw; the others pass.
# The TAP is strict TAP 14 and junit.xml valid in each run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_sdh "$@"

scn=scenarios/options/sdh-sipjs.lua
want=$("$SIPTAP" list "$scn" | wc -l)

# strict TAP and valid reports of one run: FILE REPORT-DIR LABEL
reports_ok() {
  if tap_check --version 14 --expect-count "$want" "$1" >"$TMP/check"; then
    pass "$3: strict TAP 14, $want tests"
  else
    fail "$3: tap-check:"
    sed 's/^/  /' "$TMP/check"
  fi
  if xmllint --noout "$2/junit.xml" 2>/dev/null; then
    pass "$3: junit.xml valid"
  else
    fail "$3: junit.xml missing or invalid"
  fi
}

# --- healthy: every option does what SIP.js means ------------------------
siptap_run "$TMP/ok.tap" "$TMP/ok.err" run --t1 50 --report-dir "$TMP/r0" "$scn"
[[ $rc -eq 0 ]] && pass "healthy UAS: exit 0" ||
  { fail "healthy UAS: exit $rc"; grep '^not ok' "$TMP/ok.tap" | head; }
reports_ok "$TMP/ok.tap" "$TMP/r0" "healthy"

# point TEST DESCRIPTION: an ok sub-point of TEST (what the wire showed)
point() {
  if tap_block "$1" "$TMP/ok.tap" | grep -qE -- "^    ok [0-9]+ - $2\$"; then
    pass "on the wire: $1: $2"
  else
    fail "on the wire: $1: no ok point '$2'"
    tap_block "$1" "$TMP/ok.tap" | sed 's/^/  | /' | head -30
  fi
}
point "hold = true on an answer to sendrecv: sendonly [S-MOD-1 S-OA-2]" \
  "held: we send, not receive"
point "hold = true on an answer to sendonly: inactive [S-MOD-1 S-OA-2]" \
  "held and offered sendonly"
point "constraints audio only against audio+video: video port 0 [S-MOD-1 S-OA-1]" \
  "video declined, its m= line kept"
point "constraints in an offer (offerless INVITE): audio+video [S-MOD-1 S-OFF-1]" \
  "the offer holds what the constraints ask"
point "modifiers get (sdp, type): the remote offer, then the local answer" \
  "offer first \(the INVITE's\), then our answer"
point "stripping video from the remote offer: the answer still has its m= line [S-OA-1]" \
  "video rejected with port 0, as many m= lines as on the wire"
point "hold = true on an answer to sendrecv: sendonly [S-MOD-1 S-OA-2]" \
  "S-MOD-1 the SDP on the wire has the options and modifiers applied \(1 checked\)"

# --- faults: S-MOD-1 catches a UAS that ignores them ---------------------
# caught FAULT-TAP TEST MESSAGE-REGEX: TEST is not ok, and its S-MOD-1
# point fails with a message matching
caught() {
  local b msg
  b=$(tap_block "$2" "$1")
  msg=$(awk '/^    not ok [0-9]+ - S-MOD-1 /{on=1; next}
             on && /^      message: /{print; exit}' <<<"$b")
  if [[ "$(tail -n 1 <<<"$b")" != "not ok "*" - $2" ]]; then
    fail "$2: passes under the fault"
  elif ! grep -Eq -- "$3" <<<"$msg"; then
    fail "$2: S-MOD-1 message '$msg' does not match /$3/"
    sed 's/^/  | /' <<<"$b" | grep -E 'not ok|message' | head
  else
    pass "caught: $2: ${msg#*message: }"
  fi
}

for fault in sipjs-options-ignored modifiers-ignored; do
  out="$TMP/$fault.tap"
  siptap_run "$out" "$TMP/$fault.err" run --t1 50 --uas-fault "$fault" \
    --report-dir "$TMP/r-$fault" "$scn"
  [[ $rc -eq 1 ]] && pass "$fault: exit 1" || fail "$fault: exit $rc, wanted 1"
  reports_ok "$out" "$TMP/r-$fault" "$fault"
  caught "$out" "hold = true on an answer to sendrecv: sendonly [S-MOD-1 S-OA-2]" \
    'hold: m= line 1 \(audio\) is sendrecv on hold'
  caught "$out" "hold = true on an offer (offerless INVITE): sendonly [S-MOD-1 S-OFF-1]" \
    'hold: m= line 1 \(audio\) is sendrecv on hold'
  caught "$out" "constraints audio and video against audio+video: both [S-MOD-1 S-OA-1]" \
    'constraints: .*video'
  caught "$out" "constraints in an offer (offerless INVITE): audio+video [S-MOD-1 S-OFF-1]" \
    'constraints: the offer has no video stream'
  caught "$out" "constraints video only (track constraints) against audio+video [S-MOD-1]" \
    'constraints: m= line 1: audio with port 49170'
  # a test whose wire the fault does not change still passes
  if tap_block "stripping video from the remote offer: the answer still has its m= line [S-OA-1]" "$out" |
     tail -n 1 | grep -q '^ok '; then
    pass "$fault: a test the fault does not touch still passes"
  else
    fail "$fault: the S-OA-1 test with no hold or constraints failed"
  fi
done

e2e_finish
