/*
 * mpi-coll.c: collectives over every rank; see mpicomm.h.
 *
 * Thin wrappers that take sizes in bytes or elements as size_t, split
 * what exceeds MPI's int counts, and do nothing in a world of one.  The sum
 * is MPI_Allreduce's: Open MPI reduces in the same order on every rank for
 * a given size, so every rank gets the same bits.
 */
#include <mpi.h>
#include <limits.h>
#include <stdint.h>

#include "err.h"
#include "mpicomm.h"
#include "banned.h"

#define PIECE ((size_t)1 << 30)		/* elements or bytes per call */

void comm_barrier(void)
{
	if (comm_mpi() && MPI_Barrier(MPI_COMM_WORLD) != MPI_SUCCESS)
		die("MPI_Barrier failed");
}

void comm_bcast(void *buf, size_t len, int root)
{
	if (!comm_mpi())
		return;
	for (size_t off = 0; off < len; off += PIECE) {
		size_t n = len - off < PIECE ? len - off : PIECE;

		if (MPI_Bcast((char *)buf + off, (int)n, MPI_BYTE, root,
			      MPI_COMM_WORLD) != MPI_SUCCESS)
			die("MPI_Bcast of %zu bytes from rank %d failed", len,
			    root);
	}
}

static void allreduce(double *v, size_t n, MPI_Op op, const char *what)
{
	if (!comm_mpi())
		return;
	for (size_t off = 0; off < n; off += PIECE / 8) {
		size_t m = n - off < PIECE / 8 ? n - off : PIECE / 8;

		if (MPI_Allreduce(MPI_IN_PLACE, v + off, (int)m, MPI_DOUBLE, op,
				  MPI_COMM_WORLD) != MPI_SUCCESS)
			die("MPI_Allreduce (%s) of %zu numbers failed", what,
			    n);
	}
}

void comm_allreduce_sum(double *v, size_t n)
{
	allreduce(v, n, MPI_SUM, "sum");
}

void comm_allreduce_max(double *v, size_t n)
{
	allreduce(v, n, MPI_MAX, "max");
}
