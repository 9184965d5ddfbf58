#!/bin/sh
# bench/scale: how pal's MPI stages scale with the rank count (issue 10).
#
#   1. pal-label's farm efficiency with --delay exp:20ms, PER_RANK rows a
#      rank (weak scaling): the ideal time is the sum of the rows' delays
#      (measured by a run that waits them all out at once, -j 4096)
#      divided by the ranks; efficiency = ideal / the farm's span (first
#      t_start to last t_end) and ideal / the wall time (mpirun's
#      start-up included); target >= 90 % at 16 ranks;
#   2. pal-train --parallel data on TRAIN_ROWS rows (Branin, f64, strong
#      scaling): wall time against ranks, speed-up and efficiency against
#      the run at the first rank count of RANKS, in the same run;
#   3. pal-predict rows per second on PREDICT_ROWS rows against ranks
#      (the 2-member committee of 2.), speed-up against the first rank count.
#
# RANKS (default: 1, 2, 4, 8, 16 up to the number of cores, so "1 2" on a
# 2-core machine) is the list of rank counts; a count above the cores runs
# oversubscribed (mpirun --oversubscribe) and its line says so, since such
# a figure measures the sharing of cores, not the scaling.  PER_RANK
# (default 100), TRAIN_ROWS (100000), EPOCHS (10) and PREDICT_ROWS
# (2000000) set the sizes; OpenBLAS runs one thread a rank.  PARTS
# (default "label train predict") picks the parts: the farm's rows wait
# out timers, not the CPU, so PARTS=label RANKS="4 8 16" measures the farm
# past the cores of a small machine (flagged oversubscribed), where the
# CPU-bound parts would measure nothing.  pal-orchestrate's stream policy
# is measured by bench/policy.sh (NP, its oracle ranks).  Timings are
# single runs: on a shared machine, read them as such.  Standalone: sh
# bench/scale.sh.
set -eu
. "$(dirname "$0")/lib.sh"
PER_RANK=${PER_RANK:-100}
PARTS=${PARTS:-label train predict}
# part NAME: whether PARTS asks for it.
part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
TRAIN_ROWS=${TRAIN_ROWS:-100000}
EPOCHS=${EPOCHS:-10}
PREDICT_ROWS=${PREDICT_ROWS:-2000000}
# The cores, before OMP_NUM_THREADS (which nproc obeys) is set.
cores=$(nproc)
OMPI_ALLOW_RUN_AS_ROOT=1
OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# One thread a rank: the scaling over ranks, not over OpenBLAS's threads
# (which, a rank each, would oversubscribe the cores at 2 ranks already).
OPENBLAS_NUM_THREADS=1
OMP_NUM_THREADS=1
export OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM
export OPENBLAS_NUM_THREADS OMP_NUM_THREADS
if [ -z "${RANKS:-}" ]; then
	RANKS=
	for r in 1 2 4 8 16; do
		[ "$r" -le "$cores" ] && RANKS="$RANKS $r"
	done
fi
for r in $RANKS; do
	case $r in
	'' | *[!0-9]* | 0) echo "scale: RANKS: '$r' is not a rank count" >&2; exit 2 ;;
	esac
done
bench_workdir scale

now() { date +%s.%N; }
# timed CMD: run CMD (sh -c), print its wall time in seconds.
timed() {
	t0=$(now)
	sh -c "$1"
	t1=$(now)
	echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }'
}
# mpi N: the mpirun words for N ranks; over: the note for N ranks.
mpi() { echo "mpirun --oversubscribe -n $1"; }
over() { [ "$1" -gt "$cores" ] && echo "oversubscribed" || echo ""; }

echo "machine: $cores cores, $(uname -m)$(uptime | sed 's/.*load average/, load average/')"
echo "ranks:$RANKS (above $cores: oversubscribed, flagged); OPENBLAS_NUM_THREADS=1"
echo "(a shared machine: other jobs may run at the same time; single runs)"
echo

if part label; then
echo "1. pal-label farm efficiency, --builtin toy --delay exp:20ms, $PER_RANK rows a rank"
printf '%5s %6s %8s %8s %8s %7s %7s  %s\n' ranks rows "ideal s" "span s" "wall s" eff "wall%" note
awk -v n="$((PER_RANK * 16))" 'BEGIN { print "x.0,x.1"; for (i = 0; i < n; i++) printf "%.6f,%.6f\n", (i % 1000) / 1000, (i % 977) / 977 }' |
	pal-cat --from csv -o rows.pal
for r in $RANKS; do
	n=$((PER_RANK * r))
	pal-cat --head "$n" rows.pal >delay.pal
	pal-label --builtin toy --delay exp:20ms -j 4096 -i delay.pal -o ideal.pal
	sum=$(pal-cat --columns t_start,t_end --to csv ideal.pal | sed 1d |
		awk -F, '{ s += $2 - $1 } END { printf "%.4f", s }')
	t=$(timed "$(mpi "$r") pal-label --builtin toy --delay exp:20ms -i delay.pal -o u.pal </dev/null")
	pal-cat --columns t_start,t_end --to csv u.pal | sed 1d |
	awk -F, -v sum="$sum" -v r="$r" -v wall="$t" -v n="$n" -v note="$(over "$r")" '
		NR == 1 || $1 < s0 { s0 = $1 } NR == 1 || $2 > s1 { s1 = $2 }
		END { ideal = sum / r; span = s1 - s0
		      printf "%5d %6d %8.3f %8.3f %8.3f %6.1f%% %6.1f%%  %s\n", r, n,
			ideal, span, wall, 100 * ideal / span, 100 * ideal / wall, note }'
done
echo "(ideal: the sum of the rows' delays / ranks; eff: ideal / span;"
echo " wall%: ideal / wall time, mpirun's start-up included; rank 0 labels too)"
echo
fi
if part train; then
echo "2. pal-train --parallel data, $TRAIN_ROWS rows (Branin, x in 2-d), strong scaling"
topts="--parallel data --members 2 --layers 64,64 --epochs $EPOCHS --batch 256 --precision f64 --quiet"
echo "   (pal-train $topts)"
pal-gen --method sobol --n "$TRAIN_ROWS" --bounds -5:10,0:15 |
	pal-label --builtin branin -o train.pal
printf '%5s %8s %8s %7s  %s\n' ranks "wall s" speed-up eff note
t_first=
r_first=
for r in $RANKS; do
	t=$(timed "$(mpi "$r") pal-train $topts -i train.pal -o model-$r.pal </dev/null")
	[ -n "$t_first" ] || { t_first=$t; r_first=$r; }
	awk -v t="$t" -v t1="$t_first" -v r="$r" -v r1="$r_first" -v note="$(over "$r")" \
		'BEGIN { s = t1 / t; printf "%5d %8.3f %8.2f %6.1f%%  %s\n", r, t, s, 100 * s * r1 / r, note }'
done
echo "(speed-up: the wall time at $r_first rank(s) / this one; eff: speed-up / (ranks / $r_first);"
echo " wall time, mpirun's start-up and the reading of the rows included)"
echo
fi
if part predict; then
echo "3. pal-predict, $PREDICT_ROWS rows (x in 2-d), the 2-member committee of 2."
pal-gen --method uniform --n "$PREDICT_ROWS" --bounds -5:10,0:15 -o cand.pal
set -- $RANKS
model=model-$1.pal
if ! [ -e "$model" ]; then
	# Without the train part: a model of the same shape, trained briefly.
	pal-gen --method sobol --n 2000 --bounds -5:10,0:15 |
		pal-label --builtin branin -o small.pal
	pal-train --members 2 --layers 64,64 --epochs 2 --quiet \
		-i small.pal -o "$model"
fi
printf '%5s %8s %12s %8s  %s\n' ranks "wall s" rows/s speed-up note
t_first=
for r in $RANKS; do
	t=$(timed "$(mpi "$r") pal-predict --quiet --model $model -i cand.pal -o pred.pal </dev/null")
	[ -n "$t_first" ] || t_first=$t
	awk -v t="$t" -v t1="$t_first" -v r="$r" -v n="$PREDICT_ROWS" -v note="$(over "$r")" \
		'BEGIN { printf "%5d %8.3f %12.0f %8.2f  %s\n", r, t, n / t, t1 / t, note }'
done
echo "(rows/s: rows / wall time, mpirun's start-up, reading and writing included)"
fi

