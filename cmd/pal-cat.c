/*
 * pal-cat: concatenate, verify, inspect and convert pal streams.
 *
 * With no option it reads each input stream in turn and writes one stream
 * with their frames, checking every checksum; unchanged frames are copied as
 * they were read, without decoding.  --info summarises, --verify only checks,
 * --to and --from convert to and from CSV/TSV, and --columns, --head, --rows,
 * --compress and --decompress transform the frames on the way.
 */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csv.h"
#include "err.h"
#include "hash.h"
#include "io.h"
#include "num.h"
#include "opt.h"
#include "progress.h"
#include "stream.h"
#include "banned.h"

static const char usage_text[] =
	"usage: pal-cat [-hV] [--columns list] [--compress[=level]] [--decompress]\n"
	"               [--from csv|tsv] [--head n] [--info] [-o file] [--progress]\n"
	"               [--quiet] [--rows n] [--to csv|tsv] [--type name=dtype]\n"
	"               [--verify] [file ...]\n";

/* --help: one line an option, as pal-cat(1) describes them. */
static const char options_text[] =
	"Options:\n"
	"      --columns=LIST     keep only these columns, in this order (a,b,c)\n"
	"      --compress[=LEVEL]  compress every frame with zlib, LEVEL 1-9 (default 6)\n"
	"      --decompress       store every frame uncompressed\n"
	"      --from=FORMAT      read csv or tsv text instead of streams\n"
	"  -h, --help             print this help and exit\n"
	"      --head=N           stop after N rows\n"
	"      --info             print a summary of the frames, rows and columns\n"
	"  -o, --output=FILE      write to FILE, put in place once complete\n"
	"      --progress         show progress on stderr, even when not a terminal\n"
	"      --quiet            show no progress\n"
	"      --rows=N           write data frames of N rows\n"
	"      --to=FORMAT        write csv or tsv text instead of a stream\n"
	"      --type=NAME=DTYPE  with --from, read column NAME as DTYPE (u8 ... f64)\n"
	"      --verify           check every input to its end, and write nothing\n"
	"  -V, --version          print the version and exit\n";

enum mode { MODE_STREAM, MODE_TEXT, MODE_INFO, MODE_VERIFY };

struct cmdline {
	enum mode mode;
	int to_sep;			/* ',' or '\t' for --to */
	int from_sep;			/* ',' or '\t' for --from, else 0 */
	int level;			/* writer level, PAL_LEVEL_KEEP by default */
	int progress;			/* enum progress_mode */
	char **columns;			/* --columns */
	uint32_t ncolumns;
	uint64_t head;			/* --head, UINT64_MAX if not given */
	uint64_t rows;			/* --rows, 0 if not given */
	struct csv_type *types;		/* --type */
	size_t ntypes;
	const char *output;
	char **inputs;			/* "-" alone when none given */
	int ninputs;
	char **held;			/* copies of option arguments */
	size_t nheld;
};

/* A copy of an option argument that lives until cmdline_free(). */
static char *hold(struct cmdline *cl, const char *arg)
{
	cl->held = xrealloc(cl->held, (cl->nheld + 1) * sizeof(*cl->held));
	return cl->held[cl->nheld++] = xstrdup(arg);
}

/*
 * Print the synopsis (usage_text, the man page's SYNOPSIS): for --help to
 * stdout with a few lines more and exit 0, else to stderr and exit 2.
 */
static _Noreturn void usage(int status)
{
	if (status == 0) {
		fputs(usage_text, stdout);
		fputs("\nRead pal streams (or CSV/TSV with --from) from the files, or\n"
		      "standard input, and write one stream (or CSV/TSV with --to).\n\n",
		      stdout);
		fputs(options_text, stdout);
		fputs("\nSee pal-cat(1).\n", stdout);
		xfclose(stdout, "stdout");
		exit(0);
	}
	fputs(usage_text, stderr);
	exit(PAL_EXIT_USAGE);
}

static int parse_sep(const char *opt, const char *arg)
{
	if (!strcmp(arg, "csv"))
		return ',';
	if (!strcmp(arg, "tsv"))
		return '\t';
	usage_die("%s: unknown format '%s' (use csv or tsv)", opt, arg);
}

static void parse_columns(struct cmdline *cl, const char *arg)
{
	char *s = hold(cl, arg), *save = NULL, *tok;

	opt_list("--columns", arg);
	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!pal_name_valid(tok))
			usage_die("--columns: invalid column name '%s'", tok);
		for (uint32_t i = 0; i < cl->ncolumns; i++)
			if (!strcmp(cl->columns[i], tok))
				usage_die("--columns: '%s' named twice", tok);
		cl->columns = xrealloc(cl->columns,
				       (cl->ncolumns + 1) * sizeof(*cl->columns));
		cl->columns[cl->ncolumns++] = tok;
	}
	if (cl->ncolumns == 0)
		usage_die("--columns: empty list");
}

static void parse_type(struct cmdline *cl, const char *arg)
{
	char *s = hold(cl, arg), *save = NULL, *tok;

	opt_list("--type", arg);
	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		int dtype;

		if (!eq)
			usage_die("--type: expected name=dtype, got '%s'", tok);
		*eq = '\0';
		dtype = pal_dtype_parse(eq + 1);
		if (!pal_name_valid(tok))
			usage_die("--type: invalid column name '%s'", tok);
		if (dtype < 0)
			usage_die("--type: unknown dtype '%s' (use u8, i32, "
				  "i64, u64, f32 or f64)", eq + 1);
		cl->types = xrealloc(cl->types, (cl->ntypes + 1) * sizeof(*cl->types));
		cl->types[cl->ntypes].name = tok;
		cl->types[cl->ntypes++].dtype = dtype;
	}
}

static void parse_args(struct cmdline *cl, int argc, char **argv)
{
	enum { OPT_INFO = 256, OPT_VERIFY, OPT_TO, OPT_FROM, OPT_COMPRESS,
	       OPT_DECOMPRESS, OPT_COLUMNS, OPT_HEAD, OPT_ROWS, OPT_TYPE,
	       OPT_PROGRESS, OPT_QUIET };
	static const struct option opts[] = {
		{ "columns", required_argument, NULL, OPT_COLUMNS },
		{ "compress", optional_argument, NULL, OPT_COMPRESS },
		{ "decompress", no_argument, NULL, OPT_DECOMPRESS },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "head", required_argument, NULL, OPT_HEAD },
		{ "help", no_argument, NULL, 'h' },
		{ "info", no_argument, NULL, OPT_INFO },
		{ "output", required_argument, NULL, 'o' },
		{ "progress", no_argument, NULL, OPT_PROGRESS },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "rows", required_argument, NULL, OPT_ROWS },
		{ "to", required_argument, NULL, OPT_TO },
		{ "type", required_argument, NULL, OPT_TYPE },
		{ "verify", no_argument, NULL, OPT_VERIFY },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c, level_set = 0;

	memset(cl, 0, sizeof(*cl));
	cl->level = PAL_LEVEL_KEEP;
	cl->head = UINT64_MAX;
	while ((c = getopt_long(argc, argv, "hVo:", opts, NULL)) != -1) {
		switch (c) {
		case OPT_COLUMNS:
			parse_columns(cl, optarg);
			break;
		case OPT_COMPRESS:
		case OPT_DECOMPRESS:
			if (level_set)
				usage_die("give one of --compress and --decompress");
			level_set = 1;
			cl->level = c == OPT_DECOMPRESS ? 0 : !optarg ? 6 :
				(int)opt_u64("--compress", optarg, 1, 9);
			break;
		case OPT_FROM:
			cl->from_sep = parse_sep("--from", optarg);
			break;
		case OPT_HEAD:
			cl->head = opt_u64("--head", optarg, 0, UINT64_MAX);
			break;
		case 'h':
			usage(0);
		case OPT_INFO:
		case OPT_VERIFY:
		case OPT_TO:
			if (cl->mode != MODE_STREAM)
				usage_die("give at most one of --info, --verify "
					  "and --to");
			cl->mode = c == OPT_INFO ? MODE_INFO :
				   c == OPT_VERIFY ? MODE_VERIFY : MODE_TEXT;
			if (c == OPT_TO)
				cl->to_sep = parse_sep("--to", optarg);
			break;
		case 'o':
			cl->output = optarg;
			break;
		case OPT_PROGRESS:
		case OPT_QUIET:
			cl->progress = c == OPT_PROGRESS ? PROGRESS_ON :
				       PROGRESS_OFF;
			break;
		case OPT_ROWS:
			cl->rows = opt_u64("--rows", optarg, 1, PAL_MAX_PAYLOAD);
			break;
		case OPT_TYPE:
			parse_type(cl, optarg);
			break;
		case 'V':
			opt_version();
		default:
			usage(PAL_EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;

	if (cl->ntypes && !cl->from_sep)
		usage_die("--type applies only with --from");
	if (level_set && cl->mode != MODE_STREAM)
		usage_die("--compress and --decompress apply only to stream "
			  "output");
	if (cl->mode == MODE_VERIFY && (cl->output || cl->ncolumns ||
					cl->head != UINT64_MAX || cl->rows))
		usage_die("--verify writes nothing: it takes no output, "
			  "--columns, --head or --rows");
	if (cl->mode == MODE_INFO && (cl->output || cl->rows))
		usage_die("--info takes no -o or --rows");
	/* CSV can be typed, so --from reads a terminal; a stream cannot. */
	if (!cl->from_sep) {
		if (argc == 0)
			in_refuse_tty(NULL);
		for (int i = 0; i < argc; i++)
			in_refuse_tty(argv[i]);
	}
	if (argc == 0) {
		static char dashname[] = "-";
		static char *dash[] = { dashname, NULL };

		cl->inputs = dash;
		cl->ninputs = 1;
	} else {
		cl->inputs = argv;
		cl->ninputs = argc;
	}
}

static void cmdline_free(struct cmdline *cl)
{
	for (size_t i = 0; i < cl->nheld; i++)
		free(cl->held[i]);
	free(cl->held);
	free(cl->columns);
	free(cl->types);
}

/* An input's name in messages: its path, or "stdin" for "-". */
static const char *input_name(const char *path)
{
	return strcmp(path, "-") ? path : "stdin";
}

/* ---- frame transformations --------------------------------------------- */

/*
 * The view of f that the options ask for: the chosen columns, and at most
 * *left rows.  Returns 0 if f is unchanged (so it can be passed through).
 */
static int select_view(const struct cmdline *cl, const char *inname,
		       const struct pal_frame *f, struct pal_frame *view,
		       struct pal_col *cols, uint64_t left)
{
	*view = *f;
	if (cl->ncolumns) {
		for (uint32_t i = 0; i < cl->ncolumns; i++) {
			const struct pal_col *c = pal_col_find(f, cl->columns[i]);

			if (!c)
				die("no column '%s' (%s: frame %" PRIu64
				    " at offset %" PRIu64 ")", cl->columns[i],
				    inname, f->index, f->offset);
			cols[i] = *c;
		}
		view->cols = cols;
		view->ncols = cl->ncolumns;
	}
	if (view->nrows > left)
		view->nrows = left;
	return cl->ncolumns || view->nrows != f->nrows;
}

/* Re-batching state for --rows. */
struct rebatch {
	struct pal_batch *b;
};

static void rebatch_flush(struct rebatch *rb, struct pal_writer *w)
{
	if (rb->b && rb->b->f.nrows) {
		xpal_write(w, &rb->b->f);
		pal_batch_clear(rb->b);
	}
}

static void rebatch_add(struct rebatch *rb, struct pal_writer *w,
			const struct pal_frame *f, uint64_t n)
{
	uint64_t done = 0;

	if (rb->b && !pal_same_schema(&rb->b->f, f)) {
		rebatch_flush(rb, w);
		pal_batch_free(rb->b);
		rb->b = NULL;
	}
	if (!rb->b) {
		rb->b = pal_batch_new(f->cols, f->ncols, n);
		if (!rb->b)
			die("out of memory for frames of %" PRIu64 " rows", n);
	}
	while (done < f->nrows) {
		uint64_t k = rb->b->cap - rb->b->f.nrows;

		if (k > f->nrows - done)
			k = f->nrows - done;
		pal_batch_append(rb->b, f, done, k);
		done += k;
		if (rb->b->f.nrows == rb->b->cap)
			rebatch_flush(rb, w);
	}
}

/* ---- --info ------------------------------------------------------------ */

struct colstat {
	char name[PAL_NAME_MAX + 1];
	int dtype;
	uint32_t width;
	uint64_t n, nan;
	double min, max, sum;
	size_t next;			/* next colstat of the same hash, or NONE */
};

#define NONE SIZE_MAX

struct info {
	uint64_t data, meta, rows, compressed, bytes;
	struct colstat *st;		/* in order of first appearance */
	size_t nst, capst;
	struct idmap byhash;		/* hash of a column -> first colstat */
	struct pal_kv *kv;		/* metadata, copied */
	size_t nkv, capkv;
};

/* Grow *p (of *cap elements of size sz) to hold n + 1, doubling. */
static void *grow(void *p, size_t *cap, size_t n, size_t sz)
{
	if (n < *cap)
		return p;
	*cap = *cap ? 2 * *cap : 16;
	if (*cap > SIZE_MAX / sz)
		die("out of memory");
	return xrealloc(p, *cap * sz);
}

/* A hash of what tells columns apart in --info: name, dtype and width. */
static uint64_t col_hash(const struct pal_col *c)
{
	uint64_t h = mix64(((uint64_t)c->width << 8) | (uint64_t)c->dtype);

	for (const char *p = c->name; *p; p++)
		h = mix64(h ^ (unsigned char)*p);
	return h;
}

/*
 * The statistics of column c, found by its hash (linear in the number of
 * distinct columns over the whole input, however many schemas it has).
 */
static struct colstat *info_col(struct info *in, const struct pal_col *c)
{
	uint64_t h = col_hash(c), first;
	struct colstat *s;

	if (idmap_get(&in->byhash, h, &first))
		for (size_t i = first; i != NONE; i = in->st[i].next)
			if (!strcmp(in->st[i].name, c->name) &&
			    in->st[i].dtype == c->dtype &&
			    in->st[i].width == c->width)
				return &in->st[i];
	in->st = grow(in->st, &in->capst, in->nst, sizeof(*in->st));
	s = &in->st[in->nst];
	memset(s, 0, sizeof(*s));
	memcpy(s->name, c->name, sizeof(c->name));
	s->dtype = c->dtype;
	s->width = c->width;
	s->min = INFINITY;
	s->max = -INFINITY;
	s->next = NONE;
	if (!idmap_put(&in->byhash, h, in->nst, &first)) {
		/* Same hash, another column: chain it behind the first. */
		s->next = in->st[first].next;
		in->st[first].next = in->nst;
	}
	return &in->st[in->nst++];
}

static void info_frame(struct info *in, const struct pal_frame *f)
{
	in->bytes += f->stored_bytes;
	in->compressed += f->codec != PAL_CODEC_NONE;
	if (f->kind == PAL_META) {
		in->meta++;
		for (uint32_t i = 0; i < f->nkv; i++) {
			in->kv = grow(in->kv, &in->capkv, in->nkv,
				      sizeof(*in->kv));
			in->kv[in->nkv].key = xstrdup(f->kv[i].key);
			in->kv[in->nkv++].value = xstrdup(f->kv[i].value);
		}
		return;
	}
	in->data++;
	in->rows += f->nrows;
	for (uint32_t i = 0; i < f->ncols; i++) {
		const struct pal_col *c = &f->cols[i];
		struct colstat *s = info_col(in, c);
		uint64_t n = f->nrows * c->width;

		for (uint64_t k = 0; k < n; k++) {
			double v = pal_col_value(c, k);

			if (isnan(v)) {
				s->nan++;
				continue;
			}
			if (v < s->min)
				s->min = v;
			if (v > s->max)
				s->max = v;
			s->sum += v;
			s->n++;
		}
	}
}

static void info_print(const struct info *in, FILE *out)
{
	fprintf(out, "frames   %" PRIu64 " data, %" PRIu64 " metadata "
		"(%" PRIu64 " compressed)\n", in->data, in->meta, in->compressed);
	fprintf(out, "rows     %" PRIu64 "\n", in->rows);
	fprintf(out, "bytes    %" PRIu64 "\n", in->bytes);
	if (in->nst)
		fprintf(out, "%-16s %-5s %6s %14s %14s %14s %8s\n", "column",
			"dtype", "width", "min", "mean", "max", "nan");
	for (size_t i = 0; i < in->nst; i++) {
		const struct colstat *s = &in->st[i];

		if (s->n)
			fprintf(out, "%-16s %-5s %6" PRIu32 " %14.6g %14.6g "
				"%14.6g %8" PRIu64 "\n", s->name,
				pal_dtype_name(s->dtype), s->width, s->min,
				s->sum / (double)s->n, s->max, s->nan);
		else
			fprintf(out, "%-16s %-5s %6" PRIu32 " %14s %14s %14s "
				"%8" PRIu64 "\n", s->name,
				pal_dtype_name(s->dtype), s->width, "-", "-",
				"-", s->nan);
	}
	for (size_t i = 0; i < in->nkv; i++)
		fprintf(out, "meta     %s=%s\n", in->kv[i].key, in->kv[i].value);
}

/* ---- main loops --------------------------------------------------------- */

/* Everything one run writes to, whatever the mode. */
struct sink {
	struct out out;
	struct pal_writer *w;		/* MODE_STREAM */
	FILE *text;			/* MODE_TEXT */
	struct pal_col *schema_cols;
	uint32_t schema_ncols;
	struct rebatch rb;
	struct info info;
	uint64_t left;			/* rows still wanted (--head) */
	uint64_t next_id;		/* for CSV inputs without ids */
	const char *inname;		/* the input being read, for messages */
	struct progress prog;		/* rows, frames and bytes read */
	uint64_t bytes_before;		/* bytes of the inputs already read */
};

static void sink_text_frame(struct sink *s, const struct cmdline *cl,
			    const struct pal_frame *f)
{
	struct pal_frame cur = { .ncols = s->schema_ncols,
				 .cols = s->schema_cols };

	if (!s->schema_cols) {
		s->schema_ncols = f->ncols;
		s->schema_cols = xmalloc(f->ncols * sizeof(*f->cols));
		memcpy(s->schema_cols, f->cols, f->ncols * sizeof(*f->cols));
		if (csv_write_header(s->text, f, cl->to_sep) < 0)
			die_errno("write error (%s)", s->out.name);
	} else if (!pal_same_schema(&cur, f)) {
		die("columns change (%s: frame %" PRIu64 " at offset %" PRIu64
		    "): --to needs one schema; use --columns", s->inname,
		    f->index, f->offset);
	}
	if (csv_write_rows(s->text, f, cl->to_sep) < 0)
		die_errno("write error (%s)", s->out.name);
}

/* Handle one data or metadata frame read from an input. */
static void sink_frame(struct sink *s, const struct cmdline *cl,
		       const struct pal_reader *r, const struct pal_frame *f)
{
	struct pal_col cols[PAL_MAX_COLS];
	struct pal_frame view;
	int changed;

	if (f->kind == PAL_META) {
		if (cl->mode == MODE_STREAM)
			xpal_passthrough(s->w, r, f);
		else if (cl->mode == MODE_INFO)
			info_frame(&s->info, f);
		return;
	}
	/* Frames from CSV have no stored form to pass through. */
	changed = select_view(cl, s->inname, f, &view, cols, s->left) || !r;
	s->left -= view.nrows;
	switch (cl->mode) {
	case MODE_INFO:
		info_frame(&s->info, &view);
		break;
	case MODE_TEXT:
		sink_text_frame(s, cl, &view);
		break;
	default:
		if (cl->rows)
			rebatch_add(&s->rb, s->w, &view, cl->rows);
		else if (changed)
			xpal_write(s->w, &view);
		else
			xpal_passthrough(s->w, r, f);
	}
}

/* Read the pal stream of one input into the sink. */
static void cat_stream(struct sink *s, const struct cmdline *cl,
		       const char *path)
{
	int fd = xopen_in(path);
	struct pal_reader *r = xreader(fd, path);
	const struct pal_frame *f;

	s->inname = input_name(path);
	while (s->left > 0 && xpal_read(r, &f) > 0) {
		sink_frame(s, cl, r, f);
		s->prog.done += f->nrows;
		s->prog.frames++;
		s->prog.bytes = s->bytes_before + pal_reader_offset(r);
		progress_show(&s->prog);
	}
	s->bytes_before += pal_reader_offset(r);
	pal_reader_free(r);
	if (fd != 0)
		close(fd);
}

/* Read the CSV or TSV of one input into the sink, a batch at a time. */
static void cat_text(struct sink *s, const struct cmdline *cl,
		     const char *path)
{
	FILE *fp = !strcmp(path, "-") ? stdin : fdopen(xopen_in(path), "r");
	struct pal_error err = { 0 };
	struct csv_reader *cr;
	struct pal_batch *b;
	const struct pal_col *schema;
	uint32_t ncols;
	int64_t k = 0;

	if (!fp)
		die_errno("cannot read '%s'", path);
	s->inname = input_name(path);
	cr = csv_reader_open(fp, path, cl->from_sep, cl->types, cl->ntypes, &err);
	if (!cr)
		die("%s", err.msg);
	csv_set_next_id(cr, s->next_id);
	schema = csv_schema(cr, &ncols);
	b = pal_batch_new(schema, ncols, pal_default_rows(schema, ncols));
	if (!b)
		die("out of memory");
	while (s->left > 0 && (k = csv_read(cr, b, &err)) > 0) {
		off_t at = ftello(fp);

		b->f.index++;
		sink_frame(s, cl, NULL, &b->f);
		pal_batch_clear(b);
		s->prog.done += (uint64_t)k;
		if (at > 0)
			s->prog.bytes = s->bytes_before + (uint64_t)at;
		progress_show(&s->prog);
	}
	s->bytes_before = s->prog.bytes;
	if (s->left > 0 && k < 0)
		die("%s", err.msg);
	s->next_id = csv_next_id(cr);
	pal_batch_free(b);
	csv_reader_free(cr);
	if (fp != stdin)
		fclose(fp);
}

/*
 * The bytes of all inputs, when each is a regular file (stdin included), for
 * the share of the work done; else 0.
 */
static uint64_t inputs_size(const struct cmdline *cl)
{
	uint64_t sum = 0;

	for (int i = 0; i < cl->ninputs; i++) {
		const char *p = cl->inputs[i];
		struct stat st;

		if ((strcmp(p, "-") ? stat(p, &st) : fstat(0, &st)) != 0 ||
		    !S_ISREG(st.st_mode))
			return 0;
		sum += (uint64_t)st.st_size;
	}
	return sum;
}

static void sink_open(struct sink *s, const struct cmdline *cl)
{
	memset(s, 0, sizeof(*s));
	s->left = cl->head;
	out_open(&s->out, cl->output);
	/* --info prints at the end only: a terminal then is no obstacle. */
	progress_start(&s->prog, cl->progress, "rows",
		       cl->mode == MODE_INFO ? -1 : s->out.fd);
	s->prog.total_bytes = inputs_size(cl);
	if (cl->mode == MODE_STREAM) {
		out_refuse_tty(&s->out);
		s->w = xwriter(s->out.fd, s->out.name, cl->level);
	} else {
		s->text = out_stdio(&s->out);
	}
}

static void sink_close(struct sink *s, const struct cmdline *cl)
{
	progress_end(&s->prog);
	switch (cl->mode) {
	case MODE_STREAM:
		rebatch_flush(&s->rb, s->w);
		pal_batch_free(s->rb.b);
		xpal_finish(s->w);
		pal_writer_free(s->w);
		break;
	case MODE_INFO:
		info_print(&s->info, s->text);
		break;
	default:
		break;
	}
	free(s->schema_cols);
	for (size_t i = 0; i < s->info.nkv; i++) {
		free(s->info.kv[i].key);
		free(s->info.kv[i].value);
	}
	free(s->info.kv);
	free(s->info.st);
	idmap_free(&s->info.byhash);
	out_commit(&s->out);
}

/*
 * --verify: read every input to its end, reporting the first defect of each;
 * returns the number of inputs that failed.
 */
static int verify(const struct cmdline *cl)
{
	struct progress prog;
	uint64_t before = 0;
	int failed = 0;

	progress_start(&prog, cl->progress, "rows", -1);
	prog.total_bytes = inputs_size(cl);
	for (int i = 0; i < cl->ninputs; i++) {
		int fd = xopen_in(cl->inputs[i]);
		struct pal_reader *r = xreader(fd, cl->inputs[i]);
		const struct pal_frame *f;
		int k;

		while ((k = pal_read(r, &f)) > 0) {
			prog.done += f->nrows;
			prog.frames++;
			prog.bytes = before + pal_reader_offset(r);
			progress_show(&prog);
		}
		if (k < 0) {
			warnx("%s", pal_reader_error(r)->msg);
			failed++;
		}
		before += pal_reader_offset(r);
		pal_reader_free(r);
		if (fd != 0)
			close(fd);
	}
	progress_end(&prog);
	return failed;
}

int main(int argc, char **argv)
{
	struct cmdline cl;
	struct sink s;

	pal_init("pal-cat");
	parse_args(&cl, argc, argv);
	if (cl.mode == MODE_VERIFY)
		return verify(&cl) ? PAL_EXIT_DATA : 0;
	sink_open(&s, &cl);
	for (int i = 0; i < cl.ninputs && s.left > 0; i++) {
		if (cl.from_sep)
			cat_text(&s, &cl, cl.inputs[i]);
		else
			cat_stream(&s, &cl, cl.inputs[i]);
	}
	sink_close(&s, &cl);
	cmdline_free(&cl);
	return 0;
}
