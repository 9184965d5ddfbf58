/*
 * test-proc.c: proc.h's children and pools, and oracle.h's timeouts on the
 * monotonic clock.
 *
 * This file defines clock_gettime() itself, so that every caller linked
 * into it (libcommon.a included) sees a wall clock that the tests can make
 * jump by an hour, as NTP or an administrator can; CLOCK_MONOTONIC is the
 * kernel's.  A deadline on the wall clock would fire at once after a jump
 * forward and an hour late after a jump back.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "oracle.h"
#include "proc.h"
#include "unit.h"

static long wall_jump;			/* seconds added to CLOCK_REALTIME */

int clock_gettime(clockid_t id, struct timespec *ts)
{
	long r = syscall(SYS_clock_gettime, id, ts);

	if (r == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		ts->tv_sec += wall_jump;
	return r == 0 ? 0 : -1;
}

static char *sh_argv[] = { (char *)"/bin/sh", (char *)"-c", NULL, NULL };

static const struct proc_spec *sh(const char *cmd)
{
	static struct proc_spec s;

	sh_argv[2] = (char *)cmd;
	s = (struct proc_spec){ .argv = sh_argv, .fd_in = -1, .fd_out = -1,
				.fd_err = -1 };
	return &s;
}

static void test_clocks(void)
{
	double m0 = pal_clock_mono(), w0 = pal_clock_wall();

	wall_jump = -3600;
	CHECK(pal_clock_wall() < w0 - 3599, "the wall clock can be made to jump "
	      "back (%.0f then %.0f)", w0, pal_clock_wall());
	CHECK(pal_clock_mono() >= m0, "the monotonic clock does not");
	wall_jump = 0;
	CHECK(w0 > 1.7e9 && w0 - (double)time(NULL) < 2, "wall clock is epoch "
	      "seconds (%.0f)", w0);
}

static void test_child(void)
{
	struct proc_child c;
	struct pal_error err;
	char *bad[] = { (char *)"/nonexistent/pal-test", NULL };
	struct proc_spec s = { .argv = bad, .fd_in = -1, .fd_out = -1,
			       .fd_err = -1 };
	int st;

	CHECK(proc_start(&c, sh("exit 3"), &err) == 0, "start sh -c 'exit 3'");
	st = proc_wait(&c);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3, "its status is 3 (%d)", st);
	st = proc_start(&c, &s, &err);
	CHECK(st == -1 && err.errnum == ENOENT, "exec failure is known at "
	      "once (errnum %d)", err.errnum);
	CHECK(!strcmp(err.msg, "cannot exec '/nonexistent/pal-test': No such "
		      "file or directory"), "message: %s", err.msg);
	CHECK(proc_start(&c, sh("sleep 10"), &err) == 0 && proc_poll(&c) == 0,
	      "sleep 10 runs");
	CHECK(getpgid(c.pid) == c.pid, "in a process group of its own");
	proc_kill(&c, SIGTERM);
	st = proc_wait(&c);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "proc_kill ends it "
	      "(%d)", st);
}

struct got {
	struct proc_pool *pool;
	int n;
	char last[64];
	int timed_out;
};

static void on_done(void *arg, struct proc_done *d)
{
	struct got *g = arg;
	size_t n = d->out_len < sizeof(g->last) - 1 ? d->out_len :
		sizeof(g->last) - 1;

	if (n > 0 && d->out[n - 1] == '\n')
		n--;		/* one line of TAP */

	g->n++;
	g->pool = d->pool;
	memcpy(g->last, d->out, n);
	g->last[n] = '\0';
	g->timed_out = d->timed_out;
}

/* Several pools at once, sharing the SIGCHLD pipe; the last one freed
 * puts the old SIGCHLD action back. */
static void test_pools(void)
{
	struct pal_error err;
	struct proc_pool *a = proc_pool_new(2, &err);
	struct proc_pool *b = proc_pool_new(1, &err);
	struct got ga = { 0 }, gb = { 0 };
	struct proc_job j = { 0 };
	struct sigaction sa;
	double t0;

	CHECK(a && b, "two pools");
	j.spec = sh("sleep 0.3; echo a");
	proc_pool_start(a, &j);
	j.spec = sh("echo b");
	proc_pool_start(b, &j);
	CHECK(proc_pool_idle(a) == 1 && proc_pool_running(b) == 1,
	      "slots counted per pool");
	t0 = pal_clock_mono();
	CHECK(proc_pool_wait(b, -1, on_done, &gb) == 1 && !strcmp(gb.last, "b"),
	      "pool b's job ends first (%s)", gb.last);
	CHECK(pal_clock_mono() - t0 < 0.25, "without waiting for pool a's");
	CHECK(proc_pool_wait(a, -1, on_done, &ga) == 1 && !strcmp(ga.last, "a"),
	      "then pool a's (%s)", ga.last);
	proc_pool_free(b);
	j.spec = sh("echo c");
	j.in = NULL;
	proc_pool_start(a, &j);
	t0 = pal_clock_mono();
	CHECK(proc_pool_wait(a, -1, on_done, &ga) == 1 && !strcmp(ga.last, "c"),
	      "pool a still works after pool b is freed (%s)", ga.last);
	CHECK(pal_clock_mono() - t0 < 0.5, "and hears of exits at once "
	      "(%.3f s)", pal_clock_mono() - t0);
	/* Both at once: one wait hears of either pool's job. */
	b = proc_pool_new(1, &err);
	j.spec = sh("sleep 0.4; echo a2");
	proc_pool_start(a, &j);
	j.spec = sh("sleep 0.1; echo b2");
	proc_pool_start(b, &j);
	{
		struct proc_pool *both[] = { a, b };
		struct got g = { 0 };

		t0 = pal_clock_mono();
		CHECK(proc_pools_wait(both, 2, -1, on_done, &g, &err) == 1 &&
		      !strcmp(g.last, "b2") && g.pool == b, "proc_pools_wait: "
		      "b's job first (%s)", g.last);
		CHECK(pal_clock_mono() - t0 < 0.35, "before a's ends");
		CHECK(proc_pools_wait(both, 2, -1, on_done, &g, &err) == 1 &&
		      !strcmp(g.last, "a2") && g.pool == a, "then a's (%s)",
		      g.last);
	}
	proc_pool_free(b);
	proc_pool_free(a);
	sigaction(SIGCHLD, NULL, &sa);
	CHECK(sa.sa_handler == SIG_DFL, "the last pool freed restores SIGCHLD");
}

struct ores {
	int n, status;
	double t_start, t_end;
};

static void on_oracle(void *arg, const struct oracle_done *d)
{
	struct ores *r = arg;

	r->n++;
	r->status = d->status;
	r->t_start = d->t_start;
	r->t_end = d->t_end;
}

/* One call of cmd with timeout, the wall clock jumping by jump seconds
 * once it has started.  Returns the monotonic seconds it took. */
static double oracle_run(const char *cmd, double timeout, long jump,
			 struct ores *r)
{
	struct oracle_opts oo = { .cmd = cmd, .jobs = 1, .timeout = timeout };
	struct pal_error err;
	struct oracle *o = oracle_new(&oo, &err);
	uint64_t id = 7;
	double x = 0.5, t0 = pal_clock_mono();
	struct oracle_call c = { .n = 1, .ids = &id, .x = &x, .d = 1, .k = 1 };

	memset(r, 0, sizeof(*r));
	if (!o)
		return -1;
	oracle_start(o, &c);
	wall_jump = jump;
	while (r->n == 0 && pal_clock_mono() - t0 < 20)
		oracle_wait(o, 1.0, on_oracle, r);
	t0 = pal_clock_mono() - t0;
	wall_jump = 0;
	oracle_free(o);
	return t0;
}

static void test_oracle_timeouts(void)
{
	struct ores r;
	double t;

	t = oracle_run("sleep 5", 0.3, -3600, &r);
	CHECK(r.n == 1 && r.status == ORACLE_TIMEOUT && t >= 0.29 && t < 3,
	      "wall clock back an hour: a 0.3 s timeout still fires after "
	      "%.3f s (status %d)", t, r.status);
	CHECK(r.t_end < r.t_start, "t_start, t_end stay wall-clock times "
	      "(%.0f, %.0f)", r.t_start, r.t_end);
	t = oracle_run("sleep 0.3; echo 1", 5, 3600, &r);
	CHECK(r.n == 1 && r.status == ORACLE_OK && t >= 0.29,
	      "wall clock forward an hour: a 5 s timeout does not fire "
	      "(status %d after %.3f s)", r.status, t);
	t = oracle_run("sleep 5", 0.2, 0, &r);
	CHECK(r.status == ORACLE_TIMEOUT && t >= 0.19 && t < 3,
	      "a steady clock: timeout after %.3f s", t);
}

int main(void)
{
	test_clocks();
	test_child();
	test_pools();
	test_oracle_timeouts();
	return done();
}
