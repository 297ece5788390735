/*
 * api/alerts.c: alerts and rules as JSON, and their /metrics families.
 *
 * ALERT: {"id", "rule", "severity", "state" ("pending", "firing" or
 *         "resolved"), "pid", "name", "target", "value", "threshold" (in
 *         force for that alert: a target's min or max processes for the
 *         built-ins process_down and too_many_processes),
 *         "message", "started_at", "fired_at" (null until it fired),
 *         "resolved_at" (null until it resolved), "reason" (why it
 *         resolved: "condition cleared", "process exited" or how it
 *         exited, e.g. "exited with SIGKILL", "rule changed", "target
 *         removed"; null before)}
 * RULE:   {"name", "metric", "scope" ("process" or "group"), "op",
 *         "threshold", "clear" (null: none),
 *         "for_ms", "aggregate" (null: none), "window_ms" (null),
 *         "severity", "targets" (null: every target), "message",
 *         "pending", "firing"}
 *
 * DESIGN: the engine's alerts are copied out under its lock
 * (pw_alerts_copy()) and rendered after; rule definitions are immutable
 * for the engine's life, so they are read without copying.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <procwatch/rules.h>

#include "api/api.h"
#include "api/buf.h"

static bool
add_time_or_null(cJSON *o, const char *key, int64_t ms)
{
	char buf[API_RFC3339_LEN];

	if (ms == 0 || api_fmt_rfc3339(ms, buf, sizeof(buf)) < 0)
		return cJSON_AddNullToObject(o, key) != NULL;
	return cJSON_AddStringToObject(o, key, buf) != NULL;
}

/* Strings from the kernel (comm) may be any bytes: make them UTF-8. */
static bool
add_text(cJSON *o, const char *key, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), i, k, o_ = 0;
	char *fixed;
	bool ok;

	if ((fixed = malloc(n * 3 + 1)) == NULL)
		return false;
	for (i = 0; i < n; i += k) {
		if ((k = api_utf8_seq(u + i, n - i)) == 0) {
			memcpy(fixed + o_, "\xef\xbf\xbd", 3);
			o_ += 3;
			k = 1;
		} else {
			memcpy(fixed + o_, u + i, k);
			o_ += k;
		}
	}
	fixed[o_] = '\0';
	ok = cJSON_AddStringToObject(o, key, fixed) != NULL;
	free(fixed);
	return ok;
}

static double
finite_or_zero(double v)
{
	return isfinite(v) ? v : 0.0;
}

cJSON *
api_json_alert(const struct pw_alert *a)
{
	char id[24];
	cJSON *o;
	bool ok;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	snprintf(id, sizeof(id), "%" PRIu64, a->id);
	ok = cJSON_AddRawToObject(o, "id", id) != NULL &&
	    cJSON_AddStringToObject(o, "rule", a->rule->name) != NULL &&
	    cJSON_AddStringToObject(o, "severity",
	    pw_alert_severity_name(a->rule->severity)) != NULL &&
	    cJSON_AddStringToObject(o, "state",
	    pw_alert_state_name(a->state)) != NULL &&
	    cJSON_AddNumberToObject(o, "pid", (double)a->pid) != NULL &&
	    add_text(o, "name", a->name) &&
	    add_text(o, "target", a->target) &&
	    cJSON_AddNumberToObject(o, "value",
	    finite_or_zero(a->value)) != NULL &&
	    cJSON_AddNumberToObject(o, "threshold", a->threshold) != NULL &&
	    add_text(o, "message", a->message) &&
	    add_time_or_null(o, "started_at", a->started_ms) &&
	    add_time_or_null(o, "fired_at", a->fired_ms) &&
	    add_time_or_null(o, "resolved_at", a->resolved_ms);
	if (ok && a->reason[0] != '\0')
		ok = cJSON_AddStringToObject(o, "reason", a->reason) != NULL;
	else if (ok)
		ok = cJSON_AddNullToObject(o, "reason") != NULL;
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int
api_json_alerts(struct pw_alerts *e, unsigned mask, const char *severity,
    const char *target, cJSON **out)
{
	struct pw_alert *a;
	cJSON *o, *arr, *item;
	size_t n, i, count = 0;
	int rc;

	if ((rc = pw_alerts_copy(e, mask, &a, &n)) < 0)
		return rc;
	if ((o = cJSON_CreateObject()) == NULL ||
	    (arr = cJSON_AddArrayToObject(o, "alerts")) == NULL)
		goto out_oom;
	for (i = 0; i < n; i++) {
		if (severity != NULL && strcmp(severity,
		    pw_alert_severity_name(a[i].rule->severity)) != 0)
			continue;
		if (target != NULL && strcmp(target, a[i].target) != 0)
			continue;
		if ((item = api_json_alert(&a[i])) == NULL)
			goto out_oom;
		if (!cJSON_AddItemToArray(arr, item)) {
			cJSON_Delete(item);
			goto out_oom;
		}
		count++;
	}
	if (cJSON_AddNumberToObject(o, "count", (double)count) == NULL)
		goto out_oom;
	free(a);
	*out = o;
	return 0;
out_oom:
	cJSON_Delete(o);
	free(a);
	return -ENOMEM;
}

static cJSON *
json_rule(struct pw_alerts *e, size_t i)
{
	const struct pw_rule *r = pw_alerts_rule(e, i);
	size_t pending, firing, t;
	cJSON *o, *arr;
	bool ok;

	if (r == NULL)
		return NULL;	/* a reload shrank the rules meanwhile */
	pw_alerts_rule_counts(e, i, &pending, &firing);
	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	ok = cJSON_AddStringToObject(o, "name", r->name) != NULL &&
	    cJSON_AddStringToObject(o, "metric", r->metric) != NULL &&
	    cJSON_AddStringToObject(o, "scope",
	    pw_rule_scope_name(r->scope)) != NULL &&
	    cJSON_AddStringToObject(o, "op", pw_rule_op_name(r->op)) != NULL &&
	    cJSON_AddNumberToObject(o, "threshold", r->threshold) != NULL &&
	    (r->has_clear ? cJSON_AddNumberToObject(o, "clear", r->clear) :
	    cJSON_AddNullToObject(o, "clear")) != NULL &&
	    cJSON_AddNumberToObject(o, "for_ms", (double)r->for_ms) != NULL &&
	    (r->agg != PW_AGG_NONE ? cJSON_AddStringToObject(o, "aggregate",
	    pw_agg_name(r->agg)) : cJSON_AddNullToObject(o,
	    "aggregate")) != NULL &&
	    (r->agg != PW_AGG_NONE ? cJSON_AddNumberToObject(o, "window_ms",
	    (double)r->window_ms) : cJSON_AddNullToObject(o,
	    "window_ms")) != NULL &&
	    cJSON_AddStringToObject(o, "severity",
	    pw_alert_severity_name(r->severity)) != NULL &&
	    (r->message != NULL ? cJSON_AddStringToObject(o, "message",
	    r->message) : cJSON_AddNullToObject(o, "message")) != NULL &&
	    cJSON_AddNumberToObject(o, "pending", (double)pending) != NULL &&
	    cJSON_AddNumberToObject(o, "firing", (double)firing) != NULL;
	if (ok && r->ntargets == 0)
		ok = cJSON_AddNullToObject(o, "targets") != NULL;
	else if (ok) {
		ok = (arr = cJSON_AddArrayToObject(o, "targets")) != NULL;
		for (t = 0; ok && t < r->ntargets; t++) {
			cJSON *s = cJSON_CreateString(r->targets[t]);

			if (s == NULL || !cJSON_AddItemToArray(arr, s)) {
				cJSON_Delete(s);
				ok = false;
			}
		}
	}
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

cJSON *
api_json_rules(struct pw_alerts *e)
{
	cJSON *o, *arr, *r;
	size_t i, n = e != NULL ? pw_alerts_nrules(e) : 0;

	if ((o = cJSON_CreateObject()) == NULL ||
	    (arr = cJSON_AddArrayToObject(o, "rules")) == NULL ||
	    cJSON_AddNumberToObject(o, "count", (double)n) == NULL)
		goto out_oom;
	for (i = 0; i < n; i++) {
		if (pw_alerts_rule(e, i) == NULL)
			break;		/* a reload shrank the rules meanwhile */
		if ((r = json_rule(e, i)) == NULL)
			goto out_oom;
		if (!cJSON_AddItemToArray(arr, r)) {
			cJSON_Delete(r);
			goto out_oom;
		}
	}
	return o;
out_oom:
	cJSON_Delete(o);
	return NULL;
}

/* --- /metrics -------------------------------------------------------------- */

/* An Alertmanager's url label (notifier_stats() made it label-safe). */
#define URL_LABEL(r)	(r)->url[0] ? ",url=\"" : "", (r)->url, \
			(r)->url[0] ? "\"" : ""

int
api_prom_alerts(struct pw_alerts *e, const struct api_receiver_stats *rs,
    size_t nrs, struct api_buf *b)
{
	static const char *const results[] = {
		"delivered", "failed", "dropped"
	};
	const struct pw_rule *r;
	size_t i, n, pending, firing, k;
	uint64_t v;

	n = e != NULL ? pw_alerts_nrules(e) : 0;
	if (n > 0)
		api_buf_printf(b, "# HELP procwatch_alerts Alerts by rule, "
		    "severity and state.\n# TYPE procwatch_alerts gauge\n");
	for (i = 0; i < n; i++) {
		if ((r = pw_alerts_rule(e, i)) == NULL)
			break;		/* a reload shrank the rules meanwhile */
		pw_alerts_rule_counts(e, i, &pending, &firing);
		/* Rule names are [A-Za-z0-9_.-]: no escaping needed. */
		api_buf_printf(b, "procwatch_alerts{rule=\"%s\","
		    "severity=\"%s\",state=\"pending\"} %zu\n", r->name,
		    pw_alert_severity_name(r->severity), pending);
		api_buf_printf(b, "procwatch_alerts{rule=\"%s\","
		    "severity=\"%s\",state=\"firing\"} %zu\n", r->name,
		    pw_alert_severity_name(r->severity), firing);
	}
	if (nrs > 0) {
		api_buf_printf(b, "# HELP procwatch_notifications_total "
		    "Notifications by receiver and result (failed counts "
		    "attempts that will be retried).\n"
		    "# TYPE procwatch_notifications_total counter\n");
		for (i = 0; i < nrs; i++)
			for (k = 0; k < 3; k++) {
				v = k == 0 ? rs[i].delivered : k == 1 ?
				    rs[i].failed : rs[i].dropped;
				api_buf_printf(b,
				    "procwatch_notifications_total{receiver="
				    "\"%s\"%s%s%s,result=\"%s\"} %" PRIu64
				    "\n", rs[i].name, URL_LABEL(&rs[i]),
				    results[k], v);
			}
		api_buf_printf(b, "# HELP procwatch_notifications_queued "
		    "Notifications waiting for delivery or a retry.\n"
		    "# TYPE procwatch_notifications_queued gauge\n");
		for (i = 0; i < nrs; i++)
			api_buf_printf(b, "procwatch_notifications_queued"
			    "{receiver=\"%s\"%s%s%s} %" PRIu64 "\n",
			    rs[i].name, URL_LABEL(&rs[i]), rs[i].queued);
	}
	return b->err;
}

int
api_prom_remote_write(const struct api_rw_stats *ws, size_t n,
    struct api_buf *b)
{
	size_t i;

	if (n == 0)
		return b->err;
	api_buf_printf(b, "# HELP procwatch_remote_write_samples_total "
	    "Samples (OTLP: data points and log records) sent to a push "
	    "receiver, remote_write or otlp, or given up (refused by it, or "
	    "past the queue).\n"
	    "# TYPE procwatch_remote_write_samples_total counter\n");
	for (i = 0; i < n; i++)
		api_buf_printf(b, "procwatch_remote_write_samples_total{remote="
		    "\"%s\",protocol=\"%s\",result=\"sent\"} %" PRIu64 "\n"
		    "procwatch_remote_write_samples_total{remote=\"%s\","
		    "protocol=\"%s\",result=\"dropped\"} %" PRIu64 "\n", ws[i].name,
		    ws[i].protocol, ws[i].sent, ws[i].name, ws[i].protocol,
		    ws[i].dropped);
	api_buf_printf(b, "# HELP procwatch_remote_write_failed_requests_total "
	    "Requests that failed and were retried.\n"
	    "# TYPE procwatch_remote_write_failed_requests_total counter\n");
	for (i = 0; i < n; i++)
		api_buf_printf(b, "procwatch_remote_write_failed_requests_total"
		    "{remote=\"%s\",protocol=\"%s\"} %" PRIu64 "\n", ws[i].name,
		    ws[i].protocol, ws[i].failed);
	api_buf_printf(b, "# HELP procwatch_remote_write_pending_cycles "
	    "Sampling cycles not yet sent.\n"
	    "# TYPE procwatch_remote_write_pending_cycles gauge\n");
	for (i = 0; i < n; i++)
		api_buf_printf(b, "procwatch_remote_write_pending_cycles"
		    "{remote=\"%s\",protocol=\"%s\"} %" PRIu64 "\n", ws[i].name,
		    ws[i].protocol, ws[i].pending);
	api_buf_printf(b, "# HELP procwatch_remote_write_lag_seconds "
	    "Age of the oldest sample not yet sent (0: current).\n"
	    "# TYPE procwatch_remote_write_lag_seconds gauge\n");
	for (i = 0; i < n; i++)
		api_buf_printf(b, "procwatch_remote_write_lag_seconds"
		    "{remote=\"%s\",protocol=\"%s\"} %.3f\n", ws[i].name,
		    ws[i].protocol, ws[i].lag_s);
	return b->err;
}
