/*
 * api/profile.c: JSON for on-demand profiles.
 *
 * A profile object:
 *   {"id":3,"pid":1234,"name":"pw_hot","status":"done","seconds":5,"hz":49,
 *    "started":"2026-11-26T02:11:35.004Z","error":null,
 *    "url":"/api/v1/profiles/3","folded_url":"/api/v1/profiles/3/folded",
 *    "summary":{"duration_s":5.0,"rounds":245,"samples":245,
 *      "samples_lost":0,"exited":false,
 *      "threads":[{"tid":1234,"name":"pw_hot","samples":245}],
 *      "top_self":[{"function":"hot_inner","samples":240,"percent":98.0}],
 *      "top_total":[...],
 *      "overhead":{"stopped_seconds":0.05,"stopped_fraction":0.01,
 *        "max_stop_ms":1.2,"cpu_before":0.99,"cpu_during":0.98,
 *        "cpu_progress_ratio":0.99,"basis":"..."}}}
 * "summary" is null while running.  percent is of "samples".
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <procwatch/profile.h>

#include "api/api.h"
#include "api/profile.h"

#define HTTP_OK			200
#define HTTP_ACCEPTED		202
#define HTTP_BAD_REQUEST	400
#define HTTP_FORBIDDEN		403
#define HTTP_NOT_FOUND		404
#define HTTP_CONFLICT		409

#define OVERHEAD_BASIS	"stopped_*: wall time from the first thread " \
	"seen stopped to the last PTRACE_CONT of each sample; cpu_*: " \
	"the target's CPU-seconds per wall second in 300 ms before and " \
	"during sampling; the ratio is its progress (slowdown when CPU-bound)"


/* An integer member from lo to hi; absent keeps *out.  false: bad. */
static bool
int_member(const cJSON *root, const char *key, unsigned lo, unsigned hi,
    unsigned *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);

	if (v == NULL)
		return true;
	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
	    v->valuedouble < lo || v->valuedouble > hi)
		return false;
	*out = (unsigned)v->valuedouble;
	return true;
}

static bool
add_num(cJSON *o, const char *key, double v)
{
	if (!isfinite(v))
		return cJSON_AddNullToObject(o, key) != NULL;
	return cJSON_AddNumberToObject(o, key, v) != NULL;
}

unsigned
api_profile_start(struct pw_profiler *pr, pid_t pid, const char *body,
    size_t body_len, struct cJSON **out, char *err, size_t errlen)
{
	unsigned seconds = API_PROFILE_DEFAULT_SECONDS;
	unsigned hz = API_PROFILE_DEFAULT_HZ;
	char why[PW_PROFILE_ERR_MAX], url[64];
	const cJSON *it;
	cJSON *root = NULL, *o;
	uint64_t id;
	int rc;

	*out = NULL;
	if (pr == NULL)
		return api_fail(err, errlen, HTTP_NOT_FOUND,
		    "profiling is not available");
	if (body != NULL && body_len > 0) {
		if ((root = cJSON_ParseWithLength(body, body_len)) == NULL ||
		    !cJSON_IsObject(root)) {
			cJSON_Delete(root);
			return api_fail(err, errlen, HTTP_BAD_REQUEST, "body: "
			    "invalid JSON: expected an object such as "
			    "{\"seconds\":5,\"hz\":49}");
		}
		cJSON_ArrayForEach(it, root)
			if (strcmp(it->string, "seconds") != 0 &&
			    strcmp(it->string, "hz") != 0) {
				rc = (int)api_fail(err, errlen, HTTP_BAD_REQUEST,
				    "%.64s: unknown field (expected seconds, "
				    "hz)", it->string);
				cJSON_Delete(root);
				return (unsigned)rc;
			}
		if (!int_member(root, "seconds", 1, PW_PROFILE_MAX_SECONDS,
		    &seconds)) {
			cJSON_Delete(root);
			return api_fail(err, errlen, HTTP_BAD_REQUEST, "seconds: "
			    "expected an integer from 1 to %d",
			    PW_PROFILE_MAX_SECONDS);
		}
		if (!int_member(root, "hz", 1, PW_PROFILE_MAX_HZ, &hz)) {
			cJSON_Delete(root);
			return api_fail(err, errlen, HTTP_BAD_REQUEST, "hz: "
			    "expected an integer from 1 to %d",
			    PW_PROFILE_MAX_HZ);
		}
		cJSON_Delete(root);
	}
	rc = pw_profiler_start(pr, pid, seconds, hz, &id, why, sizeof(why));
	switch (rc) {
	case 0:
		break;
	case -ESRCH:
		return api_fail(err, errlen, HTTP_NOT_FOUND,
		    "no process with pid %ld", (long)pid);
	case -EBUSY:
		return api_fail(err, errlen, HTTP_CONFLICT, "a profile is "
		    "already running: one at a time");
	case -EPERM:
		return api_fail(err, errlen, HTTP_FORBIDDEN, "cannot profile pid "
		    "%ld: %s", (long)pid, why);
	case -ENOMEM:
		return api_oom(err, errlen);
	default:
		return api_fail(err, errlen, HTTP_BAD_REQUEST, "seconds, hz: out "
		    "of range");
	}
	if ((o = cJSON_CreateObject()) == NULL)
		return api_oom(err, errlen);
	snprintf(url, sizeof(url), "/api/v1/profiles/%" PRIu64, id);
	if (cJSON_AddNumberToObject(o, "id", (double)id) == NULL ||
	    cJSON_AddStringToObject(o, "status", "running") == NULL ||
	    cJSON_AddNumberToObject(o, "pid", (double)pid) == NULL ||
	    cJSON_AddNumberToObject(o, "seconds", seconds) == NULL ||
	    cJSON_AddNumberToObject(o, "hz", hz) == NULL ||
	    cJSON_AddStringToObject(o, "url", url) == NULL) {
		cJSON_Delete(o);
		return api_oom(err, errlen);
	}
	*out = o;
	return HTTP_ACCEPTED;
}

/* The profile named by the {id} segment, referenced; NULL with a status. */
static struct pw_profile *
lookup(struct pw_profiler *pr, const char *id, size_t id_len,
    unsigned *status, char *err, size_t errlen)
{
	struct pw_profile *p;
	char buf[24], *end;
	unsigned long long v;

	if (pr == NULL) {
		*status = api_fail(err, errlen, HTTP_NOT_FOUND,
		    "profiling is not available");
		return NULL;
	}
	if (id_len == 0 || id_len >= sizeof(buf) || id[0] < '0' ||
	    id[0] > '9') {
		*status = api_fail(err, errlen, HTTP_BAD_REQUEST,
		    "id: expected a profile number");
		return NULL;
	}
	memcpy(buf, id, id_len);
	buf[id_len] = '\0';
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (*end != '\0' || errno != 0) {
		*status = api_fail(err, errlen, HTTP_BAD_REQUEST,
		    "id: expected a profile number");
		return NULL;
	}
	if ((p = pw_profiler_get(pr, (uint64_t)v)) == NULL)
		*status = api_fail(err, errlen, HTTP_NOT_FOUND, "no profile %llu "
		    "(the last %d finished ones are kept)", v,
		    PW_PROFILE_KEEP);
	return p;
}

static int
total_cmp(const void *x, const void *y)
{
	const struct pw_prof_func *const *a = x, *const *b = y;

	if ((*a)->total != (*b)->total)
		return (*a)->total > (*b)->total ? -1 : 1;
	return strcmp((*a)->name, (*b)->name);
}

static bool
add_func(cJSON *arr, const struct pw_prof_func *f, bool self,
    uint64_t samples)
{
	cJSON *e;

	if ((e = cJSON_CreateObject()) == NULL)
		return false;
	if (!cJSON_AddItemToArray(arr, e)) {
		cJSON_Delete(e);
		return false;
	}
	return cJSON_AddStringToObject(e, "function", f->name) != NULL &&
	    cJSON_AddNumberToObject(e, "samples", (double)(self ? f->self :
	    f->total)) != NULL &&
	    add_num(e, "percent", samples > 0 ? 100.0 * (double)(self ?
	    f->self : f->total) / (double)samples : NAN);
}

static cJSON *
json_summary(const struct pw_profile *p)
{
	const struct pw_prof_func **by_total = NULL;
	cJSON *o, *arr, *e, *ov;
	size_t i, n;
	bool ok;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	ok = add_num(o, "duration_s", p->duration_s) &&
	    cJSON_AddNumberToObject(o, "rounds", (double)p->rounds) != NULL &&
	    cJSON_AddNumberToObject(o, "samples", (double)p->samples) !=
	    NULL &&
	    cJSON_AddNumberToObject(o, "samples_lost", (double)p->lost) !=
	    NULL &&
	    cJSON_AddNumberToObject(o, "distinct_functions",
	    (double)p->nfuncs) != NULL &&
	    cJSON_AddBoolToObject(o, "exited", p->exited) != NULL &&
	    (arr = cJSON_AddArrayToObject(o, "threads")) != NULL;
	for (i = 0; ok && i < p->nthreads; i++) {
		ok = (e = cJSON_CreateObject()) != NULL &&
		    cJSON_AddItemToArray(arr, e);
		if (!ok) {
			cJSON_Delete(e);
			break;
		}
		ok = cJSON_AddNumberToObject(e, "tid",
		    (double)p->threads[i].tid) != NULL &&
		    cJSON_AddStringToObject(e, "name", p->threads[i].name) !=
		    NULL &&
		    cJSON_AddNumberToObject(e, "samples",
		    (double)p->threads[i].samples) != NULL;
	}
	n = p->nfuncs < API_PROFILE_TOP ? p->nfuncs : API_PROFILE_TOP;
	ok = ok && (arr = cJSON_AddArrayToObject(o, "top_self")) != NULL;
	for (i = 0; ok && i < n; i++)
		if (p->funcs[i].self > 0)
			ok = add_func(arr, &p->funcs[i], true, p->samples);
	if (ok && (by_total = calloc(p->nfuncs ? p->nfuncs : 1,
	    sizeof(*by_total))) == NULL)
		ok = false;
	for (i = 0; ok && i < p->nfuncs; i++)
		by_total[i] = &p->funcs[i];
	if (ok)
		qsort(by_total, p->nfuncs, sizeof(*by_total), total_cmp);
	ok = ok && (arr = cJSON_AddArrayToObject(o, "top_total")) != NULL;
	for (i = 0; ok && i < n; i++)
		ok = add_func(arr, by_total[i], false, p->samples);
	free(by_total);
	ok = ok && (ov = cJSON_AddObjectToObject(o, "overhead")) != NULL &&
	    add_num(ov, "stopped_seconds", p->stopped_s) &&
	    add_num(ov, "stopped_fraction", p->duration_s > 0 ?
	    p->stopped_s / p->duration_s : NAN) &&
	    add_num(ov, "max_stop_ms", p->stop_max_ms) &&
	    add_num(ov, "cpu_before", p->cpu_before >= 0 ? p->cpu_before :
	    NAN) &&
	    add_num(ov, "cpu_during", p->cpu_during >= 0 ? p->cpu_during :
	    NAN) &&
	    add_num(ov, "cpu_progress_ratio", p->cpu_before > 0.05 &&
	    p->cpu_during >= 0 ? p->cpu_during / p->cpu_before : NAN) &&
	    cJSON_AddStringToObject(ov, "basis", OVERHEAD_BASIS) != NULL;
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static const char *
status_name(enum pw_profile_status s)
{
	switch (s) {
	case PW_PROFILE_RUNNING:
		return "running";
	case PW_PROFILE_DONE:
		return "done";
	default:
		return "failed";
	}
}

unsigned
api_profile_get(struct pw_profiler *pr, const char *id, size_t id_len,
    struct cJSON **out, char *err, size_t errlen)
{
	char ts[API_RFC3339_LEN], url[64], furl[72];
	struct pw_profile *p;
	cJSON *o, *s = NULL;
	unsigned status;
	bool ok;

	*out = NULL;
	if ((p = lookup(pr, id, id_len, &status, err, errlen)) == NULL)
		return status;
	if (api_fmt_rfc3339(p->started_ms, ts, sizeof(ts)) < 0)
		ts[0] = '\0';
	snprintf(url, sizeof(url), "/api/v1/profiles/%" PRIu64, p->id);
	snprintf(furl, sizeof(furl), "%s/folded", url);
	if ((o = cJSON_CreateObject()) == NULL)
		goto out_oom;
	ok = cJSON_AddNumberToObject(o, "id", (double)p->id) != NULL &&
	    cJSON_AddNumberToObject(o, "pid", (double)p->pid) != NULL &&
	    cJSON_AddStringToObject(o, "name", p->comm) != NULL &&
	    cJSON_AddStringToObject(o, "status", status_name(p->status)) !=
	    NULL &&
	    cJSON_AddNumberToObject(o, "seconds", p->seconds) != NULL &&
	    cJSON_AddNumberToObject(o, "hz", p->hz) != NULL &&
	    cJSON_AddStringToObject(o, "started", ts) != NULL &&
	    (p->status == PW_PROFILE_FAILED ?
	    cJSON_AddStringToObject(o, "error", p->error) :
	    cJSON_AddNullToObject(o, "error")) != NULL &&
	    cJSON_AddStringToObject(o, "url", url) != NULL &&
	    cJSON_AddStringToObject(o, "folded_url", furl) != NULL;
	if (ok && p->status == PW_PROFILE_DONE) {
		ok = (s = json_summary(p)) != NULL &&
		    cJSON_AddItemToObject(o, "summary", s);
		if (!ok)
			cJSON_Delete(s);
	} else if (ok)
		ok = cJSON_AddNullToObject(o, "summary") != NULL;
	if (!ok)
		goto out_oom;
	pw_profile_unref(p);
	*out = o;
	return HTTP_OK;
out_oom:
	cJSON_Delete(o);
	pw_profile_unref(p);
	return api_oom(err, errlen);
}

unsigned
api_profile_folded(struct pw_profiler *pr, const char *id, size_t id_len,
    char **text, size_t *len, char *err, size_t errlen)
{
	struct pw_profile *p;
	unsigned status;

	*text = NULL;
	*len = 0;
	if ((p = lookup(pr, id, id_len, &status, err, errlen)) == NULL)
		return status;
	if (p->status != PW_PROFILE_DONE) {
		status = p->status == PW_PROFILE_RUNNING ?
		    api_fail(err, errlen, HTTP_CONFLICT, "profile %" PRIu64
		    " is still running", p->id) :
		    api_fail(err, errlen, HTTP_CONFLICT, "profile %" PRIu64
		    " failed: %s", p->id, p->error);
		pw_profile_unref(p);
		return status;
	}
	if ((*text = malloc(p->folded_len + 1)) == NULL) {
		pw_profile_unref(p);
		return api_oom(err, errlen);
	}
	memcpy(*text, p->folded, p->folded_len + 1);
	*len = p->folded_len;
	pw_profile_unref(p);
	return HTTP_OK;
}
