/*
 * linalg.c: products and Cholesky solves over OpenBLAS, with the naive
 * loops they are tested against (linalg.h says the layout and contracts).
 *
 * Row-major against column-major: the products go through CBLAS, which
 * takes the layout.  The LAPACK routines (dpotrf_, dpotri_) are Fortran
 * and column-major; a row-major matrix read column-major is its
 * transpose, so the row-major lower triangle that we keep L in is, to
 * LAPACK, the upper triangle U = Lᵀ of A = UᵀU, and we call them with
 * uplo 'U'.  The triangular solves use cblas_dtrsm, which takes the
 * row-major layout directly.
 */
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include <cblas.h>

#include "err.h"
#include "linalg.h"
#include "banned.h"

/*
 * LAPACK as LP64 OpenBLAS exports it (nm -D libopenblas.so.0).  The
 * trailing length is gfortran's hidden length of the character argument:
 * OpenBLAS's own C versions ignore it, a Fortran LAPACK needs it.
 */
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda,
	     int *info, size_t uplo_len);
void dpotri_(const char *uplo, const int *n, double *a, const int *lda,
	     int *info, size_t uplo_len);

/* Whether every size fits the int that OpenBLAS takes. */
static int fits_int(size_t a, size_t b, size_t c, size_t d, size_t e,
		    size_t f)
{
	return a <= INT_MAX && b <= INT_MAX && c <= INT_MAX &&
	       d <= INT_MAX && e <= INT_MAX && f <= INT_MAX;
}

/* A leading dimension BLAS accepts for a matrix of c columns: ld itself,
 * or 1 where c = 0 and the caller passed 0 (nothing is read then). */
static int ldfix(size_t ld)
{
	return ld ? (int)ld : 1;
}

/* ---- products ---------------------------------------------------------- */

/* C = beta·C for an m×n C; beta = 0 writes zeros without reading C. */
#define SCALE_C(T, m, n, beta, c, ldc) \
	do { \
		for (size_t i_ = 0; i_ < (m); i_++) \
			for (size_t j_ = 0; j_ < (n); j_++) \
				(c)[i_ * (ldc) + j_] = (beta) == 0 ? (T)0 : \
					(beta) * (c)[i_ * (ldc) + j_]; \
	} while (0)

/*
 * The naive product: for each C(i, j), the sum over l of op(A)(i, l) ·
 * op(B)(l, j) in the precision T, then alpha·sum + beta·C(i, j).
 */
#define GEMM_NAIVE(T) \
	for (size_t i = 0; i < m; i++) \
		for (size_t j = 0; j < n; j++) { \
			T s = 0; \
			for (size_t l = 0; l < k; l++) { \
				T x = ta == LA_N ? a[i * lda + l] : a[l * lda + i]; \
				T y = tb == LA_N ? b[l * ldb + j] : b[j * ldb + l]; \
				s += x * y; \
			} \
			c[i * ldc + j] = beta == 0 ? alpha * s : \
				alpha * s + beta * c[i * ldc + j]; \
		}

void la_sgemm_naive(enum la_trans ta, enum la_trans tb, size_t m, size_t n,
		    size_t k, float alpha, const float *a, size_t lda,
		    const float *b, size_t ldb, float beta, float *c,
		    size_t ldc)
{
	GEMM_NAIVE(float)
}

void la_dgemm_naive(enum la_trans ta, enum la_trans tb, size_t m, size_t n,
		    size_t k, double alpha, const double *a, size_t lda,
		    const double *b, size_t ldb, double beta, double *c,
		    size_t ldc)
{
	GEMM_NAIVE(double)
}

static enum CBLAS_TRANSPOSE cbt(enum la_trans t)
{
	return t == LA_N ? CblasNoTrans : CblasTrans;
}

void la_sgemm(enum la_trans ta, enum la_trans tb, size_t m, size_t n,
	      size_t k, float alpha, const float *a, size_t lda,
	      const float *b, size_t ldb, float beta, float *c, size_t ldc)
{
	if (m == 0 || n == 0)
		return;
	if (k == 0) {		/* not left to each BLAS's reading of k = 0 */
		SCALE_C(float, m, n, beta, c, ldc);
		return;
	}
	if (!fits_int(m, n, k, lda, ldb, ldc)) {
		la_sgemm_naive(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta,
			       c, ldc);
		return;
	}
	cblas_sgemm(CblasRowMajor, cbt(ta), cbt(tb), (int)m, (int)n, (int)k,
		    alpha, a, ldfix(lda), b, ldfix(ldb), beta, c, ldfix(ldc));
}

void la_dgemm(enum la_trans ta, enum la_trans tb, size_t m, size_t n,
	      size_t k, double alpha, const double *a, size_t lda,
	      const double *b, size_t ldb, double beta, double *c,
	      size_t ldc)
{
	if (m == 0 || n == 0)
		return;
	if (k == 0) {
		SCALE_C(double, m, n, beta, c, ldc);
		return;
	}
	if (!fits_int(m, n, k, lda, ldb, ldc)) {
		la_dgemm_naive(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta,
			       c, ldc);
		return;
	}
	cblas_dgemm(CblasRowMajor, cbt(ta), cbt(tb), (int)m, (int)n, (int)k,
		    alpha, a, ldfix(lda), b, ldfix(ldb), beta, c, ldfix(ldc));
}

/* ---- Cholesky ---------------------------------------------------------- */

static int not_pd(struct pal_error *err, size_t k, size_t n)
{
	return pal_seterr(err, PAL_ERR_NUMERIC, 0,
			  "matrix is not positive definite (leading minor "
			  "%zu of %zu)", k, n);
}

/* Set the strict upper triangle of the n×n a to 0. */
static void zero_upper(size_t n, double *a, size_t lda)
{
	for (size_t i = 0; i + 1 < n; i++)
		memset(a + i * lda + i + 1, 0, (n - i - 1) * sizeof *a);
}

int la_cholesky_naive(size_t n, double *a, size_t lda,
		      struct pal_error *err)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j <= i; j++) {
			double s = a[i * lda + j];

			for (size_t l = 0; l < j; l++)
				s -= a[i * lda + l] * a[j * lda + l];
			if (j < i) {
				a[i * lda + j] = s / a[j * lda + j];
			} else {
				if (!(s > 0))	/* NaN too */
					return not_pd(err, i + 1, n);
				a[i * lda + i] = sqrt(s);
			}
		}
	}
	zero_upper(n, a, lda);
	return 0;
}

int la_cholesky(size_t n, double *a, size_t lda, struct pal_error *err)
{
	int in, ilda, info = 0;

	if (n == 0)
		return 0;
	if (n > INT_MAX || lda > INT_MAX)
		return pal_seterr(err, PAL_ERR_LIMIT, 0, "matrix of order %zu "
				  "too large for LAPACK (cholesky)", n);
	in = (int)n;
	ilda = (int)lda;
	dpotrf_("U", &in, a, &ilda, &info, 1);
	if (info < 0)
		return pal_seterr(err, PAL_ERR_USAGE, 0, "dpotrf rejected "
				  "argument %d (cholesky)", -info);
	if (info > 0)
		return not_pd(err, (size_t)info, n);
	/* OpenBLAS's dpotrf tests a pivot by "<= 0", which a NaN passes:
	 * a NaN anywhere reaches the diagonal at or before its row. */
	for (size_t i = 0; i < n; i++)
		if (!(a[i * lda + i] > 0) || !isfinite(a[i * lda + i]))
			return not_pd(err, i + 1, n);
	zero_upper(n, a, lda);
	return 0;
}

/* ---- triangular solves ------------------------------------------------- */

void la_trsm_lower_naive(enum la_trans trans, size_t n, size_t nrhs,
			 const double *l, size_t ldl, double *b, size_t ldb)
{
	for (size_t c = 0; c < nrhs; c++) {
		if (trans == LA_N) {
			/* x(i) = (b(i) - Σ_{j<i} L(i,j) x(j)) / L(i,i) */
			for (size_t i = 0; i < n; i++) {
				double s = b[i * ldb + c];

				for (size_t j = 0; j < i; j++)
					s -= l[i * ldl + j] * b[j * ldb + c];
				b[i * ldb + c] = s / l[i * ldl + i];
			}
		} else {
			/* x(i) = (b(i) - Σ_{j>i} L(j,i) x(j)) / L(i,i) */
			for (size_t i = n; i-- > 0;) {
				double s = b[i * ldb + c];

				for (size_t j = i + 1; j < n; j++)
					s -= l[j * ldl + i] * b[j * ldb + c];
				b[i * ldb + c] = s / l[i * ldl + i];
			}
		}
	}
}

void la_trsm_lower(enum la_trans trans, size_t n, size_t nrhs,
		   const double *l, size_t ldl, double *b, size_t ldb)
{
	if (n == 0 || nrhs == 0)
		return;
	if (!fits_int(n, nrhs, ldl, ldb, 0, 0)) {
		la_trsm_lower_naive(trans, n, nrhs, l, ldl, b, ldb);
		return;
	}
	cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, cbt(trans),
		    CblasNonUnit, (int)n, (int)nrhs, 1.0, l, (int)ldl, b,
		    (int)ldb);
}

void la_cholesky_solve(size_t n, size_t nrhs, const double *l, size_t ldl,
		       double *b, size_t ldb)
{
	la_trsm_lower(LA_N, n, nrhs, l, ldl, b, ldb);
	la_trsm_lower(LA_T, n, nrhs, l, ldl, b, ldb);
}

void la_cholesky_solve_naive(size_t n, size_t nrhs, const double *l,
			     size_t ldl, double *b, size_t ldb)
{
	la_trsm_lower_naive(LA_N, n, nrhs, l, ldl, b, ldb);
	la_trsm_lower_naive(LA_T, n, nrhs, l, ldl, b, ldb);
}

double la_cholesky_logdet(size_t n, const double *l, size_t ldl)
{
	double s = 0;

	for (size_t i = 0; i < n; i++)
		s += log(l[i * ldl + i]);
	return 2 * s;
}

/* ---- inverse ----------------------------------------------------------- */

int la_cholesky_inverse(size_t n, const double *l, size_t ldl, double *inv,
			size_t ldinv, struct pal_error *err)
{
	int in, ild, info = 0;

	if (n == 0)
		return 0;
	if (n > INT_MAX || ldinv > INT_MAX)
		return pal_seterr(err, PAL_ERR_LIMIT, 0, "matrix of order %zu "
				  "too large for LAPACK (cholesky inverse)", n);
	for (size_t i = 0; i < n; i++)
		memcpy(inv + i * ldinv, l + i * ldl, (i + 1) * sizeof *inv);
	in = (int)n;
	ild = (int)ldinv;
	dpotri_("U", &in, inv, &ild, &info, 1);
	if (info < 0)
		return pal_seterr(err, PAL_ERR_USAGE, 0, "dpotri rejected "
				  "argument %d (cholesky inverse)", -info);
	if (info > 0)
		return pal_seterr(err, PAL_ERR_NUMERIC, 0, "zero on the "
				  "diagonal of the cholesky factor (row %d of "
				  "%zu)", info, n);
	/* dpotri filled the row-major lower triangle: mirror it. */
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			inv[i * ldinv + j] = inv[j * ldinv + i];
	return 0;
}

void la_cholesky_inverse_naive(size_t n, const double *l, size_t ldl,
			       double *inv, size_t ldinv)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			inv[i * ldinv + j] = i == j;
	la_cholesky_solve_naive(n, n, l, ldl, inv, ldinv);
}
