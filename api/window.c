/*
 * api/window.c: the statistics of one process's or one target's window,
 * GET /api/v1/processes/{pid}/stats and /api/v1/targets/{name}/stats.
 *
 * Each wanted metric gets a summary, a trend where it has one, and a
 * regression test (Welch's t) against a saved baseline or else the window
 * before; custom series named in ?metrics= get a summary and a trend.
 * The figures come from procwatch/stats.h; this file copies the samples
 * out of the store (api_win_load()) and renders.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <procwatch/custom.h>
#include <procwatch/groupacc.h>
#include <procwatch/monitor.h>
#include <procwatch/stats.h>
#include <procwatch/store.h>

#include "api/api.h"
#include "api/catalogue.h"
#include "api/routes.h"
#include "api/stats.h"
#include "api/stats_impl.h"
#include "api/targets.h"

/* A group's fd_usage, its worst member's. */
#define FD_USAGE_MAX	API_GROUP_KEY(FD_USAGE)

/* Custom series named in ?metrics= ("custom:NAME" or a plain NAME). */
#define CUSTOM_METRICS_MAX	8
struct cnames {
	char	given[CUSTOM_METRICS_MAX][PW_CUSTOM_NAME_MAX + 8];
	char	*name[CUSTOM_METRICS_MAX];	/* into given[], no prefix */
	size_t	n;
};

/* Record a name that is not built in as a custom series; false if bad. */
static bool
custom_metric(const char *p, size_t len, struct cnames *cn)
{
	char *g;
	size_t skip = 0;

	if (cn == NULL || cn->n == CUSTOM_METRICS_MAX ||
	    len >= sizeof(cn->given[0]))
		return false;
	g = cn->given[cn->n];
	memcpy(g, p, len);
	g[len] = '\0';
	if (strncmp(g, "custom:", 7) == 0)
		skip = 7;
	if (!pw_custom_name_valid(g + skip))
		return false;
	cn->name[cn->n++] = g + skip;
	return true;
}

/*
 * A comma-separated list of metric names; NULL or "" selects all the
 * built-in ones.  Names that are not built in go to cn as custom series.
 * For a group, "fd_usage_max" is fd_usage (its worst member's).
 */
static bool
parse_metrics(const char *val, bool want[PW_METRIC_COUNT], char *err,
    size_t errlen, struct cnames *cn, bool group)
{
	enum pw_metric m;
	const char *p = val;
	size_t len, i;

	for (i = 0; i < PW_METRIC_COUNT; i++)
		want[i] = val == NULL || *val == '\0';
	while (val != NULL && *p != '\0') {
		len = strcspn(p, ",");
		if (pw_metric_from_name(p, len, &m) == 0)
			want[m] = true;
		else if (group && len == strlen(FD_USAGE_MAX) &&
		    memcmp(p, FD_USAGE_MAX, len) == 0)
			want[PW_METRIC_FD_USAGE] = true;
		else if (!custom_metric(p, len, cn)) {
			api_fail(err, errlen, HTTP_BAD_REQUEST, "metrics: unknown "
			    "metric \"%.*s\"", (int)(len > 64 ? 64 : len), p);
			return false;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return true;
}

static cJSON *
json_welch(const char *against, const char *name,
    const struct pw_summary *base, const struct pw_welch *w)
{
	cJSON *o;
	bool ok;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	ok = cJSON_AddStringToObject(o, "against", against) != NULL &&
	    (name != NULL ? cJSON_AddStringToObject(o, "baseline", name) !=
	    NULL : true) &&
	    cJSON_AddNumberToObject(o, "baseline_count",
	    (double)base->n) != NULL &&
	    api_add_num(o, "baseline_avg", base->avg) &&
	    api_add_num(o, "change", w->change) &&
	    api_add_num(o, "change_percent", base->avg != 0 ? w->change_pct :
	    NAN) &&
	    api_add_num(o, "t", w->t) && api_add_num(o, "df", w->df) &&
	    api_add_num(o, "p_value", w->p_value) &&
	    cJSON_AddBoolToObject(o, "significant", w->significant) != NULL;
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* --- copying a window out of the store ------------------------------------ */

/* Also frees what load_group_window() copied. */
void
api_win_fini(struct api_win *w)
{
	free(w->s);
	free(w->gs);
	w->s = NULL;
	w->gs = NULL;
}

unsigned
api_win_load(struct api_stats *st, pid_t pid, int64_t window_ms,
    struct api_win *w, char *err, size_t errlen)
{
	struct pw_store *store = pw_monitor_store(st->mon);
	struct pw_snapshot *snap = NULL;
	size_t i;
	int rc;

	memset(w, 0, sizeof(*w));
	if ((rc = pw_store_snapshot_pid(store, pid, &snap)) == -ENOMEM)
		return api_oom(err, errlen);
	if (rc < 0 || snap->n == 0) {
		pw_snapshot_free(snap);
		return api_fail(err, errlen, HTTP_NOT_FOUND,
		    "no process with pid %ld", (long)pid);
	}
	w->view = snap->procs[0];
	snprintf(w->target, sizeof(w->target), "%s", snap->procs[0].target);
	w->view.target = w->target;
	w->view.cmdline = NULL;		/* they point into snap */
	w->view.user = NULL;
	w->view.cgroup = NULL;
	w->mem_total = snap->mem_total;
	pw_snapshot_free(snap);
	if (!w->view.has_sample)
		return HTTP_OK;
	w->end_ms = w->view.latest.ts_ms;
	rc = pw_store_samples(store, w->view.pid, w->end_ms - 2 * window_ms,
	    SIZE_MAX, &w->s, &w->n, &w->cap);
	if (rc == -ENOMEM)
		return api_oom(err, errlen);
	if (rc < 0)
		return api_fail(err, errlen, HTTP_NOT_FOUND,
		    "no process with pid %ld", (long)pid);
	for (i = 0; i < w->n && w->s[i].ts_ms <= w->end_ms - window_ms; i++)
		;
	w->cur = i;
	return HTTP_OK;
}

/* --- one process's window ------------------------------------------------- */

/*
 * Add the summary of each custom series in cn over the window to mo
 * (under the name as given), looked up for the process, then its target,
 * then the host.  Returns an HTTP status; 400 names a series there is not.
 */
static unsigned
add_custom(struct api_stats *st, const struct api_win *w, int64_t window_ms,
    const struct cnames *cn, cJSON *mo, char *err, size_t errlen)
{
	struct pw_summary sum;
	struct pw_trend tr;
	int64_t *ts;
	double *v, *t;
	size_t i, k, j;
	cJSON *mm;
	int rc;

	for (i = 0; i < cn->n; i++) {
		rc = api_custom_points(st->mon, cn->name[i], w->view.id,
		    w->target, w->end_ms - window_ms, &ts, &v, &k);
		if (rc == -ENOENT)
			return api_fail(err, errlen, HTTP_BAD_REQUEST, "metrics: "
			    "unknown metric \"%.64s\" (no such built-in metric "
			    "or custom series)", cn->given[i]);
		if (rc < 0 || (t = malloc((k ? k : 1) * sizeof(*t))) == NULL) {
			free(ts);
			free(v);
			return api_oom(err, errlen);
		}
		for (j = 0; j < k; j++)
			t[j] = (double)(ts[j] - ts[0]) / 1000.0;
		pw_stats_trend(t, v, k, &tr);
		pw_stats_summarize(v, k, v, &sum);	/* permutes v */
		mm = api_json_summary(&sum);
		if (mm != NULL && !cJSON_AddItemToObject(mo, cn->given[i], mm)) {
			cJSON_Delete(mm);
			mm = NULL;
		}
		rc = mm != NULL && (k == 0 || api_add_num(mm, "span_s",
		    t[k - 1] - t[0])) && api_add_item(mm, "trend",
		    api_json_trend(&tr)) && cJSON_AddNullToObject(mm,
		    "regression") != NULL;
		free(t);
		free(ts);
		free(v);
		if (!rc)
			return api_oom(err, errlen);
	}
	return HTTP_OK;
}

/*
 * Metric m of the samples [from, from + n) of w into v (and t_s, seconds
 * after the first), as pw_stats_series() does.  For a group, fd_usage is
 * its worst member's, the fd_usage_max of its own samples.
 */
static size_t
win_series(const struct api_win *w, size_t from, size_t n, enum pw_metric m,
    const struct pw_series_ctx *ctx, double *t_s, double *v)
{
	const struct pw_group_sample *g;
	size_t i, k = 0;

	if (w->gs == NULL || m != PW_METRIC_FD_USAGE)
		return pw_stats_series(w->s + from, n, m, ctx, t_s, v);
	for (i = from; i < from + n; i++) {
		g = &w->gs[i];
		if (g->fd_usage_pid == 0 || (g->flags & PW_GSAMPLE_NO_FDS))
			continue;
		if (t_s != NULL)
			t_s[k] = (double)(g->ts_ms - w->gs[from].ts_ms) /
			    1000.0;
		v[k++] = g->fd_usage_max;
	}
	return k;
}

/*
 * Add the window of w to o: "window_s", "count", "span_s",
 * "window_covered", "from", "to", "capacity", "baseline" (with bl) and
 * "metrics", each wanted metric's summary, span, trend and regression
 * (against bl, else the window before).  Returns an HTTP status; o is
 * the caller's either way.
 */
static unsigned
render_window(struct api_stats *st, const struct api_win *w, int64_t window_ms,
    const bool want[PW_METRIC_COUNT], const struct cnames *cn,
    const struct baseline *bl, cJSON *o, char *err, size_t errlen)
{
	struct pw_series_ctx ctx;
	struct pw_summary sum, prev;
	const struct pw_summary *base;
	struct pw_trend tr;
	struct pw_welch wt;
	double *t, *v;
	size_t k, ncur = w->n - w->cur;
	cJSON *mo, *mm;
	unsigned m, status = HTTP_OK;
	bool ok, trend;

	t = malloc((w->n ? w->n : 1) * sizeof(*t));
	v = malloc((w->n ? w->n : 1) * sizeof(*v));
	ctx.mem_total = w->mem_total;
	ctx.fd_limit = w->view.fd_limit;
	if (t == NULL || v == NULL)
		goto out_oom;
	ok = api_add_num(o, "window_s", (double)window_ms / 1000.0) &&
	    cJSON_AddNumberToObject(o, "count", (double)ncur) != NULL &&
	    api_add_num(o, "span_s", ncur > 0 ? (double)(w->s[w->n - 1].ts_ms -
	    w->s[w->cur].ts_ms) / 1000.0 : 0) &&
	    /* The ring (or the process's life) may not reach back that far. */
	    cJSON_AddBoolToObject(o, "window_covered", w->cur > 0 ||
	    (ncur > 0 && w->s[w->cur].ts_ms <= w->end_ms - window_ms +
	    (int64_t)pw_monitor_interval_ms(st->mon))) != NULL &&
	    api_add_time(o, "from", ncur > 0 ? w->s[w->cur].ts_ms : 0) &&
	    api_add_time(o, "to", ncur > 0 ? w->end_ms : 0) &&
	    cJSON_AddNumberToObject(o, "capacity", (double)w->cap) != NULL &&
	    cJSON_AddStringToObject(o, "source", "memory") != NULL &&
	    cJSON_AddStringToObject(o, "resolution", "raw") != NULL &&
	    (bl == NULL || cJSON_AddStringToObject(o, "baseline",
	    bl->name) != NULL) &&
	    (mo = cJSON_AddObjectToObject(o, "metrics")) != NULL;
	if (!ok)
		goto out_oom;
	for (m = 0; m < PW_METRIC_COUNT; m++) {
		if (!want[m])
			continue;
		/* A process's own figures (delays) have no group value. */
		if (w->gs != NULL &&
		    !(pw_metric_def(m)->flags & PW_MF_GROUP))
			continue;
		/* A group's fd_usage is its worst member's, with a trend. */
		trend = pw_metric_has_trend(m) ||
		    (w->gs != NULL && m == PW_METRIC_FD_USAGE);
		k = win_series(w, w->cur, ncur, m, &ctx, t, v);
		pw_stats_trend(t, v, k, &tr);
		pw_stats_summarize(v, k, v, &sum);	/* permutes v */
		if ((mm = api_json_summary(&sum)) == NULL)
			goto out_oom;
		if (!cJSON_AddItemToObject(mo, w->gs != NULL &&
		    m == PW_METRIC_FD_USAGE ? FD_USAGE_MAX : pw_metric_name(m),
		    mm)) {
			cJSON_Delete(mm);
			goto out_oom;
		}
		if (k > 0 && !api_add_num(mm, "span_s", t[k - 1] - t[0]))
			goto out_oom;
		if (trend && !api_add_item(mm, "trend", api_json_trend(&tr)))
			goto out_oom;
		/* Regression: against the baseline, else the window before. */
		if (bl != NULL) {
			base = &bl->m[m];
		} else {
			k = win_series(w, 0, w->cur, m, &ctx, NULL, v);
			pw_stats_summarize(v, k, v, &prev);
			base = &prev;
		}
		if (pw_stats_welch(&sum, base, &wt) == 0) {
			if (!api_add_item(mm, "regression",
			    json_welch(bl != NULL ? "baseline" :
			    "previous_window", bl != NULL ? bl->name : NULL,
			    base, &wt)))
				goto out_oom;
		} else if (cJSON_AddNullToObject(mm, "regression") == NULL)
			goto out_oom;
	}
	if (cn->n > 0)
		status = add_custom(st, w, window_ms, cn, mo, err, errlen);
	free(t);
	free(v);
	return status;
out_oom:
	free(t);
	free(v);
	return api_oom(err, errlen);
}

/*
 * Does the ring fall short of the window where the history may not?  It
 * is full (older samples were dropped) and its oldest is after the
 * window's start.
 */
static bool
ring_short(const struct api_stats *st, const struct api_win *w,
    int64_t window_ms)
{
	return w->cur == 0 && w->n > 0 && w->n >= w->cap &&
	    w->s[0].ts_ms > w->end_ms - window_ms +
	    (int64_t)pw_monitor_interval_ms(st->mon);
}

/* A past window, or one the ring falls short of: from the history. */
static unsigned
stats_from_history(struct api_stats *st, const struct api_past *past,
    pid_t pid, const char *target, int64_t window_ms, int64_t until_ms,
    const bool *want, const struct cnames *cn, struct cJSON **out,
    char *err, size_t errlen)
{
	cJSON *o;
	unsigned status;

	if (cn->n > 0)
		return api_fail(err, errlen, HTTP_BAD_REQUEST, "metrics: "
		    "custom series (\"%.64s\") are summarised from memory "
		    "only; leave out until", cn->given[0]);
	if ((o = cJSON_CreateObject()) == NULL)
		return api_oom(err, errlen);
	status = api_win_hist(st, past, pid, target, window_ms, until_ms,
	    want, o, err, errlen);
	if (status == HTTP_OK)
		*out = o;
	else
		cJSON_Delete(o);
	return status;
}

unsigned
api_stats_process(struct api_stats *st, pid_t pid, const char *window,
    const char *metrics, const char *baseline, const struct api_past *past,
    struct cJSON **out, char *err, size_t errlen)
{
	struct cnames cn;
	bool want[PW_METRIC_COUNT];
	struct baseline *bl = NULL;
	struct api_win w;
	int64_t window_ms, until_ms;
	cJSON *o;
	unsigned status;

	*out = NULL;
	if ((status = api_stats_span(st, window, API_STATS_DEFAULT_WINDOW_MS,
	    past, &window_ms, &until_ms, err, errlen)) != 0)
		return status;
	memset(&cn, 0, sizeof(cn));
	if (!parse_metrics(metrics, want, err, errlen, &cn, false))
		return HTTP_BAD_REQUEST;
	if (until_ms != INT64_MAX)
		return stats_from_history(st, past, pid, NULL, window_ms,
		    until_ms, want, &cn, out, err, errlen);
	if (baseline != NULL) {
		/* A copy: the mutex is not held while rendering. */
		if ((bl = malloc(sizeof(*bl))) == NULL)
			return api_oom(err, errlen);
		if (api_stats_baseline_get(st, baseline, bl) < 0) {
			free(bl);
			return api_fail(err, errlen, HTTP_NOT_FOUND,
			    "baseline: no baseline named \"%.64s\"", baseline);
		}
	}
	if ((status = api_win_load(st, pid, window_ms, &w, err, errlen)) !=
	    HTTP_OK)
		goto out_bl;
	if (past != NULL && past->c->history != NULL &&
	    ring_short(st, &w, window_ms)) {
		until_ms = w.end_ms;
		api_win_fini(&w);
		status = stats_from_history(st, past, pid, NULL, window_ms,
		    until_ms, want, &cn, out, err, errlen);
		goto out_bl;
	}
	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddNumberToObject(o, "pid", (double)w.view.pid) == NULL ||
	    cJSON_AddStringToObject(o, "name", w.view.name) == NULL ||
	    cJSON_AddStringToObject(o, "target", w.target) == NULL)
		status = api_oom(err, errlen);
	else
		status = render_window(st, &w, window_ms, want, &cn, bl, o, err,
		    errlen);
	if (status == HTTP_OK)
		*out = o;
	else
		cJSON_Delete(o);
	api_win_fini(&w);
out_bl:
	free(bl);
	return status;
}

/* --- one target's window -------------------------------------------------- */

/*
 * Copy the aggregate samples of group `name` for (end - 2 window, end],
 * end being its newest sample, converted into w->s.  Returns an HTTP
 * status.
 */
static unsigned
load_group_window(struct api_stats *st, const char *name, int64_t window_ms,
    struct api_win *w, char *err, size_t errlen)
{
	struct pw_store *store = pw_monitor_store(st->mon);
	struct pw_group_sample *newest = NULL;
	size_t n, i;
	int rc;

	memset(w, 0, sizeof(*w));
	snprintf(w->target, sizeof(w->target), "%s", name);
	w->view.target = w->target;
	pw_store_info(store, NULL, &w->mem_total);
	/* The newest first, for the end of the window. */
	rc = pw_store_group_samples(store, name, INT64_MIN, 1, &newest, &n,
	    &w->cap);
	if (rc == -ENOMEM)
		return api_oom(err, errlen);
	if (rc < 0)
		goto out_unknown;
	if (n == 0) {			/* before its first cycle */
		free(newest);
		return HTTP_OK;
	}
	w->end_ms = newest[0].ts_ms;
	free(newest);
	rc = pw_store_group_samples(store, name, w->end_ms - 2 * window_ms,
	    SIZE_MAX, &w->gs, &w->n, &w->cap);
	if (rc == -ENOMEM)
		return api_oom(err, errlen);
	if (rc < 0)
		goto out_unknown;	/* gone in a reload meanwhile */
	/* A cycle may have been committed between the two copies. */
	if (w->n > 0)
		w->end_ms = w->gs[w->n - 1].ts_ms;
	if ((w->s = malloc((w->n ? w->n : 1) * sizeof(*w->s))) == NULL) {
		api_win_fini(w);
		return api_oom(err, errlen);
	}
	for (i = 0; i < w->n; i++)
		pw_group_sample_as_sample(&w->gs[i], &w->s[i]);
	for (i = 0; i < w->n && w->s[i].ts_ms <= w->end_ms - window_ms; i++)
		;
	w->cur = i;
	return HTTP_OK;
out_unknown:
	api_win_fini(w);
	return api_fail(err, errlen, HTTP_NOT_FOUND, "no target named \"%s\"",
	    name);
}

unsigned
api_stats_target(struct api_stats *st, const char *name, size_t name_len,
    const char *window, const char *metrics, const struct api_past *past,
    struct cJSON **out, char *err, size_t errlen)
{
	char want_name[API_TARGET_NAME_MAX + 1];
	struct cnames cn;
	bool want[PW_METRIC_COUNT];
	struct api_win w;
	int64_t window_ms, until_ms;
	cJSON *o;
	unsigned status;

	*out = NULL;
	if ((status = api_target_name(name, name_len, want_name, err,
	    errlen)) != 0)
		return status;
	if ((status = api_stats_span(st, window, API_STATS_DEFAULT_WINDOW_MS,
	    past, &window_ms, &until_ms, err, errlen)) != 0)
		return status;
	memset(&cn, 0, sizeof(cn));
	if (!parse_metrics(metrics, want, err, errlen, &cn, true))
		return HTTP_BAD_REQUEST;
	if (until_ms != INT64_MAX)
		return stats_from_history(st, past, 0, want_name, window_ms,
		    until_ms, want, &cn, out, err, errlen);
	if ((status = load_group_window(st, want_name, window_ms, &w, err,
	    errlen)) != HTTP_OK)
		return status;
	if (past != NULL && past->c->history != NULL &&
	    ring_short(st, &w, window_ms)) {
		until_ms = w.end_ms;
		api_win_fini(&w);
		return stats_from_history(st, past, 0, want_name, window_ms,
		    until_ms, want, &cn, out, err, errlen);
	}
	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(o, "name", w.target) == NULL ||
	    (w.n > 0 ? cJSON_AddNumberToObject(o, API_NAME(PROCESSES),
	    (double)w.gs[w.n - 1].processes) : cJSON_AddNullToObject(o,
	    API_NAME(PROCESSES))) == NULL)
		status = api_oom(err, errlen);
	else
		status = render_window(st, &w, window_ms, want, &cn, NULL, o,
		    err, errlen);
	if (status == HTTP_OK)
		*out = o;
	else
		cJSON_Delete(o);
	api_win_fini(&w);
	return status;
}
