/*
 * api/history_dump.c: every series over a window (GET /api/v1/samples),
 * cycle by cycle, for procwatchctl dump.
 *
 * DESIGN: split from api/history.c, whose top comment gives the JSON
 * (DUMP).  A cursor reads the window cycle by cycle and stops at ?limit=
 * rows on a whole cycle, so a client pages on from next_since.
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
	ok = ok && api_hist_add_rows(o, v, ncols, 0, group);
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
		return api_hist_need_history(c, "samples", err, errlen);
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
