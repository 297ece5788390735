/*
 * bottleneck.c: rank monitored processes, or targets as a whole, by what
 * they cost, and say why.
 *
 * DESIGN: see procwatch/bottleneck.h for the bands.  The store walk only
 * gathers a few figures per process (CPU seconds, newest RSS, fds and
 * threads, three least-squares trends) into a flat array; ranking, the
 * sentences and the suggestions run afterwards without any lock.  The
 * sentences are built from the evidence only, so the same entry always
 * reads the same; they are written in lib/bottleneck_text.c.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* strndup */
#endif
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/bottleneck.h>
#include <procwatch/metric.h>
#include <procwatch/psi.h>
#include <procwatch/store.h>

#include "bottleneck_impl.h"


const char *
pw_bn_type_name(enum pw_bn_type t)
{
	switch (t) {
	case PW_BN_CPU:
		return "cpu";
	case PW_BN_MEMORY:
		return "memory";
	case PW_BN_FDS:
		return "fds";
	case PW_BN_CHURN:
		return "churn";
	case PW_BN_CPU_STARVED:
		return "cpu_starved";
	case PW_BN_IO_BLOCKED:
		return "io_blocked";
	case PW_BN_MEMORY_STALL:
		return "memory_stall";
	case PW_BN_OOM:
		return "oom";
	default:
		return "leak";
	}
}

const char *
pw_severity_name(enum pw_severity s)
{
	switch (s) {
	case PW_SEV_CRITICAL:
		return "critical";
	case PW_SEV_HIGH:
		return "high";
	case PW_SEV_MEDIUM:
		return "medium";
	default:
		return "low";
	}
}

enum pw_severity
pw_bn_cpu_severity(double cores, double capacity)
{
	double share = capacity > 0 ? cores / capacity : 0;

	if (share >= 0.75)
		return PW_SEV_CRITICAL;
	if (share >= 0.5)
		return PW_SEV_HIGH;
	/* Half a core is worth a look on any host, however large. */
	if (share >= 0.25 || cores >= 0.5)
		return PW_SEV_MEDIUM;
	return PW_SEV_LOW;
}

enum pw_severity
pw_bn_memory_severity(double share)
{
	if (share >= 0.9)
		return PW_SEV_CRITICAL;
	if (share >= 0.75)
		return PW_SEV_HIGH;
	if (share >= 0.5)
		return PW_SEV_MEDIUM;
	return PW_SEV_LOW;
}

enum pw_severity
pw_bn_cpu_delay_severity(double pct)
{
	if (pct >= 80)
		return PW_SEV_CRITICAL;
	if (pct >= 50)
		return PW_SEV_HIGH;
	if (pct >= 20)
		return PW_SEV_MEDIUM;
	return PW_SEV_LOW;
}

enum pw_severity
pw_bn_io_delay_severity(double pct)
{
	if (pct >= 90)
		return PW_SEV_CRITICAL;
	if (pct >= 60)
		return PW_SEV_HIGH;
	if (pct >= 30)
		return PW_SEV_MEDIUM;
	return PW_SEV_LOW;
}

enum pw_severity
pw_bn_mem_stall_severity(double some_pct, double full_pct)
{
	enum pw_severity s = PW_SEV_LOW;

	if (some_pct >= 50)
		s = PW_SEV_CRITICAL;
	else if (some_pct >= 25)
		s = PW_SEV_HIGH;
	else if (some_pct >= 10)
		s = PW_SEV_MEDIUM;
	/* "full": every task of the group stalled at once. */
	if (full_pct >= 10 && s < PW_SEV_HIGH)
		s = PW_SEV_HIGH;
	return s;
}

enum pw_severity
pw_bn_growth_severity(double time_left_s, double rel_per_min)
{
	if (time_left_s >= 0) {
		if (time_left_s <= 600)
			return PW_SEV_CRITICAL;
		if (time_left_s <= 3600)
			return PW_SEV_HIGH;
		if (time_left_s <= 86400)
			return PW_SEV_MEDIUM;
		return PW_SEV_LOW;
	}
	if (rel_per_min >= 0.10)
		return PW_SEV_HIGH;
	if (rel_per_min >= 0.01)
		return PW_SEV_MEDIUM;
	return PW_SEV_LOW;
}

enum pw_severity
pw_bn_fd_usage_severity(double usage)
{
	if (usage >= 0.9)
		return PW_SEV_CRITICAL;
	if (usage >= 0.75)
		return PW_SEV_HIGH;
	if (usage >= PW_BN_MIN_FD_USAGE)
		return PW_SEV_MEDIUM;
	return PW_SEV_LOW;
}

/* --- the leak rule --------------------------------------------------------- */

void
pw_bn_shape_fit(const double *t_s, const double *v, size_t n,
    struct pw_trend *trend, struct pw_bn_shape *shape)
{
	struct pw_trend part;
	size_t k, lo, hi;

	memset(shape, 0, sizeof(*shape));
	(void)pw_stats_trend(t_s, v, n, trend);
	if (n >= 2)
		shape->span_s = t_s[n - 1] - t_s[0];
	if (n < 9)
		return;
	shape->known = true;
	for (k = 0; k < 3; k++) {
		lo = n * k / 3;
		hi = n * (k + 1) / 3;
		if (pw_stats_trend(t_s + lo, v + lo, hi - lo, &part) < 0) {
			shape->known = false;
			return;
		}
		shape->part_slope[k] = part.slope_per_min;
	}
}

bool
pw_bn_is_sustained(const struct pw_trend *t, const struct pw_bn_shape *sh,
    double current, double min_growth)
{
	double growth;
	size_t k;

	if (!t->valid || t->dir != PW_TREND_GROWING ||
	    t->n < PW_BN_LEAK_MIN_POINTS || t->r2 < PW_BN_LEAK_MIN_R2 ||
	    t->ci_lo <= 0 || !sh->known || sh->span_s < PW_BN_LEAK_MIN_SPAN_S)
		return false;
	growth = t->slope_per_min * sh->span_s / 60.0;
	if (growth < min_growth || growth < PW_BN_LEAK_MIN_REL * current)
		return false;
	/* A step and a plateau fit a line too: every third must grow. */
	for (k = 0; k < 3; k++)
		if (!(sh->part_slope[k] > 0))
			return false;
	return sh->part_slope[2] >= PW_BN_LEAK_TAIL * t->slope_per_min;
}

/* --- ranking ---------------------------------------------------------------- */

/*
 * What a process and a group are ranked on alike: the cpu, memory and
 * leak entries are built from these only, so the two rankings cannot
 * drift apart.  The trends are borrowed from the pw_bn_proc or
 * pw_bn_group.
 */
struct figures {
	double			 window_s;
	double			 cpu_s;
	double			 cpu_user_s;
	double			 invol_ctx_rate;
	uint32_t		 threads;
	uint64_t		 rss_bytes;
	uint64_t		 swap_bytes;
	double			 cpu_limit;
	uint64_t		 mem_limit;
	const struct pw_trend	*rss_trend;
	const struct pw_trend	*threads_trend;
	const struct pw_bn_shape *rss_shape;
	const struct pw_bn_shape *threads_shape;
};

/*
 * The figures of x, a pw_bn_proc or a pw_bn_group: both name them alike,
 * so one initializer serves the two types.
 */
#define FIGURES_OF(x) {							\
	.window_s = (x)->window_s,					\
	.cpu_s = (x)->cpu_s,						\
	.cpu_user_s = (x)->cpu_user_s,					\
	.invol_ctx_rate = (x)->invol_ctx_rate,				\
	.threads = (x)->threads,					\
	.rss_bytes = (x)->rss_bytes,					\
	.swap_bytes = (x)->swap_bytes,					\
	.cpu_limit = (x)->cpu_limit,					\
	.mem_limit = (x)->mem_limit,					\
	.rss_trend = &(x)->rss_trend,					\
	.threads_trend = &(x)->threads_trend,				\
	.rss_shape = &(x)->rss_shape,					\
	.threads_shape = &(x)->threads_shape,				\
}

/* Over all subjects: what the cpu and memory impacts are shares of. */
struct totals {
	double			 cpu_s;
	uint64_t		 largest_rss;
};

static void
totals_add(struct totals *t, double cpu_s, uint64_t rss_bytes)
{
	if (cpu_s > 0)
		t->cpu_s += cpu_s;
	if (rss_bytes > t->largest_rss)
		t->largest_rss = rss_bytes;
}

/*
 * Append an entry of `type` to v[*n]: a copy of `id`, which holds the
 * subject (a process or a target) and what every entry of it starts with.
 */
static struct pw_bottleneck *
entry_new(struct pw_bottleneck *v, size_t *n, const struct pw_bottleneck *id,
    enum pw_bn_type type)
{
	struct pw_bottleneck *b = &v[(*n)++];

	*b = *id;
	b->type = type;
	return b;
}

/* The memory a subject may hold: its cgroup's limit, else MemTotal. */
static uint64_t
mem_limit_of(const struct figures *f, const struct pw_bn_host *h,
    bool *is_cgroup)
{
	*is_cgroup = f->mem_limit > 0 && (h->mem_total == 0 ||
	    f->mem_limit < h->mem_total);
	return *is_cgroup ? f->mem_limit : h->mem_total;
}

static void
growth_entry(struct pw_bottleneck *b, const struct pw_trend *t,
    const struct pw_bn_shape *sh, const char *metric, double current,
    double limit)
{
	double rel;

	b->ev.metric = metric;
	b->ev.trend = *t;
	b->ev.shape = *sh;
	b->ev.growth = t->slope_per_min * sh->span_s / 60.0;
	b->ev.current = current;
	b->ev.limit = limit;
	if (limit > 0) {
		b->ev.time_to_limit_s = current >= limit ? 0 :
		    (limit - current) / t->slope_per_min * 60.0;
		b->severity = pw_bn_growth_severity(b->ev.time_to_limit_s, 0);
		b->impact = 600.0 / (600.0 + b->ev.time_to_limit_s);
	} else {
		rel = current > 0 ? t->slope_per_min / current : 1;
		b->severity = pw_bn_growth_severity(-1, rel);
		b->impact = rel > 1 ? 1 : rel;
	}
}

/* The cpu entry of subject `id`, or NULL when it used too little CPU. */
static struct pw_bottleneck *
cpu_entry(struct pw_bottleneck *v, size_t *n, const struct pw_bottleneck *id,
    const struct figures *f, const struct totals *tot,
    const struct pw_bn_host *h)
{
	struct pw_bottleneck *b;
	double cap = h->ncpu;

	if (f->cpu_s < PW_BN_MIN_CPU_S)
		return NULL;
	b = entry_new(v, n, id, PW_BN_CPU);
	/* tot->cpu_s >= cpu_s > 0 here; guard anyway. */
	b->impact = tot->cpu_s > 0 ? f->cpu_s / tot->cpu_s : 0;
	if (f->cpu_limit > 0 && (cap <= 0 || f->cpu_limit < cap)) {
		cap = f->cpu_limit;
		b->ev.capacity_is_quota = true;
	}
	b->ev.cores = f->window_s > 0 ? f->cpu_s / f->window_s : 0;
	b->ev.capacity = cap > 0 ? cap : 0;
	b->severity = pw_bn_cpu_severity(b->ev.cores, b->ev.capacity);
	b->ev.cpu_s = f->cpu_s;
	b->ev.total_cpu_s = tot->cpu_s;
	b->ev.cpu_percent = 100.0 * b->ev.cores;
	b->ev.user_share = f->cpu_s > 0 ? f->cpu_user_s / f->cpu_s : 0;
	b->ev.invol_ctx_rate = f->invol_ctx_rate;
	b->ev.threads = f->threads;
	return b;
}

/*
 * The leak entry of subject `id`, if its RSS grows steadily (against its
 * memory limit) or else its thread count does (no limit).
 */
static struct pw_bottleneck *
leak_entry(struct pw_bottleneck *v, size_t *n, const struct pw_bottleneck *id,
    const struct figures *f, const struct pw_bn_host *h)
{
	struct pw_bottleneck *b;
	uint64_t lim;
	bool cg;

	if (pw_bn_is_sustained(f->rss_trend, f->rss_shape,
	    (double)f->rss_bytes, GROWTH_MIN_RSS)) {
		lim = mem_limit_of(f, h, &cg);
		b = entry_new(v, n, id, PW_BN_LEAK);
		growth_entry(b, f->rss_trend, f->rss_shape,
		    pw_metric_name(PW_METRIC_RSS_BYTES), (double)f->rss_bytes,
		    (double)lim);
		b->ev.mem_total = h->mem_total;
		b->ev.mem_limit = lim;
		b->ev.limit_is_cgroup = cg;
		return b;
	}
	if (pw_bn_is_sustained(f->threads_trend, f->threads_shape,
	    f->threads, GROWTH_MIN_N)) {
		b = entry_new(v, n, id, PW_BN_LEAK);
		growth_entry(b, f->threads_trend, f->threads_shape,
		    pw_metric_name(PW_METRIC_THREADS), f->threads, 0);
		return b;
	}
	return NULL;
}

/*
 * The memory entry of subject `id`, unless its RSS is too small: its
 * share of its limit, raised to `leak`'s severity when it grows toward
 * it, and to `stall` (PSI, targets).
 */
static void
memory_entry(struct pw_bottleneck *v, size_t *n, const struct pw_bottleneck *id,
    const struct figures *f, const struct totals *tot,
    const struct pw_bn_host *h, const struct pw_bottleneck *leak,
    enum pw_severity stall)
{
	struct pw_bottleneck *b;
	uint64_t lim;
	bool cg;

	if (f->rss_bytes < PW_BN_MIN_RSS || tot->largest_rss == 0)
		return;
	lim = mem_limit_of(f, h, &cg);
	b = entry_new(v, n, id, PW_BN_MEMORY);
	b->impact = (double)f->rss_bytes / (double)tot->largest_rss;
	b->severity = pw_bn_memory_severity(lim > 0 ?
	    (double)f->rss_bytes / (double)lim : 0);
	if (leak != NULL && leak->ev.limit > 0 && leak->severity > b->severity)
		b->severity = leak->severity;
	if (stall > b->severity)
		b->severity = stall;
	b->ev.rss_bytes = f->rss_bytes;
	b->ev.largest_rss_bytes = tot->largest_rss;
	b->ev.mem_total = h->mem_total;
	b->ev.mem_limit = lim;
	b->ev.limit_is_cgroup = cg;
	b->ev.swap_bytes = f->swap_bytes;
	/* The growth is named only where there is a leak entry to see. */
	if (leak != NULL && strcmp(leak->ev.metric,
	    pw_metric_name(PW_METRIC_RSS_BYTES)) == 0) {
		b->ev.trend = *f->rss_trend;
		b->ev.shape = *f->rss_shape;
	}
}

/*
 * An entry of `type` for a delay or a pressure of `pct` percent, from
 * `min` up, with severity `sev`; impact is pct / 100, at most 1.
 */
static struct pw_bottleneck *
stall_entry(struct pw_bottleneck *v, size_t *n, const struct pw_bottleneck *id,
    enum pw_bn_type type, double pct, double min, enum pw_severity sev)
{
	struct pw_bottleneck *b;

	if (!(pct >= min))
		return NULL;
	b = entry_new(v, n, id, type);
	b->severity = sev;
	b->impact = pct >= 100 ? 1 : pct / 100.0;
	b->ev.delay_pct = pct;
	b->ev.psi_some = -1;
	b->ev.psi_full = -1;
	return b;
}

static int
bn_cmp(const void *x, const void *y)
{
	const struct pw_bottleneck *a = x, *b = y;
	int c;

	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	if (a->impact != b->impact)
		return a->impact > b->impact ? -1 : 1;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if ((c = strcmp(a->target, b->target)) != 0)
		return c;		/* targets: by name */
	return (int)a->type - (int)b->type;
}

/* Order v[0..n), write its texts and hand it to the caller. */
static void
rank_done(struct pw_bottleneck *v, size_t n, struct pw_bottleneck **out,
    size_t *nout)
{
	size_t i;

	qsort(v, n, sizeof(*v), bn_cmp);
	for (i = 0; i < n; i++)
		pw_bottleneck_describe(&v[i]);
	*out = v;
	*nout = n;
}

/* The template of a process's entries: see entry_new(). */
static void
proc_entry_id(const struct pw_bn_proc *p, struct pw_bottleneck *id)
{
	memset(id, 0, sizeof(*id));
	id->pid = p->pid;
	memcpy(id->name, p->name, sizeof(id->name));
	id->name[sizeof(id->name) - 1] = '\0';
	memcpy(id->target, p->target, sizeof(id->target));
	id->target[sizeof(id->target) - 1] = '\0';
	id->ev.window_s = p->window_s;
	id->ev.time_to_limit_s = -1;
}

/* The fds entry of a process: its share of its limit, or steady growth. */
static void
proc_fds(struct pw_bottleneck *v, size_t *n, const struct pw_bottleneck *id,
    const struct pw_bn_proc *p)
{
	struct pw_bottleneck *b, g;
	double lim = p->fd_limit == UINT64_MAX ? 0 : (double)p->fd_limit;
	double usage = lim > 0 ? p->open_fds / lim : 0;
	bool grows;

	if (!p->has_fds)
		return;
	grows = pw_bn_is_sustained(&p->fds_trend, &p->fds_shape, p->open_fds,
	    GROWTH_MIN_N);
	if (usage < PW_BN_MIN_FD_USAGE && !grows)
		return;
	b = entry_new(v, n, id, PW_BN_FDS);
	b->ev.metric = pw_metric_name(PW_METRIC_OPEN_FDS);
	b->ev.trend = p->fds_trend;
	b->ev.shape = p->fds_shape;
	b->ev.current = p->open_fds;
	b->ev.limit = lim;
	b->ev.usage = usage;
	b->severity = pw_bn_fd_usage_severity(usage);
	b->impact = usage;
	if (grows) {
		g = *b;
		growth_entry(&g, &p->fds_trend, &p->fds_shape, b->ev.metric,
		    p->open_fds, lim);
		b->ev.time_to_limit_s = g.ev.time_to_limit_s;
		b->ev.growth = g.ev.growth;
		if (g.severity > b->severity || (g.severity == b->severity &&
		    g.impact > b->impact)) {
			b->severity = g.severity;
			b->impact = g.impact;
		}
	}
}

int
pw_bottleneck_rank(const struct pw_bn_proc *procs, size_t n,
    const struct pw_bn_host *host, struct pw_bottleneck **out, size_t *nout)
{
	static const struct pw_bn_host none = { 0, 0 };
	const struct pw_bn_host *h = host != NULL ? host : &none;
	struct pw_bottleneck *v, *b, *leak, id, lk;
	struct totals tot = { 0, 0 };
	size_t i, k = 0;
	enum pw_severity stall;

	for (i = 0; i < n; i++)
		totals_add(&tot, procs[i].cpu_s, procs[i].rss_bytes);
	/* At most one entry of each type per process. */
	if ((v = calloc(n ? n * PW_BN_NTYPES : 1, sizeof(*v))) == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const struct pw_bn_proc *p = &procs[i];
		struct figures f = FIGURES_OF(p);

		proc_entry_id(p, &id);
		(void)cpu_entry(v, &k, &id, &f, &tot, h);
		proc_fds(v, &k, &id, p);
		leak = leak_entry(v, &k, &id, &f, h);
		if (leak != NULL) {
			lk = *leak;	/* v[] is not moved; a copy is clearer */
			leak = &lk;
		}
		memory_entry(v, &k, &id, &f, &tot, h, leak, PW_SEV_LOW);
		(void)stall_entry(v, &k, &id, PW_BN_CPU_STARVED,
		    p->cpu_delay_pct, PW_BN_MIN_DELAY_PCT,
		    pw_bn_cpu_delay_severity(p->cpu_delay_pct));
		(void)stall_entry(v, &k, &id, PW_BN_IO_BLOCKED,
		    p->io_delay_pct, PW_BN_MIN_DELAY_PCT,
		    pw_bn_io_delay_severity(p->io_delay_pct));
		stall = pw_bn_mem_stall_severity(p->mem_delay_pct, -1);
		if ((b = stall_entry(v, &k, &id, PW_BN_MEMORY_STALL,
		    p->mem_delay_pct, PW_BN_MIN_STALL_PCT, stall)) != NULL)
			b->ev.swap_bytes = p->swap_bytes;
	}
	rank_done(v, k, out, nout);
	return 0;
}

/* --- ranking targets -------------------------------------------------------- */

/* The template of a group's entries: see entry_new(). */
static void
group_entry_id(const struct pw_bn_group *g, struct pw_bottleneck *id)
{
	memset(id, 0, sizeof(*id));
	id->is_group = true;
	memcpy(id->target, g->name, sizeof(id->target));
	id->target[sizeof(id->target) - 1] = '\0';
	id->ev.window_s = g->window_s;
	id->ev.time_to_limit_s = -1;
	id->ev.processes = g->processes;
}

/*
 * The fds entry of a group, if it has one: the worst member's usage, or
 * the group's descriptors growing.  See procwatch/bottleneck.h.
 */
static void
group_fds(struct pw_bottleneck *v, size_t *n, const struct pw_bottleneck *id,
    const struct pw_bn_group *g)
{
	const struct pw_trend *ut = &g->fd_usage_trend;
	struct pw_bottleneck *b;
	enum pw_severity sev = PW_SEV_LOW, gsev;
	double usage = g->fd_usage_pid != 0 ? g->fd_usage_max : 0;
	double impact = 0, gimp, ttl = -1, rel;
	bool grows;

	grows = g->has_fds && pw_bn_is_sustained(&g->fds_trend, &g->fds_shape,
	    (double)g->open_fds, GROWTH_MIN_N);
	if (usage < PW_BN_MIN_FD_USAGE && !grows)
		return;
	if (usage >= PW_BN_MIN_FD_USAGE) {
		sev = pw_bn_fd_usage_severity(usage);
		impact = usage;
	}
	if (grows) {
		if (usage > 0 && ut->valid && ut->dir == PW_TREND_GROWING &&
		    ut->slope_per_min > 0) {
			ttl = usage >= 1 ? 0 : (1 - usage) /
			    ut->slope_per_min * 60.0;
			gsev = pw_bn_growth_severity(ttl, 0);
			gimp = 600.0 / (600.0 + ttl);
		} else {
			rel = g->open_fds > 0 ? g->fds_trend.slope_per_min /
			    (double)g->open_fds : 1;
			gsev = pw_bn_growth_severity(-1, rel);
			gimp = rel > 1 ? 1 : rel;
		}
		if (gsev > sev || (gsev == sev && gimp > impact)) {
			sev = gsev;
			impact = gimp;
		}
	}
	b = entry_new(v, n, id, PW_BN_FDS);
	b->severity = sev;
	b->impact = impact;
	b->ev.metric = pw_metric_name(PW_METRIC_OPEN_FDS);
	b->ev.trend = g->fds_trend;
	b->ev.shape = g->fds_shape;
	b->ev.current = (double)g->open_fds;
	b->ev.time_to_limit_s = ttl;
	b->ev.fd_usage_max = usage;
	b->ev.fd_usage_pid = g->fd_usage_pid;
}

/* A target's pressure entries (PSI) and its OOM kills. */
static enum pw_severity
group_pressure(struct pw_bottleneck *v, size_t *n,
    const struct pw_bottleneck *id, const struct pw_bn_group *g)
{
	struct pw_bottleneck *b;
	enum pw_severity ms = PW_SEV_LOW;
	double some = g->psi_mem_some, full = g->psi_mem_full;

	if ((b = stall_entry(v, n, id, PW_BN_CPU_STARVED, g->psi_cpu_some,
	    PW_BN_MIN_DELAY_PCT, pw_bn_cpu_delay_severity(g->psi_cpu_some))) !=
	    NULL)
		b->ev.psi_some = g->psi_cpu_some;
	if ((b = stall_entry(v, n, id, PW_BN_IO_BLOCKED, g->psi_io_some,
	    PW_BN_MIN_DELAY_PCT, pw_bn_io_delay_severity(g->psi_io_some))) !=
	    NULL)
		b->ev.psi_some = g->psi_io_some;
	/* "full" alone can start the entry: then some >= full. */
	if (full > some)
		some = full;
	if (some >= PW_BN_MIN_STALL_PCT) {
		ms = pw_bn_mem_stall_severity(some, full);
		b = stall_entry(v, n, id, PW_BN_MEMORY_STALL, some,
		    PW_BN_MIN_STALL_PCT, ms);
		b->ev.psi_some = some;
		b->ev.psi_full = full;
		b->ev.swap_bytes = g->swap_bytes;
	}
	if (g->oom_kills > 0) {
		b = entry_new(v, n, id, PW_BN_OOM);
		b->severity = PW_SEV_CRITICAL;
		b->impact = 1;
		b->ev.oom_kills = g->oom_kills;
		b->ev.mem_limit = g->mem_limit;
		b->ev.limit_is_cgroup = g->mem_limit > 0;
		b->ev.rss_bytes = g->rss_bytes;
	}
	return ms;
}

int
pw_bottleneck_rank_groups(const struct pw_bn_group *groups, size_t n,
    const struct pw_bn_host *host, struct pw_bottleneck **out, size_t *nout)
{
	static const struct pw_bn_host none = { 0, 0 };
	const struct pw_bn_host *h = host != NULL ? host : &none;
	struct pw_bottleneck *v, *b, id, lk;
	struct totals tot = { 0, 0 };
	size_t i, k = 0;
	enum pw_severity stall;

	for (i = 0; i < n; i++)
		totals_add(&tot, groups[i].cpu_s, groups[i].rss_bytes);
	/* At most one entry of each type per group. */
	if ((v = calloc(n ? n * PW_BN_NTYPES : 1, sizeof(*v))) == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const struct pw_bn_group *g = &groups[i];
		struct figures f = FIGURES_OF(g);

		group_entry_id(g, &id);
		if ((b = cpu_entry(v, &k, &id, &f, &tot, h)) != NULL)
			b->ev.children_cpu_s = g->children_cpu_s;
		group_fds(v, &k, &id, g);
		stall = group_pressure(v, &k, &id, g);
		if ((b = leak_entry(v, &k, &id, &f, h)) != NULL) {
			lk = *b;
			b = &lk;
		}
		memory_entry(v, &k, &id, &f, &tot, h, b, stall);
	}
	rank_done(v, k, out, nout);
	return 0;
}

/* --- from a store ----------------------------------------------------------- */

/*
 * What samples s[0..n) show over the window, of a process or of a group
 * (as pw_group_sample_as_sample() maps it): the average involuntary
 * context switch rate over all of them, and the RSS, descriptor and
 * thread trends and shapes over s[skip..n) (a process's warm-up left
 * out).  t_s and v are scratch arrays of n doubles.
 */
static void
series_fill(const struct pw_sample *s, size_t n, size_t skip, double *t_s,
    double *v, double *invol_ctx_rate, struct pw_trend *trends,
    struct pw_bn_shape *shapes)
{
	static const enum pw_metric m[3] = { PW_METRIC_RSS_BYTES,
	    PW_METRIC_OPEN_FDS, PW_METRIC_THREADS };
	size_t k, i;
	double sum;

	k = pw_stats_series(s, n, PW_METRIC_CTX_INVOLUNTARY_RATE, NULL, NULL,
	    v);
	for (i = 0, sum = 0; i < k; i++)
		sum += v[i];
	*invol_ctx_rate = k > 0 ? sum / (double)k : 0;
	for (i = 0; i < 3; i++) {
		k = skip < n ? pw_stats_series(s + skip, n - skip, m[i], NULL,
		    t_s, v) : 0;
		pw_bn_shape_fit(t_s, v, k, &trends[i], &shapes[i]);
	}
}

/* The average of metric m over s[0..n), or -1 when it has no value. */
static double
series_avg(const struct pw_sample *s, size_t n, enum pw_metric m, double *v)
{
	size_t k, i;
	double sum = 0;

	if ((k = pw_stats_series(s, n, m, NULL, NULL, v)) == 0)
		return -1;
	for (i = 0; i < k; i++)
		sum += v[i];
	return sum / (double)k;
}

/*
 * The delay-accounting averages of a process over s[0..n) (-1 where the
 * kernel gave none); memory_stall's figure is swap-in plus reclaim
 * delay.  v is scratch.
 */
static void
delay_fill(struct pw_bn_proc *p, const struct pw_sample *s, size_t n,
    double *v)
{
	double sw, mem;

	p->cpu_delay_pct = series_avg(s, n, PW_METRIC_CPU_DELAY_PERCENT, v);
	p->io_delay_pct = series_avg(s, n, PW_METRIC_IO_DELAY_PERCENT, v);
	sw = series_avg(s, n, PW_METRIC_SWAPIN_DELAY_PERCENT, v);
	mem = series_avg(s, n, PW_METRIC_MEMORY_DELAY_PERCENT, v);
	p->mem_delay_pct = sw < 0 && mem < 0 ? -1 :
	    (sw > 0 ? sw : 0) + (mem > 0 ? mem : 0);
}

void
pw_bn_proc_fill(struct pw_bn_proc *p, const char *name, const char *target,
    pid_t pid, uint64_t fd_limit, int64_t start_time_ms,
    const struct pw_sample *s, size_t n, double *t_s, double *v)
{
	const struct pw_sample *last;
	struct pw_trend tr[3];
	struct pw_bn_shape sh[3];
	size_t skip = 0;

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->target, sizeof(p->target), "%s", target);
	p->fd_limit = fd_limit;
	p->age_s = -1;
	p->cpu_delay_pct = p->io_delay_pct = p->mem_delay_pct = -1;
	if (n == 0)
		return;
	last = &s[n - 1];
	p->window_s = (double)(last->ts_ms - s[0].ts_ms) / 1000.0;
	p->cpu_s = pw_stats_cpu_seconds(s, n, &p->cpu_user_s, &p->cpu_sys_s);
	p->threads = last->threads;
	p->rss_bytes = last->rss_bytes;
	p->swap_bytes = last->swap_bytes;
	p->open_fds = last->open_fds;
	p->has_fds = (last->flags & PW_SAMPLE_NO_FDS) == 0;
	/* Start-up (heaps, caches, pools) grows and settles: leave it out. */
	if (start_time_ms > 0) {
		p->age_s = (double)(last->ts_ms - start_time_ms) / 1000.0;
		while (skip < n && s[skip].ts_ms - start_time_ms <
		    (int64_t)(PW_BN_LEAK_WARMUP_S * 1000))
			skip++;
	}
	series_fill(s, n, skip, t_s, v, &p->invol_ctx_rate, tr, sh);
	p->rss_trend = tr[0];
	p->fds_trend = tr[1];
	p->threads_trend = tr[2];
	p->rss_shape = sh[0];
	p->fds_shape = sh[1];
	p->threads_shape = sh[2];
	delay_fill(p, s, n, v);
}

struct walk {
	struct pw_bn_proc	*procs;
	size_t			 n, cap;
	double			*t_s, *v;
	size_t			 scratch;
};

/* Under the store's read lock: figures only, no allocation. */
static int
visit(const struct pw_proc_view *view, const struct pw_sample *s, size_t n,
    void *arg)
{
	struct walk *w = arg;

	if (n < 2 || w->n == w->cap || n > w->scratch)
		return 0;
	pw_bn_proc_fill(&w->procs[w->n++], view->name, view->target,
	    view->pid, view->fd_limit, view->start_time_ms, s, n, w->t_s,
	    w->v);
	return 0;
}

double
pw_bn_read_ncpu(const char *proc_root)
{
	char path[PATH_MAX], line[256];
	FILE *fp;
	double n = 0;

	if (proc_root == NULL || (size_t)snprintf(path, sizeof(path),
	    "%s/stat", proc_root) >= sizeof(path))
		return 0;
	if ((fp = fopen(path, "re")) == NULL)
		return 0;
	/* proc(5): "cpuN ..." per online CPU, after the "cpu " total. */
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "cpu", 3) == 0 && line[3] >= '0' &&
		    line[3] <= '9')
			n++;
		else if (strncmp(line, "cpu", 3) != 0)
			break;
		/* A long line ends within the next read: skip its rest. */
		while (strchr(line, '\n') == NULL && fgets(line, sizeof(line),
		    fp) != NULL)
			;
	}
	fclose(fp);
	return n;
}

/* The first line of ROOT/DIR/PATH/FILE into buf; false if unreadable. */
static bool
read_line(const char *root, const char *dir, const char *path, size_t plen,
    const char *file, char *buf, size_t len)
{
	char fn[PATH_MAX];
	FILE *fp;
	bool ok;

	if ((size_t)snprintf(fn, sizeof(fn), "%s%s%.*s/%s", root, dir,
	    (int)plen, path, file) >= sizeof(fn))
		return false;
	if ((fp = fopen(fn, "re")) == NULL)
		return false;
	ok = fgets(buf, (int)len, fp) != NULL;
	fclose(fp);
	return ok;
}

/* The limits of the one cgroup PATH[0..plen), 0 where none. */
static void
limits_at(const char *root, const char *path, size_t plen, double *cpu,
    uint64_t *mem)
{
	char buf[128], *end;
	long long q, per;
	unsigned long long m;

	*cpu = 0;
	*mem = 0;
	/* v2: "max 100000" or "50000 100000"; memory.max "max" or bytes. */
	if (read_line(root, "", path, plen, "cpu.max", buf, sizeof(buf)) &&
	    sscanf(buf, "%lld %lld", &q, &per) == 2 && q > 0 && per > 0)
		*cpu = (double)q / (double)per;
	else if (read_line(root, "/cpu,cpuacct", path, plen,
	    "cpu.cfs_quota_us", buf, sizeof(buf)) &&
	    (q = strtoll(buf, NULL, 10)) > 0 && read_line(root,
	    "/cpu,cpuacct", path, plen, "cpu.cfs_period_us", buf,
	    sizeof(buf)) && (per = strtoll(buf, NULL, 10)) > 0)
		*cpu = (double)q / (double)per;
	if (read_line(root, "", path, plen, "memory.max", buf, sizeof(buf))) {
		m = strtoull(buf, &end, 10);
		if (end != buf)
			*mem = m;
	} else if (read_line(root, "/memory", path, plen,
	    "memory.limit_in_bytes", buf, sizeof(buf))) {
		/* v1 says "no limit" with a huge page-rounded number. */
		m = strtoull(buf, &end, 10);
		if (end != buf && m < (1ull << 62))
			*mem = m;
	}
}

void
pw_bn_read_limits(const char *root, const char *path, double *cpu_limit,
    uint64_t *mem_limit)
{
	size_t plen;
	double c;
	uint64_t m;

	*cpu_limit = 0;
	*mem_limit = 0;
	if (root == NULL || path == NULL || path[0] != '/' ||
	    strncmp(path, "/..", 3) == 0)
		return;
	/* The tightest limit on the way up counts; the root has none. */
	for (plen = strlen(path); plen > 1;) {
		limits_at(root, path, plen, &c, &m);
		if (c > 0 && (*cpu_limit == 0 || c < *cpu_limit))
			*cpu_limit = c;
		if (m > 0 && (*mem_limit == 0 || m < *mem_limit))
			*mem_limit = m;
		while (plen > 1 && path[plen - 1] != '/')
			plen--;
		if (plen > 1)
			plen--;		/* the '/' before the last component */
	}
}

/* A process's cgroup limits, looked up by pid after the walk. */
struct plimit {
	pid_t		pid;
	double		cpu;
	uint64_t	mem;
};

static int
plimit_cmp(const void *x, const void *y)
{
	const struct plimit *a = x, *b = y;

	return a->pid < b->pid ? -1 : a->pid > b->pid;
}

/* snap->procs[] indices by cgroup path, to read each path once. */
static int
cg_idx_cmp(const void *x, const void *y, void *arg)
{
	const struct pw_snapshot *snap = arg;
	const char *a = snap->procs[*(const size_t *)x].cgroup;
	const char *b = snap->procs[*(const size_t *)y].cgroup;

	return strcmp(a != NULL ? a : "", b != NULL ? b : "");
}

/*
 * The limits of every process of snap, by pid in a malloc'd *out: the
 * processes are visited by cgroup path, so each path is read once.
 */
static int
limits_read(const struct pw_snapshot *snap, const char *root,
    struct plimit **out)
{
	struct plimit *v;
	size_t *idx, i, k;
	const char *cg, *prev = NULL;
	double cpu = 0;
	uint64_t mem = 0;

	if ((v = calloc(snap->n ? snap->n : 1, sizeof(*v))) == NULL)
		return -ENOMEM;
	if ((idx = malloc((snap->n ? snap->n : 1) * sizeof(*idx))) == NULL) {
		free(v);
		return -ENOMEM;
	}
	for (i = 0; i < snap->n; i++)
		idx[i] = i;
	if (root != NULL)
		qsort_r(idx, snap->n, sizeof(*idx), cg_idx_cmp, (void *)snap);
	for (i = 0; i < snap->n; i++) {
		k = idx[i];
		v[i].pid = snap->procs[k].pid;
		cg = snap->procs[k].cgroup;
		if (root == NULL || cg == NULL || cg[0] == '\0')
			continue;
		if (prev == NULL || strcmp(prev, cg) != 0) {
			pw_bn_read_limits(root, cg, &cpu, &mem);
			prev = cg;
		}
		v[i].cpu = cpu;
		v[i].mem = mem;
	}
	free(idx);
	qsort(v, snap->n, sizeof(*v), plimit_cmp);
	*out = v;
	return 0;
}

int
pw_bottlenecks(struct pw_store *st, const struct pw_bn_query *q,
    struct pw_bottleneck **out, size_t *nout)
{
	struct walk w = { 0 };
	struct pw_bottleneck *v = NULL;
	struct pw_snapshot *snap;
	struct plimit *lim = NULL, key, *l;
	struct pw_bn_host host;
	int64_t taken;
	size_t i, n = 0, probed, nlim;
	int rc;

	/* Room for every process alive now, plus some born meanwhile. */
	if ((rc = pw_store_snapshot(st, false, &snap)) < 0)
		return rc;
	w.cap = snap->n + 64;
	for (i = 0; i < snap->n; i++)
		if (snap->procs[i].capacity > w.scratch)
			w.scratch = snap->procs[i].capacity;
	nlim = snap->n;
	rc = limits_read(snap, q->cgroup_root, &lim);
	pw_snapshot_free(snap);
	if (rc < 0)
		return rc;
	pw_store_info(st, &taken, &host.mem_total);
	host.ncpu = q->ncpu;
	rc = -ENOMEM;
	w.procs = malloc(w.cap * sizeof(*w.procs));
	w.t_s = malloc((w.scratch ? w.scratch : 1) * sizeof(double));
	w.v = malloc((w.scratch ? w.scratch : 1) * sizeof(double));
	if (w.procs == NULL || w.t_s == NULL || w.v == NULL)
		goto out_free;
	if ((rc = pw_store_each(st, taken - q->window_ms, false, visit,
	    &w)) < 0)
		goto out_free;
	for (i = 0; i < w.n; i++) {
		key.pid = w.procs[i].pid;
		if ((l = bsearch(&key, lim, nlim, sizeof(*lim),
		    plimit_cmp)) != NULL) {
			w.procs[i].cpu_limit = l->cpu;
			w.procs[i].mem_limit = l->mem;
		}
	}
	if ((rc = pw_bottleneck_rank(w.procs, w.n, &host, &v, &n)) < 0)
		goto out_free;
	if (n > q->limit)
		n = q->limit;
	for (i = 0, probed = 0; q->probe != NULL && i < n &&
	    probed < q->nprobe; i++) {
		if (v[i].type != PW_BN_CPU)
			continue;
		q->probe(q->arg, v[i].pid, &v[i].ev.hot);
		probed++;
		if (v[i].ev.hot.known)
			pw_bottleneck_describe(&v[i]);
	}
	*out = v;
	*nout = n;
	rc = 0;
out_free:
	free(w.v);
	free(w.t_s);
	free(w.procs);
	free(lim);
	return rc;
}

/* Cumulative counters of a group between two of its samples, if they rose. */
static bool
ticks_rose(const struct pw_group_sample *a, const struct pw_group_sample *b)
{
	return b->cpu_user_ticks >= a->cpu_user_ticks &&
	    b->cpu_system_ticks >= a->cpu_system_ticks &&
	    b->children_ticks >= a->children_ticks;
}

/* avg10 of one pressure line in percent, or -1 when the file lacks it. */
static double
psi_avg10(const struct pw_psi *x, bool full)
{
	if (full)
		return x->has_full ? x->full_avg10_x100 / 100.0 : -1;
	return x->has_some ? x->some_avg10_x100 / 100.0 : -1;
}

/*
 * A group's pressure (PSI avg10 of its newest sample), its cgroup's
 * memory limit, and its OOM kills over g[0..n): the rise of its members'
 * kills seen as events, or of the cgroup's oom_kill counter, whichever
 * saw more (two views of the same kills).  -1 where unknown.
 */
static void
pressure_fill(struct pw_bn_group *p, const struct pw_group_sample *g,
    size_t n)
{
	const struct pw_cgstat *a = &g[0].cg, *b = &g[n - 1].cg;
	double k = -1;

	if (b->psi_why == PW_CGW_OK) {
		p->psi_cpu_some = psi_avg10(&b->psi[PW_PSI_CPU], false);
		p->psi_io_some = psi_avg10(&b->psi[PW_PSI_IO], false);
		p->psi_mem_some = psi_avg10(&b->psi[PW_PSI_MEMORY], false);
		p->psi_mem_full = psi_avg10(&b->psi[PW_PSI_MEMORY], true);
	}
	if (b->mem_why == PW_CGW_OK && b->has_limit)
		p->mem_limit = b->limit_bytes;
	if (g[n - 1].oom_kills >= g[0].oom_kills)
		k = (double)(g[n - 1].oom_kills - g[0].oom_kills);
	if (a->mem_why == PW_CGW_OK && b->mem_why == PW_CGW_OK &&
	    b->has_events && a->has_events && b->oom_kill >= a->oom_kill &&
	    (double)(b->oom_kill - a->oom_kill) > k)
		k = (double)(b->oom_kill - a->oom_kill);
	p->oom_kills = k;
}

void
pw_bn_group_fill(struct pw_bn_group *p, const char *name,
    const struct pw_group_sample *g, size_t n, long hz, struct pw_sample *s,
    double *t_s, double *v)
{
	const struct pw_group_sample *last;
	struct pw_trend tr[3];
	struct pw_bn_shape sh[3];
	uint64_t u = 0, sy = 0, ch = 0;
	size_t k, i;

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->psi_cpu_some = p->psi_io_some = -1;
	p->psi_mem_some = p->psi_mem_full = p->oom_kills = -1;
	if (n == 0)
		return;
	last = &g[n - 1];
	for (i = 0; i < n; i++)
		pw_group_sample_as_sample(&g[i], &s[i]);
	p->window_s = (double)(last->ts_ms - g[0].ts_ms) / 1000.0;
	/*
	 * CPU from the cumulative ticks, which hold what exited members and
	 * reaped children did.  Pair by pair: a group begun anew (NO_CPU)
	 * or counters that went back lose one interval, not the window.
	 */
	for (i = 1; i < n; i++) {
		if ((g[i].flags & PW_GSAMPLE_NO_CPU) || !ticks_rose(&g[i - 1],
		    &g[i]))
			continue;
		u += g[i].cpu_user_ticks - g[i - 1].cpu_user_ticks;
		sy += g[i].cpu_system_ticks - g[i - 1].cpu_system_ticks;
		ch += g[i].children_ticks - g[i - 1].children_ticks;
	}
	if (hz > 0) {
		p->cpu_user_s = (double)u / (double)hz;
		p->cpu_sys_s = (double)sy / (double)hz;
		p->children_cpu_s = (double)ch / (double)hz;
		p->cpu_s = p->cpu_user_s + p->cpu_sys_s;
	}
	p->processes = last->processes;
	p->threads = last->threads;
	p->rss_bytes = last->rss_bytes;
	p->swap_bytes = last->swap_bytes;
	p->open_fds = last->open_fds;
	p->has_fds = (last->flags & PW_GSAMPLE_NO_FDS) == 0;
	p->fd_usage_pid = last->fd_usage_pid;
	p->fd_usage_max = last->fd_usage_pid != 0 ? last->fd_usage_max : 0;

	series_fill(s, n, 0, t_s, v, &p->invol_ctx_rate, tr, sh);
	p->rss_trend = tr[0];
	p->fds_trend = tr[1];
	p->threads_trend = tr[2];
	p->rss_shape = sh[0];
	p->fds_shape = sh[1];
	p->threads_shape = sh[2];
	pressure_fill(p, g, n);
	for (i = 0, k = 0; i < n; i++) {
		if (g[i].fd_usage_pid == 0 || (g[i].flags & PW_GSAMPLE_NO_FDS))
			continue;
		t_s[k] = (double)(g[i].ts_ms - g[0].ts_ms) / 1000.0;
		v[k++] = g[i].fd_usage_max;
	}
	pw_stats_trend(t_s, v, k, &p->fd_usage_trend);
}

/* Grow the scratch arrays of pw_bottlenecks_by_target() to n entries. */
static int
scratch_grow(struct pw_sample **s, double **t_s, double **v, size_t *cap,
    size_t n)
{
	void *p;

	if (n <= *cap)
		return 0;
	if ((p = realloc(*s, n * sizeof(**s))) == NULL)
		return -ENOMEM;
	*s = p;
	if ((p = realloc(*t_s, n * sizeof(**t_s))) == NULL)
		return -ENOMEM;
	*t_s = p;
	if ((p = realloc(*v, n * sizeof(**v))) == NULL)
		return -ENOMEM;
	*v = p;
	*cap = n;
	return 0;
}

/*
 * The cgroup of group view gv for its limits: a cgroup selector's path,
 * or for a unit, the part of a member's cgroup path that ends in the
 * unit's component.  Returns a malloc'd path, or NULL (none, or a glob).
 */
static char *
group_cgroup(const struct pw_snapshot *snap, const struct pw_group_view *gv)
{
	const char *sel = gv->selector, *unit, *cg, *at;
	size_t i, ulen;

	if (sel == NULL)
		return NULL;
	if (strncmp(sel, "cgroup ", 7) == 0)
		return strdup(sel + 7);
	if (strncmp(sel, "unit ", 5) != 0 || strpbrk(sel, "*?[") != NULL)
		return NULL;
	unit = sel + 5;
	ulen = strlen(unit);
	for (i = 0; i < snap->n; i++) {
		if (snap->procs[i].target == NULL || strcmp(
		    snap->procs[i].target, gv->name) != 0 ||
		    (cg = snap->procs[i].cgroup) == NULL)
			continue;
		for (at = strchr(cg, '/'); at != NULL; at = strchr(at + 1,
		    '/'))
			if (strncmp(at + 1, unit, ulen) == 0 &&
			    (at[1 + ulen] == '/' || at[1 + ulen] == '\0'))
				return strndup(cg, (size_t)(at + 1 + ulen -
				    cg));
	}
	return NULL;
}

int
pw_bottlenecks_by_target(struct pw_store *st, const struct pw_bn_query *q,
    struct pw_bottleneck **out, size_t *nout)
{
	struct pw_snapshot *snap;
	struct pw_bn_group *groups = NULL;
	struct pw_group_sample *g;
	struct pw_bottleneck *v = NULL;
	struct pw_sample *s = NULL;
	struct pw_bn_host host;
	double *t_s = NULL, *d = NULL, lc;
	uint64_t lm;
	int64_t taken;
	size_t i, k = 0, n, cap, scap = 0, nv = 0;
	char *cg;
	int rc;

	/* The snapshot gives the group names, in config order. */
	if ((rc = pw_store_snapshot(st, false, &snap)) < 0)
		return rc;
	pw_store_info(st, &taken, &host.mem_total);
	host.ncpu = q->ncpu;
	rc = -ENOMEM;
	if ((groups = calloc(snap->ngroups ? snap->ngroups : 1,
	    sizeof(*groups))) == NULL)
		goto out_free;
	for (i = 0; i < snap->ngroups; i++) {
		rc = pw_store_group_samples(st, snap->groups[i].name,
		    taken - q->window_ms, SIZE_MAX, &g, &n, &cap);
		if (rc == -ENOENT)
			continue;	/* gone in a reload meanwhile */
		if (rc < 0)
			goto out_free;
		if (n >= 2 && (rc = scratch_grow(&s, &t_s, &d, &scap, n)) < 0) {
			free(g);
			goto out_free;
		}
		if (n >= 2) {
			pw_bn_group_fill(&groups[k], snap->groups[i].name, g,
			    n, q->hz, s, t_s, d);
			if (q->cgroup_root != NULL && (cg = group_cgroup(snap,
			    &snap->groups[i])) != NULL) {
				pw_bn_read_limits(q->cgroup_root, cg, &lc,
				    &lm);
				free(cg);
				groups[k].cpu_limit = lc;
				/* The sampler's reading, if any, is as good. */
				if (lm > 0 && (groups[k].mem_limit == 0 ||
				    lm < groups[k].mem_limit))
					groups[k].mem_limit = lm;
			}
			k++;
		}
		free(g);
	}
	if ((rc = pw_bottleneck_rank_groups(groups, k, &host, &v, &nv)) < 0)
		goto out_free;
	*out = v;
	*nout = nv > q->limit ? q->limit : nv;
	rc = 0;
out_free:
	free(d);
	free(t_s);
	free(s);
	free(groups);
	pw_snapshot_free(snap);
	return rc;
}
