/*
 * api/catalogue.c: the metric catalogue (procwatch/metric.h) for the
 * renderers, and GET /api/v1/catalogue, the table as JSON so that clients
 * (procwatchctl, the dashboard) need no copy of it.
 *
 * CATALOGUE: {"metrics": [ROW, in the catalogue's order],
 *             "custom": {"rule_metric": "custom:NAME",
 *                        "scopes": ["process", "group", "host"]}}
 * ROW: {"name", "unit", "kind" (gauge, counter, rate, ratio), "help",
 *       "label" (short, for a column head or a legend: "CPU %", "RSS"),
 *       "scopes": ["process", "group"] (what has a value),
 *       "rules": {"process", "group" (may a rule of that scope name it),
 *                 "names": [what a rule writes: NAME, "target_NAME"]},
 *       "stats", "trend" (windowed statistics, with a trend),
 *       "rollup" (summary, increase, last),
 *       "aggregation" (how members make a group's: none, sum, max,
 *                      accumulate, rate),
 *       "json": {"process", "group"} (the key of a sample's JSON, null:
 *                not in it),
 *       "prometheus": {"process", "group"}: {"family", "type", "help",
 *                     "label" (null: none)} or null,
 *       "available": "yes", "partly" (for some processes) or "no" on
 *                    this host, "unavailable_reason" (null when "yes")}
 *
 * DESIGN: a sample's JSON predates the catalogue and lists its keys in an
 * order of its own, which clients may rely on, so that order is a list
 * here (json_procs[], json_groups[]) rather than the rows' order.  Values
 * are the rows' readers'; only their formatting by unit is decided here.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <procwatch/groupacc.h>
#include <procwatch/metric.h>
#include <procwatch/monitor.h>
#include <procwatch/store.h>

#include "api/api.h"
#include "api/catalogue.h"

#define NELEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* A rule names a group's row NAME as "target_NAME" too (procwatch/rules.h). */
#define RULE_TARGET_PREFIX	"target_"

static const enum pw_metric json_procs[] = {
	PW_METRIC_CPU_PERCENT, PW_METRIC_CPU_USER_PERCENT,
	PW_METRIC_CPU_SYSTEM_PERCENT, PW_METRIC_RSS_BYTES, PW_METRIC_VMS_BYTES,
	PW_METRIC_SWAP_BYTES, PW_METRIC_MEMORY_PERCENT, PW_METRIC_OPEN_FDS,
	PW_METRIC_FD_LIMIT, PW_METRIC_THREADS, PW_METRIC_CTX_VOLUNTARY,
	PW_METRIC_CTX_INVOLUNTARY, PW_METRIC_MINOR_FAULTS,
	PW_METRIC_MAJOR_FAULTS, PW_METRIC_READ_BYTES, PW_METRIC_WRITE_BYTES,
	PW_METRIC_CPU_DELAY_PERCENT, PW_METRIC_IO_DELAY_PERCENT,
	PW_METRIC_SWAPIN_DELAY_PERCENT, PW_METRIC_MEMORY_DELAY_PERCENT,
};

static const enum pw_metric json_groups[] = {
	PW_METRIC_PROCESSES, PW_METRIC_EXITED, PW_METRIC_THREADS,
	PW_METRIC_CPU_PERCENT, PW_METRIC_CPU_USER_PERCENT,
	PW_METRIC_CPU_SYSTEM_PERCENT, PW_METRIC_CPU_SECONDS,
	PW_METRIC_CHILDREN_CPU_SECONDS, PW_METRIC_RSS_BYTES,
	PW_METRIC_VMS_BYTES, PW_METRIC_SWAP_BYTES, PW_METRIC_MEMORY_PERCENT,
	PW_METRIC_OPEN_FDS, PW_METRIC_FD_USAGE, PW_METRIC_READ_BYTES,
	PW_METRIC_WRITE_BYTES, PW_METRIC_CTX_VOLUNTARY,
	PW_METRIC_CTX_INVOLUNTARY, PW_METRIC_MINOR_FAULTS,
	PW_METRIC_MAJOR_FAULTS,
	PW_METRIC_PSI_CPU_SOME_PERCENT, PW_METRIC_PSI_CPU_FULL_PERCENT,
	PW_METRIC_PSI_MEMORY_SOME_PERCENT, PW_METRIC_PSI_MEMORY_FULL_PERCENT,
	PW_METRIC_PSI_IO_SOME_PERCENT, PW_METRIC_PSI_IO_FULL_PERCENT,
	PW_METRIC_PSI_CPU_SOME_SECONDS, PW_METRIC_PSI_CPU_FULL_SECONDS,
	PW_METRIC_PSI_MEMORY_SOME_SECONDS, PW_METRIC_PSI_MEMORY_FULL_SECONDS,
	PW_METRIC_PSI_IO_SOME_SECONDS, PW_METRIC_PSI_IO_FULL_SECONDS,
	PW_METRIC_MEM_EVENTS_OOM_KILL, PW_METRIC_MEM_EVENTS_OOM,
	PW_METRIC_MEM_EVENTS_HIGH, PW_METRIC_MEM_EVENTS_MAX,
	PW_METRIC_MEM_UNDER_OOM, PW_METRIC_CGROUP_MEMORY_LIMIT,
	PW_METRIC_OOM_KILLS, PW_METRIC_OOM_KILLS_RECENT,
};

const enum pw_metric *
api_metric_json_order(bool group, size_t *n)
{
	*n = group ? NELEMS(json_groups) : NELEMS(json_procs);
	return group ? json_groups : json_procs;
}

/* --- values --------------------------------------------------------------- */

void
api_metric_ctx_proc(struct pw_metric_ctx *c, const struct pw_proc_view *v,
    uint64_t mem_total, long hz)
{
	memset(c, 0, sizeof(*c));
	c->mem_total = mem_total;
	c->hz = hz;
	c->fd_limit = v->fd_limit;
	c->start_time_ms = v->start_time_ms;
	c->pss = v->pss;
}

void
api_metric_ctx_group(struct pw_metric_ctx *c, const struct pw_group_view *g,
    uint64_t mem_total, long hz)
{
	memset(c, 0, sizeof(*c));
	c->mem_total = mem_total;
	c->hz = hz;
	if (g != NULL) {
		c->min_processes = g->min_processes;
		c->max_processes = g->max_processes;
	}
}

bool
api_metric_group(enum pw_metric m, const struct pw_metric_ctx *c,
    const struct pw_group_sample *s, double *out)
{
	return pw_metric_read_group(m, c, s, NULL, out);
}

bool
api_metric_add_json(cJSON *o, const char *key, enum pw_metric m, bool known,
    double v)
{
	const struct pw_metric_def *d = pw_metric_def(m);
	double scale = 0;

	if (d == NULL || !known || !isfinite(v))
		return cJSON_AddNullToObject(o, key) != NULL;
	if (strcmp(d->unit, "percent") == 0)
		scale = 100.0;
	else if (strcmp(d->unit, "ratio") == 0)
		scale = 10000.0;
	else if (strcmp(d->unit, "seconds") == 0)
		scale = 1000.0;
	if (scale != 0)
		return cJSON_AddNumberToObject(o, key,
		    round(v * scale) / scale) != NULL;
	/* Counters are exact below 2^53; "unlimited" is UINT64_MAX. */
	return api_add_u64(o, key, v <= 0 ? 0 : v >= 0x1p64 ? UINT64_MAX :
	    (uint64_t)v);
}

bool
api_metric_add_proc_json(cJSON *o, const char *key, enum pw_metric m,
    const struct pw_metric_ctx *c, const struct pw_sample *cur)
{
	uint64_t u;
	double v = 0;
	bool known;

	if (pw_metric_is_exact(m, false))
		return pw_metric_read_exact(m, cur, &u) ?
		    api_add_u64(o, key, u) :
		    cJSON_AddNullToObject(o, key) != NULL;
	known = pw_metric_read(m, c, cur, NULL, &v);
	return api_metric_add_json(o, key, m, known, v);
}

bool
api_metric_add_group_json(cJSON *o, const char *key, enum pw_metric m,
    const struct pw_metric_ctx *c, const struct pw_group_sample *cur)
{
	uint64_t u;
	double v = 0;
	bool known;

	if (pw_metric_is_exact(m, true))
		return pw_metric_read_group_exact(m, cur, &u) ?
		    api_add_u64(o, key, u) :
		    cJSON_AddNullToObject(o, key) != NULL;
	known = api_metric_group(m, c, cur, &v);
	return api_metric_add_json(o, key, m, known, v);
}

/* --- GET /api/v1/catalogue ------------------------------------------------ */

static const char *const kinds[] = {
	[PW_KIND_GAUGE] = "gauge", [PW_KIND_COUNTER] = "counter",
	[PW_KIND_RATE] = "rate", [PW_KIND_RATIO] = "ratio",
};
static const char *const rollups[] = {
	[PW_ROLLUP_SUMMARY] = "summary", [PW_ROLLUP_INCREASE] = "increase",
	[PW_ROLLUP_LAST] = "last",
};
static const char *const gaggs[] = {
	[PW_GAGG_NONE] = "none", [PW_GAGG_SUM] = "sum", [PW_GAGG_MAX] = "max",
	[PW_GAGG_ACCUMULATE] = "accumulate", [PW_GAGG_RATE] = "rate",
};

static const char *
enum_name(const char *const *names, size_t n, unsigned v)
{
	return v < n ? names[v] : NULL;
}

static bool
in_order(const enum pw_metric *order, size_t n, enum pw_metric m)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (order[i] == m)
			return true;
	return false;
}

static bool
add_strings(cJSON *o, const char *key, const char *const *s, size_t n)
{
	cJSON *arr;
	size_t i;

	if ((arr = cJSON_AddArrayToObject(o, key)) == NULL)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] != NULL &&
		    !cJSON_AddItemToArray(arr, cJSON_CreateString(s[i])))
			return false;
	return true;
}

static bool
add_prom(cJSON *o, const char *key, const struct pw_metric_prom *p)
{
	cJSON *po;

	if (p->family == NULL)
		return cJSON_AddNullToObject(o, key) != NULL;
	return (po = cJSON_AddObjectToObject(o, key)) != NULL &&
	    cJSON_AddStringToObject(po, "family", p->family) != NULL &&
	    cJSON_AddStringToObject(po, "type", p->type) != NULL &&
	    cJSON_AddStringToObject(po, "help", p->help) != NULL &&
	    api_add_text(po, "label", p->label);
}

const char *
api_metric_availability(const struct pw_monitor_stats *st, enum pw_metric m,
    char *why, size_t len)
{
	bool ts, acct;

	why[0] = '\0';
	if (st == NULL)
		return "yes";
	ts = st->delay_taskstats;
	acct = st->delayacct == 1;
	switch (m) {
	case PW_METRIC_CPU_DELAY_PERCENT:
		if (ts)
			return "yes";
		snprintf(why, len, "single-threaded processes only, from "
		    "/proc/PID/schedstat; multi-threaded ones need %s",
		    st->delay_reason);
		return "partly";
	case PW_METRIC_IO_DELAY_PERCENT:
		if (!acct)
			break;
		if (ts)
			return "yes";
		snprintf(why, len, "single-threaded processes only, from "
		    "/proc/PID/stat; multi-threaded ones need %s",
		    st->delay_reason);
		return "partly";
	case PW_METRIC_SWAPIN_DELAY_PERCENT:
	case PW_METRIC_MEMORY_DELAY_PERCENT:
		if (!ts) {
			snprintf(why, len, "needs %s", st->delay_reason);
			return "no";
		}
		if (!acct)
			break;
		return "yes";
	default:
		return "yes";
	}
	/* The switch now, then what the daemon did about it at start. */
	snprintf(why, len, "needs kernel delay accounting: %s%s%s",
	    st->delayacct == 0 ? "kernel.task_delayacct is off" :
	    "kernel.task_delayacct cannot be read",
	    st->delayacct_note[0] != '\0' ? "; " : "", st->delayacct_note);
	return "no";
}

static bool
add_row(cJSON *arr, enum pw_metric m, const struct pw_monitor_stats *st)
{
	const struct pw_metric_def *d = pw_metric_def(m);
	const char *avail;
	char alias[128], why[512];
	const char *scopes[2], *names[2];
	bool rp, rg, jp;
	cJSON *o, *r, *j, *p;

	if ((o = cJSON_CreateObject()) == NULL)
		return false;
	if (!cJSON_AddItemToArray(arr, o)) {
		cJSON_Delete(o);
		return false;
	}
	rp = (d->flags & PW_MF_RULE_PROCESS) != 0;
	rg = (d->flags & PW_MF_RULE_GROUP) != 0;
	scopes[0] = d->flags & PW_MF_PROCESS ? "process" : NULL;
	scopes[1] = d->flags & PW_MF_GROUP ? "group" : NULL;
	snprintf(alias, sizeof(alias), RULE_TARGET_PREFIX "%s", d->name);
	names[0] = rp || rg ? d->name : NULL;
	names[1] = rg ? alias : NULL;
	jp = in_order(json_procs, NELEMS(json_procs), m);
	avail = api_metric_availability(st, m, why, sizeof(why));
	return cJSON_AddStringToObject(o, "name", d->name) != NULL &&
	    cJSON_AddStringToObject(o, "unit", d->unit) != NULL &&
	    api_add_text(o, "kind", enum_name(kinds, NELEMS(kinds), d->kind)) &&
	    cJSON_AddStringToObject(o, "help", d->help) != NULL &&
	    api_add_text(o, "label", d->label) &&
	    add_strings(o, "scopes", scopes, 2) &&
	    (r = cJSON_AddObjectToObject(o, "rules")) != NULL &&
	    cJSON_AddBoolToObject(r, "process", rp) != NULL &&
	    cJSON_AddBoolToObject(r, "group", rg) != NULL &&
	    add_strings(r, "names", names, 2) &&
	    cJSON_AddBoolToObject(o, "stats",
	    (d->flags & PW_MF_STATS) != 0) != NULL &&
	    cJSON_AddBoolToObject(o, "trend",
	    (d->flags & PW_MF_TREND) != 0) != NULL &&
	    api_add_text(o, "rollup",
	    enum_name(rollups, NELEMS(rollups), d->rollup)) &&
	    api_add_text(o, "aggregation",
	    enum_name(gaggs, NELEMS(gaggs), d->gagg)) &&
	    (j = cJSON_AddObjectToObject(o, "json")) != NULL &&
	    api_add_text(j, "process", jp ? d->name : NULL) &&
	    api_add_text(j, "group", in_order(json_groups, NELEMS(json_groups),
	    m) ? d->group_key : NULL) &&
	    (p = cJSON_AddObjectToObject(o, "prometheus")) != NULL &&
	    add_prom(p, "process", &d->prom) &&
	    add_prom(p, "group", &d->gprom) &&
	    cJSON_AddStringToObject(o, "available", avail) != NULL &&
	    api_add_text(o, "unavailable_reason", why[0] != '\0' ? why :
	    NULL);
}

cJSON *
api_json_catalogue(const struct pw_monitor_stats *st)
{
	static const char *const custom_scopes[] = { "process", "group",
	    "host" };
	cJSON *o, *arr, *c;
	unsigned i;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if ((arr = cJSON_AddArrayToObject(o, "metrics")) == NULL)
		goto out_oom;
	for (i = 0; i < PW_METRIC_NROWS; i++)
		if (!add_row(arr, (enum pw_metric)i, st))
			goto out_oom;
	if ((c = cJSON_AddObjectToObject(o, "custom")) == NULL ||
	    cJSON_AddStringToObject(c, "rule_metric", "custom:NAME") == NULL ||
	    !add_strings(c, "scopes", custom_scopes, NELEMS(custom_scopes)))
		goto out_oom;
	return o;
out_oom:
	cJSON_Delete(o);
	return NULL;
}
