#!/bin/sh
# up.sh: bring up N "nodes" on this machine, for the multi-node tests.
#
#   tests/netns/up.sh DIR N
#
# Each node is a network namespace of its own, pal<X>-n<i>, joined to the
# others through a veth pair to a bridge that lives in a namespace of its
# own too, pal<X>-sw; node i has the address 10.231.<X>.<i>/24 on its
# eth0, and no route anywhere else.  X is picked from the shell's pid, and
# moved on while the host has an address or a route in 10.231.<X>.0/24 or
# namespaces named pal<X>-* exist (another run's).  Nothing is added to
# the host's own namespace: the veths are made inside the namespaces.
#
# A node is a process, DIR/node<i>/pid, that sleeps in the node's network
# namespace, in a UTS namespace whose hostname is node<i>, and in a mount
# namespace where DIR/node<i>/tmp is its /tmp (node-local scratch, seen
# from outside the node in that directory) and DIR/hosts its /etc/hosts
# (the nodes' names and addresses).  tests/netns/on.sh runs a command on
# a node; tests/netns/rsh is the agent that Open MPI's rsh launcher calls
# (plm_rsh_agent), and up.sh writes:
#
#	DIR/rsh		the agent for this cluster (no spaces in DIR)
#	DIR/hostfile	node1 ... nodeN, slots=2 each
#	DIR/mca		the mpirun options that make Open MPI launch through
#			DIR/rsh and talk over the nodes' subnet only, and
#			probe an idle daemon's connection after 1 s (TCP
#			keepalive, 3 probes 1 s apart), so that mpirun ends
#			in seconds, not minutes, when a node is cut off
#	DIR/net		the subnet, 10.231.X.0/24
#	DIR/prefix	the namespaces' prefix, pal<X>
#
# DIR must not be under /tmp (the nodes would not see it there: their
# /tmp is their own); an absolute path without spaces.  The directories
# under /tmp named in PAL_NETNS_SHARE (spaces between them: a source tree
# cloned under /tmp, its programs and its tests' scratch) are bound in
# each node's own /tmp at the same paths, so that the nodes see them as
# the host does.  Needs root.
# Every wait is bounded; on failure up.sh says what went wrong, takes
# down what it made (tests/netns/down.sh DIR) and exits 1.
set -eu

if [ $# -ne 2 ]; then
	echo "usage: up.sh dir nodes" >&2
	exit 2
fi
case $2 in
[1-9]) ;;
*) echo "up.sh: nodes: 1 to 9, not '$2'" >&2; exit 2 ;;
esac
N=$2
D=$(realpath -m "$1")
SHARE=
for s in ${PAL_NETNS_SHARE:-}; do
	s=$(realpath -m "$s")
	case $s in
	/tmp/*[!A-Za-z0-9/._+-]*)
		echo "up.sh: PAL_NETNS_SHARE: '$s': a path of letters, digits and /._+- only" >&2
		exit 2 ;;
	/tmp/?*) SHARE="$SHARE $s" ;;
	*) ;;	# outside /tmp: the nodes see it already
	esac
done
case $D in
/tmp | /tmp/*) echo "up.sh: '$D' is under /tmp, which the nodes do not see" >&2; exit 2 ;;
*[!A-Za-z0-9/._+-]*) echo "up.sh: '$D': a path of letters, digits and /._+- only" >&2; exit 2 ;;
esac
mkdir -p "$D"
here=$(cd "$(dirname "$0")" && pwd)
PATH=$PATH:/usr/sbin:/sbin
if [ -s "$D/prefix" ] && ip netns list | grep -q "^$(cat "$D/prefix")-"; then
	echo "up.sh: a cluster is up in '$D' already (tests/netns/down.sh it first)" >&2
	exit 1
fi

fail() {
	echo "up.sh: $*" >&2
	"$here/down.sh" "$D" >/dev/null 2>&1 || true
	exit 1
}

# The subnet: 10.231.X.0/24 that no address or route of the host uses
# and no namespace of another run names.
X=$(($$ % 250 + 1))
tries=0
while ip -o addr show | grep -q " 10\.231\.$X\." ||
	ip route show table all | grep -q "10\.231\.$X\." ||
	ip netns list | grep -q "^pal$X-"; do
	tries=$((tries + 1))
	[ $tries -lt 250 ] || { echo "up.sh: no free 10.231.X.0/24" >&2; exit 1; }
	X=$((X % 250 + 1))
done
P=pal$X
# Whatever ends up.sh early (set -e included) takes down what it made.
trap '[ $? -eq 0 ] || "$here/down.sh" "$D" >/dev/null 2>&1' EXIT
echo "$P" >"$D/prefix"
echo "10.231.$X.0/24" >"$D/net"
echo "$N" >"$D/nodes"

{
	echo "127.0.0.1 localhost"
	i=1
	while [ $i -le "$N" ]; do
		echo "10.231.$X.$i node$i"
		i=$((i + 1))
	done
} >"$D/hosts"
: >"$D/hostfile"
i=1
while [ $i -le "$N" ]; do
	echo "node$i slots=2" >>"$D/hostfile"
	i=$((i + 1))
done
printf '#!/bin/sh\nexec %s/rsh %s "$@"\n' "$here" "$D" >"$D/rsh"
chmod +x "$D/rsh"
echo "--mca plm_rsh_agent $D/rsh --mca oob_tcp_if_include 10.231.$X.0/24 --mca btl_tcp_if_include 10.231.$X.0/24 --mca btl tcp,self --mca oob_tcp_keepalive_time 1 --mca oob_tcp_keepalive_intvl 1 --mca oob_tcp_keepalive_probes 3" >"$D/mca"

ip netns add "$P-sw" || fail "ip netns add $P-sw refused"
ip -n "$P-sw" link set lo up
ip -n "$P-sw" link add br0 type bridge || fail "no bridge in $P-sw"
ip -n "$P-sw" link set br0 up
i=1
while [ $i -le "$N" ]; do
	ns=$P-n$i
	ip netns add "$ns" || fail "ip netns add $ns refused"
	ip -n "$P-sw" link add "v$i" type veth peer name eth0 netns "$ns" ||
		fail "no veth pair for node$i"
	ip -n "$P-sw" link set "v$i" master br0 up
	ip -n "$ns" link set lo up
	ip -n "$ns" addr add "10.231.$X.$i/24" dev eth0
	ip -n "$ns" link set eth0 up
	mkdir -p "$D/node$i/tmp" "$D/node$i/host-tmp"
	chmod 1777 "$D/node$i/tmp"
	rm -f "$D/node$i/pid"
	# The node: a sleeper in the network namespace, with a hostname, a
	# /tmp and an /etc/hosts of its own.
	setsid ip netns exec "$ns" unshare --uts --mount --propagation private \
		sh -c 'hostname "node$1" &&
			mount --bind /tmp "$2/node$1/host-tmp" &&
			mount --bind "$2/node$1/tmp" /tmp &&
			for s in $3; do
				mkdir -p "$s" &&
				mount --bind "$2/node$1/host-tmp/${s#/tmp/}" "$s" ||
				exit 1
			done &&
			mount --bind "$2/hosts" /etc/hosts &&
			echo $$ >"$2/node$1/pid.new" &&
			mv "$2/node$1/pid.new" "$2/node$1/pid" &&
			exec sleep 2147483647' sh "$i" "$D" "$SHARE" \
		</dev/null >"$D/node$i/log" 2>&1 &
	i=$((i + 1))
done

# Wait (up to 10 s) for every node to be up, then for each to reach
# every other (ping if there is one, else the hostname seen through
# on.sh).
i=1
while [ $i -le "$N" ]; do
	t=0
	until [ -s "$D/node$i/pid" ]; do
		t=$((t + 1))
		[ $t -le 100 ] || fail "node$i did not come up in 10 s: $(cat "$D/node$i/log")"
		sleep 0.1
	done
	h=$("$here/on.sh" "$D" "$i" hostname) || fail "node$i: on.sh failed"
	[ "$h" = "node$i" ] || fail "node$i says it is '$h'"
	i=$((i + 1))
done
if command -v ping >/dev/null 2>&1; then
	i=1
	while [ $i -le "$N" ]; do
		j=1
		while [ $j -le "$N" ]; do
			"$here/on.sh" "$D" "$i" ping -c 1 -W 5 "node$j" >/dev/null ||
				fail "node$i cannot reach node$j"
			j=$((j + 1))
		done
		i=$((i + 1))
	done
fi
exit 0
