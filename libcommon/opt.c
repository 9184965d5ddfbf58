/*
 * opt.c: checked option arguments; see opt.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "io.h"
#include "num.h"
#include "opt.h"
#include "banned.h"

uint64_t opt_u64(const char *opt, const char *arg, uint64_t min, uint64_t max)
{
	const char *errstr;
	uint64_t v = parse_u64(arg, min, max, &errstr);

	if (errstr)
		usage_die("%s: '%s' is %s", opt, arg, errstr);
	return v;
}

double opt_double(const char *opt, const char *arg, int flags)
{
	const char *errstr;
	double v = parse_double(arg, &errstr);

	if (errstr)
		usage_die("%s: '%s' is %s", opt, arg, errstr);
	if (isnan(v))
		usage_die("%s: '%s' is not a number", opt, arg);
	if ((flags & OPT_FINITE) && isinf(v))
		usage_die("%s: '%s' is not finite", opt, arg);
	if ((flags & OPT_POSITIVE) && !(v > 0))
		usage_die("%s: '%s' must be positive", opt, arg);
	if ((flags & OPT_NONNEG) && v < 0)
		usage_die("%s: '%s' must not be negative", opt, arg);
	return v;
}

double opt_duration(const char *opt, const char *arg)
{
	const char *errstr;
	double v = parse_duration(arg, &errstr);

	if (errstr)
		usage_die("%s: '%s' is not a duration (%s)", opt, arg, errstr);
	return v;
}

void opt_version(void)
{
	printf("%s %s\n", pal_progname, PAL_VERSION);
	xfclose(stdout, "stdout");
	exit(0);
}

void opt_list(const char *opt, const char *arg)
{
	size_t n = strlen(arg);

	if (n == 0)
		usage_die("%s: empty list", opt);
	if (arg[0] == ',' || arg[n - 1] == ',' || strstr(arg, ",,"))
		usage_die("%s: empty item in '%s'", opt, arg);
}
