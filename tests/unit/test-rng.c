/*
 * test-rng.c: unit tests of libcommon/rng.c (xoshiro256** seeded by
 * splitmix64): known answers, determinism, independent streams, and the
 * moments of each distribution checked against theory with a stated
 * tolerance.
 *
 * The statistical checks use 10^6 draws from fixed seeds, so they are
 * deterministic; the tolerance is 6 standard errors (or a chi-square bound
 * as generous), far enough from the expected value that a correct generator
 * never fails, close enough that an off-by-one in a transform always does.
 */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "rng.h"
#include "unit.h"
#include "banned.h"

#define NDRAWS 1000000

/*
 * The first outputs of xoshiro256** from the state {1, 2, 3, 4}, set
 * directly.  Obtained with Python integer arithmetic written from the
 * reference xoshiro256starstar.c of Blackman and Vigna (result =
 * rotl(s[1] * 5, 7) * 9; t = s[1] << 17; s[2] ^= s[0]; s[3] ^= s[1];
 * s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45), all mod
 * 2^64); they also agree with the test vector of the Rust crate
 * rand_xoshiro (11520, 0, 1509978240, 1215971899390074240, ...).
 */
static const uint64_t kat_1234[] = {
	0x2d00, 0x0, 0x5a007080, 0x10e0000000009d80, 0x10e0b61ce1009d80,
	0x0870021ce143ad00,
};

/*
 * rng_seed(&r, 42, 7): the state and first outputs, from the same Python
 * model with splitmix64 (x += 0x9e3779b97f4a7c15; z = (x ^ x >> 30) *
 * 0xbf58476d1ce4e5b9; z = (z ^ z >> 27) * 0x94d049bb133111eb; z ^ z >> 31)
 * applied as rng.c documents: x = seed ^ splitmix64(stream), then four
 * splitmix64 outputs of x.  They pin the seeding, so that a campaign run
 * again with the same seed sees the same numbers on every machine.
 */
static const uint64_t kat_seed_state[] = {
	0x6eab8625df268fbc, 0x45847a4c3fc62d89, 0xe9871b135156aabf,
	0x3ef7d517faf51d54,
};
static const uint64_t kat_seed_out[] = {
	0x24bfb39aeb008c15, 0xd858489e7fc02496, 0x3deebe24036964f3,
	0x532b7127a28f00a1,
};

static void test_known_answers(void)
{
	struct rng r = { .s = { 1, 2, 3, 4 } };
	uint64_t v;
	double u;

	for (size_t i = 0; i < sizeof(kat_1234) / sizeof(kat_1234[0]); i++) {
		v = rng_u64(&r);
		CHECK(v == kat_1234[i], "xoshiro256** from {1,2,3,4}: output %zu "
		      "is 0x%016" PRIx64 ", want 0x%016" PRIx64, i, v,
		      kat_1234[i]);
	}

	rng_seed(&r, 42, 7);
	CHECK(!memcmp(r.s, kat_seed_state, sizeof(r.s)),
	      "rng_seed(42, 7) state 0x%016" PRIx64 " 0x%016" PRIx64
	      " 0x%016" PRIx64 " 0x%016" PRIx64 ", want 0x%016" PRIx64 " ...",
	      r.s[0], r.s[1], r.s[2], r.s[3], kat_seed_state[0]);
	for (size_t i = 0; i < 4; i++) {
		v = rng_u64(&r);
		CHECK(v == kat_seed_out[i], "rng_seed(42, 7): output %zu is "
		      "0x%016" PRIx64 ", want 0x%016" PRIx64, i, v,
		      kat_seed_out[i]);
	}

	/* rng_uniform is the top 53 bits times 2^-53. */
	r = (struct rng){ .s = { 1, 2, 3, 4 } };
	u = rng_uniform(&r);
	CHECK(u == (double)(kat_1234[0] >> 11) * 0x1p-53,
	      "rng_uniform from {1,2,3,4} is %a, want %a", u,
	      (double)(kat_1234[0] >> 11) * 0x1p-53);
}

static void test_determinism(void)
{
	struct rng a, b;
	int same = 1, differ01 = 0, differ12 = 0;
	double n1, n2;

	rng_seed(&a, 12345, 0);
	rng_seed(&b, 12345, 0);
	for (int i = 0; i < 10000; i++)
		same &= rng_u64(&a) == rng_u64(&b);
	CHECK(same, "the same seed and stream give the same 10000 outputs");

	/* Seeds and stream numbers that differ by one bit still give
	 * sequences that differ in (nearly) every output. */
	rng_seed(&a, 1, 0);
	rng_seed(&b, 1, 1);
	for (int i = 0; i < 1000; i++)
		differ01 += rng_u64(&a) != rng_u64(&b);
	CHECK(differ01 == 1000, "streams 0 and 1 of seed 1 differ in %d of "
	      "1000 outputs", differ01);
	rng_seed(&a, 1, 0);
	rng_seed(&b, 2, 0);
	for (int i = 0; i < 1000; i++)
		differ12 += rng_u64(&a) != rng_u64(&b);
	CHECK(differ12 == 1000, "seeds 1 and 2 differ in %d of 1000 outputs",
	      differ12);
	rng_seed(&a, 0, 0);
	CHECK(a.s[0] | a.s[1] | a.s[2] | a.s[3],
	      "seed 0 stream 0 gives a non-zero state");

	/* Reseeding forgets the spare normal of Box-Muller. */
	rng_seed(&a, 99, 3);
	n1 = rng_normal(&a);
	rng_seed(&a, 99, 3);
	n2 = rng_normal(&a);
	CHECK(n1 == n2, "rng_normal after rng_seed is %.17g both times (%.17g)",
	      n1, n2);
}

/* Correlation of uniforms from two streams of one seed: about 0. */
static void test_streams_uncorrelated(void)
{
	struct rng a, b;
	double sab = 0, sa = 0, sb = 0, saa = 0, sbb = 0, corr;

	rng_seed(&a, 2024, 0);
	rng_seed(&b, 2024, 1);
	for (int i = 0; i < NDRAWS; i++) {
		double x = rng_uniform(&a), y = rng_uniform(&b);

		sa += x;
		sb += y;
		sab += x * y;
		saa += x * x;
		sbb += y * y;
	}
	corr = (sab / NDRAWS - sa / NDRAWS * sb / NDRAWS) /
	       sqrt((saa / NDRAWS - sa / NDRAWS * sa / NDRAWS) *
		    (sbb / NDRAWS - sb / NDRAWS * sb / NDRAWS));
	/* The standard error of a correlation near 0 is 1/sqrt(n). */
	CHECK(fabs(corr) < 6 / sqrt(NDRAWS), "correlation of streams 0 and 1 "
	      "is %.2e, within 6 standard errors (%.2e)", corr,
	      6 / sqrt(NDRAWS));
}

/* Check a sample mean and variance against theory, within 6 standard
 * errors each (se_mean = sqrt(var / n), se_var = sqrt((m4 - var^2) / n)). */
static void check_moments(const char *what, double sum, double sumsq,
			  double want_mean, double want_var, double want_m4)
{
	double mean = sum / NDRAWS;
	double var = sumsq / NDRAWS - mean * mean;
	double se_mean = sqrt(want_var / NDRAWS);
	double se_var = sqrt((want_m4 - want_var * want_var) / NDRAWS);

	CHECK(fabs(mean - want_mean) < 6 * se_mean, "%s: mean %.6f, want %.6f "
	      "+- %.6f (6 se)", what, mean, want_mean, 6 * se_mean);
	if (want_var > 0)
		CHECK(fabs(var - want_var) < 6 * se_var, "%s: variance %.6f, want "
		      "%.6f +- %.6f (6 se)", what, var, want_var, 6 * se_var);
}

static void test_uniform(void)
{
	struct rng r;
	double sum = 0, sumsq = 0, lo = 1, hi = 0;

	rng_seed(&r, 7, 0);
	for (int i = 0; i < NDRAWS; i++) {
		double u = rng_uniform(&r);

		sum += u;
		sumsq += u * u;
		lo = u < lo ? u : lo;
		hi = u > hi ? u : hi;
	}
	CHECK(lo >= 0 && hi < 1, "rng_uniform stays in [0, 1): min %.3g, "
	      "max 1 - %.3g", lo, 1 - hi);
	/* U(0,1): variance 1/12, fourth central moment 1/80. */
	check_moments("rng_uniform", sum, sumsq, 0.5, 1.0 / 12, 1.0 / 80);
}

static void test_normal(void)
{
	struct rng r;
	double sum = 0, sumsq = 0, sum3 = 0;
	int finite = 1;

	rng_seed(&r, 8, 0);
	for (int i = 0; i < NDRAWS; i++) {
		double z = rng_normal(&r);

		finite &= isfinite(z);
		sum += z;
		sumsq += z * z;
		sum3 += z * z * z;
	}
	CHECK(finite, "rng_normal gives finite values");
	/* N(0,1): variance 1, fourth moment 3. */
	check_moments("rng_normal", sum, sumsq, 0, 1, 3);
	/* Third moment 0, with standard error sqrt(E z^6 / n) = sqrt(15 / n). */
	CHECK(fabs(sum3 / NDRAWS) < 6 * sqrt(15.0 / NDRAWS),
	      "rng_normal: third moment %.5f, want 0 +- %.5f (6 se)",
	      sum3 / NDRAWS, 6 * sqrt(15.0 / NDRAWS));
}

static void test_exponential(void)
{
	struct rng r;
	double sum = 0, sumsq = 0, lo = 1;

	rng_seed(&r, 9, 0);
	for (int i = 0; i < NDRAWS; i++) {
		double e = rng_exponential(&r);

		sum += e;
		sumsq += e * e;
		lo = e < lo ? e : lo;
	}
	CHECK(lo >= 0, "rng_exponential is never negative (min %g)", lo);
	/* Exp(1): mean 1, variance 1, fourth central moment 9. */
	check_moments("rng_exponential", sum, sumsq, 1, 1, 9);
}

/*
 * rng_below(n) for small n: every value < n, and the counts pass a
 * chi-square test with n - 1 degrees of freedom against a bound of
 * df + 6 sqrt(2 df) (6 standard deviations of the statistic).
 */
static void test_below_chisq(uint64_t n)
{
	uint64_t counts[16] = { 0 };
	struct rng r;
	int inrange = 1;
	double chisq = 0, expect = (double)NDRAWS / (double)n;
	double df = (double)n - 1, bound = df + 6 * sqrt(2 * df);

	rng_seed(&r, 100 + n, 0);
	for (int i = 0; i < NDRAWS; i++) {
		uint64_t k = rng_below(&r, n);

		if (k >= n)
			inrange = 0;
		else
			counts[k]++;
	}
	CHECK(inrange, "rng_below(%" PRIu64 ") is always below %" PRIu64, n, n);
	for (uint64_t k = 0; k < n; k++)
		chisq += (counts[k] - expect) * (counts[k] - expect) / expect;
	CHECK(chisq < bound, "rng_below(%" PRIu64 "): chi-square %.2f with %g "
	      "degrees of freedom, bound %.2f", n, chisq, df, bound);
}

static void test_below(void)
{
	static const uint64_t big[] = {
		1, 2, (1ull << 63) + 1, UINT64_MAX - 1, UINT64_MAX,
	};
	struct rng r;

	test_below_chisq(3);
	test_below_chisq(7);
	test_below_chisq(10);

	rng_seed(&r, 5, 0);
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		uint64_t n = big[i], hi = 0;
		int inrange = 1;

		for (int j = 0; j < 10000; j++) {
			uint64_t k = rng_below(&r, n);

			inrange &= k < n;
			hi = k > hi ? k : hi;
		}
		CHECK(inrange, "rng_below(%" PRIu64 ") is always below it "
		      "(10000 draws)", n);
		/* Over 10000 draws the largest value comes close to n: the
		 * upper half of the range is reached, nothing is cut off. */
		if (n > 2)
			CHECK(hi > n / 2, "rng_below(%" PRIu64 ") reaches the "
			      "upper half: max %" PRIu64, n, hi);
	}

	/* For n = 2^63 + 1, half of all 64-bit values are rejected: the two
	 * halves of the range must still be equally likely. */
	{
		uint64_t n = (1ull << 63) + 1, upper = 0;
		const int draws = 100000;
		double z;

		for (int j = 0; j < draws; j++)
			upper += rng_below(&r, n) >= n / 2;
		z = ((double)upper - draws / 2.0) / sqrt(draws / 4.0);
		CHECK(fabs(z) < 6, "rng_below(2^63 + 1): %" PRIu64 " of %d in "
		      "the upper half, z = %.2f", upper, draws, z);
	}
}

int main(void)
{
	test_known_answers();
	test_determinism();
	test_streams_uncorrelated();
	test_uniform();
	test_normal();
	test_exponential();
	test_below();
	return done();
}
