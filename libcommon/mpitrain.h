/*
 * mpitrain.h: the training loop of one model's parameters (one member of an
 * MLP committee), serial or over the ranks, independent of what the model
 * is: the caller gives the gradient of its loss on a set of rows, this
 * module owns epochs, shuffles, batches, the optimiser, early stopping and
 * the communication.
 *
 * Modes (enum tr_mode), under mpirun -n N (N = comm_size()):
 *
 *   TR_SERIAL    this rank alone, no communication (pal-train's "members"
 *                mode calls it for the members this rank owns).
 *   TR_DATA      synchronous data parallel: every rank holds every row and
 *                the same weights; each global batch of B rows is cut into
 *                N contiguous shards, rank r computes the gradient of its
 *                shard, the gradients (weighted by rows) are summed by
 *                comm_allreduce_sum, and every rank takes the same step.
 *                The result is that of TR_SERIAL with the same B up to
 *                rounding (the sum's order).
 *   TR_DOWNPOUR  rank 0 holds the weights and the optimiser; ranks 1..N-1
 *                each train on their shard of the rows (row i belongs to
 *                worker i % (N-1)) and send the gradient summed over every
 *                sync_every batches (taken at the weights they last got)
 *                to rank 0, which steps and sends the weights back
 *                (mpi_learn's default algorithm).  Each worker shuffles
 *                its shard every epoch with stream TR_RNG_SHUFFLE +
 *                o->stream + (rank << 24), and runs o->epochs epochs of
 *                it (so does an EASGD worker).
 *   TR_EASGD     Elastic Averaging SGD as mpi_learn defines it: workers
 *                step their own weights x with SGD of rate elastic_lr and
 *                momentum elastic_momentum (mpi_learn's "worker SGD
 *                learning rate / momentum for EASGD"; o->opt and o->op.lr
 *                are not used, o->op.weight_decay is); every sync_every
 *                batches a worker sends x, rank 0 answers with its centre
 *                c, then c -= a·(c − x) on rank 0 and x -= a·(x − c) on
 *                the worker, a = elastic_force / (N − 1) (mpi_learn's
 *                MPIDriver.py divides by the workers).  mpitrain.c cites
 *                mpi_learn's functions.
 *   In a world of one, TR_DATA, TR_DOWNPOUR and TR_EASGD run as
 *   TR_SERIAL (with o->opt and o->op).  A worker without rows (ntrain <
 *   N - 1) sends nothing.
 *
 * Rows: the problem has ntrain training rows, numbered 0..ntrain-1 (the
 * caller maps them to its own rows: a bootstrap resample, a split), and
 * optionally validation (p->val).  Epoch e (from 0) visits the rows in
 * the order of a Fisher-Yates permutation drawn from rng stream
 * TR_RNG_SHUFFLE + o->stream of o->seed, advanced epoch after epoch (rng.h);
 * batch b is the permutation's rows [b·B, min((b+1)·B, ntrain)).
 *
 * Early stopping: with p->val and o->patience > 0, training stops after
 * patience validations without a new best validation loss, and the best
 * weights are returned; without, the last weights.  Validation happens
 * after every epoch (serial, data), or every o->validate_every updates on
 * rank 0 (downpour, easgd; 0: every ceil(ntrain / B) / sync_every updates,
 * at least 1, an epoch's worth of batches, as mpi_learn's MPIDriver.py
 * sets it), and once more at the end for the updates since the last.  In
 * the asynchronous modes an "epoch" of the result and the callback is one
 * of these validation points.  A validation loss that is not finite is a
 * divergence, like a training loss.
 *
 * Where things happen: TR_SERIAL calls the callback and fills the curve on
 * the calling rank (pal-train's members mode runs members on every rank);
 * TR_DATA fills the curve on every rank and calls the callback on rank 0;
 * TR_DOWNPOUR and TR_EASGD do both on rank 0, and broadcast the result's
 * scalars (not the curve) to every rank.  p->val is called on rank 0 only
 * in TR_DATA, TR_DOWNPOUR and TR_EASGD; p->grad on every rank that has
 * rows (workers only in the asynchronous modes).
 *
 * Determinism: TR_SERIAL and TR_DATA give the same bits for the same
 * problem, options and rank count.  TR_DOWNPOUR and TR_EASGD depend on the
 * order in which workers' messages arrive and are not reproducible bit for
 * bit.
 *
 * Every rank calls tr_run with the same problem sizes and options (in
 * TR_SERIAL each rank on its own); on return every rank holds the same
 * final weights in w (TR_SERIAL: its own).  Errors are agreed:
 * bad options, a rank's failed grad() or val(), a divergence make tr_run
 * return -1 on every rank with the same err (that of the highest failed
 * rank), with no message left in flight.  A rank that dies ends the job
 * with a message naming it, never a hang: in the asynchronous modes the
 * ranks waiting on it check comm_gone every 0.05 s and return -1 with
 * "rank R (host H, pid P) is gone; ending the job" (PAL_ERR_IO) on their
 * own, without the others: the caller must then end the job (die), not
 * go on to a collective.  comm_gone can tell only of ranks on its own
 * host; in TR_DATA, and for ranks on other hosts, a rank blocked on a dead
 * one is ended by Open MPI's own teardown, whose mpirun names the rank.
 *
 * Divergence: "training diverged at epoch E (loss L); lower --lr" where E
 * is the epoch (from 1; in the asynchronous modes the worker's epoch, or
 * the validation point) and L the batch's loss, the epoch's mean loss when
 * a step made the weights infinite, or the validation loss.
 */
#ifndef PAL_MPITRAIN_H
#define PAL_MPITRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "optim.h"

#define TR_RNG_SHUFFLE 0x7368756600000000ull	/* "shuf" + stream */

enum tr_mode { TR_SERIAL, TR_DATA, TR_DOWNPOUR, TR_EASGD };

/* "serial", "data", "downpour", "easgd" to a mode (0), or -1 with err. */
int tr_mode_parse(const char *name, enum tr_mode *mode, struct pal_error *err);
const char *tr_mode_name(enum tr_mode mode);

struct tr_problem {
	void *ctx;
	size_t np;		/* parameters */
	uint64_t ntrain;	/* training rows, >= 1 */
	/*
	 * The mean loss over the n >= 1 training rows idx[0..n) at w (np
	 * doubles), and its gradient into g (np doubles).  Returns 0, or -1
	 * with err filled (the run then stops with that error).
	 */
	int (*grad)(void *ctx, const double *w, const uint64_t *idx, int n,
		    double *loss, double *g, struct pal_error *err);
	/* The validation loss at w into *loss; NULL: no validation. */
	int (*val)(void *ctx, const double *w, double *loss,
		   struct pal_error *err);
};

struct tr_opts {
	enum tr_mode mode;
	int epochs;		/* passes over the rows, >= 1 */
	int batch;		/* B, >= 1 (cut to ntrain) */
	enum optim_kind opt;
	struct optim_params op;	/* optim_defaults() then the user's */
	int patience;		/* validations without improvement; 0: off */
	int sync_every;		/* downpour, easgd: batches between exchanges */
	int validate_every;	/* downpour, easgd: updates between validations */
	double elastic_force, elastic_lr, elastic_momentum;	/* easgd */
	uint64_t seed;
	uint64_t stream;	/* the member: its own shuffles */
	/* Called on rank 0 after each epoch (serial, data) or validation
	 * (downpour, easgd): the epoch (from 1), the mean training loss over
	 * the epoch's rows (each batch's loss weighted by its rows), the
	 * validation loss (NaN: none).  May be NULL. */
	void (*epoch_done)(void *ctx, int epoch, double loss, double val);
	void *ctx;
};

/* Defaults: serial, 100 epochs, batch 64, adam (optim_defaults), patience
 * 0, sync_every 1, validate_every 0, elastic_force 0.9, elastic_lr 1.0,
 * elastic_momentum 0 (mpi_learn's MPIDriver.py), seed 0, stream 0, no
 * callback.  Ranges (else PAL_ERR_USAGE): epochs, batch, sync_every >= 1;
 * patience, validate_every >= 0; elastic_force in (0, 1]; elastic_lr > 0;
 * elastic_momentum in [0, 1); o->op as optim_new checks it. */
void tr_defaults(struct tr_opts *o);

struct tr_result {
	int epochs;		/* epochs run (the last if stopped early);
				 * downpour, easgd: validation points */
	int best_epoch;		/* whose weights w holds (epochs without val
				 * or without patience) */
	double best_val;	/* its validation loss, NaN without val */
	double last_loss;	/* mean training loss of the last epoch */
	uint64_t updates;	/* optimiser steps on the returned weights */
	/* The curve, on rank 0: curve[2e] the mean training loss of epoch
	 * e+1, curve[2e+1] its validation loss (NaN: none); ncurve entries of
	 * 2 (malloc'd, the caller frees).  Downpour and easgd: one entry per
	 * validation. */
	double *curve;
	int ncurve;
};

/*
 * Train from w (np doubles, the initial weights, the same on every rank)
 * in place.  Returns 0, or -1 with err (bad options: PAL_ERR_USAGE; the
 * problem's errors; a loss or gradient not finite: PAL_ERR_NUMERIC,
 * "training diverged at epoch E (loss L); lower --lr").
 */
int tr_run(const struct tr_problem *p, const struct tr_opts *o, double *w,
	   struct tr_result *res, struct pal_error *err);
void tr_result_free(struct tr_result *res);

#endif
