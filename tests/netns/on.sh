#!/bin/sh
# on.sh: run a command on node I of the cluster that tests/netns/up.sh
# made in DIR: in its network, UTS and mount namespaces (hostname nodeI,
# its own /tmp and /etc/hosts), in the current directory.
#
#   tests/netns/on.sh DIR I CMD [ARG...]
#
# Exits with CMD's status, or 255 if node I is not up (or was lost).
set -u

if [ $# -lt 3 ]; then
	echo "usage: on.sh dir node cmd [arg...]" >&2
	exit 2
fi
D=$1 I=$2
shift 2
pid=$(cat "$D/node$I/pid" 2>/dev/null) || pid=
case $pid in
'' | *[!0-9]*) echo "on.sh: node$I is not up ($D/node$I/pid)" >&2; exit 255 ;;
esac
# The pid must still be node I's sleeper, in node I's network namespace.
if [ "$(readlink "/proc/$pid/ns/net" 2>/dev/null)" = "" ] ||
	! grep -q "^sleep" "/proc/$pid/comm" 2>/dev/null; then
	echo "on.sh: node$I is down (no process $pid)" >&2
	exit 255
fi
exec nsenter --target "$pid" --net --uts --mount --wd="$PWD" -- "$@"
