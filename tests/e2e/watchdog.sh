#!/usr/bin/env bash
# The peers of an e2e script that did not get to stop them (lib.sh,
# e2e_init): ctest ends a test past its TIMEOUT with SIGKILL, the
# script's EXIT trap does not run, and a Kamailio, SIPp or Chromium it
# started would stay up. Every process the script starts carries
# SIPTAP_E2E_RUN=MARK in its environment; once the script (PID) is gone,
# this stops each of them by its pid: SIGTERM, then SIGKILL a second
# later for what is left (Kamailio's workers may ignore SIGTERM).
#
#   watchdog.sh PID MARK     (started by e2e_init, in a session of its own)
pid="$1"
mark="SIPTAP_E2E_RUN=$2"
while kill -0 "$pid" 2>/dev/null; do sleep 1; done

# marked: the pids whose environment (as they were started) has the mark
marked() {
  # environ is NUL-separated (-z); one grep over all of /proc
  grep -lzxF "$mark" /proc/[0-9]*/environ 2>/dev/null |
    sed 's|^/proc/\([0-9]*\)/environ$|\1|'
}
left=$(marked)
[[ -n $left ]] || exit 0
kill -TERM $left 2>/dev/null
sleep 1
left=$(marked)
[[ -z $left ]] || kill -KILL $left 2>/dev/null
exit 0
