/*
 * fuzz-csv.c: a fuzz target for the CSV and TSV reader of libcommon/csv.c.
 *
 * Built like fuzz-stream.c: with libFuzzer for make fuzz, and with
 * tests/fuzz/replay.c for make check (over tests/fuzz/corpus/csv and
 * tests/corrupt).
 *
 * The input is read as CSV and as TSV, each with no --type and with the
 * types a=u8, b=i32, c=i64 and d=f32 (which need those columns), in batches
 * of 3 rows.  Checked, with abort() on failure:
 *
 *  - the schema is valid: 1 to 1024 columns with valid, unique names,
 *    element types and widths, and an "id" column of u64;
 *  - every batch holds the rows csv_read() says, and every element is
 *    read in place as its type;
 *  - an error has a message that says where ("line", or the input's name
 *    for the header);
 *  - input read to its end, written back with csv_write_header() and
 *    csv_write_rows() and read again (in batches of 5), gives the same
 *    columns and the same values, bit for bit (any NaN equal to any NaN).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "stream.h"
#define FUZZ_NAME "fuzz-csv"
#include "fuzz.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_schema(const struct pal_col *cols, uint32_t ncols)
{
	int have_id = 0;

	CHECK(ncols >= 1 && ncols <= PAL_MAX_COLS);
	for (uint32_t i = 0; i < ncols; i++) {
		CHECK(pal_name_valid(cols[i].name));
		CHECK(pal_dtype_size(cols[i].dtype) != 0);
		CHECK(cols[i].width >= 1 && cols[i].width <= PAL_MAX_WIDTH);
		for (uint32_t j = 0; j < i; j++)
			CHECK(strcmp(cols[i].name, cols[j].name) != 0);
		if (!strcmp(cols[i].name, "id")) {
			CHECK(cols[i].dtype == PAL_U64 && cols[i].width == 1);
			have_id = 1;
		}
	}
	CHECK(have_id);
}

/* Append element k of c to b; any NaN is written as the same NaN. */
static void put_elem(struct sbuf *b, const struct pal_col *c, uint64_t k)
{
	switch (c->dtype) {
	case PAL_F32: {
		float v = ((const float *)c->data)[k];

		if (isnan(v))
			v = NAN;
		sb_put(b, &v, sizeof(v));
		break;
	}
	case PAL_F64: {
		double v = ((const double *)c->data)[k];

		if (isnan(v))
			v = NAN;
		sb_put(b, &v, sizeof(v));
		break;
	}
	case PAL_U8:
		sb_put(b, &((const uint8_t *)c->data)[k], 1);
		break;
	case PAL_I32:
		sb_put(b, &((const int32_t *)c->data)[k], 4);
		break;
	default:	/* i64, u64 */
		sb_put(b, &((const uint64_t *)c->data)[k], 8);
	}
}

/*
 * Append the rows of f to b, row by row (so that batches of any size give
 * the same bytes), reading each element in place as its type.
 */
static void flatten(const struct pal_frame *f, struct sbuf *b)
{
	for (uint64_t r = 0; r < f->nrows; r++) {
		for (uint32_t i = 0; i < f->ncols; i++) {
			const struct pal_col *c = &f->cols[i];

			for (uint64_t k = r * c->width; k < (r + 1) * c->width; k++)
				put_elem(b, c, k);
		}
	}
}

/*
 * Read all of fp in batches of cap rows into flat, and, if out is not
 * NULL, write it there as text.  Returns the reader's schema (copied into
 * schema) and 0 at the end of the input, or -1 if the input is refused.
 */
static int read_all(FILE *fp, const char *name, int sep,
		    const struct csv_type *types, size_t ntypes, uint64_t cap,
		    struct sbuf *flat, FILE *out, struct pal_col *schema,
		    uint32_t *ncols)
{
	struct pal_error err = { 0 };
	struct csv_reader *cr;
	const struct pal_col *cols;
	struct pal_batch *b;
	int64_t k;

	cr = csv_reader_open(fp, name, sep, types, ntypes, &err);
	if (!cr) {
		CHECK(err.kind != PAL_ERR_NONE && err.msg[0] != '\0');
		CHECK(strstr(err.msg, name) != NULL ||
		      strstr(err.msg, "out of memory") != NULL);
		return -1;
	}
	cols = csv_schema(cr, ncols);
	check_schema(cols, *ncols);
	memcpy(schema, cols, *ncols * sizeof(*cols));
	b = pal_batch_new(cols, *ncols, cap);
	CHECK(b != NULL);
	if (out)
		CHECK(csv_write_header(out, &b->f, sep) == 0);
	while ((k = csv_read(cr, b, &err)) > 0) {
		CHECK((uint64_t)k == b->f.nrows && b->f.nrows <= cap);
		flatten(&b->f, flat);
		if (out)
			CHECK(csv_write_rows(out, &b->f, sep) == 0);
		pal_batch_clear(b);
	}
	if (k < 0) {
		CHECK(err.kind != PAL_ERR_NONE && err.msg[0] != '\0');
		CHECK(strstr(err.msg, "line") != NULL);
	}
	pal_batch_free(b);
	csv_reader_free(cr);
	return k < 0 ? -1 : 0;
}

static void one(const uint8_t *data, size_t size, int sep,
		const struct csv_type *types, size_t ntypes)
{
	static struct pal_col schema[PAL_MAX_COLS], schema2[PAL_MAX_COLS];
	struct sbuf flat = { 0 }, flat2 = { 0 };
	char *text = NULL;
	size_t textlen = 0;
	uint32_t ncols, ncols2;
	FILE *fp, *out;
	int k;

	/* fmemopen() of no bytes fails on older C libraries. */
	fp = size ? fmemopen((void *)data, size, "r") : fopen("/dev/null", "r");
	CHECK(fp != NULL);
	out = open_memstream(&text, &textlen);
	CHECK(out != NULL);
	k = read_all(fp, "fuzz", sep, types, ntypes, 3, &flat, out, schema,
		     &ncols);
	fclose(fp);
	CHECK(fclose(out) == 0);
	if (k == 0) {
		struct pal_frame a = { .ncols = ncols, .cols = schema };
		struct pal_frame b = { .ncols = 0, .cols = schema2 };

		fp = fmemopen(text, textlen, "r");
		CHECK(fp != NULL);
		if (read_all(fp, "again", sep, types, ntypes, 5, &flat2, NULL,
			     schema2, &ncols2) < 0) {
			fprintf(stderr, "fuzz-csv: the text written does not "
				"read back:\n%s", text);
			CHECK(0);
		}
		fclose(fp);
		b.ncols = ncols2;
		CHECK(pal_same_schema(&a, &b));
		CHECK(flat.len == flat2.len &&
		      (flat.len == 0 || !memcmp(flat.p, flat2.p, flat.len)));
	}
	free(text);
	free(flat.p);
	free(flat2.p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct csv_type types[] = {
		{ "a", PAL_U8 }, { "b", PAL_I32 }, { "c", PAL_I64 },
		{ "d", PAL_F32 },
	};
	static const int seps[] = { ',', '\t' };

	for (int i = 0; i < 2; i++) {
		one(data, size, seps[i], NULL, 0);
		one(data, size, seps[i], types, sizeof(types) / sizeof(types[0]));
	}
	return 0;
}
