#!/usr/bin/env bash
# siptap.web against SIP.js: SIP.js 0.21.2's own modifiers (the pinned
# package in tests/peers/sipjs, run by web-diff.mjs in node) and siptap.web's
# (fixtures/web/diff.lua, run by siptap) over every SDP of fixtures/web/ and
# 300 generated from a seed, for every case of fixtures/web/cases.txt; each
# pair of outputs must be equal
# byte for byte. Then the same comparison must fail for siptap.web variants
# broken on purpose (a temporary --lua-dir), and scenarios/options/sdh-web.lua
# shows the modifiers on the wire (and fails when the UAS ignores them).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_web "$@"

CORPUS=tests/e2e/fixtures/web
[[ -d tests/peers/sipjs/node_modules/sip.js ]] ||
  e2e_abort "tests/peers/sipjs/node_modules is missing (run .ci/setup)"

# run_lua OUTDIR [LUA_DIR]: siptap.web over the corpus into OUTDIR/out;
# sets $rc and leaves the TAP in OUTDIR/tap.
run_lua() {
  local dir="$1" lua_dir="${2:-}"
  local args=(run --allow-unsafe --jobs 1 --report-dir "$dir/reports")
  [[ -n "$lua_dir" ]] && args+=(--lua-dir "$lua_dir")
  mkdir -p "$dir/out"
  cp "$TMP/js/manifest.txt" "$TMP/js/cases.txt" "$dir/"
  ln -sfn "$TMP/js/corpus" "$dir/corpus"
  SIPTAP_WEB_DIFF="$dir" siptap_run "$dir/tap" "$dir/err" "${args[@]}" \
    "$CORPUS/diff.lua"
}

# 1. SIP.js's outputs: the corpus, and SDPs generated from a seed (the
# same every run unless SIPTAP_WEB_SEED says otherwise)
mkdir -p "$TMP/js"
if node "$E2E/web-diff.mjs" run "$CORPUS" "$TMP/js" 300 "${SIPTAP_WEB_SEED:-1}" \
  >"$TMP/js.log" 2>&1; then
  pass "sip.js: $(tail -n 1 "$TMP/js.log")"
else
  fail "web-diff.mjs could not run SIP.js's modifiers"
  show "$TMP/js.log"
  e2e_finish
  exit
fi

# the corpus must give every case something to do: a case that changes no
# SDP would compare equal whatever siptap.web did
cases=$(grep -cv '^\s*\(#\|$\)' "$CORPUS/cases.txt")
idle=""
for n in $(seq 1 "$cases"); do
  changed=0
  while read -r name; do
    cmp -s "$TMP/js/$name.$n.out" "$CORPUS/$name" || changed=$((changed + 1))
  done < <(grep -v '^fuzz-' "$TMP/js/manifest.txt")
  [[ $changed -gt 0 ]] || idle+=" $n"
done
if [[ -z "$idle" ]]; then
  pass "each of the $cases cases changes at least one SDP of the corpus"
else
  fail "cases that change no SDP of the corpus (cases.txt, case numbers):$idle"
fi

# 2. siptap.web's outputs, in a scenario (sandboxed require, files by
# --allow-unsafe)
run_lua "$TMP/lua"
if [[ $rc -eq 0 ]] && grep -q '^ok 1 ' "$TMP/lua/tap"; then
  pass "siptap ran fixtures/web/diff.lua"
else
  fail "siptap run fixtures/web/diff.lua: status $rc"
  show "$TMP/lua/tap" TAP
  show "$TMP/lua/err" stderr
fi
tap_out=$(tap_check "$TMP/lua/tap") && pass "its TAP is valid" ||
  { fail "its TAP is not valid"; echo "$tap_out"; }

# 3. byte for byte
node "$E2E/web-diff.mjs" compare "$TMP/js" "$TMP/lua/out" "$CORPUS" \
  >"$TMP/cmp.log" 2>&1
cmp_rc=$?
total=$(find "$TMP/js" -name '*.out' | wc -l)
if [[ $cmp_rc -eq 0 ]] && grep -qx "same $total" "$TMP/cmp.log"; then
  pass "siptap.web = SIP.js byte for byte: $total outputs"
else
  fail "siptap.web and SIP.js differ"
  head -n 60 "$TMP/cmp.log" | sed 's/^/  | /'
fi

# 4. the comparison catches a siptap.web that is wrong in one detail
# mutant NAME SED-EXPR: web.lua edited by SED-EXPR in a copy of lua/ must
# make at least one output differ.
mutant() {
  local name="$1" expr="$2" dir="$TMP/mut-$1"
  mkdir -p "$dir"
  cp -r lua "$dir/lua"
  sed -i "$expr" "$dir/lua/siptap/web.lua"
  if cmp -s lua/siptap/web.lua "$dir/lua/siptap/web.lua"; then
    fail "mutant $name: the edit did not apply (web.lua changed?)"
    return
  fi
  run_lua "$dir" "$dir/lua"
  if node "$E2E/web-diff.mjs" compare "$TMP/js" "$dir/out" "$CORPUS" \
    >"$dir/cmp.log" 2>&1; then
    fail "mutant $name: the comparison did not see it"
  elif grep -q '^DIFF ' "$dir/cmp.log"; then
    pass "mutant $name caught: $(grep -c '^DIFF ' "$dir/cmp.log") outputs differ, e.g. $(grep -m1 '^DIFF ' "$dir/cmp.log" | cut -c1-90)"
  else
    fail "mutant $name: compare failed without naming a difference"
    show "$dir/cmp.log"
  fi
}
# addMidLines ending its a=mid line with CR LF, as an SDP grammar would
mutant crlf-mid 's|"\\na=mid:"|"\\r\\na=mid:"|'
# stripTcpCandidates matching "tcp" in lower case only (SIP.js: /i)
mutant tcp-case 's|\[Tt\]\[Cc\]\[Pp\] |tcp |'
# holdModifier turning recvonly into sendonly
mutant hold-recvonly 's|"a=recvonly\\r\\n", "a=inactive\\r\\n"|"a=recvonly\\r\\n", "a=sendonly\\r\\n"|'
# stripVideo leaving the a=group line alone
mutant keep-group 's|if not group_at then return sdp end|do return sdp end|'

# 5. on the wire: the modifiers in a scenario, sandboxed
siptap_run "$TMP/wire.tap" "$TMP/wire.err" run --jobs 2 \
  --report-dir "$TMP/wire-reports" scenarios/options/sdh-web.lua
if [[ $rc -eq 0 ]] && ! grep -q '^not ok' "$TMP/wire.tap"; then
  pass "scenarios/options/sdh-web.lua: $(grep -c '^ok' "$TMP/wire.tap") tests pass"
else
  fail "scenarios/options/sdh-web.lua: status $rc"
  show "$TMP/wire.tap" TAP
fi

# ... and its checks fail when the UAS ignores the modifiers
siptap_run "$TMP/ign.tap" "$TMP/ign.err" run --jobs 2 --uas-fault modifiers-ignored \
  --report-dir "$TMP/ign-reports" scenarios/options/sdh-web.lua
nok=$(grep -c '^not ok' "$TMP/ign.tap" || true)
if [[ $rc -eq 1 && $nok -eq 4 ]] && grep -q '^ok 5 ' "$TMP/ign.tap"; then
  pass "sdh-web.lua under modifiers-ignored: the 4 tests of modifiers on the wire fail"
else
  fail "sdh-web.lua under modifiers-ignored: status $rc, $nok tests failed (want 4)"
  show "$TMP/ign.tap" TAP
fi

e2e_finish
