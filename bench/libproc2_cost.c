/*
 * libproc2_cost.c: what reading a sample's fields through libproc2 costs,
 * to set against bench/limit (the floor) and procwatchd's own readers.
 *
 *   bench/libproc2_cost [-n ROUNDS] PID...
 *
 * Each round asks libproc2 for the stat, status and io fields of every pid
 * (procps_pids_select in chunks, as a sampler would) and prints the CPU
 * time per process-sample.  The descriptor count and the context switches
 * are not included: libproc2 4.0.2 has no items for them, so this is a
 * lower bound of a libproc2 sampler.  A first round, not measured, lets
 * libproc2 size its tables; CPU is CLOCK_PROCESS_CPUTIME_ID (ns).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <libproc2/pids.h>

#include "bench/cputime.h"

int
main(int argc, char **argv)
{
	enum pids_item items[] = {
		PIDS_TICS_USER, PIDS_TICS_SYSTEM, PIDS_VM_RSS, PIDS_VM_SIZE,
		PIDS_VM_SWAP, PIDS_NLWP, PIDS_STATE, PIDS_FLT_MIN, PIDS_FLT_MAJ,
		PIDS_IO_READ_BYTES, PIDS_IO_WRITE_BYTES,
		PIDS_TICS_BEGAN,
	};
	struct pids_info *info = NULL;
	int rounds = 20, opt, n, i, r, off, chunk;
	unsigned *pids;
	double t0, t1;
	long got = 0;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt == 'n')
			rounds = atoi(optarg);
		else
			return 2;
	}
	n = argc - optind;
	if (n <= 0) {
		fprintf(stderr, "usage: libproc2_cost [-n ROUNDS] PID...\n");
		return 2;
	}
	pids = calloc((size_t)n, sizeof(*pids));
	for (i = 0; i < n; i++)
		pids[i] = (unsigned)atoi(argv[optind + i]);
	if (procps_pids_new(&info, items, sizeof(items) / sizeof(*items)) < 0)
		return 1;
	/* One round first, not measured: libproc2 sizes its tables. */
	for (off = 0; off < n; off += chunk) {
		chunk = n - off < 200 ? n - off : 200;
		(void)procps_pids_select(info, pids + off, chunk,
		    PIDS_SELECT_PID);
	}
	usleep(100000);
	t0 = bench_cpu_s();
	for (r = 0; r < rounds; r++) {
		for (off = 0; off < n; off += chunk) {
			struct pids_fetch *f;

			chunk = n - off < 200 ? n - off : 200;
			f = procps_pids_select(info, pids + off, chunk,
			    PIDS_SELECT_PID);
			if (f != NULL)
				got += f->counts->total;
		}
		if (r + 1 < rounds)
			usleep(100000);
	}
	t1 = bench_cpu_s();
	printf("libproc2: %d pids x %d rounds: %.2f us CPU per process-sample "
	    "(%ld read)\n", n, rounds, (t1 - t0) * 1e6 / ((double)n * rounds),
	    got);
	procps_pids_unref(&info);
	return 0;
}
