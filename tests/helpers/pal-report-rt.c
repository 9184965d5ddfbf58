/*
 * pal-report-rt: DIR/report.html through libcommon's report_write, for the
 * shell tests (tests/t155-report.sh) before pal-orchestrate --report.
 *
 *	pal-report-rt DIR	write DIR/report.html
 *
 * Errors are the library's messages, with exit status 1; a wrong number of
 * arguments exits 2.
 */
#include <stdio.h>

#include "err.h"
#include "report.h"
#include "banned.h"

int main(int argc, char **argv)
{
	struct pal_error e;

	pal_init("pal-report-rt");
	if (argc != 2)
		usage_die("usage: pal-report-rt DIR");
	if (report_write(argv[1], &e) < 0)
		die("%s", e.msg);
	return 0;
}
