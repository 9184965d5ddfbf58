/*
 * io.c: file handling for programs; see io.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "hash.h"
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

/* Replace the last 6 characters of name (XXXXXX) by random ones. */
static void random_suffix(char *name)
{
	static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"abcdefghijklmnopqrstuvwxyz0123456789";
	static uint64_t counter;
	struct timespec ts;
	uint64_t v;
	char *p = name + strlen(name) - 6;

	clock_gettime(CLOCK_REALTIME, &ts);
	v = mix64((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
		  ((uint64_t)getpid() << 40) ^ ++counter);
	for (int i = 0; i < 6; i++, v /= 62)
		p[i] = chars[v % 62];
}

/*
 * Open an unnamed temporary (O_TMPFILE) in the directory of path, if the
 * file system has it and /proc/self/fd is there to link it by later.
 * Returns the descriptor, or -1 to use a named temporary.
 */
static int open_unnamed(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	if (getenv("PAL_NO_TMPFILE") || access("/proc/self/fd", X_OK) < 0)
		return -1;
	if (!slash)
		dir = xstrdup(".");
	else if (slash == path)
		dir = xstrdup("/");
	else {
		dir = xstrdup(path);
		dir[slash - path] = '\0';
	}
	/* Mode 0666 less the umask, as for any new file. */
	fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
	free(dir);
	return fd;
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
	o->fd = open_unnamed(path);
	if (o->fd >= 0) {
		o->unnamed = 1;
		return;
	}
	/*
	 * No O_TMPFILE here (an older kernel, or a file system such as NFS
	 * or vfat without it): a named temporary, on the cleanup list from
	 * the moment it exists, so that no signal but SIGKILL can leave it.
	 */
	pal_cleanup_hold();
	o->fd = mkostemp(o->tmp, O_CLOEXEC);
	if (o->fd < 0) {
		int e = errno;

		pal_cleanup_release();
		errno = e;
		die_errno("cannot create a temporary file for '%s'", path);
	}
	o->cleanup.path = o->tmp;
	pal_cleanup_add(&o->cleanup);
	pal_cleanup_release();
	(void)fchmod(o->fd, 0666 & ~umask_value());
}

/*
 * Give the unnamed temporary o->fd the name o->tmp (a fresh random one for
 * each try), and put that name on the cleanup list in the same step.
 */
static void link_unnamed(struct out *o)
{
	char proc[64];
	int e = 0;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", o->fd);
	pal_cleanup_hold();
	for (int i = 0; i < 100; i++) {
		random_suffix(o->tmp);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, o->tmp,
			   AT_SYMLINK_FOLLOW) == 0) {
			e = 0;
			break;
		}
		e = errno;
		if (e != EEXIST)
			break;
	}
	if (e) {
		pal_cleanup_release();
		errno = e;
		die_errno("cannot link a temporary file for '%s'", o->path);
	}
	o->unnamed = 0;
	o->cleanup.path = o->tmp;
	pal_cleanup_add(&o->cleanup);
	pal_cleanup_release();
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

/*
 * The stream is complete (flushed, end frame written) when out_commit() is
 * called.  The order of the steps matters if a signal comes meanwhile:
 *
 *   - Before the temporary has a name (O_TMPFILE), a signal or a die()
 *     leaves nothing: the unnamed file goes with the process.
 *   - linkat(2) and putting the name on the cleanup list are one step
 *     with the fatal signals held, so a signal after it finds the name and
 *     removes it, as does die() if close(2) then fails (a late write error
 *     on NFS).  Only SIGKILL, in the microseconds until the rename, can
 *     leave the name; PATH is untouched then.
 *   - rename(2) and taking the name off the list are one step too: a
 *     signal before it removes the temporary and PATH keeps its old
 *     contents (or stays absent); a signal held until after it finds PATH
 *     complete and in place, and the program still dies by the signal.
 *     A committed output is never removed: its name is off the list.
 */
void out_commit(struct out *o)
{
	if (o->fd == 1 || !o->path) {
		if (o->fp)
			xfclose(o->fp, o->name);
		o->fp = NULL;
		return;		/* written with write(2), each write checked */
	}
	if (o->unnamed) {
		if (o->fp && (fflush(o->fp) != 0 || ferror(o->fp))) {
			if (errno == 0)
				errno = EIO;
			die_errno("write error on '%s'", o->name);
		}
		link_unnamed(o);
	}
	if (o->fp) {
		xfclose(o->fp, o->name);	/* closes o->fd too */
		o->fp = NULL;
	} else if (close(o->fd) < 0) {
		die_errno("cannot close '%s'", o->name);
	}
	o->fd = -1;
	if (o->tmp) {
		pal_cleanup_hold();
		if (rename(o->tmp, o->path) < 0) {
			int e = errno;

			pal_cleanup_release();
			errno = e;
			die_errno("cannot rename '%s' to '%s'", o->tmp, o->path);
		}
		pal_cleanup_remove(&o->cleanup);
		pal_cleanup_release();
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
