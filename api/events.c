/*
 * api/events.c: JSON and Prometheus text for process lifecycle events.
 *
 * GET /api/v1/events:
 *   {"available":true,"cpu_seconds_available":true,
 *    "cpu_seconds_reason":null,"count":2,"dropped":0,
 *    "events":[{"ts":"...","type":"exit","pid":42,"ppid":7,"name":"sleep",
 *      "parent_name":"bash","target":"jobs","exit_code":null,
 *      "signal":9,"signal_name":"SIGKILL","core_dumped":false,
 *      "lifetime_s":0.8,"cpu_seconds":0.012}, ...],
 *    "counters":[{"target":"jobs","starts":10,"exits":9,
 *      "exits_signal":1,"cpu_seconds":1.5}]}
 * Events are newest first.  cpu_seconds (user + system, from taskstats,
 * see procwatch/events.h) is null when it is not known: always when
 * cpu_seconds_available is false, and cpu_seconds_reason then says why.
 * A counter's cpu_seconds sums the exits whose CPU time is known (null
 * without taskstats).
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <procwatch/bottleneck.h>
#include <procwatch/events.h>
#include <procwatch/metric.h>
#include <procwatch/monitor.h>
#include <procwatch/oom.h>

#include "api/api.h"
#include "api/buf.h"
#include "api/catalogue.h"
#include "api/events.h"
#include "api/params.h"

#define HTTP_OK			200
#define HTTP_BAD_REQUEST	400
#define HTTP_INTERNAL		500

static cJSON *
json_event(const struct pw_event *e)
{
	char ts[API_RFC3339_LEN], sn[32];
	cJSON *o;
	bool ok, is_exit = e->type == PW_EV_EXIT;

	if (api_fmt_rfc3339(e->ts_ms, ts, sizeof(ts)) < 0)
		ts[0] = '\0';
	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	ok = cJSON_AddStringToObject(o, "ts", ts) != NULL &&
	    cJSON_AddStringToObject(o, "type",
	    pw_event_type_name(e->type)) != NULL &&
	    cJSON_AddNumberToObject(o, "pid", e->pid) != NULL &&
	    (e->ppid > 0 ? cJSON_AddNumberToObject(o, "ppid", e->ppid) :
	    cJSON_AddNullToObject(o, "ppid")) != NULL &&
	    cJSON_AddStringToObject(o, "name", e->comm) != NULL &&
	    cJSON_AddStringToObject(o, "parent_name", e->parent_comm) !=
	    NULL &&
	    (e->target[0] ? cJSON_AddStringToObject(o, "target", e->target) :
	    cJSON_AddNullToObject(o, "target")) != NULL;
	if (ok && is_exit)
		ok = (e->signal == 0 ? cJSON_AddNumberToObject(o, "exit_code",
		    e->exit_code) : cJSON_AddNullToObject(o, "exit_code")) !=
		    NULL &&
		    (e->signal != 0 ? cJSON_AddNumberToObject(o, "signal",
		    e->signal) : cJSON_AddNullToObject(o, "signal")) != NULL &&
		    (e->signal != 0 ? cJSON_AddStringToObject(o, "signal_name",
		    pw_signal_name(e->signal, sn, sizeof(sn))) :
		    cJSON_AddNullToObject(o, "signal_name")) != NULL &&
		    cJSON_AddBoolToObject(o, "core_dumped", e->core_dumped) !=
		    NULL &&
		    (e->lifetime_s >= 0 ? cJSON_AddNumberToObject(o,
		    "lifetime_s", e->lifetime_s) : cJSON_AddNullToObject(o,
		    "lifetime_s")) != NULL &&
		    (e->has_cpu ? cJSON_AddNumberToObject(o,
		    API_NAME(CPU_SECONDS), (double)e->cpu_us / 1e6) :
		    cJSON_AddNullToObject(o, API_NAME(CPU_SECONDS))) != NULL;
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* A path, or null when empty. */
static bool
add_path(cJSON *o, const char *key, const char *s)
{
	return (s[0] != '\0' ? api_add_text(o, key, s) :
	    cJSON_AddNullToObject(o, key) != NULL);
}

/*
 * An OOM kill (procwatch/oom.h): {"ts", "type": "oom_kill", "pid",
 * "name", "target", "rss_bytes" (of its last sample), "limit": "system"
 * or "cgroup", "cgroup" (the process's), "limit_cgroup" and
 * "limit_bytes" (of the cgroup whose limit fired; null for "system"),
 * "signal_seen" (the connector saw its SIGKILL)}.
 */
static cJSON *
json_oom(const struct pw_oom_kill *k)
{
	char ts[API_RFC3339_LEN];
	cJSON *o;
	bool ok;

	if (api_fmt_rfc3339(k->ts_ms, ts, sizeof(ts)) < 0)
		ts[0] = '\0';
	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	ok = cJSON_AddStringToObject(o, "ts", ts) != NULL &&
	    cJSON_AddStringToObject(o, "type", "oom_kill") != NULL &&
	    cJSON_AddNumberToObject(o, "pid", k->pid) != NULL &&
	    api_add_text(o, "name", k->comm) &&
	    add_path(o, "target", k->target) &&
	    api_add_u64(o, pw_metric_name(PW_METRIC_RSS_BYTES),
	    k->rss_bytes) &&
	    cJSON_AddStringToObject(o, "limit",
	    pw_oom_limit_name(k->limit)) != NULL &&
	    add_path(o, "cgroup", k->cgroup) &&
	    add_path(o, "limit_cgroup", k->limit_cgroup) &&
	    (k->has_limit_bytes ? api_add_u64(o, "limit_bytes",
	    k->limit_bytes) : cJSON_AddNullToObject(o, "limit_bytes") !=
	    NULL) &&
	    cJSON_AddBoolToObject(o, "signal_seen", k->signal_seen) != NULL;
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/*
 * Add "count", "dropped" (if not NULL) and "events" to o: the feed's
 * events v[0..n) and the OOM kills k[0..nk) (both oldest first), newest
 * first, at most lim.
 */
static bool
add_events(cJSON *o, const struct pw_event *v, size_t n,
    const struct pw_oom_kill *k, size_t nk, size_t lim,
    const uint64_t *dropped)
{
	cJSON *arr, *item;
	size_t count = 0;

	if ((arr = cJSON_CreateArray()) == NULL)
		return false;
	while ((n > 0 || nk > 0) && count < lim) {
		if (nk > 0 && (n == 0 || k[nk - 1].ts_ms >= v[n - 1].ts_ms))
			item = json_oom(&k[--nk]);
		else
			item = json_event(&v[--n]);
		if (item == NULL || !cJSON_AddItemToArray(arr, item)) {
			cJSON_Delete(item);
			cJSON_Delete(arr);
			return false;
		}
		count++;
	}
	if (cJSON_AddNumberToObject(o, "count", (double)count) == NULL ||
	    (dropped != NULL && cJSON_AddNumberToObject(o, "dropped",
	    (double)*dropped) == NULL)) {
		cJSON_Delete(arr);
		return false;
	}
	return cJSON_AddItemToObject(o, "events", arr);
}

/* Without the feed: why, and the OOM kills found from the counters. */
static cJSON *
json_unavailable(const char *why, const struct pw_oom_kill *k, size_t nk,
    size_t lim)
{
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (cJSON_AddBoolToObject(o, "available", false) == NULL ||
	    cJSON_AddStringToObject(o, "reason", why) == NULL ||
	    !add_events(o, NULL, 0, k, nk, lim, NULL)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

unsigned
api_events_list(struct pw_events *ev, struct pw_monitor *mon,
    const char *limit, struct cJSON **out, char *err, size_t errlen)
{
	struct pw_ev_counter *c = NULL;
	struct pw_event *v = NULL;
	struct pw_oom_kill *k = NULL;
	size_t lim = API_EVENTS_DEFAULT_LIMIT, n = 0, nc = 0, nk = 0, i;
	uint64_t dropped = 0;
	char why[256], cpu_why[256];
	bool cpu_ok;
	cJSON *o = NULL, *arr, *item;

	*out = NULL;
	if (limit != NULL && api_parse_limit(limit, API_EVENTS_MAX_LIMIT,
	    &lim) < 0) {
		snprintf(err, errlen, "limit: expected an integer from 1 to %d",
		    API_EVENTS_MAX_LIMIT);
		return HTTP_BAD_REQUEST;
	}
	if (mon != NULL && pw_monitor_oom_kills(mon, &k, &nk, NULL) < 0)
		goto out_oom;
	if (ev == NULL || !pw_events_available(ev, why, sizeof(why))) {
		if ((*out = json_unavailable(ev == NULL ? "the events feed "
		    "is not configured" : why, k, nk, lim)) == NULL)
			goto out_oom;
		free(k);
		return HTTP_OK;
	}
	cpu_ok = pw_events_cpu_available(ev, cpu_why, sizeof(cpu_why));
	if (pw_events_copy(ev, lim, &v, &n, &c, &nc, &dropped) < 0)
		goto out_oom;
	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddBoolToObject(o, "available", true) == NULL ||
	    cJSON_AddBoolToObject(o, "cpu_seconds_available", cpu_ok) ==
	    NULL ||
	    (cpu_ok ? cJSON_AddNullToObject(o, "cpu_seconds_reason") :
	    cJSON_AddStringToObject(o, "cpu_seconds_reason", cpu_why)) ==
	    NULL ||
	    !add_events(o, v, n, k, nk, lim, &dropped))
		goto out_oom;
	if ((arr = cJSON_AddArrayToObject(o, "counters")) == NULL)
		goto out_oom;
	for (i = 0; i < nc; i++) {
		if ((item = cJSON_CreateObject()) == NULL)
			goto out_oom;
		if (!cJSON_AddItemToArray(arr, item)) {
			cJSON_Delete(item);
			goto out_oom;
		}
		if (cJSON_AddStringToObject(item, "target", c[i].target) ==
		    NULL ||
		    cJSON_AddNumberToObject(item, "starts",
		    (double)c[i].starts) == NULL ||
		    cJSON_AddNumberToObject(item, "exits",
		    (double)c[i].exits) == NULL ||
		    cJSON_AddNumberToObject(item, "exits_signal",
		    (double)c[i].exits_signal) == NULL ||
		    (cpu_ok ? cJSON_AddNumberToObject(item,
		    API_NAME(CPU_SECONDS), (double)c[i].cpu_us / 1e6) :
		    cJSON_AddNullToObject(item, API_NAME(CPU_SECONDS))) == NULL)
			goto out_oom;
	}
	free(v);
	free(c);
	free(k);
	*out = o;
	return HTTP_OK;
out_oom:
	cJSON_Delete(o);
	free(v);
	free(c);
	free(k);
	if (errlen > 0)
		err[0] = '\0';
	return HTTP_INTERNAL;
}

/* --- /metrics ---------------------------------------------------------------------- */

/* A label value with \, " and newlines escaped, as the text format wants. */
static void
esc(const char *s, char *out, size_t len)
{
	size_t k = 0;

	for (; *s != '\0' && k + 3 < len; s++) {
		if (*s == '\\' || *s == '"') {
			out[k++] = '\\';
			out[k++] = *s;
		} else if (*s == '\n') {
			out[k++] = '\\';
			out[k++] = 'n';
		} else
			out[k++] = *s;
	}
	out[k] = '\0';
}

int
api_prom_events(struct pw_events *ev, struct api_buf *b)
{
	struct pw_ev_counter *c = NULL;
	size_t nc = 0, i;
	char t[PW_EV_TARGET_MAX * 2 + 1];
	bool avail, cpu_ok;

	avail = ev != NULL && pw_events_available(ev, NULL, 0);
	cpu_ok = avail && pw_events_cpu_available(ev, NULL, 0);
	if (avail && pw_events_copy(ev, 0, NULL, NULL, &c, &nc, NULL) < 0)
		return -ENOMEM;
	api_buf_printf(b, "# HELP procwatch_events_available Whether process "
	    "lifecycle events (netlink process connector) are received.\n"
	    "# TYPE procwatch_events_available gauge\n"
	    "procwatch_events_available %d\n", avail ? 1 : 0);
	if (nc > 0) {
		api_buf_puts(b, "# HELP procwatch_process_starts_total "
		    "Processes started (forked) under each target, from "
		    "events.\n"
		    "# TYPE procwatch_process_starts_total counter\n");
		for (i = 0; i < nc; i++) {
			esc(c[i].target, t, sizeof(t));
			api_buf_printf(b, "procwatch_process_starts_total"
			    "{target=\"%s\"} %llu\n", t,
			    (unsigned long long)c[i].starts);
		}
		api_buf_puts(b, "# HELP procwatch_process_exits_total "
		    "Processes that exited under each target, by how.\n"
		    "# TYPE procwatch_process_exits_total counter\n");
		for (i = 0; i < nc; i++) {
			esc(c[i].target, t, sizeof(t));
			api_buf_printf(b, "procwatch_process_exits_total"
			    "{target=\"%s\",how=\"exit\"} %llu\n"
			    "procwatch_process_exits_total{target=\"%s\","
			    "how=\"signal\"} %llu\n", t,
			    (unsigned long long)(c[i].exits -
			    c[i].exits_signal), t,
			    (unsigned long long)c[i].exits_signal);
		}
	}
	/* Without taskstats the sum would be a misleading 0: left out. */
	if (nc > 0 && cpu_ok) {
		api_buf_puts(b,
		    "# HELP procwatch_process_exit_cpu_seconds_total CPU time "
		    "(user + system) of the processes that exited under each "
		    "target, from taskstats.\n"
		    "# TYPE procwatch_process_exit_cpu_seconds_total "
		    "counter\n");
		for (i = 0; i < nc; i++) {
			esc(c[i].target, t, sizeof(t));
			api_buf_printf(b,
			    "procwatch_process_exit_cpu_seconds_total"
			    "{target=\"%s\"} %.6f\n", t,
			    (double)c[i].cpu_us / 1e6);
		}
	}
	free(c);
	return b->err;
}

/* --- churn bottlenecks -------------------------------------------------------------- */

static cJSON *
json_churn(const struct pw_churn *c)
{
	cJSON *o, *ev, *arr, *cmd, *sg;
	size_t i;
	bool ok;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	ok = cJSON_AddNumberToObject(o, "pid", c->ppid) != NULL &&
	    cJSON_AddStringToObject(o, "name", c->parent_comm) != NULL &&
	    cJSON_AddStringToObject(o, "target", c->target) != NULL &&
	    cJSON_AddStringToObject(o, "type", pw_bn_type_name(PW_BN_CHURN)) !=
	    NULL &&
	    cJSON_AddStringToObject(o, "severity",
	    pw_severity_name(c->severity)) != NULL &&
	    cJSON_AddNumberToObject(o, "impact_score", c->impact) != NULL &&
	    cJSON_AddStringToObject(o, "description", c->description) !=
	    NULL &&
	    (sg = cJSON_AddArrayToObject(o, "suggestions")) != NULL &&
	    cJSON_AddItemToArray(sg, cJSON_CreateString(c->suggestion)) &&
	    (ev = cJSON_AddObjectToObject(o, "evidence")) != NULL &&
	    cJSON_AddNumberToObject(ev, "window_s", c->window_s) != NULL &&
	    cJSON_AddNumberToObject(ev, "rate_per_s", c->rate_per_s) != NULL &&
	    cJSON_AddNumberToObject(ev, "count", (double)c->count) != NULL &&
	    cJSON_AddNumberToObject(ev, "avg_lifetime_s",
	    c->avg_lifetime_s) != NULL &&
	    (arr = cJSON_AddArrayToObject(ev, "commands")) != NULL;
	for (i = 0; ok && i < c->ncmds; i++) {
		ok = (cmd = cJSON_CreateObject()) != NULL &&
		    cJSON_AddItemToArray(arr, cmd);
		if (!ok) {
			cJSON_Delete(cmd);
			break;
		}
		ok = cJSON_AddStringToObject(cmd, "command", c->cmds[i].comm) !=
		    NULL && cJSON_AddNumberToObject(cmd, "count",
		    (double)c->cmds[i].count) != NULL;
	}
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static int
sev_rank(const cJSON *e)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(e, "severity");
	const char *v = cJSON_IsString(s) ? s->valuestring : "";

	if (strcmp(v, "critical") == 0)
		return 3;
	if (strcmp(v, "high") == 0)
		return 2;
	if (strcmp(v, "medium") == 0)
		return 1;
	return 0;
}

static double
impact(const cJSON *e)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(e, "impact_score");

	return cJSON_IsNumber(s) ? s->valuedouble : 0;
}

int
api_events_add_churn(struct pw_events *ev, int64_t window_ms, size_t limit,
    cJSON *root)
{
	struct pw_churn *v = NULL;
	cJSON *arr, *item, **all = NULL, *cnt;
	size_t n = 0, nold, i, k, pos;

	if (ev == NULL)
		return 0;
	if ((arr = cJSON_GetObjectItemCaseSensitive(root, "bottlenecks")) ==
	    NULL || !cJSON_IsArray(arr))
		return 0;
	if (pw_events_churn(ev, window_ms, &v, &n) < 0)
		return -ENOMEM;
	if (n == 0)
		return 0;
	/*
	 * Rebuild the array in order: the entries are detached and re-added
	 * with the churn entries merged in (ranked by severity, impact).
	 */
	nold = (size_t)cJSON_GetArraySize(arr);
	if ((all = calloc(nold + n, sizeof(*all))) == NULL) {
		free(v);
		return -ENOMEM;
	}
	for (i = 0; i < nold; i++)
		all[i] = cJSON_DetachItemFromArray(arr, 0);
	k = nold;
	for (i = 0; i < n; i++) {
		if ((item = json_churn(&v[i])) == NULL)
			continue;	/* dropped; the rest still go back */
		for (pos = 0; pos < k; pos++)
			if (sev_rank(all[pos]) < sev_rank(item) ||
			    (sev_rank(all[pos]) == sev_rank(item) &&
			    impact(all[pos]) < impact(item)))
				break;
		memmove(&all[pos + 1], &all[pos], (k - pos) * sizeof(*all));
		all[pos] = item;
		k++;
	}
	for (i = 0; i < k; i++)
		if (i >= limit || !cJSON_AddItemToArray(arr, all[i]))
			cJSON_Delete(all[i]);
	if ((cnt = cJSON_GetObjectItemCaseSensitive(root, "count")) != NULL)
		cJSON_SetNumberValue(cnt, cJSON_GetArraySize(arr));
	free(all);
	free(v);
	return k == nold + n ? 0 : -ENOMEM;
}
