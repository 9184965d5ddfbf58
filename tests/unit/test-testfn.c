/*
 * test-testfn.c: unit tests of the built-in test functions (testfn.h).
 *
 * Values at the published optima, to the published digits; the minima
 * located precisely by Newton's method on the analytic gradient (with a
 * Hessian from central differences of that gradient), which must be
 * positive definite there; every gradient against finite differences at
 * random points; the dimension checks; the name lookup.  Prints TAP and
 * the largest errors seen, and exits non-zero if any test failed.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "testfn.h"
#include "banned.h"

#define PI 3.14159265358979323846
#define MAXD 64

static int ntests, nfailed;

static void ok(int cond, const char *fmt, ...)
{
	va_list ap;

	ntests++;
	if (!cond)
		nfailed++;
	printf("%sok %d - ", cond ? "" : "not ", ntests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static const struct testfn *find(const char *name)
{
	const struct testfn *fn = testfn_find(name);

	if (fn == NULL) {
		printf("Bail out! no function %s\n", name);
		exit(1);
	}
	return fn;
}

static double norm_inf(const double *v, uint32_t d)
{
	double m = 0.0;

	for (uint32_t i = 0; i < d; i++)
		if (fabs(v[i]) > m || isnan(v[i]))
			m = isnan(v[i]) ? NAN : fabs(v[i]);
	return m;
}

/* ---------------------------------------------------------------------- */
/* Small dense linear algebra for the Newton steps (d <= MAXD). */

/*
 * The Hessian H (d x d, row-major) by central differences of the analytic
 * gradient, step h, symmetrised.
 */
static void hessian(const struct testfn *fn, const double *x, uint32_t d,
		    double h, double *H)
{
	double xp[MAXD], gp[MAXD], gm[MAXD];

	for (uint32_t j = 0; j < d; j++) {
		memcpy(xp, x, d * sizeof(double));
		xp[j] = x[j] + h;
		fn->evaluate(xp, d, gp);
		xp[j] = x[j] - h;
		fn->evaluate(xp, d, gm);
		for (uint32_t i = 0; i < d; i++)
			H[i * d + j] = (gp[i] - gm[i]) / (2.0 * h);
	}
	for (uint32_t i = 0; i < d; i++)
		for (uint32_t j = 0; j < i; j++) {
			double s = 0.5 * (H[i * d + j] + H[j * d + i]);

			H[i * d + j] = H[j * d + i] = s;
		}
}

/*
 * Cholesky factor L of H in place (lower triangle); 1 if H is positive
 * definite, else 0.
 */
static int cholesky(double *H, uint32_t d)
{
	for (uint32_t j = 0; j < d; j++) {
		double s = H[j * d + j];

		for (uint32_t k = 0; k < j; k++)
			s -= H[j * d + k] * H[j * d + k];
		if (!(s > 0.0))
			return 0;
		H[j * d + j] = sqrt(s);
		for (uint32_t i = j + 1; i < d; i++) {
			double t = H[i * d + j];

			for (uint32_t k = 0; k < j; k++)
				t -= H[i * d + k] * H[j * d + k];
			H[i * d + j] = t / H[j * d + j];
		}
	}
	return 1;
}

/*
 * Newton's method from x to a stationary point where the Hessian is
 * positive definite (a minimum); x is updated.  Returns the infinity norm
 * of the gradient at the end, or NAN if a Hessian was not positive
 * definite on the way.
 */
static double newton(const struct testfn *fn, double *x, uint32_t d)
{
	double g[MAXD], H[MAXD * MAXD], step[MAXD];

	for (int it = 0; it < 50; it++) {
		fn->evaluate(x, d, g);
		if (norm_inf(g, d) < 1e-12)
			break;
		hessian(fn, x, d, 1e-5, H);
		if (!cholesky(H, d))
			return NAN;
		/* Solve L L^T step = g, then x -= step. */
		for (uint32_t i = 0; i < d; i++) {
			double s = g[i];

			for (uint32_t k = 0; k < i; k++)
				s -= H[i * d + k] * step[k];
			step[i] = s / H[i * d + i];
		}
		for (uint32_t i = d; i-- > 0;) {
			double s = step[i];

			for (uint32_t k = i + 1; k < d; k++)
				s -= H[k * d + i] * step[k];
			step[i] = s / H[i * d + i];
		}
		for (uint32_t i = 0; i < d; i++)
			x[i] -= step[i];
	}
	fn->evaluate(x, d, g);
	return norm_inf(g, d);
}

/* 1 if the Hessian of fn at x is positive definite. */
static int hessian_pd(const struct testfn *fn, const double *x, uint32_t d)
{
	double H[MAXD * MAXD];

	hessian(fn, x, d, 1e-5, H);
	return cholesky(H, d);
}

/*
 * Refine a published minimum x (d-D) by Newton's method and check it: the
 * gradient vanishes, the Hessian is positive definite, the point moved at
 * most tol_x from the published one, and the value is y_pub to tol_y.
 */
static void check_minimum(const char *name, const double *x_pub, uint32_t d,
			  double tol_x, double y_pub, double tol_y)
{
	const struct testfn *fn = find(name);
	double x[MAXD], g[MAXD], dx = 0.0;

	memcpy(x, x_pub, d * sizeof(double));
	double gn = newton(fn, x, d);
	double y = fn->evaluate(x, d, g);

	for (uint32_t i = 0; i < d; i++)
		if (fabs(x[i] - x_pub[i]) > dx)
			dx = fabs(x[i] - x_pub[i]);
	printf("# %s minimum %.10f at (", name, y);
	for (uint32_t i = 0; i < d; i++)
		printf("%s%.8f", i ? ", " : "", x[i]);
	printf("), |grad| = %.1e\n", gn);
	ok(gn < 1e-9, "%s: Newton from the published minimum converges "
	   "(|grad| = %.1e)", name, gn);
	ok(dx <= tol_x, "%s: minimum within %g of the published point "
	   "(moved %.1e)", name, tol_x, dx);
	ok(fabs(y - y_pub) <= tol_y, "%s: minimum value %.6f is %g to %g",
	   name, y, y_pub, tol_y);
	ok(hessian_pd(fn, x, d), "%s: Hessian positive definite there", name);
}

/* ---------------------------------------------------------------------- */

static void test_lookup(void)
{
	static const char *names[] = {
		"branin", "hartmann6", "ackley", "rosenbrock",
		"mueller-brown", "lj", "toy",
	};
	size_t n;
	const struct testfn *all = testfn_all(&n);

	ok(n == sizeof(names) / sizeof(names[0]), "testfn_all lists %zu "
	   "functions", n);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct testfn *fn = testfn_find(names[i]);

		ok(fn != NULL && strcmp(fn->name, names[i]) == 0 &&
		   fn >= all && fn < all + n && fn->has_grad &&
		   fn->summary != NULL && fn->evaluate != NULL,
		   "testfn_find(\"%s\") finds it in testfn_all", names[i]);
	}
	ok(testfn_find("nosuch") == NULL && testfn_find("") == NULL &&
	   testfn_find("Branin") == NULL && testfn_find("lj ") == NULL,
	   "testfn_find of an unknown name is NULL");
}

static void check_dim(const char *name, uint32_t d, const char *want)
{
	const char *got = testfn_check_dim(find(name), d);

	ok(want == NULL ? got == NULL : got != NULL && strcmp(got, want) == 0,
	   "%s, d = %u: %s", name, (unsigned)d, want ? want : "valid");
}

static void test_dims(void)
{
	check_dim("branin", 2, NULL);
	check_dim("branin", 1, "needs dimension 2");
	check_dim("branin", 3, "needs dimension 2");
	check_dim("mueller-brown", 0, "needs dimension 2");
	check_dim("hartmann6", 6, NULL);
	check_dim("hartmann6", 5, "needs dimension 6");
	check_dim("ackley", 1, NULL);
	check_dim("ackley", 1000, NULL);
	check_dim("ackley", 0, "needs dimension at least 1");
	check_dim("rosenbrock", 2, NULL);
	check_dim("rosenbrock", 1, "needs dimension at least 2");
	check_dim("lj", 6, NULL);
	check_dim("lj", 39, NULL);
	check_dim("lj", 3, "needs a multiple of 3, at least 6");
	check_dim("lj", 7, "needs a multiple of 3, at least 6");
	check_dim("lj", 0, "needs a multiple of 3, at least 6");
	check_dim("toy", 1, NULL);
	check_dim("toy", 0, "needs dimension at least 1");
}

static void test_branin(void)
{
	const struct testfn *fn = find("branin");
	const double pts[3][2] = {
		{ -PI, 12.275 }, { PI, 2.275 }, { 9.42478, 2.475 },
	};
	double g[2];

	for (int k = 0; k < 3; k++) {
		double y = fn->evaluate(pts[k], 2, g);

		ok(fabs(y - 0.397887) < 5e-7 && norm_inf(g, 2) < 1e-4,
		   "branin(%g, %g) = %.9f, |grad| = %.1e", pts[k][0],
		   pts[k][1], y, norm_inf(g, 2));
		check_minimum("branin", pts[k], 2, 1e-5, 10.0 / (8.0 * PI),
			      1e-12);
	}
}

static void test_hartmann6(void)
{
	const struct testfn *fn = find("hartmann6");
	const double x[6] = {
		0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573,
	};
	double y = fn->evaluate(x, 6, NULL);

	ok(fabs(y - -3.32237) < 5e-6, "hartmann6 at the published minimum "
	   "is %.8f", y);
	check_minimum("hartmann6", x, 6, 1e-4, -3.32237, 5e-6);
}

static void test_ackley_rosenbrock_toy(void)
{
	const uint32_t dims[] = { 1, 2, 5, 20 };
	double x[MAXD], g[MAXD];

	for (size_t k = 0; k < sizeof(dims) / sizeof(dims[0]); k++) {
		uint32_t d = dims[k];
		double y;

		for (uint32_t i = 0; i < d; i++)
			x[i] = 0.0;
		y = find("ackley")->evaluate(x, d, g);
		ok(fabs(y) < 1e-14 && norm_inf(g, d) == 0.0,
		   "ackley, d = %u: %.1e at the origin, gradient 0", d, y);
		if (d >= 2) {
			for (uint32_t i = 0; i < d; i++)
				x[i] = 1.0;
			y = find("rosenbrock")->evaluate(x, d, g);
			ok(y == 0.0 && norm_inf(g, d) == 0.0,
			   "rosenbrock, d = %u: 0 at (1, ..., 1), gradient 0",
			   d);
			/* A nearby point is higher. */
			x[d - 1] = 1.001;
			ok(find("rosenbrock")->evaluate(x, d, NULL) > 0.0,
			   "rosenbrock, d = %u: positive near the minimum", d);
		}
		for (uint32_t i = 0; i < d; i++)
			x[i] = 0.5;
		y = find("toy")->evaluate(x, d, g);
		ok(y == 0.0 && norm_inf(g, d) == 0.0,
		   "toy, d = %u: 0 at (0.5, ..., 0.5), gradient 0", d);
	}

	/* Ackley is higher one step away from the origin, in any direction. */
	x[0] = 1e-9;
	x[1] = -1e-9;
	ok(find("ackley")->evaluate(x, 2, NULL) > 0.0,
	   "ackley: positive next to the origin");

	/*
	 * Toy: in 1-D, scan [0, 1] finely; the smallest value must be at 0.5,
	 * and every local minimum of the scan above it.
	 */
	const struct testfn *toy = find("toy");
	double best = INFINITY, at = -1.0;

	for (int i = 0; i <= 100000; i++) {
		double t = i / 100000.0;
		double y = toy->evaluate(&t, 1, NULL);

		if (y < best) {
			best = y;
			at = t;
		}
	}
	ok(at == 0.5 && best == 0.0, "toy: a scan of [0, 1] has its minimum "
	   "%g at %g", best, at);
}

static void test_mueller_brown(void)
{
	const double pts[3][2] = {
		{ -0.558, 1.442 }, { 0.623, 0.028 }, { -0.050, 0.467 },
	};
	const double e[3] = { -146.70, -108.17, -80.77 };

	/*
	 * Published to 3 decimals for x and 2 for V: the precise minimum must
	 * round to them.
	 */
	for (int k = 0; k < 3; k++)
		check_minimum("mueller-brown", pts[k], 2, 5e-4, e[k], 5e-3);
}

/* The 39 coordinates of a centred icosahedron of radius R into x. */
static void icosahedron(double R, double *x)
{
	const double phi = (1.0 + sqrt(5.0)) / 2.0;
	const double s = R / sqrt(1.0 + phi * phi);
	int n = 3;

	x[0] = x[1] = x[2] = 0.0;
	/* The 12 vertices: cyclic permutations of (0, +-1, +-phi). */
	for (int c = 0; c < 3; c++)
		for (int a = -1; a <= 1; a += 2)
			for (int b = -1; b <= 1; b += 2) {
				double v[3];

				v[c] = 0.0;
				v[(c + 1) % 3] = a * s;
				v[(c + 2) % 3] = b * phi * s;
				memcpy(&x[n], v, sizeof(v));
				n += 3;
			}
}

static void test_lj(void)
{
	const struct testfn *fn = find("lj");
	const double r = pow(2.0, 1.0 / 6.0);
	double x[39], g[39], y;

	/* LJ2: two atoms at the pair minimum. */
	const double two[6] = { 0.3, -1.0, 2.0, 0.3 + r, -1.0, 2.0 };

	y = fn->evaluate(two, 6, g);
	ok(fabs(y + 1.0) < 1e-14 && norm_inf(g, 6) < 1e-12,
	   "lj: LJ2 at r = 2^(1/6) is %.15f, |grad| = %.1e", y,
	   norm_inf(g, 6));

	/* LJ3: an equilateral triangle of side r. */
	const double three[9] = {
		0.0, 0.0, 0.0, r, 0.0, 0.0, r / 2.0, r * sqrt(3.0) / 2.0, 0.0,
	};

	y = fn->evaluate(three, 9, g);
	ok(fabs(y + 3.0) < 1e-14 && norm_inf(g, 9) < 1e-12,
	   "lj: LJ3 equilateral triangle is %.15f, |grad| = %.1e", y,
	   norm_inf(g, 9));

	/*
	 * LJ4: a regular tetrahedron of edge r, alternate corners of a cube
	 * of side r / sqrt(2).
	 */
	const double c = r / sqrt(2.0);
	const double four[12] = {
		0, 0, 0, c, c, 0, c, 0, c, 0, c, c,
	};

	y = fn->evaluate(four, 12, g);
	ok(fabs(y + 6.0) < 1e-14 && norm_inf(g, 12) < 1e-12,
	   "lj: LJ4 regular tetrahedron is %.15f, |grad| = %.1e", y,
	   norm_inf(g, 12));
	ok(hessian_pd(fn, three, 9) == 0,
	   "lj: Hessian singular (rigid motions) as expected");

	/*
	 * LJ13: the icosahedron keeps its symmetry under the gradient flow,
	 * so its minimum is a 1-D search over the radius R: bisection on
	 * dE/dR = sum_i grad_i . x_i / R, after which the full 39-D gradient
	 * must vanish.
	 */
	double lo = 0.9, hi = 1.3;

	for (int it = 0; it < 100; it++) {
		double mid = (lo + hi) / 2.0, dEdR = 0.0;

		icosahedron(mid, x);
		fn->evaluate(x, 39, g);
		for (int i = 0; i < 39; i++)
			dEdR += g[i] * x[i];
		if (dEdR > 0.0)
			hi = mid;
		else
			lo = mid;
	}
	icosahedron((lo + hi) / 2.0, x);
	y = fn->evaluate(x, 39, g);
	printf("# LJ13 icosahedron radius %.12f energy %.10f |grad| %.1e\n",
	       (lo + hi) / 2.0, y, norm_inf(g, 39));
	ok(fabs(y - -44.326801) < 5e-7 && norm_inf(g, 39) < 1e-10,
	   "lj: LJ13 icosahedron is %.7f (published -44.326801), "
	   "|grad| = %.1e", y, norm_inf(g, 39));

	/* Translation invariance: the gradient sums to zero per axis. */
	struct rng rng;
	double sum[3] = { 0, 0, 0 };

	rng_seed(&rng, 7, 0);
	for (int i = 0; i < 39; i++)
		x[i] += 0.1 * rng_normal(&rng);
	fn->evaluate(x, 39, g);
	for (int i = 0; i < 39; i++)
		sum[i % 3] += g[i];
	ok(norm_inf(sum, 3) < 1e-10 * norm_inf(g, 39),
	   "lj: the gradient sums to zero (%.1e)", norm_inf(sum, 3));

	/* Coincident atoms. */
	double same[9] = { 1, 2, 3, 0, 0, 0, 1, 2, 3 };

	y = fn->evaluate(same, 9, g);
	ok(isinf(y) && y > 0 && isnan(g[0]) && isnan(g[4]) && isnan(g[8]),
	   "lj: coincident atoms give +inf and a NaN gradient");
	ok(isinf(fn->evaluate(same, 9, NULL)),
	   "lj: coincident atoms give +inf without a gradient");
	/* Very close atoms overflow to +inf, never NaN. */
	same[0] = 1.0 + 1e-60;
	y = fn->evaluate(same, 9, NULL);
	ok(isinf(y) && y > 0, "lj: atoms 1e-60 apart give +inf, not NaN");
}

/* ---------------------------------------------------------------------- */
/*
 * Gradients against finite differences.
 *
 * The fourth-order central difference
 *	fd_i = (8 (f(x + h e_i) - f(x - h e_i)) - (f(x + 2h e_i) - f(x - 2h e_i)))
 *		/ (12 h)
 * with h = 1e-4 has a truncation error of order h^4 f^(5) / 30 and a
 * rounding error of order eps |f| / h, both far below the tolerance at the
 * points drawn here.  The error at a point is
 *	max_i |grad_i - fd_i| / max_i |grad_i|
 * (relative to the size of the gradient, so that a component that happens
 * to be near zero is not divided by itself), and must stay below 1e-6.
 */
#define FD_H 1e-4
#define FD_TOL 1e-6
#define FD_POINTS 300

static double fd_error(const struct testfn *fn, const double *x, uint32_t d)
{
	double g[MAXD], xp[MAXD], err = 0.0;

	fn->evaluate(x, d, g);
	for (uint32_t i = 0; i < d; i++) {
		double f[4];
		const double off[4] = { FD_H, -FD_H, 2 * FD_H, -2 * FD_H };

		memcpy(xp, x, d * sizeof(double));
		for (int k = 0; k < 4; k++) {
			xp[i] = x[i] + off[k];
			f[k] = fn->evaluate(xp, d, NULL);
		}
		double fd = (8.0 * (f[0] - f[1]) - (f[2] - f[3])) / (12.0 * FD_H);
		double e = fabs(g[i] - fd);

		if (!(e <= err))
			err = e;
	}
	return err / norm_inf(g, d);
}

/* A random point of fn's domain in dimension d. */
static void random_point(const char *name, uint32_t d, struct rng *r,
			 double *x)
{
	if (strcmp(name, "branin") == 0) {
		x[0] = -5.0 + 15.0 * rng_uniform(r);
		x[1] = 15.0 * rng_uniform(r);
	} else if (strcmp(name, "mueller-brown") == 0) {
		x[0] = -1.5 + 2.7 * rng_uniform(r);
		x[1] = -0.2 + 2.2 * rng_uniform(r);
	} else if (strcmp(name, "ackley") == 0) {
		for (uint32_t i = 0; i < d; i++)
			x[i] = -32.768 + 65.536 * rng_uniform(r);
	} else if (strcmp(name, "rosenbrock") == 0) {
		for (uint32_t i = 0; i < d; i++)
			x[i] = -5.0 + 15.0 * rng_uniform(r);
	} else if (strcmp(name, "lj") == 0) {
		/*
		 * Atoms on a cubic grid of spacing 1.2 jittered by up to 0.2
		 * per axis: no two closer than 0.8, so the energy stays
		 * finite and the test meaningful.
		 */
		for (uint32_t a = 0; a < d / 3; a++) {
			uint32_t p[3] = { a % 3, a / 3 % 3, a / 9 };

			for (int k = 0; k < 3; k++)
				x[3 * a + k] = 1.2 * p[k]
					+ 0.4 * (rng_uniform(r) - 0.5);
		}
	} else {		/* hartmann6, toy: the unit cube */
		for (uint32_t i = 0; i < d; i++)
			x[i] = rng_uniform(r);
	}
}

static void test_gradients(void)
{
	static const struct {
		const char *name;
		uint32_t d;
	} cases[] = {
		{ "branin", 2 }, { "hartmann6", 6 }, { "ackley", 1 },
		{ "ackley", 2 }, { "ackley", 7 }, { "rosenbrock", 2 },
		{ "rosenbrock", 5 }, { "mueller-brown", 2 }, { "lj", 6 },
		{ "lj", 15 }, { "lj", 39 }, { "toy", 1 }, { "toy", 4 },
	};
	struct rng r;
	double x[MAXD], g[MAXD];

	rng_seed(&r, 2024, 0);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct testfn *fn = find(cases[c].name);
		uint32_t d = cases[c].d;
		double maxerr = 0.0;
		int ndiffer = 0;

		for (int p = 0; p < FD_POINTS; p++) {
			double e;

			random_point(fn->name, d, &r, x);
			e = fd_error(fn, x, d);
			if (!(e <= maxerr))
				maxerr = e;
			if (fn->evaluate(x, d, g) != fn->evaluate(x, d, NULL))
				ndiffer++;
		}
		ok(ndiffer == 0, "%s, d = %u: the same y with and without "
		   "the gradient", fn->name, d);
		printf("# %s, d = %u: %s, maxdiff = %e\n", fn->name, d,
		       maxerr < FD_TOL ? "OK" : "FAILED", maxerr);
		ok(maxerr < FD_TOL, "%s, d = %u: gradient matches finite "
		   "differences at %d points (max relative error %.1e)",
		   fn->name, d, FD_POINTS, maxerr);
	}
}

int main(void)
{
	test_lookup();
	test_dims();
	test_branin();
	test_hartmann6();
	test_ackley_rosenbrock_toy();
	test_mueller_brown();
	test_lj();
	test_gradients();
	printf("1..%d\n", ntests);
	return nfailed != 0;
}
