#!/usr/bin/env bash
# An e2e script killed with SIGKILL (ctest's TIMEOUT) leaves no peer
# behind: lib.sh's watchdog (tests/e2e/watchdog.sh) stops, by pid, what
# the script started, also a peer that ignores SIGTERM. A child e2e
# script starts two such "peers" and is killed; both must be gone.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init e2e_watchdog "$@"

cat >"$TMP/child.sh" <<CHILD
source "$E2E/lib.sh"
e2e_init child "$SIPTAP"
sleep 300 &
echo \$! >"$TMP/peers"
bash -c 'trap "" TERM; while :; do sleep 1; done' &
echo \$! >>"$TMP/peers"
sleep 300
CHILD
bash "$TMP/child.sh" </dev/null >/dev/null 2>&1 &
child=$!
for _ in $(seq 1 50); do
  [[ -f $TMP/peers && $(wc -l <"$TMP/peers") -ge 2 ]] && break
  sleep 0.1
done
read -r -d '' -a peers <"$TMP/peers" || true
[[ ${#peers[@]} -eq 2 ]] || e2e_abort "the child script started no peers"
alive() { local n=0 p; for p in "${peers[@]}"; do kill -0 "$p" 2>/dev/null && n=$((n + 1)); done; echo $n; }
[[ $(alive) -eq 2 ]] && pass "the child script's two peers run" ||
  fail "the child script's peers are not running"

kill -KILL "$child"
wait "$child" 2>/dev/null || true
for _ in $(seq 1 50); do
  [[ $(alive) -eq 0 ]] && break
  sleep 0.1
done
if [[ $(alive) -eq 0 ]]; then
  pass "after SIGKILL of the script, its peers are stopped (one ignored SIGTERM)"
else
  fail "$(alive) of its peers still run after the script was killed"
  kill -KILL "${peers[@]}" 2>/dev/null || true
fi
# the watchdog is no child of the script: a bare `wait` in a test (for
# its own background jobs) returns
cat >"$TMP/waits.sh" <<WAITS
source "$E2E/lib.sh"
e2e_init waits "$SIPTAP"
sleep 0.2 &
wait
echo done waiting
WAITS
if [[ $(timeout 20 bash "$TMP/waits.sh" 2>/dev/null) == "done waiting" ]]; then
  pass "a bare wait in an e2e script does not wait for the watchdog"
else
  fail "a bare wait in an e2e script hangs (the watchdog is its child)"
fi
e2e_finish
