#!/bin/sh
# bench/select: pal-select --diverse and --min-dist against numpy on the
# same stream.
#
# pal-synth writes ROWS (default 100000) predictions with x of width DIM
# (default 8, then 2); pal-select --top TOP (default 100) --diverse --pool
# ROWS chooses by greedy farthest-point selection among all of them.  numpy
# (Debian's python3-numpy, share/pal_stream.py to read) does the same: the
# pool by std, then TOP rounds of d = ((P - P[pick])**2).sum(1),
# minimum, argmax.  Each is run RUNS times (default 5), the best kept.
# numpy is timed twice: the selection alone (after reading, the part that
# matches pal-select's loop), and its whole run (python's start, reading);
# pal-select's time is always its whole run.  Then --min-dist alone (a
# greedy pass in score order) of MD_TOP (default 5000) rows at least
# MIN_DIST (default 0.005) apart in 2-D, against a numpy loop over the
# rows that checks each against the rows taken, vectorised.
# The chosen ids are compared: "same" means the two chose the same rows.
#
# numpy runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (see the
# machine notes: they slow a current numpy), in its command alone.
set -eu
. "$(dirname "$0")/lib.sh"
ROWS=${ROWS:-100000}
TOPK=${TOP_K:-100}
RUNS=${RUNS:-5}
MIN_DIST=${MIN_DIST:-0.005}
MD_TOP=${MD_TOP:-5000}
bench_workdir select

need_numpy select

# best_of CMD: run CMD RUNS times; print the shortest wall time and the
# shortest CPU time (user + system) in seconds.
best_of() {
	i=0
	: >times
	while [ $i -lt "$RUNS" ]; do
		/usr/bin/time -a -o times -f '%e %U %S' sh -c "$1"
		i=$((i + 1))
	done
	awk 'NR == 1 || $1 < w { w = $1 } NR == 1 || $2 + $3 < c { c = $2 + $3 }
	     END { printf "%.3f %.3f\n", w, c }' times
}

cat >np_select.py <<'EOF'
import resource, sys, time
t_start = time.perf_counter()
import numpy as np
sys.path.insert(0, sys.argv[1])
import pal_stream
mode, path, k, runs = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
r = float(sys.argv[6]) if len(sys.argv) > 6 else 0.0
cols, _ = pal_stream.read_all(path)
t_read = time.perf_counter()

def diverse(X, k):
    n = len(X)
    far = np.full(n, np.inf)
    pick, chosen = 0, [0]
    while len(chosen) < min(k, n):
        d = ((X - X[pick]) ** 2).sum(1)
        np.minimum(far, d, out=far)
        far[pick] = -1.0
        pick = int(np.argmax(far))
        chosen.append(pick)
    return chosen

def min_dist(X, k, r):
    r2 = r * r
    taken = []
    T = np.empty((0, X.shape[1]))
    for j in range(len(X)):
        if len(taken) == k:
            break
        if len(taken) and (((T - X[j]) ** 2).sum(1) < r2).any():
            continue
        taken.append(j)
        T = X[taken]
    return taken

best = cpu = None
for _ in range(runs):
    t0, c0 = time.perf_counter(), time.process_time()
    std = cols['std'].reshape(len(cols['std']), -1).max(1)
    order = np.argsort(-std, kind='stable')
    X = np.ascontiguousarray(cols['x'].reshape(len(std), -1)[order], dtype=np.float64)
    chosen = diverse(X, k) if mode == 'diverse' else min_dist(X, k, r)
    t1, c1 = time.perf_counter(), time.process_time()
    best = t1 - t0 if best is None else min(best, t1 - t0)
    cpu = c1 - c0 if cpu is None else min(cpu, c1 - c0)
ids = cols['id'][order][chosen]
with open('np.ids', 'w') as f:
    f.write(''.join('%d\n' % i for i in sorted(ids)))
ru = resource.getrusage(resource.RUSAGE_SELF)
# The whole run: python's start and the reading, and one selection.
print('%.6f %.6f %.6f %.6f' % (best, cpu, t_read - t_start + best,
      ru.ru_utime + ru.ru_stime - (runs - 1) * cpu))
EOF

# ids FILE: the sorted ids of a pal stream.
ids() { pal-cat --to csv "$1" | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "id") c = i; next } { print $c }' | sort -n; }

# bench NAME MODE DIM K ARGS...: one line of the table.
bench() {
	name=$1 mode=$2 dim=$3 k=$4
	shift 4
	pal-synth --rows "$ROWS" --dim "$dim" --seed 7 >in.pal
	set -- $(best_of "pal-select $* in.pal >sel.pal")
	pal_wall=$1 pal_cpu=$2
	set -- $(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
		"$PY" np_select.py "$TOP/share" "$mode" in.pal "$k" "$RUNS" \
		"$MIN_DIST")
	ids sel.pal >pal.ids
	same=$(cmp -s pal.ids np.ids && echo same || echo DIFFERENT)
	printf '%-34s %5.3f %5.3f  %5.3f %5.3f  %5.3f %5.3f  %5.2f %5.2f  %5.2f %5.2f  %s\n' \
		"$name" "$pal_wall" "$pal_cpu" "$1" "$2" "$3" "$4" \
		"$(echo "$1 $pal_wall" | awk '{ print $1 / $2 }')" \
		"$(echo "$2 $pal_cpu" | awk '{ print $1 / $2 }')" \
		"$(echo "$3 $pal_wall" | awk '{ print $1 / $2 }')" \
		"$(echo "$4 $pal_cpu" | awk '{ print $1 / $2 }')" "$same"
}

echo "rows $ROWS, best of $RUNS; seconds of wall and of CPU (user + system);"
echo "ratio = numpy / pal-select (above 1: pal-select is faster)"
printf '%-34s %-12s %-12s %-12s %-12s %-12s %s\n' "" "pal-select" \
	"np select" "np whole" "ratio sel" "ratio whole" "ids"
printf '%-34s %-12s %-12s %-12s %-12s %-12s\n' case "wall  cpu" \
	"wall  cpu" "wall  cpu" "wall  cpu" "wall  cpu"
bench "--diverse --top $TOPK, dim 8" diverse 8 "$TOPK" --top "$TOPK" \
	--diverse --pool "$ROWS"
bench "--diverse --top $TOPK, dim 2" diverse 2 "$TOPK" --top "$TOPK" \
	--diverse --pool "$ROWS"
bench "--min-dist $MIN_DIST --top $MD_TOP, dim 2" mindist 2 "$MD_TOP" \
	--top "$MD_TOP" --min-dist "$MIN_DIST" --pool "$ROWS"
