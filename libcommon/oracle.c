/*
 * oracle.c: the oracle protocol on a process pool; see oracle.h.
 *
 * Each call is a job of a proc.h pool running /bin/sh -c CMD in a process
 * group of its own: this file turns rows into the text of its standard
 * input and its environment, makes and removes its scratch directory, and
 * turns how it ended and what it printed into a status and a message.  The
 * processes, pipes, timeouts and signals are proc.c's; an oracle pool keeps
 * all its state in itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "num.h"
#include "oracle.h"
#include "proc.h"
#include "banned.h"

extern char **environ;

/* A call, while it runs: what the pool's job does not know. */
struct call {
	int used;
	char *workdir;			/* this call's scratch directory */
	void *tag;
	size_t n;
	uint32_t k, g;
	int start_errno;		/* could not be started: why */
	char start_msg[256];
};

struct oracle {
	struct oracle_opts o;
	struct proc_pool *pool;
	char *workdir;			/* absolute */
	char *cmd;			/* what sh -c runs (see simple_cmd) */
	struct call *calls;
	double *y;			/* results handed to the callback */
	size_t y_cap;
	double *grad;			/* their gradients (g > 0) */
	size_t grad_cap;
	char msg[2048];
	/* During oracle_wait: the caller's callback. */
	void (*fn)(void *arg, const struct oracle_done *d);
	void *arg;
};

static const char *const status_names[] = {
	"ok", "exit", "signal", "timeout", "output", "start", "nonfinite",
};

const char *oracle_status_name(int s)
{
	if (s < 0 || s >= (int)(sizeof(status_names) / sizeof(*status_names)))
		return "?";
	return status_names[s];
}

double oracle_now(void)
{
	return pal_clock_wall();
}

/* ---- the pool ----------------------------------------------------------- */

static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return errno = ENAMETOOLONG, -1;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0777) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0777) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

struct oracle *oracle_new(const struct oracle_opts *opts,
			  struct pal_error *err)
{
	struct oracle *o = calloc(1, sizeof(*o));

	if (!o)
		return pal_seterr(err, PAL_ERR_NOMEM, ENOMEM, "out of memory"),
		       NULL;
	o->o = *opts;
	if (o->o.jobs == 0)
		o->o.jobs = 1;
	o->cmd = proc_sh_command(opts->cmd);
	o->calls = calloc(o->o.jobs, sizeof(*o->calls));
	if (!o->cmd || !o->calls) {
		pal_seterr(err, PAL_ERR_NOMEM, ENOMEM, "out of memory");
		goto fail;
	}
	if (opts->workdir) {
		char real[PATH_MAX];

		if (mkdir_p(opts->workdir) < 0 ||
		    !realpath(opts->workdir, real)) {
			pal_seterr(err, PAL_ERR_IO, errno, "cannot create "
				   "--workdir '%s': %s", opts->workdir,
				   strerror(errno));
			goto fail;
		}
		o->workdir = strdup(real);
		if (!o->workdir) {
			pal_seterr(err, PAL_ERR_NOMEM, ENOMEM, "out of memory");
			goto fail;
		}
	}
	o->pool = proc_pool_new(o->o.jobs, err);
	if (!o->pool)
		goto fail;
	return o;
fail:
	free(o->workdir);
	free(o->calls);
	free(o->cmd);
	free(o);
	return NULL;
}

unsigned oracle_idle(const struct oracle *o)
{
	return proc_pool_idle(o->pool);
}

unsigned oracle_running(const struct oracle *o)
{
	return proc_pool_running(o->pool);
}

/* Format n rows of d numbers as text, one line per row. */
static char *rows_text(const double *x, size_t n, uint32_t d, size_t *len)
{
	size_t cap = n * (d * 26 + 1) + 1, pos = 0;
	char *s = malloc(cap);

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		for (uint32_t j = 0; j < d; j++)
			pos += (size_t)snprintf(s + pos, cap - pos, "%s%.17g",
						j ? " " : "", x[i * d + j]);
		s[pos++] = '\n';
	}
	s[pos] = '\0';
	*len = pos;
	return s;
}

/* The environment of a call: ours plus the PAL_ variables. */
static char **call_env(const struct oracle *o, const struct oracle_call *c,
		       const char *workdir, char **strs)
{
	size_t n = 0, len, pos = 0;
	char **env;
	char *s;

	while (environ[n])
		n++;
	env = malloc((n + 8) * sizeof(*env));
	len = 200 + c->n * 21 + (workdir ? strlen(workdir) : 0);
	s = malloc(len);
	if (!env || !s) {
		free(env);
		free(s);
		return NULL;
	}
	n = 0;
	for (char **e = environ; *e; e++)
		if (strncmp(*e, "PAL_ID=", 7) && strncmp(*e, "PAL_IDS=", 8) &&
		    strncmp(*e, "PAL_RANK=", 9) &&
		    strncmp(*e, "PAL_NROWS=", 10) &&
		    strncmp(*e, "PAL_ATTEMPT=", 12) &&
		    strncmp(*e, "PAL_WORKDIR=", 12))
			env[n++] = *e;
#define ADD(...) do { \
		env[n++] = s + pos; \
		pos += (size_t)snprintf(s + pos, len - pos, __VA_ARGS__) + 1; \
	} while (0)
	ADD("PAL_ID=%" PRIu64, c->ids[0]);
	ADD("PAL_RANK=%d", o->o.rank);
	ADD("PAL_NROWS=%zu", c->n);
	ADD("PAL_ATTEMPT=%u", c->attempt ? c->attempt : 1);
	if (workdir)
		ADD("PAL_WORKDIR=%s", workdir);
	env[n++] = s + pos;
	pos += (size_t)snprintf(s + pos, len - pos, "PAL_IDS=");
	for (size_t i = 0; i < c->n; i++)
		pos += (size_t)snprintf(s + pos, len - pos, "%s%" PRIu64,
					i ? " " : "", c->ids[i]);
	pos++;
#undef ADD
	env[n] = NULL;
	*strs = s;
	return env;
}

void oracle_start(struct oracle *o, const struct oracle_call *c)
{
	struct call *k = NULL;
	char *envstr = NULL, **env = NULL, *in = NULL;
	char *argv[] = { (char *)"/bin/sh", (char *)"-c", o->cmd, NULL };
	struct proc_spec spec = { .argv = argv, .fd_in = -1, .fd_out = -1,
				  .fd_err = -1 };
	struct proc_job job = { .spec = &spec };
	size_t in_len = 0;

	for (unsigned i = 0; i < o->o.jobs && !k; i++)
		if (!o->calls[i].used)
			k = &o->calls[i];
	if (!k)
		abort();	/* the caller broke the contract */
	memset(k, 0, sizeof(*k));
	k->used = 1;
	k->tag = c->tag;
	k->n = c->n;
	k->k = c->k;
	k->g = c->g;
	if (o->workdir) {
		size_t n = strlen(o->workdir) + 64;

		k->workdir = malloc(n);
		if (k->workdir) {
			snprintf(k->workdir, n, "%s/row%" PRIu64 "-r%d-XXXXXX",
				 o->workdir, c->ids[0], o->o.rank);
			if (!mkdtemp(k->workdir)) {
				k->start_errno = errno;
				snprintf(k->start_msg, sizeof(k->start_msg),
					 "cannot create a scratch directory: "
					 "%s", strerror(errno));
				free(k->workdir);
				k->workdir = NULL;
			}
		} else {
			k->start_errno = ENOMEM;
		}
	}
	if (!k->start_errno) {
		in = rows_text(c->x, c->n, c->d, &in_len);
		env = call_env(o, c, k->workdir, &envstr);
		if (!in || !env)
			k->start_errno = ENOMEM;
	}
	if (k->start_errno == ENOMEM)
		snprintf(k->start_msg, sizeof(k->start_msg), "out of memory");
	if (k->start_errno) {
		/* Not lost: the pool hands it back at the next wait, and
		 * finish() gives k's reason. */
		free(in);
		in = NULL;
		in_len = 0;
		job.spec = NULL;
	}
	spec.env = env;
	spec.dir = k->workdir;
	job.tag = k;
	job.in = in;
	job.in_len = in_len;
	job.timeout = o->o.timeout;
	proc_pool_start(o->pool, &job);
	free(env);
	free(envstr);
}

/* ---- finishing a call --------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

/* Copy s (up to a newline) into dst as a quoted, printable excerpt. */
static void excerpt(char *dst, size_t len, const char *s, size_t n)
{
	size_t pos = 0;

	if (len < 8)
		return;
	dst[pos++] = '"';
	for (size_t i = 0; i < n && s[i] != '\n' && pos + 6 < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (i >= 80) {
			memcpy(dst + pos, "...", 3);
			pos += 3;
			break;
		}
		dst[pos++] = ch >= 32 && ch < 127 && ch != '"' ? (char)ch : '?';
	}
	dst[pos++] = '"';
	dst[pos] = '\0';
}

/* The first line of the call's standard error, as ": \"...\"" or "". */
static void err_line(const struct proc_done *pd, char *dst, size_t len)
{
	size_t i = 0;

	while (i < pd->err_len && (pd->err[i] == '\n' || pd->err[i] == '\r'))
		i++;
	if (i == pd->err_len) {
		dst[0] = '\0';
		return;
	}
	dst[0] = ':';
	dst[1] = ' ';
	excerpt(dst + 2, len - 2, pd->err + i, pd->err_len - i);
}

/* "expected K" or, with a gradient, "expected K+G (K of y, then G of the
 * gradient)", for messages. */
static void expected(char *dst, size_t len, uint32_t k, uint32_t g)
{
	if (!g)
		snprintf(dst, len, "expected %" PRIu32, k);
	else if (!k)
		snprintf(dst, len, "expected more than %" PRIu32 " (y, then %"
			 PRIu32 " of the gradient)", g, g);
	else
		snprintf(dst, len, "expected %" PRIu32 " (%" PRIu32 " of y, "
			 "then %" PRIu32 " of the gradient)", k + g, k, g);
}

/*
 * Parse the call's output into o->y: n non-blank lines of k + g numbers
 * each (k fixed by the first line when 0), row after row.  Returns a
 * status, with o->msg set.
 */
static int parse_output(struct oracle *o, struct call *k, char *out,
			size_t out_len)
{
	char *p = out, *end = out + out_len, ex[120], want[96];
	size_t row = 0, line = 0;
	size_t w = k->k ? (size_t)k->k + k->g : 0;	/* numbers a line */

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *save = NULL,
		     *tok, *lineptr = p;
		size_t len = (nl ? nl : end) - p, cnt = 0;

		line++;
		p[len] = '\0';		/* the newline, or the spare byte */
		p = nl ? nl + 1 : end;
		if (strspn(lineptr, " \t\r,") == len)
			continue;	/* blank */
		if (row == k->n) {
			excerpt(ex, sizeof(ex), lineptr, len);
			snprintf(o->msg, sizeof(o->msg), "bad output: more than "
				 "%zu line%s, line %zu is %s", k->n,
				 k->n == 1 ? "" : "s", line, ex);
			return ORACLE_OUTPUT;
		}
		{
			char copy[160];

			excerpt(copy, sizeof(copy), lineptr, len);
			for (tok = strtok_r(lineptr, " \t\r,", &save); tok;
			     tok = strtok_r(NULL, " \t\r,", &save)) {
				const char *es;
				double v = parse_double(tok, &es);

				/* Beyond a double: infinite, so non-finite. */
				if (es == pal_num_overflow) {
					v = *tok == '-' ? -INFINITY : INFINITY;
					es = NULL;
				}
				if (es == pal_num_underflow) {
					snprintf(o->msg, sizeof(o->msg),
						 "bad output: line %zu has a "
						 "number too close to zero for "
						 "a double: %s", line, copy);
					return ORACLE_OUTPUT;
				}
				if (es) {
					snprintf(o->msg, sizeof(o->msg),
						 "bad output: line %zu is not "
						 "numbers: %s", line, copy);
					return ORACLE_OUTPUT;
				}
				if (w && cnt >= w) {
					cnt++;
					continue;
				}
				if (!w && row == 0) {
					size_t need = (cnt + 1) * k->n;

					if (need > o->y_cap) {
						size_t c = need * 2;
						double *ny = realloc(o->y, c * sizeof(*ny));

						if (!ny) {
							snprintf(o->msg, sizeof(o->msg),
								 "out of memory");
							return ORACLE_OUTPUT;
						}
						o->y = ny;
						o->y_cap = c;
					}
				}
				o->y[row * (w ? w : cnt + 1) + cnt] = v;
				if (!isfinite(v) && !o->msg[0])
					snprintf(o->msg, sizeof(o->msg),
						 "non-finite result on line "
						 "%zu: %s", line, copy);
				cnt++;
			}
			if (!w && cnt > k->g) {
				w = cnt;
				k->k = (uint32_t)(cnt - k->g);
			}
			if (cnt != w || !w) {
				expected(want, sizeof(want), k->k, k->g);
				snprintf(o->msg, sizeof(o->msg), "bad output: "
					 "line %zu has %zu number%s, %s: %s",
					 line, cnt, cnt == 1 ? "" : "s", want,
					 copy);
				return ORACLE_OUTPUT;
			}
		}
		row++;
	}
	if (row < k->n) {
		snprintf(o->msg, sizeof(o->msg), "bad output: %zu line%s of "
			 "numbers for %zu row%s", row, row == 1 ? "" : "s",
			 k->n, k->n == 1 ? "" : "s");
		return ORACLE_OUTPUT;
	}
	return o->msg[0] ? ORACLE_NONFINITE : ORACLE_OK;
}

/*
 * Lines of k + g numbers in o->y to n rows of y (k numbers, in o->y) and
 * of the gradient (g numbers, in o->grad).  Returns -1 when memory runs
 * out.
 */
static int split_grad(struct oracle *o, size_t n, uint32_t k, uint32_t g)
{
	size_t w = (size_t)k + g;

	if (n * g > o->grad_cap) {
		double *ng = realloc(o->grad, n * g * sizeof(*ng));

		if (!ng)
			return -1;
		o->grad = ng;
		o->grad_cap = n * g;
	}
	for (size_t i = 0; i < n; i++) {
		memcpy(o->grad + i * g, o->y + i * w + k, g * sizeof(double));
		memmove(o->y + i * k, o->y + i * w, k * sizeof(double));
	}
	return 0;
}

/* The pool's callback: what the call came to, handed to the caller's. */
static void finish(void *arg, struct proc_done *pd)
{
	struct oracle *o = arg;
	struct call *k = pd->tag;
	struct oracle_done d = { 0 };
	char el[160];
	size_t need = k->n * ((k->k ? k->k : 1) + (size_t)k->g);
	int st = pd->wstatus;

	o->msg[0] = '\0';
	err_line(pd, el, sizeof(el));
	d.tag = k->tag;
	d.n = k->n;
	d.t_start = pd->t_start;
	d.t_end = pd->t_end;
	if (need > o->y_cap) {
		double *ny = realloc(o->y, need * 2 * sizeof(*ny));

		if (ny) {
			o->y = ny;
			o->y_cap = need * 2;
		}
	}
	if (k->start_errno || pd->start_errno) {
		d.status = ORACLE_START;
		snprintf(o->msg, sizeof(o->msg), "%s", k->start_errno ?
			 k->start_msg : pd->start_msg);
	} else if (pd->timed_out) {
		d.status = ORACLE_TIMEOUT;
		snprintf(o->msg, sizeof(o->msg), "timed out after %gs, "
			 "killed%s", o->o.timeout, el);
	} else if (WIFSIGNALED(st)) {
		d.status = ORACLE_SIGNAL;
		snprintf(o->msg, sizeof(o->msg), "killed by signal %d (%s)%s",
			 WTERMSIG(st), strsignal(WTERMSIG(st)), el);
	} else if (WEXITSTATUS(st) != 0) {
		d.status = ORACLE_EXIT;
		snprintf(o->msg, sizeof(o->msg), "exited with status %d%s",
			 WEXITSTATUS(st), el);
	} else if (need > o->y_cap) {
		d.status = ORACLE_OUTPUT;
		snprintf(o->msg, sizeof(o->msg), "out of memory");
	} else {
		/* The pool leaves a spare byte past the output, for the
		 * parser to end a line with. */
		d.status = parse_output(o, k, pd->out, pd->out_len);
		if (d.status == ORACLE_OK && k->g &&
		    split_grad(o, k->n, k->k, k->g) < 0) {
			d.status = ORACLE_OUTPUT;
			snprintf(o->msg, sizeof(o->msg), "out of memory");
		}
		if (d.status == ORACLE_OUTPUT && el[0]) {
			size_t l = strlen(o->msg);

			snprintf(o->msg + l, sizeof(o->msg) - l,
				 " (stderr%s)", el);
		}
	}
	d.k = k->k;
	d.y = o->y;
	d.g = k->g;
	d.grad = d.status == ORACLE_OK && k->g ? o->grad : NULL;
	if (k->workdir) {
		if (d.status == ORACLE_OK && !o->o.keep_workdir) {
			nftw(k->workdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		} else if (d.status != ORACLE_OK) {
			size_t l = strlen(o->msg);

			snprintf(o->msg + l, sizeof(o->msg) - l,
				 " (scratch directory kept: %s)", k->workdir);
		}
	}
	d.msg = o->msg;
	free(k->workdir);
	k->workdir = NULL;
	k->used = 0;
	o->fn(o->arg, &d);
}

int oracle_wait(struct oracle *o, double timeout,
		void (*fn)(void *arg, const struct oracle_done *d), void *arg)
{
	o->fn = fn;
	o->arg = arg;
	return proc_pool_wait(o->pool, timeout, finish, o);
}

void oracle_free(struct oracle *o)
{
	if (!o)
		return;
	proc_pool_free(o->pool);
	for (unsigned i = 0; i < o->o.jobs; i++)
		free(o->calls[i].workdir);
	free(o->calls);
	free(o->workdir);
	free(o->cmd);
	free(o->y);
	free(o->grad);
	free(o);
}
