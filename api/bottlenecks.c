/*
 * api/bottlenecks.c: GET /api/v1/bottlenecks, what limits each process
 * or target, worst first (procwatch/bottleneck.h), with the churn of
 * short-lived children from the events feed (api/events.c) merged in.
 *
 * The busiest CPU entries are probed for one hot thread (api/threads.c),
 * and a critical one links to where a profile is started.
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
#include <procwatch/monitor.h>
#include <procwatch/store.h>

#include "api/api.h"
#include "api/catalogue.h"
#include "api/events.h"
#include "api/history.h"
#include "api/params.h"
#include "api/routes.h"
#include "api/stats.h"
#include "api/stats_impl.h"

#define BN_DEFAULT_WINDOW_MS	60000
#define BN_DEFAULT_LIMIT	20
#define BN_MAX_LIMIT		10000
#define BN_PROBES		5	/* cpu entries whose threads are read */

struct probe_arg {
	struct api_stats	*st;
	int64_t			 window_ms;
};

static void
probe(void *arg, pid_t pid, struct pw_bn_thread *out)
{
	struct probe_arg *pa = arg;
	struct api_thread_view tv;
	const struct api_thread_row *h;

	if (api_threads_measure(pa->st, pid, pa->window_ms, &tv) < 0 ||
	    tv.n == 0) {
		free(tv.rows);
		return;
	}
	h = &tv.rows[tv.hot];
	out->known = true;
	out->tid = h->tid;
	memcpy(out->name, h->name, sizeof(out->name));
	out->share = h->share;
	out->cpu_percent = h->cpu_pct;
	out->nthreads = tv.n;
	out->basis = h->basis;
	free(tv.rows);
}

/*
 * The query of a request: the host's CPUs from the monitor's procfs root,
 * and cgroup limits only when that root is the real /proc (a fake tree
 * in the tests has no cgroup tree beside it).
 */
static void
bn_query(struct api_stats *st, int64_t window_ms, size_t lim,
    struct probe_arg *pa, struct pw_bn_query *q)
{
	const char *root = pw_monitor_config(st->mon)->proc_root;

	if (root == NULL)
		root = "/proc";
	memset(q, 0, sizeof(*q));
	q->window_ms = window_ms;
	q->limit = lim;
	q->ncpu = pw_bn_read_ncpu(root);
	q->cgroup_root = strcmp(root, "/proc") == 0 ? "/sys/fs/cgroup" : NULL;
	q->hz = st->hz;
	q->probe = probe;
	q->arg = pa;
	q->nprobe = BN_PROBES;
}

/* How far back the rings reach: samples kept times the interval. */
static int64_t
ring_ms(struct api_stats *st)
{
	return (int64_t)pw_monitor_config(st->mon)->history *
	    (int64_t)pw_monitor_interval_ms(st->mon);
}

/* The evidence of a growth: the fit, and how it is spread over time. */
static bool
json_growth(cJSON *o, const struct pw_bn_evidence *e)
{
	return api_add_num(o, "span_s", e->shape.span_s) &&
	    api_add_num(o, "growth", e->growth) &&
	    (!e->shape.known ? cJSON_AddNullToObject(o,
	    "slope_per_min_by_third") != NULL :
	    api_add_item(o, "slope_per_min_by_third",
	    cJSON_CreateDoubleArray(e->shape.part_slope, 3)));
}

static cJSON *
json_evidence(const struct pw_bottleneck *b)
{
	const struct pw_bn_evidence *e = &b->ev;
	cJSON *o, *h;
	bool ok = true;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	ok = api_add_num(o, "window_s", e->window_s);
	if (b->is_group)
		ok = ok && api_add_num(o, API_NAME(PROCESSES), e->processes);
	switch (b->type) {
	case PW_BN_CPU:
		ok = ok && api_add_num(o, API_NAME(CPU_SECONDS), e->cpu_s) &&
		    api_add_num(o, "total_cpu_seconds", e->total_cpu_s) &&
		    api_add_num(o, API_NAME(CPU_PERCENT), e->cpu_percent) &&
		    api_add_num(o, "user_share", e->user_share) &&
		    api_add_num(o, API_NAME(CTX_INVOLUNTARY_RATE),
		    e->invol_ctx_rate) &&
		    api_add_num(o, API_NAME(THREADS), e->threads) &&
		    api_add_num(o, "cores", e->cores) &&
		    api_add_num(o, "capacity_cores", e->capacity > 0 ?
		    e->capacity : NAN) &&
		    cJSON_AddStringToObject(o, "capacity_from",
		    e->capacity <= 0 ? "unknown" : e->capacity_is_quota ?
		    "cgroup cpu.max" : "host CPUs") != NULL;
		/* A target has no one thread; its reaped children instead. */
		if (b->is_group) {
			ok = ok && api_add_num(o,
			    API_NAME(CHILDREN_CPU_SECONDS),
			    e->children_cpu_s);
			break;
		}
		if (!ok)
			break;
		if (!e->hot.known) {
			ok = cJSON_AddNullToObject(o, "hot_thread") != NULL;
			break;
		}
		ok = (h = cJSON_AddObjectToObject(o, "hot_thread")) != NULL &&
		    cJSON_AddNumberToObject(h, "tid", (double)e->hot.tid) !=
		    NULL &&
		    cJSON_AddStringToObject(h, "name", e->hot.name) != NULL &&
		    api_add_num(h, "share", e->hot.share) &&
		    api_add_num(h, API_NAME(CPU_PERCENT), e->hot.cpu_percent) &&
		    api_add_num(h, API_NAME(THREADS),
		    (double)e->hot.nthreads) &&
		    cJSON_AddStringToObject(h, "basis", e->hot.basis != NULL ?
		    e->hot.basis : "") != NULL &&
		    cJSON_AddBoolToObject(h, "one_hot_thread",
		    e->hot.nthreads > 1 && e->hot.share >= HOT_SHARE) != NULL;
		break;
	case PW_BN_MEMORY:
		ok = ok && api_add_num(o, API_NAME(RSS_BYTES),
		    (double)e->rss_bytes) &&
		    api_add_num(o, "largest_rss_bytes",
		    (double)e->largest_rss_bytes) &&
		    api_add_num(o, API_NAME(SWAP_BYTES),
		    (double)e->swap_bytes) &&
		    api_add_num(o, "mem_total_bytes", e->mem_total > 0 ?
		    (double)e->mem_total : NAN) &&
		    api_add_num(o, "limit_bytes", e->mem_limit > 0 ?
		    (double)e->mem_limit : NAN) &&
		    cJSON_AddStringToObject(o, "limit_from",
		    e->mem_limit == 0 ? "unknown" : e->limit_is_cgroup ?
		    "cgroup" : "MemTotal") != NULL;
		break;
	case PW_BN_CPU_STARVED:
	case PW_BN_IO_BLOCKED:
	case PW_BN_MEMORY_STALL:
		/* A target's figure is its cgroup's PSI avg10. */
		if (b->is_group) {
			ok = ok && api_add_num(o, "psi_some_avg10",
			    e->psi_some) && (b->type != PW_BN_MEMORY_STALL ||
			    api_add_num(o, "psi_full_avg10", e->psi_full >= 0 ?
			    e->psi_full : NAN));
			break;
		}
		ok = ok && (b->type == PW_BN_MEMORY_STALL ? api_add_num(o,
		    "delay_percent", e->delay_pct) : api_add_num(o,
		    b->type == PW_BN_CPU_STARVED ?
		    API_NAME(CPU_DELAY_PERCENT) : API_NAME(IO_DELAY_PERCENT),
		    e->delay_pct));
		break;
	case PW_BN_OOM:
		ok = ok && api_add_num(o, API_NAME(OOM_KILLS), e->oom_kills) &&
		    api_add_num(o, "limit_bytes", e->mem_limit > 0 ?
		    (double)e->mem_limit : NAN);
		break;
	default:
		ok = ok && cJSON_AddStringToObject(o, "metric",
		    e->metric) != NULL &&
		    api_add_num(o, "slope_per_min", e->trend.slope_per_min) &&
		    api_add_pair(o, "slope_ci95", e->trend.ci_lo,
		    e->trend.ci_hi) &&
		    api_add_num(o, "r2", e->trend.r2) &&
		    api_add_num(o, "points", (double)e->trend.n) &&
		    api_add_num(o, "current", e->current) &&
		    api_add_num(o, "limit", e->limit > 0 ? e->limit : NAN) &&
		    api_add_num(o, "time_to_limit_s", e->time_to_limit_s >= 0 ?
		    e->time_to_limit_s : NAN) && json_growth(o, e);
		if (ok && b->type == PW_BN_LEAK && e->limit > 0)
			ok = cJSON_AddStringToObject(o, "limit_from",
			    e->limit_is_cgroup ? "cgroup" : "MemTotal") != NULL;
		if (ok && !b->is_group && b->type == PW_BN_FDS)
			ok = api_add_num(o, API_NAME(FD_USAGE), e->usage > 0 ?
			    e->usage : NAN);
		if (b->is_group && b->type == PW_BN_FDS)
			ok = ok && api_add_num(o, API_GROUP_KEY(FD_USAGE),
			    e->fd_usage_pid ? e->fd_usage_max : NAN) &&
			    api_add_num(o, "fd_usage_pid", e->fd_usage_pid ?
			    (double)e->fd_usage_pid : NAN);
		break;
	}
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

unsigned
api_stats_bottlenecks(struct api_stats *st, struct pw_events *ev,
    const char *by, const char *window, const char *limit,
    const struct api_past *past, struct cJSON **out, char *err,
    size_t errlen)
{
	struct probe_arg pa = { .st = st };
	struct pw_bn_query q;
	struct pw_bottleneck *v = NULL;
	char purl[64];
	const char *res = "raw";
	int64_t window_ms, until_ms;
	size_t n = 0, lim = BN_DEFAULT_LIMIT, i, j;
	cJSON *o, *arr, *e, *sg;
	bool ok, by_target;
	int rc;

	*out = NULL;
	if (by != NULL && strcmp(by, "process") != 0 &&
	    strcmp(by, "target") != 0)
		return api_fail(err, errlen, HTTP_BAD_REQUEST, "by: expected "
		    "process or target");
	by_target = by != NULL && strcmp(by, "target") == 0;
	if ((rc = (int)api_stats_span(st, window, BN_DEFAULT_WINDOW_MS, past,
	    &window_ms, &until_ms, err, errlen)) != 0)
		return (unsigned)rc;
	/*
	 * A window the rings cannot hold reads the history up to now; a
	 * past window has no live threads to probe or churn to merge.
	 */
	if (until_ms == INT64_MAX && past != NULL &&
	    past->c->history != NULL && window_ms > ring_ms(st))
		until_ms = api_stats_now_ms(st);
	if (until_ms == INT64_MAX)
		past = NULL;
	if (limit != NULL && api_parse_limit(limit, BN_MAX_LIMIT, &lim) < 0)
		return api_fail(err, errlen, HTTP_BAD_REQUEST,
		    "limit: expected an integer from 1 to %d", BN_MAX_LIMIT);
	pa.window_ms = window_ms;
	bn_query(st, window_ms, lim, &pa, &q);
	if (past != NULL) {
		if ((rc = api_hist_rank(past->c, by_target, &q,
		    until_ms, &v, &n, &res, err, errlen)) < 0)
			return rc == -EINVAL ? HTTP_BAD_REQUEST : 500;
	} else if (by_target)
		rc = pw_bottlenecks_by_target(pw_monitor_store(st->mon), &q,
		    &v, &n);
	else
		rc = pw_bottlenecks(pw_monitor_store(st->mon), &q, &v, &n);
	if (past == NULL && rc < 0)
		return api_oom(err, errlen);
	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(o, "by", by_target ? "target" :
	    "process") == NULL ||
	    !api_add_num(o, "window_s", (double)window_ms / 1000.0) ||
	    (past != NULL && (!api_add_time(o, "since", until_ms -
	    window_ms) || !api_add_time(o, "until", until_ms) ||
	    cJSON_AddStringToObject(o, "resolution", res) == NULL)) ||
	    cJSON_AddNumberToObject(o, "count", (double)n) == NULL ||
	    (arr = cJSON_AddArrayToObject(o, "bottlenecks")) == NULL)
		goto out_oom;
	for (i = 0; i < n; i++) {
		if ((e = cJSON_CreateObject()) == NULL)
			goto out_oom;
		if (!cJSON_AddItemToArray(arr, e)) {
			cJSON_Delete(e);
			goto out_oom;
		}
		/* A target's entry names the target and its process count. */
		ok = (v[i].is_group ? cJSON_AddStringToObject(e, "target",
		    v[i].target) != NULL && cJSON_AddNumberToObject(e,
		    API_NAME(PROCESSES), (double)v[i].ev.processes) != NULL :
		    cJSON_AddNumberToObject(e, "pid", (double)v[i].pid) !=
		    NULL &&
		    cJSON_AddStringToObject(e, "name", v[i].name) != NULL &&
		    cJSON_AddStringToObject(e, "target", v[i].target) !=
		    NULL) &&
		    cJSON_AddStringToObject(e, "type",
		    pw_bn_type_name(v[i].type)) != NULL &&
		    cJSON_AddStringToObject(e, "severity",
		    pw_severity_name(v[i].severity)) != NULL &&
		    api_add_num(e, "impact_score", v[i].impact) &&
		    cJSON_AddStringToObject(e, "description",
		    v[i].description) != NULL &&
		    (sg = cJSON_AddArrayToObject(e, "suggestions")) != NULL;
		for (j = 0; ok && j < v[i].nsuggestions; j++)
			ok = cJSON_AddItemToArray(sg,
			    cJSON_CreateString(v[i].suggestions[j]));
		/* A high CPU entry links to where a profile is started. */
		if (ok && !v[i].is_group && v[i].type == PW_BN_CPU &&
		    v[i].severity >= PW_SEV_HIGH) {
			snprintf(purl, sizeof(purl),
			    "/api/v1/processes/%ld/profile", (long)v[i].pid);
			ok = cJSON_AddStringToObject(e, "profile_url", purl) !=
			    NULL;
		}
		if (!ok || !api_add_item(e, "evidence", json_evidence(&v[i])))
			goto out_oom;
	}
	/* A target's CPU already holds its short-lived children's. */
	if (!by_target && past == NULL &&
	    api_events_add_churn(ev, window_ms, lim, o) < 0)
		goto out_oom;
	free(v);
	*out = o;
	return HTTP_OK;
out_oom:
	cJSON_Delete(o);
	free(v);
	return api_oom(err, errlen);
}
