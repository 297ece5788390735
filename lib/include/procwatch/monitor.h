/*
 * procwatch/monitor.h: the embedding API.  A monitor owns a store and the
 * sampler thread that fills it on a drift-free schedule.
 */
#ifndef PROCWATCH_MONITOR_H
#define PROCWATCH_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <procwatch/custom.h>
#include <procwatch/store.h>
#include <procwatch/target.h>

#define PW_DEFAULT_INTERVAL_MS	1000
#define PW_DEFAULT_HISTORY	1000
#define PW_DEFAULT_RETENTION_MS	300000
#define PW_DEFAULT_LIMITS_MS	60000
#define PW_DEFAULT_PSS_EVERY_MS	60000
#define PW_DEFAULT_PSS_TOP	20
#define PW_DEFAULT_OOM_ALERT_MS	300000

struct pw_monitor_config {
	unsigned		 interval_ms;	/* 10 .. 3600000 */
	size_t			 history;	/* samples per process, >= 2 */
	unsigned		 retention_ms;	/* keep gone processes this long */
	unsigned		 limits_every_ms; /* re-read fd limits this often */
	/*
	 * PSS, USS and swap PSS (procwatch/smaps.h) of the pss_top processes
	 * by RSS (0: none), each read once every pss_every_ms, the reads
	 * spread over that period (lib/pss.c).
	 */
	unsigned		 pss_every_ms;
	unsigned		 pss_top;
	const char		*proc_root;	/* NULL: "/proc" */
	bool			 use_libproc2;	/* describe processes via libproc2 */
	bool			 keep_open;	/* keep /proc descriptors open */
	/*
	 * At most this many descriptors kept open across cycles; 0: auto,
	 * three quarters of the soft RLIMIT_NOFILE (at least 256 short of
	 * it), so sockets, pipes and files of the rest of the daemon never
	 * meet EMFILE.  Past it, processes are read with open/read/close.
	 */
	size_t			 max_open_fds;
	/*
	 * Run the sampler thread SCHED_FIFO at priority 1, so that a busy
	 * machine (or a flood of HTTP requests) cannot delay a cycle's start
	 * by a scheduler slice.  Needs CAP_SYS_NICE (or RLIMIT_RTPRIO); the
	 * kernel's RT throttling still bounds it.  Off by default: a monitor
	 * should not preempt the workload it watches unless asked to.
	 */
	bool			 realtime;
	/*
	 * Ask taskstats for each process's delays (procwatch/delay.h) when
	 * it can be had (CAP_NET_ADMIN, the real /proc).  Default on.
	 */
	bool			 delay_taskstats;
	/*
	 * A group's oom_kills_recent counts the OOM kills of its processes
	 * within this long, so the oom_killed alert resolves by itself once
	 * it has passed with no other kill.
	 */
	unsigned		 oom_alert_ms;
	const struct pw_target	*targets;	/* borrowed for the monitor's life */
	size_t			 ntargets;	/* 0: every process ("all") */
	/*
	 * Command lines are redacted where a process is first recorded
	 * (procwatch/redact.h) with these words (borrowed like targets;
	 * NULL: the defaults), unless cmdline_plain.  Selectors match the
	 * command line as the kernel has it.
	 */
	bool			 cmdline_plain;
	const char *const	*redact_words;
	size_t			 nredact_words;
};

/*
 * Fill `c` with the built-in defaults (all processes, 1 s, 1000 samples).
 * Thread: any.
 */
void	pw_monitor_config_defaults(struct pw_monitor_config *c);

/* Figures about the monitor itself, for /metrics and /healthz. */
struct pw_monitor_stats {
	uint64_t	cycles;
	uint64_t	samples;		/* process samples stored */
	uint64_t	samples_unchanged;	/* of those, idle: 2 reads only */
	uint64_t	listings;		/* cycles that listed /proc */
	uint64_t	fds_kept;		/* /proc descriptors held open */
	uint64_t	fds_budget;		/* the most it may hold */
	uint64_t	sample_errors;		/* reads that failed, not ESRCH */
	uint64_t	vanished;		/* processes gone mid-read */
	uint64_t	procs_expired;		/* gone ones dropped after retention */
	uint64_t	pss_reads;		/* smaps_rollup reads (lib/pss.c) */
	uint64_t	pss_denied;		/* of those, refused (EACCES) */
	uint64_t	pss_ns_total;		/* wall time they took */
	uint64_t	cycle_ns_total;		/* wall time spent in cycles */
	uint64_t	cycle_ns_last;
	uint64_t	cycle_ns_p50;		/* over the last 1024 cycles */
	uint64_t	cycle_ns_p99;
	uint64_t	jitter_ns_p99;		/* start lateness, last 1024 */
	uint64_t	jitter_ns_max;
	bool		realtime;		/* the sampler runs SCHED_FIFO */
	/* Delays (procwatch/delay.h): where they come from, and why not. */
	bool		delay_taskstats;	/* taskstats queries work */
	int		delayacct;		/* task_delayacct: 1 on, 0 off,
						 * -errno unknown */
	char		delay_reason[160];	/* why taskstats is not used */
	char		delayacct_note[160];	/* pw_monitor_set_delay_note() */
	int		realtime_error;		/* asked for, refused: -errno */
	size_t		targets;		/* configured targets */
	size_t		procs_alive;
	size_t		procs_gone;
	unsigned	interval_ms;
	int64_t		started_ms;
};

struct pw_monitor;

/*
 * Called by the sampler thread after each committed cycle.  It must be
 * quick: it delays the next cycle.
 */
typedef void pw_cycle_fn(struct pw_monitor *, int64_t now_ms, void *arg);

/*
 * Create a monitor (no thread yet).  Returns NULL and sets *err to a
 * negative errno on failure.  Free with pw_monitor_free() (stops it first).
 * Thread: main (the owner), never the sampler.
 */
struct pw_monitor	*pw_monitor_new(const struct pw_monitor_config *,
			    int *err);
void			 pw_monitor_free(struct pw_monitor *);

/*
 * Run one sampling cycle now at wall time `now_ms` (tests, the thread).
 * Thread: sampler, or the owner while no sampler thread runs.
 */
int	pw_monitor_cycle(struct pw_monitor *, int64_t now_ms);

/*
 * Apply a new configuration without losing history.  Processes still
 * selected keep their rings (resized to the new history) and move to the
 * target that now selects them; those no longer selected are marked gone;
 * every other pid is looked at again in the next cycle.  proc_root and
 * use_libproc2 keep their old values.  The sampler thread, if running, is
 * paused for the swap and restarted.  `cfg->targets` is borrowed from now
 * on.  Returns 0 or a negative errno, with the old configuration in force.
 * Thread: main, never the sampler (not from the cycle hook).
 */
int	pw_monitor_reload(struct pw_monitor *, const struct pw_monitor_config *);

/*
 * Where new pids come from between listings of /proc (the events feed's
 * pw_events_take_pids()): fn hands over a malloc'd array of pids that
 * forked or exec'd since its last call and says whether it is complete.
 * While it is, the sampler lists /proc only every PW_LISTING_EVERY_MS, to
 * reconcile; otherwise every cycle, as without one.  Exec'd pids that
 * matched no target are looked at again at once.  NULL: list every cycle.
 * Thread: main, while the sampler is stopped.
 */
#define PW_LISTING_EVERY_MS	10000
typedef int pw_discover_fn(void *arg, pid_t **pids, size_t *n,
    bool *complete);
void	pw_monitor_set_discovery(struct pw_monitor *, pw_discover_fn *,
	    void *arg);

/*
 * How a watched process ended, from the events feed (pw_events_exit_of()):
 * fn returns 0 and sets *signal (0: it exited by itself) and *exit_ms
 * (wall clock) for the newest exit of `pid` at or after `since_ms`, or
 * -ENOENT.  The OOM detector (procwatch/oom.h) then takes only SIGKILL
 * exits.  NULL: the signal is unknown.  fn runs on the sampler and must
 * be quick.
 * Thread: main, while the sampler is stopped.
 */
typedef int pw_exit_lookup_fn(void *arg, pid_t pid, int64_t since_ms,
    int *signal, int64_t *exit_ms);
void	pw_monitor_set_exit_lookup(struct pw_monitor *, pw_exit_lookup_fn *,
	    void *arg);

/*
 * The newest OOM kills of watched processes (procwatch/oom.h), oldest
 * first, in a malloc'd *out of *n (free()), at most PW_MONITOR_OOM_KEPT;
 * *total (if not NULL) counts every one since the start.  0 or -ENOMEM.
 * Thread: any.
 */
#define PW_MONITOR_OOM_KEPT	256
struct pw_oom_kill;
int	pw_monitor_oom_kills(struct pw_monitor *, struct pw_oom_kill **out,
	    size_t *n, uint64_t *total);
/*
 * The newest OOM kill of `pid` at or after `since_ms` into *out: 0, or
 * -ENOENT.  Takes only the monitor's mutex.  Thread: any.
 */
int	pw_monitor_oom_of(struct pw_monitor *, pid_t pid, int64_t since_ms,
	    struct pw_oom_kill *out);

/*
 * Evaluate the rules of `alerts` after every committed cycle, on the
 * sampler thread (a store snapshot, then pw_alerts_eval()), and push the
 * transitions into `q` for a consumer on another thread to deliver; a
 * full queue drops and counts them, it never delays sampling.  Both are
 * borrowed and must outlive the monitor or be detached with NULL, NULL.
 * Evaluation comes before the cycle hook.
 * Thread: main, while the sampler is stopped.
 */
struct pw_alerts;
struct pw_alertq;
void	pw_monitor_set_alerts(struct pw_monitor *, struct pw_alerts *,
	    struct pw_alertq *);

/*
 * Start / stop the sampler thread.  Stop wakes it at once and joins it.
 * The cycle hook runs on the sampler after each cycle and its evaluation;
 * set it while the sampler is stopped.
 * Thread: main (the owner), never the sampler.
 */
int	pw_monitor_start(struct pw_monitor *);
void	pw_monitor_stop(struct pw_monitor *);
void	pw_monitor_set_cycle_hook(struct pw_monitor *, pw_cycle_fn *, void *);

/*
 * Monotonic time (ns) of the sampler's last completed cycle: a watchdog
 * tells a stuck sampler by it.  0 before the first cycle.
 * Thread: any.
 */
uint64_t	pw_monitor_last_cycle_ns(struct pw_monitor *);

/*
 * The threads of `pid` read now from the monitor's procfs root (see
 * pw_procfs_list_threads()), with the wall-clock start of each in
 * start_ms[] (a parallel array).  *out and *start_ms are malloc'd; free
 * both.  *hz gets the clock tick rate.  Returns 0, -ESRCH or -ENOMEM.
 * Thread: any; it only reads /proc and the monitor's immutable fields.
 */
struct pw_thread_stat;
int	pw_monitor_threads(struct pw_monitor *, pid_t pid,
	    struct pw_thread_stat **out, int64_t **start_ms, size_t *n,
	    long *hz);

/*
 * The memory of `pid` read now from the monitor's procfs root, on
 * demand: the totals of smaps_rollup (exact PSS) into *tot, and from
 * smaps how many mappings it has and the `limit` largest by PSS
 * (procwatch/smaps.h; *maps malloc'd, free it).  Returns 0 or the errors
 * of pw_smaps_read_rollup() and pw_smaps_read_maps(): -ESRCH (no such
 * process), -ENODATA (no address space), -EACCES/-EPERM (refused),
 * -ENOMEM.  Thread: any; it only reads /proc (lib/pss.c).
 */
struct pw_smaps_totals;
struct pw_smaps_map;
int	pw_monitor_memory(struct pw_monitor *, pid_t pid, size_t limit,
	    struct pw_smaps_totals *tot, size_t *nmaps,
	    struct pw_smaps_map **maps, size_t *n);

/*
 * Attach a custom series store (borrowed; it must outlive the monitor, or
 * be detached with NULL while the sampler is stopped).  Each cycle then
 * ends by running the sources added with pw_monitor_add_source() and
 * expiring stale series.  pw_monitor_custom() returns it (NULL if none).
 * Thread: main, while the sampler is stopped.
 */
void			 pw_monitor_set_custom(struct pw_monitor *,
			    struct pw_custom *);
struct pw_custom	*pw_monitor_custom(struct pw_monitor *);

#define PW_MONITOR_SOURCES_MAX	64

/*
 * Add a collector (procwatch/custom.h) called at the end of every cycle
 * on the sampler thread: once host-wide, or once per target with
 * PW_COLLECT_PER_TARGET ("all" when every process is monitored).  Its
 * values become series written by source `name` (copied; at most
 * PW_CUSTOM_SOURCE_MAX bytes).  Returns 0, -EINVAL (bad name or flags, no
 * custom store attached), -ENOSPC past PW_MONITOR_SOURCES_MAX.
 * Thread: main, while the sampler is stopped.
 */
int	pw_monitor_add_source(struct pw_monitor *, const char *name,
	    unsigned flags, pw_collect_fn *fn, void *arg);

/*
 * What the owner did about kernel.task_delayacct, in words, for /healthz
 * and the catalogue ("turned on by delay_accounting \"auto\"", or why
 * it is off).  Copied (truncated to fit).
 * Thread: main (the owner).
 */
void		 pw_monitor_set_delay_note(struct pw_monitor *, const char *);

/*
 * The monitor's store (borrowed, lives as long as the monitor; see
 * procwatch/store.h for its locking) and a copy of its figures.
 * Thread: any.
 */
struct pw_store	*pw_monitor_store(struct pw_monitor *);
void		 pw_monitor_get_stats(struct pw_monitor *,
		    struct pw_monitor_stats *);
/*
 * The configuration in force.  Thread: the owner's (main) thread, or the
 * sampler's; a reload replaces it, so other threads use the two below.
 */
const struct pw_monitor_config *pw_monitor_config(const struct pw_monitor *);

/*
 * Copies of the configured target names (none for the implicit "all"),
 * consistent even while a reload runs.  Free with pw_monitor_names_free().
 * 0 or -ENOMEM.  Thread: any.
 */
int	pw_monitor_target_names(struct pw_monitor *, char ***names, size_t *n);
void	pw_monitor_names_free(char **names, size_t n);
/* The sampling interval in force.  Thread: any. */
unsigned pw_monitor_interval_ms(struct pw_monitor *);

#endif
