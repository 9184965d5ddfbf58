#!/bin/sh
# The training loop (libcommon/mpitrain.h), checked by
# tests/mpi/test-mpitrain.c on problems with known answers: serial alone;
# data parallel against serial under mpirun -n 2 and 3, the same bits run
# to run; downpour and easgd converging at 2 and 3 ranks; early stopping,
# errors and divergence agreed by every rank; a rank killed by kill -9
# ending the job within seconds with a message naming it.
. "$(dirname "$0")/lib.sh"

# check N COUNT: test-mpitrain printed COUNT checks for N ranks, all ok.
check() {
	grep "^not ok" out && return 1
	test "$(grep -c "^ok .* ($1 ranks)$" out)" -eq "$2"
}

test_expect_success 'serial: optimum, early stopping, errors, options' '
	test-mpitrain serial >out && cat out && check 1 18
'

test_expect_success 'serial: divergence ends the program with the message' '
	must_fail 1 test-mpitrain diverge serial 2>err &&
	test_grep "^test-mpitrain: training diverged at epoch [0-9]* (loss .*); lower --lr$" err
'

need_mpirun 'test-mpitrain under mpirun'

for n in 2 3; do
	test_expect_success "data at $n ranks = serial, errors agreed" "
		mpi $n test-mpitrain data </dev/null >out && cat out &&
		check $n 6
	"
	test_expect_success "data at $n ranks: the same bits run to run" "
		mpi $n test-mpitrain weights </dev/null >w1 &&
		mpi $n test-mpitrain weights </dev/null >w2 &&
		test \$(wc -l <w1) -eq 61 && test_cmp w1 w2
	"
	for m in downpour easgd; do
		test_expect_success "$m at $n ranks: converges, stops, agrees" "
			mpi $n test-mpitrain async $m </dev/null >out &&
			cat out && check $n 7
		"
	done
done

test_expect_success 'data: 2 ranks and 3 give the same weights to 1e-10' '
	mpi 2 test-mpitrain weights </dev/null >w2 &&
	mpi 3 test-mpitrain weights </dev/null >w3 &&
	head -1 w2 >a && head -1 w3 >b &&
	python3 -c "
import sys
a = [float.fromhex(t) for t in open(\"a\").read().split()]
b = [float.fromhex(t) for t in open(\"b\").read().split()]
d = max(abs(x - y) for x, y in zip(a, b))
print(\"max difference\", d)
sys.exit(not (len(a) == 5 and d <= 1e-10))
"
'

test_expect_success 'downpour: divergence ends the job with the message' '
	must_fail 1 mpi 3 test-mpitrain diverge downpour </dev/null 2>err &&
	test_grep "^test-mpitrain: training diverged at epoch [0-9]* (loss .*); lower --lr$" err
'

# kill_rank MODE N VICTIM: kill -9 rank VICTIM of an endless run of MODE
# at N ranks a second into it; the job must end within 10 s (a hang is
# cut at 60 s), not with status 0, naming the rank on stderr.
kill_rank() {
	rm -f pid.* err rc
	(timeout 60 mpirun --oversubscribe -n "$2" test-mpitrain slow "$1" \
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
	grep -E "(^test-mpitrain: rank $3 \(host [^,]*, pid [0-9]*\) is gone; ending the job$)|(process rank $3 with PID)" err
}

for how in 'downpour 3 1' 'downpour 3 0' 'easgd 2 1' 'data 3 2'; do
	test_expect_success "kill -9 ($how): the job ends, naming the rank" "
		kill_rank $how
	"
done

test_done
