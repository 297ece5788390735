/*
 * test_oom.c: procwatch/oom.h, the OOM kill detector on its own: credits
 * from counter rises, taken by the exits of the cycle (largest RSS
 * first) or of the next ones, per group or system-wide, never by an exit
 * the connector saw end otherwise, and dropped when nobody takes them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/oom.h>
#include <procwatch/psi.h>

#define T0	1800000000000LL

static struct pw_oom_exit
ex(pid_t pid, int group, uint64_t rss, int sig)
{
	struct pw_oom_exit x;

	memset(&x, 0, sizeof(x));
	x.pid = pid;
	snprintf(x.comm, sizeof(x.comm), "p%d", (int)pid);
	x.group = group;
	snprintf(x.target, sizeof(x.target), "g%d", group);
	x.rss_bytes = rss;
	x.signal = sig;
	return x;
}

/* A v1 cgroup's figures: oom_kill `kills`, a limit or none. */
static struct pw_cgstat
v1(uint64_t kills, bool limited)
{
	struct pw_cgstat st;

	memset(&st, 0, sizeof(st));
	st.mem_src = PW_CGS_V1;
	st.oom_kill = kills;
	st.has_limit = limited;
	st.limit_bytes = limited ? 64 << 20 : 0;
	return st;
}

/* One cycle: group 0's cgroup at `g0` kills, the system at `sys`. */
static size_t
cycle(struct pw_oom *o, const struct pw_cgstat *g0, uint64_t sys,
    const struct pw_oom_exit *x, size_t nx, struct pw_oom_kill *out)
{
	struct pw_cgstat none;
	size_t i;

	memset(&none, 0, sizeof(none));
	none.mem_why = PW_CGW_NO_CGROUP;
	pw_oom_begin(o);
	for (i = 0; i < nx; i++)
		assert_int_equal(pw_oom_exit(o, &x[i]), 0);
	pw_oom_group(o, 0, "/a", g0 != NULL ? g0 : &none);
	pw_oom_group(o, 1, NULL, &none);
	pw_oom_system(o, true, sys);
	return pw_oom_end(o, T0, out, 8);
}

static void
test_oom_cgroup_rise_takes_largest_exit(void **state)
{
	struct pw_oom *o = pw_oom_new(2);
	struct pw_oom_kill k[8];
	struct pw_cgstat st = v1(0, true);
	struct pw_oom_exit x[2] = { ex(10, 0, 100, -1), ex(11, 0, 900, -1) };

	(void)state;
	assert_non_null(o);
	assert_int_equal(cycle(o, &st, 3, NULL, 0, k), 0);	/* a base */
	st = v1(1, true);
	assert_int_equal(cycle(o, &st, 4, x, 2, k), 1);
	assert_int_equal(k[0].pid, 11);
	assert_int_equal(k[0].limit, PW_OOM_CGROUP);
	assert_string_equal(k[0].limit_cgroup, "/a");
	assert_int_equal(k[0].limit_bytes, 64 << 20);
	assert_string_equal(k[0].target, "g0");
	assert_int_equal(k[0].ts_ms, T0);
	pw_oom_free(o);
}

static void
test_oom_no_rise_no_kill_and_first_read_is_a_base(void **state)
{
	struct pw_oom *o = pw_oom_new(2);
	struct pw_oom_kill k[8];
	struct pw_cgstat st = v1(7, true);	/* kills before we looked */
	struct pw_oom_exit x = ex(10, 0, 100, SIGKILL);

	(void)state;
	assert_int_equal(cycle(o, &st, 9, &x, 1, k), 0);
	assert_int_equal(cycle(o, &st, 9, &x, 1, k), 0);
	pw_oom_free(o);
}

static void
test_oom_signal_seen_otherwise_is_no_kill(void **state)
{
	struct pw_oom *o = pw_oom_new(2);
	struct pw_oom_kill k[8];
	struct pw_cgstat st = v1(0, true);
	struct pw_oom_exit x[2] = { ex(10, 0, 900, 0), ex(11, 0, 100,
	    SIGTERM) };
	struct pw_oom_exit y = ex(12, 0, 50, SIGKILL);

	(void)state;
	(void)cycle(o, &st, 0, NULL, 0, k);
	st = v1(1, true);
	assert_int_equal(cycle(o, &st, 1, x, 2, k), 0);
	/* The credit waits: the SIGKILLed one is gone a cycle later. */
	assert_int_equal(cycle(o, &st, 1, &y, 1, k), 1);
	assert_int_equal(k[0].pid, 12);
	assert_true(k[0].signal_seen);
	pw_oom_free(o);
}

static void
test_oom_credit_expires(void **state)
{
	struct pw_oom *o = pw_oom_new(2);
	struct pw_oom_kill k[8];
	struct pw_cgstat st = v1(0, false);
	struct pw_oom_exit x = ex(10, 0, 100, -1);
	int i;

	(void)state;
	(void)cycle(o, &st, 0, NULL, 0, k);
	st = v1(1, false);
	for (i = 0; i < 4; i++)
		assert_int_equal(cycle(o, &st, 1, NULL, 0, k), 0);
	assert_int_equal(cycle(o, &st, 1, &x, 1, k), 0);
	pw_oom_free(o);
}

static void
test_oom_system_rise_for_groups_without_counters(void **state)
{
	struct pw_oom *o = pw_oom_new(2);
	struct pw_oom_kill k[8];
	struct pw_cgstat st = v1(0, true);
	struct pw_oom_exit x[3] = { ex(20, 1, 500, -1), ex(21, 0, 9000, -1),
	    ex(22, -1, 100, -1) };

	(void)state;
	(void)cycle(o, &st, 10, NULL, 0, k);
	/*
	 * The system counted one kill, group 0's cgroup none: its large
	 * member is not the victim; group 1's (no cgroup) is, the largest
	 * of the rest.
	 */
	assert_int_equal(cycle(o, &st, 11, x, 3, k), 1);
	assert_int_equal(k[0].pid, 20);
	assert_int_equal(k[0].limit, PW_OOM_SYSTEM);
	assert_false(k[0].has_limit_bytes);
	assert_string_equal(pw_oom_limit_name(k[0].limit), "system");
	pw_oom_free(o);
}

static void
test_oom_v2_limit_that_fired(void **state)
{
	struct pw_oom *o = pw_oom_new(2);
	struct pw_oom_kill k[8];
	struct pw_cgstat st;
	struct pw_oom_exit x = ex(10, 0, 100, -1);

	(void)state;
	memset(&st, 0, sizeof(st));
	st.mem_src = PW_CGS_V2;
	st.has_events = true;
	st.has_limit = true;
	st.limit_bytes = 1 << 20;
	(void)cycle(o, &st, 0, NULL, 0, k);
	/* Counted in the cgroup, but its own OOM did not run: global. */
	st.oom_kill = 1;
	assert_int_equal(cycle(o, &st, 1, &x, 1, k), 1);
	assert_int_equal(k[0].limit, PW_OOM_SYSTEM);
	st.oom_kill = 2;
	st.oom = 1;
	x.pid = 11;
	assert_int_equal(cycle(o, &st, 2, &x, 1, k), 1);
	assert_int_equal(k[0].limit, PW_OOM_CGROUP);
	assert_int_equal(k[0].limit_bytes, 1 << 20);
	pw_oom_free(o);
}

static void
test_oom_regroup_and_limits(void **state)
{
	struct pw_oom *o = pw_oom_new(0);
	struct pw_oom_kill k[1];
	struct pw_cgstat st = v1(0, true);
	struct pw_oom_exit x = ex(10, 0, 1, -1);
	int i;

	(void)state;
	assert_non_null(o);
	assert_int_equal(pw_oom_set_groups(o, 2), 0);
	(void)cycle(o, &st, 0, NULL, 0, k);
	/* Out of range groups are ignored, not a crash. */
	pw_oom_group(o, 99, "/x", &st);
	x.group = 99;
	pw_oom_begin(o);
	assert_int_equal(pw_oom_exit(o, &x), 0);
	pw_oom_system(o, false, 0);
	assert_int_equal(pw_oom_end(o, T0, k, 1), 0);
	/* At most 4096 exits a cycle. */
	pw_oom_begin(o);
	for (i = 0; i < 4096; i++)
		assert_int_equal(pw_oom_exit(o, &x), 0);
	assert_int_equal(pw_oom_exit(o, &x), -E2BIG);
	assert_int_equal(pw_oom_end(o, T0, k, 1), 0);
	pw_oom_free(o);
	pw_oom_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oom_cgroup_rise_takes_largest_exit),
		cmocka_unit_test(
		    test_oom_no_rise_no_kill_and_first_read_is_a_base),
		cmocka_unit_test(test_oom_signal_seen_otherwise_is_no_kill),
		cmocka_unit_test(test_oom_credit_expires),
		cmocka_unit_test(
		    test_oom_system_rise_for_groups_without_counters),
		cmocka_unit_test(test_oom_v2_limit_that_fired),
		cmocka_unit_test(test_oom_regroup_and_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
