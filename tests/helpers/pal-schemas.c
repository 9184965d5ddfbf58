/*
 * pal-schemas: write a pal stream of n zero-row data frames, each with its
 * own schema (one u8 column named c0, c1, ...), on stdout.  For the test
 * that pal-cat --info stays linear in the number of distinct schemas.
 *
 *	pal-schemas n
 */
#include <inttypes.h>
#include <stdio.h>

#include "err.h"
#include "io.h"
#include "num.h"
#include "stream.h"
#include "banned.h"

int main(int argc, char **argv)
{
	struct pal_col col = { .dtype = PAL_U8, .width = 1 };
	struct pal_frame f = { .kind = PAL_DATA, .ncols = 1, .cols = &col };
	struct pal_writer *w;
	const char *errstr;
	uint64_t n;

	pal_init("pal-schemas");
	if (argc != 2)
		usage_die("usage: pal-schemas n");
	n = parse_u64(argv[1], 0, UINT32_MAX, &errstr);
	if (errstr)
		usage_die("bad count '%s': %s", argv[1], errstr);
	w = xwriter(1, "stdout", 0);
	for (uint64_t i = 0; i < n; i++) {
		snprintf(col.name, sizeof(col.name), "c%" PRIu64, i);
		xpal_write(w, &f);
	}
	xpal_finish(w);
	pal_writer_free(w);
	return 0;
}
