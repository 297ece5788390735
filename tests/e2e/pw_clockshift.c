/*
 * pw_clockshift.c: an LD_PRELOAD shim for the end-to-end tests that moves
 * CLOCK_REALTIME (and nothing else) by $PW_CLOCK_SHIFT_MS milliseconds,
 * so that a test can start procwatchd a few seconds before a minute
 * boundary and see a minute's roll-up without waiting for the wall clock.
 * CLOCK_MONOTONIC is left alone: the sampler's schedule is unchanged.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

typedef int clock_gettime_fn(clockid_t, struct timespec *);

int
clock_gettime(clockid_t id, struct timespec *ts)
{
	static clock_gettime_fn *real;
	const char *env;
	long long shift, ns;
	int rc;

	if (real == NULL)
		real = (clock_gettime_fn *)dlsym(RTLD_NEXT, "clock_gettime");
	if ((rc = real(id, ts)) != 0 || id != CLOCK_REALTIME ||
	    (env = getenv("PW_CLOCK_SHIFT_MS")) == NULL)
		return rc;
	shift = atoll(env);
	ns = (long long)ts->tv_nsec + shift % 1000 * 1000000LL;
	ts->tv_sec += (time_t)(shift / 1000 + ns / 1000000000LL -
	    (ns < 0 ? 1 : 0));
	ts->tv_nsec = (long)(ns % 1000000000LL + (ns < 0 ? 1000000000LL : 0));
	return 0;
}
