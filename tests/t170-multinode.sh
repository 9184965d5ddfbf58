#!/bin/sh
# Several nodes on one machine: tests/netns/up.sh makes three network
# namespaces joined by a bridge, each a node with its own hostname and
# /tmp, and mpirun launches on them through tests/netns/rsh (Open MPI's
# rsh launcher, --mca plm_rsh_agent) over TCP on the nodes' subnet only.
# Across them: pal-label farms an external oracle whose scratch is on
# node-local /tmp (the rows of a run on one process); pal-train
# --parallel members and data give the model of one node with the same
# rank count (the bytes; 1e-12 in f64); pal-orchestrate runs a campaign
# whose stages are placed by a hostfile (--map-by node, --npernode),
# the bytes of a campaign of one process a stage; and a node lost while
# the oracle runs ends the stage with mpirun's message naming the node
# (in the stage's log; the campaign's message names the log), after which
# --resume on the nodes left, with a changed launcher and label.np,
# finishes the campaign with no label lost or run again; a node cut off
# the network mid-run is named by pal-label's heartbeat, and the journal
# finishes the rows on the node left.  Then down.sh removes the
# namespaces (and an exit trap does, on any failure).  Needs
# root and ip netns; skipped without them, but for CI=true, where
# iproute2 must be installed (tools/install-deps test).
. "$(dirname "$0")/lib.sh"

PATH=$PATH:/usr/sbin:/sbin
if ! command -v ip >/dev/null 2>&1; then
	if [ "${CI-}" = true ]; then
		test_expect_success 'iproute2 is installed' "
			echo 'no ip (tools/install-deps test)'; false"
	else
		test_skip 'nodes as network namespaces' 'no ip (iproute2)'
	fi
	test_done
fi
if [ "$(id -u)" -ne 0 ]; then
	test_skip 'nodes as network namespaces' 'needs root (ip netns)'
	test_done
fi
for prog in unshare nsenter; do
	if ! command -v $prog >/dev/null 2>&1; then
		test_skip 'nodes as network namespaces' "no $prog (util-linux)"
		test_done
	fi
done
if ! ip netns add "palprobe$$" 2>/dev/null; then
	test_skip 'nodes as network namespaces' 'ip netns add refused'
	test_done
fi
ip netns del "palprobe$$"
need_mpirun 'nodes as network namespaces'

# The cluster's directory: outside /tmp (the nodes have their own) and
# outside $TRASH (which test_done removes before the exit trap runs).  A
# tree under /tmp (a clone there) is bound into the nodes' /tmp.
case $TOP in
/tmp | /tmp/*)
	CL=/var/tmp/pal-netns.$$
	PAL_NETNS_SHARE=$TOP
	export PAL_NETNS_SHARE ;;
*) CL=$TOP/build/netns.$$ ;;
esac
N=$TESTS/netns
trap '"$N/down.sh" "$CL" >/dev/null 2>&1; rm -rf "$CL"' EXIT
trap 'exit 1' HUP INT TERM
# on I CMD...: run CMD on node I, bounded to 120 s.
on() {
	i=$1
	shift
	"$N/on.sh" "$CL" "$i" timeout 120 "$@"
}
# rows FILE: id, x, y and status as sorted CSV.
rows() { pal-cat --columns id,x,y,status --to csv "$1" | sort; }

test_expect_success 'up.sh: three nodes, each its hostname, address and /tmp' '
	timeout 60 "$N/up.sh" "$CL" 3 &&
	for i in 1 2 3; do
		test "$(on $i hostname)" = node$i &&
		on $i sh -c "ip -o -4 addr show dev eth0" >addr &&
		test_grep " $(sed "s/0\/24//" "$CL/net")$i/24 " addr &&
		on $i sh -c "echo $i >/tmp/mine" || exit 1
	done &&
	test "$(on 2 cat /tmp/mine)" = 2 && test "$(cat "$CL/node3/tmp/mine")" = 3 &&
	test "$(ip netns list | grep -c "^$(cat "$CL/prefix")-")" -eq 4
'
# Without the nodes, the rest would only fail, each its own way.
[ -s "$CL/node3/pid" ] || test_done
MCA=$(cat "$CL/mca")
H=$CL/hostfile

test_expect_success 'mpirun --hostfile --map-by node: a rank on each node' '
	on 1 mpirun $MCA --hostfile "$H" --map-by node -n 3 \
		sh -c "echo \$OMPI_COMM_WORLD_RANK \$(hostname)" </dev/null | sort >got &&
	printf "0 node1\n1 node2\n2 node3\n" >want && test_cmp want got &&
	on 1 mpirun $MCA --hostfile "$H" --map-by ppr:2:node -n 6 hostname </dev/null |
		sort | uniq -c | awk "{ print \$1, \$2 }" >got &&
	printf "2 node1\n2 node2\n2 node3\n" >want && test_cmp want got &&
	must_fail 255 "$CL/rsh" node4 true 2>err &&
	test_grep "^rsh: node4: unknown host (nodes: node1..node3)$" err
'

# The oracle: it leaves the name of its node in its scratch directory and
# logs each call as it starts in calls (slow.sh: half a second a call,
# and in slow-calls).
cat >oracle.sh <<EOF
#!/bin/sh
hostname >host
echo "\$PAL_ID" >>$TRASH/calls
exec awk '{ print (\$1 - 1) ^ 2 + 3 * sin(\$2) + \$1 * \$2 / 7 }'
EOF
sed -e "s|/calls|/slow-calls|" -e 's|^exec|sleep 0.5; exec|' oracle.sh >slow.sh
chmod +x oracle.sh slow.sh
pal-gen --method sobol --n 60 --bounds -5:10,0:15 -o cand.pal

test_expect_success 'pal-label on 3 nodes: scratch on node-local /tmp, the rows of one process' '
	pal-label --exec "$TRASH/oracle.sh" --workdir "$TRASH/scratch" -i cand.pal -o one.pal &&
	on 1 mpirun $MCA --hostfile "$H" --map-by node -n 3 pal-label \
		--exec "$TRASH/oracle.sh" --workdir /tmp/scratch --keep-workdir \
		-i cand.pal -o multi.pal </dev/null &&
	rows one.pal >want && rows multi.pal >got && test_cmp want got &&
	test "$(wc -l <got)" -eq 61 &&
	test ! -e /tmp/scratch/host &&
	pal-cat --columns id,rank --to csv multi.pal | sed 1d >id-rank &&
	cut -d, -f2 id-rank | sort -u | tr "\n" " " >r && test "$(cat r)" = "0 1 2 " &&
	while IFS=, read id rank; do
		node=node$((rank % 3 + 1)) &&
		set -- "$CL/$node"/tmp/scratch/row$id-r$rank-* &&
		test $# -eq 1 && test -d "$1" &&
		test "$(cat "$1/host")" = $node || { echo "row $id rank $rank: $*"; exit 1; }
	done <id-rank &&
	for i in 1 2 3; do ls "$CL/node$i/tmp/scratch" || exit 1; done | wc -l >n &&
	echo 60 >want && test_cmp want n
'

pal-gen --method sobol --n 256 --bounds -5:10,0:15 --skip 1 |
	pal-label --builtin branin -o branin.pal
# theta_diff A B: the largest |a - b| / max(1, |a|) over two models'
# parameters.
theta_diff() {
	pal-cat --columns theta --to csv "$1" | sed 1d | tr , "\n" >ta &&
	pal-cat --columns theta --to csv "$2" | sed 1d | tr , "\n" >tb &&
	test "$(wc -l <ta)" -eq "$(wc -l <tb)" && test -s ta &&
	paste ta tb | awk '{ d = $1 - $2; if (d < 0) d = -d; a = $1 < 0 ? -$1 : $1
		if (a < 1) a = 1; if (d / a > m) m = d / a } END { printf "%.3g\n", m + 0 }'
}
common='--epochs 20 --layers 16,16 --quiet -i branin.pal'

test_expect_success 'pal-train --parallel members on 3 nodes: the bytes of 3 ranks on one' '
	mpi 3 pal-train --members 3 --parallel members $common -o m1.pal </dev/null &&
	on 1 mpirun $MCA --hostfile "$H" --map-by node -n 3 pal-train \
		--members 3 --parallel members $common -o m3.pal </dev/null &&
	cmp m1.pal m3.pal
'

test_expect_success 'pal-train --parallel data on 3 nodes: 3 ranks on one, to 1e-12 (f64)' '
	opts="--parallel data --members 2 --precision f64 --batch 32 --lr 0.01" &&
	mpi 3 pal-train $opts $common -o d1.pal </dev/null &&
	on 1 mpirun $MCA --hostfile "$H" --map-by node -n 3 pal-train \
		$opts $common -o d3.pal </dev/null &&
	e=$(theta_diff d1.pal d3.pal) && echo "largest relative difference: $e" &&
	awk -v e="$e" "BEGIN { exit !(e <= 1e-12) }"
'

cat >c.conf <<EOF
budget = 18
initial = 12
batch = 6
candidates = 100
seed = 3
bounds = -5:10,0:15
[label]
exec = $TRASH/oracle.sh
np = 3
[predict]
np = 3
[train]
members = 2
layers = 8
epochs = 30
precision = f64
EOF
# Per-stage placement (PAL's task_per_node): the oracle one rank a node
# in turn, pal-predict two ranks a node, pal-train one.
place_label="label.launcher=mpirun -n {np} --hostfile $H --map-by node $MCA"
place_predict="predict.launcher=mpirun -n {np} --hostfile $H --map-by ppr:2:node $MCA"
place_train="train.launcher=mpirun -n {np} --hostfile $H --npernode 1 $MCA"

test_expect_success 'pal-orchestrate on 3 nodes, stages placed by a hostfile: the campaign of one process' '
	pal-orchestrate --quiet --config c.conf \
		--set label.workdir="$TRASH/scratch-one" one </dev/null &&
	on 1 pal-orchestrate --quiet --config c.conf \
		--set label.np=3 --set predict.np=3 --set train.np=2 \
		--set label.workdir=/tmp/camp --set label.keep_workdir=yes \
		--set "$place_label" --set "$place_predict" --set "$place_train" \
		multi </dev/null &&
	grep -q "^stop=budget$" multi/state &&
	cmp one/labeled.pal multi/labeled.pal &&
	for m in one/models/*.pal; do cmp "$m" "multi/models/${m##*/}" || exit 1; done &&
	test "$(awk -F"\t" "\$3 == \"label\" { print \$4 }" multi/events.tsv | sort -u | tr "\n" " ")" = "0 1 2 " &&
	for i in 1 2 3; do
		test "$(cat "$CL"/node$i/tmp/camp/*/host | sort -u)" = node$i || exit 1
	done &&
	test "$(cat "$CL"/node*/tmp/camp/*/host | wc -l)" -eq 18 &&
	on 1 pal-orchestrate --dry-run --budget 30 multi >cmds &&
	test_grep "mpirun .*--map-by ppr:2:node .*pal-predict " cmds &&
	test_grep "mpirun .*--npernode 1 .*pal-train " cmds
'

sed -e "s|/oracle.sh|/slow.sh|" c.conf >d.conf
sed /node3/d "$H" >hostfile2

test_expect_success 'a node lost while the oracle runs: the stage fails naming it, --resume on the others finishes, no label lost' '
	{ { on 1 pal-orchestrate --quiet --config d.conf \
		--set label.np=3 --set "$place_label" \
		lost </dev/null 2>lost.err; echo $? >rc; } & } &&
	i=0 && while [ "$(cat slow-calls 2>/dev/null | wc -l)" -lt 4 ]; do
		i=$((i + 1)); [ $i -lt 600 ] || { echo "no calls"; exit 1; }; sleep 0.05
	done &&
	test ! -e lost/gen-0000/labeled.pal &&
	"$N/down.sh" --node 3 "$CL" &&
	wait &&
	test "$(cat rc)" = 1 && cat lost.err &&
	test_grep "^pal-orchestrate: label failed (generation 0: exit status [0-9]*; $TRASH/lost/logs/label-g0000.err)" lost.err &&
	test_grep "^ *Remote daemon: .* on node node3$" lost/logs/label-g0000.err &&
	{ pal-cat --columns id --to csv lost/gen-0000/label.journal 2>/dev/null || :; } |
		sed 1d | sort >journaled &&
	test -s journaled &&
	n=$(wc -l <slow-calls) &&
	on 1 pal-orchestrate --quiet --resume --set label.np=2 \
		--set "label.launcher=mpirun -n {np} --hostfile $TRASH/hostfile2 --map-by node $MCA" \
		lost </dev/null &&
	test "$(awk -F"\t" "\$3 == \"label\" && \$6 >= 12 { print \$4 }" lost/events.tsv | sort -u | tr "\n" " ")" = "0 1 " &&
	grep -q "^stop=budget$" lost/state &&
	cmp one/labeled.pal lost/labeled.pal &&
	for m in one/models/*.pal; do cmp "$m" "lost/models/${m##*/}" || exit 1; done &&
	pal-cat --columns id --to csv lost/labeled.pal | sed 1d | sort >ids &&
	test "$(uniq ids | wc -l)" -eq 18 && test "$(wc -l <ids)" -eq 18 &&
	sed "1,${n}d" slow-calls | sort >again &&
	echo "$(wc -l <journaled) rows journaled before the loss, $(wc -l <again) calls after it" &&
	comm -12 journaled again >both && test ! -s both &&
	sort journaled again >all && test_cmp ids all
'

# A node cut off the network (its link down; its processes run on,
# unreachable): pal-label's heartbeat names it, mpirun ends within
# seconds (DIR/mca's TCP keepalive), and pal-label on the node left, with
# the journal, runs only the rows that were not journaled.
sed -e "s|/calls|/cut-calls|" -e 's|^exec|sleep 0.5; exec|' oracle.sh >cut.sh
chmod +x cut.sh

test_expect_success 'a node cut off mid-run: the heartbeat names it, the journal finishes the rows on the other' '
	{ { on 1 mpirun $MCA --hostfile hostfile2 --map-by node -n 2 pal-label \
		--heartbeat 2s --exec "$TRASH/cut.sh" --journal cut.journal \
		-i cand.pal -o cut.pal </dev/null 2>cut.err; echo $? >rc; } & } &&
	i=0 && while [ "$(cat cut-calls 2>/dev/null | wc -l)" -lt 5 ]; do
		i=$((i + 1)); [ $i -lt 600 ] || { echo "no calls"; exit 1; }; sleep 0.05
	done &&
	"$N/down.sh" --cut 2 "$CL" &&
	t0=$(date +%s) && wait && t1=$(date +%s) &&
	echo "mpirun ended $((t1 - t0)) s after the cut" && cat cut.err &&
	test "$(cat rc)" = 1 &&
	test_grep "^pal-label: rank 1 (host node2, pid [0-9]*) has not answered for [0-9.]* s (--heartbeat 2): stopped or hung; ending the job$" cut.err &&
	test ! -e cut.pal &&
	test $((t1 - t0)) -lt 30 &&
	{ pal-cat --columns id --to csv cut.journal 2>/dev/null || :; } | sed 1d | sort >journaled &&
	test -s journaled &&
	n=$(wc -l <cut-calls) &&
	on 1 pal-label --exec "$TRASH/cut.sh" --journal cut.journal -j 8 \
		-i cand.pal -o cut.pal </dev/null &&
	rows one.pal >want && rows cut.pal >got && test_cmp want got &&
	sed "1,${n}d" cut-calls | sort >again &&
	echo "$(wc -l <journaled) rows journaled before the cut, $(wc -l <again) calls after it" &&
	comm -12 journaled again >both && test ! -s both &&
	pal-cat --columns id --to csv cand.pal | sed 1d | sort >all-ids &&
	sort journaled again >all && test_cmp all-ids all
'

test_expect_success 'down.sh: no namespace, process or address left' '
	p=$(cat "$CL/prefix") &&
	"$N/down.sh" "$CL" &&
	test "$(ip netns list | grep -c "^$p-")" -eq 0 &&
	! ip -o addr show | grep -q " $(sed "s/0\/24//" "$CL/net")" &&
	! ps -eo args | grep -q "^sleep 2147483647" || { ps -eo pid,args | grep "^ *[0-9]* sleep 2147483647"; exit 1; }
'

test_done
