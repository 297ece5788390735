/*
 * api/targets.h: each target as a group (procwatch/group.h) over HTTP.
 *
 *   GET /api/v1/targets          every configured target, in config order
 *   GET /api/v1/targets/{name}   one target and the pids of its processes
 *   GET /api/v1/targets/{name}/samples   its ring of aggregate samples
 *
 * The layouts are at the top of api/targets.c.  As in api/stats.h, the
 * request functions return an HTTP status; on 2xx *out is a new cJSON
 * object the caller frees with cJSON_Delete(), otherwise *out is NULL and
 * `err` holds the message for {"error": ...} (empty with 500: out of
 * memory).  Neither takes query parameters.
 * Thread: HTTP.
 */
#ifndef API_TARGETS_H
#define API_TARGETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct api_buf;
struct cJSON;
struct pw_monitor;
struct pw_snapshot;

/*
 * Longest target name the API accepts; procwatchd's configuration allows
 * 1 to 64 characters of A-Z a-z 0-9 _ . - (daemon/config.c), and a name
 * outside that rule is answered 400 rather than looked up.
 */
#define API_TARGET_NAME_MAX	64

/*
 * Check the {name} path segment name[0..name_len) (not NUL-terminated)
 * against that rule and copy it to want[API_TARGET_NAME_MAX + 1].
 * Returns 0, or 400 with the message in err.
 * Thread: any (pure).
 */
unsigned	api_target_name(const char *name, size_t name_len, char *want,
		    char *err, size_t errlen);

/*
 * SAMPLE of one group cycle (the layout at the top of api/targets.c), for
 * api/history.c too.  NULL when out of memory.  Thread: any.
 */
struct pw_group_sample;
struct cJSON	*api_targets_sample_json(const struct pw_group_sample *s,
		    uint64_t mem_total, long hz);

/*
 * The handlers take the clock tick rate `hz` (CPU seconds from ticks).
 * Thread: HTTP.
 */
unsigned	api_targets_list(struct pw_monitor *, long hz, struct cJSON **out,
		    char *err, size_t errlen);
/*
 * `name` is the {name} path segment, name_len bytes, not NUL-terminated;
 * MHD has already percent-decoded the path, so it is not decoded again
 * ("%2541" is the name "%41", which is then rejected).  404 when no
 * target has that name.
 * Thread: HTTP.
 */
unsigned	api_targets_get(struct pw_monitor *, long hz, const char *name,
		    size_t name_len, struct cJSON **out, char *err,
		    size_t errlen);

/*
 * GET /api/v1/targets/{name}/samples: the group's aggregate samples newer
 * than since_ms (INT64_MIN: all), the newest `limit` of them, oldest
 * first; the caller parsed and checked both parameters.  404 for an
 * unknown name.
 * Thread: HTTP.
 */
unsigned	api_targets_samples(struct pw_monitor *, long hz,
		    const char *name, size_t name_len, int64_t since_ms,
		    size_t limit, struct cJSON **out, char *err,
		    size_t errlen);

/*
 * Append the procwatch_group_* families (api_prom_groups()) for the
 * groups of `snap` to the /metrics page (api/buf.h).  Returns 0, or the
 * page's error (-ENOMEM, -E2BIG past its cap), which it keeps.
 * Thread: HTTP.
 */
int		api_targets_append_metrics(const struct pw_snapshot *snap,
		    long hz, struct api_buf *page);

#endif
