/*
 * procwatch/oom.h: telling which watched processes the OOM killer killed.
 *
 * DESIGN: the kernel counts every OOM kill twice at the moment it sends
 * the SIGKILL: in the system's oom_kill (/proc/vmstat) and in the
 * victim's memory cgroup (cgroup2 memory.events oom_kill, counted up the
 * hierarchy; v1 memory.oom_control oom_kill).  The victim then exits,
 * which the sampler sees as the process gone at its next read, and the
 * process connector (procwatch/events.h), where it runs, as an exit by
 * SIGKILL.  So each cycle the detector is fed the watched processes that
 * exited (with their signal where the connector told it), the counters of
 * each group's cgroup and the system counter; a rise of a counter is a
 * credit that the exits of that cycle (or of the next two: the counter
 * rises before the process is gone) take, largest last RSS first, as the
 * OOM killer picks the largest.  A group whose cgroup has counters takes
 * only its own credits; other processes take the system's.  An exit known
 * not to be a SIGKILL never takes a credit.  The limit that fired is the
 * cgroup's when the cgroup's own OOM count ("oom", v2) rose too, or on v1
 * when the cgroup has a limit; else the system's.
 *
 * What it misses: a process killed between two samples before it was ever
 * sampled; without the connector, an ordinary exit in the same cycle as
 * an OOM kill of a smaller process of the same group is taken for it (the
 * larger is taken first); on v1 a global OOM kill of a process in a
 * limited cgroup is reported as the cgroup's.  The kernel log (/dev/kmsg)
 * would name the victim exactly but needs privileges and parsing of free
 * text; it is not used.
 *
 * The detector is pure (no clock, no /proc) and owned by the sampler.
 */
#ifndef PROCWATCH_OOM_H
#define PROCWATCH_OOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <procwatch/psi.h>

#define PW_OOM_TARGET_MAX	64
#define PW_OOM_CGROUP_MAX	256	/* a longer path is cut */

/* Which limit fired. */
enum pw_oom_limit {
	PW_OOM_SYSTEM = 0,	/* the machine ran out of memory */
	PW_OOM_CGROUP,		/* the cgroup's memory limit */
};

/* A watched process that exited this cycle. */
struct pw_oom_exit {
	pid_t		pid;
	char		comm[17];
	int		group;		/* index of its target's group, -1 */
	char		target[PW_OOM_TARGET_MAX];
	uint64_t	rss_bytes;	/* of its last sample */
	char		cgroup[PW_OOM_CGROUP_MAX];	/* "" unknown */
	int		signal;		/* -1: unknown; 0: exited; else */
	int64_t		exit_ms;	/* wall clock; 0: unknown */
};

/* One OOM kill of a watched process. */
struct pw_oom_kill {
	int64_t		ts_ms;		/* of the exit (or when seen) */
	pid_t		pid;
	char		comm[17];
	char		target[PW_OOM_TARGET_MAX];
	int		group;		/* -1: none */
	uint64_t	rss_bytes;	/* of its last sample */
	enum pw_oom_limit limit;
	char		cgroup[PW_OOM_CGROUP_MAX];	/* the victim's */
	char		limit_cgroup[PW_OOM_CGROUP_MAX];	/* whose fired */
	bool		has_limit_bytes;
	uint64_t	limit_bytes;	/* of limit_cgroup */
	bool		signal_seen;	/* the connector saw its SIGKILL */
};

struct pw_oom;

/*
 * A detector for `ngroups` groups (targets, in config order).  NULL when
 * out of memory; free with pw_oom_free() (NULL accepted).
 * Thread: the owner's (the sampler).
 */
struct pw_oom	*pw_oom_new(size_t ngroups);
void		 pw_oom_free(struct pw_oom *);

/*
 * The groups changed (a reload): `ngroups` of them, their counters
 * start afresh.  0 or -ENOMEM (the detector is as it was).
 * Thread: the owner's.
 */
int	pw_oom_set_groups(struct pw_oom *, size_t ngroups);

/* Start a cycle: forget the last cycle's exits.  Thread: the owner's. */
void	pw_oom_begin(struct pw_oom *);

/*
 * A watched process exited this cycle.  0, or -ENOMEM / -E2BIG (more than
 * 4096 in one cycle: the rest are not considered).  Thread: the owner's.
 */
int	pw_oom_exit(struct pw_oom *, const struct pw_oom_exit *);

/*
 * The figures of group g's cgroup `path` this cycle (st->mem_why not
 * PW_CGW_OK: the group has no counters now).  Thread: the owner's.
 */
void	pw_oom_group(struct pw_oom *, size_t g, const char *path,
	    const struct pw_cgstat *st);

/* The system's counter this cycle.  Thread: the owner's. */
void	pw_oom_system(struct pw_oom *, bool known, uint64_t oom_kill);

/*
 * Attribute the credits to the exits: write at most `max` kills to
 * out[] (oldest credit first) and return how many.  `now_ms` stamps kills
 * whose exit time is unknown.  Thread: the owner's.
 */
size_t	pw_oom_end(struct pw_oom *, int64_t now_ms, struct pw_oom_kill *out,
	    size_t max);

/* "system" or "cgroup".  Thread: any. */
const char	*pw_oom_limit_name(enum pw_oom_limit);

#endif
