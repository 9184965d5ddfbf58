/*
 * pal-synth: a test helper that writes synthetic predictions, the stream
 * pal-predict will write: rows with "id" (u64), "x" (f64, width D), "mean"
 * and "std" (f64, width K), fast and deterministically from a seed.  Not
 * installed; tests use it to feed pal-select and other consumers.
 *
 *	pal-synth [--dim d] [--frame-rows n] [--meta key=value]
 *		  [--nan-every m] [--outputs k] [--quantize q] [--rows n]
 *		  [--seed s] [--start-id i]
 *
 * x is uniform in [0, 1)^d, mean is standard normal and std is uniform in
 * [0, 1).  --quantize q rounds mean and std to multiples of q (to make
 * ties); --nan-every m makes the std of every m-th row (ids m-1, 2m-1, ...
 * counted from --start-id) NaN.  Rows are written --frame-rows at a time
 * (default: frames of about 1 MiB), after a metadata frame for each --meta.
 */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "io.h"
#include "num.h"
#include "rng.h"
#include "stream.h"
#include "banned.h"

static const char usage_text[] =
	"usage: pal-synth [--dim d] [--frame-rows n] [--meta key=value]\n"
	"                 [--nan-every m] [--outputs k] [--quantize q] "
	"[--rows n]\n"
	"                 [--seed s] [--start-id i]\n";

struct cmdline {
	uint64_t rows, dim, outputs, seed, start_id, frame_rows, nan_every;
	double quantize;
	char **meta;			/* "key=value", nmeta of them */
	int nmeta;
};

static uint64_t count_arg(const char *opt, const char *arg, uint64_t min,
			  uint64_t max)
{
	const char *errstr;
	uint64_t v = parse_u64(arg, min, max, &errstr);

	if (errstr)
		usage_die("%s: '%s' is %s", opt, arg, errstr);
	return v;
}

static void parse_args(struct cmdline *cl, int argc, char **argv)
{
	enum { OPT_DIM = 256, OPT_FRAME_ROWS, OPT_META, OPT_NAN_EVERY, OPT_OUTPUTS,
	       OPT_QUANTIZE, OPT_ROWS, OPT_SEED, OPT_START_ID };
	static const struct option opts[] = {
		{ "dim", required_argument, NULL, OPT_DIM },
		{ "frame-rows", required_argument, NULL, OPT_FRAME_ROWS },
		{ "help", no_argument, NULL, 'h' },
		{ "meta", required_argument, NULL, OPT_META },
		{ "nan-every", required_argument, NULL, OPT_NAN_EVERY },
		{ "outputs", required_argument, NULL, OPT_OUTPUTS },
		{ "quantize", required_argument, NULL, OPT_QUANTIZE },
		{ "rows", required_argument, NULL, OPT_ROWS },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "start-id", required_argument, NULL, OPT_START_ID },
		{ NULL, 0, NULL, 0 },
	};
	const char *errstr;
	int c;

	memset(cl, 0, sizeof(*cl));
	cl->rows = 10;
	cl->dim = 2;
	cl->outputs = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_DIM:
			cl->dim = count_arg("--dim", optarg, 1, 4096);
			break;
		case OPT_FRAME_ROWS:
			cl->frame_rows = count_arg("--frame-rows", optarg, 1,
						   1u << 24);
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case OPT_META:
			if (!strchr(optarg, '='))
				usage_die("--meta: expected key=value, got '%s'",
					  optarg);
			cl->meta = xrealloc(cl->meta, (cl->nmeta + 1) *
					    sizeof(*cl->meta));
			cl->meta[cl->nmeta++] = optarg;
			break;
		case OPT_NAN_EVERY:
			cl->nan_every = count_arg("--nan-every", optarg, 1,
						  UINT64_MAX);
			break;
		case OPT_OUTPUTS:
			cl->outputs = count_arg("--outputs", optarg, 1, 4096);
			break;
		case OPT_QUANTIZE:
			cl->quantize = parse_double(optarg, &errstr);
			if (errstr || !(cl->quantize > 0) || isinf(cl->quantize))
				usage_die("--quantize: '%s' is not a positive "
					  "number", optarg);
			break;
		case OPT_ROWS:
			cl->rows = count_arg("--rows", optarg, 0, UINT64_MAX);
			break;
		case OPT_SEED:
			cl->seed = count_arg("--seed", optarg, 0, UINT64_MAX);
			break;
		case OPT_START_ID:
			cl->start_id = count_arg("--start-id", optarg, 0,
						 UINT64_MAX);
			break;
		default:
			fputs(usage_text, stderr);
			exit(PAL_EXIT_USAGE);
		}
	}
	if (optind != argc)
		usage_die("no operands expected");
}

static double quantize(double v, double q)
{
	return q > 0 ? q * floor(v / q) : v;
}

int main(int argc, char **argv)
{
	struct cmdline cl;
	struct pal_col schema[4] = {
		{ .name = "id", .dtype = PAL_U64, .width = 1 },
		{ .name = "x", .dtype = PAL_F64 },
		{ .name = "mean", .dtype = PAL_F64 },
		{ .name = "std", .dtype = PAL_F64 },
	};
	struct pal_batch *b;
	struct pal_writer *w;
	struct rng r;
	uint64_t done = 0;

	pal_init("pal-synth");
	parse_args(&cl, argc, argv);
	schema[1].width = (uint32_t)cl.dim;
	schema[2].width = schema[3].width = (uint32_t)cl.outputs;
	if (!cl.frame_rows)
		cl.frame_rows = pal_default_rows(schema, 4);
	b = pal_batch_new(schema, 4, cl.frame_rows);
	if (!b)
		die("out of memory");
	w = xwriter(1, "stdout", 0);
	for (int i = 0; i < cl.nmeta; i++) {
		char *eq = strchr(cl.meta[i], '=');

		*eq = '\0';
		if (pal_write_kv(w, cl.meta[i], eq + 1) < 0)
			die_writer(w);
	}
	free(cl.meta);
	rng_seed(&r, cl.seed, 0);
	while (done < cl.rows) {
		uint64_t n = cl.rows - done < b->cap ? cl.rows - done : b->cap;
		uint64_t *id = b->f.cols[0].data;
		double *x = b->f.cols[1].data, *mean = b->f.cols[2].data,
		       *std = b->f.cols[3].data;

		for (uint64_t i = 0; i < n; i++) {
			uint64_t k = cl.start_id + done + i;

			id[i] = k;
			for (uint64_t j = 0; j < cl.dim; j++)
				x[i * cl.dim + j] = rng_uniform(&r);
			for (uint64_t j = 0; j < cl.outputs; j++) {
				double m = rng_normal(&r), s = rng_uniform(&r);

				mean[i * cl.outputs + j] = quantize(m, cl.quantize);
				std[i * cl.outputs + j] = quantize(s, cl.quantize);
			}
			if (cl.nan_every && (k - cl.start_id + 1) % cl.nan_every == 0)
				std[i * cl.outputs] = NAN;
		}
		b->f.nrows = n;
		xpal_write(w, &b->f);
		pal_batch_clear(b);
		done += n;
	}
	xpal_finish(w);
	pal_writer_free(w);
	pal_batch_free(b);
	return 0;
}
