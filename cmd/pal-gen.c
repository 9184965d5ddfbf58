/*
 * pal-gen: make candidate inputs for the active-learning loop.
 *
 * Three jobs, one per invocation: a design of --n points in a box (uniform,
 * normal, Sobol', Halton, Latin hypercube or grid); new points from old ones
 * read from a stream (--perturb: Gaussian steps; --walk langevin: one
 * overdamped Langevin step on a predicted gradient); or the output of a
 * user's generator (--exec), checked and re-written as a pal stream.  Every
 * job writes frame by frame in bounded memory, and is deterministic for a
 * seed.  The designs themselves live in libcommon/design.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "csv.h"
#include "design.h"
#include "err.h"
#include "io.h"
#include "num.h"
#include "opt.h"
#include "proc.h"
#include "progress.h"
#include "rng.h"
#include "stream.h"
#include "banned.h"

static const char usage_text[] =
	"usage: pal-gen [-hV] [--bounds lo:hi,...] [--copies k] [--dim d] [--dt t]\n"
	"               [--exec command] [--friction g] [-i file] [--keep list]\n"
	"               [--method name] [--n n] [-o file] [--perturb sigma]\n"
	"               [--progress] [--quiet] [--scramble] [--seed s] [--skip k]\n"
	"               [--start-id id] [--temperature kt] [--walk langevin]\n";

/* --help: one line an option, as pal-gen(1) describes them. */
static const char options_text[] =
	"Options:\n"
	"      --bounds=LO:HI,...  the box: one range per dimension, or one for all\n"
	"      --copies=K         output rows per input row (default 1)\n"
	"      --dim=D            the dimension (default: as many as --bounds has ranges)\n"
	"      --dt=T             the time step of --walk (required)\n"
	"      --exec=COMMAND     write what COMMAND prints\n"
	"      --friction=G       the friction coefficient of --walk (default 1)\n"
	"  -h, --help             print this help and exit\n"
	"  -i, --input=FILE       the old points to step from (default: standard input)\n"
	"      --keep=LIST        also pass these input columns through (a,b,c)\n"
	"      --method=NAME      the design: uniform, normal, sobol, halton, lhs, grid\n"
	"      --n=N              points to make (for grid, per dimension)\n"
	"  -o, --output=FILE      write to FILE, put in place once complete\n"
	"      --perturb=SIGMA    move each point by a normal step (SIGMA,... per axis)\n"
	"      --progress         show progress on stderr, even when not a terminal\n"
	"      --quiet            show no progress\n"
	"      --scramble         randomize sobol or halton with --seed\n"
	"      --seed=S           the seed of random points and steps (default 0)\n"
	"      --skip=K           start sobol or halton at point K\n"
	"      --start-id=ID      the first id written (default 0)\n"
	"      --temperature=KT   the temperature of --walk, in energy units (required)\n"
	"  -V, --version          print the version and exit\n"
	"      --walk=langevin    take one overdamped Langevin step from each point\n";

enum mode { MODE_DESIGN, MODE_PERTURB, MODE_WALK, MODE_EXEC };
enum method { UNIFORM, NORMAL, SOBOL, HALTON, LHS, GRID };
static const char *const method_names[] = {
	"uniform", "normal", "sobol", "halton", "lhs", "grid",
};

/* Halton needs the first d primes: this many is already far too many. */
#define HALTON_MAXDIM 100000u

struct cmdline {
	enum mode mode;
	enum method method;
	int method_set;
	uint64_t n;			/* points (the grid's total) */
	int n_set;
	uint64_t grid_n;		/* grid: points per dimension */
	uint32_t dim;			/* 0 until --dim or --bounds say */
	int dim_set;
	double *lo, *hi;		/* dim entries once dim is known */
	uint32_t nbounds;		/* ranges given to --bounds */
	const char *bounds_arg;
	uint64_t seed;
	uint64_t skip;
	int skip_set;
	int scramble;
	uint64_t start_id;
	double *sigma;			/* --perturb: 1 or dim entries */
	uint32_t nsigma;
	uint64_t copies;
	int copies_set;
	double dt, friction, temperature;
	int dt_set, friction_set, temperature_set;
	char **keep;			/* --keep: names in keep_buf */
	uint32_t nkeep;
	char *keep_buf;
	const char *exec;
	const char *input;
	const char *output;
	int progress;			/* enum progress_mode */
};

/*
 * Print the synopsis (usage_text, the man page's SYNOPSIS): for --help to
 * stdout with a few lines more and exit 0, else to stderr and exit 2.
 */
static _Noreturn void usage(int status)
{
	if (status == 0) {
		fputs(usage_text, stdout);
		fputs("\nWrite candidate points as a pal stream: a design of --n\n"
		      "points (--method), steps from the points of an input stream\n"
		      "(--perturb, --walk), or what a command prints (--exec).\n\n",
		      stdout);
		fputs(options_text, stdout);
		fputs("\nSee pal-gen(1).\n", stdout);
		xfclose(stdout, "stdout");
		exit(0);
	}
	fputs(usage_text, stderr);
	exit(PAL_EXIT_USAGE);
}

/* ---- option parsing ------------------------------------------------------ */

/* "lo:hi,lo:hi,...": each range finite with lo < hi. */
static void parse_bounds(struct cmdline *cl, const char *arg)
{
	char *s = xstrdup(arg), *save = NULL, *tok;

	opt_list("--bounds", arg);
	cl->bounds_arg = arg;
	cl->nbounds = 0;
	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		const char *e1, *e2;
		double lo, hi;

		if (!colon)
			usage_die("--bounds: expected lo:hi, got '%s'", tok);
		*colon = '\0';
		lo = parse_double(tok, &e1);
		hi = parse_double(colon + 1, &e2);
		if (e1 || e2 || !isfinite(lo) || !isfinite(hi))
			usage_die("--bounds: '%s:%s' is not a range of two "
				  "finite numbers", tok, colon + 1);
		if (!(lo < hi))
			usage_die("--bounds: empty range '%s:%s' (lo must be "
				  "below hi)", tok, colon + 1);
		if (cl->nbounds == PAL_MAX_WIDTH)
			usage_die("--bounds: more than %u ranges", PAL_MAX_WIDTH);
		cl->lo = xrealloc(cl->lo, (cl->nbounds + 1) * sizeof(double));
		cl->hi = xrealloc(cl->hi, (cl->nbounds + 1) * sizeof(double));
		cl->lo[cl->nbounds] = lo;
		cl->hi[cl->nbounds++] = hi;
	}
	if (cl->nbounds == 0)
		usage_die("--bounds: no range given");
	free(s);
}

static void parse_sigma(struct cmdline *cl, const char *arg)
{
	char *s = xstrdup(arg), *save = NULL, *tok;

	opt_list("--perturb", arg);
	cl->nsigma = 0;

	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (cl->nsigma == PAL_MAX_WIDTH)
			usage_die("--perturb: more than %u values", PAL_MAX_WIDTH);
		cl->sigma = xrealloc(cl->sigma, (cl->nsigma + 1) * sizeof(double));
		cl->sigma[cl->nsigma++] = opt_double("--perturb", tok, OPT_FINITE | OPT_NONNEG);
	}
	if (cl->nsigma == 0)
		usage_die("--perturb: no value given");
	free(s);
}

static int is_written_column(const char *name)
{
	static const char *const own[] = { "id", "x", "parent", "walker", "step" };

	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (!strcmp(name, own[i]))
			return 1;
	return 0;
}

static void parse_keep(struct cmdline *cl, const char *arg)
{
	char *s = xstrdup(arg), *save = NULL, *tok;

	opt_list("--keep", arg);
	free(cl->keep_buf);
	free(cl->keep);
	cl->keep = NULL;
	cl->nkeep = 0;
	cl->keep_buf = s;

	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!pal_name_valid(tok))
			usage_die("--keep: invalid column name '%s'", tok);
		if (is_written_column(tok))
			usage_die("--keep: pal-gen writes '%s' itself", tok);
		for (uint32_t i = 0; i < cl->nkeep; i++)
			if (!strcmp(cl->keep[i], tok))
				usage_die("--keep: '%s' named twice", tok);
		if (cl->nkeep == PAL_MAX_COLS - 5)
			usage_die("--keep: too many columns");
		cl->keep = xrealloc(cl->keep, (cl->nkeep + 1) * sizeof(*cl->keep));
		cl->keep[cl->nkeep++] = tok;
	}
	if (cl->nkeep == 0)
		usage_die("--keep: empty list");
}

static void set_mode(struct cmdline *cl, enum mode m, const char *opt)
{
	if (cl->mode != MODE_DESIGN && cl->mode != m)
		usage_die("%s: give one of --perturb, --walk and --exec", opt);
	cl->mode = m;
}

/* Make the box: --bounds, repeated over --dim if it gave one range. */
static void settle_box(struct cmdline *cl)
{
	if (cl->nbounds && cl->dim_set && cl->nbounds != 1 &&
	    cl->nbounds != cl->dim)
		usage_die("--dim %" PRIu32 " and --bounds with %" PRIu32
			  " ranges disagree", cl->dim, cl->nbounds);
	if (cl->nbounds && !cl->dim_set)
		cl->dim = cl->nbounds;
	if (cl->nbounds == 1 && cl->dim > 1) {
		cl->lo = xrealloc(cl->lo, cl->dim * sizeof(double));
		cl->hi = xrealloc(cl->hi, cl->dim * sizeof(double));
		for (uint32_t j = 1; j < cl->dim; j++) {
			cl->lo[j] = cl->lo[0];
			cl->hi[j] = cl->hi[0];
		}
	}
	if (!cl->nbounds && cl->dim) {
		cl->lo = xcalloc(cl->dim, sizeof(double));
		cl->hi = xmalloc(cl->dim * sizeof(double));
		for (uint32_t j = 0; j < cl->dim; j++)
			cl->hi[j] = 1.0;
	}
}

static void check_design(struct cmdline *cl)
{
	const char *name = method_names[cl->method];

	if (!cl->n_set)
		usage_die("missing --n (how many points)");
	if (!cl->dim)
		usage_die("give --dim or --bounds (the dimension of x)");
	if ((cl->scramble || cl->skip_set) && cl->method != SOBOL &&
	    cl->method != HALTON)
		usage_die("--scramble and --skip apply only to sobol and "
			  "halton, not %s", name);
	if (cl->method == SOBOL && cl->dim > SOBOL_MAXDIM)
		usage_die("sobol: dimension %" PRIu32 " is more than the %u "
			  "with built-in direction numbers (use halton or lhs)",
			  cl->dim, SOBOL_MAXDIM);
	if (cl->method == HALTON && cl->dim > HALTON_MAXDIM)
		usage_die("halton: dimension %" PRIu32 " is more than %u",
			  cl->dim, HALTON_MAXDIM);
	if ((cl->method == SOBOL || cl->method == HALTON) &&
	    (cl->skip >= DESIGN_MAX_INDEX ||
	     cl->n > DESIGN_MAX_INDEX - cl->skip))
		usage_die("%s: --skip plus --n is more than 2^53 points", name);
	if (cl->method == LHS && cl->n > DESIGN_MAX_INDEX)
		usage_die("lhs: --n is more than 2^53 points");
	if (cl->method == GRID) {
		uint64_t total = 1;

		for (uint32_t j = 0; j < cl->dim && cl->n; j++) {
			if (total > UINT64_MAX / cl->n)
				usage_die("grid: %" PRIu64 "^%" PRIu32 " points "
					  "do not fit in 64 bits", cl->n, cl->dim);
			total *= cl->n;
		}
		cl->grid_n = cl->n;
		cl->n = cl->n ? total : 0;
	}
	if (cl->n && cl->start_id > UINT64_MAX - (cl->n - 1))
		usage_die("--start-id %" PRIu64 " leaves no room for %" PRIu64
			  " ids", cl->start_id, cl->n);
}

static void check_args(struct cmdline *cl)
{
	int stepping = cl->mode == MODE_PERTURB || cl->mode == MODE_WALK;

	if (cl->mode != MODE_DESIGN && (cl->method_set || cl->scramble ||
					cl->skip_set))
		usage_die("--method, --scramble and --skip make a design: they "
			  "do not go with --perturb, --walk or --exec");
	if (cl->n_set && stepping)
		usage_die("--n does not go with --perturb or --walk (one row "
			  "per input row and copy)");
	if (cl->dim_set && stepping)
		usage_die("--dim does not go with --perturb or --walk (the "
			  "input's x gives it)");
	if ((cl->copies_set || cl->nkeep) && !stepping)
		usage_die("--copies and --keep apply only with --perturb or "
			  "--walk");
	if (cl->input && cl->mode == MODE_DESIGN)
		usage_die("-i applies only with --perturb, --walk or --exec");
	if ((cl->dt_set || cl->friction_set || cl->temperature_set) &&
	    cl->mode != MODE_WALK)
		usage_die("--dt, --friction and --temperature apply only with "
			  "--walk");
	if (cl->mode == MODE_WALK && (!cl->dt_set || !cl->temperature_set))
		usage_die("--walk langevin needs --dt and --temperature");
	settle_box(cl);
	if (cl->mode == MODE_PERTURB && cl->nsigma > 1 && cl->dim &&
	    cl->nsigma != cl->dim)
		usage_die("--perturb has %" PRIu32 " values for %" PRIu32
			  " dimensions", cl->nsigma, cl->dim);
	if (cl->mode == MODE_DESIGN)
		check_design(cl);
}

static void parse_args(struct cmdline *cl, int argc, char **argv)
{
	enum { OPT_BOUNDS = 256, OPT_COPIES, OPT_DIM, OPT_DT, OPT_EXEC,
	       OPT_FRICTION, OPT_KEEP, OPT_METHOD, OPT_N, OPT_PERTURB,
	       OPT_SCRAMBLE, OPT_SEED, OPT_SKIP, OPT_START_ID,
	       OPT_TEMPERATURE, OPT_WALK, OPT_PROGRESS, OPT_QUIET };
	static const struct option opts[] = {
		{ "bounds", required_argument, NULL, OPT_BOUNDS },
		{ "copies", required_argument, NULL, OPT_COPIES },
		{ "dim", required_argument, NULL, OPT_DIM },
		{ "dt", required_argument, NULL, OPT_DT },
		{ "exec", required_argument, NULL, OPT_EXEC },
		{ "friction", required_argument, NULL, OPT_FRICTION },
		{ "help", no_argument, NULL, 'h' },
		{ "input", required_argument, NULL, 'i' },
		{ "keep", required_argument, NULL, OPT_KEEP },
		{ "method", required_argument, NULL, OPT_METHOD },
		{ "n", required_argument, NULL, OPT_N },
		{ "output", required_argument, NULL, 'o' },
		{ "perturb", required_argument, NULL, OPT_PERTURB },
		{ "progress", no_argument, NULL, OPT_PROGRESS },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "scramble", no_argument, NULL, OPT_SCRAMBLE },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "skip", required_argument, NULL, OPT_SKIP },
		{ "start-id", required_argument, NULL, OPT_START_ID },
		{ "temperature", required_argument, NULL, OPT_TEMPERATURE },
		{ "version", no_argument, NULL, 'V' },
		{ "walk", required_argument, NULL, OPT_WALK },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(cl, 0, sizeof(*cl));
	cl->copies = 1;
	cl->friction = 1.0;
	while ((c = getopt_long(argc, argv, "hi:o:V", opts, NULL)) != -1) {
		switch (c) {
		case OPT_BOUNDS:
			parse_bounds(cl, optarg);
			break;
		case OPT_COPIES:
			cl->copies = opt_u64("--copies", optarg, 1,
						 UINT32_MAX);
			cl->copies_set = 1;
			break;
		case OPT_DIM:
			cl->dim = (uint32_t)opt_u64("--dim", optarg, 1,
							PAL_MAX_WIDTH);
			cl->dim_set = 1;
			break;
		case OPT_DT:
			cl->dt = opt_double("--dt", optarg, OPT_FINITE | OPT_POSITIVE);
			cl->dt_set = 1;
			break;
		case OPT_EXEC:
			set_mode(cl, MODE_EXEC, "--exec");
			cl->exec = optarg;
			break;
		case OPT_FRICTION:
			cl->friction = opt_double("--friction", optarg, OPT_FINITE | OPT_POSITIVE);
			cl->friction_set = 1;
			break;
		case 'h':
			usage(0);
		case 'i':
			cl->input = optarg;
			break;
		case OPT_KEEP:
			parse_keep(cl, optarg);
			break;
		case OPT_METHOD: {
			size_t m;

			for (m = 0; m < sizeof(method_names) /
				    sizeof(method_names[0]); m++)
				if (!strcmp(optarg, method_names[m]))
					break;
			if (m == sizeof(method_names) / sizeof(method_names[0]))
				usage_die("--method: unknown method '%s' (use "
					  "uniform, normal, sobol, halton, lhs "
					  "or grid)", optarg);
			cl->method = (enum method)m;
			cl->method_set = 1;
			break;
		}
		case OPT_N:
			cl->n = opt_u64("--n", optarg, 0, UINT64_MAX);
			cl->n_set = 1;
			break;
		case OPT_PROGRESS:
		case OPT_QUIET:
			cl->progress = c == OPT_PROGRESS ? PROGRESS_ON :
				       PROGRESS_OFF;
			break;
		case 'o':
			cl->output = optarg;
			break;
		case OPT_PERTURB:
			set_mode(cl, MODE_PERTURB, "--perturb");
			parse_sigma(cl, optarg);
			break;
		case OPT_SCRAMBLE:
			cl->scramble = 1;
			break;
		case OPT_SEED:
			cl->seed = opt_u64("--seed", optarg, 0, UINT64_MAX);
			break;
		case OPT_SKIP:
			cl->skip = opt_u64("--skip", optarg, 0, UINT64_MAX);
			cl->skip_set = 1;
			break;
		case OPT_START_ID:
			cl->start_id = opt_u64("--start-id", optarg, 0,
						   UINT64_MAX);
			break;
		case OPT_TEMPERATURE:
			cl->temperature = opt_double("--temperature", optarg,
						     OPT_FINITE | OPT_NONNEG);
			cl->temperature_set = 1;
			break;
		case 'V':
			opt_version();
		case OPT_WALK:
			if (strcmp(optarg, "langevin"))
				usage_die("--walk: unknown walk '%s' (use "
					  "langevin)", optarg);
			set_mode(cl, MODE_WALK, "--walk");
			break;
		default:
			usage(PAL_EXIT_USAGE);
		}
	}
	if (optind < argc)
		usage_die("unexpected argument '%s' (read old points with -i "
			  "or from standard input)", argv[optind]);
	check_args(cl);
	if (cl->mode == MODE_PERTURB || cl->mode == MODE_WALK)
		in_refuse_tty(cl->input);
}

/* ---- designs ------------------------------------------------------------- */

/* lo + (hi - lo) u for u in [0, 1], never past hi. */
static double to_box(double u, double lo, double hi)
{
	double v;

	if (u >= 1.0)
		return hi;
	v = lo + (hi - lo) * u;
	return v > hi ? hi : v;
}

static void gen_design(const struct cmdline *cl, struct pal_writer *w,
		       struct progress *prog)
{
	struct pal_col schema[2] = {
		{ .name = "id", .dtype = PAL_U64, .width = 1 },
		{ .name = "x", .dtype = PAL_F64, .width = cl->dim },
	};
	uint64_t cap = pal_default_rows(schema, 2);
	uint32_t d = cl->dim;
	struct pal_batch *b;
	struct sobol *sob = NULL;
	struct halton *hal = NULL;
	struct lhs *lhs = NULL;
	struct rng r;

	if (cap > cl->n)
		cap = cl->n ? cl->n : 1;
	b = pal_batch_new(schema, 2, cap);
	if (!b)
		die("out of memory for frames of %" PRIu64 " rows", cap);
	rng_seed(&r, cl->seed, 0);
	if (cl->method == SOBOL)
		sob = sobol_new(d, cl->skip, cl->scramble, cl->seed);
	else if (cl->method == HALTON)
		hal = halton_new(d, cl->skip, cl->scramble, cl->seed);
	else if (cl->method == LHS)
		lhs = lhs_new(d, cl->n, cl->seed);
	if ((cl->method == SOBOL && !sob) || (cl->method == HALTON && !hal) ||
	    (cl->method == LHS && !lhs))
		die("out of memory for a %s design in %" PRIu32 " dimensions",
		    method_names[cl->method], d);
	/* The grid's --n is per dimension; check_design made cl->n the total. */
	for (uint64_t i = 0; i < cl->n; i++) {
		uint64_t row = b->f.nrows;
		double *x = (double *)b->f.cols[1].data + row * d;

		((uint64_t *)b->f.cols[0].data)[row] = cl->start_id + i;
		switch (cl->method) {
		case UNIFORM:
			for (uint32_t j = 0; j < d; j++)
				x[j] = rng_uniform(&r);
			break;
		case NORMAL:
			for (uint32_t j = 0; j < d; j++)
				x[j] = rng_normal(&r);
			break;
		case SOBOL:
			sobol_next(sob, x);
			break;
		case HALTON:
			halton_next(hal, x);
			break;
		case LHS:
			lhs_next(lhs, x);
			break;
		case GRID:
			grid_point(cl->grid_n, d, i, x);
			break;
		}
		for (uint32_t j = 0; j < d; j++)
			x[j] = cl->method == NORMAL ?
			       0.5 * (cl->lo[j] + cl->hi[j]) +
			       0.25 * (cl->hi[j] - cl->lo[j]) * x[j] :
			       to_box(x[j], cl->lo[j], cl->hi[j]);
		if (++b->f.nrows == b->cap) {
			xpal_write(w, &b->f);
			pal_batch_clear(b);
			prog->done = i + 1;
			progress_show(prog);
		}
	}
	if (b->f.nrows)
		xpal_write(w, &b->f);
	prog->done = cl->n;
	pal_batch_free(b);
	sobol_free(sob);
	halton_free(hal);
	lhs_free(lhs);
}

/* ---- steps from old points ------------------------------------------------ */

/* y folded back into [lo, hi] by reflection at the walls, as often as it
 * takes. */
static double reflect(double y, double lo, double hi)
{
	double w = hi - lo, t;

	if (y >= lo && y <= hi)
		return y;
	t = fmod(y - lo, 2 * w);
	if (t < 0)
		t += 2 * w;
	if (t > w)
		t = 2 * w - t;
	y = lo + t;
	return y < lo ? lo : y > hi ? hi : y;
}

/* The columns of one input frame that a step reads. */
struct incols {
	const uint64_t *id, *walker, *step;
	const double *x, *grad;
	const struct pal_col *keep[PAL_MAX_COLS];
};

struct stepper {
	struct cmdline *cl;
	struct pal_writer *w;
	struct pal_batch *b;		/* NULL until the first data frame */
	uint32_t dim;
	uint32_t nown;			/* columns pal-gen writes itself */
	uint64_t next_id;
	int ids_left;			/* 0 once next_id has wrapped */
	struct rng r;
	double drift, noise;		/* --walk: dt/friction, sqrt(2 kT dt/friction) */
	const char *inname;		/* the input, for messages ("stdin") */
};

static const struct pal_col *need_col(const struct stepper *s,
				      const struct pal_frame *f,
				      const char *name, int dtype,
				      uint32_t width, int required)
{
	const struct pal_col *c = pal_col_find(f, name);

	if (!c) {
		if (required)
			die("input has no column '%s' (%s: frame %" PRIu64
			    " at offset %" PRIu64 ")", name, s->inname,
			    f->index, f->offset);
		return NULL;
	}
	if ((dtype && c->dtype != dtype) || (width && c->width != width))
		die("input column '%s' is %s of width %" PRIu32 ", not %s of "
		    "width %" PRIu32 " (%s: frame %" PRIu64 " at offset %"
		    PRIu64 ")", name, pal_dtype_name(c->dtype), c->width,
		    pal_dtype_name(dtype), width, s->inname, f->index,
		    f->offset);
	return c;
}

/* Fix the output schema and the box from the first data frame. */
static void stepper_start(struct stepper *s, const struct pal_frame *f,
			  const struct pal_col *x)
{
	struct cmdline *cl = s->cl;
	struct pal_col schema[PAL_MAX_COLS];
	uint32_t n = 0;

	s->dim = x->width;
	if (cl->nbounds == 1 && s->dim > 1) {
		cl->nbounds = s->dim;
		cl->lo = xrealloc(cl->lo, s->dim * sizeof(double));
		cl->hi = xrealloc(cl->hi, s->dim * sizeof(double));
		for (uint32_t j = 1; j < s->dim; j++) {
			cl->lo[j] = cl->lo[0];
			cl->hi[j] = cl->hi[0];
		}
	}
	if (cl->nbounds && cl->nbounds != s->dim)
		die("input x has width %" PRIu32 " but --bounds gives %" PRIu32
		    " ranges (%s: frame %" PRIu64 " at offset %" PRIu64 ")",
		    s->dim, cl->nbounds, s->inname, f->index, f->offset);
	if (cl->mode == MODE_PERTURB && cl->nsigma == 1 && s->dim > 1) {
		cl->sigma = xrealloc(cl->sigma, s->dim * sizeof(double));
		for (uint32_t j = 1; j < s->dim; j++)
			cl->sigma[j] = cl->sigma[0];
		cl->nsigma = s->dim;
	}
	if (cl->mode == MODE_PERTURB && cl->nsigma != s->dim)
		die("--perturb has %" PRIu32 " values but input x has width %"
		    PRIu32 " (%s: frame %" PRIu64 " at offset %" PRIu64 ")",
		    cl->nsigma, s->dim, s->inname, f->index, f->offset);
	schema[n++] = (struct pal_col){ .name = "id", .dtype = PAL_U64,
					.width = 1 };
	schema[n++] = (struct pal_col){ .name = "x", .dtype = PAL_F64,
					.width = s->dim };
	schema[n++] = (struct pal_col){ .name = "parent", .dtype = PAL_U64,
					.width = 1 };
	schema[n++] = (struct pal_col){ .name = "walker", .dtype = PAL_U64,
					.width = 1 };
	if (cl->mode == MODE_WALK)
		schema[n++] = (struct pal_col){ .name = "step",
						.dtype = PAL_U64, .width = 1 };
	s->nown = n;
	for (uint32_t k = 0; k < cl->nkeep; k++) {
		const struct pal_col *c = need_col(s, f, cl->keep[k], 0, 0, 1);

		schema[n] = *c;
		schema[n++].data = NULL;
	}
	s->b = pal_batch_new(schema, n, pal_default_rows(schema, n));
	if (!s->b)
		die("out of memory for output frames");
}

static void find_incols(struct stepper *s, const struct pal_frame *f,
			struct incols *in)
{
	const struct cmdline *cl = s->cl;
	const struct pal_col *x = need_col(s, f, "x", PAL_F64, 0, 1);
	const struct pal_col *c;

	if (!s->b)
		stepper_start(s, f, x);
	if (x->width != s->dim)
		die("input x changes width from %" PRIu32 " to %" PRIu32
		    " (%s: frame %" PRIu64 " at offset %" PRIu64 ")", s->dim,
		    x->width, s->inname, f->index, f->offset);
	in->x = x->data;
	in->id = need_col(s, f, "id", PAL_U64, 1, 1)->data;
	c = need_col(s, f, "walker", PAL_U64, 1, 0);
	in->walker = c ? c->data : NULL;
	in->step = NULL;
	in->grad = NULL;
	if (cl->mode == MODE_WALK) {
		in->grad = need_col(s, f, "grad", PAL_F64, s->dim, 1)->data;
		c = need_col(s, f, "step", PAL_U64, 1, 0);
		in->step = c ? c->data : NULL;
	}
	for (uint32_t k = 0; k < cl->nkeep; k++) {
		const struct pal_col *want = &s->b->f.cols[s->nown + k];

		in->keep[k] = need_col(s, f, want->name, want->dtype, want->width,
				       1);
	}
}

/* Check the input point of row r: finite, and inside the box if any. */
static void check_point(const struct stepper *s, const struct incols *in,
			uint64_t r)
{
	const struct cmdline *cl = s->cl;
	const double *x = in->x + r * s->dim;

	for (uint32_t j = 0; j < s->dim; j++) {
		if (!isfinite(x[j]))
			die("input row id %" PRIu64 " has a non-finite x "
			    "(%s: x.%" PRIu32 " = %g)", in->id[r], s->inname,
			    j, x[j]);
		if (in->grad && !isfinite(in->grad[r * s->dim + j]))
			die("input row id %" PRIu64 " has a non-finite grad "
			    "(%s: grad.%" PRIu32 " = %g)", in->id[r],
			    s->inname, j, in->grad[r * s->dim + j]);
		if (cl->nbounds && (x[j] < cl->lo[j] || x[j] > cl->hi[j]))
			die("input row id %" PRIu64 " is outside --bounds "
			    "(%s: x.%" PRIu32 " = %.17g not in [%.17g, %.17g])",
			    in->id[r], s->inname, j, x[j], cl->lo[j],
			    cl->hi[j]);
	}
}

static void step_row(struct stepper *s, const struct incols *in, uint64_t r)
{
	const struct cmdline *cl = s->cl;
	struct pal_frame *o = &s->b->f;
	const double *x = in->x + r * s->dim;
	const double *g = in->grad ? in->grad + r * s->dim : NULL;

	for (uint64_t c = 0; c < cl->copies; c++) {
		uint64_t row = o->nrows;
		double *y = (double *)o->cols[1].data + row * s->dim;
		uint32_t k = 2;

		if (!s->ids_left)
			die("ids run out past %" PRIu64 " (use a smaller "
			    "--start-id)", UINT64_MAX);
		((uint64_t *)o->cols[0].data)[row] = s->next_id;
		s->ids_left = s->next_id++ != UINT64_MAX;
		for (uint32_t j = 0; j < s->dim; j++) {
			if (cl->mode == MODE_PERTURB)
				y[j] = x[j] + cl->sigma[j] * rng_normal(&s->r);
			else if (s->noise > 0)
				y[j] = x[j] - s->drift * g[j] +
				       s->noise * rng_normal(&s->r);
			else
				y[j] = x[j] - s->drift * g[j];
			if (cl->nbounds)
				y[j] = reflect(y[j], cl->lo[j], cl->hi[j]);
			else if (!isfinite(y[j]))
				die("step from input row id %" PRIu64 " is not "
				    "finite (%s: x.%" PRIu32 ")", in->id[r],
				    s->inname, j);
		}
		((uint64_t *)o->cols[k++].data)[row] = in->id[r];
		((uint64_t *)o->cols[k++].data)[row] =
			in->walker ? in->walker[r] : in->id[r];
		if (cl->mode == MODE_WALK)
			((uint64_t *)o->cols[k++].data)[row] =
				in->step ? in->step[r] + 1 : 1;
		for (uint32_t q = 0; q < cl->nkeep; q++, k++) {
			size_t rb = pal_col_rowbytes(in->keep[q]);

			memcpy((char *)o->cols[k].data + row * rb,
			       (const char *)in->keep[q]->data + r * rb, rb);
		}
		if (++o->nrows == s->b->cap) {
			xpal_write(s->w, o);
			pal_batch_clear(s->b);
		}
	}
}

/* The size of the input at path (NULL or "-": stdin) if it is a regular
 * file, else 0. */
static uint64_t input_size(const char *path)
{
	struct stat st;

	if ((path && strcmp(path, "-") ? stat(path, &st) : fstat(0, &st)) != 0 ||
	    !S_ISREG(st.st_mode))
		return 0;
	return (uint64_t)st.st_size;
}

static void gen_steps(struct cmdline *cl, struct pal_writer *w,
		      struct progress *prog)
{
	int fd = xopen_in(cl->input);
	struct pal_reader *r = xreader(fd, cl->input ? cl->input : "-");
	const struct pal_frame *f;
	struct stepper s = { .cl = cl, .w = w, .next_id = cl->start_id,
			     .ids_left = 1 };
	struct incols in;

	s.inname = cl->input && strcmp(cl->input, "-") ? cl->input : "stdin";
	rng_seed(&s.r, cl->seed, 0);
	s.drift = cl->dt / cl->friction;
	s.noise = sqrt(2.0 * cl->temperature * s.drift);
	while (xpal_read(r, &f) > 0) {
		if (f->kind == PAL_META) {
			xpal_passthrough(w, r, f);
			continue;
		}
		find_incols(&s, f, &in);
		for (uint64_t i = 0; i < f->nrows; i++) {
			check_point(&s, &in, i);
			step_row(&s, &in, i);
		}
		prog->done += f->nrows;
		prog->bytes = pal_reader_offset(r);
		progress_show(prog);
	}
	if (s.b && s.b->f.nrows)
		xpal_write(w, &s.b->f);
	pal_batch_free(s.b);
	pal_reader_free(r);
	if (fd != 0)
		close(fd);
}

/* ---- a user's generator -------------------------------------------------- */

struct child {
	const char *cmd;
	struct proc_child pc;		/* its process group dies with us */
	int fd;				/* our end of its standard output */
};

static void setenv_u64(const char *name, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	setenv(name, buf, 1);
}

/*
 * Run cl->exec through /bin/sh -c with its standard output on a socket (so
 * that its first bytes can be peeked at), its standard input from -i or
 * ours, and the options in its environment.  It runs in a process group of
 * its own (proc.h), killed if we die, by a signal or by SIGKILL; since a
 * background group cannot read the terminal, a terminal as our standard
 * input becomes /dev/null for it.
 */
static void child_start(struct child *ch, const struct cmdline *cl)
{
	char *sh = proc_sh_command(cl->exec);
	char *argv[] = { (char *)"/bin/sh", (char *)"-c", sh, NULL };
	struct proc_spec spec = { .argv = argv, .fd_err = -1 };
	struct pal_error err;
	int sv[2], in = cl->input ? xopen_in(cl->input) : 0;

	ch->cmd = cl->exec;
	if (!sh)
		die("out of memory");
	if (in == 0 && isatty(0)) {
		in = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (in < 0)
			die_errno("cannot open '/dev/null'");
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		die_errno("cannot make a socket for '%s'", cl->exec);
	setenv_u64("PAL_SEED", cl->seed);
	setenv_u64("PAL_START_ID", cl->start_id);
	if (cl->n_set)
		setenv_u64("PAL_N", cl->n);
	if (cl->dim)
		setenv_u64("PAL_DIM", cl->dim);
	if (cl->bounds_arg)
		setenv("PAL_BOUNDS", cl->bounds_arg, 1);
	spec.fd_in = in;
	spec.fd_out = sv[1];
	fflush(NULL);
	if (proc_start(&ch->pc, &spec, &err) < 0)
		die("%s", err.msg);
	free(sh);
	close(sv[1]);
	if (in != 0)
		close(in);
	ch->fd = sv[0];
}

/* Describe how the child ended into buf; returns 1 if it succeeded. */
static int child_status(const struct child *ch, int st, char *buf, size_t cap)
{
	if (WIFEXITED(st)) {
		snprintf(buf, cap, "command '%s' exited with status %d",
			 ch->cmd, WEXITSTATUS(st));
		return WEXITSTATUS(st) == 0;
	}
	if (WIFSIGNALED(st))
		snprintf(buf, cap, "command '%s' was killed by signal %d (%s)",
			 ch->cmd, WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		snprintf(buf, cap, "command '%s' ended with wait status %d",
			 ch->cmd, st);
	return 0;
}

/*
 * The child printed something we cannot use: stop it, and die naming both
 * the defect and, if the child had failed on its own, how.
 */
static _Noreturn void child_bad_output(struct child *ch, const char *why)
{
	char how[512];
	int st;

	close(ch->fd);
	/* A command whose output ended is exiting: give it 100 ms, so that
	 * its own status is what we report, then stop it (its group). */
	for (int i = 0; i < 20 && !proc_poll(&ch->pc); i++)
		nanosleep(&(struct timespec){ .tv_nsec = 5000000 }, NULL);
	if (!proc_poll(&ch->pc)) {
		proc_kill(&ch->pc, SIGTERM);
		st = proc_wait(&ch->pc);
		if (WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM)
			die("bad output from command '%s': %s", ch->cmd, why);
	}
	st = ch->pc.wstatus;
	if (!child_status(ch, st, how, sizeof(how)))
		die("%s, and its output is bad: %s", how, why);
	die("bad output from command '%s': %s", ch->cmd, why);
}

/* Reap the child after its output ended; die unless it exited 0. */
static void child_finish(struct child *ch)
{
	char how[512];

	if (!child_status(ch, proc_wait(&ch->pc), how, sizeof(how)))
		die("%s (its output is discarded as incomplete)", how);
}

/*
 * A stdio stream on the child's output that keeps a copy of the first bytes
 * read through it, so that the header line csv.c reads can be looked at
 * afterwards (csv.c numbers rows itself when the header has no "id", and
 * does not say whether it did).
 */
#define TAP_MAX (1u << 20)

struct tap {
	int fd;
	char *buf;
	size_t len;
	int done;
};

static ssize_t tap_read(void *cookie, char *b, size_t size)
{
	struct tap *t = cookie;
	ssize_t n;

	do
		n = read(t->fd, b, size);
	while (n < 0 && errno == EINTR);
	if (n > 0 && !t->done) {
		size_t k = (size_t)n;

		if (k > TAP_MAX - t->len) {
			k = TAP_MAX - t->len;
			t->done = 1;
		}
		t->buf = xrealloc(t->buf, t->len + k + 1);
		memcpy(t->buf + t->len, b, k);
		t->len += k;
		t->buf[t->len] = '\0';
	}
	return n;
}

/*
 * Whether the header line in the text s (its first line that is neither
 * blank nor a '#' comment, as csv.c has it) names a column "id".
 */
static int header_has_id(char *s)
{
	char *line, *end, *save = NULL, *tok;
	int found = 0;

	for (line = s; line && *line; line = end ? end + 1 : NULL) {
		end = strchr(line, '\n');
		if (end)
			*end = '\0';
		line += strspn(line, " \t");
		if (*line != '\0' && *line != '#' && *line != '\r')
			break;
	}
	if (!line)
		return 0;
	for (tok = strtok_r(line, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		tok += strspn(tok, " \t\"");
		found |= !strncmp(tok, "id", 2) &&
			 tok[2 + strspn(tok + 2, " \t\"\r")] == '\0';
	}
	return found;
}

/* Check a data frame from the child: id and x, as the options expect. */
static const char *check_child_frame(const struct cmdline *cl,
				     const struct pal_frame *f, uint32_t *dim,
				     char *why, size_t cap)
{
	const struct pal_col *id = pal_col_find(f, "id");
	const struct pal_col *x = pal_col_find(f, "x");

	if (!id || id->dtype != PAL_U64 || id->width != 1)
		snprintf(why, cap, "no u64 column 'id' of width 1");
	else if (!x || x->dtype != PAL_F64)
		snprintf(why, cap, "no f64 column 'x' (a CSV header needs "
			 "x or x.0, x.1, ...)");
	else if (*dim && x->width != *dim)
		snprintf(why, cap, "x has width %" PRIu32 ", not %" PRIu32,
			 x->width, *dim);
	else
		goto width_ok;
	return why;
width_ok:
	*dim = x->width;
	if (cl->nbounds)
		for (uint64_t i = 0; i < f->nrows * x->width; i++) {
			double v = ((const double *)x->data)[i];
			uint32_t j = (uint32_t)(i % x->width);

			if (!(v >= cl->lo[j] && v <= cl->hi[j])) {
				snprintf(why, cap, "row id %" PRIu64 " is "
					 "outside --bounds (x.%" PRIu32 " = %g)",
					 ((const uint64_t *)id->data)[i /
								       x->width],
					 j, v);
				return why;
			}
		}
	return NULL;
}

static void exec_pal(const struct cmdline *cl, struct child *ch,
		     struct pal_writer *w)
{
	struct pal_reader *r = xreader(ch->fd, "command output");
	const struct pal_frame *f;
	uint32_t dim = cl->dim;
	char why[600];
	int k;

	while ((k = pal_read(r, &f)) > 0) {
		if (f->kind == PAL_DATA &&
		    check_child_frame(cl, f, &dim, why, sizeof(why)))
			child_bad_output(ch, why);
		xpal_passthrough(w, r, f);
	}
	if (k < 0)
		child_bad_output(ch, pal_reader_error(r)->msg);
	pal_reader_free(r);
	close(ch->fd);
}

static void exec_csv(const struct cmdline *cl, struct child *ch,
		     struct pal_writer *w)
{
	static const cookie_io_functions_t io = { .read = tap_read };
	struct tap tap = { .fd = ch->fd };
	FILE *fp = fopencookie(&tap, "r", io);
	struct pal_error err = { 0 };
	struct csv_reader *cr;
	const struct pal_col *schema;
	struct pal_batch *b;
	uint32_t ncols, dim = cl->dim;
	uint64_t next_id = cl->start_id;
	char why[600];
	int has_id;
	int64_t k;

	if (!fp)
		die_errno("cannot read the output of '%s'", ch->cmd);
	cr = csv_reader_open(fp, "command output", ',', NULL, 0, &err);
	if (!cr)
		child_bad_output(ch, err.msg);
	tap.done = 1;
	has_id = header_has_id(tap.buf);
	free(tap.buf);
	schema = csv_schema(cr, &ncols);
	b = pal_batch_new(schema, ncols, pal_default_rows(schema, ncols));
	if (!b)
		die("out of memory");
	/* A header without x is not candidates, even with no rows. */
	if (check_child_frame(cl, &b->f, &dim, why, sizeof(why)))
		child_bad_output(ch, why);
	while ((k = csv_read(cr, b, &err)) > 0) {
		uint64_t *ids = (uint64_t *)b->f.cols[0].data;

		/* Without an id column, csv.c numbered the rows from 0. */
		for (uint64_t i = 0; !has_id && i < b->f.nrows; i++) {
			if (next_id < cl->start_id)
				die("ids run out past %" PRIu64, UINT64_MAX);
			ids[i] = next_id++;
		}
		if (check_child_frame(cl, &b->f, &dim, why, sizeof(why)))
			child_bad_output(ch, why);
		xpal_write(w, &b->f);
		pal_batch_clear(b);
	}
	if (k < 0)
		child_bad_output(ch, err.msg);
	pal_batch_free(b);
	csv_reader_free(cr);
	fclose(fp);
	close(ch->fd);
}

static void gen_exec(const struct cmdline *cl, struct pal_writer *w)
{
	struct child ch;
	unsigned char magic[1];
	ssize_t n;

	child_start(&ch, cl);
	/*
	 * One byte tells: a pal stream starts with 0x89, which no CSV text
	 * does (in UTF-8 it cannot start a character).  The pal reader then
	 * checks the rest of the magic.
	 */
	do
		n = recv(ch.fd, magic, 1, MSG_PEEK);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		die_errno("cannot read the output of '%s'", ch.cmd);
	if (n == 1 && magic[0] == (unsigned char)PAL_MAGIC[0])
		exec_pal(cl, &ch, w);
	else
		exec_csv(cl, &ch, w);
	child_finish(&ch);
}

int main(int argc, char **argv)
{
	struct cmdline cl;
	struct out out;
	struct pal_writer *w;
	struct progress prog;

	pal_init("pal-gen");
	parse_args(&cl, argc, argv);
	out_open(&out, cl.output);
	out_refuse_tty(&out);
	w = xwriter(out.fd, out.name, PAL_LEVEL_KEEP);
	/* Points made of --n, or input rows stepped (and bytes read of the
	 * input's size, for the share done). */
	progress_start(&prog, cl.progress,
		       cl.mode == MODE_DESIGN ? "points" : "rows", out.fd);
	switch (cl.mode) {
	case MODE_DESIGN:
		prog.total = cl.n;
		gen_design(&cl, w, &prog);
		break;
	case MODE_PERTURB:
	case MODE_WALK:
		prog.total_bytes = input_size(cl.input);
		gen_steps(&cl, w, &prog);
		break;
	case MODE_EXEC:
		gen_exec(&cl, w);
		break;
	}
	progress_end(&prog);
	xpal_finish(w);
	pal_writer_free(w);
	out_commit(&out);
	free(cl.lo);
	free(cl.hi);
	free(cl.sigma);
	free(cl.keep);
	free(cl.keep_buf);
	return 0;
}
