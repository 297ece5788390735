/*
 * stats_bench.c: how long the windowed views take on a full store.
 *
 *   bench/stats_bench [-p PROCS] [-s SAMPLES] [-r ROUNDS]
 *
 * Fills a store with PROCS processes (default 1000) of SAMPLES samples
 * (default 1000, one a second) of synthetic data without /proc: rings are
 * built directly and inserted through the library's internal hooks.  A
 * tenth of the processes leak memory, a tenth leak descriptors, the CPU
 * load varies.  Then it times, as the HTTP handlers run them minus the
 * JSON: pw_bottlenecks() over a 5 m window, pw_stats_averages() over 5 m,
 * and one process's stats (copy of 10 m of samples, the 16 metrics
 * summarised, 3 trends, 16 Welch tests against the previous window).
 * Prints the median and the worst of ROUNDS (default 20) wall-clock runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <procwatch/bottleneck.h>
#include <procwatch/ring.h>
#include <procwatch/stats.h>
#include <procwatch/store.h>

#include "internal.h"
#include "bench/synth.h"

static void
report(const char *what, double *t, int n)
{
	bench_sort(t, n);
	printf("%-44s median %8.3f ms   max %8.3f ms\n", what, t[n / 2],
	    t[n - 1]);
}

/* One process's stats, as api/stats.c computes them. */
static size_t
one_stats(struct pw_store *st, pid_t pid, int64_t window_ms)
{
	struct pw_series_ctx ctx = { .mem_total = 16ull << 30,
	    .fd_limit = 1024 };
	struct pw_summary cur, prev;
	struct pw_sample *s;
	struct pw_welch w;
	struct pw_trend tr;
	size_t n, cap, c, k, total = 0;
	double *t, *v;
	unsigned m;
	int64_t end;

	pw_store_info(st, &end, NULL);
	if (pw_store_samples(st, pid, end - 2 * window_ms, SIZE_MAX, &s, &n,
	    &cap) < 0)
		return 0;
	t = malloc(n * sizeof(*t));
	v = malloc(n * sizeof(*v));
	for (c = 0; c < n && s[c].ts_ms <= end - window_ms; c++)
		;
	for (m = 0; m < PW_METRIC_COUNT; m++) {
		k = pw_stats_series(s + c, n - c, m, &ctx, t, v);
		if (pw_metric_has_trend(m))
			pw_stats_trend(t, v, k, &tr);
		pw_stats_summarize(v, k, v, &cur);
		k = pw_stats_series(s, c, m, &ctx, NULL, v);
		pw_stats_summarize(v, k, v, &prev);
		pw_stats_welch(&cur, &prev, &w);
		total += cur.n;
	}
	free(t);
	free(v);
	free(s);
	return total;
}

int
main(int argc, char **argv)
{
	int procs = 1000, samples = 1000, rounds = 20, opt, r;
	struct pw_bn_query bq = { 0 };
	struct pw_avg_group *g, all;
	struct pw_bottleneck *v;
	struct pw_store *st;
	double t0, *tb, *ta, *ts, tf;
	size_t n = 0, ng, found = 0;

	while ((opt = getopt(argc, argv, "p:s:r:")) != -1) {
		if (opt == 'p')
			procs = atoi(optarg);
		else if (opt == 's')
			samples = atoi(optarg);
		else if (opt == 'r')
			rounds = atoi(optarg);
		else
			return 2;
	}
	if (procs < 1 || samples < 2 || rounds < 1) {
		fprintf(stderr, "usage: stats_bench [-p PROCS] [-s SAMPLES] "
		    "[-r ROUNDS]\n");
		return 2;
	}
	tb = calloc((size_t)rounds, sizeof(double));
	ta = calloc((size_t)rounds, sizeof(double));
	ts = calloc((size_t)rounds, sizeof(double));
	t0 = bench_now_ms();
	if ((st = bench_fill(procs, samples)) == NULL || tb == NULL || ta == NULL ||
	    ts == NULL) {
		fprintf(stderr, "stats_bench: out of memory\n");
		return 1;
	}
	tf = bench_now_ms() - t0;
	printf("store: %d processes x %d samples (1 s apart), filled in "
	    "%.0f ms\n", procs, samples, tf);
	bq.window_ms = 300000;
	bq.limit = 20;
	for (r = 0; r < rounds; r++) {
		t0 = bench_now_ms();
		if (pw_bottlenecks(st, &bq, &v, &n) < 0)
			return 1;
		tb[r] = bench_now_ms() - t0;
		found = n;
		free(v);
		t0 = bench_now_ms();
		if (pw_stats_averages(st, 300000, NULL, &g, &ng, &all) < 0)
			return 1;
		ta[r] = bench_now_ms() - t0;
		pw_avg_groups_free(g, ng);
		t0 = bench_now_ms();
		if (one_stats(st, 1000 + procs / 2, 300000) == 0)
			return 1;
		ts[r] = bench_now_ms() - t0;
	}
	report("bottlenecks, 5m window (300 samples each)", tb, rounds);
	report("averages, 5m window", ta, rounds);
	report("one process's stats, 5m + previous 5m", ts, rounds);
	printf("(%zu bottleneck entries kept of the ranked list; %d rounds)\n",
	    found, rounds);
	pw_store_free(st);
	free(tb);
	free(ta);
	free(ts);
	return 0;
}
