#!/bin/sh
# bench/csv: pal-cat --to csv against numpy's savetxt('%.17g') on the same
# rows.
#
# pal-synth writes ROWS (default 200000) rows of id (u64), x (f64, width
# 8), mean and std (f64): 10 doubles and an integer a row.  pal-cat --to
# csv writes them as text that reads back bit for bit (the shortest of
# %.15g, %.16g and %.17g that does); numpy writes the same columns with
# savetxt(fmt='%.17g', '%d' for id), also exact, from arrays already in
# memory (share/pal_stream.py reads the stream first, not timed).  Each is
# run RUNS times (default 3), the best kept, wall and CPU (user + system)
# time; pal-cat's time is its whole run, reading the stream included.  The
# two files are then read back by numpy and compared value for value.
#
# numpy runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (see the
# machine notes: they slow a current numpy), in its command alone.
set -eu
. "$(dirname "$0")/lib.sh"
ROWS=${ROWS:-200000}
RUNS=${RUNS:-3}
bench_workdir csv

need_numpy csv

cat >np_csv.py <<'EOF'
import sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np, pal_stream
cols, _ = pal_stream.read_all(sys.argv[2])
names = list(cols)
mats = [cols[n].reshape(len(cols[n]), -1) for n in names]
A = np.hstack([m.astype(np.float64) for m in mats])
fmt = []
for m in mats:
    fmt += ['%d' if m.dtype.kind in 'iu' else '%.17g'] * m.shape[1]
best = cpu = None
for _ in range(int(sys.argv[4])):
    t0, c0 = time.perf_counter(), time.process_time()
    np.savetxt(sys.argv[3], A, fmt=fmt, delimiter=',')
    t1, c1 = time.perf_counter(), time.process_time()
    best = t1 - t0 if best is None else min(best, t1 - t0)
    cpu = c1 - c0 if cpu is None else min(cpu, c1 - c0)
print('%.3f %.3f' % (best, cpu))
EOF

cat >np_cmp.py <<'EOF'
import sys
import numpy as np
a = np.loadtxt(sys.argv[1], delimiter=',', skiprows=1)
b = np.loadtxt(sys.argv[2], delimiter=',')
same = a.shape == b.shape and bool(((a == b) | (np.isnan(a) & np.isnan(b))).all())
print('same' if same else 'DIFFERENT')
EOF

pal-synth --rows "$ROWS" --dim 8 --seed 5 >in.pal
i=0
: >times
while [ $i -lt "$RUNS" ]; do
	/usr/bin/time -a -o times -f '%e %U %S' pal-cat --to csv in.pal >pal.csv
	i=$((i + 1))
done
set -- $(awk 'NR == 1 || $1 < w { w = $1 } NR == 1 || $2 + $3 < c { c = $2 + $3 }
	      END { printf "%.3f %.3f\n", w, c }' times)
pal_wall=$1 pal_cpu=$2
set -- $(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
	"$PY" np_csv.py "$TOP/share" in.pal np.csv "$RUNS")
same=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PY" np_cmp.py pal.csv np.csv)
echo "rows $ROWS (10 doubles and an id each), best of $RUNS; seconds;"
echo "ratio = numpy savetxt / pal-cat (above 1: pal-cat is faster)"
printf '%-22s %8s %8s %8s\n' "" wall cpu "MB"
printf '%-22s %8.3f %8.3f %8.1f\n' "pal-cat --to csv" "$pal_wall" "$pal_cpu" \
	"$(wc -c <pal.csv | awk '{ print $1 / 1e6 }')"
printf '%-22s %8.3f %8.3f %8.1f\n' "numpy savetxt %.17g" "$1" "$2" \
	"$(wc -c <np.csv | awk '{ print $1 / 1e6 }')"
printf '%-22s %8.2f %8.2f\n' "ratio" \
	"$(echo "$1 $pal_wall" | awk '{ print $1 / $2 }')" \
	"$(echo "$2 $pal_cpu" | awk '{ print $1 / $2 }')"
echo "values read back by numpy: $same"
