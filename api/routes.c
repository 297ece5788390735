/*
 * api/routes.c: the route table of the HTTP API, its render functions,
 * and api_route_serve(), the one handler that runs them; the parse steps
 * are in api/routes_parse.c, the shared struct api_req in routes_impl.h.
 *
 * DESIGN: api/routes.h says how a request goes through a route.  The
 * work of most routes lives in the module that owns the view (api/stats.h
 * for the windowed views, targets.h, events.h, profile.h, custom.c,
 * alerts.c, prom.c, static.c); a render function here calls one and says
 * what the answer is, so the table reads as the API's index.  Parse
 * functions check what is checked before any work is done (a {pid}, a
 * ?limit=, a ?state=); values a view checks itself (?window=, ?metrics=)
 * are handed over as given.
 *
 * Renderers take their snapshot from the handler (a copy made under the
 * store's read lock, released before rendering), so no lock is held
 * across cJSON or the network.
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

#define CT_PROM		"text/plain; version=0.0.4; charset=utf-8"
#define CT_TEXT		"text/plain; charset=utf-8"

int64_t
api_now_ms(api_clock_fn *clock, void *arg)
{
	struct timespec ts;

	if (clock != NULL)
		return clock(arg);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- the routes' state ---------------------------------------------------- */

int
api_ctx_init(struct api_ctx *c, const struct api_options *opts,
    struct pw_monitor *mon)
{
	c->mon = mon;
	if ((c->hz = sysconf(_SC_CLK_TCK)) <= 0)
		c->hz = 100;
	c->now_ms = opts->now_ms;
	c->now_arg = opts->now_arg;
	if ((c->version = strdup(opts->version != NULL ? opts->version :
	    "unknown")) == NULL)
		return -ENOMEM;
	if ((c->stats = api_stats_new(mon, c->hz, c->now_ms,
	    c->now_arg)) == NULL) {
		free(c->version);
		c->version = NULL;
		return -ENOMEM;
	}
	c->alerts = opts->alerts;
	c->notify_stats = opts->notify_stats;
	c->notify_arg = opts->notify_arg;
	c->rw_stats = opts->rw_stats;
	c->rw_arg = opts->rw_arg;
	snprintf(c->dygraphs_dir, sizeof(c->dygraphs_dir), "%s",
	    opts->dygraphs_dir != NULL ? opts->dygraphs_dir :
	    API_DEFAULT_DYGRAPHS_DIR);
	c->reload = opts->reload;
	c->reload_arg = opts->reload_arg;
	api_ctx_set_process_metrics(c, opts->process_metrics,
	    opts->process_metrics_top);
	c->profiler = opts->profiler;
	c->events = opts->events;
	c->history = opts->history;
	snprintf(c->history_off, sizeof(c->history_off), "%s",
	    opts->history_off != NULL ? opts->history_off :
	    "not configured");
	snprintf(c->history_dir, sizeof(c->history_dir), "%s",
	    opts->history_dir != NULL ? opts->history_dir : "");
	return 0;
}

void
api_ctx_fini(struct api_ctx *c)
{
	api_stats_free(c->stats);
	free(c->version);
	c->stats = NULL;
	c->version = NULL;
}

void
api_ctx_set_process_metrics(struct api_ctx *c, int mode, unsigned top)
{
	if (mode != API_PROCMETRICS_NONE && mode != API_PROCMETRICS_TOP)
		mode = API_PROCMETRICS_ALL;
	atomic_store_explicit(&c->procmetrics,
	    (uint64_t)(unsigned)mode << 32 | top, memory_order_relaxed);
}

/* --- parse: query and path into a struct api_req -------------------------- */
/* --- render: request and snapshot into an answer -------------------------- */

static unsigned
oom(struct api_out *out)
{
	return api_oom(out->err, sizeof(out->err));
}

/* Answer 200 with o (NULL: out of memory) as the JSON body. */
static unsigned
json(struct api_out *out, cJSON *o)
{
	out->json = o;
	return MHD_HTTP_OK;
}

/*
 * "delays": where the delay rows come from here and why some are null:
 * {"taskstats": bool, "taskstats_error": text or null,
 *  "delay_accounting": "on", "off" or "unknown", "note": text,
 *  "metrics": {NAME: {"available": "yes"|"partly"|"no",
 *                     "reason": text or null}}}
 */
static bool
add_delays(cJSON *o, const struct pw_monitor_stats *st)
{
	static const enum pw_metric rows[] = { PW_METRIC_CPU_DELAY_PERCENT,
	    PW_METRIC_IO_DELAY_PERCENT, PW_METRIC_SWAPIN_DELAY_PERCENT,
	    PW_METRIC_MEMORY_DELAY_PERCENT };
	const char *avail;
	char why[512];
	cJSON *d, *ms, *m;
	size_t i;

	if ((d = cJSON_AddObjectToObject(o, "delays")) == NULL ||
	    cJSON_AddBoolToObject(d, "taskstats", st->delay_taskstats) ==
	    NULL ||
	    !api_add_text(d, "taskstats_error", st->delay_taskstats ? NULL :
	    st->delay_reason) ||
	    cJSON_AddStringToObject(d, "delay_accounting", st->delayacct == 1 ?
	    "on" : st->delayacct == 0 ? "off" : "unknown") == NULL ||
	    cJSON_AddStringToObject(d, "note", st->delayacct_note) == NULL ||
	    (ms = cJSON_AddObjectToObject(d, "metrics")) == NULL)
		return false;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		avail = api_metric_availability(st, rows[i], why, sizeof(why));
		if ((m = cJSON_AddObjectToObject(ms,
		    pw_metric_name(rows[i]))) == NULL ||
		    cJSON_AddStringToObject(m, "available", avail) == NULL ||
		    !api_add_text(m, "reason", why[0] != '\0' ? why : NULL))
			return false;
	}
	return true;
}

static unsigned
render_healthz(struct api_ctx *c, const struct api_req *rq UNUSED,
    const struct pw_snapshot *snap UNUSED, struct api_out *out)
{
	struct pw_monitor_stats st;
	int64_t up = 0, now;
	cJSON *o;
	bool ok;

	pw_monitor_get_stats(c->mon, &st);
	now = api_now_ms(c->now_ms, c->now_arg);
	if (st.started_ms > 0 && now > st.started_ms)
		up = (now - st.started_ms) / 1000;
	if ((o = cJSON_CreateObject()) == NULL)
		return oom(out);
	ok = cJSON_AddStringToObject(o, "status", "ok") != NULL &&
	    cJSON_AddStringToObject(o, "version", c->version) != NULL &&
	    cJSON_AddNumberToObject(o, "uptime_s", (double)up) != NULL &&
	    cJSON_AddNumberToObject(o, "targets", (double)st.targets) != NULL &&
	    cJSON_AddNumberToObject(o, API_NAME(PROCESSES),
	    (double)st.procs_alive) != NULL &&
	    cJSON_AddNumberToObject(o, "interval_ms",
	    (double)st.interval_ms) != NULL &&
	    cJSON_AddNumberToObject(o, "cycles", (double)st.cycles) != NULL &&
	    add_delays(o, &st) && api_hist_healthz(c, o);
	if (!ok) {
		cJSON_Delete(o);
		return oom(out);
	}
	return json(out, o);
}

static unsigned
render_processes(struct api_ctx *c, const struct api_req *rq,
    const struct pw_snapshot *snap, struct api_out *out)
{
	struct api_custom_procs *cp = NULL;
	cJSON *o = NULL, *arr, *p;
	size_t i;

	if (rq->has_at)
		return api_hist_processes_at(c, rq->at_ms, &out->json,
		    out->err, sizeof(out->err));
	if ((cp = api_custom_procs_new(c->mon)) == NULL ||
	    (o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddNumberToObject(o, "interval_ms",
	    (double)pw_monitor_interval_ms(c->mon)) == NULL ||
	    cJSON_AddNumberToObject(o, "mem_total_bytes",
	    (double)snap->mem_total) == NULL ||
	    (arr = cJSON_AddArrayToObject(o, "processes")) == NULL)
		goto out_oom;
	for (i = 0; i < snap->n; i++) {
		if ((p = api_json_proc(&snap->procs[i], snap->mem_total)) ==
		    NULL)
			goto out_oom;
		if (!cJSON_AddItemToArray(arr, p)) {
			cJSON_Delete(p);
			goto out_oom;
		}
		if (api_custom_attach(cp, p, snap->procs[i].id) < 0)
			goto out_oom;
	}
	api_custom_procs_free(cp);
	return json(out, o);
out_oom:
	api_custom_procs_free(cp);
	cJSON_Delete(o);
	return oom(out);
}

static unsigned
render_process(struct api_ctx *c, const struct api_req *rq UNUSED,
    const struct pw_snapshot *snap, struct api_out *out)
{
	struct api_custom_procs *cp = NULL;
	cJSON *o;

	o = api_json_proc(&snap->procs[0], snap->mem_total);
	if (o != NULL && ((cp = api_custom_procs_new(c->mon)) == NULL ||
	    api_custom_attach(cp, o, snap->procs[0].id) < 0)) {
		cJSON_Delete(o);
		o = NULL;		/* answered as out of memory */
	}
	api_custom_procs_free(cp);
	return json(out, o);
}

/* The answer to a store call that failed with rc. */
static unsigned
store_error(int rc, pid_t pid, struct api_out *out)
{
	if (rc == -ENOENT)
		return api_fail(out->err, sizeof(out->err), MHD_HTTP_NOT_FOUND,
		    "no process with pid %ld", (long)pid);
	if (rc == -ENOMEM)
		return oom(out);
	return api_fail(out->err, sizeof(out->err),
	    MHD_HTTP_INTERNAL_SERVER_ERROR, "store error %d", rc);
}

/* Every series over a window, from disk (api/history.c). */
static unsigned
render_dump(struct api_ctx *c, const struct api_req *rq,
    const struct pw_snapshot *snap UNUSED, struct api_out *out)
{
	struct api_hist_win w = { rq->since_ms, rq->until_ms, rq->res,
	    rq->nlimit };

	return api_hist_dump(c, &w, rq->targets, &out->json, out->err,
	    sizeof(out->err));
}

/* From memory and disk (api/history.c). */
static unsigned
render_samples(struct api_ctx *c, const struct api_req *rq,
    const struct pw_snapshot *snap UNUSED, struct api_out *out)
{
	struct api_hist_win w = { rq->since_ms, rq->until_ms, rq->res,
	    rq->nlimit };

	return api_hist_proc_samples(c, rq->pid, &w, &out->json, out->err,
	    sizeof(out->err));
}

static unsigned
render_alerts(struct api_ctx *c, const struct api_req *rq,
    const struct pw_snapshot *snap UNUSED, struct api_out *out)
{
	if (rq->has_at)
		return api_hist_alerts_at(c, rq->at_ms, &out->json, out->err,
		    sizeof(out->err));
	if (c->alerts == NULL)
		return json(out, cJSON_Parse("{\"alerts\":[],\"count\":0}"));
	if (api_json_alerts(c->alerts, rq->states, rq->severity, rq->target,
	    &out->json) < 0)
		return oom(out);
	return MHD_HTTP_OK;
}

static unsigned
render_rules(struct api_ctx *c, const struct api_req *rq UNUSED,
    const struct pw_snapshot *snap UNUSED, struct api_out *out)
{
	return json(out, api_json_rules(c->alerts));
}

/* The metric catalogue (api/catalogue.c), constant data. */
static unsigned
render_catalogue(struct api_ctx *c, const struct api_req *rq UNUSED,
    const struct pw_snapshot *snap UNUSED, struct api_out *out)
{
	struct pw_monitor_stats st;

	pw_monitor_get_stats(c->mon, &st);
	return json(out, api_json_catalogue(&st));
}

/* A file of the web dashboard (api/static.c sets its headers). */
static unsigned
render_static(struct api_ctx *c, const struct api_req *rq,
    const struct pw_snapshot *snap UNUSED, struct api_out *out)
{
	int rc;

	if ((out->resp = api_static_response(c->dygraphs_dir, rq->file,
	    &rc)) != NULL)
		return MHD_HTTP_OK;
	if (rc == -ENOMEM)
		return oom(out);
	return api_fail(out->err, sizeof(out->err), MHD_HTTP_NOT_FOUND,
	    "not found");
}

/*
 * Append the alert, notification, remote write and connection families
 * to the /metrics page.
 */
static int
append_alert_metrics(struct api_ctx *c, struct api_buf *page)
{
	struct api_receiver_stats *rs;
	size_t nrs = 0;
	int rc;

	if ((rs = calloc(API_RECEIVERS_MAX, sizeof(*rs))) == NULL)
		return -ENOMEM;
	if (c->notify_stats != NULL)
		nrs = c->notify_stats(c->notify_arg, rs, API_RECEIVERS_MAX);
	rc = api_prom_alerts(c->alerts, rs, nrs, page);
	free(rs);
	if (rc == 0 && c->rw_stats != NULL) {
		struct api_rw_stats ws[API_REMOTES_MAX];

		rc = api_prom_remote_write(ws, c->rw_stats(c->rw_arg, ws,
		    API_REMOTES_MAX), page);
	}
	if (rc == 0 && c->conn_stats != NULL) {
		struct api_conn_stats cs;

		c->conn_stats(c->conn_arg, &cs);
		rc = api_prom_connections(&cs, page);
	}
	return rc;
}

/*
 * The /metrics page, one buffer the renderers append to in turn.  The
 * per-process series are of the processes process_metrics keeps; the
 * target families always see every process.
 */
static unsigned
render_metrics(struct api_ctx *c, const struct api_req *rq UNUSED,
    const struct pw_snapshot *snap, struct api_out *out)
{
	struct pw_monitor_stats st;
	struct pw_snapshot sel;
	const struct pw_snapshot *procs = snap;
	uint64_t pm;
	char *page;
	size_t len;
	int rc, mode;

	pm = atomic_load_explicit(&c->procmetrics, memory_order_relaxed);
	mode = (int)(pm >> 32);
	pw_monitor_get_stats(c->mon, &st);
	if (mode != API_PROCMETRICS_ALL) {
		if (api_prom_select_init(&sel, snap, mode, (unsigned)pm) < 0)
			return oom(out);
		procs = &sel;
	}
	if ((rc = api_prom_render(procs, &st, c->hz, c->version, &page,
	    &len)) == 0)
		api_buf_append_page(&out->text, page, len);
	if (rc == 0)
		rc = api_prom_custom(c->mon, procs, &out->text);
	if (rc == 0)
		rc = api_targets_append_metrics(snap, c->hz, &out->text);
	if (procs != snap)
		api_prom_select_fini(&sel);
	if (rc == 0)
		rc = append_alert_metrics(c, &out->text);
	if (rc == 0)
		rc = api_prom_events(c->events, &out->text);
	if (rc == 0)
		rc = api_hist_metrics(c, &out->text);
	if (rc == 0)
		rc = out->text.err;
	if (rc == -ENOMEM)
		return oom(out);
	if (rc < 0)
		return api_fail(out->err, sizeof(out->err),
		    MHD_HTTP_INTERNAL_SERVER_ERROR, "metrics page too large");
	out->ctype = CT_PROM;
	return MHD_HTTP_OK;
}

/* --- the windowed views (api/stats.h), events and reload ------------------ */

static unsigned
render_stats(struct api_ctx *c, const struct api_req *rq,
    const struct pw_snapshot *snap UNUSED, struct api_out *out)
{
	struct api_past past = { c, rq->since_ms, rq->until_ms };

	return api_stats_process(c->stats, rq->pid, rq->window, rq->metrics,
	    rq->baseline, &past, &out->json, out->err, sizeof(out->err));
}

static unsigned
render_threads(struct api_ctx *c, const struct api_req *rq,
    const struct pw_snapshot *snap UNUSED, struct api_out *out)
{
	return api_stats_threads(c->stats, rq->pid, rq->window, &out->json,
	    out->err, sizeof(out->err));
}

static unsigned
render_averages(struct api_ctx *c, const struct api_req *rq,
    const struct pw_snapshot *snap UNUSED, struct api_out *out)
{
	return api_stats_averages(c->stats, rq->window, rq->target,
	    &out->json, out->err, sizeof(out->err));
}

static unsigned
render_bottlenecks(struct api_ctx *c, const struct api_req *rq,
    const struct pw_snapshot *snap UNUSED, struct api_out *out)
{
	struct api_past past = { c, rq->since_ms, rq->until_ms };

	return api_stats_bottlenecks(c->stats, c->events, rq->by, rq->window,
	    rq->limit, &past, &out->json,
	    out->err, sizeof(out->err));
}

static unsigned
render_baselines(struct api_ctx *c, const struct api_req *rq,
    const struct pw_snapshot *snap UNUSED, struct api_out *out)
{
	return api_stats_baseline_create(c->stats, rq->body, rq->body_len,
	    &out->json, out->err, sizeof(out->err));
}

static unsigned
render_events(struct api_ctx *c, const struct api_req *rq,
    const struct pw_snapshot *snap UNUSED, struct api_out *out)
{
	struct api_hist_win w = { rq->since_ms, rq->until_ms, rq->res,
	    SIZE_MAX };
	size_t lim = SIZE_MAX;

	/* A window is the history's; without one, the feed's newest. */
	if (rq->since_ms != INT64_MIN || rq->until_ms != INT64_MAX) {
		if (rq->limit != NULL && api_parse_limit(rq->limit,
		    API_MAX_SAMPLES_LIMIT, &lim) < 0)
			return api_fail(out->err, sizeof(out->err),
			    MHD_HTTP_BAD_REQUEST, "limit: expected an integer "
			    "from 1 to %d", API_MAX_SAMPLES_LIMIT);
		return api_hist_events(c, &w, lim, &out->json, out->err,
		    sizeof(out->err));
	}
	return api_events_list(c->events, c->mon, rq->limit, &out->json,
	    out->err, sizeof(out->err));
}

static unsigned
render_reload(struct api_ctx *c, const struct api_req *rq UNUSED,
    const struct pw_snapshot *snap UNUSED, struct api_out *out)
{
	char msg[API_ERRMSG_MAX] = "";
	cJSON *o;
	int rc;

	if (c->reload == NULL)
		return api_fail(out->err, sizeof(out->err), MHD_HTTP_NOT_FOUND,
		    "reload is not available");
	if ((rc = c->reload(c->reload_arg, msg, sizeof(msg))) < 0)
		return api_fail(out->err, sizeof(out->err), rc == -EINVAL ?
		    MHD_HTTP_BAD_REQUEST : MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "%s", msg[0] != '\0' ? msg : "reload failed");
	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(o, "status", "reloaded") == NULL ||
	    cJSON_AddStringToObject(o, "message", msg) == NULL) {
		cJSON_Delete(o);
		return oom(out);
	}
	return json(out, o);
}

/* A process's memory by mapping, read now (api/memory.h). */
static unsigned
render_memory(struct api_ctx *c, const struct api_req *rq,
    const struct pw_snapshot *snap UNUSED, struct api_out *out)
{
	return api_memory_process(c->mon, rq->pid, rq->limit, &out->json,
	    out->err, sizeof(out->err));
}

/* --- on-demand profiles (api/profile.h) ----------------------------------- */

static unsigned
render_profile_start(struct api_ctx *c, const struct api_req *rq,
    const struct pw_snapshot *snap UNUSED, struct api_out *out)
{
	return api_profile_start(c->profiler, rq->pid, rq->body, rq->body_len,
	    &out->json, out->err, sizeof(out->err));
}

static unsigned
render_profile(struct api_ctx *c, const struct api_req *rq,
    const struct pw_snapshot *snap UNUSED, struct api_out *out)
{
	return api_profile_get(c->profiler, rq->name, rq->name_len,
	    &out->json, out->err, sizeof(out->err));
}

static unsigned
render_profile_folded(struct api_ctx *c, const struct api_req *rq,
    const struct pw_snapshot *snap UNUSED, struct api_out *out)
{
	unsigned status;
	size_t len;
	char *text;

	status = api_profile_folded(c->profiler, rq->name, rq->name_len,
	    &text, &len, out->err, sizeof(out->err));
	if (status != MHD_HTTP_OK)
		return status;
	api_buf_append_page(&out->text, text, len);
	if (out->text.err != 0)
		return oom(out);
	out->ctype = CT_TEXT;
	return MHD_HTTP_OK;
}

/* --- custom metric series (api/custom.c) ---------------------------------- */

static unsigned
render_custom_push(struct api_ctx *c, const struct api_req *rq,
    const struct pw_snapshot *snap UNUSED, struct api_out *out)
{
	return api_custom_push(c->mon, rq->body, rq->body_len,
	    api_now_ms(c->now_ms, c->now_arg), &out->json, out->err,
	    sizeof(out->err));
}

static unsigned
render_custom_list(struct api_ctx *c, const struct api_req *rq UNUSED,
    const struct pw_snapshot *snap UNUSED, struct api_out *out)
{
	if (api_custom_list(c->mon, &out->json) < 0)
		return oom(out);
	return MHD_HTTP_OK;
}

/* --- targets as groups (api/targets.h) ------------------------------------ */

static unsigned
render_targets(struct api_ctx *c, const struct api_req *rq,
    const struct pw_snapshot *snap UNUSED, struct api_out *out)
{
	if (rq->has_at)
		return api_hist_targets_at(c, rq->at_ms, &out->json, out->err,
		    sizeof(out->err));
	return api_targets_list(c->mon, c->hz, &out->json, out->err,
	    sizeof(out->err));
}

static unsigned
render_target(struct api_ctx *c, const struct api_req *rq,
    const struct pw_snapshot *snap UNUSED, struct api_out *out)
{
	return api_targets_get(c->mon, c->hz, rq->name, rq->name_len,
	    &out->json, out->err, sizeof(out->err));
}

static unsigned
render_target_samples(struct api_ctx *c, const struct api_req *rq,
    const struct pw_snapshot *snap UNUSED, struct api_out *out)
{
	struct api_hist_win w = { rq->since_ms, rq->until_ms, rq->res,
	    rq->nlimit };

	return api_hist_target_samples(c, rq->name, rq->name_len, &w,
	    &out->json, out->err, sizeof(out->err));
}

/* The statistics of a target's aggregate samples (api/window.c). */
static unsigned
render_target_stats(struct api_ctx *c, const struct api_req *rq,
    const struct pw_snapshot *snap UNUSED, struct api_out *out)
{
	struct api_past past = { c, rq->since_ms, rq->until_ms };

	return api_stats_target(c->stats, rq->name, rq->name_len, rq->window,
	    rq->metrics, &past, &out->json, out->err, sizeof(out->err));
}

/* --- the table ------------------------------------------------------------ */

/*
 * Every route: methods, pattern, parse steps, the snapshot the handler
 * takes, render, and the render's argument.  The
 * first pattern that matches the path wins; a path that matches only with
 * other methods gets 405.  Adding a route is one row here and its parse
 * and render functions above; GET /api/v1/catalogue
 * (render_catalogue()) is the smallest example.
 */
#define GET	(API_M_GET | API_M_HEAD)	/* MHD answers HEAD from GET */
#define POST	API_M_POST
#define NONE	API_SNAP_NONE
#define ALL	API_SNAP_ALL
#define PID	API_SNAP_PID

const struct api_route api_routes[] = {
	{ GET, "/healthz", { NULL }, NONE, render_healthz, NULL },
	{ GET, "/api/v1/processes", { api_rq_processes }, ALL,
	    render_processes, NULL },
	{ GET, "/api/v1/processes/{pid}", { api_rq_pid }, PID, render_process,
	    NULL },
	{ GET, "/api/v1/processes/{pid}/samples",
	    { api_rq_pid, api_rq_samples }, NONE, render_samples, NULL },
	{ GET, "/api/v1/samples", { api_rq_samples, api_rq_kind }, NONE,
	    render_dump, NULL },
	{ GET, "/api/v1/processes/{pid}/stats", { api_rq_pid, api_rq_view,
	    api_rq_window }, NONE, render_stats, NULL },
	{ GET, "/api/v1/processes/{pid}/threads", { api_rq_pid, api_rq_view },
	    NONE, render_threads, NULL },
	{ GET, "/api/v1/processes/{pid}/memory", { api_rq_pid, api_rq_view },
	    NONE, render_memory, NULL },
	{ GET, "/api/v1/averages", { api_rq_view }, NONE, render_averages,
	    NULL },
	{ GET, "/api/v1/bottlenecks", { api_rq_view, api_rq_window }, NONE,
	    render_bottlenecks, NULL },
	{ POST, "/api/v1/baselines", { NULL }, NONE, render_baselines, NULL },
	{ POST, "/api/v1/reload", { NULL }, NONE, render_reload, NULL },
	{ POST, "/api/v1/custom", { NULL }, NONE, render_custom_push, NULL },
	{ GET, "/api/v1/custom", { NULL }, NONE, render_custom_list, NULL },
	{ GET, "/api/v1/targets", { api_rq_at }, NONE, render_targets, NULL },
	{ GET, "/api/v1/targets/{name}", { NULL }, NONE, render_target, NULL },
	{ GET, "/api/v1/targets/{name}/samples", { api_rq_samples }, NONE,
	    render_target_samples, NULL },
	{ GET, "/api/v1/targets/{name}/stats", { api_rq_view, api_rq_window },
	    NONE, render_target_stats, NULL },
	{ POST, "/api/v1/processes/{pid}/profile", { api_rq_pid }, NONE,
	    render_profile_start, NULL },
	{ GET, "/api/v1/profiles/{id}", { NULL }, NONE, render_profile, NULL },
	{ GET, "/api/v1/profiles/{id}/folded", { NULL }, NONE,
	    render_profile_folded, NULL },
	{ GET, "/api/v1/events", { api_rq_view, api_rq_window }, NONE,
	    render_events, NULL },
	{ GET, "/metrics", { NULL }, ALL, render_metrics, NULL },
	{ GET, "/alerts", { api_rq_alerts }, NONE, render_alerts, NULL },
	{ GET, "/api/v1/alerts", { api_rq_alerts }, NONE, render_alerts, NULL },
	{ GET, "/api/v1/rules", { NULL }, NONE, render_rules, NULL },
	{ GET, "/api/v1/catalogue", { NULL }, NONE, render_catalogue, NULL },
	{ GET, "/", { NULL }, NONE, render_static, "index.html" },
	{ GET, "/app.js", { NULL }, NONE, render_static, "app.js" },
	{ GET, "/app.css", { NULL }, NONE, render_static, "app.css" },
	{ GET, "/static/dygraphs/{file}", { api_rq_dygraphs }, NONE,
	    render_static, NULL },
};

const size_t api_nroutes = sizeof(api_routes) / sizeof(api_routes[0]);

/* --- the one handler ------------------------------------------------------ */

/* Copy what route r renders from out of the store. */
static unsigned
take_snapshot(struct api_ctx *c, enum api_snap kind, const struct api_req *rq,
    struct pw_snapshot **snap, struct api_out *out)
{
	struct pw_store *store = pw_monitor_store(c->mon);
	int rc;

	if (kind == API_SNAP_PID)
		rc = pw_store_snapshot_pid(store, rq->pid, snap);
	else
		rc = pw_store_snapshot(store, rq->with_gone, snap);
	if (rc == 0 && kind == API_SNAP_PID && (*snap)->n == 0) {
		pw_snapshot_free(*snap);
		*snap = NULL;
		rc = -ENOENT;
	}
	return rc < 0 ? store_error(rc, rq->pid, out) : 0;
}

void
api_route_serve(struct api_ctx *c, const struct api_route *r,
    const struct api_in *in, struct api_out *out)
{
	struct pw_snapshot *snap = NULL;
	struct api_req rq;
	size_t i;

	memset(out, 0, sizeof(*out));
	api_buf_init(&out->text, API_PROM_MAX);
	memset(&rq, 0, sizeof(rq));
	rq.now_ms = api_now_ms(c->now_ms, c->now_arg);
	rq.since_ms = INT64_MIN;
	rq.until_ms = INT64_MAX;
	rq.nlimit = SIZE_MAX;
	rq.file = r->arg;
	if (in->ncap > 0) {
		rq.name = in->cap[0];
		rq.name_len = in->cap_len[0];
	}
	rq.body = in->body;
	rq.body_len = in->body_len;
	for (i = 0; i < API_PARSE_STEPS && r->parse[i] != NULL; i++)
		if ((out->status = r->parse[i](in, &rq, out->err,
		    sizeof(out->err))) != 0)
			return;
	if (r->snap != API_SNAP_NONE && (out->status = take_snapshot(c,
	    r->snap, &rq, &snap, out)) != 0)
		return;
	out->status = r->render(c, &rq, snap, out);
	pw_snapshot_free(snap);
}
