/*
 * bottleneck_entry.c: the entries of one subject (a process or a target),
 * one builder per type: cpu, memory, leak, fds, the stalls (cpu_starved,
 * io_blocked, memory_stall) and oom.
 *
 * DESIGN: a builder appends at most one entry to the caller's array and
 * fills its severity, impact and evidence from the subject's figures and
 * the totals over all subjects; it reads no store and takes no lock.
 * The cpu, leak and memory builders take struct pw__bn_figures, which a
 * process and a group both give, so the two rankings cannot drift apart;
 * fds and pressure differ between the two and have a builder each.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/bottleneck.h>
#include <procwatch/metric.h>
#include <procwatch/psi.h>
#include <procwatch/store.h>

#include "bottleneck_impl.h"

/*
 * Append an entry of `type` to v[*n]: a copy of `id`, which holds the
 * subject (a process or a target) and what every entry of it starts with.
 */
static struct pw_bottleneck *
entry_new(struct pw_bottleneck *v, size_t *n,
    const struct pw_bottleneck *id, enum pw_bn_type type)
{
	struct pw_bottleneck *b = &v[(*n)++];

	*b = *id;
	b->type = type;
	return b;
}

/* The memory a subject may hold: its cgroup's limit, else MemTotal. */
static uint64_t
mem_limit_of(const struct pw__bn_figures *f, const struct pw_bn_host *h,
    bool *is_cgroup)
{
	*is_cgroup = f->mem_limit > 0 && (h->mem_total == 0 ||
	    f->mem_limit < h->mem_total);
	return *is_cgroup ? f->mem_limit : h->mem_total;
}

/* The cpu entry of subject `id`, or NULL when it used too little CPU. */
struct pw_bottleneck *
pw__bn_cpu_entry(struct pw_bottleneck *v, size_t *n,
    const struct pw_bottleneck *id, const struct pw__bn_figures *f,
    const struct pw__bn_totals *tot, const struct pw_bn_host *h)
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
struct pw_bottleneck *
pw__bn_leak_entry(struct pw_bottleneck *v, size_t *n,
    const struct pw_bottleneck *id, const struct pw__bn_figures *f,
    const struct pw_bn_host *h)
{
	struct pw_bottleneck *b;
	uint64_t lim;
	bool cg;

	if (pw_bn_is_sustained(f->rss_trend, f->rss_shape,
	    (double)f->rss_bytes, GROWTH_MIN_RSS)) {
		lim = mem_limit_of(f, h, &cg);
		b = entry_new(v, n, id, PW_BN_LEAK);
		pw__bn_growth_entry(b, f->rss_trend, f->rss_shape,
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
		pw__bn_growth_entry(b, f->threads_trend, f->threads_shape,
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
void
pw__bn_memory_entry(struct pw_bottleneck *v, size_t *n,
    const struct pw_bottleneck *id, const struct pw__bn_figures *f,
    const struct pw__bn_totals *tot, const struct pw_bn_host *h,
    const struct pw_bottleneck *leak, enum pw_severity stall)
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
struct pw_bottleneck *
pw__bn_stall_entry(struct pw_bottleneck *v, size_t *n,
    const struct pw_bottleneck *id, enum pw_bn_type type, double pct,
    double min, enum pw_severity sev)
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

/* The template of a process's entries: see entry_new(). */
void
pw__bn_proc_entry_id(const struct pw_bn_proc *p, struct pw_bottleneck *id)
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
void
pw__bn_proc_fds(struct pw_bottleneck *v, size_t *n,
    const struct pw_bottleneck *id, const struct pw_bn_proc *p)
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
		pw__bn_growth_entry(&g, &p->fds_trend, &p->fds_shape, b->ev.metric,
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

/* The template of a group's entries: see entry_new(). */
void
pw__bn_group_entry_id(const struct pw_bn_group *g,
    struct pw_bottleneck *id)
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
void
pw__bn_group_fds(struct pw_bottleneck *v, size_t *n,
    const struct pw_bottleneck *id, const struct pw_bn_group *g)
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
enum pw_severity
pw__bn_group_pressure(struct pw_bottleneck *v, size_t *n,
    const struct pw_bottleneck *id, const struct pw_bn_group *g)
{
	struct pw_bottleneck *b;
	enum pw_severity ms = PW_SEV_LOW;
	double some = g->psi_mem_some, full = g->psi_mem_full;

	if ((b = pw__bn_stall_entry(v, n, id, PW_BN_CPU_STARVED,
	    g->psi_cpu_some, PW_BN_MIN_DELAY_PCT,
	    pw_bn_cpu_delay_severity(g->psi_cpu_some))) != NULL)
		b->ev.psi_some = g->psi_cpu_some;
	if ((b = pw__bn_stall_entry(v, n, id, PW_BN_IO_BLOCKED, g->psi_io_some,
	    PW_BN_MIN_DELAY_PCT, pw_bn_io_delay_severity(g->psi_io_some))) !=
	    NULL)
		b->ev.psi_some = g->psi_io_some;
	/* "full" alone can start the entry: then some >= full. */
	if (full > some)
		some = full;
	if (some >= PW_BN_MIN_STALL_PCT) {
		ms = pw_bn_mem_stall_severity(some, full);
		b = pw__bn_stall_entry(v, n, id, PW_BN_MEMORY_STALL, some,
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
