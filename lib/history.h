/*
 * history.h: the on-disk history (issue 18): every committed cycle's
 * values of every catalogue row, for every process, group and custom
 * series, plus process events and alert transitions, kept in a directory
 * at three resolutions (raw, per minute, per hour) within one byte budget.
 * In-tree only (not installed).
 *
 * DESIGN: the sampler builds a struct pw_hist_cycle (CPU only, no I/O)
 * and hands it over with pw_history_push(): a bounded queue (the style of
 * lib/alertq.c) that never waits; a full queue drops the cycle and counts
 * it.  A writer thread of the history's own encodes each cycle into an
 * append-only segment file (one record per cycle, delta-coded against the
 * previous cycle, checksummed with crc32 and compressed with zstd; a
 * self-contained key record every so often), write()s it every cycle and
 * fsync()s at most every fsync_ms.  It also rolls the cycles up into the
 * minute and hour tiers and enforces the budget (oldest raw first).
 * Readers (any thread) find segments through an in-memory index taken
 * under a short mutex and read them with pread() on descriptors of their
 * own, so a query never holds a lock across I/O and the writer never
 * waits for a reader.  The format, tiers and costs are in README.md
 * ("History on disk"); the modules are lib/hist_*.c.
 *
 * Values are by catalogue row (enum pw_metric, procwatch/metric.h): a
 * vector of ncols doubles, NAN where the row's value is unknown.  Each
 * segment names its rows, so a file written by a build with fewer rows
 * reads back with the new rows unknown, and rows it has that this build
 * lacks are ignored.
 *
 * Lock order: the history's mutexes are leaves (lib/internal.h); no call
 * here takes the store's lock except pw_hist_cycle_from_store(), which
 * takes only the store's read lock, and never under a history mutex.
 */
#ifndef PW_HISTORY_H
#define PW_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pw_custom;
struct pw_store;
struct pw_history;
struct pw_hist_cycle;
struct pw_hist_cursor;

/* What a series is of. */
enum pw_hist_kind {
	PW_HIST_PROC = 0,	/* one process: pid + start time */
	PW_HIST_GROUP,		/* one target's aggregate (group rows) */
	PW_HIST_CUSTOM,		/* one custom series: one column */
};

/* Resolutions, finest first. */
enum pw_hist_res {
	PW_HIST_RAW = 0,	/* every cycle */
	PW_HIST_1M,		/* per-minute roll-ups */
	PW_HIST_1H,		/* per-hour roll-ups */
	PW_HIST_NRES
};

/*
 * Who a series is.  A process is (pid, start_time_ms); a group or custom
 * series is its name (a custom series' name includes its labels, as the
 * producer spells them).  Strings are never NULL in what a read returns
 * ("" when unknown); in what a producer passes, NULL means "".
 */
struct pw_hist_ident {
	enum pw_hist_kind	 kind;
	pid_t			 pid;		/* PROC */
	int64_t			 start_time_ms;	/* PROC, wall clock */
	const char		*name;		/* comm, target or series */
	const char		*cmdline;	/* PROC */
	const char		*target;	/* PROC: its target; "" none */
};

/* An event kept in the history. */
enum pw_hist_ev_kind {
	PW_HIST_EV_PROCESS = 0,	/* from the events feed: exit, oom_kill */
	PW_HIST_EV_ALERT,	/* an alert transition */
};

/*
 * One event.  In what a producer passes, strings are copied and may be
 * NULL; in what a read returns they are never NULL and are owned by the
 * array they came in.  An alert is identified over restarts by (name,
 * target, pid): type "firing" opens it and "resolved" closes it.
 */
struct pw_hist_event {
	int64_t			 ts_ms;
	enum pw_hist_ev_kind	 kind;
	const char		*type;		/* "exit", "oom_kill", ...;
						 * "firing", "resolved" */
	pid_t			 pid;		/* 0: none (a group alert) */
	int64_t			 start_time_ms;	/* of pid; 0: unknown */
	const char		*name;		/* comm, or the alert's rule */
	const char		*target;
	double			 value;		/* alert: its value; exit:
						 * the code, or -signal */
	const char		*detail;	/* free text (JSON, say) */
};

/* Log levels of the callback. */
#define PW_HIST_LOG_WARN	1
#define PW_HIST_LOG_INFO	2

/*
 * Told of what the history found or did that an operator should know: a
 * torn tail cut, a corrupt segment skipped, writing failed (once per
 * failure spell) or resumed.  One line, no newline, naming the file.
 * Called from pw_history_open()'s thread or from the writer thread; it
 * must not call back into the history.
 */
typedef void pw_hist_log_fn(void *arg, int level, const char *msg);

/* Wall clock in ms since the epoch: tests pass a fake one. */
typedef int64_t pw_hist_clock_fn(void *arg);

/* Options; pw_hist_opts_init() sets the defaults shown. */
struct pw_hist_opts {
	const char	*dir;		/* the directory (made if missing
					 * and the parent exists) */
	uint64_t	 max_bytes;	/* 1 GiB: all tiers, all files */
	int64_t		 minute_keep_ms;	/* 30 days */
	int64_t		 hour_keep_ms;	/* 400 days; events the same */
	int64_t		 fsync_ms;	/* 10 s; 0: fsync every cycle */
	uint64_t	 segment_bytes;	/* 16 MiB, at most max_bytes/16 */
	size_t		 queue_cycles;	/* 32 cycles in the queue */
	size_t		 cache_bytes;	/* 8 MiB of decoded records */
	unsigned	 key_every;	/* a key record every 256 cycles */
	pw_hist_log_fn	*log;		/* NULL: say nothing */
	void		*log_arg;
	pw_hist_clock_fn *clock;	/* NULL: CLOCK_REALTIME */
	void		*clock_arg;
};

/* Thread: any. */
void	pw_hist_opts_init(struct pw_hist_opts *);

/*
 * Open (or create) the history in opts->dir and take its lock file
 * (dir/LOCK, flock, with our pid written in it), then recover: each tier's
 * newest segment is checked record by record and a torn or corrupt tail
 * cut off; older segments are known from their index files (rebuilt by a
 * scan where missing).  Nothing is written until pw_history_start().
 * Returns 0 and *out, or:
 *   -EBUSY: another process holds the lock; *holder (may be NULL) gets
 *    its pid (0 if unknown);
 *   -ENOENT, -EACCES, -EROFS, -ENOTDIR, ...: the directory cannot be used
 *    (the daemon goes memory-only);
 *   -EINVAL: bad options; -ENOMEM.
 * Free with pw_history_close().
 * Thread: main, before the sampler starts.
 */
int	pw_history_open(const struct pw_hist_opts *, struct pw_history **out,
	    pid_t *holder);

/*
 * Start the writer thread.  Returns 0 or -errno (pthread_create).
 * Thread: main.
 */
int	pw_history_start(struct pw_history *);

/*
 * Stop the writer (what is queued is written first), fsync, release the
 * lock and free everything.  NULL is accepted.
 * Thread: main, after the producer and every reader have stopped.
 */
void	pw_history_close(struct pw_history *);

/*
 * A cycle to hand over: values at ts_ms (the commit's wall clock) taken
 * every interval_ms (gaps are judged by it).  NULL when out of memory.
 * Free with pw_hist_cycle_free() (NULL accepted) unless pushed.
 * Thread: any (one thread per cycle).
 */
struct pw_hist_cycle	*pw_hist_cycle_new(int64_t ts_ms, int64_t interval_ms);
void			 pw_hist_cycle_free(struct pw_hist_cycle *);

/*
 * Add one series: vals[0..nvals) by catalogue row (custom: vals[0]),
 * NAN where unknown; rows past nvals are unknown.  The ident's strings
 * are copied.  Returns 0, -EINVAL (nvals too large, a NULL name for a
 * group or custom series) or -ENOMEM.
 * Thread: the cycle's.
 */
int	pw_hist_cycle_add(struct pw_hist_cycle *, const struct pw_hist_ident *,
	    const double *vals, size_t nvals);

/* Add an event (copied).  0, -EINVAL or -ENOMEM.  Thread: the cycle's. */
int	pw_hist_cycle_add_event(struct pw_hist_cycle *,
	    const struct pw_hist_event *);

/*
 * Add every live process sampled at the cycle's time and every group's
 * newest sample from the store, with every catalogue row read through
 * its reader (metric.h), and an "exit" event for each process that went
 * gone since the previous call (pass the same store each cycle).  Takes
 * the store's read lock once; no I/O.  0 or -ENOMEM.
 * Thread: the sampler, after its commit.
 */
int	pw_hist_cycle_from_store(struct pw_hist_cycle *, struct pw_store *);

/*
 * Add the latest value of every custom series that is not stale
 * (procwatch/custom.h), named name{pid="P",...} for a process's series,
 * name{target="T",...} for a target's, then its labels in order: the
 * name a query for it gives.  Takes the custom store's mutex once (via
 * pw_custom_copy()); no I/O.  0 or -ENOMEM.
 * Thread: the sampler, after its commit.
 */
int	pw_hist_cycle_from_custom(struct pw_hist_cycle *, struct pw_custom *);

/*
 * Hand a cycle to the writer; the history owns it from here, whatever
 * the result.  Never blocks beyond a leaf mutex, never does I/O.
 * Returns 0, or -ENOSPC: the queue was full and the cycle is dropped and
 * counted (pw_hist_stats.dropped_queue).
 * Thread: any (procwatchd: the sampler).
 */
int	pw_history_push(struct pw_history *, struct pw_hist_cycle *);

/*
 * Wait until every cycle pushed before the call is written (or failed).
 * For tests and orderly shutdown; 0, or -ETIMEDOUT after timeout_ms.
 * Thread: any but the writer.
 */
int	pw_history_flush(struct pw_history *, int64_t timeout_ms);

/* Figures for /healthz and /metrics. */
struct pw_hist_stats {
	uint64_t	bytes[PW_HIST_NRES];	/* on disk, per tier */
	uint64_t	bytes_events;
	uint64_t	bytes_total;		/* all files */
	uint64_t	max_bytes;
	int64_t		oldest_ms[PW_HIST_NRES];	/* 0: none */
	int64_t		newest_ms;		/* last cycle written */
	uint64_t	segments;
	uint64_t	cycles_written;
	uint64_t	dropped_queue;		/* queue full */
	uint64_t	dropped_write;		/* write failed (disk full, EIO) */
	uint64_t	write_errors;		/* failed write()/fsync() calls */
	bool		write_failing;		/* the last write failed */
	int		last_errno;		/* of the last failure */
	uint64_t	corrupt_skipped;	/* corrupt records skipped */
	uint64_t	torn_cut_bytes;		/* cut off tails at open */
	uint64_t	segments_expired;	/* deleted: budget or age */
	uint64_t	fsyncs;
	size_t		queue_len, queue_cap;
	size_t		cache_bytes, cache_cap;
	/*
	 * The writer's check of the segments found at open is done: it
	 * reads each once after start, between cycles, and reports damage
	 * through the log callback and corrupt_skipped.
	 */
	bool		checked;
};

/* Thread: any. */
void	pw_history_stats(struct pw_history *, struct pw_hist_stats *);

/*
 * Samples of one series.  For a process: (pid, start_time_ms), or with
 * start_time_ms 0 the process that held pid at at_ms (the newest holder
 * in the range when at_ms is 0).  For a group or custom series: name.
 * Points with since_ms <= ts < until_ms; at most `limit` (0: no limit),
 * the newest kept when there are more.
 */
struct pw_hist_query {
	enum pw_hist_kind	 kind;
	pid_t			 pid;
	int64_t			 start_time_ms;
	int64_t			 at_ms;
	const char		*name;
	int64_t			 since_ms, until_ms;
	enum pw_hist_res	 res;
	size_t			 limit;
};

/* A stretch with no sample: from the last before it to the first after. */
struct pw_hist_gap {
	int64_t		from_ms, until_ms;
};

/*
 * A series read back.  Column c of point i is [i * ncols + c].  Raw:
 * val is the value.  Tiers: ts_ms is the bucket's start, val the mean
 * (for rows rolled up as PW_ROLLUP_INCREASE, the increase over the
 * bucket), min/max/last and count (samples with the value known) beside
 * it; NULL for raw.  NAN: unknown.
 */
struct pw_hist_series {
	struct pw_hist_ident	 ident;		/* strings owned here */
	enum pw_hist_res	 res;
	size_t			 ncols;		/* PW_METRIC_NROWS; custom 1 */
	size_t			 n;
	int64_t			*ts_ms;
	double			*val;
	double			*min, *max, *last;
	uint32_t		*count;
	size_t			 ngaps;
	struct pw_hist_gap	*gaps;
	bool			 truncated;	/* more than limit matched */
};

/*
 * Read a series.  Returns 0 and *out (free with pw_hist_series_free()),
 * -ENOENT (no such series in the range), -EINVAL or -ENOMEM.  Corrupt
 * records met are skipped and counted.
 * Thread: any, concurrently with the writer.
 */
int	pw_history_series(struct pw_history *, const struct pw_hist_query *,
	    struct pw_hist_series **out);
void	pw_hist_series_free(struct pw_hist_series *);

/*
 * Column col of series s as roll-up buckets (procwatch/stats.h) into
 * out[0..s->n): a raw point is a bucket of one sample.  Points whose
 * value is unknown (or count 0) are left out.  Returns how many were
 * written.  Thread: any (s is the caller's).
 */
struct pw_bucket;
size_t	pw_hist_series_buckets(const struct pw_hist_series *s, size_t col,
	    struct pw_bucket *out);

/*
 * How far back a tier keeps its data, in ms (the options'
 * minute_keep_ms, hour_keep_ms); raw: as long as the budget allows, the
 * minute tier's reach is returned.  Thread: any.
 */
int64_t	pw_history_reach_ms(const struct pw_history *, enum pw_hist_res);

/*
 * The finest resolution whose points over [since_ms, until_ms) number at
 * most `limit` at the raw interval interval_ms ("auto").  Thread: any.
 */
enum pw_hist_res	pw_hist_res_auto(int64_t since_ms, int64_t until_ms,
			    int64_t interval_ms, size_t limit);

/* One series at a moment. */
struct pw_hist_at_entry {
	struct pw_hist_ident	 ident;		/* strings owned by the set */
	int64_t			 ts_ms;		/* of the sample */
	size_t			 ncols;
	double			*val;		/* ncols; NAN: unknown */
};

struct pw_hist_at {
	int64_t			 at_ms;
	enum pw_hist_res	 res;		/* where it came from */
	size_t			 n;
	struct pw_hist_at_entry	*e;		/* processes by pid, then
						 * groups, then custom */
};

/*
 * Every series present in the cycle at or just before at_ms (within two
 * intervals; from the minute tier, values "last", once raw is gone):
 * the processes alive then, exited since or not, and the groups.
 * Returns 0 and *out (free with pw_hist_at_free()), -ENOENT (nothing
 * recorded then) or -ENOMEM.
 * Thread: any.
 */
int	pw_history_at(struct pw_history *, int64_t at_ms,
	    struct pw_hist_at **out);
void	pw_hist_at_free(struct pw_hist_at *);

/*
 * Events (kind mask: 1 << PW_HIST_EV_*, 0: all) with since_ms <= ts <
 * until_ms, oldest first.  *out is one allocation (free with free());
 * *n its length.  0 or -ENOMEM.
 * Thread: any.
 */
int	pw_history_events(struct pw_history *, int64_t since_ms,
	    int64_t until_ms, unsigned kinds, struct pw_hist_event **out,
	    size_t *n);

/*
 * The alerts firing at at_ms: each one's last "firing" transition at or
 * before it with no "resolved" after it.  As pw_history_events().
 * Thread: any.
 */
int	pw_history_alerts_at(struct pw_history *, int64_t at_ms,
	    struct pw_hist_event **out, size_t *n);

/*
 * A cursor over the raw cycles in time order, for senders that work
 * through a backlog (remote write): each cycle holds every series' sample
 * of that moment, so each series comes out in order.  It starts after
 * after_ms (the position a sender saved; 0: the oldest kept).  If the
 * budget drops cycles ahead of a slow cursor it skips to the oldest kept
 * (pw_hist_cursor_skipped() counts the times).
 * Thread: one thread per cursor, any; concurrently with the writer.
 */
int	pw_hist_cursor_new(struct pw_history *, int64_t after_ms,
	    struct pw_hist_cursor **out);
void	pw_hist_cursor_free(struct pw_hist_cursor *);

/*
 * The next cycle: 1 and *out (borrowed until the next call or the free),
 * 0 when there is none yet (call again later), or -errno.
 * Thread: the cursor's.
 */
int	pw_hist_cursor_next(struct pw_hist_cursor *,
	    const struct pw_hist_cycle **out);
/*
 * The time of the last cycle returned (after_ms before any), and how
 * often the cursor had to skip ahead over cycles the budget dropped.
 * Thread: the cursor's.
 */
int64_t	pw_hist_cursor_pos(const struct pw_hist_cursor *);
uint64_t	pw_hist_cursor_skipped(const struct pw_hist_cursor *);

/*
 * Call fn for every record of tier res with since_ms <= ts < until_ms,
 * oldest first, lending it a cycle (valid for the call) that reads like
 * a raw one: a tier's series hold each row's bucket mean, or for rows
 * rolled up as INCREASE or LAST the bucket's last value (a counter's
 * cumulative count at its end).  fn returns 0 to go on; anything else
 * stops the scan.  Returns 0, -EINVAL or -ENOMEM; corrupt records are
 * skipped and counted.
 * Thread: any, concurrently with the writer.
 */
typedef int pw_hist_scan_fn(void *arg, const struct pw_hist_cycle *);
int	pw_history_scan(struct pw_history *, enum pw_hist_res res,
	    int64_t since_ms, int64_t until_ms, pw_hist_scan_fn *fn,
	    void *arg);

/*
 * Reading a cycle (one from a cursor, or one being built).  Series i of
 * pw_hist_cycle_nseries(): its ident (borrowed from the cycle) and its
 * ncols values.  Thread: the cycle's.
 */
int64_t		 pw_hist_cycle_ts(const struct pw_hist_cycle *);
int64_t		 pw_hist_cycle_interval(const struct pw_hist_cycle *);
size_t		 pw_hist_cycle_nseries(const struct pw_hist_cycle *);
const double	*pw_hist_cycle_series(const struct pw_hist_cycle *, size_t i,
		    const struct pw_hist_ident **id, size_t *ncols);
size_t		 pw_hist_cycle_nevents(const struct pw_hist_cycle *);
const struct pw_hist_event *pw_hist_cycle_event(const struct pw_hist_cycle *,
		    size_t i);
/*
 * Set event i's value where it was learnt after the event was added (an
 * exit's code, or -signal, from the events feed).  0 or -EINVAL.
 * Thread: the cycle's.
 */
int		 pw_hist_cycle_event_set_value(struct pw_hist_cycle *,
		    size_t i, double value);

#endif
