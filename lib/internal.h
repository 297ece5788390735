/*
 * internal.h: definitions shared inside lib/ only.
 *
 * Threads in lib/: the sampler (lib/sampler.c; owns the libproc2
 * context, the known pid table, and is the only writer of the rings),
 * the events thread (lib/events.c) and the profiler (lib/profile.c).
 * The embedder's threads (procwatchd: main, HTTP, notifier, exec sources)
 * call in through the public headers.  The table of all seven, with what
 * each owns, is at the top of daemon/main.c.
 *
 * Lock order, as acquired (a thread may take a lock only if every lock
 * it holds is above it; daemon/main.c numbers the daemon's too):
 *
 *   the alert engine's mtx (lib/alert.c)
 *     may take, under it: the custom series store's mtx (custom metrics
 *     in rules), the events object's mu (how a process ended,
 *     pw_alerts_set_events()) and the monitor's mtx (an OOM kill,
 *     pw_alerts_set_oom())
 *   then leaves, nothing taken under them and never two at once:
 *     the store's lock (store->lock, rwlock)
 *     the custom series store's mtx (lib/custom.c)
 *     the events object's mu (lib/events.c); pw_store_snapshot_pid()
 *       is called only without it
 *     the monitor's mtx (lib/monitor_impl.h); the store's lock is never
 *       taken under it and it is never taken under the store's lock
 *     the profiler's mu (lib/profile.c)
 *     the alert queue's mtx (lib/alertq.c)
 *     the history's mu and qmu and its read cache's mu (lib/history.c,
 *       lib/hist_query.c; never two at once); pw_hist_cycle_from_store()
 *       takes the store's read lock under none of them
 */
#ifndef PW_INTERNAL_H
#define PW_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <procwatch/groupacc.h>
#include <procwatch/procfs.h>
#include <procwatch/ring.h>
#include <procwatch/store.h>

/*
 * One monitored process.  Fields marked (S) belong to the sampler thread
 * and are never read by others; the rest change only under the store's
 * write lock.
 */
struct pw_proc {
	uint64_t		 id;
	pid_t			 pid;
	pid_t			 ppid;
	uid_t			 uid;
	uint64_t		 start_ticks;
	int64_t			 start_time_ms;
	char			 comm[17];
	char			*cmdline;	/* owned */
	char			*user;		/* owned */
	char			*cgroup;	/* owned; NULL when unknown */
	char			*target;	/* owned copy of the target name */
	bool			 alive;
	int64_t			 gone_ms;
	uint64_t		 fd_limit;
	struct pw_pss		 pss;		/* lib/pss.c; ts_ms 0: none */
	struct pw_ring		*ring;
	/* (S) sampler state */
	struct pw_prochandle	 h;
	bool			 keep_open;
	bool			 vanished;	/* gone; the commit publishes it */
	int64_t			 limits_due_ms;
	bool			 has_pending;
	bool			 has_last;	/* pending holds the last sample */
	bool			 has_prev;	/* prev holds the one before */
	unsigned		 delays_dropped; /* pw__delays_check()'s flags */
	struct pw_sample	 pending;
	struct pw_sample	 prev;		/* group accounting's base */
	char			*new_cgroup;	/* re-read, to publish */
	char			 pending_comm[17];
	struct pw_pss		 pss_next;	/* to publish, with: */
	bool			 pss_dirty;
	bool			 pss_chosen;	/* in this round (lib/pss.c) */
};

/* A group's ring of aggregate samples (procwatch/groupacc.h). */
struct pw_store_group {
	char			*name;		/* owned */
	char			*selector;	/* owned */
	size_t			 min_processes, max_processes;
	struct pw_group_sample	*ring;		/* cap entries */
	size_t			 cap, head, len;	/* head: next write */
};

struct pw_store {
	pthread_rwlock_t	 lock;
	size_t			 history;
	long			 hz;
	uint64_t		 mem_total;
	int64_t			 taken_ms;
	uint64_t		 next_id;
	struct pw_proc		**procs;	/* sorted by (pid, id) */
	size_t			 nprocs;
	size_t			 cap;
	struct pw_store_group	*groups;	/* in target order */
	size_t			 ngroups;
};

/* Read up to `size` bytes of an open file: the length, or -errno. */
ssize_t	pw__read_upto(int fd, char *buf, size_t size);

void	pw__store_wrlock(struct pw_store *);
void	pw__store_unlock(struct pw_store *);
/* Under the write lock: insert a new process (takes ownership). */
int	pw__store_insert(struct pw_store *, struct pw_proc *);
/*
 * Under the write lock: free gone processes older than `cutoff_ms`.
 * Returns how many were freed.  With `ids`, their ids are appended to the
 * malloc'd *ids of *nids (best effort when out of memory).
 */
size_t	pw__store_expire(struct pw_store *, int64_t cutoff_ms,
	    uint64_t **ids, size_t *nids);
void	pw__proc_free(struct pw_proc *);
/*
 * Under the write lock: make the groups those of targets[0..n-1] (or one
 * group "all" when n is 0), with rings of st->history samples.  A group
 * whose name stays keeps its samples.  Returns 0 or -ENOMEM (the old
 * groups stay).
 */
struct pw_target;
int	pw__store_set_groups(struct pw_store *, const struct pw_target *,
	    size_t n);
/* Under the write lock: append a sample to group i. */
void	pw__store_group_push(struct pw_store *, size_t i,
	    const struct pw_group_sample *);

struct pw_event;
struct pw_events;
struct pw_taskstats_rec;
/*
 * For tests: an events object with no sockets and no thread (it says it
 * is unavailable), fed by hand with what the thread would have received:
 * a parsed connector event (completed and stamped now, as the thread
 * does) or a taskstats record.  Free with pw_events_free().
 */
struct pw_events	*pw__events_new_idle(struct pw_store *, size_t history);
void			 pw__events_feed(struct pw_events *,
			    struct pw_event *);
void			 pw__events_feed_taskstats(struct pw_events *,
			    const struct pw_taskstats_rec *);

struct pw_alerts;
/*
 * The alert engine's exit lookup: fill reason[len] with how `pid`, alive
 * at `since_ms` (wall clock), ended and return 0, or return -ENOENT.  It
 * runs under the engine's lock from pw_alerts_eval(): quick, and never
 * into the engine.  pw_alerts_set_events() sets it to the events object;
 * tests set a fake with pw__alerts_set_exit_lookup() (fn NULL: none).
 * Thread: any.
 */
typedef int pw__alerts_exit_fn(void *arg, pid_t pid, int64_t since_ms,
    char *reason, size_t len);
void	pw__alerts_set_exit_lookup(struct pw_alerts *, pw__alerts_exit_fn *fn,
	    void *arg);

#endif
