/*
 * procwatch/custom.h: custom metric series (pushed over HTTP, printed by
 * exec sources, emitted by plugins and embedding callbacks).
 *
 * A series is keyed by its name, its scope (one process, by the store's
 * unique id pw_proc_view.id; one target, by name; or the host) and its
 * labels (sorted by name).  Each keeps a bounded ring of (ts_ms, value)
 * points, the name of the source that last wrote it and the time of that
 * write.  A series not written for `stale_ms` is marked stale (kept, shown,
 * but not used by alert rules); one not written for `drop_ms` is dropped.
 *
 * Names follow Prometheus: [a-zA-Z_:][a-zA-Z0-9_:]*, at most
 * PW_CUSTOM_NAME_MAX bytes.  Label names are [a-zA-Z_][a-zA-Z0-9_]*, not
 * starting with "__" and not one of the labels procwatch adds ("pid",
 * "name", "target"); label values are valid UTF-8 without control
 * characters, at most PW_CUSTOM_LVALUE_MAX bytes.  Values are finite.
 *
 * DESIGN: one mutex guards a sorted array of series; each series has a
 * canonical key string "<scope>\x1e<name>\x1e<label>=<value>\x1f..." so
 * the series of one name in one scope are adjacent and found with one
 * binary search.  Rings grow on demand up to `history` points, so the
 * many series that are written rarely stay small.  Readers copy out under
 * the mutex and render after releasing it.  The mutex is a leaf: nothing
 * else is locked while it is held (see lib/internal.h).
 */
#ifndef PROCWATCH_CUSTOM_H
#define PROCWATCH_CUSTOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The limits of names and labels, and the collector ABI. */
#include <procwatch/collect.h>

#define PW_CUSTOM_TARGET_MAX		64
#define PW_CUSTOM_ERRMSG_MAX		160

#define PW_CUSTOM_DEFAULT_MAX_SERIES	10000
#define PW_CUSTOM_DEFAULT_HISTORY	360
#define PW_CUSTOM_DEFAULT_STALE_MS	300000		/* 5 min */
#define PW_CUSTOM_DEFAULT_DROP_MS	3600000		/* 1 h */
#define PW_CUSTOM_SOURCES_MAX		256	/* sources with error stats */

enum pw_custom_scope {
	PW_CUSTOM_HOST = 0,
	PW_CUSTOM_TARGET,
	PW_CUSTOM_PROC,
};

/* Why a source failed, for procwatch_source_errors_total{reason}. */
enum pw_custom_err {
	PW_CERR_EXIT = 0,	/* non-zero exit status or killed by a signal */
	PW_CERR_TIMEOUT,	/* killed at its timeout */
	PW_CERR_FLOOD,		/* too much output: killed */
	PW_CERR_PARSE,		/* output that is not name/value lines */
	PW_CERR_SPAWN,		/* could not start */
	PW_CERR_REJECTED,	/* a value the store refused (full, invalid) */
	PW_CERR_CALLBACK,	/* a plugin or embedding callback failed */
	PW_CERR_COUNT
};

struct pw_custom_config {
	size_t		max_series;	/* 0: PW_CUSTOM_DEFAULT_MAX_SERIES */
	size_t		history;	/* points per series; 0: default */
	int64_t		stale_ms;	/* 0: PW_CUSTOM_DEFAULT_STALE_MS */
	int64_t		drop_ms;	/* 0: default; at least stale_ms */
};

/* The point a writer adds.  Every pointer is borrowed for the call. */
struct pw_custom_point {
	const char			*name;
	enum pw_custom_scope		 scope;
	uint64_t			 proc_id;	/* PW_CUSTOM_PROC */
	pid_t				 pid;		/* PW_CUSTOM_PROC */
	const char			*target;	/* PROC (may be NULL), TARGET */
	const struct pw_custom_label	*labels;	/* any order */
	size_t				 nlabels;
	int64_t				 ts_ms;
	double				 value;
};

/*
 * One series as copied out.  Strings point into `buf`, which the view
 * owns; free an array of views with pw_custom_views_free().
 */
struct pw_custom_view {
	char			*name;
	enum pw_custom_scope	 scope;
	uint64_t		 proc_id;
	pid_t			 pid;
	char			*target;	/* "" for the host */
	size_t			 nlabels;
	char			*lnames[PW_CUSTOM_LABELS_MAX];	/* sorted */
	char			*lvalues[PW_CUSTOM_LABELS_MAX];
	char			*source;
	int64_t			 ts_ms;		/* of the latest point */
	double			 value;
	int64_t			 updated_ms;	/* when it was last written */
	bool			 is_stale;
	size_t			 npoints;
	char			*buf;
};

/* Error figures of one source, as copied out. */
struct pw_custom_source_stats {
	char		name[PW_CUSTOM_SOURCE_MAX + 1];
	uint64_t	errors[PW_CERR_COUNT];
	uint64_t	runs;		/* successful runs or pushes */
	int64_t		last_error_ms;	/* 0: never */
	char		last_error[PW_CUSTOM_ERRMSG_MAX];
};

struct pw_custom;

/*
 * Collectors (pw_collect_fn, PW_COLLECT_*): see procwatch/collect.h.
 */

/*
 * Create a store.  Returns NULL when out of memory.  Free with
 * pw_custom_free(); NULL is accepted.  Thread: any; afterwards every
 * function may be called from any thread.
 */
struct pw_custom	*pw_custom_new(const struct pw_custom_config *);
void			 pw_custom_free(struct pw_custom *);

/* Validation (see the top of this file).  Thread: any (pure). */
bool	pw_custom_name_valid(const char *name);
bool	pw_custom_label_name_valid(const char *name);
bool	pw_custom_label_value_valid(const char *value);
/*
 * A target name as a scope: 1..PW_CUSTOM_TARGET_MAX printable bytes.
 * Thread: any.
 */
bool	pw_custom_target_valid(const char *target);

/*
 * Check a point without adding it.  Returns 0 or -EINVAL with a message
 * naming the offending field ("name", "value", "labels.foo") in err.
 * Thread: any.
 */
int	pw_custom_point_check(const struct pw_custom_point *, char *err,
	    size_t errlen);

/*
 * Add a point written by `source` (NULL: "push") at wall time `now_ms`.
 * A point older than the series' latest is ignored (returns 0).  Returns
 * 0, -EINVAL (see pw_custom_point_check(), message in err), -ENOSPC when
 * the series is new and the store holds max_series already, or -ENOMEM.
 * Nothing changes on failure.  Thread: any.
 */
int	pw_custom_put(struct pw_custom *, const struct pw_custom_point *,
	    const char *source, int64_t now_ms, char *err, size_t errlen);

/*
 * Mark series not written since now_ms - stale_ms stale and drop those
 * not written since now_ms - drop_ms.  Returns how many were dropped.
 * Thread: any (the store's mutex); the sampler, after each cycle.
 */
size_t	pw_custom_expire(struct pw_custom *, int64_t now_ms);

/*
 * Drop every series of process `proc_id` (it is gone).
 * Thread: any (the store's mutex); the sampler, for exited processes.
 */
void	pw_custom_drop_proc(struct pw_custom *, uint64_t proc_id);
/*
 * The same for ids[0..n-1], sorted ascending, in one pass.
 * Thread: as pw_custom_drop_proc().
 */
void	pw_custom_drop_procs(struct pw_custom *, const uint64_t *ids,
	    size_t n);

/*
 * Copy out every series (proc_id 0) or those of one process, ordered by
 * name, then scope, then labels.  *out is malloc'd (NULL when *n is 0);
 * free with pw_custom_views_free().  Returns 0 or -ENOMEM.
 * Thread: any (the store's mutex); HTTP.
 */
int	pw_custom_copy(struct pw_custom *, uint64_t proc_id,
	    struct pw_custom_view **out, size_t *n);
void	pw_custom_views_free(struct pw_custom_view *, size_t n);

/*
 * The latest value of series `name` for a process: first a series of
 * that process, then one of `target` (may be NULL), then a host series.
 * Where a scope has several series of the name (different labels), the
 * one with the fewest labels (then the first in order) is used.  Stale
 * series are skipped.  Returns 0 (with *value and, if not NULL, *ts_ms)
 * or -ENOENT.
 * Thread: any (the store's mutex); the sampler, from rules, and embedders.
 */
int	pw_custom_lookup(struct pw_custom *, const char *name,
	    uint64_t proc_id, const char *target, double *value,
	    int64_t *ts_ms);

/*
 * The points of the series chosen as by pw_custom_lookup() (stale ones
 * included) newer than since_ms, oldest first: *ts and *v are malloc'd
 * parallel arrays (free both; NULL when *n is 0).  Returns 0, -ENOENT or
 * -ENOMEM.
 * Thread: any (the store's mutex); HTTP.
 */
int	pw_custom_points(struct pw_custom *, const char *name,
	    uint64_t proc_id, const char *target, int64_t since_ms,
	    int64_t **ts, double **v, size_t *n);

/*
 * Series now stored, and the configured cap.
 * Thread: any (the store's mutex); HTTP.
 */
void	pw_custom_counts(struct pw_custom *, size_t *series, size_t *max);

/*
 * Source bookkeeping: count a successful run of `source`, or an error of
 * kind `why` with a message (copied, truncated).  Sources past
 * PW_CUSTOM_SOURCES_MAX are not tracked.
 * Thread: any (the store's mutex): the sampler (C plugins), the exec sources
 * and HTTP (push).
 */
void	pw_custom_source_ok(struct pw_custom *, const char *source);
void	pw_custom_source_error(struct pw_custom *, const char *source,
	    enum pw_custom_err why, const char *msg, int64_t now_ms);
/*
 * Copy out the sources' figures, ordered by name; free(*out).  0/-ENOMEM.
 * Thread: any (the store's mutex); HTTP.
 */
int	pw_custom_sources_copy(struct pw_custom *,
	    struct pw_custom_source_stats **out, size_t *n);
/*
 * "exit", "timeout", "flood", "parse", "spawn", "rejected", "callback".
 * Thread: any.
 */
const char	*pw_custom_err_name(enum pw_custom_err);

/*
 * Parse the output of an exec source: either lines of
 *	name value
 *	name{label="value",other="x"} value
 * (blank lines and lines starting with '#' ignored; values as strtod
 * reads them: "NaN" and infinities are refused), or one flat JSON object
 * {"name": number, ...} (no nesting, no labels).  The JSON branch is a
 * small bounded parser here rather than cJSON, which lib/ does not use.
 * For each good metric, `fn` is called with the name, the labels and the
 * value; its non-zero return stops the parse and is returned.  Bad lines
 * are counted in *bad (may be NULL) and the first one is described in
 * err.  At most PW_CUSTOM_PARSE_MAX metrics are taken.  Returns the
 * number of good metrics, or fn's negative return; 0 good metrics and
 * *bad == 0 means empty output.  `buf` need not be NUL-terminated and may
 * hold any bytes (non-UTF-8 label values make a line bad).
 * Thread: any (pure).
 */
#define PW_CUSTOM_PARSE_MAX	1000
typedef int pw_custom_parse_fn(void *arg, const char *name,
    const struct pw_custom_label *labels, size_t nlabels, double value);
int	pw_custom_parse_output(const char *buf, size_t len,
	    pw_custom_parse_fn *fn, void *arg, size_t *bad, char *err,
	    size_t errlen);

#endif
