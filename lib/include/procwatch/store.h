/*
 * procwatch/store.h: every monitored process, its metadata and its ring.
 *
 * DESIGN: the sampler thread is the only writer.  It reads /proc without
 * the store lock and then commits a whole cycle under the write lock in one
 * short pass (pushes only, no I/O, no allocation in steady state).  Readers
 * (HTTP threads) take the read lock just long enough to copy what they need
 * into a snapshot they own, then render without any lock.  The lock prefers
 * the writer, so a stream of readers cannot hold the sampler back longer
 * than one reader's copy.
 */
#ifndef PROCWATCH_STORE_H
#define PROCWATCH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <procwatch/groupacc.h>
#include <procwatch/sample.h>

struct pw_store;

/* One process as copied out for a reader. */
struct pw_proc_view {
	uint64_t	 id;		/* unique per process in this daemon */
	pid_t		 pid;
	pid_t		 ppid;
	uid_t		 uid;
	char		 name[17];	/* comm */
	const char	*target;	/* into the snapshot; "" if none */
	const char	*cmdline;	/* into the snapshot */
	const char	*user;		/* into the snapshot */
	const char	*cgroup;	/* into the snapshot; "" if unknown */
	int64_t		 start_time_ms;	/* wall clock */
	bool		 alive;
	int64_t		 gone_ms;	/* when it was seen gone, else 0 */
	uint64_t	 fd_limit;	/* soft RLIMIT_NOFILE; 0 if unknown */
	struct pw_pss	 pss;		/* ts_ms 0: not read (lib/pss.c) */
	size_t		 nsamples;	/* in its ring */
	size_t		 capacity;
	bool		 has_sample;
	struct pw_sample latest;
};

/*
 * One group (a configured target, or "all" when none is) as copied out:
 * its newest aggregate sample (procwatch/groupacc.h).
 */
struct pw_group_view {
	const char		*name;		/* into the snapshot */
	const char		*selector;	/* into the snapshot, e.g.
						 * "unit demo.service" */
	size_t			 min_processes;	/* 0: no minimum */
	size_t			 max_processes;	/* 0: no maximum */
	size_t			 nsamples;	/* in its ring */
	size_t			 capacity;
	bool			 has_sample;
	struct pw_group_sample	 latest;
};

struct pw_snapshot {
	int64_t			 taken_ms;	/* time of the last commit */
	uint64_t		 mem_total;	/* bytes, for memory % */
	size_t			 n;
	struct pw_proc_view	*procs;		/* ordered by pid, then id */
	size_t			 ngroups;
	struct pw_group_view	*groups;	/* in config order */
};

/*
 * Create an empty store whose rings hold `history` samples each.  `hz` is
 * the clock tick rate.  Returns NULL when out of memory.  Free with
 * pw_store_free(); NULL is accepted.
 * Thread: any; then every function may be called from any thread (the
 * sampler is the only writer).
 */
struct pw_store	*pw_store_new(size_t history, long hz);
void		 pw_store_free(struct pw_store *);

/*
 * Copy every process (and, with `include_gone`, those kept after exit) into
 * a new snapshot.  Returns 0 or -ENOMEM.  Free with pw_snapshot_free().
 * Thread: any.
 */
int	pw_store_snapshot(struct pw_store *, bool include_gone,
	    struct pw_snapshot **out);
/*
 * Snapshot of the process with this pid: the live one if any, else the
 * most recently gone one.  Returns 0, -ENOENT or -ENOMEM.
 * Thread: any (the read lock).
 */
int	pw_store_snapshot_pid(struct pw_store *, pid_t,
	    struct pw_snapshot **out);
void	pw_snapshot_free(struct pw_snapshot *);

/*
 * Copy the samples of process `pid` (chosen as in pw_store_snapshot_pid)
 * newer than `since_ms` (INT64_MIN for all), at most `limit` (the newest
 * ones), oldest first.  *out is malloc'd; *n gets the count and *cap the
 * ring capacity.  Returns 0, -ENOENT or -ENOMEM.
 * Thread: any (the read lock).
 */
int	pw_store_samples(struct pw_store *, pid_t, int64_t since_ms,
	    size_t limit, struct pw_sample **out, size_t *n, size_t *cap);

/*
 * Copy the aggregate samples of group `name` newer than `since_ms`
 * (INT64_MIN for all), at most `limit` (the newest ones), oldest first,
 * like pw_store_samples().  Returns 0, -ENOENT (no such group) or -ENOMEM.
 * Thread: any (the read lock).
 */
int	pw_store_group_samples(struct pw_store *, const char *name,
	    int64_t since_ms, size_t limit, struct pw_group_sample **out,
	    size_t *n, size_t *cap);

/*
 * The group view in snap->groups called `name`, or NULL.
 * Thread: any (the snapshot is the caller's).
 */
const struct pw_group_view *pw_snapshot_group(const struct pw_snapshot *,
	    const char *name);

/*
 * Called by pw_store_each() for each process: `view` (whose strings point
 * into the store) and samples[0..n-1] (oldest first, in a scratch buffer
 * reused for the next process) are valid only during the call.  It runs
 * under the store's read lock, so it must be quick and must not block,
 * take other locks or call back into the store.  A non-zero return stops
 * the walk and is returned by pw_store_each().
 */
typedef int pw_store_visit_fn(const struct pw_proc_view *view,
    const struct pw_sample *samples, size_t n, void *arg);

/*
 * Visit every process (and, with `include_gone`, those kept after exit) in
 * (pid, id) order with its samples newer than `since_ms` (INT64_MIN for
 * all), decoded without copying every ring to the heap: one scratch buffer
 * of `history` samples is allocated per walk.  The read lock is taken and
 * released around each process, so the sampler waits at most for one
 * process's decode and callback, never for the whole walk; a process
 * inserted meanwhile with a lower pid than the walk's position is not
 * visited.  The view's `latest` is the newest sample even when none is in
 * the window.  Returns 0, -ENOMEM, or fn's non-zero value.
 * Thread: any.
 */
int	pw_store_each(struct pw_store *, int64_t since_ms, bool include_gone,
	    pw_store_visit_fn *fn, void *arg);

/*
 * Time of the last commit (0 before the first) and MemTotal in bytes (0 if
 * unknown), read under the lock.  Either pointer may be NULL.
 * Thread: any (the read lock).
 */
void	pw_store_info(struct pw_store *, int64_t *taken_ms,
	    uint64_t *mem_total);

/*
 * Number of live processes and of gone ones still kept.
 * Thread: any (the read lock).
 */
void	pw_store_counts(struct pw_store *, size_t *alive, size_t *gone);

/* Memory % of one sample, given MemTotal in bytes.  Thread: any. */
double	pw_sample_memory_pct(const struct pw_sample *, uint64_t mem_total);

#endif
