#!/bin/sh
# up.sh: bring up a one-node Slurm cluster on localhost, for the tests.
#
#   tests/slurm/up.sh DIR
#
# Everything lives in DIR (created if needed; an absolute path is best):
# a munge key and its daemon on a socket of its own, slurm.conf
# (ProctrackType=proctrack/linuxproc, TaskPlugin=task/none, no
# cgroup.conf: what works without systemd or cgroup delegation;
# MpiDefault=pmix, so that a plain srun -n N of an MPI program is one job
# of N ranks, not N singletons), slurmctld and slurmd on 127.0.0.1, their
# state, logs and pid files.  DIR's path must be short (munge's socket
# path has a limit of 107 bytes): mktemp -d under /tmp.  Nothing is
# read from or written to /etc/slurm, /etc/munge or /run/munge, so a Slurm
# or munge that the machine runs already is not disturbed.  Use it with
#
#	SLURM_CONF=DIR/slurm.conf srun ...
#
# and stop it with tests/slurm/down.sh DIR.  Needs root (slurmd starts
# jobs as their user) and Debian's slurm-wlm and munge.  It waits, each
# wait bounded, until the node is idle, and exits 0; or prints what went
# wrong with the tail of the daemons' logs, stops what it started, and
# exits 1.
#
# Environment: SLURM_PORT (default 16817) is slurmctld's port, slurmd's
# the next one; SLURM_UP_TIMEOUT (default 30) bounds the wait in seconds.
set -eu

if [ $# -ne 1 ]; then
	echo "usage: up.sh dir" >&2
	exit 2
fi
mkdir -p "$1"
D=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
port=${SLURM_PORT:-16817}
timeout=${SLURM_UP_TIMEOUT:-30}

fail() {
	echo "up.sh: $*" >&2
	for log in munged.log slurmctld.log slurmd.log; do
		[ -s "$D/$log" ] || continue
		echo "up.sh: the end of $D/$log:" >&2
		tail -n 15 "$D/$log" | sed 's/^/    /' >&2
	done
	"$here/down.sh" "$D" >/dev/null 2>&1 || true
	exit 1
}

# wait_for SECONDS WHAT CMD...: run CMD every 0.2 s until it succeeds.
wait_for() {
	secs=$1 limit=$(($1 * 5))
	what=$2
	shift 2
	i=0
	until "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -le $limit ] || fail "timed out after $secs s waiting for $what"
		sleep 0.2
	done
}

[ "$(id -u)" -eq 0 ] || { echo "up.sh: must run as root" >&2; exit 1; }
for prog in munged mungekey slurmctld slurmd scontrol sinfo; do
	command -v $prog >/dev/null 2>&1 ||
		PATH=$PATH:/usr/sbin:/sbin command -v $prog >/dev/null 2>&1 ||
		{ echo "up.sh: no $prog (apt-get install slurm-wlm munge)" >&2;
		  exit 1; }
done
PATH=$PATH:/usr/sbin:/sbin
if [ -e "$D/slurmctld.pid" ] || [ -e "$D/munge/munged.pid" ]; then
	echo "up.sh: $D already holds a cluster (down.sh $D first)" >&2
	exit 1
fi
# A port in use would have scontrol talk to someone else's slurmctld.
if command -v ss >/dev/null 2>&1; then
	for p in $port $((port + 1)); do
		[ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ] ||
			{ echo "up.sh: port $p is in use (set SLURM_PORT)" >&2;
			  exit 1; }
	done
fi

mkdir -p "$D/state" "$D/spool" "$D/tmp"
chmod 700 "$D/state" "$D/spool"
rm -f "$D"/*.log

# munge: a fresh key and a daemon on a socket in DIR.  munged checks that
# no one else can write to the directories of its key and socket.
mkdir -p "$D/munge"
chmod 755 "$D/munge"
mungekey --create --force --keyfile="$D/munge/munge.key" ||
	fail "cannot create a munge key"
munged --key-file="$D/munge/munge.key" --socket="$D/munge/munge.socket" \
	--pid-file="$D/munge/munged.pid" --seed-file="$D/munge/munged.seed" \
	--log-file="$D/munged.log" --force ||
	fail "munged did not start"
wait_for "$timeout" "munged's pid file" test -s "$D/munge/munged.pid"

cpus=$(nproc)
[ "$cpus" -ge 2 ] || cpus=2	# two tasks, oversubscribed on one core
cat >"$D/slurm.conf" <<CONF
# A one-node Slurm for pal's tests (tests/slurm/up.sh).
ClusterName=pal
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$D/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
TmpFS=$D/tmp
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/slurmctld.log
SlurmdLogFile=$D/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=pmix
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
SlurmdParameters=config_overrides
PlugStackConfig=$D/plugstack.conf
MailProg=/bin/true
InactiveLimit=0
KillWait=5
MinJobAge=300
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
: >"$D/plugstack.conf"
SLURM_CONF=$D/slurm.conf
export SLURM_CONF

slurmctld -i -f "$SLURM_CONF" || fail "slurmctld did not start"
wait_for "$timeout" "slurmctld to answer" scontrol ping
slurmd -N localhost -f "$SLURM_CONF" || fail "slurmd did not start"
idle() { sinfo -h -N -o %t | grep -qx idle; }
wait_for "$timeout" "the node to be idle" idle
echo "up.sh: one-node Slurm up in $D; export SLURM_CONF=$SLURM_CONF" >&2
