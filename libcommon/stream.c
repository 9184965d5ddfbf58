/*
 * stream.c: reading and writing the pal stream; see stream.h for the API and
 * man/pal-stream.5 for the byte layout.
 *
 * Fixed header (little-endian), 44 bytes:
 *    0  magic "\x89PAL"        4  version       5  kind     6  codec
 *    7  reserved (0)           8  header_len    12 ncols    16 nrows
 *   24  raw_len               32  stored_len    40 payload_crc
 * then ncols column descriptors (16 bytes + name padded to 8), zero padding,
 * and the crc32 of all header bytes before it as the last 4 bytes.
 * The payload follows: stored_len bytes, zero-padded to a multiple of 8.
 *
 * The reader checks, in this order: magic, version, kind, codec, reserved
 * byte, header length, header crc, counts against limits, column table,
 * payload size, payload crc, decompressed size, the zero padding after
 * each column, end-frame row count.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include "stream.h"
#include "banned.h"

#define PAD8(n) (((n) + 7) & ~(uint64_t)7)
#define IBUF_SIZE (256u << 10)
#define OBUF_SIZE (1u << 20)
#define ALIGN 64

/* ---- little-endian helpers --------------------------------------------- */

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* ---- dtypes, names, schemas ------------------------------------------- */

size_t pal_dtype_size(int dtype)
{
	switch (dtype) {
	case PAL_U8: return 1;
	case PAL_I32: case PAL_F32: return 4;
	case PAL_I64: case PAL_U64: case PAL_F64: return 8;
	default: return 0;
	}
}

static const char *const dtype_names[] = {
	[PAL_U8] = "u8", [PAL_I32] = "i32", [PAL_I64] = "i64",
	[PAL_U64] = "u64", [PAL_F32] = "f32", [PAL_F64] = "f64",
};

const char *pal_dtype_name(int dtype)
{
	if (dtype < PAL_U8 || dtype > PAL_F64)
		return "?";
	return dtype_names[dtype];
}

int pal_dtype_parse(const char *s)
{
	for (int t = PAL_U8; t <= PAL_F64; t++)
		if (!strcmp(s, dtype_names[t]))
			return t;
	return -1;
}

static int name_char(int c, int first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
		return 1;
	return !first && c >= '0' && c <= '9';
}

static int name_valid_n(const char *s, size_t n)
{
	if (n == 0 || n > PAL_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!name_char((unsigned char)s[i], i == 0))
			return 0;
	return 1;
}

int pal_name_valid(const char *s)
{
	return name_valid_n(s, strnlen(s, PAL_NAME_MAX + 1));
}

int pal_col_index(const struct pal_frame *f, const char *name)
{
	for (uint32_t i = 0; i < f->ncols; i++)
		if (!strcmp(f->cols[i].name, name))
			return (int)i;
	return -1;
}

const struct pal_col *pal_col_find(const struct pal_frame *f, const char *name)
{
	int i = pal_col_index(f, name);

	return i < 0 ? NULL : &f->cols[i];
}

double pal_col_value(const struct pal_col *c, uint64_t i)
{
	switch (c->dtype) {
	case PAL_U8: return ((const uint8_t *)c->data)[i];
	case PAL_I32: return ((const int32_t *)c->data)[i];
	case PAL_I64: return (double)((const int64_t *)c->data)[i];
	case PAL_U64: return (double)((const uint64_t *)c->data)[i];
	case PAL_F32: return ((const float *)c->data)[i];
	default: return ((const double *)c->data)[i];
	}
}

size_t pal_col_rowbytes(const struct pal_col *c)
{
	return (size_t)c->width * pal_dtype_size(c->dtype);
}

int pal_same_schema(const struct pal_frame *a, const struct pal_frame *b)
{
	if (a->ncols != b->ncols)
		return 0;
	for (uint32_t i = 0; i < a->ncols; i++)
		if (strcmp(a->cols[i].name, b->cols[i].name) ||
		    a->cols[i].dtype != b->cols[i].dtype ||
		    a->cols[i].width != b->cols[i].width)
			return 0;
	return 1;
}

uint64_t pal_default_rows(const struct pal_col *cols, uint32_t ncols)
{
	uint64_t rowbytes = 0;

	for (uint32_t i = 0; i < ncols; i++)
		rowbytes += pal_col_rowbytes(&cols[i]);
	if (rowbytes == 0 || rowbytes >= PAL_DEFAULT_FRAME_BYTES)
		return 1;
	return PAL_DEFAULT_FRAME_BYTES / rowbytes;
}

/*
 * The canonical payload size of a data frame: each column's nrows x width
 * elements, padded to 8 bytes.  Returns 0 and sets *raw, or -1 if it would
 * exceed PAL_MAX_PAYLOAD.  Overflow-safe: every product is checked by
 * division before it is formed.
 */
static int payload_size(const struct pal_col *cols, uint32_t ncols,
			uint64_t nrows, uint64_t *raw)
{
	uint64_t total = 0;

	for (uint32_t i = 0; i < ncols; i++) {
		uint64_t rb = pal_col_rowbytes(&cols[i]);

		if (nrows && rb > PAL_MAX_PAYLOAD / nrows)
			return -1;
		total += PAD8(rb * nrows);
		if (total > PAL_MAX_PAYLOAD)
			return -1;
	}
	*raw = total;
	return 0;
}

/* ---- aligned, growing buffers ----------------------------------------- */

struct buf {
	unsigned char *p;
	size_t cap;
};

/* Make room for n bytes, keeping the first keep bytes.  0 or -1. */
static int buf_reserve(struct buf *b, size_t n, size_t keep)
{
	void *np;

	if (n <= b->cap)
		return 0;
	if (posix_memalign(&np, ALIGN, n))
		return -1;
	if (keep)
		memcpy(np, b->p, keep);
	free(b->p);
	b->p = np;
	b->cap = n;
	return 0;
}

/* ---- errors -------------------------------------------------------------- */

static void set_error(struct pal_error *e, int kind, uint64_t offset,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void set_error(struct pal_error *e, int kind, uint64_t offset,
		      const char *fmt, ...)
{
	va_list ap;

	e->kind = kind;
	e->offset = offset;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

/* ---- reader ------------------------------------------------------------ */

struct pal_reader {
	int fd;				/* -1 for a memory reader */
	const unsigned char *mem;
	size_t memlen;
	char name[256];

	unsigned char *ibuf;		/* read-ahead for an fd */
	size_t ipos, ilen;
	uint64_t offset;		/* bytes consumed */
	int eof;

	struct buf hdr;			/* current frame's header */
	size_t hdr_len;
	struct buf pay;			/* current frame's stored payload */
	uint64_t pay_len;		/* stored bytes, padding included */
	struct buf raw;			/* decompressed payload */
	char *kvtext;			/* metadata text, NUL-separated */
	struct pal_kv *kv;
	uint32_t kv_cap;

	struct pal_frame f;
	struct pal_col *cols;
	uint64_t frames;		/* frames read, end frames included */
	uint64_t seg_rows;		/* data rows since the last end frame */
	int last_was_end;
	int dead;
	z_stream zs;
	int zs_ready;
	struct pal_error err;
};

static struct pal_reader *reader_new(const char *name)
{
	struct pal_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->fd = -1;
	if (!name || !strcmp(name, "-"))
		name = "stdin";
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->cols = calloc(PAL_MAX_COLS, sizeof(*r->cols));
	if (!r->cols) {
		free(r);
		return NULL;
	}
	return r;
}

struct pal_reader *pal_reader_fd(int fd, const char *name)
{
	struct pal_reader *r = reader_new(name);
	struct stat st;

	if (!r)
		return NULL;
	r->fd = fd;
	r->ibuf = malloc(IBUF_SIZE);
	if (!r->ibuf) {
		pal_reader_free(r);
		return NULL;
	}
	/* Ask for a 1 MiB pipe: fewer, larger reads.  Failure is harmless. */
	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
		(void)fcntl(fd, F_SETPIPE_SZ, 1 << 20);
	return r;
}

struct pal_reader *pal_reader_mem(const void *buf, size_t len, const char *name)
{
	struct pal_reader *r = reader_new(name);

	if (!r)
		return NULL;
	r->mem = buf;
	r->memlen = len;
	return r;
}

void pal_reader_free(struct pal_reader *r)
{
	if (!r)
		return;
	if (r->zs_ready)
		inflateEnd(&r->zs);
	free(r->ibuf);
	free(r->hdr.p);
	free(r->pay.p);
	free(r->raw.p);
	free(r->kvtext);
	free(r->kv);
	free(r->cols);
	free(r);
}

const struct pal_error *pal_reader_error(const struct pal_reader *r)
{
	return &r->err;
}

uint64_t pal_reader_offset(const struct pal_reader *r)
{
	return r->offset;
}

/*
 * Read up to n bytes into dst; returns the count (short only at end of
 * input) or -1 on a read error.
 */
static ssize_t src_read(struct pal_reader *r, void *dst, size_t n)
{
	unsigned char *d = dst;
	size_t got = 0;

	if (r->fd < 0) {
		size_t left = r->memlen - (size_t)r->offset;

		if (n > left)
			n = left;
		if (n)	/* the buffer of an empty input may be NULL */
			memcpy(d, r->mem + r->offset, n);
		r->offset += n;
		return (ssize_t)n;
	}
	while (got < n) {
		ssize_t k;

		if (r->ipos < r->ilen) {
			size_t c = r->ilen - r->ipos;

			if (c > n - got)
				c = n - got;
			memcpy(d + got, r->ibuf + r->ipos, c);
			r->ipos += c;
			got += c;
			continue;
		}
		if (r->eof)
			break;
		if (n - got >= IBUF_SIZE)
			k = read(r->fd, d + got, n - got);
		else
			k = read(r->fd, r->ibuf, IBUF_SIZE);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			r->offset += got;
			return -1;
		}
		if (k == 0) {
			r->eof = 1;
			break;
		}
		if (n - got >= IBUF_SIZE) {
			got += (size_t)k;
		} else {
			r->ipos = 0;
			r->ilen = (size_t)k;
		}
	}
	r->offset += got;
	return (ssize_t)got;
}

int pal_reader_poll(struct pal_reader *r, double timeout)
{
	struct pollfd pfd;
	int ms = timeout < 0 ? -1 : (int)(timeout * 1000 + 0.5), rc;

	if (r->fd < 0 || r->eof || r->dead || r->ipos < r->ilen)
		return 1;
	pfd.fd = r->fd;
	pfd.events = POLLIN;
	do
		rc = poll(&pfd, 1, ms);
	while (rc < 0 && errno == EINTR);
	/* An error of poll itself: let read() say what it is. */
	return rc != 0;
}

static int fail(struct pal_reader *r)
{
	r->dead = 1;
	return -1;
}

/* Report a read error or short read of what, for a frame at start. */
static int short_read(struct pal_reader *r, ssize_t got, size_t want,
		      const char *what, uint64_t start)
{
	if (got < 0) {
		r->err.errnum = errno;
		set_error(&r->err, PAL_ERR_IO, r->offset,
			  "read error in %s: %s (%s: frame %" PRIu64
			  " at offset %" PRIu64 ")", what, strerror(errno),
			  r->name, r->frames, start);
	} else {
		set_error(&r->err, PAL_ERR_TRUNCATED, r->offset,
			  "truncated %s: got %zd of %zu bytes (%s: frame %"
			  PRIu64 " at offset %" PRIu64 ", input ends at offset %"
			  PRIu64 ")", what, got, want, r->name, r->frames, start,
			  r->offset);
	}
	return fail(r);
}

#define CORRUPT(r, start, ...) corrupt(r, PAL_ERR_CORRUPT, start, __VA_ARGS__)
#define LIMIT(r, start, ...) corrupt(r, PAL_ERR_LIMIT, start, __VA_ARGS__)

static int corrupt(struct pal_reader *r, int kind, uint64_t start,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int corrupt(struct pal_reader *r, int kind, uint64_t start,
		   const char *fmt, ...)
{
	char what[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	set_error(&r->err, kind, start, "%s (%s: frame %" PRIu64
		  " at offset %" PRIu64 ")", what, r->name, r->frames, start);
	return fail(r);
}

/*
 * Read n payload bytes into r->pay, growing the buffer as bytes arrive so
 * that a lying header cannot make us allocate more than about twice what
 * the input really holds.
 */
static int read_payload(struct pal_reader *r, uint64_t n, uint64_t start)
{
	size_t got = 0;

	while (got < n) {
		size_t want = n;
		ssize_t k;

		if (r->pay.cap < n) {
			size_t grow = r->pay.cap * 2;

			if (grow < got + (1u << 20))
				grow = got + (1u << 20);
			want = grow < n ? grow : n;
			if (want > r->pay.cap &&
			    buf_reserve(&r->pay, want, got) < 0) {
				set_error(&r->err, PAL_ERR_NOMEM, start,
					  "out of memory for a payload of %" PRIu64
					  " bytes (%s: frame %" PRIu64
					  " at offset %" PRIu64 ")", n, r->name,
					  r->frames, start);
				return fail(r);
			}
		}
		k = src_read(r, r->pay.p + got, want - got);
		if (k < 0 || (size_t)k < want - got)
			return short_read(r, k < 0 ? -1 : (ssize_t)(got + k),
					  n, "payload", start);
		got += (size_t)k;
	}
	return 0;
}

/*
 * Decompress the stored payload into r->raw: exactly raw_len bytes, then the
 * end of the zlib stream, then nothing.  Output never goes past raw_len, and
 * the buffer grows with the output actually produced (as in read_payload).
 */
static int inflate_payload(struct pal_reader *r, uint64_t stored,
			   uint64_t raw_len, uint64_t start)
{
	unsigned char extra;
	size_t have = 0;
	int zr = Z_OK;

	if (!r->zs_ready) {
		if (inflateInit(&r->zs) != Z_OK)
			goto nomem;
		r->zs_ready = 1;
	} else if (inflateReset(&r->zs) != Z_OK) {
		goto nomem;
	}
	r->zs.next_in = r->pay.p;
	r->zs.avail_in = (uInt)stored;
	while (zr != Z_STREAM_END) {
		size_t room;

		if (have == raw_len) {
			/* All the output is there: the stream must end now. */
			r->zs.next_out = &extra;
			r->zs.avail_out = 1;
			zr = inflate(&r->zs, Z_NO_FLUSH);
			if (r->zs.avail_out == 0)
				return CORRUPT(r, start, "compressed payload "
					       "inflates to more than raw_len %"
					       PRIu64 " bytes", raw_len);
			if (zr == Z_STREAM_END)
				break;
		} else {
			if (have == r->raw.cap) {
				size_t want = r->raw.cap ? r->raw.cap * 2 : (1u << 20);

				if (want > raw_len)
					want = raw_len;
				if (buf_reserve(&r->raw, want, have) < 0)
					goto nomem;
			}
			room = (r->raw.cap < raw_len ? r->raw.cap : raw_len) - have;
			r->zs.next_out = r->raw.p + have;
			r->zs.avail_out = (uInt)room;
			zr = inflate(&r->zs, Z_NO_FLUSH);
			have += room - r->zs.avail_out;
			if (zr == Z_STREAM_END)
				break;
		}
		if (zr == Z_MEM_ERROR)
			goto nomem;
		if (zr == Z_DATA_ERROR || zr == Z_NEED_DICT || zr == Z_STREAM_ERROR)
			return CORRUPT(r, start, "bad compressed payload: %s",
				       r->zs.msg ? r->zs.msg : "zlib error");
		if (r->zs.avail_in == 0 && r->zs.avail_out > 0 && have == raw_len)
			return CORRUPT(r, start, "compressed payload ends "
				       "before the end of its zlib stream");
		if (r->zs.avail_in == 0 && r->zs.avail_out > 0)
			return CORRUPT(r, start, "compressed payload ends early, "
				       "after %zu of raw_len %" PRIu64 " bytes",
				       have, raw_len);
	}
	if (have != raw_len)
		return CORRUPT(r, start, "compressed payload inflates to %zu "
			       "bytes, header says raw_len %" PRIu64, have,
			       raw_len);
	if (r->zs.avail_in != 0)
		return CORRUPT(r, start, "%u bytes after the end of the "
			       "compressed payload", r->zs.avail_in);
	return 0;
nomem:
	set_error(&r->err, PAL_ERR_NOMEM, start,
		  "out of memory decompressing a payload (%s: frame %" PRIu64
		  " at offset %" PRIu64 ")", r->name, r->frames, start);
	return fail(r);
}

/* Parse the column table of a data frame into r->cols. */
static int parse_columns(struct pal_reader *r, uint32_t ncols, uint64_t nrows,
			 uint64_t raw_len, uint64_t start)
{
	const unsigned char *h = r->hdr.p;
	size_t end = r->hdr_len - 4;	/* the header crc */
	size_t pos = PAL_FIXED_HEADER;
	uint64_t off = 0;

	for (uint32_t i = 0; i < ncols; i++) {
		struct pal_col *c = &r->cols[i];
		uint32_t namelen, width;
		uint64_t coff, rb;
		int dtype;

		if (end - pos < PAL_COLDESC_FIXED)
			return CORRUPT(r, start, "column table overruns the "
				       "header at column %" PRIu32, i);
		dtype = h[pos];
		namelen = h[pos + 1];
		width = get32(h + pos + 4);
		coff = get64(h + pos + 8);
		if (pal_dtype_size(dtype) == 0)
			return CORRUPT(r, start, "column %" PRIu32 ": unknown "
				       "dtype code %d", i, dtype);
		if (h[pos + 2] || h[pos + 3])
			return CORRUPT(r, start, "column %" PRIu32 ": reserved "
				       "bytes are not zero", i);
		if (width == 0 || width > PAL_MAX_WIDTH)
			return LIMIT(r, start, "column %" PRIu32 ": width %"
				     PRIu32 " out of range 1..%u", i, width,
				     PAL_MAX_WIDTH);
		if (end - pos - PAL_COLDESC_FIXED < PAD8(namelen))
			return CORRUPT(r, start, "column table overruns the "
				       "header at column %" PRIu32, i);
		if (!name_valid_n((const char *)h + pos + 16, namelen))
			return CORRUPT(r, start, "column %" PRIu32 ": invalid "
				       "name", i);
		for (size_t k = namelen; k < PAD8(namelen); k++)
			if (h[pos + 16 + k])
				return CORRUPT(r, start, "column %" PRIu32
					       ": name padding is not zero", i);
		memcpy(c->name, h + pos + 16, namelen);
		c->name[namelen] = '\0';
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(r->cols[j].name, c->name))
				return CORRUPT(r, start, "duplicate column "
					       "'%s'", c->name);
		c->dtype = dtype;
		c->width = width;
		rb = pal_col_rowbytes(c);
		if (nrows && rb > PAL_MAX_PAYLOAD / nrows)
			return LIMIT(r, start, "%" PRIu64 " rows of column "
				     "'%s' exceed the frame limit of %llu bytes",
				     nrows, c->name, PAL_MAX_PAYLOAD);
		if (coff != off)
			return CORRUPT(r, start, "column '%s' at payload offset %"
				       PRIu64 ", expected %" PRIu64, c->name,
				       coff, off);
		off += PAD8(rb * nrows);
		if (off > PAL_MAX_PAYLOAD)
			return LIMIT(r, start, "%" PRIu64 " rows exceed the "
				     "frame limit of %llu bytes", nrows,
				     PAL_MAX_PAYLOAD);
		pos += PAL_COLDESC_FIXED + PAD8(namelen);
	}
	for (; pos < end; pos++)
		if (h[pos])
			return CORRUPT(r, start, "header padding is not zero");
	if (off != raw_len)
		return CORRUPT(r, start, "raw_len %" PRIu64 " does not match "
			       "the %" PRIu64 " bytes of %" PRIu64 " rows",
			       raw_len, off, nrows);
	return 0;
}

/* Split a metadata payload ("key=value\n" entries) into r->kv. */
static int parse_meta(struct pal_reader *r, const unsigned char *p,
		      uint64_t len, uint64_t nkv, uint64_t start)
{
	char *t;
	uint64_t n = 0;
	size_t i = 0;

	if (nkv > len / 3 + 1)
		return CORRUPT(r, start, "%" PRIu64 " entries cannot fit in %"
			       PRIu64 " bytes of metadata", nkv, len);
	free(r->kvtext);
	r->kvtext = malloc(len + 1);
	if (nkv > r->kv_cap) {
		free(r->kv);
		r->kv = malloc(nkv * sizeof(*r->kv));
		r->kv_cap = r->kv ? (uint32_t)nkv : 0;
	}
	if (!r->kvtext || (nkv && !r->kv)) {
		set_error(&r->err, PAL_ERR_NOMEM, start, "out of memory for "
			  "metadata (%s)", r->name);
		return fail(r);
	}
	t = r->kvtext;
	if (len)	/* p is NULL for an empty payload */
		memcpy(t, p, len);
	t[len] = '\0';
	while (i < len) {
		char *line = t + i, *nl = memchr(line, '\n', len - i);
		char *eq;

		if (!nl)
			return CORRUPT(r, start, "metadata entry %" PRIu64
				       " is not terminated by a newline", n);
		*nl = '\0';
		if (memchr(line, '\0', (size_t)(nl - line)))
			return CORRUPT(r, start, "metadata entry %" PRIu64
				       " holds a NUL byte", n);
		eq = strchr(line, '=');
		if (!eq || eq == line || (size_t)(eq - line) > PAL_MAX_KEY)
			return CORRUPT(r, start, "metadata entry %" PRIu64
				       " is not key=value", n);
		*eq = '\0';
		for (char *k = line; *k; k++)
			if (!name_char((unsigned char)*k, 0) && *k != '.' &&
			    *k != '-' && *k != ':')
				return CORRUPT(r, start, "metadata entry %"
					       PRIu64 ": invalid key", n);
		if (n == nkv)
			return CORRUPT(r, start, "metadata holds more than the "
				       "%" PRIu64 " entries of its header", nkv);
		r->kv[n].key = line;
		r->kv[n].value = eq + 1;
		n++;
		i = (size_t)(nl - t) + 1;
	}
	if (n != nkv)
		return CORRUPT(r, start, "metadata holds %" PRIu64 " entries, "
			       "header says %" PRIu64, n, nkv);
	r->f.nkv = (uint32_t)nkv;
	r->f.kv = r->kv;
	return 0;
}

/*
 * Read one frame of any kind into r->f.  Returns 1, 0 at end of input on a
 * frame boundary, or -1.
 */
static int read_frame(struct pal_reader *r)
{
	unsigned char *h;
	uint64_t start = r->offset, nrows, raw_len, stored, padded;
	uint32_t hlen, ncols, crc;
	int kind, codec;
	ssize_t k;

	if (buf_reserve(&r->hdr, 4096, 0) < 0)
		goto nomem;
	h = r->hdr.p;
	k = src_read(r, h, PAL_FIXED_HEADER);
	if (k == 0)
		return 0;
	if (k < PAL_FIXED_HEADER) {
		if (k > 0 && memcmp(h, PAL_MAGIC, (size_t)k < 4 ? (size_t)k : 4))
			return CORRUPT(r, start, "bad magic: not a pal stream");
		return short_read(r, k, PAL_FIXED_HEADER, "frame header", start);
	}
	if (memcmp(h, PAL_MAGIC, 4))
		return CORRUPT(r, start, "bad magic: not a pal stream");
	if (h[4] != PAL_FORMAT_VERSION)
		return CORRUPT(r, start, "unsupported format version %d "
			       "(this reader knows %d)", h[4], PAL_FORMAT_VERSION);
	kind = h[5];
	codec = h[6];
	if (kind != PAL_DATA && kind != PAL_META && kind != PAL_END)
		return CORRUPT(r, start, "unknown frame kind 0x%02x", kind);
	if (codec != PAL_CODEC_NONE && codec != PAL_CODEC_ZLIB)
		return CORRUPT(r, start, "unknown codec %d", codec);
	if (h[7])
		return CORRUPT(r, start, "reserved byte 7 is not zero");
	hlen = get32(h + 8);
	if (hlen < PAL_MIN_HEADER || hlen > PAL_MAX_HEADER || hlen % 8)
		return CORRUPT(r, start, "header length %" PRIu32 " is not a "
			       "multiple of 8 in %u..%u", hlen, PAL_MIN_HEADER,
			       PAL_MAX_HEADER);
	if (buf_reserve(&r->hdr, hlen, PAL_FIXED_HEADER) < 0)
		goto nomem;
	h = r->hdr.p;
	k = src_read(r, h + PAL_FIXED_HEADER, hlen - PAL_FIXED_HEADER);
	if (k < 0 || (size_t)k < hlen - PAL_FIXED_HEADER)
		return short_read(r, k < 0 ? -1 : k + PAL_FIXED_HEADER, hlen,
				  "frame header", start);
	r->hdr_len = hlen;
	crc = (uint32_t)crc32_z(0, h, hlen - 4);
	if (crc != get32(h + hlen - 4))
		return CORRUPT(r, start, "header checksum mismatch");

	ncols = get32(h + 12);
	nrows = get64(h + 16);
	raw_len = get64(h + 24);
	stored = get64(h + 32);
	if (raw_len > PAL_MAX_PAYLOAD)
		return LIMIT(r, start, "payload of %" PRIu64 " bytes exceeds "
			     "the limit of %llu", raw_len, PAL_MAX_PAYLOAD);
	if (kind == PAL_DATA) {
		if (ncols == 0 || ncols > PAL_MAX_COLS)
			return LIMIT(r, start, "%" PRIu32 " columns, not in "
				     "1..%u", ncols, PAL_MAX_COLS);
		if (nrows > PAL_MAX_PAYLOAD)
			return LIMIT(r, start, "row count %" PRIu64 " exceeds "
				     "the limit of %llu", nrows, PAL_MAX_PAYLOAD);
		if (parse_columns(r, ncols, nrows, raw_len, start) < 0)
			return -1;
	} else {
		if (ncols != 0)
			return CORRUPT(r, start, "%s frame with %" PRIu32
				       " columns", kind == PAL_END ? "end" :
				       "metadata", ncols);
		if (hlen != PAL_MIN_HEADER)
			return CORRUPT(r, start, "header length %" PRIu32
				       " of a frame without columns", hlen);
		if (kind == PAL_END && (raw_len || stored || codec))
			return CORRUPT(r, start, "end frame with a payload");
		if (kind == PAL_META && raw_len > PAL_MAX_META)
			return LIMIT(r, start, "metadata of %" PRIu64 " bytes "
				     "exceeds the limit of %u", raw_len,
				     PAL_MAX_META);
	}
	if (codec == PAL_CODEC_NONE && stored != raw_len)
		return CORRUPT(r, start, "stored_len %" PRIu64 " differs from "
			       "raw_len %" PRIu64 " without compression",
			       stored, raw_len);
	if (codec == PAL_CODEC_ZLIB &&
	    (raw_len == 0 || stored == 0 || stored > compressBound(raw_len)))
		return CORRUPT(r, start, "stored_len %" PRIu64 " impossible "
			       "for a compressed raw_len of %" PRIu64, stored,
			       raw_len);

	padded = PAD8(stored);
	if (read_payload(r, padded, start) < 0)
		return -1;
	if ((uint32_t)crc32_z(0, r->pay.p, padded) != get32(h + 40))
		return CORRUPT(r, start, "payload checksum mismatch");
	for (uint64_t i = stored; i < padded; i++)
		if (r->pay.p[i])
			return CORRUPT(r, start, "payload padding is not zero");

	memset(&r->f, 0, sizeof(r->f));
	r->f.kind = kind;
	r->f.offset = start;
	r->f.index = r->frames;
	r->f.codec = codec;
	r->f.stored_bytes = hlen + padded;
	r->pay_len = padded;
	if (kind == PAL_END) {
		if (nrows != r->seg_rows)
			return CORRUPT(r, start, "end frame counts %" PRIu64
				       " rows, the stream before it holds %"
				       PRIu64, nrows, r->seg_rows);
		r->f.nrows = nrows;
		r->frames++;
		return 1;
	}
	if (codec == PAL_CODEC_ZLIB &&
	    inflate_payload(r, stored, raw_len, start) < 0)
		return -1;
	{
		static _Alignas(ALIGN) unsigned char empty[ALIGN];
		unsigned char *p = codec ? r->raw.p : r->pay.p;

		/* An empty payload may have no buffer yet: give its columns
		 * an empty one rather than offsets from NULL. */
		if (!p)
			p = empty;
		if (kind == PAL_META) {
			if (parse_meta(r, p, raw_len, nrows, start) < 0)
				return -1;
		} else {
			uint64_t off = 0;

			for (uint32_t i = 0; i < ncols; i++) {
				uint64_t len = pal_col_rowbytes(&r->cols[i]) *
					       nrows;

				r->cols[i].data = p + off;
				for (uint64_t b = off + len; b < off + PAD8(len); b++)
					if (p[b])
						return CORRUPT(r, start, "column "
							       "'%s': padding is "
							       "not zero",
							       r->cols[i].name);
				off += PAD8(len);
			}
			r->f.ncols = ncols;
			r->f.cols = r->cols;
			r->f.nrows = nrows;
			r->seg_rows += nrows;
		}
	}
	r->frames++;
	return 1;
nomem:
	set_error(&r->err, PAL_ERR_NOMEM, start, "out of memory (%s)", r->name);
	return fail(r);
}

int pal_read(struct pal_reader *r, const struct pal_frame **fp)
{
	if (r->dead)
		return -1;
	for (;;) {
		int k = read_frame(r);

		if (k < 0)
			return -1;
		if (k == 0) {
			if (r->last_was_end)
				return 0;
			if (r->frames == 0)
				set_error(&r->err, PAL_ERR_TRUNCATED, r->offset,
					  "empty input, not a pal stream (%s)",
					  r->name);
			else
				set_error(&r->err, PAL_ERR_TRUNCATED, r->offset,
					  "stream cut short: no end frame (%s: "
					  "input ends at offset %" PRIu64
					  " after %" PRIu64 " frames)", r->name,
					  r->offset, r->frames);
			return fail(r);
		}
		r->last_was_end = r->f.kind == PAL_END;
		if (r->f.kind == PAL_END) {
			r->seg_rows = 0;
			continue;
		}
		*fp = &r->f;
		return 1;
	}
}

/* ---- writer ------------------------------------------------------------ */

struct pal_writer {
	int fd;
	char name[256];
	int level;
	int buffered;			/* gather small frames (regular files) */
	struct buf obuf;		/* gathered bytes */
	size_t olen;
	struct buf hdr;
	struct buf zbuf;		/* compressed payload */
	struct buf kvbuf;
	z_stream zs;
	int zs_ready;
	uint64_t rows, bytes;
	int finished, dead;
	struct pal_error err;
	int mem;			/* a memory writer: bytes go to mp */
	unsigned char *mp;
	size_t mlen, mcap;
};

struct pal_writer *pal_writer_fd(int fd, const char *name, int level)
{
	struct pal_writer *w = calloc(1, sizeof(*w));
	struct stat st;

	if (!w)
		return NULL;
	w->fd = fd;
	if (!name || !strcmp(name, "-"))
		name = "stdout";
	snprintf(w->name, sizeof(w->name), "%s", name);
	w->level = level < 0 ? PAL_LEVEL_KEEP : level > 9 ? 9 : level;
	if (fstat(fd, &st) == 0) {
		if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
			w->buffered = 1;
		if (S_ISFIFO(st.st_mode))
			(void)fcntl(fd, F_SETPIPE_SZ, 1 << 20);
	}
	return w;
}

struct pal_writer *pal_writer_mem(const char *name, int level)
{
	struct pal_writer *w = pal_writer_fd(-1, name ? name : "memory",
					     level);

	if (w) {
		w->buffered = 0;
		w->mem = 1;
	}
	return w;
}

void *pal_writer_mem_take(struct pal_writer *w, size_t *len)
{
	void *p = w->mp;

	*len = w->mlen;
	w->mp = NULL;
	w->mlen = w->mcap = 0;
	w->rows = w->bytes = 0;
	w->finished = 0;
	return p;
}

void pal_writer_free(struct pal_writer *w)
{
	if (!w)
		return;
	free(w->mp);
	if (w->zs_ready)
		deflateEnd(&w->zs);
	free(w->obuf.p);
	free(w->hdr.p);
	free(w->zbuf.p);
	free(w->kvbuf.p);
	free(w);
}

const struct pal_error *pal_writer_error(const struct pal_writer *w)
{
	return &w->err;
}

uint64_t pal_writer_rows(const struct pal_writer *w)
{
	return w->rows;
}

uint64_t pal_writer_bytes(const struct pal_writer *w)
{
	return w->bytes;
}

static int wfail(struct pal_writer *w, int kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int wfail(struct pal_writer *w, int kind, const char *fmt, ...)
{
	char what[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	set_error(&w->err, kind, w->bytes, "%s (%s)", what, w->name);
	w->dead = 1;
	return -1;
}

static int werrno(struct pal_writer *w)
{
	w->err.errnum = errno;
	return wfail(w, PAL_ERR_IO, "write error at offset %" PRIu64 ": %s",
		     w->bytes, strerror(errno));
}

/* Append n bytes to a memory writer's buffer. */
static int mem_put(struct pal_writer *w, const void *src, size_t n)
{
	if (n > w->mcap - w->mlen) {
		size_t cap = w->mcap ? w->mcap : 4096;
		unsigned char *np;

		while (cap - w->mlen < n) {
			if (cap > SIZE_MAX / 2)
				return wfail(w, PAL_ERR_NOMEM, "out of memory");
			cap *= 2;
		}
		np = realloc(w->mp, cap);
		if (!np)
			return wfail(w, PAL_ERR_NOMEM, "out of memory "
				     "(allocating %zu bytes)", cap);
		w->mp = np;
		w->mcap = cap;
	}
	memcpy(w->mp + w->mlen, src, n);
	w->mlen += n;
	return 0;
}

/* Write all of iov[0..n) with writev, resuming after short writes. */
static int writev_all(struct pal_writer *w, struct iovec *iov, int n)
{
	if (w->mem) {
		for (int i = 0; i < n; i++)
			if (mem_put(w, iov[i].iov_base, iov[i].iov_len) < 0)
				return -1;
		return 0;
	}
	while (n > 0) {
		int batch = n < IOV_MAX ? n : IOV_MAX;
		ssize_t k = writev(w->fd, iov, batch);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return werrno(w);
		}
		while (n > 0 && (size_t)k >= iov->iov_len) {
			k -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0 && k > 0) {
			iov->iov_base = (char *)iov->iov_base + k;
			iov->iov_len -= (size_t)k;
		}
	}
	return 0;
}

static int flush_obuf(struct pal_writer *w)
{
	struct iovec v = { w->obuf.p, w->olen };

	if (w->olen == 0)
		return 0;
	w->olen = 0;
	return writev_all(w, &v, 1);
}

/*
 * Emit a frame given as iov pieces totalling len bytes: gathered into obuf
 * when buffered and small, else written straight out.
 */
static int emit(struct pal_writer *w, struct iovec *iov, int n, size_t len)
{
	if (w->buffered && len < OBUF_SIZE / 2) {
		if (w->olen + len > OBUF_SIZE && flush_obuf(w) < 0)
			return -1;
		if (buf_reserve(&w->obuf, OBUF_SIZE, 0) < 0)
			return wfail(w, PAL_ERR_NOMEM, "out of memory");
		for (int i = 0; i < n; i++) {
			memcpy(w->obuf.p + w->olen, iov[i].iov_base, iov[i].iov_len);
			w->olen += iov[i].iov_len;
		}
		w->bytes += len;
		return 0;
	}
	if (flush_obuf(w) < 0)
		return -1;
	if (writev_all(w, iov, n) < 0)
		return -1;
	w->bytes += len;
	return 0;
}

/* Build a header for the given fields into w->hdr; returns its length. */
static size_t build_header(struct pal_writer *w, int kind, int codec,
			   const struct pal_col *cols, uint32_t ncols,
			   uint64_t nrows, uint64_t raw_len, uint64_t stored,
			   uint32_t pcrc)
{
	size_t hlen = PAL_FIXED_HEADER, pos;
	uint64_t off = 0;
	unsigned char *h;

	for (uint32_t i = 0; i < ncols; i++)
		hlen += PAL_COLDESC_FIXED + PAD8(strlen(cols[i].name));
	hlen = PAD8(hlen + 4);
	if (buf_reserve(&w->hdr, hlen, 0) < 0)
		return 0;
	h = w->hdr.p;
	memset(h, 0, hlen);
	memcpy(h, PAL_MAGIC, 4);
	h[4] = PAL_FORMAT_VERSION;
	h[5] = (unsigned char)kind;
	h[6] = (unsigned char)codec;
	put32(h + 8, (uint32_t)hlen);
	put32(h + 12, ncols);
	put64(h + 16, nrows);
	put64(h + 24, raw_len);
	put64(h + 32, stored);
	put32(h + 40, pcrc);
	pos = PAL_FIXED_HEADER;
	for (uint32_t i = 0; i < ncols; i++) {
		size_t nl = strlen(cols[i].name);

		h[pos] = (unsigned char)cols[i].dtype;
		h[pos + 1] = (unsigned char)nl;
		put32(h + pos + 4, cols[i].width);
		put64(h + pos + 8, off);
		memcpy(h + pos + 16, cols[i].name, nl);
		off += PAD8(pal_col_rowbytes(&cols[i]) * nrows);
		pos += PAL_COLDESC_FIXED + PAD8(nl);
	}
	put32(h + hlen - 4, (uint32_t)crc32_z(0, h, hlen - 4));
	return hlen;
}

static const unsigned char zeros[8];

/* Deflate pieces iov[0..n) into w->zbuf; returns compressed size or 0. */
static size_t deflate_pieces(struct pal_writer *w, const struct iovec *iov,
			     int n, uint64_t raw_len)
{
	size_t bound;

	if (!w->zs_ready) {
		if (deflateInit(&w->zs, w->level) != Z_OK)
			return 0;
		w->zs_ready = 1;
	} else if (deflateReset(&w->zs) != Z_OK) {
		return 0;
	}
	bound = deflateBound(&w->zs, raw_len) + 8;
	if (buf_reserve(&w->zbuf, bound, 0) < 0)
		return 0;
	w->zs.next_out = w->zbuf.p;
	w->zs.avail_out = (uInt)bound;
	/* Only the first raw_len bytes are payload: the pieces of a metadata
	 * frame end with the padding of its uncompressed form. */
	for (int i = 0; i < n && raw_len > 0; i++) {
		size_t len = iov[i].iov_len < raw_len ? iov[i].iov_len : raw_len;
		int last = len == raw_len;

		w->zs.next_in = iov[i].iov_base;
		w->zs.avail_in = (uInt)len;
		if (deflate(&w->zs, last ? Z_FINISH : Z_NO_FLUSH) !=
		    (last ? Z_STREAM_END : Z_OK) || w->zs.avail_in != 0)
			return 0;
		raw_len -= len;
	}
	return bound - w->zs.avail_out;
}

/*
 * Write a frame whose raw payload is the pieces iov[1..n] (iov[0] is
 * reserved for the header), compressing if the writer's level says so.
 */
static int write_pieces(struct pal_writer *w, int kind,
			const struct pal_col *cols, uint32_t ncols,
			uint64_t nrows, struct iovec *iov, int n,
			uint64_t raw_len)
{
	int codec = PAL_CODEC_NONE;
	uint64_t stored = raw_len;
	uint32_t pcrc = 0;
	size_t hlen;

	if (w->level > 0 && raw_len > 0) {
		size_t z = deflate_pieces(w, iov + 1, n - 1, raw_len);

		if (z == 0)
			return wfail(w, PAL_ERR_NOMEM, "compression failed");
		if (z < raw_len) {
			codec = PAL_CODEC_ZLIB;
			stored = z;
			memset(w->zbuf.p + z, 0, PAD8(z) - z);
			pcrc = (uint32_t)crc32_z(0, w->zbuf.p, PAD8(z));
			iov[1].iov_base = w->zbuf.p;
			iov[1].iov_len = PAD8(z);
			n = 2;
		}
	}
	if (codec == PAL_CODEC_NONE)
		for (int i = 1; i < n; i++)
			pcrc = (uint32_t)crc32_z(pcrc, iov[i].iov_base,
						 iov[i].iov_len);
	hlen = build_header(w, kind, codec, cols, ncols, nrows, raw_len,
			    stored, pcrc);
	if (hlen == 0)
		return wfail(w, PAL_ERR_NOMEM, "out of memory");
	iov[0].iov_base = w->hdr.p;
	iov[0].iov_len = hlen;
	return emit(w, iov, n, hlen + PAD8(stored));
}

static int write_data(struct pal_writer *w, const struct pal_frame *f)
{
	struct iovec stackv[33], *iov = stackv;
	uint64_t raw_len;
	int n = 1, r;

	if (f->ncols == 0 || f->ncols > PAL_MAX_COLS)
		return wfail(w, PAL_ERR_USAGE, "data frame with %" PRIu32
			     " columns", f->ncols);
	for (uint32_t i = 0; i < f->ncols; i++) {
		if (!pal_name_valid(f->cols[i].name))
			return wfail(w, PAL_ERR_USAGE, "invalid column name "
				     "'%s'", f->cols[i].name);
		if (!pal_dtype_size(f->cols[i].dtype) || !f->cols[i].width ||
		    f->cols[i].width > PAL_MAX_WIDTH)
			return wfail(w, PAL_ERR_USAGE, "column '%s': bad dtype "
				     "or width", f->cols[i].name);
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(f->cols[i].name, f->cols[j].name))
				return wfail(w, PAL_ERR_USAGE, "duplicate column "
					     "'%s'", f->cols[i].name);
	}
	if (payload_size(f->cols, f->ncols, f->nrows, &raw_len) < 0)
		return wfail(w, PAL_ERR_LIMIT, "frame of %" PRIu64 " rows "
			     "exceeds the limit of %llu bytes", f->nrows,
			     PAL_MAX_PAYLOAD);
	if (f->ncols > 16) {
		iov = malloc((2 * (size_t)f->ncols + 1) * sizeof(*iov));
		if (!iov)
			return wfail(w, PAL_ERR_NOMEM, "out of memory");
	}
	for (uint32_t i = 0; i < f->ncols; i++) {
		size_t len = pal_col_rowbytes(&f->cols[i]) * f->nrows;

		if (len == 0)
			continue;
		iov[n].iov_base = f->cols[i].data;
		iov[n++].iov_len = len;
		if (PAD8(len) != len) {
			iov[n].iov_base = (void *)zeros;
			iov[n++].iov_len = PAD8(len) - len;
		}
	}
	r = write_pieces(w, PAL_DATA, f->cols, f->ncols, f->nrows, iov, n,
			 raw_len);
	if (iov != stackv)
		free(iov);
	if (r == 0)
		w->rows += f->nrows;
	return r;
}

static int valid_key(const char *k)
{
	size_t n = strlen(k);

	if (n == 0 || n > PAL_MAX_KEY)
		return 0;
	for (; *k; k++)
		if (!name_char((unsigned char)*k, 0) && *k != '.' &&
		    *k != '-' && *k != ':')
			return 0;
	return 1;
}

static int write_meta(struct pal_writer *w, const struct pal_frame *f)
{
	struct iovec iov[3];
	size_t len = 0, pos = 0;
	int n = 1;

	for (uint32_t i = 0; i < f->nkv; i++) {
		if (!valid_key(f->kv[i].key))
			return wfail(w, PAL_ERR_USAGE, "invalid metadata key "
				     "'%s'", f->kv[i].key);
		if (strchr(f->kv[i].value, '\n'))
			return wfail(w, PAL_ERR_USAGE, "metadata value of '%s' "
				     "holds a newline", f->kv[i].key);
		len += strlen(f->kv[i].key) + strlen(f->kv[i].value) + 2;
		if (len > PAL_MAX_META)
			return wfail(w, PAL_ERR_LIMIT, "metadata exceeds %u "
				     "bytes", PAL_MAX_META);
	}
	if (buf_reserve(&w->kvbuf, PAD8(len) + 8, 0) < 0)
		return wfail(w, PAL_ERR_NOMEM, "out of memory");
	for (uint32_t i = 0; i < f->nkv; i++)
		pos += (size_t)snprintf((char *)w->kvbuf.p + pos, len + 1 - pos,
					"%s=%s\n", f->kv[i].key, f->kv[i].value);
	memset(w->kvbuf.p + len, 0, PAD8(len) - len);
	if (len) {
		iov[n].iov_base = w->kvbuf.p;
		iov[n++].iov_len = PAD8(len);
	}
	return write_pieces(w, PAL_META, NULL, 0, f->nkv, iov, n, len);
}

int pal_write(struct pal_writer *w, const struct pal_frame *f)
{
	if (w->dead)
		return -1;
	if (w->finished)
		return wfail(w, PAL_ERR_USAGE, "frame written after the end");
	if (f->kind == PAL_META)
		return write_meta(w, f);
	if (f->kind == PAL_DATA)
		return write_data(w, f);
	return wfail(w, PAL_ERR_USAGE, "cannot write a frame of kind %d",
		     f->kind);
}

int pal_write_kv(struct pal_writer *w, const char *key, const char *value)
{
	struct pal_kv kv = { (char *)key, (char *)value };
	struct pal_frame f = { .kind = PAL_META, .nkv = 1, .kv = &kv };

	return pal_write(w, &f);
}

int pal_write_passthrough(struct pal_writer *w, const struct pal_reader *r,
			  const struct pal_frame *f)
{
	struct iovec iov[2];

	if (w->dead)
		return -1;
	if (f != &r->f || (w->level != PAL_LEVEL_KEEP &&
			     (w->level > 0) != (f->codec != PAL_CODEC_NONE)))
		return pal_write(w, f);
	iov[0].iov_base = r->hdr.p;
	iov[0].iov_len = r->hdr_len;
	iov[1].iov_base = r->pay.p;
	iov[1].iov_len = r->pay_len;
	if (emit(w, iov, r->pay_len ? 2 : 1, r->hdr_len + r->pay_len) < 0)
		return -1;
	if (f->kind == PAL_DATA)
		w->rows += f->nrows;
	return 0;
}

int pal_writer_finish(struct pal_writer *w)
{
	struct iovec iov[1];
	size_t hlen;

	if (w->dead)
		return -1;
	if (w->finished)
		return wfail(w, PAL_ERR_USAGE, "stream finished twice");
	hlen = build_header(w, PAL_END, PAL_CODEC_NONE, NULL, 0, w->rows, 0,
			    0, 0);
	if (hlen == 0)
		return wfail(w, PAL_ERR_NOMEM, "out of memory");
	iov[0].iov_base = w->hdr.p;
	iov[0].iov_len = hlen;
	w->finished = 1;
	if (emit(w, iov, 1, hlen) < 0 || flush_obuf(w) < 0)
		return -1;
	return 0;
}

int pal_writer_flush(struct pal_writer *w)
{
	if (w->dead)
		return -1;
	return flush_obuf(w);
}

/* ---- batches ------------------------------------------------------------ */

struct pal_batch *pal_batch_new(const struct pal_col *schema, uint32_t ncols,
				uint64_t cap)
{
	struct pal_batch *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->f.kind = PAL_DATA;
	b->f.ncols = ncols;
	b->cap = cap ? cap : 1;
	b->f.cols = calloc(ncols ? ncols : 1, sizeof(*b->f.cols));
	if (!b->f.cols)
		goto fail;
	for (uint32_t i = 0; i < ncols; i++) {
		struct pal_col *c = &b->f.cols[i];
		size_t rb;

		*c = schema[i];
		c->data = NULL;
		rb = pal_col_rowbytes(c);
		if (rb && b->cap > SIZE_MAX / rb)
			goto fail;
		if (posix_memalign(&c->data, ALIGN, rb * b->cap > 0 ? rb * b->cap : 1))
			goto fail;
	}
	return b;
fail:
	pal_batch_free(b);
	return NULL;
}

void pal_batch_append(struct pal_batch *b, const struct pal_frame *src,
		      uint64_t row, uint64_t n)
{
	for (uint32_t i = 0; i < b->f.ncols; i++) {
		size_t rb = pal_col_rowbytes(&b->f.cols[i]);

		memcpy((char *)b->f.cols[i].data + b->f.nrows * rb,
		       (const char *)src->cols[i].data + row * rb, n * rb);
	}
	b->f.nrows += n;
}

void pal_batch_clear(struct pal_batch *b)
{
	b->f.nrows = 0;
}

void pal_batch_free(struct pal_batch *b)
{
	if (!b)
		return;
	if (b->f.cols)
		for (uint32_t i = 0; i < b->f.ncols; i++)
			free(b->f.cols[i].data);
	free(b->f.cols);
	free(b);
}
