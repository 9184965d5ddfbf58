/*
 * test-csv.c: unit tests of libcommon/csv.c, CSV and TSV to and from frames.
 *
 * The header rules (grouped name.0..name.k-1 columns, id and status, types
 * by name), the row rules (field counts with line numbers, quotes, blanks,
 * CRLF, comments, nan and inf, TSV), and the promise that numbers written
 * by csv_write_rows() read back bit for bit: 10^5 doubles and 10^5 floats
 * of random bit patterns go out through a memory stream and come back.
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "rng.h"
#include "stream.h"
#include "unit.h"
#include "banned.h"

/* ---- helpers ------------------------------------------------------------ */

/* A stream reading text (empty text reads as an empty file). */
static FILE *text_file(const char *text)
{
	FILE *fp = *text ? fmemopen((void *)text, strlen(text), "r") :
			   fopen("/dev/null", "r");

	if (!fp) {
		perror("test-csv: fmemopen");
		exit(99);
	}
	return fp;
}

/* A CSV parsed into one batch: the reader, its batch, its input. */
struct parsed {
	FILE *fp;
	struct csv_reader *cr;
	struct pal_batch *b;
	struct pal_error err;
	int64_t rows;			/* csv_read's result */
};

/*
 * Open text as CSV (sep) with types, and read up to cap rows.  p->cr is
 * NULL if the header was refused; p->rows is -1 if a row was.
 */
static void parse(struct parsed *p, const char *text, int sep,
		  const struct csv_type *types, size_t ntypes, uint64_t cap)
{
	const struct pal_col *schema;
	uint32_t ncols;

	memset(p, 0, sizeof(*p));
	p->fp = text_file(text);
	p->cr = csv_reader_open(p->fp, "t.csv", sep, types, ntypes, &p->err);
	p->rows = -2;
	if (!p->cr)
		return;
	schema = csv_schema(p->cr, &ncols);
	p->b = pal_batch_new(schema, ncols, cap);
	if (!p->b) {
		perror("test-csv: pal_batch_new");
		exit(99);
	}
	p->rows = csv_read(p->cr, p->b, &p->err);
}

static void parsed_free(struct parsed *p)
{
	pal_batch_free(p->b);
	csv_reader_free(p->cr);
	fclose(p->fp);
}

/* Element i of column name of p's batch as a double (any dtype). */
static double val(const struct parsed *p, const char *name, uint64_t i)
{
	const struct pal_col *c = pal_col_find(&p->b->f, name);

	return c ? pal_col_value(c, i) : -999999;
}

/* "id:u64 x:f64x3 ..." for p's schema, for messages. */
static const char *schema_text(const struct parsed *p)
{
	static char buf[512];
	size_t n = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; p->b && i < p->b->f.ncols && n < 400; i++) {
		const struct pal_col *c = &p->b->f.cols[i];

		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s:%s",
				      i ? " " : "", c->name,
				      pal_dtype_name(c->dtype));
		if (c->width != 1)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n,
					      "x%" PRIu32, c->width);
	}
	return buf;
}

/* ---- header ------------------------------------------------------------- */

static void header_ok(const char *text, const char *want_schema)
{
	struct parsed p;

	parse(&p, text, ',', NULL, 0, 4);
	CHECK(p.cr && !strcmp(schema_text(&p), want_schema),
	      "header \"%s\" gives columns \"%s\", want \"%s\" %s", esc(text),
	      p.cr ? schema_text(&p) : "(refused)", want_schema,
	      p.cr ? "" : esc(p.err.msg));
	if (p.cr)
		parsed_free(&p);
	else
		fclose(p.fp);
}

static void header_bad(const char *text, const struct csv_type *types,
		       size_t ntypes, const char *needle)
{
	struct parsed p;

	parse(&p, text, ',', types, ntypes, 4);
	CHECK(!p.cr && p.err.kind == PAL_ERR_CORRUPT &&
	      strstr(p.err.msg, needle) && strstr(p.err.msg, "t.csv"),
	      "header \"%s\" is refused: '%s' (want '%s')", esc(text),
	      esc(p.err.msg), needle);
	if (p.cr)
		parsed_free(&p);
	else
		fclose(p.fp);
}

static void test_header(void)
{
	static const struct csv_type tz[] = { { "z", PAL_F32 } };

	header_ok("x\n", "id:u64 x:f64");
	header_ok("x.0,x.1,x.2,y\n", "id:u64 x:f64x3 y:f64");
	header_ok("a.0,a.1,b.0,b.1,b.2\n", "id:u64 a:f64x2 b:f64x3");
	header_ok("x.0\n", "id:u64 x:f64");
	header_ok("y,id\n", "y:f64 id:u64");
	header_ok("id.0,x\n", "id:u64 x:f64");
	header_ok("status,e\n", "id:u64 status:i32 e:f64");
	header_ok("\"x\",\"y\"\n", "id:u64 x:f64 y:f64");
	header_ok(" x , y \n", "id:u64 x:f64 y:f64");
	header_ok("x,y\r\n", "id:u64 x:f64 y:f64");
	header_ok("# a comment\n\n  # another\nx\n", "id:u64 x:f64");
	header_ok("_x9,Y\n", "id:u64 _x9:f64 Y:f64");

	header_bad("x.1,x.0\n", NULL, 0, "column 'x.1' does not follow 'x.0'");
	header_bad("x,x.1\n", NULL, 0, "column 'x.1' does not follow 'x.0'");
	header_bad("x.0,x.2\n", NULL, 0, "column 'x.2' does not follow 'x.1'");
	header_bad("x.0,y,x.1\n", NULL, 0, "column 'x.1' does not follow");
	header_bad("x,y,x\n", NULL, 0, "duplicate column 'x'");
	header_bad("x.0,x.1,x.0\n", NULL, 0, "duplicate column 'x'");
	header_bad("x.0,x.1,x\n", NULL, 0, "duplicate column 'x'");
	header_bad("x,x.0\n", NULL, 0, "duplicate column 'x'");
	header_bad("id,id\n", NULL, 0, "duplicate column 'id'");
	header_bad("id.0,id.1,x\n", NULL, 0, "column 'id' has width 2");
	header_bad("1x\n", NULL, 0, "invalid column name '1x'");
	header_bad("a b\n", NULL, 0, "invalid column name 'a b'");
	header_bad("x,,y\n", NULL, 0, "invalid column name '' (t.csv: line "
		   "1, field 2)");
	header_bad("x.01\n", NULL, 0, "invalid column name 'x.01'");
	header_bad("x.\n", NULL, 0, "invalid column name 'x.'");
	header_bad("x.-1\n", NULL, 0, "invalid column name 'x.-1'");
	header_bad("a.b\n", NULL, 0, "invalid column name 'a.b'");
	header_bad("x\n", tz, 1, "no column 'z' to give a type");
	header_bad("", NULL, 0, "no header line");
	header_bad("# only a comment\n\n", NULL, 0, "no header line");
}

static void test_types(void)
{
	static const struct csv_type t1[] = {
		{ "x", PAL_F32 }, { "e", PAL_I64 }, { "k", PAL_U8 },
	};
	static const struct csv_type t2[] = {
		{ "id", PAL_I64 }, { "status", PAL_F64 },
	};
	struct parsed p;

	parse(&p, "x.0,x.1,status,e,k,y\n1.5,2,-3,-4,255,6\n", ',', t1, 3, 4);
	CHECK(p.rows == 1 && !strcmp(schema_text(&p), "id:u64 x:f32x2 "
				     "status:i32 e:i64 k:u8 y:f64"),
	      "types by name: %s", p.cr ? schema_text(&p) : esc(p.err.msg));
	CHECK(p.rows == 1 && val(&p, "x", 0) == 1.5f && val(&p, "x", 1) == 2 &&
	      val(&p, "status", 0) == -3 && val(&p, "e", 0) == -4 &&
	      val(&p, "k", 0) == 255 && val(&p, "y", 0) == 6,
	      "typed values read back: x %g %g, status %g, e %g, k %g, y %g",
	      val(&p, "x", 0), val(&p, "x", 1), val(&p, "status", 0),
	      val(&p, "e", 0), val(&p, "k", 0), val(&p, "y", 0));
	parsed_free(&p);

	/* A type overrides the defaults of id and status too. */
	parse(&p, "id,status\n-5,0.5\n", ',', t2, 2, 4);
	CHECK(p.rows == 1 && !strcmp(schema_text(&p), "id:i64 status:f64") &&
	      val(&p, "id", 0) == -5 && val(&p, "status", 0) == 0.5,
	      "id typed i64 and status f64: %s, id %g, status %g",
	      p.cr ? schema_text(&p) : esc(p.err.msg), val(&p, "id", 0),
	      val(&p, "status", 0));
	parsed_free(&p);
}

/* ---- rows --------------------------------------------------------------- */

static void test_ids(void)
{
	struct parsed p;
	int64_t got[5];
	int ids_ok = 1;

	/* Rows 0-4 in batches of 2: the ids go on across csv_read calls. */
	parse(&p, "x\n10\n11\n12\n13\n14\n", ',', NULL, 0, 2);
	got[0] = p.rows;
	for (int i = 0; i < 2; i++)
		ids_ok &= val(&p, "id", (uint64_t)i) == i &&
			  val(&p, "x", (uint64_t)i) == 10 + i;
	for (int call = 1; call < 4 && p.cr; call++) {
		uint64_t base = 2 * (uint64_t)call;

		pal_batch_clear(p.b);
		got[call] = csv_read(p.cr, p.b, &p.err);
		for (uint64_t i = 0; i < p.b->f.nrows; i++)
			ids_ok &= val(&p, "id", i) == (double)(base + i) &&
				  val(&p, "x", i) == (double)(10 + base + i);
	}
	CHECK(got[0] == 2 && got[1] == 2 && got[2] == 1 && got[3] == 0,
	      "5 rows in batches of 2: csv_read gives %" PRId64 " %" PRId64
	      " %" PRId64 " %" PRId64, got[0], got[1], got[2], got[3]);
	CHECK(ids_ok, "a CSV without id gets ids 0-4, continuing across "
	      "csv_read calls");
	parsed_free(&p);

	parse(&p, "id,x\n5,1\n7,2\n18446744073709551615,3\n", ',', NULL, 0, 4);
	CHECK(p.rows == 3 && p.b->f.ncols == 2 &&
	      ((uint64_t *)p.b->f.cols[0].data)[0] == 5 &&
	      ((uint64_t *)p.b->f.cols[0].data)[1] == 7 &&
	      ((uint64_t *)p.b->f.cols[0].data)[2] == UINT64_MAX,
	      "ids given in the CSV are kept, as u64 up to 2^64 - 1");
	parsed_free(&p);
}

static void rows_bad(const char *text, int sep, const struct csv_type *types,
		     size_t ntypes, const char *needle, const char *line)
{
	struct parsed p;

	parse(&p, text, sep, types, ntypes, 8);
	CHECK(p.cr && p.rows == -1 && p.err.kind == PAL_ERR_CORRUPT &&
	      strstr(p.err.msg, needle) && strstr(p.err.msg, line),
	      "\"%s\" is refused: '%s' (want '%s', '%s')", esc(text),
	      esc(p.err.msg), needle, line);
	if (p.cr)
		parsed_free(&p);
	else
		fclose(p.fp);
}

static void test_rows(void)
{
	static const struct csv_type tu8[] = { { "k", PAL_U8 } };
	struct parsed p;

	rows_bad("x,y\n1,2\n3\n", ',', NULL, 0,
		 "fewer fields, the header has 2", "(t.csv: line 3)");
	rows_bad("x,y\n1,2,3\n", ',', NULL, 0,
		 "more fields, the header has 2", "(t.csv: line 2)");
	/* Line numbers count the lines skipped as well. */
	rows_bad("# c\nx,y\n\n# c\n1,2\n\n3,4,5\n", ',', NULL, 0,
		 "more fields", "(t.csv: line 7)");
	rows_bad("x.0,x.1\n1,abc\n", ',', NULL, 0,
		 "bad f64 value 'abc' in column 'x.1'", "(t.csv: line 2)");
	rows_bad("x\n1\n2x\n", ',', NULL, 0, "bad f64 value '2x'", "line 3");
	rows_bad("status\n2147483648\n", ',', NULL, 0,
		 "bad i32 value '2147483648' in column 'status': too large",
		 "line 2");
	rows_bad("k\n256\n", ',', tu8, 1, "bad u8 value '256'", "line 2");
	rows_bad("id,x\n-1,2\n", ',', NULL, 0, "bad u64 value '-1'", "line 2");
	rows_bad("x\n1e999\n", ',', NULL, 0, "out of range", "line 2");
	rows_bad("x,y\n1,\n", ',', NULL, 0, "bad f64 value ''", "line 2");
	rows_bad("x\ty\n1,5\t2\n", '\t', NULL, 0, "bad f64 value '1,5'",
		 "line 2");

	parse(&p, "x,y\n", ',', NULL, 0, 4);
	CHECK(p.rows == 0, "a header without rows gives 0 rows (%" PRId64 ")",
	      p.rows);
	parsed_free(&p);

	parse(&p, "\"x\",\"y\"\n\"1.5\",\"-2\"\n\"\",\"3\"\n", ',', NULL, 0, 4);
	CHECK(p.rows == -1 && val(&p, "x", 0) == 1.5 && val(&p, "y", 0) == -2 &&
	      strstr(p.err.msg, "bad f64 value ''"), "quotes are stripped: "
	      "\"1.5\" is 1.5, \"-2\" is -2, \"\" is empty: %s",
	      esc(p.err.msg));
	parsed_free(&p);

	parse(&p, "x,y\r\n1,2\r\n3,4\r\n", ',', NULL, 0, 4);
	CHECK(p.rows == 2 && val(&p, "x", 0) == 1 && val(&p, "y", 0) == 2 &&
	      val(&p, "x", 1) == 3 && val(&p, "y", 1) == 4,
	      "CRLF line ends: 2 rows, 1 2 / 3 4 (%" PRId64 " rows)", p.rows);
	parsed_free(&p);

	parse(&p, "x,y\n 1 ,\t2\n", ',', NULL, 0, 4);
	CHECK(p.rows == 1 && val(&p, "x", 0) == 1 && val(&p, "y", 0) == 2,
	      "blanks around CSV fields are trimmed (%" PRId64 " rows)", p.rows);
	parsed_free(&p);

	parse(&p, "# head\nx\n\n# between\n1\n   \n  # indented\n2\n\n",
	      ',', NULL, 0, 8);
	CHECK(p.rows == 2 && val(&p, "x", 0) == 1 && val(&p, "x", 1) == 2,
	      "comments and blank lines are skipped: %" PRId64 " rows", p.rows);
	parsed_free(&p);

	parse(&p, "x\nnan\nNaN\ninf\n-inf\nInfinity\n-0\n", ',', NULL, 0, 8);
	CHECK(p.rows == 6 && isnan(val(&p, "x", 0)) && isnan(val(&p, "x", 1)) &&
	      val(&p, "x", 2) == INFINITY && val(&p, "x", 3) == -INFINITY &&
	      val(&p, "x", 4) == INFINITY && val(&p, "x", 5) == 0 &&
	      signbit(val(&p, "x", 5)), "nan, NaN, inf, -inf, Infinity and -0 "
	      "read as such (%" PRId64 " rows)", p.rows);
	parsed_free(&p);

	parse(&p, "id\tx.0\tx.1\n3\t1.5\t-2\n4\t\"5\"\t6\n", '\t', NULL, 0, 4);
	CHECK(p.rows == 2 && !strcmp(schema_text(&p), "id:u64 x:f64x2") &&
	      val(&p, "id", 0) == 3 && val(&p, "x", 0) == 1.5 &&
	      val(&p, "x", 1) == -2 && val(&p, "id", 1) == 4 &&
	      val(&p, "x", 2) == 5 && val(&p, "x", 3) == 6,
	      "TSV: %s, %" PRId64 " rows", schema_text(&p), p.rows);
	parsed_free(&p);
}

/* ---- writing ------------------------------------------------------------ */

/* Format frame f with csv_write_header (if header) and csv_write_rows. */
static char *format(const struct pal_frame *f, int sep, int header)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);
	int rc;

	if (!fp) {
		perror("test-csv: open_memstream");
		exit(99);
	}
	rc = (header ? csv_write_header(fp, f, sep) : 0) |
	     csv_write_rows(fp, f, sep);
	if (fclose(fp) != 0 || rc != 0) {
		free(text);
		return NULL;
	}
	return text;
}

static void test_write_text(void)
{
	double x[] = { 0.1, 1.0 / 3, -0.0, 1e300, 5e-324, 2.5, -INFINITY, NAN };
	float y[] = { 0.1f, 1.0f / 3, 16777216.0f, 1e-45f, -1.5f, INFINITY,
		      0.0f, 3.0f };
	int64_t k[] = { INT64_MIN, INT64_MAX, -1, 0, 1, 2, 3, 4 };
	uint64_t id[] = { 0, UINT64_MAX, 2, 3, 4, 5, 6, 7 };
	int32_t s[] = { INT32_MIN, INT32_MAX, 0, 0, 0, 0, 0, 0 };
	uint8_t u[] = { 0, 255, 0, 0, 0, 0, 0, 0 };
	struct pal_col cols[6] = {
		{ "id", PAL_U64, 1, id }, { "x", PAL_F64, 2, x },
		{ "y", PAL_F32, 2, y }, { "k", PAL_I64, 2, k },
		{ "status", PAL_I32, 2, s }, { "u", PAL_U8, 2, u },
	};
	struct pal_frame f = { .kind = PAL_DATA, .nrows = 4, .ncols = 6,
			       .cols = cols };
	/*
	 * The rule of csv.c: the fewest of 15, 16 or 17 significant digits
	 * (%.Ng) that read back as the same double, and of 6 to 9 for a float.
	 * The numbers below were obtained by applying that rule in Python
	 * ('%.*g' % (p, v), read back with float() and, for f32, rounded
	 * through struct.pack('<f')): 1/3 needs 16 digits, 0.1 only 1, the
	 * subnormal 2^-1074 prints as 4.94065645841247e-324 at 15.
	 */
	const char *want_csv =
		"id,x.0,x.1,y.0,y.1,k.0,k.1,status.0,status.1,u.0,u.1\n"
		"0,0.1,0.3333333333333333,0.1,0.33333334,"
		"-9223372036854775808,9223372036854775807,-2147483648,"
		"2147483647,0,255\n"
		"18446744073709551615,-0,1e+300,16777216,1.4013e-45,-1,0,"
		"0,0,0,0\n"
		"2,4.94065645841247e-324,2.5,-1.5,inf,1,2,0,0,0,0\n"
		"3,-inf,nan,0,3,3,4,0,0,0,0\n";
	char *text = format(&f, ',', 1), *tsv;
	char *want_tsv = strdup(want_csv);

	CHECK(text && !strcmp(text, want_csv), "csv_write_header and "
	      "csv_write_rows of every dtype: \"%s\"", text ? esc(text) : "");
	for (char *c = want_tsv; c && *c; c++)
		if (*c == ',')
			*c = '\t';
	tsv = format(&f, '\t', 1);
	CHECK(tsv && want_tsv && !strcmp(tsv, want_tsv), "the same as TSV: "
	      "\"%s\"", tsv ? esc(tsv) : "");
	free(text);
	free(tsv);
	free(want_tsv);
}

/*
 * Whether a and b are the same double: the same bits, or both NaN (text
 * keeps neither a NaN's payload nor its sign: every NaN is written "nan",
 * as pal-cat(1) says).
 */
static int same_f64(double a, double b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) && isnan(b);
	return !memcmp(&a, &b, sizeof(a));
}

static int same_f32(float a, float b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) && isnan(b);
	return !memcmp(&a, &b, sizeof(a));
}

/*
 * 50000 rows of id, x (f64 x 2), y (f32 x 2), k (i64), status (i32) and
 * u (u8): random bit patterns (and, in the first rows, the extremes and
 * subnormals), written to a memory stream and read back with csv_read.
 */
static void test_round_trip(int sep, uint64_t nrows)
{
	static const struct csv_type types[] = {
		{ "y", PAL_F32 }, { "k", PAL_I64 }, { "u", PAL_U8 },
	};
	static const double xs[] = {
		0.0, -0.0, DBL_MAX, -DBL_MAX, DBL_MIN, DBL_TRUE_MIN,
		-DBL_TRUE_MIN, INFINITY, -INFINITY, NAN, -NAN, 0.1, 1.0 / 3,
		DBL_EPSILON, 1 + DBL_EPSILON, 0x1.fffffffffffffp-1023,
		9007199254740993.0, 123456789012345678.0,
	};
	static const float ys[] = {
		0.0f, -0.0f, FLT_MAX, -FLT_MAX, FLT_MIN, FLT_TRUE_MIN,
		-FLT_TRUE_MIN, INFINITY, -INFINITY, NAN, -NAN, 0.1f, 1.0f / 3,
		FLT_EPSILON, 1 + FLT_EPSILON, 0x1.fffffcp-127f, 16777217.0f,
	};
	struct colspec { const char *name; int dtype; uint32_t width; } cs[] = {
		{ "id", PAL_U64, 1 }, { "x", PAL_F64, 2 }, { "y", PAL_F32, 2 },
		{ "k", PAL_I64, 1 }, { "status", PAL_I32, 1 }, { "u", PAL_U8, 1 },
	};
	struct pal_col cols[6];
	struct pal_frame f = { .kind = PAL_DATA, .nrows = nrows, .ncols = 6,
			       .cols = cols };
	struct rng r;
	struct parsed p;
	uint64_t bad_x = 0, bad_y = 0, bad_int = 0, first_x = 0, first_y = 0;
	double *x;
	float *y;
	char *text;
	int read_all;

	rng_seed(&r, 2026, (uint64_t)sep);
	for (int i = 0; i < 6; i++) {
		size_t n = pal_dtype_size(cs[i].dtype) * cs[i].width * nrows;
		unsigned char *d = malloc(n);

		if (!d)
			exit(99);
		for (size_t j = 0; j < n; j++)
			d[j] = (unsigned char)(rng_u64(&r) >> 56);
		memset(&cols[i], 0, sizeof(cols[i]));
		snprintf(cols[i].name, sizeof(cols[i].name), "%s", cs[i].name);
		cols[i].dtype = cs[i].dtype;
		cols[i].width = cs[i].width;
		cols[i].data = d;
	}
	x = cols[1].data;
	y = cols[2].data;
	for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++)
		x[i] = xs[i];
	for (size_t i = 0; i < sizeof(ys) / sizeof(ys[0]); i++)
		y[i] = ys[i];
	/* Subnormals are rare among random bit patterns (1 in 2048): put
	 * random ones in the next thousand elements. */
	for (size_t i = 100; i < 1100; i++) {
		uint64_t bx = rng_u64(&r) & 0x800fffffffffffffull;
		uint32_t by = (uint32_t)rng_u64(&r) & 0x807fffffu;

		memcpy(&x[i], &bx, sizeof(bx));
		memcpy(&y[i], &by, sizeof(by));
	}

	text = format(&f, sep, 1);
	if (!text) {
		CHECK(0, "formatting %" PRIu64 " rows", nrows);
		return;
	}
	parse(&p, text, sep, types, 3, nrows + 1);
	read_all = p.rows == (int64_t)nrows && p.b->f.ncols == 6 &&
		   pal_same_schema(&p.b->f, &f);
	CHECK(read_all, "%s: %" PRIu64 " rows read back (%" PRId64 ") with "
	      "the schema %s %s", sep == ',' ? "CSV" : "TSV", nrows, p.rows,
	      p.cr ? schema_text(&p) : "", p.rows < 0 ? esc(p.err.msg) : "");
	if (read_all) {
		const double *x2 = p.b->f.cols[1].data;
		const float *y2 = p.b->f.cols[2].data;

		for (uint64_t i = 0; i < 2 * nrows; i++) {
			if (!same_f64(x[i], x2[i]) && bad_x++ == 0)
				first_x = i;
			if (!same_f32(y[i], y2[i]) && bad_y++ == 0)
				first_y = i;
		}
		for (int c = 0; c < 6; c++)
			if (c != 1 && c != 2)
				bad_int += memcmp(cols[c].data,
						  p.b->f.cols[c].data,
						  pal_col_rowbytes(&cols[c]) *
						  nrows) != 0;
	}
	CHECK(read_all && bad_x == 0, "%s: %" PRIu64 " f64 values round trip bit for bit "
	      "(%" PRIu64 " differ; first %a read as %a)",
	      sep == ',' ? "CSV" : "TSV", 2 * nrows, bad_x, x[first_x],
	      read_all ? ((double *)p.b->f.cols[1].data)[first_x] : 0.0);
	CHECK(read_all && bad_y == 0, "%s: %" PRIu64 " f32 values round trip bit for bit "
	      "(%" PRIu64 " differ; first %a read as %a)",
	      sep == ',' ? "CSV" : "TSV", 2 * nrows, bad_y,
	      (double)y[first_y],
	      read_all ? (double)((float *)p.b->f.cols[2].data)[first_y] :
			   0.0);
	CHECK(read_all && bad_int == 0, "%s: the u64, i64, i32 and u8 columns round trip "
	      "(%" PRIu64 " differ)", sep == ',' ? "CSV" : "TSV", bad_int);
	parsed_free(&p);
	free(text);
	for (int i = 0; i < 6; i++)
		free(cols[i].data);
}

int main(void)
{
	test_header();
	test_types();
	test_ids();
	test_rows();
	test_write_text();
	test_round_trip(',', 50000);
	test_round_trip('\t', 2000);
	return done();
}
