/*
 * test-gp.c: unit tests of libcommon/gp.c: the log marginal likelihood's
 * gradient and the prediction's gradient against central differences,
 * a 2-point posterior written out by hand, interpolation with tiny noise,
 * fits of a 1-D sine and of Branin with optimised hyper-parameters, each
 * fast path against its naive twin, and the errors.
 *
 * Tolerances, stated with each check:
 *   - finite differences (h = 1e-6 relative, central): error O(h²) plus
 *     rounding O(ε·|f|/h) ≈ 1e-10·|f|, checked at relative 1e-6;
 *   - fast against naive: the two differ only in the order of sums and in
 *     r² = |a|²+|b|²−2a·b against Σ(a−b)²; checked at 1e-9 relative to
 *     the largest value (kernel entries, mean, lml and its gradient), and
 *     1e-6 absolute for the std, whose sf2 − |v|² cancels;
 *   - the 2-point posterior: 1e-10 absolute (values of order 1).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "gp.h"
#include "optim.h"
#include "rng.h"
#include "unit.h"
#include "banned.h"

static struct rng R;

static double unif(double a, double b)
{
	return a + (b - a) * rng_uniform(&R);
}

static double maxabs(size_t n, const double *a)
{
	double m = 0;
	for (size_t i = 0; i < n; i++)
		m = fabs(a[i]) > m ? fabs(a[i]) : m;
	return m;
}

static double maxdiff(size_t n, const double *a, const double *b)
{
	double m = 0;
	for (size_t i = 0; i < n; i++)
		m = fabs(a[i] - b[i]) > m ? fabs(a[i] - b[i]) : m;
	return m;
}

/* ---- kernels ------------------------------------------------------------ */

static void test_names(void)
{
	enum gp_kernel k;
	struct pal_error e;

	CHECK(gp_kernel_parse("rbf", &k, &e) == 0 && k == GP_RBF, "rbf parses");
	CHECK(gp_kernel_parse("matern52", &k, &e) == 0 && k == GP_MATERN52,
	      "matern52 parses");
	CHECK(strcmp(gp_kernel_name(GP_MATERN52), "matern52") == 0 &&
	      strcmp(gp_kernel_name(GP_RBF), "rbf") == 0, "names");
	int rc = gp_kernel_parse("linear", &k, &e);
	CHECK(rc == -1 &&
	      e.kind == PAL_ERR_USAGE &&
	      strcmp(e.msg, "unknown kernel 'linear' (rbf or matern52)") == 0,
	      "unknown kernel refused: %s", esc(e.msg));
}

static void test_kernel_matrix(enum gp_kernel kern)
{
	size_t d = 4, na = 50, nb = 40;
	double theta[6] = { log(0.7), log(1.3), 0, log(2.5), log(1.7), 0 };
	double *xa = malloc(na * d * sizeof *xa), *xb = malloc(nb * d * 8);
	double *k1 = malloc(na * nb * 8), *k2 = malloc(na * nb * 8);

	for (size_t i = 0; i < na * d; i++)
		xa[i] = unif(-2, 2);
	for (size_t i = 0; i < nb * d; i++)
		xb[i] = unif(-2, 2);
	xb[0] = xa[0], xb[1] = xa[1], xb[2] = xa[2], xb[3] = xa[3];
	gp_kernel_matrix(kern, d, theta, na, xa, nb, xb, k1);
	gp_kernel_matrix_naive(kern, d, theta, na, xa, nb, xb, k2);
	double err = maxdiff(na * nb, k1, k2), sf2 = exp(theta[d]);
	CHECK(err <= 1e-9 * sf2, "%s kernel matrix 50x40: fast vs naive max "
	      "error %.3g (tol 1e-9*sf2)", gp_kernel_name(kern), err);
	CHECK(fabs(k2[0] - sf2) <= 1e-15 * sf2, "%s k(x, x) = sf2",
	      gp_kernel_name(kern));
	free(xa), free(xb), free(k1), free(k2);
}

/* ---- likelihood gradient ------------------------------------------------ */

static double lml_fn(const double *theta, double *grad, void *ctx)
{
	double lml;
	if (gp_lml(ctx, theta, &lml, grad, NULL) != 0)
		return NAN;
	return lml;
}

static void test_lml_grad(enum gp_kernel kern)
{
	size_t n = 40, d = 3, np = d + 2;
	double *x = malloc(n * d * 8), *y = malloc(n * 8);
	struct pal_error e;

	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < d; k++)
			x[i * d + k] = unif(-2, 2);
		y[i] = sin(2 * x[i * d]) + x[i * d + 1] * x[i * d + 2] +
		       0.1 * unif(-1, 1);
	}
	struct gp *gp = gp_new(kern, n, d, x, y, NULL, &e);
	CHECK(gp != NULL, "%s gp_new on 40x3", gp_kernel_name(kern));
	double points[2][5] = {
		{ log(0.8), log(1.5), log(0.4), log(1.2), log(0.05) },
		{ 0.3, -0.2, 0.5, log(0.7), log(1e-3) },
	};
	for (int p = 0; p < 2; p++) {
		double *th = points[p], g1[5], g2[5], l1, l2;
		size_t worst;
		double rel = optim_gradcheck(np, th, lml_fn, gp, 1e-6, 1e-8,
					     NULL, &worst);
		CHECK(rel <= 1e-6, "%s lml gradient vs central differences at "
		      "point %d: max rel error %.3g at %zu (tol 1e-6)",
		      gp_kernel_name(kern), p, rel, worst);
		gp_lml(gp, th, &l1, g1, NULL);
		CHECK(gp_lml_naive(gp, th, &l2, g2, &e) == 0, "naive lml runs");
		double gerr = maxdiff(np, g1, g2) / maxabs(np, g2);
		double lerr = fabs(l1 - l2) / fabs(l2);
		CHECK(gerr <= 1e-9 && lerr <= 1e-12,
		      "%s lml fast vs naive at point %d: rel error %.3g (tol "
		      "1e-12), gradient %.3g (tol 1e-9)", gp_kernel_name(kern),
		      p, lerr, gerr);
	}
	gp_free(gp);
	free(x), free(y);
}

/* ---- 2-point closed form ------------------------------------------------ */

static void test_two_points(void)
{
	double x[2] = { 0.0, 1.0 }, y[2] = { 1.0, -0.5 };
	double l = 0.7, sf2 = 1.3, sn2 = 0.1, xs = 0.4;
	double theta[3] = { log(l), log(sf2), log(sn2) };
	struct pal_error e;
	struct gp *gp = gp_new(GP_RBF, 2, 1, x, y, theta, &e);

	CHECK(gp != NULL, "2-point gp fitted at its theta");
	/* by hand: K = [a b; b a], K⁻¹ = [a −b; −b a]/(a² − b²) */
	double a = sf2 + sn2, b = sf2 * exp(-0.5 / (l * l));
	double det = a * a - b * b;
	double al0 = (a * y[0] - b * y[1]) / det;
	double al1 = (-b * y[0] + a * y[1]) / det;
	double k0 = sf2 * exp(-0.5 * (xs - x[0]) * (xs - x[0]) / (l * l));
	double k1 = sf2 * exp(-0.5 * (xs - x[1]) * (xs - x[1]) / (l * l));
	double mean = k0 * al0 + k1 * al1;
	double var = sf2 - (a * k0 * k0 - 2 * b * k0 * k1 + a * k1 * k1) / det;
	double dmean = -k0 * (xs - x[0]) / (l * l) * al0 -
		       k1 * (xs - x[1]) / (l * l) * al1;
	double lml = -0.5 * (y[0] * al0 + y[1] * al1) - 0.5 * log(det) -
		     log(2 * M_PI);
	double m1, s1, g1, m2, s2, g2;

	gp_predict(gp, 1, &xs, &m1, &s1, &g1);
	gp_predict_naive(gp, 1, &xs, &m2, &s2, &g2);
	diag("by hand: mean %.15g std %.15g dmean/dx %.15g lml %.15g", mean,
	     sqrt(var), dmean, lml);
	CHECK(fabs(m1 - mean) <= 1e-10 && fabs(m2 - mean) <= 1e-10,
	      "2-point mean %.15g, naive %.15g, by hand %.15g (tol 1e-10)",
	      m1, m2, mean);
	CHECK(fabs(s1 - sqrt(var)) <= 1e-10 && fabs(s2 - sqrt(var)) <= 1e-10,
	      "2-point std %.15g, naive %.15g, by hand %.15g (tol 1e-10)",
	      s1, s2, sqrt(var));
	CHECK(fabs(g1 - dmean) <= 1e-10 && fabs(g2 - dmean) <= 1e-10,
	      "2-point dmean/dx %.15g, naive %.15g, by hand %.15g (tol 1e-10)",
	      g1, g2, dmean);
	CHECK(fabs(gp->lml - lml) <= 1e-10, "2-point lml %.15g, by hand %.15g "
	      "(tol 1e-10)", gp->lml, lml);
	gp_free(gp);
}

/* ---- interpolation ------------------------------------------------------ */

static void test_interpolates(enum gp_kernel kern)
{
	size_t n = 12, d = 2;
	double x[24], y[12], mean[12], std[12];
	double theta[4] = { log(0.8), log(0.8), 0, log(1e-12) };
	struct pal_error e;

	for (size_t i = 0; i < n; i++) {
		x[i * d] = unif(-2, 2), x[i * d + 1] = unif(-2, 2);
		y[i] = cos(x[i * d]) * x[i * d + 1];
	}
	struct gp *gp = gp_new(kern, n, d, x, y, NULL, &e);
	CHECK(gp && gp_set_theta(gp, theta, &e) == 0, "%s fit with noise "
	      "1e-12", gp_kernel_name(kern));
	gp_predict(gp, n, x, mean, std, NULL);
	double em = maxdiff(n, mean, y), es = maxabs(n, std);
	CHECK(em <= 1e-6 && es <= 1e-4, "%s interpolates: max |mean - y| %.3g "
	      "(tol 1e-6), max std at the data %.3g (tol 1e-4), jitter %g",
	      gp_kernel_name(kern), em, es, gp->jitter);
	gp_free(gp);
}

/* ---- prediction: gradient and fast vs naive ----------------------------- */

static void test_predict(enum gp_kernel kern)
{
	size_t n = 300, d = 3, m = 600;
	double *x = malloc(n * d * 8), *y = malloc(n * 8);
	double *xq = malloc(m * d * 8);
	double *m1 = malloc(m * 8), *m2 = malloc(m * 8);
	double *s1 = malloc(m * 8), *s2 = malloc(m * 8);
	double *g1 = malloc(m * d * 8), *g2 = malloc(m * d * 8);
	double theta[5] = { log(0.9), log(1.4), log(0.6), log(1.1), log(1e-2) };
	struct pal_error e;

	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < d; k++)
			x[i * d + k] = unif(-2, 2);
		y[i] = sin(x[i * d]) + cos(x[i * d + 1] * x[i * d + 2]);
	}
	for (size_t i = 0; i < m * d; i++)
		xq[i] = unif(-2.5, 2.5);
	struct gp *gp = gp_new(kern, n, d, x, y, NULL, &e);
	CHECK(gp && gp_set_theta(gp, theta, &e) == 0, "%s 300x3 fitted",
	      gp_kernel_name(kern));
	gp_predict(gp, m, xq, m1, s1, g1);
	gp_predict_naive(gp, m, xq, m2, s2, g2);
	double em = maxdiff(m, m1, m2) / maxabs(m, m2);
	double es = maxdiff(m, s1, s2);
	double eg = maxdiff(m * d, g1, g2) / maxabs(m * d, g2);
	CHECK(em <= 1e-9 && es <= 1e-6 && eg <= 1e-9,
	      "%s predict 600 rows (3 blocks) fast vs naive: mean rel %.3g "
	      "(tol 1e-9), std abs %.3g (tol 1e-6), grad rel %.3g (tol 1e-9)",
	      gp_kernel_name(kern), em, es, eg);
	/* only what was asked is written */
	gp_predict(gp, 7, xq, m2, NULL, NULL);
	CHECK(maxdiff(7, m1, m2) == 0, "mean alone is the same bits");

	/* gradient of the mean vs central differences on 20 rows */
	double worst = 0;
	for (size_t j = 0; j < 20; j++)
		for (size_t k = 0; k < d; k++) {
			double q[3], fp, fm, h = 1e-6;
			memcpy(q, xq + j * d, sizeof q);
			q[k] += h;
			gp_predict(gp, 1, q, &fp, NULL, NULL);
			q[k] -= 2 * h;
			gp_predict(gp, 1, q, &fm, NULL, NULL);
			double fd = (fp - fm) / (2 * h), an = g1[j * d + k];
			double rel = fabs(fd - an) /
				     fmax(fmax(fabs(fd), fabs(an)), 1e-3);
			worst = rel > worst ? rel : worst;
		}
	CHECK(worst <= 1e-6, "%s d mean/dx vs central differences (20 rows): "
	      "max rel error %.3g (tol 1e-6, floor 1e-3)", gp_kernel_name(kern),
	      worst);
	gp_free(gp);
	free(x), free(y), free(xq), free(m1), free(m2), free(s1), free(s2);
	free(g1), free(g2);
}

/* ---- fits with optimised hyper-parameters ------------------------------ */

static void test_sine(enum gp_kernel kern)
{
	size_t n = 30, m = 200;
	double x[30], y[30], xm, xs, ym, ys, mean[200], std[200], xq[200];
	struct pal_error e;
	struct gp_opt_result res;

	for (size_t i = 0; i < n; i++) {
		x[i] = unif(0, 2 * M_PI);
		y[i] = sin(x[i]) + 0.01 * unif(-1, 1);
	}
	gp_standardize(n, 1, x, &xm, &xs);
	gp_standardize(n, 1, y, &ym, &ys);
	struct gp *gp = gp_new(kern, n, 1, x, y, NULL, &e);
	int rc = gp ? gp_optimize(gp, NULL, &res, &e) : -1;
	CHECK(rc == 0,
	      "%s sine: optimised, lml %.4g, %d evals", gp_kernel_name(kern),
	      res.lml, res.evals);
	double se = 0, zz = 0;
	for (size_t j = 0; j < m; j++)
		xq[j] = ((0.1 + 2 * M_PI * 0.8 * (j + 0.5) / m) - xm) / xs;
	gp_predict(gp, m, xq, mean, std, NULL);
	for (size_t j = 0; j < m; j++) {
		double t = sin(xq[j] * xs + xm), p = mean[j] * ys + ym;
		se += (t - p) * (t - p);
		zz += (t - p) * (t - p) / (std[j] * ys * std[j] * ys +
					   exp(gp->theta[2]) * ys * ys);
	}
	double rmse = sqrt(se / m);
	diag("%s sine: l %.4g sf2 %.4g sn2 %.4g (standardised), mean z^2 %.3g",
	     gp_kernel_name(kern), exp(gp->theta[0]), exp(gp->theta[1]),
	     exp(gp->theta[2]), zz / m);
	CHECK(rmse <= 0.01, "%s sine, 30 points, noise 0.01: held-out RMSE "
	      "%.3g (tol 0.01)", gp_kernel_name(kern), rmse);
	gp_free(gp);
}

static double branin(double x1, double x2)
{
	double b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI, t = 1 / (8 * M_PI);
	double q = x2 - b * x1 * x1 + c * x1 - 6;
	return q * q + 10 * (1 - t) * cos(x1) + 10;
}

static void test_branin(enum gp_kernel kern)
{
	size_t n = 60, m = 1000;
	double x[120], y[60], xm[2], xs[2], ym, ys;
	double *xq = malloc(m * 2 * 8), *yq = malloc(m * 8), *mean = malloc(m * 8);
	struct pal_error e;
	struct gp_opt o;
	struct gp_opt_result res;

	for (size_t i = 0; i < n; i++) {
		x[2 * i] = unif(-5, 10), x[2 * i + 1] = unif(0, 15);
		y[i] = branin(x[2 * i], x[2 * i + 1]);
	}
	gp_standardize(n, 2, x, xm, xs);
	gp_standardize(n, 1, y, &ym, &ys);
	struct gp *gp = gp_new(kern, n, 2, x, y, NULL, &e);
	gp_opt_defaults(&o);
	o.restarts = 3;
	o.seed = 7;
	int rc = gp ? gp_optimize(gp, &o, &res, &e) : -1;
	CHECK(rc == 0,
	      "%s branin: optimised, %d starts, best %d, lml %.4g, %d evals",
	      gp_kernel_name(kern), res.starts, res.best, res.lml, res.evals);
	double s = 0, se = 0, mu = 0;
	for (size_t j = 0; j < m; j++) {
		double a = unif(-5, 10), b = unif(0, 15);
		yq[j] = branin(a, b);
		mu += yq[j];
		xq[2 * j] = (a - xm[0]) / xs[0];
		xq[2 * j + 1] = (b - xm[1]) / xs[1];
	}
	mu /= m;
	gp_predict(gp, m, xq, mean, NULL, NULL);
	for (size_t j = 0; j < m; j++) {
		double p = mean[j] * ys + ym;
		se += (p - yq[j]) * (p - yq[j]);
		s += (yq[j] - mu) * (yq[j] - mu);
	}
	double rel = sqrt(se / s);
	CHECK(rel <= 0.05, "%s branin, 60 random points: held-out relative "
	      "RMSE (RMSE/std of y) %.3g (tol 0.05)", gp_kernel_name(kern), rel);
	gp_free(gp);
	free(xq), free(yq), free(mean);
}

/* ---- bounds, restarts, determinism ------------------------------------- */

static void test_search(void)
{
	size_t n = 25;
	double x[25], y[25], t1[3], lml0;
	struct pal_error e;
	struct gp_opt o;
	struct gp_opt_result r0, r1, r2;

	for (size_t i = 0; i < n; i++) {
		x[i] = unif(-2, 2);
		y[i] = sin(2 * x[i]);	/* noiseless: the optimum's sn2 is tiny */
	}
	struct gp *gp = gp_new(GP_RBF, n, 1, x, y, NULL, &e);
	gp_opt_defaults(&o);
	o.lo_sn2 = 1e-2;
	o.hi_len = 0.5;
	int rc = gp ? gp_optimize(gp, &o, &r0, &e) : -1;
	CHECK(rc == 0 && gp->theta[2] == log(1e-2) && gp->theta[0] == log(0.5),
	      "bounds hold: sn2 %.17g (lower bound 1e-2), l %.17g (upper bound "
	      "0.5), clamped exactly", exp(gp->theta[2]), exp(gp->theta[0]));
	double g[3];
	gp_lml(gp, gp->theta, &lml0, g, NULL);
	CHECK(g[2] < 0 && g[0] > 0 && lml0 == gp->lml,
	      "at the bounds the lml still climbs outward (d/dlog sn2 %.3g < 0, "
	      "d/dlog l %.3g > 0): the bounds are what stopped it", g[2], g[0]);

	gp_opt_defaults(&o);
	rc = gp_optimize(gp, &o, &r0, &e);
	lml0 = gp->lml;
	o.restarts = 4;
	o.seed = 11;
	rc |= gp_optimize(gp, &o, &r1, &e);
	memcpy(t1, gp->theta, sizeof t1);
	rc |= gp_optimize(gp, &o, &r2, &e);
	CHECK(rc == 0 && r1.starts == 5 && r1.lml >= lml0 - 1e-9 &&
	      r1.lml == gp->lml, "4 restarts: %d starts, best is start %d, lml "
	      "%.10g >= one start's %.10g", r1.starts, r1.best, r1.lml, lml0);
	CHECK(memcmp(t1, gp->theta, sizeof t1) == 0 && r1.evals == r2.evals,
	      "the same seed gives the same hyper-parameters, bit for bit");
	o.seed = 12;
	rc = gp_optimize(gp, &o, &r2, &e);
	CHECK(rc == 0 && r2.evals != r1.evals, "another seed searches "
	      "elsewhere (%d evals against %d)", r2.evals, r1.evals);

	/* a saved model rebuilt from x, y and theta: the same bits */
	struct gp *g2 = gp_new(GP_RBF, n, 1, x, y, gp->theta, &e);
	double q[3] = { -1.5, 0.1, 1.9 }, m1[3], m2[3], s1[3], s2[3];
	gp_predict(gp, 3, q, m1, s1, NULL);
	if (g2)
		gp_predict(g2, 3, q, m2, s2, NULL);
	CHECK(g2 && memcmp(g2->alpha, gp->alpha, n * sizeof *x) == 0 &&
	      memcmp(g2->l, gp->l, n * n * sizeof *x) == 0 &&
	      g2->lml == gp->lml && memcmp(m1, m2, sizeof m1) == 0 &&
	      memcmp(s1, s2, sizeof s1) == 0,
	      "gp_new at the fitted theta rebuilds the same factor, alpha and "
	      "predictions, bit for bit");
	gp_free(g2);
	double bad[3] = { 0, NAN, 0 };
	g2 = gp_new(GP_RBF, n, 1, x, y, bad, &e);
	CHECK(g2 == NULL && e.kind == PAL_ERR_NUMERIC &&
	      strcmp(e.msg, "hyper-parameter 1 is nan, not a finite logarithm "
		     "(gp)") == 0, "gp_new at a NaN theta: %s", esc(e.msg));
	gp_free(gp);
}

/* ---- errors ------------------------------------------------------------- */

static void test_errors(void)
{
	struct pal_error e;
	double x[4] = { 0, 1e10, 0, 0 }, y[2] = { 1, 2 };

	struct gp *g0 = gp_new(GP_RBF, GP_MAX_N + 1, 1, x, y, NULL, &e);
	CHECK(g0 == NULL &&
	      e.kind == PAL_ERR_LIMIT &&
	      strcmp(e.msg, "10001 training rows beyond the gaussian process's "
		     "limit of 10000 (gp; subsample the rows or use the mlp "
		     "committee)") == 0, "past the limit: %s", esc(e.msg));
	g0 = gp_new(GP_RBF, 0, 1, x, y, NULL, &e);
	CHECK(g0 == NULL && e.kind == PAL_ERR_USAGE,
	      "no rows: %s", esc(e.msg));
	y[1] = NAN;
	g0 = gp_new(GP_RBF, 2, 1, x, y, NULL, &e);
	CHECK(g0 == NULL &&
	      e.kind == PAL_ERR_NUMERIC &&
	      strcmp(e.msg, "training row 1 holds a value that is not finite "
		     "(gp)") == 0, "not finite: %s", esc(e.msg));
	y[1] = 2;

	/* duplicate rows, noise 1e-300: rescued by jitter */
	double xd[2] = { 0.5, 0.5 }, th[3] = { 0, 0, -690 };
	struct gp *gp = gp_new(GP_RBF, 2, 1, xd, y, NULL, &e);
	int rc = gp ? gp_set_theta(gp, th, &e) : -1;
	CHECK(rc == 0 && gp->jitter > 0,
	      "duplicate rows with noise 1e-300 fitted with jitter %g",
	      gp ? gp->jitter : 0);
	gp_free(gp);

	/* an overflowing length scale makes K NaN: refused after the jitter */
	gp = gp_new(GP_RBF, 2, 1, x, y, NULL, &e);
	th[0] = -690, th[2] = log(1e-2);
	double before = gp ? gp->lml : 0;
	rc = gp ? gp_set_theta(gp, th, &e) : 0;
	CHECK(rc == -1 &&
	      e.kind == PAL_ERR_NUMERIC &&
	      strstr(e.msg, "kernel matrix not positive definite even with "
		     "jitter 1.01e-06 (gp fit; raise the noise floor or "
		     "remove duplicate rows)") == e.msg && gp->lml == before,
	      "not positive definite: %s; fit kept", esc(e.msg));
	th[0] = NAN;
	rc = gp ? gp_set_theta(gp, th, &e) : 0;
	CHECK(rc == -1 &&
	      e.kind == PAL_ERR_NUMERIC, "NaN theta: %s", esc(e.msg));
	struct gp_opt o;
	gp_opt_defaults(&o);
	o.lo_sn2 = 0;
	rc = gp ? gp_optimize(gp, &o, NULL, &e) : 0;
	CHECK(rc == -1 &&
	      e.kind == PAL_ERR_USAGE, "bad bounds: %s", esc(e.msg));
	gp_free(gp);
}

int main(void)
{
	rng_seed(&R, 42, 0);
	test_names();
	test_kernel_matrix(GP_RBF);
	test_kernel_matrix(GP_MATERN52);
	test_lml_grad(GP_RBF);
	test_lml_grad(GP_MATERN52);
	test_two_points();
	test_interpolates(GP_RBF);
	test_interpolates(GP_MATERN52);
	test_predict(GP_RBF);
	test_predict(GP_MATERN52);
	test_sine(GP_RBF);
	test_sine(GP_MATERN52);
	test_branin(GP_RBF);
	test_branin(GP_MATERN52);
	test_search();
	test_errors();
	return done();
}
