/*
 * fuzz.h: what the fuzz targets share: CHECK, which aborts (so libFuzzer
 * and the replayer report the input) when a property fails, and a growing
 * byte buffer to flatten frames into for comparison.  A target defines
 * FUZZ_NAME before including this.
 */
#ifndef PAL_FUZZ_H
#define PAL_FUZZ_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, FUZZ_NAME ": %s:%d: check failed: %s\n", \
			__FILE__, __LINE__, #cond);			\
		abort();						\
	}								\
} while (0)

struct sbuf {
	unsigned char *p;
	size_t len, cap;
};

static inline void sb_put(struct sbuf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < b->len + n)
			cap *= 2;
		b->p = realloc(b->p, cap);
		CHECK(b->p != NULL);
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

#endif
