/*
 * api/history_rank.c: the bottlenecks of a past window: samples rebuilt
 * from the rows on disk and ranked by lib/bottleneck.c.
 *
 * DESIGN: split from api/history.c.  The ranking is pw_bottleneck_rank(),
 * the one the live view's store query uses; only the samples come from
 * disk, rebuilt from each cycle's rows.
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

int
api_hist_rank(struct api_ctx *c, bool by_target, const struct pw_bn_query *bq,
    int64_t until_ms, struct pw_bottleneck **out, size_t *nout, char *err,
    size_t errlen)
{
	int64_t window_ms = bq->window_ms;
	size_t limit = bq->limit;
	struct pw_bn_host host;
	struct pw_hist_cursor *cur = NULL;
	const struct pw_hist_cycle *cyc;
	const struct pw_hist_ident *id;
	struct pw_bn_proc *procs = NULL;
	struct pw_bottleneck *v = NULL;
	struct bn_set set = { NULL, 0, 0 };
	double *t_s = NULL, *vv = NULL;
	const double *row;
	int64_t since, ts;
	size_t i, ns, ncols, most = 0, n = 0, nv = 0;
	int rc;

	*out = NULL;
	*nout = 0;
	since = until_ms - window_ms;
	if (c->history == NULL) {
		api_hist_need_history(c, "until", err, errlen);
		return -EINVAL;
	}
	if (by_target) {
		api_fail(err, errlen, HTTP_BAD, "until: a past window is "
		    "ranked by process only; leave out by=target");
		return -EINVAL;
	}
	if ((rc = pw_hist_cursor_new(c->history, since > 0 ? since - 1 : 0,
	    &cur)) < 0)
		goto out;
	while ((rc = pw_hist_cursor_next(cur, &cyc)) == 1) {
		if ((ts = pw_hist_cycle_ts(cyc)) < since)
			continue;
		if (ts > until_ms)
			break;
		ns = pw_hist_cycle_nseries(cyc);
		for (i = 0; i < ns; i++) {
			row = pw_hist_cycle_series(cyc, i, &id, &ncols);
			if (id->kind == PW_HIST_PROC &&
			    (rc = bn_add(&set, ts, id, row, ncols)) < 0)
				goto out;
		}
	}
	if (rc < 0)
		goto out;
	for (i = 0; i < set.n; i++)
		if (set.v[i].n > most)
			most = set.v[i].n;
	rc = -ENOMEM;
	if (set.n > 0 && ((procs = calloc(set.n, sizeof(*procs))) == NULL ||
	    (t_s = calloc(most, sizeof(*t_s))) == NULL ||
	    (vv = calloc(most, sizeof(*vv))) == NULL))
		goto out;
	for (i = 0; i < set.n; i++) {
		if (set.v[i].n < 2)
			continue;
		pw_bn_proc_fill(&procs[n++], set.v[i].name, set.v[i].target,
		    set.v[i].pid, set.v[i].fd_limit, set.v[i].start_ms,
		    set.v[i].s, set.v[i].n, t_s, vv);
	}
	memset(&host, 0, sizeof(host));
	pw_store_info(pw_monitor_store(c->mon), NULL, &host.mem_total);
	host.ncpu = bq->ncpu;
	if ((rc = pw_bottleneck_rank(procs, n, &host, &v, &nv)) < 0)
		goto out;
	*out = v;
	*nout = nv < limit ? nv : limit;
	rc = 0;
out:
	if (rc == -ENOMEM)
		api_oom(err, errlen);
	else if (rc < 0 && rc != -EINVAL)
		api_fail(err, errlen, HTTP_INTERNAL, "history: %s",
		    strerror(-rc));
	free(vv);
	free(t_s);
	free(procs);
	bn_set_fini(&set);
	pw_hist_cursor_free(cur);
	return rc;
}
