#!/bin/sh
# down.sh: stop the one-node Slurm cluster that tests/slurm/up.sh started
# in DIR: slurmd and slurmctld together, then munged, each by the pid in
# its pid file (and only if that pid is still the daemon), by SIGTERM and,
# after 10 s, SIGKILL.  Each takes about 2 s to stop.  DIR's files (logs
# included) stay.  Exits 1 if a daemon needed SIGKILL.
#
#   tests/slurm/down.sh DIR
set -u

if [ $# -ne 1 ]; then
	echo "usage: down.sh dir" >&2
	exit 2
fi
D=$1
status=0

# alive PID NAME: whether process PID runs and is the daemon NAME.
alive() {
	[ "$(cat /proc/$1/comm 2>/dev/null)" = "$2" ]
}

# stop PIDFILE:NAME...: SIGTERM to each daemon that runs, then wait for
# all of them, up to 10 s, then SIGKILL.
stop() {
	pids=
	for spec; do
		file=${spec%:*} name=${spec##*:}
		[ -s "$file" ] || continue
		pid=$(cat "$file")
		rm -f "$file"
		case $pid in '' | *[!0-9]*) continue ;; esac
		alive "$pid" "$name" || continue
		kill -TERM "$pid" 2>/dev/null
		pids="$pids $pid:$name"
	done
	i=0
	for spec in $pids; do
		pid=${spec%:*} name=${spec##*:}
		while alive "$pid" "$name"; do
			i=$((i + 1))
			if [ $i -gt 100 ]; then
				echo "down.sh: $name ($pid) did not stop on" \
					"SIGTERM in 10 s; SIGKILL" >&2
				kill -KILL "$pid" 2>/dev/null
				status=1
				break
			fi
			sleep 0.1
		done
	done
}

stop "$D/slurmd.pid:slurmd" "$D/slurmctld.pid:slurmctld"
stop "$D/munge/munged.pid:munged"
exit $status
