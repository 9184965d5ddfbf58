/*
 * mpi-init.c: starting and ending pal's MPI world; see mpicomm.h.
 *
 * Compiled with Open MPI's flags into libcommon-mpi.a.
 */
#include <mpi.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>

#include "err.h"
#include "mpicomm.h"
#include "banned.h"

#define HOST_MAX 64

static int use_mpi, my_rank, world = 1;
static char (*hosts)[HOST_MAX];
static pid_t *pids;
static unsigned char *checkable;	/* comm_gone can tell for this rank */

static const char *const rank_vars[] = {
	"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK",
	"MV2_COMM_WORLD_RANK", "SLURM_PROCID",
};

static int launched(void)
{
	static const char *const vars[] = {
		"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE",
		"PMI_FD", "MPI_LOCALNRANKS", "MV2_COMM_WORLD_RANK",
	};

	for (size_t i = 0; i < sizeof(vars) / sizeof(*vars); i++)
		if (getenv(vars[i]))
			return 1;
	return 0;
}

int comm_launcher_rank(void)
{
	if (!launched())
		return 0;
	for (size_t i = 0; i < sizeof(rank_vars) / sizeof(*rank_vars); i++) {
		const char *v = getenv(rank_vars[i]);
		char *end;
		long r;

		if (!v || !*v)
			continue;
		r = strtol(v, &end, 10);
		if (!*end && r >= 0 && r < 1 << 30)
			return (int)r;
	}
	return 0;
}

struct ident {
	char host[HOST_MAX];
	int64_t pid;
};

/*
 * The state letter of process pid from /proc (R, S, Z, ...) and its command
 * name in comm (of cap bytes): 0, or -1 if there is no such process here.
 */
static int proc_stat(pid_t pid, char *state, char *comm, size_t cap)
{
	char path[64], buf[512], *open_, *close_;
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fp = fopen(path, "r");
	if (!fp)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	open_ = strchr(buf, '(');
	close_ = strrchr(buf, ')');
	if (!open_ || !close_ || close_ < open_ || close_[1] != ' ')
		return -1;
	*state = close_[2];
	if (comm) {
		n = (size_t)(close_ - open_ - 1);
		if (n >= cap)
			n = cap - 1;
		memcpy(comm, open_ + 1, n);
		comm[n] = '\0';
	}
	return 0;
}

void comm_init(int *argc, char ***argv, int *rank, int *size)
{
	struct ident me, *all;
	int provided;

	memset(&me, 0, sizeof(me));
	if (gethostname(me.host, sizeof(me.host) - 1) < 0)
		snprintf(me.host, sizeof(me.host), "?");
	me.pid = getpid();
	*rank = 0;
	*size = 1;
	if (launched()) {
		if (MPI_Init_thread(argc, argv, MPI_THREAD_SINGLE,
				    &provided) != MPI_SUCCESS)
			die("cannot start MPI");
		use_mpi = 1;
		MPI_Comm_rank(MPI_COMM_WORLD, rank);
		MPI_Comm_size(MPI_COMM_WORLD, size);
	}
	my_rank = *rank;
	world = *size;
	all = xcalloc((size_t)world, sizeof(*all));
	all[my_rank] = me;
	if (use_mpi && MPI_Allgather(&me, (int)sizeof(me), MPI_BYTE, all,
				     (int)sizeof(me), MPI_BYTE,
				     MPI_COMM_WORLD) != MPI_SUCCESS)
		die("MPI_Allgather of the host names failed");
	hosts = xcalloc((size_t)world, sizeof(*hosts));
	pids = xcalloc((size_t)world, sizeof(*pids));
	checkable = xcalloc((size_t)world, 1);
	for (int r = 0; r < world; r++) {
		char mine[64], theirs[64], st;

		memcpy(hosts[r], all[r].host, HOST_MAX - 1);
		pids[r] = (pid_t)all[r].pid;
		/* Same host, and that pid is a live process of the same
		 * program here: not a rank in another pid namespace, whose
		 * pid means something else (or nothing) here. */
		checkable[r] = r != my_rank && !strcmp(all[r].host, me.host) &&
			       pids[r] > 0 &&
			       proc_stat(getpid(), &st, mine, sizeof(mine)) == 0 &&
			       proc_stat(pids[r], &st, theirs,
					 sizeof(theirs)) == 0 &&
			       !strcmp(mine, theirs);
	}
	free(all);
}

int comm_mpi(void)
{
	return use_mpi;
}

int comm_rank(void)
{
	return my_rank;
}

int comm_size(void)
{
	return world;
}

const char *comm_host(int r)
{
	return hosts && r >= 0 && r < world ? hosts[r] : "?";
}

pid_t comm_pid(int r)
{
	return pids && r >= 0 && r < world ? pids[r] : 0;
}

int comm_gone(int r)
{
	char st;

	if (!checkable || r < 0 || r >= world || !checkable[r])
		return 0;
	if (kill(pids[r], 0) < 0)
		return errno == ESRCH;
	/* Killed and not yet reaped by its launcher: a zombie. */
	return proc_stat(pids[r], &st, NULL, 0) < 0 || st == 'Z' || st == 'X';
}

void comm_finish(void)
{
	if (!use_mpi)
		return;
	comm_drain();
	MPI_Finalize();
	use_mpi = 0;
}

void comm_mute_others(int saved[2])
{
	int nul;

	saved[0] = saved[1] = -1;
	if (comm_launcher_rank() <= 0 ||
	    (nul = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
		return;
	fflush(stdout);
	for (int fd = 1; fd <= 2; fd++) {
		saved[fd - 1] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		dup2(nul, fd);
	}
	close(nul);
}

void comm_unmute(const int saved[2])
{
	for (int fd = 1; fd <= 2; fd++)
		if (saved[fd - 1] >= 0) {
			dup2(saved[fd - 1], fd);
			close(saved[fd - 1]);
		}
}
