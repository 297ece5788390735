/*
 * internal.h: definitions shared inside lib/ only.
 *
 * Lock order: a thread holds at most the store lock (store->lock); the
 * monitor's stats mutex is never taken while holding it and vice versa.
 * The custom series store's mutex (lib/custom.c) is a leaf: it may be
 * taken under the alert engine's mutex (custom metrics in rules), and
 * nothing is locked while it is held.
 */
#ifndef PW_INTERNAL_H
#define PW_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <procwatch/procfs.h>
#include <procwatch/ring.h>
#include <procwatch/store.h>

/*
 * One monitored process.  Fields marked (S) belong to the sampler thread
 * and are never read by others; the rest change only under the store's
 * write lock.
 */
struct pw_proc {
	uint64_t		 id;
	pid_t			 pid;
	pid_t			 ppid;
	uid_t			 uid;
	uint64_t		 start_ticks;
	int64_t			 start_time_ms;
	char			 comm[17];
	char			*cmdline;	/* owned */
	char			*user;		/* owned */
	char			*target;	/* owned copy of the target name */
	bool			 alive;
	int64_t			 gone_ms;
	uint64_t		 fd_limit;
	struct pw_ring		*ring;
	/* (S) sampler state */
	struct pw_prochandle	 h;
	bool			 keep_open;
	bool			 vanished;	/* gone; the commit publishes it */
	int64_t			 limits_due_ms;
	bool			 has_pending;
	bool			 has_last;	/* pending holds the last sample */
	struct pw_sample	 pending;
	char			 pending_comm[17];
};

struct pw_store {
	pthread_rwlock_t	 lock;
	size_t			 history;
	long			 hz;
	uint64_t		 mem_total;
	int64_t			 taken_ms;
	uint64_t		 next_id;
	struct pw_proc		**procs;	/* sorted by (pid, id) */
	size_t			 nprocs;
	size_t			 cap;
};

void	pw__store_wrlock(struct pw_store *);
void	pw__store_unlock(struct pw_store *);
/* Under the write lock: insert a new process (takes ownership). */
int	pw__store_insert(struct pw_store *, struct pw_proc *);
/*
 * Under the write lock: free gone processes older than `cutoff_ms`.
 * Returns how many were freed.
 */
size_t	pw__store_expire(struct pw_store *, int64_t cutoff_ms);
void	pw__proc_free(struct pw_proc *);

#endif
