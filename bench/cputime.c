/*
 * cputime.c: see bench/cputime.h.
 */
#include <time.h>

#include "bench/cputime.h"

double
bench_cpu_s(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
