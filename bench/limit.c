/*
 * limit.c: the floor.  The least work a sampler can do per process per
 * sample: read /proc/PID/stat, status and io and the descriptor count, with
 * no parsing beyond what the kernel hands over.
 *
 *   bench/limit [-n ROUNDS] [-o] PID...
 *
 * Without -o the three files stay open across rounds and are read with
 * pread() at offset 0 (as procwatchd does); with -o each is opened, read and
 * closed every round.  Prints the CPU time (user+system, getrusage) per
 * process-sample.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/cputime.h"

static const char *const files[] = { "stat", "status", "io" };
#define NFILES	3

int
main(int argc, char **argv)
{
	int rounds = 20, reopen = 0, opt, n, i, r, f, (*fds)[NFILES];
	char path[64], buf[4096];
	unsigned long long fdsum = 0;
	double t0, t1;
	struct stat sb;
	pid_t *pids;

	while ((opt = getopt(argc, argv, "n:o")) != -1) {
		if (opt == 'n')
			rounds = atoi(optarg);
		else if (opt == 'o')
			reopen = 1;
		else
			return 2;
	}
	n = argc - optind;
	if (n <= 0 || rounds <= 0) {
		fprintf(stderr, "usage: limit [-n ROUNDS] [-o] PID...\n");
		return 2;
	}
	pids = calloc((size_t)n, sizeof(*pids));
	fds = calloc((size_t)n, sizeof(*fds));
	for (i = 0; i < n; i++) {
		pids[i] = atoi(argv[optind + i]);
		for (f = 0; f < NFILES; f++) {
			snprintf(path, sizeof(path), "/proc/%d/%s", pids[i],
			    files[f]);
			fds[i][f] = reopen ? -1 : open(path, O_RDONLY | O_CLOEXEC);
		}
	}
	t0 = bench_cpu_s();
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < n; i++) {
			for (f = 0; f < NFILES; f++) {
				int fd = fds[i][f];

				if (reopen) {
					snprintf(path, sizeof(path),
					    "/proc/%d/%s", pids[i], files[f]);
					fd = open(path, O_RDONLY | O_CLOEXEC);
				}
				if (fd >= 0 && pread(fd, buf, sizeof(buf), 0) < 0)
					buf[0] = 0;
				if (reopen && fd >= 0)
					close(fd);
			}
			snprintf(path, sizeof(path), "/proc/%d/fd", pids[i]);
			if (stat(path, &sb) == 0)
				fdsum += (unsigned long long)sb.st_size;
		}
		if (r + 1 < rounds)
			usleep(1000000 / 10);	/* let the targets run */
	}
	t1 = bench_cpu_s();
	printf("limit: %d pids x %d rounds, %s: %.2f us CPU per "
	    "process-sample (fds seen %llu)\n", n, rounds,
	    reopen ? "open/read/close" : "kept-open pread",
	    (t1 - t0) * 1e6 / ((double)n * rounds), fdsum);
	return 0;
}
