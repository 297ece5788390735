/*
 * procwatch/stats.h: windowed statistics over a process's samples.
 *
 * DESIGN: everything here is a pure function over arrays of doubles (and
 * timestamps in seconds), so each figure can be checked against values
 * computed independently.  A window is summarised in one pass (Welford's
 * mean and variance, min, max) plus a selection (quickselect) for the
 * percentiles on one scratch array the caller owns and reuses; nothing is
 * sorted and nothing is allocated.  The Student t distribution (quantiles
 * for confidence intervals, the CDF for Welch's test) is computed here from
 * the regularized incomplete beta function; no libm beyond lgamma_r, exp,
 * log, sqrt.
 */
#ifndef PROCWATCH_STATS_H
#define PROCWATCH_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <procwatch/metric.h>
#include <procwatch/sample.h>

/*
 * The metrics a window can be summarised over are the catalogue's rows
 * with PW_MF_STATS (procwatch/metric.h): enum pw_metric up to
 * PW_METRIC_COUNT, pw_metric_name(), pw_metric_from_name() and
 * pw_metric_has_trend() are declared there.
 */

/* What a series needs besides the samples. */
struct pw_series_ctx {
	uint64_t	mem_total;	/* bytes; 0: memory_percent has no values */
	uint64_t	fd_limit;	/* 0: fd_usage has no values */
};

/*
 * Extract metric `m` from samples s[0..n-1] (oldest first) into v[] and,
 * if t_s is not NULL, the sample times in seconds after s[0] into t_s[].
 * Both arrays need room for n values.  Returns how many were written.
 *
 * Values are the catalogue's readers' (pw_metric_read()); `m` may be any
 * row with a process value.  Gauges give one value per sample (open fds
 * and fd_usage skip samples with PW_SAMPLE_NO_FDS; an unlimited fd_limit
 * gives a usage of about 0).  CPU percentages are the sampler's per-interval
 * rates; samples flagged PW_SAMPLE_FIRST have none and are skipped.  The
 * other rates come from consecutive pairs (i-1, i) within the array, so a
 * window of n samples gives at most n-1; a pair is skipped when the time
 * does not advance, when sample i is a first sample, when a counter went
 * backwards (a reset: the rate over that interval is unknown) and, for
 * I/O, when either sample has PW_SAMPLE_NO_IO.
 * Thread: any.
 */
size_t	pw_stats_series(const struct pw_sample *s, size_t n, enum pw_metric m,
	    const struct pw_series_ctx *ctx, double *t_s, double *v);

/*
 * CPU seconds (user + system) spent over the window s[0..n-1]: the sum of
 * each interval's rate times its length, which is the tick count over the
 * window divided by the clock rate.  *user_s and *sys_s may be NULL.
 * Thread: any (pure).
 */
double	pw_stats_cpu_seconds(const struct pw_sample *s, size_t n,
	    double *user_s, double *sys_s);

/* Summary of one window.  With n == 0 every figure is 0. */
struct pw_summary {
	size_t	n;
	double	avg;
	double	min;
	double	max;
	double	p50;
	double	p95;
	double	p99;
	double	stddev;		/* sample standard deviation (n - 1) */
	double	var;		/* its square */
	bool	has_ci;		/* n >= 2 */
	double	ci_lo;		/* 95 % confidence interval of the mean */
	double	ci_hi;		/* (Student t, n - 1 degrees of freedom) */
};

/*
 * Summarise v[0..n-1].  Percentiles interpolate linearly between the
 * closest ranks (R's type 7, numpy's default): p = x[h] with h = (n-1)q.
 * `scratch` needs room for n doubles; it may be v itself, which is then
 * permuted.  Non-finite values must not be passed.
 * Thread: any.
 */
void	pw_stats_summarize(const double *v, size_t n, double *scratch,
	    struct pw_summary *out);

/*
 * One bucket of a roll-up (a minute or an hour of samples): how many
 * samples it summarises and their mean, min and max.
 */
struct pw_bucket {
	size_t	n;
	double	mean;
	double	min;
	double	max;
};

/*
 * Summarise the samples behind buckets b[0..nb-1] from the buckets alone.
 * n, avg (the means weighted by n), min and max are those of the samples;
 * percentiles are those of the means, each counted n times (exact when
 * every bucket holds one value repeated, else an approximation); stddev
 * is that of the means so weighted, a lower bound of the samples' (the
 * spread within a bucket is not kept), and has_ci is false.  Buckets with
 * n 0 or a mean that is not finite are left out.  `scratch` needs room
 * for nb buckets; it may be b itself, which is then reordered.
 * Thread: any (pure).
 */
void	pw_stats_summarize_buckets(const struct pw_bucket *b, size_t nb,
	    struct pw_bucket *scratch, struct pw_summary *out);

/*
 * The value of rank h = (n-1)q, interpolated, found by selection: a[] is
 * permuted.  n must be > 0 and 0 <= q <= 1.
 * Thread: any (pure).
 */
double	pw_stats_quantile(double *a, size_t n, double q);

enum pw_trend_dir {
	PW_TREND_FLAT = 0,
	PW_TREND_GROWING,	/* the slope's 95 % CI is above zero */
	PW_TREND_SHRINKING,	/* ... below zero */
};

/* Least-squares line through (t, v), the slope per minute. */
struct pw_trend {
	bool			valid;		/* n >= 3 and t not constant */
	size_t			n;
	double			slope_per_min;
	double			intercept;	/* at t = 0 */
	double			r2;		/* 0 when v is constant */
	double			ci_lo;		/* 95 % CI of the slope, per min */
	double			ci_hi;
	enum pw_trend_dir	dir;
};

/*
 * Fit v against t_s (seconds).  The slope's standard error is
 * sqrt(SSres / (n-2) / Sxx) and its interval uses Student t with n-2
 * degrees of freedom.  Returns 0, or -EINVAL (and out->valid false, dir
 * flat) when there are fewer than 3 points or all times are equal.
 * Thread: any (pure).
 */
int	pw_stats_trend(const double *t_s, const double *v, size_t n,
	    struct pw_trend *out);

/* Thread: any. */
const char	*pw_trend_dir_name(enum pw_trend_dir);

/* Welch's unequal-variances t-test of `cur` against `base`. */
struct pw_welch {
	double	change;		/* cur avg - base avg */
	double	change_pct;	/* 100 change / |base avg|; 0 if base avg 0 */
	double	t;		/* +-INFINITY when both variances are 0 */
	double	df;		/* Welch-Satterthwaite */
	double	p_value;	/* two-sided */
	bool	significant;	/* p_value < 0.05 */
};

/*
 * Compare two summaries (only n, avg and var are used, so a saved
 * baseline needs no samples).  Returns 0, or -EINVAL when either has
 * fewer than 2 values.
 * Thread: any (pure).
 */
int	pw_stats_welch(const struct pw_summary *cur,
	    const struct pw_summary *base, struct pw_welch *out);

/*
 * The Student t distribution with `df` (> 0, need not be an integer)
 * degrees of freedom: CDF, and the quantile for 0 < p < 1 (Newton's method
 * on the CDF from a Cornish-Fisher start; exact for df 1 and 2).
 * Thread: any (pure).
 */
double	pw_stats_t_cdf(double t, double df);
double	pw_stats_t_quantile(double p, double df);

/*
 * The regularized incomplete beta function I_x(a, b), a, b > 0,
 * 0 <= x <= 1, by its continued fraction (modified Lentz).
 * Thread: any (pure).
 */
double	pw_stats_betai(double a, double b, double x);

/* Window averages of a group of processes (a target, or all of them). */
struct pw_avg_group {
	char	*target;		/* owned; NULL for "all processes" */
	size_t	 processes;		/* with at least one sample */
	double	 cpu_percent;		/* mean of the per-process means */
	double	 cpu_percent_total;	/* their sum */
	double	 rss_bytes;
	double	 rss_bytes_total;
	double	 memory_percent;	/* 0 when MemTotal is unknown */
	double	 open_fds;		/* over processes whose fds are known */
	double	 threads;
};

struct pw_store;

/*
 * Average CPU %, RSS, memory %, open fds and threads of the live processes
 * of `st` over the last `window_ms` before its last commit: each process's
 * window mean, then the mean (and for CPU and RSS the sum) per target and
 * over all of them.  With `target` not NULL only that target is grouped
 * (and counted in *all).  On success *groups is a malloc'd array of *n
 * groups ordered by name; free it with pw_avg_groups_free().  Returns 0
 * or -ENOMEM.
 * Thread: any (HTTP).
 */
int	pw_stats_averages(struct pw_store *st, int64_t window_ms,
	    const char *target, struct pw_avg_group **groups, size_t *n,
	    struct pw_avg_group *all);
void	pw_avg_groups_free(struct pw_avg_group *groups, size_t n);

#endif
