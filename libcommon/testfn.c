/*
 * testfn.c: the built-in test functions of testfn.h, each with its
 * analytic gradient.
 *
 * Every function is written out plainly, the formula first in a comment,
 * then a loop that computes y and, if grad is not NULL, dy/dx with the
 * same intermediate terms.  Nothing here is tuned for speed beyond not
 * computing a term twice: these are references, and a built-in oracle is
 * cheap next to the stream and the task farm around it.  The known minima
 * quoted below are checked by tests/unit/test-testfn.c, which also checks
 * every gradient against finite differences.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "testfn.h"
#include "banned.h"

#define PI 3.14159265358979323846

/* ----------------------------------------------------------------------
 * Branin (Branin-Hoo), 2-D.
 *
 *	f(x) = a (x2 - b x1^2 + c x1 - r)^2 + s (1 - t) cos(x1) + s
 *	a = 1, b = 5.1 / (4 pi^2), c = 5 / pi, r = 6, s = 10, t = 1 / (8 pi)
 *
 * Domain x1 in [-5, 10], x2 in [0, 15].  Three global minima,
 * f = 10 / (8 pi) = 0.397887357729738..., at (-pi, 12.275), (pi, 2.275) and
 * (3 pi, 2.475) = (9.42478, 2.475).
 */
static double branin(const double *x, uint32_t d, double *grad)
{
	const double a = 1.0, b = 5.1 / (4.0 * PI * PI), c = 5.0 / PI;
	const double r = 6.0, s = 10.0, t = 1.0 / (8.0 * PI);
	double q = x[1] - b * x[0] * x[0] + c * x[0] - r;

	(void)d;
	if (grad != NULL) {
		grad[0] = 2.0 * a * q * (-2.0 * b * x[0] + c)
			- s * (1.0 - t) * sin(x[0]);
		grad[1] = 2.0 * a * q;
	}
	return a * q * q + s * (1.0 - t) * cos(x[0]) + s;
}

/* ----------------------------------------------------------------------
 * Hartmann 6-D.
 *
 *	f(x) = -sum_{i<4} alpha_i exp(-sum_{j<6} A_ij (x_j - P_ij)^2)
 *
 * with the standard alpha, A and P below.  Domain [0, 1]^6.  Global
 * minimum f = -3.32237 at (0.20169, 0.150011, 0.476874, 0.275332, 0.311652,
 * 0.6573).
 */
static const double hartmann6_alpha[4] = { 1.0, 1.2, 3.0, 3.2 };
static const double hartmann6_A[4][6] = {
	{ 10.0, 3.0, 17.0, 3.5, 1.7, 8.0 },
	{ 0.05, 10.0, 17.0, 0.1, 8.0, 14.0 },
	{ 3.0, 3.5, 1.7, 10.0, 17.0, 8.0 },
	{ 17.0, 8.0, 0.05, 10.0, 0.1, 14.0 },
};
static const double hartmann6_P[4][6] = {	/* times 1e-4 */
	{ 1312, 1696, 5569, 124, 8283, 5886 },
	{ 2329, 4135, 8307, 3736, 1004, 9991 },
	{ 2348, 1451, 3522, 2883, 3047, 6650 },
	{ 4047, 8828, 8732, 5743, 1091, 381 },
};

static double hartmann6(const double *x, uint32_t d, double *grad)
{
	double y = 0.0;

	(void)d;
	if (grad != NULL)
		for (int j = 0; j < 6; j++)
			grad[j] = 0.0;
	for (int i = 0; i < 4; i++) {
		double inner = 0.0;

		for (int j = 0; j < 6; j++) {
			double u = x[j] - 1e-4 * hartmann6_P[i][j];

			inner += hartmann6_A[i][j] * u * u;
		}
		/* term_i = alpha_i exp(-inner_i); y = -sum term_i. */
		double term = hartmann6_alpha[i] * exp(-inner);

		y -= term;
		if (grad != NULL)
			for (int j = 0; j < 6; j++) {
				double u = x[j] - 1e-4 * hartmann6_P[i][j];

				grad[j] += term * 2.0 * hartmann6_A[i][j] * u;
			}
	}
	return y;
}

/* ----------------------------------------------------------------------
 * Ackley, any dimension d >= 1.
 *
 *	f(x) = -a exp(-b sqrt(S / d)) - exp(C / d) + a + e
 *	S = sum_i x_i^2,  C = sum_i cos(c x_i),  a = 20, b = 0.2, c = 2 pi
 *
 * Domain [-32.768, 32.768]^d.  Global minimum f = 0 at the origin, among
 * many local minima near the integer points.  The gradient of the first
 * term, a b exp(-b rho) x_i / (d rho) with rho = sqrt(S / d), has no limit
 * at the origin (x_i / rho depends on the direction); there it is defined
 * as 0, which is also the value of the subgradient that makes the origin
 * stationary.
 */
static double ackley(const double *x, uint32_t d, double *grad)
{
	const double a = 20.0, b = 0.2, c = 2.0 * PI;
	double S = 0.0, C = 0.0;

	for (uint32_t i = 0; i < d; i++) {
		S += x[i] * x[i];
		C += cos(c * x[i]);
	}
	double rho = sqrt(S / d);
	double e1 = exp(-b * rho);
	double e2 = exp(C / d);

	if (grad != NULL)
		for (uint32_t i = 0; i < d; i++) {
			double g1 = rho > 0.0 ? a * b * e1 * x[i] / (d * rho)
					      : 0.0;

			grad[i] = g1 + e2 * c * sin(c * x[i]) / d;
		}
	return -a * e1 - e2 + a + exp(1.0);
}

/* ----------------------------------------------------------------------
 * Rosenbrock, any dimension d >= 2.
 *
 *	f(x) = sum_{i < d-1} 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2
 *
 * Domain [-5, 10]^d.  Global minimum f = 0 at (1, ..., 1), at the end of
 * a long curved valley.
 */
static double rosenbrock(const double *x, uint32_t d, double *grad)
{
	double y = 0.0;

	if (grad != NULL)
		for (uint32_t i = 0; i < d; i++)
			grad[i] = 0.0;
	for (uint32_t i = 0; i + 1 < d; i++) {
		double p = x[i + 1] - x[i] * x[i];
		double q = 1.0 - x[i];

		y += 100.0 * p * p + q * q;
		if (grad != NULL) {
			grad[i] += -400.0 * x[i] * p - 2.0 * q;
			grad[i + 1] += 200.0 * p;
		}
	}
	return y;
}

/* ----------------------------------------------------------------------
 * Mueller-Brown potential energy surface, 2-D (Mueller and Brown, 1979).
 *
 *	V(x, y) = sum_{k<4} A_k exp(a_k (x - x0_k)^2
 *			+ b_k (x - x0_k) (y - y0_k) + c_k (y - y0_k)^2)
 *
 * with A, a, b, c, x0, y0 below.  Domain about x in [-1.5, 1.2], y in
 * [-0.2, 2].  Three minima: V = -146.70 at (-0.558, 1.442), V = -108.17 at
 * (0.623, 0.028) and V = -80.77 at (-0.050, 0.467); two saddle points
 * between them.
 */
static const double mb_A[4] = { -200.0, -100.0, -170.0, 15.0 };
static const double mb_a[4] = { -1.0, -1.0, -6.5, 0.7 };
static const double mb_b[4] = { 0.0, 0.0, 11.0, 0.6 };
static const double mb_c[4] = { -10.0, -10.0, -6.5, 0.7 };
static const double mb_x0[4] = { 1.0, 0.0, -0.5, -1.0 };
static const double mb_y0[4] = { 0.0, 0.5, 1.5, 1.0 };

static double mueller_brown(const double *x, uint32_t d, double *grad)
{
	double v = 0.0;

	(void)d;
	if (grad != NULL)
		grad[0] = grad[1] = 0.0;
	for (int k = 0; k < 4; k++) {
		double u = x[0] - mb_x0[k], w = x[1] - mb_y0[k];
		double term = mb_A[k] * exp(mb_a[k] * u * u + mb_b[k] * u * w
					    + mb_c[k] * w * w);

		v += term;
		if (grad != NULL) {
			grad[0] += term * (2.0 * mb_a[k] * u + mb_b[k] * w);
			grad[1] += term * (mb_b[k] * u + 2.0 * mb_c[k] * w);
		}
	}
	return v;
}

/* ----------------------------------------------------------------------
 * Lennard-Jones cluster, N >= 2 atoms, x = (x_1, y_1, z_1, x_2, ...), so
 * d = 3N.  Reduced units, epsilon = sigma = 1.
 *
 *	E(x) = sum_{i<j} 4 (r_ij^-12 - r_ij^-6)
 *	dE/dx_i = sum_{j != i} -24 (2 r_ij^-14 - r_ij^-8) (x_i - x_j)
 *
 * Any coordinates.  Minima: LJ2 = -1 at r = 2^(1/6), LJ3 = -3 (equilateral
 * triangle of side 2^(1/6)), LJ4 = -6 (regular tetrahedron of edge
 * 2^(1/6)), LJ13 = -44.326801 (a centred icosahedron).  The energy is
 * invariant under translation and rotation, so the gradient sums to zero.
 * Two coincident atoms (r_ij = 0) give E = +inf and a gradient of NaN in
 * every component.
 */
static double lj(const double *x, uint32_t d, double *grad)
{
	uint32_t n = d / 3;
	double e = 0.0;
	int coincident = 0;

	if (grad != NULL)
		for (uint32_t k = 0; k < d; k++)
			grad[k] = 0.0;
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t j = i + 1; j < n; j++) {
			double dx[3], r2 = 0.0;

			for (int k = 0; k < 3; k++) {
				dx[k] = x[3 * i + k] - x[3 * j + k];
				r2 += dx[k] * dx[k];
			}
			if (r2 == 0.0) {
				coincident = 1;
				continue;
			}
			double inv2 = 1.0 / r2;
			double inv6 = inv2 * inv2 * inv2;

			/* Written so that overflow gives +inf, not inf - inf. */
			e += 4.0 * inv6 * (inv6 - 1.0);
			if (grad != NULL) {
				double f = -24.0 * inv2 * inv6 * (2.0 * inv6 - 1.0);

				for (int k = 0; k < 3; k++) {
					grad[3 * i + k] += f * dx[k];
					grad[3 * j + k] -= f * dx[k];
				}
			}
		}
	if (coincident) {
		if (grad != NULL)
			for (uint32_t k = 0; k < d; k++)
				grad[k] = NAN;
		return INFINITY;
	}
	return e;
}

/* ----------------------------------------------------------------------
 * Toy, any dimension d >= 1: a bowl with ripples, cheap and smooth.
 *
 *	f(x) = sum_i (x_i - 0.5)^2 + 0.1 (1 - cos(8 pi (x_i - 0.5)))
 *
 * Domain [0, 1]^d.  Both terms are >= 0 and vanish together only at
 * x_i = 0.5, so the global minimum is exactly f = 0 at (0.5, ..., 0.5);
 * the ripples add local minima near x_i = 0.5 +- 0.25 and the bounds.
 */
static double toy(const double *x, uint32_t d, double *grad)
{
	const double w = 8.0 * PI;
	double y = 0.0;

	for (uint32_t i = 0; i < d; i++) {
		double u = x[i] - 0.5;

		y += u * u + 0.1 * (1.0 - cos(w * u));
		if (grad != NULL)
			grad[i] = 2.0 * u + 0.1 * w * sin(w * u);
	}
	return y;
}

/* ---------------------------------------------------------------------- */

static const struct testfn functions[] = {
	{ "branin", 2, 1, 2, 1,
	  "Branin, 2-D, minimum 0.397887 at (-pi, 12.275), (pi, 2.275), "
	  "(9.42478, 2.475)", branin },
	{ "hartmann6", 6, 1, 6, 1,
	  "Hartmann, 6-D on [0,1]^6, minimum -3.32237", hartmann6 },
	{ "ackley", 0, 1, 1, 1,
	  "Ackley, any dimension, minimum 0 at the origin", ackley },
	{ "rosenbrock", 0, 1, 2, 1,
	  "Rosenbrock, dimension at least 2, minimum 0 at (1, ..., 1)",
	  rosenbrock },
	{ "mueller-brown", 2, 1, 2, 1,
	  "Mueller-Brown potential energy surface, 2-D, minima -146.70, "
	  "-108.17, -80.77", mueller_brown },
	{ "lj", 0, 3, 6, 1,
	  "Lennard-Jones cluster energy, x = 3N coordinates, N >= 2",
	  lj },
	{ "toy", 0, 1, 1, 1,
	  "a cheap rippled bowl, any dimension, minimum 0 at (0.5, ..., 0.5)",
	  toy },
};

const struct testfn *testfn_find(const char *name)
{
	for (size_t i = 0; i < sizeof(functions) / sizeof(functions[0]); i++)
		if (strcmp(functions[i].name, name) == 0)
			return &functions[i];
	return NULL;
}

const struct testfn *testfn_all(size_t *n)
{
	*n = sizeof(functions) / sizeof(functions[0]);
	return functions;
}

const char *testfn_check_dim(const struct testfn *fn, uint32_t d)
{
	/* One buffer per thread, so callers in threads do not clash. */
	static _Thread_local char msg[64];

	if (fn->dim != 0) {
		if (d == fn->dim)
			return NULL;
		snprintf(msg, sizeof(msg), "needs dimension %u",
			 (unsigned)fn->dim);
		return msg;
	}
	uint32_t mult = fn->dim_multiple > 1 ? fn->dim_multiple : 1;
	uint32_t min = fn->min_dim > 1 ? fn->min_dim : 1;

	if (d >= min && d % mult == 0)
		return NULL;
	if (mult > 1)
		snprintf(msg, sizeof(msg), "needs a multiple of %u, at least %u",
			 (unsigned)mult, (unsigned)min);
	else
		snprintf(msg, sizeof(msg), "needs dimension at least %u",
			 (unsigned)min);
	return msg;
}
