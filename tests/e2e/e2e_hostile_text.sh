#!/usr/bin/env bash
# Bytes that are no text (issue #11). A scenario's text options (reason
# phrases, extraHeaders, content types, the UAC's URIs and headers) that
# hold a NUL, a control character but HTAB or bytes that are not UTF-8,
# and extraHeaders that repeat a header siptap writes itself, are refused
# with one line naming the option, the file and the line, and nothing
# goes on the wire; bodies are bytes and keep their NULs. A hostile peer
# (t:peer(), or a raw UAS behind --target) that sends such bytes fails
# its test, and every report stays valid: strict TAP, well-formed JUnit,
# every file UTF-8 with no control character but TAB and LF (C1 ones
# included), the bytes shown as \xNN.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_hostile_text "$@"
for tool in xmllint iconv; do
  command -v "$tool" >/dev/null || e2e_abort "$tool not installed (run .ci/setup)"
done
FIX=tests/e2e/fixtures/hostile-text

# reports_valid LABEL DIR TAP: every report of a run, and its stdout.
reports_valid() {
  local label="$1" dir="$2" tap="$3" f bad=0
  if xmllint --noout "$dir/junit.xml" 2>"$TMP/xmllint"; then
    pass "$label: junit.xml is well-formed XML"
  else
    fail "$label: xmllint: $(head -c 300 "$TMP/xmllint")"
  fi
  for f in "$tap" "$dir"/*.tap "$dir"/junit.xml "$dir"/summary.md \
    "$dir"/findings.md "$dir"/wire/*.log; do
    [[ -f "$f" ]] || continue
    if ! iconv -f UTF-8 -t UTF-8 "$f" >/dev/null 2>&1; then
      fail "$label: ${f#"$TMP"/} is not valid UTF-8"
      bad=1
    fi
    # any C0 control byte but TAB and LF (CR included), DEL, and the C1
    # controls U+0080..U+009F (U+009B: a terminal's CSI) in UTF-8
    if LC_ALL=C grep -qP '[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]' "$f"; then
      fail "$label: ${f#"$TMP"/} holds a raw control character:"
      LC_ALL=C grep -naP '[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]' "$f" | head -3 | cat -A | cut -c1-160 || true
      bad=1
    fi
  done
  [[ $bad -eq 0 ]] && pass "$label: TAP, junit.xml, summary.md, findings.md and wire logs are UTF-8 text without control bytes"
  return 0
}

# passing_run KEY FIXTURE WHAT: the fixture's tests all pass (they check
# themselves), its TAP strict; the run's files are $TMP/KEY.tap, $TMP/KEY/.
passing_run() {
  local key="$1" file="$2" what="$3"
  siptap_run "$TMP/$key.tap" "$TMP/$key.err" run --jobs 1 \
    --report-dir "$TMP/$key" "$FIX/$file"
  if [[ $rc -eq 0 ]] &&
    tap_check --version 14 --expect-ok true "$TMP/$key.tap" >"$TMP/$key.check"; then
    pass "$what (TAP strict)"
  else
    fail "$file (exit $rc): $(cat "$TMP/$key.check" 2>/dev/null)"
    grep -E '^ *not ok' "$TMP/$key.tap" | head -20 || true
  fi
}

# --- refused options ----------------------------------------------------
passing_run r refused.lua \
  "every refused option: refused, a one-line error, nothing on the wire"

# Each case is `{ "id", "option", function ... end },` on one line; its
# error, printed as "# refused ID: ERROR", must name the file, that very
# line and the option.
cases=0 named=0
while IFS=: read -r lineno rest; do
  id=$(sed -E 's/^ *\{ "([^"]+)", "([^"]+)".*/\1/' <<<"$rest")
  opt=$(sed -E 's/^ *\{ "([^"]+)", "([^"]+)".*/\2/' <<<"$rest")
  cases=$((cases + 1))
  got=$(grep -F "# refused $id: " "$TMP/r.tap" | head -1 || true)
  if [[ "$got" == *"# refused $id: $FIX/refused.lua:$lineno: "*"$opt"* ]]; then
    named=$((named + 1))
  else
    fail "$id: want an error naming $FIX/refused.lua:$lineno and $opt, got: ${got:-nothing}"
  fi
done < <(grep -nE '^  \{ "[a-z0-9-]+", "[^"]+", function' "$FIX/refused.lua")
[[ $cases -ge 50 && $named -eq $cases ]] &&
  pass "all $cases refusals name the scenario file, the line of the call and the option" ||
  fail "$named of $cases refusals named file, line and option"
reports_valid "refused" "$TMP/r" "$TMP/r.tap"

# --- what stays allowed: UTF-8, HTAB, a redirect's Contact, bodies with NULs
passing_run a allowed.lua \
  "UTF-8 and HTAB pass, a 302 may carry a Contact, bodies reach the wire whole (NULs)"

# a NUL in the SDP from a scenario's modifier: on the wire whole, and an
# S-FMT-1 failure naming the line, the only failing point
siptap_run "$TMP/nul.tap" "$TMP/nul.err" run --jobs 1 --report-dir "$TMP/nul" \
  "$FIX/sdp-nul.lua"
if [[ $rc -eq 1 && $(grep -cE '^    not ok' "$TMP/nul.tap") -eq 1 ]] &&
  grep -qE '^    not ok [0-9]+ - S-FMT-1 ' "$TMP/nul.tap" &&
  grep -q 'a NUL or CR byte inside the line' "$TMP/nul.tap"; then
  pass "a NUL in the SDP: on the wire whole, S-FMT-1 names its line, nothing else fails"
else
  fail "sdp-nul.lua (exit $rc):"
  grep -E '^ *not ok' "$TMP/nul.tap" | head -10 || true
fi

# --- a hostile peer, and a scenario's own bytes ---------------------------
siptap_run "$TMP/p.tap" "$TMP/p.err" run --jobs 1 --report-dir "$TMP/p" \
  "$FIX/peer.lua"
[[ $rc -eq 1 ]] && pass "the hostile peer's test fails (exit 1)" ||
  fail "hostile peer run: exit $rc, wanted 1"
if tap_check --version 14 --expect-ok false "$TMP/p.tap" >"$TMP/p.check"; then
  pass "hostile peer: the TAP is strict TAP 14, not ok"
else
  fail "hostile peer TAP: $(cat "$TMP/p.check")"
fi
reports_valid "hostile peer" "$TMP/p" "$TMP/p.tap"
# the bytes are shown, escaped, where a reader looks for them
esc='R\xff\xfe\x01\x1b[2J'
grep -qF "found: \"R\\\\xff\\\\xfe\\x01\\x1b[2J" "$TMP/p.tap" &&
  pass "TAP YAML: the peer's reason phrase as found, escaped" ||
  fail "no escaped reason phrase in the TAP's YAML"
grep -qF "180 $esc" "$TMP"/p/wire/001.log &&
  grep -qF 'X-Evil: \x00\x07\x08\xff' "$TMP"/p/wire/001.log &&
  grep -qF '183 \x00\x0d\x7f\xff' "$TMP"/p/wire/001.log &&
  pass "wire log: reason phrase, header and an undecodable start line as \\xNN" ||
  { fail "wire log escapes"; show "$TMP/p/wire/001.log"; }
[[ $(xmllint --xpath 'count(//testcase[failure or error])' "$TMP/p/junit.xml" 2>/dev/null) -eq 2 ]] &&
  xmllint --xpath 'string(//testcase[1]/@name)' "$TMP/p/junit.xml" 2>/dev/null |
  grep -qF 'reason phrase \xff\xfe\x01\x1b[2J"'"'"'<&>|#' &&
  pass "junit.xml: both tests fail, the name with its bytes escaped" ||
  fail "junit.xml names or counts"
grep -qF '| P-DLG-1 |' "$TMP/p/findings.md" &&
  grep -qF '  SIP/2.0 180 R\xff\xfe\x01' "$TMP/p/findings.md" &&
  pass "findings.md: the rule's row and the peer's message, escaped" ||
  { fail "findings.md"; show "$TMP/p/findings.md"; }

# --- a raw UAS behind --target --------------------------------------------
port=$(free_port) || e2e_abort "no free port"
cat >"$TMP/uas.mjs" <<'EOF'
// A UAS that answers an INVITE with a 180 and a 486 whose reason
// phrases and headers are no text. Ends when its parent kills it.
import dgram from 'node:dgram';
const port = Number(process.argv[2]);
const evil = Buffer.from([0xff, 0xfe, 0x01, 0x1b, 0x5b, 0x32, 0x4a, 0x22,
  0x3c, 0x26, 0x7c, 0x23, 0xc3, 0x28, 0x7f, 0xc2, 0x9b]);
const sock = dgram.createSocket('udp4');
sock.on('message', (msg, rinfo) => {
  const text = msg.toString('latin1');
  if (!text.startsWith('INVITE ')) return;
  const h = (name) => (text.match(new RegExp(`^${name}:[^\\r\\n]*`, 'mi')) || [''])[0];
  const head = [h('Via'), h('From'), `${h('To')};tag=raw`, h('Call-ID'), h('CSeq')]
    .join('\r\n');
  for (const start of ['SIP/2.0 180 ', 'SIP/2.0 486 ']) {
    const out = Buffer.concat([Buffer.from(start, 'latin1'), evil,
      Buffer.from(`\r\n${head}\r\nContact: <sip:raw@127.0.0.1:${port}>\r\nX-Evil: `, 'latin1'),
      evil, Buffer.from('\r\nContent-Length: 0\r\n\r\n', 'latin1')]);
    sock.send(out, rinfo.port, rinfo.address);
  }
});
sock.bind(port, '127.0.0.1', () => process.stdout.write('ready\n'));
EOF
node "$TMP/uas.mjs" "$port" >"$TMP/uas.out" 2>&1 &
uas_pid=$!
for _ in $(seq 1 50); do grep -q ready "$TMP/uas.out" && break; sleep 0.1; done
siptap_run "$TMP/t.tap" "$TMP/t.err" run --jobs 1 --target "127.0.0.1:$port" \
  --report-dir "$TMP/t" "$FIX/target.lua"
kill "$uas_pid" 2>/dev/null || true
wait "$uas_pid" 2>/dev/null || true
[[ $rc -eq 1 ]] && pass "--target: a raw UAS's hostile reason phrases fail the test (exit 1)" ||
  { fail "--target run: exit $rc, wanted 1"; show "$TMP/t.err"; }
if tap_check --version 14 --expect-ok false "$TMP/t.tap" >"$TMP/t.check"; then
  pass "--target: the TAP is strict TAP 14, not ok"
else
  fail "--target TAP: $(cat "$TMP/t.check")"
fi
grep -qF '486 \xff\xfe\x01\x1b[2J"<&|#\xc3(\x7f\x9b' "$TMP"/t/wire/001.log &&
  pass "--target: the 486's reason phrase in the wire log, escaped" ||
  { fail "--target wire log"; show "$TMP/t/wire/001.log"; }
reports_valid "--target" "$TMP/t" "$TMP/t.tap"

e2e_finish
