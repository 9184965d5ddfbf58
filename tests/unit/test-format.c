/*
 * test-format.c: how pal writes a double (csv_format_double, libcommon
 * csv.c) against its references: the plain loop it replaces
 * (csv_format_double_ref: %.15g, %.16g, %.17g, each checked by strtod),
 * strtod itself (every string reads back as the same double), and a
 * brute-force loop over %.1g .. %.17g (the fewest significant digits that
 * read back: for a normal double the string has exactly that many when it
 * is 15 or more, and as many as the brute-force string otherwise, %.15g
 * without its trailing zeros; subnormals, with fewer bits, are written
 * with 15 digits where fewer would do, as before).
 *
 * The doubles: random bit patterns (every exponent, subnormals, NaN with
 * either sign), random values in [0, 1) and in 10^[-8, 18), integers,
 * values with an exact tie at the 17th digit (m + 1/4 near 2^52), short
 * decimals (0.1, 0.25, 1e-5), powers of two and of ten and their
 * neighbours, +-0, +-inf, the smallest and largest doubles.
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "rng.h"
#include "unit.h"
#include "banned.h"

static double from_bits(uint64_t b)
{
	double v;

	memcpy(&v, &b, sizeof(v));
	return v;
}

/* Significant digits of a %g string: leading and trailing zeros of the
 * mantissa do not count. */
static int sig_digits(const char *s)
{
	int n = 0, first = -1, last = -1;

	for (; *s && *s != 'e'; s++) {
		if (*s < '0' || *s > '9')
			continue;
		if (*s != '0') {
			if (first < 0)
				first = n;
			last = n;
		}
		n++;
	}
	return first < 0 ? 1 : last - first + 1;
}

struct tally {
	uint64_t n, bad_trip, bad_ref, bad_short, brute;
	int max_len_diff;
	char first_bad[160];
};

static void check(struct tally *t, double v, int brute)
{
	char fast[CSV_DOUBLE_MAX], ref[CSV_DOUBLE_MAX], b[40];
	int nf = csv_format_double(fast, v), nr = csv_format_double_ref(ref, v);
	double back = strtod(fast, NULL);

	t->n++;
	if ((int)strlen(fast) != nf || nf >= CSV_DOUBLE_MAX ||
	    !(back == v || (isnan(v) && isnan(back))) ||
	    ((v == 0 || isnan(v)) && !signbit(v) != !signbit(back))) {
		if (!t->bad_trip++)
			snprintf(t->first_bad, sizeof(t->first_bad),
				 "round trip: %a written as '%s'", v, fast);
	}
	if (nf != nr || strcmp(fast, ref)) {
		if (!t->bad_ref++ && !t->bad_trip)
			snprintf(t->first_bad, sizeof(t->first_bad),
				 "%a: '%s', the reference loop '%s'", v, fast, ref);
		if (abs(nf - nr) > t->max_len_diff)
			t->max_len_diff = abs(nf - nr);
	}
	if (brute && (isnormal(v) || v == 0)) {
		int p = 1, want;

		for (; p < 17; p++) {
			snprintf(b, sizeof(b), "%.*g", p, v);
			if (strtod(b, NULL) == v)
				break;
		}
		snprintf(b, sizeof(b), "%.*g", p, v);
		want = p >= 15 ? p : sig_digits(b);
		t->brute++;
		if (sig_digits(fast) != want && !t->bad_short++ &&
		    !t->bad_trip && !t->bad_ref)
			snprintf(t->first_bad, sizeof(t->first_bad),
				 "%a: '%s' has %d digits, fewest that read back: %d ('%s')",
				 v, fast, sig_digits(fast), want, b);
	}
}

static void report(const struct tally *t, const char *what)
{
	if (t->bad_trip || t->bad_ref || t->bad_short)
		diag("first failure: %s", t->first_bad);
	diag("%s: %" PRIu64 " doubles (%" PRIu64 " also by brute force); "
	     "%" PRIu64 " do not read back, %" PRIu64 " differ from the "
	     "reference loop (most characters apart: %d), %" PRIu64
	     " not the fewest digits", what, t->n, t->brute, t->bad_trip,
	     t->bad_ref, t->max_len_diff, t->bad_short);
	CHECK(t->n > 0 && !t->bad_trip && !t->bad_ref && !t->bad_short,
	      "%s: %" PRIu64 " doubles read back, as the reference writes them", what, t->n);
}

int main(void)
{
	struct rng r;
	struct tally t;
	char buf[CSV_DOUBLE_MAX];
	static const double special[] = {
		0.0, -0.0, INFINITY, -INFINITY, DBL_MIN, -DBL_MIN, DBL_MAX,
		-DBL_MAX, DBL_TRUE_MIN, -DBL_TRUE_MIN, DBL_EPSILON, 0.1, 0.2,
		0.3, 1.0 / 3, 2.0 / 3, 0.25, 1e-5, 1e-6, 1e-7, 1e16, 1e17,
		123456789012345678.0, 9007199254740992.0, 9007199254740993.0,
		4.94065645841247e-324, 1e300, 1e-280, 1e-300, 5e-324, 1e23,
		0.30000000000000004, 9.999999999999999e16, 9.9999999999999999e16,
		99999999999999.99, 999999.9999999999, 0.9999999999999999,
		1e-6 * (1 - DBL_EPSILON), 1e17 * (1 - DBL_EPSILON / 2),
	};

	rng_seed(&r, 2026, 0);

	memset(&t, 0, sizeof(t));
	for (size_t i = 0; i < sizeof(special) / sizeof(*special); i++) {
		check(&t, special[i], 1);
		check(&t, nextafter(special[i], INFINITY), 1);
		check(&t, nextafter(special[i], -INFINITY), 1);
	}
	for (int e = -1074; e <= 1023; e++) {	/* powers of two */
		check(&t, ldexp(1, e), 1);
		check(&t, nextafter(ldexp(1, e), 0), 1);
		check(&t, -nextafter(ldexp(1, e), INFINITY), 1);
	}
	for (int e = -323; e <= 308; e++) {	/* powers of ten */
		double p = pow(10, e);

		check(&t, p, 1);
		check(&t, nextafter(p, 0), 1);
		check(&t, nextafter(p, INFINITY), 1);
	}
	report(&t, "special values, powers of two and ten, neighbours");

	memset(&t, 0, sizeof(t));
	for (int i = 0; i < 300000; i++)
		check(&t, from_bits(rng_u64(&r)), i < 20000);
	report(&t, "random bit patterns (every exponent, subnormals, NaN)");

	memset(&t, 0, sizeof(t));
	for (int i = 0; i < 300000; i++) {
		double u = (double)(rng_u64(&r) >> 11) * 0x1p-53;

		check(&t, u, i < 20000);
		check(&t, -u * pow(10, (double)rng_below(&r, 26) - 8), i < 20000);
	}
	report(&t, "random in [0, 1) and in 10^[-8, 18)");

	memset(&t, 0, sizeof(t));
	for (int i = 0; i < 100000; i++) {
		uint64_t m = rng_u64(&r);

		check(&t, (double)(int64_t)m, i < 5000);
		check(&t, (double)(m >> 40), i < 5000);
		/* 18 significant digits ending in 5: a tie at the 17th. */
		check(&t, (double)(0x10000000000000ull + (m >> 13)) + 0.25, i < 5000);
		check(&t, ((double)(0x4000000000000ull + (m >> 15)) + 0.75) *
			  pow(10, -(double)rng_below(&r, 12)), i < 5000);
		/* Short decimals: k / 10^j. */
		check(&t, (double)(m % 100000) / pow(10, (double)(m % 11)), i < 5000);
	}
	report(&t, "integers, ties at the 17th digit, short decimals");

	CHECK(csv_format_double(buf, NAN) == 3 && !strcmp(buf, "nan") &&
	      csv_format_double(buf, -NAN) == 4 && !strcmp(buf, "-nan"),
	      "NaN is written as printf writes it, its sign kept (test-csv)");
	CHECK(csv_format_double(buf, -INFINITY) == 4 && !strcmp(buf, "-inf") &&
	      csv_format_double(buf, -0.0) == 2 && !strcmp(buf, "-0"),
	      "-inf and -0 keep their sign");
	CHECK(csv_format_double(buf, 0.1) == 3 && !strcmp(buf, "0.1") &&
	      csv_format_double(buf, 100000) == 6 && !strcmp(buf, "100000") &&
	      csv_format_double(buf, 1e-5) == 5 && !strcmp(buf, "1e-05") &&
	      csv_format_double(buf, 0.1 + 0.2) == 19 &&
	      !strcmp(buf, "0.30000000000000004"),
	      "0.1, 100000, 1e-05 and 0.1 + 0.2 as %%g writes them");
	return done();
}
