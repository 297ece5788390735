/*
 * limit.c: the floor.  The least work a monitor can do per process per
 * sample, with no parsing beyond what deciding what to read needs.
 *
 *   bench/limit [-m MODE] [-n ROUNDS] [-i MS] [-o] [-t|-T] PID...
 *
 * MODE says what is read for each process every round:
 *   idle      schedstat and statm: what procwatchd reads for an idle
 *             single-threaded process (its fast path), and the least any
 *             monitor must read to see that nothing changed.
 *   busy      schedstat, stat, status and io, and the descriptor count
 *             (stat() of PID/fd): what procwatchd reads for a process that
 *             changed (lib/procfs.c, pw_procfs_sample_since()).
 *   adaptive  idle's two files, then busy's rest only when schedstat or
 *             statm changed since the last round or the process has more
 *             than one thread (schedstat is per thread): procwatchd's
 *             choice, without its parsing, its forced full read every 60
 *             samples or its parked descriptors.
 *   full      stat, status and io and the descriptor count, no schedstat:
 *             the floor of the figures before the idle path (the default
 *             until then).
 * With -t a read of busy's rest also asks taskstats for the process's
 * delays by TGID (pw_taskstats_query(), one netlink round trip; needs
 * root) as procwatchd does where taskstats works: every time for a
 * multi-threaded process, every tenth time for a single-threaded one (the
 * daemon asks one when its page faults moved, which the farm's do not, or
 * after PW_PROCFS_TS_EVERY full reads).  -T asks every time.
 * The default is busy.  Without -o the files stay open across rounds and
 * are read with pread() at offset 0 (as procwatchd does); with -o each is
 * opened, read and closed every time.  Rounds are MS apart (default 1000,
 * procwatchd's default interval), so that adaptive sees what changes in a
 * sampling interval.  One round before the measured ones opens the files
 * and takes the baselines.  Prints the CPU time of the measured rounds
 * (CLOCK_PROCESS_CPUTIME_ID, ns resolution) per process-sample.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <procwatch/delay.h>

#include "bench/cputime.h"

enum mode { M_IDLE, M_BUSY, M_ADAPTIVE, M_FULL };
enum file { F_SCHED, F_STATM, F_STAT, F_STATUS, F_IO, NFILES };

static const char *const files[NFILES] = {
	"schedstat", "statm", "stat", "status", "io"
};

/* What one process reads: descriptors, the last idle-check bytes. */
struct target {
	pid_t	pid;
	int	fd[NFILES];
	int	threads;
	unsigned ts_skips;		/* -t: full reads since asked */
	char	last[2][128];		/* schedstat, statm */
	size_t	last_len[2];
};

static int reopen;
static struct pw_taskstats *tstats;	/* -t, -T */
static int ts_always;			/* -T */
static unsigned long long nread, nfull, fdsum;

/* Read file f of t into buf; returns bytes read, or -1. */
static ssize_t
read_file(struct target *t, enum file f, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd = t->fd[f];

	if (reopen || fd < 0) {
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)t->pid,
		    files[f]);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			return -1;
		if (!reopen)
			t->fd[f] = fd;
	}
	n = pread(fd, buf, size, 0);
	if (reopen)
		close(fd);
	nread++;
	return n;
}

/* The idle check's file: 1 when its bytes changed since last time. */
static int
changed(struct target *t, enum file f, char *buf, size_t size)
{
	ssize_t n = read_file(t, f, buf, size);
	int slot = f == F_SCHED ? 0 : 1, c;

	if (n < 0)
		return 1;
	if ((size_t)n > sizeof(t->last[0]))
		n = sizeof(t->last[0]);
	c = (size_t)n != t->last_len[slot] ||
	    memcmp(buf, t->last[slot], (size_t)n) != 0;
	if (c) {
		memcpy(t->last[slot], buf, (size_t)n);
		t->last_len[slot] = (size_t)n;
	}
	return c;
}

static void
read_rest(struct target *t, char *buf, size_t size)
{
	char path[64];
	struct stat sb;

	read_file(t, F_STAT, buf, size);
	read_file(t, F_STATUS, buf, size);
	read_file(t, F_IO, buf, size);
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)t->pid);
	if (stat(path, &sb) == 0)
		fdsum += (unsigned long long)sb.st_size;
	if (tstats != NULL && (ts_always || t->threads != 1 ||
	    ++t->ts_skips >= 10)) {
		struct pw_delays d;

		t->ts_skips = 0;
		if (pw_taskstats_query(tstats, t->pid, &d) == 0)
			fdsum += d.cpu_ns & 1;	/* keep the call */
	}
	nfull++;
}

static void
sample(struct target *t, enum mode m, char *buf, size_t size)
{
	int c;

	switch (m) {
	case M_IDLE:
		read_file(t, F_SCHED, buf, size);
		read_file(t, F_STATM, buf, size);
		break;
	case M_BUSY:
		read_file(t, F_SCHED, buf, size);
		read_rest(t, buf, size);
		break;
	case M_FULL:
		read_rest(t, buf, size);
		break;
	case M_ADAPTIVE:
		if (t->threads != 1) {
			read_rest(t, buf, size);
			break;
		}
		/* Both files are read each time: each is a baseline. */
		c = changed(t, F_SCHED, buf, size);
		c |= changed(t, F_STATM, buf, size);
		if (c)
			read_rest(t, buf, size);
		break;
	}
}

/* The thread count from PID/stat (field 20), read before measuring. */
static int
thread_count(pid_t pid)
{
	char path[64], buf[2048], *p;
	ssize_t n;
	int fd, i, threads = 1;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 1;
	buf[n] = '\0';
	/* comm may hold ')' and spaces: count fields from the last ')' */
	if ((p = strrchr(buf, ')')) == NULL)
		return 1;
	for (i = 2; i < 20 && p != NULL; i++)
		p = strchr(p + 1, ' ');
	if (p != NULL)
		threads = atoi(p + 1);
	return threads > 0 ? threads : 1;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int
main(int argc, char **argv)
{
	static const char *const names[] = { "idle", "busy", "adaptive",
	    "full" };
	enum mode m = M_BUSY;
	int rounds = 5, interval_ms = 1000, opt, n, i, r, f;
	char buf[8192];
	unsigned long long reads0, full0;
	struct target *t;
	double cpu_s = 0;

	while ((opt = getopt(argc, argv, "m:n:i:otT")) != -1) {
		if (opt == 't' || opt == 'T') {
			char why[160];
			int err;

			if ((tstats = pw_taskstats_open(&err, why,
			    sizeof(why))) == NULL) {
				fprintf(stderr, "limit: %s\n", why);
				return 1;
			}
			ts_always = opt == 'T';
		} else if (opt == 'n')
			rounds = atoi(optarg);
		else if (opt == 'i')
			interval_ms = atoi(optarg);
		else if (opt == 'o')
			reopen = 1;
		else if (opt == 'm') {
			for (i = 0; i < 4; i++)
				if (strcmp(optarg, names[i]) == 0)
					break;
			if (i == 4)
				goto usage;
			m = (enum mode)i;
		} else
			goto usage;
	}
	n = argc - optind;
	if (n <= 0 || rounds <= 0 || interval_ms < 0)
		goto usage;
	if ((t = calloc((size_t)n, sizeof(*t))) == NULL) {
		perror("calloc");
		return 1;
	}
	for (i = 0; i < n; i++) {
		t[i].pid = atoi(argv[optind + i]);
		for (f = 0; f < NFILES; f++)
			t[i].fd[f] = -1;
		t[i].threads = m == M_ADAPTIVE || tstats != NULL ?
		    thread_count(t[i].pid) : 1;
	}
	/* Round 0, not measured: opens the files, takes the baselines. */
	for (i = 0; i < n; i++)
		sample(&t[i], m, buf, sizeof(buf));
	reads0 = nread;
	full0 = nfull;
	for (r = 0; r < rounds; r++) {
		sleep_ms(interval_ms);	/* let the targets run */
		cpu_s -= bench_cpu_s();
		for (i = 0; i < n; i++)
			sample(&t[i], m, buf, sizeof(buf));
		cpu_s += bench_cpu_s();
	}
	printf("limit: %s%s, %d pids x %d rounds %d ms apart, %s: %.3f us CPU "
	    "per process-sample (%.2f reads and %.3f full reads per "
	    "process-sample; fds seen %llu)\n", names[m],
	    tstats == NULL ? "" : ts_always ? " + taskstats every full read" :
	    " + taskstats as procwatchd asks", n, rounds,
	    interval_ms, reopen ? "open/read/close" : "kept-open pread",
	    cpu_s * 1e6 / ((double)n * rounds),
	    (double)(nread - reads0) / ((double)n * rounds),
	    (double)(nfull - full0) / ((double)n * rounds), fdsum);
	return 0;
usage:
	fprintf(stderr, "usage: limit [-m idle|busy|adaptive|full] "
	    "[-n ROUNDS] [-i MS] [-o] [-t|-T] PID...\n");
	return 2;
}
