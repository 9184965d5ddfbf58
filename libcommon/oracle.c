/*
 * oracle.c: a pool of external oracle processes driven by poll(2); see
 * oracle.h.
 *
 * Each call is a vfork of this process that becomes the leader of a new
 * process group and execs /bin/sh -c CMD.  The parent feeds its standard
 * input, gathers its standard output and the start of its standard error
 * through non-blocking pipes, and learns of its exit through a SIGCHLD
 * self-pipe, so one poll() waits for everything.  When the shell exits, what
 * it left behind in its process group is killed, so a background process
 * cannot hold the pipes open.
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
#include "banned.h"

extern char **environ;

#define ERR_KEEP 1024			/* bytes of standard error kept */
#define OUT_MAX (64u << 20)		/* bytes of standard output accepted */

struct call {
	int used;
	pid_t pid;
	int fd_in, fd_out, fd_err;	/* -1 once closed */
	int fd_ep;			/* exec error pipe: EOF once exec'd */
	char *in;			/* the rows as text */
	size_t in_len, in_pos;
	char *out;
	size_t out_len, out_cap;
	char err[ERR_KEEP + 1];
	size_t err_len;
	int exited, wstatus;
	double exit_time;
	double deadline;		/* 0: none */
	int timed_out;
	int start_errno;		/* exec or chdir failed with this */
	char what[96];			/* what failed to start */
	char *workdir;			/* this call's scratch directory */
	void *tag;
	size_t n;
	uint32_t k;
	uint64_t first_id;
	double t_start;
};

struct oracle {
	struct oracle_opts o;
	char *workdir;			/* absolute */
	char *cmd;			/* what sh -c runs (see simple_cmd) */
	struct call *calls;
	unsigned running;
	double *y;			/* results handed to the callback */
	size_t y_cap;
	char msg[2048];
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
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- signals: the SIGCHLD self-pipe, and killing calls on exit -------- */

static int chld_pipe[2] = { -1, -1 };
static struct oracle *live;		/* the pool whose calls die with us */

static void on_sigchld(int sig)
{
	int e = errno;
	char c = 0;

	(void)sig;
	if (write(chld_pipe[1], &c, 1) < 0) {
		/* Full pipe: a wake-up is pending anyway. */
	}
	errno = e;
}

static void kill_calls(void)
{
	if (!live)
		return;
	for (unsigned i = 0; i < live->o.jobs; i++)
		if (live->calls[i].used && live->calls[i].pid > 0 &&
		    !live->calls[i].exited)
			kill(-live->calls[i].pid, SIGKILL);
}

/* SIGINT, SIGTERM, SIGHUP: take the calls' process groups with us. */
static void on_fatal(int sig)
{
	kill_calls();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void install_signals(void)
{
	struct sigaction sa;

	if (chld_pipe[0] >= 0)
		return;
	if (pipe2(chld_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		chld_pipe[0] = chld_pipe[1] = -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigchld;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = on_fatal;
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	atexit(kill_calls);
}

/* ---- the pool ----------------------------------------------------------- */

/*
 * Whether cmd is one simple command that the shell can replace itself by:
 * words without shell syntax, the first not a builtin or keyword.  Such a
 * command is run as "exec cmd", which saves the shell's fork (dash does not
 * do it by itself) and lets the death signal reach the program itself.
 */
static int simple_cmd(const char *cmd)
{
	static const char *const builtins[] = {
		"alias", "bg", "break", "cd", "command", "continue", "echo",
		"eval", "exec", "exit", "export", "false", "fc", "fg",
		"getopts", "hash", "jobs", "kill", "local", "printf", "pwd",
		"read", "readonly", "return", "set", "shift", "test", "times",
		"trap", "true", "type", "ulimit", "umask", "unalias", "unset",
		"wait", "[", ".", ":", "if", "then", "else", "elif", "fi",
		"do", "done", "case", "esac", "while", "until", "for", "in",
		"{", "}", "!", "function", "select",
	};
	size_t n;

	if (cmd[strcspn(cmd, ";&|<>()$`\\\"'*?[]#~=%{}!\n")] != '\0')
		return 0;
	cmd += strspn(cmd, " \t");
	n = strcspn(cmd, " \t");
	if (n == 0)
		return 0;
	for (size_t i = 0; i < sizeof(builtins) / sizeof(*builtins); i++)
		if (strlen(builtins[i]) == n && !strncmp(cmd, builtins[i], n))
			return 0;
	return 1;
}

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

struct oracle *oracle_new(const struct oracle_opts *opts, char *err,
			  size_t errlen)
{
	struct oracle *o = calloc(1, sizeof(*o));

	if (!o) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	o->o = *opts;
	if (simple_cmd(opts->cmd)) {
		size_t n = strlen(opts->cmd) + sizeof("exec ");

		o->cmd = malloc(n);
		if (o->cmd)
			snprintf(o->cmd, n, "exec %s", opts->cmd);
	}
	if (!o->cmd)
		o->cmd = strdup(opts->cmd);
	if (!o->cmd) {
		free(o);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (o->o.jobs == 0)
		o->o.jobs = 1;
	o->calls = calloc(o->o.jobs, sizeof(*o->calls));
	if (!o->calls) {
		free(o->cmd);
		free(o);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (opts->workdir) {
		char real[PATH_MAX];

		if (mkdir_p(opts->workdir) < 0 ||
		    !realpath(opts->workdir, real)) {
			snprintf(err, errlen, "cannot create --workdir '%s': %s",
				 opts->workdir, strerror(errno));
			free(o->calls);
			free(o->cmd);
			free(o);
			return NULL;
		}
		o->workdir = strdup(real);
	}
	/* A closed fd 0, 1 or 2 would be taken by a pipe and confuse dup2. */
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0)
			(void)open("/dev/null", O_RDWR);
	install_signals();
	live = o;
	return o;
}

unsigned oracle_idle(const struct oracle *o)
{
	return o->o.jobs - o->running;
}

unsigned oracle_running(const struct oracle *o)
{
	return o->running;
}

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
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

static void start_failed(struct call *k, const char *what, int e)
{
	snprintf(k->what, sizeof(k->what), "%s", what);
	k->start_errno = e ? e : EIO;
	k->exited = 1;
	k->exit_time = oracle_now();
}

/*
 * vfork and exec /bin/sh in the child, with fds in, out and err as its
 * standard input, output and error, in dir if not NULL, in a new process
 * group, killed if parent dies.  vfork: no page tables are copied, which
 * matters in an MPI process with large mappings.  The child makes system
 * calls only; if exec fails it writes errno to ep.  Returns the pid or -1.
 */
static pid_t spawn(char *const argv[], char *const env[], int in, int out,
		   int err, int ep, const char *dir, pid_t parent)
{
	pid_t pid = vfork();
	sigset_t none;
	int e;

	if (pid != 0)
		return pid;
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		goto fail;
	if (dir && chdir(dir) < 0)
		goto fail;
	execve("/bin/sh", argv, env);
fail:
	e = errno;
	if (write(ep, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

void oracle_start(struct oracle *o, const struct oracle_call *c)
{
	struct call *k = NULL;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, er[2] = { -1, -1 };
	int ep[2] = { -1, -1 };
	char *envstr = NULL, **env = NULL;
	char *argv[] = { (char *)"sh", (char *)"-c", o->cmd, NULL };
	pid_t parent = getpid();
	int e;

	for (unsigned i = 0; i < o->o.jobs && !k; i++)
		if (!o->calls[i].used)
			k = &o->calls[i];
	if (!k)
		abort();	/* the caller broke the contract */
	memset(k, 0, sizeof(*k));
	k->used = 1;
	k->fd_in = k->fd_out = k->fd_err = k->fd_ep = -1;
	k->tag = c->tag;
	k->n = c->n;
	k->k = c->k;
	k->first_id = c->ids[0];
	k->t_start = oracle_now();
	if (o->o.timeout > 0)
		k->deadline = k->t_start + o->o.timeout;
	o->running++;

	if (o->workdir) {
		size_t n = strlen(o->workdir) + 64;

		k->workdir = malloc(n);
		if (!k->workdir)
			return start_failed(k, "out of memory", ENOMEM);
		snprintf(k->workdir, n, "%s/row%" PRIu64 "-r%d-XXXXXX",
			 o->workdir, c->ids[0], o->o.rank);
		if (!mkdtemp(k->workdir)) {
			e = errno;
			free(k->workdir);
			k->workdir = NULL;
			return start_failed(k, "cannot create a scratch "
					    "directory", e);
		}
	}
	k->in = rows_text(c->x, c->n, c->d, &k->in_len);
	env = call_env(o, c, k->workdir, &envstr);
	if (!k->in || !env) {
		free(env);
		free(envstr);
		return start_failed(k, "out of memory", ENOMEM);
	}
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
	    pipe2(er, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
		e = errno;
		goto fail;
	}
	k->pid = spawn(argv, env, in[0], out[1], er[1], ep[1], k->workdir,
		       parent);
	if (k->pid < 0) {
		e = errno;
		goto fail;
	}
	setpgid(k->pid, k->pid);	/* also here, against the race */
	close(in[0]);
	close(out[1]);
	close(er[1]);
	close(ep[1]);
	k->fd_in = in[1];
	k->fd_out = out[0];
	k->fd_err = er[0];
	/* Whether exec worked is read in the event loop, with the other
	 * pipes: EOF, or the child's errno. */
	k->fd_ep = ep[0];
	set_nonblock(k->fd_ep);
	free(env);
	free(envstr);
	set_nonblock(k->fd_in);
	set_nonblock(k->fd_out);
	set_nonblock(k->fd_err);
	return;
fail:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (er[i] >= 0)
			close(er[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	free(env);
	free(envstr);
	start_failed(k, "cannot start", e);
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
static void err_line(const struct call *k, char *dst, size_t len)
{
	size_t i = 0;

	while (i < k->err_len && (k->err[i] == '\n' || k->err[i] == '\r'))
		i++;
	if (i == k->err_len) {
		dst[0] = '\0';
		return;
	}
	dst[0] = ':';
	dst[1] = ' ';
	excerpt(dst + 2, len - 2, k->err + i, k->err_len - i);
}

/*
 * Parse the call's output into o->y: n non-blank lines of k numbers each
 * (k fixed by the first line when 0).  Returns a status, with o->msg set.
 */
static int parse_output(struct oracle *o, struct call *k)
{
	char *p = k->out, *end = k->out + k->out_len, ex[120];
	size_t row = 0, line = 0;

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
				if (k->k && cnt >= k->k) {
					cnt++;
					continue;
				}
				if (!k->k && row == 0) {
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
				o->y[row * (k->k ? k->k : cnt + 1) + cnt] = v;
				if (!isfinite(v) && !o->msg[0])
					snprintf(o->msg, sizeof(o->msg),
						 "non-finite result on line "
						 "%zu: %s", line, copy);
				cnt++;
			}
			if (!k->k)
				k->k = (uint32_t)cnt;
			if (cnt != k->k) {
				snprintf(o->msg, sizeof(o->msg), "bad output: "
					 "line %zu has %zu number%s, expected "
					 "%" PRIu32 ": %s", line, cnt,
					 cnt == 1 ? "" : "s", k->k, copy);
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

static void finish(struct oracle *o, struct call *k,
		   void (*fn)(void *arg, const struct oracle_done *d),
		   void *arg)
{
	struct oracle_done d = { 0 };
	char el[160];
	size_t need = k->n * (k->k ? k->k : 1);

	o->msg[0] = '\0';
	err_line(k, el, sizeof(el));
	d.tag = k->tag;
	d.n = k->n;
	d.t_start = k->t_start;
	d.t_end = k->exit_time ? k->exit_time : oracle_now();
	if (need > o->y_cap) {
		double *ny = realloc(o->y, need * 2 * sizeof(*ny));

		if (ny) {
			o->y = ny;
			o->y_cap = need * 2;
		}
	}
	if (k->start_errno) {
		d.status = ORACLE_START;
		snprintf(o->msg, sizeof(o->msg), "%s: %s", k->what,
			 strerror(k->start_errno));
	} else if (k->timed_out) {
		d.status = ORACLE_TIMEOUT;
		snprintf(o->msg, sizeof(o->msg), "timed out after %gs, "
			 "killed%s", o->o.timeout, el);
	} else if (WIFSIGNALED(k->wstatus)) {
		d.status = ORACLE_SIGNAL;
		snprintf(o->msg, sizeof(o->msg), "killed by signal %d (%s)%s",
			 WTERMSIG(k->wstatus), strsignal(WTERMSIG(k->wstatus)),
			 el);
	} else if (WEXITSTATUS(k->wstatus) != 0) {
		d.status = ORACLE_EXIT;
		snprintf(o->msg, sizeof(o->msg), "exited with status %d%s",
			 WEXITSTATUS(k->wstatus), el);
	} else if (need > o->y_cap) {
		d.status = ORACLE_OUTPUT;
		snprintf(o->msg, sizeof(o->msg), "out of memory");
	} else {
		/* A spare byte past the output lets the parser end a line. */
		char *no = realloc(k->out, k->out_len + 1);

		if (no) {
			k->out = no;
			d.status = parse_output(o, k);
		} else {
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
	free(k->in);
	free(k->out);
	free(k->workdir);
	k->used = 0;
	o->running--;
	fn(arg, &d);
}

/* ---- the event loop ----------------------------------------------------- */

static void feed(struct call *k)
{
	while (k->fd_in >= 0 && k->in_pos < k->in_len) {
		ssize_t w;

		/* A call that exits without reading must not kill us by
		 * SIGPIPE: ignore it around this write only. */
		signal(SIGPIPE, SIG_IGN);
		w = write(k->fd_in, k->in + k->in_pos, k->in_len - k->in_pos);
		signal(SIGPIPE, SIG_DFL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			close_fd(&k->fd_in);	/* EPIPE: it stopped reading */
			return;
		}
		k->in_pos += (size_t)w;
	}
	if (k->in_pos == k->in_len)
		close_fd(&k->fd_in);
}

static void drain(struct oracle *o, struct call *k, int err)
{
	int *fd = err ? &k->fd_err : &k->fd_out;
	char buf[65536];

	while (*fd >= 0) {
		ssize_t r = read(*fd, buf, sizeof(buf));

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				close_fd(fd);
			return;
		}
		if (r == 0) {
			close_fd(fd);
			return;
		}
		if (err) {
			size_t c = (size_t)r;

			if (c > ERR_KEEP - k->err_len)
				c = ERR_KEEP - k->err_len;
			memcpy(k->err + k->err_len, buf, c);
			k->err_len += c;
			continue;
		}
		if (k->out_len + (size_t)r > OUT_MAX) {
			/* Too much: keep what fits, the parser will object. */
			continue;
		}
		if (k->out_len + (size_t)r > k->out_cap) {
			size_t c = (k->out_cap ? k->out_cap * 2 : 4096);
			char *no;

			while (c < k->out_len + (size_t)r)
				c *= 2;
			no = realloc(k->out, c);
			if (!no)
				continue;
			k->out = no;
			k->out_cap = c;
		}
		memcpy(k->out + k->out_len, buf, (size_t)r);
		k->out_len += (size_t)r;
	}
	(void)o;
}

/* Whether the child's exec failed: it wrote errno before _exit(127). */
static void exec_check(struct call *k)
{
	int e;
	ssize_t r;

	if (k->fd_ep < 0)
		return;
	r = read(k->fd_ep, &e, sizeof(e));
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r == (ssize_t)sizeof(e)) {
		snprintf(k->what, sizeof(k->what), "%s", k->workdir ?
			 "cannot exec /bin/sh in the scratch directory" :
			 "cannot exec /bin/sh");
		k->start_errno = e ? e : EIO;
	}
	close_fd(&k->fd_ep);
}

/* Notice exits: kill what the shell left in its group, then reap it. */
static void reap(struct call *k)
{
	siginfo_t si;

	if (k->exited || k->pid <= 0)
		return;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)k->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 ||
	    si.si_pid != k->pid)
		return;
	kill(-k->pid, SIGKILL);
	if (waitpid(k->pid, &k->wstatus, 0) == k->pid) {
		k->exited = 1;
		k->exit_time = oracle_now();
	}
}

int oracle_wait(struct oracle *o, double timeout,
		void (*fn)(void *arg, const struct oracle_done *d), void *arg)
{
	double until = timeout > 0 ? oracle_now() + timeout : 0;
	struct pollfd *pf = malloc((4 * o->o.jobs + 1) * sizeof(*pf));
	int finished = 0;

	if (!pf)
		return 0;
	for (;;) {
		double now, wake = timeout < 0 ? -1 : until;
		int np = 0, ms;
		char junk[256];

		if (chld_pipe[0] >= 0) {
			pf[np].fd = chld_pipe[0];
			pf[np++].events = POLLIN;
		}
		for (unsigned i = 0; i < o->o.jobs; i++) {
			struct call *k = &o->calls[i];

			if (!k->used)
				continue;
			if (k->fd_in >= 0) {
				pf[np].fd = k->fd_in;
				pf[np++].events = POLLOUT;
			}
			if (k->fd_out >= 0) {
				pf[np].fd = k->fd_out;
				pf[np++].events = POLLIN;
			}
			if (k->fd_err >= 0) {
				pf[np].fd = k->fd_err;
				pf[np++].events = POLLIN;
			}
			if (k->fd_ep >= 0) {
				pf[np].fd = k->fd_ep;
				pf[np++].events = POLLIN;
			}
			if (k->deadline && !k->exited &&
			    (wake < 0 || k->deadline < wake))
				wake = k->deadline;
			if (k->exited && (wake < 0 || k->exit_time + 1 < wake))
				wake = k->exit_time + 1;
		}
		now = oracle_now();
		if (timeout == 0)
			ms = 0;
		else if (wake < 0)
			ms = -1;
		else
			ms = wake <= now ? 0 : (int)ceil((wake - now) * 1e3);
		if (poll(pf, (nfds_t)np, ms) < 0 && errno != EINTR)
			ms = 0;
		if (chld_pipe[0] >= 0)
			while (read(chld_pipe[0], junk, sizeof(junk)) > 0)
				;
		now = oracle_now();
		for (unsigned i = 0; i < o->o.jobs; i++) {
			struct call *k = &o->calls[i];

			if (!k->used)
				continue;
			exec_check(k);
			feed(k);
			drain(o, k, 0);
			drain(o, k, 1);
			reap(k);
			if (!k->exited && k->deadline && now >= k->deadline) {
				kill(-k->pid, SIGKILL);
				k->timed_out = 1;
				reap(k);
			}
			if (k->exited && now >= k->exit_time + 1) {
				/* Pipes held open by a process that left
				 * the group: stop waiting for them. */
				close_fd(&k->fd_in);
				close_fd(&k->fd_out);
				close_fd(&k->fd_err);
			}
			if (k->exited) {
				close_fd(&k->fd_in);
				exec_check(k);
				if (k->fd_out < 0 && k->fd_err < 0) {
					finish(o, k, fn, arg);
					finished++;
				}
			}
		}
		if (finished || timeout == 0 || o->running == 0 ||
		    (timeout > 0 && oracle_now() >= until))
			break;
	}
	free(pf);
	return finished;
}

void oracle_free(struct oracle *o)
{
	if (!o)
		return;
	for (unsigned i = 0; i < o->o.jobs; i++) {
		struct call *k = &o->calls[i];

		if (!k->used)
			continue;
		if (k->pid > 0 && !k->exited) {
			kill(-k->pid, SIGKILL);
			waitpid(k->pid, NULL, 0);
		}
		close_fd(&k->fd_in);
		close_fd(&k->fd_out);
		close_fd(&k->fd_err);
		close_fd(&k->fd_ep);
		free(k->in);
		free(k->out);
		free(k->workdir);
	}
	if (live == o)
		live = NULL;
	free(o->calls);
	free(o->workdir);
	free(o->cmd);
	free(o->y);
	free(o);
}
