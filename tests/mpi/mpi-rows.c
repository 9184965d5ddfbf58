/*
 * mpi-rows: a test program for rank 0's rows over the farm (mpirows.h),
 * run by tests/t128-mpi-rows.sh alone (a world of one) and under mpirun.
 * The evaluator doubles x, and hands each batch back in reverse order (so
 * that results come back out of input order even in a world of one).
 * Rank 0 builds an input stream in memory (id, x, a column "old" left out
 * of the output, a metadata frame between data frames), runs it through
 * the rows twice (ordered, then as completed), with a restore() hook that
 * finishes every row whose id is a multiple of 5 itself and a finished()
 * hook that drops the rows of id 7n + 3 that it gets, and prints one TAP
 * line per check.  One run a process (a farm is started once): "mpi-rows ordered"
 * or "mpi-rows completed".
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "mpicomm.h"
#include "mpifarm.h"
#include "mpirows.h"
#include "progress.h"
#include "stream.h"
#include "banned.h"

#define NROWS 5000u
#define FRAME 700u
#define NCHECK 6

/* ---- the evaluator: y = 2 x, each batch handed back reversed ---------- */

struct doubler {
	struct farm_eval ev;
	struct pal_batch *res;		/* tag, id, y */
	int rank;
};

static void d_take(void *ctx, const struct pal_frame *f,
		   const struct pal_frame *notes)
{
	struct doubler *D = ctx;
	struct pal_batch *b = D->res;

	(void)notes;
	if (f->ncols != 3 || strcmp(f->cols[0].name, "tag") ||
	    strcmp(f->cols[1].name, "id") || strcmp(f->cols[2].name, "x") ||
	    f->cols[2].dtype != PAL_F64)
		die("malformed task");
	for (uint64_t i = f->nrows; i-- > 0;) {
		uint64_t r;

		if (b->f.nrows == b->cap)
			die("more rows taken than the farm should give");
		r = b->f.nrows++;
		((uint64_t *)b->f.cols[0].data)[r] =
			((const uint64_t *)f->cols[0].data)[i];
		((uint64_t *)b->f.cols[1].data)[r] =
			((const uint64_t *)f->cols[1].data)[i];
		((double *)b->f.cols[2].data)[r] =
			2 * ((const double *)f->cols[2].data)[i];
		((int32_t *)b->f.cols[3].data)[r] = D->rank;
	}
}

static int d_step(void *ctx, double timeout)
{
	struct doubler *D = ctx;

	(void)timeout;
	if (!D->res->f.nrows)
		return 0;
	farm_result(D->ev.farm, &D->res->f, NULL);
	pal_batch_clear(D->res);
	return 1;
}

static uint64_t d_pending(void *ctx)
{
	struct doubler *D = ctx;

	return D->res->f.nrows;
}

static int d_running(void *ctx)
{
	(void)ctx;
	return 0;
}

static uint64_t d_queued(void *ctx)
{
	(void)ctx;
	return 0;
}

static void d_init(struct doubler *D, int rank)
{
	struct pal_col c[] = {
		{ "tag", PAL_U64, 1, NULL },
		{ "id", PAL_U64, 1, NULL },
		{ "y", PAL_F64, 1, NULL },
		{ "rank", PAL_I32, 1, NULL },
	};

	memset(D, 0, sizeof(*D));
	D->rank = rank;
	D->res = pal_batch_new(c, 4, 4096);
	if (!D->res)
		die("out of memory");
	D->ev = (struct farm_eval){ .ctx = D, .take = d_take, .step = d_step,
		.pending = d_pending, .running = d_running,
		.queued = d_queued };
}

/* ---- rank 0: the hooks ------------------------------------------------ */

struct test {
	int id_col;
	uint64_t dispatched_restored;	/* results for restored rows */
	uint64_t restored;
};

static const char *const drop[] = { "old", NULL };

static void t_schema(void *ctx, struct rows *rs, const struct pal_frame *f)
{
	struct test *T = ctx;
	struct pal_col task[] = {
		{ "id", PAL_U64, 1, NULL },
		{ "x", PAL_F64, 1, NULL },
	};
	/* y's width is not known until the first result. */
	struct pal_col res[] = {
		{ "y", PAL_F64, 0, NULL },
		{ "rank", PAL_I32, 1, NULL },
	};

	T->id_col = pal_col_index(f, "id");
	rows_set_columns(rs, task, 2, res, 2);
}

static int t_restore(void *ctx, struct rows *rs, uint32_t row)
{
	struct test *T = ctx;
	uint64_t id;

	memcpy(&id, rows_input(rs, row, (uint32_t)T->id_col), sizeof(id));
	if (id % 5)
		return 0;
	if (rows_width(rs, 0))
		*(double *)rows_result(rs, row, 0) = -1;
	*(int32_t *)rows_result(rs, row, 1) = -1;
	T->restored++;
	return 1;
}

/* Whether the row of id is dropped: by finished(), so not if restored. */
static int dropped(uint64_t id)
{
	return id % 7 == 3 && id % 5;
}

static void t_finished(void *ctx, struct rows *rs, const struct pal_frame *f,
		       const struct pal_frame *notes, int rank,
		       const uint32_t *rows)
{
	struct test *T = ctx;

	(void)notes;
	(void)rank;
	if (!rows_width(rs, 0))
		rows_set_width(rs, 0, 1);
	for (uint64_t r = 0; r < f->nrows; r++) {
		uint64_t id = ((const uint64_t *)f->cols[1].data)[r];

		if (id % 5 == 0)
			T->dispatched_restored++;
		*(double *)rows_result(rs, rows[r], 0) =
			((const double *)f->cols[2].data)[r];
		*(int32_t *)rows_result(rs, rows[r], 1) =
			((const int32_t *)f->cols[3].data)[r];
		if (dropped(id))
			rows_mark(rs, rows[r], ROWS_DROP);
	}
}

static void t_pace(void *ctx, uint64_t *batch, uint64_t *local, int *remote)
{
	(void)ctx;
	*batch = 37;
	*local = 37;
	*remote = 1;
}

/* The input: id, old, x (= id / 4), in frames of FRAME rows, a metadata
 * frame after the first. */
static void *make_input(size_t *len)
{
	struct pal_col c[] = {
		{ "id", PAL_U64, 1, NULL },
		{ "old", PAL_F64, 1, NULL },
		{ "x", PAL_F64, 1, NULL },
	};
	struct pal_writer *w = pal_writer_mem(NULL, 0);
	struct pal_batch *b = pal_batch_new(c, 3, FRAME);

	if (!w || !b)
		die("out of memory");
	for (uint32_t i = 0; i < NROWS; i++) {
		uint64_t r = b->f.nrows++;

		((uint64_t *)b->f.cols[0].data)[r] = i;
		((double *)b->f.cols[1].data)[r] = 7;
		((double *)b->f.cols[2].data)[r] = i / 4.0;
		if (b->f.nrows == FRAME || i == NROWS - 1) {
			if (pal_write(w, &b->f) < 0 ||
			    (i < FRAME && pal_write_kv(w, "note", "kept") < 0))
				die("%s", pal_writer_error(w)->msg);
			pal_batch_clear(b);
		}
	}
	if (pal_writer_finish(w) < 0)
		die("%s", pal_writer_error(w)->msg);
	pal_batch_free(b);
	{
		void *buf = pal_writer_mem_take(w, len);

		pal_writer_free(w);
		return buf;
	}
}

/*
 * Run the input through the rows; check the output.  fail[0..2]: ordered
 * (in input order; y right; restored rows kept, never dispatched),
 * fail[3..5] as completed (every row once; y right; likewise).
 */
static void run(const void *in, size_t inlen, int ordered, double *fail)
{
	struct test T = { 0 };
	struct pal_reader *r = pal_reader_mem(in, inlen, "input");
	struct pal_writer *w = pal_writer_mem(NULL, 0);
	struct rows_opts ro = {
		.in = r, .in_name = "input", .out = w, .out_fd = -1,
		.progress = PROGRESS_OFF, .ordered = ordered, .drop = drop,
		.farm = { .slots = 8, .inflight = 2 },
	};
	struct rows_hooks rh = {
		.ctx = &T, .schema = t_schema, .restore = t_restore,
		.finished = t_finished, .pace = t_pace,
	};
	struct doubler D;
	struct rows *rs;
	const struct pal_frame *f;
	unsigned char *seen = xcalloc(NROWS, 1);
	uint64_t prev = 0, n = 0, meta = 0;
	void *out;
	size_t outlen;
	struct pal_reader *or;
	int rc;

	d_init(&D, 0);
	rs = rows_new(&ro, &rh);
	if (!rows_start(rs))
		die("no data frame");
	if (rows_run(rs, &D.ev) != 0)
		die("aborted");
	if (pal_writer_finish(w) < 0)
		die("%s", pal_writer_error(w)->msg);
	out = pal_writer_mem_take(w, &outlen);
	or = pal_reader_mem(out, outlen, "output");
	while ((rc = pal_read(or, &f)) > 0) {
		const struct pal_col *id, *x, *y, *rk;

		if (f->kind == PAL_META) {
			meta++;
			continue;
		}
		id = pal_col_find(f, "id");
		x = pal_col_find(f, "x");
		y = pal_col_find(f, "y");
		rk = pal_col_find(f, "rank");
		if (!id || !x || !y || !rk || pal_col_find(f, "old") ||
		    f->ncols != 4 || y->width != 1)
			die("output columns");
		for (uint64_t i = 0; i < f->nrows; i++, n++) {
			uint64_t v = ((const uint64_t *)id->data)[i];
			double xv = ((const double *)x->data)[i];
			double yv = ((const double *)y->data)[i];
			int32_t rv = ((const int32_t *)rk->data)[i];
			/* A row restored before y's width was known has
			 * NaN for y. */
			int bad_y = v % 5 ? yv != 2 * xv || rv < 0 :
				    !(yv == -1 || isnan(yv)) || rv != -1;

			if (v >= NROWS || seen[v] || dropped(v))
				fail[ordered ? 0 : 3] = 1;
			else
				seen[v] = 1;
			if (ordered && n && v <= prev)
				fail[0] = 1;
			prev = v;
			if (bad_y)
				fail[ordered ? 1 : 4] = 1;
		}
	}
	if (rc < 0)
		die("%s", pal_reader_error(or)->msg);
	for (uint32_t i = 0; i < NROWS; i++)
		if (!seen[i] && !dropped(i))
			fail[ordered ? 0 : 3] = 1;
	if (meta != 1)
		fail[ordered ? 0 : 3] = 1;
	if (T.dispatched_restored || T.restored != NROWS / 5 ||
	    rows_restored(rs) != NROWS / 5 || rows_read(rs) != NROWS)
		fail[ordered ? 2 : 5] = 1;
	rows_free(rs);
	pal_reader_free(or);
	pal_reader_free(r);
	pal_writer_free(w);
	pal_batch_free(D.res);
	free(out);
	free(seen);
}

static const char *const what[NCHECK] = {
	"ordered: every row once, in input order, metadata passed through",
	"ordered: y = 2 x, restored rows as restore() left them",
	"ordered: restored rows are not dispatched",
	"as completed: every row once but the dropped, metadata passed through",
	"as completed: y = 2 x, restored rows as restore() left them",
	"as completed: restored rows are not dispatched",
};

int main(int argc, char **argv)
{
	double fail[NCHECK] = { 0 };
	int rank, size, rc = 0, ordered;

	pal_init("mpi-rows");
	comm_init(&argc, &argv, &rank, &size);
	if (argc != 2 || (strcmp(argv[1], "ordered") &&
			  strcmp(argv[1], "completed")))
		die("usage: mpi-rows ordered|completed");
	ordered = !strcmp(argv[1], "ordered");
	if (rank == 0) {
		size_t len;
		void *in = make_input(&len);

		run(in, len, ordered, fail);
		free(in);
		for (int i = ordered ? 0 : 3; i < (ordered ? 3 : NCHECK); i++) {
			printf("%sok %d - %s (%d ranks)\n", fail[i] ? "not " : "",
			       i % 3 + 1, what[i], size);
			if (fail[i])
				rc = 1;
		}
	} else {
		struct doubler D;
		struct farm_opts fo = { 0 };

		d_init(&D, rank);
		if (farm_work(&fo, &D.ev) < 0)
			die("rank 0 is gone");
		pal_batch_free(D.res);
	}
	comm_finish();
	return rc;
}
