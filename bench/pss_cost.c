/*
 * pss_cost.c: what one read of /proc/PID/smaps_rollup costs, by the size
 * of the process, and so what lib/pss.c adds to the sampler.
 *
 *   bench/pss_cost [-n READS] [MIB ...]      default 200 reads; 1 64 1024
 *
 * For each MIB it forks a child that allocates and touches MIB MiB of
 * private memory, then times READS reads of the child's smaps_rollup
 * through pw_smaps_read_rollup() (open, read, parse, close: the
 * sampler's path), and prints the CPU time (this process's, user and
 * system: the kernel's page-table walk is system time) per read.  With
 * the defaults of pss_top 20 and pss_every_ms 60000 at a 1 s interval
 * the sampler does 20 reads a minute, 1/3 of a read per cycle; the last
 * column is what that adds per process-sample for N=1000 processes.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <procwatch/procfs.h>
#include <procwatch/smaps.h>

#include "bench/cputime.h"

int
main(int argc, char **argv)
{
	static const char *const dflt[] = { "1", "64", "1024" };
	const char *const *sizes = dflt;
	struct pw_smaps_totals t;
	struct pw_procfs *fs;
	int i, n = 200, nsizes = 3, opt, p[2], k;
	double c0, us;
	pid_t child;
	char c;

	while ((opt = getopt(argc, argv, "n:")) != -1)
		if (opt == 'n')
			n = atoi(optarg);
	if (optind < argc) {
		sizes = (const char *const *)argv + optind;
		nsizes = argc - optind;
	}
	if ((fs = pw_procfs_new("/proc")) == NULL)
		return 1;
	printf("%8s %10s %12s %14s\n", "MiB", "PSS MiB", "us CPU/read",
	    "us/sample@1000");
	for (k = 0; k < nsizes; k++) {
		size_t len = (size_t)atol(sizes[k]) << 20;

		if (pipe(p) < 0 || (child = fork()) < 0)
			return 1;
		if (child == 0) {
			char *m = mmap(NULL, len ? len : 1, PROT_READ |
			    PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (m == MAP_FAILED)
				_exit(1);
			memset(m, 1, len);
			(void)!write(p[1], "r", 1);
			for (;;)
				pause();
		}
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			return 1;
		close(p[0]);
		c0 = bench_cpu_s();
		for (i = 0; i < n; i++)
			if (pw_smaps_read_rollup(fs, child, &t) < 0)
				return 1;
		us = (bench_cpu_s() - c0) * 1e6 / n;
		printf("%8s %10.1f %12.1f %14.4f\n", sizes[k],
		    (double)t.pss / 1048576.0, us, us / 3.0 / 1000.0);
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	pw_procfs_free(fs);
	return 0;
}
