/*
 * test_stats.c: windowed statistics, trends, Welch's t-test and the t
 * distribution.  Reference values were computed independently: by hand
 * for the small sets, by sorting for the percentiles, from closed forms
 * (df 1 and 2, I_x(a,1) = x^a) and with mpmath at 30 digits for the rest
 * (mpmath.betainc(..., regularized=True) and findroot on the CDF); the
 * Welch examples are the two worked examples of the Wikipedia article
 * "Welch's t-test" (t -2.46, df 25.0, p 0.021; t -2.22, df 24.5, p 0.036).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/ring.h>
#include <procwatch/sample.h>
#include <procwatch/stats.h>
#include <procwatch/store.h>

#include "internal.h"

#define NEAR(a, b, eps)	assert_true(fabs((double)(a) - (double)(b)) <= (eps))

/* A fixed-seed PRNG (splitmix64) so the noise tests are deterministic. */
static uint64_t rng_state;

static void
rng_seed(uint64_t s)
{
	rng_state = s;
}

static double
rng_uniform(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0;
}

/* Standard normal by Box-Muller. */
static double
rng_normal(void)
{
	double u = rng_uniform(), w = rng_uniform();

	if (u < 1e-300)
		u = 1e-300;
	return sqrt(-2 * log(u)) * cos(2 * M_PI * w);
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Type 7 percentile of a sorted array: the independent reference. */
static double
ref_pct(const double *sorted, size_t n, double q)
{
	double h = (double)(n - 1) * q;
	size_t k = (size_t)h;

	if (k + 1 >= n)
		return sorted[n - 1];
	return sorted[k] + (h - (double)k) * (sorted[k + 1] - sorted[k]);
}

static void
test_stats_summary_known_set(void **state)
{
	const double v[] = { 9, 4, 5, 2, 4, 7, 4, 5 };
	double scratch[8];
	struct pw_summary s;

	(void)state;
	pw_stats_summarize(v, 8, scratch, &s);
	assert_int_equal(s.n, 8);
	NEAR(s.avg, 5.0, 1e-12);
	NEAR(s.min, 2.0, 0);
	NEAR(s.max, 9.0, 0);
	NEAR(s.var, 32.0 / 7.0, 1e-12);
	NEAR(s.stddev, 2.13808993529939507, 1e-12);
	/* sorted 2 4 4 4 5 5 7 9: h = 3.5, 6.65, 6.93 */
	NEAR(s.p50, 4.5, 1e-12);
	NEAR(s.p95, 8.3, 1e-12);
	NEAR(s.p99, 8.86, 1e-12);
	assert_true(s.has_ci);
	/* t(0.975, 7) * s / sqrt(8) = 1.787487918236... (mpmath) */
	NEAR(s.ci_lo, 5.0 - 1.78748791823621089, 1e-9);
	NEAR(s.ci_hi, 5.0 + 1.78748791823621089, 1e-9);
	/* The input is left alone when a separate scratch is given. */
	assert_true(v[0] == 9 && v[3] == 2);
}

static void
test_stats_summary_empty_window(void **state)
{
	struct pw_summary s;
	double scratch[1];

	(void)state;
	memset(&s, 0xff, sizeof(s));
	pw_stats_summarize(NULL, 0, scratch, &s);
	assert_int_equal(s.n, 0);
	assert_false(s.has_ci);
	NEAR(s.avg, 0, 0);
	NEAR(s.p99, 0, 0);
	NEAR(s.stddev, 0, 0);
}

static void
test_stats_summary_one_sample(void **state)
{
	double v[] = { 42.5 }, scratch[1];
	struct pw_summary s;

	(void)state;
	pw_stats_summarize(v, 1, scratch, &s);
	assert_int_equal(s.n, 1);
	NEAR(s.avg, 42.5, 0);
	NEAR(s.min, 42.5, 0);
	NEAR(s.max, 42.5, 0);
	NEAR(s.p50, 42.5, 0);
	NEAR(s.p95, 42.5, 0);
	NEAR(s.p99, 42.5, 0);
	NEAR(s.stddev, 0, 0);
	assert_false(s.has_ci);		/* no interval from one value */
}

static void
test_stats_summary_constant_series(void **state)
{
	double v[500];
	struct pw_summary s;
	size_t i;

	(void)state;
	for (i = 0; i < 500; i++)
		v[i] = 1e9 + 7;		/* large: Welford must not drift */
	pw_stats_summarize(v, 500, v, &s);	/* in place */
	NEAR(s.avg, 1e9 + 7, 0);
	NEAR(s.stddev, 0, 0);
	NEAR(s.var, 0, 0);
	NEAR(s.p50, 1e9 + 7, 0);
	NEAR(s.p95, 1e9 + 7, 0);
	NEAR(s.p99, 1e9 + 7, 0);
	assert_true(s.has_ci);
	NEAR(s.ci_lo, 1e9 + 7, 0);
	NEAR(s.ci_hi, 1e9 + 7, 0);
}

/* Selection agrees with sorting on many sizes, with and without ties. */
static void
test_stats_percentiles_match_sorting(void **state)
{
	static const size_t sizes[] = { 2, 3, 5, 16, 17, 31, 100, 101, 999,
	    1000, 4097 };
	double *v, *sorted, *scratch;
	struct pw_summary s;
	size_t i, j, n;
	int ties;

	(void)state;
	v = malloc(4097 * sizeof(*v));
	sorted = malloc(4097 * sizeof(*v));
	scratch = malloc(4097 * sizeof(*v));
	assert_non_null(v);
	assert_non_null(sorted);
	assert_non_null(scratch);
	rng_seed(12345);
	for (ties = 0; ties < 2; ties++) {
		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			n = sizes[j];
			for (i = 0; i < n; i++)
				v[i] = ties ? floor(rng_uniform() * 5) :
				    rng_normal() * 100;
			memcpy(sorted, v, n * sizeof(*v));
			qsort(sorted, n, sizeof(*v), cmp_d);
			pw_stats_summarize(v, n, scratch, &s);
			NEAR(s.p50, ref_pct(sorted, n, 0.50), 1e-9);
			NEAR(s.p95, ref_pct(sorted, n, 0.95), 1e-9);
			NEAR(s.p99, ref_pct(sorted, n, 0.99), 1e-9);
			NEAR(s.min, sorted[0], 0);
			NEAR(s.max, sorted[n - 1], 0);
		}
	}
	/* A permutation of 1..1000: p50 500.5, p95 950.05, p99 990.01. */
	for (i = 0; i < 1000; i++)
		v[i] = (double)((i * 617) % 1000 + 1);
	pw_stats_summarize(v, 1000, scratch, &s);
	NEAR(s.p50, 500.5, 1e-9);
	NEAR(s.p95, 950.05, 1e-9);
	NEAR(s.p99, 990.01, 1e-9);
	/* Sorted and reverse-sorted input: the classic quickselect traps. */
	for (i = 0; i < 4097; i++)
		v[i] = (double)i;
	NEAR(pw_stats_quantile(v, 4097, 0.5), 2048, 0);
	for (i = 0; i < 4097; i++)
		v[i] = (double)(4096 - i);
	NEAR(pw_stats_quantile(v, 4097, 0.99), 4055.04, 1e-9);
	free(v);
	free(sorted);
	free(scratch);
}

static struct pw_sample
mk(int64_t ts, uint64_t counter)
{
	struct pw_sample s;

	memset(&s, 0, sizeof(s));
	s.ts_ms = ts;
	s.ctx_voluntary = counter;
	s.ctx_involuntary = counter / 2;
	s.read_bytes = counter * 1000;
	s.rss_bytes = 4096 * (uint64_t)(ts / 1000 + 1);
	s.open_fds = 10;
	s.threads = 2;
	s.cpu_user_pct = 30;
	s.cpu_system_pct = 20;
	return s;
}

static void
test_stats_series_rates_and_reset(void **state)
{
	struct pw_sample s[5];
	struct pw_series_ctx ctx = { .mem_total = 4096 * 100, .fd_limit = 40 };
	double t[5], v[5];
	size_t n;

	(void)state;
	s[0] = mk(0, 100);
	s[0].flags = PW_SAMPLE_FIRST;
	s[1] = mk(1000, 200);
	s[2] = mk(2000, 50);		/* counter reset */
	s[3] = mk(4000, 250);
	s[4] = mk(4000, 260);		/* time did not advance */

	n = pw_stats_series(s, 5, PW_METRIC_CTX_VOLUNTARY_RATE, &ctx, t, v);
	assert_int_equal(n, 2);		/* (0,1) and (2,3) */
	NEAR(v[0], 100, 1e-12);
	NEAR(t[0], 1.0, 0);
	NEAR(v[1], 100, 1e-12);		/* 200 over 2 s */
	NEAR(t[1], 4.0, 0);

	n = pw_stats_series(s, 5, PW_METRIC_READ_BYTES_RATE, &ctx, NULL, v);
	assert_int_equal(n, 2);
	NEAR(v[0], 100000, 1e-9);
	s[3].flags |= PW_SAMPLE_NO_IO;	/* (2,3) has no I/O rate now */
	n = pw_stats_series(s, 5, PW_METRIC_READ_BYTES_RATE, &ctx, NULL, v);
	assert_int_equal(n, 1);

	/* CPU %: the first sample has no rate. */
	n = pw_stats_series(s, 5, PW_METRIC_CPU_PERCENT, &ctx, t, v);
	assert_int_equal(n, 4);
	NEAR(v[0], 50, 0);
	NEAR(t[0], 1.0, 0);
	n = pw_stats_series(s, 5, PW_METRIC_CPU_SYSTEM_PERCENT, &ctx, t, v);
	NEAR(v[0], 20, 0);

	/* Gauges: one value per sample. */
	n = pw_stats_series(s, 5, PW_METRIC_RSS_BYTES, &ctx, t, v);
	assert_int_equal(n, 5);
	NEAR(v[0], 4096, 0);
	NEAR(t[3], 4.0, 0);
	n = pw_stats_series(s, 5, PW_METRIC_MEMORY_PERCENT, &ctx, t, v);
	assert_int_equal(n, 5);
	NEAR(v[0], 1.0, 1e-12);
	n = pw_stats_series(s, 5, PW_METRIC_FD_USAGE, &ctx, t, v);
	assert_int_equal(n, 5);
	NEAR(v[0], 0.25, 1e-12);
	s[1].flags |= PW_SAMPLE_NO_FDS;
	assert_int_equal(pw_stats_series(s, 5, PW_METRIC_OPEN_FDS, &ctx, t,
	    v), 4);
	/*
	 * An unlimited limit gives about 0 (such a process cannot run out),
	 * as rules have it; an unknown one gives no values.
	 */
	ctx.fd_limit = UINT64_MAX;
	ctx.mem_total = 0;
	assert_int_equal(pw_stats_series(s, 5, PW_METRIC_FD_USAGE, &ctx, t,
	    v), 4);
	NEAR(v[0], 0, 1e-15);
	ctx.fd_limit = 0;
	assert_int_equal(pw_stats_series(s, 5, PW_METRIC_FD_USAGE, &ctx, t,
	    v), 0);
	assert_int_equal(pw_stats_series(s, 5, PW_METRIC_MEMORY_PERCENT,
	    &ctx, t, v), 0);
	/* Empty and one-sample windows. */
	assert_int_equal(pw_stats_series(s, 0, PW_METRIC_RSS_BYTES, &ctx, t,
	    v), 0);
	assert_int_equal(pw_stats_series(s, 1, PW_METRIC_MINOR_FAULTS_RATE,
	    &ctx, t, v), 0);
}

static void
test_stats_cpu_seconds_sum_intervals(void **state)
{
	struct pw_sample s[3];
	double u, sy;

	(void)state;
	s[0] = mk(0, 0);
	s[0].flags = PW_SAMPLE_FIRST;
	s[1] = mk(2000, 0);		/* 50 % for 2 s: 1 s */
	s[2] = mk(3000, 0);		/* 50 % for 1 s: 0.5 s */
	NEAR(pw_stats_cpu_seconds(s, 3, &u, &sy), 1.5, 1e-12);
	NEAR(u, 0.9, 1e-12);
	NEAR(sy, 0.6, 1e-12);
	NEAR(pw_stats_cpu_seconds(s, 1, NULL, NULL), 0, 0);
}

static void
test_stats_metric_names_round_trip(void **state)
{
	enum pw_metric m;
	unsigned i;

	(void)state;
	for (i = 0; i < PW_METRIC_COUNT; i++) {
		const char *name = pw_metric_name((enum pw_metric)i);

		assert_non_null(name);
		assert_int_equal(pw_metric_from_name(name, strlen(name), &m),
		    0);
		assert_int_equal(m, i);
	}
	assert_int_equal(pw_metric_from_name("rss", 3, &m), -EINVAL);
	assert_int_equal(pw_metric_from_name("rss_bytesx", 10, &m), -EINVAL);
	assert_int_equal(pw_metric_from_name("cpu_percent,", 11, &m), 0);
	assert_null(pw_metric_name(PW_METRIC_NROWS));
	/* Rows past the windowed ones are not windowed metrics. */
	assert_int_equal(pw_metric_from_name(pw_metric_name(PW_METRIC_COUNT),
	    strlen(pw_metric_name(PW_METRIC_COUNT)), &m), -EINVAL);
	assert_true(pw_metric_has_trend(PW_METRIC_RSS_BYTES));
	assert_true(pw_metric_has_trend(PW_METRIC_OPEN_FDS));
	assert_true(pw_metric_has_trend(PW_METRIC_THREADS));
	assert_false(pw_metric_has_trend(PW_METRIC_CPU_PERCENT));
}

static void
test_stats_trend_known_fit(void **state)
{
	/* By hand: Sxx 10, Sxy 8, Syy 10, slope 0.8/s, SSres 3.6. */
	const double t[] = { 0, 1, 2, 3, 4 }, v[] = { 1, 3, 2, 5, 4 };
	struct pw_trend tr;
	double half;

	(void)state;
	assert_int_equal(pw_stats_trend(t, v, 5, &tr), 0);
	assert_true(tr.valid);
	NEAR(tr.slope_per_min, 48, 1e-9);
	NEAR(tr.intercept, 1.4, 1e-12);
	NEAR(tr.r2, 0.64, 1e-12);
	half = 3.18244630528370959 * sqrt(0.12) * 60;	/* t(0.975, 3) */
	NEAR(tr.ci_lo, 48 - half, 1e-6);
	NEAR(tr.ci_hi, 48 + half, 1e-6);
	assert_int_equal(tr.dir, PW_TREND_FLAT);	/* CI spans 0 */
	assert_string_equal(pw_trend_dir_name(tr.dir), "flat");
}

static void
test_stats_trend_perfect_line_and_degenerate(void **state)
{
	double t[10], v[10];
	struct pw_trend tr;
	size_t i;

	(void)state;
	for (i = 0; i < 10; i++) {
		t[i] = (double)i;
		v[i] = 3 - 2 * (double)i;
	}
	assert_int_equal(pw_stats_trend(t, v, 10, &tr), 0);
	NEAR(tr.slope_per_min, -120, 1e-9);
	NEAR(tr.r2, 1, 1e-12);
	assert_int_equal(tr.dir, PW_TREND_SHRINKING);
	/* Constant values: slope 0, flat, r^2 reported as 0. */
	for (i = 0; i < 10; i++)
		v[i] = 7;
	assert_int_equal(pw_stats_trend(t, v, 10, &tr), 0);
	NEAR(tr.slope_per_min, 0, 0);
	NEAR(tr.r2, 0, 0);
	assert_int_equal(tr.dir, PW_TREND_FLAT);
	/* Too few points, or no spread in time. */
	assert_int_equal(pw_stats_trend(t, v, 2, &tr), -EINVAL);
	assert_false(tr.valid);
	assert_int_equal(tr.dir, PW_TREND_FLAT);
	for (i = 0; i < 10; i++)
		t[i] = 5;
	assert_int_equal(pw_stats_trend(t, v, 10, &tr), -EINVAL);
}

/* A leak of 2 MiB/min under 100 KiB of noise, sampled every second. */
static void
test_stats_trend_synthetic_leak_is_growing(void **state)
{
	double t[300], v[300], slope = 2.0 * 1048576 / 60;
	struct pw_trend tr;
	size_t i;

	(void)state;
	rng_seed(4);
	for (i = 0; i < 300; i++) {
		t[i] = (double)i;
		v[i] = 100.0 * 1048576 + slope * t[i] + rng_normal() * 102400;
	}
	assert_int_equal(pw_stats_trend(t, v, 300, &tr), 0);
	assert_int_equal(tr.dir, PW_TREND_GROWING);
	assert_true(tr.ci_lo > 0);
	assert_true(tr.ci_lo <= 2.0 * 1048576 && tr.ci_hi >= 2.0 * 1048576);
	NEAR(tr.slope_per_min, 2.0 * 1048576, 0.05 * 1048576);
	assert_true(tr.r2 > 0.9);
}

/* Flat noise: a 95 % interval calls about 2.5 % of series "growing". */
static void
test_stats_trend_flat_noise_is_not_growing(void **state)
{
	double t[120], v[120];
	struct pw_trend tr;
	size_t i, k, growing = 0;

	(void)state;
	rng_seed(20261126);
	for (k = 0; k < 400; k++) {
		for (i = 0; i < 120; i++) {
			t[i] = (double)i * 0.5;
			v[i] = 50 + rng_normal() * 5;
		}
		assert_int_equal(pw_stats_trend(t, v, 120, &tr), 0);
		growing += tr.dir == PW_TREND_GROWING;
		assert_true(tr.r2 < 0.2);
	}
	/* Expected 10 of 400; binomial sd ~3.1. */
	assert_true(growing <= 22);
	/* And the first series of this seed is flat. */
	rng_seed(7);
	for (i = 0; i < 120; i++) {
		t[i] = (double)i;
		v[i] = 50 + rng_normal() * 5;
	}
	pw_stats_trend(t, v, 120, &tr);
	assert_int_equal(tr.dir, PW_TREND_FLAT);
}

static void
summary_of(const double *v, size_t n, struct pw_summary *s)
{
	double scratch[64];

	assert_true(n <= 64);
	pw_stats_summarize(v, n, scratch, s);
}

static void
test_stats_welch_textbook_examples(void **state)
{
	const double a1[] = { 27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1,
	    21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4 };
	const double a2[] = { 27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0,
	    24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4 };
	const double b1[] = { 19.8, 20.4, 19.6, 17.8, 18.5, 18.9, 18.3, 18.9,
	    19.5, 22.0 };
	const double b2[] = { 28.2, 26.6, 20.1, 23.3, 25.2, 22.1, 17.7, 27.6,
	    20.6, 13.7, 23.2, 17.5, 20.6, 18.0, 23.9, 21.6, 24.3, 20.4, 23.9,
	    13.3 };
	struct pw_summary s1, s2;
	struct pw_welch w;

	(void)state;
	summary_of(a1, 15, &s1);
	summary_of(a2, 15, &s2);
	assert_int_equal(pw_stats_welch(&s1, &s2, &w), 0);
	NEAR(w.t, -2.45535639828600905, 1e-9);
	NEAR(w.df, 24.9885292902314144, 1e-9);
	NEAR(w.p_value, 0.0213780014628668426, 1e-9);
	assert_true(w.significant);
	NEAR(w.change, s1.avg - s2.avg, 1e-12);
	NEAR(w.change_pct, 100 * (s1.avg - s2.avg) / s2.avg, 1e-9);

	summary_of(b1, 10, &s1);
	summary_of(b2, 20, &s2);
	assert_int_equal(pw_stats_welch(&s1, &s2, &w), 0);
	NEAR(w.t, -2.22551203996984924, 1e-9);
	NEAR(w.df, 24.5246349442573470, 1e-9);
	NEAR(w.p_value, 0.0354845308300105191, 1e-9);

	/* Symmetric: swapping the sides flips t only. */
	assert_int_equal(pw_stats_welch(&s2, &s1, &w), 0);
	NEAR(w.t, 2.22551203996984924, 1e-9);
	NEAR(w.p_value, 0.0354845308300105191, 1e-9);
}

static void
test_stats_welch_edges(void **state)
{
	const double c1[] = { 5, 5, 5 }, c2[] = { 6, 6, 6, 6 }, one[] = { 1 };
	struct pw_summary s1, s2, s3;
	struct pw_welch w;

	(void)state;
	summary_of(c1, 3, &s1);
	summary_of(c2, 4, &s2);
	assert_int_equal(pw_stats_welch(&s1, &s1, &w), 0);
	NEAR(w.t, 0, 0);
	NEAR(w.p_value, 1, 0);
	assert_false(w.significant);
	assert_int_equal(pw_stats_welch(&s2, &s1, &w), 0);
	assert_true(isinf(w.t) && w.t > 0);
	NEAR(w.p_value, 0, 0);
	assert_true(w.significant);
	NEAR(w.change_pct, 20, 1e-12);
	summary_of(one, 1, &s3);
	assert_int_equal(pw_stats_welch(&s3, &s1, &w), -EINVAL);
	assert_int_equal(pw_stats_welch(&s1, &s3, &w), -EINVAL);
}

static void
test_stats_t_quantile_table(void **state)
{
	static const struct {
		double df, q975, q95, q995;
	} tab[] = {
		{ 1, 12.7062047361747, 6.31375151467504, 63.6567411628715 },
		{ 2, 4.30265272974946, 2.91998558035373, 9.92484320091829 },
		{ 3, 3.18244630528371, 2.35336343480182, 5.84090933973326 },
		{ 4, 2.77644510519779, 2.13184678632665, 4.60409487134999 },
		{ 5, 2.57058183563631, 2.01504837333302, 4.03214298355523 },
		{ 7, 2.36462425159279, 1.89457860509001, 3.49948329735049 },
		{ 10, 2.22813885198627, 1.81246112281168, 3.16927267261695 },
		{ 20, 2.08596344726586, 1.72471824292079, 2.84533970978611 },
		{ 30, 2.04227245630124, 1.69726088659396, 2.74999565356723 },
		{ 60, 2.00029782201426, 1.67064886490464, 2.66028302885504 },
		{ 120, 1.97993040508244, 1.65765089935524, 2.61742114510687 },
		{ 1000, 1.96233908082641, 1.64637881728546, 2.58075469806595 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		NEAR(pw_stats_t_quantile(0.975, tab[i].df), tab[i].q975, 1e-8);
		NEAR(pw_stats_t_quantile(0.95, tab[i].df), tab[i].q95, 1e-8);
		NEAR(pw_stats_t_quantile(0.995, tab[i].df), tab[i].q995, 1e-7);
		/* Symmetry. */
		NEAR(pw_stats_t_quantile(0.025, tab[i].df), -tab[i].q975,
		    1e-8);
	}
	NEAR(pw_stats_t_quantile(0.5, 9), 0, 0);
	assert_true(isnan(pw_stats_t_quantile(0, 9)));
	assert_true(isnan(pw_stats_t_quantile(0.9, 0)));
}

static void
test_stats_t_cdf_and_betai(void **state)
{
	double t;

	(void)state;
	/* Closed forms: df 1 is Cauchy, df 2 is t / (2 sqrt(2 + t^2)). */
	for (t = -6; t <= 6; t += 0.37) {
		NEAR(pw_stats_t_cdf(t, 1), 0.5 + atan(t) / M_PI, 1e-12);
		NEAR(pw_stats_t_cdf(t, 2), 0.5 + t / (2 * sqrt(2 + t * t)),
		    1e-12);
	}
	NEAR(pw_stats_t_cdf(1.5, 4), 0.896, 1e-12);
	NEAR(pw_stats_t_cdf(-0.7, 7.5), 0.252527810936925228, 1e-12);
	NEAR(pw_stats_t_cdf(3, 25.3), 0.997004552573449258, 1e-12);
	NEAR(pw_stats_t_cdf(INFINITY, 3), 1, 0);
	NEAR(pw_stats_t_cdf(-INFINITY, 3), 0, 0);
	/* I_x(a, 1) = x^a; I_x(1, b) = 1 - (1-x)^b; I_0.5(a, a) = 0.5. */
	NEAR(pw_stats_betai(3.5, 1, 0.4), pow(0.4, 3.5), 1e-13);
	NEAR(pw_stats_betai(1, 4.2, 0.3), 1 - pow(0.7, 4.2), 1e-13);
	NEAR(pw_stats_betai(7.3, 7.3, 0.5), 0.5, 1e-13);
	NEAR(pw_stats_betai(2.5, 3.5, 0.3), 0.296752989295666378, 1e-13);
	NEAR(pw_stats_betai(10, 0.5, 0.9), 0.151640909634709969, 1e-13);
	NEAR(pw_stats_betai(2, 3, 0), 0, 0);
	NEAR(pw_stats_betai(2, 3, 1), 1, 0);
}

/* pw_store_each: windows, gone processes, and stopping early. */
static void
push_proc(struct pw_store *st, pid_t pid, bool alive, size_t nsamples)
{
	struct pw_proc *p = calloc(1, sizeof(*p));
	struct pw_sample s;
	size_t i;

	assert_non_null(p);
	p->pid = pid;
	p->alive = alive;
	p->gone_ms = alive ? 0 : 5000;
	snprintf(p->comm, sizeof(p->comm), "p%d", (int)pid);
	p->target = strdup("t");
	p->ring = pw_ring_new(st->history, 100);
	pw_prochandle_init(&p->h, pid);
	assert_non_null(p->ring);
	for (i = 0; i < nsamples; i++) {
		s = mk((int64_t)i * 1000, i);
		s.rss_bytes = 1 << 20;
		s.utime_ticks = i * 30;		/* 30 % + 20 % at 100 Hz */
		s.stime_ticks = i * 20;
		pw_ring_push(p->ring, &s);
	}
	pw__store_wrlock(st);
	assert_int_equal(pw__store_insert(st, p), 0);
	st->taken_ms = (int64_t)(nsamples - 1) * 1000;
	pw__store_unlock(st);
}

struct seen {
	pid_t	pids[8];
	size_t	n[8];
	size_t	k;
	size_t	stop_after;
};

static int
record(const struct pw_proc_view *v, const struct pw_sample *s, size_t n,
    void *arg)
{
	struct seen *w = arg;

	(void)s;
	w->pids[w->k] = v->pid;
	w->n[w->k++] = n;
	assert_string_equal(v->target, "t");
	return w->k == w->stop_after ? 42 : 0;
}

static void
test_stats_store_each_visits_windows(void **state)
{
	struct pw_store *st = pw_store_new(10, 100);
	struct seen w = { .stop_after = 0 };

	(void)state;
	assert_non_null(st);
	push_proc(st, 30, true, 20);
	push_proc(st, 10, true, 5);
	push_proc(st, 20, false, 8);
	assert_int_equal(pw_store_each(st, 15500, false, record, &w), 0);
	assert_int_equal(w.k, 2);
	assert_int_equal(w.pids[0], 10);	/* pid order */
	assert_int_equal(w.n[0], 0);		/* nothing in the window */
	assert_int_equal(w.pids[1], 30);
	assert_int_equal(w.n[1], 4);		/* 16 .. 19 s */
	memset(&w, 0, sizeof(w));
	assert_int_equal(pw_store_each(st, INT64_MIN, true, record, &w), 0);
	assert_int_equal(w.k, 3);
	assert_int_equal(w.n[1], 8);
	assert_int_equal(w.n[2], 10);		/* capped by the ring */
	memset(&w, 0, sizeof(w));
	w.stop_after = 1;
	assert_int_equal(pw_store_each(st, INT64_MIN, true, record, &w), 42);
	assert_int_equal(w.k, 1);
	pw_store_free(st);
}

static void
test_stats_averages_per_target(void **state)
{
	struct pw_store *st = pw_store_new(10, 100);
	struct pw_avg_group *g, all;
	size_t n;

	(void)state;
	push_proc(st, 10, true, 5);
	push_proc(st, 11, true, 5);
	push_proc(st, 12, false, 5);		/* gone: not counted */
	assert_int_equal(pw_stats_averages(st, 60000, NULL, &g, &n, &all), 0);
	assert_int_equal(n, 1);
	assert_string_equal(g[0].target, "t");
	assert_int_equal(g[0].processes, 2);
	NEAR(g[0].cpu_percent, 50, 1e-9);
	NEAR(g[0].cpu_percent_total, 100, 1e-9);
	NEAR(g[0].rss_bytes, 1 << 20, 0);
	NEAR(g[0].threads, 2, 0);
	NEAR(g[0].open_fds, 10, 0);
	assert_int_equal(all.processes, 2);
	pw_avg_groups_free(g, n);
	assert_int_equal(pw_stats_averages(st, 60000, "nope", &g, &n, &all),
	    0);
	assert_int_equal(n, 0);
	assert_int_equal(all.processes, 0);
	pw_avg_groups_free(g, n);
	pw_store_free(st);
}

/*
 * Buckets of equal values: every figure but the confidence interval is
 * that of the samples behind them; buckets that vary keep n, avg, min
 * and max exact, and the percentiles within them.
 */
static void
test_stats_buckets_match_samples(void **state)
{
	/* 3 + 1 + 4 + 2 samples of 5, 1, 9, 2; a bucket with none. */
	const double val[] = { 5, 1, 9, 2, 7 };
	const size_t cnt[] = { 3, 1, 4, 2, 0 };
	struct pw_bucket b[5], scratch[5];
	struct pw_summary raw, fromb;
	double v[16], w[16];
	size_t i, j, n = 0;

	(void)state;
	for (i = 0; i < 5; i++) {
		b[i].n = cnt[i];
		b[i].mean = b[i].min = b[i].max = val[i];
		for (j = 0; j < cnt[i]; j++)
			v[n++] = val[i];
	}
	pw_stats_summarize(v, n, w, &raw);
	pw_stats_summarize_buckets(b, 5, scratch, &fromb);
	assert_int_equal(fromb.n, raw.n);
	assert_true(fabs(fromb.avg - raw.avg) < 1e-12);
	assert_true(fromb.min == raw.min && fromb.max == raw.max);
	assert_true(fabs(fromb.p50 - raw.p50) < 1e-12);
	assert_true(fabs(fromb.p95 - raw.p95) < 1e-12);
	assert_true(fabs(fromb.p99 - raw.p99) < 1e-12);
	assert_true(fabs(fromb.stddev - raw.stddev) < 1e-12);
	assert_false(fromb.has_ci);

	/* Buckets that vary: 1..10 in two of five, min and max kept. */
	for (i = 0; i < 10; i++)
		v[i] = (double)(i + 1);
	b[0].n = 5;
	b[0].mean = 3;
	b[0].min = 1;
	b[0].max = 5;
	b[1].n = 5;
	b[1].mean = 8;
	b[1].min = 6;
	b[1].max = 10;
	pw_stats_summarize(v, 10, w, &raw);
	pw_stats_summarize_buckets(b, 2, b, &fromb);	/* in place */
	assert_int_equal(fromb.n, 10);
	assert_true(fabs(fromb.avg - raw.avg) < 1e-12);
	assert_true(fromb.min == 1 && fromb.max == 10);
	assert_true(fromb.p50 >= 3 && fromb.p50 <= 8);
	assert_true(fromb.p99 <= fromb.max && fromb.stddev <= raw.stddev);

	/* None, or only empty ones: n 0. */
	b[0].n = 0;
	pw_stats_summarize_buckets(b, 1, scratch, &fromb);
	assert_int_equal(fromb.n, 0);
	pw_stats_summarize_buckets(NULL, 0, NULL, &fromb);
	assert_int_equal(fromb.n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stats_summary_known_set),
		cmocka_unit_test(test_stats_summary_empty_window),
		cmocka_unit_test(test_stats_summary_one_sample),
		cmocka_unit_test(test_stats_summary_constant_series),
		cmocka_unit_test(test_stats_percentiles_match_sorting),
		cmocka_unit_test(test_stats_series_rates_and_reset),
		cmocka_unit_test(test_stats_cpu_seconds_sum_intervals),
		cmocka_unit_test(test_stats_metric_names_round_trip),
		cmocka_unit_test(test_stats_trend_known_fit),
		cmocka_unit_test(test_stats_trend_perfect_line_and_degenerate),
		cmocka_unit_test(test_stats_trend_synthetic_leak_is_growing),
		cmocka_unit_test(test_stats_trend_flat_noise_is_not_growing),
		cmocka_unit_test(test_stats_welch_textbook_examples),
		cmocka_unit_test(test_stats_welch_edges),
		cmocka_unit_test(test_stats_t_quantile_table),
		cmocka_unit_test(test_stats_t_cdf_and_betai),
		cmocka_unit_test(test_stats_store_each_visits_windows),
		cmocka_unit_test(test_stats_averages_per_target),
		cmocka_unit_test(test_stats_buckets_match_samples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
