/*
 * daemon/host.h: procwatchd's dealings with its host beside sampling:
 * malloc tuning and trimming, RLIMIT_NOFILE, kernel.task_delayacct, the
 * priority warnings, and the service manager's status and watchdog.
 * Only main.c calls these.
 */
#ifndef PW_DAEMON_HOST_H
#define PW_DAEMON_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct pw_monitor;

/* What daemon_trim_tick() last did; zero it before the first call. */
struct daemon_trim_state {
	uint64_t	expired;	/* procs_expired at the last trim */
	int64_t		trimmed_ns;	/* monotonic; 0: never */
};

/* What the service manager was last told (see daemon_notify_tick()). */
struct daemon_notify_state {
	bool	is_ready;
	bool	watchdog;		/* WatchdogSec= is set for us */
	char	status[256];
};

/*
 * Fixed malloc mmap and trim thresholds, so that HTTP threads' large
 * buffers go back to the kernel when freed.  Thread: main, at start.
 */
void	daemon_tune_malloc(void);

/*
 * malloc_trim(0) after process churn, at most every 10 s.
 * Thread: main, once per loop tick.
 */
void	daemon_trim_tick(struct pw_monitor *, struct daemon_trim_state *);

/*
 * Lift RLIMIT_NOFILE's soft limit to the hard one, and warn when what it
 * leaves beside the /proc budget is too few for max_connections.
 * Thread: main, at start.
 */
void	daemon_raise_nofile(unsigned max_connections);

/*
 * READY=1 after the first cycle, STATUS= on change, WATCHDOG=1 while the
 * sampler completes cycles.  Thread: main, once per loop tick.
 */
void	daemon_notify_tick(struct pw_monitor *, struct daemon_notify_state *);

/*
 * "delay_accounting": turn kernel.task_delayacct on as cfg asks, log what
 * was done and say it in note[len] for /healthz.  Returns -1 when "on"
 * could not be had, else 0.  Thread: main (start and reload).
 */
int	daemon_apply_delay_accounting(const struct config *cfg, char *note,
	    size_t len);

/*
 * Say why sampler_realtime was refused, if it was.
 * Thread: main, after the sampler started (start and reload).
 */
void	daemon_warn_realtime(struct pw_monitor *);

/*
 * Say once, at info level, that the HTTP threads could not lower their
 * priority.  Thread: main, at start.
 */
void	daemon_info_http_nice(void);

#endif
