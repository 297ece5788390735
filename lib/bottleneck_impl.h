/*
 * bottleneck_impl.h: what the bottleneck files share, inside lib/ only:
 * lib/bottleneck.c (ranking, store queries), bottleneck_entry.c (the
 * entry builders), bottleneck_leak.c (the leak rule), bottleneck_limits.c
 * (cgroup limits) and bottleneck_text.c (sentences).
 */
#ifndef PW_BOTTLENECK_IMPL_H
#define PW_BOTTLENECK_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <procwatch/bottleneck.h>
#include <procwatch/stats.h>

struct pw_group_view;
struct pw_snapshot;

#define MIB		(1024.0 * 1024.0)
#define GROWTH_MIN_RSS	(1024.0 * 1024.0)	/* bytes over the window */
#define GROWTH_MIN_N	2.0			/* fds, threads */
#define HOT_SHARE	0.6			/* "one hot thread" */

/*
 * What a process and a group are ranked on alike: the cpu, memory and
 * leak entries are built from these only, so the two rankings cannot
 * drift apart.  The trends are borrowed from the pw_bn_proc or
 * pw_bn_group.
 */
struct pw__bn_figures {
	double			 window_s;
	double			 cpu_s;
	double			 cpu_user_s;
	double			 invol_ctx_rate;
	uint32_t		 threads;
	uint64_t		 rss_bytes;
	uint64_t		 swap_bytes;
	double			 cpu_limit;
	uint64_t		 mem_limit;
	const struct pw_trend	*rss_trend;
	const struct pw_trend	*threads_trend;
	const struct pw_bn_shape *rss_shape;
	const struct pw_bn_shape *threads_shape;
};

/*
 * The figures of x, a pw_bn_proc or a pw_bn_group: both name them alike,
 * so one initializer serves the two types.
 */
#define PW__BN_FIGURES_OF(x) {						\
	.window_s = (x)->window_s,					\
	.cpu_s = (x)->cpu_s,						\
	.cpu_user_s = (x)->cpu_user_s,					\
	.invol_ctx_rate = (x)->invol_ctx_rate,				\
	.threads = (x)->threads,					\
	.rss_bytes = (x)->rss_bytes,					\
	.swap_bytes = (x)->swap_bytes,					\
	.cpu_limit = (x)->cpu_limit,					\
	.mem_limit = (x)->mem_limit,					\
	.rss_trend = &(x)->rss_trend,					\
	.threads_trend = &(x)->threads_trend,				\
	.rss_shape = &(x)->rss_shape,					\
	.threads_shape = &(x)->threads_shape,				\
}

/* Over all subjects: what the cpu and memory impacts are shares of. */
struct pw__bn_totals {
	double			 cpu_s;
	uint64_t		 largest_rss;
};

/* --- bottleneck_leak.c ---------------------------------------------------- */

void	pw__bn_growth_entry(struct pw_bottleneck *b, const struct pw_trend *t,
	    const struct pw_bn_shape *sh, const char *metric, double current,
	    double limit);

/* --- bottleneck_entry.c --------------------------------------------------- */

/*
 * Each builder appends at most one entry to v[*n] (v has room for one of
 * each type per subject) and returns it, or NULL when there is none.  id
 * is the subject's template: pw__bn_proc_entry_id(), _group_entry_id().
 */
void	pw__bn_proc_entry_id(const struct pw_bn_proc *p,
	    struct pw_bottleneck *id);
void	pw__bn_group_entry_id(const struct pw_bn_group *g,
	    struct pw_bottleneck *id);
struct pw_bottleneck *pw__bn_cpu_entry(struct pw_bottleneck *v, size_t *n,
	    const struct pw_bottleneck *id, const struct pw__bn_figures *f,
	    const struct pw__bn_totals *tot, const struct pw_bn_host *h);
struct pw_bottleneck *pw__bn_leak_entry(struct pw_bottleneck *v, size_t *n,
	    const struct pw_bottleneck *id, const struct pw__bn_figures *f,
	    const struct pw_bn_host *h);
void	pw__bn_memory_entry(struct pw_bottleneck *v, size_t *n,
	    const struct pw_bottleneck *id, const struct pw__bn_figures *f,
	    const struct pw__bn_totals *tot, const struct pw_bn_host *h,
	    const struct pw_bottleneck *leak, enum pw_severity stall);
struct pw_bottleneck *pw__bn_stall_entry(struct pw_bottleneck *v, size_t *n,
	    const struct pw_bottleneck *id, enum pw_bn_type type, double pct,
	    double min, enum pw_severity sev);
void	pw__bn_proc_fds(struct pw_bottleneck *v, size_t *n,
	    const struct pw_bottleneck *id, const struct pw_bn_proc *p);
void	pw__bn_group_fds(struct pw_bottleneck *v, size_t *n,
	    const struct pw_bottleneck *id, const struct pw_bn_group *g);
enum pw_severity pw__bn_group_pressure(struct pw_bottleneck *v, size_t *n,
	    const struct pw_bottleneck *id, const struct pw_bn_group *g);

/* --- bottleneck_limits.c -------------------------------------------------- */

/* A process's cgroup limits, looked up by pid after the walk. */
struct pw__bn_plimit {
	pid_t		pid;
	double		cpu;
	uint64_t	mem;
};

/* Orders struct pw__bn_plimit by pid, for qsort() and bsearch(). */
int	pw__bn_plimit_cmp(const void *x, const void *y);
/*
 * The limits of every process of snap, by pid, into a malloc'd *out of
 * snap->n entries (all 0 when root is NULL), freed by the caller with
 * free().  Returns 0 or -ENOMEM.
 */
int	pw__bn_limits_read(const struct pw_snapshot *snap, const char *root,
	    struct pw__bn_plimit **out);
/* The cgroup path of target gv, malloc'd (free()), or NULL: none, or glob. */
char	*pw__bn_group_cgroup(const struct pw_snapshot *snap,
	    const struct pw_group_view *gv);

#endif
