/*
 * test_bottleneck.c: ranking, severity bands at their edges, skip
 * thresholds, zero total CPU, and what the sentences say; the same for
 * targets as groups, their figures from aggregate samples, and by target
 * from a store.
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
#include <sys/stat.h>

#include <procwatch/bottleneck.h>
#include <procwatch/psi.h>
#include <procwatch/ring.h>
#include <procwatch/store.h>
#include <procwatch/target.h>

#include "internal.h"

#define MIB	(1024ull * 1024ull)
#define GIB	(1024ull * MIB)
/* A host of `mem` bytes of RAM and `cpus` CPUs (0: unknown). */
#define HOST(mem, cpus)	(&(const struct pw_bn_host){ (mem), (cpus) })

/* A growth spread evenly over span_s seconds: every third as steep. */
static struct pw_bn_shape
steady(double slope_per_min, double span_s)
{
	struct pw_bn_shape sh;

	memset(&sh, 0, sizeof(sh));
	sh.known = true;
	sh.span_s = span_s;
	sh.part_slope[0] = sh.part_slope[1] = sh.part_slope[2] = slope_per_min;
	return sh;
}

static struct pw_bn_proc
proc(pid_t pid, const char *name, double cpu_s, uint64_t rss)
{
	struct pw_bn_proc p;

	memset(&p, 0, sizeof(p));
	p.pid = pid;
	snprintf(p.name, sizeof(p.name), "%s", name);
	snprintf(p.target, sizeof(p.target), "web");
	p.window_s = 60;
	p.cpu_s = cpu_s;
	p.cpu_user_s = cpu_s;
	p.rss_bytes = rss;
	p.threads = 1;
	p.open_fds = 10;
	p.has_fds = true;
	p.fd_limit = 1024;
	return p;
}

static const struct pw_bottleneck *
find(const struct pw_bottleneck *v, size_t n, pid_t pid, enum pw_bn_type t)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].pid == pid && v[i].type == t)
			return &v[i];
	return NULL;
}

static bool
any_contains(const struct pw_bottleneck *b, const char *needle)
{
	size_t i;

	for (i = 0; i < b->nsuggestions; i++)
		if (strstr(b->suggestions[i], needle) != NULL)
			return true;
	return false;
}

static void
test_bottleneck_cpu_bands_at_edges(void **state)
{
	(void)state;
	/* Of the capacity: 75 % critical, 50 % high, 25 % medium. */
	assert_int_equal(pw_bn_cpu_severity(1.5, 2), PW_SEV_CRITICAL);
	assert_int_equal(pw_bn_cpu_severity(1.4999, 2), PW_SEV_HIGH);
	assert_int_equal(pw_bn_cpu_severity(1.0, 2), PW_SEV_HIGH);
	assert_int_equal(pw_bn_cpu_severity(0.9999, 2), PW_SEV_MEDIUM);
	assert_int_equal(pw_bn_cpu_severity(0.95, 1), PW_SEV_CRITICAL);
	assert_int_equal(pw_bn_cpu_severity(0.25, 1), PW_SEV_MEDIUM);
	assert_int_equal(pw_bn_cpu_severity(0.2499, 1), PW_SEV_LOW);
	/* Half a core is medium on any host, even 64 CPUs or unknown. */
	assert_int_equal(pw_bn_cpu_severity(0.5, 64), PW_SEV_MEDIUM);
	assert_int_equal(pw_bn_cpu_severity(0.4999, 64), PW_SEV_LOW);
	assert_int_equal(pw_bn_cpu_severity(0.5, 0), PW_SEV_MEDIUM);
	assert_int_equal(pw_bn_cpu_severity(8, 0), PW_SEV_MEDIUM);
	assert_int_equal(pw_bn_cpu_severity(0, 2), PW_SEV_LOW);
	/* Delays: cpu_starved, io_blocked, memory_stall. */
	assert_int_equal(pw_bn_cpu_delay_severity(80), PW_SEV_CRITICAL);
	assert_int_equal(pw_bn_cpu_delay_severity(79.9), PW_SEV_HIGH);
	assert_int_equal(pw_bn_cpu_delay_severity(50), PW_SEV_HIGH);
	assert_int_equal(pw_bn_cpu_delay_severity(49.9), PW_SEV_MEDIUM);
	assert_int_equal(pw_bn_cpu_delay_severity(20), PW_SEV_MEDIUM);
	assert_int_equal(pw_bn_cpu_delay_severity(19.9), PW_SEV_LOW);
	assert_int_equal(pw_bn_io_delay_severity(90), PW_SEV_CRITICAL);
	assert_int_equal(pw_bn_io_delay_severity(60), PW_SEV_HIGH);
	assert_int_equal(pw_bn_io_delay_severity(30), PW_SEV_MEDIUM);
	assert_int_equal(pw_bn_io_delay_severity(29.9), PW_SEV_LOW);
	assert_int_equal(pw_bn_mem_stall_severity(50, -1), PW_SEV_CRITICAL);
	assert_int_equal(pw_bn_mem_stall_severity(25, -1), PW_SEV_HIGH);
	assert_int_equal(pw_bn_mem_stall_severity(10, -1), PW_SEV_MEDIUM);
	assert_int_equal(pw_bn_mem_stall_severity(9.9, -1), PW_SEV_LOW);
	assert_int_equal(pw_bn_mem_stall_severity(12, 10), PW_SEV_HIGH);
}

static void
test_bottleneck_memory_bands_at_edges(void **state)
{
	(void)state;
	assert_int_equal(pw_bn_memory_severity(0.9), PW_SEV_CRITICAL);
	assert_int_equal(pw_bn_memory_severity(0.8999), PW_SEV_HIGH);
	assert_int_equal(pw_bn_memory_severity(0.75), PW_SEV_HIGH);
	assert_int_equal(pw_bn_memory_severity(0.7499), PW_SEV_MEDIUM);
	assert_int_equal(pw_bn_memory_severity(0.5), PW_SEV_MEDIUM);
	assert_int_equal(pw_bn_memory_severity(0.4999), PW_SEV_LOW);
	assert_int_equal(pw_bn_memory_severity(0), PW_SEV_LOW);
}

static void
test_bottleneck_growth_bands_at_edges(void **state)
{
	(void)state;
	assert_int_equal(pw_bn_growth_severity(0, 0), PW_SEV_CRITICAL);
	assert_int_equal(pw_bn_growth_severity(600, 0), PW_SEV_CRITICAL);
	assert_int_equal(pw_bn_growth_severity(601, 0), PW_SEV_HIGH);
	assert_int_equal(pw_bn_growth_severity(3600, 0), PW_SEV_HIGH);
	assert_int_equal(pw_bn_growth_severity(3601, 0), PW_SEV_MEDIUM);
	assert_int_equal(pw_bn_growth_severity(86400, 0), PW_SEV_MEDIUM);
	assert_int_equal(pw_bn_growth_severity(86401, 0), PW_SEV_LOW);
	/* Unknown limit: the relative growth per minute. */
	assert_int_equal(pw_bn_growth_severity(-1, 0.10), PW_SEV_HIGH);
	assert_int_equal(pw_bn_growth_severity(-1, 0.0999), PW_SEV_MEDIUM);
	assert_int_equal(pw_bn_growth_severity(-1, 0.01), PW_SEV_MEDIUM);
	assert_int_equal(pw_bn_growth_severity(-1, 0.0099), PW_SEV_LOW);
	assert_string_equal(pw_severity_name(PW_SEV_CRITICAL), "critical");
	assert_string_equal(pw_bn_type_name(PW_BN_FDS), "fds");
	assert_string_equal(pw_bn_type_name(PW_BN_LEAK), "leak");
}

static void
test_bottleneck_cpu_impact_and_ranking(void **state)
{
	struct pw_bn_proc p[4];
	struct pw_bottleneck *v;
	const struct pw_bottleneck *b;
	size_t n;

	(void)state;
	p[0] = proc(10, "idle", 0.009, 512 * 1024);	/* skipped: < 10 ms */
	p[1] = proc(20, "worker", 6.2, 100 * MIB);
	p[2] = proc(30, "helper", 3.0, 50 * MIB);
	p[3] = proc(40, "small", 0.791, 2 * MIB);
	for (n = 0; n < 4; n++)
		p[n].window_s = 10;
	/* One CPU and 128 MiB of RAM. */
	assert_int_equal(pw_bottleneck_rank(p, 4, HOST(128 * MIB, 1), &v, &n),
	    0);
	assert_null(find(v, n, 10, PW_BN_CPU));
	assert_null(find(v, n, 10, PW_BN_MEMORY));	/* < 1 MiB */
	b = find(v, n, 20, PW_BN_CPU);
	assert_non_null(b);
	/* 6.2 of 10 CPU-seconds: the skipped one still counts in total. */
	assert_true(fabs(b->impact - 6.2 / 10.0) < 1e-12);
	assert_int_equal(b->severity, PW_SEV_HIGH);	/* 0.62 of 1 CPU */
	assert_true(fabs(b->ev.total_cpu_s - 10.0) < 1e-12);
	assert_true(fabs(b->ev.cores - 0.62) < 1e-12);
	assert_true(b->ev.capacity == 1 && !b->ev.capacity_is_quota);
	assert_non_null(strstr(b->description,
	    "Process 'worker' (pid 20) used 62 % of monitored CPU over 10s"));
	assert_non_null(strstr(b->description, "62 % of the host's 1 CPU)"));
	/* Single-threaded: says so. */
	assert_true(any_contains(b, "single-threaded"));
	b = find(v, n, 30, PW_BN_CPU);
	assert_int_equal(b->severity, PW_SEV_MEDIUM);	/* 0.3 */
	b = find(v, n, 40, PW_BN_CPU);
	assert_int_equal(b->severity, PW_SEV_LOW);	/* 0.08 */
	/*
	 * Memory: impact is relative (the largest is 1.0), severity is the
	 * share of RAM: 100 of 128 MiB is high, 50 MiB low.
	 */
	b = find(v, n, 20, PW_BN_MEMORY);
	assert_true(b->impact == 1.0);
	assert_int_equal(b->severity, PW_SEV_HIGH);
	assert_non_null(strstr(b->description, "largest resident memory"));
	assert_non_null(strstr(b->description, "(78.1 % of RAM)"));
	b = find(v, n, 30, PW_BN_MEMORY);
	assert_true(fabs(b->impact - 0.5) < 1e-12);
	assert_int_equal(b->severity, PW_SEV_LOW);
	b = find(v, n, 40, PW_BN_MEMORY);
	assert_int_equal(b->severity, PW_SEV_LOW);
	/* Ordered by severity, then impact. */
	assert_int_equal(v[0].severity, PW_SEV_HIGH);
	assert_int_equal(v[0].type, PW_BN_MEMORY);	/* impact 1 */
	assert_true(v[0].impact >= v[1].impact ||
	    v[0].severity > v[1].severity);
	assert_int_equal(v[n - 1].severity, PW_SEV_LOW);
	free(v);
}

static void
test_bottleneck_zero_total_cpu(void **state)
{
	struct pw_bn_proc p[2];
	struct pw_bottleneck *v;
	size_t n, i;

	(void)state;
	p[0] = proc(1, "a", 0, 4 * MIB);
	p[1] = proc(2, "b", 0, 0);
	assert_int_equal(pw_bottleneck_rank(p, 2, HOST(0, 0), &v, &n), 0);
	for (i = 0; i < n; i++) {
		assert_int_not_equal(v[i].type, PW_BN_CPU);
		assert_false(isnan(v[i].impact));
	}
	assert_int_equal(n, 1);			/* a's memory only */
	free(v);
	assert_int_equal(pw_bottleneck_rank(NULL, 0, NULL, &v, &n), 0);
	assert_int_equal(n, 0);
	free(v);
}

static void
test_bottleneck_memory_skip_threshold(void **state)
{
	struct pw_bn_proc p[2];
	struct pw_bottleneck *v;
	size_t n;

	(void)state;
	p[0] = proc(1, "a", 0, MIB - 4096);
	p[1] = proc(2, "b", 0, MIB);
	assert_int_equal(pw_bottleneck_rank(p, 2, HOST(0, 0), &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].pid, 2);
	free(v);
}

static struct pw_trend
growing(double slope, double r2)
{
	struct pw_trend t;

	memset(&t, 0, sizeof(t));
	t.valid = true;
	t.n = 300;
	t.slope_per_min = slope;
	t.ci_lo = slope * 0.9;
	t.ci_hi = slope * 1.1;
	t.r2 = r2;
	t.dir = PW_TREND_GROWING;
	return t;
}

static void
test_bottleneck_fd_growth_time_to_limit(void **state)
{
	struct pw_bn_proc p[3];
	struct pw_bottleneck *v;
	const struct pw_bottleneck *b;
	size_t n;

	(void)state;
	p[0] = proc(1, "fdleak", 0, 2 * MIB);
	p[0].open_fds = 424;
	p[0].fds_trend = growing(120, 0.99);	/* 600 left: 5 min */
	p[0].fds_shape = steady(120, 60);
	p[1] = proc(2, "noisy", 0, 2 * MIB);
	p[1].fds_trend = growing(120, 0.3);	/* not steady: skipped */
	p[1].fds_shape = steady(120, 60);
	p[2] = proc(3, "slow", 0, 2 * MIB);
	p[2].fds_trend = growing(1.0, 0.9);	/* 1/min over 1 min: < 2 */
	p[2].fds_shape = steady(1, 60);
	assert_int_equal(pw_bottleneck_rank(p, 3, HOST(0, 0), &v, &n), 0);
	b = find(v, n, 1, PW_BN_FDS);
	assert_non_null(b);
	assert_true(fabs(b->ev.time_to_limit_s - 300) < 1e-9);
	assert_int_equal(b->severity, PW_SEV_CRITICAL);
	assert_true(fabs(b->impact - 600.0 / 900.0) < 1e-12);
	assert_string_equal(b->ev.metric, "open_fds");
	assert_non_null(strstr(b->description, "opens descriptors steadily"));
	assert_non_null(strstr(b->description, "limit of 1024 in 5m"));
	assert_true(any_contains(b, "ls -l /proc/1/fd"));
	assert_true(any_contains(b, "LimitNOFILE"));
	assert_null(find(v, n, 2, PW_BN_FDS));
	assert_null(find(v, n, 3, PW_BN_FDS));
	free(v);
}

static void
test_bottleneck_rss_leak_and_threads(void **state)
{
	struct pw_bn_proc p[3];
	struct pw_bottleneck *v;
	const struct pw_bottleneck *b;
	size_t n;

	(void)state;
	p[0] = proc(1, "leaky", 0, 100 * MIB);
	p[0].window_s = 1800;
	p[0].rss_trend = growing(2.1 * MIB, 0.97);
	p[0].rss_shape = steady(2.1 * MIB, 1800);
	p[1] = proc(2, "spawner", 0, 2 * MIB);
	p[1].threads = 50;
	p[1].threads_trend = growing(10, 0.95);
	p[1].threads_shape = steady(10, 60);
	p[2] = proc(3, "tiny", 0, 2 * MIB);
	p[2].rss_trend = growing(0.5 * MIB, 0.99);	/* 0.5 MiB in 1m */
	p[2].rss_shape = steady(0.5 * MIB, 60);
	/* MemTotal 1 GiB: (1024 - 100) / 2.1 = 440 min = 7h20m. */
	assert_int_equal(pw_bottleneck_rank(p, 3, HOST(GIB, 0), &v, &n), 0);
	b = find(v, n, 1, PW_BN_LEAK);
	assert_non_null(b);
	assert_string_equal(b->ev.metric, "rss_bytes");
	assert_int_equal(b->severity, PW_SEV_MEDIUM);
	assert_true(fabs(b->ev.time_to_limit_s - 924.0 / 2.1 * 60) < 1e-6);
	assert_non_null(strstr(b->description,
	    "RSS grows 2.1 MiB/min (95 % CI 1.9 MiB to 2.3 MiB"));
	assert_non_null(strstr(b->description, "over 30m"));
	assert_non_null(strstr(b->description, "reaches MemTotal (1.0 GiB) "
	    "in 7h20m"));
	assert_true(any_contains(b, "exhausts memory in 7h20m"));
	assert_non_null(strstr(b->description, "in every third of it"));
	assert_true(fabs(b->ev.growth - 2.1 * MIB * 30) < 1);
	/* The memory entry points at the leak and takes its severity. */
	b = find(v, n, 1, PW_BN_MEMORY);
	assert_true(any_contains(b, "still growing"));
	assert_int_equal(b->severity, PW_SEV_MEDIUM);	/* 10 % of RAM */
	b = find(v, n, 2, PW_BN_LEAK);
	assert_non_null(b);
	assert_string_equal(b->ev.metric, "threads");
	assert_int_equal(b->severity, PW_SEV_HIGH);	/* 20 %/min */
	assert_true(any_contains(b, "ps -T -p 2"));
	assert_null(find(v, n, 3, PW_BN_LEAK));
	free(v);
}

static void
test_bottleneck_hot_thread_is_named(void **state)
{
	struct pw_bn_proc p[1];
	struct pw_bottleneck *v;
	size_t n;

	(void)state;
	p[0] = proc(7, "server", 30, 8 * MIB);
	p[0].threads = 4;
	p[0].cpu_user_s = 10;		/* two thirds system time */
	p[0].invol_ctx_rate = 250;
	assert_int_equal(pw_bottleneck_rank(p, 1, HOST(0, 0), &v, &n), 0);
	assert_int_equal(v[0].type, PW_BN_CPU);
	assert_false(any_contains(&v[0], "single-threaded"));
	v[0].ev.hot.known = true;
	v[0].ev.hot.tid = 9;
	snprintf(v[0].ev.hot.name, sizeof(v[0].ev.hot.name), "hot-worker");
	v[0].ev.hot.share = 0.97;
	v[0].ev.hot.nthreads = 4;
	pw_bottleneck_describe(&v[0]);
	assert_non_null(strstr(v[0].description, "one thread, 'hot-worker' "
	    "(tid 9), does 97 % of it"));
	assert_true(any_contains(&v[0], "perf top -t 9"));
	assert_true(any_contains(&v[0], "strace -c -f -p 7"));
	assert_true(any_contains(&v[0], "preempted 250 times"));
	/* Spread load: no single thread is blamed. */
	v[0].ev.hot.share = 0.3;
	pw_bottleneck_describe(&v[0]);
	assert_null(strstr(v[0].description, "one thread"));
	assert_true(any_contains(&v[0], "spread over 4 threads"));
	free(v);
}

/* pw_bottlenecks over a store built without /proc. */
static void
add(struct pw_store *st, pid_t pid, double cpu_pct, uint64_t rss0,
    uint64_t rss_per_s, size_t n)
{
	struct pw_proc *p = calloc(1, sizeof(*p));
	struct pw_sample s;
	size_t i;

	assert_non_null(p);
	p->pid = pid;
	p->alive = true;
	snprintf(p->comm, sizeof(p->comm), "p%d", (int)pid);
	p->target = strdup("t");
	p->fd_limit = 1024;
	p->ring = pw_ring_new(st->history, 100);
	pw_prochandle_init(&p->h, pid);
	for (i = 0; i < n; i++) {
		memset(&s, 0, sizeof(s));
		s.ts_ms = (int64_t)i * 1000;
		s.utime_ticks = (uint64_t)(cpu_pct * (double)i);  /* hz 100 */
		s.rss_bytes = rss0 + rss_per_s * i;
		s.threads = 1;
		s.open_fds = 5;
		pw_ring_push(p->ring, &s);
	}
	pw__store_wrlock(st);
	assert_int_equal(pw__store_insert(st, p), 0);
	st->taken_ms = (int64_t)(n - 1) * 1000;
	st->mem_total = 1024 * MIB;
	pw__store_unlock(st);
}

static int probes;

static void
probe(void *arg, pid_t pid, struct pw_bn_thread *out)
{
	(void)arg;
	probes++;
	out->known = true;
	out->tid = pid + 1;
	snprintf(out->name, sizeof(out->name), "hot-worker");
	out->share = 0.9;
	out->nthreads = 3;
	out->basis = "test";
}

static void
test_bottleneck_from_store(void **state)
{
	struct pw_store *st = pw_store_new(100, 100);
	struct pw_bn_query q = { .window_ms = 60000, .limit = 20, .ncpu = 1,
	    .probe = probe, .nprobe = 1 };
	struct pw_bottleneck *v;
	const struct pw_bottleneck *b;
	size_t n;

	(void)state;
	add(st, 100, 90, 10 * MIB, 0, 100);
	add(st, 200, 10, 4 * MIB, 64 * 1024, 100);	/* 3.75 MiB/min */
	assert_int_equal(pw_bottlenecks(st, &q, &v, &n), 0);
	b = find(v, n, 100, PW_BN_CPU);
	assert_non_null(b);
	assert_true(fabs(b->impact - 0.9) < 0.01);
	assert_int_equal(b->severity, PW_SEV_CRITICAL);
	assert_true(fabs(b->ev.window_s - 59) < 1e-9);	/* 40 .. 99 s */
	assert_int_equal(probes, 1);			/* the top entry only */
	assert_true(b->ev.hot.known);
	assert_non_null(strstr(b->description, "'hot-worker'"));
	b = find(v, n, 200, PW_BN_LEAK);
	assert_non_null(b);
	assert_true(fabs(b->ev.trend.slope_per_min - 3.75 * MIB) < 1024);
	assert_true(b->ev.trend.r2 > 0.999);
	assert_int_equal(b->ev.trend.n, 60);
	assert_true(fabs(b->ev.shape.span_s - 59) < 1e-9);
	free(v);
	/* limit cuts the list. */
	q.limit = 1;
	q.probe = NULL;
	assert_int_equal(pw_bottlenecks(st, &q, &v, &n), 0);
	assert_int_equal(n, 1);
	free(v);
	pw_store_free(st);
}

/* --- by target -------------------------------------------------------------- */

static struct pw_bn_group
group(const char *name, double cpu_s, uint64_t rss)
{
	struct pw_bn_group g;

	memset(&g, 0, sizeof(g));
	snprintf(g.name, sizeof(g.name), "%s", name);
	g.window_s = 60;
	g.cpu_s = cpu_s;
	g.cpu_user_s = cpu_s;
	g.processes = 2;
	g.threads = 2;
	g.rss_bytes = rss;
	g.open_fds = 20;
	g.has_fds = true;
	return g;
}

static const struct pw_bottleneck *
gfind(const struct pw_bottleneck *v, size_t n, const char *target,
    enum pw_bn_type t)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].is_group && strcmp(v[i].target, target) == 0 &&
		    v[i].type == t)
			return &v[i];
	return NULL;
}

static void
test_bottleneck_groups_cpu_impact_and_ranking(void **state)
{
	struct pw_bn_group g[3];
	struct pw_bottleneck *v;
	const struct pw_bottleneck *b;
	size_t n;

	(void)state;
	g[0] = group("web", 6, 100 * MIB);
	g[1] = group("db", 3, 400 * MIB);
	g[2] = group("cron", 1, 0);
	g[2].children_cpu_s = 0.8;	/* most of it reaped children */
	for (n = 0; n < 3; n++)
		g[n].window_s = 10;
	/* 1 CPU, 512 MiB of RAM. */
	assert_int_equal(pw_bottleneck_rank_groups(g, 3, HOST(512 * MIB, 1),
	    &v, &n), 0);
	/* 3 cpu, 2 memory (cron is under 1 MiB), no fds, no leak. */
	assert_int_equal(n, 5);
	b = gfind(v, n, "web", PW_BN_CPU);
	assert_non_null(b);
	assert_int_equal(b->pid, 0);
	assert_true(fabs(b->impact - 0.6) < 1e-9);
	assert_int_equal(b->severity, PW_SEV_HIGH);	/* 0.6 of 1 CPU */
	assert_true(fabs(b->ev.total_cpu_s - 10) < 1e-9);
	assert_true(fabs(b->ev.cpu_percent - 60) < 1e-9);	/* 6 s / 10 s */
	assert_int_equal(b->ev.processes, 2);
	assert_non_null(strstr(b->description, "Target 'web' (2 processes) "
	    "used 60 % of monitored CPU"));
	assert_null(strstr(b->description, "pid"));
	assert_true(any_contains(b, "by=process"));
	b = gfind(v, n, "db", PW_BN_MEMORY);
	assert_non_null(b);
	/* High both: by impact, db's memory (1, 78 % of RAM), web's CPU. */
	assert_int_equal(b->severity, PW_SEV_HIGH);
	assert_ptr_equal(b, &v[0]);
	assert_ptr_equal(gfind(v, n, "web", PW_BN_CPU), &v[1]);
	assert_true(fabs(b->impact - 1) < 1e-9);
	assert_non_null(strstr(b->description, "largest resident memory of "
	    "the monitored targets"));
	b = gfind(v, n, "web", PW_BN_MEMORY);
	assert_true(fabs(b->impact - 0.25) < 1e-9);
	assert_int_equal(b->severity, PW_SEV_LOW);	/* 20 % of RAM */
	b = gfind(v, n, "db", PW_BN_CPU);
	assert_int_equal(b->severity, PW_SEV_MEDIUM);	/* 0.3 of 1 CPU */
	b = gfind(v, n, "cron", PW_BN_CPU);
	assert_non_null(b);
	assert_int_equal(b->severity, PW_SEV_LOW);		/* 0.1 */
	assert_true(fabs(b->ev.children_cpu_s - 0.8) < 1e-9);
	assert_non_null(strstr(b->description, "0.80 CPU-seconds of it by "
	    "short-lived children"));
	assert_true(any_contains(b, "80 % of it was spent by child processes"));
	assert_null(gfind(v, n, "cron", PW_BN_MEMORY));
	free(v);
}

static void
test_bottleneck_groups_tie_broken_by_name(void **state)
{
	struct pw_bn_group g[2];
	struct pw_bottleneck *v;
	size_t n;

	(void)state;
	g[0] = group("zeta", 1, 0);
	g[1] = group("alpha", 1, 0);
	assert_int_equal(pw_bottleneck_rank_groups(g, 2, HOST(0, 0), &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].target, "alpha");
	assert_string_equal(v[1].target, "zeta");
	free(v);
	/* No groups: an empty list, not an error. */
	assert_int_equal(pw_bottleneck_rank_groups(g, 0, NULL, &v, &n), 0);
	assert_int_equal(n, 0);
	free(v);
}

static void
test_bottleneck_groups_fd_usage(void **state)
{
	struct pw_bn_group g[4];
	struct pw_bottleneck *v;
	const struct pw_bottleneck *b;
	size_t n;

	(void)state;
	assert_int_equal(pw_bn_fd_usage_severity(0.9), PW_SEV_CRITICAL);
	assert_int_equal(pw_bn_fd_usage_severity(0.8999), PW_SEV_HIGH);
	assert_int_equal(pw_bn_fd_usage_severity(0.75), PW_SEV_HIGH);
	assert_int_equal(pw_bn_fd_usage_severity(0.7499), PW_SEV_MEDIUM);
	assert_int_equal(pw_bn_fd_usage_severity(0.5), PW_SEV_MEDIUM);
	assert_int_equal(pw_bn_fd_usage_severity(0.4999), PW_SEV_LOW);
	g[0] = group("full", 0, 0);
	g[0].fd_usage_max = 0.95;
	g[0].fd_usage_pid = 4242;
	g[1] = group("fine", 0, 0);
	g[1].fd_usage_max = 0.4;			/* under 0.5: nothing */
	g[1].fd_usage_pid = 4343;
	/* Growing: the worst member at 0.4, +0.01/min: 60 min to go. */
	g[2] = group("leaky", 0, 0);
	g[2].fd_usage_max = 0.4;
	g[2].fd_usage_pid = 4444;
	g[2].fds_trend.valid = true;
	g[2].fds_trend.n = 60;
	g[2].fds_trend.dir = PW_TREND_GROWING;
	g[2].fds_trend.r2 = 0.9;
	g[2].fds_trend.slope_per_min = 5;
	g[2].fds_trend.ci_lo = 4;
	g[2].fds_shape = steady(5, 60);
	g[2].fd_usage_trend = g[2].fds_trend;
	g[2].fd_usage_trend.slope_per_min = 0.01;
	/* Growing, no member's usage known: relative growth, 5/20 a min. */
	g[3] = group("unknown", 0, 0);
	g[3].fds_trend = g[2].fds_trend;
	g[3].fds_shape = g[2].fds_shape;
	assert_int_equal(pw_bottleneck_rank_groups(g, 4, HOST(0, 0), &v, &n),
	    0);
	assert_int_equal(n, 3);
	b = gfind(v, n, "full", PW_BN_FDS);
	assert_non_null(b);
	assert_int_equal(b->severity, PW_SEV_CRITICAL);
	assert_true(fabs(b->impact - 0.95) < 1e-9);
	assert_int_equal(b->ev.fd_usage_pid, 4242);
	assert_true(b->ev.time_to_limit_s < 0);
	assert_non_null(strstr(b->description, "Target 'full' (2 processes): "
	    "its process 4242 has 95 % of its descriptor limit open"));
	assert_true(any_contains(b, "/proc/4242/fd"));
	assert_null(gfind(v, n, "fine", PW_BN_FDS));
	b = gfind(v, n, "leaky", PW_BN_FDS);
	assert_non_null(b);
	assert_true(fabs(b->ev.time_to_limit_s - 3600) < 1e-6);
	assert_int_equal(b->severity, PW_SEV_HIGH);
	assert_true(fabs(b->impact - 600.0 / 4200.0) < 1e-9);
	assert_non_null(strstr(b->description, "opens descriptors steadily"));
	assert_non_null(strstr(b->description, "reaches its limit in 1h"));
	b = gfind(v, n, "unknown", PW_BN_FDS);
	assert_non_null(b);
	assert_int_equal(b->severity, PW_SEV_HIGH);	/* 25 %/min */
	assert_true(fabs(b->impact - 0.25) < 1e-9);
	assert_true(b->ev.time_to_limit_s < 0);
	/* Ordered: critical, then the two high ones by impact. */
	assert_string_equal(v[0].target, "full");
	assert_string_equal(v[1].target, "unknown");
	assert_string_equal(v[2].target, "leaky");
	free(v);
}

static void
test_bottleneck_groups_rss_growth_is_a_leak(void **state)
{
	struct pw_bn_group g;
	struct pw_bottleneck *v;
	const struct pw_bottleneck *b;
	size_t n;

	(void)state;
	g = group("web", 0, 100 * MIB);
	g.rss_trend.valid = true;
	g.rss_trend.n = 60;
	g.rss_trend.dir = PW_TREND_GROWING;
	g.rss_trend.r2 = 0.99;
	g.rss_trend.slope_per_min = 10 * MIB;
	g.rss_trend.ci_lo = 9 * MIB;
	g.rss_shape = steady(10 * MIB, 60);
	assert_int_equal(pw_bottleneck_rank_groups(&g, 1, HOST(GIB, 0), &v,
	    &n), 0);
	b = gfind(v, n, "web", PW_BN_LEAK);
	assert_non_null(b);
	assert_string_equal(b->ev.metric, "rss_bytes");
	assert_true(fabs(b->ev.time_to_limit_s - 92.4 * 60) < 1e-6);
	assert_non_null(strstr(b->description, "Target 'web' (2 processes) "
	    "RSS grows 10.0 MiB/min"));
	assert_true(any_contains(b, "gains processes"));
	free(v);
}

/* A group sample at second i with cumulative ticks (hz 100). */
static struct pw_group_sample
gsample(int i, uint64_t user, uint64_t sys, uint64_t kids)
{
	struct pw_group_sample g;

	memset(&g, 0, sizeof(g));
	g.ts_ms = (int64_t)i * 1000;
	g.processes = 3;
	g.threads = 4;
	g.cpu_user_ticks = user;
	g.cpu_system_ticks = sys;
	g.children_ticks = kids;
	g.rss_bytes = 10 * MIB;
	g.open_fds = 30;
	g.fd_usage_max = 0.01 * i;
	g.fd_usage_pid = 77;
	return g;
}

static void
test_bottleneck_group_fill_cpu_from_ticks(void **state)
{
	struct pw_group_sample g[5];
	struct pw_sample s[5];
	struct pw_bn_group p;
	double t[5], v[5];

	(void)state;
	g[0] = gsample(0, 0, 0, 0);
	g[0].flags = PW_GSAMPLE_NO_CPU;
	g[1] = gsample(1, 50, 10, 0);
	g[2] = gsample(2, 150, 30, 60);		/* reaped children: 60 */
	/* Counters back to 0 (a group begun anew): that interval is lost. */
	g[3] = gsample(3, 5, 0, 0);
	g[3].flags = PW_GSAMPLE_NO_CPU;
	g[4] = gsample(4, 105, 20, 0);
	pw_bn_group_fill(&p, "web", g, 5, 100, s, t, v);
	assert_string_equal(p.name, "web");
	assert_true(fabs(p.window_s - 4) < 1e-9);
	/* (50 + 100 + 100) user, (10 + 20 + 20) system ticks. */
	assert_true(fabs(p.cpu_user_s - 2.5) < 1e-9);
	assert_true(fabs(p.cpu_sys_s - 0.5) < 1e-9);
	assert_true(fabs(p.cpu_s - 3.0) < 1e-9);
	assert_true(fabs(p.children_cpu_s - 0.6) < 1e-9);
	assert_int_equal(p.processes, 3);
	assert_int_equal(p.threads, 4);
	assert_int_equal(p.rss_bytes, 10 * MIB);
	assert_int_equal(p.open_fds, 30);
	assert_true(p.has_fds);
	assert_int_equal(p.fd_usage_pid, 77);
	assert_true(fabs(p.fd_usage_max - 0.04) < 1e-9);
	assert_true(p.fd_usage_trend.valid);
	assert_true(fabs(p.fd_usage_trend.slope_per_min - 0.6) < 1e-9);
	assert_true(p.rss_trend.valid);
	assert_int_equal(p.rss_trend.dir, PW_TREND_FLAT);
	/* No member with both fd figures: usage unknown. */
	g[4].fd_usage_pid = 0;
	g[4].fd_usage_max = 0;
	pw_bn_group_fill(&p, "web", g, 5, 100, s, t, v);
	assert_int_equal(p.fd_usage_pid, 0);
	assert_true(p.fd_usage_max == 0);
	assert_int_equal(p.fd_usage_trend.n, 4);
	/* No samples: only the name. */
	pw_bn_group_fill(&p, "x", g, 0, 100, s, t, v);
	assert_string_equal(p.name, "x");
	assert_true(p.cpu_s == 0 && p.window_s == 0);
}

static void
test_bottleneck_by_target_from_store(void **state)
{
	struct pw_store *st = pw_store_new(200, 100);
	struct pw_bn_query q = { .window_ms = 60000, .limit = 20, .ncpu = 1,
	    .hz = 100 };
	struct pw_target t[3];
	struct pw_group_sample g;
	struct pw_bottleneck *v;
	const struct pw_bottleneck *b;
	size_t n, i;

	(void)state;
	assert_non_null(st);
	assert_int_equal(pw_target_init(&t[0], "busy", PW_SEL_NAME, "spin",
	    false, NULL, 0), 0);
	assert_int_equal(pw_target_init(&t[1], "idle", PW_SEL_NAME, "sleep",
	    false, NULL, 0), 0);
	assert_int_equal(pw_target_init(&t[2], "empty", PW_SEL_NAME, "none",
	    false, NULL, 0), 0);
	pw__store_wrlock(st);
	assert_int_equal(pw__store_set_groups(st, t, 3), 0);
	for (i = 0; i < 100; i++) {
		/* busy: 90 ticks a second, 30 of them reaped children's. */
		g = gsample((int)i, 60 * i, 0, 30 * i);
		g.fd_usage_max = 0.01;
		pw__store_group_push(st, 0, &g);
		g = gsample((int)i, 10 * i, 0, 0);
		g.fd_usage_max = 0.01;
		g.rss_bytes = 40 * MIB;
		pw__store_group_push(st, 1, &g);
	}
	st->taken_ms = 99 * 1000;
	st->mem_total = 1024 * MIB;
	pw__store_unlock(st);
	assert_int_equal(pw_bottlenecks_by_target(st, &q, &v, &n), 0);
	b = gfind(v, n, "busy", PW_BN_CPU);
	assert_non_null(b);
	assert_ptr_equal(b, &v[0]);	/* high: 0.6 of 1 CPU */
	assert_int_equal(b->severity, PW_SEV_HIGH);
	assert_true(fabs(b->impact - 0.6 / 0.7) < 1e-9);
	assert_true(fabs(b->ev.window_s - 59) < 1e-9);	/* 40 .. 99 s */
	assert_true(fabs(b->ev.cpu_s - 0.6 * 59) < 1e-9);
	assert_true(fabs(b->ev.children_cpu_s - 0.3 * 59) < 1e-9);
	assert_true(fabs(b->ev.cpu_percent - 60) < 1e-9);
	assert_int_equal(b->ev.processes, 3);
	b = gfind(v, n, "idle", PW_BN_MEMORY);
	assert_ptr_equal(b, &v[1]);	/* low (4 % of RAM), impact 1 */
	assert_int_equal(b->severity, PW_SEV_LOW);
	assert_int_equal(b->ev.mem_total, 1024 * MIB);
	/* The empty group has no samples and no entries. */
	for (i = 0; i < n; i++)
		assert_string_not_equal(v[i].target, "empty");
	free(v);
	q.limit = 1;
	assert_int_equal(pw_bottlenecks_by_target(st, &q, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].target, "busy");
	free(v);
	for (i = 0; i < 3; i++)
		pw_target_fini(&t[i]);
	pw_store_free(st);
}

/* --- absolute severities, the leak rule, waiting ----------------------------- */

/*
 * A quiet host, as the issue found it: 2 CPUs, 16 GiB, 200 sleepers and
 * services using a little CPU, procwatchd the largest at 18.9 MiB, pid 1
 * at 0.2 % of a core.  Nothing may be above low.
 */
static void
test_bottleneck_idle_farm_is_all_low(void **state)
{
	struct pw_bn_proc p[200];
	struct pw_bottleneck *v;
	size_t n, i;

	(void)state;
	for (i = 0; i < 200; i++) {
		p[i] = proc((pid_t)(i + 1), "sleeper", 0.001 * (double)(i % 20),
		    (uint64_t)(2 + i % 15) * MIB);
		p[i].fds_trend.valid = true;	/* flat */
	}
	p[0] = proc(1, "systemd", 0.12, 12 * MIB);	/* 0.2 % of a core */
	p[1] = proc(2, "procwatchd", 0.6, (uint64_t)(18.9 * MIB));
	p[1].threads = 6;
	assert_int_equal(pw_bottleneck_rank(p, 200, HOST(16 * GIB, 2), &v, &n),
	    0);
	assert_true(n > 0);
	for (i = 0; i < n; i++)
		assert_int_equal(v[i].severity, PW_SEV_LOW);
	/* Still ranked: the largest first among equals. */
	assert_int_equal(v[0].pid, 2);
	assert_int_equal(v[0].type, PW_BN_MEMORY);
	assert_true(v[0].impact == 1.0);
	free(v);
}

/* 95 % of a 1-CPU cgroup quota on an 8-CPU host is critical. */
static void
test_bottleneck_cpu_quota_is_the_capacity(void **state)
{
	struct pw_bn_proc p[2];
	struct pw_bottleneck *v;
	const struct pw_bottleneck *b;
	size_t n;

	(void)state;
	p[0] = proc(1, "capped", 57, 8 * MIB);		/* 0.95 core */
	p[0].cpu_limit = 1;
	p[1] = proc(2, "free", 57, 8 * MIB);		/* the same, no quota */
	assert_int_equal(pw_bottleneck_rank(p, 2, HOST(16 * GIB, 8), &v, &n),
	    0);
	b = find(v, n, 1, PW_BN_CPU);
	assert_non_null(b);
	assert_int_equal(b->severity, PW_SEV_CRITICAL);
	assert_true(b->ev.capacity == 1 && b->ev.capacity_is_quota);
	assert_non_null(strstr(b->description, "95 % of its cgroup's quota of "
	    "1.0 CPU"));
	assert_true(any_contains(b, "CPUQuota="));
	/* Without a quota: 0.95 of 8 CPUs, but more than half a core. */
	b = find(v, n, 2, PW_BN_CPU);
	assert_int_equal(b->severity, PW_SEV_MEDIUM);
	assert_true(b->ev.capacity == 8 && !b->ev.capacity_is_quota);
	assert_false(any_contains(b, "CPUQuota="));
	free(v);
}

/* Memory against a cgroup's limit, and a process's descriptor limit. */
static void
test_bottleneck_memory_limit_and_fd_usage(void **state)
{
	struct pw_bn_proc p[2];
	struct pw_bottleneck *v;
	const struct pw_bottleneck *b;
	size_t n;

	(void)state;
	p[0] = proc(1, "cached", 0, 60 * MIB);
	p[0].mem_limit = 64 * MIB;		/* 93.75 % */
	p[1] = proc(2, "sockets", 0, 2 * MIB);
	p[1].open_fds = 800;			/* of 1024: 78 %, flat */
	assert_int_equal(pw_bottleneck_rank(p, 2, HOST(16 * GIB, 2), &v, &n),
	    0);
	b = find(v, n, 1, PW_BN_MEMORY);
	assert_int_equal(b->severity, PW_SEV_CRITICAL);
	assert_true(b->ev.limit_is_cgroup && b->ev.mem_limit == 64 * MIB);
	assert_non_null(strstr(b->description, "(93.8 % of its cgroup's memory "
	    "limit of 64.0 MiB)"));
	assert_true(any_contains(b, "MemoryMax="));
	b = find(v, n, 2, PW_BN_FDS);
	assert_non_null(b);
	assert_int_equal(b->severity, PW_SEV_HIGH);
	assert_true(fabs(b->ev.usage - 800.0 / 1024) < 1e-12);
	assert_non_null(strstr(b->description, "has 800 descriptors open (78 % "
	    "of its limit of 1024)"));
	assert_null(find(v, n, 1, PW_BN_FDS));		/* 10 of 1024 */
	free(v);
}

/*
 * Samples s[0..n) one second apart from t0_ms, RSS rss(i) bytes, 1 %
 * of a core.
 */
static void
samples(struct pw_sample *s, size_t n, int64_t t0_ms, uint64_t (*rss)(size_t))
{
	size_t i;

	for (i = 0; i < n; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		s[i].ts_ms = t0_ms + (int64_t)i * 1000;
		s[i].utime_ticks = i;
		s[i].rss_bytes = rss(i);
		s[i].threads = 1;
		s[i].open_fds = 5;
	}
}

static uint64_t
rss_step(size_t i)			/* 50 MiB once, at 20 s, then flat */
{
	return (i < 20 ? 10 : 60) * MIB;
}

static uint64_t
rss_ramp(size_t i)			/* 50 MiB touched from 40 s to 80 s */
{
	if (i < 40)
		return 10 * MIB;
	return 10 * MIB + (i < 80 ? i - 40 : 40) * 50 * MIB / 40;
}

static uint64_t
rss_steady(size_t i)			/* +256 KiB a second */
{
	return 10 * MIB + i * 256 * 1024;
}

static uint64_t
rss_stops(size_t i)			/* grows for 60 s, flat after */
{
	return 10 * MIB + (i < 60 ? i : 60) * 256 * 1024;
}

/* Rank one process filled from s[0..n) that started at start_ms. */
static const struct pw_bottleneck *
rank_one(const struct pw_sample *s, size_t n, int64_t start_ms,
    struct pw_bottleneck **v, size_t *nv)
{
	struct pw_bn_proc p;
	double t[120], d[120];

	assert_true(n <= 120);
	pw_bn_proc_fill(&p, "alloc", "t", 42, 1024, start_ms, s, n, t, d);
	assert_int_equal(pw_bottleneck_rank(&p, 1, HOST(16 * GIB, 2), v, nv),
	    0);
	return find(*v, *nv, 42, PW_BN_LEAK);
}

static void
test_bottleneck_leak_needs_sustained_growth(void **state)
{
	struct pw_sample s[120];
	struct pw_bottleneck *v;
	const struct pw_bottleneck *b;
	size_t n;

	(void)state;
	/*
	 * A one-off 50 MiB step, then flat, long after start: a line fits
	 * it with r^2 0.42 over 120 points, 0.72 over 50 (the rule before,
	 * r^2 >= 0.5, called that a leak).
	 */
	samples(s, 120, 600000, rss_step);
	assert_null(rank_one(s, 120, 1, &v, &n));
	free(v);
	samples(s, 50, 600000, rss_step);
	assert_null(rank_one(s, 50, 1, &v, &n));
	free(v);
	/* Touched over 40 s: r^2 0.89, but the first third is flat. */
	samples(s, 120, 600000, rss_ramp);
	assert_null(rank_one(s, 120, 1, &v, &n));
	free(v);
	/* Grew for a minute and stopped (r^2 0.80): the last third is flat. */
	samples(s, 120, 600000, rss_stops);
	assert_null(rank_one(s, 120, 1, &v, &n));
	free(v);
	/* Steady growth over two minutes is a leak, with its evidence. */
	samples(s, 120, 600000, rss_steady);
	b = rank_one(s, 120, 1, &v, &n);
	assert_non_null(b);
	assert_true(fabs(b->ev.trend.slope_per_min - 15 * MIB) < 1);
	assert_true(b->ev.trend.r2 > 0.999);
	assert_int_equal(b->ev.trend.n, 120);
	assert_true(fabs(b->ev.shape.span_s - 119) < 1e-9);
	assert_true(b->ev.shape.known);
	assert_true(fabs(b->ev.shape.part_slope[2] - 15 * MIB) < 1);
	assert_true(fabs(b->ev.growth - 15 * MIB * 119 / 60) < 1);
	assert_non_null(strstr(b->description, "RSS grows 15.0 MiB/min"));
	free(v);
	/*
	 * The same growth in a process's first 30 s is start-up, left out:
	 * started 10 s before the first sample, only 100 points are fitted;
	 * started at the first sample, 90.  Seven seconds after start (as
	 * procwatchd once reported itself) nothing is fitted at all.
	 */
	b = rank_one(s, 120, 600000 - 10000, &v, &n);
	assert_non_null(b);
	assert_int_equal(b->ev.trend.n, 100);
	free(v);
	assert_null(rank_one(s, 8, 600000 - 1000, &v, &n));
	free(v);
	/* Too short a span: 25 s of growth, however steady. */
	assert_null(rank_one(s, 26, 1, &v, &n));
	free(v);
}

static void
test_bottleneck_sustained_rule_edges(void **state)
{
	struct pw_trend t = growing(6 * MIB, 0.9);
	struct pw_bn_shape sh = steady(6 * MIB, 60);

	(void)state;
	assert_true(pw_bn_is_sustained(&t, &sh, 100 * MIB, MIB));
	/* Under 2 % of the current value over the span. */
	assert_false(pw_bn_is_sustained(&t, &sh, 301 * MIB, MIB));
	t.r2 = 0.79;
	assert_false(pw_bn_is_sustained(&t, &sh, 100 * MIB, MIB));
	t.r2 = 0.9;
	t.ci_lo = 0;
	assert_false(pw_bn_is_sustained(&t, &sh, 100 * MIB, MIB));
	t.ci_lo = 1;
	sh.part_slope[2] = 0.24 * 6 * MIB;	/* slowing to a halt */
	assert_false(pw_bn_is_sustained(&t, &sh, 100 * MIB, MIB));
	sh.part_slope[2] = 0.25 * 6 * MIB;
	assert_true(pw_bn_is_sustained(&t, &sh, 100 * MIB, MIB));
	sh.part_slope[0] = 0;			/* a step, then growth */
	assert_false(pw_bn_is_sustained(&t, &sh, 100 * MIB, MIB));
	sh = steady(6 * MIB, 29.9);
	assert_false(pw_bn_is_sustained(&t, &sh, 100 * MIB, MIB));
	sh.known = false;
	sh.span_s = 60;
	assert_false(pw_bn_is_sustained(&t, &sh, 100 * MIB, MIB));
}

/* Waiting, not working: cpu_starved, io_blocked, memory_stall. */
static void
test_bottleneck_delay_types(void **state)
{
	struct pw_bn_proc p[3];
	struct pw_bottleneck *v;
	const struct pw_bottleneck *b;
	size_t n, i;

	(void)state;
	p[0] = proc(1, "spin-a", 30, 2 * MIB);	/* half of one shared core */
	p[0].cpu_delay_pct = 50;
	p[0].io_delay_pct = 0;
	p[0].mem_delay_pct = 0;
	p[1] = proc(2, "writer", 0.5, 2 * MIB);
	p[1].cpu_delay_pct = 1;
	p[1].io_delay_pct = 35;
	p[1].mem_delay_pct = 12;
	p[1].swap_bytes = 3 * MIB;
	p[2] = proc(3, "quiet", 0.5, 2 * MIB);
	p[2].cpu_delay_pct = 9.9;		/* under 10: no entry */
	p[2].io_delay_pct = -1;			/* unknown: no entry */
	p[2].mem_delay_pct = -1;
	assert_int_equal(pw_bottleneck_rank(p, 3, HOST(16 * GIB, 2), &v, &n),
	    0);
	b = find(v, n, 1, PW_BN_CPU_STARVED);
	assert_non_null(b);
	assert_string_equal(pw_bn_type_name(b->type), "cpu_starved");
	assert_int_equal(b->severity, PW_SEV_HIGH);
	assert_true(fabs(b->ev.delay_pct - 50) < 1e-12);
	assert_non_null(strstr(b->description, "waits for a CPU: runnable but "
	    "not running 50 % of the time"));
	/* About neighbours, cores and weight; not about the code. */
	assert_true(any_contains(b, "Faster code will not help"));
	assert_true(any_contains(b, "taskset"));
	assert_true(any_contains(b, "CPUWeight="));
	for (i = 0; i < b->nsuggestions; i++)
		assert_null(strstr(b->suggestions[i], "perf"));
	b = find(v, n, 2, PW_BN_IO_BLOCKED);
	assert_non_null(b);
	assert_string_equal(pw_bn_type_name(b->type), "io_blocked");
	assert_int_equal(b->severity, PW_SEV_MEDIUM);
	assert_true(any_contains(b, "iostat -x 1"));
	b = find(v, n, 2, PW_BN_MEMORY_STALL);
	assert_non_null(b);
	assert_string_equal(pw_bn_type_name(b->type), "memory_stall");
	assert_int_equal(b->severity, PW_SEV_MEDIUM);
	assert_true(any_contains(b, "3.0 MiB of it is in swap"));
	assert_null(find(v, n, 2, PW_BN_CPU_STARVED));
	assert_null(find(v, n, 3, PW_BN_CPU_STARVED));
	assert_null(find(v, n, 3, PW_BN_IO_BLOCKED));
	assert_null(find(v, n, 3, PW_BN_MEMORY_STALL));
	free(v);
}

/* The delay figures of a process are window averages of its samples. */
static void
test_bottleneck_delays_from_samples(void **state)
{
	struct pw_sample s[20];
	struct pw_bn_proc p;
	struct pw_bottleneck *v;
	const struct pw_bottleneck *b;
	double t[20], d[20];
	size_t n, i;

	(void)state;
	samples(s, 20, 600000, rss_step);
	for (i = 0; i < 20; i++) {
		s[i].cpu_delay_pct = i % 2 ? 40 : 60;	/* two spinners, one CPU */
		s[i].io_delay_pct = 0;
		s[i].swapin_delay_pct = 2;
		s[i].mem_delay_pct = 4;
	}
	pw_bn_proc_fill(&p, "spin", "t", 7, 1024, 1, s, 20, t, d);
	assert_true(fabs(p.cpu_delay_pct - 50) < 1e-9);
	assert_true(fabs(p.io_delay_pct) < 1e-9);
	assert_true(fabs(p.mem_delay_pct - 6) < 1e-9);
	assert_int_equal(pw_bottleneck_rank(&p, 1, HOST(16 * GIB, 2), &v, &n),
	    0);
	b = find(v, n, 7, PW_BN_CPU_STARVED);
	assert_non_null(b);
	assert_int_equal(b->severity, PW_SEV_HIGH);
	assert_null(find(v, n, 7, PW_BN_IO_BLOCKED));
	assert_non_null(find(v, n, 7, PW_BN_MEMORY_STALL));	/* 6 >= 5 */
	free(v);
	/* Delay accounting off: unknown, and no entries. */
	for (i = 0; i < 20; i++)
		s[i].flags |= PW_SAMPLE_NO_DELAYS;
	pw_bn_proc_fill(&p, "spin", "t", 7, 1024, 1, s, 20, t, d);
	assert_true(p.cpu_delay_pct < 0 && p.io_delay_pct < 0 &&
	    p.mem_delay_pct < 0);
	assert_int_equal(pw_bottleneck_rank(&p, 1, HOST(16 * GIB, 2), &v, &n),
	    0);
	assert_null(find(v, n, 7, PW_BN_CPU_STARVED));
	assert_null(find(v, n, 7, PW_BN_MEMORY_STALL));
	free(v);
}

/* Write `text` to DIR/PATH, making the directories. */
static void
put(const char *dir, const char *path, const char *text)
{
	char fn[512], *slash;
	FILE *fp;

	snprintf(fn, sizeof(fn), "%s/%s", dir, path);
	for (slash = strchr(fn + strlen(dir) + 1, '/'); slash != NULL;
	    slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		(void)mkdir(fn, 0700);
		*slash = '/';
	}
	assert_non_null(fp = fopen(fn, "w"));
	fputs(text, fp);
	fclose(fp);
}

/* The host's CPUs and cgroup limits, from fake trees. */
static void
test_bottleneck_read_ncpu_and_limits(void **state)
{
	char dir[] = "/tmp/test_bottleneck.XXXXXX", cmd[64];
	double cpu;
	uint64_t mem;

	(void)state;
	assert_non_null(mkdtemp(dir));
	put(dir, "proc/stat", "cpu  1 2 3 4\ncpu0 1 1 1 1\ncpu1 1 1 1 1\n"
	    "cpu2 1 1 1 1\nintr 12345\n");
	snprintf(cmd, sizeof(cmd), "%s/proc", dir);
	assert_true(pw_bn_read_ncpu(cmd) == 3);
	assert_true(pw_bn_read_ncpu("/nonexistent") == 0);
	/* v2: the tightest on the way up; "max" is none. */
	put(dir, "cg/a/cpu.max", "50000 100000\n");
	put(dir, "cg/a/memory.max", "max\n");
	put(dir, "cg/a/b/cpu.max", "max 100000\n");
	put(dir, "cg/a/b/memory.max", "67108864\n");
	snprintf(cmd, sizeof(cmd), "%s/cg", dir);
	pw_bn_read_limits(cmd, "/a/b", &cpu, &mem);
	assert_true(cpu == 0.5);
	assert_int_equal(mem, 64 * MIB);
	/* v1: cpu,cpuacct's quota; memory's "no limit" is a huge number. */
	put(dir, "cg/cpu,cpuacct/x/cpu.cfs_quota_us", "200000\n");
	put(dir, "cg/cpu,cpuacct/x/cpu.cfs_period_us", "100000\n");
	put(dir, "cg/memory/x/memory.limit_in_bytes",
	    "9223372036854771712\n");
	pw_bn_read_limits(cmd, "/x", &cpu, &mem);
	assert_true(cpu == 2);
	assert_int_equal(mem, 0);
	/* Nothing there, the root, and a path out of our namespace. */
	pw_bn_read_limits(cmd, "/none", &cpu, &mem);
	assert_true(cpu == 0 && mem == 0);
	pw_bn_read_limits(cmd, "/", &cpu, &mem);
	assert_true(cpu == 0 && mem == 0);
	pw_bn_read_limits(cmd, "/../a/b", &cpu, &mem);
	assert_true(cpu == 0 && mem == 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* A target's pressure, limit and OOM kills come from its samples. */
static void
test_bottleneck_group_fill_pressure_and_oom(void **state)
{
	struct pw_group_sample g[5];
	struct pw_sample s[5];
	struct pw_bn_group p;
	struct pw_bottleneck *v;
	double t[5], d[5];
	size_t n, i;

	(void)state;
	for (i = 0; i < 5; i++) {
		g[i] = gsample((int)i, 10 * i, 0, 0);
		g[i].rss_bytes = 60 * MIB;
		g[i].cg.psi_why = g[i].cg.mem_why = PW_CGW_OK;
		g[i].cg.psi[PW_PSI_MEMORY].has_some = true;
		g[i].cg.psi[PW_PSI_MEMORY].has_full = true;
		g[i].cg.psi[PW_PSI_MEMORY].some_avg10_x100 = 3000;
		g[i].cg.psi[PW_PSI_MEMORY].full_avg10_x100 = 1200;
		g[i].cg.psi[PW_PSI_CPU].has_some = true;
		g[i].cg.psi[PW_PSI_CPU].some_avg10_x100 = 150;
		g[i].cg.has_limit = true;
		g[i].cg.limit_bytes = 64 * MIB;
		g[i].cg.has_events = true;
		g[i].cg.oom_kill = i < 3 ? 4 : 5;	/* one kill, at 3 s */
		g[i].oom_kills = 0;		/* the events feed missed it */
	}
	pw_bn_group_fill(&p, "batch", g, 5, 100, s, t, d);
	assert_true(fabs(p.psi_mem_some - 30) < 1e-9);
	assert_true(fabs(p.psi_mem_full - 12) < 1e-9);
	assert_true(fabs(p.psi_cpu_some - 1.5) < 1e-9);
	assert_true(p.psi_io_some < 0);			/* no io line */
	assert_int_equal(p.mem_limit, 64 * MIB);
	assert_true(p.oom_kills == 1);
	assert_int_equal(pw_bottleneck_rank_groups(&p, 1, HOST(16 * GIB, 2),
	    &v, &n), 0);
	assert_non_null(gfind(v, n, "batch", PW_BN_OOM));
	assert_int_equal(gfind(v, n, "batch", PW_BN_MEMORY_STALL)->severity,
	    PW_SEV_HIGH);
	assert_int_equal(gfind(v, n, "batch", PW_BN_MEMORY)->severity,
	    PW_SEV_CRITICAL);			/* 60 of 64 MiB */
	assert_null(gfind(v, n, "batch", PW_BN_CPU_STARVED));	/* 1.5 % */
	free(v);
	/* No cgroup figures: unknown, and no such entries. */
	for (i = 0; i < 5; i++)
		g[i].cg.psi_why = g[i].cg.mem_why = PW_CGW_NO_CGROUP;
	pw_bn_group_fill(&p, "batch", g, 5, 100, s, t, d);
	assert_true(p.psi_mem_some < 0 && p.psi_cpu_some < 0);
	assert_int_equal(p.mem_limit, 0);
	assert_true(p.oom_kills == 0);		/* the feed's count: none */
}

/* A target's pressure and its OOM kills. */
static void
test_bottleneck_groups_pressure_and_oom(void **state)
{
	struct pw_bn_group g[2];
	struct pw_bottleneck *v;
	const struct pw_bottleneck *b;
	size_t n;

	(void)state;
	g[0] = group("batch", 0, 60 * MIB);
	g[0].psi_cpu_some = g[0].psi_io_some = -1;
	g[0].psi_mem_some = 30;
	g[0].psi_mem_full = 12;
	g[0].oom_kills = 1;
	g[0].mem_limit = 64 * MIB;
	g[1] = group("calm", 0, 8 * MIB);
	g[1].psi_cpu_some = 0.5;
	g[1].psi_io_some = 0;
	g[1].psi_mem_some = g[1].psi_mem_full = 0;
	g[1].oom_kills = 0;
	assert_int_equal(pw_bottleneck_rank_groups(g, 2, HOST(16 * GIB, 2), &v,
	    &n), 0);
	b = gfind(v, n, "batch", PW_BN_OOM);
	assert_non_null(b);
	assert_int_equal(b->severity, PW_SEV_CRITICAL);
	assert_non_null(strstr(b->description, "had 1 process killed by the "
	    "OOM killer over 1m (64.0 MiB limit)"));
	b = gfind(v, n, "batch", PW_BN_MEMORY_STALL);
	assert_non_null(b);
	assert_int_equal(b->severity, PW_SEV_HIGH);
	assert_true(b->ev.psi_some == 30 && b->ev.psi_full == 12);
	/* The memory entry: 94 % of the cgroup's limit. */
	b = gfind(v, n, "batch", PW_BN_MEMORY);
	assert_int_equal(b->severity, PW_SEV_CRITICAL);
	assert_null(gfind(v, n, "calm", PW_BN_OOM));
	assert_null(gfind(v, n, "calm", PW_BN_CPU_STARVED));
	assert_null(gfind(v, n, "calm", PW_BN_MEMORY_STALL));
	assert_int_equal(gfind(v, n, "calm", PW_BN_MEMORY)->severity,
	    PW_SEV_LOW);
	free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bottleneck_cpu_bands_at_edges),
		cmocka_unit_test(test_bottleneck_memory_bands_at_edges),
		cmocka_unit_test(test_bottleneck_growth_bands_at_edges),
		cmocka_unit_test(test_bottleneck_cpu_impact_and_ranking),
		cmocka_unit_test(test_bottleneck_zero_total_cpu),
		cmocka_unit_test(test_bottleneck_memory_skip_threshold),
		cmocka_unit_test(test_bottleneck_fd_growth_time_to_limit),
		cmocka_unit_test(test_bottleneck_rss_leak_and_threads),
		cmocka_unit_test(test_bottleneck_hot_thread_is_named),
		cmocka_unit_test(test_bottleneck_from_store),
		cmocka_unit_test(test_bottleneck_groups_cpu_impact_and_ranking),
		cmocka_unit_test(test_bottleneck_groups_tie_broken_by_name),
		cmocka_unit_test(test_bottleneck_groups_fd_usage),
		cmocka_unit_test(test_bottleneck_groups_rss_growth_is_a_leak),
		cmocka_unit_test(test_bottleneck_group_fill_cpu_from_ticks),
		cmocka_unit_test(test_bottleneck_by_target_from_store),
		cmocka_unit_test(test_bottleneck_idle_farm_is_all_low),
		cmocka_unit_test(test_bottleneck_cpu_quota_is_the_capacity),
		cmocka_unit_test(test_bottleneck_memory_limit_and_fd_usage),
		cmocka_unit_test(test_bottleneck_leak_needs_sustained_growth),
		cmocka_unit_test(test_bottleneck_sustained_rule_edges),
		cmocka_unit_test(test_bottleneck_delay_types),
		cmocka_unit_test(test_bottleneck_delays_from_samples),
		cmocka_unit_test(test_bottleneck_groups_pressure_and_oom),
		cmocka_unit_test(test_bottleneck_group_fill_pressure_and_oom),
		cmocka_unit_test(test_bottleneck_read_ncpu_and_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
