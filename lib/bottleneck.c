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
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/bottleneck.h>
#include <procwatch/metric.h>
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
pw_bn_cpu_severity(double impact)
{
	if (impact > 0.5)
		return PW_SEV_CRITICAL;
	if (impact > 0.2)
		return PW_SEV_HIGH;
	if (impact > 0.1)
		return PW_SEV_MEDIUM;
	return PW_SEV_LOW;
}

enum pw_severity
pw_bn_memory_severity(double impact)
{
	if (impact > 0.7)
		return PW_SEV_CRITICAL;
	if (impact > 0.4)
		return PW_SEV_HIGH;
	if (impact > 0.2)
		return PW_SEV_MEDIUM;
	return PW_SEV_LOW;
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
	const struct pw_trend	*rss_trend;
	const struct pw_trend	*threads_trend;
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
	.rss_trend = &(x)->rss_trend,					\
	.threads_trend = &(x)->threads_trend,				\
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

bool
pw__bn_is_growth(const struct pw_trend *t, double window_s,
    double min_growth)
{
	return t->valid && t->dir == PW_TREND_GROWING && t->r2 >= PW_BN_MIN_R2 &&
	    t->slope_per_min * window_s / 60.0 >= min_growth;
}

static void
growth_entry(struct pw_bottleneck *b, const struct pw_trend *t,
    const char *metric, double current, double limit)
{
	double rel;

	b->ev.metric = metric;
	b->ev.trend = *t;
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
    const struct figures *f, const struct totals *tot)
{
	struct pw_bottleneck *b;

	if (f->cpu_s < PW_BN_MIN_CPU_S)
		return NULL;
	b = entry_new(v, n, id, PW_BN_CPU);
	/* tot->cpu_s >= cpu_s > 0 here; guard anyway. */
	b->impact = tot->cpu_s > 0 ? f->cpu_s / tot->cpu_s : 0;
	b->severity = pw_bn_cpu_severity(b->impact);
	b->ev.cpu_s = f->cpu_s;
	b->ev.total_cpu_s = tot->cpu_s;
	b->ev.cpu_percent = f->window_s > 0 ?
	    100.0 * f->cpu_s / f->window_s : 0;
	b->ev.user_share = f->cpu_s > 0 ? f->cpu_user_s / f->cpu_s : 0;
	b->ev.invol_ctx_rate = f->invol_ctx_rate;
	b->ev.threads = f->threads;
	return b;
}

/* The memory entry of subject `id`, unless its RSS is too small. */
static void
memory_entry(struct pw_bottleneck *v, size_t *n, const struct pw_bottleneck *id,
    const struct figures *f, const struct totals *tot, uint64_t mem_total)
{
	struct pw_bottleneck *b;

	if (f->rss_bytes < PW_BN_MIN_RSS || tot->largest_rss == 0)
		return;
	b = entry_new(v, n, id, PW_BN_MEMORY);
	b->impact = (double)f->rss_bytes / (double)tot->largest_rss;
	b->severity = pw_bn_memory_severity(b->impact);
	b->ev.rss_bytes = f->rss_bytes;
	b->ev.largest_rss_bytes = tot->largest_rss;
	b->ev.mem_total = mem_total;
	b->ev.swap_bytes = f->swap_bytes;
	b->ev.trend = *f->rss_trend;
}

/*
 * The leak entry of subject `id`, if its RSS grows (against MemTotal)
 * or else its thread count does (no limit).
 */
static void
leak_entry(struct pw_bottleneck *v, size_t *n, const struct pw_bottleneck *id,
    const struct figures *f, uint64_t mem_total)
{
	struct pw_bottleneck *b;

	if (pw__bn_is_growth(f->rss_trend, f->window_s, GROWTH_MIN_RSS)) {
		b = entry_new(v, n, id, PW_BN_LEAK);
		growth_entry(b, f->rss_trend,
		    pw_metric_name(PW_METRIC_RSS_BYTES), (double)f->rss_bytes,
		    (double)mem_total);
		b->ev.mem_total = mem_total;
	} else if (pw__bn_is_growth(f->threads_trend, f->window_s,
	    GROWTH_MIN_N)) {
		b = entry_new(v, n, id, PW_BN_LEAK);
		growth_entry(b, f->threads_trend,
		    pw_metric_name(PW_METRIC_THREADS), f->threads, 0);
	}
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

int
pw_bottleneck_rank(const struct pw_bn_proc *procs, size_t n,
    uint64_t mem_total, struct pw_bottleneck **out, size_t *nout)
{
	struct pw_bottleneck *v, *b, id;
	struct totals tot = { 0, 0 };
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		totals_add(&tot, procs[i].cpu_s, procs[i].rss_bytes);
	/* At most one entry of each type per process. */
	if ((v = calloc(n ? n * 4 : 1, sizeof(*v))) == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const struct pw_bn_proc *p = &procs[i];
		struct figures f = FIGURES_OF(p);

		proc_entry_id(p, &id);
		(void)cpu_entry(v, &k, &id, &f, &tot);
		memory_entry(v, &k, &id, &f, &tot, mem_total);
		if (p->has_fds && pw__bn_is_growth(&p->fds_trend, p->window_s,
		    GROWTH_MIN_N)) {
			b = entry_new(v, &k, &id, PW_BN_FDS);
			growth_entry(b, &p->fds_trend,
			    pw_metric_name(PW_METRIC_OPEN_FDS), p->open_fds,
			    p->fd_limit == UINT64_MAX ? 0 :
			    (double)p->fd_limit);
		}
		leak_entry(v, &k, &id, &f, mem_total);
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

	grows = g->has_fds && pw__bn_is_growth(&g->fds_trend, g->window_s,
	    GROWTH_MIN_N);
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
	b->ev.current = (double)g->open_fds;
	b->ev.time_to_limit_s = ttl;
	b->ev.fd_usage_max = usage;
	b->ev.fd_usage_pid = g->fd_usage_pid;
}

int
pw_bottleneck_rank_groups(const struct pw_bn_group *groups, size_t n,
    uint64_t mem_total, struct pw_bottleneck **out, size_t *nout)
{
	struct pw_bottleneck *v, *b, id;
	struct totals tot = { 0, 0 };
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		totals_add(&tot, groups[i].cpu_s, groups[i].rss_bytes);
	/* At most one entry of each type per group. */
	if ((v = calloc(n ? n * 4 : 1, sizeof(*v))) == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const struct pw_bn_group *g = &groups[i];
		struct figures f = FIGURES_OF(g);

		group_entry_id(g, &id);
		if ((b = cpu_entry(v, &k, &id, &f, &tot)) != NULL)
			b->ev.children_cpu_s = g->children_cpu_s;
		memory_entry(v, &k, &id, &f, &tot, mem_total);
		group_fds(v, &k, &id, g);
		leak_entry(v, &k, &id, &f, mem_total);
	}
	rank_done(v, k, out, nout);
	return 0;
}

/* --- from a store ----------------------------------------------------------- */

/*
 * What samples s[0..n) show over the window, of a process or of a group
 * (as pw_group_sample_as_sample() maps it): the average involuntary
 * context switch rate and the RSS, descriptor and thread trends.  t_s
 * and v are scratch arrays of n doubles.
 */
static void
series_fill(const struct pw_sample *s, size_t n, double *t_s, double *v,
    double *invol_ctx_rate, struct pw_trend *rss_trend,
    struct pw_trend *fds_trend, struct pw_trend *threads_trend)
{
	size_t k, i;
	double sum;

	k = pw_stats_series(s, n, PW_METRIC_CTX_INVOLUNTARY_RATE, NULL, NULL,
	    v);
	for (i = 0, sum = 0; i < k; i++)
		sum += v[i];
	*invol_ctx_rate = k > 0 ? sum / (double)k : 0;
	k = pw_stats_series(s, n, PW_METRIC_RSS_BYTES, NULL, t_s, v);
	pw_stats_trend(t_s, v, k, rss_trend);
	k = pw_stats_series(s, n, PW_METRIC_OPEN_FDS, NULL, t_s, v);
	pw_stats_trend(t_s, v, k, fds_trend);
	k = pw_stats_series(s, n, PW_METRIC_THREADS, NULL, t_s, v);
	pw_stats_trend(t_s, v, k, threads_trend);
}

void
pw_bn_proc_fill(struct pw_bn_proc *p, const char *name, const char *target,
    pid_t pid, uint64_t fd_limit, const struct pw_sample *s, size_t n,
    double *t_s, double *v)
{
	const struct pw_sample *last;

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->target, sizeof(p->target), "%s", target);
	p->fd_limit = fd_limit;
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

	series_fill(s, n, t_s, v, &p->invol_ctx_rate, &p->rss_trend,
	    &p->fds_trend, &p->threads_trend);
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
	    view->pid, view->fd_limit, s, n, w->t_s, w->v);
	return 0;
}

int
pw_bottlenecks(struct pw_store *st, int64_t window_ms, size_t limit,
    pw_bn_thread_fn *probe, void *arg, size_t nprobe,
    struct pw_bottleneck **out, size_t *nout)
{
	struct walk w = { 0 };
	struct pw_bottleneck *v = NULL;
	struct pw_snapshot *snap;
	uint64_t mem_total;
	int64_t taken;
	size_t i, n = 0, probed;
	int rc;

	/* Room for every process alive now, plus some born meanwhile. */
	if ((rc = pw_store_snapshot(st, false, &snap)) < 0)
		return rc;
	w.cap = snap->n + 64;
	for (i = 0; i < snap->n; i++)
		if (snap->procs[i].capacity > w.scratch)
			w.scratch = snap->procs[i].capacity;
	pw_snapshot_free(snap);
	pw_store_info(st, &taken, &mem_total);
	rc = -ENOMEM;
	w.procs = malloc(w.cap * sizeof(*w.procs));
	w.t_s = malloc((w.scratch ? w.scratch : 1) * sizeof(double));
	w.v = malloc((w.scratch ? w.scratch : 1) * sizeof(double));
	if (w.procs == NULL || w.t_s == NULL || w.v == NULL)
		goto out_free;
	if ((rc = pw_store_each(st, taken - window_ms, false, visit, &w)) < 0)
		goto out_free;
	if ((rc = pw_bottleneck_rank(w.procs, w.n, mem_total, &v, &n)) < 0)
		goto out_free;
	if (n > limit)
		n = limit;
	for (i = 0, probed = 0; probe != NULL && i < n && probed < nprobe;
	    i++) {
		if (v[i].type != PW_BN_CPU)
			continue;
		probe(arg, v[i].pid, &v[i].ev.hot);
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

void
pw_bn_group_fill(struct pw_bn_group *p, const char *name,
    const struct pw_group_sample *g, size_t n, long hz, struct pw_sample *s,
    double *t_s, double *v)
{
	const struct pw_group_sample *last;
	uint64_t u = 0, sy = 0, ch = 0;
	size_t k, i;

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
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

	series_fill(s, n, t_s, v, &p->invol_ctx_rate, &p->rss_trend,
	    &p->fds_trend, &p->threads_trend);
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

int
pw_bottlenecks_by_target(struct pw_store *st, int64_t window_ms,
    size_t limit, long hz, struct pw_bottleneck **out, size_t *nout)
{
	struct pw_snapshot *snap;
	struct pw_bn_group *groups = NULL;
	struct pw_group_sample *g;
	struct pw_bottleneck *v = NULL;
	struct pw_sample *s = NULL;
	double *t_s = NULL, *d = NULL;
	uint64_t mem_total;
	int64_t taken;
	size_t i, k = 0, n, cap, scap = 0, nv = 0;
	int rc;

	/* The snapshot gives the group names, in config order. */
	if ((rc = pw_store_snapshot(st, false, &snap)) < 0)
		return rc;
	pw_store_info(st, &taken, &mem_total);
	rc = -ENOMEM;
	if ((groups = calloc(snap->ngroups ? snap->ngroups : 1,
	    sizeof(*groups))) == NULL)
		goto out_free;
	for (i = 0; i < snap->ngroups; i++) {
		rc = pw_store_group_samples(st, snap->groups[i].name,
		    taken - window_ms, SIZE_MAX, &g, &n, &cap);
		if (rc == -ENOENT)
			continue;	/* gone in a reload meanwhile */
		if (rc < 0)
			goto out_free;
		if (n >= 2 && (rc = scratch_grow(&s, &t_s, &d, &scap, n)) < 0) {
			free(g);
			goto out_free;
		}
		if (n >= 2)
			pw_bn_group_fill(&groups[k++], snap->groups[i].name, g,
			    n, hz, s, t_s, d);
		free(g);
	}
	if ((rc = pw_bottleneck_rank_groups(groups, k, mem_total, &v,
	    &nv)) < 0)
		goto out_free;
	*out = v;
	*nout = nv > limit ? limit : nv;
	rc = 0;
out_free:
	free(d);
	free(t_s);
	free(s);
	free(groups);
	pw_snapshot_free(snap);
	return rc;
}
