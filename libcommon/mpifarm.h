/*
 * mpifarm.h: the message layer of pal's MPI task farm.
 *
 * A farm is MPI_COMM_WORLD when the program was started by a launcher
 * (mpirun, srun), and a world of one process, with no MPI call at all, when
 * it was not: a heavy stage started by hand neither pays for MPI_Init nor
 * needs a launcher.  Messages are byte buffers with a tag.  Sends do not
 * block: the farm keeps each buffer until MPI is done with it, so the caller
 * can go on evaluating rows while batches travel.
 *
 * Only programs that link libcommon-mpi.a (pal-label, pal-train,
 * pal-predict) may use this header.
 */
#ifndef PAL_MPIFARM_H
#define PAL_MPIFARM_H

#include <stddef.h>

struct farm_msg {
	int src;			/* rank it came from */
	int tag;
	void *buf;			/* owned by the caller: free() it */
	size_t len;
};

/*
 * Start the farm: MPI_Init if a launcher started this process (Open MPI,
 * MPICH/Hydra, PMIx, Slurm's PMI variables), otherwise a farm of one.
 * Sets *rank and *size.  Dies with a message if MPI cannot start.
 */
void farm_init(int *argc, char ***argv, int *rank, int *size);
/* Whether MPI is in use (size may still be 1). */
int farm_mpi(void);
/* Send len bytes of buf (taken over: freed when sent) to rank dest. */
void farm_send(int dest, int tag, void *buf, size_t len);
/* Sends not yet complete, after making progress on them. */
int farm_sends_pending(void);
/* Receive a message if one has arrived: 1 with *m set, else 0. */
int farm_try_recv(struct farm_msg *m);
/* Receive the next message, waiting for it. */
void farm_recv(struct farm_msg *m);
/* Complete every send, then MPI_Finalize.  Call once, on every rank. */
void farm_finish(void);

#endif
