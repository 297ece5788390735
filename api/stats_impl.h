/*
 * api/stats_impl.h: what the parts of the windowed views share, and
 * nothing outside them may use.  The parts (api/stats.h lists their
 * requests):
 *   api/stats.c       the shared state, ?window=, the JSON helpers
 *   api/window.c      one process's or one target's window (/stats)
 *   api/window_hist.c the same from the history on disk (past, long)
 *   api/baselines.c   POST /api/v1/baselines, and lookups by name
 *   api/averages.c    /api/v1/averages
 *   api/threads.c     per-thread CPU % (/threads, and bottlenecks' probe)
 *   api/bottlenecks.c /api/v1/bottlenecks, churn from the events feed
 *
 * Lock: api_stats.mu guards bl[], nbl and prev[]; it is a leaf lock, never
 * held across a store call, a /proc read or cJSON.
 */
#ifndef API_STATS_IMPL_H
#define API_STATS_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <procwatch/bottleneck.h>
#include <procwatch/stats.h>
#include <procwatch/store.h>

#include "api/api.h"
#include "api/stats.h"

struct cJSON;

#define HTTP_OK			200
#define HTTP_CREATED		201
#define HTTP_BAD_REQUEST	400
#define HTTP_NOT_FOUND		404

#define BASELINE_NAME_MAX	64
/* A hot thread does this share of its process's CPU, or more. */
#define HOT_SHARE		0.6

/* The figures of one window, saved by name (api/baselines.c). */
struct baseline {
	char			 name[BASELINE_NAME_MAX + 1];
	pid_t			 pid;
	char			 proc_name[17];
	int64_t			 window_ms;
	int64_t			 from_ms, to_ms;
	int64_t			 created_ms;
	struct pw_summary	 m[PW_METRIC_COUNT];
};

struct tick {
	pid_t		tid;
	uint64_t	ticks;
};

/* A pid's previous /threads reading (api/threads.c). */
struct thread_prev {
	pid_t		 pid;		/* 0: free slot */
	int64_t		 ts_ms;
	struct tick	*t;		/* sorted by tid */
	size_t		 n;
};

struct api_stats {
	struct pw_monitor	*mon;
	long			 hz;		/* clock ticks per second */
	api_clock_fn		*clock;		/* NULL: the real clock */
	void			*clock_arg;
	pthread_mutex_t		 mu;
	struct baseline		 bl[API_STATS_MAX_BASELINES];
	size_t			 nbl;
	struct thread_prev	 prev[API_STATS_MAX_THREAD_PIDS];
};

/* --- api/stats.c ---------------------------------------------------------- */

/*
 * The wall clock of the views (api_now_ms() of the server's clock).
 * Thread: HTTP (any: the clock is set before the server starts).
 */
int64_t	 api_stats_now_ms(const struct api_stats *);

/*
 * ?window= into *ms: `def` when val is NULL.  False, with the 400 message
 * in err, when it is not a duration from 1 ms to 30 days.
 * Thread: any (pure).
 */
bool	 api_stats_window(const char *val, int64_t def, int64_t *ms,
	    char *err, size_t errlen);

/*
 * Members the views add the same way; false when out of memory.
 * api_add_num: null for a number that is not finite (JSON has no inf or
 * NaN).  api_add_pair: [lo, hi], null unless both are finite.
 * api_add_item: takes item (NULL is out of memory) and frees it on
 * failure.
 * Thread: any (pure).
 */
bool	 api_add_num(struct cJSON *o, const char *key, double v);
bool	 api_add_pair(struct cJSON *o, const char *key, double lo,
	    double hi);
bool	 api_add_item(struct cJSON *o, const char *key, struct cJSON *item);

/*
 * A summary {count, avg, min, max, p50, p95, p99, stddev, ci95} and a
 * trend {slope_per_min, slope_ci95, r2, points, direction} (null when it
 * is not valid).  New objects (cJSON_Delete()), NULL when out of memory.
 * Thread: any (pure).
 */
struct cJSON	*api_json_summary(const struct pw_summary *);
struct cJSON	*api_json_trend(const struct pw_trend *);

/* --- api/window.c --------------------------------------------------------- */

/*
 * The samples of one process or one group: the window and the one before
 * it.  A group's samples are converted (pw_group_sample_as_sample()) into
 * s, so that the same statistics run over both; gs keeps them as they
 * are for what has no place in a process sample (fd_usage_max).
 */
struct api_win {
	struct pw_proc_view	 view;		/* a group: id 0, no pid */
	char			 target[PW_BN_TARGET_MAX]; /* group: name */
	uint64_t		 mem_total;
	struct pw_sample	*s;
	struct pw_group_sample	*gs;		/* NULL for a process */
	size_t			 n;		/* all copied */
	size_t			 cur;		/* the window's first */
	size_t			 cap;
	int64_t			 end_ms;
};

/*
 * Copy the samples of pid for (end - 2 window, end], end being its newest
 * sample.  Returns an HTTP status; on 200 free with api_win_fini().
 * Thread: HTTP.
 */
unsigned api_win_load(struct api_stats *, pid_t pid, int64_t window_ms,
	    struct api_win *w, char *err, size_t errlen);
void	 api_win_fini(struct api_win *);

/* --- api/window_hist.c ---------------------------------------------------- */

/*
 * Settle a view's window from ?window= (`def` when absent) or ?since=,
 * and its end: *until_ms is past->until_ms (INT64_MAX: now; past may be
 * NULL).  Returns 0, or 400 with the message in err: a bad window, both
 * window and since, an until in the future, since after the end, a past
 * window without the history, a window over 30 days without it or
 * starting before what its tiers keep.
 * Thread: HTTP.
 */
unsigned api_stats_span(struct api_stats *, const char *window, int64_t def,
	    const struct api_past *past, int64_t *window_ms,
	    int64_t *until_ms, char *err, size_t errlen);

/*
 * Add the statistics of pid (target NULL) or of target over the window
 * ending at until_ms from past->c's history (which must be on) to o:
 * who it is, the window, "source", "resolution" (and a "note" for a
 * tier) and each wanted metric's summary and trend.  Returns an HTTP
 * status (404: nothing in the window); o is the caller's either way.
 * Thread: HTTP.
 */
unsigned api_win_hist(struct api_stats *, const struct api_past *past,
	    pid_t pid, const char *target, int64_t window_ms,
	    int64_t until_ms, const bool *want, struct cJSON *o, char *err,
	    size_t errlen);

/* --- api/baselines.c ------------------------------------------------------ */

/*
 * Copy baseline `name` into *out: 0, or -ENOENT when there is none.
 * Thread: HTTP (api/'s stats mu).
 */
int	 api_stats_baseline_get(struct api_stats *, const char *name,
	    struct baseline *out);

/* --- api/threads.c -------------------------------------------------------- */

struct api_thread_row {
	pid_t		tid;
	char		name[17];
	double		user_pct;
	double		system_pct;
	double		cpu_pct;
	double		share;
	const char	*basis;
};

struct api_thread_view {
	struct api_thread_row	*rows;		/* free() */
	size_t			 n;
	const char		*basis;		/* of the comparison overall */
	bool			 since_prev;	/* basis is since the last */
	double			 interval_s;	/* since the previous reading */
	size_t			 hot;		/* index of the busiest */
};

/*
 * Read the threads of pid now and work out each one's CPU %, against the
 * previous reading when there is one in the window.  Returns 0 (free
 * tv->rows), -ESRCH or -ENOMEM.  The /proc read happens before the mutex
 * is taken.
 * Thread: HTTP.
 */
int	 api_threads_measure(struct api_stats *, pid_t pid, int64_t window_ms,
	    struct api_thread_view *tv);

#endif
