/*
 * design.h: space-filling designs in the unit cube, point by point.
 *
 * Sobol' and Halton low-discrepancy sequences, Latin hypercube samples and
 * full grids, each producing one point of [0, 1)^d (grids: [0, 1]^d) at a
 * time in memory that does not grow with the number of points.  pal-gen(1)
 * maps them onto the user's box.  Every generator is deterministic: the same
 * arguments give the same points, bit for bit, on every machine.
 */
#ifndef PAL_DESIGN_H
#define PAL_DESIGN_H

#include <stdint.h>

/* Dimensions for which Sobol' direction numbers are built in. */
#define SOBOL_MAXDIM 1111u
/* Points a Sobol' or Halton sequence may reach (index < this). */
#define DESIGN_MAX_INDEX (1ull << 53)

/* ---- Sobol' ---------------------------------------------------------- */

struct sobol;

/*
 * The Sobol' sequence in dim dimensions (1..SOBOL_MAXDIM) with the direction
 * numbers of Joe and Kuo (new-joe-kuo-6.21201), in Gray-code order, starting
 * at point index start (point 0 is the origin).  With scramble, the
 * direction numbers get a random linear matrix scramble and the points a
 * random digital shift, both drawn from seed; the result is still a (t, s)
 * sequence in base 2.  Returns NULL if dim is out of range, if start is not
 * below DESIGN_MAX_INDEX, or when out of memory.
 */
struct sobol *sobol_new(uint32_t dim, uint64_t start, int scramble,
			uint64_t seed);
/* Write the next point to x[0..dim), each coordinate in [0, 1). */
void sobol_next(struct sobol *s, double *x);
void sobol_free(struct sobol *s);

/* ---- Halton ---------------------------------------------------------- */

struct halton;

/*
 * The Halton sequence in dim dimensions: coordinate j of point i is the
 * radical inverse of i in the (j+1)-th prime, starting at point index start
 * (point 0 is the origin).  With scramble, the digits of each coordinate
 * get a random linear scramble d -> (h_k d + g_k) mod b per digit position
 * k, drawn from seed, which keeps the stratification of the sequence.
 * Returns NULL if dim is 0, if start is not below DESIGN_MAX_INDEX, or
 * when out of memory.
 */
struct halton *halton_new(uint32_t dim, uint64_t start, int scramble,
			  uint64_t seed);
void halton_next(struct halton *h, double *x);
void halton_free(struct halton *h);

/* ---- Latin hypercube --------------------------------------------------- */

struct lhs;

/*
 * A Latin hypercube sample of n points in dim dimensions: coordinate j of
 * point i is (pi_j(i) + u) / n with pi_j a random permutation of 0..n-1
 * and u uniform in [0, 1), so each of the n strata of every dimension holds
 * exactly one point.  The permutations are keyed Feistel networks with
 * cycle walking, so memory is O(dim), not O(n dim).  Returns NULL if dim is 0,
 * if n exceeds DESIGN_MAX_INDEX, or when out of memory.
 */
struct lhs *lhs_new(uint32_t dim, uint64_t n, uint64_t seed);
/* Write the next point (in order 0, 1, ..., n-1) to x[0..dim). */
void lhs_next(struct lhs *l, double *x);
void lhs_free(struct lhs *l);

/*
 * pi(i) for the permutation of 0..n-1 keyed by key: the permutation that
 * the Latin hypercube uses, exported for its tests.  i < n.
 */
uint64_t design_permute(uint64_t i, uint64_t n, uint64_t key);

/* ---- grid -------------------------------------------------------------- */

/*
 * Point i (0 <= i < n^dim) of the full grid with n points per dimension,
 * the last dimension varying fastest: coordinate k/(n - 1) for k in
 * 0..n-1, or 0.5 when n is 1.
 */
void grid_point(uint64_t n, uint32_t dim, uint64_t i, double *x);

/* ---- helpers ----------------------------------------------------------- */

/* The first n primes into p[0..n): 2, 3, 5, ... */
void design_primes(uint32_t n, uint32_t *p);

#endif
