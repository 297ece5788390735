/*
 * procwatch/events.h: process lifecycle events from the kernel's netlink
 * process connector (fork, exec, exit), seen at once rather than at the
 * next sample, so that short-lived processes are counted too.
 *
 * DESIGN: a dedicated thread reads the connector (NETLINK_CONNECTOR,
 * CN_IDX_PROC; subscribing needs CAP_NET_ADMIN).  Only processes are
 * followed, not threads.  A new process is attributed to a target by its
 * parent: the parent's target in the store (a monitored process), or the
 * target the parent was itself attributed to by an earlier fork.  At exec
 * its name is read from /proc/PID/comm (best effort: a process may be
 * gone already).  The connector's exit record carries the wait status
 * (exit code or terminating signal) but no CPU time, and /proc/PID is gone
 * by the time it arrives; so the same thread also listens to the kernel's
 * taskstats interface (generic netlink family "TASKSTATS", registered for
 * the online CPUs, CAP_NET_ADMIN, initial pid namespace only), which sends
 * one record per exiting task with its user and system time.  The records
 * of a process's threads (matched by tgid) are summed into its exit event,
 * whichever of the two sockets is read first: records wait up to
 * PW_EV_CPU_MATCH_MS for their exit event, and records arriving after it
 * are added to it in the ring.  Best effort: threads that exited long
 * before their process are not counted, and when taskstats is unavailable
 * (or a record was lost) an exit's CPU time stays unknown.  Exits also
 * carry the lifetime since the fork when the fork was seen.  Events go to
 * a bounded history ring, and per-target counters count starts, exits,
 * exits by signal and the CPU time of exited processes.  When the
 * connector cannot be used (no capability, no kernel support) the object
 * still exists, says it is unavailable and why, and polling goes on as
 * before.
 *
 * Parsing (connector and taskstats) and churn detection are pure and
 * unit-tested.
 */
#ifndef PROCWATCH_EVENTS_H
#define PROCWATCH_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <procwatch/bottleneck.h>

#define PW_EV_TARGET_MAX	64
#define PW_EV_DEFAULT_HISTORY	8192
#define PW_EV_MAX_TARGETS	256	/* counters; further targets share "" */
#define PW_CHURN_SHORT_S	1.0	/* "short-lived": exited within 1 s */
#define PW_CHURN_MIN_RATE	1.0	/* per second, to be reported */
#define PW_CHURN_CMDS		5	/* commands named per entry */
#define PW_EV_CPU_MATCH_MS	2000	/* taskstats record <-> exit event */

enum pw_event_type {
	PW_EV_FORK = 0,
	PW_EV_EXEC,
	PW_EV_EXIT,
	/*
	 * A process's new name (set at exec, or by prctl): it updates what
	 * the feed knows of the process and is not recorded itself.  It
	 * comes before the exec's own event, which carries no name: by the
	 * time a slow reader handles that, the process may be gone and
	 * /proc/PID/comm with it.
	 */
	PW_EV_COMM,
};

struct pw_event {
	/*
	 * Wall clock of the event: the kernel's own time of it (mono_ns)
	 * where the message has one, so a reader that falls behind does not
	 * shift it (or shorten a lifetime); else the time of receipt.
	 */
	int64_t			ts_ms;
	uint64_t		mono_ns;	/* CLOCK_MONOTONIC; 0: none */
	enum pw_event_type	type;
	pid_t			pid;
	pid_t			ppid;		/* 0: unknown */
	char			comm[17];	/* "" when unknown */
	char			parent_comm[17];
	char			target[PW_EV_TARGET_MAX];	/* "": none */
	/* PW_EV_EXIT */
	int			exit_code;	/* when signal == 0 */
	int			signal;		/* terminating signal, or 0 */
	bool			core_dumped;
	double			lifetime_s;	/* < 0: its fork was not seen */
	bool			has_cpu;	/* cpu_us is known (taskstats) */
	uint64_t		cpu_us;		/* user + system, all threads */
};

/* Thread: any. */
const char	*pw_event_type_name(enum pw_event_type);
/*
 * "SIGKILL", or "signal 77" for one without a name; in buf.  Pure.
 * Thread: any.
 */
const char	*pw_signal_name(int sig, char *buf, size_t len);

/*
 * How an exit event ended, in words: "exited with code 3", "exited with
 * SIGKILL", "killed by SIGSEGV (core dumped)".  Writes at most len bytes
 * (truncating) and returns buf.  Thread: any.
 */
const char	*pw_event_exit_describe(const struct pw_event *ev, char *buf,
		    size_t len);

/*
 * Parse one netlink message (nlmsghdr + cn_msg + proc_event) of `len`
 * bytes.  Fills the pid, ppid, type and exit fields of *ev (the rest is
 * zeroed) and returns 1; returns 0 for a message that is not a process
 * fork, exec or exit (thread events, other kinds, the subscription ack),
 * -EINVAL when it is malformed.  Thread: any.
 */
int	pw_event_parse(const void *buf, size_t len, struct pw_event *ev);

/* One task's exit record from taskstats. */
struct pw_taskstats_rec {
	pid_t		pid;		/* the task (thread) */
	pid_t		tgid;		/* its process (= pid if unknown) */
	uint64_t	utime_us;
	uint64_t	stime_us;
	uint32_t	exit_status;	/* wait status, of a process's leader */
	char		comm[17];
};

/*
 * Parse one generic netlink message (nlmsghdr + genlmsghdr + attributes)
 * of `len` bytes from the taskstats family whose id is `family`.  Fills
 * *rec and returns 1 for a task's exit record (TASKSTATS_TYPE_AGGR_PID);
 * returns 0 for anything else (another family, a per-process aggregate,
 * an ack), -EINVAL when it is malformed; *rec is written only on 1.
 * Records of any struct taskstats version with the CPU times are taken.
 * Thread: any.
 */
int	pw_taskstats_parse(const void *buf, size_t len, uint16_t family,
	    struct pw_taskstats_rec *rec);

/* Per-target counters. */
struct pw_ev_counter {
	char		target[PW_EV_TARGET_MAX];
	uint64_t	starts;
	uint64_t	exits;		/* every exit */
	uint64_t	exits_signal;	/* of those, by a signal */
	uint64_t	cpu_us;		/* CPU time of exits (where known) */
};

/* A parent that spawns many short-lived processes. */
struct pw_churn {
	pid_t			ppid;
	char			parent_comm[17];
	char			target[PW_EV_TARGET_MAX];
	uint64_t		count;		/* short-lived exits in the window */
	double			window_s;	/* the span actually covered */
	double			rate_per_s;
	double			avg_lifetime_s;
	struct {
		char		comm[17];
		uint64_t	count;
	}			cmds[PW_CHURN_CMDS];	/* most frequent first */
	size_t			ncmds;
	enum pw_severity	severity;
	double			impact;		/* 0..1 */
	char			description[PW_BN_TEXT_MAX];
	char			suggestion[PW_BN_TEXT_MAX];
};

/*
 * Churn bands: critical >= 100/s, high >= 20/s, medium >= 5/s, else low.
 * Thread: any.
 */
enum pw_severity	pw_churn_severity(double rate_per_s);

/*
 * Find the churning parents among ev[0..n-1] (oldest first): exits of
 * processes that lived under PW_CHURN_SHORT_S, within `window_ms` before
 * `now_ms`, grouped by parent, at least PW_CHURN_MIN_RATE per second.
 * On success *out is a malloc'd array of *nout entries by rate, highest
 * first (free()).  0 or -ENOMEM.  Thread: any.
 */
int	pw_churn_detect(const struct pw_event *ev, size_t n, int64_t now_ms,
	    int64_t window_ms, struct pw_churn **out, size_t *nout);

struct pw_events;
struct pw_store;

/*
 * Subscribe to the connector and start the thread.  Never NULL unless
 * out of memory: without the connector the object reports unavailable.
 * `store` (borrowed, must outlive it) attributes parents to targets;
 * `proc_root` NULL is "/proc"; `history` events are kept (0: default).
 * Free with pw_events_free().  Thread: main.
 */
struct pw_events	*pw_events_new(struct pw_store *store,
			    const char *proc_root, size_t history);
void			 pw_events_free(struct pw_events *);

/* Is the feed running?  If not, why[] says why.  Thread: any. */
bool	pw_events_available(struct pw_events *, char *why, size_t whylen);

/*
 * Do exits carry their CPU time (taskstats)?  If not, why[] says why.
 * Thread: any.
 */
bool	pw_events_cpu_available(struct pw_events *, char *why,
	    size_t whylen);

/*
 * The newest exit event of `pid` received at or after `since_ms` (wall
 * clock) into *out.  Returns 0, or -ENOENT when there is none in the
 * history (or the feed is unavailable).  Thread: any.
 */
int	pw_events_exit_of(struct pw_events *, pid_t pid, int64_t since_ms,
	    struct pw_event *out);

/*
 * Copy the newest `limit` events (oldest first) into a malloc'd *out of
 * *n (free()), and the counters into a malloc'd *ctr of *nctr (free());
 * *dropped gets the events lost for want of buffer space in the kernel
 * (ENOBUFS).  Either output pair may be NULL.  0 or -ENOMEM.
 * Thread: any.
 */
int	pw_events_copy(struct pw_events *, size_t limit, struct pw_event **out,
	    size_t *n, struct pw_ev_counter **ctr, size_t *nctr,
	    uint64_t *dropped);

/*
 * For the sampler's discovery of new processes without listing /proc: the
 * pids that forked or exec'd since the previous call (any order, maybe
 * repeated) in a malloc'd *out of *n (free()), and whether that list is
 * complete.  It is not on the first call (which starts the record), when
 * events were lost meanwhile (the kernel's buffer overran, or more than
 * 65536 pids), when the feed is not running, or when the connector's pids
 * are not those of our /proc (a nested pid namespace, another proc_root):
 * then the caller must list /proc.  Take before listing, so that no pid
 * falls between a listing and the next take.  0.  Thread: any.
 */
int	pw_events_take_pids(struct pw_events *, pid_t **out, size_t *n,
	    bool *complete);

/* pw_churn_detect() over the history.  Thread: any. */
int	pw_events_churn(struct pw_events *, int64_t window_ms,
	    struct pw_churn **out, size_t *nout);

#endif
