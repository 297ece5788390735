/*
 * events_impl.h: what lib/events.c (the events thread, the history ring
 * and the counters) and lib/events_netlink.c (subscribing to the process
 * connector and to taskstats) share about struct pw_events
 * (procwatch/events.h), inside lib/ only.
 */
#ifndef PW_EVENTS_IMPL_H
#define PW_EVENTS_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <procwatch/events.h>

#define TABLE_MAX	16384	/* live processes followed */
#define PEND_MAX	512	/* taskstats records awaiting their exit */

/* A live process the thread has seen fork (or exec). */
struct live {
	pid_t		pid;		/* 0: free; open addressing */
	pid_t		ppid;
	int64_t		fork_ms;	/* 0: fork not seen */
	char		comm[17];
	bool		named;		/* comm is from its own comm event */
	char		parent_comm[17];
	char		target[PW_EV_TARGET_MAX];
};

/* A taskstats record (summed by tgid) waiting for its exit event. */
struct pend {
	pid_t		tgid;
	uint64_t	cpu_us;
	int64_t		ts_ms;		/* of the first record */
};

struct pw_events {
	struct pw_store		*store;
	char			*proc_root;
	int			 fd;
	bool			 available;
	char			 reason[160];
	int			 ts_fd;		/* taskstats; -1: none */
	uint16_t		 ts_family;
	char			 ts_mask[256];	/* CPUs registered for */
	bool			 ts_available;
	char			 ts_reason[160];
	pthread_t		 thread;
	bool			 started;
	_Atomic bool		 stop;

	/* (E) the events thread's */
	struct live		*live;		/* TABLE_MAX * 2 slots */
	size_t			 nlive;
	struct pend		 pend[PEND_MAX];
	size_t			 npend;

	/* under mu */
	pthread_mutex_t		 mu;
	struct pw_event		*ring;
	size_t			 cap, head, len;
	struct pw_ev_counter	*ctr;
	size_t			 nctr;
	uint64_t		 dropped;
	/* discovery: pids that forked or exec'd since the last take */
	bool			 disc_ok;	/* our pids are the kernel's */
	bool			 disc_taken;	/* a take started the record */
	bool			 disc_lost;	/* since the last take */
	pid_t			*disc;
	size_t			 ndisc, capdisc;
};

/*
 * Subscribe e->fd to the process connector: 0, or a negative errno with
 * e->reason set.  Thread: main, before the events thread starts.
 */
int	pw__events_subscribe(struct pw_events *e);

/*
 * Register e->ts_fd with taskstats for the exits on the online CPUs: 0,
 * or a negative errno with e->ts_reason set (e->ts_fd is then -1).
 * Thread: main, before the events thread starts.
 */
int	pw__events_subscribe_taskstats(struct pw_events *e);

/* Undo the registration, before e->ts_fd is closed.  Thread: main. */
void	pw__events_taskstats_deregister(struct pw_events *e);

/* Mark the connector unavailable, saying why (err: an errno value). */
void	pw__events_unavailable(struct pw_events *e, const char *what,
	    int err);

#endif /* PW_EVENTS_IMPL_H */
