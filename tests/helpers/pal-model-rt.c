/*
 * pal-model-rt: model files and tables through libcommon's model.c and
 * table.c, for the shell tests (tests/t130-model-table.sh).
 *
 *	pal-model-rt write		a fixed MLP committee model on stdout
 *	pal-model-rt check FILE		read FILE as a model; exit 0 and print
 *					"same model" when it is the fixed one
 *	pal-model-rt table [-s] FILE	gather FILE with table_read (-s: skip
 *					non-finite rows) and print the counts,
 *					then each row as TSV: id, x..., y...,
 *					grad...
 *	pal-model-rt mlp M D LAYERS K ACT DTYPE SEED [CAL]
 *					an MLP committee on stdout: M members,
 *					D inputs, hidden LAYERS ("6,3", "-" for
 *					none), K outputs, ACT, DTYPE f32|f64,
 *					every parameter uniform in [-1, 1] from
 *					SEED, x_mean_j = 0.1 j, x_std_j = 0.5 +
 *					0.25 j, y_mean_j = 1 + j, y_std_j = 2 + j,
 *					calibration CAL (default 1)
 *	pal-model-rt gp KERNEL N D SEED [fit]
 *					a Gaussian process on stdout: N rows of
 *					x uniform in [-2, 2]^D from SEED, y =
 *					sum_j sin(1.5 x_j) + 0.01 noise, both
 *					standardised (the scaling stored), at
 *					the default hyper-parameters or, with
 *					"fit", at those gp_optimize finds
 *
 * Errors are the library's messages, with exit status 1.
 */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "io.h"
#include "mlp.h"
#include "model.h"
#include "num.h"
#include "rng.h"
#include "stream.h"
#include "table.h"
#include "banned.h"

static const int hidden[2] = { 6, 3 };
static double xm[2] = { 0.5, -2.0 / 3 }, xs[2] = { 1.5, 0.1 };
static double ym[1] = { -7.25 }, ys[1] = { 3.0 / 7 };

/* The fixed committee: 4 members, 2-6-3-1, tanh, seed 5. */
static void fixed(struct model_mlp *mm)
{
	struct pal_error e;
	float *t;

	memset(mm, 0, sizeof(*mm));
	if (mlp_init(&mm->net, 4, 2, 2, hidden, 1, MLP_TANH, &e) < 0)
		die("%s", e.msg);
	t = xmalloc(mm->net.np * sizeof(float));
	mlp_init_params(&mm->net, t, 5);
	mm->theta = t;
	mm->dtype = PAL_F32;
	mm->x_mean = xm;
	mm->x_std = xs;
	mm->y_mean = ym;
	mm->y_std = ys;
	mm->calibration = 1.25;
}

static int cmd_write(void)
{
	struct pal_kv extra[1] = { { (char *)"seed", (char *)"5" } };
	struct pal_writer *w = xwriter(1, "stdout", 0);
	struct model_mlp mm;
	struct pal_error e;

	fixed(&mm);
	if (model_write_mlp(w, &mm, extra, 1, &e) < 0)
		die("%s", e.msg);
	pal_writer_free(w);
	free((void *)mm.theta);
	mlp_free(&mm.net);
	return 0;
}

static int cmd_check(const char *path)
{
	int fd = xopen_in(path);
	struct pal_reader *r = xreader(fd, path);
	struct model_mlp mm, got;
	struct pal_error e;
	struct model m;

	if (model_read(&m, r, path, &e) < 0 || model_read_mlp(&m, &got, &e) < 0)
		die("%s", e.msg);
	fixed(&mm);
	if (got.net.np != mm.net.np || got.dtype != PAL_F32 ||
	    memcmp(got.theta, mm.theta, mm.net.np * sizeof(float)) ||
	    memcmp(got.x_mean, xm, sizeof(xm)) ||
	    memcmp(got.x_std, xs, sizeof(xs)) ||
	    memcmp(got.y_mean, ym, sizeof(ym)) ||
	    memcmp(got.y_std, ys, sizeof(ys)) || got.calibration != 1.25 ||
	    !model_get(&m, "seed") || strcmp(model_get(&m, "seed"), "5"))
		die("'%s' is another model", path);
	puts("same model");
	model_mlp_free(&got);
	model_free(&m);
	pal_reader_free(r);
	close(fd);
	free((void *)mm.theta);
	mlp_free(&mm.net);
	xfclose(stdout, "stdout");
	return 0;
}

static int cmd_table(const char *path, int skip)
{
	int fd = xopen_in(path);
	struct pal_reader *r = xreader(fd, path);
	struct table_opts o = { .flags = skip ? TABLE_SKIP_NONFINITE : 0 };
	struct pal_error e;
	struct table t;

	if (table_read(&t, r, path, &o, &e) < 0)
		die("%s", e.msg);
	printf("# n=%llu read=%llu failed=%llu nonfinite=%llu d=%u k=%u "
	       "grad=%s\n", (unsigned long long)t.n,
	       (unsigned long long)t.nread, (unsigned long long)t.nfailed,
	       (unsigned long long)t.nnonfinite, t.d, t.k,
	       t.grad ? "yes" : "no");
	for (uint64_t i = 0; i < t.n; i++) {
		printf("%llu", (unsigned long long)t.id[i]);
		for (uint32_t j = 0; j < t.d; j++)
			printf("\t%.17g", t.x[i * t.d + j]);
		for (uint32_t j = 0; j < t.k; j++)
			printf("\t%.17g", t.y[i * t.k + j]);
		for (uint32_t j = 0; t.grad && j < t.d; j++)
			printf("\t%.17g", t.grad[i * t.d + j]);
		putchar('\n');
	}
	table_free(&t);
	pal_reader_free(r);
	close(fd);
	xfclose(stdout, "stdout");
	return 0;
}

/* The number s in [min, max], or die. */
static uint64_t num_arg(const char *s, uint64_t min, uint64_t max)
{
	const char *why;
	uint64_t v = parse_u64(s, min, max, &why);

	if (why)
		die("'%s': %s", s, why);
	return v;
}

/* A committee of the shape given, parameters uniform in [-1, 1]. */
static int cmd_mlp(char **a, int n)
{
	int m = (int)num_arg(a[0], 1, 64);
	int d = (int)num_arg(a[1], 1, 1000);
	int k = (int)num_arg(a[3], 1, 100);
	int act = mlp_act_parse(a[4]), dtype = pal_dtype_parse(a[5]);
	uint64_t seed = num_arg(a[6], 0, UINT64_MAX);
	int hid[MLP_MAX_HIDDEN], nh = 0;
	struct pal_writer *w = xwriter(1, "stdout", 0);
	struct model_mlp mm;
	struct pal_error e;
	struct rng rng;

	for (const char *p = a[2]; strcmp(a[2], "-") && nh < MLP_MAX_HIDDEN;) {
		char num[16];
		const char *c = strchr(p, ',');
		size_t len = c ? (size_t)(c - p) : strlen(p);

		snprintf(num, sizeof(num), "%.*s", (int)len, p);
		hid[nh++] = (int)num_arg(num, 1, 4096);
		if (!c)
			break;
		p = c + 1;
	}
	memset(&mm, 0, sizeof(mm));
	if (act < 0 || (dtype != PAL_F32 && dtype != PAL_F64))
		die("bad activation or dtype");
	if (mlp_init(&mm.net, m, d, nh, hid, k, act, &e) < 0)
		die("%s", e.msg);
	rng_seed(&rng, seed, 0);
	if (dtype == PAL_F32) {
		float *t = xmalloc(mm.net.np * sizeof(*t));

		for (size_t i = 0; i < mm.net.np; i++)
			t[i] = (float)(2 * rng_uniform(&rng) - 1);
		mm.theta = t;
	} else {
		double *t = xmalloc(mm.net.np * sizeof(*t));

		for (size_t i = 0; i < mm.net.np; i++)
			t[i] = 2 * rng_uniform(&rng) - 1;
		mm.theta = t;
	}
	mm.dtype = dtype;
	mm.x_mean = xmalloc((size_t)d * sizeof(double));
	mm.x_std = xmalloc((size_t)d * sizeof(double));
	mm.y_mean = xmalloc((size_t)k * sizeof(double));
	mm.y_std = xmalloc((size_t)k * sizeof(double));
	for (int j = 0; j < d; j++) {
		mm.x_mean[j] = 0.1 * j;
		mm.x_std[j] = 0.5 + 0.25 * j;
	}
	for (int j = 0; j < k; j++) {
		mm.y_mean[j] = 1 + j;
		mm.y_std[j] = 2 + j;
	}
	{
		const char *why = NULL;

		mm.calibration = n > 7 ? parse_double(a[7], &why) : 1;
		if (why)
			die("'%s': %s", a[7], why);
	}
	if (model_write_mlp(w, &mm, NULL, 0, &e) < 0)
		die("%s", e.msg);
	pal_writer_free(w);
	free((void *)mm.theta);
	free(mm.x_mean), free(mm.x_std), free(mm.y_mean), free(mm.y_std);
	mlp_free(&mm.net);
	return 0;
}

/* A GP on rows of a smooth function. */
static int cmd_gp(char **a, int n)
{
	enum gp_kernel kern;
	size_t rows = num_arg(a[1], 1, GP_MAX_N);
	size_t d = num_arg(a[2], 1, 100);
	uint64_t seed = num_arg(a[3], 0, UINT64_MAX);
	double *x = xmalloc(rows * d * sizeof(*x)), *y = xmalloc(rows * 8);
	double *gxm = xmalloc(d * sizeof(*gxm));
	double *gxs = xmalloc(d * sizeof(*gxs));
	double gym, gys;
	struct pal_writer *w = xwriter(1, "stdout", 0);
	struct model_gp mg;
	struct pal_error e;
	struct rng rng;

	if (gp_kernel_parse(a[0], &kern, &e) < 0)
		die("%s", e.msg);
	rng_seed(&rng, seed, 0);
	for (size_t i = 0; i < rows; i++) {
		y[i] = 0.01 * rng_normal(&rng);
		for (size_t j = 0; j < d; j++) {
			x[i * d + j] = 4 * rng_uniform(&rng) - 2;
			y[i] += sin(1.5 * x[i * d + j]);
		}
	}
	gp_standardize(rows, d, x, gxm, gxs);
	gp_standardize(rows, 1, y, &gym, &gys);
	mg.gp = gp_new(kern, rows, d, x, y, NULL, &e);
	if (!mg.gp || (n > 4 && !strcmp(a[4], "fit") &&
		       gp_optimize(mg.gp, NULL, NULL, &e) < 0))
		die("%s", e.msg);
	mg.x_mean = gxm;
	mg.x_std = gxs;
	mg.y_mean = gym;
	mg.y_std = gys;
	if (model_write_gp(w, &mg, NULL, 0, &e) < 0)
		die("%s", e.msg);
	pal_writer_free(w);
	gp_free(mg.gp);
	free(x), free(y), free(gxm), free(gxs);
	return 0;
}

int main(int argc, char **argv)
{
	pal_init("pal-model-rt");
	if (argc == 2 && !strcmp(argv[1], "write"))
		return cmd_write();
	if (argc == 3 && !strcmp(argv[1], "check"))
		return cmd_check(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "table"))
		return cmd_table(argv[2], 0);
	if (argc == 4 && !strcmp(argv[1], "table") && !strcmp(argv[2], "-s"))
		return cmd_table(argv[3], 1);
	if ((argc == 9 || argc == 10) && !strcmp(argv[1], "mlp"))
		return cmd_mlp(argv + 2, argc - 2);
	if ((argc == 6 || argc == 7) && !strcmp(argv[1], "gp"))
		return cmd_gp(argv + 2, argc - 2);
	usage_die("usage: pal-model-rt write | check FILE | table [-s] FILE | "
		  "mlp M D LAYERS K ACT DTYPE SEED [CAL] | gp KERNEL N D SEED "
		  "[fit]");
}
