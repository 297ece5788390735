/*
 * api/history.h: the API's views of the past (issue 18), from the rings
 * in memory and the history on disk (lib/history.h) alike.
 *
 * Times (?since=, ?until=, ?at=) take the grammar of procwatch/timespec.h
 * ("-15m", "2026-12-05T03:12:00Z", "03:12", "now", Unix seconds),
 * relative to the API's clock.  Bad values are 400 with a message.
 * The layouts are at the top of api/history.c.
 */
#ifndef API_HISTORY_H
#define API_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct api_buf;
struct api_ctx;
struct cJSON;
struct pw_history;

/* Resolutions a client asks for. */
enum api_hist_res {
	API_RES_DEFAULT = 0,	/* none asked: raw, as before history */
	API_RES_RAW,
	API_RES_1M,
	API_RES_1H,
	API_RES_AUTO,
};

/* Points "auto" aims at when no ?limit= is given. */
#define API_HIST_AUTO_POINTS	1000

/* A request's window, as parsed. */
struct api_hist_win {
	int64_t			 since_ms;	/* INT64_MIN: none given */
	int64_t			 until_ms;	/* INT64_MAX: none given */
	enum api_hist_res	 res;
	size_t			 limit;		/* SIZE_MAX: none given */
};

/*
 * Parse one time value `val` of query key `key` against now_ms.  Returns
 * 0 with *ms set, or 400 with the message in err.  Thread: any (pure but
 * for the local zone of "03:12").
 */
unsigned	api_hist_parse_time(const char *key, const char *val,
		    int64_t now_ms, int64_t *ms, char *err, size_t errlen);

/*
 * "raw", "1m", "1h" or "auto".  Returns 0 with *res set, or 400.
 * Thread: any (pure).
 */
unsigned	api_hist_parse_res(const char *val, enum api_hist_res *res,
		    char *err, size_t errlen);

/*
 * Add "history": {...} (on, directory, bytes, oldest per tier, counters;
 * or off and why) to /healthz's object o.  False when out of memory.
 * Thread: HTTP.
 */
bool	api_hist_healthz(struct api_ctx *c, struct cJSON *o);

/*
 * Append the procwatch_history_* families to the /metrics page.  Returns
 * 0, or the page's error.  Thread: HTTP.
 */
int	api_hist_metrics(struct api_ctx *c, struct api_buf *page);

/*
 * GET /api/v1/processes/{pid}/samples and /api/v1/targets/{name}/samples
 * over the window w: memory and disk merged.  Return an HTTP status with
 * *out (200) or the message in err.  Thread: HTTP.
 */
unsigned	api_hist_proc_samples(struct api_ctx *c, pid_t pid,
		    const struct api_hist_win *w, struct cJSON **out,
		    char *err, size_t errlen);
unsigned	api_hist_target_samples(struct api_ctx *c, const char *name,
		    size_t name_len, const struct api_hist_win *w,
		    struct cJSON **out, char *err, size_t errlen);

/*
 * GET /api/v1/processes?at=, /api/v1/targets?at=, /api/v1/alerts?at=:
 * what was there at at_ms.  As above.  Thread: HTTP.
 */
unsigned	api_hist_processes_at(struct api_ctx *c, int64_t at_ms,
		    struct cJSON **out, char *err, size_t errlen);
unsigned	api_hist_targets_at(struct api_ctx *c, int64_t at_ms,
		    struct cJSON **out, char *err, size_t errlen);
unsigned	api_hist_alerts_at(struct api_ctx *c, int64_t at_ms,
		    struct cJSON **out, char *err, size_t errlen);

/*
 * GET /api/v1/events?since=&until=: the process events and alert
 * transitions kept on disk in [since, until), oldest first, at most
 * `limit`.  As above.  Thread: HTTP.
 */
unsigned	api_hist_events(struct api_ctx *c, const struct api_hist_win *w,
		    size_t limit, struct cJSON **out, char *err,
		    size_t errlen);

/*
 * GET /api/v1/samples?since=&until=[&kind=target]: every process's (or
 * target's) raw sample in [since, until) from disk, oldest first, in
 * whole cycles, at most w->limit rows (API_HIST_DUMP_ROWS when not
 * given); "next_since" says where to go on.  As above.  Thread: HTTP.
 */
#define API_HIST_DUMP_ROWS	50000
unsigned	api_hist_dump(struct api_ctx *c, const struct api_hist_win *w,
		    bool targets, struct cJSON **out, char *err,
		    size_t errlen);

/*
 * The bottlenecks of the q->window_ms up to until_ms (at most q->limit,
 * with the host's q->ncpu), by process or by target (q->hz: the tick
 * rate), from the history on disk: raw cycles for a short window, else
 * the minute (or hour) roll-ups, named in *res_name ("raw", "1m", "1h").
 * *out (free()) of *nout entries, ranked as now.  Returns 0, or a
 * negative errno with the message in err (-EINVAL: 400, no history).
 * Thread: HTTP.
 */
struct pw_bottleneck;
struct pw_bn_query;
int	api_hist_rank(struct api_ctx *c, bool by_target,
	    const struct pw_bn_query *q, int64_t until_ms,
	    struct pw_bottleneck **out, size_t *nout, const char **res_name,
	    char *err, size_t errlen);

#endif
