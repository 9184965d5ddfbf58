#!/bin/sh
# down.sh: take down the cluster that tests/netns/up.sh made in DIR: every
# process in a node's network namespace (the node's sleeper and whatever
# ran on the node) by SIGKILL, waiting up to 10 s for them to go, then the
# namespaces pal<X>-n<i> and pal<X>-sw (their veths and bridge with
# them).  DIR's files stay, less the nodes' pid files.  Exits 1 if a
# namespace could not be removed.
#
#   tests/netns/down.sh DIR
#   tests/netns/down.sh --node I DIR	only kill node I's processes (a
#					node lost); its namespace stays
#   tests/netns/down.sh --cut I DIR	only cut node I off the network
#					(its link to the bridge down); its
#					processes run on, unreachable
set -u
PATH=$PATH:/usr/sbin:/sbin

only= cut=
if [ "${1-}" = --node ]; then
	only=$2
	shift 2
elif [ "${1-}" = --cut ]; then
	cut=$2
	shift 2
fi
if [ $# -ne 1 ]; then
	echo "usage: down.sh [--node i | --cut i] dir" >&2
	exit 2
fi
D=$1
[ -s "$D/prefix" ] || exit 0
P=$(cat "$D/prefix")
N=$(cat "$D/nodes" 2>/dev/null || echo 9)
status=0

# kill_ns NS: SIGKILL every process in NS until none is left (10 s).
kill_ns() {
	t=0
	while pids=$(ip netns pids "$1" 2>/dev/null) && [ -n "$pids" ]; do
		kill -KILL $pids 2>/dev/null
		t=$((t + 1))
		if [ $t -gt 100 ]; then
			echo "down.sh: processes left in $1: $pids" >&2
			status=1
			return
		fi
		sleep 0.1
	done
}

if [ -n "$cut" ]; then
	ip -n "$P-sw" link set "v$cut" down || exit 1
	exit 0
fi
if [ -n "$only" ]; then
	# The sleeper first, so that the node is down (tests/netns/rsh
	# looks) before its commands are seen to die.
	pid=$(cat "$D/node$only/pid" 2>/dev/null) &&
		[ "$(ip netns identify "$pid" 2>/dev/null)" = "$P-n$only" ] &&
		kill -KILL "$pid" 2>/dev/null
	kill_ns "$P-n$only"
	rm -f "$D/node$only/pid"
	exit $status
fi
i=1
while [ $i -le "$N" ]; do
	if ip netns list | grep -q "^$P-n$i\b"; then
		kill_ns "$P-n$i"
		ip netns del "$P-n$i" || status=1
	fi
	rm -f "$D/node$i/pid"
	i=$((i + 1))
done
if ip netns list | grep -q "^$P-sw\b"; then
	kill_ns "$P-sw"
	ip netns del "$P-sw" || status=1
fi
exit $status
