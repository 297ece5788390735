/*
 * api/history_rank.c: the bottlenecks of a past window: samples rebuilt
 * from the rows on disk and ranked by lib/bottleneck.c.
 *
 * DESIGN: split from api/history.c.  The ranking is pw_bottleneck_rank()
 * (by target pw_bottleneck_rank_groups()), the one the live view's store
 * query uses; only the samples come from disk, rebuilt from each cycle's
 * rows.  A window of more than RANK_RAW_POINTS cycles, or one reaching
 * back beyond the raw tier, is read from the minute (or hour) tier with
 * pw_history_scan(): a bucket's means stand for its samples, so CPU
 * seconds and the leak rule's trend come from the minute means over
 * hours, at a cost of a sample per process per minute; the newest
 * minutes, not rolled up yet, come from the raw cycles after them.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <procwatch/bottleneck.h>
#include <procwatch/metric.h>
#include <procwatch/monitor.h>
#include <procwatch/psi.h>
#include <procwatch/store.h>
#include <procwatch/timespec.h>

#include "api/api.h"
#include "api/buf.h"
#include "api/catalogue.h"
#include "api/history.h"
#include "api/history_impl.h"
#include "api/routes.h"
#include "api/targets.h"
#include "lib/history.h"

/* --- bottlenecks of a past window ------------------------------------------ */

/* Raw cycles a ranking reads at most; longer windows read the minutes. */
#define RANK_RAW_POINTS	900

/* One process's samples over the window, rebuilt from its rows. */
struct bn_series {
	pid_t			 pid;
	int64_t			 start_ms;
	char			 name[17];
	char			 target[PW_BN_TARGET_MAX];
	uint64_t		 fd_limit;
	struct pw_sample	*s;
	size_t			 n, cap;
};

static double
rowv(const double *v, size_t ncols, enum pw_metric m)
{
	return (size_t)m < ncols ? v[m] : NAN;
}

static uint64_t
rowu(const double *v, size_t ncols, enum pw_metric m)
{
	double x = rowv(v, ncols, m);

	return isfinite(x) && x > 0 ? (uint64_t)x : 0;
}

/* A delay share from its row; unknown: its NO_ flag. */
static void
delay_from_row(struct pw_sample *s, const double *v, size_t ncols,
    enum pw_metric m, double *pct, unsigned no_flag)
{
	double x = rowv(v, ncols, m);

	if (isnan(x))
		s->flags |= no_flag;
	else
		*pct = x;
}

/* The fields the bottleneck figures read, from a sample's rows. */
static void
sample_from_rows(struct pw_sample *s, int64_t ts, const double *v,
    size_t ncols)
{
	double u = rowv(v, ncols, PW_METRIC_CPU_USER_PERCENT);
	double sy = rowv(v, ncols, PW_METRIC_CPU_SYSTEM_PERCENT);

	memset(s, 0, sizeof(*s));
	s->ts_ms = ts;
	/* No rate across a gap: the sample after it has none. */
	if (isnan(u) || isnan(sy))
		s->flags |= PW_SAMPLE_FIRST;
	s->cpu_user_pct = isnan(u) ? 0 : u;
	s->cpu_system_pct = isnan(sy) ? 0 : sy;
	s->rss_bytes = rowu(v, ncols, PW_METRIC_RSS_BYTES);
	s->vms_bytes = rowu(v, ncols, PW_METRIC_VMS_BYTES);
	s->swap_bytes = rowu(v, ncols, PW_METRIC_SWAP_BYTES);
	s->ctx_voluntary = rowu(v, ncols, PW_METRIC_CTX_VOLUNTARY);
	s->ctx_involuntary = rowu(v, ncols, PW_METRIC_CTX_INVOLUNTARY);
	s->minor_faults = rowu(v, ncols, PW_METRIC_MINOR_FAULTS);
	s->major_faults = rowu(v, ncols, PW_METRIC_MAJOR_FAULTS);
	s->read_bytes = rowu(v, ncols, PW_METRIC_READ_BYTES);
	s->write_bytes = rowu(v, ncols, PW_METRIC_WRITE_BYTES);
	if (isnan(rowv(v, ncols, PW_METRIC_READ_BYTES)))
		s->flags |= PW_SAMPLE_NO_IO;
	if (isnan(rowv(v, ncols, PW_METRIC_OPEN_FDS)))
		s->flags |= PW_SAMPLE_NO_FDS;
	s->open_fds = (uint32_t)rowu(v, ncols, PW_METRIC_OPEN_FDS);
	delay_from_row(s, v, ncols, PW_METRIC_CPU_DELAY_PERCENT,
	    &s->cpu_delay_pct, PW_SAMPLE_NO_CPU_DELAY);
	delay_from_row(s, v, ncols, PW_METRIC_IO_DELAY_PERCENT,
	    &s->io_delay_pct, PW_SAMPLE_NO_IO_DELAY);
	delay_from_row(s, v, ncols, PW_METRIC_SWAPIN_DELAY_PERCENT,
	    &s->swapin_delay_pct, PW_SAMPLE_NO_MEM_DELAY);
	delay_from_row(s, v, ncols, PW_METRIC_MEMORY_DELAY_PERCENT,
	    &s->mem_delay_pct, PW_SAMPLE_NO_MEM_DELAY);
	s->threads = (uint32_t)rowu(v, ncols, PW_METRIC_THREADS);
	s->state = PW_STATE_UNKNOWN;
}

struct bn_set {
	struct bn_series	*v;		/* ordered by (pid, start) */
	size_t			 n, cap;
};

static struct bn_series *
bn_find(struct bn_set *set, pid_t pid, int64_t start_ms)
{
	size_t lo = 0, hi = set->n, mid;
	struct bn_series *nv;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (set->v[mid].pid < pid || (set->v[mid].pid == pid &&
		    set->v[mid].start_ms < start_ms))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < set->n && set->v[lo].pid == pid &&
	    set->v[lo].start_ms == start_ms)
		return &set->v[lo];
	if (set->n == set->cap) {
		if ((nv = realloc(set->v, (set->cap ? set->cap * 2 : 64) *
		    sizeof(*nv))) == NULL)
			return NULL;
		set->v = nv;
		set->cap = set->cap ? set->cap * 2 : 64;
	}
	memmove(&set->v[lo + 1], &set->v[lo], (set->n - lo) *
	    sizeof(*set->v));
	memset(&set->v[lo], 0, sizeof(*set->v));
	set->v[lo].pid = pid;
	set->v[lo].start_ms = start_ms;
	set->n++;
	return &set->v[lo];
}

static void
bn_set_fini(struct bn_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		free(set->v[i].s);
	free(set->v);
}

static int
bn_add(struct bn_set *set, int64_t ts, const struct pw_hist_ident *id,
    const double *v, size_t ncols)
{
	struct bn_series *b;
	struct pw_sample *ns;

	if ((b = bn_find(set, id->pid, id->start_time_ms)) == NULL)
		return -ENOMEM;
	if (b->n == b->cap) {
		if ((ns = realloc(b->s, (b->cap ? b->cap * 2 : 64) *
		    sizeof(*ns))) == NULL)
			return -ENOMEM;
		b->s = ns;
		b->cap = b->cap ? b->cap * 2 : 64;
	}
	sample_from_rows(&b->s[b->n++], ts, v, ncols);
	snprintf(b->name, sizeof(b->name), "%s", id->name);
	snprintf(b->target, sizeof(b->target), "%s", id->target);
	b->fd_limit = rowu(v, ncols, PW_METRIC_FD_LIMIT);
	return 0;
}

/* One target's samples over the window, rebuilt from its group rows. */
struct gn_series {
	char			 name[PW_BN_TARGET_MAX];
	struct pw_group_sample	*g;
	size_t			 n, cap;
};

struct gn_set {
	struct gn_series	*v;
	size_t			 n, cap;
};

static void
gn_set_fini(struct gn_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		free(set->v[i].g);
	free(set->v);
}

/* Targets are few: a linear search. */
static struct gn_series *
gn_find(struct gn_set *set, const char *name)
{
	struct gn_series *nv;
	size_t i;

	for (i = 0; i < set->n; i++)
		if (strcmp(set->v[i].name, name) == 0)
			return &set->v[i];
	if (set->n == set->cap) {
		if ((nv = realloc(set->v, (set->cap ? set->cap * 2 : 8) *
		    sizeof(*nv))) == NULL)
			return NULL;
		set->v = nv;
		set->cap = set->cap ? set->cap * 2 : 8;
	}
	memset(&set->v[set->n], 0, sizeof(*set->v));
	snprintf(set->v[set->n].name, sizeof(set->v[0].name), "%s", name);
	return &set->v[set->n++];
}

static uint64_t
ticks(const double *v, size_t ncols, enum pw_metric m, long hz)
{
	double x = rowv(v, ncols, m);

	return isfinite(x) && x > 0 ? (uint64_t)llround(x * (double)hz) : 0;
}

/*
 * The fields the group figures read, from a group's rows.  The worst
 * member's pid is not kept (fd_usage_pid 0: unknown), nor the cgroup's
 * pressure; its memory limit is.
 */
static void
group_from_rows(struct pw_group_sample *g, int64_t ts, const double *v,
    size_t ncols, long hz)
{
	double u = rowv(v, ncols, PW_METRIC_CPU_USER_PERCENT);
	double sy = rowv(v, ncols, PW_METRIC_CPU_SYSTEM_PERCENT);
	uint64_t lim = rowu(v, ncols, PW_METRIC_CGROUP_MEMORY_LIMIT);

	memset(g, 0, sizeof(*g));
	g->ts_ms = ts;
	g->processes = (uint32_t)rowu(v, ncols, PW_METRIC_PROCESSES);
	g->threads = (uint32_t)rowu(v, ncols, PW_METRIC_THREADS);
	if (isnan(u) || isnan(sy) ||
	    isnan(rowv(v, ncols, PW_METRIC_CPU_USER_SECONDS)))
		g->flags |= PW_GSAMPLE_NO_CPU;
	g->cpu_user_ticks = ticks(v, ncols, PW_METRIC_CPU_USER_SECONDS, hz);
	g->cpu_system_ticks = ticks(v, ncols, PW_METRIC_CPU_SYSTEM_SECONDS,
	    hz);
	g->children_ticks = ticks(v, ncols, PW_METRIC_CHILDREN_CPU_SECONDS,
	    hz);
	g->cpu_user_pct = isnan(u) ? 0 : u;
	g->cpu_system_pct = isnan(sy) ? 0 : sy;
	g->rss_bytes = rowu(v, ncols, PW_METRIC_RSS_BYTES);
	g->vms_bytes = rowu(v, ncols, PW_METRIC_VMS_BYTES);
	g->swap_bytes = rowu(v, ncols, PW_METRIC_SWAP_BYTES);
	g->open_fds = rowu(v, ncols, PW_METRIC_OPEN_FDS);
	if (isnan(rowv(v, ncols, PW_METRIC_OPEN_FDS)))
		g->flags |= PW_GSAMPLE_NO_FDS;
	g->read_bytes = rowu(v, ncols, PW_METRIC_READ_BYTES);
	g->write_bytes = rowu(v, ncols, PW_METRIC_WRITE_BYTES);
	if (isnan(rowv(v, ncols, PW_METRIC_READ_BYTES)))
		g->flags |= PW_GSAMPLE_NO_IO;
	g->ctx_voluntary = rowu(v, ncols, PW_METRIC_CTX_VOLUNTARY);
	g->ctx_involuntary = rowu(v, ncols, PW_METRIC_CTX_INVOLUNTARY);
	g->minor_faults = rowu(v, ncols, PW_METRIC_MINOR_FAULTS);
	g->major_faults = rowu(v, ncols, PW_METRIC_MAJOR_FAULTS);
	g->exited = (uint32_t)rowu(v, ncols, PW_METRIC_EXITED);
	g->oom_kills = rowu(v, ncols, PW_METRIC_OOM_KILLS);
	g->cg.psi_why = PW_CGW_UNREADABLE;
	g->cg.mem_why = lim > 0 ? PW_CGW_OK : PW_CGW_UNREADABLE;
	g->cg.has_limit = lim > 0;
	g->cg.limit_bytes = lim;
}

static int
gn_add(struct gn_set *set, int64_t ts, const struct pw_hist_ident *id,
    const double *v, size_t ncols, long hz)
{
	struct gn_series *b;
	struct pw_group_sample *ng;

	if ((b = gn_find(set, id->name)) == NULL)
		return -ENOMEM;
	if (b->n == b->cap) {
		if ((ng = realloc(b->g, (b->cap ? b->cap * 2 : 64) *
		    sizeof(*ng))) == NULL)
			return -ENOMEM;
		b->g = ng;
		b->cap = b->cap ? b->cap * 2 : 64;
	}
	group_from_rows(&b->g[b->n++], ts, v, ncols, hz);
	return 0;
}

/* What a scan of the window gathers. */
struct rank_scan {
	bool		 by_target;
	long		 hz;
	int64_t		 shift_ms;	/* a tier's width: stamp at the end */
	int64_t		 last_ms;	/* the newest stamp seen */
	struct bn_set	 procs;
	struct gn_set	 groups;
};

static int
rank_cycle(void *arg, const struct pw_hist_cycle *cyc)
{
	struct rank_scan *rs = arg;
	const struct pw_hist_ident *id;
	const double *row;
	int64_t ts = pw_hist_cycle_ts(cyc) + rs->shift_ms;
	size_t i, ns = pw_hist_cycle_nseries(cyc), ncols;
	int rc = 0;

	/*
	 * A bucket's means stand at its end: the CPU % of the pair ending
	 * there then counts over the bucket (pw_stats_cpu_seconds()).
	 */
	if (ts > rs->last_ms)
		rs->last_ms = ts;

	for (i = 0; i < ns && rc == 0; i++) {
		row = pw_hist_cycle_series(cyc, i, &id, &ncols);
		if (!rs->by_target && id->kind == PW_HIST_PROC)
			rc = bn_add(&rs->procs, ts, id, row, ncols);
		else if (rs->by_target && id->kind == PW_HIST_GROUP)
			rc = gn_add(&rs->groups, ts, id, row, ncols, rs->hz);
	}
	return rc;
}

/* The ranking of what the scan gathered. */
static int
rank_sets(struct rank_scan *rs, const struct pw_bn_host *host,
    struct pw_bottleneck **v, size_t *nv)
{
	struct pw_bn_proc *procs = NULL;
	struct pw_bn_group *groups = NULL;
	struct pw_sample *s = NULL;
	double *t_s = NULL, *vv = NULL;
	size_t i, most = 0, n = 0;
	int rc = -ENOMEM;

	for (i = 0; i < rs->procs.n; i++)
		if (rs->procs.v[i].n > most)
			most = rs->procs.v[i].n;
	for (i = 0; i < rs->groups.n; i++)
		if (rs->groups.v[i].n > most)
			most = rs->groups.v[i].n;
	if (most > 0 && ((t_s = calloc(most, sizeof(*t_s))) == NULL ||
	    (vv = calloc(most, sizeof(*vv))) == NULL))
		goto out;
	if (rs->by_target) {
		if (rs->groups.n > 0 && ((groups = calloc(rs->groups.n,
		    sizeof(*groups))) == NULL || (s = calloc(most,
		    sizeof(*s))) == NULL))
			goto out;
		for (i = 0; i < rs->groups.n; i++) {
			if (rs->groups.v[i].n < 2)
				continue;
			pw_bn_group_fill(&groups[n++], rs->groups.v[i].name,
			    rs->groups.v[i].g, rs->groups.v[i].n, rs->hz, s,
			    t_s, vv);
		}
		rc = pw_bottleneck_rank_groups(groups, n, host, v, nv);
		goto out;
	}
	if (rs->procs.n > 0 && (procs = calloc(rs->procs.n,
	    sizeof(*procs))) == NULL)
		goto out;
	for (i = 0; i < rs->procs.n; i++) {
		if (rs->procs.v[i].n < 2)
			continue;
		pw_bn_proc_fill(&procs[n++], rs->procs.v[i].name,
		    rs->procs.v[i].target, rs->procs.v[i].pid,
		    rs->procs.v[i].fd_limit, rs->procs.v[i].start_ms,
		    rs->procs.v[i].s, rs->procs.v[i].n, t_s, vv);
	}
	rc = pw_bottleneck_rank(procs, n, host, v, nv);
out:
	free(s);
	free(groups);
	free(procs);
	free(vv);
	free(t_s);
	return rc;
}

int
api_hist_rank(struct api_ctx *c, bool by_target, const struct pw_bn_query *bq,
    int64_t until_ms, struct pw_bottleneck **out, size_t *nout,
    const char **res_name, char *err, size_t errlen)
{
	struct rank_scan rs;
	struct pw_bn_host host;
	struct pw_bottleneck *v = NULL;
	enum pw_hist_res res;
	int64_t since = until_ms - bq->window_ms;
	size_t nv = 0;
	int rc = 0;

	*out = NULL;
	*nout = 0;
	if (c->history == NULL) {
		api_hist_need_history(c, "until", err, errlen);
		return -EINVAL;
	}
	memset(&rs, 0, sizeof(rs));
	rs.by_target = by_target;
	rs.hz = bq->hz > 0 ? bq->hz : 100;
	/* Every process's samples at once: raw only for short windows. */
	res = api_hist_pick_res(c->history, since, until_ms,
	    (int64_t)pw_monitor_interval_ms(c->mon), RANK_RAW_POINTS);
	*res_name = api_hist_res_names[res];
	/* Until is inclusive here: the window's last cycle is at until. */
	rs.shift_ms = res == PW_HIST_1M ? 60000 : res == PW_HIST_1H ?
	    3600000 : 0;
	/* Buckets that end by until; the rest is the raw tail's. */
	if (until_ms + 1 - rs.shift_ms > since &&
	    (rc = pw_history_scan(c->history, res, since,
	    until_ms + 1 - rs.shift_ms, rank_cycle, &rs)) < 0)
		goto out;
	/* The newest part, not rolled up yet: raw cycles after the last. */
	if (res != PW_HIST_RAW && (rs.last_ms == 0 || rs.last_ms <= until_ms)) {
		rs.shift_ms = 0;
		if ((rc = pw_history_scan(c->history, PW_HIST_RAW,
		    rs.last_ms != 0 ? rs.last_ms : since, until_ms + 1,
		    rank_cycle, &rs)) < 0)
			goto out;
	}
	memset(&host, 0, sizeof(host));
	pw_store_info(pw_monitor_store(c->mon), NULL, &host.mem_total);
	host.ncpu = bq->ncpu;
	if ((rc = rank_sets(&rs, &host, &v, &nv)) < 0)
		goto out;
	*out = v;
	*nout = nv < bq->limit ? nv : bq->limit;
out:
	if (rc == -ENOMEM)
		api_oom(err, errlen);
	else if (rc < 0)
		api_fail(err, errlen, HTTP_INTERNAL, "history: %s",
		    strerror(-rc));
	bn_set_fini(&rs.procs);
	gn_set_fini(&rs.groups);
	return rc;
}
