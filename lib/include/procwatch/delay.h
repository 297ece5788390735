/*
 * procwatch/delay.h: per-process delays from taskstats, and the kernel's
 * delay accounting switch.
 *
 * What each delay figure needs (lib/delay.c, lib/procfs_sample.c):
 *
 *   cpu_delay_percent     run-queue wait.  The kernel keeps it with
 *                         CONFIG_SCHED_INFO alone, delay accounting on or
 *                         off.  A single-threaded process: /proc/PID/
 *                         schedstat's second field, read anyway by the
 *                         idle check.  A multi-threaded one: taskstats by
 *                         TGID (schedstat is the main thread's only).
 *   io_delay_percent      block I/O wait: needs kernel.task_delayacct on.
 *                         Single-threaded: field 42 of /proc/PID/stat
 *                         (delayacct_blkio_ticks, the main thread's);
 *                         multi-threaded: taskstats.
 *   swapin_delay_percent  taskstats only, with delay accounting on.
 *   memory_delay_percent  (reclaim + thrashing + compaction) the same.
 *
 * taskstats needs CAP_NET_ADMIN and the initial pid namespace.  Where it
 * is open, a multi-threaded process's full read asks it for all four,
 * summed over the threads (the exited threads' included while a taskstats
 * listener, the events feed, is registered), and a single-threaded one's
 * for swap-in and memory when its page faults moved (lib/procfs_sample.c,
 * sample_delays(), says why).
 */
#ifndef PROCWATCH_DELAY_H
#define PROCWATCH_DELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <procwatch/procfs.h>

/* One process's cumulative delays, ns, summed over its threads. */
struct pw_delays {
	uint64_t	cpu_ns;		/* runnable, waiting for a CPU */
	uint64_t	blkio_ns;	/* waiting for block I/O */
	uint64_t	swapin_ns;	/* waiting for swap-in */
	uint64_t	mem_ns;		/* reclaim, thrashing, compaction */
};

/*
 * pw_delay_fn (procwatch/procfs.h) is where the sampler gets a process's
 * delays: 0 with *out filled, -ESRCH when the process is gone, or another
 * negative errno.  It is called on every full read of a process
 * (pw_procfs_set_delays()).
 */

struct pw_taskstats;

/*
 * Open a generic netlink socket for taskstats queries.  Returns NULL
 * with *err a negative errno and reason[len] saying why in words
 * (CAP_NET_ADMIN, no CONFIG_TASKSTATS) when it cannot.  Free with
 * pw_taskstats_close(); NULL is accepted.
 * Thread: any; the object is then used by one thread (the sampler).
 */
struct pw_taskstats	*pw_taskstats_open(int *err, char *reason,
			    size_t len);
void			 pw_taskstats_close(struct pw_taskstats *);

/*
 * One TASKSTATS_CMD_GET by TGID, one round trip: fills *out.  Returns 0,
 * -ESRCH (no such process) or a negative errno.  A pw_delay_fn; `arg` is
 * the struct pw_taskstats.
 * Thread: the object's user.
 */
int	pw_taskstats_query(void *arg, pid_t tgid, struct pw_delays *out);

/*
 * Parse a taskstats answer (the netlink message, its header included)
 * for `tgid`: 0, -ESRCH when it is the kernel's error ESRCH, another
 * negative errno of an error answer, or -EINVAL when malformed.
 * Thread: any (pure).
 */
int	pw_taskstats_parse_delays(const void *buf, size_t len, pid_t tgid,
	    struct pw_delays *out);

/*
 * kernel.task_delayacct under the procfs root (ROOT/sys/kernel/
 * task_delayacct): *on set and 0, -ENOENT when the kernel has no such
 * switch (older than 5.14: on whenever built in), or a negative errno.
 * Thread: any.
 */
int	pw_delayacct_get(const struct pw_procfs *, bool *on);

/*
 * Turn it on: 0, or a negative errno (-EACCES/-EPERM without
 * CAP_SYS_ADMIN, -EROFS in a container's read-only /proc/sys).
 * Thread: any.
 */
int	pw_delayacct_enable(const struct pw_procfs *);

#endif
