#!/usr/bin/env bash
# TLS: the reference UAS with a self-signed certificate made here, the
# UAC calling it over TLS; then the same over TCP. The flows and the
# option matrix pass on both, and the wire says which transport it was.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_tls "$@"
command -v openssl >/dev/null || e2e_abort "openssl not installed (run .ci/setup)"

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1 ||
  e2e_abort "openssl could not make a certificate"
cat "$TMP/key.pem" "$TMP/cert.pem" >"$TMP/siptap.pem"

for tp in tls tcp; do
  siptap_run "$TMP/$tp.tap" "$TMP/$tp.err" run --t1 50 --jobs 1 --transport "$tp" \
    --tls-cert "$TMP/siptap.pem" --report-dir "$TMP/r-$tp" \
    scenarios/flows scenarios/matrix
  if [[ $rc -eq 0 ]]; then
    pass "$tp: flows and matrix pass ($(tail -n 1 "$TMP/$tp.err"))"
  else
    fail "$tp: exit $rc"
    grep -E '^ *not ok' "$TMP/$tp.tap" | head -20 | sed 's/^/  /'
  fi
  grep -q "^# UAC over ${tp^^}\$" "$TMP/$tp.tap" &&
    pass "$tp: the TAP says so" || fail "$tp: no '# UAC over ${tp^^}' line"
done

siptap_run "$TMP/o" "$TMP/e" run --transport tls scenarios/flows
[[ $rc -eq 2 ]] && grep -q -- "--tls-cert" "$TMP/e" &&
  pass "--transport tls without a certificate is a usage error" ||
  fail "--transport tls without --tls-cert: exit $rc"

e2e_finish
