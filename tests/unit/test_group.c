/*
 * test_group.c: per-target totals (procwatch/group.h) over snapshots of a
 * store filled through lib/internal.h, without /proc: sums, the top
 * members, empty targets, gone processes, first samples, reused pids and
 * the implicit "all" target.  Expected figures are worked out here from
 * the samples pushed, not read back from the library.
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

#include <procwatch/group.h>
#include <procwatch/ring.h>
#include <procwatch/store.h>

#include "internal.h"

#define HZ		100
#define MIB		(UINT64_C(1) << 20)
#define T0_MS		INT64_C(1795659000000)
#define NEAR(a, b)	assert_true(fabs((double)(a) - (double)(b)) < 1e-9)

/*
 * One process to put in the store.  With two samples they are 1 s apart
 * and the CPU ticks grow by dut (user) and dst (system) between them.
 */
struct spec {
	pid_t		 pid;
	const char	*target;
	const char	*comm;
	bool		 alive;
	int64_t		 start_ms;
	size_t		 nsamples;	/* 0, 1 or 2 */
	uint64_t	 dut, dst;
	uint64_t	 rss;
	uint32_t	 fds;
	uint32_t	 threads;
	unsigned	 flags;		/* PW_SAMPLE_NO_FDS */
};

/* CPU % of one core that ticks over 1 s make at HZ: the sampler's rate. */
static double
pct(uint64_t ticks)
{
	return 100.0 * (double)ticks / HZ / 1.0;
}

static void
add(struct pw_store *st, const struct spec *sp)
{
	struct pw_proc *p = calloc(1, sizeof(*p));
	struct pw_sample s;
	size_t i;

	assert_non_null(p);
	p->pid = sp->pid;
	p->ppid = 1;
	p->alive = sp->alive;
	p->gone_ms = sp->alive ? 0 : T0_MS + 5000;
	p->start_time_ms = sp->start_ms;
	snprintf(p->comm, sizeof(p->comm), "%s", sp->comm);
	assert_non_null(p->target = strdup(sp->target));
	assert_non_null(p->ring = pw_ring_new(st->history, HZ));
	pw_prochandle_init(&p->h, sp->pid);
	for (i = 0; i < sp->nsamples; i++) {
		memset(&s, 0, sizeof(s));
		s.ts_ms = T0_MS + (int64_t)i * 1000;
		s.utime_ticks = 500 + i * sp->dut;
		s.stime_ticks = 300 + i * sp->dst;
		s.rss_bytes = sp->rss;
		s.open_fds = sp->fds;
		s.threads = sp->threads;
		s.flags = sp->flags;
		s.state = PW_STATE_SLEEPING;
		pw_ring_push(p->ring, &s);
	}
	pw__store_wrlock(st);
	assert_int_equal(pw__store_insert(st, p), 0);
	st->taken_ms = T0_MS + 1000;
	pw__store_unlock(st);
}

static struct pw_store *
store_of(const struct spec *sp, size_t n, uint64_t mem_total)
{
	struct pw_store *st = pw_store_new(10, HZ);
	size_t i;

	assert_non_null(st);
	for (i = 0; i < n; i++)
		add(st, &sp[i]);
	pw__store_wrlock(st);
	st->mem_total = mem_total;
	pw__store_unlock(st);
	return st;
}

/* Groups of `names` over a snapshot of st (with gone processes or not). */
static void
groups(struct pw_store *st, bool include_gone, const char *const *names,
    size_t nnames, struct pw_group **g, size_t *n)
{
	struct pw_snapshot *snap;

	assert_int_equal(pw_store_snapshot(st, include_gone, &snap), 0);
	assert_int_equal(pw_group_compute(snap, names, nnames, g, n), 0);
	pw_snapshot_free(snap);
}

/* Two targets and one that selects nothing. */
static const struct spec web_db[] = {
	{ 10, "web", "nginx", true, T0_MS - 9000, 2, 30, 10, 40 * MIB, 12, 4,
	    0 },
	{ 11, "web", "nginx", true, T0_MS - 7000, 2, 5, 5, 90 * MIB, 8, 2, 0 },
	{ 12, "web", "nginx", false, T0_MS - 99000, 2, 90, 90, 500 * MIB, 99,
	    9, 0 },		/* gone: counted as gone only */
	{ 20, "db", "postgres", true, T0_MS - 50000, 2, 60, 20, 300 * MIB,
	    30, 7, 0 },
	{ 30, "other", "cron", true, T0_MS - 1, 2, 80, 0, 1 * MIB, 3, 1,
	    0 },		/* a target not configured: ignored */
};
static const char *const web_db_names[] = { "web", "db", "idle" };

static void
test_group_sums_live_members(void **state)
{
	const uint64_t mem_total = 4096 * MIB;
	struct pw_store *st = store_of(web_db, 5, mem_total);
	const struct pw_group *w, *d;
	struct pw_group *g;
	size_t n;

	(void)state;
	groups(st, true, web_db_names, 3, &g, &n);
	assert_int_equal(n, 3);
	/* Config order, not name order. */
	assert_string_equal(g[0].name, "web");
	assert_string_equal(g[1].name, "db");
	assert_string_equal(g[2].name, "idle");

	w = pw_group_find(g, n, "web");
	assert_ptr_equal(w, &g[0]);
	assert_true(w->is_up);
	assert_int_equal(w->processes, 2);
	assert_int_equal(w->gone, 1);
	assert_int_equal(w->threads, 4 + 2);
	assert_int_equal(w->rss_bytes, (40 + 90) * MIB);
	assert_true(w->has_fds);
	assert_int_equal(w->open_fds, 12 + 8);
	assert_true(w->has_cpu);
	NEAR(w->cpu_user_pct, pct(30) + pct(5));
	NEAR(w->cpu_system_pct, pct(10) + pct(5));
	NEAR(w->cpu_pct, pct(30 + 10) + pct(5 + 5));
	assert_true(w->has_memory_pct);
	NEAR(w->memory_pct, 100.0 * (double)((40 + 90) * MIB) /
	    (double)mem_total);
	/* The gone one started earlier but is not live. */
	assert_int_equal(w->oldest_start_ms, T0_MS - 9000);
	assert_int_equal(w->top_cpu.pid, 10);
	assert_string_equal(w->top_cpu.name, "nginx");
	NEAR(w->top_cpu.cpu_pct, pct(40));
	assert_int_equal(w->top_rss.pid, 11);
	assert_int_equal(w->top_rss.rss_bytes, 90 * MIB);
	assert_int_equal(w->npids, 2);
	assert_int_equal(w->pids[0], 10);
	assert_int_equal(w->pids[1], 11);

	d = pw_group_find(g, n, "db");
	assert_int_equal(d->processes, 1);
	assert_int_equal(d->gone, 0);
	NEAR(d->cpu_pct, pct(80));
	assert_int_equal(d->top_cpu.pid, 20);
	assert_string_equal(d->top_rss.name, "postgres");
	assert_int_equal(d->oldest_start_ms, T0_MS - 50000);

	assert_null(pw_group_find(g, n, "other"));
	pw_groups_free(g, n);
	pw_store_free(st);
}

static void
test_group_empty_target_is_down(void **state)
{
	struct pw_store *st = store_of(web_db, 5, 0);
	const struct pw_group *e;
	struct pw_group *g;
	size_t n;

	(void)state;
	groups(st, true, web_db_names, 3, &g, &n);
	e = pw_group_find(g, n, "idle");
	assert_non_null(e);
	assert_false(e->is_up);
	assert_int_equal(e->processes, 0);
	assert_int_equal(e->gone, 0);
	assert_int_equal(e->threads, 0);
	assert_int_equal(e->rss_bytes, 0);
	assert_int_equal(e->open_fds, 0);
	/* Nothing runs: 0 % is known, not missing. */
	assert_true(e->has_cpu);
	assert_true(e->has_fds);
	NEAR(e->cpu_pct, 0);
	assert_int_equal(e->top_cpu.pid, 0);
	assert_int_equal(e->top_rss.pid, 0);
	assert_int_equal(e->oldest_start_ms, 0);
	assert_int_equal(e->npids, 0);
	/* MemTotal unknown: no memory %. */
	assert_false(e->has_memory_pct);
	assert_false(pw_group_find(g, n, "web")->has_memory_pct);
	pw_groups_free(g, n);
	pw_store_free(st);
}

static void
test_group_gone_is_not_live(void **state)
{
	static const struct spec gone_only[] = {
		{ 40, "batch", "job", false, T0_MS, 2, 50, 0, 8 * MIB, 4, 1,
		    0 },
		{ 41, "batch", "job", false, T0_MS, 2, 50, 0, 8 * MIB, 4, 1,
		    0 },
	};
	static const char *const names[] = { "batch" };
	struct pw_store *st = store_of(gone_only, 2, 0);
	struct pw_group *g;
	size_t n;

	(void)state;
	groups(st, true, names, 1, &g, &n);
	assert_false(g[0].is_up);
	assert_int_equal(g[0].processes, 0);
	assert_int_equal(g[0].gone, 2);
	assert_int_equal(g[0].threads, 0);
	assert_int_equal(g[0].rss_bytes, 0);
	assert_int_equal(g[0].top_cpu.pid, 0);
	assert_int_equal(g[0].npids, 0);
	pw_groups_free(g, n);
	/* A snapshot without the gone ones: nothing to count. */
	groups(st, false, names, 1, &g, &n);
	assert_int_equal(g[0].gone, 0);
	assert_int_equal(g[0].processes, 0);
	pw_groups_free(g, n);
	pw_store_free(st);
}

static void
test_group_first_sample_has_no_cpu(void **state)
{
	static const struct spec newcomer[] = {
		{ 50, "api", "fresh", true, T0_MS, 1, 0, 0, 64 * MIB, 5, 3, 0 },
	};
	static const struct spec mixed[] = {
		{ 50, "api", "fresh", true, T0_MS, 1, 0, 0, 64 * MIB, 5, 3, 0 },
		{ 51, "api", "old", true, T0_MS, 2, 7, 1, 16 * MIB, 5, 3, 0 },
	};
	static const char *const names[] = { "api" };
	struct pw_store *st = store_of(newcomer, 1, 0);
	struct pw_group *g;
	size_t n;

	(void)state;
	groups(st, false, names, 1, &g, &n);
	assert_true(g[0].is_up);
	assert_int_equal(g[0].processes, 1);
	assert_false(g[0].has_cpu);		/* no rate yet */
	assert_int_equal(g[0].top_cpu.pid, 0);
	assert_int_equal(g[0].top_rss.pid, 50);	/* RSS is known */
	assert_int_equal(g[0].rss_bytes, 64 * MIB);
	pw_groups_free(g, n);
	pw_store_free(st);

	st = store_of(mixed, 2, 0);
	groups(st, false, names, 1, &g, &n);
	assert_int_equal(g[0].processes, 2);
	assert_true(g[0].has_cpu);
	NEAR(g[0].cpu_pct, pct(8));
	assert_int_equal(g[0].top_cpu.pid, 51);
	assert_int_equal(g[0].top_rss.pid, 50);
	assert_int_equal(g[0].threads, 6);
	pw_groups_free(g, n);
	pw_store_free(st);
}

static void
test_group_unreadable_fds_and_no_sample(void **state)
{
	static const struct spec procs[] = {
		{ 60, "svc", "a", true, T0_MS, 2, 1, 0, 4 * MIB, 0, 1,
		    PW_SAMPLE_NO_FDS },
		{ 61, "svc", "b", true, T0_MS, 0, 0, 0, 0, 0, 0, 0 },
	};
	static const char *const names[] = { "svc" };
	struct pw_store *st = store_of(procs, 2, 0);
	struct pw_group *g;
	size_t n;

	(void)state;
	groups(st, false, names, 1, &g, &n);
	/* The one with no sample yet is still a live member. */
	assert_int_equal(g[0].processes, 2);
	assert_int_equal(g[0].npids, 2);
	assert_false(g[0].has_fds);
	assert_int_equal(g[0].open_fds, 0);
	assert_int_equal(g[0].threads, 1);
	assert_int_equal(g[0].rss_bytes, 4 * MIB);
	pw_groups_free(g, n);
	pw_store_free(st);
}

static void
test_group_reused_pid_counts_once(void **state)
{
	/* Same pid twice, both alive: the second added is the newer. */
	static const struct spec procs[] = {
		{ 70, "w", "old", true, T0_MS - 5000, 2, 10, 0, 100 * MIB, 9, 9,
		    0 },
		{ 70, "w", "new", true, T0_MS, 2, 20, 0, 2 * MIB, 1, 1, 0 },
	};
	static const char *const names[] = { "w" };
	struct pw_store *st = store_of(procs, 2, 0);
	struct pw_group *g;
	size_t n;

	(void)state;
	groups(st, false, names, 1, &g, &n);
	assert_int_equal(g[0].processes, 1);
	assert_int_equal(g[0].npids, 1);
	assert_int_equal(g[0].rss_bytes, 2 * MIB);
	assert_string_equal(g[0].top_rss.name, "new");
	NEAR(g[0].cpu_pct, pct(20));
	assert_int_equal(g[0].oldest_start_ms, T0_MS);
	pw_groups_free(g, n);
	pw_store_free(st);
}

static void
test_group_ties_pick_lowest_pid(void **state)
{
	static const struct spec procs[] = {
		{ 82, "t", "c", true, T0_MS, 2, 25, 0, 8 * MIB, 1, 1, 0 },
		{ 80, "t", "a", true, T0_MS, 2, 25, 0, 8 * MIB, 1, 1, 0 },
		{ 81, "t", "b", true, T0_MS, 2, 25, 0, 8 * MIB, 1, 1, 0 },
	};
	static const char *const names[] = { "t" };
	struct pw_store *st = store_of(procs, 3, 0);
	struct pw_group *g;
	size_t n;

	(void)state;
	groups(st, false, names, 1, &g, &n);
	assert_int_equal(g[0].top_cpu.pid, 80);
	assert_int_equal(g[0].top_rss.pid, 80);
	assert_int_equal(g[0].pids[0], 80);	/* ascending */
	assert_int_equal(g[0].pids[2], 82);
	pw_groups_free(g, n);
	pw_store_free(st);
}

static void
test_group_implicit_all(void **state)
{
	static const struct spec procs[] = {
		{ 90, "all", "x", true, T0_MS, 2, 3, 0, 1 * MIB, 1, 1, 0 },
		{ 91, "all", "y", true, T0_MS, 2, 4, 0, 1 * MIB, 1, 1, 0 },
		{ 92, "all", "z", false, T0_MS, 2, 4, 0, 1 * MIB, 1, 1, 0 },
	};
	struct pw_store *st = store_of(procs, 3, 0);
	struct pw_group *g;
	size_t n;

	(void)state;
	groups(st, true, NULL, 0, &g, &n);
	assert_int_equal(n, 1);
	assert_string_equal(g[0].name, PW_GROUP_ALL);
	assert_string_equal(g[0].name, "all");
	assert_int_equal(g[0].processes, 2);
	assert_int_equal(g[0].gone, 1);
	NEAR(g[0].cpu_pct, pct(7));
	pw_groups_free(g, n);
	pw_store_free(st);
}

static void
test_group_empty_snapshot(void **state)
{
	static const char *const names[] = { "a", "b" };
	struct pw_snapshot empty = { 0 };
	struct pw_group *g;
	size_t n;

	(void)state;
	assert_int_equal(pw_group_compute(&empty, names, 2, &g, &n), 0);
	assert_int_equal(n, 2);
	assert_false(g[0].is_up);
	assert_false(g[1].is_up);
	pw_groups_free(g, n);
	assert_int_equal(pw_group_compute(NULL, names, 1, &g, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(g[0].processes, 0);
	pw_groups_free(g, n);
	pw_groups_free(NULL, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_group_sums_live_members),
		cmocka_unit_test(test_group_empty_target_is_down),
		cmocka_unit_test(test_group_gone_is_not_live),
		cmocka_unit_test(test_group_first_sample_has_no_cpu),
		cmocka_unit_test(test_group_unreadable_fds_and_no_sample),
		cmocka_unit_test(test_group_reused_pid_counts_once),
		cmocka_unit_test(test_group_ties_pick_lowest_pid),
		cmocka_unit_test(test_group_implicit_all),
		cmocka_unit_test(test_group_empty_snapshot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
