/*
 * pal-label: the oracle stage.  Label each row's x with y, by a built-in
 * test function or by the user's program, farmed out over MPI ranks.
 *
 * The farm itself (who gets which rows, messages, heartbeats) is
 * libcommon's (mpifarm.h), and so are rank 0's rows (mpirows.h: the input
 * and its read-ahead window, the rows in flight, --ordered, the output
 * batches).  This file holds what is pal-label's own:
 *
 *   - options (struct cmdline, parse_args);
 *   - the evaluator (struct local), which runs rows on one rank, by a
 *     built-in (with --delay as timers, so -j works for it too) or through
 *     the oracle pool of oracle.c, and hands finished rows to the farm as
 *     result frames (columns RC_*);
 *   - rank 0's hooks into the rows (struct label): the columns (on_schema),
 *     a result (on_result, finished: counts, --on-fail), the batch size
 *     (on_pace), and the journal, which is touched only by open_journal
 *     (check and index it at start), restore (look a row up when it is
 *     read), journal_row (a result, success or failure, as it arrives) and
 *     journal_sync_rows (to the disk, before new work is handed out and
 *     before rows are written out);
 *   - main.
 */
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "io.h"
#include "journal.h"
#include "mpicomm.h"
#include "mpifarm.h"
#include "mpirows.h"
#include "num.h"
#include "opt.h"
#include "oracle.h"
#include "proc.h"
#include "progress.h"
#include "rng.h"
#include "stream.h"
#include "testfn.h"
#include "banned.h"

static const char usage_text[] =
	"usage: pal-label [-hV] [-i file] [-j jobs] [-o file] [--batch n]\n"
	"                 [--builtin name] [--chunk n] [--delay spec]\n"
	"                 [--dispatch-only] [--exec cmd] [--grad]\n"
	"                 [--heartbeat sec] [--inflight k] [--journal file]\n"
	"                 [--journal-any-oracle] [--keep-workdir] [--noise sigma]\n"
	"                 [--on-fail keep|skip|abort] [--ordered] [--outputs k]\n"
	"                 [--progress] [--quiet] [--retries n] [--retry-failed]\n"
	"                 [--seed s] [--timeout sec] [--workdir dir] [file]\n";

/* --help: one line an option, as pal-label(1) describes them. */
static const char options_text[] =
	"Options:\n"
	"      --batch=N          send rows to the ranks N at a time (default: 10 ms)\n"
	"      --builtin=NAME     label with the built-in function NAME (below)\n"
	"      --chunk=N          give each run of the command up to N rows (default 1)\n"
	"      --delay=SPEC       make built-ins last 10ms, exp:MEAN or uniform:MIN:MAX\n"
	"      --dispatch-only    under MPI, rank 0 runs no rows itself\n"
	"      --exec=CMD         label by running CMD through /bin/sh -c\n"
	"      --grad             add the column grad: the gradient, after y for CMD\n"
	"      --heartbeat=SEC    end the job if a rank is silent SEC (default 60s)\n"
	"  -h, --help             print this help and exit\n"
	"  -i, --input=FILE       read the rows from FILE (default: standard input)\n"
	"      --inflight=K       keep up to K batches waiting at each rank (default 2)\n"
	"  -j, --jobs=JOBS        run up to JOBS rows at once on each rank (default 1)\n"
	"      --journal=FILE     journal finished rows in FILE; take those there\n"
	"      --journal-any-oracle  accept a journal of another oracle (warns)\n"
	"      --keep-workdir     keep each call's scratch directory after a success too\n"
	"      --noise=SIGMA      add normal noise of std SIGMA to built-in y\n"
	"  -o, --output=FILE      write to FILE, put in place once complete\n"
	"      --on-fail=POLICY   after a failed row: keep (default), skip or abort\n"
	"      --ordered          write rows in input order\n"
	"      --outputs=K        the command prints K numbers per row\n"
	"      --progress         show progress on stderr, even when not a terminal\n"
	"      --quiet            show no progress\n"
	"      --retries=N        run a failed call again, up to N times (default 0)\n"
	"      --retry-failed     run the journal's failed rows again\n"
	"      --seed=S           seed of --noise and --delay (default 0)\n"
	"      --timeout=SEC      kill a call that runs longer than SEC (10s, 5m, 2h)\n"
	"  -V, --version          print the version and exit\n"
	"      --workdir=DIR      run each call in a fresh scratch directory under DIR\n";

enum { FAIL_KEEP, FAIL_SKIP, FAIL_ABORT };
enum { DELAY_NONE, DELAY_FIXED, DELAY_EXP, DELAY_UNIFORM };

struct cmdline {
	const struct testfn *fn;	/* --builtin */
	const char *exec;
	int grad;
	double noise;
	uint64_t seed;
	int delay;			/* DELAY_* */
	double delay_a, delay_b;
	uint32_t chunk, outputs, jobs, inflight, batch, retries;
	const char *workdir;
	int keep_workdir;
	double timeout;
	double heartbeat;		/* seconds; 0: the farm's default */
	int on_fail;
	int ordered, dispatch_only;
	int progress;			/* enum progress_mode */
	const char *journal, *input, *output;
	int any_oracle, retry_failed;	/* --journal-any-oracle, --retry-failed */
};

static _Noreturn void usage(int status)
{
	if (status == 0) {
		size_t n;
		const struct testfn *all = testfn_all(&n);

		fputs(usage_text, stdout);
		fputs("\nLabel the rows of a pal stream (id, x) with y, by a "
		      "built-in function or\nby running CMD per row, over MPI "
		      "ranks under mpirun.\n\n", stdout);
		fputs(options_text, stdout);
		fputs("\nBuilt-ins (--builtin):\n", stdout);
		for (size_t i = 0; i < n; i++)
			printf("  %-14s %s\n", all[i].name, all[i].summary);
		fputs("\nSee pal-label(1).\n", stdout);
		xfclose(stdout, "stdout");
		exit(0);
	}
	fputs(usage_text, stderr);
	exit(PAL_EXIT_USAGE);
}

/* --delay 10ms | exp:20ms | uniform:5ms:50ms */
static void parse_delay(struct cmdline *cl, const char *arg)
{
	char *s = xstrdup(arg), *p;

	if (!strncmp(s, "exp:", 4)) {
		cl->delay = DELAY_EXP;
		cl->delay_a = opt_duration("--delay", s + 4);
	} else if (!strncmp(s, "uniform:", 8)) {
		p = strchr(s + 8, ':');
		if (!p)
			usage_die("--delay: expected uniform:MIN:MAX, got '%s'",
				  arg);
		*p = '\0';
		cl->delay = DELAY_UNIFORM;
		cl->delay_a = opt_duration("--delay", s + 8);
		cl->delay_b = opt_duration("--delay", p + 1);
		if (cl->delay_b < cl->delay_a)
			usage_die("--delay: maximum below minimum in '%s'", arg);
	} else {
		cl->delay = DELAY_FIXED;
		cl->delay_a = opt_duration("--delay", s);
	}
	free(s);
}

static void parse_args(struct cmdline *cl, int argc, char **argv)
{
	enum { OPT_BATCH = 256, OPT_BUILTIN, OPT_CHUNK, OPT_DELAY,
	       OPT_DISPATCH_ONLY, OPT_EXEC, OPT_GRAD, OPT_HEARTBEAT, OPT_INFLIGHT,
	       OPT_JOURNAL, OPT_JOURNAL_ANY_ORACLE, OPT_KEEP_WORKDIR, OPT_NOISE,
	       OPT_ON_FAIL, OPT_ORDERED, OPT_OUTPUTS, OPT_RETRIES,
	       OPT_RETRY_FAILED, OPT_SEED, OPT_TIMEOUT, OPT_WORKDIR,
	       OPT_PROGRESS, OPT_QUIET };
	static const struct option opts[] = {
		{ "batch", required_argument, NULL, OPT_BATCH },
		{ "builtin", required_argument, NULL, OPT_BUILTIN },
		{ "chunk", required_argument, NULL, OPT_CHUNK },
		{ "delay", required_argument, NULL, OPT_DELAY },
		{ "dispatch-only", no_argument, NULL, OPT_DISPATCH_ONLY },
		{ "exec", required_argument, NULL, OPT_EXEC },
		{ "grad", no_argument, NULL, OPT_GRAD },
		{ "heartbeat", required_argument, NULL, OPT_HEARTBEAT },
		{ "help", no_argument, NULL, 'h' },
		{ "inflight", required_argument, NULL, OPT_INFLIGHT },
		{ "input", required_argument, NULL, 'i' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "journal", required_argument, NULL, OPT_JOURNAL },
		{ "journal-any-oracle", no_argument, NULL,
		  OPT_JOURNAL_ANY_ORACLE },
		{ "keep-workdir", no_argument, NULL, OPT_KEEP_WORKDIR },
		{ "noise", required_argument, NULL, OPT_NOISE },
		{ "on-fail", required_argument, NULL, OPT_ON_FAIL },
		{ "ordered", no_argument, NULL, OPT_ORDERED },
		{ "output", required_argument, NULL, 'o' },
		{ "outputs", required_argument, NULL, OPT_OUTPUTS },
		{ "progress", no_argument, NULL, OPT_PROGRESS },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "retries", required_argument, NULL, OPT_RETRIES },
		{ "retry-failed", no_argument, NULL, OPT_RETRY_FAILED },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "version", no_argument, NULL, 'V' },
		{ "workdir", required_argument, NULL, OPT_WORKDIR },
		{ NULL, 0, NULL, 0 },
	};
	const char *builtin = NULL, *errstr;
	int c, chunk_set = 0, timeout_set = 0;

	memset(cl, 0, sizeof(*cl));
	cl->jobs = 1;
	cl->inflight = 2;
	cl->chunk = 1;
	cl->on_fail = FAIL_KEEP;
	while ((c = getopt_long(argc, argv, "hVi:j:o:", opts, NULL)) != -1) {
		switch (c) {
		case OPT_BATCH:
			cl->batch = (uint32_t)opt_u64("--batch", optarg, 1,
							  1u << 20);
			break;
		case OPT_BUILTIN:
			builtin = optarg;
			break;
		case OPT_CHUNK:
			cl->chunk = (uint32_t)opt_u64("--chunk", optarg, 1,
							  1u << 20);
			chunk_set = 1;
			break;
		case OPT_DELAY:
			parse_delay(cl, optarg);
			break;
		case OPT_DISPATCH_ONLY:
			cl->dispatch_only = 1;
			break;
		case OPT_EXEC:
			cl->exec = optarg;
			break;
		case OPT_GRAD:
			cl->grad = 1;
			break;
		case OPT_HEARTBEAT:
			cl->heartbeat = opt_duration("--heartbeat", optarg);
			if (cl->heartbeat < 0.1)
				usage_die("--heartbeat: at least 100ms");
			break;
		case 'h':
			usage(0);
		case 'i':
			cl->input = optarg;
			break;
		case OPT_INFLIGHT:
			cl->inflight = (uint32_t)opt_u64("--inflight",
							     optarg, 0, 1024);
			break;
		case 'j':
			cl->jobs = (uint32_t)opt_u64("-j", optarg, 1, 4096);
			break;
		case OPT_JOURNAL:
			cl->journal = optarg;
			break;
		case OPT_JOURNAL_ANY_ORACLE:
			cl->any_oracle = 1;
			break;
		case OPT_KEEP_WORKDIR:
			cl->keep_workdir = 1;
			break;
		case OPT_NOISE:
			cl->noise = parse_double(optarg, &errstr);
			if (errstr || !(cl->noise >= 0) || isinf(cl->noise))
				usage_die("--noise: '%s' is not a standard "
					  "deviation", optarg);
			break;
		case 'o':
			cl->output = optarg;
			break;
		case OPT_ON_FAIL:
			if (!strcmp(optarg, "keep"))
				cl->on_fail = FAIL_KEEP;
			else if (!strcmp(optarg, "skip"))
				cl->on_fail = FAIL_SKIP;
			else if (!strcmp(optarg, "abort"))
				cl->on_fail = FAIL_ABORT;
			else
				usage_die("--on-fail: unknown policy '%s' (use "
					  "keep, skip or abort)", optarg);
			break;
		case OPT_ORDERED:
			cl->ordered = 1;
			break;
		case OPT_OUTPUTS:
			cl->outputs = (uint32_t)opt_u64("--outputs", optarg,
							    1, PAL_MAX_WIDTH);
			break;
		case OPT_PROGRESS:
		case OPT_QUIET:
			cl->progress = c == OPT_PROGRESS ? PROGRESS_ON :
				       PROGRESS_OFF;
			break;
		case OPT_RETRIES:
			cl->retries = (uint32_t)opt_u64("--retries", optarg,
							    0, 1000);
			break;
		case OPT_RETRY_FAILED:
			cl->retry_failed = 1;
			break;
		case OPT_SEED:
			cl->seed = opt_u64("--seed", optarg, 0, UINT64_MAX);
			break;
		case OPT_TIMEOUT:
			cl->timeout = opt_duration("--timeout", optarg);
			timeout_set = 1;
			if (cl->timeout <= 0)
				usage_die("--timeout: must be more than 0");
			break;
		case 'V':
			opt_version();
		case OPT_WORKDIR:
			cl->workdir = optarg;
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
	if (!builtin == !cl->exec)
		usage_die("give one of --builtin and --exec");
	if ((cl->any_oracle || cl->retry_failed) && !cl->journal)
		usage_die("--journal-any-oracle and --retry-failed apply to "
			  "--journal");
	if (builtin) {
		cl->fn = testfn_find(builtin);
		if (!cl->fn)
			usage_die("--builtin: unknown function '%s' (see "
				  "--help)", builtin);
		if (cl->grad && !cl->fn->has_grad)
			usage_die("--grad: '%s' has no analytic gradient",
				  builtin);
		if (chunk_set || timeout_set || cl->workdir ||
		    cl->keep_workdir || cl->outputs || cl->retries)
			usage_die("--chunk, --keep-workdir, --outputs, "
				  "--retries, --timeout and --workdir apply "
				  "to --exec");
		if (cl->outputs)
			usage_die("--outputs applies to --exec");
	} else {
		if (cl->noise > 0 || cl->delay)
			usage_die("--noise and --delay apply to --builtin");
		if (cl->keep_workdir && !cl->workdir)
			usage_die("--keep-workdir needs --workdir");
	}
}

/* ---- evaluating rows on one rank ---------------------------------------- */

/*
 * The frames between rank 0 and the evaluators.  A task: tag (rank 0's
 * slot), id, x; its notes say k, the numbers per row of y.  A result: the
 * columns RC_*, grad only with --grad; its notes hold "msg.N", the message
 * of result row N when it failed (in row order), and "cost", the seconds
 * per row of a plain built-in (whose rows carry the times of their batch).
 */
enum { TC_TAG, TC_ID, TC_X, TC_N };
enum { RC_TAG, RC_ID, RC_STATUS, RC_T0, RC_T1, RC_Y, RC_GRAD };

#define MAX_BATCH 4096u			/* rows per batch, automatic sizing */
#define BATCH_SECONDS 0.01		/* automatic sizing: work per batch */
#define NOTE_MAX 32			/* bytes of a note's key */

/* A row to evaluate: the caller's tag (a slot on rank 0), id, attempt. */
struct lrow {
	uint64_t tag;
	uint64_t id;
	uint32_t attempt;
};

/* A built-in row waiting out its --delay. */
struct timer {
	struct lrow row;
	double t0, due, y;
	int status;
};

/* An oracle call in flight: its rows. */
struct callrec {
	struct lrow *rows;
	double *x;
	size_t n;
};

struct local {
	const struct cmdline *cl;
	uint32_t d, k;			/* k: 0 until the first result */
	int dim_set;			/* d is known */
	struct lrow *q;			/* FIFO of rows not started */
	double *qx;
	size_t qhead, qlen, qcap;
	struct timer *tm;		/* --delay: jobs timers */
	double *tgrad;
	unsigned ntm;
	struct oracle *orc;
	struct callrec *calls;		/* jobs of them */
	double *grad;			/* scratch for one row */
	/* results gathered for the farm */
	struct pal_batch *res;
	struct pal_kv *notes;
	uint32_t nnotes, capnotes;
	double busy;			/* seconds a plain built-in ran */
	uint64_t busy_rows;
	uint64_t held;			/* rows taken, not handed back */
	struct farm_eval ev;
	uint64_t retried;
};

/* Room for n rows of d numbers, without overflow. */
static size_t xsize(size_t n, size_t d, size_t elem)
{
	if (d && n > SIZE_MAX / elem / d)
		die("out of memory (%zu rows of %zu numbers)", n, d);
	return n * (d ? d : 1) * elem;
}

static void local_free(struct local *L)
{
	if (L->orc)
		oracle_free(L->orc);
	if (L->calls)
		for (uint32_t i = 0; i < L->cl->jobs; i++) {
			free(L->calls[i].rows);
			free(L->calls[i].x);
		}
	free(L->calls);
	free(L->q);
	free(L->qx);
	free(L->tm);
	free(L->tgrad);
	free(L->grad);
	pal_batch_free(L->res);
	for (uint32_t i = 0; i < L->nnotes; i++) {
		free(L->notes[i].key);
		free(L->notes[i].value);
	}
	free(L->notes);
}

/* The dimension, fixed by the input (rank 0) or the first task. */
static void local_set_dim(struct local *L, uint32_t d)
{
	if (L->dim_set && L->d == d)
		return;
	if (L->dim_set)
		die("task of dimension %" PRIu32 " after %" PRIu32, d, L->d);
	L->dim_set = 1;
	L->d = d;
	L->grad = xcalloc(d ? d : 1, sizeof(double));
	if (L->tm)
		L->tgrad = xcalloc(L->cl->jobs, xsize(1, d, sizeof(double)));
}

static void local_push(struct local *L, uint64_t tag, uint64_t id,
		       const double *x, uint32_t attempt)
{
	if (L->qhead > 0 && L->qhead + L->qlen == L->qcap) {
		memmove(L->q, L->q + L->qhead, L->qlen * sizeof(*L->q));
		memmove(L->qx, L->qx + L->qhead * L->d,
			L->qlen * L->d * sizeof(double));
		L->qhead = 0;
	}
	if (L->qhead + L->qlen == L->qcap) {
		/* Sized by bytes: a row of x may be 128 MiB. */
		size_t per = xsize(1, L->d, sizeof(double));
		size_t first = PAL_DEFAULT_FRAME_BYTES / per;

		L->qcap = L->qcap ? 2 * L->qcap : first > 64 ? 64 : first ?
			  first : 1;
		L->q = xrealloc(L->q, L->qcap * sizeof(*L->q));
		L->qx = xrealloc(L->qx, xsize(L->qcap, L->d, sizeof(double)));
	}
	L->q[L->qhead + L->qlen] = (struct lrow){ tag, id, attempt };
	memcpy(L->qx + (L->qhead + L->qlen) * L->d, x, L->d * sizeof(double));
	L->qlen++;
}

/* Note the message of result row r of the batch being gathered. */
static void add_note(struct local *L, const char *key, const char *msg)
{
	char *v = xstrdup(msg ? msg : "");

	for (char *p = v; *p; p++)
		if (*p == '\n')
			*p = ' ';
	if (L->nnotes == L->capnotes) {
		L->capnotes = L->capnotes ? 2 * L->capnotes : 16;
		L->notes = xrealloc(L->notes, L->capnotes * sizeof(*L->notes));
	}
	L->notes[L->nnotes].key = xstrdup(key);
	L->notes[L->nnotes++].value = v;
}

static void note_row(struct local *L, uint64_t r, const char *msg)
{
	char key[NOTE_MAX];

	snprintf(key, sizeof(key), "msg.%" PRIu64, r);
	add_note(L, key, msg);
}

/* Hand the results gathered to the farm. */
static void results_flush(struct local *L)
{
	struct pal_frame notes = { .kind = PAL_META };
	char cost[40];

	if (!L->res || L->res->f.nrows == 0)
		return;
	if (L->busy_rows) {
		snprintf(cost, sizeof(cost), "%.17g",
			 L->busy / (double)L->busy_rows);
		add_note(L, "cost", cost);
		L->busy = 0;
		L->busy_rows = 0;
	}
	notes.nkv = L->nnotes;
	notes.kv = L->notes;
	L->held -= L->res->f.nrows;
	farm_result(L->ev.farm, &L->res->f, L->nnotes ? &notes : NULL);
	pal_batch_clear(L->res);
	for (uint32_t i = 0; i < L->nnotes; i++) {
		free(L->notes[i].key);
		free(L->notes[i].value);
	}
	L->nnotes = 0;
}

/* A result batch whose y has width k (at least 1), with room for a row. */
static struct pal_batch *results_room(struct local *L, uint32_t k)
{
	if (L->res && (L->res->f.cols[RC_Y].width != k ||
		       L->res->f.nrows == L->res->cap)) {
		results_flush(L);
		if (L->res->f.cols[RC_Y].width != k) {
			pal_batch_free(L->res);
			L->res = NULL;
		}
	}
	if (!L->res) {
		struct pal_col c[] = {
			{ "tag", PAL_U64, 1, NULL },
			{ "id", PAL_U64, 1, NULL },
			{ "status", PAL_I32, 1, NULL },
			{ "t_start", PAL_F64, 1, NULL },
			{ "t_end", PAL_F64, 1, NULL },
			{ "y", PAL_F64, k, NULL },
			{ "grad", PAL_F64, L->d ? L->d : 1, NULL },
		};
		uint32_t n = L->cl->grad ? 7 : 6;

		L->res = pal_batch_new(c, n, pal_default_rows(c, n));
		if (!L->res)
			die("out of memory");
	}
	return L->res;
}

/* Add a finished row to the results; y (k numbers) and grad may be NULL. */
static void deliver(struct local *L, const struct lrow *row, int status,
		    uint32_t k, const double *y, const double *grad, double t0,
		    double t1, const char *msg)
{
	uint32_t kb = L->k ? L->k : k ? k : 1;
	struct pal_batch *b;
	uint64_t r;
	double *yo;
	char why[80];

	if (status == ORACLE_OK && k != kb) {
		/* Cannot happen once k is fixed: the pool checks it. */
		snprintf(why, sizeof(why), "bad output: %" PRIu32 " numbers of "
			 "y, expected %" PRIu32, k, kb);
		status = ORACLE_OUTPUT;
		msg = why;
	}
	b = results_room(L, kb);
	r = b->f.nrows++;
	((uint64_t *)b->f.cols[RC_TAG].data)[r] = row->tag;
	((uint64_t *)b->f.cols[RC_ID].data)[r] = row->id;
	((int32_t *)b->f.cols[RC_STATUS].data)[r] = status;
	((double *)b->f.cols[RC_T0].data)[r] = t0;
	((double *)b->f.cols[RC_T1].data)[r] = t1;
	yo = (double *)b->f.cols[RC_Y].data + r * kb;
	for (uint32_t i = 0; i < kb; i++)
		yo[i] = status == ORACLE_OK && y ? y[i] : NAN;
	if (L->cl->grad) {
		double *g = (double *)b->f.cols[RC_GRAD].data + r * L->d;

		for (uint32_t i = 0; i < L->d; i++)
			g[i] = grad ? grad[i] : NAN;
	}
	if (status != ORACLE_OK)
		note_row(L, r, msg);
}

/* y = f(x) for a built-in, with noise; returns the status. */
static int builtin_eval(struct local *L, uint64_t id, const double *x,
			double *y, double *grad)
{
	const struct cmdline *cl = L->cl;

	*y = cl->fn->evaluate(x, L->d, cl->grad ? grad : NULL);
	if (cl->noise > 0) {
		struct rng r;

		rng_seed(&r, cl->seed, id);
		*y += cl->noise * rng_normal(&r);
	}
	return isfinite(*y) ? ORACLE_OK : ORACLE_NONFINITE;
}

/*
 * A plain built-in (no --delay) evaluates the rows of a task at once,
 * straight into the result batch, reading the clock once per batch and not
 * per row: the rows carry the times of their batch, and the note "cost"
 * the time per row.
 */
static void builtin_batch(struct local *L, const struct pal_frame *f)
{
	const uint64_t *tag = f->cols[TC_TAG].data, *id = f->cols[TC_ID].data;
	const double *x = f->cols[TC_X].data;
	const struct cmdline *cl = L->cl;
	uint64_t i = 0;

	while (i < f->nrows) {
		struct pal_batch *b = results_room(L, 1);
		uint64_t r0 = b->f.nrows, n = b->cap - r0;
		uint64_t *otag = (uint64_t *)b->f.cols[RC_TAG].data + r0;
		uint64_t *oid = (uint64_t *)b->f.cols[RC_ID].data + r0;
		int32_t *ost = (int32_t *)b->f.cols[RC_STATUS].data + r0;
		double *t0 = (double *)b->f.cols[RC_T0].data + r0;
		double *t1 = (double *)b->f.cols[RC_T1].data + r0;
		double *y = (double *)b->f.cols[RC_Y].data + r0;
		double *g = cl->grad ? (double *)b->f.cols[RC_GRAD].data +
			    r0 * L->d : NULL;
		double start, end;

		if (n > f->nrows - i)
			n = f->nrows - i;
		start = oracle_now();
		for (uint64_t j = 0; j < n; j++, i++) {
			otag[j] = tag[i];
			oid[j] = id[i];
			ost[j] = builtin_eval(L, id[i], x + i * L->d, &y[j],
					      g ? g + j * L->d : L->grad);
			if (ost[j] != ORACLE_OK)
				note_row(L, r0 + j, "non-finite result");
		}
		end = oracle_now();
		for (uint64_t j = 0; j < n; j++) {
			t0[j] = start;
			t1[j] = end;
		}
		b->f.nrows = r0 + n;
		L->busy += end - start;
		L->busy_rows += n;
	}
}

static void local_take(void *ctx, const struct pal_frame *f,
		       const struct pal_frame *notes)
{
	struct local *L = ctx;
	const char *k = farm_note(notes, "k");

	if (f->ncols != TC_N || f->cols[TC_TAG].dtype != PAL_U64 ||
	    f->cols[TC_ID].dtype != PAL_U64 || f->cols[TC_X].dtype != PAL_F64)
		die("malformed task (%" PRIu32 " columns)", f->ncols);
	local_set_dim(L, f->cols[TC_X].width);
	if (k) {
		const char *errstr;
		uint64_t v = parse_u64(k, 0, PAL_MAX_WIDTH, &errstr);

		if (errstr)
			die("malformed task: k '%s'", k);
		L->k = (uint32_t)v;
	}
	L->held += f->nrows;
	if (!L->tm && !L->orc) {
		builtin_batch(L, f);
		return;
	}
	for (uint64_t i = 0; i < f->nrows; i++)
		local_push(L, ((const uint64_t *)f->cols[TC_TAG].data)[i],
			   ((const uint64_t *)f->cols[TC_ID].data)[i],
			   (const double *)f->cols[TC_X].data + i * L->d, 1);
}

static uint64_t local_pending(void *ctx)
{
	struct local *L = ctx;

	return L->held;
}

/* Whether rows are running (timers or processes): worth waiting for. */
static int local_running(void *ctx)
{
	struct local *L = ctx;

	return L->ntm > 0 || (L->orc && oracle_running(L->orc) > 0);
}

static uint64_t local_queued(void *ctx)
{
	struct local *L = ctx;

	return L->qlen;
}

static double draw_delay(const struct cmdline *cl, uint64_t id)
{
	struct rng r;

	rng_seed(&r, cl->seed ^ 0x64656c6179ull, id);
	switch (cl->delay) {
	case DELAY_EXP:
		return cl->delay_a * rng_exponential(&r);
	case DELAY_UNIFORM:
		return cl->delay_a + (cl->delay_b - cl->delay_a) *
			rng_uniform(&r);
	default:
		return cl->delay_a;
	}
}

/* The oracle pool's callback: hand rows on, or queue them again. */
static void on_call(void *arg, const struct oracle_done *d)
{
	struct local *L = arg;
	struct callrec *c = d->tag;

	if (d->status != ORACLE_OK && c->rows[0].attempt <= L->cl->retries) {
		warnx("row %" PRIu64 "%s: %s; trying again (attempt %u of %u)",
		      c->rows[0].id, c->n > 1 ? " (and its chunk)" : "", d->msg,
		      c->rows[0].attempt + 1, L->cl->retries + 1);
		for (size_t i = 0; i < c->n; i++)
			local_push(L, c->rows[i].tag, c->rows[i].id,
				   c->x + i * L->d, c->rows[i].attempt + 1);
		L->retried += c->n;
	} else {
		if (d->status == ORACLE_OK && !L->k)
			L->k = d->k;
		for (size_t i = 0; i < c->n; i++)
			deliver(L, &c->rows[i], d->status, d->k,
				d->status == ORACLE_OK ? d->y + i * d->k : NULL,
				d->grad ? d->grad + i * d->g : NULL,
				d->t_start, d->t_end, d->msg);
	}
	c->n = 0;
}

/* Start oracle calls on the idle slots. */
static int start_calls(struct local *L)
{
	int started = 0;

	while (L->qlen > 0 && oracle_idle(L->orc) > 0) {
		struct callrec *c = NULL;
		size_t n = L->qlen < L->cl->chunk ? L->qlen : L->cl->chunk;
		uint64_t ids[64], *idp = n <= 64 ? ids : xmalloc(n * sizeof(*idp));
		struct oracle_call oc;

		for (uint32_t i = 0; i < L->cl->jobs && !c; i++)
			if (L->calls[i].n == 0)
				c = &L->calls[i];
		c->rows = xrealloc(c->rows, n * sizeof(*c->rows));
		c->x = xrealloc(c->x, xsize(n, L->d, sizeof(double)));
		memcpy(c->rows, L->q + L->qhead, n * sizeof(*c->rows));
		memcpy(c->x, L->qx + L->qhead * L->d, n * L->d * sizeof(double));
		c->n = n;
		L->qhead += n;
		L->qlen -= n;
		for (size_t i = 0; i < n; i++)
			idp[i] = c->rows[i].id;
		oc = (struct oracle_call){ .tag = c, .n = n, .ids = idp,
			.x = c->x, .d = L->d, .k = L->k,
			.g = L->cl->grad ? L->d : 0, .attempt = c->rows[0].attempt };
		oracle_start(L->orc, &oc);
		if (idp != ids)
			free(idp);
		started++;
	}
	return started;
}

/* A built-in with --delay: rows wait out their delays as timers. */
static int timers_step(struct local *L, double timeout)
{
	int progress = 0;

	for (int pass = 0; pass < 2; pass++) {
		/* Delays run on the monotonic clock; t0, t1 are reported,
		 * so wall-clock times. */
		double now = pal_clock_mono(), next = -1;

		for (unsigned i = 0; i < L->ntm;) {
			struct timer *t = &L->tm[i];

			if (t->due <= now) {
				struct timer done = *t;
				double *g = L->tgrad + (size_t)i * L->d;

				deliver(L, &done.row, done.status, 1, &done.y,
					g, done.t0, pal_clock_wall(), "non-finite result");
				L->ntm--;
				if (i != L->ntm) {
					*t = L->tm[L->ntm];
					memcpy(g, L->tgrad + (size_t)L->ntm * L->d,
					       L->d * sizeof(double));
				}
				progress = 1;
				continue;
			}
			i++;
		}
		while (L->qlen > 0 && L->ntm < L->cl->jobs) {
			struct timer *t = &L->tm[L->ntm];

			t->row = L->q[L->qhead];
			t->t0 = pal_clock_wall();
			t->status = builtin_eval(L, t->row.id,
						 L->qx + L->qhead * L->d, &t->y,
						 L->tgrad + (size_t)L->ntm * L->d);
			t->due = now + draw_delay(L->cl, t->row.id);
			L->qhead++;
			L->qlen--;
			L->ntm++;
			progress = 1;
		}
		if (pass == 1 || timeout == 0 || L->ntm == 0 || progress)
			break;
		for (unsigned i = 0; i < L->ntm; i++)
			if (next < 0 || L->tm[i].due < next)
				next = L->tm[i].due;
		if (timeout > 0 && next > now + timeout)
			next = now + timeout;
		if (next > now) {
			struct timespec ts;
			double s = next - now;

			ts.tv_sec = (time_t)s;
			ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
			nanosleep(&ts, NULL);
		}
	}
	return progress;
}

/*
 * One step of the evaluator: finish what is due, start what fits, waiting
 * up to timeout seconds (0: not at all; negative: until something
 * finishes), and hand what finished to the farm.  Returns whether anything
 * happened.
 */
static int local_step(void *ctx, double timeout)
{
	struct local *L = ctx;
	int progress = 0;

	if (L->orc) {
		progress += start_calls(L);
		if (oracle_running(L->orc))
			progress += oracle_wait(L->orc, timeout, on_call, L);
		progress += start_calls(L);
	} else if (L->tm) {
		progress = timers_step(L, timeout);
	}
	if (L->qlen == 0)
		L->qhead = 0;
	if (L->res && L->res->f.nrows) {
		results_flush(L);
		progress = 1;
	}
	return progress > 0;
}

static void local_init(struct local *L, const struct cmdline *cl, int rank,
		       uint32_t d)
{
	memset(L, 0, sizeof(*L));
	L->cl = cl;
	L->k = cl->fn ? 1 : cl->outputs;
	if (cl->fn && cl->delay)
		L->tm = xcalloc(cl->jobs, sizeof(*L->tm));
	if (rank == 0)
		local_set_dim(L, d);	/* others: from the first task */
	if (cl->exec) {
		struct oracle_opts oo = {
			.cmd = cl->exec, .jobs = cl->jobs,
			.timeout = cl->timeout, .workdir = cl->workdir,
			.keep_workdir = cl->keep_workdir, .rank = rank,
		};
		struct pal_error err;

		L->orc = oracle_new(&oo, &err);
		if (!L->orc)
			die("%s", err.msg);
		L->calls = xcalloc(cl->jobs, sizeof(*L->calls));
	}
	L->ev = (struct farm_eval){
		.ctx = L, .take = local_take, .step = local_step,
		.pending = local_pending, .running = local_running,
		.queued = local_queued,
	};
}

/* ---- rank 0: the rows' hooks and the journal ---------------------------- */

/*
 * The rows themselves (input, slots in flight, order, output batches) are
 * mpirows.h's; these are pal-label's hooks into it.  The output: the input
 * columns but these, then the result columns, in the order of enum OC_*
 * (grad only with --grad).
 */
static const char *const output_names[] = {
	"y", "grad", "status", "t_start", "t_end", "rank", NULL
};

enum { OC_Y, OC_GRAD, OC_STATUS, OC_T0, OC_T1, OC_RANK, OC_N };

/* What pal-label keeps of a row in flight (mpirows' user bytes). */
struct row_state {
	uint64_t fp;			/* of the input columns (--journal) */
	uint8_t retry;			/* re-runs a failed row of the journal */
};

struct label {
	const struct cmdline *cl;
	int size;
	int infd;
	struct pal_reader *r;
	struct out out;
	struct pal_writer *w;
	struct rows *rs;
	uint32_t oc[OC_N];		/* result column of each OC_* */
	double *ry, *rg, *rt0, *rt1;	/* their storage (result_cols) */
	int32_t *rst, *rrk;
	int schema_set;
	int id_col;
	uint32_t d;
	struct journal *j;
	uint32_t k;
	/* the farm */
	struct pal_kv task_kv;		/* the notes of tasks: k */
	char task_k[16];
	uint32_t B;
	double cost;			/* seconds per row, smoothed */
	struct local L;
	/* counts */
	uint64_t nok, nkept, nskipped, nwritten;
	uint64_t nrestored_failed, nretried;
	uint64_t by_status[8];
	int aborting;
};

/* The input's name in messages: its path, or "stdin". */
static const char *input_name(const struct cmdline *cl)
{
	return cl->input && strcmp(cl->input, "-") ? cl->input : "stdin";
}

/*
 * Where finished() writes: the result columns of row 0, so of every row
 * (row s at s times the width).  The storage moves only when rows are read,
 * never during a hook: set at the start of on_result() and restore().
 */
static void result_cols(struct label *lb)
{
	struct rows *rs = lb->rs;

	lb->ry = lb->k ? rows_result(rs, 0, lb->oc[OC_Y]) : NULL;
	lb->rg = lb->cl->grad ? rows_result(rs, 0, lb->oc[OC_GRAD]) : NULL;
	lb->rst = rows_result(rs, 0, lb->oc[OC_STATUS]);
	lb->rt0 = rows_result(rs, 0, lb->oc[OC_T0]);
	lb->rt1 = rows_result(rs, 0, lb->oc[OC_T1]);
	lb->rrk = rows_result(rs, 0, lb->oc[OC_RANK]);
}

/* y has k numbers a row: known from the start, the journal or the first
 * success. */
static void set_k(struct label *lb, uint32_t k)
{
	lb->k = k;
	if (lb->schema_set) {
		rows_set_width(lb->rs, lb->oc[OC_Y], k);
		lb->ry = rows_result(lb->rs, 0, lb->oc[OC_Y]);
	}
}

/* The rows' schema(): the first data frame fixes the input columns. */
static void on_schema(void *ctx, struct rows *rs, const struct pal_frame *f)
{
	struct label *lb = ctx;
	const struct pal_col *id = pal_col_find(f, "id"),
			     *x = pal_col_find(f, "x");
	const char *in = input_name(lb->cl);
	struct pal_col task[2], res[OC_N];
	uint32_t n = 0;

	if (!id)
		die("no column 'id' (%s: frame %" PRIu64 " at offset %"
		    PRIu64 "); pal-gen makes one", in, f->index, f->offset);
	if (id->dtype != PAL_U64 || id->width != 1)
		die("column 'id' is %s of width %" PRIu32 ", not u64 (%s: "
		    "frame %" PRIu64 " at offset %" PRIu64 ")",
		    pal_dtype_name(id->dtype), id->width, in, f->index,
		    f->offset);
	if (!x)
		die("no column 'x' (%s: frame %" PRIu64 " at offset %"
		    PRIu64 ")", in, f->index, f->offset);
	lb->d = x->width;
	if (lb->cl->fn) {
		const char *why = testfn_check_dim(lb->cl->fn, lb->d);

		if (why)
			die("x has %" PRIu32 " element%s per row, but %s %s "
			    "(%s: frame %" PRIu64 " at offset %" PRIu64 ")",
			    lb->d, lb->d == 1 ? "" : "s", lb->cl->fn->name, why,
			    in, f->index, f->offset);
	}
	lb->id_col = pal_col_index(f, "id");
	/* The task: tag (the rows'), id, x as f64. */
	task[0] = (struct pal_col){ "id", PAL_U64, 1, NULL };
	task[1] = (struct pal_col){ "x", PAL_F64, lb->d, NULL };
	lb->oc[OC_Y] = n;
	res[n++] = (struct pal_col){ "y", PAL_F64, lb->k, NULL };
	lb->oc[OC_GRAD] = n;
	if (lb->cl->grad)
		res[n++] = (struct pal_col){ "grad", PAL_F64, lb->d, NULL };
	lb->oc[OC_STATUS] = n;
	res[n++] = (struct pal_col){ "status", PAL_I32, 1, NULL };
	lb->oc[OC_T0] = n;
	res[n++] = (struct pal_col){ "t_start", PAL_F64, 1, NULL };
	lb->oc[OC_T1] = n;
	res[n++] = (struct pal_col){ "t_end", PAL_F64, 1, NULL };
	lb->oc[OC_RANK] = n;
	res[n++] = (struct pal_col){ "rank", PAL_I32, 1, NULL };
	rows_set_columns(rs, task, 2, res, n);
	lb->schema_set = 1;
}

/*
 * Journal: the rows that finished since the last call, to the disk.  Called
 * (the rows' sync()) before new work is handed out and before rows are
 * written out, so that a row in the output or whose slot is reused is in
 * the journal.
 */
static void journal_sync_rows(struct label *lb)
{
	if (lb->j && journal_sync(lb->j) < 0)
		die("%s", journal_error(lb->j)->msg);
}

static void on_sync(void *ctx)
{
	journal_sync_rows(ctx);
}

/*
 * Journal row s, a success or a failure (on the disk at the next
 * journal_sync_rows()), as the output has it.  A failure before k is known
 * is journaled with one NaN: the y of a failure is never taken back.
 */
static void journal_row(struct label *lb, uint32_t s, uint64_t id, int ynan,
			const char *msg)
{
	struct rows *rs = lb->rs;
	const struct row_state *u = rows_user(rs, s);
	struct journal_row jr = {
		.id = id, .fp = u->fp,
		.status = *(int32_t *)rows_result(rs, s, lb->oc[OC_STATUS]),
		.rank = *(int32_t *)rows_result(rs, s, lb->oc[OC_RANK]),
		.retried = u->retry,
		.t_start = *(double *)rows_result(rs, s, lb->oc[OC_T0]),
		.t_end = *(double *)rows_result(rs, s, lb->oc[OC_T1]),
		.k = lb->k ? lb->k : 1,
		.g = lb->cl->grad ? lb->d : 0,
		.y = ynan || !lb->k ? NULL : rows_result(rs, s, lb->oc[OC_Y]),
		.grad = lb->cl->grad ? rows_result(rs, s, lb->oc[OC_GRAD]) :
			NULL,
		.msg = msg,
	};

	if (journal_put(lb->j, &jr) < 0)
		die("%s", journal_error(lb->j)->msg);
}

/* A finished row, from a rank's result frame or from the journal. */
struct done_row {
	uint64_t id;
	int32_t status;
	uint32_t k;			/* numbers in y */
	const double *y;		/* k numbers, or NULL */
	const double *grad;		/* d numbers, or NULL */
	double t0, t1;
	const char *msg;		/* why it failed, or NULL */
	int restored;			/* from the journal */
};

/*
 * Row s is finished, on rank (or restored from the journal): its result
 * columns.  A row run in this process is journaled at once (on the disk at
 * the next journal_sync_rows(), before its slot takes a new row and before
 * the row is written out): a kill -9 then runs again only the rows that
 * were running.
 */
static void finished(struct label *lb, uint32_t s, const struct done_row *d,
		     int rank)
{
	struct rows *rs = lb->rs;
	int32_t status = d->status, st = status;
	uint32_t k = d->k;
	const char *msg = NULL;
	int ynan;

	if (status == ORACLE_OK && !lb->k)
		set_k(lb, k);
	ynan = !d->y || k != lb->k;
	if (status == ORACLE_OK && k != lb->k) {
		st = ORACLE_OUTPUT;
		warnx("row %" PRIu64 " (rank %d): bad output: %" PRIu32
		      " numbers of y, expected %" PRIu32, d->id, rank, k,
		      lb->k);
	}
	if (lb->k) {
		double *y = lb->ry + (size_t)s * lb->k;

		for (uint32_t i = 0; i < lb->k; i++)
			y[i] = ynan ? NAN : d->y[i];
	}
	if (lb->cl->grad) {
		double *g = lb->rg + (size_t)s * lb->d;

		for (uint32_t i = 0; i < lb->d; i++)
			g[i] = d->grad ? d->grad[i] : NAN;
	}
	lb->rst[s] = st;
	lb->rt0[s] = d->t0;
	lb->rt1[s] = d->t1;
	lb->rrk[s] = rank;
	lb->by_status[st < 7 && st >= 0 ? st : 7]++;
	if (st == ORACLE_OK) {
		lb->nok++;
	} else {
		msg = st != status ? "wrong width" : d->msg ? d->msg : "failed";
		rows_mark(rs, s, ROWS_FAILED);
		if (d->restored) {
			lb->nrestored_failed++;
			warnx("row %" PRIu64 " (rank %d, journal '%s'): %s",
			      d->id, rank, lb->cl->journal, msg);
		} else {
			warnx("row %" PRIu64 " (rank %d): %s", d->id, rank,
			      msg);
		}
		if (lb->cl->on_fail == FAIL_SKIP) {
			rows_mark(rs, s, ROWS_DROP);
			lb->nskipped++;
		} else {
			lb->nkept++;
		}
		if (lb->cl->on_fail == FAIL_ABORT && !lb->aborting) {
			warnx("stopping (--on-fail abort): finishing the rows "
			      "in flight");
			lb->aborting = 1;
			rows_abort(rs);
		}
	}
	if (lb->j && !d->restored)
		journal_row(lb, s, d->id, ynan, msg);
}

/* The rows' finished(): rows finished on a rank, row r of f being rows[r]. */
static void on_result(void *ctx, struct rows *rs, const struct pal_frame *f,
		      const struct pal_frame *notes, int rank,
		      const uint32_t *rows)
{
	struct label *lb = ctx;
	const char *cost = farm_note(notes, "cost");
	uint32_t note = 0;
	uint32_t g = lb->cl->grad ? 7 : 6;

	(void)rs;		/* lb->rs */
	if (f->ncols != g || f->cols[RC_TAG].dtype != PAL_U64 ||
	    f->cols[RC_STATUS].dtype != PAL_I32 ||
	    f->cols[RC_Y].dtype != PAL_F64 ||
	    (lb->cl->grad && f->cols[RC_GRAD].width != lb->d))
		die("malformed results from rank %d", rank);
	result_cols(lb);
	for (uint64_t r = 0; r < f->nrows; r++) {
		const char *msg = NULL;
		char key[NOTE_MAX];

		if (((const int32_t *)f->cols[RC_STATUS].data)[r] != ORACLE_OK) {
			/* The notes hold the messages in row order. */
			snprintf(key, sizeof(key), "msg.%" PRIu64, r);
			while (notes && note < notes->nkv &&
			       strcmp(notes->kv[note].key, key))
				note++;
			if (notes && note < notes->nkv)
				msg = notes->kv[note].value;
		}
		finished(lb, rows[r], &(struct done_row){
			.id = ((const uint64_t *)f->cols[RC_ID].data)[r],
			.status = ((const int32_t *)f->cols[RC_STATUS].data)[r],
			.k = f->cols[RC_Y].width,
			.y = (const double *)f->cols[RC_Y].data +
			     r * f->cols[RC_Y].width,
			.grad = lb->cl->grad ? (const double *)
				f->cols[RC_GRAD].data + r * lb->d : NULL,
			.t0 = ((const double *)f->cols[RC_T0].data)[r],
			.t1 = ((const double *)f->cols[RC_T1].data)[r],
			.msg = msg }, rank);
	}
	/* Seconds per row, smoothed: from the note of a plain built-in,
	 * else from each row's times. */
	if (cost) {
		double c = strtod(cost, NULL);

		if (c > 0)
			lb->cost = lb->cost ? 0.9 * lb->cost + 0.1 * c : c;
	} else {
		for (uint64_t r = 0; r < f->nrows; r++) {
			double t = ((const double *)f->cols[RC_T1].data)[r] -
				   ((const double *)f->cols[RC_T0].data)[r];

			if (t > 0)
				lb->cost = lb->cost ? 0.9 * lb->cost + 0.1 * t :
					   t;
		}
	}
}

/* The batch size: fixed, or about BATCH_SECONDS of work. */
static void size_batch(struct label *lb)
{
	const struct cmdline *cl = lb->cl;
	double b;
	uint32_t lo = cl->chunk;

	if (cl->batch) {
		lb->B = cl->batch;
		return;
	}
	if (lb->cost <= 0) {
		lb->B = lo;
		return;
	}
	b = BATCH_SECONDS * cl->jobs / lb->cost;
	lb->B = b > MAX_BATCH ? MAX_BATCH : b < lo ? lo : (uint32_t)b;
}

/*
 * The rows' restore(): finish row s from the journal, if it is there: 1,
 * or 0 when it is to be run (not there, or a failure to run again with
 * --retry-failed).  A row of the same id and other input is an error.
 */
static int restore(void *ctx, struct rows *rs, uint32_t s)
{
	struct label *lb = ctx;
	struct row_state *u = rows_user(rs, s);
	const struct pal_frame *sc = rows_schema(rs);
	uint64_t id;
	struct journal_row jr;
	struct done_row r = { 0 };
	uint32_t g = lb->cl->grad ? lb->d : 0;

	memcpy(&id, rows_input(rs, s, (uint32_t)lb->id_col), sizeof(id));
	u->fp = JOURNAL_FP_INIT;
	for (uint32_t c = 0; c < sc->ncols; c++) {
		const void *p = rows_input(rs, s, c);

		if (p)
			u->fp = journal_fp_col(u->fp, &sc->cols[c], p);
	}
	switch (journal_take(lb->j, id, u->fp, &jr)) {
	case JOURNAL_ABSENT:
		return 0;
	case JOURNAL_DIFFERS:
		die("input row id %" PRIu64 " differs from the journal's row "
		    "of that id (journal '%s' is of another input)", id,
		    lb->cl->journal);
	case JOURNAL_FOUND:
		break;
	}
	if (jr.status != ORACLE_OK && lb->cl->retry_failed) {
		u->retry = 1;
		lb->nretried++;
		return 0;
	}
	if (jr.status == ORACLE_OK && ((lb->k && jr.k != lb->k) || jr.g != g))
		die("journal '%s': row id %" PRIu64 " has %" PRIu32 " y and %"
		    PRIu32 " gradient elements, this run %" PRIu32 " and %"
		    PRIu32, lb->cl->journal, id, jr.k, jr.g, lb->k, g);
	r.id = id;
	r.status = jr.status;
	r.k = jr.k;
	r.y = jr.status == ORACLE_OK ? jr.y : NULL;
	r.grad = jr.grad;
	r.t0 = jr.t_start;
	r.t1 = jr.t_end;
	r.msg = jr.msg;
	r.restored = 1;
	result_cols(lb);
	finished(lb, s, &r, jr.rank);
	return 1;
}

/* The rows' notes(): what the tasks' notes say, k. */
static const struct pal_frame *task_notes(void *ctx)
{
	static struct pal_frame nf = { .kind = PAL_META, .nkv = 1 };
	struct label *lb = ctx;

	snprintf(lb->task_k, sizeof(lb->task_k), "%" PRIu32, lb->k);
	lb->task_kv.key = (char *)"k";
	lb->task_kv.value = lb->task_k;
	nf.kv = &lb->task_kv;
	return &nf;
}

/* Rows rank 0's own evaluator may hold. */
static uint64_t local_want(const struct label *lb)
{
	const struct cmdline *cl = lb->cl;

	if (!lb->k)
		return cl->chunk;	/* one call until k is known */
	if (lb->L.orc || lb->L.tm)
		return (uint64_t)cl->jobs * cl->chunk *
		       (lb->size > 1 ? 1 : 2);
	return lb->B;
}

/* The rows' pace(): rows go to the other ranks once the first result has
 * fixed k. */
static void on_pace(void *ctx, uint64_t *batch, uint64_t *local, int *remote)
{
	struct label *lb = ctx;

	size_batch(lb);
	*batch = lb->B;
	*local = local_want(lb);
	*remote = lb->k != 0;
}

/*
 * The oracle, as the journal records it: what decides y and grad.  A plain
 * --exec is its command, as journals before --exec --grad have it.
 */
static char *oracle_desc(const struct cmdline *cl)
{
	char buf[200];

	if (cl->exec && cl->grad) {
		size_t n = strlen(cl->exec) + 20;
		char *s = xmalloc(n);

		snprintf(s, n, "--exec %s --grad", cl->exec);
		return s;
	}
	if (cl->exec)
		return xstrdup(cl->exec);
	snprintf(buf, sizeof(buf), "--builtin %s", cl->fn->name);
	if (cl->grad)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
			 " --grad");
	if (cl->noise > 0)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
			 " --noise %.17g --seed %" PRIu64, cl->noise, cl->seed);
	return xstrdup(buf);
}

static void open_journal(struct label *lb)
{
	const struct cmdline *cl = lb->cl;
	struct journal_desc desc = { oracle_desc(cl), cl->any_oracle };
	struct pal_error err;
	uint32_t k;

	lb->j = journal_open(cl->journal, &desc, &err);
	if (!lb->j)
		die("%s", err.msg);
	if (journal_other_oracle(lb->j))
		warnx("journal '%s': of another oracle ('%s'), taken all the "
		      "same (--journal-any-oracle)", cl->journal,
		      journal_other_oracle(lb->j));
	free((char *)desc.oracle);
	if (journal_torn(lb->j))
		warnx("journal '%s': cut off %" PRIu64 " bytes of a torn last "
		      "frame", cl->journal, journal_torn(lb->j));
	k = journal_k(lb->j);
	if (k) {
		if (lb->k && lb->k != k)
			die("journal '%s' has y of width %" PRIu32 ", not %"
			    PRIu32, cl->journal, k, lb->k);
		set_k(lb, k);
	}
}

/* Rank 0: run the farm to the end of the input; 1 after an abort. */
static int run(struct label *lb)
{
	const struct cmdline *cl = lb->cl;
	struct rows_opts ro = {
		.in_name = input_name(cl), .progress = cl->progress,
		.ordered = cl->ordered, .drop = output_names,
		.user_bytes = sizeof(struct row_state),
		.farm = {
			.slots = (uint64_t)cl->jobs * cl->chunk,
			.inflight = cl->inflight,
			.dispatch_only = cl->dispatch_only,
			.heartbeat = cl->heartbeat,
		},
	};
	struct rows_hooks rh = {
		.ctx = lb, .schema = on_schema,
		.restore = cl->journal ? restore : NULL, .notes = task_notes,
		.finished = on_result, .sync = on_sync, .pace = on_pace,
	};
	int aborted;

	lb->infd = xopen_in(cl->input);
	out_open(&lb->out, cl->output);
	/* mpirun hands rank 0 a pseudo-terminal for stdout whatever the
	 * real one is, so only a run without it can tell. */
	if (!comm_mpi())
		out_refuse_tty(&lb->out);
	lb->r = xreader(lb->infd, cl->input ? cl->input : "-");
	lb->w = xwriter(lb->out.fd, lb->out.name, PAL_LEVEL_KEEP);
	ro.in = lb->r;
	ro.out = lb->w;
	ro.out_fd = lb->out.fd;
	lb->k = cl->fn ? 1 : cl->outputs;
	lb->rs = rows_new(&ro, &rh);
	/* The first frame gives the dimension that the evaluator needs. */
	rows_start(lb->rs);
	if (cl->journal)
		open_journal(lb);
	local_init(&lb->L, cl, 0, lb->d);
	aborted = rows_run(lb->rs, &lb->L.ev);
	lb->nwritten = rows_written(lb->rs);
	if (aborted) {
		/* Not complete: the rows so far go out, but no end frame, and
		 * -o is not put in place (main dies). */
		if (pal_writer_flush(lb->w) < 0)
			die_writer(lb->w);
		return 1;
	}
	xpal_finish(lb->w);
	out_commit(&lb->out);
	return 0;
}

static void label_free(struct label *lb)
{
	local_free(&lb->L);
	rows_free(lb->rs);
	pal_reader_free(lb->r);
	if (lb->infd > 0)
		close(lb->infd);
	pal_writer_free(lb->w);
}

static void report(const struct label *lb)
{
	const struct cmdline *cl = lb->cl;
	uint64_t failed = lb->nkept + lb->nskipped;

	uint64_t untaken = lb->j ? journal_untaken(lb->j) : 0;

	if (untaken && !lb->aborting)
		warnx("journal '%s': %" PRIu64 " of its rows are not in the "
		      "input (not written)", cl->journal, untaken);
	if (lb->nretried)
		warnx("journal '%s': %" PRIu64 " failed row%s run again "
		      "(--retry-failed)", cl->journal, lb->nretried,
		      lb->nretried == 1 ? "" : "s");
	if (!failed && !lb->aborting)
		return;
	warnx("%" PRIu64 " of %" PRIu64 " rows failed (%s): %" PRIu64
	      " exit, %" PRIu64 " signal, %" PRIu64 " timeout, %" PRIu64
	      " output, %" PRIu64 " start, %" PRIu64 " nonfinite",
	      failed, rows_read(lb->rs), cl->on_fail == FAIL_SKIP ? "skipped" :
	      cl->on_fail == FAIL_KEEP ? "kept with their status" : "abort",
	      lb->by_status[1], lb->by_status[2], lb->by_status[3],
	      lb->by_status[4], lb->by_status[5], lb->by_status[6]);
	if (lb->nrestored_failed)
		warnx("%" PRIu64 " of the failed rows failed in an earlier run "
		      "(journal '%s'; --retry-failed runs them again)",
		      lb->nrestored_failed, cl->journal);
}

/* A rank other than 0: evaluate what rank 0 hands out. */
static void work(const struct cmdline *cl, int rank)
{
	struct farm_opts fo = { .heartbeat = cl->heartbeat };
	struct local L;

	local_init(&L, cl, rank, 0);
	if (farm_work(&fo, &L.ev) < 0) {
		/* Rank 0 is gone: stop the oracles now, not when the
		 * launcher gets round to it. */
		local_free(&L);
		die("rank 0 is gone: stopping rank %d", rank);
	}
	local_free(&L);
}

int main(int argc, char **argv)
{
	int muted[2];
	struct cmdline cl;
	struct label lb;
	int rank, size, rc = 0;

	pal_init("pal-label");
	/* Options, read on every rank; only rank 0 speaks. */
	comm_mute_others(muted);
	parse_args(&cl, argc, argv);
	comm_unmute(muted);
	comm_init(&argc, &argv, &rank, &size);
	memset(&lb, 0, sizeof(lb));
	if (rank == 0) {
		lb.cl = &cl;
		lb.size = size;
		rc = run(&lb);
		report(&lb);
		if (lb.j) {
			struct pal_error err;

			if (journal_close(lb.j, &err) < 0)
				die("%s", err.msg);
		}
		label_free(&lb);
	} else {
		work(&cl, rank);
	}
	comm_finish();
	if (rc && lb.out.tmp)
		die("aborted (--on-fail abort) after %" PRIu64 " rows: '%s' "
		    "not written", lb.nwritten, lb.out.path);
	if (rc)
		die("aborted (--on-fail abort) after %" PRIu64 " rows: the "
		    "output has no end frame", lb.nwritten);
	return 0;
}
