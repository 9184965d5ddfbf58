/*
 * num.c: checked conversions of num.h.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"
#include "banned.h"

const char pal_num_overflow[] = "out of range";
const char pal_num_underflow[] = "too close to zero";

static int bad_start(const char *s, const char **errstr)
{
	if (*s == '\0') {
		*errstr = "empty";
		return 1;
	}
	if (isspace((unsigned char)*s)) {
		*errstr = "not a number";
		return 1;
	}
	return 0;
}

uint64_t parse_u64(const char *s, uint64_t min, uint64_t max,
		   const char **errstr)
{
	char *end;
	unsigned long long v;

	if (bad_start(s, errstr))
		return 0;
	if (*s == '-' || *s == '+' || !isdigit((unsigned char)*s)) {
		*errstr = *s == '-' ? "too small" : "not a number";
		if (*s == '-' && !isdigit((unsigned char)s[1]))
			*errstr = "not a number";
		return 0;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0') {
		*errstr = "not a number";
		return 0;
	}
	if (errno == ERANGE || v > max) {
		*errstr = "too large";
		return 0;
	}
	if (v < min) {
		*errstr = "too small";
		return 0;
	}
	*errstr = NULL;
	return v;
}

int64_t parse_i64(const char *s, int64_t min, int64_t max,
		  const char **errstr)
{
	char *end;
	long long v;

	if (bad_start(s, errstr))
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end != '\0') {
		*errstr = "not a number";
		return 0;
	}
	if ((errno == ERANGE && v > 0) || v > max) {
		*errstr = "too large";
		return 0;
	}
	if ((errno == ERANGE && v < 0) || v < min) {
		*errstr = "too small";
		return 0;
	}
	*errstr = NULL;
	return v;
}

/* Whether the decimal number s (as strtod read it) has a non-zero digit
 * before its exponent. */
static int nonzero_digits(const char *s)
{
	for (; *s && *s != 'e' && *s != 'E'; s++)
		if (*s >= '1' && *s <= '9')
			return 1;
	return 0;
}

double parse_double(const char *s, const char **errstr)
{
	char *end;
	double v;

	if (bad_start(s, errstr))
		return 0;
	/* strtod also reads C99 hexadecimal ("0x10" is 16): not in data. */
	if (strpbrk(s, "xX")) {
		*errstr = "not a number";
		return 0;
	}
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0') {
		*errstr = "not a number";
		return 0;
	}
	if (errno == ERANGE && (v > 1.0 || v < -1.0)) {
		*errstr = pal_num_overflow;
		return 0;
	}
	/* Underflow to a subnormal is fine (the nearest double); to zero, a
	 * number that is not zero would be taken as zero, so it is refused. */
	if (v == 0 && nonzero_digits(s)) {
		*errstr = pal_num_underflow;
		return 0;
	}
	*errstr = NULL;
	return v;
}

double parse_duration(const char *s, const char **errstr)
{
	static const struct { const char *unit; double scale; } units[] = {
		{ "ns", 1e-9 }, { "us", 1e-6 }, { "ms", 1e-3 }, { "s", 1.0 },
		{ "m", 60.0 }, { "h", 3600.0 },
	};
	char *end;
	double v;

	if (bad_start(s, errstr))
		return 0;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || isnan(v) || isinf(v) || errno == ERANGE) {
		*errstr = "not a duration";
		return 0;
	}
	if (v < 0) {
		*errstr = "negative";
		return 0;
	}
	if (*end == '\0') {
		*errstr = NULL;
		return v;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].unit)) {
			v *= units[i].scale;
			if (isinf(v)) {
				*errstr = "too large";
				return 0;
			}
			*errstr = NULL;
			return v;
		}
	*errstr = "unknown unit (use ns, us, ms, s, m or h)";
	return 0;
}
