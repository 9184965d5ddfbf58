/*
 * journal.c: the crash-safe journal of finished rows; see journal.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "journal.h"
#include "banned.h"

struct journal {
	int fd;
	char *path;
	struct pal_writer *w;
	int dirty;
	char err[600];
};

struct journal *journal_open(const char *path,
			     void (*fn)(void *arg, const struct pal_frame *f),
			     void *arg, uint64_t *torn, char *err,
			     size_t errlen)
{
	struct journal *j = calloc(1, sizeof(*j));
	struct pal_reader *r;
	const struct pal_frame *f;
	uint64_t good = 0, end;
	int k;

	*torn = 0;
	if (!j) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	j->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
	if (j->fd < 0) {
		snprintf(err, errlen, "cannot open journal '%s': %s", path,
			 strerror(errno));
		free(j);
		return NULL;
	}
	if (flock(j->fd, LOCK_EX | LOCK_NB) < 0) {
		snprintf(err, errlen, "journal '%s' is in use by another "
			 "process (%s)", path, strerror(errno));
		goto fail;
	}
	r = pal_reader_fd(j->fd, path);
	if (!r) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	while ((k = pal_read(r, &f)) > 0) {
		if (f->kind == PAL_DATA)
			fn(arg, f);
		good = pal_reader_offset(r);
	}
	if (k < 0) {
		const struct pal_error *e = pal_reader_error(r);

		if (e->kind != PAL_ERR_TRUNCATED) {
			snprintf(err, errlen, "corrupt journal: %s", e->msg);
			pal_reader_free(r);
			goto fail;
		}
	}
	pal_reader_free(r);
	end = (uint64_t)lseek(j->fd, 0, SEEK_END);
	if (end > good) {
		*torn = end - good;
		if (ftruncate(j->fd, (off_t)good) < 0 || fdatasync(j->fd) < 0) {
			snprintf(err, errlen, "cannot cut the torn end off "
				 "journal '%s': %s", path, strerror(errno));
			goto fail;
		}
	}
	j->path = strdup(path);
	j->w = pal_writer_fd(j->fd, path, 0);
	if (!j->path || !j->w) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return j;
fail:
	close(j->fd);
	free(j->path);
	pal_writer_free(j->w);
	free(j);
	return NULL;
}

int journal_append(struct journal *j, const struct pal_frame *f)
{
	if (pal_write(j->w, f) < 0) {
		snprintf(j->err, sizeof(j->err), "journal: %s",
			 pal_writer_error(j->w)->msg);
		return -1;
	}
	j->dirty = 1;
	return 0;
}

int journal_sync(struct journal *j)
{
	if (!j->dirty)
		return 0;
	if (pal_writer_flush(j->w) < 0) {
		snprintf(j->err, sizeof(j->err), "journal: %s",
			 pal_writer_error(j->w)->msg);
		return -1;
	}
	if (fdatasync(j->fd) < 0) {
		snprintf(j->err, sizeof(j->err), "cannot sync journal '%s': %s",
			 j->path, strerror(errno));
		return -1;
	}
	j->dirty = 0;
	return 0;
}

int journal_close(struct journal *j)
{
	int rc = journal_sync(j);

	if (close(j->fd) < 0 && rc == 0) {
		snprintf(j->err, sizeof(j->err), "cannot close journal '%s': %s",
			 j->path, strerror(errno));
		rc = -1;
	}
	pal_writer_free(j->w);
	free(j->path);
	if (rc == 0)
		free(j);
	return rc;
}

const char *journal_error(const struct journal *j)
{
	return j->err;
}
