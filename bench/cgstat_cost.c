/*
 * cgstat_cost.c: what the cgroup figures of one target cost the sampler
 * each cycle (lib/monitor_oom.c): pw_cgstat_read() of a cgroup (three
 * pressure files, memory.events or memory.oom_control, the limit) and,
 * once per cycle whatever the targets, the oom_kill line of /proc/vmstat.
 *
 *   bench/cgstat_cost [-n READS] [CGROUP]     default 2000 reads of "/"
 *
 * The hierarchies are this machine's (/proc/self/mounts).  Prints the CPU
 * time (user + system of this process) per call of each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <procwatch/psi.h>

#include "bench/cputime.h"

int
main(int argc, char **argv)
{
	const char *cg = "/";
	struct pw_cgstat st;
	struct pw_cgfs fs;
	uint64_t k = 0;
	int i, n = 2000, opt;
	double c0, cg_us, vm_us;

	while ((opt = getopt(argc, argv, "n:")) != -1)
		if (opt == 'n')
			n = atoi(optarg);
	if (optind < argc)
		cg = argv[optind];
	if (n <= 0 || pw_cgfs_discover("/proc", &fs) < 0)
		return 1;
	pw_cgstat_read(&fs, cg, &st);
	printf("cgroup2 %s, memory %s (%s); cgroup %s: pressure %s, "
	    "memory events %s\n", fs.v2[0] ? fs.v2 : "none",
	    fs.mem_on_v2 ? "on v2" : fs.mem_v1[0] ? fs.mem_v1 : "none",
	    fs.mem_on_v2 ? "memory.events" : "memory.oom_control", cg,
	    st.psi_why == PW_CGW_OK ? "read" :
	    pw_cgstat_why_text(st.psi_why),
	    st.mem_why == PW_CGW_OK ? "read" :
	    pw_cgstat_why_text(st.mem_why));
	c0 = bench_cpu_s();
	for (i = 0; i < n; i++)
		pw_cgstat_read(&fs, cg, &st);
	cg_us = (bench_cpu_s() - c0) * 1e6 / n;
	c0 = bench_cpu_s();
	for (i = 0; i < n; i++)
		(void)pw_vmstat_oom_kill("/proc", &k);
	vm_us = (bench_cpu_s() - c0) * 1e6 / n;
	printf("%-34s %8.1f us CPU\n", "pw_cgstat_read (one target)", cg_us);
	printf("%-34s %8.1f us CPU\n", "pw_vmstat_oom_kill (per cycle)",
	    vm_us);
	return 0;
}
