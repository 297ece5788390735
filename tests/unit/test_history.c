/*
 * test_history.c: the on-disk history (lib/history.h): round trips,
 * compression of idle processes, the lock, queries and the cursor.
 * Temporary directories under $TMPDIR; a fake clock.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <procwatch/metric.h>

#include "history.h"
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
test_history_missing_parent_is_clear_error(void **state)
{
	struct pw_hist_opts o;
	struct pw_history *h;

	(void)state;
	pw_hist_opts_init(&o);
	o.dir = "/nonexistent-pw/deeper/history";
	assert_int_equal(pw_history_open(&o, &h, NULL), -ENOENT);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
