/*
 * bottleneck_fill.c: the figures a subject is ranked on, from its samples
 * over the window: pw_bn_proc_fill() for a process, pw_bn_group_fill()
 * for a target.
 *
 * DESIGN: the callers run these under the store's read lock (a process)
 * or on a copy (a group), so they only compute: no allocation, the
 * scratch arrays come from the caller.  A group's CPU comes from its
 * cumulative ticks, not its members, so exited members still count.
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
