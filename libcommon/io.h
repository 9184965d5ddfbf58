/*
 * io.h: what every pal program does with files, dying with a proper message
 * when it fails.  Library code does not use this; programs do.
 */
#ifndef PAL_IO_H
#define PAL_IO_H

#include <stdio.h>

#include "err.h"
#include "stream.h"

/* Open path for reading ("-" or NULL: stdin, fd 0).  Dies on failure. */
int xopen_in(const char *path);
/*
 * Die with a usage error if path ("-" or NULL: stdin) is standard input and
 * that is a terminal: a binary stream cannot be typed, and waiting for one
 * would look like a hang.  For parse_args(), before anything is read.
 */
void in_refuse_tty(const char *path);

/*
 * An output: stdout, or a path.  A path that names a regular file (or does
 * not exist yet) is written to a temporary file in its directory and put in
 * its place by out_commit(), so that a program that fails or is killed
 * never leaves an output that looks complete, nor a temporary beside it:
 *
 *   - Where the file system has O_TMPFILE, the temporary has no name until
 *     out_commit() links it as "PATH.tmpXXXXXX" (linkat(2) through
 *     /proc/self/fd) and renames that over PATH at once.  Killed before
 *     then, even by SIGKILL, the program leaves nothing: the kernel frees
 *     an unnamed file with its last descriptor.
 *   - Elsewhere (or with PAL_NO_TMPFILE set in the environment, which the
 *     tests use to reach this path) it is today's named "PATH.tmpXXXXXX"
 *     from mkstemp(3).  die() and the handler of SIGINT, SIGTERM, SIGHUP
 *     and SIGPIPE remove it (err.h, "cleaning up"); only SIGKILL leaves it.
 *
 * Either way rename(2) replaces an existing PATH atomically: a reader sees
 * the old file or the complete new one.  A FIFO or device path is opened
 * and written directly.  The struct must stay where it is between
 * out_open() and out_commit().
 */
struct out {
	int fd;
	FILE *fp;			/* set by out_stdio() */
	const char *path;		/* NULL for stdout */
	const char *name;		/* for messages: path or "stdout" */
	char *tmp;			/* temporary's name, or NULL */
	int unnamed;			/* tmp is not linked yet (O_TMPFILE) */
	struct pal_cleanup cleanup;	/* removes tmp once it has a name */
};

/* Open out for path (NULL or "-": stdout).  Dies on failure. */
void out_open(struct out *o, const char *path);
/* Whether o is a terminal (programs refuse to write binary to one). */
int out_is_tty(const struct out *o);
/* Die with a usage error if o is a terminal: a binary stream is no use
 * there, and can upset it. */
void out_refuse_tty(const struct out *o);
/* A stdio stream on o, for text output (stdout for stdout). */
FILE *out_stdio(struct out *o);
/*
 * Flush and close o (its stdio stream, if any), checking for errors, and put
 * a temporary file in place.  stdout is flushed and checked, not closed.
 */
void out_commit(struct out *o);

/* Reader and writer calls that die with the library's message on error. */
struct pal_reader *xreader(int fd, const char *name);
struct pal_writer *xwriter(int fd, const char *name, int level);
int xpal_read(struct pal_reader *r, const struct pal_frame **fp);
void xpal_write(struct pal_writer *w, const struct pal_frame *f);
void xpal_passthrough(struct pal_writer *w, const struct pal_reader *r,
		      const struct pal_frame *f);
void xpal_finish(struct pal_writer *w);
/* Die with the writer's error: quietly by SIGPIPE for EPIPE. */
_Noreturn void die_writer(const struct pal_writer *w);

/* fflush, check and close a stdio stream opened on an output. */
void xfclose(FILE *fp, const char *name);

#endif
