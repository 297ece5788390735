/*
 * api/history.c: the API's views of the past (api/history.h): the
 * parsing of ?since=/?until=/?resolution=, a series' samples from memory
 * and disk, and the history's /healthz and /metrics figures.  The other
 * views are in history_at.c (AT, ALERTS AT, EVENTS), history_dump.c (DUMP)
 * and history_rank.c (bottlenecks of a past window); what they share is
 * in history_impl.h.  The JSON of every view is below.
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
#include "api/history_impl.h"
#include "api/routes.h"
#include "api/targets.h"
#include "lib/history.h"

const char *const api_hist_res_names[] = { "raw", "1m", "1h" };

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
bool
api_hist_add_rows(cJSON *o, const double *v, size_t ncols, size_t i, bool group)
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
cJSON *
api_hist_disk_point(int64_t ts_ms, const double *v, size_t ncols, size_t i,
    bool group)
{
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (!api_add_time(o, "ts", ts_ms) ||
	    !api_hist_add_rows(o, v, ncols, i, group) ||
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
	    !api_hist_add_rows(o, s->val, s->ncols, i, group))
		goto out_oom;
	if ((sub = cJSON_AddObjectToObject(o, "min")) == NULL ||
	    (s->min != NULL &&
	    !api_hist_add_rows(sub, s->min, s->ncols, i, group)) ||
	    (sub = cJSON_AddObjectToObject(o, "max")) == NULL ||
	    (s->max != NULL &&
	    !api_hist_add_rows(sub, s->max, s->ncols, i, group)) ||
	    (sub = cJSON_AddObjectToObject(o, "last")) == NULL ||
	    (s->last != NULL &&
	    !api_hist_add_rows(sub, s->last, s->ncols, i, group)))
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
		    "only (%s)", api_hist_res_names[*res], c->history_off);
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
	if (cJSON_AddStringToObject(o, "resolution",
	    api_hist_res_names[g->res]) == NULL ||
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
			p = g->res == PW_HIST_RAW ?
			    api_hist_disk_point(ts, g->disk->val,
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
		if (!api_add_time(old, api_hist_res_names[r], st.oldest_ms[r]))
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
