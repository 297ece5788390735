/*
 * group_cost.c: what targets as groups add to the sampler, per process.
 *
 *   bench/group_cost [-n ROUNDS] [-i INTERVAL_MS] [-r RECHECK_MS]
 *
 * 1. pw_cgroup_read() of every pid in /proc: the cost of one lookup of a
 *    process's cgroup (open, read, parse, close).  The sampler does one
 *    when it first sees a process and then once per RECHECK_MS (the
 *    limits_every_ms schedule, 60 s by default), so per process-sample it
 *    costs the lookup times INTERVAL_MS / RECHECK_MS; printed too, next
 *    to what reading it every cycle would cost.
 * 2. pw_groupacc_member() over synthetic samples: the accounting the
 *    sampler does for each member every cycle.
 * Figures are CPU time (getrusage), which is what the daemon spends.
 */
#include <sys/resource.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <procwatch/cgroup.h>
#include <procwatch/groupacc.h>

#include "bench/cputime.h"

static size_t
list_pids(pid_t **out)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	size_t n = 0, cap = 0;
	pid_t *v = NULL, *nv;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL)
				break;
			v = nv;
		}
		v[n++] = (pid_t)atoi(e->d_name);
	}
	closedir(d);
	*out = v;
	return n;
}

int
main(int argc, char **argv)
{
	int rounds = 50, interval_ms = 1000, recheck_ms = 60000, opt, r;
	struct pw_group_sample gs;
	struct pw_sample prev, cur;
	struct pw_groupacc *a;
	pid_t *pids = NULL;
	size_t n, i, reads = 0, found = 0;
	double t0, t1, per_read, per_member;
	char *path;

	while ((opt = getopt(argc, argv, "n:i:r:")) != -1) {
		if (opt == 'n')
			rounds = atoi(optarg);
		else if (opt == 'i')
			interval_ms = atoi(optarg);
		else if (opt == 'r')
			recheck_ms = atoi(optarg);
		else
			return 2;
	}
	if (rounds <= 0 || interval_ms <= 0 || recheck_ms <= 0)
		return 2;
	if ((n = list_pids(&pids)) == 0)
		return 1;
	t0 = bench_cpu_s();
	for (r = 0; r < rounds; r++)
		for (i = 0; i < n; i++) {
			reads++;
			if (pw_cgroup_read("/proc", pids[i], &path) == 0) {
				found++;
				free(path);
			}
		}
	t1 = bench_cpu_s();
	per_read = (t1 - t0) / (double)reads * 1e6;
	printf("cgroup lookup: %zu pids x %d rounds, %.2f us per read "
	    "(%zu of %zu had a path)\n", n, rounds, per_read, found, reads);
	printf("  every cycle:                 %.3f us per process-sample\n",
	    per_read);
	printf("  first sight + every %d ms:   %.4f us per process-sample "
	    "at a %d ms interval\n", recheck_ms,
	    per_read * interval_ms / recheck_ms, interval_ms);

	/* The per-member accounting, 1000 members x 1000 cycles. */
	if ((a = pw_groupacc_new()) == NULL)
		return 1;
	memset(&prev, 0, sizeof(prev));
	cur = prev;
	t0 = bench_cpu_s();
	for (r = 0; r < 1000; r++) {
		pw_groupacc_begin(a, 1795659000000 + (int64_t)r * 1000);
		for (i = 0; i < 1000; i++) {
			cur.utime_ticks = prev.utime_ticks + (i & 3);
			cur.rss_bytes = 4096 * i;
			cur.open_fds = (uint32_t)(i & 63);
			(void)pw_groupacc_member(a, (pid_t)(i + 2), 1, &prev,
			    &cur, 1024, 0);
		}
		pw_groupacc_end(a, 100, &gs);
	}
	t1 = bench_cpu_s();
	per_member = (t1 - t0) / 1e6 * 1e6;
	printf("group accounting: %.3f us per member per cycle "
	    "(1000 members x 1000 cycles; last cpu %.1f%%)\n", per_member,
	    gs.cpu_user_pct);
	pw_groupacc_free(a);
	free(pids);
	return 0;
}
