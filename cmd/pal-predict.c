/*
 * pal-predict: a model's prediction for each row of a pal stream: the mean
 * and its uncertainty (std) of an MLP committee or a Gaussian process, with
 * --members each member's outputs and --grad the gradient of the mean in x.
 *
 * Rank 0 reads the model file whole, checks it, and broadcasts its bytes:
 * every rank reads the same model from memory, so that a path seen only
 * by rank 0 (a local disk, a pipe) works under mpirun.  Rows go over the
 * ranks through mpirows.h, as pal-label's do, in input order.  This file
 * holds what is pal-predict's own:
 *
 *   - options (struct cmdline, parse_args);
 *   - the model (struct model_any: either kind, read from bytes);
 *   - the evaluator (struct local): a task frame (tag, x as f64) becomes a
 *     result frame (tag, mean, std, members, grad) in one batched pass, a
 *     forward (or input-gradient) pass of every member or gp_predict;
 *   - rank 0's hooks into the rows (struct predict): the columns
 *     (on_schema), the check that x is finite (on_row), results
 *     (on_result);
 *   - main.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "gp.h"
#include "io.h"
#include "mlp.h"
#include "model.h"
#include "mpicomm.h"
#include "mpifarm.h"
#include "mpirows.h"
#include "opt.h"
#include "progress.h"
#include "stream.h"
#include "banned.h"

static const char usage_text[] =
	"usage: pal-predict [-hV] [-i file] [-o file] [--grad] [--members]\n"
	"                   [--progress] [--quiet] --model file\n";

/* --help: one line an option, as pal-predict(1) describes them. */
static const char options_text[] =
	"Options:\n"
	"      --grad             add the column grad, the mean's gradient in x\n"
	"  -h, --help             print this help and exit\n"
	"  -i, --input=FILE       read the rows from FILE (default: standard input)\n"
	"      --members          add the column members, each member's outputs\n"
	"      --model=FILE       predict with the model FILE (pal-train's output)\n"
	"  -o, --output=FILE      write to FILE, put in place once complete\n"
	"      --progress         show progress on stderr, even when not a terminal\n"
	"      --quiet            show no progress\n"
	"  -V, --version          print the version and exit\n";

/* Rows a task frame holds: the batch of one forward pass (a multiple of
 * GP_PREDICT_BLOCK). */
#define BATCH 1024u
_Static_assert(BATCH % GP_PREDICT_BLOCK == 0, "BATCH of whole GP blocks");

struct cmdline {
	const char *model, *input, *output;
	int members, grad;
	int progress;			/* enum progress_mode */
};

static _Noreturn void usage(int status)
{
	if (status == 0) {
		fputs(usage_text, stdout);
		fputs("\nPredict y for the rows of a pal stream (x) with a model "
		      "of pal-train: the\nmean and std of an MLP committee or a "
		      "Gaussian process, over MPI ranks\nunder mpirun.\n\n",
		      stdout);
		fputs(options_text, stdout);
		fputs("\nSee pal-predict(1).\n", stdout);
		xfclose(stdout, "stdout");
		exit(0);
	}
	fputs(usage_text, stderr);
	exit(PAL_EXIT_USAGE);
}

static void parse_args(struct cmdline *cl, int argc, char **argv)
{
	enum { OPT_GRAD = 256, OPT_MEMBERS, OPT_MODEL, OPT_PROGRESS,
	       OPT_QUIET };
	static const struct option opts[] = {
		{ "grad", no_argument, NULL, OPT_GRAD },
		{ "help", no_argument, NULL, 'h' },
		{ "input", required_argument, NULL, 'i' },
		{ "members", no_argument, NULL, OPT_MEMBERS },
		{ "model", required_argument, NULL, OPT_MODEL },
		{ "output", required_argument, NULL, 'o' },
		{ "progress", no_argument, NULL, OPT_PROGRESS },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(cl, 0, sizeof(*cl));
	while ((c = getopt_long(argc, argv, "hVi:o:", opts, NULL)) != -1) {
		switch (c) {
		case OPT_GRAD:
			cl->grad = 1;
			break;
		case 'h':
			usage(0);
		case 'i':
			cl->input = optarg;
			break;
		case OPT_MEMBERS:
			cl->members = 1;
			break;
		case OPT_MODEL:
			cl->model = optarg;
			break;
		case 'o':
			cl->output = optarg;
			break;
		case OPT_PROGRESS:
		case OPT_QUIET:
			cl->progress = c == OPT_PROGRESS ? PROGRESS_ON :
				       PROGRESS_OFF;
			break;
		case 'V':
			opt_version();
		default:
			usage(PAL_EXIT_USAGE);
		}
	}
	if (optind < argc)
		usage_die("unexpected argument '%s' (the input is -i FILE)",
			  argv[optind]);
	if (!cl->model)
		usage_die("give the model as --model FILE");
	in_refuse_tty(cl->input);
}

/* ---- the model ------------------------------------------------------------ */

struct model_any {
	struct model m;
	int gp;				/* which of these */
	struct model_mlp mlp;
	struct model_gp g;
	uint32_t d, k, nm;		/* inputs, outputs, members */
};

/*
 * The model in len bytes at buf (the file name for messages) into ma:
 * 0, or -1 with err (the message names the file).
 */
static int model_parse(struct model_any *ma, const void *buf, size_t len,
		       const char *name, struct pal_error *err)
{
	struct pal_reader *r = pal_reader_mem(buf, len, name);
	int rc;

	memset(ma, 0, sizeof(*ma));
	if (!r)
		die("out of memory");
	rc = model_read(&ma->m, r, name, err);
	pal_reader_free(r);
	if (rc < 0)
		return -1;
	if (!strcmp(ma->m.type, "mlp")) {
		if (model_read_mlp(&ma->m, &ma->mlp, err) < 0)
			goto fail;
		ma->d = (uint32_t)ma->mlp.net.d;
		ma->k = (uint32_t)ma->mlp.net.k;
		ma->nm = (uint32_t)ma->mlp.net.m;
	} else if (!strcmp(ma->m.type, "gp")) {
		if (model_read_gp(&ma->m, &ma->g, err) < 0)
			goto fail;
		ma->gp = 1;
		ma->d = (uint32_t)ma->g.gp->d;
		ma->k = 1;
		ma->nm = 1;
		/* The GP is rebuilt with copies: the file's arrays can go. */
		model_free(&ma->m);
	} else {
		pal_seterr(err, PAL_ERR_MISMATCH, 0, "'%s' is a model of type "
			   "%s, which this pal-predict does not know (mlp or "
			   "gp)", name, ma->m.type);
		goto fail;
	}
	return 0;
fail:
	model_free(&ma->m);
	return -1;
}

static void model_any_free(struct model_any *ma)
{
	if (ma->gp)
		model_gp_free(&ma->g);
	else
		model_mlp_free(&ma->mlp);
	model_free(&ma->m);
}

/*
 * The bytes of the file at path (malloc'd, *len of them), or NULL with the
 * message in msg (size n).
 */
static void *slurp(const char *path, size_t *len, char *msg, size_t msglen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 1 << 16, n = 0;
	char *buf;

	if (fd < 0) {
		snprintf(msg, msglen, "cannot open model '%s': %s", path,
			 strerror(errno));
		return NULL;
	}
	buf = xmalloc(cap);
	for (;;) {
		ssize_t got;

		if (n == cap)
			buf = xrealloc(buf, cap *= 2);
		got = read(fd, buf + n, cap - n);
		if (got < 0) {
			snprintf(msg, msglen, "cannot read model '%s': %s",
				 path, strerror(errno));
			free(buf);
			close(fd);
			return NULL;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	*len = n;
	return buf;
}

/*
 * Every rank: the model of cl->model into ma.  Rank 0 reads the file,
 * checks it and the options against it, and broadcasts its length (0: it
 * is refused) and bytes; the other ranks read the model from the bytes.
 * A refused model ends every rank: rank 0 with the message, the others
 * quietly.
 */
static void load_model(const struct cmdline *cl, int rank,
		       struct model_any *ma)
{
	struct pal_error err;
	uint64_t len = 0;
	void *buf = NULL;
	size_t n = 0;
	int status = 0;
	char msg[sizeof(err.msg) + 128];

	memset(ma, 0, sizeof(*ma));
	if (rank == 0) {
		buf = slurp(cl->model, &n, msg, sizeof(msg));
		if (!buf) {
			status = PAL_EXIT_DATA;
		} else if (model_parse(ma, buf, n, cl->model, &err) < 0) {
			status = PAL_EXIT_DATA;
			snprintf(msg, sizeof(msg), "%s", err.msg);
		} else if (cl->grad && ma->k != 1) {
			status = PAL_EXIT_USAGE;
			snprintf(msg, sizeof(msg), "--grad needs a model of one "
				 "output, not %" PRIu32 " (%s)", ma->k,
				 cl->model);
		} else if (cl->members && ma->gp) {
			status = PAL_EXIT_USAGE;
			snprintf(msg, sizeof(msg), "--members applies to an mlp "
				 "committee, not a gaussian process (%s)",
				 cl->model);
		}
		if (status)
			model_any_free(ma);
		len = status ? 0 : n;
	}
	comm_bcast(&len, sizeof(len), 0);
	if (len == 0) {
		free(buf);
		comm_finish();
		if (rank > 0)
			exit(PAL_EXIT_DATA);
		if (status == PAL_EXIT_USAGE)
			usage_die("%s", msg);
		die("%s", msg);
	}
	if (rank > 0) {
		if (len > SIZE_MAX)
			die("model too large (rank %d)", rank);
		n = (size_t)len;
		buf = xmalloc(n);
	}
	comm_bcast(buf, n, 0);
	if (rank > 0 && model_parse(ma, buf, n, cl->model, &err) < 0)
		die("%s (rank %d)", err.msg, rank);
	/* The MLP's theta points into the model's arrays, not into buf. */
	free(buf);
}

/* ---- evaluating rows on one rank -------------------------------------- */

/*
 * The frames between rank 0 and the evaluators.  A task: tag (rank 0's
 * slot), x (f64, d).  A result: tag, mean (k), std (k), then members
 * (M k) with --members and grad (d) with --grad, all f64.
 */
enum { RC_TAG, RC_MEAN, RC_STD };

/* A task frame taken and not yet run. */
struct task {
	uint64_t *tag;
	double *x;
	uint32_t n;
};

struct local {
	const struct cmdline *cl;
	struct model_any *ma;
	struct task *q;			/* FIFO of task frames */
	size_t qhead, qlen, qcap;
	uint64_t queued;		/* rows in q */
	struct pal_batch *res;
	uint32_t rc_members, rc_grad;	/* result columns, when asked */
	/* scratch of one batch */
	double *z, *mu, *sd, *g;	/* standardised x; gp's outputs */
	float *zf, *outf, *gxf;		/* the committee's, f32 */
	double *outd, *gxd;		/* the committee's, f64 */
	struct farm_eval ev;
};

/* Queue n rows of tags and x (d each) as one task. */
static void push_task(struct local *L, const uint64_t *tag, const double *x,
		      uint32_t n)
{
	uint32_t d = L->ma->d;
	struct task *t;

	if (L->qlen == L->qcap) {
		size_t ncap = L->qcap ? 2 * L->qcap : 8;
		struct task *nq = xmalloc(ncap * sizeof(*nq));

		for (size_t i = 0; i < L->qlen; i++)
			nq[i] = L->q[(L->qhead + i) % L->qcap];
		free(L->q);
		L->q = nq;
		L->qcap = ncap;
		L->qhead = 0;
	}
	t = &L->q[(L->qhead + L->qlen++) % L->qcap];
	t->n = n;
	t->tag = xmalloc(n * sizeof(*t->tag));
	t->x = xmalloc((size_t)n * d * sizeof(*t->x));
	memcpy(t->tag, tag, n * sizeof(*t->tag));
	memcpy(t->x, x, (size_t)n * d * sizeof(*t->x));
	L->queued += n;
}

/* A task frame: queued in tasks of up to BATCH rows, run by step(). */
static void local_take(void *ctx, const struct pal_frame *f,
		       const struct pal_frame *notes)
{
	struct local *L = ctx;
	const struct pal_col *tag = pal_col_find(f, "tag"),
			     *x = pal_col_find(f, "x");

	(void)notes;
	if (!tag || !x || tag->dtype != PAL_U64 || x->dtype != PAL_F64 ||
	    x->width != L->ma->d)
		die("malformed task frame");
	for (uint64_t r = 0; r < f->nrows; r += BATCH)
		push_task(L, (const uint64_t *)tag->data + r,
			  (const double *)x->data + r * L->ma->d,
			  f->nrows - r < BATCH ? (uint32_t)(f->nrows - r) :
			  BATCH);
}

/*
 * The committee on the first n of the BATCH rows of standardised x (L->z,
 * zeros after row n): mean, std (and members) into the result batch at
 * row 0, in output units:
 *
 *	f_m = y_mean + y_std * net_m(z),	mean = (1/M) sum_m f_m,
 *	std = calibration * sqrt(sum_m (f_m - mean)^2 / (M - 1))  (0: M = 1)
 *
 * and with --grad, d mean / d x_j = y_std / x_std[j] * (1/M) sum_m
 * d net_m / d z_j.
 */
static void run_mlp(struct local *L, uint32_t n)
{
	struct model_mlp *mm = &L->ma->mlp;
	struct mlp *net = &mm->net;
	uint32_t M = (uint32_t)net->m, k = (uint32_t)net->k;
	uint32_t d = (uint32_t)net->d;
	size_t nk = (size_t)BATCH * k, nd = (size_t)BATCH * d;
	double *mean = L->res->f.cols[RC_MEAN].data;
	double *std = L->res->f.cols[RC_STD].data;
	double *mem = L->cl->members ?
		      L->res->f.cols[L->rc_members].data : NULL;
	double *grad = L->cl->grad ? L->res->f.cols[L->rc_grad].data : NULL;
	struct pal_error err;
	int rc;

	if (mm->dtype == PAL_F32) {
		for (size_t e = 0; e < nd; e++)
			L->zf[e] = (float)L->z[e];
		rc = grad ? mlp_input_grad(net, mm->theta, L->zf, BATCH, 0,
					   L->outf, L->gxf, &err) :
			    mlp_forward(net, mm->theta, L->zf, BATCH, 0,
					L->outf, &err);
		for (size_t e = 0; rc == 0 && e < (size_t)M * nk; e++)
			L->outd[e] = L->outf[e];
		for (size_t e = 0; rc == 0 && grad && e < (size_t)M * nd; e++)
			L->gxd[e] = L->gxf[e];
	} else {
		rc = grad ? mlp_input_grad_f64(net, mm->theta, L->z, BATCH, 0,
					       L->outd, L->gxd, &err) :
			    mlp_forward_f64(net, mm->theta, L->z, BATCH, 0,
					    L->outd, &err);
	}
	if (rc < 0)
		die("%s", err.msg);
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t j = 0; j < k; j++) {
			double s = 0, ss = 0, mu;

			for (uint32_t m = 0; m < M; m++) {
				double f = mm->y_mean[j] + mm->y_std[j] *
					   L->outd[(size_t)m * nk + i * k + j];

				if (mem)
					mem[((size_t)i * M + m) * k + j] = f;
				s += f;
			}
			mu = s / M;
			for (uint32_t m = 0; M > 1 && m < M; m++) {
				double f = mm->y_mean[j] + mm->y_std[j] *
					   L->outd[(size_t)m * nk + i * k + j];

				ss += (f - mu) * (f - mu);
			}
			mean[(size_t)i * k + j] = mu;
			std[(size_t)i * k + j] = M > 1 ?
				mm->calibration * sqrt(ss / (M - 1)) : 0;
		}
	for (uint32_t i = 0; grad && i < n; i++)
		for (uint32_t j = 0; j < d; j++) {
			double s = 0;

			for (uint32_t m = 0; m < M; m++)
				s += L->gxd[(size_t)m * nd + (size_t)i * d + j];
			grad[(size_t)i * d + j] = mm->y_std[0] / mm->x_std[j] *
						  (s / M);
		}
}

/* The GP on the first n of npad rows of standardised x: mean = y_mean +
 * y_std mu, std = y_std sigma_f, grad_j = y_std / x_std[j] * d mu / d z_j. */
static void run_gp(struct local *L, uint32_t n, uint32_t npad)
{
	struct model_gp *mg = &L->ma->g;
	uint32_t d = L->ma->d;
	double *mean = L->res->f.cols[RC_MEAN].data;
	double *std = L->res->f.cols[RC_STD].data;
	double *grad = L->cl->grad ? L->res->f.cols[L->rc_grad].data : NULL;

	gp_predict(mg->gp, npad, L->z, L->mu, L->sd, grad ? L->g : NULL);
	for (uint32_t i = 0; i < n; i++) {
		mean[i] = mg->y_mean + mg->y_std * L->mu[i];
		std[i] = mg->y_std * L->sd[i];
	}
	for (size_t e = 0; grad && e < (size_t)n * d; e++)
		grad[e] = mg->y_std / mg->x_std[e % d] * L->g[e];
}

/*
 * Run the oldest task frame and hand its results to the farm.  A row's
 * prediction must not depend on the other rows of its frame (which differ
 * with the rank count and the pace of the farm), but OpenBLAS rounds the
 * rows at the ragged end of a product otherwise than the others, and
 * takes other paths for other shapes: so every product has the same
 * shape.  The committee always runs BATCH rows and the GP whole blocks of
 * GP_PREDICT_BLOCK, the rows after the task's zeros.
 */
static int local_step(void *ctx, double timeout)
{
	struct local *L = ctx;
	struct task *t;
	const double *xm, *xs;
	uint32_t d = L->ma->d, npad;

	(void)timeout;
	if (!L->qlen)
		return 0;
	t = &L->q[L->qhead];
	xm = L->ma->gp ? L->ma->g.x_mean : L->ma->mlp.x_mean;
	xs = L->ma->gp ? L->ma->g.x_std : L->ma->mlp.x_std;
	npad = L->ma->gp ? (t->n + GP_PREDICT_BLOCK - 1) / GP_PREDICT_BLOCK *
			   GP_PREDICT_BLOCK : BATCH;
	for (size_t e = 0; e < (size_t)t->n * d; e++)
		L->z[e] = (t->x[e] - xm[e % d]) / xs[e % d];
	memset(L->z + (size_t)t->n * d, 0,
	       (size_t)(npad - t->n) * d * sizeof(*L->z));
	pal_batch_clear(L->res);
	if (L->ma->gp)
		run_gp(L, t->n, npad);
	else
		run_mlp(L, t->n);
	memcpy(L->res->f.cols[RC_TAG].data, t->tag, t->n * sizeof(*t->tag));
	L->res->f.nrows = t->n;
	farm_result(L->ev.farm, &L->res->f, NULL);
	L->queued -= t->n;
	free(t->tag);
	free(t->x);
	L->qhead = (L->qhead + 1) % L->qcap;
	L->qlen--;
	return 1;
}

static uint64_t local_pending(void *ctx)
{
	return ((struct local *)ctx)->queued;
}

static int local_running(void *ctx)
{
	(void)ctx;
	return 0;
}

static uint64_t local_queued(void *ctx)
{
	return ((struct local *)ctx)->queued;
}

/* The result columns, as rank 0 and the evaluators agree on them. */
static uint32_t result_schema(const struct cmdline *cl,
			      const struct model_any *ma, struct pal_col *c)
{
	uint32_t n = 0;

	c[n++] = (struct pal_col){ "mean", PAL_F64, ma->k, NULL };
	c[n++] = (struct pal_col){ "std", PAL_F64, ma->k, NULL };
	if (cl->members)
		c[n++] = (struct pal_col){ "members", PAL_F64,
					   ma->nm * ma->k, NULL };
	if (cl->grad)
		c[n++] = (struct pal_col){ "grad", PAL_F64, ma->d, NULL };
	return n;
}

static void local_init(struct local *L, const struct cmdline *cl,
		       struct model_any *ma)
{
	struct pal_col c[5];
	uint32_t n = 1, d = ma->d, k = ma->k, M = ma->nm;

	memset(L, 0, sizeof(*L));
	L->cl = cl;
	L->ma = ma;
	c[0] = (struct pal_col){ "tag", PAL_U64, 1, NULL };
	n += result_schema(cl, ma, c + 1);
	L->rc_members = cl->members ? RC_STD + 1 : 0;
	L->rc_grad = cl->grad ? n - 1 : 0;
	L->res = pal_batch_new(c, n, BATCH);
	if (!L->res)
		die("out of memory");
	L->z = xmalloc((size_t)BATCH * d * sizeof(*L->z));
	if (ma->gp) {
		L->mu = xmalloc(BATCH * sizeof(*L->mu));
		L->sd = xmalloc(BATCH * sizeof(*L->sd));
		if (cl->grad)
			L->g = xmalloc((size_t)BATCH * d * sizeof(*L->g));
	} else {
		L->outd = xmalloc((size_t)BATCH * M * k * sizeof(*L->outd));
		if (cl->grad)
			L->gxd = xmalloc((size_t)BATCH * M * d *
					 sizeof(*L->gxd));
		if (ma->mlp.dtype == PAL_F32) {
			L->zf = xmalloc((size_t)BATCH * d * sizeof(*L->zf));
			L->outf = xmalloc((size_t)BATCH * M * k *
					  sizeof(*L->outf));
			if (cl->grad)
				L->gxf = xmalloc((size_t)BATCH * M * d *
						 sizeof(*L->gxf));
		}
	}
	L->ev = (struct farm_eval){ .ctx = L, .take = local_take,
		.step = local_step, .pending = local_pending,
		.running = local_running, .queued = local_queued };
}

static void local_free(struct local *L)
{
	for (size_t i = 0; i < L->qlen; i++) {
		free(L->q[(L->qhead + i) % L->qcap].tag);
		free(L->q[(L->qhead + i) % L->qcap].x);
	}
	free(L->q);
	pal_batch_free(L->res);
	free(L->z), free(L->mu), free(L->sd), free(L->g);
	free(L->zf), free(L->outf), free(L->gxf);
	free(L->outd), free(L->gxd);
}

/* ---- rank 0: the rows ------------------------------------------------- */

/* Input columns replaced by the output's. */
static const char *const output_names[] = {
	"mean", "std", "members", "grad", NULL
};

struct predict {
	const struct cmdline *cl;
	struct model_any *ma;
	int infd;
	struct pal_reader *r;
	struct out out;
	struct pal_writer *w;
	struct rows *rs;
	int x_col, id_col;		/* input columns; id_col -1: none */
	int x_float;			/* x is f32 or f64: check it */
	struct local L;
};

/* The input's name in messages: its path, or "stdin". */
static const char *input_name(const struct cmdline *cl)
{
	return cl->input && strcmp(cl->input, "-") ? cl->input : "stdin";
}

/* The rows' schema(): x of the model's width; the output's columns. */
static void on_schema(void *ctx, struct rows *rs, const struct pal_frame *f)
{
	struct predict *P = ctx;
	const struct pal_col *x = pal_col_find(f, "x"),
			     *id = pal_col_find(f, "id");
	const char *in = input_name(P->cl);
	struct pal_col task = { "x", PAL_F64, P->ma->d, NULL }, res[4];
	uint32_t n;

	if (!x)
		die("no column 'x' (%s: frame %" PRIu64 " at offset %" PRIu64
		    ")", in, f->index, f->offset);
	if (x->width != P->ma->d)
		die("x has width %" PRIu32 ", the model takes %" PRIu32 " (%s)",
		    x->width, P->ma->d, in);
	P->x_col = pal_col_index(f, "x");
	P->x_float = x->dtype == PAL_F32 || x->dtype == PAL_F64;
	P->id_col = id && id->dtype == PAL_U64 && id->width == 1 ?
		    pal_col_index(f, "id") : -1;
	n = result_schema(P->cl, P->ma, res);
	rows_set_columns(rs, &task, 1, res, n);
}

/* The rows' restore(), used as a check of each row read: x must be
 * finite.  Never restores a row (0). */
static int on_row(void *ctx, struct rows *rs, uint32_t row)
{
	struct predict *P = ctx;
	const void *x = rows_input(rs, row, (uint32_t)P->x_col);
	uint32_t d = P->ma->d;
	int ok = 1;

	if (!P->x_float)
		return 0;
	if (rows_schema(rs)->cols[P->x_col].dtype == PAL_F32)
		for (uint32_t j = 0; j < d; j++)
			ok &= isfinite(((const float *)x)[j]);
	else
		for (uint32_t j = 0; j < d; j++)
			ok &= isfinite(((const double *)x)[j]);
	if (!ok) {
		uint64_t id;

		if (P->id_col < 0)
			die("x is not finite in row %" PRIu64 " (%s)",
			    rows_read(rs), input_name(P->cl));
		memcpy(&id, rows_input(rs, row, (uint32_t)P->id_col),
		       sizeof(id));
		die("x is not finite in row %" PRIu64 ", id %" PRIu64 " (%s)",
		    rows_read(rs), id, input_name(P->cl));
	}
	return 0;
}

/* The rows' finished(): copy each result column into the rows. */
static void on_result(void *ctx, struct rows *rs, const struct pal_frame *f,
		      const struct pal_frame *notes, int rank,
		      const uint32_t *rows)
{
	struct predict *P = ctx;
	struct pal_col want[4];
	uint32_t nres = result_schema(P->cl, P->ma, want);

	(void)notes;
	if (f->ncols != nres + 1)
		die("malformed results from rank %d", rank);
	for (uint32_t c = 0; c < nres; c++) {
		const struct pal_col *col = &f->cols[c + 1];
		size_t rb = (size_t)col->width * sizeof(double);

		if (col->dtype != PAL_F64 || col->width != want[c].width)
			die("malformed results from rank %d", rank);
		for (uint64_t r = 0; r < f->nrows; r++)
			memcpy(rows_result(rs, rows[r], c),
			       (const char *)col->data + r * rb, rb);
	}
}

static void on_pace(void *ctx, uint64_t *batch, uint64_t *local, int *remote)
{
	(void)ctx;
	*batch = BATCH;
	*local = BATCH;
	*remote = 1;
}

/* Rank 0: the rows of the input through the farm, to the output. */
static void run(struct predict *P)
{
	const struct cmdline *cl = P->cl;
	struct rows_opts ro = {
		.in_name = input_name(cl), .progress = cl->progress,
		.ordered = 1, .drop = output_names,
		.farm = { .slots = BATCH, .inflight = 2 },
	};
	struct rows_hooks rh = {
		.ctx = P, .schema = on_schema, .restore = on_row,
		.finished = on_result, .pace = on_pace,
	};

	P->infd = xopen_in(cl->input);
	out_open(&P->out, cl->output);
	/* mpirun hands rank 0 a pseudo-terminal for stdout whatever the
	 * real one is, so only a run without it can tell. */
	if (!comm_mpi())
		out_refuse_tty(&P->out);
	P->r = xreader(P->infd, cl->input ? cl->input : "-");
	P->w = xwriter(P->out.fd, P->out.name, PAL_LEVEL_KEEP);
	ro.in = P->r;
	ro.out = P->w;
	ro.out_fd = P->out.fd;
	P->rs = rows_new(&ro, &rh);
	rows_start(P->rs);
	local_init(&P->L, cl, P->ma);
	if (rows_run(P->rs, &P->L.ev) != 0)
		die("rows aborted");	/* nothing aborts them */
	xpal_finish(P->w);
	out_commit(&P->out);
}

static void predict_free(struct predict *P)
{
	local_free(&P->L);
	rows_free(P->rs);
	pal_reader_free(P->r);
	if (P->infd > 0)
		close(P->infd);
	pal_writer_free(P->w);
}

int main(int argc, char **argv)
{
	int muted[2];
	struct cmdline cl;
	struct model_any ma;
	int rank, size;

	pal_init("pal-predict");
	/* Options, read on every rank; only rank 0 speaks. */
	comm_mute_others(muted);
	parse_args(&cl, argc, argv);
	comm_unmute(muted);
	comm_init(&argc, &argv, &rank, &size);
	load_model(&cl, rank, &ma);
	if (rank == 0) {
		struct predict P;

		memset(&P, 0, sizeof(P));
		P.cl = &cl;
		P.ma = &ma;
		run(&P);
		predict_free(&P);
	} else {
		struct farm_opts fo = { 0 };
		struct local L;

		local_init(&L, &cl, &ma);
		if (farm_work(&fo, &L.ev) < 0)
			die("rank 0 is gone: stopping rank %d", rank);
		local_free(&L);
	}
	model_any_free(&ma);
	comm_finish();
	return 0;
}
