/*
 * fuzz-stream.c: a fuzz target for the stream reader of libcommon/stream.c.
 *
 * Built two ways by the Makefile: with clang and libFuzzer (make fuzz,
 * build/fuzz/fuzz-stream), and with gcc and tests/fuzz/replay.c into a plain
 * program that make check runs over tests/fuzz/corpus/stream and
 * tests/corrupt (build/default/tests/replay-stream, or build/san/...).
 *
 * The input is read as a stream, frame by frame, and these properties are
 * checked; a failure aborts, which both drivers report as a crash:
 *
 *  - a reader of the bytes in memory and a reader of the same bytes from a
 *    file descriptor see the same frames and end the same way, with the
 *    same message;
 *  - an error has a message, and the message names an offset (but for
 *    empty input);
 *  - every element of every column can be read in place as its type (ASan
 *    and UBSan check the bounds and the alignment), and every metadata
 *    entry as a string;
 *  - a stream that reads cleanly, written again with pal_write() both
 *    stored and compressed, and with pal_write_passthrough(), reads back to
 *    the same frames;
 *  - a passed-through single-segment stream is the input byte for byte, and
 *    so is a stored rewrite of one that is canonical (uncompressed, with
 *    the smallest headers), since the format leaves a writer no choice.
 *
 * Random bytes seldom get past two crc32 checks, so each input is read a
 * second time with the checksums of its frames made valid (as far as its
 * header lengths and payload lengths let them be found), which takes the
 * fuzzer to the checks that follow them.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <zlib.h>

#include "stream.h"
#define FUZZ_NAME "fuzz-stream"
#include "fuzz.h"
#include "banned.h"

#define PAD8(n) (((n) + 7) & ~(uint64_t)7)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether two byte strings are equal (either may be empty and NULL). */
static int same(const void *a, size_t alen, const void *b, size_t blen)
{
	return alen == blen && (alen == 0 || !memcmp(a, b, alen));
}

static void sb_u64(struct sbuf *b, uint64_t v)
{
	sb_put(b, &v, sizeof(v));
}

/* A scratch file in memory, emptied for each use. */
static int scratch(int *fd)
{
	if (*fd < 0) {
		*fd = memfd_create("fuzz-stream", 0);
		if (*fd < 0) {
			FILE *fp = tmpfile();

			CHECK(fp != NULL);
			*fd = dup(fileno(fp));
			fclose(fp);
		}
		CHECK(*fd >= 0);
	}
	CHECK(ftruncate(*fd, 0) == 0);
	CHECK(lseek(*fd, 0, SEEK_SET) == 0);
	return *fd;
}

static void write_all(int fd, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n > 0) {
		ssize_t k = write(fd, c, n);

		CHECK(k > 0);
		c += k;
		n -= (size_t)k;
	}
}

/* The bytes of the file fd, from its start. */
static void slurp(int fd, struct sbuf *b)
{
	unsigned char tmp[65536];
	ssize_t k;

	b->len = 0;
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	while ((k = read(fd, tmp, sizeof(tmp))) > 0)
		sb_put(b, tmp, (size_t)k);
	CHECK(k == 0);
}

/*
 * Read every element of f in place, as its type, and every metadata entry;
 * append what the frame holds to b, so that two frames compare by their
 * flattened forms.  Returns a sum that depends on every element.
 */
static uint64_t flatten(const struct pal_frame *f, struct sbuf *b)
{
	uint64_t sum = 0;

	CHECK(f->kind == PAL_DATA || f->kind == PAL_META);
	sb_u64(b, (uint64_t)f->kind);
	sb_u64(b, f->nrows);
	if (f->kind == PAL_META) {
		CHECK(f->ncols == 0);
		for (uint32_t i = 0; i < f->nkv; i++) {
			size_t k = strlen(f->kv[i].key), v = strlen(f->kv[i].value);

			CHECK(k >= 1 && k <= PAL_MAX_KEY);
			CHECK(strchr(f->kv[i].value, '\n') == NULL);
			sb_put(b, f->kv[i].key, k + 1);
			sb_put(b, f->kv[i].value, v + 1);
		}
		return sum;
	}
	CHECK(f->ncols >= 1 && f->ncols <= PAL_MAX_COLS);
	sb_u64(b, f->ncols);
	for (uint32_t i = 0; i < f->ncols; i++) {
		const struct pal_col *c = &f->cols[i];
		size_t es = pal_dtype_size(c->dtype);
		uint64_t n = f->nrows * c->width;

		CHECK(es != 0 && pal_name_valid(c->name));
		CHECK(c->width >= 1 && c->width <= PAL_MAX_WIDTH);
		CHECK(n == 0 || (uintptr_t)c->data % es == 0);
		sb_put(b, c->name, strlen(c->name) + 1);
		sb_u64(b, (uint64_t)c->dtype);
		sb_u64(b, c->width);
		for (uint64_t k = 0; k < n; k++) {
			switch (c->dtype) {
			case PAL_U8: sum += ((const uint8_t *)c->data)[k]; break;
			case PAL_I32: sum += (uint64_t)((const int32_t *)c->data)[k]; break;
			case PAL_I64: sum += (uint64_t)((const int64_t *)c->data)[k]; break;
			case PAL_U64: sum += ((const uint64_t *)c->data)[k]; break;
			case PAL_F32: sum += ((const float *)c->data)[k] > 0; break;
			default: sum += ((const double *)c->data)[k] > 0; break;
			}
		}
		sb_put(b, c->data, n * es);
	}
	return sum;
}

/* Header bytes a writer gives f: 48, and a descriptor per column. */
static uint64_t min_header(const struct pal_frame *f)
{
	uint64_t n = PAL_MIN_HEADER;

	for (uint32_t i = 0; i < f->ncols; i++)
		n += PAL_COLDESC_FIXED + PAD8(strlen(f->cols[i].name));
	return n;
}

/* Stored bytes of f's payload when written uncompressed. */
static uint64_t raw_payload(const struct pal_frame *f)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < f->ncols; i++)
		n += PAD8(pal_col_rowbytes(&f->cols[i]) * f->nrows);
	for (uint32_t i = 0; i < f->nkv; i++)
		n += strlen(f->kv[i].key) + strlen(f->kv[i].value) + 2;
	return PAD8(n);
}

/* Read the stream in fd back: it must end cleanly and flatten to want. */
static void read_back(int fd, const struct sbuf *want, const char *what)
{
	struct pal_reader *r;
	const struct pal_frame *f;
	struct sbuf got = { 0 };
	int k;

	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	r = pal_reader_fd(fd, what);
	CHECK(r != NULL);
	while ((k = pal_read(r, &f)) > 0)
		flatten(f, &got);
	if (k < 0)
		fprintf(stderr, "fuzz-stream: %s: %s\n", what,
			pal_reader_error(r)->msg);
	CHECK(k == 0);
	CHECK(same(got.p, got.len, want->p, want->len));
	free(got.p);
	pal_reader_free(r);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> 8 * i);
}

/*
 * Make the payload crc and the header crc of each frame of p valid, walking
 * frames by header_len and stored_len until one does not fit.  Returns
 * whether anything changed.
 */
static int fix_crcs(unsigned char *p, size_t len)
{
	size_t off = 0;
	int changed = 0;

	while (len - off >= PAL_FIXED_HEADER) {
		unsigned char *h = p + off;
		uint32_t hlen = get32(h + 8), crc;
		uint64_t stored = (uint64_t)get32(h + 32) |
				  (uint64_t)get32(h + 36) << 32;
		int whole;

		if (hlen < PAL_MIN_HEADER || hlen % 8 || hlen > len - off)
			break;
		whole = stored <= len - off - hlen &&
			PAD8(stored) <= len - off - hlen;
		if (whole) {
			crc = (uint32_t)crc32_z(0, h + hlen, (size_t)PAD8(stored));
			changed |= get32(h + 40) != crc;
			put32(h + 40, crc);
		}
		crc = (uint32_t)crc32_z(0, h, hlen - 4);
		changed |= get32(h + hlen - 4) != crc;
		put32(h + hlen - 4, crc);
		if (!whole)
			break;
		off += hlen + (size_t)PAD8(stored);
	}
	return changed;
}

static void check_stream(const uint8_t *data, size_t size)
{
	static int in_fd = -1, out_fd[3] = { -1, -1, -1 };
	struct pal_reader *rm, *rf;
	struct pal_writer *w[3];
	struct sbuf flat = { 0 }, other = { 0 }, bytes = { 0 };
	uint64_t end = 0;		/* where the last frame read ended */
	int contiguous = 1, canonical = 1, km, kf;
	volatile uint64_t sink = 0;

	scratch(&in_fd);
	write_all(in_fd, data, size);
	CHECK(lseek(in_fd, 0, SEEK_SET) == 0);
	rm = pal_reader_mem(data, size, "fuzz");
	rf = pal_reader_fd(in_fd, "fuzz");
	w[0] = pal_writer_fd(scratch(&out_fd[0]), "stored", 0);
	w[1] = pal_writer_fd(scratch(&out_fd[1]), "compressed", 6);
	w[2] = pal_writer_fd(scratch(&out_fd[2]), "passthrough", PAL_LEVEL_KEEP);
	CHECK(rm && rf && w[0] && w[1] && w[2]);

	for (;;) {
		const struct pal_frame *fm, *ff;
		size_t before;

		km = pal_read(rm, &fm);
		kf = pal_read(rf, &ff);
		CHECK(km == kf);
		if (km <= 0)
			break;
		before = flat.len;
		other.len = 0;
		sink += flatten(fm, &flat);
		flatten(ff, &other);
		CHECK(same(flat.p + before, flat.len - before, other.p, other.len));
		CHECK(fm->offset == ff->offset && fm->index == ff->index &&
		      fm->codec == ff->codec &&
		      fm->stored_bytes == ff->stored_bytes);
		CHECK(pal_reader_offset(rm) == fm->offset + fm->stored_bytes);

		if (fm->offset != end)
			contiguous = 0;	/* an end frame came between */
		end = fm->offset + fm->stored_bytes;
		if (fm->codec != PAL_CODEC_NONE ||
		    fm->stored_bytes != min_header(fm) + raw_payload(fm))
			canonical = 0;

		CHECK(pal_write(w[0], fm) == 0);
		CHECK(pal_write(w[1], fm) == 0);
		CHECK(pal_write_passthrough(w[2], rm, fm) == 0);
	}
	CHECK(pal_reader_offset(rm) == pal_reader_offset(rf));
	if (km < 0) {
		const struct pal_error *em = pal_reader_error(rm);
		const struct pal_error *ef = pal_reader_error(rf);

		CHECK(em->kind != PAL_ERR_NONE && em->msg[0] != '\0');
		CHECK(em->kind == ef->kind && em->offset == ef->offset);
		CHECK(!strcmp(em->msg, ef->msg));
		CHECK(size == 0 || strstr(em->msg, "offset") != NULL);
		CHECK(em->offset <= size);
		CHECK(pal_read(rm, &(const struct pal_frame *){ NULL }) == -1);
	} else {
		/* A clean end: the writers' streams read back the same. */
		for (int i = 0; i < 3; i++)
			CHECK(pal_writer_finish(w[i]) == 0);
		read_back(out_fd[0], &flat, "stored");
		read_back(out_fd[1], &flat, "compressed");
		read_back(out_fd[2], &flat, "passthrough");
		/* One segment: the frames, then one end frame of 48 bytes. */
		if (contiguous && size == end + PAL_MIN_HEADER) {
			slurp(out_fd[2], &bytes);
			CHECK(same(bytes.p, bytes.len, data, size));
			if (canonical) {
				slurp(out_fd[0], &bytes);
				CHECK(same(bytes.p, bytes.len, data, size));
			}
		}
	}
	for (int i = 0; i < 3; i++)
		pal_writer_free(w[i]);
	pal_reader_free(rm);
	pal_reader_free(rf);
	free(flat.p);
	free(other.p);
	free(bytes.p);
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *fixed;

	check_stream(data, size);
	if (size < PAL_FIXED_HEADER)
		return 0;
	fixed = malloc(size);
	CHECK(fixed != NULL);
	memcpy(fixed, data, size);
	if (fix_crcs(fixed, size))
		check_stream(fixed, size);
	free(fixed);
	return 0;
}
