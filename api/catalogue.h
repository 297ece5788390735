/*
 * api/catalogue.h: the metric catalogue (procwatch/metric.h) as the
 * renderers use it: the readers' context of a process or a target, a
 * group's value as /metrics and the JSON show it, one value as JSON, the
 * order of the keys of a sample's JSON, and GET /api/v1/catalogue.
 *
 * The renderers (api/json.c, api/targets.c, api/prom.c) name no metric
 * themselves: names, units and Prometheus families are the rows', values
 * are the rows' readers'.  tests/unit/test_names.c checks that no metric
 * name is spelt as a string literal in lib/ or api/ outside lib/metric.c.
 */
#ifndef API_CATALOGUE_H
#define API_CATALOGUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <procwatch/metric.h>

/*
 * The name of row PW_METRIC_<m> (API_NAME(CPU_PERCENT)), and its key in
 * a target's sample (API_GROUP_KEY(FD_USAGE)), for JSON keys.
 */
#define API_NAME(m)		pw_metric_name(PW_METRIC_##m)
#define API_GROUP_KEY(m)	(pw_metric_def(PW_METRIC_##m)->group_key)

struct cJSON;
struct pw_group_sample;
struct pw_group_view;
struct pw_proc_view;
struct pw_sample;

/*
 * The readers' context for process v (its descriptor limit and start
 * time) or target g (its bounds; NULL: none), with MemTotal and the clock
 * rate.  Thread: any.
 */
void	api_metric_ctx_proc(struct pw_metric_ctx *, const struct pw_proc_view *v,
	    uint64_t mem_total, long hz);
void	api_metric_ctx_group(struct pw_metric_ctx *,
	    const struct pw_group_view *g, uint64_t mem_total, long hz);

/*
 * The value of row m for a target whose newest aggregate sample is s
 * (NULL: none yet, when only settings such as its bounds are known):
 * pw_metric_read_group() with no previous sample, so what a target's
 * JSON and /metrics show is what rules see.  False: unknown.
 * Thread: any.
 */
bool	api_metric_group(enum pw_metric m, const struct pw_metric_ctx *,
	    const struct pw_group_sample *s, double *out);

/*
 * Add row m's value v under key to o: null unless known and finite;
 * percentages rounded to 2 decimals, ratios to 4, seconds to 3, other
 * units as exact integers (raw number text, as api_add_u64()).  False
 * when out of memory.
 * Thread: any (pure).
 */
bool	api_metric_add_json(struct cJSON *o, const char *key, enum pw_metric m,
	    bool known, double v);

/*
 * Add row m's value for a process whose newest sample is cur (NULL:
 * none), or for a target whose newest aggregate sample is cur, under key
 * to o: the row's exact integer where it has one (pw_metric_is_exact():
 * a counter above 2^53 stays exact), else the reader's double as
 * api_metric_add_json() formats it; null unless known.  False when out
 * of memory.
 * Thread: any (pure).
 */
bool	api_metric_add_proc_json(struct cJSON *o, const char *key,
	    enum pw_metric m, const struct pw_metric_ctx *,
	    const struct pw_sample *cur);
bool	api_metric_add_group_json(struct cJSON *o, const char *key,
	    enum pw_metric m, const struct pw_metric_ctx *,
	    const struct pw_group_sample *cur);

/*
 * The rows of a sample's JSON after "ts", in the order the API has always
 * shown them: a process's (keyed by the row's name) or a target's (keyed
 * by its group_key).  Returns a borrowed array of *n rows.
 * Thread: any.
 */
const enum pw_metric	*api_metric_json_order(bool group, size_t *n);

/*
 * Whether row m can have values on this host: "yes", "partly" (for some
 * processes) or "no", with the reason in why[len] unless "yes".  Only
 * the delays (procwatch/delay.h) depend on the host; `st` says what the
 * sampler has (NULL: as if it had everything).
 * Thread: any (pure).
 */
struct pw_monitor_stats;
const char	*api_metric_availability(const struct pw_monitor_stats *st,
		    enum pw_metric m, char *why, size_t len);
/*
 * GET /api/v1/catalogue: every row as JSON (see the top of
 * api/catalogue.c), its availability from `st` (NULL: every row "yes").
 * A new object (cJSON_Delete()), NULL when out of memory.  Thread: any.
 */
struct cJSON	*api_json_catalogue(const struct pw_monitor_stats *st);

#endif
