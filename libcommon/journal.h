/*
 * journal.h: pal-label's crash-safe record of finished rows, bound to the
 * input rows and the oracle that gave them.
 *
 * A journal is a pal stream without an end frame, appended to one batch of
 * rows at a time and forced to the disk (fdatasync) before the caller
 * passes the same rows on.  Its layout (also in pal-label(1), JOURNAL):
 *
 *   frame 0    a metadata frame, the journal's kind frame:
 *                kind=journal
 *                journal_version=1
 *                fingerprint=mix64-v1
 *                oracle=DESCRIPTOR
 *              A file whose first frame is not this is not a journal:
 *              journal_open() refuses it without writing a byte.
 *   then       data frames of these columns, in this order:
 *                id       u64  the row's id
 *                fp       u64  fingerprint of the row's input columns
 *                status   i32  0 success, else the oracle's failure status
 *                retried  u8   1: a re-run of a failed row of the journal
 *                                 with this id and fp, which it replaces
 *                t_start  f64  when the oracle call started, t_end ended
 *                t_end    f64
 *                rank     i32  the rank that ran it
 *                y        f64 x k   (NaN for a failed row)
 *                grad     f64 x g   (only where the run asked for it)
 *                msg      u8 x w    the failure's message, NUL-padded to
 *                                   the frame's longest (w >= 1); empty
 *                                   for a success
 *              and metadata frames of one entry, oracle=DESCRIPTOR, before
 *              the first rows of a run that took the journal for another
 *              oracle: from there on the journal is of that oracle.
 *
 * DESCRIPTOR is the caller's text naming the oracle (pal-label: the
 * built-in and the options that change y, or the --exec command), with
 * backslash written as \\ and newline as \n.
 *
 * The fingerprint (mix64-v1) of a row is a 64-bit hash of its input
 * columns, in input order: for each column, its name, its dtype and width,
 * and the bytes of the row's elements as stored in the stream (little-
 * endian).  With step(h, w) = mix64(h ^ w) + 0x9e3779b97f4a7c15 (mod 2^64)
 * and mix64 of hash.h, starting from h = JOURNAL_FP_INIT, each column does
 *   h = bytes(h, name), h = step(h, dtype << 32 | width), h = bytes(h, row)
 * where bytes(h, p, n) is step(h, n) followed by step(h, w) for each of
 * the ceil(n / 8) little-endian 64-bit words of p, the last padded with
 * zero bytes.  It tells different rows apart by accident, not by design:
 * it is no defence against a forged file.
 *
 * After a crash (kill -9, power loss) the file ends at a frame boundary or
 * inside the frame being appended; opening takes a torn last frame as its
 * end, cuts the torn bytes off and appends after the last complete frame.
 * A frame that is complete but corrupt (a bad checksum) is not guessed
 * about: opening fails.  A new journal is created with its kind frame
 * already in it (written to an unnamed or temporary file, then linked into
 * place), so no journal is ever seen without one; an existing empty file
 * is taken as a new journal.
 *
 * One process at a time: the file is locked (flock) while open.  The
 * journal's rows are held in memory; lookups follow the journal's order
 * while the input does, and index the rows by id (struct idmap) from the
 * first that does not.
 *
 * Errors follow err.h: journal_open() and journal_close() fill the caller's
 * struct pal_error; the other calls keep theirs in the journal
 * (journal_error()).
 */
#ifndef PAL_JOURNAL_H
#define PAL_JOURNAL_H

#include <stdint.h>

#include "err.h"
#include "stream.h"

#define JOURNAL_VERSION 1
#define JOURNAL_FP_INIT 0x70616c6a6f75726eull	/* "paljourn" */

struct journal;

/* What the journal must belong to. */
struct journal_desc {
	const char *oracle;		/* the descriptor; any text */
	int any_oracle;			/* take a journal of another oracle
					 * (and record this one in it) */
};

/* A row: what journal_put() appends and journal_take() hands back. */
struct journal_row {
	uint64_t id, fp;
	int32_t status;			/* 0: success */
	int32_t rank;
	int retried;			/* put: re-runs a failed row of the journal */
	double t_start, t_end;
	uint32_t k, g;			/* elements of y and of grad (0: none) */
	const double *y;		/* k numbers; put: NULL for NaN */
	const double *grad;		/* g numbers, or NULL */
	const char *msg;		/* the failure's message ("" for none) */
};

/* What journal_take() found. */
enum journal_match {
	JOURNAL_ABSENT,			/* no unused row of this id and input */
	JOURNAL_FOUND,			/* a row of this id and input: taken */
	JOURNAL_DIFFERS,		/* rows of this id, all of other input */
};

/*
 * Open or create the journal at path, lock it, check that it is a journal
 * (its kind frame) of desc's oracle, and read its rows into memory.  Any
 * refusal comes before the first byte written.  Returns NULL with err
 * filled on failure: PAL_ERR_USAGE for a path that is not a regular file,
 * PAL_ERR_MISMATCH for a file that is not a journal or one of another
 * oracle (unless desc->any_oracle), PAL_ERR_CORRUPT for a corrupt one,
 * PAL_ERR_IO for a file that cannot be opened, locked, read or cut.
 */
struct journal *journal_open(const char *path,
			     const struct journal_desc *desc,
			     struct pal_error *err);

/* Bytes of a torn last frame that opening cut off (0 for none). */
uint64_t journal_torn(const struct journal *j);
/* The oracle the journal was of, where desc->any_oracle took it for
 * another (the descriptor as stored, escaped); NULL where it was the same.
 * Messages show descriptors escaped, on one line. */
const char *journal_other_oracle(const struct journal *j);
/* y's width in the journal's successful rows (the first one's), or 0. */
uint32_t journal_k(const struct journal *j);

/*
 * Look for a row of this id and fingerprint that no earlier call took.
 * JOURNAL_FOUND: *row is set (its pointers valid until journal_close()),
 * and the row is taken; a success is taken before a failure.
 * JOURNAL_DIFFERS: the journal has rows of this id but none of this
 * fingerprint (the caller's input is not the journal's).
 * JOURNAL_ABSENT otherwise: no row of this id, or every row of this id and
 * fingerprint already taken (the input repeats a row).
 */
enum journal_match journal_take(struct journal *j, uint64_t id, uint64_t fp,
				struct journal_row *row);
/* Rows of the journal that no call took (superseded failures not counted). */
uint64_t journal_untaken(struct journal *j);

/*
 * Append a row (not yet on the disk; not seen by journal_take()).  The
 * journal copies what row points at.  0, or -1 with journal_error().
 */
int journal_put(struct journal *j, const struct journal_row *row);
/* Write out what was put and fdatasync it.  0, or -1 with journal_error(). */
int journal_sync(struct journal *j);
/*
 * Sync, unlock, close and free the journal (no end frame: a journal never
 * has one), whatever happens.  0, or -1 with err filled.
 */
int journal_close(struct journal *j, struct pal_error *err);
/* The last failure of journal_put() or journal_sync(). */
const struct pal_error *journal_error(const struct journal *j);

/*
 * The fingerprint (mix64-v1, above): fold one input column of one row into
 * h.  c gives the name, dtype and width (c->data is not used); row points
 * at the row's pal_col_rowbytes(c) bytes.  Start from JOURNAL_FP_INIT and
 * fold the input's columns in order.
 */
uint64_t journal_fp_col(uint64_t h, const struct pal_col *c, const void *row);

#endif
