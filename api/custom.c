/*
 * api/custom.c: custom metric series over HTTP: the push endpoint
 * (POST /api/v1/custom), the list (GET /api/v1/custom), the "custom"
 * object of process JSON, and the procwatch_custom_* and
 * procwatch_source_errors_total families of /metrics.
 *
 * A push body is one point or an array of at most API_CUSTOM_BATCH_MAX:
 *	{"name": "queue_size", "value": 42, "pid": 123}
 *	{"name": "hits", "value": 7, "target": "web",
 *	 "labels": {"cache": "l1"}, "ts": "2026-11-26T02:11:35Z"}
 * With "pid" the series belongs to that monitored process, with "target"
 * to that configured target, with neither to the host.  "ts" is RFC 3339
 * or epoch milliseconds; it defaults to now.  The whole batch is checked
 * before any point is stored, so a 400 stores nothing; the message names
 * the index and field: "[3].value: must be a finite number".
 *
 * DESIGN: the store (lib/custom.c) validates names, labels and values
 * again; this file only maps JSON onto pw_custom_point and errors onto
 * HTTP statuses.  Rendering happens after the store's lock is released
 * (pw_custom_copy() copies out).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include <procwatch/custom.h>
#include <procwatch/monitor.h>
#include <procwatch/store.h>

#include "api/api.h"
#include "api/buf.h"
#include "api/params.h"

#define HTTP_OK			200
#define HTTP_BAD_REQUEST	400
#define HTTP_INSUFFICIENT	507
#define HTTP_SERVER_ERROR	500

struct item {
	struct pw_custom_point	pt;
	struct pw_custom_label	l[PW_CUSTOM_LABELS_MAX];
	char			target[PW_CUSTOM_TARGET_MAX + 1];
};


static bool
target_known(struct pw_monitor *mon, const char *name)
{
	char **names;
	size_t i, n;
	bool known;

	/* A copy: a reload may free the configuration meanwhile. */
	if (pw_monitor_target_names(mon, &names, &n) < 0)
		return false;
	known = n == 0 && strcmp(name, "all") == 0;
	for (i = 0; i < n && !known; i++)
		known = strcmp(names[i], name) == 0;
	pw_monitor_names_free(names, n);
	return known;
}

/* Map one JSON item onto it; `at` is "[3]" or "" for messages. */
static unsigned
item_parse(struct pw_monitor *mon, const cJSON *o, const char *at,
    struct item *it, int64_t now_ms, char *err, size_t errlen)
{
	const cJSON *f, *name = NULL, *value = NULL, *pid = NULL;
	const cJSON *target = NULL, *labels = NULL, *ts = NULL;
	struct pw_snapshot *snap;
	char perr[PW_CUSTOM_ERRMSG_MAX + 64];
	const char *sep = at[0] != '\0' ? "." : "";
	size_t n;
	int rc;

	if (!cJSON_IsObject(o))
		return api_fail(err, errlen, HTTP_BAD_REQUEST, "%s%sbody: must be "
		    "an object with name and value", at, sep);
	cJSON_ArrayForEach(f, o) {
		const cJSON **slot =
		    strcmp(f->string, "name") == 0 ? &name :
		    strcmp(f->string, "value") == 0 ? &value :
		    strcmp(f->string, "pid") == 0 ? &pid :
		    strcmp(f->string, "target") == 0 ? &target :
		    strcmp(f->string, "labels") == 0 ? &labels :
		    strcmp(f->string, "ts") == 0 ? &ts : NULL;

		if (slot == NULL)
			return api_fail(err, errlen, HTTP_BAD_REQUEST, "%s%s%.64s: "
			    "unknown field (expected name, value, pid, "
			    "target, labels, ts)", at, sep, f->string);
		if (*slot != NULL)
			return api_fail(err, errlen, HTTP_BAD_REQUEST, "%s%s%s: "
			    "repeated", at, sep, f->string);
		*slot = f;
	}
	memset(it, 0, sizeof(*it));
	if (!cJSON_IsString(name) || !pw_custom_name_valid(name->valuestring))
		return api_fail(err, errlen, HTTP_BAD_REQUEST, "%s%sname: must be "
		    "a string matching [a-zA-Z_:][a-zA-Z0-9_:]*, at most %d "
		    "bytes", at, sep, PW_CUSTOM_NAME_MAX);
	it->pt.name = name->valuestring;
	if (!cJSON_IsNumber(value) || !isfinite(value->valuedouble))
		return api_fail(err, errlen, HTTP_BAD_REQUEST, "%s%svalue: must be "
		    "a finite number", at, sep);
	it->pt.value = value->valuedouble;
	it->pt.ts_ms = now_ms;
	if (ts != NULL) {
		if (cJSON_IsNumber(ts) && ts->valuedouble >= 1 &&
		    ts->valuedouble < 253402300800000.0 &&
		    ts->valuedouble == floor(ts->valuedouble))
			it->pt.ts_ms = (int64_t)ts->valuedouble;
		else if (!cJSON_IsString(ts) ||
		    api_parse_rfc3339(ts->valuestring, &it->pt.ts_ms) < 0)
			return api_fail(err, errlen, HTTP_BAD_REQUEST, "%s%sts: must "
			    "be an RFC 3339 time or milliseconds since the "
			    "epoch", at, sep);
	}
	if (pid != NULL && target != NULL)
		return api_fail(err, errlen, HTTP_BAD_REQUEST, "%s%spid: give pid "
		    "or target, not both", at, sep);
	if (pid != NULL) {
		if (!cJSON_IsNumber(pid) || pid->valuedouble < 1 ||
		    pid->valuedouble > 4194304 ||
		    pid->valuedouble != floor(pid->valuedouble))
			return api_fail(err, errlen, HTTP_BAD_REQUEST, "%s%spid: must "
			    "be a process id", at, sep);
		rc = pw_store_snapshot_pid(pw_monitor_store(mon),
		    (pid_t)pid->valuedouble, &snap);
		if (rc == -ENOMEM)
			return api_fail(err, errlen, HTTP_SERVER_ERROR,
			    "out of memory");
		if (rc < 0 || snap->n == 0 || !snap->procs[0].alive) {
			if (rc == 0)
				pw_snapshot_free(snap);
			return api_fail(err, errlen, HTTP_BAD_REQUEST, "%s%spid: no "
			    "monitored process with pid %ld", at, sep,
			    (long)pid->valuedouble);
		}
		it->pt.scope = PW_CUSTOM_PROC;
		it->pt.proc_id = snap->procs[0].id;
		it->pt.pid = snap->procs[0].pid;
		snprintf(it->target, sizeof(it->target), "%s",
		    snap->procs[0].target != NULL ? snap->procs[0].target : "");
		it->pt.target = it->target;
		pw_snapshot_free(snap);
	} else if (target != NULL) {
		if (!cJSON_IsString(target) ||
		    !target_known(mon, target->valuestring))
			return api_fail(err, errlen, HTTP_BAD_REQUEST, "%s%starget: "
			    "must name a configured target", at, sep);
		it->pt.scope = PW_CUSTOM_TARGET;
		snprintf(it->target, sizeof(it->target), "%s",
		    target->valuestring);
		it->pt.target = it->target;
	} else
		it->pt.scope = PW_CUSTOM_HOST;
	if (labels != NULL) {
		if (!cJSON_IsObject(labels))
			return api_fail(err, errlen, HTTP_BAD_REQUEST, "%s%slabels: "
			    "must be an object of strings", at, sep);
		n = 0;
		cJSON_ArrayForEach(f, labels) {
			if (n == PW_CUSTOM_LABELS_MAX)
				return api_fail(err, errlen, HTTP_BAD_REQUEST,
				    "%s%slabels: at most %d labels", at, sep,
				    PW_CUSTOM_LABELS_MAX);
			if (!cJSON_IsString(f))
				return api_fail(err, errlen, HTTP_BAD_REQUEST,
				    "%s%slabels.%.64s: must be a string", at,
				    sep, f->string);
			it->l[n].name = f->string;
			it->l[n++].value = f->valuestring;
		}
		it->pt.labels = it->l;
		it->pt.nlabels = n;
	}
	if (pw_custom_point_check(&it->pt, perr, sizeof(perr)) < 0)
		return api_fail(err, errlen, HTTP_BAD_REQUEST, "%s%s%s", at, sep,
		    perr);
	return HTTP_OK;
}

unsigned
api_custom_push(struct pw_monitor *mon, const char *body, size_t len,
    int64_t now_ms, struct cJSON **out, char *err, size_t errlen)
{
	struct pw_custom *cs = pw_monitor_custom(mon);
	struct item *items = NULL;
	char at[24], perr[PW_CUSTOM_ERRMSG_MAX];
	const cJSON *e;
	cJSON *root, *o;
	int64_t now = now_ms;
	size_t n, i;
	unsigned status = HTTP_OK;
	int rc;

	*out = NULL;
	if (cs == NULL)
		return api_fail(err, errlen, 404, "custom metrics are not enabled");
	if (body == NULL || len == 0)
		return api_fail(err, errlen, HTTP_BAD_REQUEST, "body: expected a "
		    "JSON object or array");
	if ((root = cJSON_ParseWithLength(body, len)) == NULL)
		return api_fail(err, errlen, HTTP_BAD_REQUEST, "body: not valid "
		    "JSON");
	n = cJSON_IsArray(root) ? (size_t)cJSON_GetArraySize(root) : 1;
	if (cJSON_IsArray(root) && (n == 0 || n > API_CUSTOM_BATCH_MAX)) {
		status = api_fail(err, errlen, HTTP_BAD_REQUEST, "body: an array "
		    "of 1 to %d points", API_CUSTOM_BATCH_MAX);
		goto out;
	}
	if ((items = calloc(n, sizeof(*items))) == NULL) {
		status = api_fail(err, errlen, HTTP_SERVER_ERROR, "out of memory");
		goto out;
	}
	if (!cJSON_IsArray(root))
		status = item_parse(mon, root, "", &items[0], now, err, errlen);
	else {
		i = 0;
		cJSON_ArrayForEach(e, root) {
			snprintf(at, sizeof(at), "[%zu]", i);
			if ((status = item_parse(mon, e, at, &items[i], now,
			    err, errlen)) != HTTP_OK)
				break;
			i++;
		}
	}
	if (status != HTTP_OK)
		goto out;
	for (i = 0; i < n; i++) {
		rc = pw_custom_put(cs, &items[i].pt, "push", now, perr,
		    sizeof(perr));
		if (rc == -ENOSPC) {
			status = api_fail(err, errlen, HTTP_INSUFFICIENT, "[%zu]: %s "
			    "(%zu accepted)", i, perr, i);
			goto out;
		}
		if (rc < 0) {
			status = api_fail(err, errlen, rc == -ENOMEM ?
			    HTTP_SERVER_ERROR : HTTP_BAD_REQUEST, "[%zu]: %s",
			    i, perr);
			goto out;
		}
	}
	pw_custom_source_ok(cs, "push");
	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddNumberToObject(o, "accepted", (double)n) == NULL) {
		cJSON_Delete(o);
		status = api_fail(err, errlen, HTTP_SERVER_ERROR, "out of memory");
		goto out;
	}
	*out = o;
out:
	free(items);
	cJSON_Delete(root);
	return status;
}

static const char *const scope_names[] = { "host", "target", "process" };

static cJSON *
json_view(const struct pw_custom_view *v)
{
	cJSON *o, *l;
	size_t i;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (cJSON_AddStringToObject(o, "name", v->name) == NULL ||
	    cJSON_AddStringToObject(o, "scope", scope_names[v->scope]) ==
	    NULL ||
	    (v->scope == PW_CUSTOM_PROC ? cJSON_AddNumberToObject(o, "pid",
	    (double)v->pid) : cJSON_AddNullToObject(o, "pid")) == NULL ||
	    (v->target[0] != '\0' ? cJSON_AddStringToObject(o, "target",
	    v->target) : cJSON_AddNullToObject(o, "target")) == NULL ||
	    (l = cJSON_AddObjectToObject(o, "labels")) == NULL ||
	    cJSON_AddNumberToObject(o, "value", v->value) == NULL ||
	    !api_add_time(o, "ts", v->ts_ms) ||
	    !api_add_time(o, "updated", v->updated_ms) ||
	    cJSON_AddStringToObject(o, "source", v->source) == NULL ||
	    cJSON_AddBoolToObject(o, "stale", v->is_stale) == NULL ||
	    cJSON_AddNumberToObject(o, "points", (double)v->npoints) == NULL)
		goto out_fail;
	for (i = 0; i < v->nlabels; i++)
		if (cJSON_AddStringToObject(l, v->lnames[i], v->lvalues[i]) ==
		    NULL)
			goto out_fail;
	return o;
out_fail:
	cJSON_Delete(o);
	return NULL;
}

int
api_custom_list(struct pw_monitor *mon, struct cJSON **out)
{
	struct pw_custom *cs = pw_monitor_custom(mon);
	struct pw_custom_source_stats *ss = NULL;
	struct pw_custom_view *v = NULL;
	size_t n = 0, ns = 0, i, max = 0, k;
	cJSON *o, *arr, *srcs, *so, *eo, *it;

	*out = NULL;
	if ((o = cJSON_CreateObject()) == NULL)
		return -ENOMEM;
	if (cs != NULL && (pw_custom_copy(cs, 0, &v, &n) < 0 ||
	    pw_custom_sources_copy(cs, &ss, &ns) < 0))
		goto out_fail;
	if (cs != NULL)
		pw_custom_counts(cs, NULL, &max);
	if ((arr = cJSON_AddArrayToObject(o, "series")) == NULL ||
	    cJSON_AddNumberToObject(o, "count", (double)n) == NULL ||
	    cJSON_AddNumberToObject(o, "max_series", (double)max) == NULL ||
	    (srcs = cJSON_AddArrayToObject(o, "sources")) == NULL)
		goto out_fail;
	for (i = 0; i < n; i++) {
		if ((it = json_view(&v[i])) == NULL)
			goto out_fail;
		cJSON_AddItemToArray(arr, it);
	}
	for (i = 0; i < ns; i++) {
		if ((so = cJSON_CreateObject()) == NULL)
			goto out_fail;
		cJSON_AddItemToArray(srcs, so);
		if (cJSON_AddStringToObject(so, "name", ss[i].name) == NULL ||
		    cJSON_AddNumberToObject(so, "runs", (double)ss[i].runs) ==
		    NULL ||
		    (eo = cJSON_AddObjectToObject(so, "errors")) == NULL ||
		    (ss[i].last_error_ms > 0 ? cJSON_AddStringToObject(so,
		    "last_error", ss[i].last_error) : cJSON_AddNullToObject(so,
		    "last_error")) == NULL ||
		    !api_add_time(so, "last_error_at", ss[i].last_error_ms))
			goto out_fail;
		for (k = 0; k < PW_CERR_COUNT; k++)
			if (cJSON_AddNumberToObject(eo, pw_custom_err_name(k),
			    (double)ss[i].errors[k]) == NULL)
				goto out_fail;
	}
	pw_custom_views_free(v, n);
	free(ss);
	*out = o;
	return 0;
out_fail:
	pw_custom_views_free(v, n);
	free(ss);
	cJSON_Delete(o);
	return -ENOMEM;
}

/* The key of a series in a process's "custom" object: name{k="v",...}. */
static void
view_key(const struct pw_custom_view *v, char *buf, size_t len)
{
	size_t i, at;

	at = (size_t)snprintf(buf, len, "%s", v->name);
	for (i = 0; i < v->nlabels && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%s=\"%s\"",
		    i == 0 ? "{" : ",", v->lnames[i], v->lvalues[i]);
	if (v->nlabels > 0 && at < len)
		snprintf(buf + at, len - at, "}");
}

static int
cmp_proc_id(const void *a, const void *b)
{
	const struct pw_custom_view *x = *(const struct pw_custom_view *const *)a;
	const struct pw_custom_view *y = *(const struct pw_custom_view *const *)b;

	return x->proc_id < y->proc_id ? -1 : x->proc_id > y->proc_id;
}

struct api_custom_procs {
	struct pw_custom_view	 *v;
	size_t			  n;
	struct pw_custom_view	**by_id;	/* process series by proc_id */
	size_t			  nby;
};

struct api_custom_procs *
api_custom_procs_new(struct pw_monitor *mon)
{
	struct pw_custom *cs = pw_monitor_custom(mon);
	struct api_custom_procs *cp;
	size_t i;

	if ((cp = calloc(1, sizeof(*cp))) == NULL)
		return NULL;
	if (cs == NULL)
		return cp;
	if (pw_custom_copy(cs, 0, &cp->v, &cp->n) < 0 ||
	    (cp->by_id = calloc(cp->n ? cp->n : 1, sizeof(*cp->by_id))) ==
	    NULL) {
		api_custom_procs_free(cp);
		return NULL;
	}
	for (i = 0; i < cp->n; i++)
		if (cp->v[i].scope == PW_CUSTOM_PROC)
			cp->by_id[cp->nby++] = &cp->v[i];
	qsort(cp->by_id, cp->nby, sizeof(*cp->by_id), cmp_proc_id);
	return cp;
}

void
api_custom_procs_free(struct api_custom_procs *cp)
{
	if (cp == NULL)
		return;
	pw_custom_views_free(cp->v, cp->n);
	free(cp->by_id);
	free(cp);
}

int
api_custom_attach(const struct api_custom_procs *cp, struct cJSON *proc,
    uint64_t proc_id)
{
	char key[PW_CUSTOM_NAME_MAX + PW_CUSTOM_LABELS_MAX *
	    (PW_CUSTOM_LNAME_MAX + PW_CUSTOM_LVALUE_MAX + 4) + 4];
	size_t lo = 0, hi = cp->nby, mid;
	cJSON *o;

	if (proc == NULL)
		return -ENOMEM;
	if ((o = cJSON_AddObjectToObject(proc, "custom")) == NULL)
		return -ENOMEM;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cp->by_id[mid]->proc_id < proc_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < cp->nby && cp->by_id[lo]->proc_id == proc_id; lo++) {
		view_key(cp->by_id[lo], key, sizeof(key));
		if (cJSON_AddNumberToObject(o, key, cp->by_id[lo]->value) ==
		    NULL)
			return -ENOMEM;
	}
	return 0;
}

/* --- /metrics ------------------------------------------------------------- */

/* A label value escaped per the exposition format: \\ \" \n. */
static void
oescaped(struct api_buf *b, const char *s)
{
	char tmp[2 * PW_CUSTOM_LVALUE_MAX + 2];
	size_t i = 0;

	for (; *s != '\0' && i + 2 < sizeof(tmp); s++) {
		if (*s == '\\' || *s == '"') {
			tmp[i++] = '\\';
			tmp[i++] = *s;
		} else if (*s == '\n') {
			tmp[i++] = '\\';
			tmp[i++] = 'n';
		} else
			tmp[i++] = *s;
	}
	tmp[i] = '\0';
	api_buf_puts(b, tmp);
}

/* The shortest of %.15g and %.17g that reads back as v. */
static void
fmt_double(double v, char *buf, size_t len)
{
	snprintf(buf, len, "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, len, "%.17g", v);
}

/* The view of process proc_id in snap (sorted by pid, then id). */
static const struct pw_proc_view *
snap_find(const struct pw_snapshot *snap, pid_t pid, uint64_t proc_id)
{
	size_t lo = 0, hi = snap->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (snap->procs[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < snap->n && snap->procs[lo].pid == pid; lo++)
		if (snap->procs[lo].id == proc_id)
			return &snap->procs[lo];
	return NULL;
}

/* A comm as a label value: bad UTF-8 bytes become U+FFFD. */
static void
ocomm(struct api_buf *b, const char *comm)
{
	char tmp[17 * 3 + 1];
	size_t i = 0, k, n = strlen(comm);
	const unsigned char *s = (const unsigned char *)comm;

	while (n > 0) {
		if ((k = api_utf8_seq(s, n)) == 0 || *s < 0x20) {
			memcpy(tmp + i, "\xef\xbf\xbd", 3);
			i += 3;
			k = 1;
		} else {
			memcpy(tmp + i, s, k);
			i += k;
		}
		s += k;
		n -= k;
	}
	tmp[i] = '\0';
	oescaped(b, tmp);
}

int
api_prom_custom(struct pw_monitor *mon, const struct pw_snapshot *snap,
    struct api_buf *b)
{
	struct pw_custom *cs = pw_monitor_custom(mon);
	struct pw_custom_source_stats *ss = NULL;
	struct pw_custom_view *v = NULL;
	const struct pw_proc_view *pv;
	size_t n = 0, ns = 0, i, k, series = 0, max = 0;
	const char *last = "";
	char num[32];
	bool any;

	if (cs == NULL)
		return 0;
	if (pw_custom_copy(cs, 0, &v, &n) < 0 ||
	    pw_custom_sources_copy(cs, &ss, &ns) < 0) {
		pw_custom_views_free(v, n);
		return -ENOMEM;
	}
	pw_custom_counts(cs, &series, &max);
	/* Not procwatch_custom_*: that prefix belongs to users' names. */
	api_buf_printf(b, "# HELP procwatch_source_series Custom metric "
	    "series stored.\n# TYPE procwatch_source_series gauge\n"
	    "procwatch_source_series %zu\n"
	    "# HELP procwatch_source_series_max The custom_max_series limit.\n"
	    "# TYPE procwatch_source_series_max gauge\n"
	    "procwatch_source_series_max %zu\n", series, max);
	/* Views are sorted by name: each family's samples are contiguous. */
	for (i = 0; i < n; i++) {
		pv = NULL;
		if (v[i].scope == PW_CUSTOM_PROC &&
		    (pv = snap_find(snap, v[i].pid, v[i].proc_id)) == NULL)
			continue;	/* the process is gone */
		if (strcmp(last, v[i].name) != 0) {
			api_buf_printf(b, "# HELP procwatch_custom_%s Custom "
			    "metric %s.\n# TYPE procwatch_custom_%s gauge\n",
			    v[i].name, v[i].name, v[i].name);
			last = v[i].name;
		}
		api_buf_printf(b, "procwatch_custom_%s", v[i].name);
		any = false;
		if (pv != NULL) {
			api_buf_printf(b, "{pid=\"%ld\",name=\"",
			    (long)pv->pid);
			ocomm(b, pv->name);
			api_buf_puts(b, "\",target=\"");
			oescaped(b, pv->target != NULL ? pv->target : "");
			api_buf_puts(b, "\"");
			any = true;
		} else if (v[i].scope == PW_CUSTOM_TARGET) {
			api_buf_puts(b, "{target=\"");
			oescaped(b, v[i].target);
			api_buf_puts(b, "\"");
			any = true;
		}
		for (k = 0; k < v[i].nlabels; k++) {
			api_buf_printf(b, "%s%s=\"", any ? "," : "{",
			    v[i].lnames[k]);
			oescaped(b, v[i].lvalues[k]);
			api_buf_puts(b, "\"");
			any = true;
		}
		fmt_double(v[i].value, num, sizeof(num));
		api_buf_printf(b, "%s %s\n", any ? "}" : "", num);
	}
	if (ns > 0) {
		api_buf_puts(b, "# HELP procwatch_source_errors_total Failures "
		    "of custom metric sources, by reason.\n"
		    "# TYPE procwatch_source_errors_total counter\n");
		for (i = 0; i < ns; i++)
			for (k = 0; k < PW_CERR_COUNT; k++) {
				api_buf_puts(b,
				    "procwatch_source_errors_total{source=\"");
				oescaped(b, ss[i].name);
				api_buf_printf(b, "\",reason=\"%s\"} %llu\n",
				    pw_custom_err_name(k),
				    (unsigned long long)ss[i].errors[k]);
			}
	}
	pw_custom_views_free(v, n);
	free(ss);
	return b->err;
}

/* --- windowed statistics of one custom series -------------------------------- */

int
api_custom_points(struct pw_monitor *mon, const char *name, uint64_t proc_id,
    const char *target, int64_t since_ms, int64_t **ts, double **v,
    size_t *n)
{
	struct pw_custom *cs = pw_monitor_custom(mon);

	*ts = NULL;
	*v = NULL;
	*n = 0;
	if (cs == NULL)
		return -ENOENT;
	return pw_custom_points(cs, name, proc_id, target, since_ms, ts, v, n);
}
