/*
 * mpirows.c: rank 0's rows over the task farm (mpirows.h): the input and
 * its read-ahead window, the rows in flight (slots), task frames, the
 * order of the output and its batches.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "io.h"
#include "mpicomm.h"
#include "mpirows.h"
#include "proc.h"
#include "progress.h"
#include "banned.h"

enum { SLOT_FREE, SLOT_BUSY, SLOT_DONE };

struct slot {
	uint8_t state;
	uint8_t flags;			/* ROWS_* */
};

/* An input column passed through, and where it sits in a slot's row. */
struct incol {
	struct pal_col c;
	size_t off, rowbytes;
};

/* A result column: width x element bytes per slot. */
struct rescol {
	struct pal_col c;
	size_t rowbytes;
	unsigned char *v;
};

/* A FIFO of slot numbers. */
struct fifo {
	uint32_t *v;
	size_t head, len, cap;
};

struct rows {
	struct rows_opts o;
	struct rows_hooks h;
	int size;
	/* input */
	const struct pal_frame *f;
	uint64_t frow;
	int eof;
	struct pal_frame schema;	/* of the first data frame */
	struct pal_col *schema_cols;
	struct incol *in;
	uint32_t nin;
	int32_t *keep;			/* per input column: its in[], or -1 */
	size_t rowbytes;
	/* tasks and results */
	struct pal_col *tcols;		/* "tag", then the caller's */
	int32_t *tsrc;			/* per task column: its in[] */
	uint32_t ntask;			/* with "tag" */
	struct rescol *res;
	uint32_t nres;
	uint32_t nopen;			/* result widths not known yet */
	/* slots */
	struct slot *s;
	unsigned char *rows, *user;
	uint32_t cap, *freel, nfree;
	uint64_t busy;			/* slots not free */
	struct fifo order;		/* ordered: every row read */
	struct fifo done;		/* otherwise: rows finished */
	uint32_t *tags;			/* finished(): rows of a result frame */
	size_t ntags;
	/* output */
	struct pal_col *ocols;
	uint32_t nocols;
	struct pal_batch *pend;
	double pend_since;
	/* the farm */
	struct farm *fm;
	struct pal_batch *task;		/* rows being handed out */
	uint64_t B;			/* rows per batch (pace) */
	uint64_t win, win_B;		/* window(), cached, and its B */
	/* counts */
	uint64_t nread, nrestored, ndone, nfailed, nwritten;
	int aborting;
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

/* Copy n bytes: the widths of one number inline, the rest by memcpy. */
static inline void copy_bytes(void *dst, const void *src, size_t n)
{
	switch (n) {
	case 8:
		memcpy(dst, src, 8);
		break;
	case 4:
		memcpy(dst, src, 4);
		break;
	default:
		memcpy(dst, src, n);
	}
}

/* n x size bytes, or die. */
static size_t xsize(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		die("out of memory (%zu rows of %zu bytes)", n, size);
	return n * size;
}

struct rows *rows_new(const struct rows_opts *opts,
		      const struct rows_hooks *hooks)
{
	struct rows *rs = xcalloc(1, sizeof(*rs));

	rs->o = *opts;
	rs->h = *hooks;
	rs->size = comm_size();
	return rs;
}

static int dropped(const struct rows *rs, const char *name)
{
	if (rs->o.drop)
		for (const char *const *d = rs->o.drop; *d; d++)
			if (!strcmp(*d, name))
				return 1;
	return 0;
}

/* The first data frame fixes the input columns. */
static void set_schema(struct rows *rs, const struct pal_frame *f)
{
	rs->h.schema(rs->h.ctx, rs, f);
	if (!rs->res)
		die("rows: no columns set for the tasks and results");
	rs->schema_cols = xmalloc(f->ncols * sizeof(*f->cols));
	memcpy(rs->schema_cols, f->cols, f->ncols * sizeof(*f->cols));
	rs->schema = *f;
	rs->schema.cols = rs->schema_cols;
	rs->in = xcalloc(f->ncols, sizeof(*rs->in));
	rs->keep = xcalloc(f->ncols, sizeof(*rs->keep));
	for (uint32_t i = 0; i < f->ncols; i++) {
		rs->keep[i] = -1;
		if (dropped(rs, f->cols[i].name))
			continue;
		rs->keep[i] = (int32_t)rs->nin;
		rs->in[rs->nin].c = f->cols[i];
		rs->in[rs->nin].c.data = NULL;
		rs->in[rs->nin].off = rs->rowbytes;
		rs->in[rs->nin].rowbytes = pal_col_rowbytes(&f->cols[i]);
		rs->rowbytes += (rs->in[rs->nin].rowbytes + 7) & ~(size_t)7;
		rs->nin++;
	}
	for (uint32_t t = 1; t < rs->ntask; t++) {
		int idx = pal_col_index(f, rs->tcols[t].name);

		if (idx < 0 || rs->keep[idx] < 0)
			die("rows: task column '%s' is not an input column "
			    "passed through", rs->tcols[t].name);
		rs->tsrc[t] = rs->keep[idx];
		if (rs->tcols[t].dtype != f->cols[idx].dtype &&
		    rs->tcols[t].dtype != PAL_F64)
			die("rows: task column '%s' is of another dtype",
			    rs->tcols[t].name);
		if (rs->tcols[t].width != f->cols[idx].width)
			die("rows: task column '%s' is of another width",
			    rs->tcols[t].name);
	}
}

void rows_set_columns(struct rows *rs, const struct pal_col *task,
		      uint32_t ntask, const struct pal_col *result,
		      uint32_t nresult)
{
	rs->ntask = ntask + 1;
	rs->tcols = xcalloc(rs->ntask, sizeof(*rs->tcols));
	rs->tsrc = xcalloc(rs->ntask, sizeof(*rs->tsrc));
	rs->tcols[0] = (struct pal_col){ "tag", PAL_U64, 1, NULL };
	memcpy(rs->tcols + 1, task, ntask * sizeof(*task));
	rs->nres = nresult;
	rs->res = xcalloc(nresult ? nresult : 1, sizeof(*rs->res));
	for (uint32_t c = 0; c < nresult; c++) {
		rs->res[c].c = result[c];
		rs->res[c].c.data = NULL;
		rs->res[c].rowbytes = pal_col_rowbytes(&rs->res[c].c);
		if (!result[c].width)
			rs->nopen++;
	}
}

/* Fill n elements of dtype at p with NaN (floats) or 0. */
static void fill_absent(void *p, int dtype, size_t n)
{
	if (dtype == PAL_F64)
		for (size_t i = 0; i < n; i++)
			((double *)p)[i] = NAN;
	else if (dtype == PAL_F32)
		for (size_t i = 0; i < n; i++)
			((float *)p)[i] = NAN;
	else
		memset(p, 0, n * pal_dtype_size(dtype));
}

void rows_set_width(struct rows *rs, uint32_t c, uint32_t width)
{
	struct rescol *r = &rs->res[c];
	size_t n;

	if (r->c.width == width)
		return;
	if (r->c.width)
		die("rows: width of result column '%s' set twice", r->c.name);
	r->c.width = width;
	r->rowbytes = pal_col_rowbytes(&r->c);
	rs->nopen--;
	rs->win = 0;			/* row_bytes() changed */
	n = rs->cap ? rs->cap : 1;
	free(r->v);
	r->v = xmalloc(xsize(n, r->rowbytes));
	fill_absent(r->v, r->c.dtype, (size_t)n * width);
}

uint32_t rows_width(const struct rows *rs, uint32_t c)
{
	return rs->res[c].c.width;
}

void *rows_result(struct rows *rs, uint32_t row, uint32_t c)
{
	return rs->res[c].v + (size_t)row * rs->res[c].rowbytes;
}

void *rows_user(struct rows *rs, uint32_t row)
{
	return rs->user + (size_t)row * rs->o.user_bytes;
}

const struct pal_frame *rows_schema(const struct rows *rs)
{
	return &rs->schema;
}

const void *rows_input(struct rows *rs, uint32_t row, uint32_t c)
{
	if (rs->keep[c] < 0)
		return NULL;
	return rs->rows + (size_t)row * rs->rowbytes + rs->in[rs->keep[c]].off;
}

void rows_mark(struct rows *rs, uint32_t row, unsigned flags)
{
	if ((flags & ROWS_FAILED) && !(rs->s[row].flags & ROWS_FAILED))
		rs->nfailed++;
	rs->s[row].flags |= (uint8_t)flags;
}

uint64_t rows_read(const struct rows *rs)
{
	return rs->nread;
}

uint64_t rows_restored(const struct rows *rs)
{
	return rs->nrestored;
}

uint64_t rows_written(const struct rows *rs)
{
	return rs->nwritten;
}

int rows_eof(const struct rows *rs)
{
	return rs->eof;
}

void rows_abort(struct rows *rs)
{
	rs->aborting = 1;
}

/* Whether every result width is known. */
static int widths_known(const struct rows *rs)
{
	return rs->res && !rs->nopen;
}

/* Bytes held for one row read and not yet written. */
static size_t row_bytes(const struct rows *rs)
{
	size_t n = rs->rowbytes + rs->o.user_bytes + sizeof(struct slot) +
		   sizeof(uint32_t);

	for (uint32_t c = 0; c < rs->nres; c++)
		n += rs->res[c].rowbytes ? rs->res[c].rowbytes :
		     pal_dtype_size(rs->res[c].c.dtype);
	return n;
}

/*
 * Room for more rows in flight: double the slots, starting from as many as
 * fit in about PAL_DEFAULT_FRAME_BYTES (at most 1024): a row may be wide.
 */
static void grow_slots(struct rows *rs)
{
	size_t per = row_bytes(rs);
	uint32_t first = PAL_DEFAULT_FRAME_BYTES / per > 1024 ? 1024 :
			 (uint32_t)(PAL_DEFAULT_FRAME_BYTES / per);
	uint32_t ncap = rs->cap ? 2 * rs->cap : first ? first : 1;

	rs->s = xrealloc(rs->s, ncap * sizeof(*rs->s));
	rs->rows = xrealloc(rs->rows, xsize(ncap, rs->rowbytes ?
					    rs->rowbytes : 1));
	rs->user = xrealloc(rs->user, xsize(ncap, rs->o.user_bytes ?
					    rs->o.user_bytes : 1));
	for (uint32_t c = 0; c < rs->nres; c++)
		if (rs->res[c].c.width)
			rs->res[c].v = xrealloc(rs->res[c].v,
						xsize(ncap, rs->res[c].rowbytes));
	rs->freel = xrealloc(rs->freel, ncap * sizeof(*rs->freel));
	for (uint32_t i = ncap; i > rs->cap; i--) {
		rs->s[i - 1].state = SLOT_FREE;
		rs->freel[rs->nfree++] = i - 1;
	}
	rs->cap = ncap;
}

/*
 * Rows that may be held at once: what is in flight, times 4 when ordered;
 * but no more than ROWS_READ_AHEAD bytes of them (wide rows), unless the
 * rows every rank runs at once need more.
 */
static uint64_t window(const struct rows *rs)
{
	const struct farm_opts *fo = &rs->o.farm;
	uint64_t w = (uint64_t)rs->size * (fo->slots +
					   (uint64_t)fo->inflight * rs->B) +
		     rs->B;
	uint64_t by_bytes = ROWS_READ_AHEAD / row_bytes(rs);
	uint64_t running = (uint64_t)rs->size * fo->slots + 1;

	w = rs->o.ordered ? 4 * w + 64 : w + 64;
	if (w > by_bytes)
		w = by_bytes > running ? by_bytes : running;
	return w;
}

/* window(), computed again only when the batch size or a width changes. */
static uint64_t held_max(struct rows *rs)
{
	if (!rs->win || rs->win_B != rs->B) {
		rs->win = window(rs);
		rs->win_B = rs->B;
	}
	return rs->win;
}

/*
 * Make sure a data frame with rows is at hand, reading frames (metadata goes
 * straight to the output).  Returns 0 at the end of the input, or when
 * block is 0 and the input (a pipe whose writer has written nothing more
 * yet) would make us wait: the rows in flight go on meanwhile.
 */
static int fill_frame(struct rows *rs, int block)
{
	while (!rs->eof && (!rs->f || rs->frow == rs->f->nrows)) {
		const struct pal_frame *f;

		rs->f = NULL;
		if (!block && !pal_reader_poll(rs->o.in, 0))
			return 0;
		if (xpal_read(rs->o.in, &f) == 0) {
			rs->eof = 1;
			break;
		}
		if (f->kind == PAL_META) {
			xpal_passthrough(rs->o.out, rs->o.in, f);
			continue;
		}
		if (!rs->schema_cols)
			set_schema(rs, f);
		else if (!pal_same_schema(&rs->schema, f))
			die("columns change (%s: frame %" PRIu64 " at offset %"
			    PRIu64 "): %s needs one schema", rs->o.in_name,
			    f->index, f->offset, pal_progname);
		rs->f = f;
		rs->frow = 0;
	}
	return !rs->eof;
}

int rows_start(struct rows *rs)
{
	return fill_frame(rs, 1);
}

/* The next input row in a fresh slot, or -1 when there is none to take. */
static int64_t take_row(struct rows *rs)
{
	const struct pal_frame *f;
	unsigned char *row;
	uint64_t r;
	uint32_t s;

	/* While a width is not known, the output waits: take rows until one
	 * is to be run (the others restored, whatever their number). */
	if (rs->aborting || (widths_known(rs) && rs->busy >= held_max(rs)) ||
	    !fill_frame(rs, 0))
		return -1;
	if (rs->nfree == 0)
		grow_slots(rs);
	s = rs->freel[--rs->nfree];
	rs->busy++;
	rs->nread++;
	f = rs->f;
	row = rs->rows + (size_t)s * rs->rowbytes;
	r = rs->frow++;
	rs->s[s] = (struct slot){ .state = SLOT_BUSY };
	if (rs->o.user_bytes)
		memset(rows_user(rs, s), 0, rs->o.user_bytes);
	for (uint32_t i = 0; i < f->ncols; i++) {
		const struct incol *ic;

		if (rs->keep[i] < 0)
			continue;
		ic = &rs->in[rs->keep[i]];
		copy_bytes(row + ic->off, (const char *)f->cols[i].data +
			   r * ic->rowbytes, ic->rowbytes);
	}
	if (rs->o.ordered)
		fifo_push(&rs->order, s);
	return s;
}

/* Row s is finished (its results filled). */
static void finish(struct rows *rs, uint32_t s)
{
	rs->s[s].state = SLOT_DONE;
	rs->ndone++;
	if (!rs->o.ordered)
		fifo_push(&rs->done, s);
}

/* Take a row to run, finishing restored rows; -1 when none. */
static int64_t next_row(struct rows *rs)
{
	int64_t s;

	while ((s = take_row(rs)) >= 0) {
		if (!rs->h.restore || !rs->h.restore(rs->h.ctx, rs,
						      (uint32_t)s))
			return s;
		rs->nrestored++;
		finish(rs, (uint32_t)s);
	}
	return -1;
}

static void sync_hook(struct rows *rs)
{
	if (rs->h.sync)
		rs->h.sync(rs->h.ctx);
}

/* Copy task column t of row s to row r of the task batch. */
static void task_col(struct rows *rs, struct pal_col *tc, uint32_t t,
		     uint32_t s, uint64_t r)
{
	const struct incol *ic = &rs->in[rs->tsrc[t]];
	const unsigned char *src = rs->rows + (size_t)s * rs->rowbytes +
				   ic->off;

	if (ic->c.dtype == tc->dtype) {
		copy_bytes((char *)tc->data + r * ic->rowbytes, src,
			   ic->rowbytes);
	} else {
		struct pal_col c = ic->c;
		double *dst = (double *)tc->data + r * tc->width;

		c.data = (void *)src;
		for (uint32_t i = 0; i < tc->width; i++)
			dst[i] = pal_col_value(&c, i);
	}
}

/* The farm's next(): up to max rows to evaluate, as a task frame. */
static const struct pal_frame *on_next(void *ctx, uint64_t max,
				       const struct pal_frame **notes)
{
	struct rows *rs = ctx;
	struct pal_batch *b = rs->task;
	int64_t s;

	/* Rows finished so far are made safe (the caller's journal) before
	 * their slots take new rows. */
	sync_hook(rs);
	if (!b) {
		if (!rs->tcols)
			return NULL;
		b = rs->task = pal_batch_new(rs->tcols, rs->ntask,
					     pal_default_rows(rs->tcols,
							      rs->ntask));
		if (!b)
			die("out of memory");
	}
	pal_batch_clear(b);
	if (max > b->cap)
		max = b->cap;
	while (b->f.nrows < max && (s = next_row(rs)) >= 0) {
		uint64_t r = b->f.nrows++;

		((uint64_t *)b->f.cols[0].data)[r] = (uint64_t)s;
		for (uint32_t t = 1; t < rs->ntask; t++)
			task_col(rs, &b->f.cols[t], t, (uint32_t)s, r);
	}
	if (b->f.nrows == 0)
		return NULL;
	*notes = rs->h.notes ? rs->h.notes(rs->h.ctx) : NULL;
	return &b->f;
}

/* The farm's result(): rows finished on a rank. */
static void on_result(void *ctx, const struct pal_frame *f,
		      const struct pal_frame *notes, int rank)
{
	struct rows *rs = ctx;
	const uint64_t *tag;

	if (f->ncols < 1 || strcmp(f->cols[0].name, "tag") ||
	    f->cols[0].dtype != PAL_U64 || f->cols[0].width != 1)
		die("malformed results from rank %d", rank);
	tag = f->cols[0].data;
	if (f->nrows > rs->ntags) {
		rs->ntags = f->nrows;
		rs->tags = xrealloc(rs->tags, xsize(f->nrows,
						    sizeof(*rs->tags)));
	}
	for (uint64_t r = 0; r < f->nrows; r++) {
		if (tag[r] >= rs->cap || rs->s[tag[r]].state != SLOT_BUSY)
			die("result for a row not in flight (rank %d, slot %"
			    PRIu64 ")", rank, tag[r]);
		rs->s[tag[r]].state = SLOT_DONE;
		rs->tags[r] = (uint32_t)tag[r];
	}
	rs->h.finished(rs->h.ctx, rs, f, notes, rank, rs->tags);
	for (uint64_t r = 0; r < f->nrows; r++)
		finish(rs, rs->tags[r]);
}

/* Build the output columns, once the input columns and widths are known. */
static void build_output(struct rows *rs)
{
	uint32_t n = 0;

	rs->ocols = xcalloc(rs->nin + rs->nres, sizeof(*rs->ocols));
	for (uint32_t i = 0; i < rs->nin; i++)
		rs->ocols[n++] = rs->in[i].c;
	for (uint32_t c = 0; c < rs->nres; c++)
		rs->ocols[n++] = rs->res[c].c;
	rs->nocols = n;
	rs->pend = pal_batch_new(rs->ocols, n, pal_default_rows(rs->ocols, n));
	if (!rs->pend)
		die("out of memory");
}

/* Write the gathered rows out (made safe by sync() first). */
static void flush(struct rows *rs)
{
	sync_hook(rs);
	if (!rs->pend || rs->pend->f.nrows == 0)
		return;
	xpal_write(rs->o.out, &rs->pend->f);
	rs->nwritten += rs->pend->f.nrows;
	pal_batch_clear(rs->pend);
}

/* Append the row of slot s to batch b. */
static void put_row(struct rows *rs, struct pal_batch *b, uint32_t s)
{
	const unsigned char *row = rs->rows + (size_t)s * rs->rowbytes;
	uint64_t r = b->f.nrows;
	uint32_t c = 0;

	for (uint32_t i = 0; i < rs->nin; i++, c++)
		copy_bytes((char *)b->f.cols[c].data + r * rs->in[i].rowbytes,
			   row + rs->in[i].off, rs->in[i].rowbytes);
	for (uint32_t i = 0; i < rs->nres; i++, c++)
		copy_bytes((char *)b->f.cols[c].data + r * rs->res[i].rowbytes,
			   rs->res[i].v + (size_t)s * rs->res[i].rowbytes,
			   rs->res[i].rowbytes);
	b->f.nrows++;
}

static void emit(struct rows *rs, uint32_t s)
{
	int skip = rs->s[s].flags & ROWS_DROP;

	if (!skip)
		put_row(rs, rs->pend, s);
	if (!skip && rs->pend->f.nrows == 1)
		rs->pend_since = pal_clock_mono();
	rs->s[s].state = SLOT_FREE;
	rs->freel[rs->nfree++] = s;
	rs->busy--;
	if (rs->pend->f.nrows == rs->pend->cap)
		flush(rs);
}

/* The output batch, once the input columns and widths are known. */
static int output_ready(struct rows *rs)
{
	if (!rs->pend) {
		if (!rs->schema_cols || !widths_known(rs))
			return 0;
		build_output(rs);
	}
	return 1;
}

/* Move finished rows to the output batch, in input order when ordered. */
static void emit_done(struct rows *rs)
{
	if (!output_ready(rs))
		return;
	if (rs->o.ordered) {
		while (rs->order.len &&
		       rs->s[fifo_front(&rs->order)].state == SLOT_DONE) {
			emit(rs, fifo_front(&rs->order));
			fifo_pop(&rs->order);
		}
	} else {
		while (rs->done.len) {
			emit(rs, fifo_front(&rs->done));
			fifo_pop(&rs->done);
		}
	}
	if (rs->pend->f.nrows &&
	    pal_clock_mono() - rs->pend_since > ROWS_FLUSH_SECONDS)
		flush(rs);
}

int rows_run(struct rows *rs, struct farm_eval *ev)
{
	struct farm_master fmaster = { rs, on_next, on_result };
	struct progress prog;

	rs->fm = farm_new(&rs->o.farm, &fmaster, ev);
	/* Rows run (failed among them), of all those not restored, once the
	 * input is read: restored rows count in neither, so a resumed run
	 * shows the work left, not 150 %. */
	progress_start(&prog, rs->o.progress, "rows", rs->o.out_fd);
	for (;;) {
		uint64_t local;
		int progress, remote;

		rs->h.pace(rs->h.ctx, &rs->B, &local, &remote);
		farm_pace(rs->fm, rs->B, local, remote);
		progress = farm_poll(rs->fm);
		sync_hook(rs);
		emit_done(rs);
		/* The progress line: the one place that counts rows done. */
		prog.failed = rs->nfailed;
		prog.done = rs->ndone - rs->nrestored;
		prog.total = rs->eof ? rs->nread - rs->nrestored : 0;
		progress_show(&prog);
		if ((rs->eof || rs->aborting) && farm_local_rows(rs->fm) == 0 &&
		    farm_remote_rows(rs->fm) == 0) {
			/* A width still open: nothing told it (no row
			 * succeeded). */
			for (uint32_t c = 0; c < rs->nres; c++)
				if (!rs->res[c].c.width)
					rows_set_width(rs, c, 1);
			emit_done(rs);
			if (rs->busy == 0)
				break;
		}
		if (!progress) {
			flush(rs);
			if (rs->eof || rs->aborting ||
			    (rs->f && rs->frow < rs->f->nrows) ||
			    pal_reader_poll(rs->o.in, 0))
				farm_wait(rs->fm);
			else if (farm_local_rows(rs->fm) ||
				 farm_remote_rows(rs->fm))
				/* Rows run, and more may come down the
				 * pipe: look at both often. */
				farm_wait_max(rs->fm, 0.002);
			else
				/* Only the pipe: wait for it, a while at a
				 * time, so that the ranks' messages (their
				 * heartbeats) are read as they come. */
				pal_reader_poll(rs->o.in, 0.05);
		}
	}
	progress_end(&prog);
	flush(rs);
	farm_stop(rs->fm);
	return rs->aborting;
}

void rows_free(struct rows *rs)
{
	if (!rs)
		return;
	farm_free(rs->fm);
	pal_batch_free(rs->task);
	pal_batch_free(rs->pend);
	free(rs->schema_cols);
	free(rs->in);
	free(rs->keep);
	free(rs->tcols);
	free(rs->tsrc);
	for (uint32_t c = 0; c < rs->nres; c++)
		free(rs->res[c].v);
	free(rs->res);
	free(rs->s);
	free(rs->rows);
	free(rs->user);
	free(rs->freel);
	free(rs->order.v);
	free(rs->done.v);
	free(rs->tags);
	free(rs->ocols);
	free(rs);
}
