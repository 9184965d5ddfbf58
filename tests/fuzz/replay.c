/*
 * replay.c: a plain-C driver for the fuzz targets, in place of libFuzzer.
 *
 *	replay-NAME path ...
 *
 * Calls LLVMFuzzerTestOneInput() once on the contents of each file named,
 * and of each file found in the directories named (recursively, in name
 * order, skipping names that start with a dot), and prints TAP: "ok N -
 * path" per file and "1..N" at the end.  A target that finds a bug aborts,
 * so the run dies there and make check counts it; a path that cannot be
 * read is "not ok" and makes the exit status 1.  Each input is held in a
 * buffer of exactly its size, so that ASan sees a read past its end.
 *
 * make check (tests/run) runs build/default/tests/replay-stream over
 * tests/fuzz/corpus/stream and tests/corrupt, replay-csv over
 * tests/fuzz/corpus/csv and tests/corrupt, and replay-report over
 * tests/fuzz/corpus/report and tests/corrupt; to replay a crash that make fuzz
 * found, give it the file it names.  After zstd's tests/fuzz/regression_driver.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned count, failed;

static void not_ok(const char *path, const char *why)
{
	printf("not ok %u - %s: %s\n", ++count, path, why);
	fflush(stdout);
	failed++;
}

static void replay_file(const char *path)
{
	int fd = open(path, O_RDONLY);
	unsigned char *buf = NULL;
	size_t len = 0;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0) {
		not_ok(path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	if (st.st_size > 0) {
		buf = malloc((size_t)st.st_size);
		if (!buf) {
			not_ok(path, "out of memory");
			close(fd);
			return;
		}
	}
	while (len < (size_t)st.st_size) {
		ssize_t k = read(fd, buf + len, (size_t)st.st_size - len);

		if (k <= 0) {
			not_ok(path, k < 0 ? strerror(errno) : "file shrank");
			free(buf);
			close(fd);
			return;
		}
		len += (size_t)k;
	}
	close(fd);
	/* Say which input is running, in case it never returns. */
	fprintf(stderr, "replay: %s\n", path);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	printf("ok %u - %s\n", ++count, path);
	fflush(stdout);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void replay(const char *path)
{
	struct dirent **names;
	struct stat st;
	int n;

	if (stat(path, &st) < 0) {
		not_ok(path, strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		replay_file(path);
		return;
	}
	n = scandir(path, &names, NULL, by_name);
	if (n < 0) {
		not_ok(path, strerror(errno));
		return;
	}
	for (int i = 0; i < n; i++) {
		char sub[4096];

		if (names[i]->d_name[0] != '.') {
			if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path,
					     names[i]->d_name) >= sizeof(sub))
				not_ok(names[i]->d_name, "path too long");
			else
				replay(sub);
		}
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s path ...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		replay(argv[i]);
	if (count == 0)
		not_ok(argv[1], "no input found");
	printf("1..%u\n", count);
	return failed ? 1 : 0;
}
