/*
 * mpi-train: a test program for libcommon's training loop
 * (mpitrain.h), run by tests/t129-mpitrain.sh alone and under mpirun.
 *
 * The problems, each with an answer known independently of mpitrain:
 *
 *   ls     linear least squares, loss ½·mean (a_i·w − y_i)² over 300 rows
 *          of 5 inputs, y = A w* + 0.1·noise; its optimum w_opt solves the
 *          normal equations AᵀA w = Aᵀy, found here by a Cholesky
 *          factorisation of our own.  Validation: 100 more rows.
 *   line   one weight, four rows of target 1, loss ½(w − 1)²: full-batch
 *          SGD of rate 0.2 from 0 gives w_e = 1 − 0.8^e after epoch e, and
 *          the validation loss (w − 0.5)² is least at e = 3 (0.488) and
 *          grows after: early stopping with patience 2 stops at epoch 5
 *          and returns w_3.
 *   mlp    (non-convex) a 1-8-1 tanh network fitted to sin(3x) on 64 rows,
 *          whose loss must fall below a stated bound.
 *
 * Commands (one a process; rank 0 prints TAP lines "ok - ... (N ranks)"
 * and "# ..." notes, and the exit status is 1 if any check failed):
 *
 *   serial          the serial checks (a world of one)
 *   data            TR_DATA against TR_SERIAL, errors agreed, early stop
 *   weights         TR_DATA's final weights in %a, one line (for cmp)
 *   async MODE      downpour or easgd: convergence, early stop, errors;
 *                   at 2 ranks the updates of one worker, written out
 *   bench MODE      updates/s of MODE (serial, data, downpour, easgd) on ls
 *   slow MODE       a run of MODE that lasts minutes (for kill -9); each
 *                   rank writes its pid to pid.RANK first
 *   diverge MODE    a run with a huge rate: dies with tr_run's message
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "mpicomm.h"
#include "mpitrain.h"
#include "rng.h"
#include "banned.h"

static int rank, size, nfail;

/* One check: counted over ranks by report(). */
static double fails[64];
static const char *names[64];
static int nchecks;

static void check(const char *what, int ok)
{
	if (nchecks < 64) {
		names[nchecks] = what;
		fails[nchecks++] = !ok;
	}
}

/* Rank 0 prints every check, failed if it failed on any rank. */
static void report(void)
{
	comm_allreduce_sum(fails, (size_t)nchecks);
	if (rank == 0)
		for (int i = 0; i < nchecks; i++) {
			printf("%sok - %s (%d ranks)\n", fails[i] ? "not " : "",
			       names[i], size);
			nfail += fails[i] != 0;
		}
	nchecks = 0;
}

static void note(const char *fmt, double v)
{
	if (rank == 0) {
		printf("# ");
		printf(fmt, v);
		printf("\n");
	}
}

static double maxdiff(const double *a, const double *b, size_t n)
{
	double m = 0;

	for (size_t i = 0; i < n; i++) {
		double d = fabs(a[i] - b[i]);

		if (!(d <= m))
			m = d;	/* NaN wins */
	}
	return m;
}

/* ---- ls ---------------------------------------------------------------- */

#define LS_N 300
#define LS_NV 100
#define LS_D 5

struct ls {
	double a[LS_N + LS_NV][LS_D], y[LS_N + LS_NV];
	double wstar[LS_D], wopt[LS_D];
	int fail_rank, fail_call, calls;	/* grad fails on that rank */
	int val_fail, val_calls;		/* val fails at that call */
	double sleep;				/* seconds per grad call */
};

static void ls_init(struct ls *ls)
{
	struct rng r;
	double m[LS_D][LS_D] = { { 0 } }, b[LS_D] = { 0 };

	memset(ls, 0, sizeof(*ls));
	ls->fail_rank = -1;
	rng_seed(&r, 12345, 0);
	for (int j = 0; j < LS_D; j++)
		ls->wstar[j] = rng_normal(&r);
	for (int i = 0; i < LS_N + LS_NV; i++) {
		double s = 0;

		for (int j = 0; j < LS_D; j++) {
			ls->a[i][j] = rng_normal(&r);
			s += ls->a[i][j] * ls->wstar[j];
		}
		ls->y[i] = s + 0.1 * rng_normal(&r);
	}
	/* Normal equations on the training rows, Cholesky m = L Lᵀ. */
	for (int i = 0; i < LS_N; i++)
		for (int j = 0; j < LS_D; j++) {
			b[j] += ls->a[i][j] * ls->y[i];
			for (int k = 0; k < LS_D; k++)
				m[j][k] += ls->a[i][j] * ls->a[i][k];
		}
	for (int j = 0; j < LS_D; j++) {
		for (int k = 0; k < j; k++) {
			double s = m[j][k];

			for (int l = 0; l < k; l++)
				s -= m[j][l] * m[k][l];
			m[j][k] = s / m[k][k];
		}
		for (int l = 0; l < j; l++)
			m[j][j] -= m[j][l] * m[j][l];
		m[j][j] = sqrt(m[j][j]);
	}
	for (int j = 0; j < LS_D; j++) {	/* L z = b */
		for (int l = 0; l < j; l++)
			b[j] -= m[j][l] * b[l];
		b[j] /= m[j][j];
	}
	for (int j = LS_D - 1; j >= 0; j--) {	/* Lᵀ w = z */
		for (int l = j + 1; l < LS_D; l++)
			b[j] -= m[l][j] * b[l];
		b[j] /= m[j][j];
	}
	memcpy(ls->wopt, b, sizeof(b));
}

static int ls_grad(void *ctx, const double *w, const uint64_t *idx, int n,
		   double *loss, double *g, struct pal_error *err)
{
	struct ls *ls = ctx;
	double l = 0;

	if (ls->sleep > 0) {
		struct timespec ts = { 0, (long)(ls->sleep * 1e9) };

		nanosleep(&ts, NULL);
	}
	if (rank == ls->fail_rank && ++ls->calls == ls->fail_call)
		return pal_seterr(err, PAL_ERR_CORRUPT, 0, "row %llu is bad "
				  "(rank %d)", (unsigned long long)idx[0],
				  rank);
	memset(g, 0, LS_D * sizeof(double));
	for (int i = 0; i < n; i++) {
		const double *a;
		double r;

		if (idx[i] >= LS_N)
			return pal_seterr(err, PAL_ERR_USAGE, 0, "bad row");
		a = ls->a[idx[i]];
		r = -ls->y[idx[i]];
		for (int j = 0; j < LS_D; j++)
			r += a[j] * w[j];
		l += 0.5 * r * r;
		for (int j = 0; j < LS_D; j++)
			g[j] += r * a[j];
	}
	for (int j = 0; j < LS_D; j++)
		g[j] /= n;
	*loss = l / n;
	return 0;
}

static int ls_val(void *ctx, const double *w, double *loss,
		  struct pal_error *err)
{
	struct ls *ls = ctx;
	double l = 0;

	if (ls->val_fail && ++ls->val_calls == ls->val_fail)
		return pal_seterr(err, PAL_ERR_IO, 5, "validation failed "
				  "(rank %d)", rank);
	for (int i = LS_N; i < LS_N + LS_NV; i++) {
		double r = -ls->y[i];

		for (int j = 0; j < LS_D; j++)
			r += ls->a[i][j] * w[j];
		l += 0.5 * r * r;
	}
	*loss = l / LS_NV;
	return 0;
}

static struct tr_problem ls_problem(struct ls *ls, int val)
{
	struct tr_problem p = { ls, LS_D, LS_N, ls_grad, val ? ls_val : NULL };

	return p;
}

/* ---- line -------------------------------------------------------------- */

static int line_grad(void *ctx, const double *w, const uint64_t *idx, int n,
		     double *loss, double *g, struct pal_error *err)
{
	(void)ctx, (void)idx, (void)n, (void)err;
	*loss = 0.5 * (w[0] - 1) * (w[0] - 1);
	g[0] = w[0] - 1;
	return 0;
}

static int line_val(void *ctx, const double *w, double *loss,
		    struct pal_error *err)
{
	(void)ctx, (void)err;
	*loss = (w[0] - 0.5) * (w[0] - 0.5);
	return 0;
}

static void line_opts(struct tr_opts *o, enum tr_mode mode)
{
	tr_defaults(o);
	o->mode = mode;
	o->epochs = 50;
	o->batch = 4;
	o->opt = OPTIM_SGD;
	optim_defaults(OPTIM_SGD, &o->op);
	o->op.lr = 0.2;
	o->patience = 2;
	o->validate_every = 1;
}

/* ---- mlp: 1-8-1 tanh on sin(3x) ---------------------------------------- */

#define MH 8
#define MN 64
#define MNP (3 * MH + 1)	/* w1[MH], b1[MH], w2[MH], b2 */

static int mlp_grad(void *ctx, const double *w, const uint64_t *idx, int n,
		    double *loss, double *g, struct pal_error *err)
{
	double l = 0;

	(void)ctx, (void)err;
	memset(g, 0, MNP * sizeof(double));
	for (int i = 0; i < n; i++) {
		double x = -1 + 2.0 * (double)idx[i] / (MN - 1), h[MH], f = 0;
		double r;

		for (int k = 0; k < MH; k++) {
			h[k] = tanh(w[k] * x + w[MH + k]);
			f += w[2 * MH + k] * h[k];
		}
		f += w[3 * MH];
		r = f - sin(3 * x);
		l += 0.5 * r * r;
		for (int k = 0; k < MH; k++) {
			double dz = r * w[2 * MH + k] * (1 - h[k] * h[k]);

			g[k] += dz * x;
			g[MH + k] += dz;
			g[2 * MH + k] += r * h[k];
		}
		g[3 * MH] += r;
	}
	for (int k = 0; k < MNP; k++)
		g[k] /= n;
	*loss = l / n;
	return 0;
}

static void mlp_init(double *w)
{
	struct rng r;

	rng_seed(&r, 7, 0);
	for (int k = 0; k < MNP; k++)
		w[k] = rng_normal(&r);
}

/* The mean loss over all MN rows. */
static double mlp_loss(const double *w)
{
	uint64_t idx[MN];
	double l, g[MNP];

	for (int i = 0; i < MN; i++)
		idx[i] = (uint64_t)i;
	mlp_grad(NULL, w, idx, MN, &l, g, NULL);
	return l;
}

/* ---- checks ------------------------------------------------------------ */

static int msg_is(const struct pal_error *e, int kind, const char *prefix,
		  const char *suffix)
{
	size_t n = strlen(e->msg), s = strlen(suffix);

	return e->kind == kind && strncmp(e->msg, prefix, strlen(prefix)) == 0
	       && n >= s && strcmp(e->msg + n - s, suffix) == 0;
}

static void bad_opts(struct tr_problem *p)
{
	static const struct {
		const char *what, *msg;
		int field;
		double v;
	} cases[] = {
		{ "epochs 0 refused", "epochs out of range (0; at least 1)",
		  0, 0 },
		{ "batch 0 refused", "batch size out of range (0; at least 1)",
		  1, 0 },
		{ "sync-every 0 refused", "sync-every out of range (0; at "
		  "least 1)", 2, 0 },
		{ "elastic force 1.5 refused", "elastic force out of range "
		  "(1.5; in (0, 1])", 3, 1.5 },
		{ "learning rate -1 refused", "learning rate out of range "
		  "(adam)", 4, -1 },
		{ "patience -1 refused", "patience out of range (-1; 0 or "
		  "more)", 5, -1 },
		{ "elastic momentum 1 refused", "elastic momentum out of "
		  "range (1; in [0, 1))", 6, 1 },
	};
	struct pal_error e;
	enum tr_mode mode;

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct tr_opts o;
		struct tr_result res;
		double w[LS_D] = { 0 };
		int rc;

		tr_defaults(&o);
		o.epochs = 2;
		switch (cases[i].field) {
		case 0: o.epochs = (int)cases[i].v; break;
		case 1: o.batch = (int)cases[i].v; break;
		case 2: o.sync_every = (int)cases[i].v; break;
		case 3: o.elastic_force = cases[i].v; break;
		case 4: o.op.lr = cases[i].v; break;
		case 5: o.patience = (int)cases[i].v; break;
		case 6: o.elastic_momentum = cases[i].v; o.mode = TR_EASGD;
			break;
		}
		memset(&e, 0, sizeof(e));
		rc = tr_run(p, &o, w, &res, &e);
		check(cases[i].what, rc == -1 && e.kind == PAL_ERR_USAGE &&
		      strcmp(e.msg, cases[i].msg) == 0 && w[0] == 0 &&
		      res.curve == NULL);
		if (rank == 0 && strcmp(e.msg, cases[i].msg))
			printf("# got '%s'\n", e.msg);
	}
	check("tr_mode_parse: the four names",
	      tr_mode_parse("serial", &mode, &e) == 0 && mode == TR_SERIAL &&
	      tr_mode_parse("data", &mode, &e) == 0 && mode == TR_DATA &&
	      tr_mode_parse("downpour", &mode, &e) == 0 &&
	      mode == TR_DOWNPOUR && tr_mode_parse("easgd", &mode, &e) == 0 &&
	      mode == TR_EASGD && strcmp(tr_mode_name(TR_EASGD), "easgd") == 0);
	check("tr_mode_parse: an unknown name is a usage error",
	      tr_mode_parse("gem", &mode, &e) < 0 &&
	      e.kind == PAL_ERR_USAGE &&
	      strcmp(e.msg, "unknown training mode 'gem'") == 0);
}

/* The early-stopping check on the line problem in mode (exact at 1 worker
 * or in the synchronous modes). */
static void early(enum tr_mode mode, int exact)
{
	struct tr_problem p = { NULL, 1, 4, line_grad, line_val };
	struct tr_opts o;
	struct tr_result res;
	struct pal_error e;
	double w = 0, v = 0;
	int rc;

	line_opts(&o, mode);
	rc = tr_run(&p, &o, &w, &res, &e);
	if (rc == 0)
		line_val(NULL, &w, &v, NULL);
	if (exact) {
		double w3 = 1 - 0.8 * 0.8 * 0.8;

		check("early stopping: stops at epoch 5, returns epoch 3's "
		      "weights", rc == 0 && res.epochs == 5 &&
		      res.best_epoch == 3 && fabs(w - w3) < 1e-15 &&
		      res.best_val == v && res.updates == 3 &&
		      (rank != 0 || (res.ncurve == 5 &&
				     res.curve[7] > res.curve[5] &&
				     res.curve[9] > res.curve[7] &&
				     res.curve[5] < res.curve[3])));
		if (rank == 0 && rc == 0)
			printf("# early stop: epochs %d, best %d, w %.17g\n",
			       res.epochs, res.best_epoch, w);
	} else {
		/* Several workers: the path is not known, but the weights
		 * returned are the best seen, and it stopped early. */
		int ok = rc == 0 && res.best_val == v &&
			 res.epochs < 40 && res.best_epoch == res.epochs - 2;

		if (rank == 0 && ok)
			for (int i = 0; i < res.ncurve; i++)
				ok &= res.curve[2 * i + 1] >= res.best_val;
		check("early stopping: the best weights, stopped early", ok);
		if (rank == 0 && rc == 0)
			printf("# early stop: epochs %d, best %d, w %.17g\n",
			       res.epochs, res.best_epoch, w);
	}
	if (rc == 0)
		tr_result_free(&res);
	else if (rank == 0)
		printf("# %s\n", e.msg);
}

/* A run of mode on ls where rank fail_rank's grad fails at its call n: -1
 * with that message on every rank; then a good run works (nothing left
 * in flight). */
static void failing(struct ls *ls, enum tr_mode mode, int fail_rank, int n)
{
	struct tr_problem p = ls_problem(ls, 1);
	struct tr_opts o;
	struct tr_result res;
	struct pal_error e;
	double w[LS_D] = { 0 }, ok;
	char want[64];
	int rc;

	tr_defaults(&o);
	o.mode = mode;
	o.epochs = 20;
	o.batch = 16;
	o.op.lr = 0.01;
	o.elastic_lr = 0.05;
	ls->fail_rank = fail_rank;
	ls->fail_call = n;
	ls->calls = 0;
	memset(&e, 0, sizeof(e));
	rc = tr_run(&p, &o, w, &res, &e);
	snprintf(want, sizeof(want), "row ");
	ok = rc == -1 && e.kind == PAL_ERR_CORRUPT &&
	     strncmp(e.msg, want, 4) == 0;
	snprintf(want, sizeof(want), "(rank %d)", fail_rank);
	ok = ok && strstr(e.msg, want) != NULL;
	check("a rank's failed grad: -1 and its message on every rank", ok);
	if (rank == 0)
		printf("# %s\n", e.msg);
	ls->fail_rank = -1;
	rc = tr_run(&p, &o, w, &res, &e);
	check("then a good run: nothing was left in flight", rc == 0);
	if (rc == 0)
		tr_result_free(&res);
	/* The validation fails (on rank 0, where it runs). */
	ls->val_fail = 3;
	ls->val_calls = 0;
	memset(&e, 0, sizeof(e));
	rc = tr_run(&p, &o, w, &res, &e);
	check("a failed validation: -1 and its message on every rank",
	      rc == -1 && e.kind == PAL_ERR_IO && e.errnum == 5 &&
	      strcmp(e.msg, "validation failed (rank 0)") == 0);
	ls->val_fail = 0;
	rc = tr_run(&p, &o, w, &res, &e);
	check("then a good run again", rc == 0);
	if (rc == 0)
		tr_result_free(&res);
}

/* A finite loss and gradient, so large that one step makes w infinite. */
static int huge_grad(void *ctx, const double *w, const uint64_t *idx, int n,
		     double *loss, double *g, struct pal_error *err)
{
	(void)ctx, (void)w, (void)idx, (void)n, (void)err;
	*loss = 1;
	g[0] = 1e300;
	return 0;
}

static void diverging(struct ls *ls, enum tr_mode mode)
{
	struct tr_problem hp = { NULL, 1, 4, huge_grad, NULL };
	double hw = 0;
	/* EASGD's workers step at elastic_lr; in a world of one it is
	 * serial training at lr. */
	const char *knob = mode == TR_EASGD && size > 1 ?
			   "); lower --elastic-lr" : "); lower --lr";

	struct tr_problem p = ls_problem(ls, 0);
	struct tr_opts o;
	struct tr_result res;
	struct pal_error e;
	double w[LS_D] = { 0 };
	int rc;

	tr_defaults(&o);
	o.mode = mode;
	o.epochs = 100;
	o.batch = 16;
	o.opt = OPTIM_SGD;
	o.op.lr = 1e3;
	o.elastic_lr = 1e3;
	rc = tr_run(&p, &o, w, &res, &e);
	check("a huge rate: the divergence message on every rank",
	      rc == -1 && msg_is(&e, PAL_ERR_NUMERIC, "training diverged at "
				 "epoch ", knob));
	if (rank == 0)
		printf("# %s\n", rc < 0 ? e.msg : "no error");
	/* One step of a finite gradient to infinite weights, the last. */
	o.epochs = 1;
	o.batch = 4;
	o.op.lr = 1e10;
	o.elastic_lr = 1e10;
	rc = tr_run(&hp, &o, &hw, &res, &e);
	check("finite gradients that step to infinite weights: diverged",
	      rc == -1 && msg_is(&e, PAL_ERR_NUMERIC, "training diverged at "
				 "epoch 1 (loss 1)", knob + 1));
	if (rank == 0)
		printf("# %s\n", rc < 0 ? e.msg : "no error");
}

static void cmd_serial(struct ls *ls)
{
	struct tr_problem p = ls_problem(ls, 1), mp = { NULL, MNP, MN,
							mlp_grad, NULL };
	struct tr_opts o;
	struct tr_result res;
	struct pal_error e;
	double w[LS_D] = { 0 }, mw[MNP], d, l0;
	int rc;

	/* Full batch gradient descent reaches the optimum. */
	tr_defaults(&o);
	o.epochs = 300;
	o.batch = LS_N;
	o.opt = OPTIM_SGD;
	o.op.lr = 0.5;
	rc = tr_run(&p, &o, w, &res, &e);
	d = maxdiff(w, ls->wopt, LS_D);
	note("full-batch sgd: max |w - w_opt| %.3g", d);
	check("full-batch sgd reaches the normal equations' optimum to 1e-9",
	      rc == 0 && d < 1e-9 && res.epochs == 300 &&
	      res.updates == 300 && res.ncurve == 300 &&
	      res.best_epoch == 300 && isfinite(res.best_val));
	tr_result_free(&res);
	/* Mini-batches, Adam. */
	memset(w, 0, sizeof(w));
	tr_defaults(&o);
	o.epochs = 200;
	o.batch = 16;
	o.op.lr = 0.01;
	rc = tr_run(&p, &o, w, &res, &e);
	d = maxdiff(w, ls->wopt, LS_D);
	note("adam, batch 16: max |w - w_opt| %.3g", d);
	check("adam with batches of 16 reaches the optimum to 0.02",
	      rc == 0 && d < 0.02 && res.updates == 200 * 19);
	tr_result_free(&res);
	/* The same seed: the same bits; another stream: other shuffles. */
	{
		double w1[LS_D] = { 0 }, w2[LS_D] = { 0 };

		o.epochs = 3;
		tr_run(&p, &o, w1, &res, &e);
		tr_result_free(&res);
		tr_run(&p, &o, w2, &res, &e);
		tr_result_free(&res);
		check("the same options: the same bits",
		      memcmp(w1, w2, sizeof(w1)) == 0);
		memset(w2, 0, sizeof(w2));
		o.stream = 1;
		tr_run(&p, &o, w2, &res, &e);
		tr_result_free(&res);
		check("another stream: another path",
		      memcmp(w1, w2, sizeof(w1)) != 0);
	}
	/* Non-convex: the MLP's loss falls well below its start. */
	mlp_init(mw);
	l0 = mlp_loss(mw);
	tr_defaults(&o);
	o.epochs = 1000;
	o.batch = 8;
	o.op.lr = 0.01;
	rc = tr_run(&mp, &o, mw, &res, &e);
	note("mlp 1-8-1 on sin(3x): loss %.3g", mlp_loss(mw));
	check("a 1-8-1 tanh net fits sin(3x) to a loss below 1e-3",
	      rc == 0 && mlp_loss(mw) < 1e-3 && l0 > 0.1 &&
	      fabs(res.last_loss - mlp_loss(mw)) < 1e-2);
	tr_result_free(&res);
	early(TR_SERIAL, 1);
	failing(ls, TR_SERIAL, 0, 7);
	diverging(ls, TR_SERIAL);
	bad_opts(&p);
	report();
}

/* The data-parallel run of ls with validation, into w and res. */
static int data_run(struct ls *ls, enum tr_mode mode, double *w,
		    struct tr_result *res, struct pal_error *e)
{
	struct tr_problem p = ls_problem(ls, 1);
	struct tr_opts o;

	tr_defaults(&o);
	o.mode = mode;
	o.epochs = 60;
	o.batch = 25;	/* not a multiple of the ranks */
	o.op.lr = 0.01;
	o.seed = 3;
	memset(w, 0, LS_D * sizeof(double));
	return tr_run(&p, &o, w, res, e);
}

static void cmd_data(struct ls *ls)
{
	struct tr_result rs, rd;
	struct pal_error e;
	double ws[LS_D], wd[LS_D], d, dc = 0;
	int rc1, rc2;

	rc1 = data_run(ls, TR_SERIAL, ws, &rs, &e);
	rc2 = data_run(ls, TR_DATA, wd, &rd, &e);
	d = maxdiff(ws, wd, LS_D);
	if (rc1 == 0 && rc2 == 0 && rs.ncurve == rd.ncurve)
		dc = maxdiff(rs.curve, rd.curve, 2 * (size_t)rs.ncurve);
	else
		dc = INFINITY;
	note("data vs serial, 60 epochs of batch 25: max weight difference "
	     "%.3g", d);
	note("data vs serial: max curve difference %.3g", dc);
	check("data parallel = serial with the same global batch to 1e-10 "
	      "(weights, curve)", rc1 == 0 && rc2 == 0 && d <= 1e-10 &&
	      dc <= 1e-10 && rs.updates == rd.updates &&
	      rs.epochs == rd.epochs);
	/* Every rank the same bits. */
	{
		double mx[LS_D], mn[LS_D];

		for (int j = 0; j < LS_D; j++) {
			mx[j] = wd[j];
			mn[j] = -wd[j];
		}
		comm_allreduce_max(mx, LS_D);
		comm_allreduce_max(mn, LS_D);
		for (int j = 0; j < LS_D; j++)
			mn[j] = -mn[j];
		check("every rank holds the same weights",
		      memcmp(mx, wd, sizeof(mx)) == 0 &&
		      memcmp(mn, wd, sizeof(mn)) == 0);
	}
	tr_result_free(&rs);
	tr_result_free(&rd);
	early(TR_DATA, 1);
	failing(ls, TR_DATA, size - 1, 30);
	diverging(ls, TR_DATA);
	report();
}

static void cmd_weights(struct ls *ls)
{
	struct tr_result r;
	struct pal_error e;
	double w[LS_D];

	if (data_run(ls, TR_DATA, w, &r, &e) < 0)
		die("%s", e.msg);
	if (rank == 0) {
		for (int j = 0; j < LS_D; j++)
			printf("%a%c", w[j], j + 1 < LS_D ? ' ' : '\n');
		for (int i = 0; i < r.ncurve; i++)
			printf("%a %a\n", r.curve[2 * i], r.curve[2 * i + 1]);
	}
	tr_result_free(&r);
}

/*
 * At one worker (2 ranks) the asynchronous modes are deterministic: run
 * the line problem (the gradient w - 1 whatever the rows) for 40 batches
 * of one row with sync_every 3 (13 exchanges, then one for the last
 * batch) and compare with the updates written out here from mpi_learn's
 * definitions (see mpitrain.c).
 */
static void exact(enum tr_mode mode)
{
	struct tr_problem p = { NULL, 1, 4, line_grad, NULL };
	struct tr_opts o;
	struct tr_result res;
	struct pal_error e;
	double w = 0, want, x = 0, v = 0, c = 0, acc = 0;
	double lr = 0.1, mu = 0.5, a = 0.5;
	int rc, k = 0;

	tr_defaults(&o);
	o.mode = mode;
	o.epochs = 10;
	o.batch = 1;
	o.sync_every = 3;
	o.opt = OPTIM_SGD;
	optim_defaults(OPTIM_SGD, &o.op);
	o.op.lr = lr;
	o.elastic_force = a;
	o.elastic_lr = lr;
	o.elastic_momentum = mu;
	rc = tr_run(&p, &o, &w, &res, &e);
	for (int b = 1; b <= 40; b++) {
		if (mode == TR_DOWNPOUR) {
			/* Gradients summed at the weights last received;
			 * rank 0 steps by SGD. */
			acc += x - 1;
			if (++k == 3 || b == 40) {
				x -= lr * acc;
				acc = 0;
				k = 0;
			}
		} else {
			/* The worker's momentum SGD, then the elastic
			 * exchange: c moves by a(x - c), x by a(c_old - x). */
			double cold = c;

			v = mu * v - lr * (x - 1);
			x += v;
			if (++k == 3 || b == 40) {
				c -= a * (c - x);
				x -= a * (x - cold);
				k = 0;
			}
		}
	}
	want = mode == TR_DOWNPOUR ? x : c;
	if (rank == 0)
		printf("# %s at one worker: w %.17g, written out %.17g\n",
		       tr_mode_name(mode), w, want);
	check(mode == TR_DOWNPOUR ? "downpour at one worker: the updates "
	      "written out, to 1e-14" : "easgd at one worker: the updates "
	      "written out, to 1e-14", rc == 0 && fabs(w - want) < 1e-14 &&
	      res.updates == 14);
	if (rc == 0)
		tr_result_free(&res);
}

static void cmd_async(struct ls *ls, enum tr_mode mode)
{
	struct tr_problem p = ls_problem(ls, 1);
	struct tr_opts o;
	struct tr_result res;
	struct pal_error e;

	/* Asynchronous updates of shards end where the last worker to
	 * finish leaves them: when one worker runs ahead (ranks
	 * oversubscribed), near the optimum of its own shard, 0.011 or
	 * 0.012 from w_opt here (the start is max |w_opt| = 2.25 away). */
	double w[LS_D] = { 0 }, d, tol = 0.05;
	int rc;

	note("the start: max |w_opt| %.3g", maxdiff(w, ls->wopt, LS_D));

	tr_defaults(&o);
	o.mode = mode;
	o.epochs = 100;	/* ~1900 updates at any N: the rows are split */
	o.batch = 16;
	o.op.lr = 0.01;
	o.elastic_lr = 0.05;
	rc = tr_run(&p, &o, w, &res, &e);
	d = maxdiff(w, ls->wopt, LS_D);
	if (rank == 0) {
		printf("# %s: max |w - w_opt| %.3g after %llu updates, %d "
		       "validations, last val loss %.6g\n", tr_mode_name(mode),
		       d, (unsigned long long)res.updates, res.epochs,
		       res.best_val);
		if (rc < 0)
			printf("# %s\n", e.msg);
	}
	check(mode == TR_EASGD ? "easgd reaches the optimum to 0.05"
			       : "downpour reaches the optimum to 0.05",
	      rc == 0 && d < tol && res.updates > 0);
	/* Rank 0's weights on every rank. */
	{
		double mx[LS_D], mn[LS_D];

		for (int j = 0; j < LS_D; j++) {
			mx[j] = w[j];
			mn[j] = -w[j];
		}
		comm_allreduce_max(mx, LS_D);
		comm_allreduce_max(mn, LS_D);
		for (int j = 0; j < LS_D; j++)
			mn[j] = -mn[j];
		check("every rank holds rank 0's weights",
		      memcmp(mx, w, sizeof(mx)) == 0 &&
		      memcmp(mn, w, sizeof(mn)) == 0);
	}
	if (rc == 0)
		tr_result_free(&res);
	/* sync_every 3 converges too. */
	memset(w, 0, sizeof(w));
	o.sync_every = 3;
	rc = tr_run(&p, &o, w, &res, &e);
	d = maxdiff(w, ls->wopt, LS_D);
	note("sync-every 3: max |w - w_opt| %.3g", d);
	check("sync-every 3 reaches the optimum to 0.05", rc == 0 && d < 0.05);
	if (rc == 0)
		tr_result_free(&res);
	/* Downpour at one worker is serial gradient descent: exact. */
	early(mode, size == 2 && mode == TR_DOWNPOUR);
	if (size == 2)
		exact(mode);
	/* One row: at 3 ranks and more, workers without rows. */
	{
		struct tr_problem lp = { NULL, 1, 1, line_grad, NULL };
		double lw = 0;

		line_opts(&o, mode);
		o.epochs = 200;
		o.patience = 0;
		o.elastic_lr = 0.2;
		rc = tr_run(&lp, &o, &lw, &res, &e);
		check("one row: the workers without rows wait, the other "
		      "trains", rc == 0 && fabs(lw - 1) < 1e-3);
		if (rc == 0)
			tr_result_free(&res);
	}
	failing(ls, mode, size - 1, 30);
	diverging(ls, mode);
	report();
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void cmd_bench(struct ls *ls, enum tr_mode mode)
{
	struct tr_problem p = ls_problem(ls, 0);
	struct tr_opts o;
	struct tr_result res;
	struct pal_error e;
	double w[LS_D] = { 0 }, t;

	tr_defaults(&o);
	o.mode = mode;
	o.epochs = 2000;
	o.batch = 16;
	o.op.lr = 0.001;
	o.elastic_lr = 0.01;
	comm_barrier();
	t = now();
	if (tr_run(&p, &o, w, &res, &e) < 0)
		die("%s", e.msg);
	t = now() - t;
	if (rank == 0)
		printf("%s at %d ranks: %llu updates in %.3f s, %.0f "
		       "updates/s\n", tr_mode_name(mode), size,
		       (unsigned long long)res.updates, t,
		       (double)res.updates / t);
	tr_result_free(&res);
}

static void cmd_slow(struct ls *ls, enum tr_mode mode)
{
	struct tr_problem p = ls_problem(ls, 0);
	struct tr_opts o;
	struct tr_result res;
	struct pal_error e;
	double w[LS_D] = { 0 };
	char name[32];
	FILE *f;

	snprintf(name, sizeof(name), "pid.%d", rank);
	if (!(f = fopen(name, "w")) || fprintf(f, "%ld\n", (long)getpid()) < 0
	    || fclose(f))
		die_errno("cannot write %s", name);
	tr_defaults(&o);
	o.mode = mode;
	o.epochs = 100000;
	o.batch = 16;
	o.op.lr = 0.001;
	o.elastic_lr = 0.01;
	ls->sleep = 0.002;
	if (tr_run(&p, &o, w, &res, &e) < 0)
		die("%s", e.msg);
	tr_result_free(&res);
}

static void cmd_diverge(struct ls *ls, enum tr_mode mode)
{
	struct tr_problem p = ls_problem(ls, 0);
	struct tr_opts o;
	struct tr_result res;
	struct pal_error e;
	double w[LS_D] = { 0 };

	tr_defaults(&o);
	o.mode = mode;
	o.opt = OPTIM_SGD;
	o.op.lr = 1e3;
	o.elastic_lr = 1e3;
	if (tr_run(&p, &o, w, &res, &e) < 0)
		die("%s", e.msg);
	tr_result_free(&res);
}

int main(int argc, char **argv)
{
	static struct ls ls;
	enum tr_mode mode = TR_SERIAL;
	struct pal_error e;
	const char *cmd;

	pal_init("mpi-train");
	comm_init(&argc, &argv, &rank, &size);
	if (argc < 2)
		die("usage: mpi-train command [mode]");
	cmd = argv[1];
	if (argc > 2 && tr_mode_parse(argv[2], &mode, &e) < 0)
		die("%s", e.msg);
	ls_init(&ls);
	if (strcmp(cmd, "serial") == 0)
		cmd_serial(&ls);
	else if (strcmp(cmd, "data") == 0)
		cmd_data(&ls);
	else if (strcmp(cmd, "weights") == 0)
		cmd_weights(&ls);
	else if (strcmp(cmd, "async") == 0)
		cmd_async(&ls, mode);
	else if (strcmp(cmd, "bench") == 0)
		cmd_bench(&ls, mode);
	else if (strcmp(cmd, "slow") == 0)
		cmd_slow(&ls, mode);
	else if (strcmp(cmd, "diverge") == 0)
		cmd_diverge(&ls, mode);
	else
		die("unknown command '%s'", cmd);
	comm_finish();
	return nfail ? 1 : 0;
}
