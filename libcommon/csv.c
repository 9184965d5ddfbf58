/*
 * csv.c: CSV and TSV conversion; see csv.h for the convention.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "num.h"
#include "banned.h"

struct field {
	uint32_t col;			/* column of the frame */
	uint32_t elem;			/* element within the row */
};

struct csv_reader {
	FILE *fp;
	char name[256];
	int sep;
	struct pal_col cols[PAL_MAX_COLS];
	uint32_t ncols;
	char **labels;			/* header fields, for messages */
	struct field *fields;		/* where each CSV field goes */
	uint32_t nfields;
	int auto_id;			/* cols[0] is an id we number */
	uint64_t next_id;
	char *line;
	size_t linecap;
	char **parts;
	uint64_t lineno;
};

static void csv_error(struct pal_error *e, uint64_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void csv_error(struct pal_error *e, uint64_t line, const char *fmt, ...)
{
	va_list ap;

	e->kind = PAL_ERR_CORRUPT;
	e->offset = line;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

/* Read the next line that is neither empty nor a comment; NULL at EOF. */
static char *next_line(struct csv_reader *cr)
{
	ssize_t n;

	while ((n = getline(&cr->line, &cr->linecap, cr->fp)) >= 0) {
		char *s = cr->line;

		cr->lineno++;
		while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
			s[--n] = '\0';
		while (*s == ' ' || (*s == '\t' && cr->sep != '\t'))
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		return cr->line;
	}
	return NULL;
}

/*
 * Split s at sep into at most max parts, trimming blanks and quotes.
 * Returns the number of parts, or max + 1 if there are more.
 */
static uint32_t split(char *s, int sep, char **parts, uint32_t max)
{
	uint32_t n = 0;

	for (;;) {
		char *end = strchr(s, sep), *e;

		if (end)
			*end = '\0';
		if (n == max)
			return max + 1;
		while (*s == ' ' || (*s == '\t' && sep != '\t'))
			s++;
		e = s + strlen(s);
		while (e > s && (e[-1] == ' ' || (e[-1] == '\t' && sep != '\t')))
			*--e = '\0';
		if (e - s >= 2 && *s == '"' && e[-1] == '"') {
			e[-1] = '\0';
			s++;
		}
		parts[n++] = s;
		if (!end)
			return n;
		s = end + 1;
	}
}

/* Split "x.12" into base "x" and index 12; index -1 if there is no suffix. */
static long split_label(const char *label, char *base, size_t cap)
{
	const char *dot = strrchr(label, '.');
	const char *errstr;
	long idx = -1;
	size_t n = strlen(label);

	if (dot && dot[1]) {
		idx = (long)parse_u64(dot + 1, 0, PAL_MAX_WIDTH - 1, &errstr);
		if (errstr || (dot[1] == '0' && dot[2]))
			idx = -2;
		else
			n = (size_t)(dot - label);
	}
	if (n >= cap)
		n = cap - 1;
	memcpy(base, label, n);
	base[n] = '\0';
	return idx;
}

static int default_dtype(const char *name, const struct csv_type *types,
			 size_t ntypes)
{
	for (size_t i = 0; i < ntypes; i++)
		if (!strcmp(types[i].name, name))
			return types[i].dtype;
	/* The integer columns that pal's own programs write. */
	static const char *const u64s[] = { "id", "parent", "walker", "step" };
	static const char *const i32s[] = { "status", "rank" };

	for (size_t i = 0; i < sizeof(u64s) / sizeof(u64s[0]); i++)
		if (!strcmp(name, u64s[i]))
			return PAL_U64;
	for (size_t i = 0; i < sizeof(i32s) / sizeof(i32s[0]); i++)
		if (!strcmp(name, i32s[i]))
			return PAL_I32;
	return PAL_F64;
}

struct csv_reader *csv_reader_open(FILE *fp, const char *name, int sep,
				   const struct csv_type *types, size_t ntypes,
				   struct pal_error *err)
{
	struct csv_reader *cr = calloc(1, sizeof(*cr));
	char base[PAL_NAME_MAX + 2];
	uint32_t max = PAL_MAX_COLS * 64;
	int indexed = 0;		/* last column came as "name.0" */
	char *h;

	if (!cr)
		goto nomem;
	cr->fp = fp;
	cr->sep = sep;
	snprintf(cr->name, sizeof(cr->name), "%s",
		 !name || !strcmp(name, "-") ? "stdin" : name);
	cr->parts = calloc(max + 1, sizeof(*cr->parts));
	if (!cr->parts)
		goto nomem;
	h = next_line(cr);
	if (!h) {
		csv_error(err, 0, "no header line (%s)", cr->name);
		goto fail;
	}
	cr->nfields = split(h, sep, cr->parts, max);
	if (cr->nfields > max) {
		csv_error(err, cr->lineno, "more than %" PRIu32 " fields in "
			  "the header (%s: line %" PRIu64 ")", max, cr->name,
			  cr->lineno);
		goto fail;
	}
	cr->labels = calloc(cr->nfields, sizeof(*cr->labels));
	cr->fields = calloc(cr->nfields, sizeof(*cr->fields));
	if (!cr->labels || !cr->fields)
		goto nomem;
	for (uint32_t i = 0; i < cr->nfields; i++) {
		const char *label = cr->parts[i];
		long idx = split_label(label, base, sizeof(base));
		struct pal_col *c = cr->ncols ? &cr->cols[cr->ncols - 1] : NULL;

		cr->labels[i] = strdup(label);
		if (!cr->labels[i])
			goto nomem;
		if (!pal_name_valid(base) || idx == -2) {
			csv_error(err, cr->lineno, "invalid column name '%.64s' "
				  "(%s: line %" PRIu64 ", field %" PRIu32 ")",
				  label, cr->name, cr->lineno, i + 1);
			goto fail;
		}
		if (c && idx > 0 && indexed && !strcmp(c->name, base) &&
		    (long)c->width == idx) {
			c->width++;
		} else if (idx > 0) {
			csv_error(err, cr->lineno, "column '%s' does not follow "
				  "'%s.%ld' (%s: line %" PRIu64 ")", label, base,
				  idx - 1, cr->name, cr->lineno);
			goto fail;
		} else {
			for (uint32_t j = 0; j < cr->ncols; j++)
				if (!strcmp(cr->cols[j].name, base)) {
					csv_error(err, cr->lineno, "duplicate "
						  "column '%s' (%s: line %"
						  PRIu64 ")", base, cr->name,
						  cr->lineno);
					goto fail;
				}
			if (cr->ncols == PAL_MAX_COLS) {
				csv_error(err, cr->lineno, "more than %u "
					  "columns (%s)", PAL_MAX_COLS,
					  cr->name);
				goto fail;
			}
			c = &cr->cols[cr->ncols++];
			indexed = idx == 0;
			memcpy(c->name, base, strlen(base) + 1);
			c->width = 1;
			c->dtype = default_dtype(base, types, ntypes);
		}
		cr->fields[i].col = cr->ncols - 1;
		cr->fields[i].elem = c->width - 1;
	}
	for (size_t t = 0; t < ntypes; t++) {
		int found = 0;

		for (uint32_t j = 0; j < cr->ncols; j++)
			found |= !strcmp(cr->cols[j].name, types[t].name);
		if (!found) {
			csv_error(err, cr->lineno, "no column '%s' to give a "
				  "type (%s: header)", types[t].name, cr->name);
			goto fail;
		}
	}
	for (uint32_t j = 0; j < cr->ncols; j++)
		if (!strcmp(cr->cols[j].name, "id") && cr->cols[j].width != 1) {
			csv_error(err, cr->lineno, "column 'id' has width %"
				  PRIu32 ", not 1 (%s: header)",
				  cr->cols[j].width, cr->name);
			goto fail;
		}
	if (pal_col_index(&(struct pal_frame){ .ncols = cr->ncols,
					       .cols = cr->cols }, "id") < 0) {
		if (cr->ncols == PAL_MAX_COLS) {
			csv_error(err, 0, "no room for an 'id' column (%s)",
				  cr->name);
			goto fail;
		}
		memmove(cr->cols + 1, cr->cols, cr->ncols * sizeof(*cr->cols));
		memset(&cr->cols[0], 0, sizeof(cr->cols[0]));
		memcpy(cr->cols[0].name, "id", 3);
		cr->cols[0].dtype = PAL_U64;
		cr->cols[0].width = 1;
		cr->ncols++;
		cr->auto_id = 1;
		for (uint32_t i = 0; i < cr->nfields; i++)
			cr->fields[i].col++;
	}
	return cr;
nomem:
	csv_error(err, 0, "out of memory reading a CSV header");
fail:
	csv_reader_free(cr);
	return NULL;
}

const struct pal_col *csv_schema(const struct csv_reader *cr, uint32_t *ncols)
{
	*ncols = cr->ncols;
	return cr->cols;
}

uint64_t csv_next_id(const struct csv_reader *cr)
{
	return cr->next_id;
}

void csv_set_next_id(struct csv_reader *cr, uint64_t id)
{
	cr->next_id = id;
}

void csv_reader_free(struct csv_reader *cr)
{
	if (!cr)
		return;
	if (cr->labels)
		for (uint32_t i = 0; i < cr->nfields; i++)
			free(cr->labels[i]);
	free(cr->labels);
	free(cr->fields);
	free(cr->parts);
	free(cr->line);
	free(cr);
}

/* Parse text s as an element of dtype into dst; NULL or the reason. */
static const char *parse_elem(const char *s, int dtype, void *dst)
{
	const char *errstr = NULL;

	switch (dtype) {
	case PAL_U8:
		*(uint8_t *)dst = (uint8_t)parse_u64(s, 0, UINT8_MAX, &errstr);
		break;
	case PAL_I32:
		*(int32_t *)dst = (int32_t)parse_i64(s, INT32_MIN, INT32_MAX,
						     &errstr);
		break;
	case PAL_I64:
		*(int64_t *)dst = parse_i64(s, INT64_MIN, INT64_MAX, &errstr);
		break;
	case PAL_U64:
		*(uint64_t *)dst = parse_u64(s, 0, UINT64_MAX, &errstr);
		break;
	case PAL_F32: {
		double d = parse_double(s, &errstr);
		float f = (float)d;

		/* The same promise as for f64: no number silently becomes
		 * infinity or 0 on its way into a float. */
		if (!errstr && isinf(f) && !isinf(d))
			errstr = pal_num_overflow;
		else if (!errstr && f == 0 && d != 0)
			errstr = pal_num_underflow;
		*(float *)dst = errstr ? 0 : f;
		break;
	}
	case PAL_F64:
		*(double *)dst = parse_double(s, &errstr);
		break;
	}
	return errstr;
}

int64_t csv_read(struct csv_reader *cr, struct pal_batch *b,
		 struct pal_error *err)
{
	int64_t n = 0;

	while (b->f.nrows < b->cap) {
		uint64_t row = b->f.nrows;
		char *line = next_line(cr);
		uint32_t k;

		if (!line) {
			if (ferror(cr->fp)) {
				csv_error(err, cr->lineno, "read error (%s: "
					  "after line %" PRIu64 ")", cr->name,
					  cr->lineno);
				err->kind = PAL_ERR_IO;
				return -1;
			}
			break;
		}
		k = split(line, cr->sep, cr->parts, cr->nfields);
		if (k != cr->nfields) {
			csv_error(err, cr->lineno, "%s fields, the header has %"
				  PRIu32 " (%s: line %" PRIu64 ")",
				  k > cr->nfields ? "more" : "fewer",
				  cr->nfields, cr->name, cr->lineno);
			return -1;
		}
		for (uint32_t i = 0; i < k; i++) {
			const struct field *fd = &cr->fields[i];
			struct pal_col *c = &b->f.cols[fd->col];
			size_t es = pal_dtype_size(c->dtype);
			char *dst = (char *)c->data +
				    (row * c->width + fd->elem) * es;
			const char *why = parse_elem(cr->parts[i], c->dtype, dst);

			if (why) {
				csv_error(err, cr->lineno, "bad %s value '%.40s' "
					  "in column '%s': %s (%s: line %"
					  PRIu64 ")", pal_dtype_name(c->dtype),
					  cr->parts[i], cr->labels[i], why,
					  cr->name, cr->lineno);
				return -1;
			}
		}
		if (cr->auto_id)
			((uint64_t *)b->f.cols[0].data)[row] = cr->next_id++;
		b->f.nrows++;
		n++;
	}
	return n;
}

int csv_write_header(FILE *fp, const struct pal_frame *f, int sep)
{
	for (uint32_t i = 0; i < f->ncols; i++) {
		const struct pal_col *c = &f->cols[i];

		if (c->width == 1) {
			fprintf(fp, "%s%s", i ? (sep == '\t' ? "\t" : ",") : "",
				c->name);
			continue;
		}
		for (uint32_t k = 0; k < c->width; k++)
			fprintf(fp, "%s%s.%" PRIu32,
				i || k ? (sep == '\t' ? "\t" : ",") : "",
				c->name, k);
	}
	fputc('\n', fp);
	return ferror(fp) ? -1 : 0;
}

/* 10^-k for k = 0..22: decimal literals, correctly rounded. */
static const double pow10_neg[23] = {
	1e0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10,
	1e-11, 1e-12, 1e-13, 1e-14, 1e-15, 1e-16, 1e-17, 1e-18, 1e-19, 1e-20,
	1e-21, 1e-22,
};

int csv_format_double_ref(char *buf, double v)
{
	int n = 0;

	for (int prec = 15; prec <= 17; prec++) {
		n = snprintf(buf, CSV_DOUBLE_MAX, "%.*g", prec, v);
		if (strtod(buf, NULL) == v || v != v)
			break;
	}
	return n;
}

/*
 * Write the p digits dig[0..p) (dig[0] != 0) with decimal exponent x as
 * printf's %.{p}g would: fixed notation when -4 <= x < p, else d.ddde+XX,
 * trailing zeros of the fraction dropped, and the point with them.
 */
static int format_g(char *buf, int neg, const char *dig, int p, int x)
{
	int n = 0, last = p;

	while (last > 1 && dig[last - 1] == '0')
		last--;			/* digits that survive the stripping */
	if (neg)
		buf[n++] = '-';
	if (x < -4 || x >= p) {
		int ax = x < 0 ? -x : x;

		buf[n++] = dig[0];
		if (last > 1) {
			buf[n++] = '.';
			memcpy(buf + n, dig + 1, (size_t)(last - 1));
			n += last - 1;
		}
		buf[n++] = 'e';
		buf[n++] = x < 0 ? '-' : '+';
		if (ax >= 100)
			buf[n++] = (char)('0' + ax / 100);
		buf[n++] = (char)('0' + ax / 10 % 10);
		buf[n++] = (char)('0' + ax % 10);
	} else if (x >= 0) {
		memcpy(buf + n, dig, (size_t)x + 1);	/* x + 1 <= p */
		n += x + 1;
		if (last > x + 1) {
			buf[n++] = '.';
			memcpy(buf + n, dig + x + 1, (size_t)(last - x - 1));
			n += last - x - 1;
		}
	} else {
		buf[n++] = '0';
		buf[n++] = '.';
		for (int i = 0; i < -x - 1; i++)
			buf[n++] = '0';
		memcpy(buf + n, dig, (size_t)last);
		n += last;
	}
	buf[n] = '\0';
	return n;
}

/*
 * The 17 significant digits of |v| correctly rounded (to nearest, ties to
 * even, as printf's %.16e) and the decimal exponent x of the result, with
 * 128-bit integers: v = m 2^e exactly (m < 2^53), so v 10^k = m 5^k
 * 2^(e+k), with k = 16 - x; for 0 <= k <= 22, m 5^k < 2^105 and the
 * rounding is a shift with its exact remainder.  Returns 0 (and leaves
 * the work to printf) outside 10^-6 <= |v| < 10^17.
 */
static int digits17(double v, char *dig, int *xp)
{
	static const uint64_t pow5[23] = {
		1ull, 5ull, 25ull, 125ull, 625ull, 3125ull, 15625ull,
		78125ull, 390625ull, 1953125ull, 9765625ull, 48828125ull,
		244140625ull, 1220703125ull, 6103515625ull, 30517578125ull,
		152587890625ull, 762939453125ull, 3814697265625ull,
		19073486328125ull, 95367431640625ull, 476837158203125ull,
		2384185791015625ull,
	};
	const uint64_t lo17 = 10000000000000000ull, hi17 = 10 * lo17;
	double a = fabs(v);
	int e, x, k, s;
	uint64_t m, q, bits;
	unsigned __int128 p;

	if (!(a >= 1e-6 && a < 1e17))
		return 0;
	memcpy(&bits, &a, sizeof(bits));	/* normal: 1.f 2^(E - 1023) */
	m = (bits & ((1ull << 52) - 1)) | 1ull << 52;
	e = (int)(bits >> 52) - 1075;
	/* log10 of 2^(e + 52) <= a < 2^(e + 53), floored: x or x - 1. */
	x = (int)floor((e + 52) * 0.30102999566398120);
	for (int tries = 0; ; tries++) {
		k = 16 - x;
		if (k < 0 || k > 22 || tries > 2)
			return 0;
		p = (unsigned __int128)m * pow5[k];
		s = -(e + k);
		q = s <= 0 ? (uint64_t)(p << -s) : (uint64_t)(p >> s);
		if (s > 0 && (p >> s) >> 64)
			q = hi17;	/* far too large */
		if (q >= hi17)
			x++;
		else if (q < lo17)
			x--;
		else
			break;
	}
	if (s > 0) {
		unsigned __int128 rem = p & (((unsigned __int128)1 << s) - 1),
				  half = (unsigned __int128)1 << (s - 1);

		if (rem > half || (rem == half && (q & 1)))
			q++;
	}
	if (q == hi17) {	/* 99..9.5 rounded up to the next decade */
		q = lo17;
		x++;
	}
	for (int i = 16; i >= 0; i--, q /= 10)
		dig[i] = (char)('0' + q % 10);
	dig[17] = '\0';
	*xp = x;
	return 1;
}

int csv_format_double(char *buf, double v)
{
	char e17[40], dig[18];
	int x = 0, be, neg, n;
	double r;
	uint64_t bits;

	/* Zero, subnormals, the range's ends, infinities, NaN and powers of
	 * two (whose spacing differs below and above) take the plain loop. */
	memcpy(&bits, &v, sizeof(bits));
	if (!isnormal(v) || fabs(v) > 1e300 || fabs(v) < 1e-280 ||
	    !(bits & ((1ull << 52) - 1)))
		return csv_format_double_ref(buf, v);
	be = (int)(bits >> 52 & 0x7ff) - 1022;		/* frexp's exponent */
	neg = v < 0;
	if (!digits17(v, dig, &x)) {
		/* "-d.dddddddddddddddde+XX": the 17 digits, correctly
		 * rounded, by printf where digits17 does not reach. */
		snprintf(e17, sizeof(e17), "%.16e", v);
		dig[0] = e17[neg];
		memcpy(dig + 1, e17 + neg + 2, 16);
		dig[17] = '\0';
		for (const char *e = e17 + neg + 20; *e; e++)
			x = x * 10 + (*e - '0');
		if (e17[neg + 19] == '-')
			x = -x;
	}
	/*
	 * r: half the spacing of the doubles around v (v's interval of
	 * numbers that read back as v), in units of the 17th digit, 10^(x-16).
	 * Computed within a few parts in 10^16; the tests below leave a
	 * margin of 10^-9 of it.
	 */
	r = ldexp(1.0, be - 54) / (x >= -6 && x <= 16 ? pow10_neg[16 - x] :
				   pow(10, x - 16));
	for (int p = 15; p <= 16; p++) {
		int tail = p == 15 ? (dig[15] - '0') * 10 + dig[16] - '0' :
			   dig[16] - '0';
		int half = p == 15 ? 50 : 5, up, cx = x;
		char c[18];
		double delta;

		if (tail == half) {
			/* The 17 digits are a rounded value: which way the
			 * exact value rounds at p digits is not known here. */
			n = snprintf(buf, CSV_DOUBLE_MAX, "%.*g", p, v);
			if (strtod(buf, NULL) == v)
				return n;
			continue;
		}
		up = tail > half;
		memcpy(c, dig, (size_t)p);
		if (up) {
			int i = p - 1;

			while (i >= 0 && c[i] == '9')
				c[i--] = '0';
			if (i >= 0) {
				c[i]++;
			} else {	/* 99..9 became 100..0 */
				c[0] = '1';
				cx++;
			}
		}
		/* The candidate's distance from the 17 digits, in their units;
		 * the exact value is within 1/2 of those. */
		delta = up ? (p == 15 ? 100 : 10) - tail : tail;
		if (delta - 0.5 > r * (1 + 1e-9))
			continue;	/* surely outside */
		n = format_g(buf, neg, c, p, cx);
		if (delta + 0.5 < r * (1 - 1e-9) || strtod(buf, NULL) == v)
			return n;
	}
	return format_g(buf, neg, dig, 17, x);
}

static int format_float(char *buf, size_t cap, float v)
{
	int n = 0;


	for (int prec = 6; prec <= 9; prec++) {
		n = snprintf(buf, cap, "%.*g", prec, (double)v);
		if (strtof(buf, NULL) == v || v != v)
			break;
	}
	return n;
}

/* The decimal digits of u, after a '-' if neg; returns the length. */
static int format_int(char *buf, int neg, uint64_t u)
{
	char tmp[20];
	int n = 0, len = 0;

	do
		tmp[n++] = (char)('0' + u % 10);
	while (u /= 10);
	if (neg)
		buf[len++] = '-';
	while (n)
		buf[len++] = tmp[--n];
	buf[len] = '\0';
	return len;
}

static int format_i64(char *buf, int64_t v)
{
	return format_int(buf, v < 0, v < 0 ? -(uint64_t)v : (uint64_t)v);
}

/* Format one element of dtype at p into buf; returns the length.  NaN is
 * "nan" whatever its sign bit (printf would write "-nan"). */
static int format_elem(char *buf, size_t cap, int dtype, const void *p)
{
	if ((dtype == PAL_F32 && isnan(*(const float *)p)) ||
	    (dtype == PAL_F64 && isnan(*(const double *)p)))
		return snprintf(buf, cap, "nan");
	switch (dtype) {
	case PAL_U8: return format_int(buf, 0, *(const uint8_t *)p);
	case PAL_I32: return format_i64(buf, *(const int32_t *)p);
	case PAL_I64: return format_i64(buf, *(const int64_t *)p);
	case PAL_U64: return format_int(buf, 0, *(const uint64_t *)p);
	case PAL_F32: return format_float(buf, cap, *(const float *)p);
	case PAL_F64: return csv_format_double(buf, *(const double *)p);
	}
	return snprintf(buf, cap, "?");
}

int csv_write_rows(FILE *fp, const struct pal_frame *f, int sep)
{
	size_t elems = 0, len;
	char *line;
	int rc = 0;

	/* One line at a time, each element at most CSV_DOUBLE_MAX bytes
	 * with its separator. */
	for (uint32_t i = 0; i < f->ncols; i++)
		elems += f->cols[i].width;
	line = xmalloc(elems * (CSV_DOUBLE_MAX + 1) + 2);
	for (uint64_t r = 0; r < f->nrows && !rc; r++) {
		len = 0;
		for (uint32_t i = 0; i < f->ncols; i++) {
			const struct pal_col *c = &f->cols[i];
			size_t es = pal_dtype_size(c->dtype);
			const char *p = (const char *)c->data + r * c->width * es;

			for (uint32_t k = 0; k < c->width; k++, p += es) {
				if (len)
					line[len++] = (char)sep;
				len += (size_t)format_elem(line + len,
							   CSV_DOUBLE_MAX,
							   c->dtype, p);
			}
		}
		line[len++] = '\n';
		if (fwrite(line, 1, len, fp) != len)
			rc = -1;
	}
	free(line);
	return rc || ferror(fp) ? -1 : 0;
}
