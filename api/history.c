/*
 * api/history.c: the API's views of the past (api/history.h).
 *
 * SAMPLES (GET /api/v1/processes/{pid}/samples, .../targets/{name}/samples
 *   with ?since=, ?until=, ?resolution=raw|1m|1h|auto, ?limit=; the
 *   raw samples after since and before until, buckets that start from
 *   since on):
 *   {"pid" (or "name"), "capacity", "count", "resolution": "raw"|"1m"|"1h",
 *    "since", "until" (the window asked, null: open), "source": "memory",
 *    "disk" or "memory+disk", "gaps": [{"from", "until"}],
 *    "samples": [SAMPLE, oldest first]}
 *   A raw SAMPLE is what it has always been (api/json.c, api/targets.c);
 *   one read back from disk has "state": null (the state letter is not
 *   kept).  A roll-up SAMPLE is {"ts" (the bucket's start), each row's
 *   mean (a counter's increase over the bucket) under its key, "min",
 *   "max", "last": {key: value}, "count": samples in the bucket}.
 *   A process (or target) no longer in memory is read from disk over
 *   the hour before until (now) unless since says otherwise.
 *   A gap is a stretch with no sample longer than two intervals: a
 *   restart, a stopped daemon, a dropped write; no rate is computed across
 *   one (the first sample after it has its rates null).
 * AT (GET /api/v1/processes?at=, /api/v1/targets?at=):
 *   {"at", "resolution", "source", "count", "processes" (or "targets"):
 *    [{"pid", "name", "target", "cmdline", "start_time", "alive" (now),
 *      "sample": SAMPLE}]} (targets: [{"name", "sample": SAMPLE}])
 *   with each series' sample at or just before `at`.
 * ALERTS AT (GET /api/v1/alerts?at=): {"at", "count", "alerts": [{"rule",
 *   "target", "pid", "value", "fired_at"}]}: what was firing then.
 * DUMP (GET /api/v1/samples?since=&until=&kind=process|target&limit=):
 *   {"since", "until", "count", "truncated", "next_since" (null: done),
 *    "samples": [{"ts", "kind", "pid", "name", "target", "start_time",
 *    each row's key}]}: every series' raw sample, cycle by cycle.
 * EVENTS (GET /api/v1/events?since=&until=): {"since", "until", "count",
 *   "truncated", "events": [{"ts", "kind": "process"|"alert", "type",
 *   "pid", "start_time", "name", "target", "value", "detail"}]}.
 *
 * DESIGN: the rings are the newest part of a series and the disk the
 * rest, so a raw window reads the disk only before the ring's oldest
 * sample and the ring after it; the writer may lag the ring by a cycle or
 * two, never the other way round.  Roll-ups exist only on disk.  Nothing
 * here holds a lock across cJSON: the store copies out, and the history's
 * readers copy into arrays of their own.
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
#include "api/routes.h"
#include "api/targets.h"
#include "lib/history.h"

#define HTTP_OK		200
#define HTTP_BAD	400
#define HTTP_NOT_FOUND	404
#define HTTP_INTERNAL	500

#define MS_PER_HOUR	INT64_C(3600000)
#define MS_PER_DAY	(24 * MS_PER_HOUR)
#define EVENTS_DEFAULT	1000
#define ALERTS_MAX	10000

static const char *const res_names[] = { "raw", "1m", "1h" };

/* --- parsing ------------------------------------------------------------- */

unsigned
api_hist_parse_time(const char *key, const char *val, int64_t now_ms,
    int64_t *ms, char *err, size_t errlen)
{
	char buf[64];
	const char *why = "";
	size_t n, i;

	if (val == NULL || (n = strlen(val)) >= sizeof(buf))
		return api_fail(err, errlen, HTTP_BAD, "%s: expected %s", key,
		    PW_TIMESPEC_FORMS);
	/*
	 * A '+' sent unencoded in a query decodes to a space; past an RFC
	 * 3339 time's seconds (offset 19) a space can only be that.
	 */
	memcpy(buf, val, n + 1);
	for (i = 19; i < n; i++)
		if (buf[i] == ' ')
			buf[i] = '+';
	if (pw_timespec_parse(buf, now_ms, ms, &why) < 0)
		return api_fail(err, errlen, HTTP_BAD, "%s: \"%.40s\": %s",
		    key, val, why);
	return 0;
}

unsigned
api_hist_parse_res(const char *val, enum api_hist_res *res, char *err,
    size_t errlen)
{
	if (val != NULL && strcmp(val, "raw") == 0)
		*res = API_RES_RAW;
	else if (val != NULL && strcmp(val, "1m") == 0)
		*res = API_RES_1M;
	else if (val != NULL && strcmp(val, "1h") == 0)
		*res = API_RES_1H;
	else if (val != NULL && strcmp(val, "auto") == 0)
		*res = API_RES_AUTO;
	else
		return api_fail(err, errlen, HTTP_BAD, "resolution: expected "
		    "raw, 1m, 1h or auto");
	return 0;
}

/* --- rendering helpers --------------------------------------------------- */

static bool
add_time_or_null(cJSON *o, const char *key, int64_t ms)
{
	if (ms == INT64_MIN || ms == INT64_MAX)
		return cJSON_AddNullToObject(o, key) != NULL;
	return api_add_time(o, key, ms);
}

static double
col(const double *v, size_t ncols, size_t i, size_t c)
{
	return c < ncols ? v[i * ncols + c] : NAN;
}

/* The key of row m in a process's (group false) or a group's sample. */
static const char *
row_key(enum pw_metric m, bool group)
{
	const struct pw_metric_def *d = pw_metric_def(m);

	return group ? d->group_key : d->name;
}

/*
 * Add the rows of point i of values v (ncols a point) to o under their
 * keys, as api_json_sample() and the targets' samples order them.
 */
static bool
add_rows(cJSON *o, const double *v, size_t ncols, size_t i, bool group)
{
	const struct pw_metric_def *d;
	const enum pw_metric *order;
	char pidkey[64];
	size_t n, k;
	double x;

	order = api_metric_json_order(group, &n);
	for (k = 0; k < n; k++) {
		x = col(v, ncols, i, (size_t)order[k]);
		if (!api_metric_add_json(o, row_key(order[k], group), order[k],
		    !isnan(x), x))
			return false;
		d = pw_metric_def(order[k]);
		/* Which member was worst is not kept on disk. */
		if (group && d->gagg == PW_GAGG_MAX) {
			snprintf(pidkey, sizeof(pidkey), "%s_pid",
			    d->group_key);
			if (cJSON_AddNullToObject(o, pidkey) == NULL)
				return false;
		}
	}
	return true;
}

/* One raw point read back from disk, keyed as a ring's sample. */
static cJSON *
disk_point(int64_t ts_ms, const double *v, size_t ncols, size_t i,
    bool group)
{
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (!api_add_time(o, "ts", ts_ms) || !add_rows(o, v, ncols, i, group) ||
	    (!group && cJSON_AddNullToObject(o, "state") == NULL)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* One roll-up point: means under the keys, min/max/last beside. */
static cJSON *
rollup_point(const struct pw_hist_series *s, size_t i, bool group)
{
	const enum pw_metric *order;
	cJSON *o, *sub;
	uint32_t cnt = 0;
	size_t n, k;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (!api_add_time(o, "ts", s->ts_ms[i]) ||
	    !add_rows(o, s->val, s->ncols, i, group))
		goto out_oom;
	if ((sub = cJSON_AddObjectToObject(o, "min")) == NULL ||
	    (s->min != NULL && !add_rows(sub, s->min, s->ncols, i, group)) ||
	    (sub = cJSON_AddObjectToObject(o, "max")) == NULL ||
	    (s->max != NULL && !add_rows(sub, s->max, s->ncols, i, group)) ||
	    (sub = cJSON_AddObjectToObject(o, "last")) == NULL ||
	    (s->last != NULL && !add_rows(sub, s->last, s->ncols, i, group)))
		goto out_oom;
	/* Samples in the bucket: the most any row had known. */
	order = api_metric_json_order(group, &n);
	for (k = 0; s->count != NULL && k < n; k++)
		if ((size_t)order[k] < s->ncols &&
		    s->count[i * s->ncols + (size_t)order[k]] > cnt)
			cnt = s->count[i * s->ncols + (size_t)order[k]];
	if (!api_add_u64(o, "count", cnt))
		goto out_oom;
	return o;
out_oom:
	cJSON_Delete(o);
	return NULL;
}

static bool
add_gap(cJSON *arr, int64_t from, int64_t until)
{
	cJSON *g;

	if ((g = cJSON_CreateObject()) == NULL)
		return false;
	if (!cJSON_AddItemToArray(arr, g)) {
		cJSON_Delete(g);
		return false;
	}
	return api_add_time(g, "from", from) && api_add_time(g, "until", until);
}

/* --- samples: memory and disk merged -------------------------------------- */

/* What a samples request gathered before rendering. */
struct gathered {
	/* From disk: raw or a roll-up. */
	struct pw_hist_series	*disk;
	/* From memory, oldest first, newer than the disk's. */
	struct pw_sample	*mem;
	struct pw_group_sample	*gmem;
	size_t			 nmem;
	size_t			 cap;
	enum pw_hist_res	 res;
};

static void
gathered_fini(struct gathered *g)
{
	pw_hist_series_free(g->disk);
	free(g->mem);
	free(g->gmem);
}

/* The resolution to read for w; 0 or 400 when it needs a disk. */
static unsigned
pick_res(struct api_ctx *c, const struct api_hist_win *w, int64_t now_ms,
    enum pw_hist_res *res, char *err, size_t errlen)
{
	int64_t since, until;
	size_t lim;

	switch (w->res) {
	case API_RES_1M:
		*res = PW_HIST_1M;
		break;
	case API_RES_1H:
		*res = PW_HIST_1H;
		break;
	case API_RES_AUTO:
		*res = PW_HIST_RAW;
		if (c->history == NULL || w->since_ms == INT64_MIN)
			return 0;
		since = w->since_ms;
		until = w->until_ms != INT64_MAX ? w->until_ms : now_ms;
		lim = w->limit != SIZE_MAX ? w->limit : API_HIST_AUTO_POINTS;
		*res = pw_hist_res_auto(since, until,
		    (int64_t)pw_monitor_interval_ms(c->mon), lim);
		return 0;
	default:
		*res = PW_HIST_RAW;
		return 0;
	}
	if (c->history == NULL)
		return api_fail(err, errlen, HTTP_BAD, "resolution: %s needs "
		    "the history on disk, and this daemon keeps it in memory "
		    "only (%s)", res_names[*res], c->history_off);
	return 0;
}

/*
 * The disk part: points of the series `q` describes (res, pid/name set)
 * after `since` and before `until`, where until is the ring's oldest for
 * raw.  A missing series or history is no error: *out stays NULL.
 */
static int
read_disk(struct api_ctx *c, struct pw_hist_query *q, int64_t since,
    int64_t until, struct pw_hist_series **out)
{
	int rc;

	*out = NULL;
	/*
	 * Raw: ?since= is "after", as it has always been, and the reader's
	 * is "from".  A roll-up bucket is named by its start: from since.
	 */
	if (q->res == PW_HIST_RAW && since < INT64_MAX)
		since++;
	if (c->history == NULL || since >= until)
		return 0;
	q->since_ms = since;
	q->until_ms = until;
	q->limit = 0;
	rc = pw_history_series(c->history, q, out);
	if (rc == -ENOENT)
		return 0;
	return rc;
}

/*
 * Render g into the common layout under o: "resolution", "since",
 * "until", "source", "gaps", "count", "samples".  `limit` keeps the
 * newest.  Memory points are rendered by mem_json.
 */
typedef cJSON *mem_json_fn(const struct gathered *g, size_t i, void *arg);

static bool
render_common(cJSON *o, struct gathered *g, const struct api_hist_win *w,
    int64_t interval_ms, bool group, mem_json_fn *mem_json, void *arg)
{
	size_t ndisk = g->disk != NULL ? g->disk->n : 0;
	size_t total = ndisk + g->nmem, skip = 0, i;
	int64_t prev = INT64_MIN, ts;
	cJSON *arr, *gaps, *p;

	if (w->limit != SIZE_MAX && total > w->limit)
		skip = total - w->limit;
	if (cJSON_AddStringToObject(o, "resolution", res_names[g->res]) ==
	    NULL ||
	    !add_time_or_null(o, "since", w->since_ms) ||
	    !add_time_or_null(o, "until", w->until_ms) ||
	    cJSON_AddStringToObject(o, "source", ndisk > 0 && g->nmem > 0 ?
	    "memory+disk" : ndisk > 0 ? "disk" : "memory") == NULL ||
	    (gaps = cJSON_AddArrayToObject(o, "gaps")) == NULL ||
	    !api_add_u64(o, "count", total - skip) ||
	    (arr = cJSON_AddArrayToObject(o, "samples")) == NULL)
		return false;
	for (i = skip; i < total; i++) {
		if (i < ndisk) {
			ts = g->disk->ts_ms[i];
			p = g->res == PW_HIST_RAW ? disk_point(ts, g->disk->val,
			    g->disk->ncols, i, group) : rollup_point(g->disk, i,
			    group);
		} else {
			ts = g->mem != NULL ? g->mem[i - ndisk].ts_ms :
			    g->gmem[i - ndisk].ts_ms;
			p = mem_json(g, i - ndisk, arg);
		}
		if (p == NULL)
			return false;
		if (!cJSON_AddItemToArray(arr, p)) {
			cJSON_Delete(p);
			return false;
		}
		/* Raw: more than two intervals without a sample is a gap. */
		if (g->res == PW_HIST_RAW && prev != INT64_MIN &&
		    ts - prev > 2 * interval_ms && !add_gap(gaps, prev, ts))
			return false;
		prev = ts;
	}
	/* Roll-ups: the reader's gaps. */
	for (i = 0; g->res != PW_HIST_RAW && g->disk != NULL &&
	    i < g->disk->ngaps; i++)
		if (!add_gap(gaps, g->disk->gaps[i].from_ms,
		    g->disk->gaps[i].until_ms))
			return false;
	return true;
}

struct proc_arg {
	uint64_t	mem_total;
	uint64_t	fd_limit;
};

static cJSON *
proc_mem_json(const struct gathered *g, size_t i, void *arg)
{
	struct proc_arg *pa = arg;

	return api_json_sample(&g->mem[i], pa->mem_total, pa->fd_limit);
}

/* Keep the ring's samples in [since, until). */
static size_t
clip_mem(struct pw_sample *s, size_t n, int64_t until)
{
	while (n > 0 && s[n - 1].ts_ms >= until)
		n--;
	return n;
}

unsigned
api_hist_proc_samples(struct api_ctx *c, pid_t pid,
    const struct api_hist_win *w, cJSON **out, char *err, size_t errlen)
{
	struct pw_store *store = pw_monitor_store(c->mon);
	struct pw_snapshot *snap = NULL;
	struct gathered g;
	struct pw_hist_query q;
	struct proc_arg pa = { 0, 0 };
	int64_t now = api_now_ms(c->now_ms, c->now_arg), since, until, split;
	unsigned status;
	cJSON *o = NULL;
	bool in_mem;
	int rc;

	*out = NULL;
	memset(&g, 0, sizeof(g));
	if ((status = pick_res(c, w, now, &g.res, err, errlen)) != 0)
		return status;
	since = w->since_ms;
	until = w->until_ms;
	if (g.res != PW_HIST_RAW && since == INT64_MIN)
		since = (until != INT64_MAX ? until : now) -
		    (g.res == PW_HIST_1M ? MS_PER_DAY : 30 * MS_PER_DAY);
	if ((rc = pw_store_snapshot_pid(store, pid, &snap)) < 0 && rc !=
	    -ENOENT)
		goto out_rc;
	in_mem = rc == 0 && snap->n > 0;
	memset(&q, 0, sizeof(q));
	q.kind = PW_HIST_PROC;
	q.pid = pid;
	q.res = g.res;
	split = until;
	if (in_mem) {
		pa.mem_total = snap->mem_total;
		pa.fd_limit = snap->procs[0].fd_limit;
		q.start_time_ms = snap->procs[0].start_time_ms;
		if (g.res == PW_HIST_RAW) {
			if ((rc = pw_store_samples(store, pid, since, SIZE_MAX,
			    &g.mem, &g.nmem, &g.cap)) < 0 && rc != -ENOENT)
				goto out_rc;
			g.nmem = clip_mem(g.mem, g.nmem, until);
			if (g.nmem > 0)
				split = g.mem[0].ts_ms;
		}
	} else {
		q.at_ms = until != INT64_MAX ? until - 1 : 0;
		/* Gone from memory: the disk's last hour, unless asked. */
		if (since == INT64_MIN)
			since = (until != INT64_MAX ? until : now) -
			    MS_PER_HOUR;
	}
	/* Raw with no since reads memory only, as before the history. */
	if ((g.res != PW_HIST_RAW || since != INT64_MIN || !in_mem) &&
	    (rc = read_disk(c, &q, since != INT64_MIN ? since : 0,
	    split != INT64_MAX ? split : now + 1, &g.disk)) < 0)
		goto out_rc;
	if (!in_mem && g.disk == NULL) {
		pw_snapshot_free(snap);
		return api_fail(err, errlen, HTTP_NOT_FOUND, "no process with "
		    "pid %ld%s", (long)pid, c->history != NULL ? " in memory "
		    "or on disk in that window" : "");
	}
	if ((o = cJSON_CreateObject()) == NULL ||
	    !api_add_u64(o, "pid", (uint64_t)pid) ||
	    !api_add_u64(o, "capacity", g.cap) ||
	    !render_common(o, &g, w, (int64_t)pw_monitor_interval_ms(c->mon),
	    false, proc_mem_json, &pa))
		goto out_oom;
	gathered_fini(&g);
	pw_snapshot_free(snap);
	*out = o;
	return HTTP_OK;
out_rc:
	if (rc != -ENOMEM) {
		gathered_fini(&g);
		pw_snapshot_free(snap);
		return api_fail(err, errlen, HTTP_INTERNAL, "history: %s",
		    strerror(-rc));
	}
out_oom:
	cJSON_Delete(o);
	gathered_fini(&g);
	pw_snapshot_free(snap);
	return api_oom(err, errlen);
}

struct group_arg {
	uint64_t	mem_total;
	long		hz;
};

static cJSON *
group_mem_json(const struct gathered *g, size_t i, void *arg)
{
	struct group_arg *ga = arg;

	return api_targets_sample_json(&g->gmem[i], ga->mem_total, ga->hz);
}

unsigned
api_hist_target_samples(struct api_ctx *c, const char *name,
    size_t name_len, const struct api_hist_win *w, cJSON **out, char *err,
    size_t errlen)
{
	char want[API_TARGET_NAME_MAX + 1];
	struct pw_store *store = pw_monitor_store(c->mon);
	struct gathered g;
	struct pw_hist_query q;
	struct group_arg ga = { 0, c->hz };
	int64_t now = api_now_ms(c->now_ms, c->now_arg), since, until, split;
	unsigned status;
	cJSON *o = NULL;
	bool in_mem;
	size_t n;
	int rc;

	*out = NULL;
	memset(&g, 0, sizeof(g));
	if ((status = api_target_name(name, name_len, want, err, errlen)) != 0)
		return status;
	if ((status = pick_res(c, w, now, &g.res, err, errlen)) != 0)
		return status;
	since = w->since_ms;
	until = w->until_ms;
	if (g.res != PW_HIST_RAW && since == INT64_MIN)
		since = (until != INT64_MAX ? until : now) -
		    (g.res == PW_HIST_1M ? MS_PER_DAY : 30 * MS_PER_DAY);
	pw_store_info(store, NULL, &ga.mem_total);
	split = until;
	in_mem = false;
	if (g.res == PW_HIST_RAW) {
		rc = pw_store_group_samples(store, want, since, SIZE_MAX,
		    &g.gmem, &g.nmem, &g.cap);
		if (rc < 0 && rc != -ENOENT)
			goto out_rc;
		in_mem = rc == 0;
		for (n = g.nmem; n > 0 && g.gmem[n - 1].ts_ms >= until; n--)
			;
		g.nmem = n;
		if (g.nmem > 0)
			split = g.gmem[0].ts_ms;
	}
	if (!in_mem && since == INT64_MIN)
		since = (until != INT64_MAX ? until : now) - MS_PER_HOUR;
	memset(&q, 0, sizeof(q));
	q.kind = PW_HIST_GROUP;
	q.name = want;
	q.res = g.res;
	if ((g.res != PW_HIST_RAW || since != INT64_MIN || !in_mem) &&
	    (rc = read_disk(c, &q, since != INT64_MIN ? since : 0,
	    split != INT64_MAX ? split : now + 1, &g.disk)) < 0)
		goto out_rc;
	if (!in_mem && g.disk == NULL) {
		gathered_fini(&g);
		return api_fail(err, errlen, HTTP_NOT_FOUND, "no target named "
		    "\"%s\"", want);
	}
	if ((o = cJSON_CreateObject()) == NULL ||
	    !api_add_text(o, "name", want) ||
	    !api_add_u64(o, "capacity", g.cap) ||
	    !render_common(o, &g, w, (int64_t)pw_monitor_interval_ms(c->mon),
	    true, group_mem_json, &ga))
		goto out_oom;
	gathered_fini(&g);
	*out = o;
	return HTTP_OK;
out_rc:
	if (rc != -ENOMEM) {
		gathered_fini(&g);
		return api_fail(err, errlen, HTTP_INTERNAL, "history: %s",
		    strerror(-rc));
	}
out_oom:
	cJSON_Delete(o);
	gathered_fini(&g);
	return api_oom(err, errlen);
}

/* --- a moment ------------------------------------------------------------ */

static unsigned
need_history(struct api_ctx *c, const char *what, char *err, size_t errlen)
{
	return api_fail(err, errlen, HTTP_BAD, "%s: needs the history on "
	    "disk, and this daemon keeps it in memory only (%s)", what,
	    c->history_off);
}

/* Is the process (pid, start) alive now, by the store? */
static bool
alive_now(const struct pw_snapshot *now, pid_t pid, int64_t start_ms)
{
	size_t lo = 0, hi = now != NULL ? now->n : 0, mid;

	/* procs are ordered by pid, then id. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (now->procs[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; now != NULL && lo < now->n && now->procs[lo].pid == pid; lo++)
		if (now->procs[lo].alive &&
		    now->procs[lo].start_time_ms == start_ms)
			return true;
	return false;
}

static unsigned
at_common(struct api_ctx *c, int64_t at_ms, enum pw_hist_kind kind,
    cJSON **out, char *err, size_t errlen)
{
	struct pw_snapshot *now = NULL;
	struct pw_hist_at *at = NULL;
	const struct pw_hist_at_entry *e;
	cJSON *o = NULL, *arr, *item, *s;
	size_t i, count = 0;
	bool procs = kind == PW_HIST_PROC;
	int rc;

	*out = NULL;
	if (c->history == NULL)
		return need_history(c, "at", err, errlen);
	rc = pw_history_at(c->history, at_ms, &at);
	if (rc == -ENOMEM)
		return api_oom(err, errlen);
	if (rc < 0 && rc != -ENOENT)
		return api_fail(err, errlen, HTTP_INTERNAL, "history: %s",
		    strerror(-rc));
	if (procs && pw_store_snapshot(pw_monitor_store(c->mon), false,
	    &now) < 0)
		goto out_oom;
	if ((o = cJSON_CreateObject()) == NULL ||
	    !api_add_time(o, "at", at_ms) ||
	    cJSON_AddStringToObject(o, "resolution", at != NULL ?
	    res_names[at->res] : "raw") == NULL ||
	    cJSON_AddStringToObject(o, "source", "disk") == NULL ||
	    !api_add_u64(o, "interval_ms", pw_monitor_interval_ms(c->mon)) ||
	    (arr = cJSON_AddArrayToObject(o, procs ? API_NAME(PROCESSES) :
	    "targets")) == NULL)
		goto out_oom;
	for (i = 0; at != NULL && i < at->n; i++) {
		e = &at->e[i];
		if (e->ident.kind != kind)
			continue;
		if ((item = cJSON_CreateObject()) == NULL)
			goto out_oom;
		if (!cJSON_AddItemToArray(arr, item)) {
			cJSON_Delete(item);
			goto out_oom;
		}
		if (procs && (!api_add_u64(item, "pid",
		    (uint64_t)e->ident.pid) ||
		    !api_add_text(item, "name", e->ident.name) ||
		    !api_add_text(item, "target", e->ident.target[0] != '\0' ?
		    e->ident.target : NULL) ||
		    !api_add_text(item, "cmdline", e->ident.cmdline) ||
		    !api_add_time(item, pw_metric_name(PW_METRIC_START_TIME),
		    e->ident.start_time_ms) ||
		    cJSON_AddBoolToObject(item, "alive", alive_now(now,
		    e->ident.pid, e->ident.start_time_ms)) == NULL))
			goto out_oom;
		if (!procs && !api_add_text(item, "name", e->ident.name))
			goto out_oom;
		if ((s = disk_point(e->ts_ms, e->val, e->ncols, 0, !procs)) ==
		    NULL)
			goto out_oom;
		if (!cJSON_AddItemToObject(item, "sample", s)) {
			cJSON_Delete(s);
			goto out_oom;
		}
		count++;
	}
	if (!api_add_u64(o, "count", count))
		goto out_oom;
	pw_hist_at_free(at);
	pw_snapshot_free(now);
	*out = o;
	return HTTP_OK;
out_oom:
	cJSON_Delete(o);
	pw_hist_at_free(at);
	pw_snapshot_free(now);
	return api_oom(err, errlen);
}

unsigned
api_hist_processes_at(struct api_ctx *c, int64_t at_ms, cJSON **out,
    char *err, size_t errlen)
{
	return at_common(c, at_ms, PW_HIST_PROC, out, err, errlen);
}

unsigned
api_hist_targets_at(struct api_ctx *c, int64_t at_ms, cJSON **out,
    char *err, size_t errlen)
{
	return at_common(c, at_ms, PW_HIST_GROUP, out, err, errlen);
}

/* --- events and alerts ----------------------------------------------------- */

static cJSON *
event_json(const struct pw_hist_event *e)
{
	cJSON *o;
	bool ok;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	ok = api_add_time(o, "ts", e->ts_ms) &&
	    cJSON_AddStringToObject(o, "kind", e->kind == PW_HIST_EV_ALERT ?
	    "alert" : "process") != NULL &&
	    api_add_text(o, "type", e->type) &&
	    (e->pid > 0 ? api_add_u64(o, "pid", (uint64_t)e->pid) :
	    cJSON_AddNullToObject(o, "pid") != NULL) &&
	    api_add_time(o, pw_metric_name(PW_METRIC_START_TIME),
	    e->start_time_ms) &&
	    api_add_text(o, "name", e->name) &&
	    api_add_text(o, "target", e->target[0] != '\0' ? e->target :
	    NULL) &&
	    (isfinite(e->value) ? cJSON_AddNumberToObject(o, "value",
	    e->value) : cJSON_AddNullToObject(o, "value")) != NULL &&
	    api_add_text(o, "detail", e->detail[0] != '\0' ? e->detail :
	    NULL);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

unsigned
api_hist_events(struct api_ctx *c, const struct api_hist_win *w,
    size_t limit, cJSON **out, char *err, size_t errlen)
{
	struct pw_hist_event *ev = NULL;
	int64_t now = api_now_ms(c->now_ms, c->now_arg);
	int64_t since, until;
	size_t n = 0, i;
	cJSON *o = NULL, *arr, *item;
	int rc;

	*out = NULL;
	if (c->history == NULL)
		return need_history(c, "since, until", err, errlen);
	since = w->since_ms != INT64_MIN ? w->since_ms : now - MS_PER_HOUR;
	until = w->until_ms != INT64_MAX ? w->until_ms : now + 1;
	if (limit == SIZE_MAX)
		limit = EVENTS_DEFAULT;
	if ((rc = pw_history_events(c->history, since, until, 0, &ev,
	    &n)) < 0) {
		if (rc == -ENOMEM)
			return api_oom(err, errlen);
		return api_fail(err, errlen, HTTP_INTERNAL, "history: %s",
		    strerror(-rc));
	}
	/* The oldest `limit` of the window: a client pages with since. */
	if ((o = cJSON_CreateObject()) == NULL ||
	    !api_add_time(o, "since", since) ||
	    !api_add_time(o, "until", until) ||
	    !api_add_u64(o, "count", n > limit ? limit : n) ||
	    cJSON_AddBoolToObject(o, "truncated", n > limit) == NULL ||
	    (arr = cJSON_AddArrayToObject(o, "events")) == NULL)
		goto out_oom;
	for (i = 0; i < n && i < limit; i++) {
		if ((item = event_json(&ev[i])) == NULL)
			goto out_oom;
		if (!cJSON_AddItemToArray(arr, item)) {
			cJSON_Delete(item);
			goto out_oom;
		}
	}
	free(ev);
	*out = o;
	return HTTP_OK;
out_oom:
	cJSON_Delete(o);
	free(ev);
	return api_oom(err, errlen);
}

unsigned
api_hist_alerts_at(struct api_ctx *c, int64_t at_ms, cJSON **out, char *err,
    size_t errlen)
{
	struct pw_hist_event *ev = NULL;
	size_t n = 0, i;
	cJSON *o = NULL, *arr, *a;
	bool ok;
	int rc;

	*out = NULL;
	if (c->history == NULL)
		return need_history(c, "at", err, errlen);
	if ((rc = pw_history_alerts_at(c->history, at_ms, &ev, &n)) < 0) {
		if (rc == -ENOMEM)
			return api_oom(err, errlen);
		return api_fail(err, errlen, HTTP_INTERNAL, "history: %s",
		    strerror(-rc));
	}
	if (n > ALERTS_MAX)
		n = ALERTS_MAX;
	if ((o = cJSON_CreateObject()) == NULL ||
	    !api_add_time(o, "at", at_ms) ||
	    !api_add_u64(o, "count", n) ||
	    (arr = cJSON_AddArrayToObject(o, "alerts")) == NULL)
		goto out_oom;
	for (i = 0; i < n; i++) {
		if ((a = cJSON_CreateObject()) == NULL)
			goto out_oom;
		if (!cJSON_AddItemToArray(arr, a)) {
			cJSON_Delete(a);
			goto out_oom;
		}
		ok = cJSON_AddStringToObject(a, "state", "firing") != NULL &&
		    api_add_text(a, "rule", ev[i].name) &&
		    api_add_text(a, "target", ev[i].target[0] != '\0' ?
		    ev[i].target : NULL) &&
		    (ev[i].pid > 0 ? api_add_u64(a, "pid",
		    (uint64_t)ev[i].pid) : cJSON_AddNullToObject(a, "pid") !=
		    NULL) &&
		    (isfinite(ev[i].value) ? cJSON_AddNumberToObject(a,
		    "value", ev[i].value) : cJSON_AddNullToObject(a,
		    "value")) != NULL &&
		    api_add_time(a, "fired_at", ev[i].ts_ms);
		if (!ok)
			goto out_oom;
	}
	free(ev);
	*out = o;
	return HTTP_OK;
out_oom:
	cJSON_Delete(o);
	free(ev);
	return api_oom(err, errlen);
}

/* --- /healthz and /metrics ----------------------------------------------- */

bool
api_hist_healthz(struct api_ctx *c, cJSON *o)
{
	struct pw_hist_stats st;
	cJSON *h, *old;
	size_t r;

	if ((h = cJSON_AddObjectToObject(o, "history")) == NULL)
		return false;
	if (c->history == NULL)
		return cJSON_AddBoolToObject(h, "on", false) != NULL &&
		    api_add_text(h, "reason", c->history_off);
	pw_history_stats(c->history, &st);
	if (cJSON_AddBoolToObject(h, "on", true) == NULL ||
	    !api_add_text(h, "dir", c->history_dir) ||
	    !api_add_u64(h, "bytes", st.bytes_total) ||
	    !api_add_u64(h, "max_bytes", st.max_bytes) ||
	    !api_add_time(h, "newest", st.newest_ms) ||
	    (old = cJSON_AddObjectToObject(h, "oldest")) == NULL)
		return false;
	for (r = 0; r < PW_HIST_NRES; r++)
		if (!api_add_time(old, res_names[r], st.oldest_ms[r]))
			return false;
	return cJSON_AddBoolToObject(h, "writing", !st.write_failing) !=
	    NULL &&
	    (st.write_failing ? api_add_text(h, "write_error",
	    strerror(st.last_errno)) :
	    cJSON_AddNullToObject(h, "write_error") != NULL) &&
	    api_add_u64(h, "dropped", st.dropped_queue + st.dropped_write) &&
	    api_add_u64(h, "corrupt_skipped", st.corrupt_skipped);
}

int
api_hist_metrics(struct api_ctx *c, struct api_buf *page)
{
	struct pw_hist_stats st;

	if (c->history == NULL) {
		api_buf_printf(page,
		    "# HELP procwatch_history_enabled 1 when the history is "
		    "kept on disk.\n"
		    "# TYPE procwatch_history_enabled gauge\n"
		    "procwatch_history_enabled 0\n");
		return page->err;
	}
	pw_history_stats(c->history, &st);
	api_buf_printf(page,
	    "# HELP procwatch_history_enabled 1 when the history is kept on "
	    "disk.\n"
	    "# TYPE procwatch_history_enabled gauge\n"
	    "procwatch_history_enabled 1\n"
	    "# HELP procwatch_history_cycles_written_total Sampling cycles "
	    "written to the history on disk.\n"
	    "# TYPE procwatch_history_cycles_written_total counter\n"
	    "procwatch_history_cycles_written_total %llu\n"
	    "# HELP procwatch_history_dropped_total Cycles not written: the "
	    "queue was full, or writing failed (disk full, I/O error).\n"
	    "# TYPE procwatch_history_dropped_total counter\n"
	    "procwatch_history_dropped_total{reason=\"queue_full\"} %llu\n"
	    "procwatch_history_dropped_total{reason=\"write_error\"} %llu\n"
	    "# HELP procwatch_history_write_errors_total Failed writes and "
	    "fsyncs of the history.\n"
	    "# TYPE procwatch_history_write_errors_total counter\n"
	    "procwatch_history_write_errors_total %llu\n"
	    "# HELP procwatch_history_corrupt_skipped_total Corrupt records "
	    "skipped when reading the history.\n"
	    "# TYPE procwatch_history_corrupt_skipped_total counter\n"
	    "procwatch_history_corrupt_skipped_total %llu\n"
	    "# HELP procwatch_history_bytes Bytes of the history on disk, by "
	    "tier.\n"
	    "# TYPE procwatch_history_bytes gauge\n"
	    "procwatch_history_bytes{tier=\"raw\"} %llu\n"
	    "procwatch_history_bytes{tier=\"1m\"} %llu\n"
	    "procwatch_history_bytes{tier=\"1h\"} %llu\n"
	    "procwatch_history_bytes{tier=\"events\"} %llu\n"
	    "# HELP procwatch_history_max_bytes The history's size budget.\n"
	    "# TYPE procwatch_history_max_bytes gauge\n"
	    "procwatch_history_max_bytes %llu\n",
	    (unsigned long long)st.cycles_written,
	    (unsigned long long)st.dropped_queue,
	    (unsigned long long)st.dropped_write,
	    (unsigned long long)st.write_errors,
	    (unsigned long long)st.corrupt_skipped,
	    (unsigned long long)st.bytes[PW_HIST_RAW],
	    (unsigned long long)st.bytes[PW_HIST_1M],
	    (unsigned long long)st.bytes[PW_HIST_1H],
	    (unsigned long long)st.bytes_events,
	    (unsigned long long)st.max_bytes);
	return page->err;
}

/* --- every series over a window ------------------------------------------ */

/* One series of a cycle as a row: who, then the sample's keys. */
static cJSON *
dump_row(int64_t ts_ms, const struct pw_hist_ident *id, const double *v,
    size_t ncols)
{
	bool group = id->kind == PW_HIST_GROUP;
	cJSON *o;
	bool ok;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	ok = api_add_time(o, "ts", ts_ms) &&
	    cJSON_AddStringToObject(o, "kind", group ? "target" :
	    "process") != NULL;
	if (ok && group)
		ok = api_add_text(o, "name", id->name);
	else if (ok)
		ok = api_add_u64(o, "pid", (uint64_t)id->pid) &&
		    api_add_text(o, "name", id->name) &&
		    api_add_text(o, "target", id->target[0] != '\0' ?
		    id->target : NULL) &&
		    api_add_time(o, pw_metric_name(PW_METRIC_START_TIME),
		    id->start_time_ms);
	ok = ok && add_rows(o, v, ncols, 0, group);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

unsigned
api_hist_dump(struct api_ctx *c, const struct api_hist_win *w, bool targets,
    cJSON **out, char *err, size_t errlen)
{
	struct pw_hist_cursor *cur = NULL;
	const struct pw_hist_cycle *cyc;
	const struct pw_hist_ident *id;
	const double *v;
	int64_t now = api_now_ms(c->now_ms, c->now_arg), since, until, ts;
	int64_t last = INT64_MIN;
	size_t limit, rows = 0, i, ns, ncols;
	bool more = false;
	cJSON *o = NULL, *arr, *r;
	int rc;

	*out = NULL;
	if (c->history == NULL)
		return need_history(c, "samples", err, errlen);
	since = w->since_ms != INT64_MIN ? w->since_ms : now - MS_PER_HOUR;
	until = w->until_ms != INT64_MAX ? w->until_ms : now + 1;
	limit = w->limit != SIZE_MAX ? w->limit : API_HIST_DUMP_ROWS;
	if ((rc = pw_hist_cursor_new(c->history, since > 0 ? since - 1 : 0,
	    &cur)) < 0)
		goto out_rc;
	if ((o = cJSON_CreateObject()) == NULL ||
	    !api_add_time(o, "since", since) ||
	    !api_add_time(o, "until", until) ||
	    (arr = cJSON_AddArrayToObject(o, "samples")) == NULL)
		goto out_oom;
	/* Whole cycles only, so a client pages on from next_since. */
	while ((rc = pw_hist_cursor_next(cur, &cyc)) == 1) {
		ts = pw_hist_cycle_ts(cyc);
		if (ts < since)
			continue;
		if (ts >= until)
			break;
		ns = pw_hist_cycle_nseries(cyc);
		if (rows > 0 && rows + ns > limit) {
			more = true;
			break;
		}
		for (i = 0; i < ns; i++) {
			v = pw_hist_cycle_series(cyc, i, &id, &ncols);
			if (id->kind == PW_HIST_CUSTOM ||
			    (id->kind == PW_HIST_GROUP) != targets)
				continue;
			if ((r = dump_row(ts, id, v, ncols)) == NULL)
				goto out_oom;
			if (!cJSON_AddItemToArray(arr, r)) {
				cJSON_Delete(r);
				goto out_oom;
			}
			rows++;
		}
		last = ts;
	}
	if (rc < 0)
		goto out_rc;
	if (!api_add_u64(o, "count", rows) ||
	    cJSON_AddBoolToObject(o, "truncated", more) == NULL ||
	    (more ? !api_add_time(o, "next_since", last + 1) :
	    cJSON_AddNullToObject(o, "next_since") == NULL))
		goto out_oom;
	pw_hist_cursor_free(cur);
	*out = o;
	return HTTP_OK;
out_rc:
	if (rc != -ENOMEM) {
		cJSON_Delete(o);
		pw_hist_cursor_free(cur);
		return api_fail(err, errlen, HTTP_INTERNAL, "history: %s",
		    strerror(-rc));
	}
out_oom:
	cJSON_Delete(o);
	pw_hist_cursor_free(cur);
	return api_oom(err, errlen);
}

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
		need_history(c, "until", err, errlen);
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
