/*
 * test_groupacc.c: a group's aggregate sample per cycle
 * (procwatch/groupacc.h) with fake tick counters and a fake clock: sums
 * of members as they come and go, CPU kept when members exit, CPU of
 * reaped children that were never sampled, no double count of a member
 * child reaped by a member parent, stale credits, the worst fd usage,
 * and the group ring in the store (procwatch/store.h).  Expected figures
 * are worked out here from the ticks fed in.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/groupacc.h>
#include <procwatch/store.h>
#include <procwatch/target.h>

#include "internal.h"

#define HZ		100
#define T0		INT64_C(1795659000000)
#define NEAR(a, b)	assert_true(fabs((double)(a) - (double)(b)) < 1e-9)

static struct pw_sample
smp(uint64_t ut, uint64_t st, uint64_t cut, uint64_t cst)
{
	struct pw_sample s;

	memset(&s, 0, sizeof(s));
	s.utime_ticks = ut;
	s.stime_ticks = st;
	s.cutime_ticks = cut;
	s.cstime_ticks = cst;
	s.threads = 1;
	return s;
}

/* Sums of what members show now, and counters through joins and exits. */
static void
test_sums_members_come_and_go(void **state)
{
	struct pw_groupacc *a = pw_groupacc_new();
	struct pw_sample p1 = smp(100, 10, 0, 0), p2 = smp(50, 5, 0, 0);
	struct pw_sample c1, c2, c3;
	struct pw_group_sample g;

	(void)state;
	assert_non_null(a);
	p1.rss_bytes = 1000;
	p1.open_fds = 10;
	p1.read_bytes = 4096;
	p1.threads = 3;
	p2.rss_bytes = 500;
	p2.open_fds = 30;
	p2.read_bytes = 100;
	/* Cycle 1: both were running before the group was watched. */
	pw_groupacc_begin(a, T0);
	assert_int_equal(pw_groupacc_member(a, 10, 1, NULL, &p1, 100,
	    T0 - 60000), 0);
	assert_int_equal(pw_groupacc_member(a, 11, 1, NULL, &p2, 1000,
	    T0 - 60000), 0);
	pw_groupacc_end(a, HZ, &g);
	assert_int_equal(g.processes, 2);
	assert_int_equal(g.threads, 4);
	assert_int_equal(g.rss_bytes, 1500);
	assert_int_equal(g.open_fds, 40);
	/* Their past is not the group's: counters start at 0. */
	assert_int_equal(g.cpu_user_ticks, 0);
	assert_int_equal(g.read_bytes, 0);
	assert_true(g.flags & PW_GSAMPLE_NO_CPU);
	/* Worst fd usage: 10/100 beats 30/1000, though 30 > 10. */
	NEAR(g.fd_usage_max, 0.1);
	assert_int_equal(g.fd_usage_pid, 10);

	/* Cycle 2 (1 s later): p1 +50 user, p2 +20 user +5 system. */
	c1 = p1;
	c1.utime_ticks += 50;
	c1.read_bytes += 1000;
	c2 = p2;
	c2.utime_ticks += 20;
	c2.stime_ticks += 5;
	pw_groupacc_begin(a, T0 + 1000);
	pw_groupacc_member(a, 10, 1, &p1, &c1, 100, T0 - 60000);
	pw_groupacc_member(a, 11, 1, &p2, &c2, 1000, T0 - 60000);
	pw_groupacc_end(a, HZ, &g);
	assert_false(g.flags & PW_GSAMPLE_NO_CPU);
	assert_int_equal(g.cpu_user_ticks, 70);
	assert_int_equal(g.cpu_system_ticks, 5);
	NEAR(g.cpu_user_pct, 70.0);
	NEAR(g.cpu_system_pct, 5.0);
	assert_int_equal(g.read_bytes, 1000);

	/*
	 * Cycle 3: p2 exited (its parent, pid 1, is no member); a new
	 * member started after cycle 2 joins with 30 ticks and 200 bytes
	 * read: all of it is the group's.
	 */
	c3 = smp(30, 0, 0, 0);
	c3.read_bytes = 200;
	c3.rss_bytes = 7;
	pw_groupacc_begin(a, T0 + 2000);
	assert_int_equal(pw_groupacc_exit(a, 11, 1, &c2), 0);
	pw_groupacc_member(a, 10, 1, &c1, &c1, 100, T0 - 60000);
	pw_groupacc_member(a, 12, 10, NULL, &c3, 0, T0 + 1500);
	pw_groupacc_end(a, HZ, &g);
	assert_int_equal(g.processes, 2);
	assert_int_equal(g.exited, 1);
	assert_int_equal(g.rss_bytes, 1000 + 7);
	/* Counters never go down when a member leaves. */
	assert_int_equal(g.cpu_user_ticks, 70 + 30);
	assert_int_equal(g.cpu_system_ticks, 5);
	NEAR(g.cpu_user_pct, 30.0);
	assert_int_equal(g.read_bytes, 1000 + 200);

	/* Cycle 4: nobody left; the group is empty but keeps its totals. */
	pw_groupacc_begin(a, T0 + 3000);
	pw_groupacc_exit(a, 10, 1, &c1);
	pw_groupacc_exit(a, 12, 10, &c3);
	pw_groupacc_end(a, HZ, &g);
	assert_int_equal(g.processes, 0);
	assert_int_equal(g.exited, 2);
	assert_int_equal(g.rss_bytes, 0);
	assert_int_equal(g.cpu_user_ticks, 100);
	NEAR(g.cpu_user_pct, 0.0);
	assert_int_equal(g.fd_usage_pid, 0);
	pw_groupacc_free(a);
}

/*
 * A shell that forks short commands: each exits before it is sampled,
 * so only the shell's cutime/cstime show them.
 */
static void
test_reaped_children_counted(void **state)
{
	struct pw_groupacc *a = pw_groupacc_new();
	struct pw_sample s0 = smp(5, 5, 1000, 200), s1;
	struct pw_group_sample g;

	(void)state;
	pw_groupacc_begin(a, T0);
	pw_groupacc_member(a, 20, 1, NULL, &s0, 0, T0 - 5000);
	pw_groupacc_end(a, HZ, &g);
	/* Children reaped before the group was watched do not count. */
	assert_int_equal(g.children_ticks, 0);
	s1 = smp(6, 5, 1000 + 150, 200 + 40);
	pw_groupacc_begin(a, T0 + 2000);
	assert_int_equal(pw_groupacc_member(a, 20, 1, &s0, &s1, 0,
	    T0 - 5000), 0);
	pw_groupacc_end(a, HZ, &g);
	assert_int_equal(g.cpu_user_ticks, 1 + 150);
	assert_int_equal(g.cpu_system_ticks, 40);
	assert_int_equal(g.children_ticks, 190);
	/* Over 2 s: 151 ticks of user time at 100 Hz is 75.5 % of a core. */
	NEAR(g.cpu_user_pct, 75.5);
	NEAR(g.cpu_system_pct, 20.0);
	pw_groupacc_free(a);
}

/*
 * A member child that lived long enough to be sampled, then exited and
 * was reaped by its member parent: its CPU up to its last sample was
 * counted as its own; the parent's cutime adds only what came after.
 */
static void
test_member_child_not_counted_twice(void **state)
{
	struct pw_groupacc *a = pw_groupacc_new();
	struct pw_sample par0 = smp(10, 0, 0, 0), par1, par2;
	struct pw_sample ch0, ch1, ch2;
	struct pw_group_sample g;

	(void)state;
	pw_groupacc_begin(a, T0);
	pw_groupacc_member(a, 30, 1, NULL, &par0, 0, T0 - 1000);
	pw_groupacc_end(a, HZ, &g);
	/* The child starts after cycle 1: 40 user, 4 system, all new. */
	ch0 = smp(40, 4, 0, 0);
	pw_groupacc_begin(a, T0 + 1000);
	pw_groupacc_member(a, 30, 1, &par0, &par0, 0, T0 - 1000);
	pw_groupacc_member(a, 31, 30, NULL, &ch0, 0, T0 + 500);
	pw_groupacc_end(a, HZ, &g);
	assert_int_equal(g.cpu_user_ticks, 40);
	assert_int_equal(g.cpu_system_ticks, 4);
	ch1 = smp(90, 6, 0, 0);
	pw_groupacc_begin(a, T0 + 2000);
	pw_groupacc_member(a, 30, 1, &par0, &par0, 0, T0 - 1000);
	pw_groupacc_member(a, 31, 30, &ch0, &ch1, 0, T0 + 500);
	pw_groupacc_end(a, HZ, &g);
	assert_int_equal(g.cpu_user_ticks, 90);
	assert_int_equal(g.cpu_system_ticks, 6);
	/*
	 * It ran 10 more user ticks after its last sample (100 in all) and
	 * was reaped: the parent's cutime grows by 100, cstime by 6.  Only
	 * the 10 unseen ticks are new.
	 */
	ch2 = ch1;
	par1 = par0;
	par1.cutime_ticks = 100;
	par1.cstime_ticks = 6;
	pw_groupacc_begin(a, T0 + 3000);
	pw_groupacc_member(a, 30, 1, &par0, &par1, 0, T0 - 1000);
	pw_groupacc_exit(a, 31, 30, &ch2);
	pw_groupacc_end(a, HZ, &g);
	assert_int_equal(g.cpu_user_ticks, 100);
	assert_int_equal(g.cpu_system_ticks, 6);
	assert_int_equal(g.children_ticks, 10);
	assert_int_equal(g.exited, 1);
	/* A later, unrelated child of 25 ticks counts in full. */
	par2 = par1;
	par2.cutime_ticks += 25;
	pw_groupacc_begin(a, T0 + 4000);
	pw_groupacc_member(a, 30, 1, &par1, &par2, 0, T0 - 1000);
	pw_groupacc_end(a, HZ, &g);
	assert_int_equal(g.cpu_user_ticks, 125);
	assert_int_equal(g.children_ticks, 35);
	pw_groupacc_free(a);
}

/*
 * The exit is seen a cycle before the parent reaps (it was a zombie, or
 * the parent was slow): the credit waits one cycle.  A credit nobody
 * claims within two cycles is dropped and does not eat later growth.
 */
static void
test_credit_waits_then_expires(void **state)
{
	struct pw_groupacc *a = pw_groupacc_new();
	struct pw_sample par = smp(0, 0, 0, 0), par1, ch = smp(50, 0, 0, 0);
	struct pw_sample ch0 = smp(0, 0, 0, 0);
	struct pw_group_sample g;

	(void)state;
	pw_groupacc_begin(a, T0);
	pw_groupacc_member(a, 40, 1, NULL, &par, 0, T0 - 1000);
	pw_groupacc_member(a, 41, 40, NULL, &ch0, 0, T0 - 1000);
	pw_groupacc_end(a, HZ, &g);
	/* Cycle 2: the child ran 50 ticks. */
	pw_groupacc_begin(a, T0 + 1000);
	pw_groupacc_member(a, 40, 1, &par, &par, 0, T0 - 1000);
	pw_groupacc_member(a, 41, 40, &ch0, &ch, 0, T0 - 1000);
	pw_groupacc_end(a, HZ, &g);
	assert_int_equal(g.cpu_user_ticks, 50);
	/* Cycle 3: it is gone, not yet reaped. */
	pw_groupacc_begin(a, T0 + 2000);
	pw_groupacc_member(a, 40, 1, &par, &par, 0, T0 - 1000);
	pw_groupacc_exit(a, 41, 40, &ch);
	pw_groupacc_end(a, HZ, &g);
	assert_int_equal(g.cpu_user_ticks, 50);
	/* Cycle 4: the parent reaps it: 50 seen plus 5 it ran unseen. */
	par1 = par;
	par1.cutime_ticks = 55;
	pw_groupacc_begin(a, T0 + 2500);
	pw_groupacc_member(a, 40, 1, &par, &par1, 0, T0 - 1000);
	pw_groupacc_end(a, HZ, &g);
	assert_int_equal(g.cpu_user_ticks, 55);

	/* A credit for pid 40 that is never used... */
	pw_groupacc_begin(a, T0 + 3000);
	pw_groupacc_member(a, 40, 1, &par1, &par1, 0, T0 - 1000);
	pw_groupacc_exit(a, 42, 40, &ch);
	pw_groupacc_end(a, HZ, &g);
	pw_groupacc_begin(a, T0 + 4000);
	pw_groupacc_member(a, 40, 1, &par1, &par1, 0, T0 - 1000);
	pw_groupacc_end(a, HZ, &g);
	/* ...is gone two cycles later: growth of 30 counts in full. */
	par = par1;
	par.cutime_ticks += 30;
	pw_groupacc_begin(a, T0 + 5000);
	pw_groupacc_member(a, 40, 1, &par1, &par, 0, T0 - 1000);
	pw_groupacc_end(a, HZ, &g);
	assert_int_equal(g.cpu_user_ticks, 55 + 30);
	pw_groupacc_free(a);
}

/* Unreadable descriptors and io of every member say so. */
static void
test_unknown_figures(void **state)
{
	struct pw_groupacc *a = pw_groupacc_new();
	struct pw_sample s = smp(1, 1, 0, 0);
	struct pw_group_sample g;

	(void)state;
	s.flags = PW_SAMPLE_NO_FDS | PW_SAMPLE_NO_IO;
	pw_groupacc_begin(a, T0);
	pw_groupacc_member(a, 50, 1, NULL, &s, 1024, T0 - 1000);
	pw_groupacc_unsampled(a);
	pw_groupacc_end(a, HZ, &g);
	assert_int_equal(g.processes, 2);
	assert_true(g.flags & PW_GSAMPLE_NO_FDS);
	assert_true(g.flags & PW_GSAMPLE_NO_IO);
	assert_int_equal(g.fd_usage_pid, 0);
	/* An empty group knows its (zero) figures. */
	pw_groupacc_begin(a, T0 + 1000);
	pw_groupacc_end(a, HZ, &g);
	assert_int_equal(g.processes, 0);
	assert_false(g.flags & (PW_GSAMPLE_NO_FDS | PW_GSAMPLE_NO_IO));
	pw_groupacc_free(a);
}

/* The store keeps a bounded ring per group, carried over a reload. */
static void
test_store_group_ring(void **state)
{
	struct pw_store *st = pw_store_new(3, HZ);
	struct pw_target t[2];
	struct pw_group_sample g, *out = NULL;
	struct pw_snapshot *snap = NULL;
	const struct pw_group_view *v;
	size_t n = 0, cap = 0, i;

	(void)state;
	assert_non_null(st);
	assert_int_equal(pw_target_init(&t[0], "web", PW_SEL_UNIT, "web",
	    false, NULL, 0), 0);
	assert_int_equal(pw_target_init(&t[1], "db", PW_SEL_NAME, "postgres",
	    true, NULL, 0), 0);
	t[0].min_processes = 2;
	pw__store_wrlock(st);
	assert_int_equal(pw__store_set_groups(st, t, 2), 0);
	memset(&g, 0, sizeof(g));
	for (i = 1; i <= 5; i++) {
		g.ts_ms = T0 + (int64_t)i * 1000;
		g.processes = (uint32_t)i;
		pw__store_group_push(st, 0, &g);
	}
	pw__store_unlock(st);
	assert_int_equal(pw_store_group_samples(st, "web", INT64_MIN, 10,
	    &out, &n, &cap), 0);
	assert_int_equal(cap, 3);
	assert_int_equal(n, 3);
	assert_int_equal(out[0].processes, 3);
	assert_int_equal(out[2].processes, 5);
	free(out);
	assert_int_equal(pw_store_group_samples(st, "web", T0 + 3000, 1,
	    &out, &n, &cap), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].processes, 5);
	free(out);
	assert_int_equal(pw_store_group_samples(st, "nope", INT64_MIN, 10,
	    &out, &n, &cap), -ENOENT);
	assert_int_equal(pw_store_snapshot(st, false, &snap), 0);
	assert_int_equal(snap->ngroups, 2);
	v = pw_snapshot_group(snap, "web");
	assert_non_null(v);
	assert_string_equal(v->selector, "unit web.service");
	assert_int_equal(v->min_processes, 2);
	assert_true(v->has_sample);
	assert_int_equal(v->latest.processes, 5);
	v = pw_snapshot_group(snap, "db");
	assert_string_equal(v->selector, "comm postgres +children");
	assert_false(v->has_sample);
	pw_snapshot_free(snap);
	/* A reload that drops db and grows the history keeps web's ring. */
	pw__store_wrlock(st);
	st->history = 10;
	assert_int_equal(pw__store_set_groups(st, t, 1), 0);
	pw__store_unlock(st);
	assert_int_equal(pw_store_group_samples(st, "web", INT64_MIN, 10,
	    &out, &n, &cap), 0);
	assert_int_equal(cap, 10);
	assert_int_equal(n, 3);
	assert_int_equal(out[2].processes, 5);
	free(out);
	assert_int_equal(pw_store_group_samples(st, "db", INT64_MIN, 10,
	    &out, &n, &cap), -ENOENT);
	pw_target_fini(&t[0]);
	pw_target_fini(&t[1]);
	pw_store_free(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sums_members_come_and_go),
		cmocka_unit_test(test_reaped_children_counted),
		cmocka_unit_test(test_member_child_not_counted_twice),
		cmocka_unit_test(test_credit_waits_then_expires),
		cmocka_unit_test(test_unknown_figures),
		cmocka_unit_test(test_store_group_ring),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
