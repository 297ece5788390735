/*
 * api/averages.c: GET /api/v1/averages, the mean figures of the live
 * processes over a window, for all of them and per target
 * (pw_stats_averages()).
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include <procwatch/monitor.h>
#include <procwatch/stats.h>
#include <procwatch/store.h>

#include "api/api.h"
#include "api/catalogue.h"
#include "api/stats.h"
#include "api/stats_impl.h"

static cJSON *
json_group(const struct pw_avg_group *g, bool has_mem)
{
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if ((g->target != NULL ? cJSON_AddStringToObject(o, "target",
	    g->target) == NULL : false) ||
	    cJSON_AddNumberToObject(o, API_NAME(PROCESSES),
	    (double)g->processes) == NULL ||
	    !api_add_num(o, "avg_cpu_percent", g->processes ? g->cpu_percent :
	    NAN) ||
	    !api_add_num(o, "total_cpu_percent", g->cpu_percent_total) ||
	    !api_add_num(o, "avg_rss_bytes", g->processes ? g->rss_bytes :
	    NAN) ||
	    !api_add_num(o, "total_rss_bytes", g->rss_bytes_total) ||
	    !api_add_num(o, "avg_memory_percent", g->processes && has_mem ?
	    g->memory_percent : NAN) ||
	    !api_add_num(o, "avg_open_fds", g->processes ? g->open_fds : NAN) ||
	    !api_add_num(o, "avg_threads", g->processes ? g->threads : NAN)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

unsigned
api_stats_averages(struct api_stats *st, const char *window,
    const char *target, struct cJSON **out, char *err, size_t errlen)
{
	struct pw_avg_group *g = NULL, all;
	uint64_t mem_total;
	int64_t window_ms;
	size_t n = 0, i;
	cJSON *o, *arr, *item;

	*out = NULL;
	if (!api_stats_window(window, API_STATS_DEFAULT_WINDOW_MS,
	    &window_ms, err, errlen))
		return HTTP_BAD_REQUEST;
	if (target != NULL && *target == '\0')
		return api_fail(err, errlen, HTTP_BAD_REQUEST,
		    "target: expected a target name");
	if (pw_stats_averages(pw_monitor_store(st->mon), window_ms, target,
	    &g, &n, &all) < 0)
		return api_oom(err, errlen);
	pw_store_info(pw_monitor_store(st->mon), NULL, &mem_total);
	if ((o = cJSON_CreateObject()) == NULL ||
	    !api_add_num(o, "window_s", (double)window_ms / 1000.0) ||
	    (target != NULL && cJSON_AddStringToObject(o, "target",
	    target) == NULL) ||
	    !api_add_item(o, "all", json_group(&all, mem_total > 0)) ||
	    (arr = cJSON_AddArrayToObject(o, "targets")) == NULL)
		goto out_oom;
	for (i = 0; i < n; i++) {
		if ((item = json_group(&g[i], mem_total > 0)) == NULL)
			goto out_oom;
		if (!cJSON_AddItemToArray(arr, item)) {
			cJSON_Delete(item);
			goto out_oom;
		}
	}
	pw_avg_groups_free(g, n);
	*out = o;
	return HTTP_OK;
out_oom:
	cJSON_Delete(o);
	pw_avg_groups_free(g, n);
	return api_oom(err, errlen);
}
