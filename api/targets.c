/*
 * api/targets.c: GET /api/v1/targets and /api/v1/targets/{name}.
 *
 * LIST:   {"ts" (the last sampling cycle, null before the first),
 *          "interval_ms", "mem_total_bytes", "count", "targets": [GROUP]}
 * ONE:    GROUP plus "ts" and "pids": [live member pids, ascending]
 * SAMPLES: {"name", "capacity", "count", "samples": [SAMPLE, oldest first]}
 * GROUP:  {"name", "selector", "min_processes", "max_processes" (null: no
 *          maximum), "samples_stored", "capacity", "sample": SAMPLE (null
 *          before the first cycle),
 *          "up", "processes", "gone", "threads", "cpu_percent",
 *          "cpu_user_percent", "cpu_system_percent" (null while no member
 *          has a rate yet), "rss_bytes", "memory_percent" (null if
 *          MemTotal is unknown), "open_fds" (null if no member's fds were
 *          readable), "oldest_start_time" (null if none),
 *          "top_cpu": {"pid", "name", "cpu_percent"} or null,
 *          "top_rss": {"pid", "name", "rss_bytes"} or null}
 * SAMPLE: the group's aggregate of one cycle (procwatch/groupacc.h):
 *         {"ts", "processes", "exited", "threads", "cpu_percent",
 *          "cpu_user_percent", "cpu_system_percent" (null on the first),
 *          "cpu_seconds_total", "children_cpu_seconds_total", "rss_bytes",
 *          "vms_bytes", "swap_bytes", "memory_percent", "open_fds",
 *          "fd_usage_max", "fd_usage_max_pid" (null: no member had both
 *          figures), "read_bytes_total", "write_bytes_total",
 *          "ctx_switches_voluntary_total", "ctx_switches_involuntary_total",
 *          "minor_faults_total", "major_faults_total", the pressure
 *          (PSI) and memory events of the target's cgroup, its memory
 *          limit, "oom_kills_total", "oom_kills_recent",
 *          "pressure_unavailable", "memory_events_unavailable" (why those
 *          are null; null when they are known), "memory_events_source"}
 * The GROUP fields after "sample" are figures of the latest samples of
 * the live members (CPU without the exited and reaped); SAMPLE's CPU
 * also counts members gone during the interval and reaped children.
 * A target with no live process is listed with up false and zero totals.
 * Percentages are rounded to two decimals, as in api/json.c.  The metric
 * figures are the catalogue's rows (procwatch/metric.h): SAMPLE's keys are
 * their group_keys in the order of api_metric_json_order(), its values
 * their readers' (api_metric_group()); GROUP's live-member figures, from
 * pw_group_compute(), go under the rows' names.
 *
 * DESIGN: one store snapshot serves a request: its group views are the
 * targets (names in config order, set under the same lock as the
 * processes' targets, so a reload never shows one without the other) and
 * its processes give the live-member figures.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <procwatch/group.h>
#include <procwatch/groupacc.h>
#include <procwatch/metric.h>
#include <procwatch/monitor.h>
#include <procwatch/psi.h>
#include <procwatch/store.h>

#include "api/api.h"
#include "api/buf.h"
#include "api/catalogue.h"
#include "api/targets.h"

/* The groups over `snap`, one per group view; free with pw_groups_free(). */
static int
groups_of(const struct pw_snapshot *snap, struct pw_group **groups,
    size_t *n)
{
	const char **names;
	size_t i;
	int rc;

	if ((names = calloc(snap->ngroups ? snap->ngroups : 1,
	    sizeof(*names))) == NULL)
		return -ENOMEM;
	for (i = 0; i < snap->ngroups; i++)
		names[i] = snap->groups[i].name;
	rc = pw_group_compute(snap, names, snap->ngroups, groups, n);
	free(names);
	return rc;
}

/* --- JSON ---------------------------------------------------------------- */

/* A percentage rounded to two decimals, null unless known. */
static bool
add_pct(cJSON *o, enum pw_metric m, bool known, double v)
{
	return api_metric_add_json(o, pw_metric_name(m), m, known, v);
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
	    (cpu ? add_pct(to, PW_METRIC_CPU_PERCENT, true, t->cpu_pct) :
	    api_add_u64(to, pw_metric_name(PW_METRIC_RSS_BYTES),
	    t->rss_bytes));
}

/*
 * Why the cgroup figures of SAMPLE are null (procwatch/psi.h), and where
 * the memory events come from: "pressure_unavailable",
 * "memory_events_unavailable" (null when known), "memory_events_source"
 * ("memory.events", "memory.oom_control" or null).
 */
static bool
add_cgroup_why(cJSON *o, const struct pw_group_sample *s)
{
	const char *src = s->cg.mem_src == PW_CGS_V2 ? "memory.events" :
	    s->cg.mem_src == PW_CGS_V1 ? "memory.oom_control" : NULL;

	return api_add_text(o, "pressure_unavailable",
	    pw_cgstat_why_text(s->cg.psi_why)) &&
	    api_add_text(o, "memory_events_unavailable",
	    pw_cgstat_why_text(s->cg.mem_why)) &&
	    api_add_text(o, "memory_events_source", src);
}

/*
 * SAMPLE of one group cycle: the catalogue's rows in the order of
 * api_metric_json_order(), each under its group_key; the worst member's
 * figure (PW_GAGG_MAX) is followed by whose it is, KEY_pid.  NULL when
 * out of memory.
 */
cJSON *
api_targets_sample_json(const struct pw_group_sample *s, uint64_t mem_total,
    long hz)
{
	const struct pw_metric_def *d;
	const enum pw_metric *order;
	struct pw_metric_ctx c;
	char pidkey[64];
	size_t n, i;
	double v;
	bool ok, known;
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	api_metric_ctx_group(&c, NULL, mem_total, hz);
	order = api_metric_json_order(true, &n);
	ok = api_add_time(o, "ts", s->ts_ms);
	for (i = 0; ok && i < n; i++) {
		d = pw_metric_def(order[i]);
		ok = api_metric_add_group_json(o, d->group_key, order[i], &c,
		    s);
		if (!ok || d->gagg != PW_GAGG_MAX)
			continue;
		known = api_metric_group(order[i], &c, s, &v);
		snprintf(pidkey, sizeof(pidkey), "%s_pid", d->group_key);
		ok = known ? api_add_u64(o, pidkey, (uint64_t)s->fd_usage_pid) :
		    cJSON_AddNullToObject(o, pidkey) != NULL;
	}
	ok = ok && add_cgroup_why(o, s);
	if (ok)
		return o;
	cJSON_Delete(o);
	return NULL;
}

/* The group's own fields: selector, limits, ring and latest SAMPLE. */
static bool
add_view(cJSON *o, const struct pw_group_view *v, uint64_t mem_total,
    long hz)
{
	cJSON *s;

	if (v == NULL)		/* a reload between the two copies */
		return cJSON_AddNullToObject(o, "selector") != NULL &&
		    cJSON_AddNullToObject(o, "sample") != NULL;
	if (!api_add_text(o, "selector", v->selector) ||
	    !api_add_u64(o, pw_metric_name(PW_METRIC_MIN_PROCESSES),
	    v->min_processes) ||
	    !(v->max_processes != 0 ?
	    api_add_u64(o, pw_metric_name(PW_METRIC_MAX_PROCESSES),
	    v->max_processes) :
	    cJSON_AddNullToObject(o, pw_metric_name(PW_METRIC_MAX_PROCESSES))
	    != NULL) ||
	    !api_add_u64(o, "samples_stored", v->nsamples) ||
	    !api_add_u64(o, "capacity", v->capacity))
		return false;
	if (!v->has_sample)
		return cJSON_AddNullToObject(o, "sample") != NULL;
	if ((s = api_targets_sample_json(&v->latest, mem_total, hz)) == NULL)
		return false;
	if (!cJSON_AddItemToObject(o, "sample", s)) {
		cJSON_Delete(s);
		return false;
	}
	return true;
}

/* Add the GROUP fields of g (and of its view in snap) to o. */
static bool
add_group(cJSON *o, const struct pw_group *g, const struct pw_snapshot *snap,
    long hz)
{
	return cJSON_AddStringToObject(o, "name", g->name) != NULL &&
	    add_view(o, pw_snapshot_group(snap, g->name), snap->mem_total,
	    hz) &&
	    cJSON_AddBoolToObject(o, pw_metric_name(PW_METRIC_UP),
	    g->is_up) != NULL &&
	    api_add_u64(o, pw_metric_name(PW_METRIC_PROCESSES),
	    g->processes) &&
	    api_add_u64(o, "gone", g->gone) &&
	    api_add_u64(o, pw_metric_name(PW_METRIC_THREADS), g->threads) &&
	    add_pct(o, PW_METRIC_CPU_PERCENT, g->has_cpu, g->cpu_pct) &&
	    add_pct(o, PW_METRIC_CPU_USER_PERCENT, g->has_cpu,
	    g->cpu_user_pct) &&
	    add_pct(o, PW_METRIC_CPU_SYSTEM_PERCENT, g->has_cpu,
	    g->cpu_system_pct) &&
	    api_add_u64(o, pw_metric_name(PW_METRIC_RSS_BYTES), g->rss_bytes) &&
	    add_pct(o, PW_METRIC_MEMORY_PERCENT, g->has_memory_pct,
	    g->memory_pct) &&
	    api_metric_add_json(o, pw_metric_name(PW_METRIC_OPEN_FDS),
	    PW_METRIC_OPEN_FDS, g->has_fds, (double)g->open_fds) &&
	    api_add_time(o, "oldest_start_time", g->oldest_start_ms) &&
	    add_top(o, "top_cpu", &g->top_cpu, true) &&
	    add_top(o, "top_rss", &g->top_rss, false);
}

/* --- requests ------------------------------------------------------------ */

/*
 * The groups now, over a snapshot taken here (*snap: free it with
 * pw_snapshot_free(), also on failure).  0 or -ENOMEM.
 */
static int
groups_now(struct pw_monitor *mon, struct pw_group **groups, size_t *n,
    struct pw_snapshot **snap)
{
	int rc;

	*groups = NULL;
	*n = 0;
	if ((rc = pw_store_snapshot(pw_monitor_store(mon), true, snap)) < 0) {
		*snap = NULL;
		return rc;
	}
	return groups_of(*snap, groups, n);
}

unsigned
api_targets_list(struct pw_monitor *mon, long hz, cJSON **out, char *err,
    size_t errlen)
{
	struct pw_group *groups = NULL;
	struct pw_snapshot *snap = NULL;
	cJSON *o = NULL, *arr, *g;
	size_t n = 0, i;

	*out = NULL;
	if (groups_now(mon, &groups, &n, &snap) < 0)
		goto out_oom;

	if ((o = cJSON_CreateObject()) == NULL ||
	    !api_add_time(o, "ts", snap->taken_ms) ||
	    !api_add_u64(o, "interval_ms", pw_monitor_interval_ms(mon)) ||
	    !api_add_u64(o, "mem_total_bytes", snap->mem_total) ||
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
		if (!add_group(g, &groups[i], snap, hz))
			goto out_oom;
	}
	pw_groups_free(groups, n);
	pw_snapshot_free(snap);
	*out = o;
	return 200;
out_oom:
	cJSON_Delete(o);
	pw_groups_free(groups, n);
	pw_snapshot_free(snap);
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
api_target_name(const char *name, size_t name_len, char *want, char *err,
    size_t errlen)
{
	if (name == NULL || !name_ok(name, name_len))
		return api_fail(err, errlen, 400, "name: expected 1 to %d "
		    "characters of A-Z a-z 0-9 _ . -", API_TARGET_NAME_MAX);
	memcpy(want, name, name_len);
	want[name_len] = '\0';
	return 0;
}

unsigned
api_targets_get(struct pw_monitor *mon, long hz, const char *name,
    size_t name_len, cJSON **out, char *err, size_t errlen)
{
	char want[API_TARGET_NAME_MAX + 1];
	const struct pw_group *g;
	struct pw_group *groups = NULL;
	struct pw_snapshot *snap = NULL;
	cJSON *o = NULL, *pids;
	size_t n = 0, i;
	unsigned status;

	*out = NULL;
	if ((status = api_target_name(name, name_len, want, err, errlen)) != 0)
		return status;
	if (groups_now(mon, &groups, &n, &snap) < 0)
		goto out_oom;
	if ((g = pw_group_find(groups, n, want)) == NULL) {
		pw_groups_free(groups, n);
		pw_snapshot_free(snap);
		return api_fail(err, errlen, 404, "no target named \"%s\"",
		    want);
	}

	if ((o = cJSON_CreateObject()) == NULL || !add_group(o, g, snap, hz) ||
	    !api_add_time(o, "ts", snap->taken_ms) ||
	    (pids = cJSON_AddArrayToObject(o, "pids")) == NULL)
		goto out_oom;
	for (i = 0; i < g->npids; i++)
		if (!cJSON_AddItemToArray(pids,
		    cJSON_CreateNumber((double)g->pids[i])))
			goto out_oom;
	pw_groups_free(groups, n);
	pw_snapshot_free(snap);
	*out = o;
	return 200;
out_oom:
	cJSON_Delete(o);
	pw_groups_free(groups, n);
	pw_snapshot_free(snap);
	return api_oom(err, errlen);
}

unsigned
api_targets_samples(struct pw_monitor *mon, long hz, const char *name,
    size_t name_len, int64_t since_ms, size_t limit, cJSON **out, char *err,
    size_t errlen)
{
	char want[API_TARGET_NAME_MAX + 1];
	struct pw_store *store = pw_monitor_store(mon);
	struct pw_group_sample *samples = NULL;
	uint64_t mem_total = 0;
	size_t n = 0, cap = 0, i;
	cJSON *o = NULL, *arr, *s;
	unsigned status;
	int rc;

	*out = NULL;
	if ((status = api_target_name(name, name_len, want, err, errlen)) != 0)
		return status;
	pw_store_info(store, NULL, &mem_total);
	if ((rc = pw_store_group_samples(store, want, since_ms, limit,
	    &samples, &n, &cap)) == -ENOENT)
		return api_fail(err, errlen, 404, "no target named \"%s\"",
		    want);
	if (rc < 0)
		return api_oom(err, errlen);
	if ((o = cJSON_CreateObject()) == NULL ||
	    !api_add_text(o, "name", want) ||
	    !api_add_u64(o, "capacity", cap) ||
	    !api_add_u64(o, "count", n) ||
	    (arr = cJSON_AddArrayToObject(o, "samples")) == NULL)
		goto out_oom;
	for (i = 0; i < n; i++) {
		if ((s = api_targets_sample_json(&samples[i], mem_total,
		    hz)) == NULL)
			goto out_oom;
		if (!cJSON_AddItemToArray(arr, s)) {
			cJSON_Delete(s);
			goto out_oom;
		}
	}
	free(samples);
	*out = o;
	return 200;
out_oom:
	cJSON_Delete(o);
	free(samples);
	return api_oom(err, errlen);
}

int
api_targets_append_metrics(const struct pw_snapshot *snap, long hz,
    struct api_buf *page)
{
	size_t alen;
	char *extra;
	int rc;

	if ((rc = api_prom_groups(snap, hz, &extra, &alen)) < 0)
		return rc;
	api_buf_append_page(page, extra, alen);
	return page->err;
}
