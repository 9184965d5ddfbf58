/*
 * stream.h: the pal stream, read and written frame by frame.
 *
 * This is the only code in pal that knows the byte layout of a stream; the
 * layout itself is specified in man/pal-stream.5, and the constants below
 * must agree with that page.  Programs read frames with pal_read() and write
 * them with pal_write(); they never touch the bytes.
 *
 * A stream is a sequence of frames.  A data frame is a batch of rows in named,
 * typed columns; a metadata frame holds key=value text; an end frame marks the
 * clean end of a segment.  Concatenated streams are streams: the reader goes
 * on after an end frame and reports a clean end only at end of input right
 * after one.
 *
 * Memory: the reader holds one frame at a time.  It allocates only after the
 * header has been checked against the limits below, and grows its buffers as
 * payload bytes actually arrive, so a header that lies about its size costs
 * no more memory than the bytes that follow it.
 */
#ifndef PAL_STREAM_H
#define PAL_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* ---- the format (pal-stream(5)) -------------------------------------- */

#define PAL_MAGIC "\x89PAL"		/* bytes 0-3 of every frame */
#define PAL_FORMAT_VERSION 1		/* byte 4 */
#define PAL_FIXED_HEADER 44		/* bytes before the column table */
#define PAL_COLDESC_FIXED 16		/* bytes of a column descriptor before its name */
#define PAL_MIN_HEADER 48		/* fixed part + header crc */

/* Limits that every reader enforces (and every writer respects). */
#define PAL_MAX_HEADER (1u << 20)	/* header bytes */
#define PAL_MAX_COLS 1024u		/* columns per frame */
#define PAL_NAME_MAX 63u		/* bytes of a column name */
#define PAL_MAX_WIDTH (1u << 24)	/* elements per row of one column */
#define PAL_MAX_PAYLOAD (1ull << 30)	/* decompressed payload bytes of a frame */
#define PAL_MAX_META (1u << 24)		/* payload bytes of a metadata frame */
#define PAL_MAX_KEY 255u		/* bytes of a metadata key */

/* The writer's default: rows per frame such that a frame holds about this. */
#define PAL_DEFAULT_FRAME_BYTES (1u << 20)

enum pal_kind {
	PAL_DATA = 'D',
	PAL_META = 'M',
	PAL_END = 'E',
};

enum pal_codec {
	PAL_CODEC_NONE = 0,
	PAL_CODEC_ZLIB = 1,
};

enum pal_dtype {
	PAL_U8 = 1,
	PAL_I32 = 2,
	PAL_I64 = 3,
	PAL_U64 = 4,
	PAL_F32 = 5,
	PAL_F64 = 6,
};

/* Size in bytes of one element, or 0 for a code that is not a dtype. */
size_t pal_dtype_size(int dtype);
/* "u8", "i32", ...; "?" for a code that is not a dtype. */
const char *pal_dtype_name(int dtype);
/* The dtype named by s ("f64"), or -1. */
int pal_dtype_parse(const char *s);
/* Whether s is a valid column name: 1 to 63 bytes of [A-Za-z0-9_], not
 * starting with a digit. */
int pal_name_valid(const char *s);

/* ---- frames ----------------------------------------------------------- */

struct pal_col {
	char name[PAL_NAME_MAX + 1];
	int dtype;			/* enum pal_dtype */
	uint32_t width;			/* elements per row, >= 1 */
	void *data;			/* nrows x width elements, row-major */
};

struct pal_kv {
	char *key;
	char *value;
};

/*
 * A frame.  For a data frame, cols[0..ncols) each hold nrows rows; for a
 * metadata frame, kv[0..nkv) hold its entries.  Frames returned by the
 * reader are owned by it and valid until the next pal_read().  Their first
 * column's data is aligned to 64 bytes and every column's to 8 (the format
 * places columns at multiples of 8 in the payload), so column data may be
 * used in place as an array of its dtype.
 */
struct pal_frame {
	int kind;			/* enum pal_kind */
	uint64_t nrows;
	uint32_t ncols;
	struct pal_col *cols;
	uint32_t nkv;
	struct pal_kv *kv;

	/* Set by the reader: where the frame was found, and how. */
	uint64_t offset;		/* byte offset of the frame in its input */
	uint64_t index;			/* 0 for the first frame of the input */
	int codec;			/* enum pal_codec, as stored */
	uint64_t stored_bytes;		/* header plus stored payload */
};

/* Index of the column called name in f, or -1. */
int pal_col_index(const struct pal_frame *f, const char *name);
/* The column called name in f, or NULL. */
const struct pal_col *pal_col_find(const struct pal_frame *f, const char *name);
/* Element i of c's data (row-major: row r, element k is r * width + k) as
 * a double, whatever c's dtype; 64-bit integers above 2^53 are rounded. */
double pal_col_value(const struct pal_col *c, uint64_t i);
/* Bytes of one row of c (width x element size). */
size_t pal_col_rowbytes(const struct pal_col *c);
/* Whether a and b have the same columns: names, dtypes and widths in order. */
int pal_same_schema(const struct pal_frame *a, const struct pal_frame *b);
/* Rows per frame that make frames of about PAL_DEFAULT_FRAME_BYTES. */
uint64_t pal_default_rows(const struct pal_col *cols, uint32_t ncols);

/* Errors: struct pal_error and enum pal_errkind live in err.h. */

/* ---- reading ---------------------------------------------------------- */

struct pal_reader;

/*
 * A reader of the file descriptor fd (not closed by the reader), or of
 * len bytes at buf (not copied; must outlive the reader).  name is used in
 * messages ("-" reads as "stdin").  Returns NULL only when out of memory.
 */
struct pal_reader *pal_reader_fd(int fd, const char *name);
struct pal_reader *pal_reader_mem(const void *buf, size_t len, const char *name);

/*
 * Read the next data or metadata frame.  End frames are checked (their row
 * count against the rows of their segment) and skipped.
 * Returns 1 with *fp set, 0 at a clean end (end of input right after an end
 * frame), or -1 on error, with the reason in pal_reader_error().  After an
 * error the reader is spent: every further call returns -1.
 */
int pal_read(struct pal_reader *r, const struct pal_frame **fp);

/*
 * Whether pal_read() has bytes (or the end) at hand, so that it will not
 * wait for a writer: 1 when the reader holds bytes it has not consumed, is
 * at the end, reads memory, or its descriptor is readable (a regular file
 * always is); else wait up to timeout seconds (0: not at all, < 0: for
 * ever) for the descriptor to become readable and return 0 if it does not.
 * For a pipe or FIFO fed by another program (pal-label reading the rows a
 * driver writes as it goes): a frame begun is read whole, so the writer
 * should write whole frames.
 */
int pal_reader_poll(struct pal_reader *r, double timeout);
const struct pal_error *pal_reader_error(const struct pal_reader *r);
/* Bytes consumed so far (the offset of the next frame). */
uint64_t pal_reader_offset(const struct pal_reader *r);
void pal_reader_free(struct pal_reader *r);

/* ---- writing ---------------------------------------------------------- */

struct pal_writer;

#define PAL_LEVEL_KEEP (-1)

/*
 * A writer to fd (not closed by the writer).  level 0 stores payloads as
 * they are; 1 to 9 compresses each payload with zlib at that level (a frame
 * whose payload does not shrink is stored uncompressed); PAL_LEVEL_KEEP
 * stores new frames uncompressed and passes read frames through as they
 * were stored.  When fd is a pipe,
 * FIFO or socket, each frame is written out as soon as it is complete; to a
 * regular file, small frames are gathered into larger writes.  Returns NULL
 * only when out of memory.
 */
struct pal_writer *pal_writer_fd(int fd, const char *name, int level);

/*
 * A writer to memory, beside pal_reader_mem(): the stream's bytes gather in
 * a buffer that pal_writer_mem_take() hands over.  Used to ship frames
 * between MPI ranks.  name is for messages (NULL: "memory").  NULL only
 * when out of memory.
 */
struct pal_writer *pal_writer_mem(const char *name, int level);
/*
 * The bytes written so far (*len of them; malloc'd, the caller frees them;
 * NULL when none), taken from the writer, which starts a new stream: row
 * and byte counts restart at 0, and a finished writer may write again.
 */
void *pal_writer_mem_take(struct pal_writer *w, size_t *len);
/* Write a data or metadata frame.  Returns 0, or -1 with pal_writer_error(). */
int pal_write(struct pal_writer *w, const struct pal_frame *f);

/*
 * Write the frame last returned by r exactly as it was read (no decoding,
 * no re-encoding), unless the writer's level asks for another codec, in which
 * case it is re-encoded from its columns.  The fast path of pal-cat.
 */
int pal_write_passthrough(struct pal_writer *w, const struct pal_reader *r,
			  const struct pal_frame *f);

/* Write a metadata frame of one entry. */
int pal_write_kv(struct pal_writer *w, const char *key, const char *value);

/*
 * Write the end frame and everything still buffered.  Call once, after the
 * last frame; a stream without it reads as cut short.  Returns 0 or -1.
 */
int pal_writer_finish(struct pal_writer *w);

/*
 * Write out the frames gathered so far (a writer to a regular file gathers
 * small frames into larger writes), so that an fsync(2) that follows covers
 * them.  Returns 0 or -1.  The stream goes on: this is not an end.
 */
int pal_writer_flush(struct pal_writer *w);

const struct pal_error *pal_writer_error(const struct pal_writer *w);
/* Rows and bytes written so far. */
uint64_t pal_writer_rows(const struct pal_writer *w);
uint64_t pal_writer_bytes(const struct pal_writer *w);
void pal_writer_free(struct pal_writer *w);

/* ---- batches: frames built row by row --------------------------------- */

/*
 * A data frame with room for cap rows, whose columns are owned by the batch.
 * Build one from a schema (names, dtypes, widths of cols; data ignored),
 * fill rows with pal_batch_append() or by writing to f.cols[i].data at row
 * f.nrows and incrementing f.nrows, write f, then pal_batch_clear().
 */
struct pal_batch {
	struct pal_frame f;
	uint64_t cap;
};

struct pal_batch *pal_batch_new(const struct pal_col *schema, uint32_t ncols,
				uint64_t cap);
/* Copy rows [row, row + n) of src, which has the batch's schema, to the end
 * of the batch; n must not exceed the room left. */
void pal_batch_append(struct pal_batch *b, const struct pal_frame *src,
		      uint64_t row, uint64_t n);
void pal_batch_clear(struct pal_batch *b);
void pal_batch_free(struct pal_batch *b);

#endif
