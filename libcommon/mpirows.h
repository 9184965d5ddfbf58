/*
 * mpirows.h: rank 0's rows, farmed out over the ranks (mpifarm.h): read
 * the input, hand its rows to the farm, keep them while they run, and write
 * each out with its result, in input order or as they finish.
 *
 * What the caller (pal-label, pal-predict) keeps is what its rows mean: the
 * evaluator, the columns of its tasks and results, and hooks.  This module
 * keeps the rest:
 *
 *   - the input: data frames are read as rows are wanted, with a window
 *     of rows held (read ahead, running, waiting for the output), bounded
 *     by rows and by ROWS_READ_AHEAD bytes; metadata frames go straight to
 *     the output; the first data frame fixes the columns, and a frame of
 *     other columns is an error;
 *   - a row in flight: a handle (uint32_t, "row" below) to a copy of its
 *     input columns that pass through, its result columns, and
 *     opts.user_bytes of the caller's;
 *   - tasks: data frames of the column "tag" (u64, the row's handle) and
 *     the task columns, copied from the input columns of the same name
 *     (x of any numeric dtype becomes f64 when the task column is f64);
 *   - the output: frames of the input columns passed through, then the
 *     result columns, written when a frame is full, when its oldest row
 *     has waited ROWS_FLUSH_SECONDS, and when nothing else is to be done.
 *
 * Ordering: with opts.ordered the rows go out in input order; without it,
 * in the order they finished (restored rows as they are read).  Every row
 * read goes out exactly once, unless the caller drops it (ROWS_DROP) or the
 * run is aborted (rows not yet read are never read; rows in flight finish
 * and go out).
 *
 * Hooks, called on rank 0 from rows_start() and rows_run() only:
 *
 *   schema(ctx, rs, f)   the first data frame: check it (die on columns
 *                        the caller cannot take) and call
 *                        rows_set_columns();
 *   restore(ctx, rs, row) a row was read (may be NULL): return 1 when the
 *                        hook finished it itself (filled its result
 *                        columns; pal-label's journal), 0 to run it;
 *   notes(ctx)           the notes sent with each task frame (a metadata
 *                        frame, or NULL; may be NULL);
 *   finished(ctx, rs, f, notes, rank, rows) rows finished on rank: row r of
 *                        the result frame f is the row rows[r] (checked in
 *                        flight); fill their result columns;
 *   sync(ctx)            before a task frame is built (before a row's
 *                        handle is used again) and before rows are
 *                        written out (may be NULL; pal-label's journal
 *                        goes to the disk there);
 *   pace(ctx, &batch, &local, &remote) before each farm_poll(): the
 *                        arguments of farm_pace().
 *
 * Result columns: the caller writes them through rows_result() in
 * restore() and finished(); a column declared of width 0 is not known yet
 * (pal-label's y before the first success) and is fixed by
 * rows_set_width(), which fills it with NaN (f64) or 0 for the rows so far;
 * no row goes out before every width is known, and at the end a column
 * still open gets width 1.  Frames and pointers passed to hooks are valid
 * during the call only; rows_result(), rows_user() and rows_input() point
 * into storage that moves when more rows are read (in rows_run(), never
 * during a hook's call).
 *
 * Memory: the rows held are at most about 4 times (ordered) or once (not)
 * what the ranks run and hold queued, plus a batch and 64; and no more than
 * ROWS_READ_AHEAD bytes of them, unless the rows that run at once need
 * more.  Errors die (err.h): this is program glue, on rank 0.
 *
 * Use:
 *
 *	rs = rows_new(&opts, &hooks);
 *	rows_start(rs);			// first data frame: schema()
 *	... what needs the columns (evaluator, journal) ...
 *	if (rows_run(rs, &eval) == 0)	// 1: aborted
 *		finish the writer;
 *	rows_free(rs);
 *
 * Other ranks run farm_work() as mpifarm.h says.
 */
#ifndef PAL_MPIROWS_H
#define PAL_MPIROWS_H

#include <stdint.h>

#include "mpifarm.h"
#include "stream.h"

#define ROWS_READ_AHEAD (256u << 20)	/* bytes of rows held, at most */
#define ROWS_FLUSH_SECONDS 0.1		/* oldest row waiting for the output */

enum {
	ROWS_FAILED = 1,		/* counted failed in the progress line */
	ROWS_DROP = 2,			/* not written out */
};

struct rows;

struct rows_hooks {
	void *ctx;
	void (*schema)(void *ctx, struct rows *rs, const struct pal_frame *f);
	int (*restore)(void *ctx, struct rows *rs, uint32_t row);
	const struct pal_frame *(*notes)(void *ctx);
	void (*finished)(void *ctx, struct rows *rs, const struct pal_frame *f,
			 const struct pal_frame *notes, int rank,
			 const uint32_t *rows);
	void (*sync)(void *ctx);
	void (*pace)(void *ctx, uint64_t *batch, uint64_t *local, int *remote);
};

struct rows_opts {
	struct pal_reader *in;		/* the caller's; read by the module */
	const char *in_name;		/* in messages: a path or "stdin" */
	struct pal_writer *out;		/* the caller's; finished by it */
	int out_fd;			/* for the progress line */
	int progress;			/* enum progress_mode */
	int ordered;			/* output in input order */
	const char *const *drop;	/* input columns not passed through
					 * (NULL-terminated), or NULL */
	size_t user_bytes;		/* the caller's bytes per row */
	struct farm_opts farm;		/* copied */
};

/* Rank 0: rows over the farm; opts and hooks are copied. */
struct rows *rows_new(const struct rows_opts *opts,
		      const struct rows_hooks *hooks);
/* Read up to the first data frame (schema() runs): 0 when the input has
 * none. */
int rows_start(struct rows *rs);
/*
 * Run the farm with rank 0's evaluator ev (the caller's) until every row
 * is written out (0), or, after rows_abort(), until the rows in flight are
 * (1).  The writer is left open, not finished.
 */
int rows_run(struct rows *rs, struct farm_eval *ev);
/* Stop reading the input; the rows in flight finish and go out. */
void rows_abort(struct rows *rs);
void rows_free(struct rows *rs);

/*
 * Set in schema(): the task columns (each named like an input column) and
 * the result columns (their data pointers unused; a width 0 is not known
 * yet).  Both are copied; the names must outlive rs.
 */
void rows_set_columns(struct rows *rs, const struct pal_col *task,
		      uint32_t ntask, const struct pal_col *result,
		      uint32_t nresult);
/* Fix the width of result column c, declared 0. */
void rows_set_width(struct rows *rs, uint32_t c, uint32_t width);
uint32_t rows_width(const struct rows *rs, uint32_t c);

/*
 * Result column c of row: width elements of its dtype.  The rows of a
 * column lie one after the other: rows_result(rs, 0, c) is its base, row r
 * r x width elements further (for a hot loop over a result frame).
 */
void *rows_result(struct rows *rs, uint32_t row, uint32_t c);
/* The caller's opts.user_bytes of row (zeroed when the row is read). */
void *rows_user(struct rows *rs, uint32_t row);
/* The columns of the input (its first data frame's; data unused). */
const struct pal_frame *rows_schema(const struct rows *rs);
/* The value in row of input column c, or NULL when c does not pass
 * through. */
const void *rows_input(struct rows *rs, uint32_t row, uint32_t c);
/* Set flags (ROWS_*) on a row, in restore() or finished(). */
void rows_mark(struct rows *rs, uint32_t row, unsigned flags);

/* Counts: rows read, restored (by restore()), finished, written. */
uint64_t rows_read(const struct rows *rs);
uint64_t rows_restored(const struct rows *rs);
uint64_t rows_written(const struct rows *rs);
/* Whether the input has ended (read to its end). */
int rows_eof(const struct rows *rs);

#endif
