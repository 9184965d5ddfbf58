/*
 * opt.h: option arguments of programs.  Each function checks one argument
 * and, when it is bad, dies with a usage error (exit status 2) that names
 * the option and the argument: "pal-x: --head: '-1' is not a number".
 * For use in parse_args(), before any input is read.
 */
#ifndef PAL_OPT_H
#define PAL_OPT_H

#include <stdint.h>

/* An integer in [min, max]. */
uint64_t opt_u64(const char *opt, const char *arg, uint64_t min, uint64_t max);

/* What opt_double() accepts besides "not NaN". */
enum {
	OPT_FINITE = 1,			/* not infinite */
	OPT_POSITIVE = 2,		/* above 0 */
	OPT_NONNEG = 4,			/* at least 0 */
};

/* A number, never NaN, with the properties of flags (OPT_*). */
double opt_double(const char *opt, const char *arg, int flags);

/* A duration in seconds, as parse_duration() reads it ("250ms"). */
double opt_duration(const char *opt, const char *arg);

/*
 * Check a comma-separated list ("0:1,0:2"): not empty, and no empty item
 * (a leading, trailing or doubled comma), which strtok(3) would skip
 * silently, so that "--bounds 0:1," is an error and not one range.
 */
void opt_list(const char *opt, const char *arg);

/* Print "pal-x VERSION" to stdout (checking the write) and exit 0. */
_Noreturn void opt_version(void);

#endif
