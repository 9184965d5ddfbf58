/*
 * gp.h: Gaussian-process regression, the numerics of pal-train --model gp
 * and of pal-predict on a GP model.
 *
 * Model.  n training rows x_i (d inputs each) with outputs y_i, and
 *
 *	y = f(x) + e,  f ~ GP(0, k),  e ~ N(0, sn2)
 *
 * with one of two stationary kernels with ARD length scales l_1..l_d and
 * signal variance sf2, written with the scaled distance
 * r² = Σ_k (x_k − x'_k)² / l_k²:
 *
 *	GP_RBF		k(x, x') = sf2 · exp(−r²/2)
 *	GP_MATERN52	k(x, x') = sf2 · (1 + √5·r + 5r²/3) · exp(−√5·r)
 *
 * The mean is 0: the caller standardises y (gp_standardize helps; the
 * default start below assumes standardised x and y).
 *
 * Hyper-parameters.  theta holds d + 2 doubles, all logarithms:
 *
 *	theta[k]	log l_{k+1}	0 ≤ k < d
 *	theta[d]	log sf2
 *	theta[d + 1]	log sn2
 *
 * The default start (gp_new, gp_optimize) is l_k = 1, sf2 = 1, sn2 = 1e-2.
 *
 * Layout: every matrix is row-major and dense (leading dimension = number
 * of columns): x is n×d (x(i, k) at x[i*d + k]), a query block xq is m×d,
 * the gradient of the mean in x is m×d, kernel matrices na×nb.
 *
 * Fit.  K = k(X, X) + sn2·I is factored by la_cholesky (OpenBLAS's
 * LAPACK); when it is not positive definite (PAL_ERR_NUMERIC) the fit
 * adds a jitter of 1e-10·(sf2 + sn2) to the diagonal and tries again,
 * multiplying the jitter by 10 up to GP_JITTER_TRIES times (1e-6·(sf2 +
 * sn2) last), then fails with PAL_ERR_NUMERIC and "kernel matrix not
 * positive definite even with jitter J (gp fit; raise the noise floor
 * or remove duplicate rows)".  Then alpha = K⁻¹y and the log marginal
 * likelihood
 *
 *	lml = −½·yᵀα − ½·log det K − (n/2)·log 2π
 *
 * and its gradient in theta, ½·tr((ααᵀ − K⁻¹)·∂K/∂θ_j) (the jitter is
 * held constant in it).
 *
 * Limits.  n ≤ GP_MAX_N (10000): a GP holds five n×n f64 matrices (its
 * factor; as workspace of the likelihood's gradient K, its factor, K⁻¹
 * and W∘G; the next fit's factor), 40·n² bytes: 40 MB at 1000 rows,
 * 4 GB at the limit, where one likelihood evaluation is also ~1e12 flop.
 * Past it gp_new fails with PAL_ERR_LIMIT and says to subsample the rows
 * or use the MLP committee.  d ≥ 1.  The GP is for hundreds to a few
 * thousand rows.
 *
 * Errors follow err.h's "library's errors": -1 and a struct pal_error
 * filled; workspace comes from xmalloc (which dies when memory runs out).
 * Every fast function (GEMM, LAPACK) has a *_naive twin written as plain
 * loops (STYLE.md, practice 13); tests/unit/test-gp.c compares them.
 * Results depend on OpenBLAS's thread count in the last bits, as
 * linalg.h says.
 */
#ifndef PAL_GP_H
#define PAL_GP_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define GP_MAX_N 10000
#define GP_JITTER_TRIES 5

enum gp_kernel {
	GP_RBF = 0,
	GP_MATERN52 = 1,
};

/* "rbf" or "matern52" to a kernel: 0, or -1 with err (PAL_ERR_USAGE,
 * "unknown kernel 'x' (rbf or matern52)") filled. */
int gp_kernel_parse(const char *name, enum gp_kernel *k,
		    struct pal_error *err);
/* The name of k, as gp_kernel_parse takes it. */
const char *gp_kernel_name(enum gp_kernel k);

/*
 * A fitted GP.  The fields are read-only for the caller; gp_set_theta and
 * gp_optimize change them.
 */
struct gp {
	enum gp_kernel kernel;
	size_t n, d;
	double *theta;		/* d + 2: the hyper-parameters fitted */
	double *x;		/* n×d: the training inputs (a copy) */
	double *y;		/* n: the training outputs (a copy) */
	double *u;		/* n×d: x(i, k) / l_k */
	double *l;		/* n×n: Cholesky factor of K (+ jitter), lower */
	double *alpha;		/* n: K⁻¹y */
	double lml;		/* log marginal likelihood at theta */
	double jitter;		/* added to K's diagonal at the fit; 0 mostly */
	/* workspace of gp_lml and gp_set_theta, kept from call to call (a
	 * fresh 8 MB buffer costs more in page faults than a Cholesky of
	 * 1000 rows): 3n² + 2nd + 2n doubles, and n² for the next factor;
	 * allocated when gp_lml or gp_set_theta first runs */
	double *ws, *ws_l;
};

/*
 * A GP of kernel on n rows x (n×d) with outputs y (n), copied, fitted at
 * theta (d + 2; NULL: the default start above), as pal-predict rebuilds a
 * saved model: from x, y and theta, the factor costs n³/3 flop, 0.01 s at
 * 1000 rows, and its bits are those of the fit that made the model for
 * the same OpenBLAS and thread count.  Errors: n = 0 or d = 0
 * (PAL_ERR_USAGE), n > GP_MAX_N (PAL_ERR_LIMIT: "N training rows beyond
 * the gaussian process's limit of 10000 (gp; subsample the rows or use
 * the mlp committee)"), a value not finite (PAL_ERR_NUMERIC, naming the
 * row), the fit failing (above).
 */
struct gp *gp_new(enum gp_kernel kernel, size_t n, size_t d,
		  const double *x, const double *y, const double *theta,
		  struct pal_error *err);
void gp_free(struct gp *gp);

/*
 * A GP rebuilt from the parts of a fitted one, as a model file keeps them
 * (model.h, model_read_gp): kernel, n rows x (n×d) with outputs y (n),
 * theta (d + 2), the lower Cholesky factor l of K + jitter (n×n,
 * row-major; its strict upper triangle is not read), alpha = K⁻¹y (n)
 * and the jitter the fit added.  Everything is copied; u = x / l_k is
 * computed as a fit computes it and the lml from l and alpha; nothing is
 * factored, so predictions do not depend on the BLAS of this machine and
 * are bit for bit those of the GP whose parts these are.  The workspace
 * of gp_lml and gp_set_theta is allocated when one of them first runs.
 * Errors: n = 0, d = 0 (PAL_ERR_USAGE), n > GP_MAX_N (PAL_ERR_LIMIT), a
 * value that is not finite, a theta beyond ±700, a negative jitter or a
 * diagonal of l that is not positive (PAL_ERR_NUMERIC).
 */
struct gp *gp_from_parts(enum gp_kernel kernel, size_t n, size_t d,
			 const double *x, const double *y,
			 const double *theta, const double *l,
			 const double *alpha, double jitter,
			 struct pal_error *err);

/* Fit at theta (d + 2 doubles): factor, alpha, lml.  On failure the GP
 * keeps its previous fit. */
int gp_set_theta(struct gp *gp, const double *theta, struct pal_error *err);

/*
 * The log marginal likelihood of gp's data at theta (d + 2) into *lml and,
 * when grad is not NULL, its gradient in theta into grad (d + 2).  gp's
 * fit is not changed.  The fast version forms the kernel matrix by GEMM,
 * factors by LAPACK, and sums the length-scale terms
 * ½·Σ_ij W_ij·∂K_ij/∂log l_k by one GEMM; the naive one forms each
 * ∂K/∂θ_j with loops and factors and inverts with the naive Cholesky.
 * The fast one works in gp's workspace: one gp is not for two threads.
 * Errors: the factorisation failing even with jitter (above).
 */
int gp_lml(struct gp *gp, const double *theta, double *lml, double *grad,
	   struct pal_error *err);
int gp_lml_naive(const struct gp *gp, const double *theta, double *lml,
		 double *grad, struct pal_error *err);

/*
 * The cross-kernel k(xa_i, xb_j) (no noise) at theta, na×nb, into kab
 * (na×nb): xa is na×d, xb nb×d.  The fast version computes r² as
 * |a|² + |b|² − 2a·b with a GEMM (clamped at 0); the naive one sums
 * (a_k − b_k)²/l_k² in a loop.
 */
void gp_kernel_matrix(enum gp_kernel kernel, size_t d, const double *theta,
		      size_t na, const double *xa, size_t nb,
		      const double *xb, double *kab);
void gp_kernel_matrix_naive(enum gp_kernel kernel, size_t d,
			    const double *theta, size_t na, const double *xa,
			    size_t nb, const double *xb, double *kab);

/*
 * Hyper-parameter optimisation: maximise lml by L-BFGS (optim.h) from the
 * default start, then from `restarts` more starts drawn from an
 * xoshiro256** stream seeded with seed (as scikit-learn's
 * n_restarts_optimizer): log l_k uniform in [log 0.1, log 10], log sf2
 * in [log 0.1, log 10], log sn2 in [log 1e-6, log 1e-1].  The best
 * optimum is kept and the GP fitted there.
 *
 * Bounds (in theta, log space): l_k in [lo_len, hi_len], sf2 in [lo_sf2,
 * hi_sf2], sn2 in [lo_sn2, hi_sn2].  L-BFGS runs on an unconstrained z;
 * the likelihood is evaluated at theta = clamp(z, bounds) and the
 * objective is −lml(clamp(z)) + 1·Σ_j (z_j − clamp(z_j))², which is
 * continuous, pulls z back inside and equals −lml inside the box; the
 * result is clamp(z).  A start whose factorisation fails even with jitter
 * is skipped; a failing evaluation during the search counts as outside
 * the domain (the line search steps back).
 */
struct gp_opt {
	int restarts;		/* extra starts; default 0 */
	uint64_t seed;		/* default 0 */
	double lo_len, hi_len;	/* default 1e-3, 1e3 */
	double lo_sf2, hi_sf2;	/* default 1e-3, 1e3 */
	double lo_sn2, hi_sn2;	/* default 1e-10, 10 */
	int max_iter;		/* L-BFGS iterations per start; default 200 */
};

struct gp_opt_result {
	int starts;		/* starts optimised (failed ones not counted) */
	int best;		/* which: 0 the default start, 1.. restarts */
	int evals;		/* likelihood evaluations, all starts */
	double lml;		/* the best lml */
};

/* The defaults above into *o. */
void gp_opt_defaults(struct gp_opt *o);

/* Optimise gp's hyper-parameters (o NULL: the defaults); gp is fitted at
 * the best on return.  res may be NULL.  Errors: bad options
 * (PAL_ERR_USAGE), every start failing (PAL_ERR_NUMERIC). */
int gp_optimize(struct gp *gp, const struct gp_opt *o,
		struct gp_opt_result *res, struct pal_error *err);

/*
 * Predict at m query rows xq (m×d): the posterior mean of f into mean (m),
 * its posterior std (of the latent f, without the noise: add sn2 to the
 * variance for that of a new y) into std (m) when not NULL, and the
 * gradient of the mean in x into grad (m×d, grad(j, k) = ∂mean_j/∂x_k)
 * when not NULL.  The fast version works in blocks of GP_PREDICT_BLOCK
 * rows (n×block doubles of workspace, twice that with grad): the
 * cross-kernel by GEMM, the mean as k*ᵀα by GEMM, the variance
 * sf2 − |L⁻¹k*|² by a triangular solve (clamped at 0), the gradient by
 * two GEMMs.  The naive one loops.  Cost: the solve, n²·m flop, dominates
 * the std (3.4 s for 100k rows on 1000 training rows, one core); the mean
 * alone is 2·n·m·(d + 1) flop and n·m exps.  Neither changes gp: several
 * threads may predict from one gp at once.
 */
#define GP_PREDICT_BLOCK 256
void gp_predict(const struct gp *gp, size_t m, const double *xq,
		double *mean, double *std, double *grad);
void gp_predict_naive(const struct gp *gp, size_t m, const double *xq,
		      double *mean, double *std, double *grad);

/*
 * Standardise the column c of n rows a (n×ncol) in place for each c < ncol:
 * mean[c] and std[c] (population std; 1 where it is 0) are stored, then
 * a(i, c) = (a(i, c) − mean[c]) / std[c].  The caller undoes it on
 * predictions: mean·std + mean, std·std, grad(j, k)·std_y/std_x[k].
 */
void gp_standardize(size_t n, size_t ncol, double *a, double *mean,
		    double *std);

#endif
