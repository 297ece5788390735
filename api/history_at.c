/*
 * api/history_at.c: the past at a moment and over a window: processes and
 * targets at ?at=, the events of a window, the alerts firing at ?at=.
 *
 * DESIGN: split from api/history.c (samples), whose top comment gives
 * the JSON of each view (AT, ALERTS AT, EVENTS).  Each reads the history
 * on disk into arrays of its own and renders after; for processes at a
 * moment, a snapshot of the store says which are still alive.
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

/* --- a moment ------------------------------------------------------------ */

unsigned
api_hist_need_history(struct api_ctx *c, const char *what, char *err,
    size_t errlen)
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
		return api_hist_need_history(c, "at", err, errlen);
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
	    api_hist_res_names[at->res] : "raw") == NULL ||
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
		if ((s = api_hist_disk_point(e->ts_ms, e->val, e->ncols, 0,
		    !procs)) == NULL)
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
		return api_hist_need_history(c, "since, until", err, errlen);
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
		return api_hist_need_history(c, "at", err, errlen);
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
