#!/bin/sh
# libcommon's MPI layer (mpicomm.h): messages, barrier, broadcast and the
# reductions that pal-train will use, checked by tests/mpi/mpi-comm.c alone
# (a world of one, no MPI call) and under mpirun -n 2 and -n 3.
. "$(dirname "$0")/lib.sh"

# check N: mpi-comm's 9 checks pass at N ranks.
check() {
	grep "^not ok" out && return 1
	test "$(grep -c "^ok .* ($1 ranks)$" out)" -eq 9
}

test_expect_success 'a world of one' '
	mpi-comm >out && cat out && check 1
'

need_mpirun 'mpi-comm under mpirun'

test_expect_success 'mpirun -n 2' '
	mpirun --oversubscribe -n 2 mpi-comm </dev/null >out && cat out && check 2
'

test_expect_success 'mpirun -n 3' '
	mpirun --oversubscribe -n 3 mpi-comm </dev/null >out && cat out && check 3
'

test_done
