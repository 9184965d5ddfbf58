/*
 * test-stream.c: unit tests of libcommon/stream.c, the pal stream reader and
 * writer.
 *
 * Frames are built here with known contents, written with pal_writer_fd()
 * to a regular file or to a real pipe (the writer runs in a child process,
 * the reader on the other end in this one), read back with pal_reader_fd()
 * or pal_reader_mem(), and compared column by column with memcmp.  The
 * error cases damage a known stream at known offsets and check the error
 * kind, the offset in the message, and that the reader stays spent.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "err.h"
#include "rng.h"
#include "stream.h"
#include "unit.h"
#include "banned.h"

/* ---- helpers ------------------------------------------------------------ */

/* xmalloc() and xcalloc() come from err.h (libcommon). */

static FILE *xtmpfile(void)
{
	FILE *fp = tmpfile();

	if (!fp) {
		perror("test-stream: tmpfile");
		exit(99);
	}
	return fp;
}

struct bytes {
	unsigned char *p;
	size_t n;
};

static void bytes_free(struct bytes *b)
{
	free(b->p);
	b->p = NULL;
	b->n = 0;
}

/* Read fd to its end into b (which must be empty).  0 or -1. */
static int slurp_fd(int fd, struct bytes *b)
{
	size_t cap = 1 << 16;

	b->p = xmalloc(cap);
	b->n = 0;
	for (;;) {
		ssize_t k;

		if (b->n == cap) {
			unsigned char *np = realloc(b->p, cap *= 2);

			if (!np)
				return -1;
			b->p = np;
		}
		k = read(fd, b->p + b->n, cap - b->n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			return 0;
		b->n += (size_t)k;
	}
}

struct colspec {
	const char *name;
	int dtype;
	uint32_t width;
};

enum fill { FILL_RANDOM, FILL_SMALL };

/*
 * Build a data frame of nrows rows with the columns of cs.  FILL_RANDOM
 * fills every byte from an RNG seeded with seed (incompressible, and every
 * bit pattern of every dtype, NaNs included); FILL_SMALL stores small
 * integers in the low byte of each element (compressible).
 */
static void frame_make(struct pal_frame *f, const struct colspec *cs,
		       uint32_t ncols, uint64_t nrows, uint64_t seed,
		       enum fill fill)
{
	struct rng r;

	rng_seed(&r, seed, 0);
	memset(f, 0, sizeof(*f));
	f->kind = PAL_DATA;
	f->nrows = nrows;
	f->ncols = ncols;
	f->cols = xcalloc(ncols, sizeof(*f->cols));
	for (uint32_t i = 0; i < ncols; i++) {
		struct pal_col *c = &f->cols[i];
		size_t es = pal_dtype_size(cs[i].dtype), n;
		unsigned char *d;

		snprintf(c->name, sizeof(c->name), "%s", cs[i].name);
		c->dtype = cs[i].dtype;
		c->width = cs[i].width;
		n = es * c->width * nrows;
		c->data = d = xmalloc(n);
		if (fill == FILL_RANDOM) {
			for (size_t k = 0; k < n; k++)
				d[k] = (unsigned char)(rng_u64(&r) >> 56);
		} else {
			memset(d, 0, n);
			for (size_t k = 0; es && k < n; k += es)
				d[k] = (unsigned char)(k / es % 10);
		}
	}
}

static void frame_free(struct pal_frame *f)
{
	for (uint32_t i = 0; i < f->ncols; i++)
		free(f->cols[i].data);
	free(f->cols);
	memset(f, 0, sizeof(*f));
}

/*
 * Whether got equals want: kind, rows, schema and data (or metadata).
 * On a difference, say what differs in why.
 */
static int frame_equal(const struct pal_frame *got,
		       const struct pal_frame *want, char *why, size_t cap)
{
	if (got->kind != want->kind) {
		snprintf(why, cap, "kind %c, want %c", got->kind, want->kind);
		return 0;
	}
	if (want->kind == PAL_META) {
		if (got->nkv != want->nkv) {
			snprintf(why, cap, "%" PRIu32 " entries, want %" PRIu32,
				 got->nkv, want->nkv);
			return 0;
		}
		for (uint32_t i = 0; i < want->nkv; i++)
			if (strcmp(got->kv[i].key, want->kv[i].key) ||
			    strcmp(got->kv[i].value, want->kv[i].value)) {
				snprintf(why, cap, "entry %" PRIu32 " is "
					 "'%s'='%s', want '%s'='%s'", i,
					 esc(got->kv[i].key),
					 esc(got->kv[i].value),
					 esc(want->kv[i].key),
					 esc(want->kv[i].value));
				return 0;
			}
		return 1;
	}
	if (got->nrows != want->nrows || !pal_same_schema(got, want)) {
		snprintf(why, cap, "%" PRIu64 " rows, %" PRIu32 " columns; "
			 "want %" PRIu64 ", %" PRIu32 " (or another schema)",
			 got->nrows, got->ncols, want->nrows, want->ncols);
		return 0;
	}
	for (uint32_t i = 0; i < want->ncols; i++) {
		size_t n = pal_col_rowbytes(&want->cols[i]) * want->nrows;

		if (n && memcmp(got->cols[i].data, want->cols[i].data, n)) {
			snprintf(why, cap, "data of column '%s' differs",
				 want->cols[i].name);
			return 0;
		}
	}
	return 1;
}

/*
 * Write frames[0..n) to fd with a writer at level, then the end frame if
 * finish.  offsets[i] (if not NULL) gets the stream offset of frame i, and
 * offsets[n] the offset after the last frame.  Returns 0, or -1 with the
 * writer's message in why.
 */
static int write_frames(int fd, const struct pal_frame *const *frames, int n,
			int level, int finish, uint64_t *offsets, char *why,
			size_t cap)
{
	struct pal_writer *w = pal_writer_fd(fd, "test.pal", level);
	int rc = 0;

	if (!w) {
		snprintf(why, cap, "pal_writer_fd failed");
		return -1;
	}
	for (int i = 0; i < n && rc == 0; i++) {
		if (offsets)
			offsets[i] = pal_writer_bytes(w);
		rc = pal_write(w, frames[i]);
	}
	if (offsets && rc == 0)
		offsets[n] = pal_writer_bytes(w);
	if (rc == 0 && finish)
		rc = pal_writer_finish(w);
	if (rc < 0)
		snprintf(why, cap, "%s", pal_writer_error(w)->msg);
	pal_writer_free(w);
	return rc;
}

/* Write frames as above to a temporary regular file; its bytes in out. */
static int write_file(const struct pal_frame *const *frames, int n, int level,
		      int finish, uint64_t *offsets, struct bytes *out)
{
	char why[512];
	FILE *tmp = xtmpfile();
	int rc;

	out->p = NULL;
	out->n = 0;
	rc = write_frames(fileno(tmp), frames, n, level, finish, offsets, why,
			  sizeof(why));
	if (rc < 0)
		diag("writing to a file: %s", why);
	if (rc == 0 && (lseek(fileno(tmp), 0, SEEK_SET) < 0 ||
			slurp_fd(fileno(tmp), out) < 0))
		rc = -1;
	fclose(tmp);
	return rc;
}

/*
 * Start a child that writes frames[0..n) (then the end frame if finish) to
 * a pipe with a writer at level and exits 0, or 1 if writing failed.
 * Returns the child's pid and the read end in *rfd.
 */
static pid_t spawn_writer(const struct pal_frame *const *frames, int n,
			  int level, int finish, int *rfd)
{
	int p[2];
	pid_t pid;

	fflush(stdout);
	if (pipe(p) < 0) {
		perror("test-stream: pipe");
		exit(99);
	}
	pid = fork();
	if (pid < 0) {
		perror("test-stream: fork");
		exit(99);
	}
	if (pid == 0) {
		char why[512];

		close(p[0]);
		if (write_frames(p[1], frames, n, level, finish, NULL, why,
				 sizeof(why)) < 0) {
			fprintf(stderr, "child writer: %s\n", why);
			_exit(1);
		}
		_exit(close(p[1]) < 0);
	}
	close(p[1]);
	*rfd = p[0];
	return pid;
}

/*
 * Start a child that writes the n bytes at buf to a pipe and exits.
 * Returns its pid and the read end in *rfd.
 */
static pid_t spawn_bytes(const unsigned char *buf, size_t n, int *rfd)
{
	int p[2];
	pid_t pid;

	fflush(stdout);
	if (pipe(p) < 0 || (pid = fork()) < 0) {
		perror("test-stream: pipe or fork");
		exit(99);
	}
	if (pid == 0) {
		close(p[0]);
		while (n > 0) {
			ssize_t k = write(p[1], buf, n);

			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0)
				_exit(1);
			buf += k;
			n -= (size_t)k;
		}
		_exit(close(p[1]) < 0);
	}
	close(p[1]);
	*rfd = p[0];
	return pid;
}

/* Wait for pid; its exit status, or -1 if it died by a signal. */
static int reap(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * Read every frame of r and compare it with want[0..n), then expect a
 * clean end.  Returns 1 if all is as expected, else 0 with the reason in
 * why.
 */
static int read_expect(struct pal_reader *r, const struct pal_frame *const *want,
		       int n, char *why, size_t cap)
{
	const struct pal_frame *f;
	int k;

	for (int i = 0; i < n; i++) {
		char w2[400];

		k = pal_read(r, &f);
		if (k != 1) {
			snprintf(why, cap, "frame %d: pal_read returned %d: %.300s",
				 i, k, k < 0 ? pal_reader_error(r)->msg : "end");
			return 0;
		}
		if (!frame_equal(f, want[i], w2, sizeof(w2))) {
			snprintf(why, cap, "frame %d: %s", i, w2);
			return 0;
		}
	}
	k = pal_read(r, &f);
	if (k != 0) {
		snprintf(why, cap, "after %d frames pal_read returned %d, not "
			 "a clean end: %.300s", n, k, k < 0 ?
			 pal_reader_error(r)->msg : "one more frame");
		return 0;
	}
	return 1;
}

/* Whether msg contains needle. */
static int has(const char *msg, const char *needle)
{
	return strstr(msg, needle) != NULL;
}

/* A writer level for messages: "keep", "0", ... "9". */
static const char *level_name(int level)
{
	static const char *const names[] = {
		"0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
	};

	return level == PAL_LEVEL_KEEP ? "keep" :
	       level >= 0 && level <= 9 ? names[level] : "?";
}

static const int all_dtypes[] = {
	PAL_U8, PAL_I32, PAL_I64, PAL_U64, PAL_F32, PAL_F64,
};
#define NDTYPES 6

/* ---- round trips -------------------------------------------------------- */

/* Every dtype at widths 1, 3 and 1000, through a memory reader. */
static void test_dtypes_widths(void)
{
	static const uint32_t widths[] = { 1, 3, 1000 };

	for (int t = 0; t < NDTYPES; t++)
		for (int wi = 0; wi < 3; wi++) {
			struct colspec cs[2] = {
				{ "id", PAL_U64, 1 },
				{ "c", all_dtypes[t], widths[wi] },
			};
			struct pal_frame f;
			const struct pal_frame *fl[1] = { &f };
			struct pal_reader *r;
			struct bytes b;
			char why[512] = "write failed";
			int ok = 0;

			/* 7 rows: u8 and 4-byte columns need padding. */
			frame_make(&f, cs, 2, 7, 10 + t * 3 + wi, FILL_RANDOM);
			if (write_file(fl, 1, 0, 1, NULL, &b) == 0) {
				r = pal_reader_mem(b.p, b.n, "mem");
				ok = read_expect(r, fl, 1, why, sizeof(why));
				pal_reader_free(r);
			}
			CHECK(ok, "%s width %" PRIu32 ": 7 rows round trip "
			      "through a file and pal_reader_mem (%s)",
			      pal_dtype_name(all_dtypes[t]), widths[wi],
			      ok ? "same bytes" : why);
			bytes_free(&b);
			frame_free(&f);
		}
}

/*
 * The memory writer: the same bytes as a writer to a file, at level 0 and
 * compressed; read back by the memory reader; taken, it starts a new
 * stream that reads back on its own.
 */
static void test_writer_mem(void)
{
	struct colspec cs[2] = {
		{ "id", PAL_U64, 1 },
		{ "x", PAL_F64, 3 },
	};
	struct pal_frame f, g;
	const struct pal_frame *fl[2] = { &f, &g };

	frame_make(&f, cs, 2, 50, 71, FILL_RANDOM);
	frame_make(&g, cs, 2, 9, 72, FILL_RANDOM);
	for (int level = 0; level <= 6; level += 6) {
		struct pal_writer *w = pal_writer_mem(NULL, level);
		struct pal_reader *r;
		struct bytes file = { 0 };
		char why[512] = "write failed";
		size_t len = 0;
		void *p;
		int ok;

		ok = w && pal_write(w, &f) == 0 && pal_write(w, &g) == 0 &&
		     pal_writer_rows(w) == 59 && pal_writer_finish(w) == 0;
		p = ok ? pal_writer_mem_take(w, &len) : NULL;
		ok = ok && p && write_file(fl, 2, level, 1, NULL, &file) == 0 &&
		     file.n == len && !memcmp(file.p, p, len);
		CHECK(ok, "level %d: a memory writer writes the bytes a file "
		      "writer does (%zu and %zu bytes)", level, len, file.n);
		r = pal_reader_mem(p, len, "mem");
		ok = read_expect(r, fl, 2, why, sizeof(why));
		CHECK(ok, "level %d: pal_writer_mem to pal_reader_mem (%s)",
		      level, ok ? "same frames" : why);
		pal_reader_free(r);
		free(p);
		bytes_free(&file);
		/* Taken: a new stream, rows counted from 0. */
		ok = pal_writer_rows(w) == 0 && pal_write(w, &g) == 0 &&
		     pal_writer_finish(w) == 0;
		p = ok ? pal_writer_mem_take(w, &len) : NULL;
		r = pal_reader_mem(p, len, "mem");
		ok = ok && read_expect(r, fl + 1, 1, why, sizeof(why));
		CHECK(ok, "level %d: after pal_writer_mem_take, a second "
		      "stream on its own (%s)", level, ok ? "ok" : why);
		pal_reader_free(r);
		free(p);
		pal_writer_free(w);
	}
	frame_free(&f);
	frame_free(&g);
}

/* The 18 columns of every dtype at widths 1, 3, 1000, in one frame. */
static void make_wide_frame(struct pal_frame *f, uint64_t nrows,
			    uint64_t seed)
{
	static const uint32_t widths[] = { 1, 3, 1000 };
	static char names[NDTYPES * 3][16];
	struct colspec cs[NDTYPES * 3];

	for (int t = 0; t < NDTYPES; t++)
		for (int wi = 0; wi < 3; wi++) {
			int i = t * 3 + wi;

			snprintf(names[i], sizeof(names[i]), "%s_w%" PRIu32,
				 pal_dtype_name(all_dtypes[t]), widths[wi]);
			cs[i].name = names[i];
			cs[i].dtype = all_dtypes[t];
			cs[i].width = widths[wi];
		}
	frame_make(f, cs, NDTYPES * 3, nrows, seed, FILL_RANDOM);
}

static void make_meta(struct pal_frame *f, struct pal_kv *kv, uint32_t nkv)
{
	memset(f, 0, sizeof(*f));
	f->kind = PAL_META;
	f->nkv = nkv;
	f->kv = kv;
}

/*
 * Through a real pipe: a child writes, this process reads with
 * pal_reader_fd as the bytes arrive.  Frames of every dtype, a zero-row
 * frame, many small frames, a metadata frame and a frame of several MiB.
 */
static void test_pipe(void)
{
	struct colspec small[2] = { { "id", PAL_U64, 1 }, { "x", PAL_F64, 3 } };
	struct colspec big[1] = { { "y", PAL_F32, 5 } };
	struct pal_kv kv[2] = {
		{ (char *)"origin", (char *)"test-stream" },
		{ (char *)"units", (char *)"" },
	};
	enum { NSMALL = 300, NF = NSMALL + 4 };
	struct pal_frame wide, zero, meta, large, smalls[NSMALL];
	const struct pal_frame *fl[NF];
	int levels[2] = { 0, 6 };
	int n = 0;

	make_wide_frame(&wide, 5, 1);
	frame_make(&zero, small, 2, 0, 2, FILL_RANDOM);
	make_meta(&meta, kv, 2);
	/* 200000 rows x 20 bytes: 4 MB, more than a pipe holds at once. */
	frame_make(&large, big, 1, 200000, 3, FILL_SMALL);
	fl[n++] = &wide;
	fl[n++] = &zero;
	fl[n++] = &meta;
	for (int i = 0; i < NSMALL; i++) {
		frame_make(&smalls[i], small, 2, (uint64_t)i % 4, 100 + i,
			   FILL_RANDOM);
		fl[n++] = &smalls[i];
	}
	fl[n++] = &large;

	for (int l = 0; l < 2; l++) {
		struct pal_reader *r;
		char why[512];
		int rfd, ok, st;
		pid_t pid = spawn_writer(fl, n, levels[l], 1, &rfd);

		r = pal_reader_fd(rfd, "pipe");
		ok = read_expect(r, fl, n, why, sizeof(why));
		pal_reader_free(r);
		close(rfd);
		st = reap(pid);
		CHECK(ok, "%d frames (every dtype, zero rows, metadata, 4 MB) "
		      "at level %d through a pipe (%s)", n, levels[l],
		      ok ? "same rows" : why);
		CHECK(st == 0, "the writer child exits 0 (status %d)", st);
	}
	frame_free(&wide);
	frame_free(&zero);
	frame_free(&large);
	for (int i = 0; i < NSMALL; i++)
		frame_free(&smalls[i]);
}

/* Zero-row frames carry their schema; the end frame counts 0 rows. */
static void test_zero_rows(void)
{
	struct colspec cs[3] = {
		{ "id", PAL_U64, 1 }, { "x", PAL_F64, 3 }, { "s", PAL_I32, 1 },
	};
	struct pal_frame f;
	const struct pal_frame *fl[2] = { &f, &f };
	const struct pal_frame *g;
	struct pal_reader *r;
	struct bytes b;
	int k1 = -2, k2 = -2, k3 = -2, codec = -1;

	frame_make(&f, cs, 3, 0, 1, FILL_RANDOM);
	if (write_file(fl, 2, 9, 1, NULL, &b) == 0) {
		r = pal_reader_mem(b.p, b.n, "mem");
		k1 = pal_read(r, &g);
		if (k1 == 1) {
			codec = g->codec;
			CHECK(g->nrows == 0 && pal_same_schema(g, &f) &&
			      g->ncols == 3, "a zero-row frame reads back with "
			      "its schema: %" PRIu64 " rows, %" PRIu32
			      " columns", g->nrows, g->ncols);
		}
		k2 = pal_read(r, &g);
		k3 = pal_read(r, &g);
		pal_reader_free(r);
	}
	CHECK(k1 == 1 && k2 == 1 && k3 == 0, "two zero-row frames then a "
	      "clean end: pal_read gives %d %d %d", k1, k2, k3);
	CHECK(codec == PAL_CODEC_NONE, "a zero-row frame is stored with codec "
	      "0 even at level 9 (codec %d)", codec);
	bytes_free(&b);
	frame_free(&f);
}

/* Many frames: indexes, offsets and sizes add up. */
static void test_many_frames(void)
{
	enum { N = 3000 };
	struct colspec cs[2] = { { "id", PAL_U64, 1 }, { "v", PAL_U8, 3 } };
	struct pal_frame *frames = xcalloc(N, sizeof(*frames));
	const struct pal_frame **fl = xcalloc(N, sizeof(*fl));
	uint64_t *offsets = xcalloc(N + 1, sizeof(*offsets));
	const struct pal_frame *g;
	struct pal_reader *r;
	struct bytes b;
	int nread = 0, bad_data = 0, bad_where = 0, k = -2;

	for (int i = 0; i < N; i++) {
		frame_make(&frames[i], cs, 2, (uint64_t)i % 5, (uint64_t)i,
			   FILL_RANDOM);
		fl[i] = &frames[i];
	}
	if (write_file(fl, N, 0, 1, offsets, &b) == 0) {
		char why[512];

		r = pal_reader_mem(b.p, b.n, "mem");
		while ((k = pal_read(r, &g)) == 1 && nread < N) {
			bad_data += !frame_equal(g, fl[nread], why, sizeof(why));
			bad_where += g->index != (uint64_t)nread ||
				     g->offset != offsets[nread] ||
				     g->stored_bytes != offsets[nread + 1] -
							offsets[nread];
			nread++;
		}
		CHECK(k == 0 && pal_reader_offset(r) == b.n,
		      "%d frames end cleanly at offset %" PRIu64 " of %zu "
		      "(pal_read %d)", nread, pal_reader_offset(r), b.n, k);
		pal_reader_free(r);
	}
	CHECK(nread == N && bad_data == 0, "%d small frames read back, %d "
	      "differ", nread, bad_data);
	CHECK(bad_where == 0, "index, offset and stored_bytes agree with the "
	      "writer for every frame (%d disagree)", bad_where);
	CHECK(offsets[N] + 48 == b.n, "the end frame is the last 48 bytes "
	      "(%" PRIu64 " + 48 vs %zu)", offsets[N], b.n);
	bytes_free(&b);
	for (int i = 0; i < N; i++)
		frame_free(&frames[i]);
	free(frames);
	free(fl);
	free(offsets);
}

/* Two streams back to back read as one, ending cleanly. */
static void test_concat(void)
{
	struct colspec cs[2] = { { "id", PAL_U64, 1 }, { "x", PAL_F64, 2 } };
	struct pal_frame a[2], bf[3];
	const struct pal_frame *fa[2] = { &a[0], &a[1] };
	const struct pal_frame *fb[3] = { &bf[0], &bf[1], &bf[2] };
	const struct pal_frame *all[5] = { &a[0], &a[1], &bf[0], &bf[1], &bf[2] };
	const struct pal_frame *g;
	struct bytes sa, sb, cat;
	struct pal_reader *r;
	char why[512] = "write failed";
	int ok = 0, idx_ok = 0, k;

	for (int i = 0; i < 2; i++)
		frame_make(&a[i], cs, 2, 4 + (uint64_t)i, 20 + i, FILL_RANDOM);
	for (int i = 0; i < 3; i++)
		frame_make(&bf[i], cs, 2, 3, 30 + i, FILL_SMALL);
	if (write_file(fa, 2, 0, 1, NULL, &sa) < 0 ||
	    write_file(fb, 3, 9, 1, NULL, &sb) < 0) {
		CHECK(0, "writing two streams");
		return;
	}
	cat.n = sa.n + sb.n;
	cat.p = xmalloc(cat.n);
	memcpy(cat.p, sa.p, sa.n);
	memcpy(cat.p + sa.n, sb.p, sb.n);

	r = pal_reader_mem(cat.p, cat.n, "cat");
	ok = read_expect(r, all, 5, why, sizeof(why));
	pal_reader_free(r);
	CHECK(ok, "two streams back to back read as one: 5 frames and a "
	      "clean end (%s)", ok ? "yes" : why);

	/* The first frame of the second stream follows 2 frames and an end
	 * frame: it is frame 3, at the offset where the second stream began. */
	r = pal_reader_mem(cat.p, cat.n, "cat");
	for (int i = 0; i < 3 && (k = pal_read(r, &g)) == 1; i++)
		if (i == 2)
			idx_ok = g->index == 3 && g->offset == sa.n;
	pal_reader_free(r);
	CHECK(idx_ok, "the second stream's first frame is frame 3 at offset "
	      "%zu", sa.n);

	/* Through a pipe as well. */
	{
		int rfd, st;
		pid_t pid = spawn_bytes(cat.p, cat.n, &rfd);

		r = pal_reader_fd(rfd, "pipe");
		ok = read_expect(r, all, 5, why, sizeof(why));
		pal_reader_free(r);
		close(rfd);
		st = reap(pid);
		CHECK(ok && st == 0, "the same through a pipe (%s)",
		      ok ? "yes" : why);
	}

	/* The first stream and the second without its end frame: cut short. */
	r = pal_reader_mem(cat.p, cat.n - 48, "cat");
	for (int i = 0; i < 5; i++)
		pal_read(r, &g);
	k = pal_read(r, &g);
	CHECK(k == -1 && pal_reader_error(r)->kind == PAL_ERR_TRUNCATED &&
	      has(pal_reader_error(r)->msg, "cut short"),
	      "a second stream without its end frame is cut short: %d, %s",
	      k, esc(pal_reader_error(r)->msg));
	pal_reader_free(r);

	bytes_free(&sa);
	bytes_free(&sb);
	bytes_free(&cat);
	for (int i = 0; i < 2; i++)
		frame_free(&a[i]);
	for (int i = 0; i < 3; i++)
		frame_free(&bf[i]);
}

/* ---- compression -------------------------------------------------------- */

static void test_levels(void)
{
	struct colspec cs[3] = {
		{ "id", PAL_U64, 1 }, { "x", PAL_F64, 4 }, { "s", PAL_I32, 1 },
	};
	static const int levels[] = { PAL_LEVEL_KEEP, 0, 1, 9 };
	struct pal_frame zf, rf;
	const struct pal_frame *zl[1] = { &zf }, *rl[1] = { &rf };
	struct bytes plain, b;

	frame_make(&zf, cs, 3, 1000, 1, FILL_SMALL);
	frame_make(&rf, cs, 3, 1000, 2, FILL_RANDOM);

	for (int i = 0; i < 4; i++) {
		const struct pal_frame *g;
		struct pal_reader *r;
		char why[512] = "write failed";
		int ok = 0, codec = -1, want = levels[i] > 0;

		if (write_file(zl, 1, levels[i], 1, NULL, &b) == 0) {
			r = pal_reader_mem(b.p, b.n, "mem");
			if (pal_read(r, &g) == 1)
				codec = g->codec;
			pal_reader_free(r);
			r = pal_reader_mem(b.p, b.n, "mem");
			ok = read_expect(r, zl, 1, why, sizeof(why));
			pal_reader_free(r);
		}
		CHECK(ok, "level %s: a compressible frame reads back the same "
		      "(%s)", level_name(levels[i]), ok ? "yes" : why);
		CHECK(codec == want, "level %s: a compressible frame is stored "
		      "with codec %d (want %d), %zu bytes",
		      level_name(levels[i]), codec,
		      want, b.n);
		bytes_free(&b);
	}

	/* Random bytes do not shrink: stored as they are, even at 9, and so
	 * the stream is byte for byte what level 0 writes. */
	if (write_file(rl, 1, 0, 1, NULL, &plain) == 0 &&
	    write_file(rl, 1, 9, 1, NULL, &b) == 0) {
		const struct pal_frame *g;
		struct pal_reader *r = pal_reader_mem(b.p, b.n, "mem");
		int k = pal_read(r, &g);

		CHECK(k == 1 && g->codec == PAL_CODEC_NONE,
		      "level 9: incompressible data is stored with codec 0 "
		      "(codec %d)", k == 1 ? g->codec : -1);
		CHECK(b.n == plain.n && !memcmp(b.p, plain.p, b.n),
		      "level 9 writes incompressible data as level 0 does "
		      "(%zu and %zu bytes)", b.n, plain.n);
		pal_reader_free(r);
	} else {
		CHECK(0, "writing random data at levels 0 and 9");
	}
	bytes_free(&plain);
	bytes_free(&b);
	frame_free(&zf);
	frame_free(&rf);
}

/* ---- metadata ----------------------------------------------------------- */

static void test_metadata(void)
{
	static char key255[256], key256[257];
	struct pal_kv kv[6] = {
		{ (char *)"model.kind", (char *)"mlp" },
		{ (char *)"a-b:c_d.E9", (char *)"x y\tz" },
		{ (char *)"empty", (char *)"" },
		{ (char *)"eq", (char *)"a=b=c" },
		{ (char *)"utf8", (char *)"\xc3\xa5ngstr\xc3\xb6m" },
		{ key255, (char *)"long key" },
	};
	static const struct {
		const char *key, *value, *what;
	} bad[] = {
		{ "", "v", "an empty key" },
		{ "a b", "v", "a key with a space" },
		{ "a=b", "v", "a key with '='" },
		{ "a\nb", "v", "a key with a newline" },
		{ "k\xc3\xa5", "v", "a key with a non-ASCII byte" },
		{ key256, "v", "a key of 256 bytes" },
		{ "k", "a\nb", "a value with a newline" },
		{ "k", "\n", "a value that is a newline" },
	};
	struct pal_frame m, m0, m1;
	const struct pal_frame *fl[3] = { &m, &m0, &m1 };
	int levels[2] = { 0, 9 };

	memset(key255, 'k', 255);
	memset(key256, 'k', 256);
	make_meta(&m, kv, 6);
	make_meta(&m0, NULL, 0);
	make_meta(&m1, kv + 3, 1);
	for (int l = 0; l < 2; l++) {
		struct pal_reader *r;
		struct bytes b;
		char why[512] = "write failed";
		int ok = 0;

		if (write_file(fl, 3, levels[l], 1, NULL, &b) == 0) {
			r = pal_reader_mem(b.p, b.n, "mem");
			ok = read_expect(r, fl, 3, why, sizeof(why));
			pal_reader_free(r);
		}
		CHECK(ok, "level %d: metadata frames of 6, 0 and 1 entries "
		      "round trip (empty value, '=' in a value, 255-byte key) "
		      "(%s)", levels[l], ok ? "yes" : why);
		bytes_free(&b);
	}

	/* pal_write_kv writes a frame of one entry. */
	{
		FILE *tmp = xtmpfile();
		struct pal_writer *w = pal_writer_fd(fileno(tmp), "t", 0);
		const struct pal_frame *g;
		struct pal_reader *r;
		struct bytes b = { NULL, 0 };
		int k = -2;

		if (pal_write_kv(w, "seed", "42") == 0 &&
		    pal_writer_finish(w) == 0 &&
		    lseek(fileno(tmp), 0, SEEK_SET) == 0 &&
		    slurp_fd(fileno(tmp), &b) == 0) {
			r = pal_reader_mem(b.p, b.n, "mem");
			k = pal_read(r, &g);
			k = k == 1 && g->kind == PAL_META && g->nkv == 1 &&
			    !strcmp(g->kv[0].key, "seed") &&
			    !strcmp(g->kv[0].value, "42") &&
			    pal_read(r, &g) == 0;
			pal_reader_free(r);
		}
		CHECK(k == 1, "pal_write_kv(\"seed\", \"42\") reads back as one "
		      "entry seed=42");
		pal_writer_free(w);
		fclose(tmp);
		bytes_free(&b);
	}

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		FILE *tmp = xtmpfile();
		struct pal_writer *w = pal_writer_fd(fileno(tmp), "t", 0);
		int rc = pal_write_kv(w, bad[i].key, bad[i].value);
		const struct pal_error *e = pal_writer_error(w);

		CHECK(rc == -1 && e->kind == PAL_ERR_USAGE &&
		      pal_writer_bytes(w) == 0, "the writer refuses %s with "
		      "PAL_ERR_USAGE: rc %d, kind %d, '%s'", bad[i].what, rc,
		      e->kind, esc(e->msg));
		pal_writer_free(w);
		fclose(tmp);
	}
}

/* ---- passthrough -------------------------------------------------------- */

static void test_passthrough(void)
{
	struct colspec cs[2] = { { "id", PAL_U64, 1 }, { "x", PAL_F64, 3 } };
	struct pal_kv kv[1] = { { (char *)"k", (char *)"v" } };
	struct pal_frame zf, rf, ef, mf;
	const struct pal_frame *fl[4] = { &zf, &mf, &rf, &ef };
	static const int levels[] = { PAL_LEVEL_KEEP, 0, 9 };
	struct bytes in;
	int codecs[2] = { -1, -1 };

	frame_make(&zf, cs, 2, 500, 1, FILL_SMALL);
	frame_make(&rf, cs, 2, 500, 2, FILL_RANDOM);
	frame_make(&ef, cs, 2, 0, 3, FILL_RANDOM);
	make_meta(&mf, kv, 1);
	/* At level 9 the input mixes codecs 1 (zf) and 0 (rf, ef). */
	if (write_file(fl, 4, 9, 1, NULL, &in) < 0) {
		CHECK(0, "writing the passthrough input");
		return;
	}

	for (int l = 0; l < 3; l++) {
		struct pal_reader *r = pal_reader_mem(in.p, in.n, "in");
		FILE *tmp = xtmpfile();
		struct pal_writer *w = pal_writer_fd(fileno(tmp), "out",
						     levels[l]);
		const struct pal_frame *g;
		struct bytes out = { NULL, 0 };
		char why[512] = "";
		int k, rc = 0, ok = 0, nf = 0;

		while ((k = pal_read(r, &g)) == 1 && rc == 0) {
			if (l == 0 && nf == 0)
				codecs[0] = g->codec;
			if (l == 0 && nf == 2)
				codecs[1] = g->codec;
			rc = pal_write_passthrough(w, r, g);
			nf++;
		}
		if (k == 0 && rc == 0)
			rc = pal_writer_finish(w);
		if (rc < 0)
			snprintf(why, sizeof(why), "%s",
				 pal_writer_error(w)->msg);
		pal_writer_free(w);
		pal_reader_free(r);
		if (k == 0 && rc == 0 && lseek(fileno(tmp), 0, SEEK_SET) == 0 &&
		    slurp_fd(fileno(tmp), &out) == 0) {
			if (levels[l] == PAL_LEVEL_KEEP) {
				ok = out.n == in.n && !memcmp(out.p, in.p, in.n);
				snprintf(why, sizeof(why), "%zu bytes in, %zu "
					 "out", in.n, out.n);
			} else {
				r = pal_reader_mem(out.p, out.n, "out");
				ok = read_expect(r, fl, 4, why, sizeof(why));
				pal_reader_free(r);
			}
		}
		CHECK(ok, "pal_write_passthrough at level %s: %s (%s)",
		      level_name(levels[l]),
		      levels[l] == PAL_LEVEL_KEEP ? "the input byte for byte" :
		      "the same frames, re-encoded", ok ? "yes" : why);
		bytes_free(&out);
		fclose(tmp);
	}
	CHECK(codecs[0] == 1 && codecs[1] == 0, "the passthrough input mixes "
	      "codecs (%d, %d)", codecs[0], codecs[1]);

	/* Level 0 decompresses: every frame of its output has codec 0. */
	{
		struct pal_reader *r = pal_reader_mem(in.p, in.n, "in");
		FILE *tmp = xtmpfile();
		struct pal_writer *w = pal_writer_fd(fileno(tmp), "out", 0);
		const struct pal_frame *g;
		struct bytes out = { NULL, 0 };
		int compressed = 0, k;

		while (pal_read(r, &g) == 1)
			pal_write_passthrough(w, r, g);
		pal_writer_finish(w);
		pal_writer_free(w);
		pal_reader_free(r);
		lseek(fileno(tmp), 0, SEEK_SET);
		slurp_fd(fileno(tmp), &out);
		r = pal_reader_mem(out.p, out.n, "out");
		while ((k = pal_read(r, &g)) == 1)
			compressed += g->codec != 0;
		CHECK(k == 0 && compressed == 0, "pal_write_passthrough at level "
		      "0 stores every frame uncompressed (%d compressed)",
		      compressed);
		pal_reader_free(r);
		bytes_free(&out);
		fclose(tmp);
	}
	bytes_free(&in);
	frame_free(&zf);
	frame_free(&rf);
	frame_free(&ef);
}

/* ---- the writer refuses bad frames -------------------------------------- */

static void test_writer_refuses(void)
{
	static char name63[64];
	static const struct {
		const char *what;
		struct colspec cs[2];
		uint32_t ncols;
		int kind;
	} bad[] = {
		{ "an empty name", { { "", PAL_F64, 1 } }, 1, PAL_DATA },
		{ "a name starting with a digit", { { "1x", PAL_F64, 1 } }, 1,
		  PAL_DATA },
		{ "a name with '-'", { { "a-b", PAL_F64, 1 } }, 1, PAL_DATA },
		{ "a name with '.'", { { "x.0", PAL_F64, 1 } }, 1, PAL_DATA },
		{ "a name with a space", { { "a b", PAL_F64, 1 } }, 1,
		  PAL_DATA },
		{ "a duplicate name", { { "x", PAL_F64, 1 }, { "x", PAL_I32, 1 } },
		  2, PAL_DATA },
		{ "width 0", { { "x", PAL_F64, 0 } }, 1, PAL_DATA },
		{ "width 2^24 + 1", { { "x", PAL_U8, (1u << 24) + 1 } }, 1,
		  PAL_DATA },
		{ "dtype 0", { { "x", 0, 1 } }, 1, PAL_DATA },
		{ "dtype 7", { { "x", 7, 1 } }, 1, PAL_DATA },
		{ "no columns", { { "x", PAL_F64, 1 } }, 0, PAL_DATA },
		{ "an end frame", { { "x", PAL_F64, 1 } }, 1, PAL_END },
		{ "kind 'X'", { { "x", PAL_F64, 1 } }, 1, 'X' },
	};
	double data[4] = { 1, 2, 3, 4 };

	memset(name63, 'n', 63);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pal_col cols[2];
		struct pal_frame f = { .kind = bad[i].kind, .nrows = 1,
				       .ncols = bad[i].ncols, .cols = cols };
		FILE *tmp = xtmpfile();
		struct pal_writer *w = pal_writer_fd(fileno(tmp), "t", 0);
		const struct pal_error *e = pal_writer_error(w);
		int rc, rc2;

		memset(cols, 0, sizeof(cols));
		for (int c = 0; c < 2; c++) {
			snprintf(cols[c].name, sizeof(cols[c].name), "%s",
				 bad[i].cs[c].name ? bad[i].cs[c].name : "");
			cols[c].dtype = bad[i].cs[c].dtype;
			cols[c].width = bad[i].cs[c].width;
			cols[c].data = data;
		}
		rc = pal_write(w, &f);
		CHECK(rc == -1 && e->kind == PAL_ERR_USAGE &&
		      pal_writer_bytes(w) == 0, "the writer refuses %s with "
		      "PAL_ERR_USAGE: rc %d, kind %d, '%s'", bad[i].what, rc,
		      e->kind, esc(e->msg));
		/* The writer is spent after an error. */
		rc2 = pal_writer_finish(w);
		CHECK(rc2 == -1, "after refusing %s the writer is spent (%d)",
		      bad[i].what, rc2);
		pal_writer_free(w);
		fclose(tmp);
	}

	/* A 63-byte name is fine; writing after the end is not. */
	{
		struct pal_col col = { .dtype = PAL_F64, .width = 1,
				       .data = data };
		struct pal_frame f = { .kind = PAL_DATA, .nrows = 4, .ncols = 1,
				       .cols = &col };
		FILE *tmp = xtmpfile();
		struct pal_writer *w = pal_writer_fd(fileno(tmp), "t", 0);
		int rc1, rc2, rc3;

		snprintf(col.name, sizeof(col.name), "%s", name63);
		rc1 = pal_write(w, &f);
		CHECK(rc1 == 0 && pal_writer_rows(w) == 4, "a 63-byte name is "
		      "accepted (%d, '%s')", rc1, esc(pal_writer_error(w)->msg));
		rc2 = pal_writer_finish(w);
		rc3 = pal_write(w, &f);
		CHECK(rc2 == 0 && rc3 == -1 &&
		      pal_writer_error(w)->kind == PAL_ERR_USAGE,
		      "a frame after pal_writer_finish is refused: %d %d '%s'",
		      rc2, rc3, esc(pal_writer_error(w)->msg));
		pal_writer_free(w);
		fclose(tmp);
	}
}

/* ---- batches, defaults, schemas, alignment ------------------------------ */

static void test_batch(void)
{
	struct colspec cs[3] = {
		{ "id", PAL_U64, 1 }, { "x", PAL_F64, 3 }, { "c", PAL_U8, 5 },
	};
	struct pal_frame src;
	struct pal_batch *b;
	int same = 1;

	frame_make(&src, cs, 3, 10, 77, FILL_RANDOM);
	b = pal_batch_new(src.cols, 3, 4);
	CHECK(b && b->cap == 4 && b->f.nrows == 0 && b->f.kind == PAL_DATA &&
	      pal_same_schema(&b->f, &src), "pal_batch_new: an empty data "
	      "frame with the schema and room for 4 rows");
	if (!b)
		return;
	pal_batch_append(b, &src, 0, 3);
	pal_batch_append(b, &src, 3, 1);
	for (uint32_t i = 0; i < 3; i++)
		same &= !memcmp(b->f.cols[i].data, src.cols[i].data,
				4 * pal_col_rowbytes(&src.cols[i]));
	CHECK(b->f.nrows == 4 && same, "pal_batch_append of rows 0-2 then 3 "
	      "gives rows 0-3 (%" PRIu64 " rows)", b->f.nrows);
	pal_batch_clear(b);
	CHECK(b->f.nrows == 0, "pal_batch_clear empties the batch");
	pal_batch_append(b, &src, 6, 4);
	same = 1;
	for (uint32_t i = 0; i < 3; i++) {
		size_t rb = pal_col_rowbytes(&src.cols[i]);

		same &= !memcmp(b->f.cols[i].data,
				(char *)src.cols[i].data + 6 * rb, 4 * rb);
	}
	CHECK(b->f.nrows == 4 && same, "after clearing, rows 6-9 fill it from "
	      "the start");

	/* The batch is a frame: write it and read it back. */
	{
		struct pal_frame want;
		const struct pal_frame *bl[1] = { &b->f }, *wl[1] = { &want };
		struct pal_reader *r;
		struct bytes bytes;
		char why[512] = "write failed";
		int ok = 0;

		want = src;
		want.nrows = 4;
		want.cols = xcalloc(3, sizeof(*want.cols));
		for (uint32_t i = 0; i < 3; i++) {
			want.cols[i] = src.cols[i];
			want.cols[i].data = (char *)src.cols[i].data +
					    6 * pal_col_rowbytes(&src.cols[i]);
		}
		if (write_file(bl, 1, 0, 1, NULL, &bytes) == 0) {
			r = pal_reader_mem(bytes.p, bytes.n, "mem");
			ok = read_expect(r, wl, 1, why, sizeof(why));
			pal_reader_free(r);
		}
		CHECK(ok, "a batch written and read back (%s)",
		      ok ? "same rows" : why);
		free(want.cols);
		bytes_free(&bytes);
	}
	pal_batch_free(b);
	frame_free(&src);
}

static void test_default_rows(void)
{
	static const struct colspec schemas[][2] = {
		{ { "x", PAL_F64, 1 }, { NULL, 0, 0 } },
		{ { "id", PAL_U64, 1 }, { "x", PAL_F64, 3 } },
		{ { "c", PAL_U8, 3 }, { NULL, 0, 0 } },
		{ { "c", PAL_U8, 1 }, { NULL, 0, 0 } },
		{ { "x", PAL_F32, 1000 }, { "s", PAL_I32, 1 } },
		{ { "x", PAL_F64, 131072 }, { NULL, 0, 0 } },
		{ { "x", PAL_F64, 200000 }, { "y", PAL_F64, 1 } },
	};

	for (size_t i = 0; i < sizeof(schemas) / sizeof(schemas[0]); i++) {
		struct pal_col cols[2];
		uint32_t ncols = schemas[i][1].name ? 2 : 1;
		uint64_t rowbytes = 0, rows;
		int ok;

		memset(cols, 0, sizeof(cols));
		for (uint32_t c = 0; c < ncols; c++) {
			snprintf(cols[c].name, sizeof(cols[c].name), "%s",
				 schemas[i][c].name);
			cols[c].dtype = schemas[i][c].dtype;
			cols[c].width = schemas[i][c].width;
			rowbytes += pal_col_rowbytes(&cols[c]);
		}
		rows = pal_default_rows(cols, ncols);
		/* The most rows that fit in 1 MiB, and at least one. */
		if (rowbytes > PAL_DEFAULT_FRAME_BYTES)
			ok = rows == 1;
		else
			ok = rows * rowbytes <= PAL_DEFAULT_FRAME_BYTES &&
			     (rows + 1) * rowbytes > PAL_DEFAULT_FRAME_BYTES;
		CHECK(ok, "pal_default_rows for rows of %" PRIu64 " bytes is %"
		      PRIu64 " (%" PRIu64 " bytes a frame)", rowbytes, rows,
		      rows * rowbytes);
	}

	/* A frame of that many rows, as written: about 1 MiB stored. */
	{
		struct colspec cs[2] = { { "id", PAL_U64, 1 },
					 { "x", PAL_F64, 3 } };
		struct pal_frame f;
		const struct pal_frame *fl[1] = { &f };
		const struct pal_frame *g;
		struct pal_reader *r;
		struct bytes b;
		uint64_t rows, stored = 0;

		frame_make(&f, cs, 2, 1, 1, FILL_RANDOM);
		rows = pal_default_rows(f.cols, 2);
		frame_free(&f);
		frame_make(&f, cs, 2, rows, 1, FILL_RANDOM);
		if (write_file(fl, 1, 0, 1, NULL, &b) == 0) {
			r = pal_reader_mem(b.p, b.n, "mem");
			if (pal_read(r, &g) == 1)
				stored = g->stored_bytes;
			pal_reader_free(r);
		}
		CHECK(stored > PAL_DEFAULT_FRAME_BYTES - 32 &&
		      stored < PAL_DEFAULT_FRAME_BYTES + 4096,
		      "a frame of pal_default_rows rows (%" PRIu64 ") of 32 "
		      "bytes is stored in %" PRIu64 " bytes, about 1 MiB", rows,
		      stored);
		bytes_free(&b);
		frame_free(&f);
	}
}

static void test_schema_helpers(void)
{
	struct colspec cs[3] = {
		{ "id", PAL_U64, 1 }, { "x", PAL_F64, 3 }, { "y", PAL_F32, 1 },
	};
	struct pal_frame a, b;
	const struct pal_col *c;

	frame_make(&a, cs, 3, 2, 1, FILL_RANDOM);
	frame_make(&b, cs, 3, 5, 2, FILL_RANDOM);
	c = pal_col_find(&a, "x");
	CHECK(c == &a.cols[1] && pal_col_index(&a, "y") == 2 &&
	      pal_col_find(&a, "z") == NULL && pal_col_index(&a, "z") == -1 &&
	      pal_col_find(&a, "X") == NULL,
	      "pal_col_find and pal_col_index find x and y, not z or X");
	CHECK(pal_col_rowbytes(&a.cols[1]) == 24 &&
	      pal_col_rowbytes(&a.cols[2]) == 4,
	      "pal_col_rowbytes: f64 x 3 is 24, f32 is 4");
	CHECK(pal_same_schema(&a, &b), "frames of 2 and 5 rows share a schema");
	b.cols[1].width = 2;
	CHECK(!pal_same_schema(&a, &b), "another width: another schema");
	b.cols[1].width = 3;
	b.cols[2].dtype = PAL_F64;
	CHECK(!pal_same_schema(&a, &b), "another dtype: another schema");
	b.cols[2].dtype = PAL_F32;
	snprintf(b.cols[2].name, sizeof(b.cols[2].name), "z");
	CHECK(!pal_same_schema(&a, &b), "another name: another schema");
	b.ncols = 2;
	CHECK(!pal_same_schema(&a, &b), "fewer columns: another schema");
	b.ncols = 3;
	CHECK(pal_dtype_parse("f32") == PAL_F32 && pal_dtype_parse("x") == -1 &&
	      !strcmp(pal_dtype_name(PAL_I64), "i64") &&
	      !strcmp(pal_dtype_name(9), "?") && pal_dtype_size(PAL_I32) == 4 &&
	      pal_dtype_size(0) == 0, "dtype names, codes and sizes");
	CHECK(pal_name_valid("_a1") && !pal_name_valid("1a") &&
	      !pal_name_valid("") && !pal_name_valid("a.b"),
	      "pal_name_valid: _a1 yes; 1a, empty, a.b no");
	{
		char name[80];

		memset(name, 'n', sizeof(name));
		name[63] = '\0';
		CHECK(pal_name_valid(name), "pal_name_valid: 63 bytes yes");
		name[63] = 'n';
		name[64] = '\0';
		CHECK(!pal_name_valid(name), "pal_name_valid: 64 bytes no");
	}
	frame_free(&a);
	frame_free(&b);
}

/*
 * Column data of frames from the reader can be used in place as arrays of
 * its dtype (stream.h): the first column starts at a 64-byte boundary and
 * every column at a multiple of 8, whatever the sizes of the columns
 * before it (u8 x 3 x 5 rows = 15 bytes, i32 x 5 rows = 20 bytes).
 */
static void test_alignment(void)
{
	struct colspec cs[4] = {
		{ "c", PAL_U8, 3 }, { "x", PAL_F64, 1 }, { "s", PAL_I32, 1 },
		{ "y", PAL_F64, 2 },
	};
	struct pal_frame zf, rf;
	const struct pal_frame *fl[2] = { &zf, &rf };
	int levels[2] = { 0, 9 };

	frame_make(&zf, cs, 4, 5, 1, FILL_SMALL);
	frame_make(&rf, cs, 4, 5, 2, FILL_RANDOM);
	for (int l = 0; l < 2; l++)
		for (int via_fd = 0; via_fd < 2; via_fd++) {
			const struct pal_frame *g;
			struct pal_reader *r;
			struct bytes b = { NULL, 0 };
			int rfd = -1, n = 0, first64 = 1, all8 = 1;
			pid_t pid = 0;

			if (via_fd) {
				pid = spawn_writer(fl, 2, levels[l], 1, &rfd);
				r = pal_reader_fd(rfd, "pipe");
			} else {
				write_file(fl, 2, levels[l], 1, NULL, &b);
				r = pal_reader_mem(b.p, b.n, "mem");
			}
			while (pal_read(r, &g) == 1) {
				for (uint32_t i = 0; i < g->ncols; i++) {
					uintptr_t a = (uintptr_t)g->cols[i].data;

					all8 &= a % 8 == 0;
					if (i == 0)
						first64 &= a % 64 == 0;
				}
				n++;
			}
			pal_reader_free(r);
			if (via_fd) {
				close(rfd);
				reap(pid);
			}
			bytes_free(&b);
			CHECK(n == 2 && first64 && all8, "level %d, %s reader: "
			      "the first column is 64-byte aligned (%s), every "
			      "column 8-byte aligned (%s)", levels[l],
			      via_fd ? "fd" : "memory", first64 ? "yes" : "no",
			      all8 ? "yes" : "no");
		}
	frame_free(&zf);
	frame_free(&rf);
}

/* ---- bytes: file vs pipe ------------------------------------------------ */

static void test_file_vs_pipe(void)
{
	struct colspec cs[2] = { { "id", PAL_U64, 1 }, { "x", PAL_F64, 3 } };
	struct pal_kv kv[1] = { { (char *)"k", (char *)"v" } };
	enum { NSMALL = 50 };
	struct pal_frame smalls[NSMALL], big, meta;
	const struct pal_frame *fl[NSMALL + 2];
	int levels[2] = { 0, 9 };
	int n = 0;

	for (int i = 0; i < NSMALL; i++) {
		frame_make(&smalls[i], cs, 2, (uint64_t)i, (uint64_t)i,
			   i % 2 ? FILL_RANDOM : FILL_SMALL);
		fl[n++] = &smalls[i];
		if (i == 10) {
			make_meta(&meta, kv, 1);
			fl[n++] = &meta;
		}
	}
	/* 40000 rows x 32 bytes: past the writer's gathering buffer. */
	frame_make(&big, cs, 2, 40000, 99, FILL_RANDOM);
	fl[n++] = &big;

	for (int l = 0; l < 2; l++) {
		struct bytes file, piped = { NULL, 0 };
		int rfd, st;
		pid_t pid;

		if (write_file(fl, n, levels[l], 1, NULL, &file) < 0) {
			CHECK(0, "writing to a file at level %d", levels[l]);
			continue;
		}
		pid = spawn_writer(fl, n, levels[l], 1, &rfd);
		slurp_fd(rfd, &piped);
		close(rfd);
		st = reap(pid);
		CHECK(st == 0 && file.n == piped.n &&
		      !memcmp(file.p, piped.p, file.n), "level %d: %d frames "
		      "written to a file and to a pipe give the same bytes "
		      "(%zu and %zu)", levels[l], n, file.n, piped.n);
		bytes_free(&file);
		bytes_free(&piped);
	}
	for (int i = 0; i < NSMALL; i++)
		frame_free(&smalls[i]);
	frame_free(&big);
}

/* ---- errors ------------------------------------------------------------- */

/*
 * Read the n bytes at p; expect nok good frames, then an error of kind
 * with every needle in its message (a NULL-terminated list), and -1 with
 * the same message from every later call.
 */
static void expect_error(const char *what, const unsigned char *p, size_t n,
			 int nok, int kind, const char *const *needles)
{
	struct pal_reader *r = pal_reader_mem(p, n, "t.pal");
	const struct pal_frame *g;
	const struct pal_error *e = pal_reader_error(r);
	int good = 0, k = 1, again = 0, found = 1;
	char msg[sizeof(e->msg)];

	while (good < nok && (k = pal_read(r, &g)) == 1)
		good++;
	if (good == nok)
		k = pal_read(r, &g);
	for (const char *const *s = needles; *s; s++)
		found &= has(e->msg, *s);
	CHECK(good == nok && k == -1 && e->kind == kind && found,
	      "%s: %d good frames, then pal_read %d, kind %d (want %d): %s",
	      what, good, k, e->kind, kind, esc(e->msg));
	memcpy(msg, e->msg, sizeof(msg));
	for (int i = 0; i < 3; i++)
		again += pal_read(r, &g) == -1;
	CHECK(again == 3 && !strcmp(msg, e->msg), "%s: the reader is spent: "
	      "-1 three more times, the same message", what);
	pal_reader_free(r);
}

static void put32le(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> 8 * i);
}

static void test_errors(void)
{
	struct colspec cs[2] = { { "id", PAL_U64, 1 }, { "x", PAL_F64, 2 } };
	struct pal_frame f0, f1;
	const struct pal_frame *fl[2] = { &f0, &f1 };
	uint64_t off[3];
	struct bytes s;
	unsigned char *d;
	char at0[64], at1[64], at2[64], end[64];
	size_t o1, o2, h1 = 96;	/* frame 1's header: 44 + 24 + 24 + 4 */

	frame_make(&f0, cs, 2, 3, 1, FILL_RANDOM);
	frame_make(&f1, cs, 2, 4, 2, FILL_RANDOM);
	if (write_file(fl, 2, 0, 1, off, &s) < 0) {
		CHECK(0, "writing the stream to damage");
		return;
	}
	o1 = (size_t)off[1];
	o2 = (size_t)off[2];
	CHECK(o2 + 48 == s.n && o1 == 96 + 3 * 24 && o2 - o1 == h1 + 4 * 24,
	      "the stream to damage: frames at 0, %zu, end frame at %zu, %zu "
	      "bytes", o1, o2, s.n);
	snprintf(at0, sizeof(at0), "at offset 0");
	snprintf(at1, sizeof(at1), "at offset %zu", o1);
	snprintf(at2, sizeof(at2), "at offset %zu", o2);
	d = xmalloc(s.n);

	expect_error("empty input", s.p, 0, 0, PAL_ERR_TRUNCATED,
		     (const char *[]){ "empty input", NULL });
	expect_error("input cut in frame 0's fixed header", s.p, 20, 0,
		     PAL_ERR_TRUNCATED,
		     (const char *[]){ "truncated frame header", at0, NULL });
	expect_error("input cut in frame 0's column table", s.p, 60, 0,
		     PAL_ERR_TRUNCATED,
		     (const char *[]){ "truncated frame header", at0, NULL });
	expect_error("input cut in frame 1's header", s.p, o1 + 50, 1,
		     PAL_ERR_TRUNCATED,
		     (const char *[]){ "truncated frame header", at1, NULL });
	snprintf(end, sizeof(end), "input ends at offset %zu", o1 + h1 + 5);
	expect_error("input cut in frame 1's payload", s.p, o1 + h1 + 5, 1,
		     PAL_ERR_TRUNCATED,
		     (const char *[]){ "truncated payload", at1, end, NULL });
	expect_error("input cut in the end frame", s.p, o2 + 47, 2,
		     PAL_ERR_TRUNCATED,
		     (const char *[]){ "truncated frame header", at2, NULL });
	snprintf(end, sizeof(end), "input ends at offset %zu", o2);
	expect_error("no end frame", s.p, o2, 2, PAL_ERR_TRUNCATED,
		     (const char *[]){ "cut short", end, NULL });

	memcpy(d, s.p, s.n);
	d[1] ^= 0x20;
	expect_error("bad magic", d, s.n, 0, PAL_ERR_CORRUPT,
		     (const char *[]){ "bad magic", at0, NULL });
	expect_error("a short input that is not a stream",
		     (const unsigned char *)"hello", 5, 0, PAL_ERR_CORRUPT,
		     (const char *[]){ "bad magic", NULL });
	memcpy(d, s.p, s.n);
	d[o1 + 16] ^= 0x01;	/* nrows of frame 1 */
	expect_error("a flipped bit in frame 1's row count", d, s.n, 1,
		     PAL_ERR_CORRUPT,
		     (const char *[]){ "header checksum mismatch", at1, NULL });
	memcpy(d, s.p, s.n);
	d[o1 + h1 - 1] ^= 0x80;	/* the header crc itself */
	expect_error("a flipped bit in frame 1's header crc", d, s.n, 1,
		     PAL_ERR_CORRUPT,
		     (const char *[]){ "header checksum mismatch", at1, NULL });
	memcpy(d, s.p, s.n);
	d[o1 + h1 + 40] ^= 0x04;	/* an x of frame 1 */
	expect_error("a flipped bit in frame 1's payload", d, s.n, 1,
		     PAL_ERR_CORRUPT,
		     (const char *[]){ "payload checksum mismatch", at1, NULL });
	memcpy(d, s.p, s.n);
	d[o2 + 16] ^= 0x01;	/* the end frame's row count, crc fixed */
	put32le(d + o2 + 44, (uint32_t)crc32(0, d + o2, 44));
	expect_error("an end frame with the wrong row count", d, s.n, 2,
		     PAL_ERR_CORRUPT,
		     (const char *[]){ "end frame counts 6 rows", at2, NULL });

	/* 2^60 rows with a valid header crc: refused as too large, before
	 * anything is allocated for them (under ASan, a huge allocation
	 * would abort the test). */
	memcpy(d, s.p, s.n);
	memset(d + o1 + 16, 0, 8);
	d[o1 + 16 + 7] = 0x10;
	put32le(d + o1 + h1 - 4, (uint32_t)crc32(0, d + o1, (uInt)h1 - 4));
	expect_error("2^60 rows", d, s.n, 1, PAL_ERR_LIMIT,
		     (const char *[]){ "1152921504606846976", at1, NULL });

	/* The same through a pipe: the offsets count bytes read. */
	{
		const char *needles[] = { "truncated payload", at1, NULL };
		struct pal_reader *r;
		const struct pal_frame *g;
		int rfd, k1, k2, k3, found = 1;
		pid_t pid = spawn_bytes(s.p, o1 + h1 + 5, &rfd);

		r = pal_reader_fd(rfd, "pipe");
		k1 = pal_read(r, &g);
		k2 = pal_read(r, &g);
		k3 = pal_read(r, &g);
		for (const char *const *nd = needles; *nd; nd++)
			found &= has(pal_reader_error(r)->msg, *nd);
		CHECK(k1 == 1 && k2 == -1 && k3 == -1 &&
		      pal_reader_error(r)->kind == PAL_ERR_TRUNCATED && found,
		      "a truncated payload through a pipe: %d %d %d, %s", k1,
		      k2, k3, esc(pal_reader_error(r)->msg));
		pal_reader_free(r);
		close(rfd);
		reap(pid);

		pid = spawn_bytes(s.p, o2, &rfd);
		r = pal_reader_fd(rfd, "pipe");
		k1 = pal_read(r, &g);
		k2 = pal_read(r, &g);
		k3 = pal_read(r, &g);
		CHECK(k1 == 1 && k2 == 1 && k3 == -1 &&
		      pal_reader_error(r)->kind == PAL_ERR_TRUNCATED &&
		      has(pal_reader_error(r)->msg, "cut short") &&
		      has(pal_reader_error(r)->msg, "pipe"),
		      "no end frame through a pipe: %d %d %d, %s", k1, k2, k3,
		      esc(pal_reader_error(r)->msg));
		pal_reader_free(r);
		close(rfd);
		reap(pid);
	}
	free(d);
	bytes_free(&s);
	frame_free(&f0);
	frame_free(&f1);
}

int main(void)
{
	test_dtypes_widths();
	test_pipe();
	test_zero_rows();
	test_many_frames();
	test_concat();
	test_levels();
	test_metadata();
	test_passthrough();
	test_writer_refuses();
	test_batch();
	test_writer_mem();
	test_default_rows();
	test_schema_helpers();
	test_alignment();
	test_file_vs_pipe();
	test_errors();
	return done();
}
