#!/bin/sh
# Start/stop the Kamailio relay used as a peer for siptap's proxy mode.
#
#   kamailio.sh start RUNDIR PORT [--ws] [--ipv6] [KAMAILIO-ARGS...]
#                                   start on 127.0.0.1:PORT (UDP+TCP), print pid;
#                                   e.g. -A RELAY_NO_ROUTE (see kamailio.cfg);
#                                   --ws: the WebSocket edge (kamailio-ws.cfg),
#                                   ws://127.0.0.1:PORT; --ipv6: on [::1]:PORT
#                                   instead (kamailio.cfg's IPV6 define)
#   kamailio.sh stop RUNDIR         stop the instance whose pid is in RUNDIR
#
# Kamailio runs in the foreground mode (-DD -E) as a background job of this
# script; its log goes to RUNDIR/kamailio.log, its pid to RUNDIR/kamailio.pid.
# Environment: KAMAILIO (binary), KAMAILIO_CFG (config), KAMAILIO_DEBUG
# (log level, e.g. 3 to log every message), KAMAILIO_WAIT (seconds, 10).
set -u

here=$(cd "$(dirname "$0")" && pwd)
cfg=${KAMAILIO_CFG:-$here/kamailio.cfg}
wait_max=${KAMAILIO_WAIT:-10}

die() { echo "kamailio.sh: $*" >&2; exit 2; }

usage() {
	echo "usage: kamailio.sh start RUNDIR PORT [--ws] [--ipv6] [KAMAILIO-ARGS...]" >&2
	echo "       kamailio.sh stop RUNDIR" >&2
	exit 2
}

find_kamailio() {
	if [ -n "${KAMAILIO:-}" ]; then
		[ -x "$KAMAILIO" ] || die "KAMAILIO=$KAMAILIO is not executable"
		echo "$KAMAILIO"; return
	fi
	k=$(command -v kamailio 2>/dev/null) && { echo "$k"; return; }
	for k in /usr/sbin/kamailio /usr/local/sbin/kamailio; do
		[ -x "$k" ] && { echo "$k"; return; }
	done
	die "kamailio is not installed (Debian: apt-get install -y kamailio)"
}

# Is $host:$1 (127.0.0.1, or [::1] with --ipv6) bound for UDP and
# listening for TCP?
host=127.0.0.1
port_up() {
	if command -v ss >/dev/null 2>&1; then
		ss -Hlnu "sport = :$1" 2>/dev/null | grep -qF "$host:$1" &&
		ss -Hlnt "sport = :$1" 2>/dev/null | grep -qF "$host:$1"
	elif [ "$host" != 127.0.0.1 ]; then
		# /proc/net/*6: ::1 is 00000000000000000000000001000000
		hex=$(printf '00000000000000000000000001000000:%04X' "$1")
		grep -q " $hex " /proc/net/udp6 &&
		grep -q " $hex 00000000000000000000000000000000:0000 0A " /proc/net/tcp6
	else
		# /proc/net: local address 0100007F:PORT(hex); TCP state 0A = LISTEN
		hex=$(printf '0100007F:%04X' "$1")
		grep -q " $hex " /proc/net/udp &&
		grep -q " $hex 00000000:0000 0A " /proc/net/tcp
	fi
}

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

start() {
	rundir=$1 port=$2
	shift 2
	case $port in ''|*[!0-9]*) die "PORT '$port' is not a number";; esac
	[ "$port" -ge 1 ] && [ "$port" -le 65535 ] || die "PORT $port out of range"
	if [ "${1:-}" = --ws ]; then
		shift
		cfg=${KAMAILIO_CFG:-$here/kamailio-ws.cfg}
		dpkg-query -W -f='${Status}' kamailio-websocket-modules 2>/dev/null |
			grep -q 'ok installed' ||
			die "no WebSocket module; Debian: apt-get install -y kamailio-websocket-modules"
	fi
	v6=
	if [ "${1:-}" = --ipv6 ]; then
		shift
		host='[::1]' v6='-A IPV6'
	fi
	kam=$(find_kamailio) || exit 2
	[ -r "$cfg" ] || die "config $cfg not readable"
	mkdir -p "$rundir" || die "cannot create $rundir"
	rundir=$(cd "$rundir" && pwd)
	pidf=$rundir/kamailio.pid log=$rundir/kamailio.log
	if [ -s "$pidf" ] && alive "$(cat "$pidf")"; then
		die "already running (pid $(cat "$pidf"), $pidf)"
	fi
	rm -f "$pidf"
	port_up "$port" && die "$host:$port is already in use"

	# -DD: no daemon fork, -E: log to stderr (-> the log file).
	# -u/-g are not given: it runs as whoever starts it (root works too).
	"$kam" -DD -E -Y "$rundir" -P "$pidf" -f "$cfg" -A "PORT=$port" $v6 \
		${KAMAILIO_DEBUG:+--debug="$KAMAILIO_DEBUG"} "$@" \
		>>"$log" 2>&1 </dev/null &
	pid=$!

	n=0
	while :; do
		if ! alive "$pid"; then
			wait "$pid"; rc=$?
			echo "kamailio.sh: kamailio exited (status $rc); last log lines:" >&2
			tail -n 20 "$log" >&2
			exit 1
		fi
		port_up "$port" && break
		n=$((n + 1))
		if [ "$n" -ge $((wait_max * 10)) ]; then
			kill "$pid" 2>/dev/null
			echo "kamailio.sh: $host:$port not up after ${wait_max}s; see $log" >&2
			exit 1
		fi
		sleep 0.1
	done
	[ -s "$pidf" ] || echo "$pid" >"$pidf"
	echo "$pid"
}

stop() {
	rundir=$1
	pidf=$rundir/kamailio.pid
	[ -s "$pidf" ] || die "no pid file $pidf"
	pid=$(cat "$pidf")
	case $pid in ''|*[!0-9]*) die "bad pid file $pidf";; esac
	if ! alive "$pid"; then
		rm -f "$pidf"
		echo "kamailio.sh: pid $pid was not running" >&2
		return 0
	fi
	# its workers, by pid: a main process that has to be killed (or
	# that dies first) leaves them running, holding the port
	kids=$(pgrep -P "$pid" 2>/dev/null || true)
	kill -TERM "$pid"
	n=0
	while alive "$pid"; do
		n=$((n + 1))
		if [ "$n" -ge $((wait_max * 10)) ]; then
			echo "kamailio.sh: pid $pid ignored SIGTERM, sending SIGKILL" >&2
			kill -KILL "$pid" 2>/dev/null
			sleep 0.2
			break
		fi
		sleep 0.1
	done
	for k in $kids; do
		alive "$k" && kill -KILL "$k" 2>/dev/null
	done
	rm -f "$pidf"
}

case ${1:-} in
start) [ $# -ge 3 ] || usage; shift; start "$@" ;;
stop)  [ $# -eq 2 ] || usage; stop "$2" ;;
*)     usage ;;
esac
