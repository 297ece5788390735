/*
 * bench/synth.h: synthetic stores for the benchmarks.
 */
#ifndef PW_BENCH_SYNTH_H
#define PW_BENCH_SYNTH_H

struct pw_store;

/*
 * PROCS processes of SAMPLES samples each, one a second: a tenth leak
 * memory, a tenth leak descriptors, the CPU load varies; a third belong
 * to target "db", the rest to "web".  NULL when out of memory.
 */
struct pw_store	*bench_fill(int procs, int samples);

/* CLOCK_MONOTONIC in ms; sort n timings ascending (median t[n / 2]). */
double		 bench_now_ms(void);
void		 bench_sort(double *t, int n);

#endif
