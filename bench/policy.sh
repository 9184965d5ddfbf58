#!/bin/sh
# bench/policy: how busy the oracles are under pal-orchestrate's stream
# policy against batch, the same campaign in both: Branin, 20 + 120 labels
# chosen 8 at a time by a committee of 4 MLPs, oracle calls of --delay
# exp:50ms on NP ranks (mpirun -n NP; default 2).  Utilisation = the
# oracles' busy seconds after the initial design / (NP x the span from the
# first of those calls to the end of the last).  Goal (issue 9): stream
# >= 1.3 x batch at 2 ranks; issue 10 asks for NP = 2, 4, 8, 16 where a
# machine has the cores (NP="2 4 8 16" runs each).
. "$(dirname "$0")/lib.sh"
bench_workdir policy
if ! command -v mpirun >/dev/null 2>&1; then
	echo "policy: no mpirun (apt-get install openmpi-bin)" >&2
	exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
	OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
	export OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM
fi
cat >c.in <<'CONF'
budget = 140
initial = 20
batch = 8
candidates = 500
seed = 1
bounds = -5:10,0:15
[label]
builtin = branin
delay = exp:50ms
np = NP
[train]
members = 4
layers = 16,16
epochs = 300
CONF
# utilisation DIR NP: busy / (NP x span) of the label events after id 20.
utilisation() {
	awk -F'\t' -v np="$2" '$3 == "label" && $6 >= 20 {
		busy += $2 - $1
		if (t0 == "" || $1 < t0) t0 = $1
		if ($2 > t1) t1 = $2
	} END { printf "%.3f %.2f\n", busy / (np * (t1 - t0)), t1 - t0 }' \
		"$1/events.tsv"
}
echo "machine: $(nproc) cores$(uptime | sed 's/.*load average/, load average/')"
printf '%-4s %-8s %10s %10s %12s %10s\n' np policy wall_s label_span \
	busy_frac val_rmse
for np in ${NP:-2}; do
	over=
	[ "$np" -gt "$(nproc)" ] && over=" (oversubscribed)"
	sed "s/NP/$np/" c.in >c.conf
	for p in batch stream; do
		t0=$(date +%s.%N)
		pal-orchestrate --quiet --config c.conf --policy $p $p-$np ||
			exit 1
		t1=$(date +%s.%N)
		set -- $(utilisation $p-$np $np)
		eval "u_$p=$1"
		printf '%-4s %-8s %10.2f %10.2f %12s %10s\n' $np $p \
			"$(awk "BEGIN { print $t1 - $t0 }")" "$2" "$1" \
			"$(tail -1 $p-$np/metrics.tsv | cut -f6)"
	done
	echo "np $np: stream / batch utilisation:" \
	     "$(awk "BEGIN { printf \"%.2f\", $u_stream / $u_batch }")$over" \
	     "(goal >= 1.3)"
done
