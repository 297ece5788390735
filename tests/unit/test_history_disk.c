/*
 * test_history_disk.c: the history's files under damage and limits: a
 * torn tail, flipped bytes in an older segment, a full disk (a file size
 * limit: writes fail with EFBIG as they would with ENOSPC), the byte
 * budget, and a segment written by a build with fewer catalogue rows.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zstd.h>

#include <procwatch/metric.h>

#include "hist_impl.h"
#include "history.h"
#include "test_history_util.h"

/* The path of the n-th (0: oldest) segment of a tier, by name order. */
static void
seg_file(const struct hist_fixture *f, const char *tier, int nth, char *out,
    size_t len)
{
	struct dirent **names;
	int n, i, k = 0;
	size_t tl = strlen(tier);

	out[0] = '\0';
	n = scandir(f->dir, &names, NULL, alphasort);
	for (i = 0; i < n; i++) {
		const char *d = names[i]->d_name;
		size_t dl = strlen(d);

		if (strncmp(d, tier, tl) == 0 && d[tl] == '-' && dl > 4 &&
		    strcmp(d + dl - 4, ".pws") == 0 && k++ == nth)
			snprintf(out, len, "%s/%s", f->dir, d);
		free(names[i]);
	}
	free(names);
}

static off_t
file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? sb.st_size : -1;
}

static size_t
count_points(struct hist_fixture *f, pid_t pid)
{
	struct pw_hist_query q = { 0 };
	struct pw_hist_series *s;
	size_t n;

	q.kind = PW_HIST_PROC;
	q.pid = pid;
	q.since_ms = T0 - 86400000;
	q.until_ms = T0 + 86400000;
	q.res = PW_HIST_RAW;
	if (pw_history_series(f->h, &q, &s) != 0)
		return 0;
	n = s->n;
	pw_hist_series_free(s);
	return n;
}

static void
test_history_torn_tail_is_cut(void **state)
{
	struct hist_fixture *f = *state;
	struct pw_hist_stats st;
	char path[512];
	size_t i;

	hist_fixture_open(f);
	for (i = 0; i < 10; i++)
		hist_push_farm(f, T0 + (int64_t)i * 1000, 10, 10, i);
	assert_int_equal(pw_history_flush(f->h, 5000), 0);
	pw_history_close(f->h);
	f->h = NULL;
	/* kill -9 mid-write: the last record half there. */
	seg_file(f, "raw", 0, path, sizeof(path));
	assert_int_equal(truncate(path, file_size(path) - 7), 0);
	hist_fixture_open(f);
	pw_history_stats(f->h, &st);
	assert_true(st.torn_cut_bytes > 0);
	assert_non_null(strstr(f->log, "torn"));
	assert_non_null(strstr(f->log, path));
	assert_int_equal(count_points(f, 1004), 9);
	/* Writing goes on after it, in a new segment. */
	hist_push_farm(f, T0 + 20000, 10, 10, 20);
	assert_int_equal(pw_history_flush(f->h, 5000), 0);
	assert_int_equal(count_points(f, 1004), 10);
	hist_fixture_reopen(f);
	assert_int_equal(count_points(f, 1004), 10);
}

static void
test_history_corrupt_older_segment_is_skipped(void **state)
{
	struct hist_fixture *f = *state;
	struct pw_hist_stats st;
	char path[512];
	uint8_t junk[64];
	size_t i;
	int fd;

	/* Three runs: three raw segments. */
	for (i = 0; i < 30; i++) {
		if (i % 10 == 0) {
			if (f->h != NULL)
				hist_fixture_reopen(f);
			else
				hist_fixture_open(f);
		}
		hist_push_farm(f, T0 + (int64_t)i * 1000, 10, 10, i);
		assert_int_equal(pw_history_flush(f->h, 5000), 0);
	}
	pw_history_close(f->h);
	f->h = NULL;
	seg_file(f, "raw", 1, path, sizeof(path));
	assert_true(path[0] != '\0');
	memset(junk, 0xa5, sizeof(junk));
	assert_true((fd = open(path, O_WRONLY)) >= 0);
	assert_int_equal(pwrite(fd, junk, sizeof(junk),
	    file_size(path) / 2), (ssize_t)sizeof(junk));
	close(fd);
	hist_fixture_open(f);
	/* Told soon after start, by the writer's check, before any read. */
	for (i = 0; i < 500; i++) {
		pw_history_stats(f->h, &st);
		if (st.checked)
			break;
		usleep(10000);
	}
	assert_true(st.checked);
	assert_non_null(strstr(f->log, path));
	assert_non_null(strstr(f->log, "corrupt"));
	/* The damaged run is lost from the damage on; the others are whole. */
	i = count_points(f, 1002);
	assert_true(i >= 20 && i < 30);
	pw_history_stats(f->h, &st);
	assert_true(st.corrupt_skipped >= 1);
	/* Reads go on after it, and writing too. */
	hist_push_farm(f, T0 + 40000, 10, 10, 40);
	assert_int_equal(pw_history_flush(f->h, 5000), 0);
	assert_int_equal(count_points(f, 1002), i + 1);
	/* A segment whose header is garbage is skipped, not fatal. */
	pw_history_close(f->h);
	f->h = NULL;
	seg_file(f, "raw", 0, path, sizeof(path));
	assert_true((fd = open(path, O_WRONLY)) >= 0);
	assert_int_equal(pwrite(fd, junk, 16, 0), 16);
	close(fd);
	hist_fixture_open(f);
	assert_non_null(strstr(f->log, "not a readable segment"));
	i = count_points(f, 1002);
	assert_true(i >= 10 && i < 30);
}

static void
test_history_full_disk_counts_and_resumes(void **state)
{
	struct hist_fixture *f = *state;
	struct pw_hist_stats st;
	struct rlimit old, lim;
	struct pw_hist_query q = { 0 };
	struct pw_hist_series *s;
	char path[512];
	size_t i;

	hist_fixture_open(f);
	for (i = 0; i < 5; i++)
		hist_push_farm(f, T0 + (int64_t)i * 1000, 50, 50, i);
	assert_int_equal(pw_history_flush(f->h, 5000), 0);
	seg_file(f, "raw", 0, path, sizeof(path));
	/* No file may grow past what the raw segment has now. */
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)file_size(path);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	for (i = 5; i < 10; i++)
		hist_push_farm(f, T0 + (int64_t)i * 1000, 50, 50, i);
	assert_int_equal(pw_history_flush(f->h, 5000), 0);
	pw_history_stats(f->h, &st);
	assert_int_equal(st.dropped_write, 5);
	assert_true(st.write_failing);
	assert_int_equal(st.last_errno, EFBIG);
	assert_true(st.write_errors >= 5);
	/* Nothing half-written stays behind. */
	assert_int_equal(file_size(path), (off_t)lim.rlim_cur);
	/* Logged once, not per cycle. */
	assert_non_null(strstr(f->log, "dropped until"));
	assert_null(strstr(strstr(f->log, "dropped until") + 1,
	    "dropped until"));
	/* Space comes back: writing resumes by itself. */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	for (i = 10; i < 15; i++)
		hist_push_farm(f, T0 + (int64_t)i * 1000, 50, 50, i);
	assert_int_equal(pw_history_flush(f->h, 5000), 0);
	pw_history_stats(f->h, &st);
	assert_false(st.write_failing);
	assert_int_equal(st.cycles_written, 10);
	assert_non_null(strstr(f->log, "resumed"));
	q.kind = PW_HIST_PROC;
	q.pid = 1007;
	q.since_ms = T0;
	q.until_ms = T0 + 60000;
	assert_int_equal(pw_history_series(f->h, &q, &s), 0);
	assert_int_equal(s->n, 10);
	assert_int_equal(s->ngaps, 1);
	assert_int_equal(s->gaps[0].from_ms, T0 + 4000);
	assert_int_equal(s->gaps[0].until_ms, T0 + 10000);
	/* And the values after the gap are right (a key record). */
	assert_true(s->val[9 * s->ncols + PW_METRIC_RSS_BYTES] ==
	    (double)(1007 * 10 + PW_METRIC_RSS_BYTES) +
	    (double)(14 * (PW_METRIC_RSS_BYTES + 1)));
	pw_hist_series_free(s);
}

/* The budget test's data: n seconds of a farm of 200, 40 of them busy. */
static void
push_budget_farm(struct hist_fixture *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		hist_push_farm(f, T0 + (int64_t)i * 1000, 200, 40, i);
		if (i % 64 == 63)
			assert_int_equal(pw_history_flush(f->h, 10000), 0);
	}
	assert_int_equal(pw_history_flush(f->h, 10000), 0);
}

/*
 * The budget is derived from what the same data measured without one, not
 * a constant: a record's size follows the catalogue's row count (twice a
 * constant here went stale as rows were added, once a minute's key record
 * outgrew a segment).  Segments are the smallest there are (64 KiB) in
 * both runs, so that both cut the chains at the same records.
 */
static void
test_history_budget_drops_oldest_raw_first(void **state)
{
	struct hist_fixture *f = *state;
	struct pw_hist_stats full, st;
	struct pw_hist_query q = { 0 };
	struct pw_hist_series *s;
	uint64_t seg = 64u << 10, rest;
	size_t n = 900;

	/* 1. Everything kept: what each tier costs. */
	f->o.max_bytes = 1ull << 30;
	f->o.segment_bytes = seg;
	hist_fixture_open(f);
	push_budget_farm(f, n);
	pw_history_stats(f->h, &full);
	pw_history_close(f->h);
	f->h = NULL;
	hist_rm_dir(f->dir);
	assert_int_equal(mkdir(f->dir, 0700), 0);
	assert_int_equal(full.segments_expired, 0);
	assert_int_equal(full.oldest_ms[PW_HIST_RAW], T0);
	assert_int_equal(full.oldest_ms[PW_HIST_1M], T0);
	rest = full.bytes_total - full.bytes[PW_HIST_RAW];
	/*
	 * 2. A budget with room for all but raw, and for two raw segments
	 * (the one being written, at most a segment and a record): raw has
	 * to give up its start, nothing else ever has to go.  The farm
	 * writes enough raw for that to mean something.
	 */
	assert_true(full.bytes[PW_HIST_RAW] > 3 * seg);
	f->o.max_bytes = rest + 2 * seg;
	hist_fixture_open(f);
	push_budget_farm(f, n);
	pw_history_stats(f->h, &st);
	assert_true(st.segments_expired > 0);
	assert_true(st.bytes_total <= f->o.max_bytes);
	/* Raw lost its start; the minutes lost nothing. */
	assert_true(st.oldest_ms[PW_HIST_RAW] > T0);
	assert_true(st.bytes[PW_HIST_RAW] < full.bytes[PW_HIST_RAW]);
	assert_int_equal(st.oldest_ms[PW_HIST_1M], T0);
	assert_int_equal(st.bytes[PW_HIST_1M], full.bytes[PW_HIST_1M]);
	q.kind = PW_HIST_PROC;
	q.pid = 1100;
	q.since_ms = T0;
	q.until_ms = T0 + 3600000;
	q.res = PW_HIST_1M;
	assert_int_equal(pw_history_series(f->h, &q, &s), 0);
	assert_int_equal(s->ts_ms[0], T0);
	assert_int_equal(s->n, n / 60 - 1);	/* the last one in progress */
	pw_hist_series_free(s);
	q.res = PW_HIST_RAW;
	assert_int_equal(pw_history_series(f->h, &q, &s), 0);
	assert_true(s->ts_ms[0] > T0);
	assert_int_equal(s->ts_ms[0], st.oldest_ms[PW_HIST_RAW]);
	assert_int_equal(s->ts_ms[s->n - 1], T0 + (int64_t)(n - 1) * 1000);
	pw_hist_series_free(s);
	/* After a restart the budget still holds. */
	hist_fixture_reopen(f);
	pw_history_stats(f->h, &st);
	assert_true(st.bytes_total <= f->o.max_bytes);
}

/*
 * A segment from an older build whose catalogue had three rows, one of
 * which this build no longer has, in another order.
 */
static void
test_history_fewer_rows_read_back(void **state)
{
	static const char *const rows[] = { "rss_bytes", "gone_metric",
	    "cpu_percent" };
	struct hist_fixture *f = *state;
	struct hist_coder coder = { 0 };
	struct hist_buf enc = { 0 }, fr = { 0 };
	struct pw_hist_series *s;
	struct pw_hist_query q = { 0 };
	struct pw_hist_cycle *c;
	struct hist_ser *se;
	char path[512];
	double v[3];
	size_t clen, i, k;
	uint8_t z[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/raw-%016x.pws", f->dir, 7);
	assert_true((fd = open(path, O_WRONLY | O_CREAT, 0640)) >= 0);
	assert_true(pw__hist_seg_header_rows(fd, PW_HIST_RAW, 7, T0, rows,
	    3) > 0);
	for (i = 0; i < 5; i++) {
		assert_non_null(c = pw_hist_cycle_new(T0 + (int64_t)i * 1000,
		    1000));
		assert_non_null(c->ser = calloc(1, sizeof(*c->ser)));
		c->cap = c->n = 1;
		se = &c->ser[0];
		se->id.kind = PW_HIST_PROC;
		se->id.pid = 321;
		se->id.start_time_ms = T0 - 5000;
		se->id.name = "old";
		se->id.cmdline = "";
		se->id.target = "";
		se->ncols = 3;
		v[0] = 4096.0 * (double)(i + 1);
		v[1] = 7;
		v[2] = 12.5;
		se->val = v;
		enc.len = 0;
		assert_int_equal(pw__hist_encode(&coder, c, i == 0, &enc), 0);
		clen = ZSTD_compress(z, sizeof(z), enc.p, enc.len, 3);
		assert_false(ZSTD_isError(clen));
		fr.len = 0;
		assert_int_equal(pw__hist_frame(&fr, i == 0 ? HIST_REC_KEY : 0,
		    c->ts_ms, z, clen, enc.len), 0);
		assert_int_equal(write(fd, fr.p, fr.len), (ssize_t)fr.len);
		c->ser[0].val = NULL;
		pw_hist_cycle_free(c);
	}
	close(fd);
	pw__hist_coder_fini(&coder);
	free(enc.p);
	free(fr.p);
	hist_fixture_open(f);
	q.kind = PW_HIST_PROC;
	q.pid = 321;
	q.since_ms = T0;
	q.until_ms = T0 + 10000;
	assert_int_equal(pw_history_series(f->h, &q, &s), 0);
	assert_int_equal(s->n, 5);
	assert_int_equal(s->ncols, PW_METRIC_NROWS);
	for (i = 0; i < 5; i++) {
		const double *p = &s->val[i * s->ncols];

		assert_true(p[PW_METRIC_RSS_BYTES] == 4096.0 * (double)(i + 1));
		assert_true(p[PW_METRIC_CPU_PERCENT] == 12.5);
		for (k = 0; k < PW_METRIC_NROWS; k++)
			if (k != PW_METRIC_RSS_BYTES &&
			    k != PW_METRIC_CPU_PERCENT)
				assert_true(isnan(p[k]));
	}
	pw_hist_series_free(s);
}

static void
test_history_restart_continues_with_a_gap(void **state)
{
	struct hist_fixture *f = *state;
	struct pw_hist_query q = { 0 };
	struct pw_hist_series *s;
	size_t i;

	hist_fixture_open(f);
	for (i = 0; i < 30; i++)
		hist_push_farm(f, T0 + (int64_t)i * 1000, 5, 5, i);
	assert_int_equal(pw_history_flush(f->h, 5000), 0);
	/* Down for five cycles; the same processes are there after it. */
	hist_fixture_reopen(f);
	for (i = 35; i < 70; i++)
		hist_push_farm(f, T0 + (int64_t)i * 1000, 5, 5, i);
	assert_int_equal(pw_history_flush(f->h, 5000), 0);
	q.kind = PW_HIST_PROC;
	q.pid = 1002;
	q.start_time_ms = START(1002);
	q.since_ms = T0;
	q.until_ms = T0 + 120000;
	assert_int_equal(pw_history_series(f->h, &q, &s), 0);
	assert_int_equal(s->n, 65);
	assert_int_equal(s->ngaps, 1);
	assert_int_equal(s->gaps[0].from_ms, T0 + 29000);
	assert_int_equal(s->gaps[0].until_ms, T0 + 35000);
	pw_hist_series_free(s);
	/* The first minute, written in two parts, reads as one bucket. */
	q.res = PW_HIST_1M;
	assert_int_equal(pw_history_series(f->h, &q, &s), 0);
	assert_int_equal(s->n, 1);
	assert_int_equal(s->ts_ms[0], T0);
	assert_int_equal(s->count[PW_METRIC_RSS_BYTES], 55);
	assert_true(s->min[PW_METRIC_RSS_BYTES] == (double)(1002 * 10 +
	    PW_METRIC_RSS_BYTES));
	assert_true(s->max[PW_METRIC_RSS_BYTES] == (double)(1002 * 10 +
	    PW_METRIC_RSS_BYTES) + 59.0 * (PW_METRIC_RSS_BYTES + 1));
	pw_hist_series_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_history_torn_tail_is_cut,
		    hist_setup, hist_teardown),
		cmocka_unit_test_setup_teardown(
		    test_history_corrupt_older_segment_is_skipped, hist_setup,
		    hist_teardown),
		cmocka_unit_test_setup_teardown(
		    test_history_full_disk_counts_and_resumes, hist_setup,
		    hist_teardown),
		cmocka_unit_test_setup_teardown(
		    test_history_budget_drops_oldest_raw_first, hist_setup,
		    hist_teardown),
		cmocka_unit_test_setup_teardown(
		    test_history_fewer_rows_read_back, hist_setup,
		    hist_teardown),
		cmocka_unit_test_setup_teardown(
		    test_history_restart_continues_with_a_gap, hist_setup,
		    hist_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
