/*
 * test-design.c: unit tests of libcommon/design.c, printing TAP.
 *
 * The expected Sobol' and Halton points are published values: the first
 * eight 2-D Sobol' points (Joe-Kuo direction numbers, Gray-code order) are
 * those of scipy's test suite (scipy/stats/tests/test_qmc.py, TestSobol,
 * "theoretical values from Joe Kuo2010"), the Halton ones the van der
 * Corput radical inverses in bases 2 and 3 (the same file, TestHalton).
 * The rest are properties: nets, strata and permutations.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "design.h"
#include "banned.h"

static int ntest, nfail;

static void ok(int cond, const char *what)
{
	ntest++;
	if (!cond)
		nfail++;
	printf("%sok %d - %s\n", cond ? "" : "not ", ntest, what);
}

static void test_sobol_published(void)
{
	static const double want[8][2] = {
		{ 0, 0 }, { 0.5, 0.5 }, { 0.75, 0.25 }, { 0.25, 0.75 },
		{ 0.375, 0.375 }, { 0.875, 0.875 }, { 0.625, 0.125 },
		{ 0.125, 0.625 },
	};
	struct sobol *s = sobol_new(2, 0, 0, 0);
	double x[2];
	int good = 1;

	for (int i = 0; i < 8; i++) {
		sobol_next(s, x);
		good &= x[0] == want[i][0] && x[1] == want[i][1];
	}
	sobol_free(s);
	ok(good, "sobol: first 8 points in 2-D are the published ones");
}

static void test_sobol_skip(void)
{
	static const uint64_t starts[] = { 1, 5, 100, 1023, 4096 };
	int good = 1;

	for (size_t t = 0; t < sizeof(starts) / sizeof(starts[0]); t++) {
		for (int scr = 0; scr < 2; scr++) {
			struct sobol *a = sobol_new(50, 0, scr, 9);
			struct sobol *b = sobol_new(50, starts[t], scr, 9);
			double xa[50], xb[50];

			for (uint64_t i = 0; i < starts[t]; i++)
				sobol_next(a, xa);
			for (int i = 0; i < 20; i++) {
				sobol_next(a, xa);
				sobol_next(b, xb);
				good &= !memcmp(xa, xb, sizeof(xa));
			}
			sobol_free(a);
			sobol_free(b);
		}
	}
	ok(good, "sobol: starting at k equals skipping k points");
}

/*
 * The first 2^m points put one point in each interval [k 2^-m, (k+1) 2^-m)
 * of every coordinate (each 1-D projection is a (0, m, 1)-net).
 */
static int sobol_1d_nets(uint32_t dim, unsigned m, int scramble)
{
	uint64_t n = 1ull << m;
	struct sobol *s = sobol_new(dim, 0, scramble, 42);
	unsigned char *seen = calloc((size_t)dim * n, 1);
	double *x = malloc(dim * sizeof(double));
	int good = s && seen && x;

	for (uint64_t i = 0; good && i < n; i++) {
		sobol_next(s, x);
		for (uint32_t j = 0; j < dim; j++) {
			uint64_t k = (uint64_t)(x[j] * (double)n);

			good &= x[j] >= 0 && x[j] < 1 && !seen[j * n + k];
			seen[j * n + k] = 1;
		}
	}
	sobol_free(s);
	free(seen);
	free(x);
	return good;
}

/* The first 2^m points of dimensions 1 and 2 form a (0, m, 2)-net: one
 * point in each elementary box 2^-a by 2^-(m-a). */
static int sobol_2d_net(unsigned m, int scramble)
{
	uint64_t n = 1ull << m;
	struct sobol *s = sobol_new(2, 0, scramble, 7);
	double (*pt)[2] = malloc(n * sizeof(*pt));
	unsigned char *seen = malloc(n);
	int good = s && pt && seen;

	for (uint64_t i = 0; good && i < n; i++)
		sobol_next(s, pt[i]);
	for (unsigned a = 0; good && a <= m; a++) {
		memset(seen, 0, n);
		for (uint64_t i = 0; i < n; i++) {
			uint64_t k0 = (uint64_t)ldexp(pt[i][0], (int)a);
			uint64_t k1 = (uint64_t)ldexp(pt[i][1], (int)(m - a));
			uint64_t box = (k0 << (m - a)) | k1;

			good &= !seen[box];
			seen[box] = 1;
		}
	}
	sobol_free(s);
	free(pt);
	free(seen);
	return good;
}

static void test_sobol_nets(void)
{
	ok(sobol_1d_nets(SOBOL_MAXDIM, 10, 0),
	   "sobol: 1024 points stratify every one of 1111 dimensions");
	ok(sobol_1d_nets(100, 12, 1),
	   "sobol --scramble: 4096 points stratify 100 dimensions");
	ok(sobol_2d_net(10, 0) && sobol_2d_net(11, 1),
	   "sobol: dimensions 1 and 2 form a (0,m,2)-net, plain and scrambled");
	ok(!sobol_new(SOBOL_MAXDIM + 1, 0, 0, 0) && !sobol_new(0, 0, 0, 0) &&
	   !sobol_new(2, DESIGN_MAX_INDEX, 0, 0),
	   "sobol: refuses dimension 0, 1112 and a start past 2^53");
}

static void test_sobol_scramble_differs(void)
{
	struct sobol *a = sobol_new(3, 0, 1, 1), *b = sobol_new(3, 0, 1, 2);
	double xa[3], xb[3];

	sobol_next(a, xa);
	sobol_next(b, xb);
	ok(memcmp(xa, xb, sizeof(xa)) && xa[0] != 0,
	   "sobol --scramble: seeds give different points, not the origin");
	sobol_free(a);
	sobol_free(b);
}

static void test_halton(void)
{
	static const double want[8][2] = {
		{ 0, 0 }, { 1 / 2., 1 / 3. }, { 1 / 4., 2 / 3. },
		{ 3 / 4., 1 / 9. }, { 1 / 8., 4 / 9. }, { 5 / 8., 7 / 9. },
		{ 3 / 8., 2 / 9. }, { 7 / 8., 5 / 9. },
	};
	struct halton *h = halton_new(2, 0, 0, 0);
	uint32_t p[10], wantp[10] = { 2, 3, 5, 7, 11, 13, 17, 19, 23, 29 };
	double x[2];
	int good = 1;

	for (int i = 0; i < 8; i++) {
		halton_next(h, x);
		good &= x[0] == want[i][0] && x[1] == want[i][1];
	}
	halton_free(h);
	ok(good, "halton: first 8 points in 2-D are the radical inverses");
	design_primes(10, p);
	ok(!memcmp(p, wantp, sizeof(p)), "design_primes: the first 10 primes");
}

/* The first b^k points put one in each interval of width b^-k of the
 * coordinate in base b, scrambled or not. */
static void test_halton_strata(void)
{
	int good = 1;

	for (int scr = 0; scr < 2; scr++) {
		struct halton *h = halton_new(4, 0, scr, 5);
		uint32_t n[4] = { 1024, 729, 625, 343 };	/* 2^10 3^6 5^4 7^3 */
		unsigned char *seen = calloc(4 * 1024, 1);
		double x[4];

		for (uint32_t i = 0; i < 1024; i++) {
			halton_next(h, x);
			for (int j = 0; j < 4; j++) {
				/* Plain points are exact multiples of b^-k:
				 * round, lest 1/3 * 729 land below 243. */
				uint64_t k = scr ? (uint64_t)(x[j] * n[j]) :
					     (uint64_t)llround(x[j] * n[j]);

				if (i >= n[j])
					continue;
				good &= x[j] >= 0 && x[j] < 1 &&
					!seen[j * 1024 + k];
				seen[j * 1024 + k] = 1;
			}
		}
		halton_free(h);
		free(seen);
	}
	ok(good, "halton: b^k points stratify base b, plain and scrambled");
}

static void test_permute(void)
{
	static const uint64_t ns[] = { 1, 2, 3, 7, 64, 1000, 4097 };
	int good = 1, moved = 0;

	for (size_t t = 0; t < sizeof(ns) / sizeof(ns[0]); t++) {
		for (uint64_t key = 0; key < 3; key++) {
			uint64_t n = ns[t];
			unsigned char *seen = calloc(n, 1);

			for (uint64_t i = 0; i < n; i++) {
				uint64_t p = design_permute(i, n, key);

				good &= p < n && !seen[p];
				seen[p] = 1;
				moved += p != i;
			}
			free(seen);
		}
	}
	ok(good && moved > 10000, "design_permute: a bijection of 0..n-1");
}

static void test_lhs(void)
{
	static const uint64_t ns[] = { 1, 2, 10, 1000 };
	static const uint32_t ds[] = { 1, 3, 17 };
	int good = 1;

	for (size_t a = 0; a < 4; a++)
		for (size_t c = 0; c < 3; c++) {
			uint64_t n = ns[a];
			uint32_t d = ds[c];
			struct lhs *l = lhs_new(d, n, a * 10 + c);
			unsigned char *seen = calloc(n * d, 1);
			double x[17];

			for (uint64_t i = 0; i < n; i++) {
				lhs_next(l, x);
				for (uint32_t j = 0; j < d; j++) {
					uint64_t k = (uint64_t)(x[j] * (double)n);

					good &= x[j] >= 0 && x[j] < 1 &&
						!seen[j * n + k];
					seen[j * n + k] = 1;
				}
			}
			lhs_free(l);
			free(seen);
		}
	ok(good, "lhs: one point per stratum in every dimension");
}

static void test_grid(void)
{
	double x[2], all[9][2];
	static const double want[9][2] = {
		{ 0, 0 }, { 0, 0.5 }, { 0, 1 }, { 0.5, 0 }, { 0.5, 0.5 },
		{ 0.5, 1 }, { 1, 0 }, { 1, 0.5 }, { 1, 1 },
	};

	for (int i = 0; i < 9; i++)
		grid_point(3, 2, (uint64_t)i, all[i]);
	ok(!memcmp(all, want, sizeof(all)), "grid: 3x3, last dimension fastest");
	grid_point(1, 2, 0, x);
	ok(x[0] == 0.5 && x[1] == 0.5, "grid: one point per dimension is the centre");
}

int main(void)
{
	test_sobol_published();
	test_sobol_skip();
	test_sobol_nets();
	test_sobol_scramble_differs();
	test_halton();
	test_halton_strata();
	test_permute();
	test_lhs();
	test_grid();
	printf("1..%d\n", ntest);
	return nfail != 0;
}
