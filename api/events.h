/*
 * api/events.h: process lifecycle events (procwatch/events.h) over HTTP
 * and in /metrics, and churn entries for /api/v1/bottlenecks.
 *
 * Status-returning functions behave as in api/stats.h.  Thread: HTTP.
 */
#ifndef API_EVENTS_H
#define API_EVENTS_H

#include <stddef.h>
#include <stdint.h>

struct api_buf;
struct cJSON;
struct pw_events;

#define API_EVENTS_DEFAULT_LIMIT	100
#define API_EVENTS_MAX_LIMIT		100000

/*
 * GET /api/v1/events?limit=N: the newest N events, newest first, and the
 * per-target counters; {"available":false,"reason":...} without the
 * connector.  `ev` NULL answers unavailable too.
 * Thread: HTTP (takes the events object's lock for a copy).
 */
struct pw_monitor;
unsigned	api_events_list(struct pw_events *ev, struct pw_monitor *mon,
		    const char *limit, struct cJSON **out, char *err,
		    size_t errlen);

/*
 * Append procwatch_events_available, procwatch_process_starts_total
 * {target} and procwatch_process_exits_total{target,how="exit|signal"}
 * to the /metrics page (api/buf.h).  0, -ENOMEM, or the page's error.
 * Thread: HTTP (as api_events_list()).
 */
int	api_prom_events(struct pw_events *ev, struct api_buf *page);

/*
 * Add the churn entries over `window_ms` to the "bottlenecks" array of
 * `root` (an api_stats_bottlenecks() answer), keeping it ordered by
 * severity then impact and at most `limit` long, and update its "count".
 * 0 or -ENOMEM.
 * Thread: HTTP (as api_events_list()).
 */
int	api_events_add_churn(struct pw_events *ev, int64_t window_ms,
	    size_t limit, struct cJSON *root);

#endif
