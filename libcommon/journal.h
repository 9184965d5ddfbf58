/*
 * journal.h: an append-only, crash-safe record of finished rows.
 *
 * A journal is a pal stream without an end frame: data frames appended one
 * batch at a time and forced to the disk (fdatasync) before the caller
 * passes the same rows on.  After a crash (kill -9, power loss) the file
 * ends at a frame boundary or inside the frame being appended; reading it
 * back takes "cut short" and a torn last frame as its end, cuts the torn
 * bytes off, and appends after the last complete frame.  A frame that is
 * complete but corrupt (a bad checksum) is not guessed about: opening fails.
 *
 * One process at a time: the file is locked (flock) while open.
 */
#ifndef PAL_JOURNAL_H
#define PAL_JOURNAL_H

#include <stdint.h>

#include "stream.h"

struct journal;

/*
 * Open or create the journal at path, lock it, and hand each data frame in
 * it to fn (the frame is valid during the call only).  Returns NULL with a
 * message in err (errlen bytes) on failure: the file cannot be opened or
 * locked, or it is corrupt.  *torn is set to the bytes cut off the end.
 */
struct journal *journal_open(const char *path,
			     void (*fn)(void *arg, const struct pal_frame *f),
			     void *arg, uint64_t *torn, char *err,
			     size_t errlen);
/* Append a data frame (not yet on the disk).  0, or -1 and a message. */
int journal_append(struct journal *j, const struct pal_frame *f);
/* Write out what was appended and fdatasync it.  0, or -1 and a message. */
int journal_sync(struct journal *j);
/* Sync and close (no end frame: a journal never has one).  0 or -1. */
int journal_close(struct journal *j);
/* The message of the last failure. */
const char *journal_error(const struct journal *j);

#endif
