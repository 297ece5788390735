/*
 * test_history.c: the on-disk history (lib/history.h): round trips,
 * compression of idle processes, the lock, queries and the cursor.
 * Temporary directories under $TMPDIR; a fake clock.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <procwatch/custom.h>
#include <procwatch/metric.h>
#include <procwatch/procfs.h>
#include <procwatch/ring.h>
#include <procwatch/stats.h>
#include <procwatch/store.h>

#include "history.h"
#include "internal.h"
#include "test_history_util.h"

static void
test_history_round_trip_raw(void **state)
{
	struct hist_fixture *f = *state;
	struct pw_hist_series *s;
	struct pw_hist_query q = { 0 };
	size_t i;

	hist_fixture_open(f);
	for (i = 0; i < 30; i++)
		hist_push_farm(f, T0 + (int64_t)i * 1000, 20, 5, i);
	assert_int_equal(pw_history_flush(f->h, 5000), 0);
	q.kind = PW_HIST_PROC;
	q.pid = 1003;
	q.since_ms = T0;
	q.until_ms = T0 + 30000;
	q.res = PW_HIST_RAW;
	assert_int_equal(pw_history_series(f->h, &q, &s), 0);
	assert_int_equal(s->n, 30);
	assert_int_equal(s->ncols, PW_METRIC_NROWS);
	assert_int_equal(s->ngaps, 0);
	assert_string_equal(s->ident.name, "proc1003");
	assert_int_equal(s->ident.start_time_ms, START(1003));
	for (i = 0; i < 30; i++) {
		double want[PW_METRIC_NROWS];
		size_t c;

		hist_farm_values(1003, 5, i, want);
		assert_int_equal(s->ts_ms[i], T0 + (int64_t)i * 1000);
		for (c = 0; c < PW_METRIC_NROWS; c++) {
			if (isnan(want[c]))
				assert_true(isnan(s->val[i * s->ncols + c]));
			else
				assert_true(want[c] == s->val[i * s->ncols + c]);
		}
	}
	pw_hist_series_free(s);
	/* After a close and a reopen, from the files alone. */
	hist_fixture_reopen(f);
	assert_int_equal(pw_history_series(f->h, &q, &s), 0);
	assert_int_equal(s->n, 30);
	pw_hist_series_free(s);
}

static void
test_history_idle_costs_almost_nothing(void **state)
{
	struct hist_fixture *f = *state;
	struct pw_hist_stats st;
	size_t i, n = 600;

	hist_fixture_open(f);
	/* 1000 processes, 10 busy, for 10 minutes at 1 s. */
	for (i = 0; i < n; i++) {
		hist_push_farm(f, T0 + (int64_t)i * 1000, 1000, 10, i);
		if (i % 32 == 31)
			assert_int_equal(pw_history_flush(f->h, 10000), 0);
	}
	assert_int_equal(pw_history_flush(f->h, 10000), 0);
	pw_history_stats(f->h, &st);
	assert_int_equal(st.cycles_written, n);
	assert_int_equal(st.dropped_queue, 0);
	print_message("raw bytes per process-sample: %.3f\n",
	    (double)st.bytes[PW_HIST_RAW] / (double)(n * 1000));
	assert_true(st.bytes[PW_HIST_RAW] < n * 1000 * 4);
}

static void
test_history_lock_refuses_second_opener(void **state)
{
	struct hist_fixture *f = *state;
	struct pw_hist_opts o;
	struct pw_history *h2;
	pid_t holder = 0, child;
	int status, fds[2];
	char c;

	hist_fixture_open(f);
	pw_hist_opts_init(&o);
	o.dir = f->dir;
	/* flock() locks are per open file: a second open in-process fails. */
	assert_int_equal(pw_history_open(&o, &h2, &holder), -EBUSY);
	assert_int_equal(holder, getpid());
	/* And from another process, which names us. */
	assert_int_equal(pipe(fds), 0);
	if ((child = fork()) == 0) {
		int rc = pw_history_open(&o, &h2, &holder);

		c = (char)(rc == -EBUSY && holder == getppid());
		if (write(fds[1], &c, 1) != 1)
			_exit(2);
		_exit(0);
	}
	assert_true(child > 0);
	assert_int_equal(read(fds[0], &c, 1), 1);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(c == 1);
	close(fds[0]);
	close(fds[1]);
}

static void
test_history_res_auto_picks_the_finest_that_fits(void **state)
{
	(void)state;
	assert_int_equal(pw_hist_res_auto(T0, T0 + 3600000, 1000, 4000),
	    PW_HIST_RAW);
	assert_int_equal(pw_hist_res_auto(T0, T0 + 86400000, 1000, 2000),
	    PW_HIST_1M);
	assert_int_equal(pw_hist_res_auto(T0, T0 + 30LL * 86400000, 1000,
	    2000), PW_HIST_1H);
	assert_int_equal(pw_hist_res_auto(INT64_MIN, INT64_MAX, 1000, 10),
	    PW_HIST_1H);
}

static void
test_history_missing_parent_is_clear_error(void **state)
{
	struct pw_hist_opts o;
	struct pw_history *h;

	(void)state;
	pw_hist_opts_init(&o);
	o.dir = "/nonexistent-pw/deeper/history";
	assert_int_equal(pw_history_open(&o, &h, NULL), -ENOENT);
}


/* Push one cycle of the given pids (start times START(pid) + gen). */
static void
push_pids(struct hist_fixture *f, int64_t ts, const pid_t *pids, size_t n,
    int64_t gen, size_t i)
{
	double v[PW_METRIC_NROWS];
	struct pw_hist_cycle *c;
	struct pw_hist_ident id;
	size_t k;

	assert_non_null(c = pw_hist_cycle_new(ts, 1000));
	for (k = 0; k < n; k++) {
		memset(&id, 0, sizeof(id));
		id.kind = PW_HIST_PROC;
		id.pid = pids[k];
		id.start_time_ms = START(pids[k]) + gen;
		id.name = gen ? "second" : "first";
		hist_farm_values(pids[k], 1000, i, v);
		assert_int_equal(pw_hist_cycle_add(c, &id, v, PW_METRIC_NROWS),
		    0);
	}
	f->now_ms = ts;
	assert_int_equal(pw_history_push(f->h, c), 0);
}

/*
 * Roll-ups keep whole numbers exact and fractions (rates, ratios) to a
 * thousandth: lib/hist_tier.c.
 */
static bool
near(double got, double want, size_t row)
{
	const struct pw_metric_def *d = pw_metric_def((enum pw_metric)row);
	double tol = d->kind == PW_KIND_RATE || d->kind == PW_KIND_RATIO ?
	    0.0005 : 0;

	if (isnan(want) || isnan(got))
		return isnan(want) && isnan(got);
	return fabs(got - want) <= tol + 1e-9 * fabs(want);
}

static void
test_history_rollups_match_raw(void **state)
{
	struct hist_fixture *f = *state;
	struct pw_hist_series *raw, *m, *hr;
	struct pw_hist_query q = { 0 };
	size_t i, b, c, k, n = 185;

	hist_fixture_open(f);
	/* Three minutes and a bit, 1 s apart, one sample missing. */
	for (i = 0; i < n; i++)
		if (i != 70)
			hist_push_farm(f, T0 + (int64_t)i * 1000, 4, 4, i);
	assert_int_equal(pw_history_flush(f->h, 5000), 0);
	q.kind = PW_HIST_PROC;
	q.pid = 1002;
	q.since_ms = T0;
	q.until_ms = T0 + 180000;
	q.res = PW_HIST_RAW;
	assert_int_equal(pw_history_series(f->h, &q, &raw), 0);
	assert_int_equal(raw->n, 179);
	assert_int_equal(raw->ngaps, 1);
	assert_int_equal(raw->gaps[0].from_ms, T0 + 69000);
	assert_int_equal(raw->gaps[0].until_ms, T0 + 71000);
	q.res = PW_HIST_1M;
	assert_int_equal(pw_history_series(f->h, &q, &m), 0);
	assert_int_equal(m->n, 3);
	for (b = 0; b < 3; b++) {
		assert_int_equal(m->ts_ms[b], T0 + (int64_t)b * 60000);
		for (c = 0; c < PW_METRIC_NROWS; c++) {
			double mn = INFINITY, mx = -INFINITY, sum = 0, last = 0;
			double inc = 0, prev = NAN;
			uint32_t cnt = 0;
			bool is_inc = pw_metric_def((enum pw_metric)c)->rollup ==
			    PW_ROLLUP_INCREASE;

			for (k = 0; k < raw->n; k++) {
				double v = raw->val[k * raw->ncols + c];

				if (raw->ts_ms[k] / 60000 != (T0 / 60000) +
				    (int64_t)b) {
					if (raw->ts_ms[k] < T0 + (int64_t)b *
					    60000)
						prev = v;
					continue;
				}
				cnt++;
				mn = v < mn ? v : mn;
				mx = v > mx ? v : mx;
				sum += v;
				last = v;
				if (!isnan(prev))
					inc += v >= prev ? v - prev : v;
				prev = v;
			}
			assert_int_equal(m->count[b * m->ncols + c], cnt);
			assert_true(near(m->min[b * m->ncols + c], mn, c));
			assert_true(near(m->max[b * m->ncols + c], mx, c));
			assert_true(near(m->last[b * m->ncols + c], last, c));
			assert_true(near(m->val[b * m->ncols + c],
			    is_inc ? inc : sum / cnt, c));
		}
	}
	/* The hour: written at close, merged from the minutes. */
	hist_fixture_reopen(f);
	q.res = PW_HIST_1H;
	q.until_ms = T0 + 3600000;
	assert_int_equal(pw_history_series(f->h, &q, &hr), 0);
	assert_int_equal(hr->n, 1);
	assert_int_equal(hr->count[PW_METRIC_RSS_BYTES], n - 1);
	assert_true(hr->max[PW_METRIC_RSS_BYTES] ==
	    raw->val[(raw->n - 1) * raw->ncols + PW_METRIC_RSS_BYTES] +
	    5 * (PW_METRIC_RSS_BYTES + 1));
	pw_hist_series_free(hr);
	pw_hist_series_free(m);
	pw_hist_series_free(raw);
}

/* pw_history_scan()'s callback: counts cycles, keeps pid 1002's rows. */
struct scan_seen {
	size_t	cycles;
	int64_t	ts[8];
	double	cpu[8], ctx[8];
};

static int
scan_note(void *arg, const struct pw_hist_cycle *c)
{
	struct scan_seen *ss = arg;
	const struct pw_hist_ident *id;
	const double *v;
	size_t i, ncols;

	for (i = 0; i < pw_hist_cycle_nseries(c); i++) {
		v = pw_hist_cycle_series(c, i, &id, &ncols);
		if (id->pid != 1002 || ss->cycles >= 8)
			continue;
		ss->ts[ss->cycles] = pw_hist_cycle_ts(c);
		ss->cpu[ss->cycles] = v[PW_METRIC_CPU_PERCENT];
		ss->ctx[ss->cycles] = v[PW_METRIC_CTX_VOLUNTARY];
	}
	ss->cycles++;
	return 0;
}

/*
 * Statistics of a window from the minute and hour tiers against those of
 * the raw samples they roll up: count, avg, min and max agree (to the
 * thousandth a rate or ratio is kept at), percentiles lie within; a scan
 * of the minute tier gives each bucket's mean, and a counter's last value.
 */
static void
test_history_tier_stats_match_raw(void **state)
{
	struct hist_fixture *f = *state;
	struct pw_hist_series *raw, *m, *hr;
	struct pw_hist_query q = { 0 };
	struct pw_summary want, got;
	struct pw_bucket *b;
	struct scan_seen ss;
	double *v, tol;
	size_t i, k, n = 185, r;

	hist_fixture_open(f);
	for (i = 0; i < n; i++)
		if (i != 70)
			hist_push_farm(f, T0 + (int64_t)i * 1000, 4, 4, i);
	assert_int_equal(pw_history_flush(f->h, 5000), 0);
	q.kind = PW_HIST_PROC;
	q.pid = 1002;
	q.since_ms = T0;
	q.until_ms = T0 + 180000;
	q.res = PW_HIST_RAW;
	assert_int_equal(pw_history_series(f->h, &q, &raw), 0);
	q.res = PW_HIST_1M;
	assert_int_equal(pw_history_series(f->h, &q, &m), 0);
	assert_int_equal(m->n, 3);
	assert_non_null(b = calloc(raw->n, sizeof(*b)));
	assert_non_null(v = calloc(raw->n, sizeof(*v)));
	for (r = 0; r < PW_METRIC_COUNT; r++) {
		for (i = 0, k = 0; i < raw->n; i++)
			if (isfinite(raw->val[i * raw->ncols + r]))
				v[k++] = raw->val[i * raw->ncols + r];
		pw_stats_summarize(v, k, v, &want);
		k = pw_hist_series_buckets(m, r, b);
		pw_stats_summarize_buckets(b, k, b, &got);
		assert_int_equal(got.n, want.n);
		if (want.n == 0)
			continue;
		tol = 0.0005 + 1e-9 * fabs(want.max);
		assert_true(fabs(got.avg - want.avg) <= tol);
		assert_true(fabs(got.min - want.min) <= tol);
		assert_true(fabs(got.max - want.max) <= tol);
		assert_true(got.p50 >= got.min - tol && got.p50 <= got.max + tol);
		assert_true(got.p99 >= got.p50 && got.p99 <= got.max + tol);
	}
	/* A raw series as buckets: one sample each, the same summary. */
	k = pw_hist_series_buckets(raw, PW_METRIC_CPU_PERCENT, b);
	assert_int_equal(k, raw->n);
	pw_stats_summarize_buckets(b, k, b, &got);
	for (i = 0; i < raw->n; i++)
		v[i] = raw->val[i * raw->ncols + PW_METRIC_CPU_PERCENT];
	pw_stats_summarize(v, raw->n, v, &want);
	assert_true(fabs(got.p95 - want.p95) < 1e-9);
	assert_true(fabs(got.stddev - want.stddev) < 1e-9);

	/* A scan of the minute tier: means, and a counter's last value. */
	memset(&ss, 0, sizeof(ss));
	assert_int_equal(pw_history_scan(f->h, PW_HIST_1M, T0, T0 + 180000,
	    scan_note, &ss), 0);
	assert_int_equal(ss.cycles, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(ss.ts[i], m->ts_ms[i]);
		assert_true(fabs(ss.cpu[i] - m->val[i * m->ncols +
		    PW_METRIC_CPU_PERCENT]) < 1e-9);
		assert_true(ss.ctx[i] == m->last[i * m->ncols +
		    PW_METRIC_CTX_VOLUNTARY]);
	}
	/* ... and of raw: every cycle written in the range. */
	memset(&ss, 0, sizeof(ss));
	assert_int_equal(pw_history_scan(f->h, PW_HIST_RAW, T0, T0 + 180000,
	    scan_note, &ss), 0);
	assert_int_equal(ss.cycles, raw->n);
	assert_int_equal(pw_history_scan(f->h, PW_HIST_RAW, T0, T0,
	    scan_note, &ss), -EINVAL);

	/* The hour: all 184 samples, the same average. */
	hist_fixture_reopen(f);
	q.res = PW_HIST_1H;
	q.until_ms = T0 + 3600000;
	assert_int_equal(pw_history_series(f->h, &q, &hr), 0);
	for (i = 0, k = 0; i < raw->n; i++)
		v[k++] = raw->val[i * raw->ncols + PW_METRIC_RSS_BYTES];
	pw_stats_summarize(v, k, v, &want);
	k = pw_hist_series_buckets(hr, PW_METRIC_RSS_BYTES, b);
	assert_int_equal(k, 1);
	pw_stats_summarize_buckets(b, k, b, &got);
	assert_int_equal(got.n, n - 1);
	assert_true(got.max == raw->val[(raw->n - 1) * raw->ncols +
	    PW_METRIC_RSS_BYTES] + 5 * (PW_METRIC_RSS_BYTES + 1));
	assert_true(got.min == want.min);
	free(v);
	free(b);
	pw_hist_series_free(hr);
	pw_hist_series_free(m);
	pw_hist_series_free(raw);
}

static void
test_history_pid_reuse_resolved_by_time(void **state)
{
	struct hist_fixture *f = *state;
	struct pw_hist_series *s;
	struct pw_hist_query q = { 0 };
	pid_t pids[] = { 1005, 1006 };
	size_t i;

	hist_fixture_open(f);
	for (i = 0; i < 10; i++)
		push_pids(f, T0 + (int64_t)i * 1000, pids, 2, 0, i);
	/* 1005 exits; later another process gets its pid. */
	for (i = 10; i < 15; i++)
		push_pids(f, T0 + (int64_t)i * 1000, pids + 1, 1, 0, i);
	for (i = 15; i < 30; i++)
		push_pids(f, T0 + (int64_t)i * 1000, pids, 2, 3612000, i);
	assert_int_equal(pw_history_flush(f->h, 5000), 0);
	q.kind = PW_HIST_PROC;
	q.pid = 1005;
	q.since_ms = T0;
	q.until_ms = T0 + 60000;
	q.at_ms = T0 + 5000;
	assert_int_equal(pw_history_series(f->h, &q, &s), 0);
	assert_int_equal(s->ident.start_time_ms, START(1005));
	assert_string_equal(s->ident.name, "first");
	assert_int_equal(s->n, 10);
	pw_hist_series_free(s);
	q.at_ms = 0;
	assert_int_equal(pw_history_series(f->h, &q, &s), 0);
	assert_int_equal(s->ident.start_time_ms, START(1005) + 3612000);
	assert_int_equal(s->n, 15);
	pw_hist_series_free(s);
	q.at_ms = T0 + 12500;	/* between the two: the first, gone */
	assert_int_equal(pw_history_series(f->h, &q, &s), 0);
	assert_int_equal(s->ident.start_time_ms, START(1005));
	pw_hist_series_free(s);
	q.at_ms = T0 + 20000;
	assert_int_equal(pw_history_series(f->h, &q, &s), 0);
	assert_int_equal(s->ident.start_time_ms, START(1005) + 3612000);
	pw_hist_series_free(s);
	/* 1006 went on; the second 1006 is another process. */
	q.pid = 1006;
	q.start_time_ms = START(1006);
	assert_int_equal(pw_history_series(f->h, &q, &s), 0);
	assert_int_equal(s->n, 15);
	pw_hist_series_free(s);
	q.pid = 4242;
	q.start_time_ms = 0;
	assert_int_equal(pw_history_series(f->h, &q, &s), -ENOENT);
}

static void
test_history_at_lists_then_alive(void **state)
{
	struct hist_fixture *f = *state;
	struct pw_hist_at *a;
	pid_t pids[] = { 1001, 1002, 1003 };
	double want[PW_METRIC_NROWS];
	size_t i;

	hist_fixture_open(f);
	for (i = 0; i < 20; i++)
		push_pids(f, T0 + (int64_t)i * 1000, pids, i < 10 ? 3 : 2, 0, i);
	assert_int_equal(pw_history_flush(f->h, 5000), 0);
	/* 1003 was alive (and busy) at T0 + 5.5 s, gone since. */
	assert_int_equal(pw_history_at(f->h, T0 + 5500, &a), 0);
	assert_int_equal(a->res, PW_HIST_RAW);
	assert_int_equal(a->n, 3);
	assert_int_equal(a->e[2].ident.pid, 1003);
	assert_int_equal(a->e[2].ts_ms, T0 + 5000);
	hist_farm_values(1003, 1000, 5, want);
	assert_true(a->e[2].val[PW_METRIC_CPU_PERCENT] ==
	    want[PW_METRIC_CPU_PERCENT]);
	pw_hist_at_free(a);
	assert_int_equal(pw_history_at(f->h, T0 + 15000, &a), 0);
	assert_int_equal(a->n, 2);
	pw_hist_at_free(a);
	/* Before anything was recorded, or long after: nothing. */
	assert_int_equal(pw_history_at(f->h, T0 - 60000, &a), -ENOENT);
	assert_int_equal(pw_history_at(f->h, T0 + 300000, &a), -ENOENT);
}

static void
test_history_events_and_alerts_at(void **state)
{
	struct hist_fixture *f = *state;
	struct pw_hist_event e, *v;
	struct pw_hist_cycle *c;
	size_t n, i;

	hist_fixture_open(f);
	for (i = 0; i < 10; i++) {
		assert_non_null(c = pw_hist_cycle_new(T0 + (int64_t)i * 1000,
		    1000));
		memset(&e, 0, sizeof(e));
		e.ts_ms = T0 + (int64_t)i * 1000 - 10;
		if (i == 2 || i == 6) {
			e.kind = PW_HIST_EV_ALERT;
			e.type = i == 2 ? "firing" : "resolved";
			e.name = "high_cpu";
			e.target = "web";
			e.pid = 77;
			e.value = 93.5;
			assert_int_equal(pw_hist_cycle_add_event(c, &e), 0);
		}
		if (i == 4) {
			e.kind = PW_HIST_EV_PROCESS;
			e.type = "exit";
			e.name = "spinner";
			e.pid = 88;
			e.value = -9;
			e.detail = "{\"signal\":\"SIGKILL\"}";
			assert_int_equal(pw_hist_cycle_add_event(c, &e), 0);
		}
		assert_int_equal(pw_history_push(f->h, c), 0);
	}
	assert_int_equal(pw_history_flush(f->h, 5000), 0);
	assert_int_equal(pw_history_events(f->h, T0, T0 + 10000, 0, &v, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[1].type, "exit");
	assert_string_equal(v[1].detail, "{\"signal\":\"SIGKILL\"}");
	assert_int_equal(v[1].ts_ms, T0 + 3990);
	assert_true(v[1].value == -9);
	free(v);
	assert_int_equal(pw_history_events(f->h, T0, T0 + 10000,
	    1u << PW_HIST_EV_PROCESS, &v, &n), 0);
	assert_int_equal(n, 1);
	free(v);
	assert_int_equal(pw_history_alerts_at(f->h, T0 + 3000, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].name, "high_cpu");
	assert_int_equal(v[0].pid, 77);
	free(v);
	assert_int_equal(pw_history_alerts_at(f->h, T0 + 8000, &v, &n), 0);
	assert_int_equal(n, 0);
	free(v);
	/* Open-ended ranges, as "everything" or "until now". */
	assert_int_equal(pw_history_events(f->h, INT64_MIN, INT64_MAX, 0, &v,
	    &n), 0);
	assert_int_equal(n, 3);
	free(v);
	assert_int_equal(pw_history_alerts_at(f->h, INT64_MAX, &v, &n), 0);
	assert_int_equal(n, 0);
	free(v);
}

static void
test_history_cursor_in_time_order(void **state)
{
	struct hist_fixture *f = *state;
	const struct pw_hist_cycle *c;
	const struct pw_hist_ident *id;
	struct pw_hist_cursor *cu;
	const double *v;
	size_t i, ncols, got = 0;

	hist_fixture_open(f);
	for (i = 0; i < 300; i++)	/* more than one key interval */
		hist_push_farm(f, T0 + (int64_t)i * 1000, 5, 2, i);
	assert_int_equal(pw_history_flush(f->h, 5000), 0);
	assert_int_equal(pw_hist_cursor_new(f->h, 0, &cu), 0);
	while (pw_hist_cursor_next(cu, &c) == 1) {
		assert_int_equal(pw_hist_cycle_ts(c), T0 + (int64_t)got * 1000);
		assert_int_equal(pw_hist_cycle_nseries(c), 5);
		v = pw_hist_cycle_series(c, 1, &id, &ncols);
		assert_int_equal(ncols, PW_METRIC_NROWS);
		assert_int_equal(id->pid, 1001);
		assert_true(v[PW_METRIC_RSS_BYTES] == (double)(1001 * 10 +
		    PW_METRIC_RSS_BYTES) + (double)(got *
		    (PW_METRIC_RSS_BYTES + 1)));
		got++;
	}
	assert_int_equal(got, 300);
	assert_int_equal(pw_hist_cursor_pos(cu), T0 + 299000);
	/* Nothing new: 0; then what the writer adds comes next. */
	assert_int_equal(pw_hist_cursor_next(cu, &c), 0);
	hist_push_farm(f, T0 + 300000, 5, 2, 300);
	assert_int_equal(pw_history_flush(f->h, 5000), 0);
	assert_int_equal(pw_hist_cursor_next(cu, &c), 1);
	assert_int_equal(pw_hist_cycle_ts(c), T0 + 300000);
	pw_hist_cursor_free(cu);
	/* A cursor saved at a position resumes after it. */
	assert_int_equal(pw_hist_cursor_new(f->h, T0 + 149000, &cu), 0);
	assert_int_equal(pw_hist_cursor_next(cu, &c), 1);
	assert_int_equal(pw_hist_cycle_ts(c), T0 + 150000);
	pw_hist_cursor_free(cu);
}

static void
test_history_full_queue_drops_and_counts(void **state)
{
	struct hist_fixture *f = *state;
	struct pw_hist_stats st;
	struct pw_hist_cycle *c;
	size_t i;

	f->o.queue_cycles = 4;
	assert_int_equal(pw_history_open(&f->o, &f->h, NULL), 0);
	/* Not started: nothing drains the queue. */
	for (i = 0; i < 6; i++) {
		assert_non_null(c = pw_hist_cycle_new(T0 + (int64_t)i, 1000));
		assert_int_equal(pw_history_push(f->h, c), i < 4 ? 0 : -ENOSPC);
	}
	pw_history_stats(f->h, &st);
	assert_int_equal(st.dropped_queue, 2);
	assert_int_equal(st.queue_len, 4);
}

/* A store like the sampler's: two processes, one gone, the group "all". */
static struct pw_store *
fake_store(int64_t ts)
{
	struct pw_store *st = pw_store_new(16, 100);
	struct pw_group_sample g;
	struct pw_sample smp;
	struct pw_proc *p;
	int i, j;

	assert_non_null(st);
	pw__store_wrlock(st);
	assert_int_equal(pw__store_set_groups(st, NULL, 0), 0);
	for (i = 0; i < 3; i++) {
		assert_non_null(p = calloc(1, sizeof(*p)));
		p->id = (uint64_t)i + 1;
		p->pid = 500 + i;
		p->alive = i < 2;
		p->gone_ms = i < 2 ? 0 : ts;	/* the commit's stamp */
		p->start_time_ms = ts - 100000 - i;
		p->fd_limit = 1024;
		snprintf(p->comm, sizeof(p->comm), "w%d", i);
		p->cmdline = strdup("/usr/bin/w --x");
		p->user = strdup("root");
		p->target = strdup("all");
		pw_prochandle_init(&p->h, p->pid);
		assert_non_null(p->ring = pw_ring_new(16, 100));
		memset(&smp, 0, sizeof(smp));
		smp.rss_bytes = (uint64_t)(i + 1) << 20;
		smp.open_fds = 5;
		smp.threads = 1;
		for (j = 0; j < 2; j++) {
			smp.ts_ms = ts - 1000 + j * 1000 - (i == 2 ? 1000 : 0);
			smp.utime_ticks += 50;
			smp.ctx_voluntary += 10;
			pw_ring_push(p->ring, &smp);
		}
		assert_int_equal(pw__store_insert(st, p), 0);
	}
	memset(&g, 0, sizeof(g));
	g.ts_ms = ts;
	g.processes = 2;
	g.rss_bytes = 3 << 20;
	pw__store_group_push(st, 0, &g);
	st->taken_ms = ts;
	st->mem_total = 1ull << 30;
	pw__store_unlock(st);
	return st;
}

static void
test_history_cycle_from_store_reads_the_catalogue(void **state)
{
	struct pw_hist_cycle *c;
	const struct pw_hist_ident *id;
	const struct pw_hist_event *e;
	struct pw_metric_ctx ctx = { 0 };
	struct pw_store *st;
	const double *v;
	size_t n, m, i;
	double want;

	(void)state;
	st = fake_store(T0);
	assert_non_null(c = pw_hist_cycle_new(T0, 1000));
	assert_int_equal(pw_hist_cycle_from_store(c, st), 0);
	/* Two live processes sampled now, the group; the gone one's exit. */
	assert_int_equal(pw_hist_cycle_nseries(c), 3);
	assert_int_equal(pw_hist_cycle_nevents(c), 1);
	e = pw_hist_cycle_event(c, 0);
	assert_string_equal(e->type, "exit");
	assert_int_equal(e->pid, 502);
	assert_int_equal(e->start_time_ms, T0 - 100002);
	/* A cycle 60 ms later (the one before ran late): not again. */
	{
		struct pw_hist_cycle *c2;

		assert_non_null(c2 = pw_hist_cycle_new(T0 + 60, 1000));
		assert_int_equal(pw_hist_cycle_from_store(c2, st), 0);
		assert_int_equal(pw_hist_cycle_nevents(c2), 0);
		pw_hist_cycle_free(c2);
	}
	assert_non_null(pw_hist_cycle_series(c, 2, &id, &n));
	assert_int_equal(id->kind, PW_HIST_GROUP);
	assert_string_equal(id->name, "all");
	for (i = 0; i < 2; i++) {
		struct pw_sample *s2;
		size_t k, cap;

		v = pw_hist_cycle_series(c, i, &id, &n);
		assert_int_equal(n, PW_METRIC_NROWS);
		assert_int_equal(id->kind, PW_HIST_PROC);
		assert_int_equal(id->pid, 500 + (pid_t)i);
		assert_string_equal(id->cmdline, "/usr/bin/w --x");
		assert_string_equal(id->target, "all");
		/* Each row as its reader gives it from the newest two. */
		assert_int_equal(pw_store_samples(st, id->pid, INT64_MIN, 2,
		    &s2, &k, &cap), 0);
		assert_int_equal(k, 2);
		ctx.mem_total = 1ull << 30;
		ctx.fd_limit = 1024;
		ctx.hz = 100;
		ctx.start_time_ms = T0 - 100000 - (int64_t)i;
		for (m = 0; m < PW_METRIC_NROWS; m++) {
			if (pw_metric_read((enum pw_metric)m, &ctx, &s2[1],
			    &s2[0], &want))
				assert_true(v[m] == want);
			else
				assert_true(isnan(v[m]));
		}
		assert_false(isnan(v[PW_METRIC_CPU_PERCENT]));
		free(s2);
	}
	pw_hist_cycle_free(c);
	pw_store_free(st);
}

static void
test_history_cycle_from_custom_names_series(void **state)
{
	struct pw_custom_label lab = { "queue", "mail" };
	struct pw_custom_point pt = { 0 };
	char err[128];
	struct pw_custom *cs;
	struct pw_hist_cycle *c;
	const struct pw_hist_ident *id;
	const double *v;
	size_t n;

	(void)state;
	assert_non_null(cs = pw_custom_new(NULL));
	pt.name = "queue_depth";
	pt.scope = PW_CUSTOM_TARGET;
	pt.target = "web";
	pt.labels = &lab;
	pt.nlabels = 1;
	pt.ts_ms = T0;
	pt.value = 42.5;
	assert_int_equal(pw_custom_put(cs, &pt, "test", T0, err, sizeof(err)),
	    0);
	assert_non_null(c = pw_hist_cycle_new(T0, 1000));
	assert_int_equal(pw_hist_cycle_from_custom(c, cs), 0);
	assert_int_equal(pw_hist_cycle_nseries(c), 1);
	v = pw_hist_cycle_series(c, 0, &id, &n);
	assert_int_equal(n, 1);
	assert_int_equal(id->kind, PW_HIST_CUSTOM);
	assert_string_equal(id->name,
	    "queue_depth{target=\"web\",queue=\"mail\"}");
	assert_true(v[0] == 42.5);
	pw_hist_cycle_free(c);
	pw_custom_free(cs);
}

struct reader_arg {
	struct pw_history	*h;
	_Atomic bool		 stop;
	int			 reads;
};

/* Queries of every kind, over and over, while the writer writes. */
static void *
reader_main(void *p)
{
	struct reader_arg *ra = p;
	struct pw_hist_query q = { 0 };
	const struct pw_hist_cycle *c;
	struct pw_hist_cursor *cu = NULL;
	struct pw_hist_series *s;
	struct pw_hist_stats st;
	struct pw_hist_at *a;

	q.kind = PW_HIST_PROC;
	q.pid = 1001;
	q.since_ms = T0;
	q.until_ms = T0 + 3600000;
	if (pw_hist_cursor_new(ra->h, 0, &cu) != 0)
		return NULL;
	while (!ra->stop) {
		q.res = (enum pw_hist_res)(ra->reads % 2);
		if (pw_history_series(ra->h, &q, &s) == 0)
			pw_hist_series_free(s);
		if (pw_history_at(ra->h, T0 + 5000, &a) == 0)
			pw_hist_at_free(a);
		while (pw_hist_cursor_next(cu, &c) == 1)
			;
		pw_history_stats(ra->h, &st);
		ra->reads++;
	}
	pw_hist_cursor_free(cu);
	return NULL;
}

static void
test_history_reads_while_writing(void **state)
{
	struct hist_fixture *f = *state;
	struct reader_arg ra = { 0 };
	struct pw_hist_stats st;
	pthread_t t;
	size_t i;

	f->o.segment_bytes = 64u << 10;	/* rotations under the readers */
	f->o.max_bytes = 128u << 10;	/* and deletions */
	hist_fixture_open(f);
	ra.h = f->h;
	assert_int_equal(pthread_create(&t, NULL, reader_main, &ra), 0);
	for (i = 0; i < 400; i++) {
		hist_push_farm(f, T0 + (int64_t)i * 1000, 100, 100, i);
		if (i % 50 == 49)
			assert_int_equal(pw_history_flush(f->h, 10000), 0);
	}
	assert_int_equal(pw_history_flush(f->h, 10000), 0);
	ra.stop = true;
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(ra.reads > 0);
	pw_history_stats(f->h, &st);
	assert_true(st.segments_expired > 0);
	assert_int_equal(st.corrupt_skipped, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_history_round_trip_raw,
		    hist_setup, hist_teardown),
		cmocka_unit_test_setup_teardown(
		    test_history_idle_costs_almost_nothing, hist_setup,
		    hist_teardown),
		cmocka_unit_test_setup_teardown(
		    test_history_lock_refuses_second_opener, hist_setup,
		    hist_teardown),
		cmocka_unit_test(test_history_missing_parent_is_clear_error),
		cmocka_unit_test(
		    test_history_res_auto_picks_the_finest_that_fits),
		cmocka_unit_test_setup_teardown(
		    test_history_tier_stats_match_raw, hist_setup,
		    hist_teardown),
		cmocka_unit_test_setup_teardown(test_history_rollups_match_raw,
		    hist_setup, hist_teardown),
		cmocka_unit_test_setup_teardown(
		    test_history_pid_reuse_resolved_by_time, hist_setup,
		    hist_teardown),
		cmocka_unit_test_setup_teardown(test_history_at_lists_then_alive,
		    hist_setup, hist_teardown),
		cmocka_unit_test_setup_teardown(
		    test_history_events_and_alerts_at, hist_setup, hist_teardown),
		cmocka_unit_test_setup_teardown(
		    test_history_cursor_in_time_order, hist_setup, hist_teardown),
		cmocka_unit_test_setup_teardown(
		    test_history_full_queue_drops_and_counts, hist_setup,
		    hist_teardown),
		cmocka_unit_test(
		    test_history_cycle_from_store_reads_the_catalogue),
		cmocka_unit_test(test_history_cycle_from_custom_names_series),
		cmocka_unit_test_setup_teardown(test_history_reads_while_writing,
		    hist_setup, hist_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
