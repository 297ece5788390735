/*
 * test_store.c: the store (procwatch/store.h, lib/store.c) filled through
 * lib/internal.h as the sampler's commit does, without /proc: one ring
 * per process, snapshots that are copies, gone processes and their
 * retention, a pid reused, the groups' rings across a reload, and the
 * limits of every copy-out.  One test reloads a monitor over a fake /proc
 * tree (fakeproc.h) to see every ring resized, live or gone.
 * Expected figures are worked out here from the samples pushed, not read
 * back from the library.
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
#include <procwatch/monitor.h>
#include <procwatch/ring.h>
#include <procwatch/store.h>
#include <procwatch/target.h>

#include "internal.h"
#include "tests/unit/fakeproc.h"

#define HZ		100
#define KIB		UINT64_C(1024)
#define T0_MS		INT64_C(1795659000000)
#define NEAR(a, b)	assert_true(fabs((double)(a) - (double)(b)) < 1e-9)

/*
 * Sample k (0-based) of process `pid`: 1 s apart from T0_MS; the CPU
 * ticks grow by pid/10 user and 1 system per second, RSS by 4 KiB per
 * sample from pid MiB, so every figure says whose and which it is.
 */
static struct pw_sample
nth(pid_t pid, unsigned k)
{
	struct pw_sample s;

	memset(&s, 0, sizeof(s));
	s.ts_ms = T0_MS + (int64_t)k * 1000;
	s.utime_ticks = 1000 + (uint64_t)k * (uint64_t)(pid / 10);
	s.stime_ticks = 500 + k;
	s.rss_bytes = (uint64_t)pid * 1024 * KIB + (uint64_t)k * 4 * KIB;
	s.open_fds = (uint32_t)k;
	s.threads = 1;
	s.state = PW_STATE_SLEEPING;
	return s;
}

/* A process as the sampler's discovery makes it, with k samples. */
static struct pw_proc *
mkproc(struct pw_store *st, pid_t pid, const char *target, unsigned nsamples)
{
	struct pw_proc *p = calloc(1, sizeof(*p));
	struct pw_sample s;
	unsigned k;

	assert_non_null(p);
	p->pid = pid;
	p->ppid = 1;
	p->uid = 1000;
	p->alive = true;
	p->start_time_ms = T0_MS - pid;
	p->fd_limit = 1024;
	snprintf(p->comm, sizeof(p->comm), "p%d", (int)pid);
	assert_non_null(p->target = strdup(target));
	assert_non_null(p->cmdline = strdup("/bin/p --flag"));
	assert_non_null(p->user = strdup("alice"));
	assert_non_null(p->ring = pw_ring_new(st->history, HZ));
	pw_prochandle_init(&p->h, pid);
	for (k = 0; k < nsamples; k++) {
		s = nth(pid, k);
		pw_ring_push(p->ring, &s);
	}
	return p;
}

/* Insert under the write lock, as the commit does; returns p's id. */
static uint64_t
insert(struct pw_store *st, struct pw_proc *p)
{
	pw__store_wrlock(st);
	assert_int_equal(pw__store_insert(st, p), 0);
	pw__store_unlock(st);
	return p->id;
}

static struct pw_proc *
add(struct pw_store *st, pid_t pid, unsigned nsamples)
{
	struct pw_proc *p = mkproc(st, pid, "all", nsamples);

	insert(st, p);
	return p;
}

static void
mark_gone(struct pw_store *st, struct pw_proc *p, int64_t when_ms)
{
	pw__store_wrlock(st);
	p->alive = false;
	p->gone_ms = when_ms;
	pw__store_unlock(st);
}

static void
test_store_empty(void **state)
{
	struct pw_store *st;
	struct pw_snapshot *snap;
	struct pw_sample *s = NULL;
	size_t n = 9, cap = 9, alive = 9, gone = 9;
	int64_t taken = -1;
	uint64_t mem = 1;

	(void)state;
	assert_null(pw_store_new(0, HZ));	/* a ring needs a sample */
	pw_store_free(NULL);
	pw_snapshot_free(NULL);
	assert_non_null(st = pw_store_new(4, 0));
	assert_int_equal(st->hz, 100);		/* 0: the Linux default */
	assert_int_equal(pw_store_snapshot(st, true, &snap), 0);
	assert_int_equal(snap->n, 0);
	assert_int_equal(snap->ngroups, 0);
	assert_int_equal(snap->taken_ms, 0);
	assert_null(pw_snapshot_group(snap, "all"));
	pw_snapshot_free(snap);
	assert_int_equal(pw_store_snapshot_pid(st, 1, &snap), -ENOENT);
	assert_int_equal(pw_store_samples(st, 1, INT64_MIN, 10, &s, &n, &cap),
	    -ENOENT);
	assert_null(s);			/* nothing written on failure */
	assert_int_equal(n, 9);
	pw_store_counts(st, &alive, &gone);
	assert_int_equal(alive, 0);
	assert_int_equal(gone, 0);
	pw_store_info(st, &taken, &mem);
	assert_int_equal(taken, 0);
	assert_int_equal(mem, 0);
	pw_store_info(st, NULL, NULL);
	pw_store_free(st);
}

static void
test_store_ring_per_process(void **state)
{
	struct pw_store *st;
	struct pw_sample *s, want;
	size_t n, cap, i;

	(void)state;
	assert_non_null(st = pw_store_new(4, HZ));
	add(st, 100, 6);			/* overwrote its two oldest */
	add(st, 200, 2);
	assert_int_equal(pw_store_samples(st, 100, INT64_MIN, 100, &s, &n,
	    &cap), 0);
	assert_int_equal(n, 4);
	assert_int_equal(cap, 4);
	for (i = 0; i < n; i++) {
		want = nth(100, (unsigned)i + 2);	/* oldest first */
		assert_int_equal(s[i].ts_ms, want.ts_ms);
		assert_int_equal(s[i].utime_ticks, want.utime_ticks);
		assert_int_equal(s[i].rss_bytes, want.rss_bytes);
		assert_int_equal(s[i].open_fds, i + 2);
		/* 10 user ticks and 1 system tick a second at HZ 100. */
		NEAR(s[i].cpu_user_pct, 10.0);
		NEAR(s[i].cpu_system_pct, 1.0);
		assert_false(s[i].flags & PW_SAMPLE_FIRST);
	}
	free(s);
	/* The other ring did not see those pushes. */
	assert_int_equal(pw_store_samples(st, 200, INT64_MIN, 100, &s, &n,
	    &cap), 0);
	assert_int_equal(n, 2);
	assert_true(s[0].flags & PW_SAMPLE_FIRST);
	NEAR(s[0].cpu_user_pct, 0);		/* no previous: no rate */
	NEAR(s[1].cpu_user_pct, 20.0);
	assert_int_equal(s[1].rss_bytes, 200 * 1024 * KIB + 4 * KIB);
	free(s);
	pw_store_free(st);
}

static void
test_store_snapshot_is_a_copy_in_pid_order(void **state)
{
	struct pw_store *st;
	struct pw_snapshot *snap;
	struct pw_proc *p30, *p10;
	const struct pw_proc_view *v;
	uint64_t id30, id10, id20;
	struct pw_sample last;

	(void)state;
	assert_non_null(st = pw_store_new(3, HZ));
	/* Inserted out of order: the ids follow insertion, the views pid. */
	id30 = insert(st, p30 = mkproc(st, 30, "web", 2));
	id10 = insert(st, p10 = mkproc(st, 10, "db", 1));
	id20 = insert(st, mkproc(st, 20, "web", 0));
	assert_true(id30 < id10 && id10 < id20);
	pw__store_wrlock(st);
	assert_non_null(p30->cgroup = strdup("/system.slice/web.service"));
	st->taken_ms = T0_MS + 1000;
	st->mem_total = 8 * 1024 * 1024 * KIB;
	pw__store_unlock(st);

	assert_int_equal(pw_store_snapshot(st, false, &snap), 0);
	assert_int_equal(snap->n, 3);
	assert_int_equal(snap->taken_ms, T0_MS + 1000);
	assert_int_equal(snap->mem_total, 8 * 1024 * 1024 * KIB);
	assert_int_equal(snap->procs[0].pid, 10);
	assert_int_equal(snap->procs[1].pid, 20);
	assert_int_equal(snap->procs[2].pid, 30);
	v = &snap->procs[2];
	assert_int_equal(v->id, id30);
	assert_string_equal(v->name, "p30");
	assert_string_equal(v->target, "web");
	assert_string_equal(v->cmdline, "/bin/p --flag");
	assert_string_equal(v->user, "alice");
	assert_string_equal(v->cgroup, "/system.slice/web.service");
	assert_int_equal(v->uid, 1000);
	assert_int_equal(v->ppid, 1);
	assert_int_equal(v->fd_limit, 1024);
	assert_int_equal(v->start_time_ms, T0_MS - 30);
	assert_true(v->alive);
	assert_int_equal(v->nsamples, 2);
	assert_int_equal(v->capacity, 3);
	assert_true(v->has_sample);
	last = nth(30, 1);
	assert_int_equal(v->latest.ts_ms, last.ts_ms);
	assert_int_equal(v->latest.utime_ticks, last.utime_ticks);
	NEAR(v->latest.cpu_user_pct, 3.0);	/* 3 ticks in 1 s at HZ 100 */
	/* Unknown cgroup: "", and a process without samples has none. */
	assert_string_equal(snap->procs[0].cgroup, "");
	assert_false(snap->procs[1].has_sample);
	assert_int_equal(snap->procs[1].nsamples, 0);

	/* The sampler changes and frees; the snapshot keeps what it had. */
	pw__store_wrlock(st);
	free(p30->cmdline);
	assert_non_null(p30->cmdline = strdup("/bin/other"));
	free(p30->target);
	assert_non_null(p30->target = strdup("db"));
	p10->alive = false;
	p10->gone_ms = T0_MS;
	assert_int_equal(pw__store_expire(st, T0_MS, NULL, NULL), 1);
	pw__store_unlock(st);
	assert_string_equal(v->cmdline, "/bin/p --flag");
	assert_string_equal(v->target, "web");
	assert_int_equal(snap->procs[0].pid, 10);
	assert_string_equal(snap->procs[0].target, "db");
	pw_snapshot_free(snap);

	assert_int_equal(pw_store_snapshot(st, true, &snap), 0);
	assert_int_equal(snap->n, 2);
	assert_string_equal(snap->procs[1].cmdline, "/bin/other");
	pw_snapshot_free(snap);
	pw_store_free(st);
}

static void
test_store_gone_kept_until_retention(void **state)
{
	struct pw_store *st;
	struct pw_snapshot *snap;
	struct pw_proc *a, *b;
	uint64_t *ids = NULL, ida, idb;
	size_t alive, gone, nids = 0;
	struct pw_sample *s;
	size_t n, cap;

	(void)state;
	assert_non_null(st = pw_store_new(5, HZ));
	a = add(st, 1, 3);
	b = add(st, 2, 3);
	add(st, 3, 1);
	ida = a->id;
	idb = b->id;
	mark_gone(st, a, T0_MS + 1000);
	mark_gone(st, b, T0_MS + 5000);
	pw_store_counts(st, &alive, &gone);
	assert_int_equal(alive, 1);
	assert_int_equal(gone, 2);

	/* Gone: left out of the live view, kept with its history. */
	assert_int_equal(pw_store_snapshot(st, false, &snap), 0);
	assert_int_equal(snap->n, 1);
	assert_int_equal(snap->procs[0].pid, 3);
	pw_snapshot_free(snap);
	assert_int_equal(pw_store_snapshot_pid(st, 1, &snap), 0);
	assert_false(snap->procs[0].alive);
	assert_int_equal(snap->procs[0].gone_ms, T0_MS + 1000);
	assert_int_equal(snap->procs[0].nsamples, 3);
	pw_snapshot_free(snap);
	assert_int_equal(pw_store_samples(st, 2, INT64_MIN, 10, &s, &n, &cap),
	    0);
	assert_int_equal(n, 3);
	free(s);

	/* Retention: gone at or before the cutoff goes, the rest stays. */
	pw__store_wrlock(st);
	assert_int_equal(pw__store_expire(st, T0_MS + 999, &ids, &nids), 0);
	assert_int_equal(pw__store_expire(st, T0_MS + 1000, &ids, &nids), 1);
	pw__store_unlock(st);
	assert_int_equal(nids, 1);
	assert_int_equal(ids[0], ida);
	assert_int_equal(pw_store_snapshot_pid(st, 1, &snap), -ENOENT);
	pw_store_counts(st, &alive, &gone);
	assert_int_equal(alive, 1);
	assert_int_equal(gone, 1);
	/* A live process never expires, however old the cutoff. */
	pw__store_wrlock(st);
	assert_int_equal(pw__store_expire(st, INT64_MAX, &ids, &nids), 1);
	pw__store_unlock(st);
	assert_int_equal(nids, 2);
	assert_int_equal(ids[1], idb);
	free(ids);
	pw_store_counts(st, &alive, &gone);
	assert_int_equal(alive, 1);
	assert_int_equal(gone, 0);
	pw_store_free(st);
}

static void
test_store_reused_pid_prefers_live_then_newest(void **state)
{
	struct pw_store *st;
	struct pw_snapshot *snap;
	struct pw_proc *old, *mid, *cur;
	struct pw_sample *s;
	size_t n, cap;

	(void)state;
	assert_non_null(st = pw_store_new(4, HZ));
	old = add(st, 42, 1);
	mark_gone(st, old, T0_MS);
	mid = add(st, 42, 2);
	mark_gone(st, mid, T0_MS + 1000);
	cur = add(st, 42, 3);
	assert_true(old->id < mid->id && mid->id < cur->id);

	/* The live one wins, by pid and for the samples. */
	assert_int_equal(pw_store_snapshot_pid(st, 42, &snap), 0);
	assert_int_equal(snap->n, 1);
	assert_int_equal(snap->procs[0].id, cur->id);
	pw_snapshot_free(snap);
	assert_int_equal(pw_store_samples(st, 42, INT64_MIN, 10, &s, &n, &cap),
	    0);
	assert_int_equal(n, 3);
	free(s);
	/* All three in a full snapshot, same pid ordered by id. */
	assert_int_equal(pw_store_snapshot(st, true, &snap), 0);
	assert_int_equal(snap->n, 3);
	assert_int_equal(snap->procs[0].id, old->id);
	assert_int_equal(snap->procs[1].id, mid->id);
	assert_int_equal(snap->procs[2].id, cur->id);
	pw_snapshot_free(snap);

	/* None alive: the most recently gone (the highest id). */
	mark_gone(st, cur, T0_MS + 2000);
	assert_int_equal(pw_store_snapshot_pid(st, 42, &snap), 0);
	assert_int_equal(snap->procs[0].id, cur->id);
	assert_int_equal(snap->procs[0].gone_ms, T0_MS + 2000);
	pw_snapshot_free(snap);
	pw__store_wrlock(st);
	assert_int_equal(pw__store_expire(st, T0_MS + 2000, NULL, NULL), 3);
	pw__store_unlock(st);
	assert_int_equal(pw_store_snapshot_pid(st, 42, &snap), -ENOENT);
	pw_store_free(st);
}

static void
test_store_samples_limit_and_since(void **state)
{
	struct pw_store *st;
	struct pw_sample *s;
	size_t n, cap;

	(void)state;
	assert_non_null(st = pw_store_new(10, HZ));
	add(st, 7, 6);				/* T0 .. T0+5 s */
	/* limit: the newest ones, oldest first. */
	assert_int_equal(pw_store_samples(st, 7, INT64_MIN, 2, &s, &n, &cap),
	    0);
	assert_int_equal(n, 2);
	assert_int_equal(cap, 10);
	assert_int_equal(s[0].ts_ms, T0_MS + 4000);
	assert_int_equal(s[1].ts_ms, T0_MS + 5000);
	free(s);
	/* since: strictly newer. */
	assert_int_equal(pw_store_samples(st, 7, T0_MS + 3000, 100, &s, &n,
	    &cap), 0);
	assert_int_equal(n, 2);
	assert_int_equal(s[0].ts_ms, T0_MS + 4000);
	free(s);
	/* Both: the newest `limit` of the window. */
	assert_int_equal(pw_store_samples(st, 7, T0_MS, 3, &s, &n, &cap), 0);
	assert_int_equal(n, 3);
	assert_int_equal(s[0].ts_ms, T0_MS + 3000);
	free(s);
	/* Nothing matches: an empty copy, still a success. */
	assert_int_equal(pw_store_samples(st, 7, T0_MS + 5000, 100, &s, &n,
	    &cap), 0);
	assert_int_equal(n, 0);
	free(s);
	assert_int_equal(pw_store_samples(st, 7, INT64_MIN, 0, &s, &n, &cap),
	    0);
	assert_int_equal(n, 0);
	free(s);
	pw_store_free(st);
}

static void
test_store_history_of_one(void **state)
{
	struct pw_store *st;
	struct pw_sample *s;
	size_t n, cap;

	(void)state;
	assert_non_null(st = pw_store_new(1, HZ));
	add(st, 5, 3);
	assert_int_equal(pw_store_samples(st, 5, INT64_MIN, 10, &s, &n, &cap),
	    0);
	assert_int_equal(n, 1);
	assert_int_equal(cap, 1);
	assert_int_equal(s[0].ts_ms, T0_MS + 2000);
	/* The rate still comes from the overwritten predecessor. */
	NEAR(s[0].cpu_system_pct, 1.0);
	free(s);
	pw_store_free(st);
}

/* Many processes in a scrambled order: the array grows, stays sorted. */
static void
test_store_many_processes_stay_sorted(void **state)
{
	struct pw_store *st;
	struct pw_snapshot *snap;
	size_t i, alive, gone;
	pid_t pid;

	(void)state;
	assert_non_null(st = pw_store_new(2, HZ));
	for (i = 0; i < 1000; i++) {
		pid = (pid_t)((i * 7919) % 1000) + 2;	/* each once */
		add(st, pid, 1);
	}
	pw_store_counts(st, &alive, &gone);
	assert_int_equal(alive, 1000);
	assert_int_equal(pw_store_snapshot(st, false, &snap), 0);
	assert_int_equal(snap->n, 1000);
	for (i = 0; i < snap->n; i++) {
		assert_int_equal(snap->procs[i].pid, (pid_t)i + 2);
		assert_int_equal(snap->procs[i].latest.rss_bytes,
		    (uint64_t)(i + 2) * 1024 * KIB);
	}
	pw_snapshot_free(snap);
	pw_store_free(st);
}

struct walk {
	pid_t	pids[8];
	size_t	nsamples[8];
	bool	latest[8];
	size_t	n;
	size_t	stop_after;		/* 0: never */
};

static int
visit(const struct pw_proc_view *v, const struct pw_sample *samples,
    size_t n, void *arg)
{
	struct walk *w = arg;

	assert_true(w->n < 8);
	assert_true(n == 0 || samples[n - 1].ts_ms == v->latest.ts_ms);
	w->pids[w->n] = v->pid;
	w->nsamples[w->n] = n;
	w->latest[w->n] = v->has_sample;
	w->n++;
	return w->stop_after != 0 && w->n == w->stop_after ? 77 : 0;
}

static void
test_store_each_walks_in_order(void **state)
{
	struct pw_store *st;
	struct walk w;
	struct pw_proc *g;

	(void)state;
	assert_non_null(st = pw_store_new(4, HZ));
	add(st, 9, 3);
	g = add(st, 3, 2);
	add(st, 6, 4);
	mark_gone(st, g, T0_MS);

	memset(&w, 0, sizeof(w));
	assert_int_equal(pw_store_each(st, INT64_MIN, false, visit, &w), 0);
	assert_int_equal(w.n, 2);
	assert_int_equal(w.pids[0], 6);
	assert_int_equal(w.nsamples[0], 4);
	assert_int_equal(w.pids[1], 9);
	assert_int_equal(w.nsamples[1], 3);

	/* With the gone one; a window that leaves pid 9 with none but
	 * its latest still told. */
	memset(&w, 0, sizeof(w));
	assert_int_equal(pw_store_each(st, T0_MS + 2000, true, visit, &w), 0);
	assert_int_equal(w.n, 3);
	assert_int_equal(w.pids[0], 3);
	assert_int_equal(w.nsamples[0], 0);
	assert_int_equal(w.nsamples[1], 1);	/* 6: T0+3 s */
	assert_int_equal(w.nsamples[2], 0);	/* 9: T0+2 s is not newer */
	assert_true(w.latest[2]);

	/* A non-zero return stops the walk and comes back. */
	memset(&w, 0, sizeof(w));
	w.stop_after = 1;
	assert_int_equal(pw_store_each(st, INT64_MIN, true, visit, &w), 77);
	assert_int_equal(w.n, 1);
	pw_store_free(st);
}

static void
init_target(struct pw_target *t, const char *name, const char *comm)
{
	char err[128];

	assert_int_equal(pw_target_init(t, name, PW_SEL_NAME, comm, false,
	    err, sizeof(err)), 0);
}

static void
push_group(struct pw_store *st, size_t i, unsigned k)
{
	struct pw_group_sample gs;

	memset(&gs, 0, sizeof(gs));
	gs.ts_ms = T0_MS + (int64_t)k * 1000;
	gs.processes = k;
	pw__store_wrlock(st);
	pw__store_group_push(st, i, &gs);
	pw__store_unlock(st);
}

/* A reload: kept names keep their newest samples in the new size. */
static void
test_store_groups_across_reload(void **state)
{
	struct pw_target t[3];
	struct pw_store *st;
	struct pw_snapshot *snap;
	const struct pw_group_view *gv;
	struct pw_group_sample *gs;
	size_t n, cap;
	unsigned k;

	(void)state;
	init_target(&t[0], "web", "nginx");
	init_target(&t[1], "db", "postgres");
	init_target(&t[2], "cache", "redis");
	assert_non_null(st = pw_store_new(4, HZ));
	pw__store_wrlock(st);
	assert_int_equal(pw__store_set_groups(st, t, 2), 0);
	pw__store_unlock(st);
	for (k = 0; k < 6; k++)
		push_group(st, 0, k);		/* web: 2..5 left */
	push_group(st, 1, 0);
	push_group(st, 9, 0);			/* no such group: ignored */
	assert_int_equal(pw_store_group_samples(st, "web", INT64_MIN, 100,
	    &gs, &n, &cap), 0);
	assert_int_equal(n, 4);
	assert_int_equal(cap, 4);
	assert_int_equal(gs[0].processes, 2);
	assert_int_equal(gs[3].processes, 5);
	free(gs);

	/* Shrink to 3, web stays, db goes, cache comes. */
	pw__store_wrlock(st);
	st->history = 3;
	assert_int_equal(pw__store_set_groups(st, (struct pw_target[]){ t[2],
	    t[0] }, 2), 0);
	pw__store_unlock(st);
	assert_int_equal(pw_store_snapshot(st, false, &snap), 0);
	assert_int_equal(snap->ngroups, 2);
	assert_string_equal(snap->groups[0].name, "cache");
	assert_false(snap->groups[0].has_sample);
	assert_string_equal(snap->groups[0].selector, "comm redis");
	assert_int_equal(snap->groups[0].min_processes, 1);
	assert_non_null(gv = pw_snapshot_group(snap, "web"));
	assert_int_equal(gv->nsamples, 3);
	assert_int_equal(gv->capacity, 3);
	assert_int_equal(gv->latest.processes, 5);
	assert_null(pw_snapshot_group(snap, "db"));
	assert_null(pw_snapshot_group(snap, NULL));
	pw_snapshot_free(snap);
	assert_int_equal(pw_store_group_samples(st, "web", INT64_MIN, 100,
	    &gs, &n, &cap), 0);
	assert_int_equal(n, 3);
	assert_int_equal(gs[0].processes, 3);	/* the newest three */
	free(gs);
	assert_int_equal(pw_store_group_samples(st, "db", INT64_MIN, 100,
	    &gs, &n, &cap), -ENOENT);

	/* Grow to 6: what there was, and room for more. */
	pw__store_wrlock(st);
	st->history = 6;
	assert_int_equal(pw__store_set_groups(st, &t[0], 1), 0);
	pw__store_unlock(st);
	push_group(st, 0, 6);
	assert_int_equal(pw_store_group_samples(st, "web", T0_MS + 3000, 100,
	    &gs, &n, &cap), 0);
	assert_int_equal(n, 3);			/* 4, 5, 6 */
	assert_int_equal(cap, 6);
	assert_int_equal(gs[0].processes, 4);
	assert_int_equal(gs[2].processes, 6);
	free(gs);

	/* No targets: the one implicit group. */
	pw__store_wrlock(st);
	assert_int_equal(pw__store_set_groups(st, NULL, 0), 0);
	pw__store_unlock(st);
	assert_int_equal(pw_store_snapshot(st, false, &snap), 0);
	assert_int_equal(snap->ngroups, 1);
	assert_string_equal(snap->groups[0].name, PW_GROUP_ALL);
	assert_int_equal(snap->groups[0].min_processes, 0);
	pw_snapshot_free(snap);
	pw_store_free(st);
	for (k = 0; k < 3; k++)
		pw_target_fini(&t[k]);
}

/* A monitor reload resizes every ring: the live and the gone. */
static void
test_store_reload_resizes_every_ring(void **state)
{
	struct fakeproc_proc a = { .pid = 100, .ppid = 1, .comm = "alpha",
	    .cmdline = "alpha", .starttime = 5100, .rss_kb = 1024,
	    .vms_kb = 4096, .has_io = true, .nfds = 2, .nofile = 1024 };
	struct fakeproc_proc b = a;
	struct pw_monitor_config c;
	struct pw_monitor *m;
	struct pw_snapshot *snap;
	struct fakeproc *fk;
	int err = 0, i;

	(void)state;
	b.pid = 200;
	b.comm = b.cmdline = "beta";
	fk = fakeproc_new(NULL);
	fakeproc_add(fk, &a);
	fakeproc_add(fk, &b);
	pw_monitor_config_defaults(&c);
	c.proc_root = fakeproc_root(fk);
	c.history = 4;
	c.retention_ms = 60000;
	assert_non_null(m = pw_monitor_new(&c, &err));
	for (i = 0; i < 3; i++) {
		a.utime += 10;
		fakeproc_update(fk, &a);
		assert_int_equal(pw_monitor_cycle(m, T0_MS + i * 1000), 0);
	}
	fakeproc_remove(fk, 200);
	assert_int_equal(pw_monitor_cycle(m, T0_MS + 3000), 0);

	c.history = 2;
	assert_int_equal(pw_monitor_reload(m, &c), 0);
	assert_int_equal(pw_store_snapshot(pw_monitor_store(m), true, &snap),
	    0);
	assert_int_equal(snap->n, 2);
	assert_true(snap->procs[0].alive);
	assert_int_equal(snap->procs[0].capacity, 2);
	assert_int_equal(snap->procs[0].nsamples, 2);
	assert_false(snap->procs[1].alive);
	assert_int_equal(snap->procs[1].capacity, 2);
	assert_int_equal(snap->procs[1].nsamples, 2);
	/* The newest two are kept. */
	assert_int_equal(snap->procs[0].latest.ts_ms, T0_MS + 3000);
	pw_snapshot_free(snap);

	c.history = 8;
	assert_int_equal(pw_monitor_reload(m, &c), 0);
	assert_int_equal(pw_monitor_cycle(m, T0_MS + 4000), 0);
	assert_int_equal(pw_store_snapshot_pid(pw_monitor_store(m), 100,
	    &snap), 0);
	assert_int_equal(snap->procs[0].capacity, 8);
	assert_int_equal(snap->procs[0].nsamples, 3);
	pw_snapshot_free(snap);
	pw_monitor_free(m);
	fakeproc_free(fk);
}

static void
test_store_memory_pct(void **state)
{
	struct pw_sample s;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.rss_bytes = 512 * 1024 * KIB;
	NEAR(pw_sample_memory_pct(&s, 2048 * 1024 * KIB), 25.0);
	NEAR(pw_sample_memory_pct(&s, 0), 0.0);	/* unknown MemTotal */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_empty),
		cmocka_unit_test(test_store_ring_per_process),
		cmocka_unit_test(test_store_snapshot_is_a_copy_in_pid_order),
		cmocka_unit_test(test_store_gone_kept_until_retention),
		cmocka_unit_test(test_store_reused_pid_prefers_live_then_newest),
		cmocka_unit_test(test_store_samples_limit_and_since),
		cmocka_unit_test(test_store_history_of_one),
		cmocka_unit_test(test_store_many_processes_stay_sorted),
		cmocka_unit_test(test_store_each_walks_in_order),
		cmocka_unit_test(test_store_groups_across_reload),
		cmocka_unit_test(test_store_reload_resizes_every_ring),
		cmocka_unit_test(test_store_memory_pct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
