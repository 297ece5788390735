/*
 * api/baselines.c: saved baselines, POST /api/v1/baselines.
 *
 * A baseline is the summary of every metric of one process over a window,
 * kept by name (at most API_STATS_MAX_BASELINES, the oldest dropped) so
 * that /stats?baseline=NAME can test a later window against it.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <procwatch/stats.h>

#include "api/api.h"
#include "api/stats.h"
#include "api/stats_impl.h"

static const struct baseline *
baseline_find(const struct api_stats *st, const char *name)
{
	size_t i;

	for (i = 0; i < st->nbl; i++)
		if (strcmp(st->bl[i].name, name) == 0)
			return &st->bl[i];
	return NULL;
}

int
api_stats_baseline_get(struct api_stats *st, const char *name,
    struct baseline *out)
{
	const struct baseline *found;

	pthread_mutex_lock(&st->mu);
	if ((found = baseline_find(st, name)) != NULL)
		*out = *found;
	pthread_mutex_unlock(&st->mu);
	return found != NULL ? 0 : -ENOENT;
}

static bool
name_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > BASELINE_NAME_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return false;
	return true;
}

static cJSON *
json_baseline(const struct baseline *b)
{
	cJSON *o, *mo, *mm;
	unsigned m;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (cJSON_AddStringToObject(o, "name", b->name) == NULL ||
	    cJSON_AddNumberToObject(o, "pid", (double)b->pid) == NULL ||
	    cJSON_AddStringToObject(o, "process", b->proc_name) == NULL ||
	    !api_add_num(o, "window_s", (double)b->window_ms / 1000.0) ||
	    !api_add_time(o, "from", b->from_ms) ||
	    !api_add_time(o, "to", b->to_ms) ||
	    !api_add_time(o, "created", b->created_ms) ||
	    (mo = cJSON_AddObjectToObject(o, "metrics")) == NULL)
		goto out_fail;
	for (m = 0; m < PW_METRIC_COUNT; m++)
		if ((mm = api_json_summary(&b->m[m])) == NULL ||
		    !cJSON_AddItemToObject(mo, pw_metric_name(m), mm)) {
			cJSON_Delete(mm);
			goto out_fail;
		}
	return o;
out_fail:
	cJSON_Delete(o);
	return NULL;
}

unsigned
api_stats_baseline_create(struct api_stats *st, const char *body, size_t len,
    struct cJSON **out, char *err, size_t errlen)
{
	const char *end = NULL, *wstr = "5m";
	struct pw_series_ctx ctx;
	struct baseline *b;
	cJSON *root, *name, *pid, *win;
	struct api_win w;
	int64_t window_ms;
	double *v = NULL;
	unsigned status, m;
	size_t k, i;

	*out = NULL;
	if (body == NULL || len == 0)
		return api_fail(err, errlen, HTTP_BAD_REQUEST, "body: expected a "
		    "JSON object {\"name\": ..., \"pid\": ..., \"window\": ...}");
	root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (root == NULL)
		return api_fail(err, errlen, HTTP_BAD_REQUEST, "body: invalid JSON "
		    "at byte %ld", end != NULL ? (long)(end - body) : 0L);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return api_fail(err, errlen, HTTP_BAD_REQUEST,
		    "body: expected a JSON object");
	}
	name = cJSON_GetObjectItemCaseSensitive(root, "name");
	pid = cJSON_GetObjectItemCaseSensitive(root, "pid");
	win = cJSON_GetObjectItemCaseSensitive(root, "window");
	status = HTTP_BAD_REQUEST;
	if (!cJSON_IsString(name) || !name_ok(name->valuestring)) {
		api_fail(err, errlen, status, "name: expected 1 to %d letters, "
		    "digits, '-', '_' or '.'", BASELINE_NAME_MAX);
		goto out_root;
	}
	if (!cJSON_IsNumber(pid) || pid->valuedouble < 1 ||
	    pid->valuedouble > 2147483647.0 ||
	    pid->valuedouble != floor(pid->valuedouble)) {
		api_fail(err, errlen, status, "pid: expected a positive integer");
		goto out_root;
	}
	if (win != NULL && !cJSON_IsString(win)) {
		api_fail(err, errlen, status, "window: expected a string such as "
		    "\"5m\"");
		goto out_root;
	}
	if (win != NULL)
		wstr = win->valuestring;
	if (!api_stats_window(wstr, API_STATS_DEFAULT_WINDOW_MS, &window_ms,
	    err, errlen))
		goto out_root;
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		status = api_oom(err, errlen);
		goto out_root;
	}
	if ((status = api_win_load(st, (pid_t)pid->valuedouble, window_ms, &w,
	    err, errlen)) != HTTP_OK)
		goto out_b;
	if ((v = malloc((w.n ? w.n : 1) * sizeof(*v))) == NULL) {
		status = api_oom(err, errlen);
		goto out_w;
	}
	if (w.n - w.cur < 2) {
		status = api_fail(err, errlen, HTTP_BAD_REQUEST, "pid: process %ld "
		    "has fewer than 2 samples in the window",
		    (long)w.view.pid);
		goto out_w;
	}
	snprintf(b->name, sizeof(b->name), "%s", name->valuestring);
	b->pid = w.view.pid;
	memcpy(b->proc_name, w.view.name, sizeof(b->proc_name));
	b->window_ms = window_ms;
	b->from_ms = w.s[w.cur].ts_ms;
	b->to_ms = w.end_ms;
	b->created_ms = api_stats_now_ms(st);
	ctx.mem_total = w.mem_total;
	ctx.fd_limit = w.view.fd_limit;
	for (m = 0; m < PW_METRIC_COUNT; m++) {
		k = pw_stats_series(w.s + w.cur, w.n - w.cur, m, &ctx, NULL, v);
		pw_stats_summarize(v, k, v, &b->m[m]);
	}
	pthread_mutex_lock(&st->mu);
	for (i = 0; i < st->nbl; i++)
		if (strcmp(st->bl[i].name, b->name) == 0)
			break;
	if (i == st->nbl && st->nbl == API_STATS_MAX_BASELINES) {
		/* Full: drop the oldest, which is the first. */
		memmove(&st->bl[0], &st->bl[1], (st->nbl - 1) *
		    sizeof(st->bl[0]));
		i = --st->nbl;
	}
	st->bl[i] = *b;
	if (i == st->nbl)
		st->nbl++;
	pthread_mutex_unlock(&st->mu);
	if ((*out = json_baseline(b)) == NULL)
		status = api_oom(err, errlen);
	else
		status = HTTP_CREATED;
out_w:
	free(v);
	free(w.s);
out_b:
	free(b);
out_root:
	cJSON_Delete(root);
	return status;
}
