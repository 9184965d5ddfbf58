/*
 * io.c: file handling for programs; see io.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "io.h"
#include "banned.h"

int xopen_in(const char *path)
{
	int fd;

	if (!path || !strcmp(path, "-"))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die_errno("cannot open '%s'", path);
	return fd;
}

void in_refuse_tty(const char *path)
{
	if ((!path || !strcmp(path, "-")) && isatty(0))
		usage_die("standard input is a terminal: give a file, or pipe "
			  "a pal stream in");
}

static mode_t umask_value(void)
{
	mode_t m = umask(0);

	umask(m);
	return m;
}

/* The outputs whose temporary files die() must remove. */
static struct out *pending;

static void remove_pending(void)
{
	for (struct out *o = pending; o; o = o->next_pending)
		if (o->tmp)
			unlink(o->tmp);
}

void out_open(struct out *o, const char *path)
{
	struct stat st;
	size_t n;

	memset(o, 0, sizeof(*o));
	if (!path || !strcmp(path, "-")) {
		o->fd = 1;
		o->name = "stdout";
		return;
	}
	o->path = path;
	o->name = path;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		o->fd = open(path, O_WRONLY | O_CLOEXEC);
		if (o->fd < 0)
			die_errno("cannot open '%s'", path);
		return;
	}
	n = strlen(path) + sizeof(".tmpXXXXXX");
	o->tmp = xmalloc(n);
	snprintf(o->tmp, n, "%s.tmpXXXXXX", path);
	o->fd = mkstemp(o->tmp);
	if (o->fd < 0)
		die_errno("cannot create a temporary file for '%s'", path);
	(void)fchmod(o->fd, 0666 & ~umask_value());
	o->next_pending = pending;
	pending = o;
	pal_atdie(remove_pending);
}

int out_is_tty(const struct out *o)
{
	return isatty(o->fd);
}

FILE *out_stdio(struct out *o)
{
	if (!o->fp) {
		o->fp = o->fd == 1 ? stdout : fdopen(o->fd, "w");
		if (!o->fp)
			die_errno("cannot write '%s'", o->name);
	}
	return o->fp;
}

void out_refuse_tty(const struct out *o)
{
	if (out_is_tty(o))
		usage_die("refusing to write a binary stream to a terminal "
			  "(%s): redirect it, use -o, or pipe it to "
			  "pal-cat --to csv", o->name);
}

void out_commit(struct out *o)
{
	if (o->fp) {
		xfclose(o->fp, o->name);
		o->fp = NULL;
		if (o->fd != 1)
			o->fd = -1;
	}
	if (o->fd == 1)
		return;		/* written with write(2), each write checked */
	if (o->fd >= 0 && close(o->fd) < 0)
		die_errno("cannot close '%s'", o->name);
	if (o->tmp) {
		struct out **pp;

		if (rename(o->tmp, o->path) < 0)
			die_errno("cannot rename '%s' to '%s'", o->tmp, o->path);
		for (pp = &pending; *pp; pp = &(*pp)->next_pending)
			if (*pp == o) {
				*pp = o->next_pending;
				break;
			}
		free(o->tmp);
		o->tmp = NULL;
	}
}

struct pal_reader *xreader(int fd, const char *name)
{
	struct pal_reader *r = pal_reader_fd(fd, name);

	if (!r)
		die("out of memory");
	return r;
}

struct pal_writer *xwriter(int fd, const char *name, int level)
{
	struct pal_writer *w = pal_writer_fd(fd, name, level);

	if (!w)
		die("out of memory");
	return w;
}

int xpal_read(struct pal_reader *r, const struct pal_frame **fp)
{
	int k = pal_read(r, fp);

	if (k < 0)
		die("%s", pal_reader_error(r)->msg);
	return k;
}

void die_writer(const struct pal_writer *w)
{
	const struct pal_error *e = pal_writer_error(w);

	if (e->kind == PAL_ERR_IO) {
		errno = e->errnum;
		pal_check_epipe();
	}
	die("%s", e->msg);
}

void xpal_write(struct pal_writer *w, const struct pal_frame *f)
{
	if (pal_write(w, f) < 0)
		die_writer(w);
}

void xpal_passthrough(struct pal_writer *w, const struct pal_reader *r,
		      const struct pal_frame *f)
{
	if (pal_write_passthrough(w, r, f) < 0)
		die_writer(w);
}

void xpal_finish(struct pal_writer *w)
{
	if (pal_writer_finish(w) < 0)
		die_writer(w);
}

void xfclose(FILE *fp, const char *name)
{
	if (fflush(fp) != 0 || ferror(fp)) {
		if (errno == 0)
			errno = EIO;
		die_errno("write error on '%s'", name);
	}
	if (fp != stdout && fclose(fp) != 0)
		die_errno("cannot close '%s'", name);
}
