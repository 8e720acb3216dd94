#!/usr/bin/env bash
# SIGINT and SIGTERM in the middle of a run: siptap stops, prints
# "Bail out!" after the tests that finished, writes the partial reports
# and exits non-zero.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_signals "$@"

for sig in INT TERM; do
  "$SIPTAP" run --jobs 1 --report-dir "$TMP/r-$sig" scenarios \
    >"$TMP/$sig.tap" 2>"$TMP/$sig.err" </dev/null &
  pid=$!
  # wait until a few tests are done, then signal
  for _ in $(seq 1 100); do
    [[ $(grep -c '^ok ' "$TMP/$sig.tap" 2>/dev/null || true) -ge 3 ]] && break
    sleep 0.1
  done
  kill -s "$sig" "$pid"
  rc=0
  wait "$pid" || rc=$?
  [[ $rc -ne 0 && $rc -lt 128 ]] && pass "SIG$sig: exit $rc (non-zero, not killed)" ||
    fail "SIG$sig: exit $rc"
  grep -q '^Bail out! ' "$TMP/$sig.tap" && pass "SIG$sig: Bail out! on stdout" ||
    fail "SIG$sig: no Bail out!"
  if tap_check --version 14 "$TMP/$sig.tap" >"$TMP/$sig.check" 2>&1 ||
    grep -qi 'bail out' "$TMP/$sig.check"; then
    pass "SIG$sig: the TAP up to there parses, ending in the bail-out"
  else
    fail "SIG$sig: $(cat "$TMP/$sig.check")"
  fi
  for f in junit.xml summary.md; do
    [[ -s "$TMP/r-$sig/$f" ]] && pass "SIG$sig: $f written" ||
      fail "SIG$sig: no $f"
  done
  taps=("$TMP/r-$sig"/*.tap)
  [[ -f "${taps[0]}" ]] && grep -q '^Bail out!' "${taps[0]}" &&
    pass "SIG$sig: the .tap report ends in Bail out! too" ||
    fail "SIG$sig: no partial .tap report"
done

e2e_finish
