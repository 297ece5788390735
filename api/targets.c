/*
 * api/targets.c: GET /api/v1/targets and /api/v1/targets/{name}.
 *
 * LIST:   {"ts" (the last sampling cycle, null before the first),
 *          "interval_ms", "mem_total_bytes", "count", "targets": [GROUP]}
 * ONE:    GROUP plus "ts" and "pids": [live member pids, ascending]
 * GROUP:  {"name", "up", "processes", "gone", "threads", "cpu_percent",
 *          "cpu_user_percent", "cpu_system_percent" (null while no member
 *          has a rate yet), "rss_bytes", "memory_percent" (null if
 *          MemTotal is unknown), "open_fds" (null if no member's fds were
 *          readable), "oldest_start_time" (null if none),
 *          "top_cpu": {"pid", "name", "cpu_percent"} or null,
 *          "top_rss": {"pid", "name", "rss_bytes"} or null}
 * A target with no live process is listed with up false and zero totals.
 * Percentages are rounded to two decimals, as in api/json.c.
 *
 * DESIGN: the target names are copied from the monitor
 * (pw_monitor_target_names(), safe against a reload); the store snapshot
 * is taken (and released) before any JSON is built.
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

#include <procwatch/group.h>
#include <procwatch/monitor.h>
#include <procwatch/store.h>

#include "api/api.h"
#include "api/targets.h"

/* The groups over `snap`; free with pw_groups_free(). */
static int
groups_of(struct pw_monitor *mon, const struct pw_snapshot *snap,
    struct pw_group **groups, size_t *n)
{
	char **names = NULL;
	size_t nnames = 0;
	int rc;

	/* A copy: a reload may free the configuration meanwhile. */
	if ((rc = pw_monitor_target_names(mon, &names, &nnames)) < 0)
		return rc;
	rc = pw_group_compute(snap, (const char *const *)names, nnames,
	    groups, n);
	pw_monitor_names_free(names, nnames);
	return rc;
}

/* --- JSON ---------------------------------------------------------------- */

static bool
add_pct(cJSON *o, const char *key, bool known, double v)
{
	if (!known || !isfinite(v))
		return cJSON_AddNullToObject(o, key) != NULL;
	return cJSON_AddNumberToObject(o, key, round(v * 100.0) / 100.0) !=
	    NULL;
}

/* {"pid", "name", key: value} of a top member, or null if there is none. */
static bool
add_top(cJSON *o, const char *key, const struct pw_group_top *t, bool cpu)
{
	cJSON *to;

	if (t->pid == 0)
		return cJSON_AddNullToObject(o, key) != NULL;
	if ((to = cJSON_AddObjectToObject(o, key)) == NULL)
		return false;
	return api_add_u64(to, "pid", (uint64_t)t->pid) &&
	    api_add_text(to, "name", t->name) &&
	    (cpu ? add_pct(to, "cpu_percent", true, t->cpu_pct) :
	    api_add_u64(to, "rss_bytes", t->rss_bytes));
}

/* Add the GROUP fields of g to o. */
static bool
add_group(cJSON *o, const struct pw_group *g)
{
	return cJSON_AddStringToObject(o, "name", g->name) != NULL &&
	    cJSON_AddBoolToObject(o, "up", g->is_up) != NULL &&
	    api_add_u64(o, "processes", g->processes) &&
	    api_add_u64(o, "gone", g->gone) &&
	    api_add_u64(o, "threads", g->threads) &&
	    add_pct(o, "cpu_percent", g->has_cpu, g->cpu_pct) &&
	    add_pct(o, "cpu_user_percent", g->has_cpu, g->cpu_user_pct) &&
	    add_pct(o, "cpu_system_percent", g->has_cpu, g->cpu_system_pct) &&
	    api_add_u64(o, "rss_bytes", g->rss_bytes) &&
	    add_pct(o, "memory_percent", g->has_memory_pct, g->memory_pct) &&
	    (g->has_fds ? api_add_u64(o, "open_fds", g->open_fds) :
	    cJSON_AddNullToObject(o, "open_fds") != NULL) &&
	    api_add_time(o, "oldest_start_time", g->oldest_start_ms) &&
	    add_top(o, "top_cpu", &g->top_cpu, true) &&
	    add_top(o, "top_rss", &g->top_rss, false);
}

/* --- requests ------------------------------------------------------------ */

/*
 * The groups now, from a snapshot taken and released here, with the
 * snapshot's time and MemTotal (either may be NULL).  0 or -ENOMEM.
 */
static int
groups_now(struct pw_monitor *mon, struct pw_group **groups, size_t *n,
    int64_t *taken_ms, uint64_t *mem_total)
{
	struct pw_snapshot *snap;
	int rc;

	if ((rc = pw_store_snapshot(pw_monitor_store(mon), true, &snap)) < 0)
		return rc;
	rc = groups_of(mon, snap, groups, n);
	if (taken_ms != NULL)
		*taken_ms = snap->taken_ms;
	if (mem_total != NULL)
		*mem_total = snap->mem_total;
	pw_snapshot_free(snap);
	return rc;
}

unsigned
api_targets_list(struct pw_monitor *mon, cJSON **out, char *err,
    size_t errlen)
{
	struct pw_group *groups = NULL;
	cJSON *o = NULL, *arr, *g;
	int64_t taken_ms;
	uint64_t mem_total;
	size_t n = 0, i;

	*out = NULL;
	if (groups_now(mon, &groups, &n, &taken_ms, &mem_total) < 0)
		return api_oom(err, errlen);

	if ((o = cJSON_CreateObject()) == NULL ||
	    !api_add_time(o, "ts", taken_ms) ||
	    !api_add_u64(o, "interval_ms", pw_monitor_interval_ms(mon)) ||
	    !api_add_u64(o, "mem_total_bytes", mem_total) ||
	    !api_add_u64(o, "count", n) ||
	    (arr = cJSON_AddArrayToObject(o, "targets")) == NULL)
		goto out_oom;
	for (i = 0; i < n; i++) {
		if ((g = cJSON_CreateObject()) == NULL)
			goto out_oom;
		if (!cJSON_AddItemToArray(arr, g)) {
			cJSON_Delete(g);
			goto out_oom;
		}
		if (!add_group(g, &groups[i]))
			goto out_oom;
	}
	pw_groups_free(groups, n);
	*out = o;
	return 200;
out_oom:
	cJSON_Delete(o);
	pw_groups_free(groups, n);
	return api_oom(err, errlen);
}

/* The rule procwatchd's configuration has for target names. */
static bool
name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > API_TARGET_NAME_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_' || s[i] == '.' || s[i] == '-'))
			return false;
	return true;
}

unsigned
api_targets_get(struct pw_monitor *mon, const char *name, size_t name_len,
    cJSON **out, char *err, size_t errlen)
{
	char want[API_TARGET_NAME_MAX + 1];
	const struct pw_group *g;
	struct pw_group *groups = NULL;
	cJSON *o = NULL, *pids;
	int64_t taken_ms;
	size_t n = 0, i;

	*out = NULL;
	if (name == NULL || !name_ok(name, name_len))
		return api_fail(err, errlen, 400, "name: expected 1 to %d "
		    "characters of A-Z a-z 0-9 _ . -", API_TARGET_NAME_MAX);
	memcpy(want, name, name_len);
	want[name_len] = '\0';

	if (groups_now(mon, &groups, &n, &taken_ms, NULL) < 0)
		return api_oom(err, errlen);
	if ((g = pw_group_find(groups, n, want)) == NULL) {
		pw_groups_free(groups, n);
		return api_fail(err, errlen, 404, "no target named \"%s\"",
		    want);
	}

	if ((o = cJSON_CreateObject()) == NULL || !add_group(o, g) ||
	    !api_add_time(o, "ts", taken_ms) ||
	    (pids = cJSON_AddArrayToObject(o, "pids")) == NULL)
		goto out_oom;
	for (i = 0; i < g->npids; i++)
		if (!cJSON_AddItemToArray(pids,
		    cJSON_CreateNumber((double)g->pids[i])))
			goto out_oom;
	pw_groups_free(groups, n);
	*out = o;
	return 200;
out_oom:
	cJSON_Delete(o);
	pw_groups_free(groups, n);
	return api_oom(err, errlen);
}

int
api_targets_append_metrics(struct pw_monitor *mon,
    const struct pw_snapshot *snap, char **page, size_t *len)
{
	struct pw_group *groups;
	size_t n, alen;
	char *extra;
	int rc;

	if ((rc = groups_of(mon, snap, &groups, &n)) < 0)
		return rc;
	rc = api_prom_targets(groups, n, &extra, &alen);
	pw_groups_free(groups, n);
	if (rc < 0)
		return rc;
	return api_page_append(page, len, extra, alen);
}
