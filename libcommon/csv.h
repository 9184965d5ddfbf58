/*
 * csv.h: CSV and TSV to and from pal frames.
 *
 * The convention (pal-cat(1), "CSV"): a header line is required; a width-1
 * column is written "name", a width-k column "name.0,...,name.{k-1}"; "id"
 * is u64, "status" i32 and every other column f64 unless a type is given
 * (so are pal's other integer columns: "parent", "walker" and "step" u64,
 * "rank" i32);
 * rows of a CSV without "id" get ids 0, 1, 2, ... in a first column "id".
 * f64 values are written in the shortest form of at most 17 significant
 * digits that reads back to the same bits (f32: at most 9), so a round trip
 * through CSV is exact.  Lines that are empty or
 * start with '#' are skipped; a field may be wrapped in double quotes.
 */
#ifndef PAL_CSV_H
#define PAL_CSV_H

#include <stdint.h>
#include <stdio.h>

#include "stream.h"

/* A type given for a column by name ("--type energy=f32"). */
struct csv_type {
	const char *name;
	int dtype;
};

struct csv_reader;

/*
 * Read the header line of fp (sep ',' or '\t') and build the schema.  name
 * is used in messages.  Returns NULL with *err filled on a bad header.
 */
struct csv_reader *csv_reader_open(FILE *fp, const char *name, int sep,
				   const struct csv_type *types, size_t ntypes,
				   struct pal_error *err);
/* The columns of the frames csv_read() fills (data pointers unset). */
const struct pal_col *csv_schema(const struct csv_reader *cr, uint32_t *ncols);
/*
 * Append rows to b (built from csv_schema()) until it is full or the input
 * ends.  Returns the number of rows appended (0 at the end), or -1 with
 * *err filled ("bad number 'abc' in column 'x.1' (data.csv: line 12)").
 */
int64_t csv_read(struct csv_reader *cr, struct pal_batch *b,
		 struct pal_error *err);
void csv_reader_free(struct csv_reader *cr);
/*
 * The id the next row without an id column gets: 0 at first.  Set it to
 * number rows on across several inputs.
 */
uint64_t csv_next_id(const struct csv_reader *cr);
void csv_set_next_id(struct csv_reader *cr, uint64_t id);

/* Write the header line for f's columns.  0, or -1 on a write error. */
int csv_write_header(FILE *fp, const struct pal_frame *f, int sep);
/* Write every row of f.  0, or -1 on a write error. */
int csv_write_rows(FILE *fp, const struct pal_frame *f, int sep);

/*
 * How a double is written: the shortest of %.15g, %.16g and %.17g that
 * strtod() reads back as the same double (so "0.1", not
 * "0.10000000000000001"; 17 digits always read back), NaN as printf
 * writes it ("nan", or "-nan" with the sign bit set), infinities as "inf"
 * and "-inf".  buf must hold CSV_DOUBLE_MAX bytes;
 * returns the length.
 *
 * csv_format_double makes 17 digits once (%.16e) and derives the 15- and
 * 16-digit candidates from them by decimal rounding; whether a candidate
 * reads back is decided from its distance to the 17 digits against half
 * the double's spacing, with a margin, and only where that is too close
 * to call by strtod().  csv_format_double_ref is the plain loop it
 * replaces (a snprintf() and a strtod() for each precision), kept as the
 * reference for the tests and used for zero, subnormals, the extremes of
 * the range and powers of two.
 */
#define CSV_DOUBLE_MAX 32
int csv_format_double(char *buf, double v);
int csv_format_double_ref(char *buf, double v);

#endif
