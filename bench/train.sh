#!/bin/sh
# bench/train: an MLP committee in pal-train and pal-predict against the
# same committee in PyTorch (bench/peers.py torch), in the same run.
#
# The problem (issue 8): 5 members, 8 inputs, layers 64,64 tanh, one
# output; ROWS (2000) rows of y = sum_j sin(3 x_j) + noise (sd 0.1), x
# uniform in [-1, 1]^8, written once as a pal stream that both sides read;
# inputs and outputs standardised; 10 % of the rows held out for
# validation (and the calibration of the committee's spread); batch 64,
# 100 epochs, Adam with lr 1e-3, f32.  PyTorch is written the fastest way
# found for it: the members' weights stacked, (5, in, out), every layer one
# batched matmul (baddbmm) for all the members.
#
#   1. training: the time of pal-train (the whole process: reading the
#      rows, training, writing the model) and of PyTorch's training (inside
#      its process: the import of torch and the reading of the file are
#      left out), wall and CPU (user + system, every thread); the ratios
#      pal / PyTorch, target <= 0.2;
#   2. inference: TEST_ROWS (100000) other rows through the 5 members,
#      mean and calibrated std: pal-predict (the whole process, file to
#      file) against PyTorch (inside its process); target <= 0.25;
#   3. accuracy: the RMSE of each side's committee mean on those held-out
#      rows against the noise-free function, computed by one function
#      (bench/peers.py rmse) from the two prediction streams; beside it
#      PyTorch's RMSE on its own validation rows (noisy labels) and
#      pal-train's report (its validation rows are its own choice).
#
# Both sides run with the same thread count T, for each T in THREADS
# (default "1"; e.g. THREADS="1 2"): OPENBLAS_NUM_THREADS=T and
# OMP_NUM_THREADS=T for both, torch.set_num_threads(T) for PyTorch.  With
# more threads than idle cores, PyTorch's OpenMP threads spin and wait on
# each other and its time grows many fold: read T > 1 on an idle machine
# only.
#
# Each time is the best of RUNS (default 3) runs; on a shared machine the
# CPU times are the steadier figures.  Standalone: sh bench/train.sh (uses
# bin/ of its tree).  The script reports targets; it does not fail on a
# missed one.
set -eu
. "$(dirname "$0")/lib.sh"
ROWS=${ROWS:-2000}
TEST_ROWS=${TEST_ROWS:-100000}
THREADS=${THREADS:-1}
RUNS=${RUNS:-3}
need_numpy train
if ! "$PY" -c 'import torch' 2>/dev/null; then
	echo "train: no PyTorch for $PY (apt-get install python3-torch)" >&2
	exit 1
fi
for p in pal-train pal-predict; do
	command -v "$p" >/dev/null ||
		{ echo "train: $p not built (make)" >&2; exit 1; }
done
PEERS=$TOP/bench/peers.py
bench_workdir train

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

"$PY" "$PEERS" data "$ROWS" "$TEST_ROWS" 1 train.pal test.pal truth.pal

echo "machine: $(nproc) cores$(uptime | sed 's/.*load average/, load average/')"
echo "(a shared machine: other jobs run at the same time; best of $RUNS runs)"
echo "committee: 5 members, 8 inputs, layers 64,64 tanh, $ROWS rows" \
	"(10 % validation), batch 64, 100 epochs, adam lr 1e-3, f32"
echo "PyTorch $("$PY" -c 'import torch; print(torch.__version__)'), members" \
	"stacked in batched matmuls; inference on $TEST_ROWS rows x 5 members"
echo

for t in $THREADS; do
	OPENBLAS_NUM_THREADS=$t
	OMP_NUM_THREADS=$t
	export OPENBLAS_NUM_THREADS OMP_NUM_THREADS
	echo "threads $t: OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t," \
		"torch.set_num_threads($t)"
	"$PY" "$PEERS" torch "$t" "$RUNS" train.pal test.pal torch-pred.pal \
		>torch.out
	[ "$(get threads torch.out)" = "$t" ] ||
		{ echo "train: torch runs $(get threads torch.out) threads," \
			"not $t" >&2; exit 1; }
	best "pal-train --model mlp --members 5 --layers 64,64 \
		--activation tanh --epochs 100 --batch 64 --lr 1e-3 \
		--optimizer adam --val-frac 0.1 --precision f32 --seed 0 \
		-i train.pal -o model.pal"
	read -r tw_pal tc_pal <best.res
	cp cmd.err train.err
	best "pal-predict --model model.pal -i test.pal -o pal-pred.pal"
	read -r pw_pal pc_pal <best.res
	tw_torch=$(get train_s torch.out)
	tc_torch=$(get train_cpu torch.out)
	pw_torch=$(get infer_s torch.out)
	pc_torch=$(get infer_cpu torch.out)
	e_torch=$("$PY" "$PEERS" rmse torch-pred.pal truth.pal)
	e_pal=$("$PY" "$PEERS" rmse pal-pred.pal truth.pal)

	row "run" "wall s" "cpu s" "ratio" "cpu" "target" "RMSE"
	row "PyTorch train" "$tw_torch" "$tc_torch" "1.00" "1.00" "" "$e_torch"
	row "pal-train" "$tw_pal" "$tc_pal" "$(ratio "$tw_pal" "$tw_torch")" \
		"$(ratio "$tc_pal" "$tc_torch")" "<= 0.20" "$e_pal"
	row "PyTorch inference" "$pw_torch" "$pc_torch" "1.00" "1.00" "" ""
	row "pal-predict" "$pw_pal" "$pc_pal" "$(ratio "$pw_pal" "$pw_torch")" \
		"$(ratio "$pc_pal" "$pc_torch")" "<= 0.25" ""
	echo "(ratio, cpu: pal's wall and CPU times / PyTorch's; RMSE: the" \
		"committee mean on the $TEST_ROWS held-out rows against the" \
		"noise-free function)"
	echo "PyTorch: validation RMSE $(get val_rmse torch.out)," \
		"calibration $(get calibration torch.out)"
	echo "pal-train's report:"
	sed 's/^/  /' train.err
	echo
done
