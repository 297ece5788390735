/*
 * procwatch/group.h: a target seen as a whole.
 *
 * Users watch services, not PIDs, so each configured target is also a
 * group whose figures are totals over its live processes.  Computing them
 * is a pure function of a store snapshot and the list of target names: a
 * target that selects nothing right now still gets a group (not up, every
 * total 0), and processes whose target is not on the list are ignored.
 */
#ifndef PROCWATCH_GROUP_H
#define PROCWATCH_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pw_snapshot;

/*
 * The group name when the monitor has no targets and watches every
 * process: its processes carry this target name (lib/monitor.c).
 */
#define PW_GROUP_ALL	"all"

/* One member singled out: the busiest by CPU, or the largest by RSS. */
struct pw_group_top {
	pid_t		pid;		/* 0: no such member */
	char		name[17];	/* comm */
	double		cpu_pct;	/* user + system, % of one core */
	uint64_t	rss_bytes;
};

/*
 * The figures of one group.  Sums run over live processes only; a pid
 * seen twice in one snapshot (reused within a cycle) counts once, as its
 * newest process.  CPU % is the sampler's rate over the last interval
 * (see pw_sample), so a process on its first sample has none and is left
 * out of the CPU sums; likewise open fds leave out processes whose
 * /proc/PID/fd was unreadable.  A has_* flag is false when the group has
 * live processes but not one of them had the figure; an empty group has
 * every total 0 with its flags true (nothing runs, nothing is used),
 * except has_memory_pct, which needs MemTotal.
 */
struct pw_group {
	char		*name;		/* owned */
	bool		 is_up;		/* processes > 0 */
	size_t		 processes;	/* live */
	size_t		 gone;		/* exited, still in the store */
	uint64_t	 threads;
	bool		 has_cpu;
	double		 cpu_pct;	/* user + system */
	double		 cpu_user_pct;
	double		 cpu_system_pct;
	uint64_t	 rss_bytes;
	bool		 has_memory_pct;	/* MemTotal is known */
	double		 memory_pct;
	bool		 has_fds;
	uint64_t	 open_fds;
	int64_t		 oldest_start_ms;	/* wall clock; 0: none */
	/* The members with the highest CPU % and RSS; ties: the lowest pid. */
	struct pw_group_top top_cpu;
	struct pw_group_top top_rss;
	pid_t		*pids;		/* owned: live members, ascending */
	size_t		 npids;		/* == processes */
};

/*
 * Compute one group per name in names[0..nnames-1], in that order, over
 * `snap` (taken with include_gone for the gone counts; without, they are
 * 0).  With nnames 0 (the monitor watches every process) there is one
 * group, PW_GROUP_ALL.  On success *out is a malloc'd array of *n groups;
 * free it with pw_groups_free().  Returns 0 or -ENOMEM, leaving *out and
 * *n untouched on failure.
 * Thread: any; it reads only `snap` and `names`.
 */
int	pw_group_compute(const struct pw_snapshot *snap,
	    const char *const *names, size_t nnames, struct pw_group **out,
	    size_t *n);

/* Free what pw_group_compute() returned; NULL is accepted.  Thread: any. */
void	pw_groups_free(struct pw_group *groups, size_t n);

/* The group called `name` in groups[0..n-1], or NULL.  Thread: any. */
const struct pw_group	*pw_group_find(const struct pw_group *groups,
			    size_t n, const char *name);

#endif
