/*
 * mpitrain.c: the training loop of one parameter vector, serial or over
 * the ranks; see mpitrain.h for the modes and their contracts.
 *
 * TR_SERIAL and TR_DATA share one loop (train_sync): in TR_DATA each batch
 * is cut into contiguous shards, one a rank, and the shard gradients,
 * weighted by their rows, are summed by one allreduce that also carries a
 * failure flag, so that every rank leaves the loop at the same batch, with
 * the same error.  TR_DOWNPOUR and TR_EASGD (train_async) follow mpi_learn
 * (github.com/vlimant/mpi_learn): rank 0 is the master and holds the
 * central weights, ranks 1..N-1 are workers that send an update every
 * sync_every batches and wait for the master's answer.  Every message is a
 * request from a worker (update, done, failed) or the master's answer to
 * one (weights, stop), so that nothing is left in flight when tr_run
 * returns and the next call (the next member) starts clean.
 */
#include <math.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "mpicomm.h"
#include "mpitrain.h"
#include "optim.h"
#include "rng.h"
#include "banned.h"

/* Tags of the asynchronous modes' messages (the farm uses 1..4). */
enum {
	TAG_UPDATE = 301,	/* worker -> 0: loss sum, batches, epoch,
				 * then np doubles */
	TAG_DONE,		/* worker -> 0: its epochs are done (empty) */
	TAG_FAILED,		/* worker -> 0: struct pal_error */
	TAG_WEIGHTS,		/* 0 -> worker: np doubles, the answer */
	TAG_STOP,		/* 0 -> worker: stop, the answer */
};
#define HDR 3			/* doubles before the vector of an update */

#define GONE_CHECK 0.05		/* seconds between checks of the peers */
#define SPIN 200		/* polls before comm_recv's sleeping wait */

static const char *const mode_names[] = {
	[TR_SERIAL] = "serial",
	[TR_DATA] = "data",
	[TR_DOWNPOUR] = "downpour",
	[TR_EASGD] = "easgd",
};
#define NMODES (sizeof(mode_names) / sizeof(*mode_names))

int tr_mode_parse(const char *name, enum tr_mode *mode, struct pal_error *err)
{
	for (size_t i = 0; i < NMODES; i++)
		if (strcmp(name, mode_names[i]) == 0) {
			*mode = (enum tr_mode)i;
			return 0;
		}
	return pal_seterr(err, PAL_ERR_USAGE, 0, "unknown training mode '%s'",
			  name);
}

const char *tr_mode_name(enum tr_mode mode)
{
	return (size_t)mode < NMODES ? mode_names[mode] : "?";
}

void tr_defaults(struct tr_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = TR_SERIAL;
	o->epochs = 100;
	o->batch = 64;
	o->opt = OPTIM_ADAM;
	optim_defaults(OPTIM_ADAM, &o->op);
	o->patience = 0;
	o->sync_every = 1;
	o->validate_every = 0;
	o->elastic_force = 0.9;
	o->elastic_lr = 1.0;
	o->elastic_momentum = 0;
	o->seed = 0;
	o->stream = 0;
	o->epoch_done = NULL;
	o->ctx = NULL;
}

void tr_result_free(struct tr_result *res)
{
	if (!res)
		return;
	free(res->curve);
	res->curve = NULL;
	res->ncurve = 0;
}

/* ---- shared state ------------------------------------------------------ */

struct run {
	const struct tr_problem *p;
	const struct tr_opts *o;
	int rank, size;
	size_t np;
	struct tr_result *res;
	int ccap;			/* curve entries allocated */
	/* early stopping */
	int nval;			/* validation points so far */
	int best_point;			/* 0: none yet */
	double best_val;
	uint64_t best_updates;
	int bad;			/* validations since the best */
	double *best;			/* np: the best weights (patience) */
};

static int check_opts(const struct tr_problem *p, const struct tr_opts *o,
		      struct pal_error *err)
{
	const char *bad = NULL;
	double v = 0;
	const char *need = "";

	if (!p || !p->grad || p->np == 0 || p->ntrain == 0)
		return pal_seterr(err, PAL_ERR_USAGE, 0, "training problem "
				  "without %s", !p || !p->grad ? "a gradient" :
				  p->np == 0 ? "parameters" : "rows");
	if (p->ntrain > SIZE_MAX / sizeof(uint64_t))
		return pal_seterr(err, PAL_ERR_LIMIT, 0, "too many training "
				  "rows (%llu)", (unsigned long long)p->ntrain);
	if ((size_t)o->mode >= NMODES)
		bad = "training mode", v = o->mode, need = "0 to 3";
	else if (o->epochs < 1)
		bad = "epochs", v = o->epochs, need = "at least 1";
	else if (o->batch < 1)
		bad = "batch size", v = o->batch, need = "at least 1";
	else if (o->patience < 0)
		bad = "patience", v = o->patience, need = "0 or more";
	else if (o->sync_every < 1)
		bad = "sync-every", v = o->sync_every, need = "at least 1";
	else if (o->validate_every < 0)
		bad = "validate-every", v = o->validate_every,
		need = "0 or more";
	else if (!(o->elastic_force > 0 && o->elastic_force <= 1))
		bad = "elastic force", v = o->elastic_force, need = "in (0, 1]";
	else if (!(o->elastic_lr > 0 && isfinite(o->elastic_lr)))
		bad = "elastic learning rate", v = o->elastic_lr,
		need = "positive";
	else if (!(o->elastic_momentum >= 0 && o->elastic_momentum < 1))
		bad = "elastic momentum", v = o->elastic_momentum,
		need = "in [0, 1)";
	if (bad)
		return pal_seterr(err, PAL_ERR_USAGE, 0, "%s out of range (%g; "
				  "%s)", bad, v, need);
	return 0;
}

/* Fisher-Yates: a uniform permutation of a[0..n) in place. */
static void shuffle(struct rng *r, uint64_t *a, uint64_t n)
{
	for (uint64_t i = n; i > 1; i--) {
		uint64_t j = rng_below(r, i), t = a[i - 1];

		a[i - 1] = a[j];
		a[j] = t;
	}
}

static int finite_all(const double *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return 0;
	return 1;
}

/* knob: the option that sets the rate that diverged ("--lr", or
 * "--elastic-lr" for EASGD's workers). */
static int diverged(struct pal_error *err, int epoch, double loss,
		    const char *knob)
{
	return pal_seterr(err, PAL_ERR_NUMERIC, 0, "training diverged at "
			  "epoch %d (loss %g); lower %s", epoch, loss, knob);
}

/*
 * Every rank calls this with failed set where this rank has an error in
 * *mine: returns 0 when no rank failed, else -1 with *err the error of the
 * highest failed rank, on every rank.
 */
static int agree(const struct run *r, int failed, const struct pal_error *mine,
		 struct pal_error *err)
{
	double who = failed ? r->rank : -1;
	struct pal_error e = { 0 };

	if (r->size > 1)
		comm_allreduce_max(&who, 1);
	if (who < 0)
		return 0;
	if (failed)
		e = *mine;
	if (r->size > 1)
		comm_bcast(&e, sizeof(e), (int)who);
	if (err)
		*err = e;
	return -1;
}

/* Append (loss, val) to the curve. */
static void curve_add(struct run *r, double loss, double val)
{
	struct tr_result *res = r->res;

	if (res->ncurve == r->ccap) {
		r->ccap = r->ccap ? 2 * r->ccap : 64;
		res->curve = xrealloc(res->curve,
				      (size_t)r->ccap * 2 * sizeof(double));
	}
	res->curve[2 * res->ncurve] = loss;
	res->curve[2 * res->ncurve + 1] = val;
	res->ncurve++;
}

/*
 * A validation point (an epoch, or validate_every updates): record it,
 * keep the best weights.  Returns 1 when patience has run out.
 */
static int point(struct run *r, double loss, double val, const double *w,
		 uint64_t updates, int callback)
{
	r->nval++;
	curve_add(r, loss, val);
	if (callback && r->o->epoch_done)
		r->o->epoch_done(r->o->ctx, r->nval, loss, val);
	if (!r->p->val)
		return 0;
	if (r->best_point == 0 || val < r->best_val) {
		r->best_point = r->nval;
		r->best_val = val;
		r->best_updates = updates;
		r->bad = 0;
		if (r->best)
			memcpy(r->best, w, r->np * sizeof(double));
		return 0;
	}
	r->bad++;
	return r->o->patience > 0 && r->bad >= r->o->patience;
}

/* Fill *res's scalars at the end: w becomes the best weights where kept. */
static void finish(struct run *r, double *w, double last_loss,
		   double last_val, uint64_t updates)
{
	struct tr_result *res = r->res;

	res->epochs = r->nval;
	res->last_loss = last_loss;
	if (r->best) {
		memcpy(w, r->best, r->np * sizeof(double));
		res->best_epoch = r->best_point;
		res->best_val = r->best_val;
		res->updates = r->best_updates;
	} else {
		res->best_epoch = r->nval;
		res->best_val = r->p->val ? last_val : NAN;
		res->updates = updates;
	}
}

/* ---- serial and synchronous data parallel ------------------------------ */

/*
 * The mean loss and gradient of the batch idx[0..n) at w into *loss and g
 * (np).  TR_DATA: this rank's shard, then the sum over ranks of
 * (rows · shard mean) through red (np + 2), divided by n.  Returns -1
 * with err, the same on every rank, when a rank's grad() failed.
 */
static int batch_grad(struct run *r, int data, const double *w,
		      const uint64_t *idx, int n, double *loss, double *g,
		      double *red, struct pal_error *err)
{
	const struct tr_problem *p = r->p;
	struct pal_error e;
	uint64_t lo, hi;
	int failed = 0;
	double l = 0;

	if (!data)
		return p->grad(p->ctx, w, idx, n, loss, g, err);
	lo = (uint64_t)n * (uint64_t)r->rank / (uint64_t)r->size;
	hi = (uint64_t)n * (uint64_t)(r->rank + 1) / (uint64_t)r->size;
	if (hi > lo) {
		if (p->grad(p->ctx, w, idx + lo, (int)(hi - lo), &l, red,
			    &e) < 0) {
			failed = 1;
		} else {
			for (size_t i = 0; i < r->np; i++)
				red[i] *= (double)(hi - lo);
			red[r->np] = l * (double)(hi - lo);
		}
	}
	if (hi == lo || failed)
		memset(red, 0, (r->np + 1) * sizeof(double));
	red[r->np + 1] = failed;
	comm_allreduce_sum(red, r->np + 2);
	if (red[r->np + 1] > 0)
		return agree(r, failed, &e, err);
	for (size_t i = 0; i < r->np; i++)
		g[i] = red[i] / n;
	*loss = red[r->np] / n;
	return 0;
}

/* The validation loss at w: on rank 0, broadcast in TR_DATA. */
static int validate(struct run *r, int data, const double *w, double *val,
		    struct pal_error *err)
{
	struct pal_error e;
	double v[2] = { 0, 0 };

	if (!data)
		return r->p->val(r->p->ctx, w, val, err);
	if (r->rank == 0 && r->p->val(r->p->ctx, w, &v[0], &e) < 0)
		v[1] = 1;
	comm_bcast(v, sizeof(v), 0);
	if (v[1] > 0)
		return agree(r, r->rank == 0, &e, err);
	*val = v[0];
	return 0;
}

static int train_sync(struct run *r, double *w, struct pal_error *err)
{
	const struct tr_problem *p = r->p;
	const struct tr_opts *o = r->o;
	int data = o->mode == TR_DATA && r->size > 1;
	uint64_t n = p->ntrain, B = (uint64_t)o->batch < n ? (uint64_t)o->batch
							  : n;
	uint64_t *perm = xmalloc(n * sizeof(*perm)), updates = 0;
	double *g = xmalloc(r->np * sizeof(double));
	double *red = data ? xmalloc((r->np + 2) * sizeof(double)) : NULL;
	double mean = NAN, val = NAN;
	struct optim *opt;
	struct rng rng;
	int rc = -1;

	opt = optim_new(o->opt, &o->op, r->np, err);
	if (!opt)
		goto out;
	rng_seed(&rng, o->seed, TR_RNG_SHUFFLE + o->stream);
	for (uint64_t i = 0; i < n; i++)
		perm[i] = i;
	for (int e = 1; e <= o->epochs; e++) {
		double sum = 0;
		uint64_t nb = 0;

		shuffle(&rng, perm, n);
		for (uint64_t b0 = 0; b0 < n; b0 += B) {
			int m = (int)(n - b0 < B ? n - b0 : B);
			double loss;

			if (batch_grad(r, data, w, perm + b0, m, &loss, g, red,
				       err) < 0)
				goto out;
			if (!isfinite(loss) || !finite_all(g, r->np)) {
				diverged(err, e, loss, "--lr");
				goto out;
			}
			optim_step_f64(opt, w, g);
			updates++;
			/* Weighted by rows: a short last batch counts for
			 * its rows, not as much as a full one. */
			sum += loss * m;
			nb += (uint64_t)m;
		}
		mean = sum / (double)nb;
		/* Finite gradients can still step to infinite weights. */
		if (!finite_all(w, r->np)) {
			diverged(err, e, mean, "--lr");
			goto out;
		}
		if (p->val) {
			if (validate(r, data, w, &val, err) < 0)
				goto out;
			if (!isfinite(val)) {
				diverged(err, e, val, "--lr");
				goto out;
			}
		}
		if (point(r, mean, val, w, updates, !data || r->rank == 0))
			break;
	}
	finish(r, w, mean, val, updates);
	rc = 0;
out:
	optim_free(opt);
	free(perm);
	free(g);
	free(red);
	return rc;
}

/* ---- asynchronous: downpour and easgd (mpi_learn) -----------------------
 *
 * mpi_learn/mpi/process.py: MPIWorker.train() trains batch after batch and,
 * when Algo.should_sync() (every sync_every batches), sends its update and
 * waits for the master's weights (do_send_sequence); MPIMaster.train()
 * answers each worker in the order the messages come
 * (do_update_sequence), validating every validate_every updates.
 *
 * Downpour (Algo mode "sgd", worker_update_type "update"): the worker's
 * update is its gradient; mpi_learn's worker takes plain SGD steps of rate
 * 1 between syncs and sends the difference of its weights, which for
 * sync_every 1 is the gradient and otherwise the sum of gradients taken
 * at moving weights.  Here the worker sums the gradients of its
 * sync_every batches at the weights it last received (the header's
 * contract); the master applies its optimiser (o->opt, o->op) to the sum
 * (Algo.apply_update -> optimizer.apply_update) and answers with the new
 * weights (send_before_apply False).
 *
 * EASGD (Algo mode "easgd", worker_update_type "weights",
 * send_before_apply True): the worker sends its weights x; the master
 * answers with its centre c before it moves, then
 *     c <- c - a·(c - x)                 (Algo.apply_update ->
 *                                         get_elastic_update)
 * and the worker, on the answer,
 *     x <- x - a·(x - c)                 (Algo.set_worker_model_weights)
 * where a is the elastic force divided by the number of workers:
 * MPIDriver.py passes elastic_force=args.elastic_force/(comm.Get_size()-1)
 * with --elastic-force 0.9 by default.  The master of EASGD has no
 * optimiser (MPIDriver.py builds Algo(None, ...)).  The worker steps its
 * own weights with SGD: MPIDriver.py documents --elastic-lr (default 1.0)
 * and --elastic-momentum (default 0) as the "worker SGD learning rate" and
 * "worker SGD momentum for EASGD"; algo.py stores them but builds the
 * worker's optimiser from --worker-optimizer, which is SGD of rate 1.0
 * unless told otherwise (OptimizerBuilder), i.e. the same defaults.  Here
 * the worker's optimiser is SGD with rate elastic_lr when elastic_momentum
 * is 0, else momentum SGD (optim.h) with rate elastic_lr and momentum
 * elastic_momentum; o->op's weight decay applies.  So in TR_EASGD o->opt
 * and o->op.lr are not used, as in mpi_learn.
 *
 * Staleness: mpi_learn's asynchronous master accepts every update
 * (MPIMaster.accept_update with one sync worker), so the time-step
 * handshake is left out.
 */

static double *copy(const double *v, size_t n)
{
	double *c = xmalloc(n * sizeof(double));

	memcpy(c, v, n * sizeof(double));
	return c;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/*
 * The next message, or 0 after GONE_CHECK seconds.  An answer usually
 * comes within microseconds, sooner than comm_recv's first sleeps end:
 * poll a little first, yielding the core each time (oversubscribed ranks
 * still get it), then sleep in comm_recv.
 */
static int wait_msg(struct comm_msg *m)
{
	for (int i = 0; i < SPIN; i++) {
		if (comm_try_recv(m))
			return 1;
		sched_yield();
	}
	return comm_recv(m, GONE_CHECK);
}

static int gone(int r, struct pal_error *err)
{
	return pal_seterr(err, PAL_ERR_IO, 0, "rank %d (host %s, pid %ld) is "
			  "gone; ending the job", r, comm_host(r),
			  (long)comm_pid(r));
}

/* Rank 0. */
static int master(struct run *r, double *w, int *failed, struct pal_error *e)
{
	const struct tr_problem *p = r->p;
	const struct tr_opts *o = r->o;
	int easgd = o->mode == TR_EASGD, nworkers = r->size - 1;
	int active = nworkers, stopping = 0;
	const char *knob = easgd ? "--elastic-lr" : "--lr";
	size_t np = r->np, want = (HDR + np) * sizeof(double);
	double a = o->elastic_force / nworkers, lsum = 0, lcount = 0;
	double last_loss = NAN, val = NAN, checked = now();
	unsigned char *live = xmalloc((size_t)r->size);
	uint64_t updates = 0, since = 0, every = (uint64_t)o->validate_every;
	struct optim *opt = NULL;
	int rc = -1;

	if (every == 0) {
		/* mpi_learn's MPIDriver.py: validate_every = rows / batch,
		 * an epoch's worth of updates (of sync_every batches each). */
		uint64_t B = (uint64_t)o->batch, nb = (p->ntrain + B - 1) / B;

		every = nb / (uint64_t)o->sync_every;
		if (every == 0)
			every = 1;
	}
	if (!easgd && !(opt = optim_new(o->opt, &o->op, np, e))) {
		*failed = 1;
		stopping = 1;
	}
	memset(live, 1, (size_t)r->size);
	while (active > 0) {
		struct comm_msg m;
		const double *d;

		int got = wait_msg(&m);

		/* Every GONE_CHECK seconds, busy or not. */
		if (!got || now() - checked >= GONE_CHECK) {
			checked = now();
			for (int k = 1; k < r->size; k++)
				if (live[k] && comm_gone(k)) {
					gone(k, e);
					if (got)
						free(m.buf);
					goto out;
				}
		}
		if (!got)
			continue;
		d = m.buf;
		if (m.src < 1 || m.src >= r->size || !live[m.src]) {
			if (!*failed)
				pal_seterr(e, PAL_ERR_CORRUPT, 0, "unexpected "
					   "message %d from rank %d", m.tag,
					   m.src);
			*failed = 1;
			free(m.buf);
			goto out;	/* a broken protocol: no agreement */
		}
		if (m.tag == TAG_DONE || m.tag == TAG_FAILED) {
			if (m.tag == TAG_FAILED && !*failed) {
				if (m.len == sizeof(*e))
					memcpy(e, m.buf, sizeof(*e));
				else
					pal_seterr(e, PAL_ERR_CORRUPT, 0,
						   "rank %d failed", m.src);
				*failed = 1;
			}
			if (m.tag == TAG_FAILED)
				stopping = 1;
			live[m.src] = 0;
			active--;
			free(m.buf);
			continue;
		}
		if (m.tag != TAG_UPDATE || m.len != want) {
			if (!*failed)
				pal_seterr(e, PAL_ERR_CORRUPT, 0, "unexpected "
					   "message %d of %zu bytes from rank "
					   "%d", m.tag, m.len, m.src);
			*failed = 1;
			free(m.buf);
			goto out;
		}
		if (!stopping &&
		    (!isfinite(d[0]) || !finite_all(d + HDR, np))) {
			diverged(e, (int)d[2],
				 d[0] / (d[1] > 0 ? d[1] : 1), knob);
			*failed = 1;
			stopping = 1;
		}
		if (stopping) {
			comm_send(m.src, TAG_STOP, xmalloc(1), 0);
			live[m.src] = 0;
			active--;
			free(m.buf);
			continue;
		}
		if (easgd) {
			comm_send(m.src, TAG_WEIGHTS, copy(w, np),
				  np * sizeof(double));
			for (size_t i = 0; i < np; i++)
				w[i] -= a * (w[i] - d[HDR + i]);
		} else {
			optim_step_f64(opt, w, d + HDR);
			if (!finite_all(w, np)) {
				diverged(e, (int)d[2], d[0] / d[1], knob);
				*failed = 1;
				stopping = 1;
				comm_send(m.src, TAG_STOP, xmalloc(1), 0);
				live[m.src] = 0;
				active--;
				free(m.buf);
				continue;
			}
			comm_send(m.src, TAG_WEIGHTS, copy(w, np),
				  np * sizeof(double));
		}
		updates++;
		lsum += d[0];
		lcount += d[1];
		free(m.buf);
		if (++since < every)
			continue;
		since = 0;
		last_loss = lsum / lcount;
		lsum = lcount = 0;
		if (p->val && p->val(p->ctx, w, &val, e) < 0) {
			*failed = 1;
			stopping = 1;
			continue;
		}
		if (p->val && !isfinite(val)) {
			diverged(e, r->nval + 1, val, knob);
			*failed = 1;
			stopping = 1;
			continue;
		}
		if (point(r, last_loss, val, w, updates, 1))
			stopping = 1;
	}
	/* The updates since the last point, as mpi_learn validates once
	 * more at the end. */
	if (!*failed && lcount > 0) {
		last_loss = lsum / lcount;
		if (p->val && p->val(p->ctx, w, &val, e) < 0) {
			*failed = 1;
		} else if (p->val && !isfinite(val)) {
			diverged(e, r->nval + 1, val, knob);
			*failed = 1;
		} else {
			point(r, last_loss, val, w, updates, 1);
		}
	}
	if (!*failed)
		finish(r, w, last_loss, val, updates);
	rc = 0;
out:
	optim_free(opt);
	free(live);
	return rc;
}

/*
 * Send this worker's update and wait for the answer: 1 to go on, 0 when
 * told to stop, -1 when rank 0 is gone.
 */
static int exchange(struct run *r, double *x, double *msg, double *acc,
		    struct pal_error *e)
{
	size_t np = r->np;
	struct comm_msg m;
	int easgd = r->o->mode == TR_EASGD;
	double a = r->o->elastic_force / (r->size - 1);

	memcpy(msg + HDR, easgd ? x : acc, np * sizeof(double));
	comm_send(0, TAG_UPDATE, copy(msg, HDR + np),
		  (HDR + np) * sizeof(double));
	while (!wait_msg(&m))
		if (comm_gone(0))
			return gone(0, e);
	if (m.src != 0 || (m.tag != TAG_STOP && m.tag != TAG_WEIGHTS) ||
	    (m.tag == TAG_WEIGHTS && m.len != np * sizeof(double))) {
		pal_seterr(e, PAL_ERR_CORRUPT, 0, "unexpected message %d of "
			   "%zu bytes from rank %d", m.tag, m.len, m.src);
		free(m.buf);
		return -1;
	}
	if (m.tag == TAG_STOP) {
		free(m.buf);
		return 0;
	}
	if (easgd) {
		const double *c = m.buf;

		for (size_t i = 0; i < np; i++)
			x[i] -= a * (x[i] - c[i]);
	} else {
		memcpy(x, m.buf, np * sizeof(double));
	}
	free(m.buf);
	return 1;
}

/* Ranks 1..N-1.  Returns -1 when the job cannot agree (rank 0 gone). */
static int worker(struct run *r, const double *w0, int *failed,
		  struct pal_error *e)
{
	const struct tr_problem *p = r->p;
	const struct tr_opts *o = r->o;
	int easgd = o->mode == TR_EASGD, nworkers = r->size - 1;
	int me = r->rank - 1, go = 1;
	size_t np = r->np;
	uint64_t n = 0, B;
	uint64_t *rows;
	double *x = copy(w0, np), *g = xmalloc(np * sizeof(double));
	double *acc = xcalloc(np, sizeof(double));
	double *msg = xcalloc(HDR + np, sizeof(double));
	struct optim *opt = NULL;
	struct rng rng;
	int rc = 0;

	/* Row i belongs to worker i % (N-1). */
	rows = xmalloc((p->ntrain / (uint64_t)nworkers + 1) * sizeof(*rows));
	for (uint64_t i = (uint64_t)me; i < p->ntrain; i += (uint64_t)nworkers)
		rows[n++] = i;
	B = (uint64_t)o->batch < n ? (uint64_t)o->batch : n;
	if (easgd) {
		struct optim_params op = o->op;

		op.lr = o->elastic_lr;
		op.momentum = o->elastic_momentum;
		opt = optim_new(o->elastic_momentum > 0 ? OPTIM_MOMENTUM
							: OPTIM_SGD,
				&op, np, e);
		if (!opt) {
			*failed = 1;
			n = 0;
		}
	}
	/* Each worker its own shuffles: the member's stream, the worker in
	 * bits 24 and up. */
	rng_seed(&rng, o->seed,
		 TR_RNG_SHUFFLE + o->stream + ((uint64_t)r->rank << 24));
	for (int ep = 1; go && n > 0 && ep <= o->epochs; ep++) {
		shuffle(&rng, rows, n);
		for (uint64_t b0 = 0; go && b0 < n; b0 += B) {
			int m = (int)(n - b0 < B ? n - b0 : B);
			double loss;

			if (p->grad(p->ctx, x, rows + b0, m, &loss, g, e) < 0) {
				*failed = 1;
				go = 0;
				break;
			}
			if (easgd)
				optim_step_f64(opt, x, g);
			else
				for (size_t i = 0; i < np; i++)
					acc[i] += g[i];
			msg[0] += loss;
			msg[1] += 1;
			msg[2] = ep;
			if (msg[1] < o->sync_every)
				continue;
			if ((go = exchange(r, x, msg, acc, e)) < 0) {
				rc = -1;
				goto out;
			}
			memset(msg, 0, HDR * sizeof(double));
			memset(acc, 0, np * sizeof(double));
		}
	}
	if (go && !*failed && msg[1] > 0 &&
	    (go = exchange(r, x, msg, acc, e)) < 0) {
		rc = -1;
		goto out;
	}
	if (*failed)
		comm_send(0, TAG_FAILED, memcpy(xmalloc(sizeof(*e)), e,
						sizeof(*e)), sizeof(*e));
	else if (go)
		comm_send(0, TAG_DONE, xmalloc(1), 0);
out:
	optim_free(opt);
	free(rows);
	free(x);
	free(g);
	free(acc);
	free(msg);
	return rc;
}

static int train_async(struct run *r, double *w, struct pal_error *err)
{
	struct pal_error e;
	double s[5];
	int failed = 0;

	if ((r->rank == 0 ? master(r, w, &failed, &e)
			  : worker(r, w, &failed, &e)) < 0) {
		/* A peer is gone or spoke out of turn: the others cannot
		 * agree; the caller ends the job. */
		if (err)
			*err = e;
		return -1;
	}
	if (agree(r, failed, &e, err) < 0)
		return -1;
	comm_bcast(w, r->np * sizeof(double), 0);
	s[0] = r->res->epochs;
	s[1] = r->res->best_epoch;
	s[2] = r->res->best_val;
	s[3] = r->res->last_loss;
	s[4] = (double)r->res->updates;
	comm_bcast(s, sizeof(s), 0);
	r->res->epochs = (int)s[0];
	r->res->best_epoch = (int)s[1];
	r->res->best_val = s[2];
	r->res->last_loss = s[3];
	r->res->updates = (uint64_t)s[4];
	return 0;
}

/* ---- tr_run ------------------------------------------------------------ */

int tr_run(const struct tr_problem *p, const struct tr_opts *o, double *w,
	   struct tr_result *res, struct pal_error *err)
{
	struct optim *t;
	struct run r;
	int rc;

	memset(res, 0, sizeof(*res));
	res->best_val = NAN;
	res->last_loss = NAN;
	if (check_opts(p, o, err) < 0)
		return -1;
	/* The optimisers' hyper-parameters, checked on every rank alike. */
	if (o->mode == TR_EASGD) {
		struct optim_params op = o->op;

		op.lr = o->elastic_lr;
		op.momentum = o->elastic_momentum;
		t = optim_new(OPTIM_MOMENTUM, &op, 1, err);
	} else {
		t = optim_new(o->opt, &o->op, 1, err);
	}
	if (!t)
		return -1;
	optim_free(t);
	memset(&r, 0, sizeof(r));
	r.p = p;
	r.o = o;
	r.np = p->np;
	r.res = res;
	r.rank = comm_rank();
	r.size = comm_size();
	r.best_val = NAN;
	if (o->mode == TR_SERIAL)
		r.size = 1;	/* no communication at all */
	if (p->val && o->patience > 0)
		r.best = xmalloc(r.np * sizeof(double));
	if (r.size > 1 && (o->mode == TR_DOWNPOUR || o->mode == TR_EASGD))
		rc = train_async(&r, w, err);
	else
		rc = train_sync(&r, w, err);
	free(r.best);
	if (rc < 0)
		tr_result_free(res);
	return rc;
}
