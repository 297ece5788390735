/*
 * procwatch/groupacc.h: the aggregate sample of a group (the processes a
 * target selects) and the accounting that builds one per cycle.
 *
 * DESIGN: sums of what live members show now (memory, descriptors,
 * threads) are taken as they are.  CPU time and the cumulative counters
 * (I/O bytes, context switches, faults) are instead accumulated from the
 * members' deltas, so the group's totals never go down when a member
 * exits: what it did stays counted.  A member first seen after the
 * group's previous cycle, and started after it, brings all it did; one
 * that was already running when the group was first cycled, or that was
 * matched late, starts from its first sample (its past is not the
 * group's).
 *
 * CPU of processes too short-lived to be sampled is not lost either: when
 * a member reaps children, its cutime/cstime (proc(5) fields 16 and 17)
 * grow by their CPU, and that growth is added to the group.  A child that
 * was itself a member already had its CPU counted up to its last sample;
 * when it exits, its last utime + cutime (and stime + cstime) become a
 * credit on its parent, subtracted from the parent's next cutime growth,
 * so nothing is counted twice.  A credit not used within two cycles (the
 * parent ignores SIGCHLD and the kernel reaps for it, adding nothing) is
 * dropped.
 *
 * The accumulator is pure: no clock, no /proc, fed by the monitor (or a
 * test) with samples.  One accumulator per group, owned by the sampler.
 */
#ifndef PROCWATCH_GROUPACC_H
#define PROCWATCH_GROUPACC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <procwatch/psi.h>
#include <procwatch/sample.h>

/* Flags of a group sample. */
#define PW_GSAMPLE_NO_CPU	0x01	/* no previous cycle: no CPU % yet */
#define PW_GSAMPLE_NO_FDS	0x02	/* members live, none had a fd count */
#define PW_GSAMPLE_NO_IO	0x04	/* members live, none had readable io */

/*
 * One cycle of one group.  `processes` counts live members, sampled or
 * not; the sums run over those sampled this cycle.  Counters marked
 * "cumulative" are the group's totals since the daemon began watching
 * it and only go up (Prometheus counters).
 */
struct pw_group_sample {
	int64_t		ts_ms;		/* wall clock of the cycle */
	uint32_t	processes;	/* live members */
	uint32_t	threads;
	/* Cumulative CPU, clock ticks: members' own plus reaped children. */
	uint64_t	cpu_user_ticks;
	uint64_t	cpu_system_ticks;
	/* Of those, the part from reaped children that were not sampled. */
	uint64_t	children_ticks;
	/* Rates of the above since the previous cycle, % of one core. */
	double		cpu_user_pct;
	double		cpu_system_pct;
	uint64_t	rss_bytes;
	uint64_t	vms_bytes;
	uint64_t	swap_bytes;
	uint64_t	open_fds;
	/*
	 * The worst member: max(open_fds / fd_limit), and its pid (0 and
	 * 0.0 when no member has both figures).  A sum hides the one
	 * process about to run out.
	 */
	double		fd_usage_max;
	pid_t		fd_usage_pid;
	/* Cumulative counters. */
	uint64_t	read_bytes;
	uint64_t	write_bytes;
	uint64_t	ctx_voluntary;
	uint64_t	ctx_involuntary;
	uint64_t	minor_faults;
	uint64_t	major_faults;
	/* Members that exited during the cycle. */
	uint32_t	exited;
	unsigned	flags;		/* PW_GSAMPLE_* */
	/*
	 * Set by the monitor, not the accumulator: the figures of the
	 * target's cgroup (procwatch/psi.h), and the OOM kills of members
	 * (procwatch/oom.h) in all and within the monitor's oom_alert_ms.
	 */
	struct pw_cgstat cg;
	uint64_t	oom_kills;
	uint32_t	oom_kills_recent;
};

struct pw_groupacc;

/*
 * A new accumulator, or NULL when out of memory.  NULL is accepted by free.
 * Thread: the sampler (each accumulator is used by one thread).
 */
struct pw_groupacc	*pw_groupacc_new(void);
void			 pw_groupacc_free(struct pw_groupacc *);

/*
 * Start a cycle at wall time `now_ms`; clears the previous cycle's sums.
 * Thread: the accumulator's owner (the sampler).
 */
void	pw_groupacc_begin(struct pw_groupacc *, int64_t now_ms);

/*
 * A live member sampled this cycle: `cur` its sample, `prev` the previous
 * one (NULL on its first), `fd_limit` its soft descriptor limit (0:
 * unknown), `start_ms` when it started (wall clock).  Returns 0 or -ENOMEM
 * (a member whose cutime grew could not be noted: its children's CPU is
 * then counted without the credit check).
 * Thread: the accumulator's owner (the sampler).
 */
int	pw_groupacc_member(struct pw_groupacc *, pid_t pid, pid_t ppid,
	    const struct pw_sample *prev, const struct pw_sample *cur,
	    uint64_t fd_limit, int64_t start_ms);

/*
 * A live member not sampled this cycle (its read failed): counted only.
 * Thread: the accumulator's owner (the sampler).
 */
void	pw_groupacc_unsampled(struct pw_groupacc *);

/*
 * A member that exited since the previous cycle, with its last sample
 * (NULL: it was never sampled).  Its parent, if a member, gets a credit.
 * Returns 0 or -ENOMEM (no credit: its CPU may then be counted twice).
 * Thread: the accumulator's owner (the sampler).
 */
int	pw_groupacc_exit(struct pw_groupacc *, pid_t pid, pid_t ppid,
	    const struct pw_sample *last);

/*
 * Finish the cycle: fill *out.  `hz` is the clock tick rate.
 * Thread: the accumulator's owner (the sampler).
 */
void	pw_groupacc_end(struct pw_groupacc *, long hz,
	    struct pw_group_sample *out);

/*
 * The group sample as a process sample, so that the windowed statistics
 * (procwatch/stats.h) run over a group's ring as over a process's: ticks,
 * CPU %, sizes, fds, threads and the cumulative counters map one to one;
 * NO_CPU becomes PW_SAMPLE_FIRST, NO_FDS and NO_IO carry over.  The
 * process count, children_ticks and the fd usage have no place there.
 * Thread: any (pure).
 */
void	pw_group_sample_as_sample(const struct pw_group_sample *,
	    struct pw_sample *out);

/* Memory % of a group sample, given MemTotal in bytes (0: 0).  Thread: any. */
double	pw_group_sample_memory_pct(const struct pw_group_sample *,
	    uint64_t mem_total);

#endif
