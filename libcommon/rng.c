/*
 * rng.c: xoshiro256** (Blackman and Vigna, 2018) seeded by splitmix64.
 */
#include <math.h>

#include "hash.h"
#include "rng.h"
#include "banned.h"

/* splitmix64: a Weyl sequence, each step through its finaliser mix64. */
static uint64_t splitmix64(uint64_t *x)
{
	return mix64(*x += 0x9e3779b97f4a7c15ull);
}

void rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ splitmix64(&stream);

	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
	r->has_spare = 0;
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t rng_u64(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double rng_uniform(struct rng *r)
{
	return (double)(rng_u64(r) >> 11) * 0x1.0p-53;
}

uint64_t rng_below(struct rng *r, uint64_t n)
{
	/* Reject the values of the last, incomplete block of n. */
	uint64_t limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t x;

	do
		x = rng_u64(r);
	while (x >= limit);
	return x % n;
}

double rng_normal(struct rng *r)
{
	double u, v, rad;

	if (r->has_spare) {
		r->has_spare = 0;
		return r->spare;
	}
	u = 1.0 - rng_uniform(r);	/* (0, 1]: log(u) is finite */
	v = rng_uniform(r);
	rad = sqrt(-2.0 * log(u));
	r->spare = rad * sin(2.0 * M_PI * v);
	r->has_spare = 1;
	return rad * cos(2.0 * M_PI * v);
}

double rng_exponential(struct rng *r)
{
	return -log(1.0 - rng_uniform(r));
}
