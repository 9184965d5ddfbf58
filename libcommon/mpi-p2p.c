/*
 * mpi-p2p.c: point-to-point messages between ranks; see mpicomm.h.
 *
 * Sends are MPI_Isend of a buffer the caller gave up; this file keeps the
 * requests and frees each buffer when its send completes.  Receives probe
 * for any message, then receive it into a buffer of its size.
 */
#include <mpi.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "mpicomm.h"
#include "banned.h"

struct pending {
	MPI_Request req;
	void *buf;
};

static struct pending *sends;
static int nsends, cap_sends;

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

void comm_send(int dest, int tag, void *buf, size_t len)
{
	if (!comm_mpi())
		die("internal error: a message to rank %d without MPI", dest);
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

int comm_sends_pending(void)
{
	progress();
	return nsends;
}

static void get(struct comm_msg *m, MPI_Status *st)
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

int comm_try_recv(struct comm_msg *m)
{
	MPI_Status st;
	int flag = 0;

	if (!comm_mpi())
		return 0;
	progress();
	MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
	if (!flag)
		return 0;
	get(m, &st);
	return 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int comm_recv(struct comm_msg *m, double timeout)
{
	double end = timeout >= 0 ? now() + timeout : 0;
	long ns = 0;

	if (!comm_mpi()) {
		if (timeout < 0)
			die("internal error: waiting for a message without "
			    "MPI");
	}
	while (!comm_try_recv(m)) {
		struct timespec ts = { 0, ns };
		double left = timeout >= 0 ? end - now() : 1;

		if (left <= 0)
			return 0;
		if (ns && (double)ns * 1e-9 > left)
			ts.tv_nsec = (long)(left * 1e9);
		if (ts.tv_nsec)
			nanosleep(&ts, NULL);
		ns = ns ? (ns * 2 > 1000000 ? 1000000 : ns * 2) : 1000;
	}
	return 1;
}

void comm_drain(void)
{
	while (nsends) {
		MPI_Wait(&sends[nsends - 1].req, MPI_STATUS_IGNORE);
		free(sends[nsends - 1].buf);
		nsends--;
	}
	free(sends);
	sends = NULL;
	cap_sends = 0;
}
