/*
 * bench/cputime.h: the CPU time this process has used, for benchmarks that
 * report what the daemon would spend rather than wall time.
 */
#ifndef PW_BENCH_CPUTIME_H
#define PW_BENCH_CPUTIME_H

/*
 * User + system CPU seconds of this process so far, from
 * CLOCK_PROCESS_CPUTIME_ID: the scheduler's run time in nanoseconds, not
 * a count of 10 ms ticks.
 */
double	bench_cpu_s(void);

#endif
