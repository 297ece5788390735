/*
 * procwatch/bottleneck.h: which monitored processes (or targets, as
 * groups) are the bottleneck, ranked, each with a sentence a person can
 * act on.
 *
 * DESIGN: ranking is a pure function of per-process window figures
 * (struct pw_bn_proc), so the bands, the skip thresholds and the wording
 * are unit-tested without a store.  pw_bottlenecks() fills those figures
 * from a store in one pw_store_each() walk.  Four kinds of entry:
 *
 *   cpu     impact = the process's CPU time over the window / the CPU time
 *           of all monitored processes; critical > 0.5, high > 0.2,
 *           medium > 0.1, else low; under 10 ms of CPU is skipped.
 *   memory  impact = RSS / the largest RSS; critical > 0.7, high > 0.4,
 *           medium > 0.2, else low; under 1 MiB is skipped.
 *   fds     open descriptors on a growing trend (slope CI above 0,
 *   leak    r^2 >= 0.5, at least 2 more over the window); leak is RSS
 *           (at least 1 MiB more) or thread count.  Severity from the
 *           time left until the limit (fd limit, MemTotal) at that rate:
 *           critical <= 10 min, high <= 1 h, medium <= 1 day, else low;
 *           with no known limit, from the growth per minute relative to
 *           the current value: high >= 10 %, medium >= 1 %, else low.
 *           impact = 600 s / (600 s + time left), or that relative growth.
 *
 * Entries are ordered by severity, then impact, then pid.
 *
 * By target (pw_bottleneck_rank_groups()), the same kinds over the
 * groups' rings of aggregate samples (procwatch/groupacc.h), one entry
 * per kind per target, with pid 0 and is_group set:
 *
 *   cpu     impact = the target's CPU time / that of all targets, same
 *           bands.  The CPU time is the growth of the group's cumulative
 *           ticks, so members that exited within the window and the
 *           children they reaped count.
 *   memory  impact = the target's RSS (sum) / the largest target's.
 *   fds     the worst member's descriptor usage, fd_usage_max: critical
 *           >= 0.9, high >= 0.75, medium >= 0.5 (under 0.5 no entry),
 *           impact = that usage; or the group's open descriptors on a
 *           growing trend as for a process, with the time left until the
 *           worst member's usage reaches 1 at its own trend's rate.  The
 *           higher severity (then impact) of the two is kept.
 *   leak    the group's RSS or thread count on a growing trend, as for a
 *           process; a growing member count shows up here too.
 *
 * Ties are broken by target name.
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
};

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
#define PW_BN_MIN_FD_USAGE	0.5		/* groups: fds entry from here */

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
	/* fds, leak */
	const char		*metric;	/* "open_fds", "rss_bytes", "threads" */
	struct pw_trend		trend;
	double			current;
	double			limit;		/* 0: unknown */
	double			time_to_limit_s; /* < 0: unknown */
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
 * Thread: any (pure).
 */
enum pw_severity	pw_bn_cpu_severity(double impact);
enum pw_severity	pw_bn_memory_severity(double impact);
/*
 * time_left_s < 0: unknown, then rel_per_min (growth / current) decides.
 * Thread: any.
 */
enum pw_severity	pw_bn_growth_severity(double time_left_s,
			    double rel_per_min);
/*
 * Groups: the worst member's fd usage (0 .. 1); below 0.5 is low.
 * Thread: any.
 */
enum pw_severity	pw_bn_fd_usage_severity(double usage);

/*
 * Rank procs[0..n-1].  `mem_total` (bytes, 0 unknown) is the limit RSS
 * growth is measured against.  On success *out is a malloc'd array of
 * *nout entries (free it with free()), ordered; descriptions and
 * suggestions are written.  Returns 0 or -ENOMEM.
 * Thread: any.
 */
int	pw_bottleneck_rank(const struct pw_bn_proc *procs, size_t n,
	    uint64_t mem_total, struct pw_bottleneck **out, size_t *nout);

/*
 * Rank groups[0..n-1] as above (by target); *out as for
 * pw_bottleneck_rank().  Returns 0 or -ENOMEM.
 * Thread: any.
 */
int	pw_bottleneck_rank_groups(const struct pw_bn_group *groups, size_t n,
	    uint64_t mem_total, struct pw_bottleneck **out, size_t *nout);

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

/*
 * Bottlenecks of the live processes of `st` over the last `window_ms`
 * before the store's last commit, at most `limit` entries.  When `probe`
 * is not NULL it is asked for the busiest thread of the first `nprobe` cpu
 * entries, after the walk.  *out as for pw_bottleneck_rank().  Returns 0
 * or -ENOMEM.
 * Thread: any (HTTP).
 */
int	pw_bottlenecks(struct pw_store *st, int64_t window_ms, size_t limit,
	    pw_bn_thread_fn *probe, void *arg, size_t nprobe,
	    struct pw_bottleneck **out, size_t *nout);

/*
 * Gather the pw_bn_proc figures of one process from its window samples
 * s[0..n-1]; t_s and v are scratch arrays of n doubles.  Thread: any.
 */
void	pw_bn_proc_fill(struct pw_bn_proc *p, const char *name,
	    const char *target, pid_t pid, uint64_t fd_limit,
	    const struct pw_sample *s, size_t n, double *t_s, double *v);

/*
 * Gather the pw_bn_group figures of group `name` from its window samples
 * g[0..n-1] (oldest first).  `hz` is the clock tick rate of the ticks;
 * `s` is scratch for n samples, t_s and v for n doubles.  Thread: any.
 */
void	pw_bn_group_fill(struct pw_bn_group *p, const char *name,
	    const struct pw_group_sample *g, size_t n, long hz,
	    struct pw_sample *s, double *t_s, double *v);

/*
 * Bottlenecks by target: the groups of `st` over the last `window_ms`
 * before the store's last commit, at most `limit` entries, ranked by
 * pw_bottleneck_rank_groups().  `hz` is the clock tick rate the store's
 * ticks count in.  *out as for pw_bottleneck_rank().  Returns 0 or
 * -ENOMEM.
 * Thread: any (HTTP).
 */
int	pw_bottlenecks_by_target(struct pw_store *st, int64_t window_ms,
	    size_t limit, long hz, struct pw_bottleneck **out, size_t *nout);

#endif
