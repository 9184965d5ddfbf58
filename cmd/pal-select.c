/*
 * pal-select: decide which rows go to the oracle (PAL's prediction_check).
 *
 * It reads one pal stream of predictions (x, mean, std per row), scores each
 * row by a rule, and writes the chosen rows to the output and every other
 * row to --rest, so that selected plus rest is exactly the input.  A
 * trust band (--trust-lo, --trust-hi: DP-GEN's) keeps the rows whose std
 * is outside it from every rule, and counts them.  Without --top it
 * streams frame by frame; with --top k it keeps the k
 * best rows (or a pool of them, for --diverse and --min-dist) in a bounded
 * heap, so its memory does not depend on the length of the input.
 *
 * What it is not: it does not predict, and it does not look at x except to
 * keep a batch diverse.  The rules and their conventions are in
 * pal-select(1); the heap and the id set are in libcommon/select.c.
 */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "io.h"
#include "num.h"
#include "opt.h"
#include "progress.h"
#include "select.h"
#include "stream.h"
#include "banned.h"

static const char usage_text[] =
	"usage: pal-select [-hVv] [--best y] [--by rule] [--diverse] [--exclude file]\n"
	"                  [--excluded file] [-i file] [--labeled file] [--min-dist d]\n"
	"                  [-o file] [--pool p] [--progress] [--quiet]\n"
	"                  [--reduce max|mean] [--rest file] [--seed s]\n"
	"                  [--stats file] [--threshold t] [--top k]\n"
	"                  [--trust-hi h] [--trust-lo l] [file]\n";

/* --help: one line an option, as pal-select(1) describes them. */
static const char options_text[] =
	"Options:\n"
	"      --best=Y           the best (least) y so far, for --by ei\n"
	"      --by=RULE          score: std, mean, -mean, ucb:BETA, lcb:BETA, ei, random\n"
	"      --diverse          pick the --top k far apart, from the --pool best\n"
	"      --exclude=FILE     leave out the rows whose id is in the stream FILE\n"
	"      --excluded=FILE    write the excluded rows to FILE instead of --rest\n"
	"  -h, --help             print this help and exit\n"
	"  -i, --input=FILE       read the predictions from FILE (default: stdin)\n"
	"      --labeled=FILE     for --by ei, the best y is the least of FILE's y\n"
	"      --min-dist=D       never select two rows whose x are closer than D\n"
	"  -o, --output=FILE      write the selected rows to FILE (default: stdout)\n"
	"      --pool=P           the best-scoring rows kept for --diverse or --min-dist\n"
	"      --progress         show progress on stderr, even when not a terminal\n"
	"      --quiet            show no progress\n"
	"      --reduce=HOW       reduce a wide mean and std by max (default) or mean\n"
	"      --rest=FILE        write every row not selected to FILE\n"
	"      --seed=S           the seed of the tie-breaking keys and of --by random\n"
	"      --stats=FILE       write the counts of -v to FILE, a key-value line each\n"
	"      --threshold=T      select every row whose std is above T\n"
	"      --top=K            select the K best-scoring rows\n"
	"      --trust-hi=H       never select a row whose std is above H (unphysical)\n"
	"      --trust-lo=L       never select a row whose std is below L (certain)\n"
	"  -V, --version          print the version and exit\n"
	"  -v, --verbose          report at the end where the rows went\n";

enum rule { BY_STD, BY_MEAN, BY_NEGMEAN, BY_UCB, BY_LCB, BY_EI, BY_RANDOM };
enum reduce { REDUCE_MAX, REDUCE_MEAN };

/* Salts that make the tie keys and the random scores unrelated streams. */
#define SALT_TIE 0x7469652d6b657973ull
#define SALT_RANDOM 0x72616e646f6d2121ull

struct cmdline {
	enum rule by;
	const char *by_arg;		/* as given, for messages */
	double beta;			/* ucb:BETA, lcb:BETA */
	enum reduce reduce;
	int has_top;
	uint64_t top;
	int has_threshold;
	double threshold;
	int diverse;
	double min_dist;		/* 0: none */
	uint64_t pool;			/* heap size: top, or the pool */
	int has_best;
	double best;
	uint64_t seed;
	/* The trust band [trust_lo, trust_hi] (DP-GEN's trust levels). */
	int has_band;
	double trust_lo, trust_hi;	/* default 0 and +inf */
	const char *lo_arg, *hi_arg;	/* as given, for messages */
	int verbose;
	int progress;			/* enum progress_mode */
	const char *input, *output, *rest, *exclude, *excluded, *labeled;
	const char *stats;
};

/*
 * Print the synopsis (usage_text, the man page's SYNOPSIS): for --help to
 * stdout with a few lines more and exit 0, else to stderr and exit 2.
 */
static _Noreturn void usage(int status)
{
	if (status == 0) {
		fputs(usage_text, stdout);
		fputs("\nScore the rows of a prediction stream and write the chosen "
		      "ones; --rest\nreceives all the others.\n\n", stdout);
		fputs(options_text, stdout);
		fputs("\nSee pal-select(1).\n", stdout);
		xfclose(stdout, "stdout");
		exit(0);
	}
	fputs(usage_text, stderr);
	exit(PAL_EXIT_USAGE);
}

static void parse_by(struct cmdline *cl, const char *arg)
{
	static const struct { const char *name; enum rule by; } plain[] = {
		{ "std", BY_STD }, { "mean", BY_MEAN }, { "-mean", BY_NEGMEAN },
		{ "ei", BY_EI }, { "random", BY_RANDOM },
	};

	cl->by_arg = arg;
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (!strcmp(arg, plain[i].name)) {
			cl->by = plain[i].by;
			return;
		}
	if (!strncmp(arg, "ucb:", 4) || !strncmp(arg, "lcb:", 4)) {
		cl->by = arg[0] == 'u' ? BY_UCB : BY_LCB;
		cl->beta = opt_double("--by", arg + 4, 0);
		if (!(cl->beta >= 0) || isinf(cl->beta))
			usage_die("--by: beta '%s' is not a finite number >= 0",
				  arg + 4);
		return;
	}
	usage_die("--by: unknown rule '%s' (use std, mean, -mean, ucb:BETA, "
		  "lcb:BETA, ei or random)", arg);
}

/* The cross-checks: every combination that cannot mean anything. */
static void check_args(struct cmdline *cl, int pool_given)
{
	const char *outs[4] = { cl->output, cl->rest, cl->excluded, cl->stats };
	const char *ins[3] = { cl->input, cl->exclude, cl->labeled };
	int n;

	if (!cl->has_top && !cl->has_threshold && !cl->has_band)
		usage_die("give --top, --threshold, --trust-lo or --trust-hi");
	if (cl->trust_lo > cl->trust_hi)
		usage_die("--trust-lo %s is above --trust-hi %s", cl->lo_arg,
			  cl->hi_arg);
	if (cl->by_arg && !cl->has_top)
		usage_die("--by applies only with --top");
	if ((cl->diverse || cl->min_dist > 0) && !cl->has_top)
		usage_die("--diverse and --min-dist apply only with --top");
	if (pool_given && !cl->diverse && !(cl->min_dist > 0))
		usage_die("--pool applies only with --diverse or --min-dist");
	if (cl->by == BY_EI && !cl->has_best && !cl->labeled)
		usage_die("--by ei needs --best or --labeled");
	if (cl->by != BY_EI && (cl->has_best || cl->labeled))
		usage_die("--best and --labeled apply only with --by ei");
	if (cl->has_best && cl->labeled)
		usage_die("give one of --best and --labeled");
	if (cl->excluded && !cl->exclude)
		usage_die("--excluded applies only with --exclude");
	if (cl->diverse || cl->min_dist > 0) {
		if (!pool_given)
			cl->pool = cl->top > UINT64_MAX / 4 ? UINT64_MAX :
				   4 * cl->top;
		if (cl->pool < cl->top)
			usage_die("--pool: %" PRIu64 " is smaller than --top %"
				  PRIu64, cl->pool, cl->top);
	} else {
		cl->pool = cl->top;
	}
	for (int i = n = 0; i < 3; i++)
		n += i == 0 ? !ins[0] || !strcmp(ins[0], "-") :
		     ins[i] && !strcmp(ins[i], "-");
	if (n > 1)
		usage_die("standard input can be read only once (input, "
			  "--exclude, --labeled)");
	for (int i = n = 0; i < 4; i++)
		n += i == 0 ? !outs[0] || !strcmp(outs[0], "-") :
		     outs[i] && !strcmp(outs[i], "-");
	if (n > 1)
		usage_die("only one output can go to standard output (-o, "
			  "--rest, --excluded, --stats)");
	for (int i = 0; i < 4; i++)
		for (int j = i + 1; j < 4; j++)
			if (outs[i] && outs[j] && strcmp(outs[i], "-") &&
			    !strcmp(outs[i], outs[j]))
				usage_die("'%s' is named as two outputs",
					  outs[i]);
}

static void parse_args(struct cmdline *cl, int argc, char **argv)
{
	enum { OPT_BEST = 256, OPT_BY, OPT_DIVERSE, OPT_EXCLUDE, OPT_EXCLUDED,
	       OPT_LABELED, OPT_MIN_DIST, OPT_POOL, OPT_REDUCE, OPT_REST,
	       OPT_SEED, OPT_STATS, OPT_THRESHOLD, OPT_TOP, OPT_TRUST_HI,
	       OPT_TRUST_LO, OPT_PROGRESS, OPT_QUIET };
	static const struct option opts[] = {
		{ "best", required_argument, NULL, OPT_BEST },
		{ "by", required_argument, NULL, OPT_BY },
		{ "diverse", no_argument, NULL, OPT_DIVERSE },
		{ "exclude", required_argument, NULL, OPT_EXCLUDE },
		{ "excluded", required_argument, NULL, OPT_EXCLUDED },
		{ "help", no_argument, NULL, 'h' },
		{ "input", required_argument, NULL, 'i' },
		{ "labeled", required_argument, NULL, OPT_LABELED },
		{ "min-dist", required_argument, NULL, OPT_MIN_DIST },
		{ "output", required_argument, NULL, 'o' },
		{ "pool", required_argument, NULL, OPT_POOL },
		{ "progress", no_argument, NULL, OPT_PROGRESS },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "reduce", required_argument, NULL, OPT_REDUCE },
		{ "rest", required_argument, NULL, OPT_REST },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "stats", required_argument, NULL, OPT_STATS },
		{ "threshold", required_argument, NULL, OPT_THRESHOLD },
		{ "top", required_argument, NULL, OPT_TOP },
		{ "trust-hi", required_argument, NULL, OPT_TRUST_HI },
		{ "trust-lo", required_argument, NULL, OPT_TRUST_LO },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c, pool_given = 0;

	memset(cl, 0, sizeof(*cl));
	cl->by = BY_STD;
	cl->trust_hi = INFINITY;
	cl->lo_arg = "0";
	cl->hi_arg = "inf";
	while ((c = getopt_long(argc, argv, "hVi:o:v", opts, NULL)) != -1) {
		switch (c) {
		case OPT_BEST:
			cl->best = opt_double("--best", optarg, 0);
			if (isinf(cl->best))
				usage_die("--best: '%s' is not finite", optarg);
			cl->has_best = 1;
			break;
		case OPT_BY:
			parse_by(cl, optarg);
			break;
		case OPT_DIVERSE:
			cl->diverse = 1;
			break;
		case OPT_EXCLUDE:
			cl->exclude = optarg;
			break;
		case OPT_EXCLUDED:
			cl->excluded = optarg;
			break;
		case 'h':
			usage(0);
		case 'i':
			cl->input = optarg;
			break;
		case OPT_LABELED:
			cl->labeled = optarg;
			break;
		case OPT_MIN_DIST:
			cl->min_dist = opt_double("--min-dist", optarg, 0);
			if (!(cl->min_dist > 0) || isinf(cl->min_dist))
				usage_die("--min-dist: '%s' is not a finite "
					  "number > 0", optarg);
			break;
		case 'o':
			cl->output = optarg;
			break;
		case OPT_POOL:
			cl->pool = opt_u64("--pool", optarg, 1, UINT64_MAX);
			pool_given = 1;
			break;
		case OPT_PROGRESS:
		case OPT_QUIET:
			cl->progress = c == OPT_PROGRESS ? PROGRESS_ON :
				       PROGRESS_OFF;
			break;
		case OPT_REDUCE:
			if (!strcmp(optarg, "max"))
				cl->reduce = REDUCE_MAX;
			else if (!strcmp(optarg, "mean"))
				cl->reduce = REDUCE_MEAN;
			else
				usage_die("--reduce: unknown reduction '%s' "
					  "(use max or mean)", optarg);
			break;
		case OPT_REST:
			cl->rest = optarg;
			break;
		case OPT_SEED:
			cl->seed = opt_u64("--seed", optarg, 0, UINT64_MAX);
			break;
		case OPT_STATS:
			cl->stats = optarg;
			break;
		case OPT_THRESHOLD:
			cl->threshold = opt_double("--threshold", optarg, 0);
			cl->has_threshold = 1;
			break;
		case OPT_TOP:
			cl->top = opt_u64("--top", optarg, 0, UINT64_MAX);
			cl->has_top = 1;
			break;
		case OPT_TRUST_HI:
			cl->trust_hi = opt_double("--trust-hi", optarg,
						  OPT_NONNEG);
			cl->hi_arg = optarg;
			cl->has_band = 1;
			break;
		case OPT_TRUST_LO:
			cl->trust_lo = opt_double("--trust-lo", optarg,
						  OPT_NONNEG);
			cl->lo_arg = optarg;
			cl->has_band = 1;
			break;
		case 'v':
			cl->verbose = 1;
			break;
		case 'V':
			opt_version();
		default:
			usage(PAL_EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		usage_die("at most one input file (got %d)", argc);
	if (argc == 1 && cl->input)
		usage_die("give the input as -i or as an operand, not both");
	if (argc == 1)
		cl->input = argv[0];
	check_args(cl, pool_given);
	in_refuse_tty(cl->input);
	if (cl->exclude)
		in_refuse_tty(cl->exclude);
	if (cl->labeled)
		in_refuse_tty(cl->labeled);
}

/* ---- values ------------------------------------------------------------- */

/* Row row of c reduced to one number; NaN if any element is NaN. */
static double reduced(const struct pal_col *c, uint64_t row, enum reduce how)
{
	uint64_t w = c->width, base = row * w;
	double acc = pal_col_value(c, base);

	if (c->dtype == PAL_F64 && w == 1)
		return acc;
	for (uint64_t k = 1; k < w; k++) {
		double v = pal_col_value(c, base + k);

		if (isnan(v))
			return v;
		if (how == REDUCE_MEAN)
			acc += v;
		else if (v > acc)
			acc = v;
	}
	return how == REDUCE_MEAN ? acc / (double)w : acc;
}

/*
 * Expected improvement below best (minimisation): with d = best - mean and
 * z = d / std, EI = d Phi(z) + std phi(z); for std = 0 it is max(d, 0).
 */
static double expected_improvement(double best, double mean, double std)
{
	double d = best - mean, z, ei;

	if (std == 0)
		return d > 0 ? d : 0;
	z = d / std;
	ei = d * 0.5 * erfc(-z / M_SQRT2) +
	     std * exp(-0.5 * z * z) / sqrt(2 * M_PI);
	return ei > 0 ? ei : 0;	/* rounding can leave a tiny negative */
}

/* ---- state -------------------------------------------------------------- */

/* Where a row goes. */
enum dest { D_SEL, D_REST, D_EXCL, D_HEAP, ND };

/* One output stream, built in batches. */
struct sink {
	struct out out;
	struct pal_writer *w;		/* NULL: rows are counted and dropped */
	struct pal_batch *b;
	uint64_t rows;
};

struct select {
	const struct cmdline *cl;
	const char *inname;
	int infd;
	/* The input's schema, fixed by its first data frame. */
	struct pal_frame schema;
	int have_schema;
	int c_id, c_x, c_mean, c_std;	/* column indices, or -1 */
	uint64_t batch_rows;
	/* Outputs: selected, rest, excluded (which may be rest). */
	struct sink sink[3];
	struct out stats;		/* --stats */
	struct sink *to[ND];
	/* Top-k: entries in the heap, their rows in the store by slot. */
	struct topk heap;
	struct pal_batch *store;
	struct idset excl;
	double best;			/* for ei */
	uint64_t tie_salt, random_salt;
	uint64_t seq;			/* rows read */
	uint64_t nexcluded, nnan;
	uint64_t nbelow, nwithin, nabove;	/* the trust band's counts */
};

static void sink_open(struct sink *s, const char *path)
{
	out_open(&s->out, path);
	out_refuse_tty(&s->out);
	s->w = xwriter(s->out.fd, s->out.name, PAL_LEVEL_KEEP);
}

static void sink_flush(struct sink *s)
{
	if (s->b && s->b->f.nrows) {
		if (s->w)
			xpal_write(s->w, &s->b->f);
		pal_batch_clear(s->b);
	}
}

/* Send rows [row, row + n) of f to s. */
static void sink_rows(struct select *st, struct sink *s,
		      const struct pal_frame *f, uint64_t row, uint64_t n)
{
	s->rows += n;
	if (!s->w)
		return;
	if (!s->b) {
		s->b = pal_batch_new(st->schema.cols, st->schema.ncols,
				     st->batch_rows);
		if (!s->b)
			die("out of memory");
	}
	while (n > 0) {
		uint64_t k = s->b->cap - s->b->f.nrows;

		if (k > n)
			k = n;
		pal_batch_append(s->b, f, row, k);
		row += k;
		n -= k;
		if (s->b->f.nrows == s->b->cap)
			sink_flush(s);
	}
}

static void sink_close(struct sink *s)
{
	if (!s->w)
		return;
	sink_flush(s);
	xpal_finish(s->w);
	pal_writer_free(s->w);
	pal_batch_free(s->b);
	out_commit(&s->out);
}

/* ---- side inputs: --exclude and --labeled ------------------------------ */

/* An input's name in messages: its path, or "stdin" for "-". */
static const char *input_name(const char *path)
{
	return strcmp(path, "-") ? path : "stdin";
}

/* Every id of the stream at path, into st->excl. */
static void load_exclude(struct select *st, const char *path)
{
	int fd = xopen_in(path);
	struct pal_reader *r = xreader(fd, path);
	const struct pal_frame *f;

	idset_init(&st->excl);
	while (xpal_read(r, &f) > 0) {
		const struct pal_col *c;

		if (f->kind != PAL_DATA)
			continue;
		if (!(c = pal_col_find(f, "id")) || c->dtype != PAL_U64 ||
		    c->width != 1)
			die("no u64 column 'id', needed by --exclude (%s: "
			    "frame %" PRIu64 " at offset %" PRIu64 ")",
			    input_name(path), f->index, f->offset);
		for (uint64_t i = 0; i < f->nrows; i++)
			idset_add(&st->excl, ((const uint64_t *)c->data)[i]);
	}
	pal_reader_free(r);
	if (fd != 0)
		close(fd);
}

/* The least finite y of the stream at path (each row's y reduced). */
static double load_best(const struct cmdline *cl, const char *path)
{
	int fd = xopen_in(path);
	struct pal_reader *r = xreader(fd, path);
	const struct pal_frame *f;
	double best = INFINITY;

	while (xpal_read(r, &f) > 0) {
		const struct pal_col *c;

		if (f->kind != PAL_DATA)
			continue;
		if (!(c = pal_col_find(f, "y")))
			die("no column 'y', needed by --labeled (%s: frame %"
			    PRIu64 " at offset %" PRIu64 ")", input_name(path),
			    f->index, f->offset);
		for (uint64_t i = 0; i < f->nrows; i++) {
			double y = reduced(c, i, cl->reduce);

			if (isfinite(y) && y < best)
				best = y;
		}
	}
	pal_reader_free(r);
	if (fd != 0)
		close(fd);
	if (isinf(best))
		die("no finite y, needed by --by ei (%s)", input_name(path));
	return best;
}

/* ---- the input's schema ------------------------------------------------- */

static int need_col(struct select *st, const struct pal_frame *f,
		    const char *name, int needed, const char *why)
{
	int i = pal_col_index(f, name);

	if (i < 0 && needed)
		die("no column '%s', needed by %s (%s: frame %"
		    PRIu64 " at offset %" PRIu64 ")", name, why, st->inname,
		    f->index, f->offset);
	return i;
}

/* Fix the schema from the first data frame and find the columns we use. */
static void set_schema(struct select *st, const struct pal_frame *f)
{
	const struct cmdline *cl = st->cl;
	int by_std = cl->has_top && (cl->by == BY_STD || cl->by == BY_UCB ||
				     cl->by == BY_LCB || cl->by == BY_EI);
	int by_mean = cl->has_top && cl->by != BY_STD && cl->by != BY_RANDOM;
	const char *why_std = cl->has_threshold ? "--threshold" :
			      "the trust band";
	char why_by[80];

	snprintf(why_by, sizeof(why_by), "--by %s", cl->by_arg ? cl->by_arg :
		 "std");
	st->c_std = need_col(st, f, "std", by_std || cl->has_threshold ||
			     cl->has_band, by_std ? why_by : why_std);
	st->c_mean = need_col(st, f, "mean", by_mean, why_by);
	if (cl->diverse || cl->min_dist > 0)
		st->c_x = need_col(st, f, "x", 1, cl->diverse ? "--diverse" :
				   "--min-dist");
	st->c_id = need_col(st, f, "id", cl->exclude != NULL, "--exclude");
	if (st->c_id >= 0 && (f->cols[st->c_id].dtype != PAL_U64 ||
			      f->cols[st->c_id].width != 1))
		die("column 'id' is %s of width %" PRIu32 ", not u64 of width 1 "
		    "(%s: frame %" PRIu64 " at offset %" PRIu64 ")",
		    pal_dtype_name(f->cols[st->c_id].dtype),
		    f->cols[st->c_id].width, st->inname, f->index, f->offset);
	st->schema.kind = PAL_DATA;
	st->schema.ncols = f->ncols;
	st->schema.cols = xmalloc((f->ncols ? f->ncols : 1) * sizeof(*f->cols));
	memcpy(st->schema.cols, f->cols, f->ncols * sizeof(*f->cols));
	for (uint32_t i = 0; i < f->ncols; i++)
		st->schema.cols[i].data = NULL;
	st->batch_rows = pal_default_rows(f->cols, f->ncols);
	st->have_schema = 1;
}

/* ---- scoring and routing ------------------------------------------------ */

/* The row's score by --by: NaN when it cannot be ranked. */
static double score(const struct select *st, const struct pal_frame *f,
		    uint64_t i, uint64_t id, double s)
{
	const struct cmdline *cl = st->cl;
	double m = 0;

	if (cl->by == BY_RANDOM)
		return (double)(mix64(id ^ st->random_salt) >> 11) * 0x1.0p-53;
	if (cl->by != BY_STD)
		m = reduced(&f->cols[st->c_mean], i, cl->reduce);
	switch (cl->by) {
	case BY_STD: return s;
	case BY_MEAN: return m;
	case BY_NEGMEAN: return -m;
	case BY_UCB: return m + cl->beta * s;
	case BY_LCB: return cl->beta * s - m;
	default: return isnan(m) || isnan(s) ? NAN :
		 expected_improvement(st->best, m, s);
	}
}

static int x_finite(const struct select *st, const struct pal_frame *f,
		    uint64_t i)
{
	const struct pal_col *c = &f->cols[st->c_x];

	if (c->dtype == PAL_F64) {	/* the common case, without a switch */
		const double *x = (const double *)c->data + i * c->width;

		for (uint32_t k = 0; k < c->width; k++)
			if (!isfinite(x[k]))
				return 0;
		return 1;
	}
	for (uint32_t k = 0; k < c->width; k++)
		if (!isfinite(pal_col_value(c, i * c->width + k)))
			return 0;
	return 1;
}

/* Copy one row of rb bytes; rows of 8 bytes (a f64, a u64) without a call. */
static inline void copy_row(char *to, const char *from, size_t rb)
{
	if (rb == 8)
		memcpy(to, from, 8);
	else
		memcpy(to, from, rb);
}

#define STORE_FIRST (64u << 20)

/* Copy row i of f into row slot of the store, growing it as needed. */
static void store_row(struct select *st, uint64_t slot,
		      const struct pal_frame *f, uint64_t i)
{
	if (!st->store || slot >= st->store->cap) {
		/* The first store is as large as the pool up to STORE_FIRST
		 * bytes: pages that no row reaches are never touched, so it
		 * costs address space, not memory, and saves the copies (and
		 * the fresh pages) of growing it. */
		uint64_t rowbytes = 0, cap;
		struct pal_batch *b;

		for (uint32_t k = 0; k < f->ncols; k++)
			rowbytes += pal_col_rowbytes(&f->cols[k]);
		cap = STORE_FIRST / (rowbytes ? rowbytes : 1);
		if (cap < 64)
			cap = 64;
		if (st->store)
			cap = 2 * st->store->cap;
		if (cap > st->cl->pool)
			cap = st->cl->pool;
		b = pal_batch_new(st->schema.cols, st->schema.ncols, cap);
		if (!b)
			die("out of memory for %" PRIu64 " rows (--top or "
			    "--pool too large?)", cap);
		if (st->store) {
			pal_batch_append(b, &st->store->f, 0,
					 st->store->f.nrows);
			pal_batch_free(st->store);
		}
		st->store = b;
	}
	for (uint32_t k = 0; k < f->ncols; k++) {
		size_t rb = pal_col_rowbytes(&f->cols[k]);
		char *to = (char *)st->store->f.cols[k].data + slot * rb;
		const char *from = (const char *)f->cols[k].data + i * rb;

		copy_row(to, from, rb);
	}
	if (slot >= st->store->f.nrows)
		st->store->f.nrows = slot + 1;
}

/* Where row i of f goes; rows bound for the heap are offered to it. */
static enum dest route(struct select *st, const struct pal_frame *f,
		       uint64_t i)
{
	const struct cmdline *cl = st->cl;
	uint64_t id = st->c_id >= 0 ?
		((const uint64_t *)f->cols[st->c_id].data)[i] : st->seq;
	double s = st->c_std >= 0 ?
		reduced(&f->cols[st->c_std], i, cl->reduce) : 0;
	struct topk_entry e, ev;
	uint64_t slot;

	st->seq++;
	if (cl->exclude && idset_has(&st->excl, id)) {
		st->nexcluded++;
		return D_EXCL;
	}
	if (s < 0)
		s = NAN;	/* a negative std is as meaningless as NaN */
	if (cl->has_band) {
		if (isnan(s)) {
			st->nnan++;
			return D_REST;
		}
		if (s < cl->trust_lo || s > cl->trust_hi) {
			st->nbelow += s < cl->trust_lo;
			st->nabove += s > cl->trust_hi;
			return D_REST;
		}
		st->nwithin++;
	}
	if (cl->has_threshold && !(s > cl->threshold)) {
		st->nnan += isnan(s);
		return D_REST;
	}
	if (!cl->has_top)
		return D_SEL;	/* --threshold, the trust band, or both */
	e.score = score(st, f, i, id, s);
	if (isnan(e.score) || (st->c_x >= 0 && !x_finite(st, f, i))) {
		st->nnan++;
		return D_REST;
	}
	e.tie = mix64(id ^ st->tie_salt);
	e.seq = st->seq - 1;
	switch (topk_offer(&st->heap, &e, &slot, &ev)) {
	case TOPK_REJECTED:
		return D_REST;
	case TOPK_REPLACED:
		sink_rows(st, st->to[D_REST], &st->store->f, slot, 1);
		/* fall through */
	default:
		store_row(st, slot, f, i);
		return D_HEAP;
	}
}

/* Route every row of a data frame, sending runs of rows at a time. */
static void select_frame(struct select *st, const struct pal_reader *r,
			 const struct pal_frame *f)
{
	uint64_t start = 0;
	enum dest run = ND;

	if (!st->have_schema)
		set_schema(st, f);
	else if (!pal_same_schema(&st->schema, f))
		die("columns change (%s: frame %" PRIu64 " at offset %" PRIu64
		    "): pal-select needs one schema per input", st->inname,
		    f->index, f->offset);
	for (uint64_t i = 0; i <= f->nrows; i++) {
		enum dest d = i < f->nrows ? route(st, f, i) : ND;

		if (d == run)
			continue;
		if (run != ND && run != D_HEAP) {
			struct sink *s = st->to[run];

			/* A whole frame for one output goes as it was read. */
			if (start == 0 && i == f->nrows && s->w &&
			    (!s->b || !s->b->f.nrows)) {
				s->rows += f->nrows;
				xpal_passthrough(s->w, r, f);
			} else {
				sink_rows(st, s, f, start, i - start);
			}
		}
		run = d;
		start = i;
	}
	/* Flush per input frame, so a pipeline downstream is not kept
	 * waiting for rows that are already decided. */
	for (int k = 0; k < 3; k++)
		sink_flush(&st->sink[k]);
}

/* ---- the end: choosing from the heap ------------------------------------ */

/*
 * Move the rows of the store into the heap's order (sorted best first), so
 * that entry j's row is in slot j: a permutation in place, cycle by cycle,
 * every column at each step, that costs no second copy of the pool.
 */
static void store_in_rank_order(struct select *st)
{
	struct topk *h = &st->heap;
	struct pal_frame *f = &st->store->f;
	size_t rowbytes = 0, *rb = xmalloc((f->ncols ? f->ncols : 1) *
					   sizeof(*rb));
	char *tmp;

	for (uint32_t c = 0; c < f->ncols; c++)
		rowbytes += rb[c] = pal_col_rowbytes(&f->cols[c]);
	tmp = xmalloc(rowbytes ? rowbytes : 1);
	for (size_t j = 0; j < h->n; j++) {
		size_t cur = j, src, off = 0;

		if (h->e[j].slot == j)
			continue;	/* in place, or a cycle already moved */
		/* Slot cur receives the row of entry cur, from its slot. */
		for (uint32_t c = 0; c < f->ncols; off += rb[c], c++)
			copy_row(tmp + off, (char *)f->cols[c].data + j * rb[c],
				 rb[c]);
		for (;;) {
			src = h->e[cur].slot;
			h->e[cur].slot = cur;
			if (src == j)
				break;
			for (uint32_t c = 0; c < f->ncols; c++) {
				char *data = f->cols[c].data;

				copy_row(data + cur * rb[c], data + src * rb[c],
					 rb[c]);
			}
			cur = src;
		}
		off = 0;
		for (uint32_t c = 0; c < f->ncols; off += rb[c], c++)
			copy_row((char *)f->cols[c].data + cur * rb[c], tmp + off,
				 rb[c]);
	}
	free(rb);
	free(tmp);
}

/* The x of the pool as doubles by slot: the store's own column, or a copy
 * (*copy, to free) where x has another type. */
static const double *pool_x(const struct select *st, double **copy)
{
	const struct topk *h = &st->heap;
	const struct pal_col *x = &st->store->f.cols[st->c_x];
	size_t d = x->width;

	*copy = NULL;
	if (x->dtype == PAL_F64)
		return x->data;
	if (d && h->n > SIZE_MAX / sizeof(double) / d)
		die("out of memory for the x of %zu rows", h->n);
	*copy = xmalloc(h->n && d ? h->n * d * sizeof(double) : 1);
	for (size_t i = 0; i < h->n * d; i++)
		(*copy)[i] = pal_col_value(x, i);
	return *copy;
}

/* The heap entry of each slot, for slot_before. */
struct slot_rank {
	const struct topk_entry *e;
	const size_t *entry;		/* entry[slot]: its index in e */
};

static int slot_before(size_t a, size_t b, const void *ctx)
{
	const struct slot_rank *sr = ctx;

	return topk_before(&sr->e[sr->entry[a]], &sr->e[sr->entry[b]]);
}

static int cmp_slot_best_first(const void *pa, const void *pb)
{
	const struct topk_entry *a = pa, *b = pb;

	return topk_before(a, b) ? -1 : topk_before(b, a);
}

/*
 * --diverse: a greedy farthest-point choice (start from the best, then
 * always the entry farthest from those chosen; select.h), made on the
 * store as it lies, slot by slot, with the heap's ranking for the best and
 * for ties, so the pool is neither sorted nor moved.  The chosen rows go
 * out in score order, the rest of the pool to --rest in slot order.
 */
static void finish_diverse(struct select *st)
{
	struct topk *h = &st->heap;
	size_t k = st->cl->top < h->n ? (size_t)st->cl->top : h->n, m = 0;
	size_t *entry = xmalloc(h->n * sizeof(*entry));
	struct topk_entry *sel;
	struct slot_rank sr = { h->e, entry };
	char *chosen = xcalloc(h->n, 1);
	double *copy;
	const double *px = pool_x(st, &copy);

	for (size_t j = 0; j < h->n; j++)
		entry[h->e[j].slot] = j;
	select_diverse_ranked(px, h->n, st->store->f.cols[st->c_x].width, k,
			      st->cl->min_dist, slot_before, &sr, chosen);
	sel = xmalloc((k ? k : 1) * sizeof(*sel));
	for (size_t i = 0; i < h->n; i++)
		if (chosen[i])
			sel[m++] = h->e[entry[i]];
	qsort(sel, m, sizeof(*sel), cmp_slot_best_first);
	for (size_t j = 0; j < m; j++)
		sink_rows(st, st->to[D_SEL], &st->store->f, sel[j].slot, 1);
	for (size_t i = 0, start = 0; i < h->n; i++)
		if (i + 1 == h->n || chosen[i + 1] != chosen[start]) {
			if (!chosen[start])
				sink_rows(st, st->to[D_REST], &st->store->f,
					  start, i + 1 - start);
			start = i + 1;
		}
	free(copy);
	free(sel);
	free(chosen);
	free(entry);
}

/*
 * Mark chosen[j] for the entries (sorted best first) that make the batch:
 * the first top of them, or with --min-dist a greedy pass in score order
 * that skips entries closer than the distance to one already chosen
 * (select.h), on the store in rank order (store_in_rank_order() has run).
 */
static void choose(struct select *st, char *chosen)
{
	const struct cmdline *cl = st->cl;
	const struct topk *h = &st->heap;
	size_t k = cl->top < h->n ? (size_t)cl->top : h->n;
	double *copy;
	const double *px;

	if (!(cl->min_dist > 0)) {
		for (size_t j = 0; j < k; j++)
			chosen[j] = 1;
		return;
	}
	px = pool_x(st, &copy);
	select_min_dist(px, h->n, st->store->f.cols[st->c_x].width, k,
			cl->min_dist, chosen);
	free(copy);
}

/* Write the chosen rows in score order, the rest of the heap to --rest. */
static void finish_top(struct select *st)
{
	struct topk *h = &st->heap;
	char *chosen;

	if (!h->n)
		return;
	if (st->cl->diverse) {
		finish_diverse(st);
		return;
	}
	topk_sort(h);
	store_in_rank_order(st);
	chosen = xcalloc(h->n, 1);
	choose(st, chosen);
	/* Slot j holds entry j: runs of rows go out together. */
	for (size_t j = 0, start = 0; j < h->n; j++)
		if (j + 1 == h->n || chosen[j + 1] != chosen[start]) {
			sink_rows(st, st->to[chosen[start] ? D_SEL : D_REST],
				  &st->store->f, start, j + 1 - start);
			start = j + 1;
		}
	free(chosen);
}

/* ---- main ----------------------------------------------------------------- */

/* Open every input and output before reading a row; load the side inputs. */
static struct pal_reader *open_all(struct select *st, const struct cmdline *cl)
{
	struct pal_reader *r;

	memset(st, 0, sizeof(*st));
	st->cl = cl;
	st->inname = !cl->input ? "stdin" : input_name(cl->input);
	st->tie_salt = mix64(cl->seed ^ SALT_TIE);
	st->random_salt = mix64(cl->seed ^ SALT_RANDOM);
	st->c_id = st->c_x = st->c_mean = st->c_std = -1;
	sink_open(&st->sink[D_SEL], cl->output);
	if (cl->rest)
		sink_open(&st->sink[D_REST], cl->rest);
	if (cl->excluded)
		sink_open(&st->sink[D_EXCL], cl->excluded);
	if (cl->stats)
		out_open(&st->stats, cl->stats);
	st->to[D_SEL] = &st->sink[D_SEL];
	st->to[D_REST] = &st->sink[D_REST];
	st->to[D_EXCL] = &st->sink[cl->excluded ? D_EXCL : D_REST];
	st->infd = xopen_in(cl->input);
	r = xreader(st->infd, st->inname);
	if (cl->exclude)
		load_exclude(st, cl->exclude);
	st->best = cl->labeled ? load_best(cl, cl->labeled) : cl->best;
	topk_init(&st->heap, cl->pool);
	return r;
}

/* -v: where the rows went ("dropped" when there is no --rest to take
 * them, or no --excluded to take the excluded). */
/* Whether an output goes to standard output (a terminal or a pipe that a
 * progress line must not share). */
static int writes_stdout(const struct cmdline *cl)
{
	const char *outs[4] = { cl->output, cl->rest, cl->excluded, cl->stats };

	if (!cl->output)
		return 1;
	for (int k = 0; k < 4; k++)
		if (outs[k] && !strcmp(outs[k], "-"))
			return 1;
	return 0;
}

/* The size of the input at fd if it is a regular file, else 0. */
static uint64_t input_size(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ?
	       (uint64_t)st.st_size : 0;
}

static void report(const struct select *st)
{
	const struct cmdline *cl = st->cl;
	const char *rest = cl->rest ? "to rest" : "dropped";

	if (cl->excluded)
		warnx("%" PRIu64 " rows: %" PRIu64 " selected, %" PRIu64
		      " %s, %" PRIu64 " excluded; %" PRIu64 " unranked "
		      "(NaN)", st->seq, st->sink[D_SEL].rows,
		      st->sink[D_REST].rows, rest, st->sink[D_EXCL].rows,
		      st->nnan);
	else
		warnx("%" PRIu64 " rows: %" PRIu64 " selected, %" PRIu64
		      " %s (%" PRIu64 " of them excluded); %" PRIu64
		      " unranked (NaN)", st->seq, st->sink[D_SEL].rows,
		      st->sink[D_REST].rows, rest, st->nexcluded, st->nnan);
	if (cl->has_band)
		warnx("trust band [%s, %s]: %" PRIu64 " below, %" PRIu64
		      " within, %" PRIu64 " above", cl->lo_arg, cl->hi_arg,
		      st->nbelow, st->nwithin, st->nabove);
}

/*
 * --stats: where the rows went, a "key<TAB>value" line each, for a driver
 * (pal-orchestrate reads below for DP-GEN's convergence).  rest counts
 * the rows neither selected nor excluded, whether --rest took them or not.
 */
static void write_stats(struct select *st)
{
	const struct cmdline *cl = st->cl;
	FILE *fp = out_stdio(&st->stats);
	uint64_t sel = st->sink[D_SEL].rows;

	fprintf(fp, "rows\t%" PRIu64 "\nselected\t%" PRIu64 "\nrest\t%"
		PRIu64 "\nexcluded\t%" PRIu64 "\nunranked\t%" PRIu64 "\n",
		st->seq, sel, st->seq - sel - st->nexcluded, st->nexcluded,
		st->nnan);
	if (cl->has_band)
		fprintf(fp, "trust_lo\t%s\ntrust_hi\t%s\nbelow\t%" PRIu64
			"\nwithin\t%" PRIu64 "\nabove\t%" PRIu64 "\n",
			cl->lo_arg, cl->hi_arg, st->nbelow, st->nwithin,
			st->nabove);
	out_commit(&st->stats);
}

int main(int argc, char **argv)
{
	struct cmdline cl;
	struct select st;
	const struct pal_frame *f;
	struct pal_reader *r;
	struct progress prog;

	pal_init("pal-select");
	parse_args(&cl, argc, argv);
	r = open_all(&st, &cl);
	progress_start(&prog, cl.progress, "rows", writes_stdout(&cl) ? 1 : -1);
	prog.total_bytes = input_size(st.infd);
	while (xpal_read(r, &f) > 0) {
		prog.bytes = pal_reader_offset(r);
		if (f->kind == PAL_DATA) {
			select_frame(&st, r, f);
			prog.done += f->nrows;
			progress_show(&prog);
			continue;
		}
		for (int k = 0; k < 3; k++)	/* metadata: to every output */
			if (st.sink[k].w)
				xpal_passthrough(st.sink[k].w, r, f);
	}
	progress_end(&prog);
	finish_top(&st);
	if (cl.verbose)
		report(&st);
	if (cl.stats)
		write_stats(&st);
	/* The batch last, so that a failure leaves no batch behind. */
	sink_close(&st.sink[D_EXCL]);
	sink_close(&st.sink[D_REST]);
	sink_close(&st.sink[D_SEL]);
	pal_reader_free(r);
	if (st.infd != 0)
		close(st.infd);
	topk_free(&st.heap);
	pal_batch_free(st.store);
	idset_free(&st.excl);
	free(st.schema.cols);
	return 0;
}
