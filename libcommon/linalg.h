/*
 * linalg.h: the small linear-algebra layer of pal's models over OpenBLAS
 * and the LAPACK it carries: matrix products in f32 and f64, and the
 * Cholesky factor of a symmetric positive definite matrix with its solves,
 * log-determinant and inverse, for the Gaussian process.
 *
 * It is not a general BLAS binding: only what pal-train and pal-predict
 * need.  Every fast function has a `*_naive` twin written as plain loops
 * (STYLE.md, practice 13); tests/unit/test-linalg.c compares the two.
 *
 * Layout: every matrix is row-major.  An r×c matrix M with leading
 * dimension ld has M(i, j) at m[i*ld + j], 0 ≤ i < r, 0 ≤ j < c, and
 * ld ≥ max(1, c).  Sizes are size_t; a size beyond INT_MAX (what LP64
 * OpenBLAS takes) makes the fast products and solves fall back to their
 * naive twins, and the factorisations report PAL_ERR_LIMIT.
 *
 * Threads: OpenBLAS splits large products over its threads as
 * OPENBLAS_NUM_THREADS (or the number of cores) says; this layer sets
 * nothing.  The order of the sums then depends on the thread count, so
 * results can differ in the last bits from one thread count to another:
 * a byte-identical result needs the same OpenBLAS, the same CPU kernel
 * and a fixed thread count (OPENBLAS_NUM_THREADS=n).  For a fixed count
 * the results are reproducible run to run.  The naive twins are serial
 * and do not depend on it.
 *
 * Only linalg.o links OpenBLAS: a program that calls nothing here does
 * not pull it in from libcommon.a.
 */
#ifndef PAL_LINALG_H
#define PAL_LINALG_H

#include <stddef.h>

#include "err.h"

/* op(X): X itself or its transpose. */
enum la_trans {
	LA_N = 0,		/* op(X) = X */
	LA_T = 1,		/* op(X) = Xᵀ */
};

/*
 * C = alpha·op(A)·op(B) + beta·C, where op(A) is m×k, op(B) is k×n and C
 * is m×n.  A is stored m×k (lda ≥ k) when ta is LA_N and k×m (lda ≥ m)
 * when ta is LA_T; B is stored k×n (ldb ≥ n) when tb is LA_N and n×k
 * (ldb ≥ k) when LA_T; ldc ≥ n.  When beta is 0, C is not read (it may
 * hold NaN), as in BLAS; k = 0 gives C = beta·C; m = 0 or n = 0 does
 * nothing.  C must not overlap A or B.
 */
void la_sgemm(enum la_trans ta, enum la_trans tb, size_t m, size_t n,
	      size_t k, float alpha, const float *a, size_t lda,
	      const float *b, size_t ldb, float beta, float *c, size_t ldc);
void la_dgemm(enum la_trans ta, enum la_trans tb, size_t m, size_t n,
	      size_t k, double alpha, const double *a, size_t lda,
	      const double *b, size_t ldb, double beta, double *c,
	      size_t ldc);
/* The same by three loops, summing in the precision of the arguments. */
void la_sgemm_naive(enum la_trans ta, enum la_trans tb, size_t m, size_t n,
		    size_t k, float alpha, const float *a, size_t lda,
		    const float *b, size_t ldb, float beta, float *c,
		    size_t ldc);
void la_dgemm_naive(enum la_trans ta, enum la_trans tb, size_t m, size_t n,
		    size_t k, double alpha, const double *a, size_t lda,
		    const double *b, size_t ldb, double beta, double *c,
		    size_t ldc);

/*
 * The Cholesky factor of the n×n symmetric positive definite matrix A
 * (lda ≥ n), in place: A = L·Lᵀ with L lower triangular and a positive
 * diagonal.  Only the lower triangle of A (j ≤ i) is read; on success it
 * holds L and the strict upper triangle is set to 0, so that a holds L
 * itself.  n = 0 succeeds.
 *
 * Errors: -1 with err (when not NULL) filled, kind PAL_ERR_NUMERIC and the
 * message "matrix is not positive definite (leading minor K of N)", where
 * K (1-based) is the first leading minor found not positive; a holds a
 * partial factor then and must be refilled before another try (a GP adds
 * jitter to the diagonal).  A NaN counts as not positive.  n or lda beyond
 * INT_MAX: PAL_ERR_LIMIT.  Both versions give these errors alike.
 */
int la_cholesky(size_t n, double *a, size_t lda, struct pal_error *err);
/* The same by the Cholesky–Banachiewicz loops (row by row). */
int la_cholesky_naive(size_t n, double *a, size_t lda,
		      struct pal_error *err);

/*
 * Solve op(L)·X = B in place, L n×n lower triangular (ldl ≥ n; its upper
 * triangle is not read) with a nonzero diagonal, B n×nrhs (ldb ≥ nrhs),
 * overwritten by X.  trans LA_N solves L·X = B (forward substitution),
 * LA_T solves Lᵀ·X = B (back substitution).
 */
void la_trsm_lower(enum la_trans trans, size_t n, size_t nrhs,
		   const double *l, size_t ldl, double *b, size_t ldb);
void la_trsm_lower_naive(enum la_trans trans, size_t n, size_t nrhs,
			 const double *l, size_t ldl, double *b, size_t ldb);

/*
 * Solve A·X = B in place given L from la_cholesky (A = L·Lᵀ): B n×nrhs
 * (ldb ≥ nrhs) is overwritten by X = A⁻¹·B.
 */
void la_cholesky_solve(size_t n, size_t nrhs, const double *l, size_t ldl,
		       double *b, size_t ldb);
void la_cholesky_solve_naive(size_t n, size_t nrhs, const double *l,
			     size_t ldl, double *b, size_t ldb);

/* log det A = 2·Σ log L(i,i), given L from la_cholesky; 0 for n = 0. */
double la_cholesky_logdet(size_t n, const double *l, size_t ldl);

/*
 * A⁻¹ (n×n, symmetric, both triangles filled) into inv (ldinv ≥ n), given
 * L from la_cholesky; inv must not overlap l.  For the gradient of a GP's
 * marginal likelihood, tr((ααᵀ − K⁻¹)·∂K).  Errors: PAL_ERR_LIMIT for n
 * beyond INT_MAX (fast version only), PAL_ERR_NUMERIC if LAPACK finds a
 * zero on L's diagonal.
 */
int la_cholesky_inverse(size_t n, const double *l, size_t ldl, double *inv,
			size_t ldinv, struct pal_error *err);
/* The same by solving A·X = I with la_cholesky_solve_naive; cannot fail. */
void la_cholesky_inverse_naive(size_t n, const double *l, size_t ldl,
			       double *inv, size_t ldinv);

#endif
