/*
 * pal-peakmem: run a command and measure the memory of its whole process
 * tree, for bench/loop.sh.
 *
 *	pal-peakmem [-i ms] [-o file] command [arg ...]
 *
 * Every -i milliseconds (default 10) it walks the tree of the command
 * (the command, its children, theirs, ..., through /proc/PID/task/TID/
 * children, and the orphans of that tree, see below) and sums over the processes found their Rss and Pss from
 * /proc/PID/smaps_rollup; it keeps the largest sums.  Rss counts a page
 * shared by two processes (a library, a copy-on-write page after fork)
 * twice; Pss splits it between them, so the Pss sum is the memory the
 * tree holds at that moment.  A process that lives less than one period
 * may be missed by the samples; the largest single process is also
 * reported from the kernel's count (getrusage RUSAGE_CHILDREN ru_maxrss,
 * what GNU time's %M reports for a command: the largest maximum RSS of
 * one process among the command and the descendants waited for), which
 * misses nothing but is per process, not a sum.  pal-peakmem makes
 * itself a child subreaper, so that descendants whose parent exits stay
 * in the tree and are counted (and reaped).
 *
 * When the command ends it writes, to file (default: standard error),
 *
 *	wall_s S		seconds from start to the command's end
 *	peak_rss_kb K		the largest sampled sum of Rss
 *	peak_pss_kb K		the largest sampled sum of Pss
 *	peak_procs N		the most processes seen in one sample
 *	max_single_rss_kb K	ru_maxrss of RUSAGE_CHILDREN
 *	samples N
 *
 * and exits with the command's exit status (128 + the signal that killed
 * it), 126 when it cannot be run, 127 when it is not found.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "num.h"
#include "banned.h"

#define MAX_PROCS 4096

struct sample {
	uint64_t rss_kb, pss_kb;
	size_t procs;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Add pid's Rss and Pss (smaps_rollup) to *s; a process gone is skipped. */
static void add_mem(pid_t pid, struct sample *s)
{
	char path[64], line[256];
	unsigned long long kb;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	fp = fopen(path, "r");
	if (!fp)
		return;
	while (fgets(line, sizeof(line), fp)) {
		if (sscanf(line, "Rss: %llu kB", &kb) == 1)
			s->rss_kb += kb;
		else if (sscanf(line, "Pss: %llu kB", &kb) == 1)
			s->pss_kb += kb;
	}
	fclose(fp);
	s->procs++;
}

/* Append pid's children (of every thread) to list[*n]. */
static void add_children(pid_t pid, pid_t *list, size_t *n)
{
	char path[64], buf[4096];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t len;
		char *p, *end;
		FILE *fp;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.20s/children",
			 (int)pid, de->d_name);
		fp = fopen(path, "r");
		if (!fp)
			continue;
		len = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
		buf[len] = '\0';
		for (p = buf; *p && *n < MAX_PROCS; p = end) {
			long c = strtol(p, &end, 10);

			if (end == p)
				break;
			list[(*n)++] = (pid_t)c;
		}
	}
	closedir(d);
}

/* One sample of our descendants: the command's tree and the orphans of
 * that tree, which the kernel gives to us, the subreaper. */
static struct sample sample_tree(void)
{
	static pid_t list[MAX_PROCS];
	struct sample s = { 0, 0, 0 };
	size_t n = 0;

	add_children(getpid(), list, &n);
	for (size_t i = 0; i < n; i++) {
		add_mem(list[i], &s);
		add_children(list[i], list, &n);
	}
	return s;
}

/* Reap the orphans that have ended, but not the command (pid). */
static void reap_orphans(pid_t pid)
{
	siginfo_t si;

	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 ||
		    si.si_pid == 0 || si.si_pid == pid)
			return;
		waitpid(si.si_pid, NULL, 0);
	}
}

static _Noreturn void usage(void)
{
	fputs("usage: pal-peakmem [-i ms] [-o file] command [arg ...]\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *errstr, *out = NULL;
	struct sample peak = { 0, 0, 0 };
	struct timespec period;
	struct rusage ru;
	unsigned long samples = 0;
	uint64_t ms = 10;
	double t0, t1;
	int c, status;
	pid_t pid;
	FILE *fp;

	pal_init("pal-peakmem");
	while ((c = getopt(argc, argv, "+i:o:")) != -1) {
		switch (c) {
		case 'i':
			ms = parse_u64(optarg, 1, 10000, &errstr);
			if (errstr)
				usage_die("bad period '%s': %s", optarg, errstr);
			break;
		case 'o':
			out = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	period.tv_sec = (time_t)(ms / 1000);
	period.tv_nsec = (long)(ms % 1000) * 1000000L;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		die_errno("prctl PR_SET_CHILD_SUBREAPER");
	t0 = now();
	pid = fork();
	if (pid < 0)
		die_errno("fork");
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "pal-peakmem: cannot run '%s': %s\n", argv[0],
			strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	for (;;) {
		struct sample s;
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w < 0 && errno != EINTR)
			die_errno("waitpid");
		if (w == pid)
			break;
		s = sample_tree();
		samples++;
		if (s.rss_kb > peak.rss_kb)
			peak.rss_kb = s.rss_kb;
		if (s.pss_kb > peak.pss_kb)
			peak.pss_kb = s.pss_kb;
		if (s.procs > peak.procs)
			peak.procs = s.procs;
		reap_orphans(pid);
		nanosleep(&period, NULL);
	}
	t1 = now();
	/* Descendants left over (reparented to us) are reaped if they are
	 * done; any still running are not waited for. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	if (getrusage(RUSAGE_CHILDREN, &ru) < 0)
		die_errno("getrusage");

	fp = out ? fopen(out, "w") : stderr;
	if (!fp)
		die_errno("cannot open '%s'", out);
	fprintf(fp, "wall_s %.3f\npeak_rss_kb %" PRIu64 "\npeak_pss_kb %"
		PRIu64 "\npeak_procs %zu\nmax_single_rss_kb %ld\nsamples %lu\n",
		t1 - t0, peak.rss_kb, peak.pss_kb, peak.procs, ru.ru_maxrss,
		samples);
	if (fflush(fp) != 0 || ferror(fp) || (out && fclose(fp) != 0))
		die_errno("cannot write '%s'", out ? out : "standard error");
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
