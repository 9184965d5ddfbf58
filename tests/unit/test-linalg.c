/*
 * test-linalg.c: unit tests of libcommon/linalg.c, each fast function
 * (OpenBLAS, LAPACK) against its naive twin, plus matrices whose factor
 * and determinant are known, and matrices that must be refused.
 *
 * Tolerances are stated with each check and come from the standard error
 * bounds: a dot product of length k in precision ε is off by at most
 * γ_k·Σ|x_l||y_l|, γ_k = kε/(1−kε), for any order of the sums; two
 * orders differ by at most twice that.  The checks use 2(k+2)ε times
 * |α|·|op(A)|·|op(B)| + |β|·|C| elementwise (the +2 for the scaling by α
 * and the addition of βC), and print the largest ratio error/bound.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "linalg.h"
#include "rng.h"
#include "unit.h"
#include "banned.h"

static struct rng R;

static double unif(void)
{
	return 2 * rng_uniform(&R) - 1;
}

/* ---- products ---------------------------------------------------------- */

struct shape {
	size_t m, n, k;
};

static const struct shape shapes[] = {
	{ 1, 1, 1 }, { 1, 1, 0 }, { 3, 2, 0 }, { 1, 7, 1 }, { 5, 1, 3 },
	{ 7, 5, 3 }, { 13, 17, 11 }, { 31, 1, 64 }, { 64, 33, 100 },
	{ 127, 129, 65 }, { 200, 150, 300 },
};

#define NSHAPES (sizeof shapes / sizeof shapes[0])

/*
 * One product in f64 with transposes ta, tb, padded leading dimensions,
 * and the given beta (0: C starts as NaN, which must not be read).
 * Returns the largest |fast − naive| / bound and sets *maxabs.
 */
static double dgemm_case(enum la_trans ta, enum la_trans tb,
			 const struct shape *s, double beta, double *maxabs)
{
	size_t m = s->m, n = s->n, k = s->k;
	size_t ar = ta == LA_N ? m : k, ac = ta == LA_N ? k : m;
	size_t br = tb == LA_N ? k : n, bc = tb == LA_N ? n : k;
	size_t lda = ac + 3, ldb = bc + 1, ldc = n + 2;
	double *a = xmalloc((ar * lda + 1) * sizeof *a);
	double *b = xmalloc((br * ldb + 1) * sizeof *b);
	double *c0 = xmalloc((m * ldc + 1) * sizeof *c0);
	double *c1 = xmalloc((m * ldc + 1) * sizeof *c1);
	double *c2 = xmalloc((m * ldc + 1) * sizeof *c2);
	double alpha = 0.5 + rng_uniform(&R), worst = 0;
	double eps = DBL_EPSILON / 2;

	for (size_t i = 0; i < ar * lda; i++)
		a[i] = unif();
	for (size_t i = 0; i < br * ldb; i++)
		b[i] = unif();
	for (size_t i = 0; i < m * ldc; i++)
		c0[i] = beta == 0 ? NAN : unif();
	memcpy(c1, c0, m * ldc * sizeof *c1);
	memcpy(c2, c0, m * ldc * sizeof *c2);
	la_dgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c1, ldc);
	la_dgemm_naive(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c2, ldc);
	*maxabs = 0;
	for (size_t i = 0; i < m; i++)
		for (size_t j = 0; j < n; j++) {
			double sc = 0, d;

			for (size_t l = 0; l < k; l++) {
				double x = ta == LA_N ? a[i * lda + l] : a[l * lda + i];
				double y = tb == LA_N ? b[l * ldb + j] : b[j * ldb + l];

				sc += fabs(x * y);
			}
			sc = fabs(alpha) * sc +
			     (beta == 0 ? 0 : fabs(beta * c0[i * ldc + j]));
			d = fabs(c1[i * ldc + j] - c2[i * ldc + j]);
			if (!(d <= *maxabs))
				*maxabs = d;
			d = sc > 0 ? d / (2 * (double)(k + 2) * eps * sc) :
				(d == 0 ? 0 : INFINITY);
			if (!(d <= worst))
				worst = d;	/* NaN sticks */
		}
	/* the padding between rows is untouched */
	for (size_t i = 0; i < m; i++)
		for (size_t j = n; j < ldc && i * ldc + j < m * ldc; j++)
			if (memcmp(&c1[i * ldc + j], &c0[i * ldc + j],
				   sizeof *c1))
				worst = INFINITY;
	free(a);
	free(b);
	free(c0);
	free(c1);
	free(c2);
	return worst;
}

/* The same in f32 (copied rather than shared through macros, so that a
 * failure points at plain code). */
static double sgemm_case(enum la_trans ta, enum la_trans tb,
			 const struct shape *s, float beta, double *maxabs)
{
	size_t m = s->m, n = s->n, k = s->k;
	size_t ar = ta == LA_N ? m : k, ac = ta == LA_N ? k : m;
	size_t br = tb == LA_N ? k : n, bc = tb == LA_N ? n : k;
	size_t lda = ac + 1, ldb = bc + 2, ldc = n + 3;
	float *a = xmalloc((ar * lda + 1) * sizeof *a);
	float *b = xmalloc((br * ldb + 1) * sizeof *b);
	float *c0 = xmalloc((m * ldc + 1) * sizeof *c0);
	float *c1 = xmalloc((m * ldc + 1) * sizeof *c1);
	float *c2 = xmalloc((m * ldc + 1) * sizeof *c2);
	float alpha = (float)(0.5 + rng_uniform(&R));
	double worst = 0, eps = FLT_EPSILON / 2;

	for (size_t i = 0; i < ar * lda; i++)
		a[i] = (float)unif();
	for (size_t i = 0; i < br * ldb; i++)
		b[i] = (float)unif();
	for (size_t i = 0; i < m * ldc; i++)
		c0[i] = beta == 0 ? NAN : (float)unif();
	memcpy(c1, c0, m * ldc * sizeof *c1);
	memcpy(c2, c0, m * ldc * sizeof *c2);
	la_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c1, ldc);
	la_sgemm_naive(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c2, ldc);
	*maxabs = 0;
	for (size_t i = 0; i < m; i++)
		for (size_t j = 0; j < n; j++) {
			double sc = 0, d;

			for (size_t l = 0; l < k; l++) {
				double x = ta == LA_N ? a[i * lda + l] : a[l * lda + i];
				double y = tb == LA_N ? b[l * ldb + j] : b[j * ldb + l];

				sc += fabs(x * y);
			}
			sc = fabs(alpha) * sc +
			     (beta == 0 ? 0 : fabs((double)beta * c0[i * ldc + j]));
			d = fabs((double)c1[i * ldc + j] - c2[i * ldc + j]);
			if (!(d <= *maxabs))
				*maxabs = d;
			d = sc > 0 ? d / (2 * (double)(k + 2) * eps * sc) :
				(d == 0 ? 0 : INFINITY);
			if (!(d <= worst))
				worst = d;
		}
	free(a);
	free(b);
	free(c0);
	free(c1);
	free(c2);
	return worst;
}

static void test_gemm(void)
{
	static const char tn[] = "NT";

	for (int prec = 0; prec < 2; prec++)
		for (int t = 0; t < 4; t++) {
			enum la_trans ta = t & 1 ? LA_T : LA_N;
			enum la_trans tb = t & 2 ? LA_T : LA_N;
			double worst = 0, maxabs = 0;

			for (size_t i = 0; i < NSHAPES; i++)
				for (int bz = 0; bz < 2; bz++) {
					double r, ab;

					if (prec == 0)
						r = dgemm_case(ta, tb, &shapes[i],
							       bz ? 0 : -0.7, &ab);
					else
						r = sgemm_case(ta, tb, &shapes[i],
							       bz ? 0 : -0.7f, &ab);
					if (!(r <= worst))
						worst = r;
					if (ab > maxabs)
						maxabs = ab;
				}
			CHECK(worst <= 1, "%cgemm op(A)=%c op(B)=%c, %zu shapes "
			      "1x1x1..200x150x300 (k=0 too), beta 0 and -0.7: "
			      "fast vs naive max |diff| %.3g, max |diff|/bound "
			      "%.3g <= 1 (bound 2(k+2)eps(|a||A||B|+|b||C|))",
			      prec ? 's' : 'd', tn[ta], tn[tb], NSHAPES,
			      maxabs, worst);
		}
}

/* k = 0: C = beta·C exactly, and beta = 0 clears NaN. */
static void test_gemm_k0(void)
{
	double c[4] = { 1, 2, NAN, 4 }, a[1] = { 0 }, b[1] = { 0 };
	float cf[2] = { 3, NAN };

	la_dgemm(LA_N, LA_N, 2, 2, 0, 1.0, a, 0, b, 2, 2.0, c, 2);
	CHECK(c[0] == 2 && c[1] == 4 && isnan(c[2]) && c[3] == 8,
	      "dgemm k=0 beta=2 doubles C: %g %g %g %g", c[0], c[1], c[2],
	      c[3]);
	la_dgemm(LA_N, LA_N, 2, 2, 0, 1.0, a, 0, b, 2, 0.0, c, 2);
	CHECK(c[0] == 0 && c[1] == 0 && c[2] == 0 && c[3] == 0,
	      "dgemm k=0 beta=0 zeroes C, NaN included");
	la_sgemm(LA_T, LA_T, 1, 2, 0, 1.0f, NULL, 1, NULL, 1, 0.0f, cf, 2);
	CHECK(cf[0] == 0 && cf[1] == 0, "sgemm k=0 beta=0 zeroes C");
}

/* ---- Cholesky ---------------------------------------------------------- */

typedef int (*chol_fn)(size_t, double *, size_t, struct pal_error *);

static const struct {
	const char *name;
	chol_fn fn;
} chols[] = {
	{ "la_cholesky", la_cholesky },
	{ "la_cholesky_naive", la_cholesky_naive },
};

/* A = L·Lᵀ with L = [2 0 0; 6 1 0; -8 5 3]: det A = (2·1·3)² = 36. */
static void test_known(void)
{
	static const double a0[9] = { 4, 12, -16, 12, 37, -43, -16, -43, 98 };
	static const double l0[9] = { 2, 0, 0, 6, 1, 0, -8, 5, 3 };

	for (size_t f = 0; f < 2; f++) {
		double a[9], d = 0;
		struct pal_error e = { 0 };
		int rc;

		memcpy(a, a0, sizeof a);
		a[1] = a[2] = a[5] = 99;	/* upper triangle not read */
		rc = chols[f].fn(3, a, 3, &e);
		for (int i = 0; i < 9; i++)
			d = fmax(d, fabs(a[i] - l0[i]));
		CHECK(rc == 0 && d <= 1e-15, "%s of the 3x3 [4 12 -16; 12 37 "
		      "-43; -16 -43 98]: L = [2; 6 1; -8 5 3] to %.3g <= 1e-15, "
		      "upper triangle zeroed", chols[f].name, d);
		d = la_cholesky_logdet(3, a, 3);
		CHECK(fabs(d - log(36.0)) <= 1e-15, "%s: log det = %.17g, want "
		      "log 36 = %.17g", chols[f].name, d, log(36.0));
	}

	/* tridiag(-1, 2, -1) of order n has det n + 1. */
	for (size_t f = 0; f < 2; f++) {
		size_t n = 99;
		double *a = xcalloc(n * n, sizeof *a), ld;
		struct pal_error e = { 0 };
		int rc;

		for (size_t i = 0; i < n; i++) {
			a[i * n + i] = 2;
			if (i)
				a[i * n + i - 1] = a[(i - 1) * n + i] = -1;
		}
		rc = chols[f].fn(n, a, n, &e);
		ld = la_cholesky_logdet(n, a, n);
		CHECK(rc == 0 && fabs(ld - log(100.0)) <= 1e-13,
		      "%s of tridiag(-1,2,-1), n=99: log det %.15g, want log "
		      "100 = %.15g (to 1e-13)", chols[f].name, ld, log(100.0));
		free(a);
	}
}

/* A random SPD matrix, A = BᵀB/n + I (condition number below ~5). */
static void random_spd(size_t n, double *a, size_t lda)
{
	double *b = xmalloc((n * n + 1) * sizeof *b);

	for (size_t i = 0; i < n * n; i++)
		b[i] = unif();
	la_dgemm_naive(LA_T, LA_N, n, n, n, 1.0 / (double)n, b, n, b, n, 0.0,
		       a, lda);
	for (size_t i = 0; i < n; i++)
		a[i * lda + i] += 1;
	free(b);
}

static double maxdiff(size_t r, size_t c, const double *x, size_t ldx,
		      const double *y, size_t ldy)
{
	double d = 0;

	for (size_t i = 0; i < r; i++)
		for (size_t j = 0; j < c; j++) {
			double e = fabs(x[i * ldx + j] - y[i * ldy + j]);

			if (!(e <= d))
				d = e;
		}
	return d;
}

/*
 * Factor, solves and inverse of random SPD matrices, fast against naive:
 * the condition number is below ~5 and the entries O(1), so both agree to
 * a few n·ε; the tolerance is 8·n·ε (relative to max |entry|, which is
 * O(1) here) and the residuals ‖A·X − B‖ are held to the same.
 */
static void test_random(void)
{
	static const size_t ns[] = { 1, 2, 7, 33, 128, 201 };

	for (size_t ti = 0; ti < sizeof ns / sizeof ns[0]; ti++) {
		size_t n = ns[ti], lda = n + 1, nrhs = 3, ldb = nrhs + 1;
		double *a = xmalloc((n * lda + 1) * sizeof *a);
		double *lf = xmalloc((n * lda + 1) * sizeof *lf);
		double *ln = xmalloc((n * lda + 1) * sizeof *ln);
		double *b = xmalloc((n * ldb + 1) * sizeof *b);
		double *xf = xmalloc((n * ldb + 1) * sizeof *xf);
		double *xn = xmalloc((n * ldb + 1) * sizeof *xn);
		double *r = xmalloc((n * ldb + 1) * sizeof *r);
		double *inf = xmalloc((n * n + 1) * sizeof *inf);
		double *inn = xmalloc((n * n + 1) * sizeof *inn);
		double *id = xmalloc((n * n + 1) * sizeof *id);
		double tol = 8 * (double)n * DBL_EPSILON, dl, dx, res, dinv,
		       resinv, dlog;
		struct pal_error e = { 0 };
		int rc1, rc2, rc3;

		random_spd(n, a, lda);
		for (size_t i = 0; i < n; i++)
			a[i * lda + n] = 42;	/* padding */
		memcpy(lf, a, n * lda * sizeof *a);
		memcpy(ln, a, n * lda * sizeof *a);
		rc1 = la_cholesky(n, lf, lda, &e);
		rc2 = la_cholesky_naive(n, ln, lda, &e);
		dl = maxdiff(n, n, lf, lda, ln, lda);
		CHECK(rc1 == 0 && rc2 == 0 && dl <= tol && lf[n] == 42,
		      "cholesky n=%zu (lda %zu): fast vs naive max |diff| %.3g "
		      "<= 8n eps = %.3g, padding kept", n, lda, dl, tol);
		dlog = fabs(la_cholesky_logdet(n, lf, lda) -
			    la_cholesky_logdet(n, ln, lda));
		CHECK(dlog <= tol, "log det n=%zu: fast vs naive factor %.3g "
		      "<= %.3g", n, dlog, tol);

		/* L·Lᵀ = A */
		la_dgemm_naive(LA_N, LA_T, n, n, n, 1.0, lf, lda, lf, lda,
			       0.0, inf, n);
		res = maxdiff(n, n, inf, n, a, lda);
		CHECK(res <= tol, "cholesky n=%zu: max |L Lt - A| %.3g <= %.3g",
		      n, res, tol);

		/* triangular solves, both directions */
		for (int tr = 0; tr < 2; tr++) {
			enum la_trans t = tr ? LA_T : LA_N;

			for (size_t i = 0; i < n * ldb; i++)
				b[i] = unif();
			memcpy(xf, b, n * ldb * sizeof *b);
			memcpy(xn, b, n * ldb * sizeof *b);
			la_trsm_lower(t, n, nrhs, lf, lda, xf, ldb);
			la_trsm_lower_naive(t, n, nrhs, lf, lda, xn, ldb);
			dx = maxdiff(n, nrhs, xf, ldb, xn, ldb);
			la_dgemm_naive(t, LA_N, n, nrhs, n, 1.0, lf, lda, xf,
				       ldb, 0.0, r, ldb);
			res = maxdiff(n, nrhs, r, ldb, b, ldb);
			CHECK(dx <= tol && res <= tol, "trsm %s n=%zu nrhs=%zu: "
			      "fast vs naive %.3g, residual |op(L)X - B| %.3g, "
			      "both <= %.3g", tr ? "L^T" : "L", n, nrhs, dx,
			      res, tol);
		}

		/* A·X = B */
		for (size_t i = 0; i < n * ldb; i++)
			b[i] = unif();
		memcpy(xf, b, n * ldb * sizeof *b);
		memcpy(xn, b, n * ldb * sizeof *b);
		la_cholesky_solve(n, nrhs, lf, lda, xf, ldb);
		la_cholesky_solve_naive(n, nrhs, lf, lda, xn, ldb);
		dx = maxdiff(n, nrhs, xf, ldb, xn, ldb);
		la_dgemm_naive(LA_N, LA_N, n, nrhs, n, 1.0, a, lda, xf, ldb,
			       0.0, r, ldb);
		res = maxdiff(n, nrhs, r, ldb, b, ldb);
		CHECK(dx <= tol && res <= tol, "cholesky solve n=%zu nrhs=%zu: "
		      "fast vs naive %.3g, residual |AX - B| %.3g, both <= %.3g",
		      n, nrhs, dx, res, tol);

		/* A⁻¹ */
		rc3 = la_cholesky_inverse(n, lf, lda, inf, n, &e);
		la_cholesky_inverse_naive(n, lf, lda, inn, n);
		dinv = maxdiff(n, n, inf, n, inn, n);
		la_dgemm_naive(LA_N, LA_N, n, n, n, 1.0, a, lda, inf, n, 0.0,
			       id, n);
		for (size_t i = 0; i < n; i++)
			id[i * n + i] -= 1;
		resinv = 0;
		for (size_t i = 0; i < n * n; i++)
			resinv = fmax(resinv, fabs(id[i]));
		CHECK(rc3 == 0 && dinv <= tol && resinv <= tol,
		      "cholesky inverse n=%zu: fast vs naive %.3g, |A inv - I| "
		      "%.3g, both <= %.3g", n, dinv, resinv, tol);

		free(a);
		free(lf);
		free(ln);
		free(b);
		free(xf);
		free(xn);
		free(r);
		free(inf);
		free(inn);
		free(id);
	}
}

/* Matrices that are not positive definite, with the minor to name. */
static void test_refused(void)
{
	static const struct {
		const char *what;
		size_t n;
		double a[16];
		size_t minor;
	} bad[] = {
		{ "[-1]", 1, { -1 }, 1 },
		{ "[0]", 1, { 0 }, 1 },
		{ "[1 2; 2 1] (eigenvalues 3, -1)", 2, { 1, 2, 2, 1 }, 2 },
		{ "diag(1, 4, -1, 9)", 4,
		  { 1, 0, 0, 0, 0, 4, 0, 0, 0, 0, -1, 0, 0, 0, 0, 9 }, 3 },
		{ "[1 1 0; 1 1 0; 0 0 1] (singular)", 3,
		  { 1, 1, 0, 1, 1, 0, 0, 0, 1 }, 2 },
		{ "[1 0; NaN 1]", 2, { 1, 0, NAN, 1 }, 2 },
		{ "[NaN]", 1, { NAN }, 1 },
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		for (size_t f = 0; f < 2; f++) {
			double a[16];
			char want[128];
			struct pal_error e = { 0 };
			int rc;

			memcpy(a, bad[i].a, sizeof a);
			rc = chols[f].fn(bad[i].n, a, bad[i].n, &e);
			snprintf(want, sizeof want, "matrix is not positive "
				 "definite (leading minor %zu of %zu)",
				 bad[i].minor, bad[i].n);
			CHECK(rc == -1 && e.kind == PAL_ERR_NUMERIC &&
			      !strcmp(e.msg, want), "%s refuses %s: \"%s\"",
			      chols[f].name, bad[i].what, e.msg);
		}

	/* n = 0 is a valid, empty factorisation; NULL err is allowed */
	CHECK(la_cholesky(0, NULL, 1, NULL) == 0 &&
	      la_cholesky_naive(0, NULL, 1, NULL) == 0 &&
	      la_cholesky_logdet(0, NULL, 1) == 0, "n=0 factors, log det 0");
	{
		double m1[1] = { -2 };

		CHECK(la_cholesky(1, m1, 1, NULL) == -1,
		      "a refusal with err NULL returns -1");
	}
}

int main(void)
{
	rng_seed(&R, 20261127, 0);
	test_gemm();
	test_gemm_k0();
	test_known();
	test_random();
	test_refused();
	return done();
}
