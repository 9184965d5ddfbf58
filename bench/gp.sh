#!/bin/sh
# bench/gp: a Gaussian process in pal-train --model gp and pal-predict
# against scikit-learn's GaussianProcessRegressor (bench/peers.py
# sklearn), in the same run.
#
# The problem (issue 8): ROWS (1000) rows of y = sum_j sin(3 x_j) + noise
# (sd 0.1), x uniform in [-1, 1]^8, written once as a pal stream that both
# sides read; an ARD RBF kernel with signal variance and noise,
# hyper-parameters by maximising the log marginal likelihood from one start
# (scikit-learn: ConstantKernel * RBF(length_scale=ones(8)) + WhiteKernel,
# normalize_y, n_restarts_optimizer=0; pal-train: --kernel rbf --restarts
# 0).  scikit-learn is given pal-train's bounds (gp.h: length scales and
# signal variance in [1e-3, 1e3], noise in [1e-10, 10]) so both maximise
# the same likelihood over the same box: this problem's optimum lies on
# the signal variance's upper bound (scikit-learn warns), and with its own
# bounds each side would stop at another point.
#
#   1. fit: the time of pal-train (the whole process) and of
#      GaussianProcessRegressor.fit (inside its process: imports and file
#      reading left out), wall and CPU (user + system, every thread); the
#      ratios pal / scikit-learn, target <= 0.2;
#   2. predict: TEST_ROWS (100000) other rows, mean and std:
#      pal-predict (the whole process, file to file) against
#      predict(return_std=True) in blocks of 10000 rows; target <= 0.2;
#   3. accuracy: the RMSE of each side's mean on those held-out rows
#      against the noise-free function, computed by one function
#      (bench/peers.py rmse) from the two prediction streams, and each
#      side's log marginal likelihood.
#
# Both sides run with the same thread count T, for each T in THREADS
# (default "1"): OPENBLAS_NUM_THREADS=T and OMP_NUM_THREADS=T.
#
# Each time is the best of RUNS (default 1: scikit-learn's fit takes
# half a minute) runs; on a shared machine the CPU times are the steadier
# figures.  Standalone: sh bench/gp.sh (uses bin/ of its tree).  The
# script reports targets; it does not fail on a missed one.
set -eu
. "$(dirname "$0")/lib.sh"
ROWS=${ROWS:-1000}
TEST_ROWS=${TEST_ROWS:-100000}
THREADS=${THREADS:-1}
RUNS=${RUNS:-1}
need_numpy gp
if ! "$PY" -c 'import sklearn' 2>/dev/null; then
	echo "gp: no scikit-learn for $PY (apt-get install python3-sklearn)" >&2
	exit 1
fi
for p in pal-train pal-predict; do
	command -v "$p" >/dev/null ||
		{ echo "gp: $p not built (make)" >&2; exit 1; }
done
PEERS=$TOP/bench/peers.py
bench_workdir gp

now() { date +%s.%N; }
# timed CMD: run CMD (sh -c), its standard error into cmd.err (shown if it
# fails); print its wall time and its CPU time (user and system, every
# thread, from time(1)) in seconds.
timed() {
	t0=$(now)
	if ! /usr/bin/time -f '%U %S' -o time.out sh -c "$1" 2>cmd.err; then
		cat cmd.err >&2
		echo "$(basename "$0" .sh): ${1%% *} failed" >&2
		return 1
	fi
	t1=$(now)
	echo "$t0 $t1 $(tail -n 1 time.out)" |
		awk '{ printf "%.3f %.3f", $2 - $1, $3 + $4 }'
}
# best CMD: the least wall time and the least CPU time of RUNS runs of CMD
# into best.res.
best() {
	: >best.out
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		timed "$1" >>best.out || return 1
		echo >>best.out
		i=$((i + 1))
	done
	awk 'NR == 1 || $1 < w { w = $1 } NR == 1 || $2 < c { c = $2 }
		END { printf "%.3f %.3f\n", w, c }' best.out >best.res
}
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / (b > 0 ? b : 0.001) }'
}
row() { printf '%-22s %7s %7s %6s %6s %8s %7s\n' "$@"; }
# get KEY FILE: the value of "KEY value" in FILE.
get() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }

"$PY" "$PEERS" data "$ROWS" "$TEST_ROWS" 2 train.pal test.pal truth.pal

echo "machine: $(nproc) cores$(uptime | sed 's/.*load average/, load average/')"
echo "(a shared machine: other jobs run at the same time; best of $RUNS runs)"
echo "GP: $ROWS rows, 8 inputs, ARD RBF + noise, one optimisation;" \
	"predict $TEST_ROWS rows with std"
echo "scikit-learn $("$PY" -c 'import sklearn; print(sklearn.__version__)')"
echo

for t in $THREADS; do
	OPENBLAS_NUM_THREADS=$t
	OMP_NUM_THREADS=$t
	export OPENBLAS_NUM_THREADS OMP_NUM_THREADS
	echo "threads $t: OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t"
	"$PY" "$PEERS" sklearn "$t" "$RUNS" train.pal test.pal sk-pred.pal \
		>sk.out 2>sk.err
	[ "$(get threads sk.out)" = "$t" ] ||
		{ echo "gp: scikit-learn's BLAS runs $(get threads sk.out)" \
			"threads, not $t" >&2; exit 1; }
	best "pal-train --model gp --kernel rbf --restarts 0 \
		-i train.pal -o gp.pal"
	read -r tw_pal tc_pal <best.res
	cp cmd.err train.err
	best "pal-predict --model gp.pal -i test.pal -o pal-pred.pal"
	read -r pw_pal pc_pal <best.res
	tw_sk=$(get fit_s sk.out)
	tc_sk=$(get fit_cpu sk.out)
	pw_sk=$(get predict_s sk.out)
	pc_sk=$(get predict_cpu sk.out)
	e_sk=$("$PY" "$PEERS" rmse sk-pred.pal truth.pal)
	e_pal=$("$PY" "$PEERS" rmse pal-pred.pal truth.pal)

	row "run" "wall s" "cpu s" "ratio" "cpu" "target" "RMSE"
	row "scikit-learn fit" "$tw_sk" "$tc_sk" "1.00" "1.00" "" "$e_sk"
	row "pal-train --model gp" "$tw_pal" "$tc_pal" \
		"$(ratio "$tw_pal" "$tw_sk")" "$(ratio "$tc_pal" "$tc_sk")" \
		"<= 0.20" "$e_pal"
	row "scikit-learn predict" "$pw_sk" "$pc_sk" "1.00" "1.00" "" ""
	row "pal-predict" "$pw_pal" "$pc_pal" "$(ratio "$pw_pal" "$pw_sk")" \
		"$(ratio "$pc_pal" "$pc_sk")" "<= 0.20" ""
	echo "(ratio, cpu: pal's wall and CPU times / scikit-learn's; RMSE: the" \
		"mean on the $TEST_ROWS held-out rows against the noise-free" \
		"function)"
	echo "scikit-learn: kernel $(get kernel sk.out)," \
		"log marginal likelihood $(get lml sk.out)"
	sed 's/^/  /' sk.err
	echo "pal-train's report:"
	sed 's/^/  /' train.err
	echo
done
