/*
 * mpicomm.h: pal's MPI layer, in three parts: start and end (mpi-init.c),
 * point-to-point messages (mpi-p2p.c) and collectives (mpi-coll.c).  The
 * task farm (mpifarm.h) is built on it, and so are programs that need the
 * collectives (pal-train).
 *
 * A world is MPI_COMM_WORLD when the program was started by a launcher
 * (mpirun, srun), and a world of one process, with no MPI call at all, when
 * it was not: a heavy stage started by hand neither pays for MPI_Init nor
 * needs a launcher.  Every function works in a world of one (a collective
 * is then a no-op; a receive has nothing to wait for).
 *
 * Errors: an MPI call that fails dies with a message naming it; MPI's own
 * default handler aborts the job before that for most failures.  Only
 * programs that link libcommon-mpi.a (pal-label, pal-train, pal-predict)
 * may use this header.
 */
#ifndef PAL_MPICOMM_H
#define PAL_MPICOMM_H

#include <stddef.h>
#include <sys/types.h>

/* ---- start and end (mpi-init.c) ------------------------------------- */

/*
 * The rank that the launcher gave this process, read from its environment
 * without starting MPI (0 when there is no launcher).  For what must happen
 * before comm_init, such as printing a usage error on rank 0 only.
 */
int comm_launcher_rank(void);

/*
 * Silence this process's stdout and stderr when the launcher made it a
 * rank other than 0 (saved[] gets the old descriptors, -1 otherwise), and
 * bring them back: around option parsing, so that --help or a usage error
 * is printed once for the job, not once per rank.
 *
 *	int saved[2];
 *
 *	comm_mute_others(saved);
 *	parse_args(&cl, argc, argv);	// may exit
 *	comm_unmute(saved);
 */
void comm_mute_others(int saved[2]);
void comm_unmute(const int saved[2]);
/*
 * Start: MPI_Init if a launcher started this process (Open MPI,
 * MPICH/Hydra, PMIx, Slurm's PMI variables), otherwise a world of one.
 * Sets *rank and *size, and learns every rank's host name and process id
 * (comm_host, comm_pid).  Dies with a message if MPI cannot start.
 */
void comm_init(int *argc, char ***argv, int *rank, int *size);
/* Whether MPI is in use (the size may still be 1). */
int comm_mpi(void);
int comm_rank(void);
int comm_size(void);
/* The host name of rank r ("?" for a rank out of range). */
const char *comm_host(int r);
/* The process id of rank r on its host (0 for a rank out of range). */
pid_t comm_pid(int r);
/*
 * Whether rank r is known to be gone: its process is gone or a zombie.
 * Only a rank found at comm_init on this host, running the same program
 * in the same pid namespace, can be checked; for others, 0.
 */
int comm_gone(int r);
/* Complete every send, then MPI_Finalize.  Call once, on every rank. */
void comm_finish(void);

/* ---- point-to-point messages (mpi-p2p.c) ------------------------------ */

/* A message: a byte buffer with a tag. */
struct comm_msg {
	int src;			/* rank it came from */
	int tag;			/* >= 0 */
	void *buf;			/* owned by the receiver: free() it */
	size_t len;
};

/*
 * Send len bytes of buf to rank dest with tag.  Does not block: buf is
 * taken over (malloc'd by the caller) and freed once MPI is done with it,
 * so the caller goes on working while the message travels.  Messages
 * between two ranks arrive in the order they were sent (MPI's rule).
 */
void comm_send(int dest, int tag, void *buf, size_t len);
/* Sends not yet complete, after making progress on them. */
int comm_sends_pending(void);
/* Receive a message from any rank if one has arrived: 1 with *m set, else
 * 0 (always 0 in a world of one). */
int comm_try_recv(struct comm_msg *m);
/*
 * Receive the next message, waiting up to timeout seconds (negative: for
 * ever).  Returns 1 with *m set, or 0 when the time ran out.  The wait
 * sleeps a little longer each time it finds nothing (up to a millisecond),
 * not MPI's spinning receive: on a machine run oversubscribed, a rank that
 * waits must leave the cores to the ranks that work.
 */
int comm_recv(struct comm_msg *m, double timeout);
/* Complete every send (for comm_finish). */
void comm_drain(void);

/* ---- collectives (mpi-coll.c) ----------------------------------------- */

/*
 * Every rank must call the same collectives in the same order, with the
 * same sizes; point-to-point messages in flight do not disturb them.
 */

/* Wait until every rank has called it. */
void comm_barrier(void);
/* Copy len bytes at buf on rank root to buf on every other rank. */
void comm_bcast(void *buf, size_t len, int root);
/* Replace v[0..n) on every rank by the sum over ranks of v[0..n).  The sum
 * is the same bit for bit on every rank. */
void comm_allreduce_sum(double *v, size_t n);
/* Likewise the maximum. */
void comm_allreduce_max(double *v, size_t n);

#endif
