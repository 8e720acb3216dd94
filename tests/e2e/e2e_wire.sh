#!/usr/bin/env bash
# The raw wire and P-WIRE-1: a response libre cannot decode (the reference
# UAS with --uas-fault bad-header-line: a header line without a colon),
# over UDP and over TCP, is on t:wire() (m.undecodable, m.reason), in the
# wire log, in the pcap (read by tshark when installed) and in findings.md,
# fails P-WIRE-1, and the UAC's wait says why it came to nothing; libre
# prints nothing on stderr. The same calls without the fault pass P-WIRE-1.
# A "nothing sent" check counts an undecodable message. scenarios/wire/
# (a hostile peer's broken responses, the checker on good and broken
# input) passes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_wire "$@"

# expect FILE REGEX WHAT: a line of FILE matches.
expect() {
  if grep -Eaq -- "$2" "$1"; then
    pass "$3"
  else
    fail "$3: no line matches /$2/"
    show "$1"
  fi
}

# quiet ERR WHAT: libre said nothing on stderr.
quiet() {
  if grep -Eq 'msg decode err|^fd [0-9]+ in use|^sip: ' "$1"; then
    fail "$2: libre wrote to stderr"
    show "$1" stderr
  else
    pass "$2: nothing of libre's on stderr"
  fi
}

cat >"$TMP/broken.lua" <<'EOF'
test("wire: a 180 the UAC cannot decode", function(t)
  local call = t:uac():invite{}
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 180 }
  t:raises(function() call:response(180, { timeout = 300 }) end,
           "could not decode %(P%-WIRE%-1%): header line %d+ has no colon",
           "WAIT-NAMES-IT")
  local bad
  for _, m in ipairs(t:wire()) do
    if m.role == "uac" and not m.sent and m.undecodable then bad = m end
  end
  t:ok(bad and bad.raw:find("Ringing tone follows", 1, true) and
       bad.reason:match("^header line %d+ has no colon"),
       "T-WIRE-HAS-IT")
  inv:reject{ statusCode = 486 }
  call:response(486)
end)
EOF

cat >"$TMP/good.lua" <<'EOF'
test("wire: a 180 and a 486", function(t)
  local call = t:uac():invite{}
  local inv = t:uas():incoming()
  inv:progress{ statusCode = 180 }
  call:response(180)
  inv:reject{ statusCode = 486 }
  call:response(486)
end)
EOF

for tp in udp tcp; do
  r="$TMP/r-$tp"
  siptap_run "$TMP/$tp.tap" "$TMP/$tp.err" run --t1 50 --transport "$tp" \
    --uas-fault bad-header-line --pcap --report-dir "$r" "$TMP/broken.lua"
  if [[ $rc -eq 1 ]] && tap_check --version 14 --expect-ok false \
    "$TMP/$tp.tap" >"$TMP/check"; then
    pass "$tp: the run fails, with strict TAP"
  else
    fail "$tp: exit $rc, wanted 1"
    show "$TMP/$tp.tap"
  fi
  expect "$TMP/$tp.tap" '^    not ok [0-9]+ - P-WIRE-1 .*' \
    "$tp: P-WIRE-1 fails"
  expect "$TMP/$tp.tap" 'message: ".*could not decode it: header line [0-9]+ has no colon: .Ringing tone follows' \
    "$tp: its message quotes the line"
  expect "$TMP/$tp.tap" '^    ok [0-9]+ - T-WIRE-HAS-IT' \
    "$tp: t:wire() has it, m.undecodable and m.reason"
  expect "$TMP/$tp.tap" '^    ok [0-9]+ - WAIT-NAMES-IT' \
    "$tp: the UAC's wait names the undecodable message"
  expect "$r/wire/001.log" \
    "uac recv ${tp^^} .*\\(undecodable, [0-9]+ bytes: header line [0-9]+ has no colon" \
    "$tp: the wire log has it"
  expect "$r/wire/001.log" '^    Ringing tone follows' \
    "$tp: the wire log has its bytes"
  expect "$r/findings.md" '^## P-WIRE-1' "$tp: findings.md has P-WIRE-1"
  expect "$r/findings.md" '^  Ringing tone follows' \
    "$tp: findings.md shows the message's bytes"
  quiet "$TMP/$tp.err" "$tp"

  pcap="$r/pcap/001.pcap"
  if command -v tshark >/dev/null; then
    n=$(tshark -r "$pcap" -Y 'frame contains "Ringing tone follows"' \
      2>"$TMP/tshark.err" | wc -l)
    if [[ $n -ge 1 ]]; then
      pass "$tp: tshark reads the pcap, the message is a packet"
    else
      fail "$tp: tshark finds no packet with the message"
      show "$TMP/tshark.err"
    fi
  elif grep -aq 'Ringing tone follows' "$pcap"; then
    pass "$tp: the pcap holds the message (no tshark)"
  else
    fail "$tp: the message is not in the pcap"
  fi

  siptap_run "$TMP/g$tp.tap" "$TMP/g$tp.err" run --t1 50 --transport "$tp" \
    --report-dir "$TMP/rg-$tp" "$TMP/good.lua"
  if [[ $rc -eq 0 ]]; then
    pass "$tp: without the fault the run passes"
  else
    fail "$tp: without the fault: exit $rc"
    show "$TMP/g$tp.tap"
  fi
  expect "$TMP/g$tp.tap" '^    ok [0-9]+ - P-WIRE-1 .*\([1-9][0-9]* checked\)' \
    "$tp: P-WIRE-1 passes a well-formed UAS"
done

# lf-line-ends: decodable, still not well-formed
siptap_run "$TMP/lf.tap" "$TMP/lf.err" run --t1 50 --uas-fault lf-line-ends \
  --report-dir "$TMP/r-lf" "$TMP/good.lua"
expect "$TMP/lf.tap" 'message: ".*line 1 ends with a bare LF' \
  "lf-line-ends: P-WIRE-1 names the bare LF"

# "nothing sent" reads the raw record: an invalid status code let through
# (accept-any-status) that goes out undecodable still counts as sent
siptap_run "$TMP/inv.tap" "$TMP/inv.err" run --t1 50 \
  --uas-fault accept-any-status --uas-fault bad-header-line \
  --filter 'statusCode 700' --report-dir "$TMP/r-inv" scenarios/invalid/options.lua
expect "$TMP/inv.tap" '^    not ok [0-9]+ - (P-RANGE-1: )?nothing on the wire from the UAS' \
  "an undecodable message counts as something sent"

# the hostile peer's broken responses, the checker on good and bad input
siptap_run "$TMP/sc.tap" "$TMP/sc.err" run --t1 50 --report-dir "$TMP/r-sc" \
  scenarios/wire/
if [[ $rc -eq 0 ]] && tap_check --version 14 "$TMP/sc.tap" >"$TMP/check"; then
  pass "scenarios/wire/ passes ($(tail -n 1 "$TMP/sc.err"))"
else
  fail "scenarios/wire/: exit $rc"
  grep -E '^ *not ok|message:' "$TMP/sc.tap" | head -20 | sed 's/^/  /'
fi
quiet "$TMP/sc.err" "scenarios/wire/"

e2e_finish
