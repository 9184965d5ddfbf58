/*
 * mpifarm.c: MPI messages for the task farm; see mpifarm.h.
 *
 * Compiled with Open MPI's flags into libcommon-mpi.a.  Waiting is an
 * MPI_Iprobe loop that sleeps a little longer each time it finds nothing (up
 * to a millisecond), not MPI's spinning receive: on a laptop run
 * oversubscribed, a rank that waits must leave the cores to the ranks that
 * work.
 */
#include <mpi.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "mpifarm.h"
#include "banned.h"

struct pending {
	MPI_Request req;
	void *buf;
};

static int use_mpi;
static struct pending *sends;
static int nsends, cap_sends;

static int launched(void)
{
	static const char *const vars[] = {
		"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE",
		"PMI_FD", "MPI_LOCALNRANKS", "MV2_COMM_WORLD_RANK",
	};

	for (size_t i = 0; i < sizeof(vars) / sizeof(*vars); i++)
		if (getenv(vars[i]))
			return 1;
	return 0;
}

void farm_init(int *argc, char ***argv, int *rank, int *size)
{
	int provided;

	*rank = 0;
	*size = 1;
	if (!launched())
		return;
	if (MPI_Init_thread(argc, argv, MPI_THREAD_SINGLE, &provided) !=
	    MPI_SUCCESS)
		die("cannot start MPI");
	use_mpi = 1;
	MPI_Comm_rank(MPI_COMM_WORLD, rank);
	MPI_Comm_size(MPI_COMM_WORLD, size);
}

int farm_mpi(void)
{
	return use_mpi;
}

static void progress(void)
{
	int i = 0;

	while (i < nsends) {
		int done = 0;

		MPI_Test(&sends[i].req, &done, MPI_STATUS_IGNORE);
		if (done) {
			free(sends[i].buf);
			sends[i] = sends[--nsends];
		} else {
			i++;
		}
	}
}

void farm_send(int dest, int tag, void *buf, size_t len)
{
	if (len > INT32_MAX)
		die("message of %zu bytes is too large for MPI", len);
	if (nsends == cap_sends) {
		cap_sends = cap_sends ? 2 * cap_sends : 16;
		sends = xrealloc(sends, (size_t)cap_sends * sizeof(*sends));
	}
	sends[nsends].buf = buf;
	if (MPI_Isend(buf, (int)len, MPI_BYTE, dest, tag, MPI_COMM_WORLD,
		      &sends[nsends].req) != MPI_SUCCESS)
		die("MPI_Isend to rank %d failed", dest);
	nsends++;
	progress();
}

int farm_sends_pending(void)
{
	progress();
	return nsends;
}

static void get(struct farm_msg *m, MPI_Status *st)
{
	int count;

	MPI_Get_count(st, MPI_BYTE, &count);
	m->src = st->MPI_SOURCE;
	m->tag = st->MPI_TAG;
	m->len = (size_t)count;
	m->buf = xmalloc(m->len ? m->len : 1);
	if (MPI_Recv(m->buf, count, MPI_BYTE, m->src, m->tag, MPI_COMM_WORLD,
		     MPI_STATUS_IGNORE) != MPI_SUCCESS)
		die("MPI_Recv from rank %d failed", m->src);
}

int farm_try_recv(struct farm_msg *m)
{
	MPI_Status st;
	int flag = 0;

	if (!use_mpi)
		return 0;
	progress();
	MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
	if (!flag)
		return 0;
	get(m, &st);
	return 1;
}

void farm_recv(struct farm_msg *m)
{
	long ns = 0;

	if (!use_mpi)
		die("internal error: waiting for a message without MPI");
	while (!farm_try_recv(m)) {
		struct timespec ts = { 0, ns };

		if (ns)
			nanosleep(&ts, NULL);
		ns = ns ? (ns * 2 > 1000000 ? 1000000 : ns * 2) : 1000;
	}
}

void farm_finish(void)
{
	if (!use_mpi)
		return;
	while (nsends) {
		MPI_Wait(&sends[nsends - 1].req, MPI_STATUS_IGNORE);
		free(sends[nsends - 1].buf);
		nsends--;
	}
	free(sends);
	sends = NULL;
	MPI_Finalize();
	use_mpi = 0;
}
