/*
 * pal-fill: write a pal stream of synthetic rows quickly, for benchmarks and
 * tests that need big inputs.
 *
 *	pal-fill [-s] [-w width] [-z level] megabytes
 *
 * Rows have id (u64) and x (f64, width columns, default 8), in frames of
 * the writer's default size, on stdout.  -s makes x smooth (slowly varying
 * sines, which compress well); otherwise x is pseudo-random bits of a
 * uniform [0, 1) (which do not).  -z compresses at that zlib level.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "err.h"
#include "io.h"
#include "num.h"
#include "rng.h"
#include "stream.h"
#include "banned.h"

int main(int argc, char **argv)
{
	struct pal_col schema[2] = {
		{ .name = "id", .dtype = PAL_U64, .width = 1 },
		{ .name = "x", .dtype = PAL_F64, .width = 8 },
	};
	const char *errstr;
	int c, smooth = 0, level = 0;
	uint64_t mib, rows, id = 0, total;
	struct pal_batch *b;
	struct pal_writer *w;
	struct rng r;

	pal_init("pal-fill");
	while ((c = getopt(argc, argv, "sw:z:")) != -1) {
		switch (c) {
		case 's':
			smooth = 1;
			break;
		case 'w':
			schema[1].width = (uint32_t)parse_u64(optarg, 1, 4096, &errstr);
			if (errstr)
				usage_die("bad width '%s': %s", optarg, errstr);
			break;
		case 'z':
			level = (int)parse_u64(optarg, 0, 9, &errstr);
			if (errstr)
				usage_die("bad level '%s': %s", optarg, errstr);
			break;
		default:
			usage_die("usage: pal-fill [-s] [-w width] [-z level] megabytes");
		}
	}
	if (optind + 1 != argc)
		usage_die("usage: pal-fill [-s] [-w width] [-z level] megabytes");
	mib = parse_u64(argv[optind], 1, 1u << 20, &errstr);
	if (errstr)
		usage_die("bad size '%s': %s", argv[optind], errstr);
	total = (mib << 20) / (8 * (schema[1].width + 1));
	rows = pal_default_rows(schema, 2);
	b = pal_batch_new(schema, 2, rows);
	if (!b)
		die("out of memory");
	w = xwriter(1, "stdout", level);
	rng_seed(&r, 1, 0);
	while (id < total) {
		uint64_t n = total - id < rows ? total - id : rows;
		uint64_t *ids = b->f.cols[0].data;
		double *x = b->f.cols[1].data;
		uint32_t wd = schema[1].width;

		for (uint64_t i = 0; i < n; i++, id++) {
			ids[i] = id;
			for (uint32_t k = 0; k < wd; k++)
				x[i * wd + k] = smooth ?
					sin(1e-5 * (double)id + k) :
					rng_uniform(&r);
		}
		b->f.nrows = n;
		xpal_write(w, &b->f);
	}
	xpal_finish(w);
	pal_writer_free(w);
	pal_batch_free(b);
	return 0;
}
