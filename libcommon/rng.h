/*
 * rng.h: the random numbers of pal: xoshiro256** seeded by splitmix64.
 *
 * Deterministic for a seed on every machine (integer arithmetic; the
 * floating-point transforms use only IEEE operations, log, sqrt, cos and
 * sin).  Independent streams for ranks, walkers or rows come from
 * rng_seed(&r, seed, stream): the same seed with different stream numbers
 * gives unrelated sequences.
 */
#ifndef PAL_RNG_H
#define PAL_RNG_H

#include <stdint.h>

struct rng {
	uint64_t s[4];
	int has_spare;			/* rng_normal makes two at a time */
	double spare;
};

/* Seed r from seed and a stream number (0 for the main stream). */
void rng_seed(struct rng *r, uint64_t seed, uint64_t stream);
/* 64 random bits. */
uint64_t rng_u64(struct rng *r);
/* Uniform in [0, 1), 53 random bits. */
double rng_uniform(struct rng *r);
/* Uniform integer in [0, n), without modulo bias; n > 0. */
uint64_t rng_below(struct rng *r, uint64_t n);
/* Standard normal (mean 0, variance 1), by the Box-Muller transform. */
double rng_normal(struct rng *r);
/* Exponential with mean 1. */
double rng_exponential(struct rng *r);

#endif
