/*
 * monitor_impl.h: the monitor's state, shared by the files that make up
 * procwatch/monitor.h, inside lib/ only:
 *
 *   monitor.c   create, free, the read-only accessors, group accumulators
 *   discover.c  which pids exist and which targets select them
 *   cycle.c     one sampling cycle: read, account, commit; cycle figures
 *   collect.c   custom collectors run at the end of a cycle
 *   sampler.c   the thread, its drift-free schedule, start/stop, reload
 *
 * Fields marked (S) belong to the sampler thread (or to whoever calls
 * pw_monitor_cycle() while no thread runs); fields marked (M) are guarded
 * by pw_monitor.mtx; the rest are set by the owner (main) while the
 * sampler is stopped.  lib/internal.h has the lock order.
 */
#ifndef PW_MONITOR_IMPL_H
#define PW_MONITOR_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <procwatch/custom.h>
#include <procwatch/group.h>
#include <procwatch/groupacc.h>
#include <procwatch/monitor.h>
#include <procwatch/oom.h>
#include <procwatch/psi.h>
#include <procwatch/source.h>

#include "internal.h"

#define PW__STATS_WINDOW	1024	/* cycles kept for p50/p99 */

/* A pid present in the procfs root, matched or not. */
struct pw__known {
	pid_t		 pid;
	pid_t		 ppid;
	uint64_t	 start_ticks;
	int		 target;	/* index of the matching target, or -1 */
	bool		 direct;	/* matched by itself, not as a child */
	bool		 seen;		/* listed this cycle */
	int64_t		 recheck_ms;	/* when to describe an unmatched pid again */
	unsigned	 recheck_step_ms;
	struct pw_proc	*proc;		/* when monitored */
};

/* A process due for a PSS read in this round (lib/pss.c). */
struct pw__pss_entry {
	pid_t		 pid;
	/* The process's start: a reused pid is not it (a new process has
	 * no store id before its first commit). */
	uint64_t	 start_ticks;
	uint64_t	 rss_bytes;	/* when chosen */
};

/* monitor_oom.c: a group's cgroup and the OOM kills of its processes. */
#define PW__OOM_RECENT	16		/* kill times kept per group */
struct pw__ogroup {
	char		*cgpath;	/* owned; NULL: none (yet) */
	uint64_t	 kills;		/* OOM kills of members, in all */
	int64_t		 recent[PW__OOM_RECENT];	/* ring of kill times */
	size_t		 nrecent, pos;
};

/* A collector added with pw_monitor_add_source(). */
struct pw__msource {
	char		 name[PW_CUSTOM_SOURCE_MAX + 1];
	unsigned	 flags;
	pw_collect_fn	*fn;
	void		*arg;
};

struct pw_monitor {
	struct pw_monitor_config cfg;		/* (M) when written */
	struct pw_procfs	*fs;		/* immutable */
	struct pw_source	*src;		/* (S) */
	struct pw_store		*store;		/* its own lock */
	long			 hz;
	int64_t			 btime_ms;
	int64_t			 mem_due_ms;	/* (S) */

	/* (S) one accumulator and sample per group, in target order */
	struct pw_groupacc	**accs;
	struct pw_group_sample	*gsamples;
	size_t			 naccs;
	bool			 groups_ok;	/* the store's groups match */

	/* (S) discover.c */
	struct pw__known	*known;		/* sorted by pid */
	size_t			 nknown, capknown;
	pid_t			*pidfile_pids;	/* per target, this cycle */
	pw_discover_fn		*discover;
	void			*discover_arg;
	int64_t			 listed_ms;	/* last listing of /proc */
	uint64_t		 listings;

	/* (S) monitor_oom.c; ogroups in target order, like accs */
	struct pw_oom		*oom;
	struct pw_cgfs		 cgfs;
	int64_t			 cgfs_due_ms;
	struct pw__ogroup	*ogroups;
	pw_exit_lookup_fn	*exit_fn;
	void			*exit_arg;
	/* (M) the newest OOM kills, a ring */
	struct pw_oom_kill	*oomk;		/* PW_MONITOR_OOM_KEPT */
	size_t			 noomk, oomk_pos;
	uint64_t		 oomk_total;

	/* collect.c */
	struct pw_custom	*custom;	/* borrowed; may be NULL */
	struct pw__msource	*srcs;
	size_t			 nsrcs;

	/* sampler.c */
	struct pw_alerts	*alerts;	/* borrowed; may be NULL */
	struct pw_alertq	*alertq;	/* borrowed; may be NULL */
	pw_cycle_fn		*hook;
	void			*hook_arg;
	pthread_t		 thread;
	bool			 running;
	pthread_mutex_t		 mtx;		/* guards stop, cfg and (M) */
	pthread_cond_t		 cond;		/* on CLOCK_MONOTONIC */
	bool			 stop;		/* (M) */
	_Atomic uint64_t	 last_cycle_ns;

	/* (S) cycle.c */
	struct pw_taskstats	*ts;		/* NULL: not available */
	struct pw_delay_src	 delays;	/* m->fs borrows it */
	/*
	 * When kernel.task_delayacct was last seen off (INT64_MIN: never),
	 * and since when it is known on (INT64_MIN: off, or not yet looked
	 * at in a cycle): pw__delays_check()'s bound.
	 */
	int64_t			 delays_off_ms;
	int64_t			 delays_on_since_ms;
	uint64_t		 idle_skips;	/* samples of idle processes */
	size_t			 fds_kept;	/* by the handles, this cycle */
	size_t			 fds_budget;
	uint64_t		 expired;	/* processes dropped, in all */

	/* (S) pss.c: this round's processes, biggest RSS first */
	struct pw__pss_entry	*pss_queue;
	size_t			 pss_n, pss_pos, pss_cap;
	size_t			 pss_per_cycle;	/* reads due each cycle */
	int64_t			 pss_due_ms;	/* the next round */
	uint64_t		 pss_reads, pss_denied, pss_ns;

	/* (M) cycle statistics */
	struct pw_monitor_stats	 st;
	uint64_t		 cycle_ns[PW__STATS_WINDOW];
	uint64_t		 jitter_ns[PW__STATS_WINDOW];
	size_t			 nwin, winpos;
};

/* The name of target i of `c`: PW_GROUP_ALL when it has none. */
static inline const char *
pw__monitor_target_name(const struct pw_monitor_config *c, size_t i)
{
	return c->ntargets == 0 ? PW_GROUP_ALL : c->targets[i].name;
}

/*
 * monitor.c: the accumulators for the targets of `cfg`, in its order;
 * those of groups whose name stays carry on.  0 or -ENOMEM (m untouched).
 * Thread: the owner's, while the sampler is stopped.
 */
int	pw__monitor_accs_make(struct pw_monitor *,
	    const struct pw_monitor_config *);

/*
 * discover.c, in the order a cycle calls them.  pids lists this cycle's
 * pids (from the discovery feed or a listing of /proc; *news are the
 * feed's own, both malloc'd for the caller to free); merge folds them into
 * the known table and reads the pidfiles; resolve describes and matches
 * the pids that are due and hands back the new monitored processes in a
 * malloc'd *fresh.  0 or a negative errno.  Thread: sampler.
 */
int	pw__discover_pids(struct pw_monitor *, int64_t now_ms, pid_t **pids,
	    size_t *n, pid_t **news, size_t *nnews, bool *listing);
int	pw__discover_merge(struct pw_monitor *, const pid_t *pids, size_t n,
	    const pid_t *news, size_t nnews, bool listing);
int	pw__discover_resolve(struct pw_monitor *, int64_t now_ms,
	    struct pw_proc ***fresh, size_t *nfresh);
/* The known entry of pid, or NULL.  Thread: sampler. */
struct pw__known *pw__discover_find(struct pw_monitor *, pid_t);
/* Mark k's process gone (the commit publishes it).  Thread: sampler. */
void	pw__discover_gone(struct pw_monitor *, struct pw__known *);
/* Drop processes that left their cgroup or unit target.  Thread: sampler. */
void	pw__discover_moved_cgroups(struct pw_monitor *);
/*
 * After m->cfg changed: match every known pid afresh, move the rings to
 * their new targets and sizes, set the store's groups.
 * Thread: main, while the sampler is stopped.
 */
void	pw__discover_retarget(struct pw_monitor *);

/*
 * monitor_oom.c.  groups: the per-group state for n groups, afresh (0 or
 * -ENOMEM, m untouched); fini frees it all.  note_exit: k's process is
 * gone by itself (not dropped by a reload); call before
 * pw__discover_gone().  cycle: read the groups' cgroups and the system
 * counter, find the OOM kills, fill the groups' samples; after
 * account_groups, before the commit.  Thread: sampler (groups and fini:
 * the owner, while the sampler is stopped).
 */
int	pw__oom_groups(struct pw_monitor *, size_t n);
void	pw__oom_fini(struct pw_monitor *);
void	pw__oom_note_exit(struct pw_monitor *, const struct pw__known *);
void	pw__oom_cycle(struct pw_monitor *, int64_t now_ms);

/* collect.c: run the collectors, age the custom series.  Thread: sampler. */
void	pw__collect_run(struct pw_monitor *, int64_t now_ms);

/*
 * pss.c: the PSS reads due this cycle, after the samples (which rank the
 * processes by RSS) and before the commit (which publishes the values):
 * at most pss_per_cycle and a small time budget per cycle.
 * Thread: sampler.
 */
void	pw__pss_cycle(struct pw_monitor *, int64_t now_ms);

/* cycle.c: count a cycle's duration and start lateness.  Thread: sampler. */
void	pw__cycle_record(struct pw_monitor *, uint64_t dur_ns,
	    uint64_t late_ns);

/*
 * Re-read kernel.task_delayacct into the delay source and the stats, at
 * cycle time now_ms (INT64_MIN: outside a cycle).
 * Thread: the sampler, or the owner while no sampler thread runs.
 */
void	pw__monitor_delays_refresh(struct pw_monitor *, int64_t now_ms);

#endif
