#!/bin/sh
# The training loop (libcommon/mpitrain.h), checked by
# tests/mpi/mpi-train.c on problems with known answers: serial alone;
# data parallel against serial under mpirun -n 2 and 3, the same bits run
# to run; downpour and easgd converging at 2 and 3 ranks, and at one
# worker following the updates written out in the test; early stopping,
# errors and divergence agreed by every rank; a rank killed by kill -9
# ending the job within seconds with a message naming it.
. "$(dirname "$0")/lib.sh"

# check N COUNT: mpi-train printed COUNT checks for N ranks, all ok.
check() {
	grep "^not ok" out && return 1
	test "$(grep -c "^ok .* ($1 ranks)$" out)" -eq "$2"
}

# The divergence message (naming --elastic-lr for EASGD's workers), and a
# dead rank's (ours or mpirun's).
diverged='^mpi-train: training diverged at epoch [0-9]* (loss .*); '\
'lower --\(elastic-\)\{0,1\}lr$'
gone() {
	printf '%s%s' "(^mpi-train: rank $1 \\(host [^,]*, pid [0-9]*\\) is " \
		"gone; ending the job$)|(process rank $1 with PID)"
}

# notes: mpi-train's figures (distances, differences) as TAP comments.
notes() {
	grep "^# " out 2>/dev/null
}

test_expect_success 'serial: optimum, early stopping, errors, options' '
	mpi-train serial >out && cat out && check 1 21
'
notes

test_expect_success 'serial: divergence ends the program with the message' '
	must_fail 1 mpi-train diverge serial 2>err &&
	test_grep "$diverged" err
'

need_mpirun 'mpi-train under mpirun'

for n in 2 3; do
	test_expect_success "data at $n ranks = serial, errors agreed" "
		mpi $n mpi-train data </dev/null >out && cat out &&
		check $n 9
	"
	notes
	test_expect_success "data at $n ranks: the same bits run to run" "
		mpi $n mpi-train weights </dev/null >w1 &&
		mpi $n mpi-train weights </dev/null >w2 &&
		test \$(wc -l <w1) -eq 61 && test_cmp w1 w2
	"
	# At 2 ranks, one worker: also the updates written out.
	for m in downpour easgd; do
		test_expect_success "$m at $n ranks: converges, stops, agrees" "
			mpi $n mpi-train async $m </dev/null >out &&
			cat out && check $n $((n == 2 ? 12 : 11))
		"
		notes
	done
done

test_expect_success 'data: 1 rank, 2 and 3 give the same run to 1e-10' '
	mpi-train weights >w1 &&
	mpi 2 mpi-train weights </dev/null >w2 &&
	mpi 3 mpi-train weights </dev/null >w3 &&
	python3 -c "
import sys
def read(name):
    return [float.fromhex(t) for t in open(name).read().split()]
a, b, c = read(\"w1\"), read(\"w2\"), read(\"w3\")
d = max(max(abs(x - y), abs(x - z)) for x, y, z in zip(a, b, c))
print(\"weights and curve, max difference\", d)
sys.exit(not (len(a) == 5 + 120 == len(b) == len(c) and d <= 1e-10))
" >out && cat out && sed "s/^/# /" out >notes
'
cat notes 2>/dev/null

test_expect_success 'downpour: divergence ends the job with the message' '
	must_fail 1 mpi 3 mpi-train diverge downpour </dev/null 2>err &&
	test_grep "$diverged" err
'

# kill_rank MODE N VICTIM: kill -9 rank VICTIM of an endless run of MODE
# at N ranks a second into it; the job must end within 10 s (a hang is
# cut at 60 s), not with status 0, naming the rank on stderr.
kill_rank() {
	rm -f pid.* err rc
	(timeout 60 mpirun --oversubscribe -n "$2" mpi-train slow "$1" \
		</dev/null >/dev/null 2>err; echo $? >rc) &
	i=0
	until [ -s "pid.$3" ]; do
		i=$((i + 1))
		[ $i -gt 300 ] && { echo "no pid.$3"; return 1; }
		sleep 0.1
	done
	sleep 1
	start=$(date +%s)
	kill -9 "$(cat "pid.$3")"
	wait
	end=$(date +%s)
	cat err
	echo "ended $((end - start)) s after the kill, status $(cat rc)"
	test "$(cat rc)" -ne 0 && test "$(cat rc)" -ne 124 &&
	test $((end - start)) -le 10 &&
	grep -E "$(gone "$3")" err
}

for how in 'downpour 3 1' 'downpour 3 0' 'easgd 2 1' 'data 3 2'; do
	test_expect_success "kill -9 ($how): the job ends, naming the rank" "
		kill_rank $how
	"
done

test_done
