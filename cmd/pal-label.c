/*
 * pal-label: the oracle stage.  Label each row's x with y, by a built-in
 * test function or by the user's program, farmed out over MPI ranks.
 *
 * Rank 0 reads the input, hands batches of rows to the ranks as they become
 * free (an as-completed task farm with a credit of rows per rank), writes
 * the finished rows and keeps the journal.  Every rank evaluates rows,
 * rank 0 included: between dispatch steps it runs its own share, so a run on
 * two cores uses both.  Without a launcher it runs alone, with no MPI call.
 *
 * The pieces: the local evaluator (struct local) runs rows on one rank, by a
 * built-in (with --delay as timers, so -j works for it too) or through the
 * oracle pool of oracle.c; struct label is rank 0's bookkeeping (slots for
 * rows in flight, the order queue, the output batch, the journal); the
 * worker loop of the other ranks is work().
 */
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
#include "mpifarm.h"
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
	"                 [--inflight k] [--journal file] [--journal-any-oracle]\n"
	"                 [--keep-workdir] [--noise sigma]\n"
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
	"      --grad             add the column grad, the built-in's gradient\n"
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
enum { TAG_TASK = 1, TAG_RESULT, TAG_STOP };

#define MAX_BATCH 4096u			/* rows per message, automatic sizing */
#define BATCH_SECONDS 0.01		/* automatic sizing: work per batch */
#define FLUSH_SECONDS 0.1		/* oldest row waiting for the output */

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
	       OPT_DISPATCH_ONLY, OPT_EXEC, OPT_GRAD, OPT_INFLIGHT,
	       OPT_JOURNAL, OPT_JOURNAL_ANY_ORACLE, OPT_KEEP_WORKDIR, OPT_NOISE,
	       OPT_ON_FAIL, OPT_ORDERED, OPT_OUTPUTS, OPT_RETRIES,
	       OPT_RETRY_FAILED, OPT_SEED, OPT_TIMEOUT, OPT_WORKDIR, OPT_PROGRESS, OPT_QUIET };
	static const struct option opts[] = {
		{ "batch", required_argument, NULL, OPT_BATCH },
		{ "builtin", required_argument, NULL, OPT_BUILTIN },
		{ "chunk", required_argument, NULL, OPT_CHUNK },
		{ "delay", required_argument, NULL, OPT_DELAY },
		{ "dispatch-only", no_argument, NULL, OPT_DISPATCH_ONLY },
		{ "exec", required_argument, NULL, OPT_EXEC },
		{ "grad", no_argument, NULL, OPT_GRAD },
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
		case 'h':
			usage(0);
		case 'i':
			cl->input = optarg;
			break;
		case OPT_INFLIGHT:
			cl->inflight = (uint32_t)opt_u64("--inflight",
							     optarg, 1, 1024);
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
		if (cl->grad || cl->noise > 0 || cl->delay)
			usage_die("--grad, --noise and --delay apply to "
				  "--builtin");
		if (cl->keep_workdir && !cl->workdir)
			usage_die("--keep-workdir needs --workdir");
	}
}

/* ---- evaluating rows on one rank ---------------------------------------- */

/* A row to evaluate: the caller's tag (a slot on rank 0), id, attempt. */
struct lrow {
	uint32_t tag;
	uint32_t attempt;
	uint64_t id;
};

/* A finished row, handed to the owner of the evaluator. */
struct result {
	uint32_t tag;
	uint64_t id;
	int status;
	uint32_t k;
	const double *y;		/* k numbers, or NULL: NaN */
	const double *grad;		/* d numbers, or NULL */
	double t0, t1;
	const char *msg;
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
	int rank;
	uint32_t d, k;			/* k: 0 until the first result */
	struct lrow *q;			/* FIFO of rows not started */
	double *qx;
	size_t qhead, qlen, qcap;
	struct timer *tm;		/* --delay: jobs timers */
	double *tgrad;
	unsigned ntm;
	struct oracle *orc;
	struct callrec *calls;		/* jobs of them */
	double *y, *grad;		/* scratch for one row */
	uint32_t round;			/* rows per step for a plain built-in */
	void (*deliver)(void *ctx, const struct result *r);
	void *ctx;
	uint64_t retried;
};

static void local_init(struct local *L, const struct cmdline *cl, int rank,
		       uint32_t d, void (*deliver)(void *, const struct result *),
		       void *ctx)
{
	memset(L, 0, sizeof(*L));
	L->cl = cl;
	L->rank = rank;
	L->d = d;
	L->k = cl->fn ? 1 : cl->outputs;
	L->deliver = deliver;
	L->ctx = ctx;
	L->round = 1;
	L->y = xcalloc(1, sizeof(double));
	L->grad = xcalloc(d ? d : 1, sizeof(double));
	if (cl->fn && cl->delay) {
		L->tm = xcalloc(cl->jobs, sizeof(*L->tm));
		L->tgrad = xcalloc((size_t)cl->jobs * (d ? d : 1),
				   sizeof(double));
	}
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
	free(L->y);
	free(L->grad);
}

static void local_push(struct local *L, uint32_t tag, uint64_t id,
		       const double *x, uint32_t attempt)
{
	if (L->qhead > 0 && L->qhead + L->qlen == L->qcap) {
		memmove(L->q, L->q + L->qhead, L->qlen * sizeof(*L->q));
		memmove(L->qx, L->qx + L->qhead * L->d,
			L->qlen * L->d * sizeof(double));
		L->qhead = 0;
	}
	if (L->qhead + L->qlen == L->qcap) {
		L->qcap = L->qcap ? 2 * L->qcap : 64;
		L->q = xrealloc(L->q, L->qcap * sizeof(*L->q));
		L->qx = xrealloc(L->qx, L->qcap * (L->d ? L->d : 1) *
				 sizeof(double));
	}
	L->q[L->qhead + L->qlen] = (struct lrow){ tag, attempt, id };
	memcpy(L->qx + (L->qhead + L->qlen) * L->d, x, L->d * sizeof(double));
	L->qlen++;
}

/* Rows accepted and not finished. */
static size_t local_pending(const struct local *L)
{
	size_t n = L->qlen + L->ntm;

	if (L->orc)
		for (uint32_t i = 0; i < L->cl->jobs; i++)
			n += L->calls[i].n;
	return n;
}

/* Whether rows are running (timers or processes): worth waiting for. */
static int local_running(const struct local *L)
{
	return L->ntm > 0 || (L->orc && oracle_running(L->orc) > 0);
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

static void deliver_builtin(struct local *L, const struct lrow *row,
			    int status, const double *y, const double *g,
			    double t0, double t1)
{
	struct result res = {
		.tag = row->tag, .id = row->id, .status = status, .k = 1,
		.y = y, .grad = L->cl->grad ? g : NULL, .t0 = t0, .t1 = t1,
		.msg = status ? "non-finite result" : "",
	};

	L->deliver(L->ctx, &res);
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
		for (size_t i = 0; i < c->n; i++) {
			struct result res = {
				.tag = c->rows[i].tag, .id = c->rows[i].id,
				.status = d->status, .k = d->k,
				.y = d->status == ORACLE_OK ? d->y + i * d->k :
					NULL,
				.t0 = d->t_start, .t1 = d->t_end,
				.msg = d->msg,
			};

			L->deliver(L->ctx, &res);
		}
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
		c->x = xrealloc(c->x, n * (L->d ? L->d : 1) * sizeof(double));
		memcpy(c->rows, L->q + L->qhead, n * sizeof(*c->rows));
		memcpy(c->x, L->qx + L->qhead * L->d, n * L->d * sizeof(double));
		c->n = n;
		L->qhead += n;
		L->qlen -= n;
		for (size_t i = 0; i < n; i++)
			idp[i] = c->rows[i].id;
		oc = (struct oracle_call){ .tag = c, .n = n, .ids = idp,
			.x = c->x, .d = L->d, .k = L->k,
			.attempt = c->rows[0].attempt };
		oracle_start(L->orc, &oc);
		if (idp != ids)
			free(idp);
		started++;
	}
	return started;
}

/*
 * One step of the evaluator: finish what is due, start what fits, waiting
 * up to timeout seconds (0: not at all; negative: until something
 * finishes).  Returns whether anything happened.
 */
static int local_step(struct local *L, double timeout)
{
	int progress = 0;

	if (L->orc) {
		progress += start_calls(L);
		if (oracle_running(L->orc))
			progress += oracle_wait(L->orc, timeout, on_call, L);
		progress += start_calls(L);
		return progress > 0;
	}
	if (!L->tm) {
		/* A plain built-in: a round of rows, now. */
		uint32_t n = L->qlen < L->round ? (uint32_t)L->qlen : L->round;

		for (uint32_t i = 0; i < n; i++) {
			struct lrow *row = &L->q[L->qhead];
			double t0 = oracle_now();
			int st = builtin_eval(L, row->id, L->qx + L->qhead * L->d,
					      L->y, L->grad);

			L->qhead++;
			L->qlen--;
			deliver_builtin(L, row, st, L->y, L->grad, t0,
					oracle_now());
		}
		if (L->qlen == 0)
			L->qhead = 0;
		return n > 0;
	}
	/* A built-in with --delay: rows wait out their delays as timers. */
	for (int pass = 0; pass < 2; pass++) {
		/* Delays run on the monotonic clock; t0, t1 are reported,
		 * so wall-clock times. */
		double now = pal_clock_mono(), next = -1;

		for (unsigned i = 0; i < L->ntm;) {
			struct timer *t = &L->tm[i];

			if (t->due <= now) {
				struct timer done = *t;
				double *g = L->tgrad + (size_t)i * L->d;

				deliver_builtin(L, &done.row, done.status,
						&done.y, g, done.t0,
						pal_clock_wall());
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

/* ---- messages ----------------------------------------------------------- */

/*
 * A task: u32 nrows, u32 k, u32 d, u32 pad, then per row u32 tag, u32
 * attempt, u64 id, d doubles of x.  A result: u32 nrows, u32 k, u32 g (d
 * with --grad, else 0), u32 pad, then per row u32 tag, i32 status, u64 id,
 * f64 t0, f64 t1, k doubles of y, g doubles of grad, u32 message length,
 * u32 pad, the message padded to 8 bytes.
 */
struct msgbuf {
	unsigned char *p;
	size_t len, cap;
	uint32_t nrows;
};

static void mb_put(struct msgbuf *m, const void *src, size_t n)
{
	if (m->len + n > m->cap) {
		m->cap = m->cap ? m->cap : 4096;
		while (m->len + n > m->cap)
			m->cap *= 2;
		m->p = xrealloc(m->p, m->cap);
	}
	memcpy(m->p + m->len, src, n);
	m->len += n;
}

static void mb_start(struct msgbuf *m, uint32_t k, uint32_t d)
{
	uint32_t h[4] = { 0, k, d, 0 };

	m->p = NULL;
	m->len = m->cap = 0;
	m->nrows = 0;
	mb_put(m, h, sizeof(h));
}

static void mb_send(struct msgbuf *m, int dest, int tag)
{
	memcpy(m->p, &m->nrows, sizeof(m->nrows));
	farm_send(dest, tag, m->p, m->len);
	m->p = NULL;
	m->len = m->cap = 0;
	m->nrows = 0;
}

/* A reader of a received message, checking every length. */
struct msgrd {
	const unsigned char *p;
	size_t len, pos;
	int src;
};

static void mr_get(struct msgrd *r, void *dst, size_t n)
{
	if (n > r->len - r->pos)
		die("malformed message from rank %d (%zu bytes)", r->src,
		    r->len);
	memcpy(dst, r->p + r->pos, n);
	r->pos += n;
}

static void result_put(struct msgbuf *m, const struct result *res, uint32_t k,
		       uint32_t g)
{
	uint32_t tag = res->tag, len = (uint32_t)strlen(res->msg), pad = 0;
	int32_t st = res->status;
	static const char zeros[8];
	double nan_ = NAN;

	mb_put(m, &tag, 4);
	mb_put(m, &st, 4);
	mb_put(m, &res->id, 8);
	mb_put(m, &res->t0, 8);
	mb_put(m, &res->t1, 8);
	for (uint32_t i = 0; i < k; i++)
		mb_put(m, res->y && res->k == k ? &res->y[i] : &nan_, 8);
	for (uint32_t i = 0; i < g; i++)
		mb_put(m, res->grad ? &res->grad[i] : &nan_, 8);
	if (res->status == ORACLE_OK)
		len = 0;
	mb_put(m, &len, 4);
	mb_put(m, &pad, 4);
	mb_put(m, res->msg, len);
	mb_put(m, zeros, (8 - len % 8) % 8);
	m->nrows++;
}

/* ---- the worker ranks --------------------------------------------------- */

struct worker {
	struct local L;
	struct msgbuf out;
	int started;
};

static void worker_deliver(void *ctx, const struct result *r)
{
	struct worker *w = ctx;

	if (!w->started) {
		mb_start(&w->out, w->L.k, w->L.cl->grad ? w->L.d : 0);
		w->started = 1;
	}
	result_put(&w->out, r, w->L.k, w->L.cl->grad ? w->L.d : 0);
}

static void worker_task(struct worker *w, const struct farm_msg *m)
{
	struct msgrd r = { m->buf, m->len, 0, m->src };
	uint32_t h[4];
	double *x;

	mr_get(&r, h, sizeof(h));
	if (w->L.d == 0 && h[2] > 0) {
		/* The first task fixes the dimension. */
		w->L.d = h[2];
		w->L.grad = xrealloc(w->L.grad, h[2] * sizeof(double));
		if (w->L.tgrad)
			w->L.tgrad = xrealloc(w->L.tgrad, (size_t)w->L.cl->jobs *
					      h[2] * sizeof(double));
	}
	if (h[2] != w->L.d)
		die("task of dimension %" PRIu32 " after %" PRIu32, h[2],
		    w->L.d);
	w->L.k = h[1];
	w->L.round = h[0] ? h[0] : 1;
	x = xmalloc((w->L.d ? w->L.d : 1) * sizeof(double));
	for (uint32_t i = 0; i < h[0]; i++) {
		uint32_t tag, attempt;
		uint64_t id;

		mr_get(&r, &tag, 4);
		mr_get(&r, &attempt, 4);
		mr_get(&r, &id, 8);
		mr_get(&r, x, w->L.d * sizeof(double));
		local_push(&w->L, tag, id, x, attempt);
	}
	free(x);
}

/* The loop of ranks other than 0: evaluate tasks until told to stop. */
static void work(const struct cmdline *cl, int rank)
{
	struct worker w;
	struct farm_msg m;
	int stop = 0;

	memset(&w, 0, sizeof(w));
	local_init(&w.L, cl, rank, 0, worker_deliver, &w);
	for (;;) {
		int progress = 0;

		while (farm_try_recv(&m)) {
			if (m.tag == TAG_TASK)
				worker_task(&w, &m);
			else
				stop = 1;
			free(m.buf);
			progress = 1;
		}
		if (stop && local_pending(&w.L) == 0)
			break;
		progress |= local_step(&w.L, 0);
		if (w.started && w.out.nrows) {
			mb_send(&w.out, 0, TAG_RESULT);
			w.started = 0;
			progress = 1;
		}
		if (progress)
			continue;
		if (local_running(&w.L)) {
			int hungry = w.L.qlen == 0 ||
				     farm_sends_pending() > 0;

			local_step(&w.L, hungry ? 0.001 : -1);
		} else if (!stop) {
			farm_recv(&m);
			if (m.tag == TAG_TASK)
				worker_task(&w, &m);
			else
				stop = 1;
			free(m.buf);
		}
	}
	local_free(&w.L);
	free(w.out.p);
}

/* ---- rank 0: input, slots, output, journal ------------------------------ */

enum { SLOT_FREE, SLOT_BUSY, SLOT_DONE };

struct slot {
	uint8_t state;
	uint8_t ynan;			/* y is NaN (failed before k was known) */
	uint8_t skip;			/* not to be written (--on-fail skip) */
	uint8_t restored;		/* finished in the journal */
	uint8_t retry;			/* re-runs a failed row of the journal */
	int32_t status, rank;
	uint64_t id;
	uint64_t fp;			/* of the input columns (--journal) */
	char *msg;			/* a failure's message, or NULL */
	double t0, t1;
};

/* An input column kept in the output, and where it sits in a slot's row. */
struct incol {
	struct pal_col c;
	size_t off, rowbytes;
};

/* A FIFO of slot numbers. */
struct fifo {
	uint32_t *v;
	size_t head, len, cap;
};

static void fifo_push(struct fifo *q, uint32_t s)
{
	if (q->len == q->cap) {
		size_t ncap = q->cap ? 2 * q->cap : 256;
		uint32_t *nv = xmalloc(ncap * sizeof(*nv));

		for (size_t i = 0; i < q->len; i++)
			nv[i] = q->v[(q->head + i) % q->cap];
		free(q->v);
		q->v = nv;
		q->head = 0;
		q->cap = ncap;
	}
	q->v[(q->head + q->len++) % q->cap] = s;
}

static uint32_t fifo_front(const struct fifo *q)
{
	return q->v[q->head];
}

static void fifo_pop(struct fifo *q)
{
	q->head = (q->head + 1) % q->cap;
	q->len--;
}

struct label {
	const struct cmdline *cl;
	int size;
	/* input */
	int infd;
	struct pal_reader *r;
	const struct pal_frame *f;
	uint64_t frow;
	int eof;
	struct pal_frame schema;	/* of the first data frame */
	struct pal_col *schema_cols;
	struct incol *in;
	uint32_t nin;
	size_t rowbytes;
	int x_col, id_col;
	uint32_t d;
	/* slots */
	struct slot *s;
	unsigned char *rows;
	double *sx, *sy, *sg;
	uint32_t cap, *freel, nfree, ybuilt;
	uint64_t busy;			/* slots not free */
	struct fifo order;		/* --ordered: every row read */
	struct fifo done;		/* otherwise: rows finished */
	/* output */
	struct out out;
	struct pal_writer *w;
	struct pal_col *ocols;
	uint32_t nocols;
	struct pal_batch *pend;
	double pend_since;
	struct journal *j;
	uint32_t k;
	/* the farm */
	uint64_t *outstanding;		/* rows at each rank */
	uint64_t local_rows;
	uint32_t B;
	double cost;			/* seconds per row, smoothed */
	struct local L;
	/* counts */
	uint64_t nread, nok, nkept, nskipped, nrestored, nwritten;
	uint64_t nrestored_failed, nretried;
	uint64_t by_status[8];
	int aborting;
};

static int is_output_name(const char *n)
{
	return !strcmp(n, "y") || !strcmp(n, "grad") || !strcmp(n, "status") ||
	       !strcmp(n, "t_start") || !strcmp(n, "t_end") ||
	       !strcmp(n, "rank");
}

/* The input's name in messages: its path, or "stdin". */
static const char *input_name(const struct cmdline *cl)
{
	return cl->input && strcmp(cl->input, "-") ? cl->input : "stdin";
}

/* The first data frame fixes the input columns. */
static void set_schema(struct label *lb, const struct pal_frame *f)
{
	const struct pal_col *id = pal_col_find(f, "id"),
			     *x = pal_col_find(f, "x");
	const char *in = input_name(lb->cl);

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
	lb->schema_cols = xmalloc(f->ncols * sizeof(*f->cols));
	memcpy(lb->schema_cols, f->cols, f->ncols * sizeof(*f->cols));
	lb->schema = *f;
	lb->schema.cols = lb->schema_cols;
	lb->in = xcalloc(f->ncols, sizeof(*lb->in));
	lb->id_col = pal_col_index(f, "id");
	lb->x_col = pal_col_index(f, "x");
	for (uint32_t i = 0; i < f->ncols; i++) {
		if (is_output_name(f->cols[i].name))
			continue;
		lb->in[lb->nin].c = f->cols[i];
		lb->in[lb->nin].c.data = NULL;
		lb->in[lb->nin].off = lb->rowbytes;
		lb->in[lb->nin].rowbytes = pal_col_rowbytes(&f->cols[i]);
		lb->rowbytes += (lb->in[lb->nin].rowbytes + 7) & ~(size_t)7;
		lb->nin++;
	}
}

static void grow_slots(struct label *lb)
{
	uint32_t ncap = lb->cap ? 2 * lb->cap : 1024;

	lb->s = xrealloc(lb->s, ncap * sizeof(*lb->s));
	lb->rows = xrealloc(lb->rows, ncap * (lb->rowbytes ? lb->rowbytes : 1));
	lb->sx = xrealloc(lb->sx, (size_t)ncap * (lb->d ? lb->d : 1) *
			  sizeof(double));
	lb->sg = xrealloc(lb->sg, lb->cl->grad ? (size_t)ncap * lb->d *
			  sizeof(double) : 1);
	if (lb->k)
		lb->sy = xrealloc(lb->sy, (size_t)ncap * lb->k * sizeof(double));
	lb->freel = xrealloc(lb->freel, ncap * sizeof(*lb->freel));
	for (uint32_t i = ncap; i > lb->cap; i--) {
		lb->s[i - 1].state = SLOT_FREE;
		lb->freel[lb->nfree++] = i - 1;
	}
	lb->cap = ncap;
}

/* Rows that may be held at once: what is in flight, times 4 with --ordered. */
static uint64_t window(const struct label *lb)
{
	uint64_t w = (uint64_t)lb->size * ((uint64_t)lb->cl->jobs *
					   lb->cl->chunk +
					   (uint64_t)lb->cl->inflight * lb->B) +
		     lb->B;

	return lb->cl->ordered ? 4 * w + 64 : w + 64;
}

/*
 * Make sure a data frame with rows is at hand, reading frames (metadata goes
 * straight to the output).  Returns 0 at the end of the input.
 */
static int fill_frame(struct label *lb)
{
	while (!lb->eof && (!lb->f || lb->frow == lb->f->nrows)) {
		const struct pal_frame *f;

		lb->f = NULL;
		if (xpal_read(lb->r, &f) == 0) {
			lb->eof = 1;
			break;
		}
		if (f->kind == PAL_META) {
			xpal_passthrough(lb->w, lb->r, f);
			continue;
		}
		if (!lb->schema_cols)
			set_schema(lb, f);
		else if (!pal_same_schema(&lb->schema, f))
			die("columns change (%s: frame %" PRIu64 " at offset %"
			    PRIu64 "): pal-label needs one schema",
			    input_name(lb->cl), f->index, f->offset);
		lb->f = f;
		lb->frow = 0;
	}
	return !lb->eof;
}

/* The next input row in a fresh slot, or -1 when there is none to take. */
static int64_t take_row(struct label *lb)
{
	uint32_t s;

	/* While k is not known, the output waits: take rows until one is to
	 * be run (the others restored failures, whatever their number). */
	if (lb->aborting || (lb->k && lb->busy >= window(lb)) ||
	    !fill_frame(lb))
		return -1;
	if (lb->nfree == 0)
		grow_slots(lb);
	s = lb->freel[--lb->nfree];
	lb->busy++;
	lb->nread++;
	{
		struct slot *sl = &lb->s[s];
		const struct pal_frame *f = lb->f;
		const struct pal_col *xc = &f->cols[lb->x_col];
		unsigned char *row = lb->rows + (size_t)s * lb->rowbytes;
		double *x = lb->sx + (size_t)s * lb->d;
		uint64_t r = lb->frow++;

		memset(sl, 0, sizeof(*sl));
		sl->state = SLOT_BUSY;
		sl->id = ((const uint64_t *)f->cols[lb->id_col].data)[r];
		if (lb->j)
			sl->fp = JOURNAL_FP_INIT;
		for (uint32_t i = 0, ci = 0; i < f->ncols; i++) {
			if (is_output_name(f->cols[i].name))
				continue;
			memcpy(row + lb->in[ci].off, (const char *)f->cols[i].data +
			       r * lb->in[ci].rowbytes, lb->in[ci].rowbytes);
			if (lb->j)
				sl->fp = journal_fp_col(sl->fp, &f->cols[i],
							row + lb->in[ci].off);
			ci++;
		}
		if (xc->dtype == PAL_F64)
			memcpy(x, (const double *)xc->data + r * lb->d,
			       lb->d * sizeof(double));
		else
			for (uint32_t i = 0; i < lb->d; i++)
				x[i] = pal_col_value(xc, r * lb->d + i);
		if (lb->cl->ordered)
			fifo_push(&lb->order, s);
	}
	return s;
}

static void free_slot(struct label *lb, uint32_t s)
{
	free(lb->s[s].msg);
	lb->s[s].msg = NULL;
	lb->s[s].state = SLOT_FREE;
	lb->freel[lb->nfree++] = s;
	lb->busy--;
}

/* Build the output columns, once the input columns and k are known. */
static void build_output(struct label *lb)
{
	const struct cmdline *cl = lb->cl;
	uint32_t n = 0;

	lb->ocols = xcalloc(lb->nin + 6, sizeof(*lb->ocols));
	for (uint32_t i = 0; i < lb->nin; i++)
		lb->ocols[n++] = lb->in[i].c;
	lb->ocols[n++] = (struct pal_col){ "y", PAL_F64, lb->k, NULL };
	if (cl->grad)
		lb->ocols[n++] = (struct pal_col){ "grad", PAL_F64, lb->d,
						   NULL };
	lb->ocols[n++] = (struct pal_col){ "status", PAL_I32, 1, NULL };
	lb->ocols[n++] = (struct pal_col){ "t_start", PAL_F64, 1, NULL };
	lb->ocols[n++] = (struct pal_col){ "t_end", PAL_F64, 1, NULL };
	lb->ocols[n++] = (struct pal_col){ "rank", PAL_I32, 1, NULL };
	lb->nocols = n;
	lb->pend = pal_batch_new(lb->ocols, n, pal_default_rows(lb->ocols, n));
	if (!lb->pend)
		die("out of memory");
	lb->sy = xrealloc(lb->sy, (size_t)(lb->cap ? lb->cap : 1) * lb->k *
			  sizeof(double));
}

/* Write the gathered rows: to the journal and its disk first, then out. */
static void flush(struct label *lb)
{
	if (lb->j && journal_sync(lb->j) < 0)
		die("%s", journal_error(lb->j)->msg);
	if (!lb->pend || lb->pend->f.nrows == 0)
		return;
	xpal_write(lb->w, &lb->pend->f);
	lb->nwritten += lb->pend->f.nrows;
	pal_batch_clear(lb->pend);
}

/* Append the row of slot s to batch b. */
static void put_row(struct label *lb, struct pal_batch *b, uint32_t s)
{
	const struct slot *sl = &lb->s[s];
	const unsigned char *row = lb->rows + (size_t)s * lb->rowbytes;
	uint64_t r = b->f.nrows;
	uint32_t c = 0;

	for (uint32_t i = 0; i < lb->nin; i++, c++)
		memcpy((char *)b->f.cols[c].data + r * lb->in[i].rowbytes,
		       row + lb->in[i].off, lb->in[i].rowbytes);
	{
		double *y = (double *)b->f.cols[c++].data + r * lb->k;

		for (uint32_t i = 0; i < lb->k; i++)
			y[i] = sl->ynan ? NAN : lb->sy[(size_t)s * lb->k + i];
	}
	if (lb->cl->grad) {
		memcpy((double *)b->f.cols[c].data + r * lb->d,
		       lb->sg + (size_t)s * lb->d, lb->d * sizeof(double));
		c++;
	}
	((int32_t *)b->f.cols[c++].data)[r] = sl->status;
	((double *)b->f.cols[c++].data)[r] = sl->t0;
	((double *)b->f.cols[c++].data)[r] = sl->t1;
	((int32_t *)b->f.cols[c++].data)[r] = sl->rank;
	b->f.nrows++;
}

/*
 * Journal the row of slot s, a success or a failure (on the disk at the
 * next flush()).  A failure before k is known is journaled with one NaN:
 * the y of a failure is never taken back.
 */
static void journal_row(struct label *lb, uint32_t s)
{
	const struct slot *sl = &lb->s[s];
	struct journal_row jr = {
		.id = sl->id, .fp = sl->fp, .status = sl->status,
		.rank = sl->rank, .retried = sl->retry, .t_start = sl->t0,
		.t_end = sl->t1, .k = lb->k ? lb->k : 1,
		.g = lb->cl->grad ? lb->d : 0,
		.y = sl->ynan || !lb->k ? NULL : lb->sy + (size_t)s * lb->k,
		.grad = lb->cl->grad ? lb->sg + (size_t)s * lb->d : NULL,
		.msg = sl->msg,
	};

	if (journal_put(lb->j, &jr) < 0)
		die("%s", journal_error(lb->j)->msg);
}

static void emit(struct label *lb, uint32_t s)
{
	struct slot *sl = &lb->s[s];

	if (!sl->skip)
		put_row(lb, lb->pend, s);
	if (lb->j && !sl->restored)
		journal_row(lb, s);
	if (!sl->skip && lb->pend->f.nrows == 1)
		lb->pend_since = pal_clock_mono();
	free_slot(lb, s);
	if (lb->pend->f.nrows == lb->pend->cap)
		flush(lb);
}

/* Move finished rows to the output batch, in order with --ordered. */
static void emit_done(struct label *lb)
{
	if (!lb->pend) {
		if (!lb->k || !lb->schema_cols)
			return;
		build_output(lb);
	}
	if (lb->cl->ordered) {
		while (lb->order.len &&
		       lb->s[fifo_front(&lb->order)].state == SLOT_DONE) {
			emit(lb, fifo_front(&lb->order));
			fifo_pop(&lb->order);
		}
	} else {
		while (lb->done.len) {
			emit(lb, fifo_front(&lb->done));
			fifo_pop(&lb->done);
		}
	}
	if (lb->pend->f.nrows && pal_clock_mono() - lb->pend_since > FLUSH_SECONDS)
		flush(lb);
}

/* A row is finished, here or on another rank. */
static void finished(struct label *lb, const struct result *r, int rank)
{
	struct slot *sl;

	if (r->tag >= lb->cap || lb->s[r->tag].state != SLOT_BUSY)
		die("result for a row not in flight (rank %d, slot %" PRIu32 ")",
		    rank, r->tag);
	sl = &lb->s[r->tag];
	sl->state = SLOT_DONE;
	sl->status = r->status;
	sl->rank = rank;
	sl->t0 = r->t0;
	sl->t1 = r->t1;
	if (r->status == ORACLE_OK && !lb->k) {
		lb->k = r->k;
		lb->sy = xrealloc(lb->sy, (size_t)lb->cap * lb->k * sizeof(double));
	}
	sl->ynan = !r->y || r->k != lb->k;
	if (r->status == ORACLE_OK && r->k != lb->k) {
		sl->status = ORACLE_OUTPUT;
		warnx("row %" PRIu64 " (rank %d): bad output: %" PRIu32
		      " numbers, expected %" PRIu32, r->id, rank, r->k, lb->k);
	}
	if (!sl->ynan)
		memcpy(lb->sy + (size_t)r->tag * lb->k, r->y,
		       lb->k * sizeof(double));
	if (lb->cl->grad)
		for (uint32_t i = 0; i < lb->d; i++)
			lb->sg[(size_t)r->tag * lb->d + i] = r->grad ? r->grad[i] :
				NAN;
	if (r->t1 > r->t0 && !sl->restored)
		lb->cost = lb->cost ? 0.9 * lb->cost + 0.1 * (r->t1 - r->t0) :
			   r->t1 - r->t0;
	lb->by_status[sl->status < 7 && sl->status >= 0 ? sl->status : 7]++;
	if (sl->status == ORACLE_OK) {
		lb->nok++;
	} else {
		sl->msg = xstrdup(sl->status == r->status && r->msg ? r->msg :
				  "wrong width");
		if (sl->restored) {
			lb->nrestored_failed++;
			warnx("row %" PRIu64 " (rank %d, journal '%s'): %s",
			      r->id, rank, lb->cl->journal, sl->msg);
		} else {
			warnx("row %" PRIu64 " (rank %d): %s", r->id, rank,
			      sl->msg);
		}
		if (lb->cl->on_fail == FAIL_SKIP) {
			sl->skip = 1;
			lb->nskipped++;
		} else {
			lb->nkept++;
		}
		if (lb->cl->on_fail == FAIL_ABORT && !lb->aborting) {
			warnx("stopping (--on-fail abort): finishing the rows "
			      "in flight");
			lb->aborting = 1;
		}
	}
	if (!lb->cl->ordered)
		fifo_push(&lb->done, r->tag);
}

static void local0_deliver(void *ctx, const struct result *r)
{
	struct label *lb = ctx;

	lb->local_rows--;
	finished(lb, r, 0);
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
 * Finish the row of slot s from the journal, if it is there: 1, or 0 when
 * it is to be run (not there, or a failure to run again with
 * --retry-failed).  A row of the same id and other input is an error.
 */
static int restore(struct label *lb, uint32_t s)
{
	struct slot *sl = &lb->s[s];
	struct journal_row jr;
	struct result r = { 0 };
	uint32_t g = lb->cl->grad ? lb->d : 0;

	switch (journal_take(lb->j, sl->id, sl->fp, &jr)) {
	case JOURNAL_ABSENT:
		return 0;
	case JOURNAL_DIFFERS:
		die("input row id %" PRIu64 " differs from the journal's row "
		    "of that id (journal '%s' is of another input)", sl->id,
		    lb->cl->journal);
	case JOURNAL_FOUND:
		break;
	}
	if (jr.status != ORACLE_OK && lb->cl->retry_failed) {
		sl->retry = 1;
		lb->nretried++;
		return 0;
	}
	if (jr.status == ORACLE_OK && ((lb->k && jr.k != lb->k) || jr.g != g))
		die("journal '%s': row id %" PRIu64 " has %" PRIu32 " y and %"
		    PRIu32 " gradient elements, this run %" PRIu32 " and %"
		    PRIu32, lb->cl->journal, sl->id, jr.k, jr.g, lb->k, g);
	r.tag = s;
	r.id = sl->id;
	r.status = jr.status;
	r.k = jr.k;
	r.y = jr.status == ORACLE_OK ? jr.y : NULL;
	r.grad = jr.grad;
	r.t0 = jr.t_start;
	r.t1 = jr.t_end;
	r.msg = jr.msg;
	sl->restored = 1;
	lb->nrestored++;
	finished(lb, &r, jr.rank);
	return 1;
}

/* Take a row for evaluation, finishing restored rows; -1 when none. */
static int64_t next_row(struct label *lb)
{
	int64_t s;

	while ((s = take_row(lb)) >= 0)
		if (!lb->j || !restore(lb, (uint32_t)s))
			return s;
	return -1;
}

/* Send batches to the ranks that have room. */
static int dispatch(struct label *lb)
{
	int sent = 0;

	if (!lb->k)
		return 0;	/* the first result fixes k first */
	size_batch(lb);
	for (int w = 1; w < lb->size; w++) {
		/* Room for a batch: -j calls running, --inflight batches
		 * waiting behind them. */
		while (lb->outstanding[w] + lb->B <=
		       (uint64_t)lb->cl->jobs * lb->cl->chunk +
		       (uint64_t)lb->cl->inflight * lb->B) {
			struct msgbuf m;
			int64_t s;

			mb_start(&m, lb->k, lb->d);
			while (m.nrows < lb->B && (s = next_row(lb)) >= 0) {
				uint32_t tag = (uint32_t)s, attempt = 1;

				mb_put(&m, &tag, 4);
				mb_put(&m, &attempt, 4);
				mb_put(&m, &lb->s[s].id, 8);
				mb_put(&m, lb->sx + (size_t)s * lb->d,
				       lb->d * sizeof(double));
				m.nrows++;
			}
			if (m.nrows == 0) {
				free(m.p);
				return sent;
			}
			lb->outstanding[w] += m.nrows;
			mb_send(&m, w, TAG_TASK);
			sent = 1;
		}
	}
	return sent;
}

/* Give rank 0's own evaluator rows, unless it only dispatches. */
static int feed_local(struct label *lb)
{
	uint64_t want;
	int fed = 0;
	int64_t s;

	if (lb->cl->dispatch_only && lb->size > 1 && lb->k)
		return 0;
	if (!lb->k)
		want = lb->cl->chunk;	/* one call until k is known */
	else if (lb->L.orc || lb->L.tm)
		want = (uint64_t)lb->cl->jobs * lb->cl->chunk +
		       (lb->size > 1 ? 0 : (uint64_t)lb->cl->jobs * lb->cl->chunk);
	else
		want = lb->B;
	lb->L.round = lb->B ? lb->B : 1;
	if (lb->L.k != lb->k)
		lb->L.k = lb->k;
	while (lb->local_rows < want && (s = next_row(lb)) >= 0) {
		local_push(&lb->L, (uint32_t)s, lb->s[s].id,
			   lb->sx + (size_t)s * lb->d, 1);
		lb->local_rows++;
		fed = 1;
	}
	return fed;
}

static void recv_results(struct label *lb, struct farm_msg *m)
{
	struct msgrd r = { m->buf, m->len, 0, m->src };
	uint32_t h[4];
	double *y, *g;
	char *msg = NULL;

	if (m->tag != TAG_RESULT)
		die("unexpected message %d from rank %d", m->tag, m->src);
	mr_get(&r, h, sizeof(h));
	y = xmalloc((h[1] ? h[1] : 1) * sizeof(double));
	g = xmalloc((h[2] ? h[2] : 1) * sizeof(double));
	for (uint32_t i = 0; i < h[0]; i++) {
		struct result res = { 0 };
		uint32_t len, pad;
		int32_t st;

		mr_get(&r, &res.tag, 4);
		mr_get(&r, &st, 4);
		mr_get(&r, &res.id, 8);
		mr_get(&r, &res.t0, 8);
		mr_get(&r, &res.t1, 8);
		mr_get(&r, y, h[1] * sizeof(double));
		mr_get(&r, g, h[2] * sizeof(double));
		mr_get(&r, &len, 4);
		mr_get(&r, &pad, 4);
		if (len > r.len - r.pos)
			die("malformed message from rank %d", m->src);
		msg = xrealloc(msg, len + 1);
		mr_get(&r, msg, len);
		msg[len] = '\0';
		r.pos += (8 - len % 8) % 8;
		res.status = st;
		res.k = h[1];
		res.y = y;
		res.grad = h[2] ? g : NULL;
		res.msg = msg;
		if (lb->outstanding[m->src] == 0)
			die("rank %d sent more results than it had rows",
			    m->src);
		lb->outstanding[m->src]--;
		finished(lb, &res, m->src);
	}
	free(y);
	free(g);
	free(msg);
}

static uint64_t remote_rows(const struct label *lb)
{
	uint64_t n = 0;

	for (int w = 1; w < lb->size; w++)
		n += lb->outstanding[w];
	return n;
}

/* The oracle, as the journal records it: what decides y. */
static char *oracle_desc(const struct cmdline *cl)
{
	char buf[200];

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
		lb->k = k;
	}
}

/* Wait for something to happen: a local row, or a message. */
static void wait_some(struct label *lb)
{
	struct farm_msg m;

	flush(lb);
	if (local_running(&lb->L)) {
		local_step(&lb->L, remote_rows(lb) ? 0.001 : -1);
	} else if (remote_rows(lb)) {
		farm_recv(&m);
		recv_results(lb, &m);
		free(m.buf);
	}
}

/* Rank 0: run the farm to the end of the input. */
static int run(struct label *lb)
{
	const struct cmdline *cl = lb->cl;
	struct farm_msg m;
	struct progress prog;

	lb->infd = xopen_in(cl->input);
	out_open(&lb->out, cl->output);
	/* mpirun hands rank 0 a pseudo-terminal for stdout whatever the
	 * real one is, so only a run without it can tell. */
	if (!farm_mpi())
		out_refuse_tty(&lb->out);
	lb->r = xreader(lb->infd, cl->input ? cl->input : "-");
	lb->w = xwriter(lb->out.fd, lb->out.name, PAL_LEVEL_KEEP);
	lb->k = cl->fn ? 1 : cl->outputs;
	lb->outstanding = xcalloc((size_t)lb->size, sizeof(*lb->outstanding));
	size_batch(lb);
	/* The first frame gives the dimension that the evaluator needs. */
	fill_frame(lb);
	if (cl->journal)
		open_journal(lb);
	local_init(&lb->L, cl, 0, lb->d, local0_deliver, lb);
	/* Rows done (failed among them), of all those the journal did not
	 * give, once the input is read. */
	progress_start(&prog, cl->progress, "rows", lb->out.fd);
	for (;;) {
		int progress = 0;

		while (farm_try_recv(&m)) {
			recv_results(lb, &m);
			free(m.buf);
			progress = 1;
		}
		progress |= dispatch(lb);
		progress |= feed_local(lb);
		progress |= local_step(&lb->L, 0);
		emit_done(lb);
		/* The progress line: the one place that counts rows done. */
		prog.failed = lb->nkept + lb->nskipped;
		prog.done = lb->nok + prog.failed;
		prog.total = lb->eof ? lb->nread - lb->nrestored : 0;
		progress_show(&prog);
		if ((lb->eof || lb->aborting) && lb->local_rows == 0 &&
		    remote_rows(lb) == 0) {
			if (!lb->k)
				lb->k = 1;	/* nothing succeeded */
			emit_done(lb);
			if (lb->busy == 0)
				break;
		}
		if (!progress)
			wait_some(lb);
	}
	progress_end(&prog);
	flush(lb);
	xpal_finish(lb->w);
	out_commit(&lb->out);
	for (int w = 1; w < lb->size; w++)
		farm_send(w, TAG_STOP, xmalloc(1), 0);
	return lb->aborting;
}

static void label_free(struct label *lb)
{
	local_free(&lb->L);
	pal_reader_free(lb->r);
	if (lb->infd > 0)
		close(lb->infd);
	pal_writer_free(lb->w);
	pal_batch_free(lb->pend);
	free(lb->schema_cols);
	free(lb->in);
	free(lb->s);
	free(lb->rows);
	free(lb->sx);
	free(lb->sy);
	free(lb->sg);
	free(lb->freel);
	free(lb->order.v);
	free(lb->done.v);
	free(lb->ocols);
	free(lb->outstanding);
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
	      failed, lb->nread, cl->on_fail == FAIL_SKIP ? "skipped" :
	      cl->on_fail == FAIL_KEEP ? "kept with their status" : "abort",
	      lb->by_status[1], lb->by_status[2], lb->by_status[3],
	      lb->by_status[4], lb->by_status[5], lb->by_status[6]);
	if (lb->nrestored_failed)
		warnx("%" PRIu64 " of the failed rows failed in an earlier run "
		      "(journal '%s'; --retry-failed runs them again)",
		      lb->nrestored_failed, cl->journal);
	if (lb->aborting)
		warnx("aborted: %" PRIu64 " rows written, the rest of the "
		      "input not labeled", lb->nwritten);
}

int main(int argc, char **argv)
{
	struct cmdline cl;
	int rank, size, rc = 0;

	pal_init("pal-label");
	parse_args(&cl, argc, argv);
	farm_init(&argc, &argv, &rank, &size);
	if (rank == 0) {
		struct label lb;

		memset(&lb, 0, sizeof(lb));
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
	farm_finish();
	return rc ? PAL_EXIT_DATA : 0;
}
