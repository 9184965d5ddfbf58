/*
 * testfn.h: the built-in oracles of pal-label --builtin: analytic and
 * physical test functions with known optima, and their gradients.
 *
 * Every function maps a point x of dimension d to one value y; most also
 * give the gradient dy/dx analytically.  They are exact references for the
 * tests (Branin's three minima, Hartmann6's minimum, Mueller-Brown's minima,
 * gradients against finite differences) and cheap stand-ins for a
 * simulation.
 */
#ifndef PAL_TESTFN_H
#define PAL_TESTFN_H

#include <stddef.h>
#include <stdint.h>

struct testfn {
	const char *name;		/* "branin", "hartmann6", ... */
	uint32_t dim;			/* required dimension, or 0 for any */
	uint32_t dim_multiple;		/* if dim is 0: d must be a multiple of
					 * this (3 for "lj"), else 1 */
	uint32_t min_dim;		/* if dim is 0: the smallest d */
	int has_grad;			/* evaluate() can fill grad */
	const char *summary;		/* one line for --help and the man page */
	/*
	 * y = f(x); if grad is not NULL (and has_grad), grad[0..d) = df/dx.
	 * x has d elements and d is valid for this function.  y is the
	 * same with or without grad.  y is +inf, and every grad[i] NaN,
	 * for an "lj" point with two coincident atoms; "ackley" defines
	 * its gradient as 0 at the origin.  Pure: no state, safe to call
	 * from several threads.
	 */
	double (*evaluate)(const double *x, uint32_t d, double *grad);
};

/* The function called name, or NULL. */
const struct testfn *testfn_find(const char *name);
/* All functions, *n of them, in a fixed order. */
const struct testfn *testfn_all(size_t *n);
/*
 * NULL if d is a valid dimension for fn, else a reason for a message
 * ("needs dimension 2", "needs a multiple of 3, at least 6").
 */
const char *testfn_check_dim(const struct testfn *fn, uint32_t d);

#endif
