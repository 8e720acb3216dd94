#!/usr/bin/env bash
# Sizes (fixtures/sizes/): bodies of 10 and 60 KB arrive whole over UDP,
# both ways, and 100 KB and 1 MB over TCP and TLS, and to and from a raw
# peer; a message over what a
# transport carries is a one-line error at the sender with file:line and
# nothing on the wire; a message over siptap's limit from a raw peer, and
# datagrams the kernel dropped at siptap's own socket, are harness errors
# that blame no rule; 1,000 provisionals in one go all reach the UAC, and
# so do 600 of 8 KB, more than the UAC's receive buffer holds.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_sizes "$@"

dir=tests/e2e/fixtures/sizes

# expect FILE REGEX WHAT: a line of FILE matches.
expect() {
  if grep -Eq -- "$2" "$1"; then
    pass "$3"
  else
    fail "$3: no line matches /$2/"
    show "$1"
  fi
}

# no_rule_blamed FILE WHAT: no failing point names a rule id.
no_rule_blamed() {
  if grep -E '^ *not ok' "$1" | grep -Eq '[A-Z]+-[A-Z0-9]+-[0-9]+' ||
    grep -Eq '^ *rule: ' "$1"; then
    fail "$2: a rule is blamed"
    grep -E '^ *not ok|^ *rule: ' "$1" | sed 's/^/  /'
  else
    pass "$2: no rule is blamed"
  fi
}

# run_ok NAME ARGS...: siptap exits 0 and the TAP is strict.
run_ok() {
  local name="$1"
  shift
  siptap_run "$TMP/$name.tap" "$TMP/$name.err" run --t1 50 \
    --report-dir "$TMP/r-$name" "$@"
  if [[ $rc -eq 0 ]] && tap_check --version 14 "$TMP/$name.tap" >"$TMP/check"; then
    pass "$name: every test passes ($(tail -n 1 "$TMP/$name.err"))"
  else
    fail "$name: exit $rc"
    grep -E '^ *not ok|message:' "$TMP/$name.tap" | head -20 | sed 's/^/  /'
    show "$TMP/$name.err" stderr
  fi
}

# run_fails NAME ARGS...: siptap exits 1 (tests fail) with strict TAP.
run_fails() {
  local name="$1"
  shift
  siptap_run "$TMP/$name.tap" "$TMP/$name.err" run --t1 50 \
    --report-dir "$TMP/r-$name" "$@"
  if [[ $rc -eq 1 ]] && tap_check --version 14 --expect-ok false \
    "$TMP/$name.tap" >"$TMP/check"; then
    pass "$name: fails, as it must, with strict TAP"
  else
    fail "$name: exit $rc, wanted 1"
    sed 's/^/  /' "$TMP/check"
    show "$TMP/$name.tap" stdout
  fi
}

# --- bodies arrive whole ---------------------------------------------------
run_ok udp --transport udp "$dir/bodies.lua"
expect "$TMP/udp.tap" '^ok 3 - UAS to UAC: a 183 with a 61440-byte body arrives whole$' \
  "udp: a 60 KB body reaches the UAC whole"
expect "$TMP/udp.tap" '^ok 4 - UAC to UAS: an INVITE with a 61440-byte body arrives whole$' \
  "udp: a 60 KB body reaches the UAS whole"

run_ok tcp --transport tcp "$dir/bodies.lua"
expect "$TMP/tcp.tap" '^ok 7 - UAS to UAC: a 183 with a 1048576-byte body arrives whole$' \
  "tcp: a 1 MB body reaches the UAC whole"
expect "$TMP/tcp.tap" '^ok 8 - UAC to UAS: an INVITE with a 1048576-byte body arrives whole$' \
  "tcp: a 1 MB body reaches the UAS whole"

if command -v openssl >/dev/null; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
    -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1
  cat "$TMP/key.pem" "$TMP/cert.pem" >"$TMP/siptap.pem"
  run_ok tls --transport tls --tls-cert "$TMP/siptap.pem" "$dir/bodies.lua"
  expect "$TMP/tls.tap" '^ok 7 - UAS to UAC: a 183 with a 1048576-byte body arrives whole$' \
    "tls: a 1 MB body reaches the UAC whole"
else
  fail "openssl not installed (run .ci/setup): TLS not tried"
fi

run_ok peer "$dir/peer-bodies.lua"
expect "$TMP/peer.tap" '^ok 2 - peer over TCP: 1048576 bytes each way arrive whole$' \
  "t:peer(): 60 KB over UDP and 1 MB over TCP reach the UAS whole, and back"
expect "$TMP/peer.tap" '^ok 3 - peer over TCP: two INVITEs in one write both arrive$' \
  "t:peer(): two INVITEs and a keepalive in one TCP write, the second of 100 KB, both arrive"

# --- over the limit at the sender: one line, file:line, nothing sent -------
run_fails udp-big --transport udp "$dir/too-big.lua"
expect "$TMP/udp-big.tap" '^      message: ".*too-big\.lua:10: progress: body of 71680 bytes: the message would be [0-9]+ bytes, over the 65507 siptap sends in one UDP datagram' \
  "udp: a 70 KB body at progress() is an error naming the body and its size"
expect "$TMP/udp-big.tap" '^      at: "tests/e2e/fixtures/sizes/too-big\.lua:10"$' \
  "udp: ... at the scenario line"
expect "$TMP/udp-big.tap" '^      message: ".*too-big\.lua:14: invite: body of 71680 bytes: the message would be [0-9]+ bytes, over the 65507' \
  "udp: a 70 KB body at invite() is an error naming the body and its size"
w="$TMP/r-udp-big/wire"
if [[ -f "$w/001.log" && -f "$w/002.log" ]] &&
  ! grep -Eq ' uas sent .* 183 ' "$w/001.log" && ! grep -q ' uac sent ' "$w/002.log"; then
  pass "udp: nothing refused reaches the wire (wire logs)"
else
  fail "udp: the refused 183 or INVITE is on the wire, or no wire log"
  cat "$w"/*.log 2>/dev/null | grep -E '^#' | sed 's/^/  /'
fi
no_rule_blamed "$TMP/udp-big.tap" "udp-big"

run_fails tcp-big --transport tcp "$dir/too-big.lua"
expect "$TMP/tcp-big.tap" '^      message: ".*too-big\.lua:10: progress: body of 5242880 bytes: the message would be [0-9]+ bytes, over the 4194304 siptap sends in one message over TCP or TLS"$' \
  "tcp: a 5 MiB body at progress() is an error naming the body and its size"
expect "$TMP/tcp-big.tap" '^      message: ".*too-big\.lua:14: invite: body of 5242880 bytes' \
  "tcp: a 5 MiB body at invite() too"

# --- over the limit at the receiver: a harness error, no rule --------------
run_fails peer-big "$dir/peer-too-big.lua"
expect "$TMP/peer-big.tap" '^    not ok [0-9]+ - siptap lost no message \(harness error, not the peer.s fault\)$' \
  "a 5 MiB response from a raw peer over TCP is a harness error point"
expect "$TMP/peer-big.tap" '^      message: "siptap could not take a message of 5243[0-9]{3} bytes from 127\.0\.0\.1:[0-9]+ at 127\.0\.0\.1:[0-9]+: over its limit of 4194304 bytes' \
  "... saying what siptap could not take, with its size"
no_rule_blamed "$TMP/peer-big.tap" "peer-big"

# --- the kernel's drops at siptap's sockets ------------------------------
run_fails flood "$dir/peer-flood.lua"
expect "$TMP/flood.tap" '^      message: "the kernel dropped [0-9]+ datagrams to siptap.s UAS at 127\.0\.0\.1:[0-9]+: its receive buffer was full' \
  "a flood from a raw peer: the datagrams siptap never read are counted, as siptap's loss"
expect "$TMP/flood.tap" '^    ok [0-9]+ - the call still ends$' \
  "... and the call after it still works"
no_rule_blamed "$TMP/flood.tap" "flood"

run_ok progress --transport udp "$dir/many-progress.lua"
expect "$TMP/progress.tap" '^    ok 1 - all 1000 provisionals arrived$' \
  "1,000 progress calls in one test: all reach the UAC"
expect "$TMP/progress.tap" '^    ok 1 - all 600 provisionals of 8 KB arrived$' \
  "600 progress calls of 8 KB in one go, more than the UAC's receive buffer: held back, all reach the UAC"

e2e_finish
