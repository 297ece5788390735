/*
 * api/server.c: the HTTP server (libmicrohttpd) and its routes.
 *
 * DESIGN: routing is a table of {methods, path pattern, handler}; a
 * pattern is literal segments and "{name}" segments that capture one
 * non-empty path segment.  A path that matches some route but not with
 * this method gets 405 and an Allow header listing the methods that would
 * work; a path that matches nothing gets 404.  Every route so far is GET
 * (HEAD is answered by MHD from the GET response) and takes no body; see
 * on_request().  Routes that take a body (POST) will need a per-request
 * context to collect it under a cap.
 *
 * Handlers take a snapshot from the store (a copy made under the store's
 * read lock), release it, and only then render, so no lock is held across
 * cJSON or the network.  MHD runs two worker threads (one if the
 * connection limit is 1), so one slow client does not stall the rest.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>

#include <procwatch/monitor.h>
#include <procwatch/rules.h>
#include <procwatch/store.h>

#include "api/api.h"
#include "api/buf.h"
#include "api/params.h"
#include "api/events.h"
#include "api/profile.h"
#include "api/stats.h"
#include "api/targets.h"

/* Per-connection memory for the request line and headers. */
#define API_CONN_MEMORY		(32 * 1024)
#define API_ERRMSG_MAX		256
#define API_MAX_CAPTURES	4
#define API_DIR_MAX		1024	/* the "dygraphs_dir" path */

#define CT_JSON		"application/json"
#define CT_PROM		"text/plain; version=0.0.4; charset=utf-8"

struct api_server {
	struct MHD_Daemon	*mhd;
	struct pw_monitor	*mon;
	long			 hz;
	char			*version;
	uint16_t		 port;
	api_log_fn		*log;
	void			*log_arg;
	struct pw_alerts	*alerts;	/* borrowed; may be NULL */
	api_notify_stats_fn	*notify_stats;
	void			*notify_arg;
	char			 dygraphs_dir[API_DIR_MAX];
	char			 api_token[API_TOKEN_MAX + 1]; /* "": none */
	bool			 auth_reads;
	struct api_stats	*stats;		/* windowed views' state */
	struct pw_profiler	*profiler;	/* borrowed; may be NULL */
	struct pw_events	*events;	/* borrowed; may be NULL */
	api_reload_fn		*reload;
	void			*reload_arg;
	char			*tls_cert;	/* PEM, while MHD runs */
	char			*tls_key;
	/* process_metrics: mode << 32 | top, one word so both change at once */
	_Atomic uint64_t	 procmetrics;
	api_clock_fn		*now_ms;	/* NULL: the real clock */
	void			*now_arg;

	/* MHD's first error while starting, for api_start()'s message. */
	pthread_mutex_t		 start_mu;
	bool			 capturing;
	char			 start_err[API_ERRMSG_MAX];
};

/* Path segments captured by "{name}" pattern segments, in order. */
struct captures {
	const char	*s[API_MAX_CAPTURES];
	size_t		 len[API_MAX_CAPTURES];
	int		 n;
};

struct request {
	struct api_server	*srv;
	struct MHD_Connection	*conn;
	struct captures		 cap;
	const char		*body;		/* NULL without one; not NUL-ended */
	size_t			 body_len;
};

/* Upper bound of a request body; past it the answer is 413. */
#define API_BODY_MAX		(64 * 1024)

/*
 * Per-request context of a request that announced a body: the body is
 * collected here (under API_BODY_MAX) across MHD's calls and freed by
 * on_completed().
 */
struct body_ctx {
	char	*buf;
	size_t	 len;
	bool	 too_big;
};

typedef enum MHD_Result route_fn(struct request *);

enum {
	M_GET = 1 << 0,
	M_HEAD = 1 << 1,
	M_POST = 1 << 2,
	M_PUT = 1 << 3,
	M_DELETE = 1 << 4,
	M_PATCH = 1 << 5,
	M_OPTIONS = 1 << 6,
};

static const struct {
	const char	*name;
	unsigned	 bit;
} methods[] = {
	{ "GET", M_GET },
	{ "HEAD", M_HEAD },
	{ "POST", M_POST },
	{ "PUT", M_PUT },
	{ "DELETE", M_DELETE },
	{ "PATCH", M_PATCH },
	{ "OPTIONS", M_OPTIONS },
};

struct route {
	unsigned	 methods;	/* M_* */
	const char	*pattern;
	route_fn	*fn;
};

static route_fn h_alerts, h_rules;
static route_fn h_healthz, h_processes, h_process, h_samples, h_metrics;
static route_fn h_stats, h_threads, h_averages, h_bottlenecks, h_baselines;
static route_fn h_index, h_app_js, h_app_css, h_dygraphs;
static route_fn h_reload;
static route_fn h_custom_push, h_custom_list;
static route_fn h_profile_start, h_profile, h_profile_folded, h_events;
static route_fn h_targets, h_target, h_target_samples;
static route_fn h_target_stats;

static const struct route routes[] = {
	{ M_GET | M_HEAD, "/healthz", h_healthz },
	{ M_GET | M_HEAD, "/api/v1/processes", h_processes },
	{ M_GET | M_HEAD, "/api/v1/processes/{pid}", h_process },
	{ M_GET | M_HEAD, "/api/v1/processes/{pid}/samples", h_samples },
	{ M_GET | M_HEAD, "/api/v1/processes/{pid}/stats", h_stats },
	{ M_GET | M_HEAD, "/api/v1/processes/{pid}/threads", h_threads },
	{ M_GET | M_HEAD, "/api/v1/averages", h_averages },
	{ M_GET | M_HEAD, "/api/v1/bottlenecks", h_bottlenecks },
	{ M_POST, "/api/v1/baselines", h_baselines },
	{ M_POST, "/api/v1/reload", h_reload },
	{ M_POST, "/api/v1/custom", h_custom_push },
	{ M_GET | M_HEAD, "/api/v1/custom", h_custom_list },
	{ M_GET | M_HEAD, "/api/v1/targets", h_targets },
	{ M_GET | M_HEAD, "/api/v1/targets/{name}", h_target },
	{ M_GET | M_HEAD, "/api/v1/targets/{name}/samples", h_target_samples },
	{ M_GET | M_HEAD, "/api/v1/targets/{name}/stats", h_target_stats },
	{ M_POST, "/api/v1/processes/{pid}/profile", h_profile_start },
	{ M_GET | M_HEAD, "/api/v1/profiles/{id}", h_profile },
	{ M_GET | M_HEAD, "/api/v1/profiles/{id}/folded", h_profile_folded },
	{ M_GET | M_HEAD, "/api/v1/events", h_events },
	{ M_GET | M_HEAD, "/metrics", h_metrics },
	{ M_GET | M_HEAD, "/alerts", h_alerts },
	{ M_GET | M_HEAD, "/api/v1/alerts", h_alerts },
	{ M_GET | M_HEAD, "/api/v1/rules", h_rules },
	{ M_GET | M_HEAD, "/", h_index },
	{ M_GET | M_HEAD, "/app.js", h_app_js },
	{ M_GET | M_HEAD, "/app.css", h_app_css },
	{ M_GET | M_HEAD, "/static/dygraphs/{file}", h_dygraphs },
};

/* The body used when there is no memory to build one; MHD never frees it. */
static char oom_body[] = "{\"error\":\"out of memory\"}";

int64_t
api_now_ms(api_clock_fn *clock, void *arg)
{
	struct timespec ts;

	if (clock != NULL)
		return clock(arg);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Add the common headers to resp, queue it, and drop our reference.
 * `allow` (for 405) may be NULL.
 */
static enum MHD_Result
queue(struct MHD_Connection *conn, unsigned status, struct MHD_Response *resp,
    const char *ctype, const char *allow)
{
	enum MHD_Result rc = MHD_NO;

	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    ctype) != MHD_YES ||
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-store") != MHD_YES)
		goto out_destroy;
	if (allow != NULL && MHD_add_response_header(resp,
	    MHD_HTTP_HEADER_ALLOW, allow) != MHD_YES)
		goto out_destroy;
	rc = MHD_queue_response(conn, status, resp);
out_destroy:
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result
reply_oom(struct MHD_Connection *conn)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer(sizeof(oom_body) - 1,
	    oom_body, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	return queue(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, resp, CT_JSON,
	    NULL);
}

/* Reply with root (which this frees) as the JSON body. */
static enum MHD_Result
reply_json(struct MHD_Connection *conn, unsigned status, cJSON *root,
    const char *allow)
{
	struct MHD_Response *resp;
	char *body;

	if (root == NULL)
		return reply_oom(conn);
	body = cJSON_PrintUnformatted(root);	/* we own body */
	cJSON_Delete(root);
	if (body == NULL)
		return reply_oom(conn);
	resp = MHD_create_response_from_buffer_with_free_callback(strlen(body),
	    body, cJSON_free);			/* MHD owns body from here on */
	if (resp == NULL) {
		cJSON_free(body);
		return reply_oom(conn);
	}
	return queue(conn, status, resp, CT_JSON, allow);
}

static enum MHD_Result reply_error(struct MHD_Connection *, unsigned,
    const char *, const char *, ...)
    __attribute__((format(printf, 4, 5)));

static enum MHD_Result
reply_error(struct MHD_Connection *conn, unsigned status, const char *allow,
    const char *fmt, ...)
{
	char msg[API_ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return reply_json(conn, status, api_json_error(msg), allow);
}

/* The reply for a store call that failed with rc. */
static enum MHD_Result
reply_store_error(struct MHD_Connection *conn, int rc, pid_t pid)
{
	if (rc == -ENOENT)
		return reply_error(conn, MHD_HTTP_NOT_FOUND, NULL,
		    "no process with pid %ld", (long)pid);
	if (rc == -ENOMEM)
		return reply_oom(conn);
	return reply_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL,
	    "store error %d", rc);
}

/*
 * Look up query argument key.  Returns false if absent; else *val is its
 * value, NULL for a bare "?key" without '='.
 */
static bool
query_arg(struct MHD_Connection *conn, const char *key, const char **val)
{
	*val = NULL;
	return MHD_lookup_connection_value_n(conn, MHD_GET_ARGUMENT_KIND, key,
	    strlen(key), val, NULL) == MHD_YES;
}

/*
 * A boolean query flag: absent is false, a bare "?key" true.  Returns 0
 * or -EINVAL.
 */
static int
query_flag(struct MHD_Connection *conn, const char *key, bool *out)
{
	const char *val;

	*out = false;
	if (!query_arg(conn, key, &val))
		return 0;
	if (val == NULL) {
		*out = true;
		return 0;
	}
	return api_parse_bool(val, out);
}

/* The {pid} capture, or a 400 reply (rc set) if it is not one. */
static bool
capture_pid(struct request *r, int i, pid_t *pid, enum MHD_Result *rc)
{
	char buf[32];

	if (i < r->cap.n && r->cap.len[i] < sizeof(buf)) {
		memcpy(buf, r->cap.s[i], r->cap.len[i]);
		buf[r->cap.len[i]] = '\0';
		if (api_parse_pid(buf, pid) == 0)
			return true;
	}
	*rc = reply_error(r->conn, MHD_HTTP_BAD_REQUEST, NULL,
	    "pid: expected a positive decimal integer that fits pid_t");
	return false;
}

/*
 * An RFC 3339 query value.  A '+' sent unencoded in a query decodes to a
 * space; past the seconds (offset 19) a space can only be that, so it is
 * put back and "since=...T03:11:45+01:00" works as typed.
 */
static bool
query_time(const char *val, int64_t *ms)
{
	char buf[64];
	size_t n, i;

	if (val == NULL || (n = strlen(val)) >= sizeof(buf))
		return false;
	memcpy(buf, val, n + 1);
	for (i = 19; i < n; i++)
		if (buf[i] == ' ')
			buf[i] = '+';
	return api_parse_rfc3339(buf, ms) == 0;
}

/*
 * ?limit= and ?since= of a samples request into *limit and *since (left
 * as they are when absent).  False: a bad one was answered 400 (*mrc).
 */
static bool
query_samples(struct request *r, int64_t *since, size_t *limit,
    enum MHD_Result *mrc)
{
	const char *val;

	if (query_arg(r->conn, "limit", &val) &&
	    api_parse_limit(val, API_MAX_SAMPLES_LIMIT, limit) < 0) {
		*mrc = reply_error(r->conn, MHD_HTTP_BAD_REQUEST, NULL,
		    "limit: expected an integer from 1 to %d",
		    API_MAX_SAMPLES_LIMIT);
		return false;
	}
	if (query_arg(r->conn, "since", &val) && !query_time(val, since)) {
		*mrc = reply_error(r->conn, MHD_HTTP_BAD_REQUEST, NULL,
		    "since: expected an RFC 3339 time such as "
		    "2026-11-26T02:11:35Z");
		return false;
	}
	return true;
}

static enum MHD_Result
h_healthz(struct request *r)
{
	struct pw_monitor_stats st;
	int64_t up = 0, now;
	cJSON *o;
	bool ok;

	pw_monitor_get_stats(r->srv->mon, &st);
	now = api_now_ms(r->srv->now_ms, r->srv->now_arg);
	if (st.started_ms > 0 && now > st.started_ms)
		up = (now - st.started_ms) / 1000;
	if ((o = cJSON_CreateObject()) == NULL)
		return reply_oom(r->conn);
	ok = cJSON_AddStringToObject(o, "status", "ok") != NULL &&
	    cJSON_AddStringToObject(o, "version", r->srv->version) != NULL &&
	    cJSON_AddNumberToObject(o, "uptime_s", (double)up) != NULL &&
	    cJSON_AddNumberToObject(o, "targets", (double)st.targets) != NULL &&
	    cJSON_AddNumberToObject(o, "processes",
	    (double)st.procs_alive) != NULL &&
	    cJSON_AddNumberToObject(o, "interval_ms",
	    (double)st.interval_ms) != NULL &&
	    cJSON_AddNumberToObject(o, "cycles", (double)st.cycles) != NULL;
	if (!ok) {
		cJSON_Delete(o);
		return reply_oom(r->conn);
	}
	return reply_json(r->conn, MHD_HTTP_OK, o, NULL);
}

static enum MHD_Result
h_processes(struct request *r)
{
	struct api_custom_procs *cp = NULL;
	struct pw_snapshot *snap;
	bool all, gone;
	cJSON *o = NULL, *arr, *p;
	size_t i;
	int rc;

	if (query_flag(r->conn, "all", &all) < 0)
		return reply_error(r->conn, MHD_HTTP_BAD_REQUEST, NULL,
		    "all: expected a boolean (1, true, yes, on, 0, false, "
		    "no, off)");
	if (query_flag(r->conn, "include_gone", &gone) < 0)
		return reply_error(r->conn, MHD_HTTP_BAD_REQUEST, NULL,
		    "include_gone: expected a boolean (1, true, yes, on, 0, "
		    "false, no, off)");
	if ((rc = pw_store_snapshot(pw_monitor_store(r->srv->mon),
	    all || gone, &snap)) < 0)
		return reply_store_error(r->conn, rc, 0);

	if ((cp = api_custom_procs_new(r->srv->mon)) == NULL ||
	    (o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddNumberToObject(o, "interval_ms",
	    (double)pw_monitor_interval_ms(r->srv->mon)) == NULL ||
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
	pw_snapshot_free(snap);
	return reply_json(r->conn, MHD_HTTP_OK, o, NULL);
out_oom:
	api_custom_procs_free(cp);
	cJSON_Delete(o);
	pw_snapshot_free(snap);
	return reply_oom(r->conn);
}

static enum MHD_Result
h_process(struct request *r)
{
	struct api_custom_procs *cp = NULL;
	struct pw_snapshot *snap;
	enum MHD_Result mrc;
	cJSON *o;
	pid_t pid;
	int rc;

	if (!capture_pid(r, 0, &pid, &mrc))
		return mrc;
	if ((rc = pw_store_snapshot_pid(pw_monitor_store(r->srv->mon), pid,
	    &snap)) < 0)
		return reply_store_error(r->conn, rc, pid);
	if (snap->n == 0) {
		pw_snapshot_free(snap);
		return reply_store_error(r->conn, -ENOENT, pid);
	}
	o = api_json_proc(&snap->procs[0], snap->mem_total);
	if (o != NULL && ((cp = api_custom_procs_new(r->srv->mon)) == NULL ||
	    api_custom_attach(cp, o, snap->procs[0].id) < 0)) {
		cJSON_Delete(o);
		o = NULL;		/* answered as out of memory */
	}
	api_custom_procs_free(cp);
	pw_snapshot_free(snap);
	return reply_json(r->conn, MHD_HTTP_OK, o, NULL);
}

static enum MHD_Result
h_samples(struct request *r)
{
	struct pw_store *store = pw_monitor_store(r->srv->mon);
	struct pw_sample *samples = NULL;
	struct pw_snapshot *snap;
	enum MHD_Result mrc;
	uint64_t mem_total, fd_limit;
	int64_t since = INT64_MIN;
	size_t limit = SIZE_MAX, n, cap, i;
	cJSON *o = NULL, *arr, *s;
	pid_t pid;
	int rc;

	if (!capture_pid(r, 0, &pid, &mrc) ||
	    !query_samples(r, &since, &limit, &mrc))
		return mrc;

	/* The view gives memory and fd figures the samples are read with. */
	if ((rc = pw_store_snapshot_pid(store, pid, &snap)) < 0)
		return reply_store_error(r->conn, rc, pid);
	if (snap->n == 0) {
		pw_snapshot_free(snap);
		return reply_store_error(r->conn, -ENOENT, pid);
	}
	pid = snap->procs[0].pid;
	mem_total = snap->mem_total;
	fd_limit = snap->procs[0].fd_limit;
	pw_snapshot_free(snap);
	if ((rc = pw_store_samples(store, pid, since, limit, &samples, &n,
	    &cap)) < 0)
		return reply_store_error(r->conn, rc, pid);

	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddNumberToObject(o, "pid", (double)pid) == NULL ||
	    cJSON_AddNumberToObject(o, "capacity", (double)cap) == NULL ||
	    cJSON_AddNumberToObject(o, "count", (double)n) == NULL ||
	    (arr = cJSON_AddArrayToObject(o, "samples")) == NULL)
		goto out_oom;
	for (i = 0; i < n; i++) {
		if ((s = api_json_sample(&samples[i], mem_total, fd_limit)) ==
		    NULL)
			goto out_oom;
		if (!cJSON_AddItemToArray(arr, s)) {
			cJSON_Delete(s);
			goto out_oom;
		}
	}
	free(samples);
	return reply_json(r->conn, MHD_HTTP_OK, o, NULL);
out_oom:
	cJSON_Delete(o);
	free(samples);
	return reply_oom(r->conn);
}

/* ?state=firing|pending|resolved|all (default firing and pending). */
static enum MHD_Result
h_alerts(struct request *r)
{
	unsigned mask = PW_ALERTS_FIRING | PW_ALERTS_PENDING;
	enum pw_alert_severity sev;
	const char *state = NULL, *severity = NULL, *target = NULL;
	cJSON *o;
	int rc;

	if (query_arg(r->conn, "state", &state)) {
		if (state == NULL)
			state = "";
		if (strcmp(state, "firing") == 0)
			mask = PW_ALERTS_FIRING;
		else if (strcmp(state, "pending") == 0)
			mask = PW_ALERTS_PENDING;
		else if (strcmp(state, "resolved") == 0)
			mask = PW_ALERTS_RESOLVED;
		else if (strcmp(state, "all") == 0)
			mask = PW_ALERTS_FIRING | PW_ALERTS_PENDING |
			    PW_ALERTS_RESOLVED;
		else
			return reply_error(r->conn, MHD_HTTP_BAD_REQUEST, NULL,
			    "state: expected firing, pending, resolved or all");
	}
	if (query_arg(r->conn, "severity", &severity) &&
	    (severity == NULL || pw_alert_severity_parse(severity, &sev) < 0))
		return reply_error(r->conn, MHD_HTTP_BAD_REQUEST, NULL,
		    "severity: expected info, warning or critical");
	if (query_arg(r->conn, "target", &target) && target == NULL)
		return reply_error(r->conn, MHD_HTTP_BAD_REQUEST, NULL,
		    "target: expected a target name");
	if (r->srv->alerts == NULL)
		return reply_json(r->conn, MHD_HTTP_OK,
		    cJSON_Parse("{\"alerts\":[],\"count\":0}"), NULL);
	if ((rc = api_json_alerts(r->srv->alerts, mask, severity, target,
	    &o)) < 0)
		return reply_oom(r->conn);
	return reply_json(r->conn, MHD_HTTP_OK, o, NULL);
}

static enum MHD_Result
h_rules(struct request *r)
{
	return reply_json(r->conn, MHD_HTTP_OK, api_json_rules(r->srv->alerts),
	    NULL);
}

/* Append the alert and notification families to the /metrics page. */
static int
append_alert_metrics(struct api_server *srv, struct api_buf *page)
{
	struct api_receiver_stats rs[64];
	size_t nrs = 0;

	if (srv->notify_stats != NULL)
		nrs = srv->notify_stats(srv->notify_arg, rs,
		    sizeof(rs) / sizeof(rs[0]));
	return api_prom_alerts(srv->alerts, rs, nrs, page);
}

/* A file of the web dashboard (api/static.c sets its headers). */
static enum MHD_Result
reply_static(struct request *r, const char *name)
{
	struct MHD_Response *resp;
	enum MHD_Result mrc;
	int rc;

	if ((resp = api_static_response(r->srv->dygraphs_dir, name, &rc)) ==
	    NULL) {
		if (rc == -ENOMEM)
			return reply_oom(r->conn);
		return reply_error(r->conn, MHD_HTTP_NOT_FOUND, NULL,
		    "not found");
	}
	mrc = MHD_queue_response(r->conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return mrc;
}

static enum MHD_Result
h_index(struct request *r)
{
	return reply_static(r, "index.html");
}

static enum MHD_Result
h_app_js(struct request *r)
{
	return reply_static(r, "app.js");
}

static enum MHD_Result
h_app_css(struct request *r)
{
	return reply_static(r, "app.css");
}

/* Only names on api/static.c's list are served: no path reaches past it. */
static enum MHD_Result
h_dygraphs(struct request *r)
{
	char name[64];

	if (r->cap.n < 1 || r->cap.len[0] > 32)
		return reply_error(r->conn, MHD_HTTP_NOT_FOUND, NULL,
		    "not found");
	snprintf(name, sizeof(name), "dygraphs/%.*s", (int)r->cap.len[0],
	    r->cap.s[0]);
	return reply_static(r, name);
}

static enum MHD_Result
h_metrics(struct request *r)
{
	struct pw_monitor_stats st;
	struct pw_snapshot *snap, sel;
	const struct pw_snapshot *procs;
	struct MHD_Response *resp;
	struct api_buf b;
	uint64_t pm;
	char *page;
	size_t len;
	int rc, mode;

	pm = atomic_load_explicit(&r->srv->procmetrics, memory_order_relaxed);
	mode = (int)(pm >> 32);
	pw_monitor_get_stats(r->srv->mon, &st);
	if ((rc = pw_store_snapshot(pw_monitor_store(r->srv->mon), false,
	    &snap)) < 0)
		return reply_store_error(r->conn, rc, 0);
	/* Per-process series for the processes process_metrics keeps;
	 * the target families always see every process. */
	procs = snap;
	if (mode != API_PROCMETRICS_ALL) {
		if ((rc = api_prom_select_init(&sel, snap, mode,
		    (unsigned)pm)) < 0) {
			pw_snapshot_free(snap);
			return reply_oom(r->conn);
		}
		procs = &sel;
	}
	api_buf_init(&b, API_PROM_MAX);
	if ((rc = api_prom_render(procs, &st, r->srv->hz, r->srv->version,
	    &page, &len)) == 0)
		api_buf_append_page(&b, page, len);
	if (rc == 0)
		rc = api_prom_custom(r->srv->mon, procs, &b);
	if (rc == 0)
		rc = api_targets_append_metrics(snap, r->srv->hz, &b);
	if (procs != snap)
		api_prom_select_fini(&sel);
	pw_snapshot_free(snap);
	if (rc == 0)
		rc = append_alert_metrics(r->srv, &b);
	if (rc == 0)
		rc = api_prom_events(r->srv->events, &b);
	if (rc == 0)
		rc = api_buf_take(&b, &page, &len);
	api_buf_fini(&b);
	if (rc == -ENOMEM)
		return reply_oom(r->conn);
	if (rc < 0)
		return reply_error(r->conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    NULL, "metrics page too large");
	resp = MHD_create_response_from_buffer_with_free_callback(len, page,
	    free);				/* MHD owns page from here on */
	if (resp == NULL) {
		free(page);
		return reply_oom(r->conn);
	}
	return queue(r->conn, MHD_HTTP_OK, resp, CT_PROM, NULL);
}

/* --- windowed views: parameters here, the work in api/stats.c ------------ */

/* A query value; "" for a bare "?key", NULL when absent. */
static const char *
query_val(struct MHD_Connection *conn, const char *key)
{
	const char *val;

	if (!query_arg(conn, key, &val))
		return NULL;
	return val != NULL ? val : "";
}

/* Reply with what an api_stats_*() call produced (o is consumed). */
static enum MHD_Result
reply_stats(struct MHD_Connection *conn, unsigned status, cJSON *o,
    const char *err)
{
	if (status >= 200 && status < 300)
		return reply_json(conn, status, o, NULL);
	cJSON_Delete(o);
	if (err[0] == '\0')
		return reply_oom(conn);
	return reply_error(conn, status, NULL, "%s", err);
}

static enum MHD_Result
h_stats(struct request *r)
{
	char err[API_ERRMSG_MAX] = "";
	enum MHD_Result mrc;
	unsigned status;
	cJSON *o;
	pid_t pid;

	if (!capture_pid(r, 0, &pid, &mrc))
		return mrc;
	status = api_stats_process(r->srv->stats, pid,
	    query_val(r->conn, "window"), query_val(r->conn, "metrics"),
	    query_val(r->conn, "baseline"), &o, err, sizeof(err));
	return reply_stats(r->conn, status, o, err);
}

static enum MHD_Result
h_threads(struct request *r)
{
	char err[API_ERRMSG_MAX] = "";
	enum MHD_Result mrc;
	unsigned status;
	cJSON *o;
	pid_t pid;

	if (!capture_pid(r, 0, &pid, &mrc))
		return mrc;
	status = api_stats_threads(r->srv->stats, pid,
	    query_val(r->conn, "window"), &o, err, sizeof(err));
	return reply_stats(r->conn, status, o, err);
}

static enum MHD_Result
h_averages(struct request *r)
{
	char err[API_ERRMSG_MAX] = "";
	unsigned status;
	cJSON *o;

	status = api_stats_averages(r->srv->stats,
	    query_val(r->conn, "window"), query_val(r->conn, "target"), &o,
	    err, sizeof(err));
	return reply_stats(r->conn, status, o, err);
}

static enum MHD_Result
h_bottlenecks(struct request *r)
{
	char err[API_ERRMSG_MAX] = "";
	unsigned status;
	cJSON *o;

	status = api_stats_bottlenecks(r->srv->stats, r->srv->events,
	    query_val(r->conn, "by"), query_val(r->conn, "window"),
	    query_val(r->conn, "limit"), &o, err, sizeof(err));
	return reply_stats(r->conn, status, o, err);
}

static enum MHD_Result
h_events(struct request *r)
{
	char err[API_ERRMSG_MAX] = "";
	unsigned status;
	cJSON *o;

	status = api_events_list(r->srv->events, query_val(r->conn, "limit"),
	    &o, err, sizeof(err));
	return reply_stats(r->conn, status, o, err);
}

static enum MHD_Result
h_baselines(struct request *r)
{
	char err[API_ERRMSG_MAX] = "";
	unsigned status;
	cJSON *o;

	status = api_stats_baseline_create(r->srv->stats, r->body,
	    r->body_len, &o, err, sizeof(err));
	return reply_stats(r->conn, status, o, err);
}

static enum MHD_Result
h_reload(struct request *r)
{
	char msg[API_ERRMSG_MAX] = "";
	cJSON *o;
	int rc;

	if (r->srv->reload == NULL)
		return reply_error(r->conn, MHD_HTTP_NOT_FOUND, NULL,
		    "reload is not available");
	if ((rc = r->srv->reload(r->srv->reload_arg, msg, sizeof(msg))) < 0)
		return reply_error(r->conn, rc == -EINVAL ?
		    MHD_HTTP_BAD_REQUEST : MHD_HTTP_INTERNAL_SERVER_ERROR, NULL,
		    "%s", msg[0] != '\0' ? msg : "reload failed");
	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(o, "status", "reloaded") == NULL ||
	    cJSON_AddStringToObject(o, "message", msg) == NULL) {
		cJSON_Delete(o);
		return reply_oom(r->conn);
	}
	return reply_json(r->conn, MHD_HTTP_OK, o, NULL);
}

/* --- on-demand profiles: the work in api/profile.c ------------------------ */

static enum MHD_Result
h_profile_start(struct request *r)
{
	char err[API_ERRMSG_MAX] = "";
	enum MHD_Result mrc;
	unsigned status;
	cJSON *o;
	pid_t pid;

	if (!capture_pid(r, 0, &pid, &mrc))
		return mrc;
	status = api_profile_start(r->srv->profiler, pid, r->body,
	    r->body_len, &o, err, sizeof(err));
	return reply_stats(r->conn, status, o, err);
}

static enum MHD_Result
h_profile(struct request *r)
{
	char err[API_ERRMSG_MAX] = "";
	unsigned status;
	cJSON *o;

	status = api_profile_get(r->srv->profiler, r->cap.s[0], r->cap.len[0],
	    &o, err, sizeof(err));
	return reply_stats(r->conn, status, o, err);
}

static enum MHD_Result
h_profile_folded(struct request *r)
{
	char err[API_ERRMSG_MAX] = "";
	struct MHD_Response *resp;
	unsigned status;
	size_t len;
	char *text;

	status = api_profile_folded(r->srv->profiler, r->cap.s[0],
	    r->cap.len[0], &text, &len, err, sizeof(err));
	if (status != MHD_HTTP_OK)
		return reply_stats(r->conn, status, NULL, err);
	resp = MHD_create_response_from_buffer_with_free_callback(len, text,
	    free);				/* MHD owns text from here on */
	if (resp == NULL) {
		free(text);
		return reply_oom(r->conn);
	}
	return queue(r->conn, MHD_HTTP_OK, resp, "text/plain; charset=utf-8",
	    NULL);
}

/* --- custom metric series (api/custom.c) ---------------------------------- */

static enum MHD_Result
h_custom_push(struct request *r)
{
	char err[API_ERRMSG_MAX] = "";
	unsigned status;
	cJSON *o;

	status = api_custom_push(r->srv->mon, r->body, r->body_len,
	    api_now_ms(r->srv->now_ms, r->srv->now_arg), &o, err, sizeof(err));
	return reply_stats(r->conn, status, o, err);
}

static enum MHD_Result
h_custom_list(struct request *r)
{
	cJSON *o;

	if (api_custom_list(r->srv->mon, &o) < 0)
		return reply_oom(r->conn);
	return reply_json(r->conn, MHD_HTTP_OK, o, NULL);
}

/* --- targets as groups (api/targets.c) ------------------------------------ */

static enum MHD_Result
h_targets(struct request *r)
{
	char err[API_ERRMSG_MAX] = "";
	unsigned status;
	cJSON *o;

	status = api_targets_list(r->srv->mon, r->srv->hz, &o, err,
	    sizeof(err));
	return reply_stats(r->conn, status, o, err);
}

static enum MHD_Result
h_target(struct request *r)
{
	char err[API_ERRMSG_MAX] = "";
	unsigned status;
	cJSON *o;

	status = api_targets_get(r->srv->mon, r->srv->hz, r->cap.s[0],
	    r->cap.len[0], &o,
	    err, sizeof(err));
	return reply_stats(r->conn, status, o, err);
}

static enum MHD_Result
h_target_samples(struct request *r)
{
	char err[API_ERRMSG_MAX] = "";
	int64_t since = INT64_MIN;
	size_t limit = SIZE_MAX;
	enum MHD_Result mrc;
	unsigned status;
	cJSON *o;

	if (!query_samples(r, &since, &limit, &mrc))
		return mrc;
	status = api_targets_samples(r->srv->mon, r->srv->hz, r->cap.s[0],
	    r->cap.len[0],
	    since, limit, &o, err, sizeof(err));
	return reply_stats(r->conn, status, o, err);
}

/* The statistics of a target's aggregate samples (api/stats.c). */
static enum MHD_Result
h_target_stats(struct request *r)
{
	char err[API_ERRMSG_MAX] = "";
	unsigned status;
	cJSON *o;

	status = api_stats_target(r->srv->stats, r->cap.s[0], r->cap.len[0],
	    query_val(r->conn, "window"), query_val(r->conn, "metrics"), &o,
	    err, sizeof(err));
	return reply_stats(r->conn, status, o, err);
}

/* --- authentication -------------------------------------------------------- */

/* Compare in time that depends only on the token's length, not on where
 * the first difference is. */
static bool
token_equal(const char *want, const char *got, size_t got_len)
{
	size_t n = strlen(want), i;
	unsigned char diff = (unsigned char)(n != got_len);

	for (i = 0; i < n; i++)
		diff |= (unsigned char)want[i] ^
		    (unsigned char)(i < got_len ? got[i] : 0);
	return diff == 0;
}

/* Does the request carry "Authorization: Bearer <the token>"? */
static bool
is_authorized(const struct api_server *srv, struct MHD_Connection *conn)
{
	const char *h;

	h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return false;
	h += 7;
	while (*h == ' ')
		h++;
	return token_equal(srv->api_token, h, strlen(h));
}

static enum MHD_Result
reply_unauthorized(struct MHD_Connection *conn)
{
	static char body[] = "{\"error\":\"unauthorized: this request "
	    "needs Authorization: Bearer <api_token>\"}";
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer(sizeof(body) - 1, body,
	    MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
	    "Bearer realm=\"procwatch\"") != MHD_YES) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	return queue(conn, MHD_HTTP_UNAUTHORIZED, resp, CT_JSON, NULL);
}

/*
 * Does url match pattern?  Literal segments must be equal; a "{...}"
 * segment takes any non-empty segment into c.
 */
static bool
route_match(const char *pat, const char *url, struct captures *c)
{
	size_t pl, ul;

	c->n = 0;
	for (;;) {
		if (*pat != *url)	/* both '/' or both at the end */
			return false;
		if (*pat == '\0')
			return true;
		pat++;
		url++;
		pl = strcspn(pat, "/");
		ul = strcspn(url, "/");
		if (pat[0] == '{') {
			if (ul == 0 || c->n == API_MAX_CAPTURES)
				return false;
			c->s[c->n] = url;
			c->len[c->n++] = ul;
		} else if (pl != ul || memcmp(pat, url, pl) != 0)
			return false;
		pat += pl;
		url += ul;
	}
}

static unsigned
method_bit(const char *method)
{
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(method, methods[i].name) == 0)
			return methods[i].bit;
	return 0;
}

static enum MHD_Result
reply_not_allowed(struct MHD_Connection *conn, unsigned allowed)
{
	char allow[64] = "";
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if ((allowed & methods[i].bit) == 0)
			continue;
		if (allow[0] != '\0')
			strcat(allow, ", ");
		strcat(allow, methods[i].name);
	}
	return reply_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, allow,
	    "method not allowed");
}

/* Does the request announce a body? */
static bool
has_body(struct MHD_Connection *conn)
{
	const char *cl;

	if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL)
		return true;
	cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	return cl != NULL && strcmp(cl, "0") != 0;
}

static enum MHD_Result
dispatch(struct api_server *srv, struct MHD_Connection *conn,
    const char *url, const char *method, const struct body_ctx *body)
{
	struct request r = { .srv = srv, .conn = conn };
	unsigned m = method_bit(method), allowed = 0;
	size_t i;

	if (body != NULL) {
		r.body = body->buf;
		r.body_len = body->len;
	}
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!route_match(routes[i].pattern, url, &r.cap))
			continue;
		if ((routes[i].methods & m) && srv->api_token[0] != '\0' &&
		    (srv->auth_reads || (m & (M_POST | M_PUT | M_PATCH |
		    M_DELETE)) != 0) && !is_authorized(srv, conn))
			return reply_unauthorized(conn);
		if (routes[i].methods & m)
			return routes[i].fn(&r);
		allowed |= routes[i].methods;
	}
	if (allowed != 0)
		return reply_not_allowed(conn, allowed);
	return reply_error(conn, MHD_HTTP_NOT_FOUND, NULL, "not found");
}

/*
 * MHD calls this first with the headers only, then with any body, then
 * once more with none.  A response queued on the first call makes MHD
 * close the connection, so requests are answered on the last call and
 * keep-alive works (a scraper reuses its connection).  A request that
 * announces a body gets a body_ctx that collects it up to API_BODY_MAX;
 * one whose Content-Length is already over the cap is answered 413 at
 * once (leaving the body unread, so MHD closes the connection), and a
 * chunked one that grows past it is drained and answered 413 at the end.
 * Handlers see the body as r->body, r->body_len.
 */
static int request_seen;	/* marks a bodiless request past its first call */
static __thread bool is_reniced;	/* this MHD thread runs at API_NICE */
#define API_NICE	10

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req_cls)
{
	struct body_ctx *b;
	const char *cl;
	char *nb;

	(void)version;
	if (!is_reniced) {
		/* HTTP work yields to the sampler: its schedule is the product. */
		(void)setpriority(PRIO_PROCESS, (id_t)gettid(), API_NICE);
		is_reniced = true;
	}
	if (*req_cls == NULL) {
		if (!has_body(conn)) {
			*req_cls = &request_seen;
			return MHD_YES;
		}
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL && strtoull(cl, NULL, 10) > API_BODY_MAX)
			return reply_error(conn, MHD_HTTP_CONTENT_TOO_LARGE,
			    NULL, "body: larger than %d bytes", API_BODY_MAX);
		if ((b = calloc(1, sizeof(*b))) == NULL)
			return reply_oom(conn);
		*req_cls = b;
		return MHD_YES;
	}
	b = *req_cls == &request_seen ? NULL : *req_cls;
	if (*upload_data_size != 0) {
		if (b != NULL && !b->too_big) {
			if (b->len + *upload_data_size > API_BODY_MAX) {
				b->too_big = true;
			} else if ((nb = realloc(b->buf, b->len +
			    *upload_data_size + 1)) == NULL) {
				b->too_big = true;	/* answered as 413 */
			} else {
				memcpy(nb + b->len, upload_data,
				    *upload_data_size);
				b->len += *upload_data_size;
				nb[b->len] = '\0';
				b->buf = nb;
			}
		}
		*upload_data_size = 0;	/* not announced: dropped */
		return MHD_YES;
	}
	if (b != NULL && b->too_big)
		return reply_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
		    "body: larger than %d bytes", API_BODY_MAX);
	return dispatch(cls, conn, url, method, b);
}

/* Free a request's body_ctx, if it has one. */
static void
on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct body_ctx *b = *req_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (b != NULL && *req_cls != (void *)&request_seen) {
		free(b->buf);
		free(b);
	}
	*req_cls = NULL;
}

static void on_log(void *, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

static void
on_log(void *cls, const char *fmt, va_list ap)
{
	struct api_server *srv = cls;
	char msg[API_ERRMSG_MAX];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	if (pthread_mutex_lock(&srv->start_mu) == 0) {
		if (srv->capturing && srv->start_err[0] == '\0')
			memcpy(srv->start_err, msg, n + 1);
		pthread_mutex_unlock(&srv->start_mu);
	}
	if (srv->log != NULL)
		srv->log(srv->log_arg, msg);
}

/*
 * Parse a numeric host ("127.0.0.1", "::1", "[::1]") and port into sa.
 * Returns 0 or -EINVAL.
 */
static int
make_addr(const char *host, uint16_t port, struct sockaddr_storage *sa,
    bool *is_v6)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)sa;
	char buf[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(host);

	memset(sa, 0, sizeof(*sa));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*is_v6 = false;
		return 0;
	}
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' &&
	    n - 2 < sizeof(buf)) {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
		host = buf;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*is_v6 = true;
		return 0;
	}
	return -EINVAL;
}

static void set_err(char *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

struct api_server *
api_start(const struct api_options *opts, struct pw_monitor *mon, char *err,
    size_t errlen)
{
	const union MHD_DaemonInfo *info;
	struct MHD_OptionItem tls_opts[3];
	struct sockaddr_storage sa;
	struct api_server *srv;
	const char *host;
	unsigned maxconn, timeout, pool, flags;
	bool is_v6;

	set_err(err, errlen, "%s", "");
	if (opts == NULL || mon == NULL) {
		set_err(err, errlen, "api: no options or no monitor");
		return NULL;
	}
	host = opts->host != NULL ? opts->host : "127.0.0.1";
	if (make_addr(host, opts->port, &sa, &is_v6) < 0) {
		set_err(err, errlen, "invalid listen host \"%s\": expected a "
		    "numeric IPv4 or IPv6 address", host);
		return NULL;
	}
	if (opts->dygraphs_dir != NULL &&
	    strlen(opts->dygraphs_dir) >= API_DIR_MAX) {
		set_err(err, errlen, "dygraphs_dir: longer than %d bytes",
		    API_DIR_MAX - 1);
		return NULL;
	}
	if (opts->api_token != NULL &&
	    strlen(opts->api_token) > API_TOKEN_MAX) {
		set_err(err, errlen, "api_token: longer than %d bytes",
		    API_TOKEN_MAX);
		return NULL;
	}
	if ((srv = calloc(1, sizeof(*srv))) == NULL) {
		set_err(err, errlen, "api: out of memory");
		return NULL;
	}
	if ((srv->version = strdup(opts->version != NULL ? opts->version :
	    "unknown")) == NULL) {
		set_err(err, errlen, "api: out of memory");
		goto out_free;
	}
	if (pthread_mutex_init(&srv->start_mu, NULL) != 0) {
		set_err(err, errlen, "api: cannot create a mutex");
		goto out_version;
	}
	srv->mon = mon;
	if ((srv->hz = sysconf(_SC_CLK_TCK)) <= 0)
		srv->hz = 100;
	srv->now_ms = opts->now_ms;
	srv->now_arg = opts->now_arg;
	if ((srv->stats = api_stats_new(mon, srv->hz, srv->now_ms,
	    srv->now_arg)) == NULL) {
		set_err(err, errlen, "api: out of memory");
		goto out_mutex;
	}
	srv->log = opts->log;
	srv->log_arg = opts->log_arg;
	srv->alerts = opts->alerts;
	srv->notify_stats = opts->notify_stats;
	srv->notify_arg = opts->notify_arg;
	snprintf(srv->dygraphs_dir, sizeof(srv->dygraphs_dir), "%s",
	    opts->dygraphs_dir != NULL ? opts->dygraphs_dir :
	    API_DEFAULT_DYGRAPHS_DIR);
	srv->reload = opts->reload;
	srv->reload_arg = opts->reload_arg;
	if (opts->api_token != NULL)
		snprintf(srv->api_token, sizeof(srv->api_token), "%s",
		    opts->api_token);
	srv->auth_reads = opts->auth_reads;
	api_set_process_metrics(srv, opts->process_metrics,
	    opts->process_metrics_top);
	srv->profiler = opts->profiler;
	srv->events = opts->events;
	srv->capturing = true;

	maxconn = opts->max_connections != 0 ? opts->max_connections :
	    API_DEFAULT_MAX_CONNECTIONS;
	timeout = opts->conn_timeout_s != 0 ? opts->conn_timeout_s :
	    API_DEFAULT_CONN_TIMEOUT_S;
	pool = maxconn >= 2 ? 2 : 1;	/* MHD splits the limit per worker */
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	flags |= MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES ?
	    MHD_USE_EPOLL : MHD_USE_POLL;
	if (is_v6)
		flags |= MHD_USE_IPv6;
	/* HTTPS through libmicrohttpd's GnuTLS; it reads cert and key from
	 * memory, which we keep until the server stops. */
	memset(tls_opts, 0, sizeof(tls_opts));
	tls_opts[0].option = MHD_OPTION_END;
	if (opts->tls_cert_pem != NULL && opts->tls_key_pem != NULL) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			set_err(err, errlen, "tls_cert: this libmicrohttpd has "
			    "no TLS support");
			goto out_mutex;
		}
		if ((srv->tls_cert = strdup(opts->tls_cert_pem)) == NULL ||
		    (srv->tls_key = strdup(opts->tls_key_pem)) == NULL) {
			set_err(err, errlen, "out of memory");
			goto out_mutex;
		}
		flags |= MHD_USE_TLS;
		tls_opts[0].option = MHD_OPTION_HTTPS_MEM_CERT;
		tls_opts[0].ptr_value = srv->tls_cert;
		tls_opts[1].option = MHD_OPTION_HTTPS_MEM_KEY;
		tls_opts[1].ptr_value = srv->tls_key;
		tls_opts[2].option = MHD_OPTION_END;
	}

	srv->mhd = MHD_start_daemon(flags, opts->port, NULL, NULL, on_request,
	    srv,
	    MHD_OPTION_EXTERNAL_LOGGER, on_log, srv,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_THREAD_POOL_SIZE, pool,
	    MHD_OPTION_CONNECTION_LIMIT, maxconn,
	    MHD_OPTION_CONNECTION_TIMEOUT, timeout,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)API_CONN_MEMORY,
	    /* SO_REUSEPORT: a reload starts the new server on the same port
	     * before it stops the old one (same user only, Linux). */
	    MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int)1,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
	    MHD_OPTION_ARRAY, tls_opts,
	    MHD_OPTION_END);

	if (pthread_mutex_lock(&srv->start_mu) == 0) {
		srv->capturing = false;
		pthread_mutex_unlock(&srv->start_mu);
	}
	if (srv->mhd == NULL) {
		/* The caller names the address; say what went wrong. */
		set_err(err, errlen, "%s", srv->start_err[0] != '\0' ?
		    srv->start_err : "the HTTP server failed to start");
		goto out_mutex;
	}
	info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info != NULL ? info->port : opts->port;
	return srv;

out_mutex:
	free(srv->tls_cert);
	free(srv->tls_key);
	api_stats_free(srv->stats);
	pthread_mutex_destroy(&srv->start_mu);
out_version:
	free(srv->version);
out_free:
	free(srv);
	return NULL;
}

void
api_set_process_metrics(struct api_server *srv, int mode, unsigned top)
{
	if (mode != API_PROCMETRICS_NONE && mode != API_PROCMETRICS_TOP)
		mode = API_PROCMETRICS_ALL;
	atomic_store_explicit(&srv->procmetrics,
	    (uint64_t)(unsigned)mode << 32 | top, memory_order_relaxed);
}

uint16_t
api_port(const struct api_server *srv)
{
	return srv != NULL ? srv->port : 0;
}

void
api_stop(struct api_server *srv)
{
	if (srv == NULL)
		return;
	MHD_stop_daemon(srv->mhd);
	api_stats_free(srv->stats);
	free(srv->tls_cert);
	if (srv->tls_key != NULL) {
		explicit_bzero(srv->tls_key, strlen(srv->tls_key));
		free(srv->tls_key);
	}
	pthread_mutex_destroy(&srv->start_mu);
	free(srv->version);
	free(srv);
}
