/*
 * journal.c: the crash-safe journal of finished rows; see journal.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "journal.h"
#include "banned.h"

#define PENDING_ROWS 4096		/* rows put before a frame is written */

/* A row of the journal, in memory. */
struct jentry {
	uint64_t id, fp;
	uint64_t next;			/* next entry of the same id + 1, or 0 */
	uint64_t vals;			/* y (k), then grad (g), in j->vals */
	uint64_t msg;			/* NUL-terminated, in j->msgs */
	double t_start, t_end;
	int32_t status, rank;
	uint32_t k, g;
	uint8_t retried;
	uint8_t taken, dead;		/* dead: replaced by a retried row */
};

/* Rows put and not yet written: the columns of the next frame. */
struct pending {
	uint64_t *id, *fp;
	int32_t *status, *rank;
	uint8_t *retried;
	double *t_start, *t_end, *y, *grad;
	size_t *msg;			/* offsets in text */
	char *text;
	size_t ntext, textcap;
	uint32_t k, g;
	size_t n, cap;
};

struct journal {
	int fd;
	char *path;
	struct pal_writer *w;
	struct pal_error err;
	uint64_t torn;
	char *other_oracle;
	char *new_oracle;		/* to record before the next rows */
	/* the rows read at opening */
	struct idmap ids;		/* id -> its first entry, once built */
	int indexed;			/* ids built, dead entries marked */
	size_t nretried;		/* entries that replace a failure */
	size_t cursor;			/* the entry after the last taken */
	struct jentry *e;
	size_t ne, ecap;
	double *vals;
	size_t nvals, valcap;
	char *msgs;
	size_t nmsgs, msgcap;
	uint32_t k;
	/* rows put */
	struct pending p;
	int dirty;
};

static int jfail(struct journal *j);

/* ---- the fingerprint (mix64-v1) ----------------------------------------- */

static uint64_t step(uint64_t h, uint64_t w)
{
	return mix64(h ^ w) + 0x9e3779b97f4a7c15ull;
}

static uint64_t step_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	h = step(h, n);
	while (n) {
		size_t m = n < 8 ? n : 8;
		uint64_t w = 0;

		for (size_t i = 0; i < m; i++)
			w |= (uint64_t)b[i] << (8 * i);
		h = step(h, w);
		b += m;
		n -= m;
	}
	return h;
}

uint64_t journal_fp_col(uint64_t h, const struct pal_col *c, const void *row)
{
	h = step_bytes(h, c->name, strlen(c->name));
	h = step(h, (uint64_t)(uint32_t)c->dtype << 32 | c->width);
	return step_bytes(h, row, pal_col_rowbytes(c));
}

/* ---- opening ------------------------------------------------------------ */

/* The descriptor as stored: backslash as \\, newline as \n. */
static char *escape(const char *s)
{
	char *o = xmalloc(2 * strlen(s) + 1), *q = o;

	for (; *s; s++) {
		if (*s == '\\' || *s == '\n') {
			*q++ = '\\';
			*q++ = *s == '\n' ? 'n' : '\\';
		} else {
			*q++ = *s;
		}
	}
	*q = '\0';
	return o;
}

static const char *file_type(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISCHR(m) ? "a character device" :
	       S_ISBLK(m) ? "a block device" : S_ISFIFO(m) ? "a FIFO" :
	       S_ISSOCK(m) ? "a socket" : "not a plain file";
}

static int not_regular(struct pal_error *err, const char *path, mode_t m)
{
	return pal_seterr(err, PAL_ERR_USAGE, 0, "journal '%s' is not a "
			  "regular file (%s)", path, file_type(m));
}

/* Write the kind frame to fd and force it to the disk. */
static int write_kind(int fd, const char *path, const char *oracle,
		      struct pal_error *err)
{
	char *v = escape(oracle);
	char version[16];
	struct pal_kv kv[4] = {
		{ (char *)"kind", (char *)"journal" },
		{ (char *)"journal_version", version },
		{ (char *)"fingerprint", (char *)"mix64-v1" },
		{ (char *)"oracle", v },
	};
	struct pal_frame f = { .kind = PAL_META, .nkv = 4, .kv = kv };
	struct pal_writer *w = pal_writer_fd(fd, path, 0);
	int rc = 0;

	snprintf(version, sizeof(version), "%d", JOURNAL_VERSION);
	if (!w)
		rc = pal_seterr(err, PAL_ERR_NOMEM, 0, "out of memory");
	else if (pal_write(w, &f) < 0 || pal_writer_flush(w) < 0)
		rc = pal_seterr(err, pal_writer_error(w)->kind,
				pal_writer_error(w)->errnum, "cannot write "
				"journal '%s': %s", path,
				pal_writer_error(w)->msg);
	else if (fdatasync(fd) < 0)
		rc = pal_seterr(err, PAL_ERR_IO, errno, "cannot sync journal "
				"'%s': %s", path, strerror(errno));
	pal_writer_free(w);
	free(v);
	return rc;
}

/*
 * Create the journal at path with its kind frame already in it: written to
 * an unnamed file (O_TMPFILE) or a temporary one beside path, then linked
 * into place, so that path never names a journal without one.  Returns 0
 * (also when another process made path first), or -1.
 */
static int create(const char *path, const char *oracle, struct pal_error *err)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/'), *tmp;
	int fd, rc = 1;
	size_t n;

	if (slash) {
		slash[slash == dir] = '\0';
	} else {
		free(dir);
		dir = xstrdup(".");
	}
#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
	if (fd >= 0) {
		char proc[64];

		rc = write_kind(fd, path, oracle, err);
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		/* Without /proc, say, the other way below. */
		if (rc == 0 && linkat(AT_FDCWD, proc, AT_FDCWD, path,
				      AT_SYMLINK_FOLLOW) < 0 && errno != EEXIST)
			rc = 1;
		close(fd);
	}
#endif
	if (rc > 0) {
		n = strlen(path) + 16;
		tmp = xmalloc(n);
		snprintf(tmp, n, "%s.tmpXXXXXX", path);
		fd = mkstemp(tmp);
		if (fd < 0) {
			rc = pal_seterr(err, PAL_ERR_IO, errno, "cannot create "
					"journal '%s': %s", path,
					strerror(errno));
		} else {
			/* mkstemp makes it 0600; a journal is 0666 less the
			 * umask, as open(2) would make it. */
			mode_t um = umask(0);

			umask(um);
			if (fchmod(fd, 0666 & ~um) < 0)
				rc = pal_seterr(err, PAL_ERR_IO, errno, "cannot "
						"create journal '%s': %s", path,
						strerror(errno));
			else if ((rc = write_kind(fd, path, oracle, err)) == 0 &&
				 link(tmp, path) < 0 && errno != EEXIST)
				rc = pal_seterr(err, PAL_ERR_IO, errno, "cannot "
						"create journal '%s': %s", path,
						strerror(errno));
			close(fd);
			unlink(tmp);
		}
		free(tmp);
	}
	if (rc == 0) {
		/* The new name on the disk too. */
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	free(dir);
	return rc;
}

static const char *kv_get(const struct pal_frame *f, const char *key)
{
	const char *v = NULL;

	for (uint32_t i = 0; i < f->nkv; i++)
		if (!strcmp(f->kv[i].key, key))
			v = f->kv[i].value;
	return v;
}

/* Check the kind frame; set *oracle to its (escaped) descriptor. */
static int check_kind(struct journal *j, struct pal_reader *r, char **oracle,
		      struct pal_error *err)
{
	const struct pal_frame *f;
	const char *v;
	int k = pal_read(r, &f);

	if (k < 0)
		return pal_seterr(err, PAL_ERR_MISMATCH, 0, "'%s' is not a "
				  "journal (%s)", j->path,
				  pal_reader_error(r)->msg);
	if (k == 0)
		return pal_seterr(err, PAL_ERR_MISMATCH, 0, "'%s' is not a "
				  "journal (a pal stream of no frames)",
				  j->path);
	if (f->kind != PAL_META)
		return pal_seterr(err, PAL_ERR_MISMATCH, 0, "'%s' is not a "
				  "journal (it starts with a data frame, not "
				  "kind=journal)", j->path);
	v = kv_get(f, "kind");
	if (!v || strcmp(v, "journal"))
		return pal_seterr(err, PAL_ERR_MISMATCH, 0, "'%s' is not a "
				  "journal (its first frame says kind=%s, not "
				  "kind=journal)", j->path, v ? v : "");
	v = kv_get(f, "journal_version");
	if (!v || strcmp(v, "1"))
		return pal_seterr(err, PAL_ERR_MISMATCH, 0, "journal '%s' is "
				  "of version %s; this pal reads version %d",
				  j->path, v ? v : "(none)", JOURNAL_VERSION);
	v = kv_get(f, "fingerprint");
	if (!v || strcmp(v, "mix64-v1"))
		return pal_seterr(err, PAL_ERR_MISMATCH, 0, "journal '%s' has "
				  "fingerprints of kind '%s', not mix64-v1",
				  j->path, v ? v : "(none)");
	v = kv_get(f, "oracle");
	if (!v)
		return pal_seterr(err, PAL_ERR_CORRUPT, 0, "corrupt journal: "
				  "no oracle in its kind frame (%s)", j->path);
	*oracle = xstrdup(v);
	return 0;
}

static const struct {
	const char *name;
	int dtype;
} jcols[] = {
	{ "id", PAL_U64 }, { "fp", PAL_U64 }, { "status", PAL_I32 },
	{ "retried", PAL_U8 }, { "t_start", PAL_F64 }, { "t_end", PAL_F64 },
	{ "rank", PAL_I32 }, { "y", PAL_F64 }, { "grad", PAL_F64 },
	{ "msg", PAL_U8 },
};

enum { C_ID, C_FP, C_STATUS, C_RETRIED, C_T0, C_T1, C_RANK, C_Y, C_GRAD,
       C_MSG, NJCOLS };

static void add_text(char **p, size_t *n, size_t *cap, const char *s,
		     size_t len)
{
	if (*cap - *n < len + 1) {
		while (*cap - *n < len + 1)
			*cap = *cap ? 2 * *cap : 4096;
		*p = xrealloc(*p, *cap);
	}
	memcpy(*p + *n, s, len);
	(*p)[*n + len] = '\0';
	*n += len + 1;
}

/* Index the rows of a data frame of the journal. */
static int add_frame(struct journal *j, const struct pal_frame *f,
		     struct pal_error *err)
{
	const struct pal_col *c[NJCOLS] = { NULL };
	uint32_t k, g, w;

	/* id fp status retried t_start t_end rank y [grad] msg, exactly. */
	for (uint32_t i = 0, want = 0; i < f->ncols; i++, want++) {
		if (want == C_GRAD && strcmp(f->cols[i].name, "grad"))
			want++;
		if (want >= NJCOLS || strcmp(f->cols[i].name, jcols[want].name) ||
		    f->cols[i].dtype != jcols[want].dtype ||
		    (want < C_Y && f->cols[i].width != 1))
			return pal_seterr(err, PAL_ERR_CORRUPT, 0, "corrupt "
					  "journal: column %" PRIu32 " ('%s') "
					  "is not a journal's (%s: frame %"
					  PRIu64 " at offset %" PRIu64 ")", i,
					  f->cols[i].name, j->path, f->index,
					  f->offset);
		c[want] = &f->cols[i];
	}
	if (!c[C_MSG])
		return pal_seterr(err, PAL_ERR_CORRUPT, 0, "corrupt journal: "
				  "frame %" PRIu64 " at offset %" PRIu64 " lacks "
				  "columns (%s)", f->index, f->offset, j->path);
	k = c[C_Y]->width;
	g = c[C_GRAD] ? c[C_GRAD]->width : 0;
	w = c[C_MSG]->width;
	for (uint64_t r = 0; r < f->nrows; r++) {
		struct jentry *e;
		uint64_t id = ((const uint64_t *)c[C_ID]->data)[r];
		const char *m = (const char *)c[C_MSG]->data + r * w;

		if (j->ne == j->ecap) {
			j->ecap = j->ecap ? 2 * j->ecap : 1024;
			j->e = xrealloc(j->e, j->ecap * sizeof(*j->e));
		}
		if (j->valcap - j->nvals < (size_t)k + g) {
			while (j->valcap - j->nvals < (size_t)k + g)
				j->valcap = j->valcap ? 2 * j->valcap : 4096;
			j->vals = xrealloc(j->vals, j->valcap * sizeof(double));
		}
		e = &j->e[j->ne];
		memset(e, 0, sizeof(*e));
		e->fp = ((const uint64_t *)c[C_FP]->data)[r];
		e->status = ((const int32_t *)c[C_STATUS]->data)[r];
		e->rank = ((const int32_t *)c[C_RANK]->data)[r];
		e->t_start = ((const double *)c[C_T0]->data)[r];
		e->t_end = ((const double *)c[C_T1]->data)[r];
		e->k = k;
		e->g = g;
		e->vals = j->nvals;
		memcpy(j->vals + j->nvals, (const double *)c[C_Y]->data + r * k,
		       k * sizeof(double));
		if (g)
			memcpy(j->vals + j->nvals + k,
			       (const double *)c[C_GRAD]->data + r * g,
			       g * sizeof(double));
		j->nvals += (size_t)k + g;
		e->msg = j->nmsgs;
		add_text(&j->msgs, &j->nmsgs, &j->msgcap, m, strnlen(m, w));
		if (e->status == 0 && !j->k)
			j->k = k;
		e->id = id;
		e->retried = ((const uint8_t *)c[C_RETRIED]->data)[r] != 0;
		j->nretried += e->retried;
		j->ne++;
	}
	return 0;
}

static void journal_free(struct journal *j)
{
	struct pending *p = &j->p;

	pal_writer_free(j->w);
	free(j->path);
	free(j->other_oracle);
	free(j->new_oracle);
	idmap_free(&j->ids);
	free(j->e);
	free(j->vals);
	free(j->msgs);
	free(p->id);
	free(p->fp);
	free(p->status);
	free(p->rank);
	free(p->retried);
	free(p->t_start);
	free(p->t_end);
	free(p->y);
	free(p->grad);
	free(p->msg);
	free(p->text);
	free(j);
}

/* Read the journal; the oracle it is of in *oracle; the good end in *good. */
static int read_all(struct journal *j, char **oracle, uint64_t *good,
		    struct pal_error *err)
{
	struct pal_reader *r = pal_reader_fd(j->fd, j->path);
	const struct pal_frame *f;
	int k, rc = 0;

	if (!r)
		return pal_seterr(err, PAL_ERR_NOMEM, 0, "out of memory");
	if (lseek(j->fd, 0, SEEK_SET) < 0) {
		pal_reader_free(r);
		return pal_seterr(err, PAL_ERR_IO, errno, "cannot read journal "
				  "'%s': %s", j->path, strerror(errno));
	}
	if (check_kind(j, r, oracle, err) < 0) {
		pal_reader_free(r);
		return -1;
	}
	*good = pal_reader_offset(r);
	while ((k = pal_read(r, &f)) > 0) {
		if (f->kind == PAL_META) {
			const char *v = kv_get(f, "oracle");

			if (kv_get(f, "kind")) {
				rc = pal_seterr(err, PAL_ERR_CORRUPT, 0,
						"corrupt journal: a second kind "
						"frame (%s: frame %" PRIu64
						" at offset %" PRIu64 ")",
						j->path, f->index, f->offset);
				break;
			}
			if (v) {
				free(*oracle);
				*oracle = xstrdup(v);
			}
		} else if (add_frame(j, f, err) < 0) {
			rc = -1;
			break;
		}
		*good = pal_reader_offset(r);
	}
	if (rc == 0 && k < 0 &&
	    pal_reader_error(r)->kind != PAL_ERR_TRUNCATED) {
		const struct pal_error *e = pal_reader_error(r);

		rc = pal_seterr(err, e->kind == PAL_ERR_IO ? PAL_ERR_IO :
				PAL_ERR_CORRUPT, e->errnum, "corrupt journal: %s",
				e->msg);
	}
	pal_reader_free(r);
	return rc;
}

struct journal *journal_open(const char *path,
			     const struct journal_desc *desc,
			     struct pal_error *err)
{
	struct journal *j;
	struct stat st;
	char *oracle = NULL, *want;
	uint64_t good = 0, end;

	if (!desc || !desc->oracle) {
		pal_seterr(err, PAL_ERR_USAGE, 0, "journal_open: no oracle");
		return NULL;
	}
	if (stat(path, &st) < 0) {
		if (errno != ENOENT) {
			pal_seterr(err, PAL_ERR_IO, errno, "cannot open journal "
				   "'%s': %s", path, strerror(errno));
			return NULL;
		}
		if (create(path, desc->oracle, err) < 0)
			return NULL;
	} else if (!S_ISREG(st.st_mode)) {
		not_regular(err, path, st.st_mode);
		return NULL;
	}
	j = xcalloc(1, sizeof(*j));
	idmap_init(&j->ids);
	j->path = xstrdup(path);
	j->fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOCTTY |
		     O_NONBLOCK);
	if (j->fd < 0) {
		pal_seterr(err, PAL_ERR_IO, errno, "cannot open journal '%s': "
			   "%s", path, strerror(errno));
		journal_free(j);
		return NULL;
	}
	if (fstat(j->fd, &st) < 0) {
		pal_seterr(err, PAL_ERR_IO, errno, "cannot read journal '%s': "
			   "%s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		not_regular(err, path, st.st_mode);
		goto fail;
	}
	if (fcntl(j->fd, F_SETFL, O_APPEND) < 0) {
		pal_seterr(err, PAL_ERR_IO, errno, "cannot open journal '%s': "
			   "%s", path, strerror(errno));
		goto fail;
	}
	if (flock(j->fd, LOCK_EX | LOCK_NB) < 0) {
		pal_seterr(err, PAL_ERR_IO, errno, "journal '%s' is in use by "
			   "another process (%s)", path, strerror(errno));
		goto fail;
	}
	if (fstat(j->fd, &st) < 0) {
		pal_seterr(err, PAL_ERR_IO, errno, "cannot read journal '%s': "
			   "%s", path, strerror(errno));
		goto fail;
	}
	/* An empty file (made by mktemp, say) is a new journal. */
	if (st.st_size == 0 && write_kind(j->fd, path, desc->oracle, err) < 0)
		goto fail;
	if (read_all(j, &oracle, &good, err) < 0)
		goto fail;
	want = escape(desc->oracle);
	if (strcmp(oracle, want)) {
		if (!desc->any_oracle) {
			pal_seterr(err, PAL_ERR_MISMATCH, 0, "journal '%s' is "
				   "of another oracle ('%s', not '%s'); "
				   "--journal-any-oracle takes it all the same",
				   path, oracle, want);
			free(want);
			goto fail;
		}
		j->other_oracle = xstrdup(oracle);
	}
	free(want);
	free(oracle);
	oracle = NULL;
	end = (uint64_t)lseek(j->fd, 0, SEEK_END);
	if (end > good) {
		j->torn = end - good;
		if (ftruncate(j->fd, (off_t)good) < 0 || fdatasync(j->fd) < 0) {
			pal_seterr(err, PAL_ERR_IO, errno, "cannot cut the torn "
				   "end off journal '%s': %s", path,
				   strerror(errno));
			goto fail;
		}
	}
	j->w = pal_writer_fd(j->fd, path, 0);
	if (!j->w) {
		pal_seterr(err, PAL_ERR_NOMEM, 0, "out of memory");
		goto fail;
	}
	/* The rows that follow are of this run's oracle: so says a metadata
	 * frame before them (none if no row follows). */
	if (j->other_oracle)
		j->new_oracle = escape(desc->oracle);
	return j;
fail:
	free(oracle);
	close(j->fd);
	journal_free(j);
	return NULL;
}

uint64_t journal_torn(const struct journal *j)
{
	return j->torn;
}

const char *journal_other_oracle(const struct journal *j)
{
	return j->other_oracle;
}

uint32_t journal_k(const struct journal *j)
{
	return j->k;
}

/* ---- taking rows -------------------------------------------------------- */

/*
 * Index the entries by id, in journal order, chaining those of one id
 * after its first; a retried entry marks dead the first live failure of
 * the same id and fingerprint before it.  Built on the first lookup that
 * the cursor does not answer, so that a journal taken in its own order
 * (the usual resume) is never hashed.
 */
static void build_index(struct journal *j)
{
	if (j->indexed)
		return;
	j->indexed = 1;
	for (size_t i = 0; i < j->ne; i++) {
		struct jentry *e = &j->e[i];
		uint64_t head;

		if (idmap_put(&j->ids, e->id, i, &head))
			continue;
		if (e->retried)
			for (uint64_t x = head + 1; x; x = j->e[x - 1].next) {
				struct jentry *o = &j->e[x - 1];

				if (o->fp == e->fp && o->status != 0 &&
				    !o->dead) {
					o->dead = 1;
					break;
				}
			}
		e->next = j->e[head].next;
		j->e[head].next = i + 1;
	}
}

enum journal_match journal_take(struct journal *j, uint64_t id, uint64_t fp,
				struct journal_row *row)
{
	uint64_t head, x, fail = 0;
	int same = 0;
	struct jentry *e;

	/* The entry after the last taken, when it is a success of this row:
	 * any success of the same id and input will do, so take it. */
	if (j->cursor < j->ne) {
		e = &j->e[j->cursor];
		if (e->id == id && e->fp == fp && e->status == 0 && !e->taken) {
			x = ++j->cursor;
			goto found;
		}
	}
	build_index(j);
	if (!idmap_get(&j->ids, id, &head))
		return JOURNAL_ABSENT;
	for (x = head + 1; x; x = j->e[x - 1].next) {
		e = &j->e[x - 1];
		if (e->fp != fp)
			continue;
		same = 1;
		if (e->taken || e->dead)
			continue;
		if (e->status == 0)
			break;
		if (!fail)
			fail = x;
	}
	if (!x)
		x = fail;
	if (!x)
		return same ? JOURNAL_ABSENT : JOURNAL_DIFFERS;
	j->cursor = x;
found:
	e = &j->e[x - 1];
	e->taken = 1;
	memset(row, 0, sizeof(*row));
	row->id = id;
	row->fp = fp;
	row->status = e->status;
	row->rank = e->rank;
	row->t_start = e->t_start;
	row->t_end = e->t_end;
	row->k = e->k;
	row->g = e->g;
	row->y = j->vals + e->vals;
	row->grad = e->g ? j->vals + e->vals + e->k : NULL;
	row->msg = j->msgs + e->msg;
	return JOURNAL_FOUND;
}

uint64_t journal_untaken(struct journal *j)
{
	uint64_t n = 0;

	/* Dead entries are known once indexed, and there are none where
	 * no entry replaces a failure. */
	if (j->nretried)
		build_index(j);
	for (size_t i = 0; i < j->ne; i++)
		n += !j->e[i].taken && !j->e[i].dead;
	return n;
}

/* ---- appending ---------------------------------------------------------- */

static int jfail(struct journal *j)
{
	const struct pal_error *e = pal_writer_error(j->w);

	return pal_seterr(&j->err, e->kind, e->errnum, "cannot write journal "
			  "'%s': %s", j->path, e->msg);
}

/* Write the rows put as a data frame (not yet synced). */
static int write_pending(struct journal *j)
{
	struct pending *p = &j->p;
	struct pal_col c[NJCOLS];
	uint32_t n = 0, w = 1;
	unsigned char *msg;
	struct pal_frame f = { .kind = PAL_DATA };
	int rc;

	if (p->n == 0)
		return 0;
	if (j->new_oracle) {
		if (pal_write_kv(j->w, "oracle", j->new_oracle) < 0)
			return jfail(j);
		free(j->new_oracle);
		j->new_oracle = NULL;
	}
	for (size_t i = 0; i < p->n; i++) {
		size_t l = strlen(p->text + p->msg[i]);

		if (l > w)
			w = (uint32_t)l;
	}
	msg = xcalloc(p->n, w);
	for (size_t i = 0; i < p->n; i++)
		memcpy(msg + i * w, p->text + p->msg[i],
		       strlen(p->text + p->msg[i]));
#define COL(nm, dt, wd, d) do { \
		memset(&c[n], 0, sizeof(c[n])); \
		snprintf(c[n].name, sizeof(c[n].name), "%s", nm); \
		c[n].dtype = dt; \
		c[n].width = wd; \
		c[n].data = d; \
		n++; \
	} while (0)
	COL("id", PAL_U64, 1, p->id);
	COL("fp", PAL_U64, 1, p->fp);
	COL("status", PAL_I32, 1, p->status);
	COL("retried", PAL_U8, 1, p->retried);
	COL("t_start", PAL_F64, 1, p->t_start);
	COL("t_end", PAL_F64, 1, p->t_end);
	COL("rank", PAL_I32, 1, p->rank);
	COL("y", PAL_F64, p->k, p->y);
	if (p->g)
		COL("grad", PAL_F64, p->g, p->grad);
	COL("msg", PAL_U8, w, msg);
#undef COL
	f.ncols = n;
	f.cols = c;
	f.nrows = p->n;
	rc = pal_write(j->w, &f);
	free(msg);
	if (rc < 0)
		return jfail(j);
	p->n = 0;
	p->ntext = 0;
	j->dirty = 1;
	return 0;
}

int journal_put(struct journal *j, const struct journal_row *row)
{
	struct pending *p = &j->p;
	size_t i;

	if (row->k == 0 || row->k > PAL_MAX_WIDTH || row->g > PAL_MAX_WIDTH)
		return pal_seterr(&j->err, PAL_ERR_USAGE, 0, "journal_put: y "
				  "of width %" PRIu32 ", grad %" PRIu32,
				  row->k, row->g);
	if (p->n && (row->k != p->k || row->g != p->g || p->n == PENDING_ROWS))
		if (write_pending(j) < 0)
			return -1;
	if (p->n == 0 && (row->k != p->k || row->g != p->g)) {
		/* Rows of another shape: y and grad sized anew. */
		p->k = row->k;
		p->g = row->g;
		if (p->cap) {
			p->y = xrealloc(p->y, p->cap * p->k * sizeof(double));
			p->grad = xrealloc(p->grad, p->cap * (p->g ? p->g : 1) *
					   sizeof(double));
		}
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;

		p->id = xrealloc(p->id, cap * sizeof(*p->id));
		p->fp = xrealloc(p->fp, cap * sizeof(*p->fp));
		p->status = xrealloc(p->status, cap * sizeof(*p->status));
		p->rank = xrealloc(p->rank, cap * sizeof(*p->rank));
		p->retried = xrealloc(p->retried, cap);
		p->t_start = xrealloc(p->t_start, cap * sizeof(double));
		p->t_end = xrealloc(p->t_end, cap * sizeof(double));
		p->y = xrealloc(p->y, cap * p->k * sizeof(double));
		p->grad = xrealloc(p->grad, cap * (p->g ? p->g : 1) *
				   sizeof(double));
		p->msg = xrealloc(p->msg, cap * sizeof(*p->msg));
		p->cap = cap;
	}
	i = p->n++;
	p->id[i] = row->id;
	p->fp[i] = row->fp;
	p->status[i] = row->status;
	p->rank[i] = row->rank;
	p->retried[i] = !!row->retried;
	p->t_start[i] = row->t_start;
	p->t_end[i] = row->t_end;
	for (uint32_t q = 0; q < p->k; q++)
		p->y[i * p->k + q] = row->y ? row->y[q] : NAN;
	for (uint32_t q = 0; q < p->g; q++)
		p->grad[i * p->g + q] = row->grad ? row->grad[q] : NAN;
	p->msg[i] = p->ntext;
	add_text(&p->text, &p->ntext, &p->textcap, row->msg ? row->msg : "",
		 row->msg ? strlen(row->msg) : 0);
	return 0;
}

int journal_sync(struct journal *j)
{
	if (write_pending(j) < 0)
		return -1;
	if (!j->dirty)
		return 0;
	if (pal_writer_flush(j->w) < 0)
		return jfail(j);
	if (fdatasync(j->fd) < 0)
		return pal_seterr(&j->err, PAL_ERR_IO, errno, "cannot sync "
				  "journal '%s': %s", j->path, strerror(errno));
	j->dirty = 0;
	return 0;
}

int journal_close(struct journal *j, struct pal_error *err)
{
	int rc = journal_sync(j);

	if (rc < 0 && err)
		*err = j->err;
	if (close(j->fd) < 0 && rc == 0)
		rc = pal_seterr(err, PAL_ERR_IO, errno, "cannot close journal "
				"'%s': %s", j->path, strerror(errno));
	journal_free(j);
	return rc;
}

const struct pal_error *journal_error(const struct journal *j)
{
	return &j->err;
}
