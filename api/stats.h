/*
 * api/stats.h: the windowed views of the API (statistics, averages,
 * bottlenecks, threads, baselines) as request -> JSON functions, so that
 * the route table (api/routes.c) only parses and renders.  They live in
 * api/stats.c (the state), window.c, baselines.c, averages.c, threads.c
 * and bottlenecks.c; api/stats_impl.h is what those share.
 *
 * Each function returns an HTTP status.  On 2xx *out is a new cJSON object
 * the caller frees with cJSON_Delete(); otherwise *out is NULL and `err`
 * holds the message for {"error": ...} (NULL *out with 500 and an empty
 * err means out of memory).  String arguments are query values as MHD
 * gives them: NULL when absent.
 * Thread: HTTP.  The state is guarded by its own mutex, never held across
 * store calls, /proc reads or cJSON.
 */
#ifndef API_STATS_H
#define API_STATS_H

#include <stddef.h>
#include <sys/types.h>

#include "api/api.h"		/* api_clock_fn */

struct cJSON;
struct pw_events;
struct pw_monitor;
struct api_stats;

#define API_STATS_MAX_BASELINES	64	/* the oldest is dropped beyond */
#define API_STATS_MAX_THREAD_PIDS 64	/* previous /threads readings kept */
#define API_STATS_DEFAULT_WINDOW_MS	300000

/*
 * Returns NULL when out of memory.  Free with api_stats_free().
 * `hz` is the clock tick rate, for CPU seconds from ticks; `clock` and
 * `clock_arg` give the wall time (api_now_ms(); NULL: the real clock).
 * Thread: main (api_start() and api_stop()).
 */
struct api_stats	*api_stats_new(struct pw_monitor *mon, long hz,
			    api_clock_fn *clock, void *clock_arg);
void			 api_stats_free(struct api_stats *);

/*
 * Where a windowed view reads the past: the API's history (api/history.h)
 * and the request's ?since= and ?until= (INT64_MIN, INT64_MAX: not
 * given).  With until, the window ends there; with since and no window,
 * the window is since .. until (or now).  Past windows need the history;
 * a window's start beyond what the tiers keep, an until in the future or
 * a since after it are 400.
 */
struct api_ctx;
struct api_past {
	struct api_ctx	*c;
	int64_t		 since_ms;
	int64_t		 until_ms;
};
/*
 * GET /api/v1/processes/{pid}/stats?window=&metrics=&baseline=&until=
 * From the ring while it holds the window; from the history on disk for
 * a window that ends in the past (until) or reaches back beyond the
 * ring: raw samples, or the minute or hour roll-ups for long windows
 * (api/window_hist.c), "resolution" saying which.
 * Thread: HTTP.
 */
unsigned	api_stats_process(struct api_stats *, pid_t pid,
		    const char *window, const char *metrics,
		    const char *baseline, const struct api_past *past,
		    struct cJSON **out, char *err, size_t errlen);
/*
 * GET /api/v1/targets/{name}/stats?window=&metrics=: the layout of the
 * per-process statistics over the target's ring of aggregate samples,
 * with "name" and "processes" (the newest sample's; null before the first
 * cycle) in place of "pid", "name" and "target".  fd_usage, which needs
 * one descriptor limit, is replaced by "fd_usage_max", the worst member's
 * open_fds / fd_limit, with a trend; metrics= takes either name.  No
 * baselines.  `name` is the path segment, name_len bytes, not
 * NUL-terminated: 400 outside the target name rule (api/targets.h), 404
 * when no target has it.
 * Thread: HTTP.
 */
unsigned	api_stats_target(struct api_stats *, const char *name,
		    size_t name_len, const char *window, const char *metrics,
		    const struct api_past *past, struct cJSON **out,
		    char *err, size_t errlen);
/* GET /api/v1/averages?window=&target=  Thread: HTTP. */
unsigned	api_stats_averages(struct api_stats *, const char *window,
		    const char *target, struct cJSON **out, char *err,
		    size_t errlen);
/*
 * GET /api/v1/bottlenecks?by=&window=&limit=&until=: by "process" (the
 * default) or "target" (each target as a whole, procwatch/bottleneck.h);
 * any other `by` is 400.  By process, the churn entries of the events
 * feed `ev` (NULL: none) are merged in (api_events_add_churn()).  With
 * past->until_ms given, the window ending then, from the history on
 * disk (api_hist_rank()), by process or by target, without churn.
 * Thread: HTTP.
 */
unsigned	api_stats_bottlenecks(struct api_stats *, struct pw_events *ev,
		    const char *by, const char *window, const char *limit,
		    const struct api_past *past, struct cJSON **out,
		    char *err, size_t errlen);
/*
 * GET /api/v1/processes/{pid}/threads?window=
 * Thread: HTTP (the /proc read before api/'s stats mu is taken).
 */
unsigned	api_stats_threads(struct api_stats *, pid_t pid,
		    const char *window, struct cJSON **out, char *err,
		    size_t errlen);
/* POST /api/v1/baselines with a JSON body.  Thread: HTTP (api/'s stats mu). */
unsigned	api_stats_baseline_create(struct api_stats *, const char *body,
		    size_t len, struct cJSON **out, char *err, size_t errlen);

#endif
