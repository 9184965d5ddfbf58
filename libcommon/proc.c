/*
 * proc.c: child processes and pools of them; see proc.h.
 *
 * A child is a vfork of this process (no page tables are copied, which
 * matters in an MPI process with large mappings) that makes system calls
 * only, then execs.  With every signal blocked across the vfork, no handler
 * of ours can run in the child while it shares our memory.  The parent is
 * suspended until the child has exec'd or exited, so whether exec worked is
 * known when vfork returns: the child writes errno to a close-on-exec pipe
 * if it failed, and the parent reads that pipe at once.
 *
 * A pool feeds each job's standard input, gathers its standard output and
 * the start of its standard error through non-blocking pipes, and learns of
 * its exit through the SIGCHLD self-pipe, so one poll() waits for all.  When
 * a job exits, what it left in its process group is killed, so a background
 * process cannot hold the pipes open.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"
#include "banned.h"

extern char **environ;

#define ERR_KEEP 1024			/* bytes of standard error kept */
#define OUT_MAX (64u << 20)		/* bytes of standard output kept */
#define LINGER 1.0			/* seconds to wait for pipes after exit */

double pal_clock_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double pal_clock_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- one child ---------------------------------------------------------- */

/*
 * The child's half of proc_start, between vfork and exec: system calls
 * only, nothing that touches memory the parent uses but the spec it reads.
 */
static _Noreturn void child(const struct proc_spec *s, char *const *env,
			    const sigset_t *mask, pid_t parent, int ep)
{
	struct sigaction sa;
	int e;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);		/* the parent died before prctl */
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction old;

		if (sig == SIGKILL || sig == SIGSTOP ||
		    sigaction(sig, NULL, &old) < 0)
			continue;
		/* Handlers are reset by exec anyway, but one must not run
		 * here; SIGPIPE and SIGCHLD start at their defaults, as a
		 * program expects, ignored or not. */
		if (old.sa_handler != SIG_DFL &&
		    (old.sa_handler != SIG_IGN || sig == SIGPIPE ||
		     sig == SIGCHLD)) {
			sa.sa_handler = SIG_DFL;
			sigaction(sig, &sa, NULL);
		}
	}
	sigprocmask(SIG_SETMASK, mask, NULL);
	if ((s->fd_in > 0 && dup2(s->fd_in, 0) < 0) ||
	    (s->fd_out >= 0 && s->fd_out != 1 && dup2(s->fd_out, 1) < 0) ||
	    (s->fd_err >= 0 && s->fd_err != 2 && dup2(s->fd_err, 2) < 0))
		goto fail;
	if (s->dir && chdir(s->dir) < 0)
		goto fail;
	execve(s->argv[0], s->argv, env);
fail:
	e = errno;
	if (write(ep, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

int proc_start(struct proc_child *c, const struct proc_spec *spec,
	       struct pal_error *err)
{
	char *const *env = spec->env ? spec->env : environ;
	sigset_t all, old;
	pid_t parent = getpid();
	int ep[2], e = 0;
	ssize_t r;

	memset(c, 0, sizeof(*c));
	if (pipe2(ep, O_CLOEXEC) < 0)
		return pal_seterr(err, PAL_ERR_IO, errno, "cannot make a pipe "
				  "for '%s': %s", spec->argv[0], strerror(errno));
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	c->pid = vfork();
	if (c->pid == 0)
		child(spec, env, &old, parent, ep[1]);
	e = errno;
	if (c->pid > 0) {
		setpgid(c->pid, c->pid);	/* also here, against the race */
		c->cleanup.pgid = (int)c->pid;
		pal_cleanup_add(&c->cleanup);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(ep[1]);
	if (c->pid < 0) {
		close(ep[0]);
		c->pid = 0;
		return pal_seterr(err, PAL_ERR_IO, e, "cannot fork for '%s': "
				  "%s", spec->argv[0], strerror(e));
	}
	do
		r = read(ep[0], &e, sizeof(e));
	while (r < 0 && errno == EINTR);
	close(ep[0]);
	if (r == (ssize_t)sizeof(e)) {
		proc_wait(c);
		if (spec->dir)
			return pal_seterr(err, PAL_ERR_IO, e, "cannot exec '%s' "
					  "in '%s': %s", spec->argv[0],
					  spec->dir, strerror(e));
		return pal_seterr(err, PAL_ERR_IO, e, "cannot exec '%s': %s",
				  spec->argv[0], strerror(e));
	}
	return 0;
}

void proc_kill(const struct proc_child *c, int sig)
{
	if (c->pid > 0)
		kill(-c->pid, sig);
}

/* c is gone, reaped by someone else (ECHILD): nothing left to kill. */
static void forget(struct proc_child *c)
{
	pal_cleanup_remove(&c->cleanup);
	c->pid = 0;
}

/* c has exited (a zombie, so its pid and group id cannot be reused yet):
 * off the cleanup list, kill what is left in its group, reap it. */
static void reap(struct proc_child *c)
{
	pal_cleanup_remove(&c->cleanup);
	kill(-c->pid, SIGKILL);
	while (waitpid(c->pid, &c->wstatus, 0) < 0 && errno == EINTR)
		;
	c->pid = 0;
}

int proc_poll(struct proc_child *c)
{
	siginfo_t si;

	if (c->pid <= 0)
		return 1;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno == ECHILD ? (forget(c), 1) : 0;
	if (si.si_pid != c->pid)
		return 0;
	reap(c);
	return 1;
}

int proc_wait(struct proc_child *c)
{
	siginfo_t si;

	if (c->pid <= 0)
		return c->wstatus;
	while (waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOWAIT) < 0)
		if (errno != EINTR) {
			forget(c);
			return c->wstatus;
		}
	reap(c);
	return c->wstatus;
}

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

char *proc_sh_command(const char *cmd)
{
	size_t n = strlen(cmd) + sizeof("exec ");
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s%s", simple_cmd(cmd) ? "exec " : "", cmd);
	return s;
}

/* ---- the SIGCHLD self-pipe, shared by the pools -------------------------- */

static struct {
	int fd[2];
	unsigned refs;
	struct sigaction old;
} chld = { .fd = { -1, -1 } };

static void on_sigchld(int sig)
{
	int e = errno;
	char c = 0;

	(void)sig;
	if (write(chld.fd[1], &c, 1) < 0) {
		/* Full pipe: a wake-up is pending anyway. */
	}
	errno = e;
}

static int chld_acquire(struct pal_error *err)
{
	struct sigaction sa;

	if (chld.refs++ > 0)
		return 0;
	if (pipe2(chld.fd, O_CLOEXEC | O_NONBLOCK) < 0) {
		chld.refs = 0;
		return pal_seterr(err, PAL_ERR_IO, errno, "cannot make a pipe "
				  "for SIGCHLD: %s", strerror(errno));
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigchld;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, &chld.old);
	return 0;
}

static void chld_release(void)
{
	if (chld.refs == 0 || --chld.refs > 0)
		return;
	sigaction(SIGCHLD, &chld.old, NULL);
	close(chld.fd[0]);
	close(chld.fd[1]);
	chld.fd[0] = chld.fd[1] = -1;
}

static void chld_drain(void)
{
	char junk[256];

	while (read(chld.fd[0], junk, sizeof(junk)) > 0)
		;
}

/* ---- pools ---------------------------------------------------------------- */

struct slot {
	int used;
	struct proc_child ch;
	int fd_in, fd_out, fd_err;	/* -1 once closed */
	char *in;
	size_t in_len, in_pos;
	char *out;
	size_t out_len, out_cap;
	char err[ERR_KEEP];
	size_t err_len;
	int exited;
	double exit_mono;		/* when it was reaped */
	double deadline;		/* monotonic; 0: none */
	int timed_out;
	int start_errno;
	char start_msg[256];
	void *tag;
	double t_start, t_end;		/* wall clock */
};

struct proc_pool {
	unsigned nslots, running;
	struct slot *slots;
	struct pollfd *pf;
	char err[ERR_KEEP];		/* proc_done's, while the slot is reused */
};

struct proc_pool *proc_pool_new(unsigned slots, struct pal_error *err)
{
	struct proc_pool *p = calloc(1, sizeof(*p));

	if (slots == 0)
		slots = 1;
	if (p) {
		p->nslots = slots;
		p->slots = calloc(slots, sizeof(*p->slots));
		p->pf = calloc(3 * (size_t)slots + 1, sizeof(*p->pf));
	}
	if (!p || !p->slots || !p->pf) {
		if (p) {
			free(p->slots);
			free(p->pf);
		}
		free(p);
		pal_seterr(err, PAL_ERR_NOMEM, ENOMEM, "out of memory");
		return NULL;
	}
	if (chld_acquire(err) < 0) {
		free(p->slots);
		free(p->pf);
		free(p);
		return NULL;
	}
	/* A closed fd 0, 1 or 2 would be taken by a pipe and confuse dup2. */
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0)
			(void)open("/dev/null", O_RDWR);
	return p;
}

unsigned proc_pool_idle(const struct proc_pool *p)
{
	return p->nslots - p->running;
}

unsigned proc_pool_running(const struct proc_pool *p)
{
	return p->running;
}

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void start_failed(struct slot *k, const char *msg, int e)
{
	snprintf(k->start_msg, sizeof(k->start_msg), "%s", msg);
	k->start_errno = e ? e : EIO;
	k->exited = 1;
	k->exit_mono = pal_clock_mono();
	k->t_end = pal_clock_wall();
}

void proc_pool_start(struct proc_pool *p, const struct proc_job *j)
{
	struct slot *k = NULL;
	struct proc_spec spec;
	struct pal_error err;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, er[2] = { -1, -1 };

	for (unsigned i = 0; i < p->nslots && !k; i++)
		if (!p->slots[i].used)
			k = &p->slots[i];
	if (!k)
		abort();	/* the caller broke the contract */
	memset(k, 0, sizeof(*k));
	k->used = 1;
	k->fd_in = k->fd_out = k->fd_err = -1;
	k->tag = j->tag;
	k->in = j->in;
	k->in_len = j->in_len;
	k->t_start = pal_clock_wall();
	if (j->timeout > 0)
		k->deadline = pal_clock_mono() + j->timeout;
	p->running++;
	if (!j->spec) {
		start_failed(k, "not started", ECANCELED);
		return;
	}
	spec = *j->spec;
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
	    pipe2(er, O_CLOEXEC) < 0) {
		int e = errno;

		for (int i = 0; i < 2; i++) {
			if (in[i] >= 0)
				close(in[i]);
			if (out[i] >= 0)
				close(out[i]);
			if (er[i] >= 0)
				close(er[i]);
		}
		char msg[128];

		snprintf(msg, sizeof(msg), "cannot make pipes: %s",
			 strerror(e));
		start_failed(k, msg, e);
		return;
	}
	spec.fd_in = in[0];
	spec.fd_out = out[1];
	spec.fd_err = er[1];
	if (proc_start(&k->ch, &spec, &err) < 0)
		start_failed(k, err.msg, err.errnum);
	close(in[0]);
	close(out[1]);
	close(er[1]);
	if (k->start_errno) {
		close(in[1]);
		close(out[0]);
		close(er[0]);
		return;
	}
	k->fd_in = in[1];
	k->fd_out = out[0];
	k->fd_err = er[0];
	set_nonblock(k->fd_in);
	set_nonblock(k->fd_out);
	set_nonblock(k->fd_err);
}

static void feed(struct slot *k)
{
	while (k->fd_in >= 0 && k->in_pos < k->in_len) {
		struct sigaction ign, old;
		ssize_t w;

		/* A job that exits without reading must not kill us by
		 * SIGPIPE: ignore it around this write only, and put back
		 * whatever was there (err.c's cleanup handler, say). */
		memset(&ign, 0, sizeof(ign));
		ign.sa_handler = SIG_IGN;
		sigemptyset(&ign.sa_mask);
		sigaction(SIGPIPE, &ign, &old);
		w = write(k->fd_in, k->in + k->in_pos, k->in_len - k->in_pos);
		sigaction(SIGPIPE, &old, NULL);
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

static void drain(struct slot *k, int err)
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
		if (k->out_len + (size_t)r > OUT_MAX)
			continue;	/* keep what fits: the caller objects */
		if (k->out_len + (size_t)r + 1 > k->out_cap) {
			size_t c = k->out_cap ? k->out_cap * 2 : 4096;
			char *no;

			while (c < k->out_len + (size_t)r + 1)
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
}

/* Look at slot k without blocking: feed, drain, reap, enforce its
 * deadline.  Returns whether it is done (exited, pipes closed). */
static int service(struct slot *k, double now)
{
	if (!k->exited) {
		feed(k);
		drain(k, 0);
		drain(k, 1);
		if (proc_poll(&k->ch)) {
			k->exited = 1;
		} else if (k->deadline && now >= k->deadline) {
			proc_kill(&k->ch, SIGKILL);
			k->timed_out = 1;
			proc_wait(&k->ch);
			k->exited = 1;
		}
		if (k->exited) {
			k->exit_mono = pal_clock_mono();
			k->t_end = pal_clock_wall();
		}
	}
	if (k->exited) {
		close_fd(&k->fd_in);
		drain(k, 0);
		drain(k, 1);
		if (now >= k->exit_mono + LINGER) {
			/* Pipes held open by a process that left the
			 * group: stop waiting for them. */
			close_fd(&k->fd_out);
			close_fd(&k->fd_err);
		}
	}
	return k->exited && k->fd_out < 0 && k->fd_err < 0;
}

static void finish(struct proc_pool *p, struct slot *k,
		   void (*fn)(void *arg, struct proc_done *d), void *arg)
{
	struct proc_done d = { 0 };
	char spare = 0, *in, *out;

	d.tag = k->tag;
	d.start_errno = k->start_errno;
	d.start_msg = k->start_msg;
	d.timed_out = k->timed_out;
	d.wstatus = k->ch.wstatus;
	d.out = k->out ? k->out : &spare;
	d.out_len = k->out_len;
	d.pool = p;
	memcpy(p->err, k->err, k->err_len);
	d.err = p->err;
	d.err_len = k->err_len;
	d.t_start = k->t_start;
	d.t_end = k->t_end;
	/* The slot is free during fn, which may start a job in it. */
	in = k->in;
	out = k->out;
	k->in = k->out = NULL;
	k->used = 0;
	p->running--;
	fn(arg, &d);
	free(in);
	free(out);
}

/* Add slot k's descriptors to pf, and bring wake forward to its deadline
 * or the end of its linger. */
static int slot_fds(const struct slot *k, struct pollfd *pf, double *wake)
{
	int np = 0;

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
	if (k->deadline && !k->exited && (*wake < 0 || k->deadline < *wake))
		*wake = k->deadline;
	if (k->exited && (*wake < 0 || k->exit_mono + LINGER < *wake))
		*wake = k->exit_mono + LINGER;
	return np;
}

static int pools_wait(struct proc_pool *const *pools, size_t n,
		      struct pollfd *pf, double timeout,
		      void (*fn)(void *arg, struct proc_done *d), void *arg)
{
	double until = timeout > 0 ? pal_clock_mono() + timeout : 0;
	int finished = 0;

	for (;;) {
		double now = pal_clock_mono(), wake = timeout < 0 ? -1 : until;
		unsigned running = 0;
		int np = 0, ms;

		/* Look first, poll after: a wake-up that another pool
		 * drained from the shared pipe is not missed. */
		for (size_t j = 0; j < n; j++) {
			struct proc_pool *p = pools[j];

			for (unsigned i = 0; i < p->nslots; i++) {
				struct slot *k = &p->slots[i];

				if (k->used && service(k, now)) {
					finish(p, k, fn, arg);
					finished++;
				}
			}
			running += p->running;
		}
		if (finished || timeout == 0 || running == 0 ||
		    (timeout > 0 && now >= until))
			break;
		pf[np].fd = chld.fd[0];
		pf[np++].events = POLLIN;
		for (size_t j = 0; j < n; j++)
			for (unsigned i = 0; i < pools[j]->nslots; i++)
				if (pools[j]->slots[i].used)
					np += slot_fds(&pools[j]->slots[i],
						       pf + np, &wake);
		if (wake < 0)
			ms = -1;
		else
			ms = wake <= now ? 0 : (int)ceil((wake - now) * 1e3);
		if (poll(pf, (nfds_t)np, ms) < 0 && errno != EINTR)
			ms = 0;
		chld_drain();
	}
	return finished;
}

int proc_pool_wait(struct proc_pool *p, double timeout,
		   void (*fn)(void *arg, struct proc_done *d), void *arg)
{
	return pools_wait(&p, 1, p->pf, timeout, fn, arg);
}

int proc_pools_wait(struct proc_pool *const *pools, size_t n, double timeout,
		    void (*fn)(void *arg, struct proc_done *d), void *arg,
		    struct pal_error *err)
{
	size_t slots = 0;
	struct pollfd *pf;
	int r;

	for (size_t j = 0; j < n; j++)
		slots += pools[j]->nslots;
	pf = calloc(3 * slots + 1, sizeof(*pf));
	if (!pf)
		return pal_seterr(err, PAL_ERR_NOMEM, ENOMEM, "out of memory");
	r = pools_wait(pools, n, pf, timeout, fn, arg);
	free(pf);
	return r;
}

void proc_pool_free(struct proc_pool *p)
{
	if (!p)
		return;
	for (unsigned i = 0; i < p->nslots; i++) {
		struct slot *k = &p->slots[i];

		if (!k->used)
			continue;
		proc_kill(&k->ch, SIGKILL);
		proc_wait(&k->ch);
		close_fd(&k->fd_in);
		close_fd(&k->fd_out);
		close_fd(&k->fd_err);
		free(k->in);
		free(k->out);
	}
	free(p->slots);
	free(p->pf);
	free(p);
	chld_release();
}
