/*
 * pal-train: fit a surrogate model to labeled rows, an MLP committee or a
 * Gaussian process, and write it as a model file (pal-model(5)).
 *
 * The numerics are libcommon's: table.c gathers the rows, mlp.c computes a
 * member's loss and gradient, mpitrain.c owns the training loop (epochs,
 * batches, the optimiser, early stopping, and the data-parallel,
 * Downpour and EASGD modes over the ranks), gp.c fits a GP, model.c writes
 * the file.  This file holds what is pal-train's own:
 *
 *   - options (struct cmdline, parse_args);
 *   - the data: read on rank 0, standardised, sent to every rank, split
 *     into training and validation rows (struct data);
 *   - a member's training problem for mpitrain (struct member: its rows,
 *     a bootstrap resample or the training rows, and the batch buffers in
 *     the precision trained in);
 *   - the committee: members over ranks (--parallel members) or every rank
 *     on every member (data, downpour, easgd), gathered on rank 0,
 *     calibrated on the validation rows and written out;
 *   - the GP, fitted on rank 0;
 *   - the report on stderr and the --log file.
 */
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
#include "mpitrain.h"
#include "num.h"
#include "opt.h"
#include "optim.h"
#include "progress.h"
#include "stream.h"
#include "table.h"
#include "banned.h"

static const char usage_text[] =
	"usage: pal-train [-hV] [-i file] [-o file] [--activation name]\n"
	"                 [--batch n] [--bootstrap] [--elastic-force a]\n"
	"                 [--elastic-lr l] [--elastic-momentum m] [--epochs n]\n"
	"                 [--grad-weight w] [--init model] [--kernel name]\n"
	"                 [--layers list] [--log file] [--lr rate]\n"
	"                 [--members m] [--model mlp|gp] [--optimizer name]\n"
	"                 [--parallel mode] [--patience p] [--precision f32|f64]\n"
	"                 [--progress] [--quiet] [--restarts n] [--seed s]\n"
	"                 [--sync-every n] [--val-frac f] [--validate-every n]\n"
	"                 [--weight-decay w] [file]\n";

/* --help: one line an option, as pal-train(1) describes them. */
static const char options_text[] =
	"Options:\n"
	"      --activation=NAME  hidden layers' activation: tanh (default), relu, silu\n"
	"      --batch=N          rows per gradient step (default 64)\n"
	"      --bootstrap        each member trains on its own resample of the rows\n"
	"      --elastic-force=A  easgd: the elastic force, split over workers (0.9)\n"
	"      --elastic-lr=L     easgd: the workers' SGD learning rate (default 0.01)\n"
	"      --elastic-momentum=M  easgd: the workers' SGD momentum (default 0)\n"
	"      --epochs=N         passes over the training rows (default 100)\n"
	"      --grad-weight=W    weight of the force term |grad f - grad|^2 (default 0)\n"
	"  -h, --help             print this help and exit\n"
	"  -i, --input=FILE       read the labeled rows from FILE (default: stdin)\n"
	"      --init=MODEL       start from the weights of MODEL (a warm start)\n"
	"      --kernel=NAME      gp: rbf (default) or matern52\n"
	"      --layers=LIST      hidden layers' widths, e.g. 64,64 (default; 0: none)\n"
	"      --log=FILE         write the loss curves to FILE as TSV\n"
	"      --lr=RATE          learning rate (default: the optimizer's)\n"
	"      --members=M        committee members (default 5)\n"
	"      --model=TYPE       mlp (default) or gp\n"
	"  -o, --output=FILE      write the model to FILE, put in place once complete\n"
	"      --optimizer=NAME   adam (default), sgd, momentum, rmsprop, adadelta\n"
	"      --parallel=MODE    under mpirun: members, data, downpour or easgd\n"
	"      --patience=P       stop a member after P epochs without a better val loss\n"
	"      --precision=P      f32 (default) or f64\n"
	"      --progress         show progress on stderr, even when not a terminal\n"
	"      --quiet            show no progress and no report\n"
	"      --restarts=N       gp: N more optimisations from random starts (default 0)\n"
	"      --seed=S           seed of weights, shuffles, splits, restarts (default 0)\n"
	"      --sync-every=N     downpour, easgd: batches between exchanges (default 1)\n"
	"      --val-frac=F       hold out this share of the rows to validate (default 0)\n"
	"      --validate-every=N  downpour, easgd: updates between validations\n"
	"  -V, --version          print the version and exit\n"
	"      --weight-decay=W   an L2 penalty on the weights (default 0)\n";

enum { MODEL_MLP, MODEL_GP };
#define PARALLEL_MEMBERS (-1)	/* cmdline.parallel: not a tr_mode */
#define PARALLEL_DEFAULT (-2)

struct cmdline {
	const char *input, *output, *log, *init;
	int model;			/* MODEL_* */
	int members, nh, hidden[MLP_MAX_HIDDEN];
	int act;
	int epochs, batch;
	enum optim_kind opt;
	double lr, weight_decay;	/* lr: NaN for the optimizer's */
	double val_frac;
	int patience;
	int bootstrap;
	uint64_t seed;
	int f64;			/* --precision f64 */
	double grad_weight;
	enum gp_kernel kernel;
	int restarts;
	int parallel;			/* enum tr_mode, PARALLEL_* */
	int sync_every, validate_every;
	double elastic_force, elastic_lr, elastic_momentum;	/* NaN: default */
	int progress;
	/* which of the architecture's options were given (--init checks) */
	int set_members, set_layers, set_act;
};

static _Noreturn void usage(int status)
{
	if (status == 0) {
		fputs(usage_text, stdout);
		fputs("\nFit a surrogate model to labeled rows (x, y, and "
		      "optionally grad): a committee\nof neural networks "
		      "(--model mlp) or a Gaussian process (--model gp), and "
		      "write\nit as a model file for pal-predict.  Under "
		      "mpirun, the work is spread over\nthe ranks "
		      "(--parallel).\n\n", stdout);
		fputs(options_text, stdout);
		fputs("\nSee pal-train(1).\n", stdout);
		xfclose(stdout, "stdout");
		exit(0);
	}
	fputs(usage_text, stderr);
	exit(PAL_EXIT_USAGE);
}

/* --layers 64,64 | 0 */
static void parse_layers(struct cmdline *cl, const char *arg)
{
	char *s = xstrdup(arg), *p, *save = NULL;

	opt_list("--layers", arg);
	cl->nh = 0;
	if (!strcmp(arg, "0")) {
		free(s);
		return;
	}
	for (p = strtok_r(s, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		if (cl->nh == MLP_MAX_HIDDEN)
			usage_die("--layers: at most %d hidden layers",
				  MLP_MAX_HIDDEN);
		cl->hidden[cl->nh++] = (int)opt_u64("--layers", p, 1,
						     MLP_MAX_WIDTH);
	}
	free(s);
}

static void parse_args(struct cmdline *cl, int argc, char **argv)
{
	enum { OPT_ACTIVATION = 256, OPT_BATCH, OPT_BOOTSTRAP,
	       OPT_ELASTIC_FORCE, OPT_ELASTIC_LR, OPT_ELASTIC_MOMENTUM,
	       OPT_EPOCHS, OPT_GRAD_WEIGHT, OPT_INIT, OPT_KERNEL, OPT_LAYERS,
	       OPT_LOG, OPT_LR, OPT_MEMBERS, OPT_MODEL, OPT_OPTIMIZER,
	       OPT_PARALLEL, OPT_PATIENCE, OPT_PRECISION, OPT_PROGRESS,
	       OPT_QUIET, OPT_RESTARTS, OPT_SEED, OPT_SYNC_EVERY,
	       OPT_VAL_FRAC, OPT_VALIDATE_EVERY, OPT_WEIGHT_DECAY };
	static const struct option opts[] = {
		{ "activation", required_argument, NULL, OPT_ACTIVATION },
		{ "batch", required_argument, NULL, OPT_BATCH },
		{ "bootstrap", no_argument, NULL, OPT_BOOTSTRAP },
		{ "elastic-force", required_argument, NULL, OPT_ELASTIC_FORCE },
		{ "elastic-lr", required_argument, NULL, OPT_ELASTIC_LR },
		{ "elastic-momentum", required_argument, NULL,
		  OPT_ELASTIC_MOMENTUM },
		{ "epochs", required_argument, NULL, OPT_EPOCHS },
		{ "grad-weight", required_argument, NULL, OPT_GRAD_WEIGHT },
		{ "help", no_argument, NULL, 'h' },
		{ "init", required_argument, NULL, OPT_INIT },
		{ "input", required_argument, NULL, 'i' },
		{ "kernel", required_argument, NULL, OPT_KERNEL },
		{ "layers", required_argument, NULL, OPT_LAYERS },
		{ "log", required_argument, NULL, OPT_LOG },
		{ "lr", required_argument, NULL, OPT_LR },
		{ "members", required_argument, NULL, OPT_MEMBERS },
		{ "model", required_argument, NULL, OPT_MODEL },
		{ "optimizer", required_argument, NULL, OPT_OPTIMIZER },
		{ "output", required_argument, NULL, 'o' },
		{ "parallel", required_argument, NULL, OPT_PARALLEL },
		{ "patience", required_argument, NULL, OPT_PATIENCE },
		{ "precision", required_argument, NULL, OPT_PRECISION },
		{ "progress", no_argument, NULL, OPT_PROGRESS },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "restarts", required_argument, NULL, OPT_RESTARTS },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "sync-every", required_argument, NULL, OPT_SYNC_EVERY },
		{ "val-frac", required_argument, NULL, OPT_VAL_FRAC },
		{ "validate-every", required_argument, NULL,
		  OPT_VALIDATE_EVERY },
		{ "version", no_argument, NULL, 'V' },
		{ "weight-decay", required_argument, NULL, OPT_WEIGHT_DECAY },
		{ NULL, 0, NULL, 0 },
	};
	struct pal_error e;
	enum tr_mode mode;
	int c, set_gp_only = 0, set_mlp_only = 0;
	const char *gp_opt = NULL, *mlp_opt = NULL;

	memset(cl, 0, sizeof(*cl));
	cl->model = MODEL_MLP;
	cl->members = 5;
	cl->nh = 2;
	cl->hidden[0] = cl->hidden[1] = 64;
	cl->act = MLP_TANH;
	cl->epochs = 100;
	cl->batch = 64;
	cl->opt = OPTIM_ADAM;
	cl->lr = NAN;
	cl->kernel = GP_RBF;
	cl->parallel = PARALLEL_DEFAULT;
	cl->sync_every = 1;
	cl->elastic_force = cl->elastic_lr = cl->elastic_momentum = NAN;
	while ((c = getopt_long(argc, argv, "hVi:o:", opts, NULL)) != -1) {
		/* Options of one model type only, for the check below. */
		switch (c) {
		case OPT_KERNEL:
		case OPT_RESTARTS:
			set_gp_only = 1;
			gp_opt = opts[0].name;
			for (const struct option *o = opts; o->name; o++)
				if (o->val == c)
					gp_opt = o->name;
			break;
		case OPT_ACTIVATION: case OPT_BATCH: case OPT_BOOTSTRAP:
		case OPT_ELASTIC_FORCE: case OPT_ELASTIC_LR:
		case OPT_ELASTIC_MOMENTUM: case OPT_EPOCHS:
		case OPT_GRAD_WEIGHT: case OPT_INIT: case OPT_LAYERS:
		case OPT_LOG: case OPT_LR: case OPT_MEMBERS:
		case OPT_OPTIMIZER: case OPT_PARALLEL: case OPT_PATIENCE:
		case OPT_PRECISION: case OPT_SYNC_EVERY:
		case OPT_VAL_FRAC: case OPT_VALIDATE_EVERY:
		case OPT_WEIGHT_DECAY:
			set_mlp_only = 1;
			for (const struct option *o = opts; o->name; o++)
				if (o->val == c)
					mlp_opt = o->name;
			break;
		}
		switch (c) {
		case OPT_ACTIVATION:
			cl->act = mlp_act_parse(optarg);
			if (cl->act < 0)
				usage_die("--activation: unknown activation "
					  "'%s' (use tanh, relu or silu)",
					  optarg);
			cl->set_act = 1;
			break;
		case OPT_BATCH:
			cl->batch = (int)opt_u64("--batch", optarg, 1,
						 1u << 24);
			break;
		case OPT_BOOTSTRAP:
			cl->bootstrap = 1;
			break;
		case OPT_ELASTIC_FORCE:
			cl->elastic_force = opt_double("--elastic-force",
						       optarg, OPT_FINITE |
						       OPT_POSITIVE);
			if (cl->elastic_force > 1)
				usage_die("--elastic-force: '%s' is above 1",
					  optarg);
			break;
		case OPT_ELASTIC_LR:
			cl->elastic_lr = opt_double("--elastic-lr", optarg,
						    OPT_FINITE | OPT_POSITIVE);
			break;
		case OPT_ELASTIC_MOMENTUM:
			cl->elastic_momentum = opt_double("--elastic-momentum",
							  optarg, OPT_FINITE |
							  OPT_NONNEG);
			if (cl->elastic_momentum >= 1)
				usage_die("--elastic-momentum: '%s' is not "
					  "below 1", optarg);
			break;
		case OPT_EPOCHS:
			cl->epochs = (int)opt_u64("--epochs", optarg, 1,
						  10000000);
			break;
		case OPT_GRAD_WEIGHT:
			cl->grad_weight = opt_double("--grad-weight", optarg,
						     OPT_FINITE | OPT_NONNEG);
			break;
		case 'h':
			usage(0);
		case 'i':
			cl->input = optarg;
			break;
		case OPT_INIT:
			cl->init = optarg;
			break;
		case OPT_KERNEL:
			if (gp_kernel_parse(optarg, &cl->kernel, &e) < 0)
				usage_die("--kernel: unknown kernel '%s' (use "
					  "rbf or matern52)", optarg);
			break;
		case OPT_LAYERS:
			parse_layers(cl, optarg);
			cl->set_layers = 1;
			break;
		case OPT_LOG:
			cl->log = optarg;
			break;
		case OPT_LR:
			cl->lr = opt_double("--lr", optarg,
					    OPT_FINITE | OPT_POSITIVE);
			break;
		case OPT_MEMBERS:
			cl->members = (int)opt_u64("--members", optarg, 1,
						   MLP_MAX_MEMBERS);
			cl->set_members = 1;
			break;
		case OPT_MODEL:
			if (!strcmp(optarg, "mlp"))
				cl->model = MODEL_MLP;
			else if (!strcmp(optarg, "gp"))
				cl->model = MODEL_GP;
			else
				usage_die("--model: unknown model '%s' (use mlp "
					  "or gp)", optarg);
			break;
		case 'o':
			cl->output = optarg;
			break;
		case OPT_OPTIMIZER:
			if (optim_parse(optarg, &cl->opt, &e) < 0)
				usage_die("--optimizer: unknown optimizer '%s' "
					  "(use adam, sgd, momentum, rmsprop "
					  "or adadelta)", optarg);
			break;
		case OPT_PARALLEL:
			if (!strcmp(optarg, "members"))
				cl->parallel = PARALLEL_MEMBERS;
			else if (strcmp(optarg, "serial") &&
				 tr_mode_parse(optarg, &mode, &e) == 0)
				cl->parallel = (int)mode;
			else
				usage_die("--parallel: unknown mode '%s' (use "
					  "members, data, downpour or easgd)",
					  optarg);
			break;
		case OPT_PATIENCE:
			cl->patience = (int)opt_u64("--patience", optarg, 1,
						    10000000);
			break;
		case OPT_PRECISION:
			if (!strcmp(optarg, "f32"))
				cl->f64 = 0;
			else if (!strcmp(optarg, "f64"))
				cl->f64 = 1;
			else
				usage_die("--precision: unknown precision "
					  "'%s' (use f32 or f64)", optarg);
			break;
		case OPT_PROGRESS:
		case OPT_QUIET:
			cl->progress = c == OPT_PROGRESS ? PROGRESS_ON :
				       PROGRESS_OFF;
			break;
		case OPT_RESTARTS:
			cl->restarts = (int)opt_u64("--restarts", optarg, 0,
						    10000);
			break;
		case OPT_SEED:
			cl->seed = opt_u64("--seed", optarg, 0, UINT64_MAX);
			break;
		case OPT_SYNC_EVERY:
			cl->sync_every = (int)opt_u64("--sync-every", optarg,
						      1, 1000000);
			break;
		case OPT_VAL_FRAC:
			cl->val_frac = opt_double("--val-frac", optarg,
						  OPT_FINITE | OPT_NONNEG);
			if (cl->val_frac >= 1)
				usage_die("--val-frac: '%s' is not below 1",
					  optarg);
			break;
		case OPT_VALIDATE_EVERY:
			cl->validate_every = (int)opt_u64("--validate-every",
							  optarg, 1,
							  1000000000);
			break;
		case 'V':
			opt_version();
		case OPT_WEIGHT_DECAY:
			cl->weight_decay = opt_double("--weight-decay", optarg,
						      OPT_FINITE | OPT_NONNEG);
			break;
		default:
			usage(PAL_EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		usage_die("at most one input file (got %d)", argc);
	if (argc == 1) {
		if (cl->input)
			usage_die("give the input as -i or as an argument, "
				  "not both");
		cl->input = argv[0];
	}
	if (cl->model == MODEL_GP && set_mlp_only)
		usage_die("--%s is an option of --model mlp, not gp", mlp_opt);
	if (cl->model == MODEL_MLP && set_gp_only)
		usage_die("--%s is an option of --model gp", gp_opt);
	if (cl->patience && cl->val_frac == 0)
		usage_die("--patience needs validation rows (--val-frac)");
	if (cl->parallel != TR_DOWNPOUR && cl->parallel != TR_EASGD &&
	    cl->validate_every)
		usage_die("--validate-every is for --parallel downpour or "
			  "easgd (the others validate every epoch)");
	if (cl->parallel != TR_EASGD &&
	    (!isnan(cl->elastic_force) || !isnan(cl->elastic_lr) ||
	     !isnan(cl->elastic_momentum)))
		usage_die("--elastic-* are options of --parallel easgd");
	in_refuse_tty(cl->input);
}

/* ---- the data -------------------------------------------------------- */

/*
 * The rows, standardised, on every rank: z = (x - x_mean) / x_std,
 * t = (y - y_mean) / y_std, and the gradient in those units,
 * dt/dz_j = grad_j * x_std_j / y_std (k = 1).  The scaling is the
 * training rows' (or the --init model's, whose weights assume it).
 */
struct data {
	uint64_t n;			/* rows kept */
	uint32_t d, k;
	int has_grad;			/* the force term is trained */
	double *z, *t, *g;		/* n x d, n x k, n x d (or NULL) */
	float *z32, *t32, *g32;		/* the same in f32 (f32 training) */
	double *x_mean, *x_std, *y_mean, *y_std;
	uint64_t *val, nval;		/* validation rows */
	uint64_t *train, ntrain;	/* training rows */
	/* rank 0: for the report and the model's provenance */
	uint64_t nread, nfailed;
	uint64_t fingerprint;
	int grad_ignored;		/* the input had grad, not trained on */
};

static void col_stats(const double *a, uint64_t n, uint32_t w, uint32_t c,
		      const uint64_t *rows, uint64_t nrows, double *mean,
		      double *std)
{
	double s = 0, ss = 0;

	(void)n;
	for (uint64_t i = 0; i < nrows; i++)
		s += a[rows[i] * w + c];
	*mean = s / (double)nrows;
	for (uint64_t i = 0; i < nrows; i++) {
		double v = a[rows[i] * w + c] - *mean;

		ss += v * v;
	}
	*std = sqrt(ss / (double)nrows);
	if (!(*std > 1e-300 * (fabs(*mean) + 1)))
		*std = 1;		/* a constant column */
}

/* Rank 0: read the rows. */
static void read_rows(const struct cmdline *cl, struct table *t)
{
	struct table_opts to = { 0, 0 };
	struct pal_reader *r;
	struct pal_error e;
	int fd;

	if (cl->model == MODEL_GP || cl->grad_weight == 0)
		to.flags |= TABLE_NO_GRAD;
	fd = xopen_in(cl->input);
	r = xreader(fd, cl->input ? cl->input : "-");
	if (table_read(t, r, cl->input ? cl->input : "stdin", &to, &e) < 0)
		die("%s", e.msg);
	pal_reader_free(r);
	if (fd > 0)
		close(fd);
	if (t->nfailed && t->n)
		warnx("%" PRIu64 " failed of %" PRIu64 " rows (status not 0) "
		      "left out (%s)", t->nfailed, t->nread,
		      cl->input ? cl->input : "stdin");
	if (t->n == 0)
		die("no rows to train on: %" PRIu64 " failed of %" PRIu64
		    " (status not 0) (%s)", t->nfailed, t->nread,
		    cl->input ? cl->input : "stdin");
}

/* The model that --init names, read on rank 0 (every check of model.c). */
struct init_model {
	struct model m;
	struct model_mlp mm;
	int have;
};

static void read_init(const struct cmdline *cl, struct init_model *im)
{
	struct pal_reader *r;
	struct pal_error e;
	int fd;

	fd = xopen_in(cl->init);
	r = xreader(fd, cl->init);
	if (model_read(&im->m, r, cl->init, &e) < 0)
		die("--init: %s", e.msg);
	if (model_read_mlp(&im->m, &im->mm, &e) < 0)
		die("--init: %s", e.msg);
	pal_reader_free(r);
	close(fd);
	im->have = 1;
}

/* Check the --init model's architecture against the data and options. */
static void check_init(const struct cmdline *cl, const struct init_model *im,
		       uint32_t d, uint32_t k)
{
	const struct mlp *n = &im->mm.net;

	if ((uint32_t)n->d != d || (uint32_t)n->k != k)
		die("--init: model '%s' takes %d inputs and %d outputs; the "
		    "rows have x of width %" PRIu32 " and y of width %" PRIu32,
		    cl->init, n->d, n->k, d, k);
	if (cl->set_members && n->m != cl->members)
		die("--init: model '%s' has %d members, not %d (--members)",
		    cl->init, n->m, cl->members);
	if (cl->set_act && n->act != cl->act)
		die("--init: model '%s' has activation %s, not %s "
		    "(--activation)", cl->init, mlp_act_name(n->act),
		    mlp_act_name(cl->act));
	if (cl->set_layers) {
		int same = n->nl - 1 == cl->nh;

		for (int l = 0; same && l < cl->nh; l++)
			same = n->w[l + 1] == cl->hidden[l];
		if (!same) {
			char have[200] = "", want[200] = "";

			for (int l = 0; l < n->nl - 1; l++)
				snprintf(have + strlen(have),
					 sizeof(have) - strlen(have), "%s%d",
					 l ? "," : "", n->w[l + 1]);
			for (int l = 0; l < cl->nh; l++)
				snprintf(want + strlen(want),
					 sizeof(want) - strlen(want), "%s%d",
					 l ? "," : "", cl->hidden[l]);
			die("--init: model '%s' has hidden layers %s, not %s "
			    "(--layers)", cl->init, have[0] ? have : "0",
			    want[0] ? want : "0");
		}
	}
	if ((im->mm.dtype == PAL_F64) != cl->f64)
		warnx("--init: model '%s' was trained in %s; going on in %s",
		      cl->init, im->mm.dtype == PAL_F64 ? "f64" : "f32",
		      cl->f64 ? "f64" : "f32");
}

/*
 * Make the data on every rank: rank 0 reads the table (t), and sends the
 * sizes and the numbers to the others.  init's scaling is used when given.
 */
static void make_data(const struct cmdline *cl, struct data *D,
		      struct table *t, const struct init_model *im, int rank)
{
	uint64_t hdr[5] = { 0 };
	double *x, *y, *gr = NULL;
	struct pal_error e;
	uint64_t n, d, k;

	memset(D, 0, sizeof(*D));
	if (rank == 0) {
		hdr[0] = t->n;
		hdr[1] = t->d;
		hdr[2] = t->k;
		hdr[3] = t->grad != NULL;
	}
	comm_bcast(hdr, sizeof(hdr), 0);
	n = hdr[0];
	d = hdr[1];
	k = hdr[2];
	D->n = n;
	D->d = (uint32_t)d;
	D->k = (uint32_t)k;
	D->has_grad = (int)hdr[3];
	if (rank == 0) {
		x = t->x;
		y = t->y;
		gr = t->grad;
	} else {
		x = xmalloc(n * d * sizeof(double));
		y = xmalloc(n * k * sizeof(double));
		if (D->has_grad)
			gr = xmalloc(n * d * sizeof(double));
	}
	comm_bcast(x, n * d * sizeof(double), 0);
	comm_bcast(y, n * k * sizeof(double), 0);
	if (D->has_grad)
		comm_bcast(gr, n * d * sizeof(double), 0);

	if (table_split(n, cl->val_frac, cl->seed, &D->val, &D->nval,
			&D->train, &D->ntrain, &e) < 0)
		die("%s", e.msg);
	if (cl->val_frac > 0 && n < 2)
		die("--val-frac: one row cannot be split into training and "
		    "validation rows (%s)", cl->input ? cl->input : "stdin");

	D->x_mean = xmalloc(d * sizeof(double));
	D->x_std = xmalloc(d * sizeof(double));
	D->y_mean = xmalloc(k * sizeof(double));
	D->y_std = xmalloc(k * sizeof(double));
	if (im && im->have) {
		memcpy(D->x_mean, im->mm.x_mean, d * sizeof(double));
		memcpy(D->x_std, im->mm.x_std, d * sizeof(double));
		memcpy(D->y_mean, im->mm.y_mean, k * sizeof(double));
		memcpy(D->y_std, im->mm.y_std, k * sizeof(double));
	} else {
		for (uint32_t j = 0; j < d; j++)
			col_stats(x, n, (uint32_t)d, j, D->train, D->ntrain,
				  &D->x_mean[j], &D->x_std[j]);
		for (uint32_t j = 0; j < k; j++)
			col_stats(y, n, (uint32_t)k, j, D->train, D->ntrain,
				  &D->y_mean[j], &D->y_std[j]);
	}
	/* The --init model is read on rank 0 only: its scaling goes to
	 * every rank (else the other ranks' members would train on rows
	 * scaled by their own statistics). */
	comm_bcast(D->x_mean, d * sizeof(double), 0);
	comm_bcast(D->x_std, d * sizeof(double), 0);
	comm_bcast(D->y_mean, k * sizeof(double), 0);
	comm_bcast(D->y_std, k * sizeof(double), 0);
	D->z = xmalloc(n * d * sizeof(double));
	D->t = xmalloc(n * k * sizeof(double));
	for (uint64_t i = 0; i < n; i++) {
		for (uint64_t j = 0; j < d; j++)
			D->z[i * d + j] = (x[i * d + j] - D->x_mean[j]) /
					  D->x_std[j];
		for (uint64_t j = 0; j < k; j++)
			D->t[i * k + j] = (y[i * k + j] - D->y_mean[j]) /
					  D->y_std[j];
	}
	if (D->has_grad) {
		D->g = xmalloc(n * d * sizeof(double));
		for (uint64_t i = 0; i < n; i++)
			for (uint64_t j = 0; j < d; j++)
				D->g[i * d + j] = gr[i * d + j] * D->x_std[j] /
						  D->y_std[0];
	}
	if (!cl->f64) {
		D->z32 = xmalloc(n * d * sizeof(float));
		D->t32 = xmalloc(n * k * sizeof(float));
		for (uint64_t i = 0; i < n * d; i++)
			D->z32[i] = (float)D->z[i];
		for (uint64_t i = 0; i < n * k; i++)
			D->t32[i] = (float)D->t[i];
		if (D->g) {
			D->g32 = xmalloc(n * d * sizeof(float));
			for (uint64_t i = 0; i < n * d; i++)
				D->g32[i] = (float)D->g[i];
		}
	}
	if (rank != 0) {
		free(x);
		free(y);
		free(gr);
	}
}

static void data_free(struct data *D)
{
	free(D->z);
	free(D->t);
	free(D->g);
	free(D->z32);
	free(D->t32);
	free(D->g32);
	free(D->x_mean);
	free(D->x_std);
	free(D->y_mean);
	free(D->y_std);
	free(D->val);
	free(D->train);
}

/* ---- a member's training problem --------------------------------------- */

#define VAL_CHUNK 1024			/* rows per validation pass */

struct member {
	const struct cmdline *cl;
	const struct data *D;
	struct mlp net;			/* one member: m = 1 */
	int index;			/* which member of the committee */
	uint64_t *rows;			/* ntrain: problem row -> data row */
	uint64_t *rowbuf;		/* a batch's data rows */
	size_t rowcap;
	/* batch buffers, in the precision trained in */
	size_t cap;
	void *xb, *yb, *gb;
	float *w32, *g32;		/* the weights and gradient in f32 */
	/* progress, on rank 0 */
	struct progress *pr;
	uint64_t *epochs_done;
	char note[160];
	int nmembers;
};

static void member_grow(struct member *mb, size_t n)
{
	size_t es = mb->cl->f64 ? sizeof(double) : sizeof(float);

	if (n <= mb->cap)
		return;
	mb->cap = n;
	mb->xb = xrealloc(mb->xb, n * mb->D->d * es);
	mb->yb = xrealloc(mb->yb, n * mb->D->k * es);
	if (mb->D->g)
		mb->gb = xrealloc(mb->gb, n * mb->D->d * es);
}

/* Gather data rows rows[0..n) into the batch buffers. */
static void gather(struct member *mb, const uint64_t *rows, int n)
{
	const struct data *D = mb->D;
	size_t d = D->d, k = D->k;

	member_grow(mb, (size_t)n);
	if (mb->cl->f64) {
		double *x = mb->xb, *y = mb->yb, *g = mb->gb;

		for (int i = 0; i < n; i++) {
			memcpy(x + i * d, D->z + rows[i] * d, d * sizeof(*x));
			memcpy(y + i * k, D->t + rows[i] * k, k * sizeof(*y));
			if (g)
				memcpy(g + i * d, D->g + rows[i] * d,
				       d * sizeof(*g));
		}
	} else {
		float *x = mb->xb, *y = mb->yb, *g = mb->gb;

		for (int i = 0; i < n; i++) {
			memcpy(x + i * d, D->z32 + rows[i] * d, d * sizeof(*x));
			memcpy(y + i * k, D->t32 + rows[i] * k, k * sizeof(*y));
			if (g)
				memcpy(g + i * d, D->g32 + rows[i] * d,
				       d * sizeof(*g));
		}
	}
}

/* The loss (and, when g is not NULL, its gradient) over data rows
 * rows[0..n) at w. */
static int member_loss(struct member *mb, const double *w,
		       const uint64_t *rows, int n, double *loss, double *g,
		       struct pal_error *err)
{
	const struct cmdline *cl = mb->cl;
	size_t np = mb->net.np;
	int force = mb->D->g != NULL;

	gather(mb, rows, n);
	if (cl->f64) {
		struct mlp_batch64 b = {
			.x = mb->xb, .y = mb->yb,
			.g = force ? mb->gb : NULL, .gw = cl->grad_weight,
			.n = n,
		};
		double *gg = g ? g : (double *)mb->g32;

		if (mlp_loss_grad_f64(&mb->net, w, &b, loss, gg, err) < 0)
			return -1;
		return 0;
	}
	struct mlp_batch b = {
		.x = mb->xb, .y = mb->yb, .g = force ? mb->gb : NULL,
		.gw = (float)cl->grad_weight, .n = n,
	};
	float l;

	for (size_t i = 0; i < np; i++)
		mb->w32[i] = (float)w[i];
	if (mlp_loss_grad(&mb->net, mb->w32, &b, &l, mb->g32, err) < 0)
		return -1;
	*loss = l;
	if (g)
		for (size_t i = 0; i < np; i++)
			g[i] = mb->g32[i];
	return 0;
}

static int prob_grad(void *ctx, const double *w, const uint64_t *idx, int n,
		     double *loss, double *g, struct pal_error *err)
{
	struct member *mb = ctx;

	if ((size_t)n > mb->rowcap) {
		mb->rowcap = (size_t)n;
		mb->rowbuf = xrealloc(mb->rowbuf, mb->rowcap * sizeof(uint64_t));
	}
	for (int i = 0; i < n; i++)
		mb->rowbuf[i] = mb->rows[idx[i]];
	return member_loss(mb, w, mb->rowbuf, n, loss, g, err);
}

/* The validation loss: the training loss's formula over the validation
 * rows, in chunks, weighted by rows. */
static int prob_val(void *ctx, const double *w, double *loss,
		    struct pal_error *err)
{
	struct member *mb = ctx;
	const struct data *D = mb->D;
	double sum = 0, l;

	for (uint64_t i = 0; i < D->nval; i += VAL_CHUNK) {
		int n = (int)(D->nval - i < VAL_CHUNK ? D->nval - i :
			      VAL_CHUNK);

		if (member_loss(mb, w, D->val + i, n, &l, NULL, err) < 0)
			return -1;
		sum += l * n;
	}
	*loss = sum / (double)D->nval;
	return 0;
}

static void epoch_done(void *ctx, int epoch, double loss, double val)
{
	struct member *mb = ctx;
	int n;

	if (!mb->pr)
		return;
	(*mb->epochs_done)++;
	mb->pr->done = *mb->epochs_done;
	n = snprintf(mb->note, sizeof(mb->note), "member %d of %d, epoch %d, "
		     "loss %.4g", mb->index + 1, mb->nmembers, epoch, loss);
	if (!isnan(val) && n > 0 && (size_t)n < sizeof(mb->note))
		snprintf(mb->note + n, sizeof(mb->note) - (size_t)n,
			 ", val %.4g", val);
	mb->pr->note = mb->note;
	progress_show(mb->pr);
}

/* What a member's training gives, gathered on rank 0. */
struct member_result {
	int epochs, best_epoch;
	double best_val, last_loss;
	uint64_t updates;
	int ncurve;
	double *curve;			/* 2 x ncurve */
};

/* Train member index from w (np1 doubles) in place. */
static void train_member(const struct cmdline *cl, const struct data *D,
			 const struct mlp *committee, int index,
			 enum tr_mode mode, double *w,
			 struct member_result *res, struct progress *pr,
			 uint64_t *epochs_done)
{
	struct member mb;
	struct tr_problem p;
	struct tr_opts o;
	struct tr_result r;
	struct pal_error e;
	int hidden[MLP_MAX_HIDDEN];

	memset(&mb, 0, sizeof(mb));
	mb.cl = cl;
	mb.D = D;
	mb.index = index;
	mb.pr = pr;
	mb.epochs_done = epochs_done;
	mb.nmembers = committee->m;
	for (int l = 0; l < committee->nl - 1; l++)
		hidden[l] = committee->w[l + 1];
	if (mlp_init(&mb.net, 1, committee->d, committee->nl - 1, hidden,
		     committee->k, committee->act, &e) < 0)
		die("%s", e.msg);
	mb.rows = xmalloc(D->ntrain * sizeof(uint64_t));
	if (cl->bootstrap) {
		table_bootstrap(D->ntrain, cl->seed, (uint64_t)index, mb.rows);
		for (uint64_t i = 0; i < D->ntrain; i++)
			mb.rows[i] = D->train[mb.rows[i]];
	} else {
		memcpy(mb.rows, D->train, D->ntrain * sizeof(uint64_t));
	}
	mb.w32 = xmalloc(mb.net.np * sizeof(float));
	mb.g32 = xmalloc(mb.net.np * (cl->f64 ? sizeof(double) :
				      sizeof(float)));

	p = (struct tr_problem){
		.ctx = &mb, .np = mb.net.np, .ntrain = D->ntrain,
		.grad = prob_grad, .val = D->nval ? prob_val : NULL,
	};
	tr_defaults(&o);
	o.mode = mode;
	o.epochs = cl->epochs;
	o.batch = cl->batch;
	o.opt = cl->opt;
	optim_defaults(cl->opt, &o.op);
	if (!isnan(cl->lr))
		o.op.lr = cl->lr;
	o.op.weight_decay = cl->weight_decay;
	o.patience = cl->patience;
	o.sync_every = cl->sync_every;
	if (cl->validate_every)
		o.validate_every = cl->validate_every;
	if (!isnan(cl->elastic_force))
		o.elastic_force = cl->elastic_force;
	/* The workers' SGD rate: mpi_learn's default of 1.0 diverges on
	 * standardised data; 0.01 is its VanillaSGD's default rate. */
	o.elastic_lr = isnan(cl->elastic_lr) ? 0.01 : cl->elastic_lr;
	if (!isnan(cl->elastic_momentum))
		o.elastic_momentum = cl->elastic_momentum;
	o.seed = cl->seed;
	o.stream = (uint64_t)index;
	o.epoch_done = epoch_done;
	o.ctx = &mb;
	if (tr_run(&p, &o, w, &r, &e) < 0) {
		/* Outside TR_SERIAL every rank has the same error
		 * (mpitrain.h): rank 0 says it, once for the job.  Not
		 * so for "rank R is gone" (PAL_ERR_IO), which only the
		 * ranks that waited on R know: they all say it, as rank
		 * 0 may be the one gone. */
		if (mode != TR_SERIAL && comm_rank() != 0 &&
		    e.kind != PAL_ERR_IO) {
			pal_cleanup_run();
			exit(PAL_EXIT_DATA);
		}
		die("member %d: %s", index, e.msg);
	}
	res->epochs = r.epochs;
	res->best_epoch = r.best_epoch;
	res->best_val = r.best_val;
	res->last_loss = r.last_loss;
	res->updates = r.updates;
	res->ncurve = r.ncurve;
	res->curve = r.curve;		/* taken over */
	r.curve = NULL;
	tr_result_free(&r);
	free(mb.rows);
	free(mb.rowbuf);
	free(mb.w32);
	free(mb.g32);
	free(mb.xb);
	free(mb.yb);
	free(mb.gb);
	mlp_free(&mb.net);
}

/* ---- the committee ---------------------------------------------------- */

#define TAG_MEMBERS 71			/* a rank's trained members */

/*
 * Rank 0 gathers the members trained elsewhere (--parallel members): each
 * other rank sends one message, for each of its members in order: the
 * member's np1 weights, then epochs, best_epoch, best_val, last_loss,
 * updates, ncurve, then the curve (2 x ncurve).
 */
static void send_members(int rank, int size, int M, size_t np1,
			 const double *w, const struct member_result *res)
{
	size_t len = 0, off = 0;
	double *buf;

	for (int m = rank; m < M; m += size)
		len += np1 + 6 + 2 * (size_t)res[m].ncurve;
	buf = xmalloc((len ? len : 1) * sizeof(double));
	for (int m = rank; m < M; m += size) {
		memcpy(buf + off, w + (size_t)m * np1, np1 * sizeof(double));
		off += np1;
		buf[off++] = res[m].epochs;
		buf[off++] = res[m].best_epoch;
		buf[off++] = res[m].best_val;
		buf[off++] = res[m].last_loss;
		buf[off++] = (double)res[m].updates;
		buf[off++] = res[m].ncurve;
		memcpy(buf + off, res[m].curve,
		       2 * (size_t)res[m].ncurve * sizeof(double));
		off += 2 * (size_t)res[m].ncurve;
	}
	comm_send(0, TAG_MEMBERS, buf, len * sizeof(double));
}

static void recv_members(int size, int M, size_t np1, double *w,
			 struct member_result *res)
{
	char *got = xcalloc((size_t)size, 1);
	int left = 0;

	for (int r = 1; r < size && r < M; r++)
		left++;
	while (left > 0) {
		struct comm_msg msg;
		const double *b;
		size_t off = 0, n;

		if (!comm_recv(&msg, 1.0)) {
			for (int r = 1; r < size && r < M; r++)
				if (!got[r] && comm_gone(r))
					die("rank %d (host %s) is gone before "
					    "sending its members", r,
					    comm_host(r));
			continue;
		}
		if (msg.tag != TAG_MEMBERS || msg.src <= 0 ||
		    msg.src >= size || got[msg.src])
			die("unexpected message (tag %d) from rank %d", msg.tag,
			    msg.src);
		b = msg.buf;
		n = msg.len / sizeof(double);
		for (int m = msg.src; m < M; m += size) {
			struct member_result *rs = &res[m];

			if (off + np1 + 6 > n)
				die("short message of members from rank %d",
				    msg.src);
			memcpy(w + (size_t)m * np1, b + off,
			       np1 * sizeof(double));
			off += np1;
			rs->epochs = (int)b[off++];
			rs->best_epoch = (int)b[off++];
			rs->best_val = b[off++];
			rs->last_loss = b[off++];
			rs->updates = (uint64_t)b[off++];
			rs->ncurve = (int)b[off++];
			if (off + 2 * (size_t)rs->ncurve > n)
				die("short message of members from rank %d",
				    msg.src);
			rs->curve = xmalloc((2 * (size_t)rs->ncurve + 1) *
					    sizeof(double));
			memcpy(rs->curve, b + off,
			       2 * (size_t)rs->ncurve * sizeof(double));
			off += 2 * (size_t)rs->ncurve;
		}
		got[msg.src] = 1;
		left--;
		free(msg.buf);
	}
	free(got);
}

/*
 * The committee's predictions, in standardised units, on data rows
 * rows[0..n): out (M x n x k).
 */
static void committee_predict(struct mlp *net, const void *theta, int f64,
			      const struct data *D, const uint64_t *rows,
			      uint64_t n, double *out)
{
	size_t d = D->d, k = D->k, M = (size_t)net->m;
	struct pal_error e;

	for (uint64_t i0 = 0; i0 < n; i0 += VAL_CHUNK) {
		int c = (int)(n - i0 < VAL_CHUNK ? n - i0 : VAL_CHUNK);

		if (f64) {
			double *x = xmalloc((size_t)c * d * sizeof(double));
			double *o = xmalloc(M * (size_t)c * k * sizeof(double));

			for (int i = 0; i < c; i++)
				memcpy(x + i * d, D->z + rows[i0 + i] * d,
				       d * sizeof(double));
			if (mlp_forward_f64(net, theta, x, c, 0, o, &e) < 0)
				die("%s", e.msg);
			for (size_t m = 0; m < M; m++)
				for (size_t i = 0; i < (size_t)c * k; i++)
					out[(m * n + i0) * k + i] =
						o[m * (size_t)c * k + i];
			free(x);
			free(o);
		} else {
			float *x = xmalloc((size_t)c * d * sizeof(float));
			float *o = xmalloc(M * (size_t)c * k * sizeof(float));

			for (int i = 0; i < c; i++)
				memcpy(x + i * d, D->z32 + rows[i0 + i] * d,
				       d * sizeof(float));
			if (mlp_forward(net, theta, x, c, 0, o, &e) < 0)
				die("%s", e.msg);
			for (size_t m = 0; m < M; m++)
				for (size_t i = 0; i < (size_t)c * k; i++)
					out[(m * n + i0) * k + i] =
						o[m * (size_t)c * k + i];
			free(x);
			free(o);
		}
	}
}

/* Held-out figures of the committee. */
struct calib {
	double scale;			/* the calibration; 1 without */
	double rmse;			/* of the mean, in y's units (RMS over
					 * outputs), NaN without val rows */
	uint64_t nz;			/* z-scores it was fitted on */
};

/*
 * The calibration: with M >= 2 and validation rows, s such that the
 * held-out z-scores (y - mean) / (s · std) have unit mean square, pooled
 * over rows and outputs, std the members' sample std (pal-model(5)).
 * z is unitless, so standardised units do: s² = mean of ((t - mean_t) /
 * std_t)².  Outputs whose std is 0 (all members agree exactly) are left
 * out.
 */
static struct calib calibrate(struct mlp *net, const void *theta, int f64,
			      const struct data *D)
{
	struct calib c = { 1, NAN, 0 };
	size_t M = (size_t)net->m, k = D->k, n = D->nval;
	double *out, zz = 0, se = 0;

	if (!n)
		return c;
	out = xmalloc(M * n * k * sizeof(double));
	committee_predict(net, theta, f64, D, D->val, n, out);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < k; j++) {
			double mean = 0, var = 0, t = D->t[D->val[i] * k + j];

			for (size_t m = 0; m < M; m++)
				mean += out[(m * n + i) * k + j];
			mean /= (double)M;
			for (size_t m = 0; m < M; m++) {
				double v = out[(m * n + i) * k + j] - mean;

				var += v * v;
			}
			se += (t - mean) * (t - mean) * D->y_std[j] *
			      D->y_std[j];
			if (M < 2 || !(var > 0))
				continue;
			var /= (double)(M - 1);
			zz += (t - mean) * (t - mean) / var;
			c.nz++;
		}
	c.rmse = sqrt(se / (double)(n * k));
	if (c.nz && zz > 0 && isfinite(zz))
		c.scale = sqrt(zz / (double)c.nz);
	free(out);
	return c;
}

static char *fmt_u64(uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return xstrdup(buf);
}

static char *fmt_g(double v)
{
	char buf[40];

	snprintf(buf, sizeof(buf), "%.17g", v);
	return xstrdup(buf);
}

/* Keys of provenance and training options, for the model file. */
struct keys {
	struct pal_kv kv[40];
	uint32_t n;
};

static void key(struct keys *K, const char *k, char *v)
{
	if (K->n == sizeof(K->kv) / sizeof(K->kv[0]))
		die("too many model keys (a bug)");
	K->kv[K->n].key = (char *)k;
	K->kv[K->n].value = v;
	K->n++;
}

static void keys_free(struct keys *K)
{
	for (uint32_t i = 0; i < K->n; i++)
		free(K->kv[i].value);
}

/* What every model records of its data. */
static void data_keys(struct keys *K, const struct data *D)
{
	char fp[20];

	key(K, "train_rows", fmt_u64(D->ntrain));
	key(K, "val_rows", fmt_u64(D->nval));
	key(K, "failed_rows", fmt_u64(D->nfailed));
	snprintf(fp, sizeof(fp), "%016" PRIx64, D->fingerprint);
	key(K, "data_fingerprint", xstrdup(fp));
}

/*
 * The outputs, opened on rank 0 before anything is read or trained, so that
 * an -o or --log that cannot be written (a missing directory, a terminal)
 * is said at once, not after the training.  Neither is put in place before
 * the model is complete (io.h).
 */
static struct out model_out, log_out;

static void open_outputs(const struct cmdline *cl)
{
	out_open(&model_out, cl->output);
	if (!comm_mpi())
		out_refuse_tty(&model_out);
	if (cl->log)
		out_open(&log_out, cl->log);
}

/* Write the model file (rank 0). */
static void write_model(const struct cmdline *cl, const char *type,
			const void *model, const struct keys *K)
{
	struct out *out = &model_out;
	struct pal_writer *w;
	struct pal_error e;
	int rc;

	(void)cl;
	w = xwriter(out->fd, out->name, PAL_LEVEL_KEEP);
	if (!strcmp(type, "mlp"))
		rc = model_write_mlp(w, model, K->kv, K->n, &e);
	else
		rc = model_write_gp(w, model, K->kv, K->n, &e);
	if (rc < 0) {
		if (pal_writer_error(w)->kind != PAL_ERR_NONE)
			die_writer(w);
		die("%s", e.msg);
	}
	pal_writer_free(w);
	out_commit(out);
}

/* --log: the curves as TSV, put in place once complete. */
static void write_log(int M, const struct member_result *res)
{
	FILE *fp = out_stdio(&log_out);

	fputs("member\tepoch\tloss\tval_loss\n", fp);
	for (int m = 0; m < M; m++)
		for (int i = 0; i < res[m].ncurve; i++) {
			double v = res[m].curve[2 * i + 1];

			fprintf(fp, "%d\t%d\t%.9g\t", m, i + 1,
				res[m].curve[2 * i]);
			if (isnan(v))
				fputs("nan\n", fp);
			else
				fprintf(fp, "%.9g\n", v);
		}
	out_commit(&log_out);
}

static void train_mlp(const struct cmdline *cl, int rank, int size)
{
	struct table t;
	struct init_model im;
	struct data D;
	struct mlp net;
	struct pal_error e;
	struct member_result *res;
	struct progress pr;
	uint64_t epochs_done = 0;
	int M, nh, hidden[MLP_MAX_HIDDEN], act, mode;
	size_t np1;
	double *w;
	uint64_t arch[3 + MLP_MAX_HIDDEN];

	memset(&t, 0, sizeof(t));
	memset(&im, 0, sizeof(im));
	if (rank == 0) {
		open_outputs(cl);
		read_rows(cl, &t);
		if (cl->init) {
			read_init(cl, &im);
			check_init(cl, &im, t.d, t.k);
		}
		if (cl->grad_weight > 0 && !t.grad)
			die("--grad-weight: the rows have no grad column (%s; "
			    "label them with pal-label --grad)",
			    cl->input ? cl->input : "stdin");
		if (cl->grad_weight > 0 && t.k != 1)
			die("--grad-weight: y has width %" PRIu32 "; forces "
			    "are the gradient of one output", t.k);
	}
	/* The architecture: the options', or the --init model's. */
	M = cl->members;
	nh = cl->nh;
	act = cl->act;
	memcpy(hidden, cl->hidden, sizeof(hidden));
	if (rank == 0 && im.have) {
		M = im.mm.net.m;
		act = im.mm.net.act;
		nh = im.mm.net.nl - 1;
		for (int l = 0; l < nh; l++)
			hidden[l] = im.mm.net.w[l + 1];
	}
	arch[0] = (uint64_t)M;
	arch[1] = (uint64_t)nh;
	arch[2] = (uint64_t)act;
	for (int l = 0; l < MLP_MAX_HIDDEN; l++)
		arch[3 + l] = (uint64_t)hidden[l];
	comm_bcast(arch, sizeof(arch), 0);
	M = (int)arch[0];
	nh = (int)arch[1];
	act = (int)arch[2];
	for (int l = 0; l < MLP_MAX_HIDDEN; l++)
		hidden[l] = (int)arch[3 + l];

	make_data(cl, &D, &t, &im, rank);
	if (rank == 0) {
		D.nread = t.nread;
		D.nfailed = t.nfailed;
		D.fingerprint = table_fingerprint(&t);
		table_free(&t);
	}
	if (mlp_init(&net, M, (int)D.d, nh, hidden, (int)D.k, act, &e) < 0)
		die("%s", e.msg);
	np1 = net.np1;

	/* The initial weights, the same on every rank. */
	w = xmalloc(net.np * sizeof(double));
	if (cl->init) {
		if (rank == 0) {
			if (im.mm.dtype == PAL_F64)
				memcpy(w, im.mm.theta,
				       net.np * sizeof(double));
			else
				for (size_t i = 0; i < net.np; i++)
					w[i] = ((const float *)
						im.mm.theta)[i];
		}
		comm_bcast(w, net.np * sizeof(double), 0);
	} else if (cl->f64) {
		mlp_init_params_f64(&net, w, cl->seed);
	} else {
		float *t32 = xmalloc(net.np * sizeof(float));

		mlp_init_params(&net, t32, cl->seed);
		for (size_t i = 0; i < net.np; i++)
			w[i] = t32[i];
		free(t32);
	}

	/* Who trains what. */
	mode = cl->parallel;
	if (mode == PARALLEL_DEFAULT)
		mode = M >= 2 || size == 1 ? PARALLEL_MEMBERS : TR_DATA;
	if (rank == 0 && size > 1 && mode == PARALLEL_MEMBERS && size > M)
		warnx("--parallel members: %d members on %d ranks leaves %d "
		      "ranks idle (use --parallel data)", M, size, size - M);
	res = xcalloc((size_t)M, sizeof(*res));
	memset(&pr, 0, sizeof(pr));
	if (rank == 0) {
		int mine = mode == PARALLEL_MEMBERS ? (M + size - 1) / size : M;

		progress_start(&pr, cl->progress, "epochs", -1);
		/* Downpour and easgd report validations, not epochs. */
		if (mode == PARALLEL_MEMBERS || mode == TR_DATA)
			pr.total = (uint64_t)mine * (uint64_t)cl->epochs;
	}
	for (int m = 0; m < M; m++) {
		if (mode == PARALLEL_MEMBERS && m % size != rank)
			continue;
		train_member(cl, &D, &net, m,
			     mode == PARALLEL_MEMBERS ? TR_SERIAL :
			     (enum tr_mode)mode, w + (size_t)m * np1, &res[m],
			     rank == 0 ? &pr : NULL, &epochs_done);
	}
	if (rank == 0)
		progress_end(&pr);
	if (mode == PARALLEL_MEMBERS && size > 1) {
		if (rank == 0)
			recv_members(size, M, np1, w, res);
		else if (rank < M)
			send_members(rank, size, M, np1, w, res);
	}

	if (rank == 0) {
		struct model_mlp mm;
		struct keys K = { .n = 0 };
		struct calib c;
		void *theta;
		char buf[64];

		if (cl->f64) {
			theta = w;
		} else {
			float *t32 = xmalloc(net.np * sizeof(float));

			for (size_t i = 0; i < net.np; i++)
				t32[i] = (float)w[i];
			theta = t32;
		}
		c = calibrate(&net, theta, cl->f64, &D);
		memset(&mm, 0, sizeof(mm));
		mm.net = net;
		mm.dtype = cl->f64 ? PAL_F64 : PAL_F32;
		mm.theta = theta;
		mm.x_mean = D.x_mean;
		mm.x_std = D.x_std;
		mm.y_mean = D.y_mean;
		mm.y_std = D.y_std;
		mm.calibration = c.scale;

		data_keys(&K, &D);
		key(&K, "seed", fmt_u64(cl->seed));
		key(&K, "epochs", fmt_u64((uint64_t)cl->epochs));
		key(&K, "batch", fmt_u64((uint64_t)cl->batch));
		key(&K, "optimizer", xstrdup(optim_name(cl->opt)));
		if (!isnan(cl->lr))
			key(&K, "lr", fmt_g(cl->lr));
		key(&K, "weight_decay", fmt_g(cl->weight_decay));
		key(&K, "val_frac", fmt_g(cl->val_frac));
		key(&K, "patience", fmt_u64((uint64_t)cl->patience));
		key(&K, "bootstrap", fmt_u64((uint64_t)cl->bootstrap));
		key(&K, "grad_weight", fmt_g(D.g ? cl->grad_weight : 0));
		if (mode != PARALLEL_MEMBERS) {
			/* The result depends on these; not so for members,
			 * whose model is that of one rank. */
			key(&K, "parallel", xstrdup(tr_mode_name(
				(enum tr_mode)mode)));
			key(&K, "ranks", fmt_u64((uint64_t)size));
			if (mode == TR_DOWNPOUR || mode == TR_EASGD)
				key(&K, "sync_every",
				    fmt_u64((uint64_t)cl->sync_every));
		}
		if (cl->init)
			key(&K, "init", xstrdup("yes"));
		if (!isnan(c.rmse))
			key(&K, "val_rmse", fmt_g(c.rmse));
		snprintf(buf, sizeof(buf), "pal-train %s", PAL_VERSION);
		key(&K, "trained_by", xstrdup(buf));
		write_model(cl, "mlp", &mm, &K);
		if (cl->log)
			write_log(M, res);

		if (cl->progress != PROGRESS_OFF) {
			for (int m = 0; m < M; m++) {
				struct member_result *r = &res[m];

				if (isnan(r->best_val))
					warnx("member %d: %d epochs, loss "
					      "%.4g", m, r->epochs,
					      r->last_loss);
				else
					warnx("member %d: %d epochs, best "
					      "val loss %.4g at epoch %d",
					      m, r->epochs, r->best_val,
					      r->best_epoch);
			}
			if (!D.nval)
				warnx("trained on %" PRIu64 " rows; no "
				      "validation rows (--val-frac), no "
				      "calibration", D.ntrain);
			else if (M < 2)
				warnx("trained on %" PRIu64 " rows; val rmse "
				      "%.4g on %" PRIu64 " rows; one member "
				      "has no spread to calibrate", D.ntrain,
				      c.rmse, D.nval);
			else
				warnx("trained on %" PRIu64 " rows; val rmse "
				      "%.4g on %" PRIu64 " rows; calibration "
				      "%.4g (the members' std is scaled by "
				      "it)", D.ntrain, c.rmse, D.nval,
				      c.scale);
		}
		if (theta != w)
			free(theta);
		keys_free(&K);
	}
	for (int m = 0; m < M; m++)
		free(res[m].curve);
	free(res);
	free(w);
	mlp_free(&net);
	data_free(&D);
	if (im.have) {
		model_mlp_free(&im.mm);
		model_free(&im.m);
	}
}

/* ---- the Gaussian process --------------------------------------------- */

static void train_gp(const struct cmdline *cl)
{
	struct table t;
	struct gp_opt go;
	struct gp_opt_result gr;
	struct pal_error e;
	struct model_gp mg;
	struct keys K = { .n = 0 };
	struct gp *gp;
	double *x, *y, *xm, *xs, ym, ys;
	char fp[20], buf[64];
	size_t n, d;

	memset(&t, 0, sizeof(t));
	open_outputs(cl);
	read_rows(cl, &t);
	if (t.k != 1)
		die("--model gp: y has width %" PRIu32 "; a gaussian process "
		    "takes one output (use --model mlp) (%s)", t.k,
		    cl->input ? cl->input : "stdin");
	if (t.n > GP_MAX_N)
		die("%" PRIu64 " training rows beyond the gaussian process's "
		    "limit of %d (%s; subsample the rows or use --model mlp)",
		    t.n, GP_MAX_N, cl->input ? cl->input : "stdin");
	n = t.n;
	d = t.d;
	snprintf(fp, sizeof(fp), "%016" PRIx64, table_fingerprint(&t));
	x = t.x;
	y = t.y;
	xm = xmalloc(d * sizeof(double));
	xs = xmalloc(d * sizeof(double));
	gp_standardize(n, d, x, xm, xs);
	gp_standardize(n, 1, y, &ym, &ys);
	gp = gp_new(cl->kernel, n, d, x, y, NULL, &e);
	if (!gp)
		die("%s (%s)", e.msg, cl->input ? cl->input : "stdin");
	gp_opt_defaults(&go);
	go.restarts = cl->restarts;
	go.seed = cl->seed;
	if (gp_optimize(gp, &go, &gr, &e) < 0)
		die("%s (%s)", e.msg, cl->input ? cl->input : "stdin");

	memset(&mg, 0, sizeof(mg));
	mg.gp = gp;
	mg.x_mean = xm;
	mg.x_std = xs;
	mg.y_mean = ym;
	mg.y_std = ys;
	key(&K, "train_rows", fmt_u64(n));
	key(&K, "failed_rows", fmt_u64(t.nfailed));
	key(&K, "data_fingerprint", xstrdup(fp));
	key(&K, "seed", fmt_u64(cl->seed));
	key(&K, "restarts", fmt_u64((uint64_t)cl->restarts));
	key(&K, "lml", fmt_g(gp->lml));
	snprintf(buf, sizeof(buf), "pal-train %s", PAL_VERSION);
	key(&K, "trained_by", xstrdup(buf));
	write_model(cl, "gp", &mg, &K);
	if (cl->progress != PROGRESS_OFF) {
		double sn2 = exp(gp->theta[d + 1]);

		warnx("gp (%s) on %zu rows: log marginal likelihood %.6g "
		      "(best of %d start%s, %d evaluations), noise std %.3g, "
		      "signal std %.3g%s", gp_kernel_name(cl->kernel), n,
		      gp->lml, gr.starts, gr.starts == 1 ? "" : "s", gr.evals,
		      sqrt(sn2) * ys, sqrt(exp(gp->theta[d])) * ys,
		      gp->jitter > 0 ? " (jitter added)" : "");
	}
	keys_free(&K);
	gp_free(gp);
	free(xm);
	free(xs);
	table_free(&t);
}

int main(int argc, char **argv)
{
	int muted[2];
	struct cmdline cl;
	int rank, size;

	pal_init("pal-train");
	/* Options, read on every rank; only rank 0 speaks. */
	comm_mute_others(muted);
	parse_args(&cl, argc, argv);
	comm_unmute(muted);
	comm_init(&argc, &argv, &rank, &size);
	if (cl.model == MODEL_GP) {
		/* One rank fits: the others have nothing to do. */
		if (rank == 0) {
			if (size > 1)
				warnx("--model gp runs on rank 0 alone; ranks "
				      "1..%d are idle", size - 1);
			train_gp(&cl);
		}
	} else {
		train_mlp(&cl, rank, size);
	}
	comm_finish();
	return 0;
}
