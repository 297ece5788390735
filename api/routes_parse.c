/*
 * api/routes_parse.c: the parse steps of the route table: query and
 * path into a struct api_req (api/routes_impl.h).
 *
 * DESIGN: split from api/routes.c, whose top comment says what a parse
 * step checks (a {pid}, a ?limit=, a ?state=) and what it hands over as
 * given for the view to check.  Each answers 0, or a 4xx status with
 * the message in err.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>

#include <procwatch/monitor.h>
#include <procwatch/rules.h>
#include <procwatch/store.h>

#include "api/api.h"
#include "api/buf.h"
#include "api/catalogue.h"
#include "api/events.h"
#include "api/history.h"
#include "api/memory.h"
#include "api/params.h"
#include "api/profile.h"
#include "api/routes.h"
#include "api/routes_impl.h"
#include "api/stats.h"
#include "api/targets.h"


/*
 * Look up query argument key.  Returns false if absent; else *val is its
 * value, NULL for a bare "?key" without '='.
 */
static bool
query_arg(const struct api_in *in, const char *key, const char **val)
{
	*val = NULL;
	return MHD_lookup_connection_value_n(in->conn, MHD_GET_ARGUMENT_KIND,
	    key, strlen(key), val, NULL) == MHD_YES;
}

/* A query value; "" for a bare "?key", NULL when absent. */
static const char *
query_val(const struct api_in *in, const char *key)
{
	const char *val;

	if (!query_arg(in, key, &val))
		return NULL;
	return val != NULL ? val : "";
}

/*
 * A boolean query flag: absent is false, a bare "?key" true.  Returns 0
 * or -EINVAL.
 */
static int
query_flag(const struct api_in *in, const char *key, bool *out)
{
	const char *val;

	*out = false;
	if (!query_arg(in, key, &val))
		return 0;
	if (val == NULL) {
		*out = true;
		return 0;
	}
	return api_parse_bool(val, out);
}

/*
 * A time query value, ?key=TIME (procwatch/timespec.h), into *ms; 0 when
 * absent or good, else 400 with the message in err.
 */
static unsigned
query_time(const struct api_in *in, const struct api_req *rq, const char *key,
    int64_t *ms, char *err, size_t errlen)
{
	const char *val;

	if (!query_arg(in, key, &val))
		return 0;
	return api_hist_parse_time(key, val, rq->now_ms, ms, err, errlen);
}

/* The {pid} capture (the first). */
unsigned
api_rq_pid(const struct api_in *in, struct api_req *rq, char *err,
    size_t errlen)
{
	char buf[32];

	if (in->ncap > 0 && in->cap_len[0] < sizeof(buf)) {
		memcpy(buf, in->cap[0], in->cap_len[0]);
		buf[in->cap_len[0]] = '\0';
		if (api_parse_pid(buf, &rq->pid) == 0)
			return 0;
	}
	return api_fail(err, errlen, MHD_HTTP_BAD_REQUEST,
	    "pid: expected a positive decimal integer that fits pid_t");
}

/* The query values of the windowed views, events and averages. */
unsigned
api_rq_view(const struct api_in *in, struct api_req *rq, char *err UNUSED,
    size_t errlen UNUSED)
{
	rq->window = query_val(in, "window");
	rq->metrics = query_val(in, "metrics");
	rq->baseline = query_val(in, "baseline");
	rq->target = query_val(in, "target");
	rq->by = query_val(in, "by");
	rq->limit = query_val(in, "limit");
	return 0;
}

/* ?since= and ?until=, the second after the first. */
unsigned
api_rq_window(const struct api_in *in, struct api_req *rq, char *err,
    size_t errlen)
{
	unsigned status;

	if ((status = query_time(in, rq, "since", &rq->since_ms, err,
	    errlen)) != 0 ||
	    (status = query_time(in, rq, "until", &rq->until_ms, err,
	    errlen)) != 0)
		return status;
	if (rq->since_ms != INT64_MIN && rq->until_ms != INT64_MAX &&
	    rq->since_ms >= rq->until_ms)
		return api_fail(err, errlen, MHD_HTTP_BAD_REQUEST,
		    "until: must be after since");
	return 0;
}

/* ?limit=, ?since=, ?until= and ?resolution= of a samples request. */
unsigned
api_rq_samples(const struct api_in *in, struct api_req *rq, char *err,
    size_t errlen)
{
	const char *val;
	unsigned status;

	if (query_arg(in, "limit", &val) &&
	    api_parse_limit(val, API_MAX_SAMPLES_LIMIT, &rq->nlimit) < 0)
		return api_fail(err, errlen, MHD_HTTP_BAD_REQUEST,
		    "limit: expected an integer from 1 to %d",
		    API_MAX_SAMPLES_LIMIT);
	if ((status = api_rq_window(in, rq, err, errlen)) != 0)
		return status;
	if (query_arg(in, "resolution", &val) &&
	    (status = api_hist_parse_res(val, &rq->res, err, errlen)) != 0)
		return status;
	return 0;
}

/* A dump's ?kind=process|target. */
unsigned
api_rq_kind(const struct api_in *in, struct api_req *rq, char *err,
    size_t errlen)
{
	const char *val = query_val(in, "kind");

	if (val == NULL || strcmp(val, "process") == 0)
		rq->targets = false;
	else if (strcmp(val, "target") == 0)
		rq->targets = true;
	else
		return api_fail(err, errlen, MHD_HTTP_BAD_REQUEST,
		    "kind: expected process or target");
	return 0;
}

/* ?at=: a moment in the past (api/history.h). */
unsigned
api_rq_at(const struct api_in *in, struct api_req *rq, char *err,
    size_t errlen)
{
	unsigned status;

	if ((status = query_time(in, rq, "at", &rq->at_ms, err, errlen)) != 0)
		return status;
	rq->has_at = query_val(in, "at") != NULL;
	return 0;
}

/* ?all and ?include_gone: also the processes that exited recently. */
unsigned
api_rq_processes(const struct api_in *in, struct api_req *rq, char *err,
    size_t errlen)
{
	bool all, gone;

	if (query_flag(in, "all", &all) < 0)
		return api_fail(err, errlen, MHD_HTTP_BAD_REQUEST,
		    "all: expected a boolean (1, true, yes, on, 0, false, "
		    "no, off)");
	if (query_flag(in, "include_gone", &gone) < 0)
		return api_fail(err, errlen, MHD_HTTP_BAD_REQUEST,
		    "include_gone: expected a boolean (1, true, yes, on, 0, "
		    "false, no, off)");
	rq->with_gone = all || gone;
	return api_rq_at(in, rq, err, errlen);
}

/* ?state=firing|pending|resolved|all (default firing and pending). */
unsigned
api_rq_alerts(const struct api_in *in, struct api_req *rq, char *err,
    size_t errlen)
{
	enum pw_alert_severity sev;
	const char *state;

	rq->states = PW_ALERTS_FIRING | PW_ALERTS_PENDING;
	if (query_arg(in, "state", &state)) {
		if (state == NULL)
			state = "";
		if (strcmp(state, "firing") == 0)
			rq->states = PW_ALERTS_FIRING;
		else if (strcmp(state, "pending") == 0)
			rq->states = PW_ALERTS_PENDING;
		else if (strcmp(state, "resolved") == 0)
			rq->states = PW_ALERTS_RESOLVED;
		else if (strcmp(state, "all") == 0)
			rq->states = PW_ALERTS_FIRING | PW_ALERTS_PENDING |
			    PW_ALERTS_RESOLVED;
		else
			return api_fail(err, errlen, MHD_HTTP_BAD_REQUEST,
			    "state: expected firing, pending, resolved or all");
	}
	if (query_arg(in, "severity", &rq->severity) &&
	    (rq->severity == NULL ||
	    pw_alert_severity_parse(rq->severity, &sev) < 0))
		return api_fail(err, errlen, MHD_HTTP_BAD_REQUEST,
		    "severity: expected info, warning or critical");
	if (query_arg(in, "target", &rq->target) && rq->target == NULL)
		return api_fail(err, errlen, MHD_HTTP_BAD_REQUEST,
		    "target: expected a target name");
	return api_rq_at(in, rq, err, errlen);
}

/* Only names on api/static.c's list are served: no path reaches past it. */
unsigned
api_rq_dygraphs(const struct api_in *in, struct api_req *rq, char *err,
    size_t errlen)
{
	if (in->ncap < 1 || in->cap_len[0] > 32)
		return api_fail(err, errlen, MHD_HTTP_NOT_FOUND, "not found");
	snprintf(rq->file_buf, sizeof(rq->file_buf), "dygraphs/%.*s",
	    (int)in->cap_len[0], in->cap[0]);
	rq->file = rq->file_buf;
	return 0;
}
