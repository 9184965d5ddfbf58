#!/bin/sh
# Rank 0's rows over the farm (mpirows.h), checked by tests/mpi/mpi-rows.c
# alone (a world of one) and under mpirun -n 2 and -n 3: output in input
# order with "ordered", every row once as they complete without it, rows
# that the restore() hook finished never dispatched, dropped rows left out.
. "$(dirname "$0")/lib.sh"

# check: mpi-rows printed its 3 checks for N ranks, all passing.
check() {
	grep "^not ok" out && return 1
	test "$(grep -c "^ok .* ($1 ranks)$" out)" -eq 3
}

for how in ordered completed; do
	test_expect_success "$how, a world of one" "
		mpi-rows $how >out && cat out && check 1
	"
done

need_mpirun 'mpi-rows under mpirun'

for n in 2 3; do
	for how in ordered completed; do
		test_expect_success "$how, mpirun -n $n" "
			mpi $n mpi-rows $how </dev/null >out &&
			cat out && check $n
		"
	done
done

test_done
