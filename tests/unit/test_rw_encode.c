/*
 * tests/unit/test_rw_encode.c: which processes' series remote write sends
 * (daemon/rw_encode.c) under process_metrics all, none and top N.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <procwatch/metric.h>

#include "daemon/config.h"
#include "daemon/rw_encode.h"
#include "lib/history.h"

#define NPROCS	10

/*
 * Ten processes with two known figures each (the rest unknown, so not
 * sent): CPU % 50 for the first and 0 for the others, as on a host where
 * most processes sleep, and RSS growing with the index.
 */
static int
setup(void **state)
{
	struct pw_hist_cycle *c;
	struct pw_hist_ident id;
	double v[PW_METRIC_NROWS];
	char name[16];
	size_t m;
	int k;

	if ((c = pw_hist_cycle_new(1800000000000LL, 1000)) == NULL)
		return -1;
	for (k = 0; k < NPROCS; k++) {
		for (m = 0; m < PW_METRIC_NROWS; m++)
			v[m] = NAN;
		v[PW_METRIC_CPU_PERCENT] = k == 0 ? 50 : 0;
		v[PW_METRIC_RSS_BYTES] = (double)(k + 1) * 1048576;
		memset(&id, 0, sizeof(id));
		id.kind = PW_HIST_PROC;
		id.pid = 100 + k;
		id.start_time_ms = 1;
		snprintf(name, sizeof(name), "p%d", k);
		id.name = name;
		id.cmdline = name;
		id.target = "t";
		if (pw_hist_cycle_add(c, &id, v, PW_METRIC_NROWS) != 0)
			return -1;
	}
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	pw_hist_cycle_free(*state);
	return 0;
}

struct seen {
	size_t	requests, samples, bytes;
};

static int
count(void *arg, const void *body, size_t len, size_t nsamples)
{
	struct seen *s = arg;

	assert_non_null(body);
	s->requests++;
	s->samples += nsamples;
	s->bytes += len;
	return 0;
}

/* The samples of cycle c under sel: two for each process sent. */
static size_t
samples(void **state, int mode, unsigned top)
{
	struct rw_select sel = { mode, top };
	struct seen s = { 0 };
	size_t n = 0;

	assert_int_equal(rw_encode_cycle(*state, &sel, NULL, 0, 2000, count,
	    &s, &n), 0);
	assert_int_equal(n, s.samples);
	return n;
}

static void
test_rw_encode_all_sends_every_process(void **state)
{
	assert_int_equal(samples(state, PROCMETRICS_ALL, 0), 2 * NPROCS);
}

static void
test_rw_encode_none_sends_no_process(void **state)
{
	assert_int_equal(samples(state, PROCMETRICS_NONE, 0), 0);
}

/*
 * Top 2: p0 (the one using CPU) and p1 (first of the tie at 0 %) by CPU,
 * p9 and p8 by RSS: four processes, not all nine at 0 % that a cut at
 * the second-highest CPU % (0) would let through.
 */
static void
test_rw_encode_top_n_is_n_despite_ties(void **state)
{
	assert_int_equal(samples(state, PROCMETRICS_TOP, 2), 2 * 4);
}

static void
test_rw_encode_top_over_count_sends_all(void **state)
{
	assert_int_equal(samples(state, PROCMETRICS_TOP, 50), 2 * NPROCS);
}

/* Small requests: one per max_samples, every sample in one of them. */
static void
test_rw_encode_splits_requests(void **state)
{
	struct rw_select sel = { PROCMETRICS_ALL, 0 };
	struct seen s = { 0 };

	assert_int_equal(rw_encode_cycle(*state, &sel, NULL, 0, 3, count, &s,
	    NULL), 0);
	assert_int_equal(s.samples, 2 * NPROCS);
	assert_int_equal(s.requests, (2 * NPROCS + 2) / 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rw_encode_all_sends_every_process),
		cmocka_unit_test(test_rw_encode_none_sends_no_process),
		cmocka_unit_test(test_rw_encode_top_n_is_n_despite_ties),
		cmocka_unit_test(test_rw_encode_top_over_count_sends_all),
		cmocka_unit_test(test_rw_encode_splits_requests),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
