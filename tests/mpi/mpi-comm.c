/*
 * mpi-comm: a test program for libcommon's MPI layer (mpicomm.h), run by
 * tests/t127-mpi-comm.sh alone (a world of one) and under mpirun.  Every
 * rank runs every check and sends its failures to rank 0 as a message (not
 * by the collectives under test), and rank 0 prints one TAP line per
 * check.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "mpicomm.h"
#include "banned.h"

#define NCHECK 9
#define BIG (3u << 20)

static const char *const what[NCHECK] = {
	"point to point: every other rank's message reaches rank 0, intact",
	"comm_recv with a timeout returns 0 when nothing comes",
	"comm_barrier returns on every rank",
	"comm_bcast of 1000 bytes from rank 0",
	"comm_bcast of 3 MiB from the last rank",
	"comm_allreduce_sum of 1000 doubles: the exact sums",
	"comm_allreduce_max of 1000 doubles",
	"comm_host and comm_pid: this rank's own, a name for every rank",
	"comm_gone: no rank is gone",
};

int main(int argc, char **argv)
{
	double fail[NCHECK] = { 0 }, v[1000];
	unsigned char small[1000], *big = xmalloc(BIG);
	struct comm_msg m;
	char host[64] = "";
	int rank, size, rc = 0;

	pal_init("mpi-comm");
	comm_init(&argc, &argv, &rank, &size);

	/* 0: point to point. */
	if (rank > 0) {
		int *msg = xmalloc(1000 * sizeof(int));

		for (int i = 0; i < 1000; i++)
			msg[i] = rank * 1000 + i;
		comm_send(0, 7, msg, 1000 * sizeof(int));
	} else {
		for (int n = 1; n < size; n++) {
			const int *got;

			if (!comm_recv(&m, 30)) {
				fail[0] = 1;
				break;
			}
			got = m.buf;
			if (m.tag != 7 || m.len != 1000 * sizeof(int) ||
			    m.src < 1 || m.src >= size)
				fail[0] = 1;
			else
				for (int i = 0; i < 1000; i++)
					if (got[i] != m.src * 1000 + i)
						fail[0] = 1;
			free(m.buf);
		}
	}
	/* 1: nothing more is coming to anyone. */
	comm_barrier();
	if (comm_recv(&m, 0.05)) {
		fail[1] = 1;
		free(m.buf);
	}
	/* 2 */
	comm_barrier();
	/* 3, 4 */
	for (int i = 0; i < 1000; i++)
		small[i] = rank == 0 ? (unsigned char)(i * 7) : 0;
	comm_bcast(small, sizeof(small), 0);
	for (int i = 0; i < 1000; i++)
		if (small[i] != (unsigned char)(i * 7))
			fail[3] = 1;
	for (size_t i = 0; i < BIG; i++)
		big[i] = rank == size - 1 ? (unsigned char)(i % 251) : 0;
	comm_bcast(big, BIG, size - 1);
	for (size_t i = 0; i < BIG; i++)
		if (big[i] != (unsigned char)(i % 251))
			fail[4] = 1;
	/* 5: rank + i/2 summed over ranks, exact in doubles. */
	for (int i = 0; i < 1000; i++)
		v[i] = rank + 0.5 * i;
	comm_allreduce_sum(v, 1000);
	for (int i = 0; i < 1000; i++)
		if (v[i] != size * (size - 1) / 2.0 + size * 0.5 * i)
			fail[5] = 1;
	/* 6 */
	for (int i = 0; i < 1000; i++)
		v[i] = (i % size == rank) ? 1000.0 + i : -(double)i;
	comm_allreduce_max(v, 1000);
	for (int i = 0; i < 1000; i++)
		if (v[i] != 1000.0 + i)
			fail[6] = 1;
	/* 7 */
	gethostname(host, sizeof(host) - 1);
	if (strcmp(comm_host(rank), host) || comm_pid(rank) != getpid())
		fail[7] = 1;
	for (int r = 0; r < size; r++)
		if (!comm_host(r)[0] || comm_pid(r) <= 0)
			fail[7] = 1;
	/* 8 */
	for (int r = 0; r < size; r++)
		if (comm_gone(r))
			fail[8] = 1;

	if (rank > 0) {
		double *mine = xmalloc(sizeof(fail));

		memcpy(mine, fail, sizeof(fail));
		comm_send(0, 9, mine, sizeof(fail));
	} else {
		for (int n = 1; n < size; n++) {
			if (!comm_recv(&m, 30) || m.len != sizeof(fail))
				die("no report from a rank");
			for (int i = 0; i < NCHECK; i++)
				fail[i] += ((const double *)m.buf)[i];
			free(m.buf);
		}
	}
	if (rank == 0) {
		for (int i = 0; i < NCHECK; i++) {
			printf("%sok %d - %s (%d ranks", fail[i] ? "not " : "",
			       i + 1, what[i], size);
			if (fail[i])
				printf(", %g failed", fail[i]);
			printf(")\n");
			rc |= fail[i] != 0;
		}
		printf("1..%d\n", NCHECK);
	}
	free(big);
	comm_finish();
	return rc;
}
