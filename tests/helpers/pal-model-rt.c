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
 *
 * Errors are the library's messages, with exit status 1.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "io.h"
#include "mlp.h"
#include "model.h"
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
	usage_die("usage: pal-model-rt write | check FILE | table [-s] FILE");
}
