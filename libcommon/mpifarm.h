/*
 * mpifarm.h: an as-completed task farm over the ranks of an MPI world.
 *
 * Rank 0, the master, owns the rows: it hands batches of them to the ranks
 * as those have room (a credit of rows per rank), and gets the finished rows
 * back in the order they finish.  Every rank evaluates rows, rank 0
 * included unless told not to: between dispatch steps it runs its own
 * share through the same evaluator interface, so a run on two cores uses
 * both.  In a world of one (no launcher), rank 0 evaluates everything and no
 * MPI call is made.  Rows travel as pal frames (pal-stream(5)) written to
 * memory: a message is a short stream of an optional metadata frame (the
 * "notes") and one data frame.
 *
 * What the farm knows of rows is their count: the columns of the tasks and
 * of the results are the caller's (pal-label: tag, id, x out; tag, id,
 * status, y, ... back).  A caller that needs its output in input order puts
 * a tag in its tasks and keeps its own queue (mpirows.h does that for a
 * program that reads rows and writes them out with their results): the
 * farm guarantees only that each row handed out comes back exactly once,
 * as the evaluator finished it, unless the job ends.
 *
 * Liveness: every worker sends a heartbeat when it has sent nothing for a
 * quarter of opts.heartbeat seconds; rank 0 ends the job with a message
 * naming the rank and its host when a worker is silent for opts.heartbeat
 * (stopped, hung, or on a dead host).  A worker stops at once, returning
 * from farm_work(), when rank 0's process is gone (checked for a rank 0 on
 * the same host; elsewhere the launcher ends the job).
 *
 * Ordering: the rows of one result frame come back together; results of
 * one rank arrive in the order that rank handed them back; between ranks
 * there is no order.  Ownership: frames and notes passed to a callback are
 * the farm's (or the reader's) and valid during the call only; the frame
 * that next() returns is the caller's, read before next() is called again.
 *
 * Use (pal-label is the example):
 *
 *	comm_init(&argc, &argv, &rank, &size);
 *	if (rank == 0) {
 *		fm = farm_new(&opts, &master, &my_eval);
 *		for (;;) {
 *			farm_pace(fm, batch, local_rows, remote_ok);
 *			progress = farm_poll(fm);	// calls next(), result()
 *			... write out what result() finished ...
 *			if (no more input && !farm_local_rows(fm) &&
 *			    !farm_remote_rows(fm))
 *				break;
 *			if (!progress)
 *				farm_wait(fm);
 *		}
 *		farm_stop(fm);
 *		farm_free(fm);
 *	} else if (farm_work(&opts, &my_eval) < 0) {
 *		... rank 0 is gone: stop, exit 1 ...
 *	}
 *	comm_finish();
 *
 * Built on mpicomm.h: call comm_init() first and comm_finish() last.
 */
#ifndef PAL_MPIFARM_H
#define PAL_MPIFARM_H

#include <stdint.h>

#include "stream.h"

struct farm;

/*
 * An evaluator: what runs rows on one rank.  The farm calls these, and the
 * evaluator hands finished rows back with farm_result() (from step(), or
 * from a callback that step() runs).
 */
struct farm_eval {
	void *ctx;
	/* Set by the farm: the farm to hand results to. */
	struct farm *farm;
	/*
	 * Take the rows of the data frame rows, with the master's notes (a
	 * metadata frame, or NULL).  Both are valid during the call only:
	 * copy what is needed.  The rows are not yet finished: they must
	 * come back through farm_result(), each exactly once.
	 */
	void (*take)(void *ctx, const struct pal_frame *rows,
		     const struct pal_frame *notes);
	/*
	 * Work: finish what is due and start what fits, waiting up to timeout
	 * seconds for something to finish (0: not at all; negative: until
	 * something does).  Returns whether anything happened.
	 */
	int (*step)(void *ctx, double timeout);
	/* Rows taken and not yet handed back. */
	uint64_t (*pending)(void *ctx);
	/* Whether rows are running now (so that waiting on step() pays). */
	int (*running)(void *ctx);
	/* Rows taken and not started: none left means more are welcome. */
	uint64_t (*queued)(void *ctx);
};

/* What rank 0's caller provides: rows out, results in. */
struct farm_master {
	void *ctx;
	/*
	 * The next rows to evaluate, at most max of them, as a data frame of
	 * at least one row (the caller's, valid until the next call), with
	 * notes for the evaluator in *notes (a metadata frame, or NULL).
	 * NULL when there are none to hand out now.
	 */
	const struct pal_frame *(*next)(void *ctx, uint64_t max,
					const struct pal_frame **notes);
	/*
	 * Rows finished on rank (0 for rank 0's own evaluator), as the
	 * evaluator there handed them to farm_result(); valid during the
	 * call only.
	 */
	void (*result)(void *ctx, const struct pal_frame *rows,
		       const struct pal_frame *notes, int rank);
};

struct farm_opts {
	uint64_t slots;			/* rows a rank runs at once */
	uint32_t inflight;		/* batches waiting behind those */
	int dispatch_only;		/* rank 0 evaluates nothing while rows go
					 * to the other ranks (size > 1) */
	double heartbeat;		/* seconds of silence that mean a rank
					 * is lost; <= 0: FARM_HEARTBEAT */
};

#define FARM_HEARTBEAT 60.0		/* the default of opts.heartbeat */

/*
 * Rank 0: a farm over every rank of the world, with rank 0's own
 * evaluator local (which the farm uses; the caller still owns it).  The
 * structures must outlive the farm; opts is copied.
 */
struct farm *farm_new(const struct farm_opts *opts,
		      const struct farm_master *master,
		      struct farm_eval *local);
/*
 * Set the pace, before farm_poll(): rows per batch to a worker, rows that
 * rank 0's evaluator may hold (0 with dispatch_only while remote is on),
 * and whether rows go to the other ranks now (remote: the caller may hold
 * them back, e.g. until a first result tells it what to ask for; rank 0's
 * evaluator then gets them all).
 */
void farm_pace(struct farm *fm, uint64_t batch, uint64_t local_rows,
	       int remote);
/*
 * Rank 0: take the results that arrived, send batches to the ranks with
 * room, feed the local evaluator and run a step of it.  Returns whether
 * anything happened.  Dies naming the rank and host of a worker silent
 * for longer than the heartbeat.
 */
int farm_poll(struct farm *fm);
/* Rank 0: wait a little for something to happen (a local row finishing, a
 * message), when farm_poll() found nothing to do. */
void farm_wait(struct farm *fm);
/* The same, for max seconds at most (less than the heartbeat's quarter). */
void farm_wait_max(struct farm *fm, double max);
/* Rows handed out and not back: at rank 0's evaluator, and elsewhere. */
uint64_t farm_local_rows(const struct farm *fm);
uint64_t farm_remote_rows(const struct farm *fm);
/* Rank 0: tell every worker to stop, once it holds no rows (call at the
 * end, when farm_remote_rows() is 0). */
void farm_stop(struct farm *fm);
void farm_free(struct farm *fm);

/*
 * Hand finished rows back: a data frame and notes (a metadata frame, or
 * NULL), read during the call only.  On rank 0 this calls the master's
 * result(); elsewhere it adds them to the message going back to rank 0.
 */
void farm_result(struct farm *fm, const struct pal_frame *rows,
		 const struct pal_frame *notes);

/*
 * Ranks other than 0: evaluate batches with ev until rank 0 says stop
 * (returns 0) or its process is found gone (returns -1: the caller should
 * stop its running rows and exit).  opts must be rank 0's (heartbeat).
 */
int farm_work(const struct farm_opts *opts, struct farm_eval *ev);

/* The value of key in notes (a metadata frame or NULL), or NULL. */
const char *farm_note(const struct pal_frame *notes, const char *key);

#endif
