/*
 * test-num.c: unit tests of libcommon/num.c, the checked conversions from
 * text to numbers (parse_u64, parse_i64, parse_double, parse_duration).
 *
 * Every case states the text, the bounds and the expected value or the
 * expected reason, so that a failure names the input.
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "num.h"
#include "unit.h"
#include "banned.h"

/* The reason for s as text, for messages: "(ok)" when there is none. */
static const char *why(const char *errstr)
{
	return errstr ? errstr : "(ok)";
}

static void u64_ok(const char *s, uint64_t min, uint64_t max, uint64_t want)
{
	const char *errstr = "unset";
	uint64_t v = parse_u64(s, min, max, &errstr);

	CHECK(errstr == NULL && v == want,
	      "parse_u64(\"%s\", %" PRIu64 ", %" PRIu64 ") = %" PRIu64
	      " [%s], want %" PRIu64, esc(s), min, max, v, why(errstr), want);
}

static void u64_bad(const char *s, uint64_t min, uint64_t max,
		    const char *reason)
{
	const char *errstr = NULL;
	uint64_t v = parse_u64(s, min, max, &errstr);

	CHECK(errstr != NULL && !strcmp(errstr, reason) && v == 0,
	      "parse_u64(\"%s\", %" PRIu64 ", %" PRIu64 ") refused: [%s] "
	      "%" PRIu64 ", want [%s] 0", esc(s), min, max, why(errstr), v, reason);
}

static void i64_ok(const char *s, int64_t min, int64_t max, int64_t want)
{
	const char *errstr = "unset";
	int64_t v = parse_i64(s, min, max, &errstr);

	CHECK(errstr == NULL && v == want,
	      "parse_i64(\"%s\", %" PRId64 ", %" PRId64 ") = %" PRId64
	      " [%s], want %" PRId64, esc(s), min, max, v, why(errstr), want);
}

static void i64_bad(const char *s, int64_t min, int64_t max,
		    const char *reason)
{
	const char *errstr = NULL;
	int64_t v = parse_i64(s, min, max, &errstr);

	CHECK(errstr != NULL && !strcmp(errstr, reason) && v == 0,
	      "parse_i64(\"%s\", %" PRId64 ", %" PRId64 ") refused: [%s] "
	      "%" PRId64 ", want [%s] 0", esc(s), min, max, why(errstr), v, reason);
}

/* Doubles compare bit for bit, so that -0 differs from 0. */
static void dbl_ok(const char *s, double want)
{
	const char *errstr = "unset";
	double v = parse_double(s, &errstr);

	CHECK(errstr == NULL && (isnan(want) ? isnan(v) :
				 !memcmp(&v, &want, sizeof(v))),
	      "parse_double(\"%s\") = %a [%s], want %a", esc(s), v, why(errstr),
	      want);
}

static void dbl_bad(const char *s, const char *reason)
{
	const char *errstr = NULL;
	double v = parse_double(s, &errstr);

	CHECK(errstr != NULL && !strcmp(errstr, reason) && v == 0,
	      "parse_double(\"%s\") refused: [%s] %a, want [%s]", esc(s),
	      why(errstr), v, reason);
}

static void dur_ok(const char *s, double want)
{
	const char *errstr = "unset";
	double v = parse_duration(s, &errstr);

	CHECK(errstr == NULL && v == want,
	      "parse_duration(\"%s\") = %.17g s [%s], want %.17g s", esc(s), v,
	      why(errstr), want);
}

/* reason NULL: any reason will do, as long as the duration is refused. */
static void dur_bad(const char *s, const char *reason)
{
	const char *errstr = NULL;
	double v = parse_duration(s, &errstr);

	CHECK(errstr != NULL && (!reason || !strcmp(errstr, reason)) &&
	      v == 0,
	      "parse_duration(\"%s\") refused: [%s] %g, want [%s]", esc(s),
	      why(errstr), v, reason ? reason : "any reason");
}

static void test_u64(void)
{
	u64_ok("0", 0, UINT64_MAX, 0);
	u64_ok("1", 0, UINT64_MAX, 1);
	u64_ok("007", 0, UINT64_MAX, 7);
	u64_ok("18446744073709551615", 0, UINT64_MAX, UINT64_MAX);
	u64_bad("18446744073709551616", 0, UINT64_MAX, "too large");
	u64_bad("99999999999999999999999", 0, UINT64_MAX, "too large");
	u64_ok("10", 10, 20, 10);
	u64_ok("20", 10, 20, 20);
	u64_bad("9", 10, 20, "too small");
	u64_bad("21", 10, 20, "too large");
	u64_bad("", 0, 10, "empty");
	u64_bad(" 1", 0, 10, "not a number");
	u64_bad("1 ", 0, 10, "not a number");
	u64_bad("\t1", 0, 10, "not a number");
	u64_bad("1\n", 0, 10, "not a number");
	u64_bad("1x", 0, 10, "not a number");
	u64_bad("0x10", 0, 100, "not a number");
	u64_bad("1.0", 0, 10, "not a number");
	u64_bad("1e3", 0, 10000, "not a number");
	u64_bad("abc", 0, 10, "not a number");
	u64_bad("-", 0, 10, "not a number");
	u64_bad("+", 0, 10, "not a number");
	/* An unsigned number takes no sign: "+1" is not a number, and a
	 * minus sign on digits is below any unsigned bound, "-0" included. */
	u64_bad("+1", 0, 10, "not a number");
	u64_bad("-1", 0, 10, "too small");
	u64_bad("-0", 0, 10, "too small");
	/* strtoull would wrap "-1" to UINT64_MAX; parse_u64 must not. */
	u64_bad("-1", 0, UINT64_MAX, "too small");
}

static void test_i64(void)
{
	i64_ok("0", INT64_MIN, INT64_MAX, 0);
	i64_ok("-0", INT64_MIN, INT64_MAX, 0);
	i64_ok("+1", INT64_MIN, INT64_MAX, 1);
	i64_ok("-1", INT64_MIN, INT64_MAX, -1);
	i64_ok("9223372036854775807", INT64_MIN, INT64_MAX, INT64_MAX);
	i64_ok("-9223372036854775808", INT64_MIN, INT64_MAX, INT64_MIN);
	i64_bad("9223372036854775808", INT64_MIN, INT64_MAX, "too large");
	i64_bad("-9223372036854775809", INT64_MIN, INT64_MAX, "too small");
	i64_bad("99999999999999999999", INT64_MIN, INT64_MAX, "too large");
	i64_bad("-99999999999999999999", INT64_MIN, INT64_MAX, "too small");
	i64_ok("-5", -5, 5, -5);
	i64_ok("5", -5, 5, 5);
	i64_bad("-6", -5, 5, "too small");
	i64_bad("6", -5, 5, "too large");
	/* The int32 bounds that csv.c uses for "status". */
	i64_ok("-2147483648", INT32_MIN, INT32_MAX, INT32_MIN);
	i64_bad("2147483648", INT32_MIN, INT32_MAX, "too large");
	i64_bad("", INT64_MIN, INT64_MAX, "empty");
	i64_bad(" -1", INT64_MIN, INT64_MAX, "not a number");
	i64_bad("-1 ", INT64_MIN, INT64_MAX, "not a number");
	i64_bad("- 1", INT64_MIN, INT64_MAX, "not a number");
	i64_bad("-", INT64_MIN, INT64_MAX, "not a number");
	i64_bad("+", INT64_MIN, INT64_MAX, "not a number");
	i64_bad("--1", INT64_MIN, INT64_MAX, "not a number");
	i64_bad("12abc", INT64_MIN, INT64_MAX, "not a number");
	i64_bad("1.5", INT64_MIN, INT64_MAX, "not a number");
}

static void test_double(void)
{
	dbl_ok("0", 0.0);
	dbl_ok("-0", -0.0);
	dbl_ok("+1", 1.0);
	dbl_ok("-2.5", -2.5);
	dbl_ok("1e3", 1000.0);
	dbl_ok(".5", 0.5);
	dbl_ok("5.", 5.0);
	dbl_ok("0.1", 0.1);
	dbl_ok("1.7976931348623157e308", DBL_MAX);
	dbl_ok("-1.7976931348623157e308", -DBL_MAX);
	dbl_ok("2.2250738585072014e-308", DBL_MIN);
	/* Underflow to a subnormal is accepted; to zero it is not, unless
	 * the number is zero. */
	dbl_ok("4.9406564584124654e-324", 0x1p-1074);
	dbl_ok("1e-320", 1e-320);
	dbl_bad("1e-400", "too close to zero");
	dbl_bad("-1e-400", "too close to zero");
	dbl_bad("2e-324", "too close to zero");
	dbl_ok("0e-400", 0.0);
	dbl_ok("-0.000e999", -0.0);
	dbl_ok("nan", NAN);
	dbl_ok("NaN", NAN);
	dbl_ok("-nan", NAN);
	dbl_ok("inf", INFINITY);
	dbl_ok("-inf", -INFINITY);
	dbl_ok("Infinity", INFINITY);
	/* Hexadecimal is not decimal data, whatever strtod says. */
	dbl_bad("0x1p-3", "not a number");
	dbl_bad("0x10", "not a number");
	dbl_bad("-0X10", "not a number");
	dbl_bad("1e309", "out of range");
	dbl_bad("1e999", "out of range");
	dbl_bad("-1e309", "out of range");
	dbl_bad("", "empty");
	dbl_bad(" 1", "not a number");
	dbl_bad("1 ", "not a number");
	dbl_bad("1.5x", "not a number");
	dbl_bad("1,5", "not a number");
	dbl_bad("abc", "not a number");
	dbl_bad("-", "not a number");
	dbl_bad(".", "not a number");
	dbl_bad("e5", "not a number");
	dbl_bad("nanx", "not a number");
}

/* The reasons for overflow and underflow are num.h's arrays themselves. */
static void test_double_reasons(void)
{
	const char *errstr = NULL;

	parse_double("-1e999", &errstr);
	CHECK(errstr == pal_num_overflow, "parse_double(\"-1e999\"): reason "
	      "[%s] is not pal_num_overflow", why(errstr));
	parse_double("1e-999", &errstr);
	CHECK(errstr == pal_num_underflow, "parse_double(\"1e-999\"): reason "
	      "[%s] is not pal_num_underflow", why(errstr));
}

static void test_duration(void)
{
	dur_ok("0", 0.0);
	dur_ok("1", 1.0);
	dur_ok("2.5", 2.5);
	dur_ok("1.5s", 1.5);
	dur_ok("10ms", 10 * 1e-3);
	dur_ok("250ms", 250 * 1e-3);
	dur_ok("3us", 3 * 1e-6);
	dur_ok("7ns", 7 * 1e-9);
	dur_ok("2m", 120.0);
	dur_ok("1.5h", 5400.0);
	dur_ok("1e3ms", 1.0);
	dur_ok("0s", 0.0);
	dur_ok("+1s", 1.0);
	dur_bad("-1", "negative");
	dur_bad("-1s", "negative");
	dur_bad("-0.5ms", "negative");
	dur_bad("", "empty");
	dur_bad(" 1s", NULL);
	dur_bad("1s ", NULL);
	dur_bad("1 s", NULL);
	dur_bad("s", NULL);
	dur_bad("ms", NULL);
	dur_bad("1d", "unknown unit (use ns, us, ms, s, m or h)");
	dur_bad("1sec", "unknown unit (use ns, us, ms, s, m or h)");
	dur_bad("1S", "unknown unit (use ns, us, ms, s, m or h)");
	dur_bad("1mss", "unknown unit (use ns, us, ms, s, m or h)");
	dur_bad("1h2m", "unknown unit (use ns, us, ms, s, m or h)");
	dur_bad("nan", NULL);
	dur_bad("inf", NULL);
	dur_bad("infs", NULL);
	dur_bad("1e400", NULL);
	/* Finite numbers that overflow once scaled by the unit. */
	dur_bad("1e308h", "too large");
	dur_bad("1e307m", "too large");
}

int main(void)
{
	test_u64();
	test_i64();
	test_double();
	test_double_reasons();
	test_duration();
	return done();
}
