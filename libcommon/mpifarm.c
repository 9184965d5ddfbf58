/*
 * mpifarm.c: the task farm; see mpifarm.h.
 *
 * Messages (mpicomm.h), by tag: a task batch (rank 0 to a worker), a result
 * batch (back), a heartbeat (a worker's, empty) and stop (rank 0's, empty).
 * Tasks and results are small pal streams written by a memory writer and
 * read back by a memory reader, so every length in them is checked by the
 * stream reader, as for a file.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "mpicomm.h"
#include "mpifarm.h"
#include "banned.h"

enum { TAG_TASK = 1, TAG_RESULT, TAG_BEAT, TAG_STOP };

#define GONE_CHECK 0.05			/* seconds between checks of rank 0 */

struct farm {
	struct farm_opts o;
	const struct farm_master *m;
	struct farm_eval *local;
	int rank, size;
	struct pal_writer *w;		/* messages being built */
	uint64_t wrows;			/* rows in the message being built */
	/* rank 0 */
	uint64_t *outstanding;		/* rows at each rank */
	double *seen;			/* when each rank last spoke */
	uint64_t local_rows, batch, local_want;
	int remote;
	/* a worker */
	double last_sent;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

const char *farm_note(const struct pal_frame *notes, const char *key)
{
	if (!notes)
		return NULL;
	for (uint32_t i = 0; i < notes->nkv; i++)
		if (!strcmp(notes->kv[i].key, key))
			return notes->kv[i].value;
	return NULL;
}

/* Add notes and rows to the message being built. */
static void put(struct farm *fm, const struct pal_frame *rows,
		const struct pal_frame *notes)
{
	if (notes && notes->nkv && pal_write(fm->w, notes) < 0)
		die("%s", pal_writer_error(fm->w)->msg);
	if (pal_write(fm->w, rows) < 0)
		die("%s", pal_writer_error(fm->w)->msg);
	fm->wrows += rows->nrows;
}

/* Send the message built so far. */
static void send_built(struct farm *fm, int dest, int tag)
{
	size_t len;
	void *buf;

	if (pal_writer_finish(fm->w) < 0)
		die("%s", pal_writer_error(fm->w)->msg);
	buf = pal_writer_mem_take(fm->w, &len);
	comm_send(dest, tag, buf, len);
	fm->wrows = 0;
}

/* A frame's metadata, copied out of a reader that moves on. */
struct notes {
	struct pal_frame f;
	struct pal_kv *kv;
};

static void notes_copy(struct notes *n, const struct pal_frame *f)
{
	n->kv = xrealloc(n->kv, (f->nkv ? f->nkv : 1) * sizeof(*n->kv));
	for (uint32_t i = 0; i < f->nkv; i++) {
		n->kv[i].key = xstrdup(f->kv[i].key);
		n->kv[i].value = xstrdup(f->kv[i].value);
	}
	memset(&n->f, 0, sizeof(n->f));
	n->f.kind = PAL_META;
	n->f.nkv = f->nkv;
	n->f.kv = n->kv;
}

static void notes_clear(struct notes *n)
{
	for (uint32_t i = 0; i < n->f.nkv; i++) {
		free(n->kv[i].key);
		free(n->kv[i].value);
	}
	n->f.nkv = 0;
}

/*
 * Read the frames of a message: each data frame goes to fn with the notes
 * before it.  Returns the rows seen.
 */
static uint64_t unpack(const struct comm_msg *msg,
		       void (*fn)(void *arg, const struct pal_frame *rows,
				  const struct pal_frame *notes),
		       void *arg)
{
	struct pal_reader *r = pal_reader_mem(msg->buf, msg->len, "message");
	struct notes n = { 0 };
	const struct pal_frame *f;
	uint64_t rows = 0;
	int rc;

	if (!r)
		die("out of memory");
	while ((rc = pal_read(r, &f)) > 0) {
		if (f->kind == PAL_META) {
			notes_clear(&n);
			notes_copy(&n, f);
			continue;
		}
		fn(arg, f, n.f.nkv ? &n.f : NULL);
		rows += f->nrows;
		notes_clear(&n);
	}
	if (rc < 0)
		die("bad message from rank %d: %s", msg->src,
		    pal_reader_error(r)->msg);
	notes_clear(&n);
	free(n.kv);
	pal_reader_free(r);
	return rows;
}

void farm_result(struct farm *fm, const struct pal_frame *rows,
		 const struct pal_frame *notes)
{
	if (rows->nrows == 0)
		return;
	if (fm->rank == 0) {
		if (rows->nrows > fm->local_rows)
			die("internal error: rank 0's evaluator handed back "
			    "rows it did not have");
		fm->local_rows -= rows->nrows;
		fm->m->result(fm->m->ctx, rows, notes, 0);
		return;
	}
	put(fm, rows, notes);
}

/* ---- rank 0 -------------------------------------------------------------- */

static struct farm *farm_alloc(const struct farm_opts *opts)
{
	struct farm *fm = xcalloc(1, sizeof(*fm));

	fm->o = *opts;
	if (fm->o.heartbeat <= 0)
		fm->o.heartbeat = FARM_HEARTBEAT;
	fm->rank = comm_rank();
	fm->size = comm_size();
	fm->w = pal_writer_mem("message", 0);
	if (!fm->w)
		die("out of memory");
	return fm;
}

struct farm *farm_new(const struct farm_opts *opts,
		      const struct farm_master *master,
		      struct farm_eval *local)
{
	struct farm *fm = farm_alloc(opts);
	double t = now();

	fm->m = master;
	fm->local = local;
	local->farm = fm;
	fm->outstanding = xcalloc((size_t)fm->size, sizeof(*fm->outstanding));
	fm->seen = xcalloc((size_t)fm->size, sizeof(*fm->seen));
	for (int r = 0; r < fm->size; r++)
		fm->seen[r] = t;
	fm->batch = 1;
	return fm;
}

void farm_pace(struct farm *fm, uint64_t batch, uint64_t local_rows,
	       int remote)
{
	fm->batch = batch ? batch : 1;
	fm->local_want = fm->o.dispatch_only && fm->size > 1 && remote ? 0 :
			 local_rows;
	fm->remote = remote;
}

struct from {
	struct farm *fm;
	int src;
};

static void on_results(void *arg, const struct pal_frame *rows,
		       const struct pal_frame *notes)
{
	struct from *fr = arg;
	struct farm *fm = fr->fm;

	if (rows->nrows > fm->outstanding[fr->src])
		die("rank %d sent more results than it had rows", fr->src);
	fm->outstanding[fr->src] -= rows->nrows;
	fm->m->result(fm->m->ctx, rows, notes, fr->src);
}

static void receive(struct farm *fm, struct comm_msg *msg)
{
	struct from fr = { fm, msg->src };

	if (msg->src <= 0 || msg->src >= fm->size)
		die("message from rank %d, not a worker", msg->src);
	fm->seen[msg->src] = now();
	if (msg->tag == TAG_RESULT)
		unpack(msg, on_results, &fr);
	else if (msg->tag != TAG_BEAT)
		die("unexpected message %d from rank %d", msg->tag, msg->src);
	free(msg->buf);
}

/* End the job if a worker has been silent for longer than the heartbeat. */
static void check_alive(struct farm *fm)
{
	double t = now();
	struct comm_msg msg;

	for (int r = 1; r < fm->size; r++) {
		double quiet, end;

		if (t - fm->seen[r] <= fm->o.heartbeat)
			continue;
		/* Late?  Take what is on its way first. */
		end = t + (fm->o.heartbeat < 1 ? fm->o.heartbeat : 1);
		while (now() < end && comm_recv(&msg, end - now()))
			receive(fm, &msg);
		quiet = now() - fm->seen[r];
		if (quiet > fm->o.heartbeat)
			die("rank %d (host %s, pid %ld) has not answered for "
			    "%.1f s (--heartbeat %g): stopped or hung; ending "
			    "the job", r, comm_host(r), (long)comm_pid(r),
			    quiet, fm->o.heartbeat);
	}
}

/* Send batches to the ranks that have room. */
static int dispatch(struct farm *fm)
{
	int sent = 0;

	if (!fm->remote)
		return 0;
	for (int r = 1; r < fm->size; r++) {
		/* Room: the rows a rank runs at once, and --inflight batches
		 * waiting behind them. */
		while (fm->outstanding[r] + fm->batch <=
		       fm->o.slots + (uint64_t)fm->o.inflight * fm->batch) {
			const struct pal_frame *notes = NULL, *f;

			f = fm->m->next(fm->m->ctx, fm->batch, &notes);
			if (!f)
				return sent;
			put(fm, f, notes);
			fm->outstanding[r] += f->nrows;
			send_built(fm, r, TAG_TASK);
			sent = 1;
		}
	}
	return sent;
}

static int feed_local(struct farm *fm)
{
	int fed = 0;

	while (fm->local_rows < fm->local_want) {
		const struct pal_frame *notes = NULL, *f;

		f = fm->m->next(fm->m->ctx, fm->local_want - fm->local_rows,
				&notes);
		if (!f)
			break;
		fm->local_rows += f->nrows;
		fm->local->take(fm->local->ctx, f, notes);
		fed = 1;
	}
	return fed;
}

int farm_poll(struct farm *fm)
{
	struct comm_msg msg;
	int progress = 0;

	while (comm_try_recv(&msg)) {
		receive(fm, &msg);
		progress = 1;
	}
	if (fm->size > 1)
		check_alive(fm);
	progress |= dispatch(fm);
	progress |= feed_local(fm);
	progress |= fm->local->step(fm->local->ctx, 0);
	return progress;
}

void farm_wait(struct farm *fm)
{
	farm_wait_max(fm, fm->o.heartbeat / 4);
}

void farm_wait_max(struct farm *fm, double max)
{
	struct comm_msg msg;
	uint64_t remote = farm_remote_rows(fm);
	double cap = fm->o.heartbeat / 4 < max ? fm->o.heartbeat / 4 : max;

	if (fm->local->running(fm->local->ctx))
		fm->local->step(fm->local->ctx, remote ? 0.001 : cap);
	else if (remote && comm_recv(&msg, cap))
		receive(fm, &msg);
}

uint64_t farm_local_rows(const struct farm *fm)
{
	return fm->local_rows;
}

uint64_t farm_remote_rows(const struct farm *fm)
{
	uint64_t n = 0;

	for (int r = 1; r < fm->size; r++)
		n += fm->outstanding[r];
	return n;
}

void farm_stop(struct farm *fm)
{
	for (int r = 1; r < fm->size; r++)
		comm_send(r, TAG_STOP, xmalloc(1), 0);
}

void farm_free(struct farm *fm)
{
	if (!fm)
		return;
	pal_writer_free(fm->w);
	free(fm->outstanding);
	free(fm->seen);
	free(fm);
}

/* ---- the other ranks ---------------------------------------------------- */

static void on_task(void *arg, const struct pal_frame *rows,
		    const struct pal_frame *notes)
{
	struct farm_eval *ev = arg;

	ev->take(ev->ctx, rows, notes);
}

/* Handle a message from rank 0: returns 1 for stop. */
static int worker_msg(struct farm_eval *ev, struct comm_msg *msg)
{
	int stop = msg->tag == TAG_STOP;

	if (msg->src != 0)
		die("message from rank %d, not rank 0", msg->src);
	if (msg->tag == TAG_TASK)
		unpack(msg, on_task, ev);
	else if (!stop)
		die("unexpected message %d from rank 0", msg->tag);
	free(msg->buf);
	return stop;
}

int farm_work(const struct farm_opts *opts, struct farm_eval *ev)
{
	struct farm *fm = farm_alloc(opts);
	double beat = fm->o.heartbeat / 4, cap, checked = 0;
	int stop = 0, rc = 0;

	cap = beat < GONE_CHECK ? beat : GONE_CHECK;
	ev->farm = fm;
	fm->last_sent = now();
	for (;;) {
		struct comm_msg msg;
		int progress = 0;
		double t;

		while (comm_try_recv(&msg)) {
			stop |= worker_msg(ev, &msg);
			progress = 1;
		}
		if (stop && ev->pending(ev->ctx) == 0 && fm->wrows == 0)
			break;
		progress |= ev->step(ev->ctx, 0);
		t = now();
		if (fm->wrows) {
			send_built(fm, 0, TAG_RESULT);
			fm->last_sent = t;
			progress = 1;
		} else if (t - fm->last_sent >= beat) {
			comm_send(0, TAG_BEAT, xmalloc(1), 0);
			fm->last_sent = t;
		}
		if (t - checked >= GONE_CHECK) {
			checked = t;
			if (comm_gone(0)) {
				rc = -1;
				break;
			}
		}
		if (progress)
			continue;
		if (ev->running(ev->ctx)) {
			int hungry = ev->queued(ev->ctx) == 0 ||
				     comm_sends_pending() > 0;

			ev->step(ev->ctx, hungry ? 0.001 : cap);
		} else if (!stop && comm_recv(&msg, cap)) {
			stop |= worker_msg(ev, &msg);
		}
	}
	pal_writer_free(fm->w);
	free(fm);
	return rc;
}
