#!/usr/bin/env bash
# findings.md, a maintainer's page: per rule, each test once with what
# was expected, what was observed (the value, not the rule again) and the
# message in question; TODO tests keep their wire logs; in a run against
# another UAS, points about siptap's own API are under a heading of their
# own, apart from the RFC findings; a NUL inside a message or an error
# does not cut the excerpt or the text.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_findings "$@"

FIX=tests/e2e/fixtures/findings

# --- the reference UAS with a fault, a TODO test ---------------------------
printf '%s\n' "a known deviation | RSeq 0 on purpose [R-RSEQ-1]" >"$TMP/todo.txt"
siptap_run "$TMP/l.tap" "$TMP/l.err" run --t1 50 --uas-fault rseq-zero \
  --todo "$TMP/todo.txt" --report-dir "$TMP/l" "$FIX/dup.lua"
[[ $rc -eq 1 ]] && pass "rseq-zero run: exit 1" ||
  { fail "rseq-zero run: exit $rc"; show "$TMP/l.err"; }
f="$TMP/l/findings.md"

# the R-RSEQ-1 section alone
awk '/^## R-RSEQ-1$/ { s = 1; next } /^#+ [^#]/ && /^## / { s = 0 } s' "$f" \
  >"$TMP/rseq.md"
grep -qx '  - expected: RSeq starts in 1..2^31-1 and counts up by one; a different response never reuses one' "$TMP/rseq.md" &&
  grep -qx '  - observed: RSeq: 0' "$TMP/rseq.md" &&
  pass "expected is the rule, observed is the value on the wire (RSeq: 0)" ||
  { fail "expected/observed lines"; show "$TMP/rseq.md"; }
if grep -E '^  - observed: ' "$TMP/rseq.md" | grep -q 'starts in 1..2^31-1'; then
  fail "an observed line restates the expectation"
else
  pass "no observed line restates the expectation"
fi
grep -qx '  ~~~' "$TMP/rseq.md" && grep -qx '  RSeq: 0' "$TMP/rseq.md" &&
  grep -qE '^  SIP/2\.0 183 Session Progress$' "$TMP/rseq.md" &&
  pass "the wire excerpt: the 183 with its RSeq: 0" ||
  { fail "wire excerpt"; show "$TMP/rseq.md"; }
# one entry per test per rule
dups=$(grep -E '^### ' "$TMP/rseq.md" | sort | uniq -d)
n=$(grep -cE '^### ' "$TMP/rseq.md" || true)
[[ -z $dups && $n -eq 2 ]] &&
  pass "each test once under R-RSEQ-1 ($n tests)" ||
  { fail "tests under R-RSEQ-1: $n, repeated: $dups"; show "$TMP/rseq.md"; }
grep -qE '^- not ok: R-RSEQ-1 .*\(2 times\)$' "$TMP/rseq.md" &&
  pass "the point checked twice in one test is one entry, '(2 times)'" ||
  { fail "no '(2 times)' entry"; show "$TMP/rseq.md"; }
grep -qE '^\| R-RSEQ-1 \| 2 \| 1\. checked twice \[R-RSEQ-1\] \| RSeq: 0 \|$' "$f" &&
  pass "the table row: 2 tests, the observed value" ||
  { fail "R-RSEQ-1 table row"; grep -F '| R-RSEQ-1' "$f"; }
# the TODO test: in findings.md with its reason, and its wire log kept
grep -qE '^### 2\. a known deviation \[R-RSEQ-1\] \(TODO: RSeq 0 on purpose \[R-RSEQ-1\]\)$' "$f" &&
  pass "the TODO test is a finding, with its reason" ||
  { fail "TODO test in findings.md"; show "$f"; }
[[ -s $TMP/l/wire/002.log ]] && grep -q 'RSeq: 0' "$TMP/l/wire/002.log" &&
  pass "the TODO test's wire log is kept (wire/002.log)" ||
  { fail "no wire log for the TODO test"; ls "$TMP/l/wire" || true; }
if grep -q "siptap's API contract" "$f"; then
  fail "a local run has an API-contract section"
else
  pass "a local run: no API-contract section"
fi

# --- a raw UAS behind --target ------------------------------------------------
port=$(free_port) || e2e_abort "no free port"
cat >"$TMP/uas.mjs" <<'JS'
// Answers an INVITE with a 180 without To tag whose text/plain body
// holds a NUL, then a 486. Ends when its parent kills it.
import dgram from 'node:dgram';
const port = Number(process.argv[2]);
const sock = dgram.createSocket('udp4');
sock.on('message', (msg, rinfo) => {
  const text = msg.toString('latin1');
  if (!text.startsWith('INVITE ')) return;
  const h = (name) => (text.match(new RegExp(`^${name}:[^\\r\\n]*`, 'mi')) || [''])[0];
  const head = [h('Via'), h('From'), h('To'), h('Call-ID'), h('CSeq')].join('\r\n');
  const body = 'before\0after the NUL\r\nsecond line\r\n';
  sock.send(Buffer.from(`SIP/2.0 180 Ringing\r\n${head}\r\n` +
    `Contact: <sip:raw@127.0.0.1:${port}>\r\nContent-Type: text/plain\r\n` +
    `Content-Length: ${body.length}\r\n\r\n${body}`, 'latin1'),
    rinfo.port, rinfo.address);
  sock.send(Buffer.from(`SIP/2.0 486 Busy Here\r\n${head};tag=raw\r\n` +
    'Content-Length: 0\r\n\r\n', 'latin1'), rinfo.port, rinfo.address);
});
sock.bind(port, '127.0.0.1', () => process.stdout.write('ready\n'));
JS
start_node_uas "$TMP/uas.mjs" "$port"
siptap_run "$TMP/t.tap" "$TMP/t.err" run --jobs 1 --target "127.0.0.1:$port" \
  --report-dir "$TMP/t" "$FIX/target.lua"
stop_node_uas
[[ $rc -eq 1 ]] && pass "--target run: exit 1" ||
  { fail "--target run: exit $rc"; show "$TMP/t.err"; }
f="$TMP/t/findings.md"

# a NUL in a peer's message: the excerpt goes on after it
grep -qxF '  before\x00after the NUL' "$f" && grep -qx '  second line' "$f" &&
  pass "a NUL inside the message does not cut the excerpt" ||
  { fail "excerpt cut at the NUL"; show "$f"; }
# a NUL in a Lua error: the TAP and findings.md have all of it
grep -qF 'before\x00after the NUL' "$TMP/t.tap" &&
  pass "a NUL inside a Lua error does not cut the TAP message" ||
  { fail "Lua error cut at the NUL"; grep -A3 'raised' "$TMP/t.tap"; }
grep -qF 'before\x00after the NUL' <(grep -E '^  - (observed|why): ' "$f") &&
  pass "nor findings.md's" || { fail "findings.md error text"; show "$f"; }
# the API contract, apart
sed -n "/^# siptap's API contract, not RFC findings$/,\$p" "$f" >"$TMP/api.md"
grep -qE '^- not ok: the error names statusCode$' "$TMP/api.md" &&
  grep -qx '  - observed: no error' "$TMP/api.md" &&
  pass "--target: the API-contract point under its own heading" ||
  { fail "API-contract section"; show "$f"; }
if sed "/^# siptap's API contract/,\$d" "$f" | grep -q 'the error names statusCode'; then
  fail "the API-contract point is also among the RFC findings"
else
  pass "--target: the API-contract point is not an RFC finding"
fi
grep -qE '^\| P-TAG-1 \| 1 \|' "$f" &&
  pass "--target: the RFC finding (P-TAG-1) is in the table" ||
  { fail "P-TAG-1 row"; show "$f"; }
if grep -qE '^\| P-RANGE-1 ' "$f"; then
  fail "the API point made a P-RANGE-1 row"
else
  pass "--target: no RFC row for the API point"
fi

e2e_finish
