/*
 * pal-wide: a test helper that writes a stream of one frame of ROWS rows
 * with "id" (u64, 0, 1, ...) and "x" (f64 of width D, every element 0.5),
 * D up to pal-stream(5)'s limit of 2^24: inputs wider than any CSV.  Not
 * installed.
 *
 *	pal-wide D [ROWS] >file
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "err.h"
#include "io.h"
#include "opt.h"
#include "stream.h"
#include "banned.h"

int main(int argc, char **argv)
{
	struct pal_col cols[] = {
		{ "id", PAL_U64, 1, NULL },
		{ "x", PAL_F64, 1, NULL },
	};
	struct pal_batch *b;
	struct pal_writer *w;
	uint64_t rows = 1;

	pal_init("pal-wide");
	if (argc < 2 || argc > 3)
		usage_die("usage: pal-wide D [ROWS]");
	cols[1].width = (uint32_t)opt_u64("D", argv[1], 1, PAL_MAX_WIDTH);
	if (argc == 3)
		rows = opt_u64("ROWS", argv[2], 1, 64);
	b = pal_batch_new(cols, 2, rows);
	if (!b)
		die("out of memory");
	for (uint64_t r = 0; r < rows; r++) {
		double *x = (double *)b->f.cols[1].data + r * cols[1].width;

		((uint64_t *)b->f.cols[0].data)[r] = r;
		for (uint32_t i = 0; i < cols[1].width; i++)
			x[i] = 0.5;
	}
	b->f.nrows = rows;
	w = xwriter(1, "stdout", 0);
	xpal_write(w, &b->f);
	xpal_finish(w);
	pal_writer_free(w);
	pal_batch_free(b);
	return 0;
}
