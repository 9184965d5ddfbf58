#!/bin/sh
# bench/label: the task farm of pal-label.
#
#   1. rows per second with a trivial built-in (toy), alone (no mpirun),
#      under mpirun -n 1 and -n 2, and -n 2 with --dispatch-only;
#   2. rows per second with --exec of a trivial command (cat), at 1 and 2
#      ranks, against a shell "while read" loop that runs the same command
#      string through sh -c per row (the ratio; target >= 0.8), and
#      against a loop that pipes each line to the command directly;
#   3. worker utilisation with --delay exp:20ms, PER_WORKER rows per worker
#      (ranks x -j): the ideal time is the sum of the rows' delays divided
#      by the workers; the delays are measured by a run that waits them all
#      out at once (-j 4096).  Utilisation = ideal / the farm's span (first
#      t_start to last t_end in the output); target >= 95 %.  The wall
#      time, mpirun's start-up included, is shown too.
#   4. the built-in Branin end to end (read the stream, evaluate, write
#      the labeled stream), against numpy doing the same with
#      share/pal_stream.py in the same run (the ratio; target >= 1.5).
#
# BASE=path/to/an/older/pal-label adds its rows to tables 1, 2 and 4,
# measured in the same run, to compare a change before and after.
#
# Standalone: sh bench/label.sh (uses bin/ of its tree).  ROWS (default
# 2000000), EXEC_ROWS (1000) and PER_WORKER (150) set the sizes.  Timings
# are single runs: on a shared machine, read them as such.
set -eu
. "$(dirname "$0")/lib.sh"
ROWS=${ROWS:-2000000}
EXEC_ROWS=${EXEC_ROWS:-1000}
PER_WORKER=${PER_WORKER:-150}
OMPI_ALLOW_RUN_AS_ROOT=1
OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM
bench_workdir label

now() { date +%s.%N; }
# timed CMD: run CMD (sh -c), print its wall time in seconds.
timed() {
	t0=$(now)
	sh -c "$1"
	t1=$(now)
	echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }'
}
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", a / b }'; }
mpi() { n=$1; shift; echo "mpirun --oversubscribe -n $n $*"; }

# Inputs: ids and x of width 2.
awk -v n="$ROWS" 'BEGIN { print "x.0,x.1"; for (i = 0; i < n; i++) printf "%.6f,%.6f\n", (i % 1000) / 1000, (i % 977) / 977 }' |
	pal-cat --from csv -o big.pal
pal-cat --head "$EXEC_ROWS" big.pal >exec.pal
pal-cat --head 1 big.pal >one.pal
pal-cat --columns x --to csv exec.pal | sed 1d | tr , ' ' >exec.txt

echo "machine: $(nproc) cores$(uptime | sed 's/.*load average/, load average/')"
echo "(a shared machine: other jobs run at the same time; single runs)"
echo

echo "1. trivial built-in (toy), $ROWS rows, input and output files (-i/-o)"
printf '%-34s %8s %12s %12s\n' "run" "wall s" "rows/s" "rows/s net"
BASE=${BASE:-}
bins="pal-label${BASE:+ $BASE}"
for how in alone n1 n2 n2d; do
	case $how in
	alone) pre=""; opt=""; label="alone (no mpirun)" ;;
	n1) pre=$(mpi 1); opt=""; label="mpirun -n 1" ;;
	n2) pre=$(mpi 2); opt=""; label="mpirun -n 2" ;;
	n2d) pre=$(mpi 2); opt="--dispatch-only"; label="mpirun -n 2 --dispatch-only" ;;
	esac
	for bin in $bins; do
	[ "$bin" = pal-label ] && l=$label || l="$label (base)"
	t0=$(timed "$pre $bin --builtin toy $opt -i one.pal -o o.pal </dev/null")
	t=$(timed "$pre $bin --builtin toy $opt -i big.pal -o o.pal </dev/null")
	n=$(pal-cat --info o.pal | awk '/^rows/ { print $2 }')
	[ "$n" -eq "$ROWS" ] || { echo "wrong row count $n" >&2; exit 1; }
	net=$(awk -v t="$t" -v s="$t0" 'BEGIN { print (t - s > 0.001) ? t - s : 0.001 }')
	printf '%-34s %8s %12s %12s\n' "$l" "$t" "$(div "$ROWS" "$t")" "$(div "$ROWS" "$net")"
	done
done
echo "(rows/s net: less the wall time of the same run on one row, i.e. start-up)"
echo

echo "2. --exec 'cat', $EXEC_ROWS rows, one call per row"
printf '%-34s %8s %10s %8s\n' "run" "wall s" "rows/s" "ratio"
t_loop=$(timed "while IFS= read -r l; do printf '%s\n' \"\$l\" | sh -c cat; done <exec.txt >/dev/null")
t_direct=$(timed "while IFS= read -r l; do printf '%s\n' \"\$l\" | cat; done <exec.txt >/dev/null")
printf '%-34s %8s %10s %8s\n' "sh loop: ... | sh -c 'cat'" "$t_loop" "$(div "$EXEC_ROWS" "$t_loop")" "1.00"
printf '%-34s %8s %10s %8s\n' "sh loop: ... | cat" "$t_direct" "$(div "$EXEC_ROWS" "$t_direct")" \
	"$(awk -v a="$t_direct" -v b="$t_loop" 'BEGIN { printf "%.2f", b / a }')"
for how in alone j2 n1 n2; do
	case $how in
	alone) pre=""; opt=""; label="pal-label alone" ;;
	j2) pre=""; opt="-j 2"; label="pal-label alone -j 2" ;;
	n1) pre=$(mpi 1); opt=""; label="mpirun -n 1" ;;
	n2) pre=$(mpi 2); opt=""; label="mpirun -n 2" ;;
	esac
	for bin in $bins; do
	[ "$bin" = pal-label ] && l=$label || l="$label (base)"
	t=$(timed "$pre $bin --exec cat --outputs 2 $opt -i exec.pal -o e.pal </dev/null")
	bad=$(pal-cat --columns status --to csv e.pal | sed 1d | grep -vc '^0$' || true)
	[ "$bad" -eq 0 ] || { echo "$bad failed rows" >&2; exit 1; }
	printf '%-34s %8s %10s %8s\n' "$l" "$t" "$(div "$EXEC_ROWS" "$t")" \
		"$(awk -v a="$t" -v b="$t_loop" 'BEGIN { printf "%.2f", b / a }')"
	done
done
echo "(ratio: rows/s against the sh -c loop; target >= 0.8 alone)"
echo

echo "3. utilisation, --delay exp:20ms, $PER_WORKER rows per worker"
printf '%-30s %7s %6s %8s %8s %8s %7s %7s\n' "run" "workers" "rows" "ideal s" "span s" "wall s" "util" "wall%"
for how in alone n2 n2j4 n2d; do
	case $how in
	alone) pre=""; opt=""; w=1; label="alone" ;;
	n2) pre=$(mpi 2); opt=""; w=2; label="mpirun -n 2" ;;
	n2j4) pre=$(mpi 2); opt="-j 4"; w=8; label="mpirun -n 2 -j 4" ;;
	n2d) pre=$(mpi 2); opt="--dispatch-only"; w=1; label="mpirun -n 2 --dispatch-only" ;;
	esac
	n=$((PER_WORKER * w))
	pal-cat --head "$n" big.pal >delay.pal
	# The delays of these rows, waited out all at once.
	pal-label --builtin toy --delay exp:20ms -j 4096 -i delay.pal -o ideal.pal
	sum=$(pal-cat --columns t_start,t_end --to csv ideal.pal | sed 1d |
		awk -F, '{ s += $2 - $1 } END { printf "%.4f", s }')
	t=$(timed "$pre pal-label --builtin toy --delay exp:20ms $opt -i delay.pal -o u.pal </dev/null")
	pal-cat --columns t_start,t_end --to csv u.pal | sed 1d |
	awk -F, -v sum="$sum" -v w="$w" -v wall="$t" -v label="$label" -v n="$n" '
		NR == 1 || $1 < s0 { s0 = $1 } NR == 1 || $2 > s1 { s1 = $2 }
		END { ideal = sum / w; span = s1 - s0
		      printf "%-30s %7d %6d %8.3f %8.3f %8.3f %6.1f%% %6.1f%%\n", label, w, n,
			ideal, span, wall, 100 * ideal / span, 100 * ideal / wall }'
done
echo "(ideal: the sum of the rows' delays, measured with -j 4096, / workers;"
echo " util: ideal / span; wall%: ideal / wall time, mpirun start-up included)"
echo

echo "4. built-in Branin end to end against numpy, $ROWS rows, file to file"
printf '%-34s %8s %12s %8s\n' "run" "wall s" "rows/s" "ratio"
if "$PY" -c 'import numpy' 2>/dev/null; then
	cat >branin.py <<'PYEOF'
import sys, time
import numpy as np
sys.path.insert(0, sys.argv[1])
import pal_stream as ps
cols, meta = ps.read_all(sys.argv[2])
x = cols['x']
t0 = time.time()
a, b, c = 1.0, 5.1 / (4 * np.pi ** 2), 5 / np.pi
r, s, t = 6.0, 10.0, 1 / (8 * np.pi)
q = x[:, 1] - b * x[:, 0] ** 2 + c * x[:, 0] - r
y = a * q * q + s * (1 - t) * np.cos(x[:, 0]) + s
t1 = time.time()
n = len(y)
out = {'id': cols['id'], 'x': x, 'y': y.reshape(n, 1),
       'status': np.zeros(n, np.int32), 't_start': np.full(n, t0),
       't_end': np.full(n, t1), 'rank': np.zeros(n, np.int32)}
ps.write(sys.argv[3], out)
PYEOF
	t_np=$(timed "$PY branin.py $TOP/share big.pal np.pal")
	printf '%-34s %8s %12s %8s\n' "numpy (share/pal_stream.py)" "$t_np" "$(div "$ROWS" "$t_np")" "1.00"
	for bin in $bins; do
		[ "$bin" = pal-label ] && l="pal-label --builtin branin" || l="pal-label (base)"
		t=$(timed "$bin --builtin branin -i big.pal -o b.pal </dev/null")
		printf '%-34s %8s %12s %8s\n' "$l" "$t" "$(div "$ROWS" "$t")" \
			"$(awk -v a="$t" -v b="$t_np" 'BEGIN { printf "%.2f", b / a }')"
	done
	pal-cat --columns id,y --to csv np.pal | sed 1d | awk -F, '{ printf "%s,%.10g\n", $1, $2 }' >np.csv
	pal-cat --columns id,y --to csv b.pal | sed 1d | awk -F, '{ printf "%s,%.10g\n", $1, $2 }' >b.csv
	cmp -s np.csv b.csv || { echo "pal-label and numpy disagree on y" >&2; exit 1; }
	echo "(ratio: numpy's time / this one's; target >= 1.5)"
else
	echo "(no numpy for $PY: skipped)"
fi
