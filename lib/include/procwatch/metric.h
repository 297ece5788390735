/*
 * procwatch/metric.h: the metric catalogue, one row per metric.
 *
 * Every figure procwatch reports about a process or a group (a target's
 * aggregate, procwatch/groupacc.h) is a row here: its name (the key a
 * sample's JSON shows it under and the name a rule gives it), unit, kind,
 * what uses may name it, how it is read from a sample, how the members'
 * values make a group's, how a history rolls it up, and its Prometheus
 * families with their help texts.  Rules, windowed statistics,
 * bottlenecks and the renderers take their metrics from this table, so
 * that they cannot disagree: adding a metric is one row plus its reader.
 *
 * DESIGN: a reader is a pure function of the newest sample, the one before
 * it (NULL if none) and a context (MemTotal, the descriptor limit, the
 * clock rate), and says whether the value is known.  "Unknown" is an
 * answer, not an error: a first sample has no rates, /proc/PID/io may be
 * unreadable, MemTotal may be unknown; callers leave such values out
 * (statistics skip them, a rule's state stays, /metrics omits the series).
 * A group row is read from the group's aggregate sample; rows whose
 * meaning is the same for a group and a process read the group sample
 * mapped onto a process sample (pw_group_sample_as_sample()), so both read
 * the same way.  Every user of a group's value (rules, JSON, /metrics)
 * takes it as the group reader gives it, with no rule of its own:
 *
 *   - A group's cumulative counters (PW_GAGG_ACCUMULATE) are its own
 *     totals, the exited members' included: known whenever the group has
 *     a sample (and the context has what they need, such as the clock
 *     rate), even when no live member's figure was readable this cycle
 *     (PW_GSAMPLE_NO_IO makes the I/O rates unknown, not the totals).
 *   - A worst member's figure (PW_GAGG_MAX, fd_usage) is known only with
 *     that member (fd_usage_pid): an empty group has no worst member, so
 *     the value is unknown, not 0.  (The API always left it out; the
 *     alert engine resolves an alert on it when the group empties.)
 *   - Settings (PW_MF_NO_SAMPLE: a target's bounds) are known before any
 *     sample, for a group as for a process.
 *
 * fd_usage is open_fds / fd_limit.  A limit of "unlimited" (UINT64_MAX)
 * gives a usage of about 0: such a process cannot run out.  (Windowed
 * statistics used to call it unknown while rules called it ~0; this one
 * reader settles it.)
 */
#ifndef PROCWATCH_METRIC_H
#define PROCWATCH_METRIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <procwatch/groupacc.h>
#include <procwatch/sample.h>

/*
 * The rows.  Those with windowed statistics (PW_MF_STATS) come first, in
 * the order /stats renders them; PW_METRIC_COUNT ends them, so code that
 * iterates windowed statistics up to it keeps working.  PW_METRIC_NROWS
 * counts every row.  A new windowed metric goes before PW_METRIC_COUNT.
 */
enum pw_metric {
	PW_METRIC_CPU_PERCENT = 0,
	PW_METRIC_CPU_USER_PERCENT,
	PW_METRIC_CPU_SYSTEM_PERCENT,
	PW_METRIC_RSS_BYTES,
	PW_METRIC_VMS_BYTES,
	PW_METRIC_SWAP_BYTES,
	PW_METRIC_MEMORY_PERCENT,
	PW_METRIC_OPEN_FDS,
	PW_METRIC_THREADS,
	PW_METRIC_CTX_VOLUNTARY_RATE,	/* per second */
	PW_METRIC_CTX_INVOLUNTARY_RATE,
	PW_METRIC_MINOR_FAULTS_RATE,
	PW_METRIC_MAJOR_FAULTS_RATE,
	PW_METRIC_READ_BYTES_RATE,
	PW_METRIC_WRITE_BYTES_RATE,
	PW_METRIC_FD_USAGE,		/* open_fds / fd_limit, 0 .. 1 */
	PW_METRIC_CPU_DELAY_PERCENT,	/* % of the interval, delay.h */
	PW_METRIC_IO_DELAY_PERCENT,
	PW_METRIC_SWAPIN_DELAY_PERCENT,
	PW_METRIC_MEMORY_DELAY_PERCENT,
	PW_METRIC_COUNT,		/* end of the windowed rows */
	PW_METRIC_FD_LIMIT = PW_METRIC_COUNT,
	PW_METRIC_CTX_VOLUNTARY,	/* cumulative counters */
	PW_METRIC_CTX_INVOLUNTARY,
	PW_METRIC_MINOR_FAULTS,
	PW_METRIC_MAJOR_FAULTS,
	PW_METRIC_READ_BYTES,
	PW_METRIC_WRITE_BYTES,
	PW_METRIC_CPU_TICKS_RATE,	/* user + system ticks per second */
	PW_METRIC_CPU_USER_SECONDS,	/* cumulative CPU time, by mode */
	PW_METRIC_CPU_SYSTEM_SECONDS,
	PW_METRIC_CPU_SECONDS,		/* their sum */
	PW_METRIC_START_TIME,		/* of a process */
	PW_METRIC_PROCESSES,		/* of a group: live members */
	PW_METRIC_UP,			/* processes > 0 */
	PW_METRIC_EXITED,		/* members gone during the cycle */
	PW_METRIC_CHILDREN_CPU_SECONDS,	/* of reaped, never sampled children */
	PW_METRIC_MIN_PROCESSES,	/* the target's bounds */
	PW_METRIC_MAX_PROCESSES,
	PW_METRIC_PSS_BYTES,		/* of a process, from the context: */
	PW_METRIC_USS_BYTES,		/* read on their own schedule */
	PW_METRIC_SWAP_PSS_BYTES,
	/* A group's cgroup (procwatch/psi.h): pressure, avg10 and total */
	PW_METRIC_PSI_CPU_SOME_PERCENT,
	PW_METRIC_PSI_CPU_FULL_PERCENT,
	PW_METRIC_PSI_MEMORY_SOME_PERCENT,
	PW_METRIC_PSI_MEMORY_FULL_PERCENT,
	PW_METRIC_PSI_IO_SOME_PERCENT,
	PW_METRIC_PSI_IO_FULL_PERCENT,
	PW_METRIC_PSI_CPU_SOME_SECONDS,
	PW_METRIC_PSI_CPU_FULL_SECONDS,
	PW_METRIC_PSI_MEMORY_SOME_SECONDS,
	PW_METRIC_PSI_MEMORY_FULL_SECONDS,
	PW_METRIC_PSI_IO_SOME_SECONDS,
	PW_METRIC_PSI_IO_FULL_SECONDS,
	/* ... its memory events and limit */
	PW_METRIC_MEM_EVENTS_OOM_KILL,
	PW_METRIC_MEM_EVENTS_OOM,
	PW_METRIC_MEM_EVENTS_HIGH,
	PW_METRIC_MEM_EVENTS_MAX,
	PW_METRIC_MEM_UNDER_OOM,	/* v1 */
	PW_METRIC_CGROUP_MEMORY_LIMIT,
	/* OOM kills of the group's processes (procwatch/oom.h) */
	PW_METRIC_OOM_KILLS,
	PW_METRIC_OOM_KILLS_RECENT,
	PW_METRIC_NROWS
};

/* What a row measures, which says how it may be combined over time. */
enum pw_metric_kind {
	PW_KIND_GAUGE = 0,	/* a level now: RSS, threads, open fds */
	PW_KIND_COUNTER,	/* cumulative, never goes down but on reset */
	PW_KIND_RATE,		/* change per time over the last interval */
	PW_KIND_RATIO,		/* a share of a limit or a total */
};

/*
 * How a history rolls values up (per minute, say).  SUMMARY keeps count,
 * min, max, mean and last; INCREASE keeps how much a counter grew (a
 * reset: the new value counts as the growth); LAST keeps the last value
 * only (settings such as a limit, which rarely change).
 */
enum pw_metric_rollup {
	PW_ROLLUP_SUMMARY = 0,
	PW_ROLLUP_INCREASE,
	PW_ROLLUP_LAST,
};

/* How the members' values make a group's (procwatch/groupacc.h). */
enum pw_metric_gagg {
	PW_GAGG_NONE = 0,	/* no group value, or not from members' */
	PW_GAGG_SUM,		/* of the live members now */
	PW_GAGG_MAX,		/* the worst member's */
	PW_GAGG_ACCUMULATE,	/* members' deltas, kept after they exit */
	PW_GAGG_RATE,		/* the rate of the group's own counters */
};

/* What a row may be used for: pw_metric_def.flags. */
#define PW_MF_STATS		0x01	/* windowed statistics (pw_stats_*) */
#define PW_MF_TREND		0x02	/* ... with a trend (slope) reported */
#define PW_MF_RULE_PROCESS	0x04	/* a rule with scope process names it */
#define PW_MF_RULE_GROUP	0x08	/* a rule with scope group names it */
#define PW_MF_PROCESS		0x10	/* has a value for a process */
#define PW_MF_GROUP		0x20	/* has a value for a group */
#define PW_MF_PAIR		0x40	/* needs the previous sample too */
#define PW_MF_NO_SAMPLE		0x80	/* read from the context alone */

/*
 * What readers need besides the samples.  Zero-initialise and set what
 * is known; each reader says "unknown" where a figure it needs is 0.
 */
struct pw_metric_ctx {
	uint64_t	mem_total;	/* bytes */
	uint64_t	fd_limit;	/* soft limit; UINT64_MAX: unlimited */
	long		hz;		/* clock ticks per second */
	int64_t		start_time_ms;	/* the process's, wall clock */
	size_t		min_processes;	/* the target's bounds */
	size_t		max_processes;
	struct pw_pss	pss;		/* the process's; ts_ms 0: unknown */
	unsigned	flags;		/* PW_MCTX_* */
};

/*
 * A counter that went backwards between the two samples (a reset) gives
 * a rate of 0 instead of "unknown".  Rules ask for it, so that a reset
 * ends a rate alert; statistics do not, so a reset is not a dip in a
 * summary.
 */
#define PW_MCTX_RESET_IS_ZERO	0x01

/*
 * Read a row for a process from its newest sample `cur` and the one
 * before (`prev`, NULL if none).  Returns true and sets *out when the
 * value is known.
 */
typedef bool pw_metric_proc_fn(const struct pw_metric_ctx *,
    const struct pw_sample *cur, const struct pw_sample *prev, double *out);
/* The same for a group, from its aggregate samples. */
typedef bool pw_metric_group_fn(const struct pw_metric_ctx *,
    const struct pw_group_sample *cur, const struct pw_group_sample *prev,
    double *out);

/*
 * A Prometheus family a row is a series of.  Rows that share a family
 * (CPU seconds by mode, context switches and page faults by type) carry
 * the same name, type and help, and each its own label.
 */
struct pw_metric_prom {
	const char	*family;	/* NULL: no series */
	const char	*type;		/* "gauge" or "counter" */
	const char	*help;
	const char	*label;		/* e.g. mode="user"; NULL: none */
	unsigned	 decimals;	/* the value is exact to so many */
};

/*
 * The field of a sample that a row's value is, for a row whose value is
 * a whole number (a count, a size): the renderers print it from here, so
 * that a counter above 2^53 (8 PiB, 9e15 events), which a double
 * rounds, is exact on /metrics and in the JSON, and /metrics reads it
 * without a call.  The row's reader gives the same value as a double
 * (tests/unit/test_metric.c checks it), for rules and statistics.
 */
struct pw_metric_exact {
	uint16_t	off;		/* offsetof() the field */
	uint8_t		size;		/* 8: uint64_t, 4: uint32_t; 0: none */
	unsigned	unknown_if;	/* flags of the sample that hide it */
};

/* One row of the catalogue.  Plain constant data; never freed. */
struct pw_metric_def {
	const char		*name;		/* unique, [a-z_] */
	const char		*group_key;	/* in a group sample; NULL */
	const char		*unit;		/* "bytes", "percent", ... */
	enum pw_metric_kind	 kind;
	enum pw_metric_rollup	 rollup;
	enum pw_metric_gagg	 gagg;
	unsigned		 flags;		/* PW_MF_* */
	const char		*help;		/* one sentence */
	pw_metric_proc_fn	*proc;		/* NULL: not a process's */
	/*
	 * NULL with PW_MF_GROUP: the group sample is read as a process
	 * sample (pw_group_sample_as_sample()) by `proc`, with no fd limit.
	 */
	pw_metric_group_fn	*group;
	struct pw_metric_prom	 prom;		/* procwatch_process_* */
	struct pw_metric_prom	 gprom;		/* procwatch_group_* */
	/*
	 * A short label for a column head or a chart's legend ("CPU %",
	 * "RSS"): lower case but for acronyms, so that clients capitalise
	 * it as their layout needs.
	 */
	const char		*label;
	/*
	 * Optional (a row may leave them out: zero is "none", and the
	 * value is the reader's double).  `exact`: the field of a process
	 * sample; of a group's too when `group` is NULL (the mapped
	 * sample).  `gexact`: the field of a group sample, with `group`.
	 */
	struct pw_metric_exact	 exact;		/* in struct pw_sample */
	struct pw_metric_exact	 gexact;	/* in struct pw_group_sample */
};

/*
 * Read row d for a process: what pw_metric_read() does once it has the
 * row.  Inline so that a renderer that looked its rows up once reads
 * every series without a call into the table.  Thread: any.
 */
static inline bool
pw_metric_def_read(const struct pw_metric_def *d,
    const struct pw_metric_ctx *ctx, const struct pw_sample *cur,
    const struct pw_sample *prev, double *out)
{
	if (d == NULL || d->proc == NULL ||
	    (cur == NULL && !(d->flags & PW_MF_NO_SAMPLE)))
		return false;
	return d->proc(ctx, cur, prev, out);
}

/*
 * The field e names in sample (a struct pw_sample or pw_group_sample
 * whose flags are `flags`): true and *out when e names one and the
 * sample's flags do not hide it.  Inline for /metrics, which reads every
 * series so.  Thread: any.
 */
static inline bool
pw_metric_exact_get(const struct pw_metric_exact *e, const void *sample,
    unsigned flags, uint64_t *out)
{
	const void *f;

	if (e->size == 0 || sample == NULL || (flags & e->unknown_if))
		return false;
	f = (const char *)sample + e->off;
	*out = e->size == 4 ? *(const uint32_t *)f : *(const uint64_t *)f;
	return true;
}

/*
 * Row d's value for a process as an exact integer: true and *out when
 * the row names a field (d->exact) and cur has it; false when the value
 * is unknown or the row has no such field (then read the double with
 * pw_metric_def_read()).  Thread: any.
 */
static inline bool
pw_metric_def_read_exact(const struct pw_metric_def *d,
    const struct pw_sample *cur, uint64_t *out)
{
	return d != NULL && cur != NULL &&
	    pw_metric_exact_get(&d->exact, cur, cur->flags, out);
}

/* The row of m, or NULL out of range.  Thread: any. */
const struct pw_metric_def	*pw_metric_def(enum pw_metric m);

/* The name of a row ("cpu_percent"), NULL if out of range.  Thread: any. */
const char	*pw_metric_name(enum pw_metric);

/*
 * The row called name[0..len-1] (not NUL-terminated) that has every flag
 * in `flags` (0: any row).  Returns 0 or -EINVAL.
 * Thread: any.
 */
int		 pw_metric_lookup(const char *name, size_t len, unsigned flags,
		    enum pw_metric *out);

/*
 * The windowed-statistics row called name[0..len-1]: pw_metric_lookup()
 * with PW_MF_STATS.  Returns 0 or -EINVAL.
 * Thread: any.
 */
int		 pw_metric_from_name(const char *name, size_t len,
		    enum pw_metric *out);

/*
 * Is a trend (slope) reported for this metric?  RSS, open fds, threads.
 * Thread: any.
 */
bool		 pw_metric_has_trend(enum pw_metric);

/*
 * The value of m for a process (see pw_metric_proc_fn); false when it is
 * unknown or m has no process value.  For a PW_MF_NO_SAMPLE row, cur may
 * be NULL.  Thread: any.
 */
bool	pw_metric_read(enum pw_metric m, const struct pw_metric_ctx *ctx,
	    const struct pw_sample *cur, const struct pw_sample *prev,
	    double *out);

/*
 * The value of m for a group from its newest aggregate sample `cur` and
 * the one before (`prev`, NULL if none); false when unknown or m has no
 * group value (see the top of this file for what "known" means for a
 * group).  For a PW_MF_NO_SAMPLE row, cur may be NULL, as for
 * pw_metric_read().  ctx->fd_limit is not used (a group has no limit).
 * Thread: any.
 */
bool	pw_metric_read_group(enum pw_metric m, const struct pw_metric_ctx *ctx,
	    const struct pw_group_sample *cur,
	    const struct pw_group_sample *prev, double *out);

/*
 * Does row m have an exact integer value (procwatch/metric.h's struct
 * pw_metric_exact) for a process (group false) or a group?  Then
 * pw_metric_read_exact() or pw_metric_read_group_exact() gives it, and
 * an unknown value is unknown there as it is for the double reader.
 * Thread: any.
 */
bool	pw_metric_is_exact(enum pw_metric m, bool group);

/*
 * The value of m for a process (pw_metric_read()) or for a group
 * (pw_metric_read_group(), from its newest aggregate sample) as an
 * exact integer: true and *out when m is exact for that scope
 * (pw_metric_is_exact()) and the value is known.
 * Thread: any.
 */
bool	pw_metric_read_exact(enum pw_metric m, const struct pw_sample *cur,
	    uint64_t *out);
bool	pw_metric_read_group_exact(enum pw_metric m,
	    const struct pw_group_sample *cur, uint64_t *out);

/*
 * The rows with a Prometheus family, in the order /metrics exposes them:
 * the procwatch_process_* families (group false) or the procwatch_group_*
 * ones.  Returns a borrowed array of *n rows.
 * Thread: any.
 */
const enum pw_metric	*pw_metric_prom_order(bool group, size_t *n);

#endif
