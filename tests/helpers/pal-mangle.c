/*
 * pal-mangle: damage a pal stream on purpose, for the tests of bad input.
 *
 *	pal-mangle [--frames] file [op ...]
 *	pal-mangle --every trunc|xor=V prefix file
 *
 * Reads file ("-": standard input) whole, applies the ops from left to
 * right and writes the result to standard output; with --frames it prints
 * the frame table of the result instead, one line per frame:
 *
 *	offset kind codec header_len ncols nrows raw_len stored_len
 *
 * (kind as a letter, or "?"), walking frames by their header_len and
 * stored_len without checking anything else, and stopping at the first
 * header that does not fit.  The ops:
 *
 *	trunc N		keep the first N bytes
 *	set OFF V	set byte OFF to V
 *	xor OFF V	xor byte OFF with V
 *	set32 OFF V	set the little-endian 32-bit field at OFF to V
 *	set64 OFF V	set the little-endian 64-bit field at OFF to V
 *	delete OFF LEN	remove LEN bytes at OFF
 *	insert OFF TEXT	insert the bytes of TEXT at OFF
 *	hcrc F		recompute the header crc of the frame at F (from its
 *			header_len)
 *	pcrc F		recompute the payload crc of the frame at F (its
 *			stored_len bytes and their padding), then its header crc
 *	rows F N	give the data frame at F N rows: nrows, raw_len, the
 *			column offsets and, for codec 0, stored_len agree with
 *			N (modulo 2^64); then its header crc.  The payload
 *			bytes are left as they are.
 *	meta NKV TEXT	append a metadata frame of nrows NKV whose payload is
 *			TEXT, stored as is, with valid checksums
 *	zmeta NKV RAWLEN TEXT
 *			the same with TEXT compressed by zlib (codec 1) and
 *			raw_len RAWLEN ("-": the length of TEXT)
 *	end NROWS	append an end frame of NROWS rows
 *	append FILE	append the bytes of FILE
 *
 * --every writes one damaged copy of file per byte offset N, to the file
 * prefix.N: with trunc, its first N bytes for N from 1 to its length - 1;
 * with xor=V, file with byte N xored with V for every N.  One process
 * instead of hundreds, for the tests that damage a stream everywhere.
 *
 * Numbers are decimal, hexadecimal with 0x, or a power of two written 2^K.
 * TEXT takes the escapes \n, \t, \\, \0 and \xHH.  Offsets are checked
 * against the current length; a bad op is a usage error (exit 2).
 *
 * This is a test helper: it does what it is told, even when that makes no
 * sense, and knows the layout only as far as pal-stream(5) spells it out.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "err.h"
#include "num.h"
#include "stream.h"
#include "banned.h"

#define PAD8(n) (((n) + 7) & ~(uint64_t)7)

static unsigned char *buf;
static size_t len, cap;

static void reserve(size_t n)
{
	if (n <= cap)
		return;
	while (cap < n)
		cap = cap ? cap * 2 : 4096;
	buf = realloc(buf, cap);
	if (!buf)
		die("out of memory");
}

static void append(const void *p, size_t n)
{
	if (n == 0)
		return;
	reserve(len + n);
	memcpy(buf + len, p, n);
	len += n;
}

static void slurp(const char *path)
{
	int fd = strcmp(path, "-") ? open(path, O_RDONLY) : 0;
	char tmp[65536];
	ssize_t k;

	if (fd < 0)
		die_errno("cannot open '%s'", path);
	while ((k = read(fd, tmp, sizeof(tmp))) != 0) {
		if (k < 0)
			die_errno("read error (%s)", path);
		append(tmp, (size_t)k);
	}
	if (fd != 0)
		close(fd);
}

static uint64_t number(const char *s)
{
	const char *errstr;
	uint64_t v;

	if (s[0] == '2' && s[1] == '^') {
		v = parse_u64(s + 2, 0, 63, &errstr);
		if (errstr)
			usage_die("bad power of two '%s': %s", s, errstr);
		return (uint64_t)1 << v;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && s[2]) {
		v = 0;
		for (const char *p = s + 2; *p; p++) {
			int d = *p >= '0' && *p <= '9' ? *p - '0' :
				*p >= 'a' && *p <= 'f' ? *p - 'a' + 10 :
				*p >= 'A' && *p <= 'F' ? *p - 'A' + 10 : -1;

			if (d < 0 || v >> 60)
				usage_die("bad hexadecimal number '%s'", s);
			v = v << 4 | (uint64_t)d;
		}
		return v;
	}
	v = parse_u64(s, 0, UINT64_MAX, &errstr);
	if (errstr)
		usage_die("bad number '%s': %s", s, errstr);
	return v;
}

/* An offset at which n bytes lie inside the buffer. */
static size_t offset(const char *s, size_t n)
{
	uint64_t v = number(s);

	if (v > len || len - v < n)
		usage_die("offset %s (+%zu bytes) is beyond the %zu bytes of "
			  "the stream", s, n, len);
	return (size_t)v;
}

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
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> 8 * i);
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> 8 * i);
}

static uint32_t crc(const unsigned char *p, size_t n)
{
	return (uint32_t)crc32_z(0, p, n);
}

/* The header length of the frame at f, checked to lie in the buffer. */
static size_t header_len(size_t f)
{
	uint32_t hlen = get32(buf + f + 8);

	if (hlen < 8 || hlen > len - f)
		usage_die("frame at %zu: header_len %" PRIu32 " does not fit",
			  f, hlen);
	return hlen;
}

static void hcrc(size_t f)
{
	size_t hlen = header_len(f);

	put32(buf + f + hlen - 4, crc(buf + f, hlen - 4));
}

static void pcrc(size_t f)
{
	size_t hlen = header_len(f);
	uint64_t padded = PAD8(get64(buf + f + 32));

	if (padded > len - f - hlen)
		usage_die("frame at %zu: payload of %" PRIu64 " bytes does not "
			  "fit", f, padded);
	put32(buf + f + 40, crc(buf + f + hlen, (size_t)padded));
	hcrc(f);
}

static void rows(size_t f, uint64_t n)
{
	size_t hlen = header_len(f), pos = PAL_FIXED_HEADER;
	uint32_t ncols = get32(buf + f + 12);
	uint64_t off = 0;

	if (hlen < PAL_MIN_HEADER)
		usage_die("frame at %zu: header_len %zu is too small", f, hlen);
	for (uint32_t i = 0; i < ncols; i++) {
		unsigned char *d = buf + f + pos;
		uint64_t size = pal_dtype_size(d[0]);

		if (pos + PAL_COLDESC_FIXED + PAD8(d[1]) > hlen - 4 || !size)
			usage_die("frame at %zu: column %" PRIu32 " is not "
				  "one rows can handle", f, i);
		put64(d + 8, off);
		off += PAD8(size * get32(d + 4) * n);
		pos += PAL_COLDESC_FIXED + PAD8(d[1]);
	}
	put64(buf + f + 16, n);
	put64(buf + f + 24, off);
	if (buf[f + 6] == PAL_CODEC_NONE)
		put64(buf + f + 32, off);
	hcrc(f);
}

/* Decode the escapes of TEXT into *out; returns its length. */
static size_t unescape(const char *s, unsigned char **out)
{
	unsigned char *p = malloc(strlen(s) + 1);
	size_t n = 0;

	if (!p)
		die("out of memory");
	while (*s) {
		if (*s != '\\') {
			p[n++] = (unsigned char)*s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'n': p[n++] = '\n'; s++; break;
		case 't': p[n++] = '\t'; s++; break;
		case '0': p[n++] = '\0'; s++; break;
		case '\\': p[n++] = '\\'; s++; break;
		case 'x': {
			char hex[5] = { '0', 'x', 0, 0, 0 };

			if (!s[1] || !s[2])
				usage_die("\\x needs two hexadecimal digits");
			hex[2] = s[1];
			hex[3] = s[2];
			p[n++] = (unsigned char)number(hex);
			s += 3;
			break;
		}
		default:
			usage_die("unknown escape '\\%c'", *s ? *s : '0');
		}
	}
	*out = p;
	return n;
}

/* Append a frame without columns: kind, codec, fields and payload. */
static void append_frame(int kind, int codec, uint64_t nrows, uint64_t raw_len,
			 const unsigned char *pay, size_t stored)
{
	unsigned char h[PAL_MIN_HEADER] = { 0 };
	static const unsigned char zeros[8];
	size_t pad = (size_t)PAD8(stored) - stored;
	uint32_t pc = crc(pay, stored);

	pc = (uint32_t)crc32_z(pc, zeros, pad);
	memcpy(h, PAL_MAGIC, 4);
	h[4] = PAL_FORMAT_VERSION;
	h[5] = (unsigned char)kind;
	h[6] = (unsigned char)codec;
	put32(h + 8, sizeof(h));
	put64(h + 16, nrows);
	put64(h + 24, raw_len);
	put64(h + 32, stored);
	put32(h + 40, pc);
	put32(h + sizeof(h) - 4, crc(h, sizeof(h) - 4));
	append(h, sizeof(h));
	append(pay, stored);
	append(zeros, pad);
}

static void meta(const char *nkv, const char *rawlen, const char *text,
		 int codec)
{
	unsigned char *t, *z = NULL;
	size_t n = unescape(text, &t);
	uLongf zn = compressBound(n);

	if (codec == PAL_CODEC_NONE) {
		append_frame(PAL_META, codec, number(nkv), n, t, n);
	} else {
		z = malloc(zn);
		if (!z || compress2(z, &zn, t, n, 9) != Z_OK)
			die("compression failed");
		append_frame(PAL_META, codec, number(nkv),
			     strcmp(rawlen, "-") ? number(rawlen) : n, z, zn);
	}
	free(t);
	free(z);
}

static void write_file(const char *path, const unsigned char *p, size_t n)
{
	FILE *fp = fopen(path, "wb");

	if (!fp)
		die_errno("cannot create '%s'", path);
	if (n && fwrite(p, 1, n, fp) != n)
		die_errno("write error (%s)", path);
	if (fclose(fp))
		die_errno("write error (%s)", path);
}

static void every(const char *how, const char *prefix)
{
	char path[4096];
	int xor = !strncmp(how, "xor=", 4);
	unsigned char v = 0;

	if (xor) {
		uint64_t x = number(how + 4);

		if (x == 0 || x > 255)
			usage_die("--every: %s is not in 1..255", how + 4);
		v = (unsigned char)x;
	} else if (strcmp(how, "trunc")) {
		usage_die("--every: use trunc or xor=V, not '%s'", how);
	}
	for (size_t n = xor ? 0 : 1; n < len; n++) {
		if ((size_t)snprintf(path, sizeof(path), "%s.%zu", prefix, n) >=
		    sizeof(path))
			usage_die("--every: prefix too long");
		if (xor)
			buf[n] ^= v;
		write_file(path, buf, xor ? len : n);
		if (xor)
			buf[n] ^= v;
	}
}

static void frames(void)
{
	size_t f = 0;

	while (len - f >= PAL_FIXED_HEADER) {
		const unsigned char *h = buf + f;
		uint32_t hlen = get32(h + 8);
		uint64_t stored = get64(h + 32);
		int kind = h[5];

		printf("%zu %c %d %" PRIu32 " %" PRIu32 " %" PRIu64 " %" PRIu64
		       " %" PRIu64 "\n", f,
		       kind == PAL_DATA || kind == PAL_META || kind == PAL_END ?
		       kind : '?', h[6], hlen, get32(h + 12), get64(h + 16),
		       get64(h + 24), stored);
		if (hlen < PAL_MIN_HEADER || hlen > len - f ||
		    PAD8(stored) > len - f - hlen)
			break;
		f += hlen + (size_t)PAD8(stored);
	}
}

/* Apply the op at argv[0]; returns the number of arguments it took. */
static int apply(int argc, char **argv)
{
	const char *op = argv[0];
	static const struct { const char *name; int nargs; } ops[] = {
		{ "trunc", 1 }, { "set", 2 }, { "xor", 2 }, { "set32", 2 },
		{ "set64", 2 }, { "delete", 2 }, { "insert", 2 }, { "hcrc", 1 },
		{ "pcrc", 1 }, { "rows", 2 }, { "meta", 2 }, { "zmeta", 3 },
		{ "end", 1 }, { "append", 1 },
	};
	int nargs = -1;
	size_t o;

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(op, ops[i].name))
			nargs = ops[i].nargs;
	if (nargs < 0)
		usage_die("unknown op '%s'", op);
	if (argc - 1 < nargs)
		usage_die("%s takes %d arguments", op, nargs);
	if (!strcmp(op, "trunc")) {
		len = offset(argv[1], 0);
	} else if (!strcmp(op, "set") || !strcmp(op, "xor")) {
		uint64_t v = number(argv[2]);

		o = offset(argv[1], 1);
		if (v > 255)
			usage_die("byte value %s is not in 0..255", argv[2]);
		buf[o] = op[0] == 's' ? (unsigned char)v : buf[o] ^ (unsigned char)v;
	} else if (!strcmp(op, "set32")) {
		uint64_t v = number(argv[2]);

		if (v > UINT32_MAX)
			usage_die("%s does not fit 32 bits", argv[2]);
		put32(buf + offset(argv[1], 4), (uint32_t)v);
	} else if (!strcmp(op, "set64")) {
		put64(buf + offset(argv[1], 8), number(argv[2]));
	} else if (!strcmp(op, "delete")) {
		uint64_t n = number(argv[2]);

		o = offset(argv[1], 0);
		if (n > len - o)
			usage_die("delete: %s bytes at %zu go past the end", argv[2], o);
		if (n > 0)
			memmove(buf + o, buf + o + n, len - o - (size_t)n);
		len -= (size_t)n;
	} else if (!strcmp(op, "insert")) {
		unsigned char *t;
		size_t n = unescape(argv[2], &t);

		o = offset(argv[1], 0);
		if (n > 0) {
			reserve(len + n);
			memmove(buf + o + n, buf + o, len - o);
			memcpy(buf + o, t, n);
			len += n;
		}
		free(t);
	} else if (!strcmp(op, "hcrc")) {
		hcrc(offset(argv[1], PAL_FIXED_HEADER));
	} else if (!strcmp(op, "pcrc")) {
		pcrc(offset(argv[1], PAL_FIXED_HEADER));
	} else if (!strcmp(op, "rows")) {
		rows(offset(argv[1], PAL_FIXED_HEADER), number(argv[2]));
	} else if (!strcmp(op, "meta")) {
		meta(argv[1], "-", argv[2], PAL_CODEC_NONE);
	} else if (!strcmp(op, "zmeta")) {
		meta(argv[1], argv[2], argv[3], PAL_CODEC_ZLIB);
	} else if (!strcmp(op, "end")) {
		append_frame(PAL_END, PAL_CODEC_NONE, number(argv[1]), 0, NULL, 0);
	} else {
		slurp(argv[1]);
	}
	return nargs + 1;
}

int main(int argc, char **argv)
{
	int list = 0;

	pal_init("pal-mangle");
	if (argc > 1 && !strcmp(argv[1], "--help")) {
		puts("usage: pal-mangle [--frames] file [op ...]\n"
		     "       pal-mangle --every trunc|xor=V prefix file\n"
		     "(the ops are listed in tests/helpers/pal-mangle.c)");
		return fflush(stdout) ? 1 : 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--every")) {
		if (argc != 5)
			usage_die("usage: pal-mangle --every trunc|xor=V prefix file");
		slurp(argv[4]);
		every(argv[2], argv[3]);
		free(buf);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--frames")) {
		list = 1;
		argc--;
		argv++;
	}
	if (argc < 2)
		usage_die("usage: pal-mangle [--frames] file [op ...]");
	slurp(argv[1]);
	for (int i = 2; i < argc; )
		i += apply(argc - i, argv + i);
	if (list) {
		frames();
	} else {
		for (size_t done = 0; done < len; ) {
			ssize_t k = write(1, buf + done, len - done);

			if (k < 0)
				die_errno("write error (stdout)");
			done += (size_t)k;
		}
	}
	if (fflush(stdout) || ferror(stdout) || fclose(stdout))
		die_errno("write error (stdout)");
	free(buf);
	return 0;
}
