/*
 * num.h: checked conversions from text to numbers, in place of atoi(3),
 * atof(3) and sscanf(3).  Shaped like OpenBSD's strtonum(3): each returns
 * the value and sets *errstr to NULL, or returns 0 and points *errstr at a
 * short reason ("not a number", "too large", "too small", "empty").
 *
 * Leading and trailing blanks are not accepted: the whole string must be
 * the number.
 */
#ifndef PAL_NUM_H
#define PAL_NUM_H

#include <stdint.h>

uint64_t parse_u64(const char *s, uint64_t min, uint64_t max,
		   const char **errstr);
int64_t parse_i64(const char *s, int64_t min, int64_t max,
		  const char **errstr);
/*
 * A decimal number as strtod reads it, "nan", "inf" and "-inf" included;
 * C99 hexadecimal ("0x10", "0x1p-3") is "not a number".  A number beyond
 * the largest double is refused with *errstr == pal_num_overflow ("out of
 * range"); a non-zero number that would round to zero with *errstr ==
 * pal_num_underflow ("too close to zero").  Subnormal results are accepted.
 * *errstr is then these very arrays, so that a caller (an oracle's output)
 * can tell an overflow, which it takes as infinity, by comparing pointers.
 */
extern const char pal_num_overflow[], pal_num_underflow[];
double parse_double(const char *s, const char **errstr);

/*
 * A duration in seconds: a number with an optional unit, "ns", "us", "ms",
 * "s", "m" or "h" ("250ms", "1.5s", "2m"); no unit means seconds.  Negative,
 * NaN and infinite durations are refused.
 */
double parse_duration(const char *s, const char **errstr);

#endif
