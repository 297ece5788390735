/*
 * api/stats.c: JSON for the windowed views: per-process statistics with
 * trends and regression tests, averages, bottlenecks, per-thread CPU and
 * saved baselines.
 *
 * Targets as groups get the same statistics and bottlenecks over their
 * rings of aggregate samples (procwatch/groupacc.h).
 *
 * DESIGN: the figures come from lib/ (procwatch/stats.h, bottleneck.h);
 * this file parses parameters, keeps the little state the views need and
 * renders.  That state, under one mutex that is never held across a store
 * call, a /proc read or cJSON:
 *   - baselines: per metric the summary (n, mean, variance ...) of a
 *     window, saved by POST /api/v1/baselines, at most 64, by name;
 *   - the previous /threads reading per pid (tid -> CPU ticks, and when),
 *     so that per-thread CPU % can be measured since the previous request
 *     without blocking an HTTP thread on a second reading.  When there is
 *     no previous reading younger than the window (or it is too young to
 *     measure, under 0.5 s), each thread's CPU % is its average since it
 *     started, and the JSON says which basis was used.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include <procwatch/bottleneck.h>
#include <procwatch/custom.h>
#include <procwatch/groupacc.h>
#include <procwatch/monitor.h>
#include <procwatch/procfs.h>
#include <procwatch/stats.h>
#include <procwatch/store.h>

#include "api/api.h"
#include "api/params.h"
#include "api/stats.h"
#include "api/targets.h"

#define HTTP_OK			200
#define HTTP_CREATED		201
#define HTTP_BAD_REQUEST	400
#define HTTP_NOT_FOUND		404

#define MAX_WINDOW_MS		(30LL * 86400 * 1000)
#define BASELINE_NAME_MAX	64
#define THREADS_MIN_AGE_MS	500
#define BN_DEFAULT_WINDOW_MS	60000
#define BN_DEFAULT_LIMIT	20
#define BN_MAX_LIMIT		10000
#define BN_PROBES		5	/* cpu entries whose threads are read */
#define HOT_SHARE		0.6

#define BASIS_PREV	"since_previous_request"
#define FD_USAGE_MAX	"fd_usage_max"	/* a group's fd_usage */
#define BASIS_START	"since_thread_start"

struct baseline {
	char			 name[BASELINE_NAME_MAX + 1];
	pid_t			 pid;
	char			 proc_name[17];
	int64_t			 window_ms;
	int64_t			 from_ms, to_ms;
	int64_t			 created_ms;
	struct pw_summary	 m[PW_METRIC_COUNT];
};

struct tick {
	pid_t		tid;
	uint64_t	ticks;
};

struct thread_prev {
	pid_t		 pid;		/* 0: free slot */
	int64_t		 ts_ms;
	struct tick	*t;		/* sorted by tid */
	size_t		 n;
};

struct api_stats {
	struct pw_monitor	*mon;
	long			 hz;		/* clock ticks per second */
	api_clock_fn		*clock;		/* NULL: the real clock */
	void			*clock_arg;
	pthread_mutex_t		 mu;
	struct baseline		 bl[API_STATS_MAX_BASELINES];
	size_t			 nbl;
	struct thread_prev	 prev[API_STATS_MAX_THREAD_PIDS];
};

static int64_t
wall_ms(const struct api_stats *st)
{
	return api_now_ms(st->clock, st->clock_arg);
}


struct api_stats *
api_stats_new(struct pw_monitor *mon, long hz, api_clock_fn *clock,
    void *clock_arg)
{
	struct api_stats *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if (pthread_mutex_init(&s->mu, NULL) != 0) {
		free(s);
		return NULL;
	}
	s->mon = mon;
	s->hz = hz;
	s->clock = clock;
	s->clock_arg = clock_arg;
	return s;
}

void
api_stats_free(struct api_stats *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < API_STATS_MAX_THREAD_PIDS; i++)
		free(s->prev[i].t);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* --- parameters ------------------------------------------------------------- */

static bool
parse_window(const char *val, int64_t def, int64_t *ms, char *err,
    size_t errlen)
{
	if (val == NULL) {
		*ms = def;
		return true;
	}
	if (api_parse_duration(val, ms) < 0 || *ms <= 0 ||
	    *ms > MAX_WINDOW_MS) {
		api_fail(err, errlen, HTTP_BAD_REQUEST, "window: expected a "
		    "duration from 1ms to 30d such as 30s, 5m or 1h");
		return false;
	}
	return true;
}

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

/* --- rendering helpers ------------------------------------------------------- */

/* Add a number, or null when it is not finite (JSON has no inf or NaN). */
static bool
add_num(cJSON *o, const char *key, double v)
{
	if (!isfinite(v))
		return cJSON_AddNullToObject(o, key) != NULL;
	return cJSON_AddNumberToObject(o, key, v) != NULL;
}

static bool
add_pair(cJSON *o, const char *key, double lo, double hi)
{
	cJSON *a;

	if (!isfinite(lo) || !isfinite(hi))
		return cJSON_AddNullToObject(o, key) != NULL;
	if ((a = cJSON_AddArrayToObject(o, key)) == NULL)
		return false;
	return cJSON_AddItemToArray(a, cJSON_CreateNumber(lo)) &&
	    cJSON_AddItemToArray(a, cJSON_CreateNumber(hi));
}

static cJSON *
json_summary(const struct pw_summary *s)
{
	cJSON *o;
	bool ok;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	ok = cJSON_AddNumberToObject(o, "count", (double)s->n) != NULL;
	if (s->n == 0) {
		ok = ok && cJSON_AddNullToObject(o, "avg") &&
		    cJSON_AddNullToObject(o, "min") &&
		    cJSON_AddNullToObject(o, "max") &&
		    cJSON_AddNullToObject(o, "p50") &&
		    cJSON_AddNullToObject(o, "p95") &&
		    cJSON_AddNullToObject(o, "p99") &&
		    cJSON_AddNullToObject(o, "stddev") &&
		    cJSON_AddNullToObject(o, "ci95");
	} else {
		ok = ok && add_num(o, "avg", s->avg) &&
		    add_num(o, "min", s->min) && add_num(o, "max", s->max) &&
		    add_num(o, "p50", s->p50) && add_num(o, "p95", s->p95) &&
		    add_num(o, "p99", s->p99) &&
		    add_num(o, "stddev", s->n >= 2 ? s->stddev : NAN) &&
		    (s->has_ci ? add_pair(o, "ci95", s->ci_lo, s->ci_hi) :
		    cJSON_AddNullToObject(o, "ci95") != NULL);
	}
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *
json_trend(const struct pw_trend *t)
{
	cJSON *o;

	if (!t->valid)
		return cJSON_CreateNull();
	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (!add_num(o, "slope_per_min", t->slope_per_min) ||
	    !add_pair(o, "slope_ci95", t->ci_lo, t->ci_hi) ||
	    !add_num(o, "r2", t->r2) ||
	    cJSON_AddNumberToObject(o, "points", (double)t->n) == NULL ||
	    cJSON_AddStringToObject(o, "direction",
	    pw_trend_dir_name(t->dir)) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
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
	    add_num(o, "baseline_avg", base->avg) &&
	    add_num(o, "change", w->change) &&
	    add_num(o, "change_percent", base->avg != 0 ? w->change_pct :
	    NAN) &&
	    add_num(o, "t", w->t) && add_num(o, "df", w->df) &&
	    add_num(o, "p_value", w->p_value) &&
	    cJSON_AddBoolToObject(o, "significant", w->significant) != NULL;
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static bool
add_item(cJSON *o, const char *key, cJSON *item)
{
	if (item == NULL)
		return false;
	if (!cJSON_AddItemToObject(o, key, item)) {
		cJSON_Delete(item);
		return false;
	}
	return true;
}

/* --- one process's window ------------------------------------------------------ */

/*
 * The samples of one process or one group: the window and the one before
 * it.  A group's samples are converted (pw_group_sample_as_sample()) into
 * s, so that the same statistics run over both; gs keeps them as they
 * are for what has no place in a process sample (fd_usage_max).
 */
struct pwin {
	struct pw_proc_view	 view;		/* a group: id 0, no pid */
	char			 target[PW_BN_TARGET_MAX]; /* group: name */
	uint64_t		 mem_total;
	struct pw_sample	*s;
	struct pw_group_sample	*gs;		/* NULL for a process */
	size_t			 n;		/* all copied */
	size_t			 cur;		/* index of the window's first */
	size_t			 cap;
	int64_t			 end_ms;
};

/* Free what load_window() or load_group_window() copied. */
static void
pwin_fini(struct pwin *w)
{
	free(w->s);
	free(w->gs);
	w->s = NULL;
	w->gs = NULL;
}

/*
 * Copy the samples of pid for (end - 2 window, end], end being its newest
 * sample.  Returns an HTTP status.
 */
static unsigned
load_window(struct api_stats *st, pid_t pid, int64_t window_ms,
    struct pwin *w, char *err, size_t errlen)
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

static const struct baseline *
baseline_find(const struct api_stats *st, const char *name)
{
	size_t i;

	for (i = 0; i < st->nbl; i++)
		if (strcmp(st->bl[i].name, name) == 0)
			return &st->bl[i];
	return NULL;
}

/*
 * Add the summary of each custom series in cn over the window to mo
 * (under the name as given), looked up for the process, then its target,
 * then the host.  Returns an HTTP status; 400 names a series there is not.
 */
static unsigned
add_custom(struct api_stats *st, const struct pwin *w, int64_t window_ms,
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
		mm = json_summary(&sum);
		if (mm != NULL && !cJSON_AddItemToObject(mo, cn->given[i], mm)) {
			cJSON_Delete(mm);
			mm = NULL;
		}
		rc = mm != NULL && (k == 0 || add_num(mm, "span_s",
		    t[k - 1] - t[0])) && add_item(mm, "trend",
		    json_trend(&tr)) && cJSON_AddNullToObject(mm,
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
win_series(const struct pwin *w, size_t from, size_t n, enum pw_metric m,
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
render_window(struct api_stats *st, const struct pwin *w, int64_t window_ms,
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
	ok = add_num(o, "window_s", (double)window_ms / 1000.0) &&
	    cJSON_AddNumberToObject(o, "count", (double)ncur) != NULL &&
	    add_num(o, "span_s", ncur > 0 ? (double)(w->s[w->n - 1].ts_ms -
	    w->s[w->cur].ts_ms) / 1000.0 : 0) &&
	    /* The ring (or the process's life) may not reach back that far. */
	    cJSON_AddBoolToObject(o, "window_covered", w->cur > 0 ||
	    (ncur > 0 && w->s[w->cur].ts_ms <= w->end_ms - window_ms +
	    (int64_t)pw_monitor_interval_ms(st->mon))) != NULL &&
	    api_add_time(o, "from", ncur > 0 ? w->s[w->cur].ts_ms : 0) &&
	    api_add_time(o, "to", ncur > 0 ? w->end_ms : 0) &&
	    cJSON_AddNumberToObject(o, "capacity", (double)w->cap) != NULL &&
	    (bl == NULL || cJSON_AddStringToObject(o, "baseline",
	    bl->name) != NULL) &&
	    (mo = cJSON_AddObjectToObject(o, "metrics")) != NULL;
	if (!ok)
		goto out_oom;
	for (m = 0; m < PW_METRIC_COUNT; m++) {
		if (!want[m])
			continue;
		/* A group's fd_usage is its worst member's, with a trend. */
		trend = pw_metric_has_trend(m) ||
		    (w->gs != NULL && m == PW_METRIC_FD_USAGE);
		k = win_series(w, w->cur, ncur, m, &ctx, t, v);
		pw_stats_trend(t, v, k, &tr);
		pw_stats_summarize(v, k, v, &sum);	/* permutes v */
		if ((mm = json_summary(&sum)) == NULL)
			goto out_oom;
		if (!cJSON_AddItemToObject(mo, w->gs != NULL &&
		    m == PW_METRIC_FD_USAGE ? FD_USAGE_MAX : pw_metric_name(m),
		    mm)) {
			cJSON_Delete(mm);
			goto out_oom;
		}
		if (k > 0 && !add_num(mm, "span_s", t[k - 1] - t[0]))
			goto out_oom;
		if (trend && !add_item(mm, "trend", json_trend(&tr)))
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
			if (!add_item(mm, "regression", json_welch(bl != NULL ?
			    "baseline" : "previous_window", bl != NULL ?
			    bl->name : NULL, base, &wt)))
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

unsigned
api_stats_process(struct api_stats *st, pid_t pid, const char *window,
    const char *metrics, const char *baseline, struct cJSON **out,
    char *err, size_t errlen)
{
	struct cnames cn;
	bool want[PW_METRIC_COUNT];
	struct baseline *bl = NULL;
	const struct baseline *found;
	struct pwin w;
	int64_t window_ms;
	cJSON *o;
	unsigned status;

	*out = NULL;
	if (!parse_window(window, API_STATS_DEFAULT_WINDOW_MS, &window_ms, err,
	    errlen))
		return HTTP_BAD_REQUEST;
	memset(&cn, 0, sizeof(cn));
	if (!parse_metrics(metrics, want, err, errlen, &cn, false))
		return HTTP_BAD_REQUEST;
	if (baseline != NULL) {
		/* Copy it out: the mutex is not held while rendering. */
		if ((bl = malloc(sizeof(*bl))) == NULL)
			return api_oom(err, errlen);
		pthread_mutex_lock(&st->mu);
		if ((found = baseline_find(st, baseline)) != NULL)
			*bl = *found;
		pthread_mutex_unlock(&st->mu);
		if (found == NULL) {
			free(bl);
			return api_fail(err, errlen, HTTP_NOT_FOUND,
			    "baseline: no baseline named \"%.64s\"", baseline);
		}
	}
	if ((status = load_window(st, pid, window_ms, &w, err, errlen)) !=
	    HTTP_OK)
		goto out_bl;
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
	pwin_fini(&w);
out_bl:
	free(bl);
	return status;
}

/* --- one target's window ------------------------------------------------------- */

/*
 * Copy the aggregate samples of group `name` for (end - 2 window, end],
 * end being its newest sample, converted into w->s.  Returns an HTTP
 * status.
 */
static unsigned
load_group_window(struct api_stats *st, const char *name, int64_t window_ms,
    struct pwin *w, char *err, size_t errlen)
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
		pwin_fini(w);
		return api_oom(err, errlen);
	}
	for (i = 0; i < w->n; i++)
		pw_group_sample_as_sample(&w->gs[i], &w->s[i]);
	for (i = 0; i < w->n && w->s[i].ts_ms <= w->end_ms - window_ms; i++)
		;
	w->cur = i;
	return HTTP_OK;
out_unknown:
	pwin_fini(w);
	return api_fail(err, errlen, HTTP_NOT_FOUND, "no target named \"%s\"",
	    name);
}

unsigned
api_stats_target(struct api_stats *st, const char *name, size_t name_len,
    const char *window, const char *metrics, struct cJSON **out, char *err,
    size_t errlen)
{
	char want_name[API_TARGET_NAME_MAX + 1];
	struct cnames cn;
	bool want[PW_METRIC_COUNT];
	struct pwin w;
	int64_t window_ms;
	cJSON *o;
	unsigned status;

	*out = NULL;
	if ((status = api_target_name(name, name_len, want_name, err,
	    errlen)) != 0)
		return status;
	if (!parse_window(window, API_STATS_DEFAULT_WINDOW_MS, &window_ms, err,
	    errlen))
		return HTTP_BAD_REQUEST;
	memset(&cn, 0, sizeof(cn));
	if (!parse_metrics(metrics, want, err, errlen, &cn, true))
		return HTTP_BAD_REQUEST;
	if ((status = load_group_window(st, want_name, window_ms, &w, err,
	    errlen)) != HTTP_OK)
		return status;
	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(o, "name", w.target) == NULL ||
	    (w.n > 0 ? cJSON_AddNumberToObject(o, "processes",
	    (double)w.gs[w.n - 1].processes) : cJSON_AddNullToObject(o,
	    "processes")) == NULL)
		status = api_oom(err, errlen);
	else
		status = render_window(st, &w, window_ms, want, &cn, NULL, o,
		    err, errlen);
	if (status == HTTP_OK)
		*out = o;
	else
		cJSON_Delete(o);
	pwin_fini(&w);
	return status;
}

/* --- baselines ------------------------------------------------------------------ */

static bool
name_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > BASELINE_NAME_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return false;
	return true;
}

static cJSON *
json_baseline(const struct baseline *b)
{
	cJSON *o, *mo, *mm;
	unsigned m;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (cJSON_AddStringToObject(o, "name", b->name) == NULL ||
	    cJSON_AddNumberToObject(o, "pid", (double)b->pid) == NULL ||
	    cJSON_AddStringToObject(o, "process", b->proc_name) == NULL ||
	    !add_num(o, "window_s", (double)b->window_ms / 1000.0) ||
	    !api_add_time(o, "from", b->from_ms) ||
	    !api_add_time(o, "to", b->to_ms) ||
	    !api_add_time(o, "created", b->created_ms) ||
	    (mo = cJSON_AddObjectToObject(o, "metrics")) == NULL)
		goto out_fail;
	for (m = 0; m < PW_METRIC_COUNT; m++)
		if ((mm = json_summary(&b->m[m])) == NULL ||
		    !cJSON_AddItemToObject(mo, pw_metric_name(m), mm)) {
			cJSON_Delete(mm);
			goto out_fail;
		}
	return o;
out_fail:
	cJSON_Delete(o);
	return NULL;
}

unsigned
api_stats_baseline_create(struct api_stats *st, const char *body, size_t len,
    struct cJSON **out, char *err, size_t errlen)
{
	const char *end = NULL, *wstr = "5m";
	struct pw_series_ctx ctx;
	struct baseline *b;
	cJSON *root, *name, *pid, *win;
	struct pwin w;
	int64_t window_ms;
	double *v = NULL;
	unsigned status, m;
	size_t k, i;

	*out = NULL;
	if (body == NULL || len == 0)
		return api_fail(err, errlen, HTTP_BAD_REQUEST, "body: expected a "
		    "JSON object {\"name\": ..., \"pid\": ..., \"window\": ...}");
	root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (root == NULL)
		return api_fail(err, errlen, HTTP_BAD_REQUEST, "body: invalid JSON "
		    "at byte %ld", end != NULL ? (long)(end - body) : 0L);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return api_fail(err, errlen, HTTP_BAD_REQUEST,
		    "body: expected a JSON object");
	}
	name = cJSON_GetObjectItemCaseSensitive(root, "name");
	pid = cJSON_GetObjectItemCaseSensitive(root, "pid");
	win = cJSON_GetObjectItemCaseSensitive(root, "window");
	status = HTTP_BAD_REQUEST;
	if (!cJSON_IsString(name) || !name_ok(name->valuestring)) {
		api_fail(err, errlen, status, "name: expected 1 to %d letters, "
		    "digits, '-', '_' or '.'", BASELINE_NAME_MAX);
		goto out_root;
	}
	if (!cJSON_IsNumber(pid) || pid->valuedouble < 1 ||
	    pid->valuedouble > 2147483647.0 ||
	    pid->valuedouble != floor(pid->valuedouble)) {
		api_fail(err, errlen, status, "pid: expected a positive integer");
		goto out_root;
	}
	if (win != NULL && !cJSON_IsString(win)) {
		api_fail(err, errlen, status, "window: expected a string such as "
		    "\"5m\"");
		goto out_root;
	}
	if (win != NULL)
		wstr = win->valuestring;
	if (!parse_window(wstr, API_STATS_DEFAULT_WINDOW_MS, &window_ms, err,
	    errlen))
		goto out_root;
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		status = api_oom(err, errlen);
		goto out_root;
	}
	if ((status = load_window(st, (pid_t)pid->valuedouble, window_ms, &w,
	    err, errlen)) != HTTP_OK)
		goto out_b;
	if ((v = malloc((w.n ? w.n : 1) * sizeof(*v))) == NULL) {
		status = api_oom(err, errlen);
		goto out_w;
	}
	if (w.n - w.cur < 2) {
		status = api_fail(err, errlen, HTTP_BAD_REQUEST, "pid: process %ld "
		    "has fewer than 2 samples in the window",
		    (long)w.view.pid);
		goto out_w;
	}
	snprintf(b->name, sizeof(b->name), "%s", name->valuestring);
	b->pid = w.view.pid;
	memcpy(b->proc_name, w.view.name, sizeof(b->proc_name));
	b->window_ms = window_ms;
	b->from_ms = w.s[w.cur].ts_ms;
	b->to_ms = w.end_ms;
	b->created_ms = wall_ms(st);
	ctx.mem_total = w.mem_total;
	ctx.fd_limit = w.view.fd_limit;
	for (m = 0; m < PW_METRIC_COUNT; m++) {
		k = pw_stats_series(w.s + w.cur, w.n - w.cur, m, &ctx, NULL, v);
		pw_stats_summarize(v, k, v, &b->m[m]);
	}
	pthread_mutex_lock(&st->mu);
	for (i = 0; i < st->nbl; i++)
		if (strcmp(st->bl[i].name, b->name) == 0)
			break;
	if (i == st->nbl && st->nbl == API_STATS_MAX_BASELINES) {
		/* Full: drop the oldest, which is the first. */
		memmove(&st->bl[0], &st->bl[1], (st->nbl - 1) *
		    sizeof(st->bl[0]));
		i = --st->nbl;
	}
	st->bl[i] = *b;
	if (i == st->nbl)
		st->nbl++;
	pthread_mutex_unlock(&st->mu);
	if ((*out = json_baseline(b)) == NULL)
		status = api_oom(err, errlen);
	else
		status = HTTP_CREATED;
out_w:
	free(v);
	free(w.s);
out_b:
	free(b);
out_root:
	cJSON_Delete(root);
	return status;
}

/* --- averages ---------------------------------------------------------------------- */

static cJSON *
json_group(const struct pw_avg_group *g, bool has_mem)
{
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if ((g->target != NULL ? cJSON_AddStringToObject(o, "target",
	    g->target) == NULL : false) ||
	    cJSON_AddNumberToObject(o, "processes",
	    (double)g->processes) == NULL ||
	    !add_num(o, "avg_cpu_percent", g->processes ? g->cpu_percent :
	    NAN) ||
	    !add_num(o, "total_cpu_percent", g->cpu_percent_total) ||
	    !add_num(o, "avg_rss_bytes", g->processes ? g->rss_bytes : NAN) ||
	    !add_num(o, "total_rss_bytes", g->rss_bytes_total) ||
	    !add_num(o, "avg_memory_percent", g->processes && has_mem ?
	    g->memory_percent : NAN) ||
	    !add_num(o, "avg_open_fds", g->processes ? g->open_fds : NAN) ||
	    !add_num(o, "avg_threads", g->processes ? g->threads : NAN)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

unsigned
api_stats_averages(struct api_stats *st, const char *window,
    const char *target, struct cJSON **out, char *err, size_t errlen)
{
	struct pw_avg_group *g = NULL, all;
	uint64_t mem_total;
	int64_t window_ms;
	size_t n = 0, i;
	cJSON *o, *arr, *item;

	*out = NULL;
	if (!parse_window(window, API_STATS_DEFAULT_WINDOW_MS, &window_ms, err,
	    errlen))
		return HTTP_BAD_REQUEST;
	if (target != NULL && *target == '\0')
		return api_fail(err, errlen, HTTP_BAD_REQUEST,
		    "target: expected a target name");
	if (pw_stats_averages(pw_monitor_store(st->mon), window_ms, target,
	    &g, &n, &all) < 0)
		return api_oom(err, errlen);
	pw_store_info(pw_monitor_store(st->mon), NULL, &mem_total);
	if ((o = cJSON_CreateObject()) == NULL ||
	    !add_num(o, "window_s", (double)window_ms / 1000.0) ||
	    (target != NULL && cJSON_AddStringToObject(o, "target",
	    target) == NULL) ||
	    !add_item(o, "all", json_group(&all, mem_total > 0)) ||
	    (arr = cJSON_AddArrayToObject(o, "targets")) == NULL)
		goto out_oom;
	for (i = 0; i < n; i++) {
		if ((item = json_group(&g[i], mem_total > 0)) == NULL)
			goto out_oom;
		if (!cJSON_AddItemToArray(arr, item)) {
			cJSON_Delete(item);
			goto out_oom;
		}
	}
	pw_avg_groups_free(g, n);
	*out = o;
	return HTTP_OK;
out_oom:
	cJSON_Delete(o);
	pw_avg_groups_free(g, n);
	return api_oom(err, errlen);
}

/* --- threads ------------------------------------------------------------------------- */

struct thread_row {
	pid_t		tid;
	char		name[17];
	double		user_pct;
	double		system_pct;
	double		cpu_pct;
	double		share;
	const char	*basis;
};

struct thread_view {
	struct thread_row	*rows;
	size_t			 n;
	const char		*basis;		/* of the comparison overall */
	bool			 since_prev;	/* basis is BASIS_PREV */
	double			 interval_s;	/* since the previous reading */
	size_t			 hot;		/* index of the busiest */
};

static int
tick_cmp(const void *a, const void *b)
{
	const struct tick *x = a, *y = b;

	return (x->tid > y->tid) - (x->tid < y->tid);
}

/*
 * Read the threads of pid now and work out each one's CPU %.  Returns 0,
 * -ESRCH or -ENOMEM.  The /proc read happens before the mutex is taken.
 */
static int
threads_measure(struct api_stats *st, pid_t pid, int64_t window_ms,
    struct thread_view *tv)
{
	struct thread_prev *pe = NULL, *slot = NULL;
	struct pw_thread_stat *ts;
	struct tick *now_t, key, *hit;
	struct thread_row *rows;
	int64_t *start, now, age = -1, el;
	double total = 0, best = -1, up, sp;
	size_t n, i;
	long hz;
	int rc;

	memset(tv, 0, sizeof(*tv));
	if ((rc = pw_monitor_threads(st->mon, pid, &ts, &start, &n, &hz)) < 0)
		return rc;
	now = wall_ms(st);
	rows = calloc(n ? n : 1, sizeof(*rows));
	now_t = malloc((n ? n : 1) * sizeof(*now_t));
	if (rows == NULL || now_t == NULL) {
		free(rows);
		free(now_t);
		free(ts);
		free(start);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		now_t[i].tid = ts[i].tid;
		now_t[i].ticks = ts[i].utime + ts[i].stime;
	}
	qsort(now_t, n, sizeof(*now_t), tick_cmp);

	pthread_mutex_lock(&st->mu);
	for (i = 0; i < API_STATS_MAX_THREAD_PIDS; i++) {
		if (st->prev[i].pid == pid) {
			pe = &st->prev[i];
			break;
		}
		/* A free slot, else the stalest reading, is replaced. */
		if (slot == NULL || st->prev[i].pid == 0 ||
		    (slot->pid != 0 && st->prev[i].ts_ms < slot->ts_ms))
			slot = &st->prev[i];
	}
	if (pe != NULL)
		age = now - pe->ts_ms;
	tv->basis = BASIS_START;
	if (pe != NULL && age >= THREADS_MIN_AGE_MS && age <= window_ms) {
		tv->basis = BASIS_PREV;
		tv->since_prev = true;
		tv->interval_s = (double)age / 1000.0;
	}
	for (i = 0; i < n; i++) {
		rows[i].tid = ts[i].tid;
		memcpy(rows[i].name, ts[i].comm, sizeof(rows[i].name));
		hit = NULL;
		if (tv->since_prev) {
			key.tid = ts[i].tid;
			hit = bsearch(&key, pe->t, pe->n, sizeof(*pe->t),
			    tick_cmp);
		}
		/*
		 * The user/system split of the interval is not kept; it is
		 * apportioned as over the thread's life.
		 */
		up = ts[i].utime + ts[i].stime > 0 ? (double)ts[i].utime /
		    (double)(ts[i].utime + ts[i].stime) : 0;
		if (hit != NULL) {
			sp = (double)(ts[i].utime + ts[i].stime -
			    (hit->ticks <= ts[i].utime + ts[i].stime ?
			    hit->ticks : ts[i].utime + ts[i].stime));
			rows[i].cpu_pct = 100.0 * sp / (double)hz /
			    tv->interval_s;
			rows[i].basis = BASIS_PREV;
		} else {
			el = now - start[i];
			rows[i].cpu_pct = el > 0 ? 100.0 * (double)(ts[i].utime +
			    ts[i].stime) / (double)hz / ((double)el / 1000.0) : 0;
			rows[i].basis = BASIS_START;
		}
		rows[i].user_pct = rows[i].cpu_pct * up;
		rows[i].system_pct = rows[i].cpu_pct - rows[i].user_pct;
		total += rows[i].cpu_pct;
		if (rows[i].cpu_pct > best) {
			best = rows[i].cpu_pct;
			tv->hot = i;
		}
	}
	/* Keep this reading unless the kept one is too young to compare. */
	if (pe == NULL)
		pe = slot;
	if (pe->pid != pid || age < 0 || age >= THREADS_MIN_AGE_MS ||
	    age > window_ms) {
		free(pe->t);
		pe->pid = pid;
		pe->ts_ms = now;
		pe->t = now_t;
		pe->n = n;
		now_t = NULL;
	}
	pthread_mutex_unlock(&st->mu);
	for (i = 0; i < n; i++)
		rows[i].share = total > 0 ? rows[i].cpu_pct / total : 0;
	free(now_t);
	free(ts);
	free(start);
	tv->rows = rows;
	tv->n = n;
	return 0;
}

/* Is there one hot thread?  Busy enough to matter and most of the CPU. */
static bool
is_hot(const struct thread_view *tv)
{
	return tv->n > 1 && tv->rows[tv->hot].share >= HOT_SHARE &&
	    tv->rows[tv->hot].cpu_pct >= 5.0;
}

unsigned
api_stats_threads(struct api_stats *st, pid_t pid, const char *window,
    struct cJSON **out, char *err, size_t errlen)
{
	struct thread_view tv;
	const struct thread_row *h;
	int64_t window_ms;
	char msg[256];
	cJSON *o = NULL, *arr, *r, *hot;
	size_t i;
	int rc;

	*out = NULL;
	if (!parse_window(window, API_STATS_DEFAULT_WINDOW_MS, &window_ms, err,
	    errlen))
		return HTTP_BAD_REQUEST;
	if ((rc = threads_measure(st, pid, window_ms, &tv)) == -ENOMEM)
		return api_oom(err, errlen);
	if (rc < 0)
		return api_fail(err, errlen, HTTP_NOT_FOUND,
		    "no process with pid %ld", (long)pid);
	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddNumberToObject(o, "pid", (double)pid) == NULL ||
	    !add_num(o, "window_s", (double)window_ms / 1000.0) ||
	    cJSON_AddStringToObject(o, "basis", tv.basis) == NULL ||
	    !add_num(o, "interval_s", tv.since_prev ? tv.interval_s :
	    NAN) ||
	    cJSON_AddNumberToObject(o, "count", (double)tv.n) == NULL)
		goto out_oom;
	if (tv.n > 0 && is_hot(&tv)) {
		h = &tv.rows[tv.hot];
		snprintf(msg, sizeof(msg), "One hot thread: '%s' (tid %d) does "
		    "%.0f %% of the process's CPU (%.1f %% of one core)",
		    h->name, (int)h->tid, 100 * h->share, h->cpu_pct);
		if ((hot = cJSON_AddObjectToObject(o, "hot_thread")) == NULL ||
		    cJSON_AddNumberToObject(hot, "tid", (double)h->tid) ==
		    NULL ||
		    cJSON_AddStringToObject(hot, "name", h->name) == NULL ||
		    !add_num(hot, "share", h->share) ||
		    !add_num(hot, "cpu_percent", h->cpu_pct) ||
		    cJSON_AddStringToObject(o, "summary", msg) == NULL)
			goto out_oom;
	} else {
		snprintf(msg, sizeof(msg), tv.n > 1 ? "No single hot thread: "
		    "the CPU is spread over %zu threads" : "The process has "
		    "%zu thread", tv.n);
		if (cJSON_AddNullToObject(o, "hot_thread") == NULL ||
		    cJSON_AddStringToObject(o, "summary", msg) == NULL)
			goto out_oom;
	}
	if ((arr = cJSON_AddArrayToObject(o, "threads")) == NULL)
		goto out_oom;
	for (i = 0; i < tv.n; i++) {
		if ((r = cJSON_CreateObject()) == NULL)
			goto out_oom;
		if (!cJSON_AddItemToArray(arr, r)) {
			cJSON_Delete(r);
			goto out_oom;
		}
		if (cJSON_AddNumberToObject(r, "tid", (double)tv.rows[i].tid) ==
		    NULL ||
		    cJSON_AddStringToObject(r, "name", tv.rows[i].name) ==
		    NULL ||
		    !add_num(r, "cpu_percent", tv.rows[i].cpu_pct) ||
		    !add_num(r, "cpu_user_percent", tv.rows[i].user_pct) ||
		    !add_num(r, "cpu_system_percent", tv.rows[i].system_pct) ||
		    !add_num(r, "share", tv.rows[i].share) ||
		    cJSON_AddStringToObject(r, "basis", tv.rows[i].basis) ==
		    NULL)
			goto out_oom;
	}
	free(tv.rows);
	*out = o;
	return HTTP_OK;
out_oom:
	free(tv.rows);
	cJSON_Delete(o);
	return api_oom(err, errlen);
}

/* --- bottlenecks --------------------------------------------------------------------- */

struct probe_arg {
	struct api_stats	*st;
	int64_t			 window_ms;
};

static void
probe(void *arg, pid_t pid, struct pw_bn_thread *out)
{
	struct probe_arg *pa = arg;
	struct thread_view tv;
	const struct thread_row *h;

	if (threads_measure(pa->st, pid, pa->window_ms, &tv) < 0 || tv.n == 0) {
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

static cJSON *
json_evidence(const struct pw_bottleneck *b)
{
	const struct pw_bn_evidence *e = &b->ev;
	cJSON *o, *h;
	bool ok = true;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	ok = add_num(o, "window_s", e->window_s);
	if (b->is_group)
		ok = ok && add_num(o, "processes", e->processes);
	switch (b->type) {
	case PW_BN_CPU:
		ok = ok && add_num(o, "cpu_seconds", e->cpu_s) &&
		    add_num(o, "total_cpu_seconds", e->total_cpu_s) &&
		    add_num(o, "cpu_percent", e->cpu_percent) &&
		    add_num(o, "user_share", e->user_share) &&
		    add_num(o, "ctx_switches_involuntary_rate",
		    e->invol_ctx_rate) &&
		    add_num(o, "threads", e->threads);
		/* A target has no one thread; its reaped children instead. */
		if (b->is_group) {
			ok = ok && add_num(o, "children_cpu_seconds",
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
		    add_num(h, "share", e->hot.share) &&
		    add_num(h, "cpu_percent", e->hot.cpu_percent) &&
		    add_num(h, "threads", (double)e->hot.nthreads) &&
		    cJSON_AddStringToObject(h, "basis", e->hot.basis != NULL ?
		    e->hot.basis : "") != NULL &&
		    cJSON_AddBoolToObject(h, "one_hot_thread",
		    e->hot.nthreads > 1 && e->hot.share >= HOT_SHARE) != NULL;
		break;
	case PW_BN_MEMORY:
		ok = ok && add_num(o, "rss_bytes", (double)e->rss_bytes) &&
		    add_num(o, "largest_rss_bytes",
		    (double)e->largest_rss_bytes) &&
		    add_num(o, "swap_bytes", (double)e->swap_bytes) &&
		    add_num(o, "mem_total_bytes", e->mem_total > 0 ?
		    (double)e->mem_total : NAN);
		break;
	default:
		ok = ok && cJSON_AddStringToObject(o, "metric",
		    e->metric) != NULL &&
		    add_num(o, "slope_per_min", e->trend.slope_per_min) &&
		    add_pair(o, "slope_ci95", e->trend.ci_lo, e->trend.ci_hi) &&
		    add_num(o, "r2", e->trend.r2) &&
		    add_num(o, "points", (double)e->trend.n) &&
		    add_num(o, "current", e->current) &&
		    add_num(o, "limit", e->limit > 0 ? e->limit : NAN) &&
		    add_num(o, "time_to_limit_s", e->time_to_limit_s >= 0 ?
		    e->time_to_limit_s : NAN);
		if (b->is_group && b->type == PW_BN_FDS)
			ok = ok && add_num(o, "fd_usage_max", e->fd_usage_pid ?
			    e->fd_usage_max : NAN) &&
			    add_num(o, "fd_usage_pid", e->fd_usage_pid ?
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
api_stats_bottlenecks(struct api_stats *st, const char *by,
    const char *window, const char *limit, struct cJSON **out, char *err,
    size_t errlen)
{
	struct probe_arg pa = { .st = st };
	struct pw_bottleneck *v = NULL;
	char purl[64];
	int64_t window_ms;
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
	if (!parse_window(window, BN_DEFAULT_WINDOW_MS, &window_ms, err,
	    errlen))
		return HTTP_BAD_REQUEST;
	if (limit != NULL && api_parse_limit(limit, BN_MAX_LIMIT, &lim) < 0)
		return api_fail(err, errlen, HTTP_BAD_REQUEST, "limit: expected an "
		    "integer from 1 to %d", BN_MAX_LIMIT);
	pa.window_ms = window_ms;
	if (by_target)
		rc = pw_bottlenecks_by_target(pw_monitor_store(st->mon),
		    window_ms, lim, st->hz, &v, &n);
	else
		rc = pw_bottlenecks(pw_monitor_store(st->mon), window_ms, lim,
		    probe, &pa, BN_PROBES, &v, &n);
	if (rc < 0)
		return api_oom(err, errlen);
	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(o, "by", by_target ? "target" :
	    "process") == NULL ||
	    !add_num(o, "window_s", (double)window_ms / 1000.0) ||
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
		    "processes", (double)v[i].ev.processes) != NULL :
		    cJSON_AddNumberToObject(e, "pid", (double)v[i].pid) !=
		    NULL &&
		    cJSON_AddStringToObject(e, "name", v[i].name) != NULL &&
		    cJSON_AddStringToObject(e, "target", v[i].target) !=
		    NULL) &&
		    cJSON_AddStringToObject(e, "type",
		    pw_bn_type_name(v[i].type)) != NULL &&
		    cJSON_AddStringToObject(e, "severity",
		    pw_severity_name(v[i].severity)) != NULL &&
		    add_num(e, "impact_score", v[i].impact) &&
		    cJSON_AddStringToObject(e, "description",
		    v[i].description) != NULL &&
		    (sg = cJSON_AddArrayToObject(e, "suggestions")) != NULL;
		for (j = 0; ok && j < v[i].nsuggestions; j++)
			ok = cJSON_AddItemToArray(sg,
			    cJSON_CreateString(v[i].suggestions[j]));
		/* A critical CPU entry links to where a profile is started. */
		if (ok && !v[i].is_group && v[i].type == PW_BN_CPU &&
		    v[i].severity == PW_SEV_CRITICAL) {
			snprintf(purl, sizeof(purl),
			    "/api/v1/processes/%ld/profile", (long)v[i].pid);
			ok = cJSON_AddStringToObject(e, "profile_url", purl) !=
			    NULL;
		}
		if (!ok || !add_item(e, "evidence", json_evidence(&v[i])))
			goto out_oom;
	}
	free(v);
	*out = o;
	return HTTP_OK;
out_oom:
	cJSON_Delete(o);
	free(v);
	return api_oom(err, errlen);
}
