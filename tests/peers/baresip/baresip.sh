#!/bin/sh
# baresip as a remote auto-answering UAS for siptap, on 127.0.0.1 only.
#   baresip.sh start RUNDIR PORT   prints the pid once UDP 127.0.0.1:PORT is bound
#   baresip.sh stop RUNDIR         SIGTERM, wait (SIGKILL after 5 s)
# Exit: 0 ok, 1 failure (see RUNDIR/baresip.log), 2 usage or baresip missing.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
BARESIP=${BARESIP:-baresip}

die() { echo "baresip.sh: $1" >&2; exit "${2:-1}"; }
usage() { die "usage: $0 start RUNDIR PORT | stop RUNDIR" 2; }

# True when some socket is bound to UDP 127.0.0.1:$1 (hex match in /proc).
udp_bound() {
	hex=$(printf '0100007F:%04X' "$1")
	grep -q " $hex " /proc/net/udp 2>/dev/null
}

# Running and not a zombie.
alive() {
	kill -0 "$1" 2>/dev/null || return 1
	state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ "$state" != Z ]
}

start() {
	rundir=$1 port=$2
	case $port in ''|*[!0-9]*) usage ;; esac
	if [ "$port" -lt 1 ] || [ "$port" -gt 65534 ]; then usage; fi
	command -v "$BARESIP" >/dev/null 2>&1 ||
		die "baresip is not installed (apt-get install -y baresip-core)" 2
	for m in account g711 ausine; do
		[ -f "/usr/lib/baresip/modules/$m.so" ] ||
		die "baresip modules missing in /usr/lib/baresip/modules (apt-get install -y baresip-core)" 2
	done
	if [ -f "$rundir/baresip.pid" ] && alive "$(cat "$rundir/baresip.pid")"; then
		die "already running in $rundir (pid $(cat "$rundir/baresip.pid"))"
	fi
	udp_bound "$port" && die "UDP 127.0.0.1:$port is already in use"

	mkdir -p "$rundir" || die "cannot create $rundir"
	sed "s/@PORT@/$port/g" "$HERE/config" > "$rundir/config" || die "cannot write $rundir/config"
	cp "$HERE/accounts" "$rundir/accounts" || die "cannot write $rundir/accounts"
	rm -f "$rundir/baresip.pid"

	# No UI module is loaded, so baresip never reads stdin; /dev/null is safe.
	# -s traces every SIP message into the log.
	"$BARESIP" -f "$rundir" -s </dev/null >"$rundir/baresip.log" 2>&1 &
	pid=$!
	echo "$pid" > "$rundir/baresip.pid"

	i=0
	while [ $i -lt 100 ]; do	# 10 s
		alive "$pid" || { tail -n 20 "$rundir/baresip.log" >&2
			rm -f "$rundir/baresip.pid"
			die "baresip exited during start-up (log: $rundir/baresip.log)"; }
		if udp_bound "$port" && grep -q 'baresip is ready' "$rundir/baresip.log"; then
			echo "$pid"
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	kill "$pid" 2>/dev/null
	die "baresip did not bind UDP 127.0.0.1:$port within 10 s (log: $rundir/baresip.log)"
}

stop() {
	rundir=$1
	[ -f "$rundir/baresip.pid" ] || return 0
	pid=$(cat "$rundir/baresip.pid")
	if alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		i=0
		while alive "$pid" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		if alive "$pid"; then
			echo "baresip.sh: pid $pid ignored SIGTERM, killing" >&2
			kill -KILL "$pid" 2>/dev/null
		fi
		i=0
		while alive "$pid" && [ $i -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
		alive "$pid" && die "pid $pid still running"
	fi
	rm -f "$rundir/baresip.pid"
}

case ${1:-} in
start) [ $# -eq 3 ] || usage; start "$2" "$3" ;;
stop)  [ $# -eq 2 ] || usage; stop "$2" ;;
*)     usage ;;
esac
