/*
 * pal-orchestrate: run an active-learning campaign in a directory, by
 * composing the stage programs (pal-gen, pal-predict, pal-select,
 * pal-label, pal-cat, pal-train).  Every step is a command a user could run
 * by hand; --dry-run prints them.  See pal-orchestrate(1).
 *
 * What this file holds, in order: the config (a table of keys, a parser
 * for key = value files and --set), the campaign directory (lock, state,
 * appended files), the commands of a generation, running them, the
 * figures of a generation (read from the streams the stages wrote), and
 * the loop.
 *
 * Nothing lost: every stage writes its output with -o, which the programs
 * put in place only once complete, so a stage whose output exists has
 * finished and is not run again; pal-label's journal keeps the rows of an
 * oracle run that was cut.  The files the driver appends to (labeled.pal,
 * metrics.tsv, events.tsv) have their committed sizes in DIR/state, which
 * is written atomically after each append; a run that resumes cuts them
 * back to those sizes first, so an append cut in two is done again whole.
 *
 * Two policies: batch (a generation at a time: select, label, wait,
 * train) and stream (one pal-label fed all the time through a FIFO, models
 * trained in the background; its section says more).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "io.h"
#include "opt.h"
#include "proc.h"
#include "progress.h"
#include "report.h"
#include "stream.h"
#include "banned.h"

static const char usage_text[] =
	"usage: pal-orchestrate [-hV] [--budget n] [--config file] [--dry-run]\n"
	"                       [--policy batch|stream] [--quiet] [--report]\n"
	"                       [--resume] [--seed s] [--set key=value] dir\n";

static const char options_text[] =
	"Options:\n"
	"      --budget=N         stop at N labels (the config's budget)\n"
	"      --config=FILE      read the campaign's config from FILE\n"
	"      --dry-run          print the commands of the next generation and exit\n"
	"  -h, --help             print this help and exit\n"
	"      --policy=POLICY    batch (label, wait, train) or stream\n"
	"      --quiet            print nothing but errors\n"
	"      --report           write DIR/report.html and exit\n"
	"      --resume           continue the campaign in DIR\n"
	"      --seed=S           the campaign's seed (the config's seed)\n"
	"      --set=KEY=VALUE    set a config key, over the file's value\n"
	"  -V, --version          print the version and exit\n";

static _Noreturn void usage(int status)
{
	if (status == 0) {
		if (fputs(usage_text, stdout) == EOF ||
		    fputs("\n", stdout) == EOF ||
		    fputs(options_text, stdout) == EOF)
			die_errno("cannot write the help (stdout)");
		xfclose(stdout, "stdout");
		exit(0);
	}
	fputs(usage_text, stderr);
	exit(status);
}

/* ---- the config ------------------------------------------------------ */

enum ktype { K_U64, K_NUM, K_STR, K_ENUM, K_BOOL, K_DUR };

/*
 * A config key.  Keys of a stage (label.*, train.*) that name one of the
 * stage program's options (opt) are passed to it as --opt value, or as
 * --opt alone for a boolean that is yes; the rest drive the campaign.
 * stop: the key may change when a campaign is resumed, for it says when
 * to stop, or (label.retry_failed) whether failed oracle calls of the
 * journal run again, or only where and on how many processes a stage runs
 * whose results do not depend on it (*.launcher, label.np, predict.np: a
 * node lost, the campaign goes on with the others); every other key must
 * stay as it was.
 */
struct key {
	const char *name;
	enum ktype type;
	const char *def;		/* default value, "" for none */
	const char *arg;		/* K_U64: "min:max"; K_ENUM: "a|b|c" */
	const char *opt;		/* the stage option, or NULL */
	int stop;
};

static const struct key keys[] = {
	/* The campaign. */
	{ "policy", K_ENUM, "batch", "batch|stream", NULL, 0 },
	{ "baseline", K_BOOL, "no", NULL, NULL, 1 },
	{ "budget", K_U64, "100", "1:1000000000", NULL, 1 },
	{ "initial", K_U64, "20", "1:1000000000", NULL, 0 },
	{ "batch", K_U64, "10", "1:1000000000", NULL, 0 },
	/* stream: train a model after every `retrain` new labels (0: the
	 * batch size); `batch` is the length of the queue (at least twice
	 * the oracle slots). */
	{ "retrain", K_U64, "0", "0:1000000000", NULL, 0 },
	{ "candidates", K_U64, "1000", "1:1000000000", NULL, 0 },
	{ "seed", K_U64, "1", "0:1000000000000", NULL, 0 },
	{ "bounds", K_STR, "", NULL, NULL, 0 },
	{ "dim", K_U64, "0", "0:16777216", NULL, 0 },
	{ "iterations", K_U64, "0", "0:1000000000", NULL, 1 },
	{ "wall_time", K_DUR, "0", NULL, NULL, 1 },
	{ "target_val_rmse", K_NUM, "0", NULL, NULL, 1 },
	{ "target_mean_std", K_NUM, "0", NULL, NULL, 1 },
	/* DP-GEN's convergence: the fraction of candidates whose std is
	 * below trust_lo reaches target_converged. */
	{ "trust_lo", K_NUM, "0", NULL, NULL, 0 },
	{ "target_converged", K_NUM, "0", NULL, NULL, 1 },
	/* The designs: the initial one, and the candidates of each round. */
	{ "design.method", K_ENUM, "lhs",
	  "uniform|normal|sobol|halton|lhs", NULL, 0 },
	{ "gen.method", K_ENUM, "uniform",
	  "uniform|normal|sobol|halton|lhs", NULL, 0 },
	/* Walkers: the candidates are the steps of overdamped Langevin
	 * walkers on the last model's forces (pal-predict --grad, pal-gen
	 * --walk), gen.steps steps of `candidates` walkers a generation. */
	{ "gen.walk", K_ENUM, "none", "none|langevin", NULL, 0 },
	{ "gen.steps", K_U64, "10", "1:100000", NULL, 0 },
	{ "gen.dt", K_NUM, "", NULL, "dt", 0 },
	{ "gen.temperature", K_NUM, "", NULL, "temperature", 0 },
	{ "gen.friction", K_NUM, "", NULL, "friction", 0 },
	/* A program in place of a stage's (any but pal-cat): it takes the
	 * arguments the pal program would, and writes -o only when done. */
	{ "gen.program", K_STR, "", NULL, NULL, 0 },
	{ "predict.program", K_STR, "", NULL, NULL, 0 },
	{ "select.program", K_STR, "", NULL, NULL, 0 },
	{ "label.program", K_STR, "", NULL, NULL, 0 },
	{ "train.program", K_STR, "", NULL, NULL, 0 },
	/* pal-predict. */
	{ "predict.np", K_U64, "1", "1:4096", NULL, 1 },
	{ "predict.launcher", K_STR, "mpirun -n {np}", NULL, NULL, 1 },
	/* pal-select. */
	{ "select.by", K_STR, "std", NULL, "by", 0 },
	{ "select.diverse", K_BOOL, "no", NULL, "diverse", 0 },
	{ "select.min_dist", K_NUM, "", NULL, "min-dist", 0 },
	/* DP-GEN's trust band: candidates whose std is below trust_lo are
	 * certain, above trust_hi unphysical; neither is labeled. */
	{ "select.trust_lo", K_NUM, "", NULL, "trust-lo", 0 },
	{ "select.trust_hi", K_NUM, "", NULL, "trust-hi", 0 },
	/* pal-label. */
	{ "label.np", K_U64, "1", "1:4096", NULL, 1 },
	{ "label.launcher", K_STR, "mpirun -n {np}", NULL, NULL, 1 },
	{ "label.builtin", K_STR, "", NULL, "builtin", 0 },
	{ "label.exec", K_STR, "", NULL, "exec", 0 },
	{ "label.grad", K_BOOL, "no", NULL, "grad", 0 },
	{ "label.jobs", K_U64, "", "1:4096", "jobs", 0 },
	{ "label.chunk", K_U64, "", "1:1000000", "chunk", 0 },
	{ "label.delay", K_STR, "", NULL, "delay", 0 },
	{ "label.noise", K_NUM, "", NULL, "noise", 0 },
	{ "label.timeout", K_DUR, "", NULL, "timeout", 0 },
	{ "label.retries", K_U64, "", "0:1000", "retries", 0 },
	{ "label.on_fail", K_ENUM, "", "keep|skip|abort", "on-fail", 0 },
	{ "label.retry_failed", K_BOOL, "no", NULL, "retry-failed", 1 },
	{ "label.workdir", K_STR, "", NULL, NULL, 0 },
	{ "label.keep_workdir", K_BOOL, "no", NULL, "keep-workdir", 0 },
	/* pal-train. */
	{ "train.np", K_U64, "1", "1:4096", NULL, 0 },
	{ "train.launcher", K_STR, "mpirun -n {np}", NULL, NULL, 1 },
	{ "train.model", K_ENUM, "", "mlp|gp", "model", 0 },
	{ "train.members", K_U64, "", "1:1000000", "members", 0 },
	{ "train.epochs", K_U64, "", "1:1000000000", "epochs", 0 },
	{ "train.layers", K_STR, "", NULL, "layers", 0 },
	{ "train.activation", K_ENUM, "", "tanh|relu|silu", "activation", 0 },
	{ "train.optimizer", K_STR, "", NULL, "optimizer", 0 },
	{ "train.lr", K_NUM, "", NULL, "lr", 0 },
	{ "train.batch", K_U64, "", "1:1000000000", "batch", 0 },
	{ "train.val_frac", K_NUM, "0.2", NULL, "val-frac", 0 },
	{ "train.patience", K_U64, "", "1:1000000000", "patience", 0 },
	{ "train.precision", K_ENUM, "", "f32|f64", "precision", 0 },
	{ "train.weight_decay", K_NUM, "", NULL, "weight-decay", 0 },
	{ "train.bootstrap", K_BOOL, "no", NULL, "bootstrap", 0 },
	{ "train.grad_weight", K_NUM, "", NULL, "grad-weight", 0 },
	{ "train.kernel", K_ENUM, "", "rbf|matern52", "kernel", 0 },
	{ "train.restarts", K_U64, "", "0:1000", "restarts", 0 },
	{ "train.parallel", K_ENUM, "", "members|data|downpour|easgd",
	  "parallel", 0 },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

struct config {
	char *val[NKEYS];		/* malloc'd; "" when not set */
	int set[NKEYS];			/* given in a file or by --set */
};

static int key_find(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* A config error: a usage error (exit 2), without usage_die's hint to
 * run --help, which says nothing about config files. */
static _Noreturn void config_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static _Noreturn void config_die(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	warnx("%s", msg);
	pal_cleanup_run();
	exit(PAL_EXIT_USAGE);
}

/* Why value is bad for key k, or NULL if it is good. */
static const char *key_check(const struct key *k, const char *v,
			     char *why, size_t cap)
{
	char *end;

	if (*v == '\0')
		return NULL;		/* unset: the stage's default */
	switch (k->type) {
	case K_U64: {
		unsigned long long lo, hi, x;

		if (sscanf(k->arg, "%llu:%llu", &lo, &hi) != 2)
			return "internal";
		errno = 0;
		if (!isdigit((unsigned char)*v))
			return "not a whole number";
		x = strtoull(v, &end, 10);
		if (*end || errno)
			return "not a whole number";
		if (x < lo || x > hi) {
			snprintf(why, cap, "not in %llu..%llu", lo, hi);
			return why;
		}
		return NULL;
	}
	case K_NUM: {
		double x;

		errno = 0;
		x = strtod(v, &end);
		if (*end || errno || !isfinite(x))
			return "not a finite number";
		if (x < 0)
			return "negative";
		return NULL;
	}
	case K_DUR: {
		double x;

		errno = 0;
		x = strtod(v, &end);
		if (end == v || errno || !isfinite(x) || x < 0)
			return "not a duration (seconds, or 250ms, 2m, 1h)";
		if (*end && strcmp(end, "s") && strcmp(end, "ms") &&
		    strcmp(end, "m") && strcmp(end, "h"))
			return "not a duration (seconds, or 250ms, 2m, 1h)";
		return NULL;
	}
	case K_ENUM: {
		size_t n = strlen(v);
		const char *p = k->arg;

		while (p) {
			if (strncmp(p, v, n) == 0 && (p[n] == '|' || !p[n]))
				return NULL;
			p = strchr(p, '|');
			if (p)
				p++;
		}
		snprintf(why, cap, "not one of %s", k->arg);
		return why;
	}
	case K_BOOL:
		if (strcmp(v, "yes") && strcmp(v, "no"))
			return "not yes or no";
		return NULL;
	case K_STR:
		if (strchr(v, '\n'))
			return "holds a newline";
		return NULL;
	}
	return NULL;
}

/*
 * Set name = value in c, from where (a "file:line" or "--set").  A bad key
 * or value is a usage error naming where.  dup: refuse a key set before
 * (within one file).
 */
static void config_set(struct config *c, const char *name, const char *value,
		       const char *where, int dup)
{
	char why[128];
	const char *bad;
	int i = key_find(name);

	if (i < 0)
		config_die("unknown key '%s' (%s)", name, where);
	bad = key_check(&keys[i], value, why, sizeof(why));
	if (bad)
		config_die("bad value '%s' for %s: %s (%s)", value, name, bad,
			  where);
	if (dup && c->set[i] == 2)
		config_die("%s set twice (%s)", name, where);
	free(c->val[i]);
	c->val[i] = xstrdup(value);
	c->set[i] = dup ? 2 : 1;
}

static void config_free(struct config *c)
{
	for (size_t i = 0; i < NKEYS; i++) {
		free(c->val[i]);
		c->val[i] = NULL;
	}
}

static void config_init(struct config *c)
{
	for (size_t i = 0; i < NKEYS; i++) {
		c->val[i] = xstrdup(keys[i].def);
		c->set[i] = 0;
	}
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/*
 * Read a config file: key = value lines, # comments (a # at the start of
 * a line or after a blank), [section] lines that prefix the keys after
 * them with "section.".
 */
static void config_read(struct config *c, const char *path)
{
	FILE *fp = fopen(path, "r");
	char line[4096], section[64] = "", where[PATH_MAX + 32];
	unsigned lineno = 0;

	if (!fp)
		die_errno("cannot open the config '%s'", path);
	for (size_t i = 0; i < NKEYS; i++)
		if (c->set[i] == 2)
			c->set[i] = 1;
	while (fgets(line, sizeof(line), fp)) {
		char *s, *eq, *hash, name[192];

		lineno++;
		snprintf(where, sizeof(where), "%s:%u", path, lineno);
		if (!strchr(line, '\n') && !feof(fp))
			config_die("line too long (%s)", where);
		for (hash = line; (hash = strchr(hash, '#')); hash++)
			if (hash == line || isspace((unsigned char)hash[-1])) {
				*hash = '\0';
				break;
			}
		s = trim(line);
		if (!*s)
			continue;
		if (*s == '[') {
			char *e = strchr(s, ']');
			char *n;

			if (!e || e[1])
				config_die("bad section line '%s' (%s)", s,
					  where);
			*e = '\0';
			n = trim(s + 1);
			if (!*n || strlen(n) >= sizeof(section) ||
			    strchr(n, '.'))
				config_die("bad section name '%s' (%s)", n,
					  where);
			snprintf(section, sizeof(section), "%s", n);
			continue;
		}
		eq = strchr(s, '=');
		if (!eq)
			config_die("not a key = value line: '%s' (%s)", s,
				  where);
		*eq = '\0';
		s = trim(s);
		if (!*s)
			config_die("no key before '=' (%s)", where);
		if (*section && strchr(s, '.'))
			config_die("dotted key '%s' in section [%s] (%s)", s,
				  section, where);
		snprintf(name, sizeof(name), "%s%s%s", section,
			 *section ? "." : "", s);
		config_set(c, name, trim(eq + 1), where, 1);
	}
	if (ferror(fp))
		die_errno("cannot read the config '%s'", path);
	fclose(fp);
}

static const char *cv(const struct config *c, const char *name)
{
	int i = key_find(name);

	if (i < 0)
		die("internal: no key %s", name);
	return c->val[i];
}

static uint64_t cu(const struct config *c, const char *name)
{
	return strtoull(cv(c, name), NULL, 10);
}

static double cd(const struct config *c, const char *name)
{
	const char *v = cv(c, name);
	char *end;
	double x = strtod(v, &end);

	if (strcmp(end, "ms") == 0)
		x /= 1000;
	else if (strcmp(end, "m") == 0)
		x *= 60;
	else if (strcmp(end, "h") == 0)
		x *= 3600;
	return x;
}

/* The config as DIR/config holds it: every key, in the table's order. */
static char *config_text(const struct config *c, int with_stop)
{
	size_t cap = 4096, len = 0;
	char *s = xmalloc(cap);

	len += (size_t)snprintf(s, cap, "# pal-orchestrate campaign config, "
				"as used (every key)\n");
	for (size_t i = 0; i < NKEYS; i++) {
		size_t need = strlen(keys[i].name) + strlen(c->val[i]) + 8;

		if (!with_stop && keys[i].stop)
			continue;
		if (len + need >= cap) {
			cap = 2 * (len + need);
			s = xrealloc(s, cap);
		}
		len += (size_t)snprintf(s + len, cap - len, "%s = %s\n",
					keys[i].name, c->val[i]);
	}
	return s;
}

/* Cross-checks of the whole config, after every file and --set. */
static void config_finish(const struct config *c)
{
	if (strcmp(cv(c, "policy"), "stream") == 0 &&
	    strcmp(cv(c, "gen.walk"), "none") != 0)
		config_die("gen.walk is for the batch policy: walkers move "
			   "a generation at a time");
	if (cd(c, "target_converged") > 1)
		config_die("target_converged is a fraction, at most 1");
	if (cd(c, "target_converged") > 0 && cd(c, "trust_lo") == 0)
		config_die("target_converged needs trust_lo");
	if (strcmp(cv(c, "gen.walk"), "none") && !*cv(c, "gen.dt"))
		config_die("gen.walk needs gen.dt");
	if (!*cv(c, "bounds") && cu(c, "dim") == 0)
		config_die("the config needs bounds or dim");
	if (!!*cv(c, "label.builtin") == !!*cv(c, "label.exec"))
		config_die("the config needs one of label.builtin and "
			  "label.exec");
	for (size_t i = 0; i < NKEYS; i++) {
		if (strstr(keys[i].name, ".launcher") && !*c->val[i])
			config_die("%s is empty", keys[i].name);
		if (strstr(keys[i].name, ".program") && *c->val[i] != '/' &&
		    strchr(c->val[i], '/'))
			config_die("%s: '%s' is neither an absolute path nor "
				   "a name to find on PATH", keys[i].name,
				   c->val[i]);
	}
}

/* ---- string vectors -------------------------------------------------- */

struct sv {
	char **v;
	int n, cap;
};

static void sv_push(struct sv *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? 2 * a->cap : 16;
		a->v = xrealloc(a->v, (size_t)a->cap * sizeof(*a->v));
	}
	a->v[a->n++] = xstrdup(s);
	a->v[a->n] = NULL;
}

static void sv_pushf(struct sv *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void sv_pushf(struct sv *a, const char *fmt, ...)
{
	char buf[PATH_MAX + 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sv_push(a, buf);
}

static void sv_free(struct sv *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/* ---- finding programs ------------------------------------------------ */

static char self_dir[PATH_MAX];

/* path of prog: beside pal-orchestrate first, then on PATH; or NULL. */
static char *find_prog(const char *prog)
{
	char buf[PATH_MAX * 2];
	const char *path = getenv("PATH");

	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0 ? xstrdup(prog) : NULL;
	if (*self_dir && strncmp(prog, "pal-", 4) == 0) {
		snprintf(buf, sizeof(buf), "%s/%s", self_dir, prog);
		if (access(buf, X_OK) == 0)
			return xstrdup(buf);
	}
	while (path && *path) {
		const char *e = strchr(path, ':');
		size_t n = e ? (size_t)(e - path) : strlen(path);

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)(n ? n : 1),
			 n ? path : ".", prog);
		if (access(buf, X_OK) == 0)
			return xstrdup(buf);
		path = e ? e + 1 : NULL;
	}
	return NULL;
}

static void find_self(void)
{
	ssize_t n = readlink("/proc/self/exe", self_dir, sizeof(self_dir) - 1);
	char *slash;

	if (n <= 0) {
		self_dir[0] = '\0';
		return;
	}
	self_dir[n] = '\0';
	slash = strrchr(self_dir, '/');
	if (slash)
		*slash = '\0';
}

/* ---- the campaign ---------------------------------------------------- */

/* DIR/state, key=value lines. */
struct state {
	uint64_t generation;		/* the generation being made */
	int64_t appended;		/* last generation appended, -1: none */
	uint64_t labels;		/* rows in labeled.pal */
	uint64_t added;			/* rows the last generation added */
	uint64_t labeled_bytes, metrics_bytes, events_bytes;
	double t_start;			/* epoch seconds the campaign began */
	double val_rmse, mean_std;	/* of the last generation made */
	double converged;		/* its fraction below trust_lo */
	double label_s, train_s;	/* of the generation being made */
	uint64_t round;			/* stream: the last round begun */
	uint64_t trained;		/* stream: labels of the last model */
	char stop[64];			/* why it stopped, "" if running */
};

struct campaign {
	const char *dir;		/* absolute */
	struct config cfg;
	struct state st;
	int lock_fd;
	int quiet;
	int warned_mpirun;
	uint64_t step;			/* the walkers' step being made */
	struct progress prog;
	char note[256];
	double prosp;			/* the last prospective RMSE */
};

static char *pathf(const struct campaign *C, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static char *pathf(const struct campaign *C, const char *fmt, ...)
{
	char rel[PATH_MAX], *s;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	s = xmalloc(strlen(C->dir) + strlen(rel) + 2);
	memcpy(s, C->dir, strlen(C->dir));
	s[strlen(C->dir)] = '/';
	memcpy(s + strlen(C->dir) + 1, rel, strlen(rel) + 1);
	return s;
}

static int exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

static void fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) != 0)
		die_errno("cannot sync the directory '%s'", dir);
	close(fd);
}

/*
 * For tests of --resume: PAL_TEST_KILL_AT=n makes the driver kill itself
 * by SIGKILL at its n-th commit point (an append written but not yet
 * counted in the state, a temporary written but not yet renamed), where a
 * crash is hardest to survive.
 */
static void test_point(void)
{
	static long at = -1, n;

	if (at < 0) {
		const char *s = getenv("PAL_TEST_KILL_AT");

		at = s ? strtol(s, NULL, 10) : 0;
	}
	if (at > 0 && ++n == at)
		raise(SIGKILL);
}

/* Write text to path atomically: path.tmp, fsync, rename, fsync dir. */
static void write_atomic_bytes(const struct campaign *C, const char *name,
			       const void *buf, size_t len)
{
	char *path = pathf(C, "%s", name), *tmp = pathf(C, "%s.tmp", name);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		die_errno("cannot create '%s'", tmp);
	if ((len && write(fd, buf, len) != (ssize_t)len) || fsync(fd) != 0 ||
	    close(fd) != 0)
		die_errno("cannot write '%s'", tmp);
	test_point();
	if (rename(tmp, path) != 0)
		die_errno("cannot rename '%s' to '%s'", tmp, path);
	fsync_dir(C->dir);
	free(path);
	free(tmp);
}

static void write_atomic(const struct campaign *C, const char *name,
			 const char *text)
{
	write_atomic_bytes(C, name, text, strlen(text));
}

static void state_write(struct campaign *C)
{
	const struct state *s = &C->st;
	char buf[2048];

	snprintf(buf, sizeof(buf),
		 "format=pal-campaign 1\n"
		 "generation=%llu\nappended=%lld\nlabels=%llu\nadded=%llu\n"
		 "labeled_bytes=%llu\nmetrics_bytes=%llu\nevents_bytes=%llu\n"
		 "t_start=%.6f\nval_rmse=%.17g\nmean_std=%.17g\n"
		 "converged=%.17g\n"
		 "label_s=%.6f\ntrain_s=%.6f\nround=%llu\ntrained=%llu\n"
		 "stop=%s\n",
		 (unsigned long long)s->generation, (long long)s->appended,
		 (unsigned long long)s->labels, (unsigned long long)s->added,
		 (unsigned long long)s->labeled_bytes,
		 (unsigned long long)s->metrics_bytes,
		 (unsigned long long)s->events_bytes, s->t_start, s->val_rmse,
		 s->mean_std, s->converged, s->label_s, s->train_s,
		 (unsigned long long)s->round, (unsigned long long)s->trained,
		 s->stop);
	write_atomic(C, "state", buf);
}

static void state_read(struct campaign *C)
{
	char *path = pathf(C, "state"), line[512];
	FILE *fp = fopen(path, "r");
	struct state *s = &C->st;
	unsigned lineno = 0, seen = 0;

	if (!fp)
		die_errno("cannot open the campaign's state '%s'", path);
	memset(s, 0, sizeof(*s));
	while (fgets(line, sizeof(line), fp)) {
		char *eq = strchr(line, '='), *v;

		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (!eq)
			die("bad state line (%s:%u)", path, lineno);
		*eq = '\0';
		v = eq + 1;
		seen++;
		if (!strcmp(line, "format")) {
			if (strcmp(v, "pal-campaign 1"))
				die("not a campaign state: format '%s' "
				    "(%s:%u)", v, path, lineno);
		} else if (!strcmp(line, "generation"))
			s->generation = strtoull(v, NULL, 10);
		else if (!strcmp(line, "appended"))
			s->appended = strtoll(v, NULL, 10);
		else if (!strcmp(line, "labels"))
			s->labels = strtoull(v, NULL, 10);
		else if (!strcmp(line, "added"))
			s->added = strtoull(v, NULL, 10);
		else if (!strcmp(line, "labeled_bytes"))
			s->labeled_bytes = strtoull(v, NULL, 10);
		else if (!strcmp(line, "metrics_bytes"))
			s->metrics_bytes = strtoull(v, NULL, 10);
		else if (!strcmp(line, "events_bytes"))
			s->events_bytes = strtoull(v, NULL, 10);
		else if (!strcmp(line, "t_start"))
			s->t_start = strtod(v, NULL);
		else if (!strcmp(line, "val_rmse"))
			s->val_rmse = strtod(v, NULL);
		else if (!strcmp(line, "mean_std"))
			s->mean_std = strtod(v, NULL);
		else if (!strcmp(line, "converged"))
			s->converged = strtod(v, NULL);
		else if (!strcmp(line, "label_s"))
			s->label_s = strtod(v, NULL);
		else if (!strcmp(line, "train_s"))
			s->train_s = strtod(v, NULL);
		else if (!strcmp(line, "round"))
			s->round = strtoull(v, NULL, 10);
		else if (!strcmp(line, "trained"))
			s->trained = strtoull(v, NULL, 10);
		else if (!strcmp(line, "stop"))
			snprintf(s->stop, sizeof(s->stop), "%s", v);
		else
			die("unknown state key '%s' (%s:%u)", line, path,
			    lineno);
	}
	if (ferror(fp))
		die_errno("cannot read '%s'", path);
	fclose(fp);
	/* round and trained came with the stream policy: a state without
	 * them is of a batch campaign made before. */
	if (seen != 17 && seen != 15)
		die("incomplete campaign state (%s)", path);
	free(path);
}

/*
 * Lock DIR: flock(2) on DIR/lock, held until we exit (kill -9 included:
 * the kernel drops it).  The descriptor is close-on-exec, so no stage
 * holds it after we are gone.
 */
static void lock_dir(struct campaign *C)
{
	char *path = pathf(C, "lock"), buf[32];
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		die_errno("cannot open the lock '%s'", path);
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK)
			die_errno("cannot lock '%s'", path);
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		die("campaign is running (%s: locked by pid %s)", C->dir,
		    *buf ? buf : "unknown");
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		die_errno("cannot write the lock '%s'", path);
	C->lock_fd = fd;
	free(path);
}

/*
 * Kill stages that a driver killed by SIGKILL left behind: processes
 * running a pal-* program with an argument inside DIR.  The kernel kills
 * a stage's first process with us (PR_SET_PDEATHSIG), but not what that
 * process started (an mpirun's ranks).  We hold the lock, so no live
 * driver owns them.
 */
static void kill_orphans(const struct campaign *C)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	size_t dl = strlen(C->dir);

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[64], buf[8192], exe[PATH_MAX], *base;
		pid_t pid = (pid_t)strtol(e->d_name, NULL, 10);
		ssize_t n;
		int fd, hit = 0;

		if (pid <= 0 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
		n = readlink(path, exe, sizeof(exe) - 1);
		if (n <= 0)
			continue;
		exe[n] = '\0';
		base = strrchr(exe, '/');
		base = base ? base + 1 : exe;
		if (strncmp(base, "pal-", 4) != 0 ||
		    strcmp(base, "pal-orchestrate") == 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		for (ssize_t i = 0; n > 0 && i < n; i += (ssize_t)strlen(
			     buf + i) + 1) {
			buf[n] = '\0';
			if (strncmp(buf + i, C->dir, dl) == 0 &&
			    buf[i + (ssize_t)dl] == '/')
				hit = 1;
		}
		if (hit) {
			warnx("killing pid %d (%s), a stage left running "
			      "in %s", (int)pid, base, C->dir);
			kill(pid, SIGKILL);
			/* Gone before we go on: it may hold a journal. */
			for (int i = 0; i < 200 && kill(pid, 0) == 0; i++) {
				snprintf(path, sizeof(path), "/proc/%d/exe",
					 (int)pid);
				if (readlink(path, exe, sizeof(exe)) <= 0)
					break;
				usleep(10000);
			}
		}
	}
	closedir(d);
}

/* Cut path back to size (what the state says is committed). */
static void cut_back(const struct campaign *C, const char *name,
		     uint64_t size)
{
	char *path = pathf(C, "%s", name);
	struct stat sb;

	if (stat(path, &sb) != 0)
		die_errno("cannot stat '%s'", path);
	if ((uint64_t)sb.st_size < size)
		die("'%s' is shorter than the state says: %llu bytes, not "
		    "%llu", path, (unsigned long long)sb.st_size,
		    (unsigned long long)size);
	if ((uint64_t)sb.st_size > size && truncate(path, (off_t)size) != 0)
		die_errno("cannot truncate '%s'", path);
	free(path);
}

/* Append len bytes to DIR/name at offset *size, fsync, and move *size. */
static void append_file(struct campaign *C, const char *name,
			const void *buf, size_t len, uint64_t *size)
{
	char *path = pathf(C, "%s", name);
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		die_errno("cannot open '%s'", path);
	if (ftruncate(fd, (off_t)*size) != 0 ||
	    pwrite(fd, buf, len, (off_t)*size) != (ssize_t)len)
		die_errno("cannot append to '%s'", path);
	test_point();
	if (fdatasync(fd) != 0 || close(fd) != 0)
		die_errno("cannot append to '%s'", path);
	*size += len;
	free(path);
}

static void append_text(struct campaign *C, const char *name,
			const char *text, uint64_t *size)
{
	append_file(C, name, text, strlen(text), size);
}

/* ---- the commands of a generation ------------------------------------ */

enum stage { S_GEN, S_PREDICT, S_SELECT, S_LABEL, S_APPEND, S_TRAIN,
	     S_WSTART, S_WPRED, S_WSTEP };
static const char *const stage_name[] = {
	"gen", "predict", "select", "label", "append", "train",
	"walk-start", "walk-predict", "walk",
};

static int walking(const struct campaign *C, uint64_t g);

/* The launcher's words for np processes, or none for a direct run. */
static void launcher(struct campaign *C, struct sv *a, const char *st,
		     uint64_t np, int resolve)
{
	char key[64], *t, *w, *save = NULL;
	int first = 1;

	if (np <= 1)
		return;
	snprintf(key, sizeof(key), "%s.launcher", st);
	t = xstrdup(cv(&C->cfg, key));
	for (w = strtok_r(t, " \t", &save); w; w = strtok_r(NULL, " \t",
							     &save)) {
		char buf[512], *p = strstr(w, "{np}");

		if (p)
			snprintf(buf, sizeof(buf), "%.*s%llu%s", (int)(p - w),
				 w, (unsigned long long)np, p + 4);
		else
			snprintf(buf, sizeof(buf), "%s", w);
		if (first) {
			char *path = resolve ? find_prog(buf) : NULL;

			first = 0;
			if (resolve && !path) {
				if (strcmp(buf, "mpirun") != 0)
					die("launcher '%s' not found (%s)",
					    buf, key);
				if (!C->warned_mpirun)
					warnx("mpirun not found: running "
					      "the stages directly, one "
					      "process each");
				C->warned_mpirun = 1;
				break;
			}
			sv_push(a, path ? path : buf);
			free(path);
			if (strcmp(buf, "mpirun") == 0 &&
			    np > (uint64_t)sysconf(_SC_NPROCESSORS_ONLN) &&
			    !strstr(cv(&C->cfg, key), "--oversubscribe"))
				sv_push(a, "--oversubscribe");
			continue;
		}
		sv_push(a, buf);
	}
	free(t);
}

/*
 * The program of a stage: pal-NAME, or the user's program in its place
 * (STAGE.program), which takes the same arguments.
 */
static void prog(const struct campaign *C, struct sv *a, const char *name,
		 int resolve)
{
	static const char *const stages[] = { "gen", "predict", "select",
					      "label", "train" };
	const char *user = NULL;
	char key[64], *p;

	for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++)
		if (strcmp(name + 4, stages[i]) == 0) {
			snprintf(key, sizeof(key), "%s.program", stages[i]);
			if (*cv(&C->cfg, key))
				user = cv(&C->cfg, key);
		}
	p = resolve ? find_prog(user ? user : name) : NULL;
	if (resolve && !p) {
		if (user)
			die("program '%s' not found or not executable (%s)",
			    user, key);
		die("program '%s' not found (beside pal-orchestrate or on "
		    "PATH)", name);
	}
	sv_push(a, p ? p : user ? user : name);
	free(p);
}

/* The stage's own options from its section's keys (those with opt). */
static void stage_opts(const struct campaign *C, struct sv *a,
		       const char *st)
{
	size_t n = strlen(st);

	for (size_t i = 0; i < NKEYS; i++) {
		const char *v = C->cfg.val[i];

		if (!keys[i].opt || strncmp(keys[i].name, st, n) ||
		    keys[i].name[n] != '.' || !*v)
			continue;
		/* A GP keeps no validation rows: its val_rmse is not
		 * made. */
		if (strcmp(keys[i].name, "train.val_frac") == 0 &&
		    strcmp(cv(&C->cfg, "train.model"), "gp") == 0)
			continue;
		if (keys[i].type == K_BOOL) {
			if (strcmp(v, "yes") == 0)
				sv_pushf(a, "--%s", keys[i].opt);
			continue;
		}
		sv_pushf(a, "--%s", keys[i].opt);
		sv_push(a, v);
	}
}

static void design_box(const struct campaign *C, struct sv *a)
{
	if (*cv(&C->cfg, "bounds")) {
		sv_push(a, "--bounds");
		sv_push(a, cv(&C->cfg, "bounds"));
	}
	if (cu(&C->cfg, "dim")) {
		sv_push(a, "--dim");
		sv_push(a, cv(&C->cfg, "dim"));
	}
}

static int walking(const struct campaign *C, uint64_t g)
{
	return g > 0 && strcmp(cv(&C->cfg, "gen.walk"), "none") != 0;
}

/* The first id of step k of generation g's walkers: a block of
 * candidates x (steps + 1) ids a generation, after the initial design. */
static uint64_t walk_id(const struct campaign *C, uint64_t g, uint64_t k)
{
	uint64_t n = cu(&C->cfg, "candidates");

	return cu(&C->cfg, "initial") + (g - 1) * n *
		(cu(&C->cfg, "gen.steps") + 1) + k * n;
}

/* Rows to label in generation g (> 0), given the labels so far. */
static uint64_t batch_size(const struct campaign *C, uint64_t labels)
{
	uint64_t budget = cu(&C->cfg, "budget"), b = cu(&C->cfg, "batch");

	return labels >= budget ? 0 : budget - labels < b ? budget - labels :
		b;
}

/* Rows the oracles run at once: ranks x calls x rows a call (a chunk). */
static uint64_t oracle_slots(const struct campaign *C)
{
	const struct config *c = &C->cfg;

	return cu(c, "label.np") * (*cv(c, "label.jobs") ?
				    cu(c, "label.jobs") : 1) *
		(*cv(c, "label.chunk") ? cu(c, "label.chunk") : 1);
}

static uint64_t initial_size(const struct campaign *C)
{
	uint64_t n = cu(&C->cfg, "initial"), budget = cu(&C->cfg, "budget");

	return n < budget ? n : budget;
}

/* pal-gen: n rows of method in the box, from id start. */
static void gen_cmd(struct campaign *C, struct sv *a, const char *method,
		    uint64_t n, uint64_t seed, uint64_t start, int resolve)
{
	prog(C, a, "pal-gen", resolve);
	sv_push(a, "--quiet");
	sv_push(a, "--method");
	sv_push(a, method);
	sv_push(a, "--n");
	sv_pushf(a, "%llu", (unsigned long long)n);
	design_box(C, a);
	sv_push(a, "--seed");
	sv_pushf(a, "%llu", (unsigned long long)seed);
	sv_push(a, "--start-id");
	sv_pushf(a, "%llu", (unsigned long long)start);
}

/* pal-predict with model g (and its gradient), its launcher first. */
static void predict_head(struct campaign *C, struct sv *a, uint64_t g,
			 int grad, int resolve)
{
	launcher(C, a, "predict", cu(&C->cfg, "predict.np"), resolve);
	prog(C, a, "pal-predict", resolve);
	sv_push(a, "--quiet");
	if (grad)
		sv_push(a, "--grad");
	sv_push(a, "--model");
	sv_pushf(a, "%s/models/gen-%04llu.pal", C->dir, (unsigned long long)g);
}

/* pal-label with its launcher, the label keys and the scratch dirs. */
static void label_head(struct campaign *C, struct sv *a, int resolve)
{
	const char *w = cv(&C->cfg, "label.workdir");

	launcher(C, a, "label", cu(&C->cfg, "label.np"), resolve);
	prog(C, a, "pal-label", resolve);
	sv_push(a, "--quiet");
	stage_opts(C, a, "label");
	if (*w) {
		/* Scratch directories: a relative path is in DIR. */
		sv_push(a, "--workdir");
		if (*w == '/')
			sv_push(a, w);
		else
			sv_pushf(a, "%s/%s", C->dir, w);
	}
}

/* pal-train of model g with its launcher and the train keys, warm-started
 * from model g - 1 (a GP is fitted afresh: it has no weights to start
 * from). */
static void train_head(struct campaign *C, struct sv *a, uint64_t g,
		       int resolve)
{
	const struct config *c = &C->cfg;

	launcher(C, a, "train", cu(c, "train.np"), resolve);
	prog(C, a, "pal-train", resolve);
	sv_push(a, "--quiet");
	stage_opts(C, a, "train");
	sv_push(a, "--seed");
	sv_push(a, cv(c, "seed"));
	if (g > 0 && strcmp(cv(c, "train.model"), "gp") != 0) {
		sv_push(a, "--init");
		sv_pushf(a, "%s/models/gen-%04llu.pal", C->dir,
			 (unsigned long long)(g - 1));
	}
}

/*
 * The command of stage st in generation g into a; its output file into
 * *out (malloc'd), NULL for none.  resolve: full paths of programs (to
 * run them); else their names.
 */
static void stage_cmd(struct campaign *C, enum stage st, uint64_t g,
		      int resolve, struct sv *a, char **out)
{
	const struct config *c = &C->cfg;
	uint64_t seed = cu(c, "seed");
	char gd[32];

	snprintf(gd, sizeof(gd), "gen-%04llu", (unsigned long long)g);
	*out = NULL;
	switch (st) {
	case S_GEN:
		if (walking(C, g)) {
			/* The candidates: every step of the walkers. */
			prog(C, a, "pal-cat", resolve);
			sv_push(a, "--quiet");
			for (uint64_t k = 1; k <= cu(c, "gen.steps"); k++)
				sv_pushf(a, "%s/%s/walk-%03llu.pal", C->dir,
					 gd, (unsigned long long)k);
			*out = pathf(C, "%s/candidates.pal", gd);
			break;
		}
		/* Ids from initial, not initial_size(): the budget may
		 * change on --resume, the ids must not. */
		gen_cmd(C, a, cv(c, g ? "gen.method" : "design.method"),
			g ? cu(c, "candidates") : initial_size(C), seed + g,
			g == 0 ? 0 : cu(c, "initial") + (g - 1) *
			cu(c, "candidates"), resolve);
		*out = pathf(C, "%s/candidates.pal", gd);
		break;
	case S_WSTART:
		if (g > 1) {
			/* Where the walkers of the last generation ended. */
			prog(C, a, "pal-cat", resolve);
			sv_push(a, "--quiet");
			sv_pushf(a, "%s/gen-%04llu/walk-%03llu.pal", C->dir,
				 (unsigned long long)(g - 1),
				 (unsigned long long)cu(c, "gen.steps"));
		} else {
			gen_cmd(C, a, cv(c, "gen.method"),
				cu(c, "candidates"), seed + g,
				walk_id(C, g, 0), resolve);
		}
		*out = pathf(C, "%s/walk-000.pal", gd);
		break;
	case S_WPRED:
		predict_head(C, a, g - 1, 1, resolve);
		sv_push(a, "-i");
		sv_pushf(a, "%s/%s/walk-%03llu.pal", C->dir, gd,
			 (unsigned long long)C->step);
		*out = pathf(C, "%s/walk-%03llu-pred.pal", gd,
			     (unsigned long long)C->step);
		break;
	case S_WSTEP:
		prog(C, a, "pal-gen", resolve);
		sv_push(a, "--quiet");
		sv_push(a, "--walk");
		sv_push(a, cv(c, "gen.walk"));
		stage_opts(C, a, "gen");
		sv_push(a, "--bounds");
		sv_push(a, *cv(c, "bounds") ? cv(c, "bounds") : "0:1");
		sv_push(a, "--seed");
		sv_pushf(a, "%llu", (unsigned long long)(seed + 100003 * g +
			 C->step));
		sv_push(a, "--start-id");
		sv_pushf(a, "%llu", (unsigned long long)walk_id(C, g, C->step));
		sv_push(a, "-i");
		sv_pushf(a, "%s/%s/walk-%03llu-pred.pal", C->dir, gd,
			 (unsigned long long)(C->step - 1));
		*out = pathf(C, "%s/walk-%03llu.pal", gd,
			     (unsigned long long)C->step);
		break;
	case S_PREDICT:
		predict_head(C, a, g - 1, 0, resolve);
		sv_push(a, "-i");
		sv_pushf(a, "%s/%s/candidates.pal", C->dir, gd);
		*out = pathf(C, "%s/predicted.pal", gd);
		break;
	case S_SELECT:
		prog(C, a, "pal-select", resolve);
		sv_push(a, "--quiet");
		sv_push(a, "--top");
		sv_pushf(a, "%llu", (unsigned long long)batch_size(
			 C, C->st.labels));
		stage_opts(C, a, "select");
		sv_push(a, "--seed");
		sv_pushf(a, "%llu", (unsigned long long)seed);
		sv_push(a, "--exclude");
		sv_pushf(a, "%s/labeled.pal", C->dir);
		sv_push(a, "-i");
		sv_pushf(a, "%s/%s/predicted.pal", C->dir, gd);
		*out = pathf(C, "%s/selected.pal", gd);
		break;
	case S_LABEL:
		label_head(C, a, resolve);
		sv_push(a, "--ordered");
		sv_push(a, "--seed");
		sv_pushf(a, "%llu", (unsigned long long)(seed + g));
		sv_push(a, "--journal");
		sv_pushf(a, "%s/%s/label.journal", C->dir, gd);
		sv_push(a, "-i");
		sv_pushf(a, "%s/%s/%s.pal", C->dir, gd,
			 g ? "selected" : "candidates");
		*out = pathf(C, "%s/labeled.pal", gd);
		break;
	case S_APPEND:
		prog(C, a, "pal-cat", resolve);
		sv_push(a, "--quiet");
		/* Frames of a fixed row count: pal-label's frames fall
		 * otherwise when rows come from its journal. */
		sv_push(a, "--rows");
		sv_push(a, "4096");
		sv_push(a, "--columns");
		sv_push(a, strcmp(cv(c, "label.grad"), "yes") == 0 ?
			"id,x,y,grad,status" : "id,x,y,status");
		sv_pushf(a, "%s/%s/labeled.pal", C->dir, gd);
		*out = pathf(C, "%s/append.pal", gd);
		break;
	case S_TRAIN:
		train_head(C, a, g, resolve);
		sv_push(a, "-i");
		sv_pushf(a, "%s/labeled.pal", C->dir);
		*out = pathf(C, "models/gen-%04llu.pal",
			     (unsigned long long)g);
		break;
	}
	if (*out) {
		sv_push(a, "-o");
		sv_push(a, *out);
	}
}

/* Print a word for sh: as it is when it is safe, else in '...'. */
static void print_word(FILE *fp, const char *w)
{
	if (*w && strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
			 "VWXYZ0123456789-_./:=,+@%") == strlen(w)) {
		fputs(w, fp);
		return;
	}
	fputc('\'', fp);
	for (; *w; w++)
		if (*w == '\'')
			fputs("'\\''", fp);
		else
			fputc(*w, fp);
	fputc('\'', fp);
}

/* ---- running a stage ------------------------------------------------- */

/*
 * Print the end of a log to stderr: its last 10 lines, after its first 3
 * when it has more than 13 (the first error of an MPI job, the one that
 * names a lost node or a rank that died, is often at the top, under the
 * launcher's own messages).
 */
static void print_tail(const char *path)
{
	char head[1024], buf[2048];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t end;
	ssize_t n, h;
	char *p, *q;
	int lines = 0, hl = 0;

	if (fd < 0)
		return;
	end = lseek(fd, 0, SEEK_END);
	n = pread(fd, buf, sizeof(buf) - 1, end > (off_t)sizeof(buf) - 1 ?
		  end - (off_t)sizeof(buf) + 1 : 0);
	h = pread(fd, head, sizeof(head) - 1, 0);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	p = buf + n;
	if (p > buf && p[-1] == '\n')
		p--;
	while (p > buf && lines < 10)
		if (*--p == '\n')
			lines++;
	if (*p == '\n')
		p++;
	/* The first 3 lines, when they are not among the last 10. */
	if (h > 0 && end > (off_t)(p - buf) + (end - n)) {
		head[h] = '\0';
		for (q = head; *q && hl < 3; q++)
			if (*q == '\n')
				hl++;
		if (hl == 3 && (off_t)(q - head) < end - n + (p - buf)) {
			fwrite(head, 1, (size_t)(q - head), stderr);
			fputs("...\n", stderr);
		}
	}
	fprintf(stderr, "%s%s", p, buf[n - 1] == '\n' ? "" : "\n");
}

static struct campaign *cur;		/* for events and the progress */

static void event(struct campaign *C, double t0, double t1, const char *st,
		  int rank, uint64_t rows, uint64_t first_id, double queue,
		  double compute, char *buf, size_t cap, size_t *len)
{
	*len += (size_t)snprintf(buf + *len, cap - *len,
				 "%.6f\t%.6f\t%s\t%d\t%llu\t%llu\t%.6f\t%.6f\n",
				 t0, t1, st, rank, (unsigned long long)rows,
				 (unsigned long long)first_id, queue,
				 compute);
	(void)C;
}

/*
 * Run argv with its stdout and stderr to log, stdin /dev/null, in a
 * process group of its own that dies with us.  A failure stops the
 * campaign with the end of the log: "NAME failed (WHERE: how; log)".
 * Returns when it ran and ended, in *t0 and *t1.
 */
static void run_cmd(struct campaign *C, char *const *argv, const char *log,
		    const char *name, const char *where, double *t0,
		    double *t1)
{
	struct proc_child child;
	struct proc_spec spec;
	struct pal_error err;
	int fd, devnull, ws;

	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die_errno("cannot create the log '%s'", log);
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0)
		die_errno("cannot open /dev/null");
	memset(&spec, 0, sizeof(spec));
	spec.argv = argv;
	spec.fd_in = devnull;
	spec.fd_out = fd;
	spec.fd_err = fd;
	*t0 = pal_clock_wall();
	if (proc_start(&child, &spec, &err) != 0)
		die("%s: %s", name, err.msg);
	close(fd);
	close(devnull);
	ws = proc_wait(&child);
	*t1 = pal_clock_wall();
	if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
		char how[64];

		if (WIFSIGNALED(ws))
			snprintf(how, sizeof(how), "killed by signal %d",
				 WTERMSIG(ws));
		else
			snprintf(how, sizeof(how), "exit status %d",
				 WEXITSTATUS(ws));
		progress_end(&C->prog);
		warnx("%s failed (%s: %s; %s); the campaign stops, resumable "
		      "with --resume; the end of its log:", name, where, how,
		      log);
		print_tail(log);
		exit(PAL_EXIT_DATA);
	}
}

/*
 * Run stage st of generation g, unless its output is there (it finished
 * before a crash).  Its stderr (and stdout) go to DIR/logs/st-gNNNN.err.
 * Returns the seconds it ran (0 when skipped).
 */
static double run_stage(struct campaign *C, enum stage st, uint64_t g)
{
	struct sv a = { 0 };
	char *out, *log, ev[512], where[64];
	size_t evlen = 0;
	double t0, t1;

	stage_cmd(C, st, g, 1, &a, &out);
	if (out && exists(out)) {
		sv_free(&a);
		free(out);
		return 0;
	}
	snprintf(C->note, sizeof(C->note), "generation %llu: %s; val_rmse "
		 "%.4g, prosp_rmse %.4g, mean_std %.4g", (unsigned long long)g,
		 stage_name[st], C->st.val_rmse, C->prosp, C->st.mean_std);
	progress_show(&C->prog);
	if (st == S_WPRED || st == S_WSTEP) {
		log = pathf(C, "logs/%s-g%04llu-s%03llu.err", stage_name[st],
			    (unsigned long long)g, (unsigned long long)C->step);
		snprintf(where, sizeof(where), "generation %llu, step %llu",
			 (unsigned long long)g, (unsigned long long)C->step);
	} else {
		log = pathf(C, "logs/%s-g%04llu.err", stage_name[st],
			    (unsigned long long)g);
		snprintf(where, sizeof(where), "generation %llu",
			 (unsigned long long)g);
	}
	run_cmd(C, a.v, log, stage_name[st], where, &t0, &t1);
	if (st != S_LABEL) {
		event(C, t0, t1, stage_name[st], -1, 0, 0, 0, t1 - t0, ev,
		      sizeof(ev), &evlen);
		append_text(C, "events.tsv", ev, &C->st.events_bytes);
	}
	sv_free(&a);
	free(out);
	free(log);
	return t1 - t0;
}

/*
 * The baseline: the same campaign with random selection, in DIR/baseline,
 * run by pal-orchestrate itself (made, or resumed, with the stopping keys
 * of this campaign), for the report's baseline curve.
 */
static void baseline_cmd(struct campaign *C, struct sv *a, int resolve)
{
	char *dir = pathf(C, "baseline"), *cfg = pathf(C, "config");
	char *self = NULL;

	if (resolve && *self_dir) {
		self = xmalloc(strlen(self_dir) + 32);
		memcpy(self, self_dir, strlen(self_dir));
		memcpy(self + strlen(self_dir), "/pal-orchestrate",
		       sizeof("/pal-orchestrate"));
	}
	sv_push(a, self ? self : "pal-orchestrate");
	sv_push(a, "--quiet");
	sv_push(a, "--config");
	sv_push(a, cfg);
	sv_push(a, "--set");
	sv_push(a, "select.by=random");
	sv_push(a, "--set");
	sv_push(a, "baseline=no");
	{
		char *st = pathf(C, "baseline/config");

		if (exists(st))
			sv_push(a, "--resume");
		free(st);
	}
	sv_push(a, dir);
	free(self);
	free(dir);
	free(cfg);
}

static void run_baseline(struct campaign *C)
{
	struct sv a = { 0 };
	char *log = pathf(C, "logs/baseline.err");
	double t0, t1;

	snprintf(C->note, sizeof(C->note), "the baseline (random selection)");
	progress_show(&C->prog);
	baseline_cmd(C, &a, 1);
	run_cmd(C, a.v, log, "the baseline campaign", "random selection in "
		"baseline/", &t0, &t1);
	sv_free(&a);
	free(log);
}

/* ---- reading what the stages wrote ----------------------------------- */

typedef void (*frame_fn)(void *arg, const struct pal_frame *f);

static void read_stream(const char *path, frame_fn fn, void *arg)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct pal_reader *r;
	const struct pal_frame *f;
	int rc;

	if (fd < 0)
		die_errno("cannot open '%s'", path);
	r = pal_reader_fd(fd, path);
	if (!r)
		die("out of memory");
	while ((rc = pal_read(r, &f)) == 1)
		fn(arg, f);
	if (rc < 0)
		die("%s", pal_reader_error(r)->msg);
	pal_reader_free(r);
	close(fd);
}

struct figures {
	double sum, n;			/* mean std */
	double lo, lo_rows, trust_lo;	/* rows with every std below trust_lo */
	double se, az, w2, nz, ne;	/* prospective */
	double busy, t0, t1;		/* label rows */
	uint64_t rows, first_id;
	char *ev;			/* event lines of label rows */
	size_t evlen, evcap;
	double stage_t0;
	double val;			/* val_rmse of a model */
};

static void fig_pred(void *arg, const struct pal_frame *f)
{
	struct figures *F = arg;
	const struct pal_col *s = pal_col_find(f, "std");

	if (f->kind != PAL_DATA || !s)
		return;
	for (uint64_t r = 0; r < f->nrows; r++) {
		double top = 0;

		for (uint32_t k = 0; k < s->width; k++) {
			double v = pal_col_value(s, r * s->width + k);

			if (isfinite(v)) {
				F->sum += v;
				F->n++;
			}
			if (!(v <= top))
				top = v;	/* the largest, or NaN */
		}
		F->lo += top < F->trust_lo;
		F->lo_rows++;
	}
}

static void fig_label(void *arg, const struct pal_frame *f)
{
	struct figures *F = arg;
	const struct pal_col *y = pal_col_find(f, "y"),
		*m = pal_col_find(f, "mean"), *s = pal_col_find(f, "std"),
		*st = pal_col_find(f, "status"), *t0 = pal_col_find(f, "t_start"),
		*t1 = pal_col_find(f, "t_end"), *rk = pal_col_find(f, "rank"),
		*id = pal_col_find(f, "id");

	if (f->kind != PAL_DATA || !y || !id)
		return;
	for (uint64_t r = 0; r < f->nrows; r++) {
		uint64_t rid = (uint64_t)pal_col_value(id, r);

		if (F->rows++ == 0)
			F->first_id = rid;
		if (t0 && t1) {
			double a = pal_col_value(t0, r), b = pal_col_value(t1, r);

			if (F->evlen + 256 > F->evcap) {
				F->evcap = 2 * F->evcap + 4096;
				F->ev = xrealloc(F->ev, F->evcap);
			}
			event(cur, a, b, "label", rk ? (int)pal_col_value(rk, r)
			      : 0, 1, rid, F->stage_t0 > 0 && a > F->stage_t0 ?
			      a - F->stage_t0 : 0, b - a, F->ev, F->evcap,
			      &F->evlen);
			F->busy += b - a;
			if (F->t0 == 0 || a < F->t0)
				F->t0 = a;
			if (b > F->t1)
				F->t1 = b;
		}
		if (!m || !s || (st && pal_col_value(st, r) != 0) ||
		    m->width != y->width || s->width != y->width)
			continue;
		for (uint32_t k = 0; k < y->width; k++) {
			uint64_t i = r * y->width + k;
			double e = pal_col_value(y, i) - pal_col_value(m, i);
			double sd = pal_col_value(s, i);

			if (!isfinite(e))
				continue;
			F->se += e * e;
			F->ne++;
			if (sd > 0) {
				F->az += fabs(e / sd);
				F->w2 += fabs(e / sd) <= 2;
				F->nz++;
			}
		}
	}
}

static void fig_model(void *arg, const struct pal_frame *f)
{
	struct figures *F = arg;

	if (f->kind != PAL_META)
		return;
	for (uint32_t i = 0; i < f->nkv; i++)
		if (strcmp(f->kv[i].key, "val_rmse") == 0)
			F->val = strtod(f->kv[i].value, NULL);
}

static void fig_count(void *arg, const struct pal_frame *f)
{
	struct figures *F = arg;

	if (f->kind == PAL_DATA)
		F->rows += f->nrows;
}

/* ---- the loop -------------------------------------------------------- */

static const char metrics_header[] =
	"generation\tlabels\twall_s\ttrain_s\tlabel_s\tval_rmse\tmean_std\t"
	"prosp_rmse\tprosp_mean_abs_z\tprosp_within2\tbusy_label\t"
	"converged\n";
static const char events_header[] =
	"t_start\tt_end\tstage\trank\trows\tfirst_id\tqueue_s\tcompute_s\n";

static void fmt_num(char *buf, size_t cap, double x)
{
	if (isnan(x))
		snprintf(buf, cap, "nan");
	else
		snprintf(buf, cap, "%.6g", x);
}

/*
 * The stops of both policies, from the state: the budget, the iterations
 * (models made), the last model's figures, the wall time; or NULL.
 */
static const char *limit_reason(const struct campaign *C)
{
	const struct config *c = &C->cfg;
	const struct state *s = &C->st;
	double t;

	if (s->labels >= cu(c, "budget"))
		return "budget";
	if (cu(c, "iterations") && s->generation > cu(c, "iterations"))
		return "iterations";
	t = cd(c, "target_val_rmse");
	if (t > 0 && s->val_rmse <= t)
		return "target_val_rmse";
	t = cd(c, "target_mean_std");
	if (t > 0 && s->mean_std <= t)
		return "target_mean_std";
	t = cd(c, "target_converged");
	if (t > 0 && s->converged >= t)
		return "converged";
	t = cd(c, "wall_time");
	if (t > 0 && pal_clock_wall() - s->t_start >= t)
		return "wall_time";
	return NULL;
}

/* Why the batch campaign stops now, or NULL to go on. */
static const char *stop_reason(const struct campaign *C)
{
	const struct state *s = &C->st;

	/* Never before generation 0, nor in a generation half made (its
	 * labels in, its model or metrics not yet: killed there). */
	if (s->generation == 0 || s->appended >= (int64_t)s->generation)
		return NULL;
	if (s->labels < cu(&C->cfg, "budget") && s->generation > 1 &&
	    s->added == 0)
		return "nothing_selected";
	return limit_reason(C);
}

static void generation(struct campaign *C)
{
	uint64_t g = C->st.generation;
	struct figures P = { 0 }, L = { 0 }, M = { 0 };
	char gd[PATH_MAX], line[1024], v[8][32];
	char *path;
	double t, label_t0;

	snprintf(gd, sizeof(gd), "%s/gen-%04llu", C->dir,
		 (unsigned long long)g);
	if (mkdir(gd, 0755) != 0 && errno != EEXIST)
		die_errno("cannot create '%s'", gd);
	if (walking(C, g)) {
		run_stage(C, S_WSTART, g);
		for (C->step = 1; C->step <= cu(&C->cfg, "gen.steps");
		     C->step++) {
			C->step--;
			run_stage(C, S_WPRED, g);
			C->step++;
			run_stage(C, S_WSTEP, g);
		}
	}
	run_stage(C, S_GEN, g);
	if (g > 0) {
		run_stage(C, S_PREDICT, g);
		run_stage(C, S_SELECT, g);
	}
	label_t0 = pal_clock_wall();
	t = run_stage(C, S_LABEL, g);
	if (t > 0) {
		C->st.label_s = t;
		state_write(C);
	}
	L.stage_t0 = t > 0 ? label_t0 : 0;
	cur = C;
	path = pathf(C, "gen-%04llu/labeled.pal", (unsigned long long)g);
	read_stream(path, fig_label, &L);
	free(path);
	if (C->st.appended < (int64_t)g) {
		struct figures A = { 0 };
		char *buf;
		size_t len = 0, cap = 1 << 16;
		ssize_t n;
		int fd;

		/* The label rows' events, then the rows, then the state. */
		if (L.evlen)
			append_file(C, "events.tsv", L.ev, L.evlen,
				    &C->st.events_bytes);
		run_stage(C, S_APPEND, g);
		path = pathf(C, "gen-%04llu/append.pal",
			     (unsigned long long)g);
		read_stream(path, fig_count, &A);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die_errno("cannot open '%s'", path);
		buf = xmalloc(cap);
		while ((n = read(fd, buf + len, cap - len)) > 0) {
			len += (size_t)n;
			if (len == cap)
				buf = xrealloc(buf, cap *= 2);
		}
		if (n < 0)
			die_errno("cannot read '%s'", path);
		close(fd);
		append_file(C, "labeled.pal", buf, len,
			    &C->st.labeled_bytes);
		free(buf);
		free(path);
		C->st.labels += A.rows;
		C->st.added = A.rows;
		C->st.appended = (int64_t)g;
		state_write(C);
	}
	t = run_stage(C, S_TRAIN, g);
	if (t > 0) {
		C->st.train_s = t;
		state_write(C);
	}
	/* The figures of the generation. */
	M.val = NAN;
	path = pathf(C, "models/gen-%04llu.pal", (unsigned long long)g);
	read_stream(path, fig_model, &M);
	free(path);
	P.trust_lo = cd(&C->cfg, "trust_lo");
	if (g > 0) {
		path = pathf(C, "gen-%04llu/predicted.pal",
			     (unsigned long long)g);
		read_stream(path, fig_pred, &P);
		free(path);
	}
	C->st.val_rmse = M.val;
	C->st.mean_std = P.n ? P.sum / P.n : NAN;
	C->st.converged = P.lo_rows && P.trust_lo > 0 ? P.lo / P.lo_rows :
		NAN;
	fmt_num(v[0], 32, pal_clock_wall() - C->st.t_start);
	fmt_num(v[1], 32, C->st.train_s);
	fmt_num(v[2], 32, C->st.label_s > 0 ? C->st.label_s :
		L.t1 > L.t0 ? L.t1 - L.t0 : NAN);
	fmt_num(v[3], 32, M.val);
	fmt_num(v[4], 32, C->st.mean_std);
	C->prosp = L.ne ? sqrt(L.se / L.ne) : NAN;
	fmt_num(v[5], 32, C->prosp);
	fmt_num(v[6], 32, L.nz ? L.az / L.nz : NAN);
	fmt_num(v[7], 32, L.nz ? L.w2 / L.nz : NAN);
	{
		double span = C->st.label_s > 0 ? C->st.label_s :
			L.t1 - L.t0;
		double slots = (double)oracle_slots(C);
		char busy[32], conv[32];

		fmt_num(busy, 32, span > 0 ? L.busy / (span * slots) : NAN);
		fmt_num(conv, 32, C->st.converged);
		snprintf(line, sizeof(line),
			 "%llu\t%llu\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s"
			 "\t%s\n", (unsigned long long)g,
			 (unsigned long long)C->st.labels, v[0], v[1], v[2],
			 v[3], v[4], v[5], v[6], v[7], busy, conv);
	}
	append_text(C, "metrics.tsv", line, &C->st.metrics_bytes);
	free(L.ev);
	if (!C->quiet) {
		progress_end(&C->prog);
		fprintf(stderr, "pal-orchestrate: generation %llu: %llu of "
			"%llu labels, val_rmse %s, mean_std %s, prosp_rmse "
			"%s\n", (unsigned long long)g,
			(unsigned long long)C->st.labels,
			(unsigned long long)cu(&C->cfg, "budget"), v[3], v[4],
			v[5]);
		progress_start(&C->prog, PROGRESS_AUTO, "labels", -1);
		C->prog.done = C->prog.done0 = C->st.labels;
		C->prog.total = cu(&C->cfg, "budget");
		C->prog.note = C->note;
	}
	C->prog.done = C->st.labels;
	C->st.generation = g + 1;
	C->st.label_s = C->st.train_s = 0;
	state_write(C);
}

/* ---- the stream policy ----------------------------------------------- */

/*
 * The stream policy.  Generation 0 is made as in batch (the initial
 * design, labeled, and model 0); then one pal-label runs for the rest of
 * the campaign, reading rows from DIR/stream/queue.fifo and writing them
 * labeled, as they finish, to DIR/stream/labeled.fifo.  The driver holds
 * the queue (rows selected by the last round) and keeps the FIFO just full
 * enough: at most two rows per oracle slot handed out and not back.  Each
 * row is appended to DIR/stream/sent.pal (and forced to the disk) before
 * it is written to the FIFO; each labeled row is appended to labeled.pal as
 * it arrives.  After every `retrain` new labels a model is trained in the
 * background on a copy of labeled.pal as it was (DIR/stream/train-NNNN.pal),
 * warm-started from the last one; when it is ready, a round re-scores the
 * queue: fresh candidates and the rows of the queue not yet handed out are
 * predicted with the new model and selected again, and the rows that are
 * not selected any more are dropped (PAL's dynamic oracle list).  A round
 * also runs, with the model at hand, when the queue runs low.
 *
 * Resuming: labeled.pal is cut back to the state; the rows of sent.pal that
 * are not in it are handed out first, exactly as they were, so that
 * pal-label takes those its journal holds (DIR/stream/label.journal) and
 * runs only the rows that were in flight.
 */

/* Rows with an id, an x, and the mean and std that chose them. */
struct srows {
	uint64_t n, cap;
	uint32_t d, k;			/* widths of x and of mean, std */
	uint64_t *id;
	double *x, *mean, *sd, *t;	/* t: when handed out, 0: unknown */
};

static void srows_grow(struct srows *s, uint64_t n)
{
	if (n <= s->cap)
		return;
	s->cap = n > 2 * s->cap ? n : 2 * s->cap;
	s->id = xrealloc(s->id, s->cap * sizeof(*s->id));
	s->x = xrealloc(s->x, s->cap * (s->d ? s->d : 1) * sizeof(double));
	s->mean = xrealloc(s->mean, s->cap * (s->k ? s->k : 1) *
			   sizeof(double));
	s->sd = xrealloc(s->sd, s->cap * (s->k ? s->k : 1) * sizeof(double));
	s->t = xrealloc(s->t, s->cap * sizeof(double));
}

static void srows_free(struct srows *s)
{
	free(s->id);
	free(s->x);
	free(s->mean);
	free(s->sd);
	free(s->t);
	memset(s, 0, sizeof(*s));
}

/* Append row i of src to dst (same widths). */
static void srows_copy(struct srows *dst, const struct srows *src,
		       uint64_t i)
{
	uint64_t j = dst->n;

	srows_grow(dst, j + 1);
	dst->id[j] = src->id[i];
	memcpy(dst->x + j * dst->d, src->x + i * src->d,
	       dst->d * sizeof(double));
	memcpy(dst->mean + j * dst->k, src->mean + i * src->k,
	       dst->k * sizeof(double));
	memcpy(dst->sd + j * dst->k, src->sd + i * src->k,
	       dst->k * sizeof(double));
	dst->t[j] = src->t[i];
	dst->n++;
}

/* Read the rows of a stream's data frames (id, x; mean and std if there)
 * into s, whose widths the first frame sets. */
static void srows_frame(struct srows *s, const struct pal_frame *f,
			const char *path)
{
	const struct pal_col *id = pal_col_find(f, "id"),
		*x = pal_col_find(f, "x"), *m = pal_col_find(f, "mean"),
		*sd = pal_col_find(f, "std");

	if (f->kind != PAL_DATA)
		return;
	if (!id || !x)
		die("no id or x column (%s)", path);
	if (!s->d) {
		s->d = x->width;
		s->k = m && sd && m->width == sd->width ? m->width : 0;
	}
	if (x->width != s->d)
		die("x of width %u, not %u (%s)", x->width, s->d, path);
	srows_grow(s, s->n + f->nrows);
	for (uint64_t r = 0; r < f->nrows; r++) {
		uint64_t j = s->n++;

		s->id[j] = (uint64_t)pal_col_value(id, r);
		for (uint32_t c = 0; c < s->d; c++)
			s->x[j * s->d + c] = pal_col_value(x, r * s->d + c);
		for (uint32_t c = 0; c < s->k; c++) {
			s->mean[j * s->k + c] = pal_col_value(m, r * s->k + c);
			s->sd[j * s->k + c] = pal_col_value(sd, r * s->k + c);
		}
		s->t[j] = 0;
	}
}

static void srows_frame_fn(void *arg, const struct pal_frame *f)
{
	struct srows *s = arg;

	srows_frame(s, f, "a stream");
}

/* Rows [from, to) of s as one complete pal stream (id, x, and mean and
 * std when with_pred), malloc'd, in *len bytes. */
static void *srows_stream(const struct srows *s, uint64_t from, uint64_t to,
			  int with_pred, size_t *len)
{
	struct pal_col cols[4];
	struct pal_frame f;
	struct pal_writer *w = pal_writer_mem("rows", 0);
	void *buf;

	if (!w)
		die("out of memory");
	memset(cols, 0, sizeof(cols));
	memset(&f, 0, sizeof(f));
	snprintf(cols[0].name, sizeof(cols[0].name), "id");
	cols[0].dtype = PAL_U64;
	cols[0].width = 1;
	cols[0].data = s->id + from;
	snprintf(cols[1].name, sizeof(cols[1].name), "x");
	cols[1].dtype = PAL_F64;
	cols[1].width = s->d;
	cols[1].data = s->x + from * s->d;
	f.ncols = 2;
	if (with_pred && s->k) {
		snprintf(cols[2].name, sizeof(cols[2].name), "mean");
		cols[2].dtype = PAL_F64;
		cols[2].width = s->k;
		cols[2].data = s->mean + from * s->k;
		snprintf(cols[3].name, sizeof(cols[3].name), "std");
		cols[3].dtype = PAL_F64;
		cols[3].width = s->k;
		cols[3].data = s->sd + from * s->k;
		f.ncols = 4;
	}
	f.kind = PAL_DATA;
	f.nrows = to - from;
	f.cols = cols;
	if ((to > from && pal_write(w, &f) < 0) || pal_writer_finish(w) < 0)
		die("%s", pal_writer_error(w)->msg);
	buf = pal_writer_mem_take(w, len);
	pal_writer_free(w);
	return buf;
}

/* A set of ids: open addressing, for the rows handed out. */
struct idset {
	uint64_t *key;			/* id + 1; 0: empty */
	uint64_t *val;
	uint64_t n, cap;
};

static uint64_t id_hash(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static int64_t idset_get(const struct idset *h, uint64_t id)
{
	if (!h->cap)
		return -1;
	for (uint64_t i = id_hash(id) & (h->cap - 1);; i = (i + 1) &
	     (h->cap - 1)) {
		if (h->key[i] == 0)
			return -1;
		if (h->key[i] == id + 1)
			return (int64_t)h->val[i];
	}
}

static void idset_put(struct idset *h, uint64_t id, uint64_t val)
{
	if (2 * (h->n + 1) > h->cap) {
		struct idset g = { 0 };

		g.cap = h->cap ? 2 * h->cap : 1024;
		g.key = xcalloc(g.cap, sizeof(*g.key));
		g.val = xcalloc(g.cap, sizeof(*g.val));
		for (uint64_t i = 0; i < h->cap; i++)
			if (h->key[i])
				idset_put(&g, h->key[i] - 1, h->val[i]);
		free(h->key);
		free(h->val);
		*h = g;
	}
	for (uint64_t i = id_hash(id) & (h->cap - 1);; i = (i + 1) &
	     (h->cap - 1)) {
		if (h->key[i] == id + 1) {
			h->val[i] = val;
			return;
		}
		if (h->key[i] == 0) {
			h->key[i] = id + 1;
			h->val[i] = val;
			h->n++;
			return;
		}
	}
}

static void idset_free(struct idset *h)
{
	free(h->key);
	free(h->val);
	memset(h, 0, sizeof(*h));
}

/* A stage running in the background. */
struct job {
	struct proc_child c;
	int on;				/* running */
	enum stage st;
	char *log;
	char name[64], where[64];
	double t0;
};

/* The round's steps, in order. */
enum rstep { R_GEN, R_CAT, R_PREDICT, R_SELECT, R_DONE };
static const char *const rstep_name[] = { "gen", "cat", "predict",
					  "select" };

struct stream {
	struct srows queue;		/* the last round's selection */
	uint64_t qhead;			/* rows before it are handed out */
	struct srows sent;		/* every row handed out */
	struct idset sent_ix;		/* id -> index in sent */
	struct idset labeled;		/* ids in labeled.pal */
	uint64_t back;			/* rows of sent labeled */
	int in_fd, out_fd;		/* the FIFOs */
	struct pal_writer *in_w;
	struct pal_reader *out_r;
	int in_ending, in_closed, out_eof;	/* the end frame written, the
						 * FIFO closed, the end read */
	struct job label, round, train;
	uint64_t round_no;		/* the round running or last run */
	int rstep;
	uint64_t round_model;		/* the model the round uses */
	uint64_t model_latest;		/* the last model made */
	int round_empty;		/* the last round selected nothing */
	const char *stopping;		/* why, once the stream winds down */
	uint64_t slots;			/* oracle calls at once */
	uint64_t train_labels;		/* labels of the training running */
	/* Figures, between models. */
	struct figures pros, pros_train; /* prospective: arrived, in training */
	double busy, win_t0;		/* oracle busy seconds since win_t0 */
	double fig_sum, fig_n, fig_lo, fig_lo_rows;	/* the last round */
	double t_begin;			/* when this run's stream began */
	uint64_t back_here;		/* rows back since */
	double round_s;			/* how long the last round took */
	double round_t0;
};

static void job_start(struct job *j, struct sv *a, const char *log,
		      const char *name, const char *where)
{
	struct proc_spec spec;
	struct pal_error err;
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die_errno("cannot create the log '%s'", log);
	if (devnull < 0)
		die_errno("cannot open /dev/null");
	memset(&spec, 0, sizeof(spec));
	spec.argv = a->v;
	spec.fd_in = devnull;
	spec.fd_out = fd;
	spec.fd_err = fd;
	j->t0 = pal_clock_wall();
	if (proc_start(&j->c, &spec, &err) != 0)
		die("%s: %s", name, err.msg);
	close(fd);
	close(devnull);
	j->on = 1;
	free(j->log);
	j->log = xstrdup(log);
	snprintf(j->name, sizeof(j->name), "%s", name);
	snprintf(j->where, sizeof(j->where), "%s", where);
}

/* Whether j has ended; a failure stops the campaign, as run_cmd's. */
static int job_done(struct campaign *C, struct job *j)
{
	int ws;

	if (!j->on || !proc_poll(&j->c))
		return 0;
	j->on = 0;
	ws = j->c.wstatus;
	if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
		char how[64];

		if (WIFSIGNALED(ws))
			snprintf(how, sizeof(how), "killed by signal %d",
				 WTERMSIG(ws));
		else
			snprintf(how, sizeof(how), "exit status %d",
				 WEXITSTATUS(ws));
		progress_end(&C->prog);
		warnx("%s failed (%s: %s; %s); the campaign stops, resumable "
		      "with --resume; the end of its log:", j->name, j->where,
		      how, j->log);
		print_tail(j->log);
		exit(PAL_EXIT_DATA);
	}
	return 1;
}

static void job_event(struct campaign *C, const struct job *j,
		      const char *st, uint64_t rows)
{
	char ev[512];
	size_t len = 0;
	double t1 = pal_clock_wall();

	event(C, j->t0, t1, st, -1, rows, 0, 0, t1 - j->t0, ev, sizeof(ev),
	      &len);
	append_text(C, "events.tsv", ev, &C->st.events_bytes);
}

/* The command of step st of round r into a, its output into *out. */
static void round_cmd(struct campaign *C, struct stream *S, int st,
		      uint64_t r, int resolve, struct sv *a, char **out)
{
	const struct config *c = &C->cfg;
	char rd[64];

	snprintf(rd, sizeof(rd), "stream/round-%04llu",
		 (unsigned long long)r);
	switch (st) {
	case R_GEN:
		gen_cmd(C, a, cv(c, "gen.method"), cu(c, "candidates"),
			cu(c, "seed") + r, cu(c, "initial") + (r - 1) *
			cu(c, "candidates"), resolve);
		*out = pathf(C, "%s/fresh.pal", rd);
		break;
	case R_CAT:
		/* The fresh candidates, and the queue not handed out. */
		prog(C, a, "pal-cat", resolve);
		sv_push(a, "--quiet");
		sv_pushf(a, "%s/%s/fresh.pal", C->dir, rd);
		sv_pushf(a, "%s/%s/queue.pal", C->dir, rd);
		*out = pathf(C, "%s/candidates.pal", rd);
		break;
	case R_PREDICT:
		predict_head(C, a, S ? S->round_model : C->st.generation - 1,
			     0, resolve);
		sv_push(a, "-i");
		sv_pushf(a, "%s/%s/candidates.pal", C->dir, rd);
		*out = pathf(C, "%s/predicted.pal", rd);
		break;
	default:
		prog(C, a, "pal-select", resolve);
		sv_push(a, "--quiet");
		/* The queue: batch rows, and never fewer than the oracles
		 * may hold (two a slot), or a round would leave them idle. */
		sv_push(a, "--top");
		sv_pushf(a, "%llu", (unsigned long long)(cu(c, "batch") >
			 2 * oracle_slots(C) ? cu(c, "batch") :
			 2 * oracle_slots(C)));
		stage_opts(C, a, "select");
		sv_push(a, "--seed");
		sv_pushf(a, "%llu", (unsigned long long)(cu(c, "seed") + r));
		sv_push(a, "-i");
		sv_pushf(a, "%s/%s/predicted.pal", C->dir, rd);
		*out = pathf(C, "%s/selected.pal", rd);
		break;
	}
	sv_push(a, "-o");
	sv_push(a, *out);
}

/* The command of the stream's pal-label. */
static void stream_label_cmd(struct campaign *C, int resolve, struct sv *a)
{
	label_head(C, a, resolve);
	sv_push(a, "--seed");
	sv_push(a, cv(&C->cfg, "seed"));
	/* Rows wait in the driver's queue, where a new model may drop
	 * them, not at the ranks. */
	sv_push(a, "--inflight");
	sv_push(a, "0");
	sv_push(a, "--journal");
	sv_pushf(a, "%s/stream/label.journal", C->dir);
	sv_push(a, "-i");
	sv_pushf(a, "%s/stream/queue.fifo", C->dir);
	sv_push(a, "-o");
	sv_pushf(a, "%s/stream/labeled.fifo", C->dir);
}

/* The command that trains model g on stream/train-g.pal. */
static void stream_train_cmd(struct campaign *C, uint64_t g, int resolve,
			     struct sv *a, char **out)
{
	train_head(C, a, g, resolve);
	sv_push(a, "-i");
	sv_pushf(a, "%s/stream/train-%04llu.pal", C->dir,
		 (unsigned long long)g);
	*out = pathf(C, "models/gen-%04llu.pal", (unsigned long long)g);
	sv_push(a, "-o");
	sv_push(a, *out);
}

/* Start step S->rstep of the round, or end it (the queue from its
 * selection). */
static void round_step(struct campaign *C, struct stream *S)
{
	struct sv a = { 0 };
	char *out, *log, where[64];

	if (S->rstep == R_DONE) {
		struct srows sel = { 0 };
		struct figures P = { 0 };
		char *path = pathf(C, "stream/round-%04llu/selected.pal",
				   (unsigned long long)S->round_no);

		read_stream(path, srows_frame_fn, &sel);
		free(path);
		/* The new queue: the selection, less what went out while the
		 * round ran. */
		sel.d = sel.d ? sel.d : S->queue.d;
		srows_free(&S->queue);
		S->queue.d = sel.d;
		S->queue.k = sel.k;
		for (uint64_t i = 0; i < sel.n; i++)
			if (idset_get(&S->sent_ix, sel.id[i]) < 0)
				srows_copy(&S->queue, &sel, i);
		S->qhead = 0;
		S->round_empty = sel.n == 0;
		srows_free(&sel);
		P.trust_lo = cd(&C->cfg, "trust_lo");
		path = pathf(C, "stream/round-%04llu/predicted.pal",
			     (unsigned long long)S->round_no);
		read_stream(path, fig_pred, &P);
		free(path);
		S->fig_sum = P.sum;
		S->fig_n = P.n;
		S->fig_lo = P.lo;
		S->fig_lo_rows = P.lo_rows;
		S->round_s = pal_clock_wall() - S->round_t0;
		S->round.t0 = S->round_t0;
		job_event(C, &S->round, "rescore", S->queue.n);
		return;
	}
	if (S->rstep == R_CAT) {
		/* The queue not handed out, for the round to score again. */
		size_t len;
		void *buf = srows_stream(&S->queue, S->qhead, S->queue.n, 0,
					 &len);
		char name[64];

		snprintf(name, sizeof(name), "stream/round-%04llu/queue.pal",
			 (unsigned long long)S->round_no);
		write_atomic_bytes(C, name, buf, len);
		free(buf);
	}
	round_cmd(C, S, S->rstep, S->round_no, 1, &a, &out);
	log = pathf(C, "logs/%s-r%04llu.err", rstep_name[S->rstep],
		    (unsigned long long)S->round_no);
	snprintf(where, sizeof(where), "round %llu",
		 (unsigned long long)S->round_no);
	job_start(&S->round, &a, log, rstep_name[S->rstep], where);
	sv_free(&a);
	free(out);
	free(log);
}

static void round_start(struct campaign *C, struct stream *S)
{
	char *rd;

	S->round_no = ++C->st.round;
	state_write(C);
	rd = pathf(C, "stream/round-%04llu", (unsigned long long)S->round_no);
	if (mkdir(rd, 0755) != 0 && errno != EEXIST)
		die_errno("cannot create '%s'", rd);
	free(rd);
	S->round_model = S->model_latest;
	S->round_t0 = pal_clock_wall();
	S->rstep = R_GEN;
	round_step(C, S);
}

/* Copy labeled.pal as the state has it to stream/train-g.pal, and start
 * training model g on it. */
static void train_start(struct campaign *C, struct stream *S)
{
	uint64_t g = C->st.generation;
	char *src = pathf(C, "labeled.pal"), name[64], *out, *log, where[64];
	struct sv a = { 0 };
	size_t len = (size_t)C->st.labeled_bytes;
	char *buf = xmalloc(len + 1);
	int in = open(src, O_RDONLY | O_CLOEXEC);

	if (in < 0)
		die_errno("cannot open '%s'", src);
	for (size_t got = 0; got < len;) {
		ssize_t n = read(in, buf + got, len - got);

		if (n <= 0)
			die_errno("cannot read '%s'", src);
		got += (size_t)n;
	}
	close(in);
	snprintf(name, sizeof(name), "stream/train-%04llu.pal",
		 (unsigned long long)g);
	write_atomic_bytes(C, name, buf, len);
	free(buf);
	S->train_labels = C->st.labels;
	S->pros_train = S->pros;
	memset(&S->pros, 0, sizeof(S->pros));
	stream_train_cmd(C, g, 1, &a, &out);
	log = pathf(C, "logs/train-g%04llu.err", (unsigned long long)g);
	snprintf(where, sizeof(where), "generation %llu",
		 (unsigned long long)g);
	job_start(&S->train, &a, log, "train", where);
	sv_free(&a);
	free(out);
	free(log);
	free(src);
}

/* Model g is ready: its figures in metrics.tsv, the state on. */
static void model_done(struct campaign *C, struct stream *S)
{
	uint64_t g = C->st.generation;
	struct figures M = { 0 };
	const struct figures *L = &S->pros_train;
	char *path = pathf(C, "models/gen-%04llu.pal", (unsigned long long)g);
	char line[1024], v[9][32];
	double now = pal_clock_wall(), span = now - S->win_t0;

	M.val = NAN;
	read_stream(path, fig_model, &M);
	free(path);
	job_event(C, &S->train, "train", S->train_labels);
	C->st.val_rmse = M.val;
	C->st.mean_std = S->fig_n ? S->fig_sum / S->fig_n : NAN;
	C->st.converged = S->fig_lo_rows && cd(&C->cfg, "trust_lo") > 0 ?
		S->fig_lo / S->fig_lo_rows : NAN;
	fmt_num(v[0], 32, now - C->st.t_start);
	fmt_num(v[1], 32, now - S->train.t0);
	fmt_num(v[2], 32, span);
	fmt_num(v[3], 32, M.val);
	fmt_num(v[4], 32, C->st.mean_std);
	C->prosp = L->ne ? sqrt(L->se / L->ne) : NAN;
	fmt_num(v[5], 32, C->prosp);
	fmt_num(v[6], 32, L->nz ? L->az / L->nz : NAN);
	fmt_num(v[7], 32, L->nz ? L->w2 / L->nz : NAN);
	fmt_num(v[8], 32, span > 0 ? S->busy / (span * (double)S->slots) :
		NAN);
	{
		char conv[32];

		fmt_num(conv, 32, C->st.converged);
		snprintf(line, sizeof(line),
			 "%llu\t%llu\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			 (unsigned long long)g,
			 (unsigned long long)S->train_labels, v[0], v[1],
			 v[2], v[3], v[4], v[5], v[6], v[7], v[8], conv);
	}
	append_text(C, "metrics.tsv", line, &C->st.metrics_bytes);
	S->busy = 0;
	S->win_t0 = now;
	S->model_latest = g;
	C->st.trained = S->train_labels;
	C->st.generation = g + 1;
	state_write(C);
	if (!C->quiet) {
		progress_end(&C->prog);
		fprintf(stderr, "pal-orchestrate: model %llu: %llu labels "
			"(%llu of %llu in), val_rmse %s, mean_std %s, "
			"prosp_rmse %s, busy %s\n", (unsigned long long)g,
			(unsigned long long)S->train_labels,
			(unsigned long long)C->st.labels,
			(unsigned long long)cu(&C->cfg, "budget"), v[3], v[4],
			v[5], v[8]);
		progress_start(&C->prog, PROGRESS_AUTO, "labels", -1);
		C->prog.done = C->prog.done0 = C->st.labels;
		C->prog.total = cu(&C->cfg, "budget");
		C->prog.note = C->note;
	}
}

/* Take the labeled rows pal-label wrote: labeled.pal, events, figures. */
static void take_labeled(struct campaign *C, struct stream *S,
			 const struct pal_frame *f)
{
	const struct pal_col *id = pal_col_find(f, "id"),
		*y = pal_col_find(f, "y"), *st = pal_col_find(f, "status"),
		*t0 = pal_col_find(f, "t_start"), *t1 = pal_col_find(f, "t_end"),
		*rk = pal_col_find(f, "rank");
	const char *keep[] = { "id", "x", "y", "grad", "status" };
	struct pal_col cols[5];
	struct pal_frame out;
	struct pal_writer *w;
	char *ev = NULL;
	size_t evlen = 0, evcap = 0, len;
	void *buf;

	if (f->kind != PAL_DATA || f->nrows == 0)
		return;
	if (!id || !y || !st)
		die("pal-label wrote rows without id, y or status (%s/stream/"
		    "labeled.fifo)", C->dir);
	memset(&out, 0, sizeof(out));
	out.kind = PAL_DATA;
	out.nrows = f->nrows;
	out.cols = cols;
	for (size_t i = 0; i < 5; i++) {
		const struct pal_col *c = pal_col_find(f, keep[i]);

		if (c)
			cols[out.ncols++] = *c;
	}
	for (uint64_t r = 0; r < f->nrows; r++) {
		uint64_t rid = (uint64_t)pal_col_value(id, r);
		int64_t i = idset_get(&S->sent_ix, rid);
		double a = t0 ? pal_col_value(t0, r) : 0;
		double b = t1 ? pal_col_value(t1, r) : 0;

		if (i < 0)
			die("pal-label wrote row %llu, which was not handed "
			    "to it (%s/stream/labeled.fifo)",
			    (unsigned long long)rid, C->dir);
		if (idset_get(&S->labeled, rid) >= 0)
			die("pal-label wrote row %llu twice (%s/stream/"
			    "labeled.fifo)", (unsigned long long)rid, C->dir);
		idset_put(&S->labeled, rid, 1);
		S->back++;
		S->back_here++;
		if (evlen + 256 > evcap) {
			evcap = 2 * evcap + 4096;
			ev = xrealloc(ev, evcap);
		}
		event(C, a, b, "label", rk ? (int)pal_col_value(rk, r) : 0, 1,
		      rid, S->sent.t[i] > 0 && a > S->sent.t[i] ?
		      a - S->sent.t[i] : 0, b - a, ev, evcap, &evlen);
		/* Busy within the window since the last model. */
		if (b > a && b > S->win_t0)
			S->busy += b - (a > S->win_t0 ? a : S->win_t0);
		/* Prospective: the model that chose the row, on it. */
		if (pal_col_value(st, r) != 0 || S->sent.k != y->width)
			continue;
		for (uint32_t k = 0; k < y->width; k++) {
			double e = pal_col_value(y, r * y->width + k) -
				S->sent.mean[(uint64_t)i * S->sent.k + k];
			double sd = S->sent.sd[(uint64_t)i * S->sent.k + k];

			if (!isfinite(e))
				continue;
			S->pros.se += e * e;
			S->pros.ne++;
			if (sd > 0) {
				S->pros.az += fabs(e / sd);
				S->pros.w2 += fabs(e / sd) <= 2;
				S->pros.nz++;
			}
		}
	}
	w = pal_writer_mem("labeled rows", 0);
	if (!w)
		die("out of memory");
	if (pal_write(w, &out) < 0 || pal_writer_finish(w) < 0)
		die("%s", pal_writer_error(w)->msg);
	buf = pal_writer_mem_take(w, &len);
	pal_writer_free(w);
	/* The events, the rows, then the state that counts them. */
	append_file(C, "events.tsv", ev, evlen, &C->st.events_bytes);
	append_file(C, "labeled.pal", buf, len, &C->st.labeled_bytes);
	C->st.labels += f->nrows;
	C->st.added += f->nrows;
	state_write(C);
	C->prog.done = C->st.labels;
	free(buf);
	free(ev);
}

/* Write rows idx[0..n) of S->sent (id and x) to pal-label's FIFO. */
static void send_rows(struct stream *S, const uint64_t *idx, uint64_t n)
{
	struct srows t = { .d = S->sent.d, .k = S->sent.k };

	for (uint64_t i = 0; i < n; i++)
		srows_copy(&t, &S->sent, idx[i]);
	/* One frame, no end: the FIFO's stream ends when the driver closes
	 * it.  Written whole, so that pal-label never waits inside a
	 * frame. */
	{
		struct pal_col cols[2];
		struct pal_frame f;

		memset(cols, 0, sizeof(cols));
		memset(&f, 0, sizeof(f));
		snprintf(cols[0].name, sizeof(cols[0].name), "id");
		cols[0].dtype = PAL_U64;
		cols[0].width = 1;
		cols[0].data = t.id;
		snprintf(cols[1].name, sizeof(cols[1].name), "x");
		cols[1].dtype = PAL_F64;
		cols[1].width = t.d;
		cols[1].data = t.x;
		f.kind = PAL_DATA;
		f.nrows = t.n;
		f.ncols = 2;
		f.cols = cols;
		if (pal_write(S->in_w, &f) < 0 || pal_writer_flush(S->in_w) < 0)
			die("cannot hand rows to pal-label: %s",
			    pal_writer_error(S->in_w)->msg);
	}
	srows_free(&t);
}

/* Rows that may go out now: two per oracle slot in flight at most, and
 * no more than the budget leaves. */
static uint64_t room(const struct campaign *C, const struct stream *S)
{
	uint64_t budget = cu(&C->cfg, "budget");
	uint64_t out = S->sent.n - S->back, n = 2 * S->slots;

	n = n > out ? n - out : 0;
	if (C->st.labels + out + n > budget)
		n = budget > C->st.labels + out ? budget - C->st.labels - out :
			0;
	return n;
}

/* Hand rows of the queue to pal-label: to sent.pal, forced to the disk,
 * then to the FIFO.  Returns whether any went. */
static int feed(struct campaign *C, struct stream *S)
{
	uint64_t n = S->queue.n - S->qhead, first = S->sent.n, *idx;
	double now = pal_clock_wall();
	size_t len;
	void *buf;
	char *path;
	int fd;

	/* pal-label gone (the loop says how): nothing to write to. */
	if (S->in_ending || S->stopping || !S->label.on)
		return 0;
	if (n > room(C, S))
		n = room(C, S);
	if (n == 0)
		return 0;
	if (!S->sent.d) {
		S->sent.d = S->queue.d;
		S->sent.k = S->queue.k;
	}
	idx = xmalloc(n * sizeof(*idx));
	for (uint64_t i = 0; i < n; i++) {
		S->queue.t[S->qhead + i] = now;
		idset_put(&S->sent_ix, S->queue.id[S->qhead + i], S->sent.n);
		idx[i] = S->sent.n;
		srows_copy(&S->sent, &S->queue, S->qhead + i);
	}
	S->qhead += n;
	buf = srows_stream(&S->sent, first, S->sent.n, 1, &len);
	path = pathf(C, "stream/sent.pal");
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len ||
	    fdatasync(fd) != 0 || close(fd) != 0)
		die_errno("cannot append to '%s'", path);
	free(path);
	free(buf);
	test_point();
	send_rows(S, idx, n);
	free(idx);
	return 1;
}

/* The rows of stream/sent.pal, into S->sent; a torn last append (a crash
 * before its rows went to the FIFO) is cut off by writing the file again
 * from the rows read. */
static void load_sent(struct campaign *C, struct stream *S)
{
	char *path = pathf(C, "stream/sent.pal");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct pal_reader *r;
	const struct pal_frame *f;
	int rc;

	if (fd < 0) {
		if (errno != ENOENT)
			die_errno("cannot open '%s'", path);
		write_atomic(C, "stream/sent.pal", "");
		free(path);
		return;
	}
	r = pal_reader_fd(fd, path);
	if (!r)
		die("out of memory");
	while ((rc = pal_read(r, &f)) == 1)
		srows_frame(&S->sent, f, path);
	if (rc < 0) {
		size_t len;
		void *buf = srows_stream(&S->sent, 0, S->sent.n, 1, &len);

		warnx("%s; its rows up to there are kept (a driver killed as "
		      "it wrote them)", pal_reader_error(r)->msg);
		write_atomic_bytes(C, "stream/sent.pal", buf, len);
		free(buf);
	}
	pal_reader_free(r);
	close(fd);
	for (uint64_t i = 0; i < S->sent.n; i++)
		idset_put(&S->sent_ix, S->sent.id[i], i);
	free(path);
}

static void labeled_id(void *arg, const struct pal_frame *f)
{
	struct idset *h = arg;
	const struct pal_col *id = pal_col_find(f, "id");

	if (f->kind != PAL_DATA || !id)
		return;
	for (uint64_t r = 0; r < f->nrows; r++)
		idset_put(h, (uint64_t)pal_col_value(id, r), 1);
}

static void make_fifo(struct campaign *C, const char *name)
{
	char *path = pathf(C, "stream/%s", name);

	if (unlink(path) != 0 && errno != ENOENT)
		die_errno("cannot remove '%s'", path);
	if (mkfifo(path, 0600) != 0)
		die_errno("cannot make the FIFO '%s'", path);
	free(path);
}

/* Start pal-label on the FIFOs. */
static void label_start(struct campaign *C, struct stream *S)
{
	struct sv a = { 0 };
	char *in = pathf(C, "stream/queue.fifo");
	char *out = pathf(C, "stream/labeled.fifo");
	char *log = pathf(C, "logs/label-stream.err");

	make_fifo(C, "queue.fifo");
	make_fifo(C, "labeled.fifo");
	/* Ours first, so that neither open waits for the other side: the
	 * queue read-write (it ends when we close it), the labeled rows
	 * without waiting for a writer. */
	S->in_fd = open(in, O_RDWR | O_CLOEXEC);
	S->out_fd = open(out, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (S->in_fd < 0 || S->out_fd < 0)
		die_errno("cannot open the FIFOs in %s/stream", C->dir);
	if (fcntl(S->out_fd, F_SETFL, 0) != 0)
		die_errno("cannot set up '%s'", out);
	S->in_w = pal_writer_fd(S->in_fd, in, 0);
	S->out_r = pal_reader_fd(S->out_fd, out);
	if (!S->in_w || !S->out_r)
		die("out of memory");
	stream_label_cmd(C, 1, &a);
	job_start(&S->label, &a, log, "label", "the stream");
	sv_free(&a);
	free(in);
	free(out);
	free(log);
}

/* After a stage in the background ended: the next step of its round. */
static void round_next(struct campaign *C, struct stream *S)
{
	job_event(C, &S->round, rstep_name[S->rstep], 0);
	S->rstep++;
	round_step(C, S);
}

/* Rows the oracles take while a round runs, as measured so far. */
static double low_water(const struct stream *S)
{
	double t = pal_clock_wall() - S->t_begin;

	if (t <= 0 || S->round_s <= 0)
		return 0;
	return 1.5 * (double)S->back_here / t * S->round_s;
}

/*
 * The stream, from generation 1 to a stop: returns why it stopped.
 */
static const char *stream_run(struct campaign *C)
{
	struct stream S;
	uint64_t budget = cu(&C->cfg, "budget");
	uint64_t R = cu(&C->cfg, "retrain") ? cu(&C->cfg, "retrain") :
		cu(&C->cfg, "batch");
	uint64_t *redo = NULL, nredo = 0;
	int rescore = 0;
	char *path;

	memset(&S, 0, sizeof(S));
	S.in_fd = S.out_fd = -1;
	S.slots = oracle_slots(C);
	path = pathf(C, "stream");
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		die_errno("cannot create '%s'", path);
	free(path);
	if (C->st.round == 0 && C->st.trained == 0) {
		C->st.trained = C->st.labels;
		state_write(C);
	}
	/* A model made but not counted (killed there): made again. */
	path = pathf(C, "models/gen-%04llu.pal",
		     (unsigned long long)C->st.generation);
	if (unlink(path) != 0 && errno != ENOENT)
		die_errno("cannot remove '%s'", path);
	free(path);
	S.model_latest = C->st.generation - 1;
	/* The temporaries of writes that a kill cut short: of the last
	 * round's queue, of the training set being copied, of sent.pal. */
	for (int i = 0; i < 3; i++) {
		path = i == 0 ? pathf(C, "stream/round-%04llu/queue.pal.tmp",
				      (unsigned long long)C->st.round) :
			i == 1 ? pathf(C, "stream/train-%04llu.pal.tmp",
				       (unsigned long long)C->st.generation) :
			pathf(C, "stream/sent.pal.tmp");
		if (unlink(path) != 0 && errno != ENOENT)
			die_errno("cannot remove '%s'", path);
		free(path);
	}
	load_sent(C, &S);
	path = pathf(C, "labeled.pal");
	read_stream(path, labeled_id, &S.labeled);
	free(path);
	redo = xmalloc((S.sent.n + 1) * sizeof(*redo));
	for (uint64_t i = 0; i < S.sent.n; i++)
		if (idset_get(&S.labeled, S.sent.id[i]) >= 0)
			S.back++;
		else
			redo[nredo++] = i;
	S.queue.d = S.sent.d;
	S.queue.k = S.sent.k;
	S.win_t0 = S.t_begin = pal_clock_wall();
	S.stopping = limit_reason(C);
	if (S.stopping && nredo == 0) {
		S.in_ending = S.in_closed = S.out_eof = 1;
	} else {
		label_start(C, &S);
		if (nredo) {
			if (!C->quiet)
				warnx("handing out again the %llu rows in "
				      "flight when the campaign stopped",
				      (unsigned long long)nredo);
			send_rows(&S, redo, nredo);
		}
		if (!S.stopping)
			round_start(C, &S);
	}
	free(redo);
	for (;;) {
		const struct pal_frame *f;
		int did = 0, rc;

		while (!S.out_eof && S.out_r && pal_reader_poll(S.out_r, 0)) {
			rc = pal_read(S.out_r, &f);
			if (rc < 0) {
				/* pal-label died: say how, with its log. */
				if (S.label.on) {
					proc_wait(&S.label.c);
					job_done(C, &S.label);
				}
				die("%s", pal_reader_error(S.out_r)->msg);
			}
			if (rc == 0) {
				S.out_eof = 1;
				break;
			}
			take_labeled(C, &S, f);
			did = 1;
		}
		if (job_done(C, &S.label)) {
			did = 1;
			if (!S.in_closed)
				die("pal-label ended before its input did "
				    "(%s)", S.label.log);
		}
		if (S.round.on && job_done(C, &S.round)) {
			did = 1;
			round_next(C, &S);
		}
		if (S.train.on && job_done(C, &S.train)) {
			did = 1;
			model_done(C, &S);
			if (!S.stopping)
				S.stopping = limit_reason(C);
			rescore = 1;
		}
		if (!S.train.on && !S.stopping &&
		    C->st.labels - C->st.trained >= R) {
			train_start(C, &S);
			did = 1;
		}
		if (!S.stopping && C->st.labels >= budget)
			S.stopping = "budget";
		if (!S.stopping && cd(&C->cfg, "wall_time") > 0 &&
		    pal_clock_wall() - C->st.t_start >= cd(&C->cfg,
							   "wall_time"))
			S.stopping = "wall_time";
		if (!S.stopping && !S.round.on && !S.train.on && !rescore &&
		    S.round_empty && S.round_model == S.model_latest &&
		    S.qhead == S.queue.n && S.sent.n == S.back)
			S.stopping = "nothing_selected";
		did |= feed(C, &S);
		if (!S.in_ending && (S.stopping || C->st.labels + S.sent.n -
				     S.back >= budget)) {
			/* The end frame; the FIFO is closed once pal-label
			 * has read it: closed before pal-label has opened
			 * it, the FIFO would lose what it holds. */
			if (pal_writer_finish(S.in_w) < 0)
				die("cannot end pal-label's input: %s",
				    pal_writer_error(S.in_w)->msg);
			S.in_ending = 1;
			did = 1;
		}
		if (S.in_ending && !S.in_closed) {
			int unread = 0;

			if (ioctl(S.in_fd, FIONREAD, &unread) != 0)
				die_errno("cannot look into pal-label's "
					  "input (%s/stream/queue.fifo)",
					  C->dir);
			if (unread == 0) {
				close(S.in_fd);
				S.in_fd = -1;
				S.in_closed = 1;
				did = 1;
			}
		}
		/* A round: with a new model, or when the queue runs low: when
		 * it would run dry before a round ends, at the rate rows
		 * came back so far. */
		if (!S.in_ending && !S.round.on &&
		    (rescore || ((double)(S.queue.n - S.qhead) <
				 2.0 * (double)S.slots + low_water(&S) &&
				 !(S.round_empty &&
				   S.round_model == S.model_latest)))) {
			rescore = 0;
			round_start(C, &S);
			did = 1;
		}
		if (S.in_closed && S.out_eof && !S.label.on && !S.train.on &&
		    !S.round.on) {
			if (C->st.labels <= C->st.trained)
				break;
			/* The last model, on every label. */
			train_start(C, &S);
			did = 1;
		}
		snprintf(C->note, sizeof(C->note), "model %llu%s; %llu at "
			 "the %llu oracle slots, %llu queued; val_rmse %.4g, "
			 "prosp_rmse %.4g, mean_std %.4g",
			 (unsigned long long)S.model_latest, S.train.on ?
			 " (training the next)" : "", (unsigned long long)
			 (S.sent.n - S.back), (unsigned long long)S.slots,
			 (unsigned long long)(S.queue.n - S.qhead),
			 C->st.val_rmse, C->prosp, C->st.mean_std);
		progress_show(&C->prog);
		if (!did) {
			if (S.out_eof || !S.out_r)
				usleep(20000);
			else
				pal_reader_poll(S.out_r, 0.02);
		}
	}
	if (S.out_r)
		pal_reader_free(S.out_r);
	if (S.out_fd >= 0)
		close(S.out_fd);
	pal_writer_free(S.in_w);
	for (size_t i = 0; i < 2; i++) {
		path = pathf(C, "stream/%s", i ? "labeled.fifo" :
			     "queue.fifo");
		unlink(path);
		free(path);
	}
	free(S.label.log);
	free(S.round.log);
	free(S.train.log);
	srows_free(&S.queue);
	srows_free(&S.sent);
	idset_free(&S.sent_ix);
	idset_free(&S.labeled);
	return S.stopping ? S.stopping : "budget";
}

/* ---- setting up ------------------------------------------------------ */

struct cmdline {
	const char *dir;
	const char *config;
	struct sv sets;			/* key=value */
	int dry_run, resume, quiet, report;
};

static void parse_args(struct cmdline *cl, int argc, char **argv)
{
	enum { OPT_BUDGET = 256, OPT_CONFIG, OPT_DRY, OPT_POLICY, OPT_QUIET,
	       OPT_REPORT, OPT_RESUME, OPT_SEED, OPT_SET };
	static const struct option opts[] = {
		{ "budget", required_argument, NULL, OPT_BUDGET },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "dry-run", no_argument, NULL, OPT_DRY },
		{ "help", no_argument, NULL, 'h' },
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "report", no_argument, NULL, OPT_REPORT },
		{ "resume", no_argument, NULL, OPT_RESUME },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "set", required_argument, NULL, OPT_SET },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(cl, 0, sizeof(*cl));
	while ((c = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		switch (c) {
		case OPT_BUDGET:
			opt_u64("--budget", optarg, 1, 1000000000);
			sv_pushf(&cl->sets, "budget=%s", optarg);
			break;
		case OPT_CONFIG:
			cl->config = optarg;
			break;
		case OPT_DRY:
			cl->dry_run = 1;
			break;
		case 'h':
			usage(0);
		case OPT_POLICY:
			if (strcmp(optarg, "batch") != 0 &&
			    strcmp(optarg, "stream") != 0)
				usage_die("--policy: '%s' is not batch or "
					  "stream", optarg);
			sv_pushf(&cl->sets, "policy=%s", optarg);
			break;
		case OPT_QUIET:
			cl->quiet = 1;
			break;
		case OPT_REPORT:
			cl->report = 1;
			break;
		case OPT_RESUME:
			cl->resume = 1;
			break;
		case OPT_SEED:
			opt_u64("--seed", optarg, 0, 1000000000000ULL);
			sv_pushf(&cl->sets, "seed=%s", optarg);
			break;
		case OPT_SET:
			if (!strchr(optarg, '='))
				usage_die("--set: '%s' is not key=value",
					  optarg);
			sv_push(&cl->sets, optarg);
			break;
		case 'V':
			opt_version();
		default:
			usage(PAL_EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		usage_die(argc ? "give one campaign directory" :
			  "no campaign directory given");
	cl->dir = argv[0];
	if (cl->report && (cl->dry_run || cl->resume || cl->config ||
			   cl->sets.n))
		usage_die("--report takes no other option");
	if (cl->dry_run && cl->resume)
		usage_die("give one of --dry-run and --resume");
	if (!cl->resume && !cl->config && !cl->dry_run && !cl->report)
		usage_die("a new campaign needs --config (or --resume)");
}

static void apply_sets(struct config *c, const struct sv *sets)
{
	for (int i = 0; i < sets->n; i++) {
		char *s = xstrdup(sets->v[i]), *eq = strchr(s, '=');

		*eq = '\0';
		config_set(c, trim(s), trim(eq + 1), "--set", 0);
		free(s);
	}
}

static int dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int empty = 1;

	if (!d)
		die_errno("cannot open the directory '%s'", path);
	/* A lock and a config.tmp are what a driver killed as it made the
	 * campaign (before its config was in place) leaves. */
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    strcmp(e->d_name, "lock") &&
		    strcmp(e->d_name, "config.tmp"))
			empty = 0;
	closedir(d);
	return empty;
}

/* Make a new campaign in C->dir (locked, empty or new). */
static void create(struct campaign *C)
{
	char *text = config_text(&C->cfg, 1);
	const char *sub[] = { "models", "logs" };
	/* The config first: without it, DIR is not a campaign yet. */
	write_atomic(C, "config", text);
	free(text);
	for (size_t i = 0; i < 2; i++) {
		char *p = pathf(C, "%s", sub[i]);

		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			die_errno("cannot create '%s'", p);
		free(p);
	}
	write_atomic(C, "labeled.pal", "");
	write_atomic(C, "metrics.tsv", metrics_header);
	C->st.metrics_bytes = strlen(metrics_header);
	write_atomic(C, "events.tsv", events_header);
	C->st.events_bytes = strlen(events_header);
	C->st.appended = -1;
	C->st.t_start = pal_clock_wall();
	C->st.val_rmse = C->st.mean_std = C->st.converged = NAN;
	state_write(C);
}

/*
 * Open an existing campaign: its config, with the stopping keys of this
 * run's config and --set over it (any other change is refused), and its
 * state; cut the appended files back to what the state says.
 */
static void reopen(struct campaign *C, const struct cmdline *cl, int write)
{
	char *path = pathf(C, "config");
	struct config given;
	char *a, *b;

	config_read(&C->cfg, path);
	config_init(&given);
	for (size_t i = 0; i < NKEYS; i++) {
		free(given.val[i]);
		given.val[i] = xstrdup(C->cfg.val[i]);
	}
	if (cl->config)
		config_read(&given, cl->config);
	apply_sets(&given, &cl->sets);
	a = config_text(&C->cfg, 0);
	b = config_text(&given, 0);
	if (strcmp(a, b) != 0) {
		for (size_t i = 0; i < NKEYS; i++)
			if (!keys[i].stop &&
			    strcmp(C->cfg.val[i], given.val[i]))
				config_die("campaign of another config: %s is "
					  "'%s' there, '%s' here (%s)",
					  keys[i].name, C->cfg.val[i],
					  given.val[i], path);
	}
	free(a);
	free(b);
	for (size_t i = 0; i < NKEYS; i++) {
		free(C->cfg.val[i]);
		C->cfg.val[i] = given.val[i];
		C->cfg.set[i] = 1;
	}
	config_finish(&C->cfg);
	state_read(C);
	if (write) {
		cut_back(C, "labeled.pal", C->st.labeled_bytes);
		cut_back(C, "metrics.tsv", C->st.metrics_bytes);
		cut_back(C, "events.tsv", C->st.events_bytes);
		a = config_text(&C->cfg, 1);
		write_atomic(C, "config", a);
		free(a);
	}
	free(path);
}

/* Print the command of stage st of generation g, as run_stage runs it. */
static void print_stage(struct campaign *C, enum stage st, uint64_t g)
{
	struct sv a = { 0 };
	char *out;

	stage_cmd(C, st, g, 1, &a, &out);
	for (int k = 0; k < a.n; k++) {
		if (k)
			putchar(' ');
		print_word(stdout, a.v[k]);
	}
	if (st == S_WPRED || st == S_WSTEP)
		printf(" 2>%s/logs/%s-g%04llu-s%03llu.err\n", C->dir,
		       stage_name[st], (unsigned long long)g,
		       (unsigned long long)C->step);
	else
		printf(" 2>%s/logs/%s-g%04llu.err\n", C->dir, stage_name[st],
		       (unsigned long long)g);
	if (st == S_APPEND)
		printf("cat %s >>%s/labeled.pal\n", out, C->dir);
	sv_free(&a);
	free(out);
}

static void print_argv(const struct sv *a, const char *log)
{
	for (int k = 0; k < a->n; k++) {
		if (k)
			putchar(' ');
		print_word(stdout, a->v[k]);
	}
	printf(" 2>%s\n", log);
}

/* The stream's commands: pal-label on its FIFOs, the next round, the next
 * training.  The driver runs them at once, feeding the FIFO as it goes. */
static void stream_dry_run(struct campaign *C)
{
	struct sv a = { 0 };
	uint64_t r = C->st.round + 1, g = C->st.generation;
	char *out, log[PATH_MAX];

	printf("# the stream: one pal-label for the whole campaign, fed rows "
	       "(id, x) through\n# a FIFO by the driver, two per oracle slot "
	       "in flight at most\nmkdir -p %s/stream\nmkfifo "
	       "%s/stream/queue.fifo %s/stream/labeled.fifo\n", C->dir,
	       C->dir, C->dir);
	stream_label_cmd(C, 1, &a);
	snprintf(log, sizeof(log), "%s/logs/label-stream.err", C->dir);
	print_argv(&a, log);
	sv_free(&a);
	printf("# round %llu: the queue scored again with model %llu\n"
	       "mkdir -p %s/stream/round-%04llu\n", (unsigned long long)r,
	       (unsigned long long)(g - 1), C->dir, (unsigned long long)r);
	for (int st = R_GEN; st < R_DONE; st++) {
		if (st == R_CAT)
			printf("# queue.pal: the rows of the queue not handed "
			       "out yet (id, x), written by the driver\n");
		round_cmd(C, NULL, st, r, 1, &a, &out);
		snprintf(log, sizeof(log), "%s/logs/%s-r%04llu.err", C->dir,
			 rstep_name[st], (unsigned long long)r);
		print_argv(&a, log);
		sv_free(&a);
		free(out);
	}
	printf("# model %llu, in the background after %llu new labels, on "
	       "labeled.pal as it is then\nhead -c BYTES %s/labeled.pal "
	       ">%s/stream/train-%04llu.pal\n", (unsigned long long)g,
	       (unsigned long long)(cu(&C->cfg, "retrain") ?
				    cu(&C->cfg, "retrain") :
				    cu(&C->cfg, "batch")), C->dir, C->dir,
	       (unsigned long long)g);
	stream_train_cmd(C, g, 1, &a, &out);
	snprintf(log, sizeof(log), "%s/logs/train-g%04llu.err", C->dir,
		 (unsigned long long)g);
	print_argv(&a, log);
	sv_free(&a);
	free(out);
}

static void dry_run(struct campaign *C)
{
	static const enum stage order[] = {
		S_GEN, S_PREDICT, S_SELECT, S_LABEL, S_APPEND, S_TRAIN,
	};
	uint64_t g = C->st.generation;
	const char *why = stop_reason(C);

	if (why) {
		if (printf("# the campaign has stopped (%s)\n", why) < 0)
			die_errno("cannot write (stdout)");
		if (strcmp(cv(&C->cfg, "baseline"), "yes") == 0) {
			struct sv a = { 0 };

			baseline_cmd(C, &a, 1);
			printf("# the baseline, random selection\n");
			for (int k = 0; k < a.n; k++) {
				if (k)
					putchar(' ');
				print_word(stdout, a.v[k]);
			}
			printf(" 2>%s/logs/baseline.err\n", C->dir);
			sv_free(&a);
		}
		xfclose(stdout, "stdout");
		return;
	}
	if (g > 0 && strcmp(cv(&C->cfg, "policy"), "stream") == 0) {
		stream_dry_run(C);
		xfclose(stdout, "stdout");
		return;
	}
	printf("# generation %llu\nmkdir -p %s/gen-%04llu\n",
	       (unsigned long long)g, C->dir, (unsigned long long)g);
	if (walking(C, g)) {
		print_stage(C, S_WSTART, g);
		for (C->step = 0; C->step < cu(&C->cfg, "gen.steps");) {
			print_stage(C, S_WPRED, g);
			C->step++;
			print_stage(C, S_WSTEP, g);
		}
	}
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (g == 0 && (order[i] == S_PREDICT || order[i] == S_SELECT))
			continue;
		print_stage(C, order[i], g);
	}
	xfclose(stdout, "stdout");
}

int main(int argc, char **argv)
{
	struct cmdline cl;
	struct campaign C;
	char abs[PATH_MAX];
	const char *why;
	int is_campaign, made;

	pal_init("pal-orchestrate");
	find_self();
	parse_args(&cl, argc, argv);
	memset(&C, 0, sizeof(C));
	C.quiet = cl.quiet;
	C.prosp = NAN;
	config_init(&C.cfg);

	if (cl.report) {
		struct pal_error err;

		if (!realpath(cl.dir, abs))
			die_errno("cannot find the directory '%s'", cl.dir);
		C.dir = abs;
		{
			char *k = pathf(&C, "config");

			if (!exists(k))
				die("not a campaign: no config (%s)", C.dir);
			free(k);
		}
		if (report_write(C.dir, &err) != 0)
			die("%s", err.msg);
		if (!cl.quiet && printf("%s/report.html\n", C.dir) < 0)
			die_errno("cannot write (stdout)");
		xfclose(stdout, "stdout");
		config_free(&C.cfg);
		sv_free(&cl.sets);
		return 0;
	}
	if (!cl.resume && !cl.dry_run) {
		/* A new campaign: its config checked before DIR is made. */
		config_read(&C.cfg, cl.config);
		apply_sets(&C.cfg, &cl.sets);
		config_finish(&C.cfg);
	}
	if (!cl.dry_run && mkdir(cl.dir, 0755) != 0 && errno != EEXIST)
		die_errno("cannot create the campaign directory '%s'", cl.dir);
	if (!realpath(cl.dir, abs)) {
		char cwd[PATH_MAX];

		/* --dry-run of a campaign not made yet: the path it will
		 * have (realpath of its parent when it is made). */
		if (!cl.dry_run || errno != ENOENT || !getcwd(cwd, sizeof(cwd)))
			die_errno("cannot find the directory '%s'", cl.dir);
		if (snprintf(abs, sizeof(abs), "%s%s%s", cl.dir[0] == '/' ?
			     "" : cwd, cl.dir[0] == '/' ? "" : "/", cl.dir) >=
		    (int)sizeof(abs))
			die("path too long (%s)", cl.dir);
	}
	C.dir = abs;
	{
		char *s = pathf(&C, "state"), *k = pathf(&C, "config");

		/* A config without a state: a driver was killed as it made
		 * the campaign; --resume makes it again from the config. */
		is_campaign = exists(k);
		made = exists(s);
		free(s);
		free(k);
	}
	if (cl.dry_run) {
		if (is_campaign) {
			reopen(&C, &cl, 0);
		} else {
			if (cl.config)
				config_read(&C.cfg, cl.config);
			apply_sets(&C.cfg, &cl.sets);
			config_finish(&C.cfg);
			C.st.appended = -1;
		}
		dry_run(&C);
		config_free(&C.cfg);
		sv_free(&cl.sets);
		return 0;
	}
	if (getuid() == 0) {
		setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
		setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
	}
	if (cl.resume) {
		if (!is_campaign)
			die("not a campaign: no config (%s)", C.dir);
		lock_dir(&C);
		kill_orphans(&C);
		if (!made) {
			char *path = pathf(&C, "config");

			config_read(&C.cfg, path);
			free(path);
			if (cl.config)
				config_read(&C.cfg, cl.config);
			apply_sets(&C.cfg, &cl.sets);
			config_finish(&C.cfg);
			create(&C);
		}
		reopen(&C, &cl, 1);
		C.st.stop[0] = '\0';
	} else {
		if (is_campaign)
			die("a campaign is there already; continue it with "
			    "--resume (%s)", C.dir);
		if (!dir_is_empty(C.dir))
			die("not a campaign, and not empty (%s)", C.dir);
		lock_dir(&C);
		create(&C);
	}
	progress_start(&C.prog, C.quiet ? PROGRESS_OFF : PROGRESS_AUTO,
		       "labels", -1);
	C.prog.total = cu(&C.cfg, "budget");
	C.prog.done = C.prog.done0 = C.st.labels;
	C.prog.note = C.note;
	if (strcmp(cv(&C.cfg, "policy"), "stream") == 0) {
		/* Generation 0 as in batch: the initial design and model 0. */
		if (C.st.generation == 0)
			generation(&C);
		why = stream_run(&C);
	} else {
		while (!(why = stop_reason(&C)))
			generation(&C);
	}
	snprintf(C.st.stop, sizeof(C.st.stop), "%s", why);
	state_write(&C);
	if (strcmp(cv(&C.cfg, "baseline"), "yes") == 0)
		run_baseline(&C);
	progress_end(&C.prog);
	{
		struct pal_error err;

		if (report_write(C.dir, &err) != 0)
			die("the campaign is complete, its report is not: %s",
			    err.msg);
	}
	if (!C.quiet)
		fprintf(stderr, "pal-orchestrate: stopped (%s) after "
			"generation %llu with %llu labels; the report: "
			"%s/report.html\n", why,
			(unsigned long long)(C.st.generation - 1),
			(unsigned long long)C.st.labels, C.dir);
	config_free(&C.cfg);
	sv_free(&cl.sets);
	return 0;
}
