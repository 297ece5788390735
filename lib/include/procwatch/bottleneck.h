/*
 * procwatch/bottleneck.h: which monitored processes (or targets, as
 * groups) are the bottleneck, ranked, each with a sentence a person can
 * act on.
 *
 * DESIGN: ranking is a pure function of per-process window figures
 * (struct pw_bn_proc) and of the host (struct pw_bn_host), so the bands,
 * the skip thresholds and the wording are unit-tested without a store.
 * pw_bottlenecks() fills those figures from a store in one pw_store_each()
 * walk.
 *
 * Impact and severity are separate.  Impact ranks: it is relative (a
 * share of what all monitored subjects use).  Severity says how bad it is
 * in absolute terms, so that it means the same on every host: it comes
 * from shares of what the machine, the cgroup or the process limit
 * allows, and from how long the process waited (README: "Severities").
 *
 *   cpu     cores = CPU seconds / window; capacity = the machine's CPUs,
 *           or the cgroup's cpu.max quota if lower.  critical >= 75 % of
 *           the capacity, high >= 50 %, medium >= 25 % or >= half a core,
 *           else low.  impact = the share of the CPU time of all
 *           monitored processes.  Under 10 ms of CPU is skipped.
 *   memory  share = RSS / the memory limit (the cgroup's if it has one,
 *           else MemTotal): critical >= 90 %, high >= 75 %, medium >=
 *           50 %, else low; raised to the leak's severity when the RSS
 *           grows steadily toward the limit, and (targets) to the
 *           memory_stall severity of PSI.  impact = RSS / the largest
 *           RSS.  Under 1 MiB is skipped.
 *   fds     open / the process's limit: critical >= 90 %, high >= 75 %,
 *           medium >= 50 %; or descriptors growing steadily (see leak),
 *           severity from the time left until the limit at that rate:
 *           critical <= 10 min, high <= 1 h, medium <= 1 day, else low.
 *   leak    sustained growth of RSS (>= 1 MiB) or threads (>= 2), which
 *           pw_bn_is_sustained() decides: the first 30 s of a process's
 *           life are left out; at least 10 points over at least 30 s;
 *           least-squares r^2 >= 0.8 and the slope's 95 % CI above 0;
 *           growth over the span >= 2 % of the current value; and each
 *           third of the span grows, the last at >= 1/4 of the overall
 *           slope (a step followed by a plateau is not a leak).
 *           Severity from the time left until the limit (cgroup limit or
 *           MemTotal) as for fds; threads (no limit) from the growth per
 *           minute relative to the current value: high >= 10 %, medium
 *           >= 1 %.  impact = 600 s / (600 s + time left).
 *   cpu_starved  cpu_delay_percent (runnable but waiting for a CPU; 100
 *           = one thread waited the whole interval) >= 10 on average:
 *           critical >= 80, high >= 50, medium >= 20, else low.
 *   io_blocked   io_delay_percent >= 10: critical >= 90, high >= 60,
 *           medium >= 30, else low.
 *   memory_stall swap-in + reclaim delay (memory_delay_percent,
 *           swapin_delay_percent) of a process, or its target's PSI
 *           memory "some" avg10, >= 5: critical >= 50, high >= 25,
 *           medium >= 10, else low; PSI "full" >= 10 is at least high.
 *   oom     targets: OOM kills in the window, the rise of the members'
 *           kills seen as events or of the cgroup's oom_kill counter
 *           (procwatch/psi.h), whichever is larger: critical.
 *   Targets take cpu_starved, io_blocked and memory_stall from their
 *   cgroup's PSI (cpu, io, memory "some" avg10) with the same bands.
 *
 * Entries are ordered by severity, then impact, then pid.
 *
 * By target (pw_bottleneck_rank_groups()), the same kinds over the
 * groups' rings of aggregate samples (procwatch/groupacc.h), one entry
 * per kind per target, with pid 0 and is_group set.  The CPU time is the
 * growth of the group's cumulative ticks, so members that exited within
 * the window and the children they reaped count.  fds: the worst
 * member's descriptor usage, fd_usage_max, or the group's descriptors
 * growing with the time left until that member's usage reaches 1.  A
 * growing member count shows up as a target's leak too.  Ties are
 * broken by target name.
 */
#ifndef PROCWATCH_BOTTLENECK_H
#define PROCWATCH_BOTTLENECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <procwatch/groupacc.h>
#include <procwatch/stats.h>

struct pw_store;

enum pw_bn_type {
	PW_BN_CPU = 0,
	PW_BN_MEMORY,
	PW_BN_FDS,
	PW_BN_LEAK,
	PW_BN_CHURN,	/* short-lived children: procwatch/events.h */
	PW_BN_CPU_STARVED,
	PW_BN_IO_BLOCKED,
	PW_BN_MEMORY_STALL,
	PW_BN_OOM,
};
#define PW_BN_NTYPES		9

enum pw_severity {
	PW_SEV_LOW = 0,
	PW_SEV_MEDIUM,
	PW_SEV_HIGH,
	PW_SEV_CRITICAL,
};

#define PW_BN_MIN_CPU_S		0.010		/* skip below 10 ms of CPU */
#define PW_BN_MIN_RSS		(1u << 20)	/* skip below 1 MiB */
#define PW_BN_MIN_R2		0.5		/* growth must be steady */
#define PW_BN_TARGET_MAX	65		/* a target name (<= 64) and NUL */
#define PW_BN_TEXT_MAX		320
#define PW_BN_MAX_SUGGESTIONS	4
#define PW_BN_MIN_FD_USAGE	0.5		/* fds entry from here */
#define PW_BN_MIN_DELAY_PCT	10.0	/* cpu_starved, io_blocked from here */
#define PW_BN_MIN_STALL_PCT	5.0	/* memory_stall from here */

/* The leak rule: see the DESIGN note and pw_bn_is_sustained(). */
#define PW_BN_LEAK_WARMUP_S	30.0	/* a process's first seconds: left out */
#define PW_BN_LEAK_MIN_SPAN_S	30.0
#define PW_BN_LEAK_MIN_POINTS	10
#define PW_BN_LEAK_MIN_R2	0.8
#define PW_BN_LEAK_MIN_REL	0.02	/* growth / current value */
#define PW_BN_LEAK_TAIL		0.25	/* last third's slope / overall */

/* What the severities are measured against. */
struct pw_bn_host {
	uint64_t	mem_total;	/* bytes; 0: unknown */
	double		ncpu;		/* online CPUs; 0: unknown */
};

/*
 * How a growth is spread over its span: the least-squares slope of each
 * third of the points (per minute, oldest first).  Filled with the trend
 * by pw_bn_shape_fit(); `known` is false when a third has under 3 points.
 */
struct pw_bn_shape {
	bool		known;
	double		span_s;		/* first to last point fitted */
	double		part_slope[3];
};

/* What is known about one process over the window. */
struct pw_bn_proc {
	pid_t			pid;
	char			name[17];
	char			target[PW_BN_TARGET_MAX];
	double			window_s;	/* the span actually covered */
	double			cpu_s;		/* user + system CPU seconds */
	double			cpu_user_s;
	double			cpu_sys_s;
	uint32_t		threads;	/* newest sample */
	uint64_t		rss_bytes;	/* newest sample */
	uint64_t		swap_bytes;	/* newest sample */
	uint32_t		open_fds;	/* newest sample */
	bool			has_fds;
	uint64_t		fd_limit;	/* 0 or UINT64_MAX: unknown */
	double			invol_ctx_rate;	/* average per second */
	struct pw_trend		rss_trend;	/* per minute, bytes */
	struct pw_trend		fds_trend;
	struct pw_trend		threads_trend;
	struct pw_bn_shape	rss_shape;
	struct pw_bn_shape	fds_shape;
	struct pw_bn_shape	threads_shape;
	double			age_s;		/* newest sample; < 0: unknown */
	double			cpu_limit;	/* cores (cpu.max); 0: none */
	uint64_t		mem_limit;	/* bytes (cgroup); 0: none */
	/* Averages over the window, percent; < 0: unknown. */
	double			cpu_delay_pct;
	double			io_delay_pct;
	double			mem_delay_pct;	/* swap-in + reclaim */
};

/* What is known about one group (a target) over the window. */
struct pw_bn_group {
	char			name[PW_BN_TARGET_MAX];
	double			window_s;	/* the span actually covered */
	double			cpu_s;		/* user + system CPU seconds */
	double			cpu_user_s;
	double			cpu_sys_s;
	double			children_cpu_s;	/* of cpu_s: reaped, unsampled */
	uint32_t		processes;	/* newest sample */
	uint32_t		threads;	/* newest sample */
	uint64_t		rss_bytes;	/* newest sample */
	uint64_t		swap_bytes;	/* newest sample */
	uint64_t		open_fds;	/* newest sample */
	bool			has_fds;
	double			fd_usage_max;	/* newest, 0 .. 1; 0: unknown */
	pid_t			fd_usage_pid;	/* its member; 0: unknown */
	double			invol_ctx_rate;	/* average per second */
	struct pw_trend		rss_trend;	/* per minute, bytes */
	struct pw_trend		fds_trend;
	struct pw_trend		threads_trend;
	struct pw_trend		fd_usage_trend;	/* of fd_usage_max */
	struct pw_bn_shape	rss_shape;
	struct pw_bn_shape	fds_shape;
	struct pw_bn_shape	threads_shape;
	double			cpu_limit;	/* cores (cpu.max); 0: none */
	uint64_t		mem_limit;	/* bytes (cgroup); 0: none */
	/* Pressure of the target's cgroup, avg10 percent; < 0: unknown. */
	double			psi_cpu_some;
	double			psi_io_some;
	double			psi_mem_some;
	double			psi_mem_full;
	double			oom_kills;	/* in the window; < 0: unknown */
};

/* The busiest thread of a process, when someone looked. */
struct pw_bn_thread {
	bool		known;
	pid_t		tid;
	char		name[17];
	double		share;		/* of the process's thread CPU, 0..1 */
	double		cpu_percent;	/* of one core */
	size_t		nthreads;
	const char	*basis;		/* static string: how it was measured */
};

/* The figures an entry was derived from; which are set depends on type. */
struct pw_bn_evidence {
	double			window_s;
	/* cpu */
	double			cpu_s;
	double			cores;		/* cpu_s / window_s */
	double			capacity;	/* cores; 0: unknown */
	bool			capacity_is_quota; /* cgroup cpu.max */
	double			total_cpu_s;
	double			cpu_percent;	/* average, of one core */
	double			user_share;	/* of cpu_s, 0..1 */
	double			invol_ctx_rate;
	uint32_t		threads;
	struct pw_bn_thread	hot;
	/* memory */
	uint64_t		rss_bytes;
	uint64_t		largest_rss_bytes;
	uint64_t		mem_total;
	uint64_t		swap_bytes;
	uint64_t		mem_limit;	/* bytes, what share is of */
	bool			limit_is_cgroup;
	/* cpu_starved, io_blocked, memory_stall: percent */
	double			delay_pct;
	double			psi_some;	/* groups; < 0: unknown */
	double			psi_full;
	/* oom */
	double			oom_kills;
	/* fds, leak */
	const char		*metric;	/* "open_fds", "rss_bytes", "threads" */
	struct pw_trend		trend;
	double			current;
	double			limit;		/* 0: unknown */
	double			time_to_limit_s; /* < 0: unknown */
	double			usage;		/* fds: open / limit; 0 unknown */
	struct pw_bn_shape	shape;		/* leak, fds growth */
	double			growth;		/* over the span, fitted */
	/* groups only */
	uint32_t		processes;	/* newest sample */
	double			children_cpu_s;	/* cpu: of cpu_s */
	double			fd_usage_max;	/* fds: worst member, 0 .. 1 */
	pid_t			fd_usage_pid;	/* fds: that member; 0 unknown */
};

struct pw_bottleneck {
	bool			is_group;	/* target is the subject; pid 0 */
	pid_t			pid;
	char			name[17];
	char			target[PW_BN_TARGET_MAX];
	enum pw_bn_type		type;
	enum pw_severity	severity;
	double			impact;
	char			description[PW_BN_TEXT_MAX];
	char			suggestions[PW_BN_MAX_SUGGESTIONS][PW_BN_TEXT_MAX];
	size_t			nsuggestions;
	struct pw_bn_evidence	ev;
};

/* Thread: any. */
const char	*pw_bn_type_name(enum pw_bn_type);
const char	*pw_severity_name(enum pw_severity);

/*
 * The bands above, exposed for tests and for documentation.
 * cpu: `cores` used (1 = one core busy) of `capacity` cores (0: unknown,
 * then only the half-a-core medium band applies).
 * memory: `share` of the memory limit, 0 .. 1.
 * Thread: any (pure).
 */
enum pw_severity	pw_bn_cpu_severity(double cores, double capacity);
enum pw_severity	pw_bn_memory_severity(double share);
/*
 * time_left_s < 0: unknown, then rel_per_min (growth / current) decides.
 * Thread: any.
 */
enum pw_severity	pw_bn_growth_severity(double time_left_s,
			    double rel_per_min);
/*
 * A process's (groups: the worst member's) fd usage, 0 .. 1; below 0.5
 * is low.  Thread: any.
 */
enum pw_severity	pw_bn_fd_usage_severity(double usage);
/*
 * cpu_starved, io_blocked, memory_stall from their percentages.
 * Thread: any.
 */
enum pw_severity	pw_bn_cpu_delay_severity(double pct);
enum pw_severity	pw_bn_io_delay_severity(double pct);
enum pw_severity	pw_bn_mem_stall_severity(double some_pct,
			    double full_pct);

/*
 * Fit v against t_s (n points, seconds): *trend over all of them, *shape
 * the slope of each third.  Thread: any (pure).
 */
void	pw_bn_shape_fit(const double *t_s, const double *v, size_t n,
	    struct pw_trend *trend, struct pw_bn_shape *shape);

/*
 * The leak rule (DESIGN note): is `t`, spread as `sh`, a sustained growth
 * of at least `min_growth` for a value now at `current`?
 * Thread: any (pure).
 */
bool	pw_bn_is_sustained(const struct pw_trend *t,
	    const struct pw_bn_shape *sh, double current, double min_growth);

/*
 * Rank procs[0..n-1] on `host` (its MemTotal is the memory limit of a
 * process without a cgroup limit; its CPUs the CPU capacity).  On success *out is a malloc'd array of
 * *nout entries (free it with free()), ordered; descriptions and
 * suggestions are written.  Returns 0 or -ENOMEM.
 * Thread: any.
 */
int	pw_bottleneck_rank(const struct pw_bn_proc *procs, size_t n,
	    const struct pw_bn_host *host, struct pw_bottleneck **out,
	    size_t *nout);

/*
 * Rank groups[0..n-1] as above (by target); *out as for
 * pw_bottleneck_rank().  Returns 0 or -ENOMEM.
 * Thread: any.
 */
int	pw_bottleneck_rank_groups(const struct pw_bn_group *groups, size_t n,
	    const struct pw_bn_host *host, struct pw_bottleneck **out,
	    size_t *nout);

/*
 * (Re)write b->description and b->suggestions from b's fields, e.g. after
 * filling b->ev.hot.
 * Thread: any (b is the caller's).
 */
void	pw_bottleneck_describe(struct pw_bottleneck *b);

/*
 * Fill *out with the busiest thread of `pid` (leave out->known false if it
 * cannot be told).  Called without any lock held.
 */
typedef void pw_bn_thread_fn(void *arg, pid_t pid, struct pw_bn_thread *out);

/* What pw_bottlenecks() and pw_bottlenecks_by_target() are asked. */
struct pw_bn_query {
	int64_t		 window_ms;	/* before the store's last commit */
	size_t		 limit;		/* at most this many entries */
	double		 ncpu;		/* the host's CPUs; 0: unknown */
	/*
	 * Where the cgroup limits (cpu.max, memory.max, or v1's
	 * cpu.cfs_quota_us and memory.limit_in_bytes) are read, e.g.
	 * "/sys/fs/cgroup"; NULL: none are.
	 */
	const char	*cgroup_root;
	long		 hz;		/* by target: clock ticks per second */
	/*
	 * By process: when `probe` is not NULL it is asked for the busiest
	 * thread of the first `nprobe` cpu entries, after the walk.
	 */
	pw_bn_thread_fn	*probe;
	void		*arg;
	size_t		 nprobe;
};

/*
 * The number of online CPUs from the "cpuN" lines of ROOT/stat (`root`
 * is a procfs root such as "/proc").  Returns it, or 0 when unknown.
 * Thread: any.
 */
double	pw_bn_read_ncpu(const char *proc_root);

/*
 * The CPU quota (cores) and memory limit (bytes) of cgroup `path` under
 * `root`: cgroup v2's cpu.max and memory.max, or v1's cpu,cpuacct and
 * memory hierarchies; the lowest on the way up to the root counts.  0
 * where there is none or it cannot be read.  Thread: any.
 */
void	pw_bn_read_limits(const char *root, const char *path,
	    double *cpu_limit, uint64_t *mem_limit);

/*
 * Bottlenecks of the live processes of `st` as `q` asks.  *out as for
 * pw_bottleneck_rank().  Returns 0 or -ENOMEM.
 * Thread: any (HTTP).  Reads the cgroup files without any lock held.
 */
int	pw_bottlenecks(struct pw_store *st, const struct pw_bn_query *q,
	    struct pw_bottleneck **out, size_t *nout);

/*
 * Gather the pw_bn_proc figures of one process from its window samples
 * s[0..n-1]; `start_time_ms` (0: unknown) is when it started, for the
 * leak rule's warm-up; t_s and v are scratch arrays of n doubles.
 * Limits are left at 0 (none).  Thread: any.
 */
void	pw_bn_proc_fill(struct pw_bn_proc *p, const char *name,
	    const char *target, pid_t pid, uint64_t fd_limit,
	    int64_t start_time_ms, const struct pw_sample *s, size_t n,
	    double *t_s, double *v);

/*
 * Gather the pw_bn_group figures of group `name` from its window samples
 * g[0..n-1] (oldest first).  `hz` is the clock tick rate of the ticks;
 * `s` is scratch for n samples, t_s and v for n doubles.  Thread: any.
 */
void	pw_bn_group_fill(struct pw_bn_group *p, const char *name,
	    const struct pw_group_sample *g, size_t n, long hz,
	    struct pw_sample *s, double *t_s, double *v);

/*
 * Bottlenecks by target: the groups of `st` as `q` asks (q->hz is the
 * clock tick rate the store's ticks count in), ranked by
 * pw_bottleneck_rank_groups().  *out as for pw_bottleneck_rank().
 * Returns 0 or -ENOMEM.
 * Thread: any (HTTP).
 */
int	pw_bottlenecks_by_target(struct pw_store *st,
	    const struct pw_bn_query *q, struct pw_bottleneck **out,
	    size_t *nout);

#endif
