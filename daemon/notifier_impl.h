/*
 * daemon/notifier_impl.h: what the notifier's files share; the rest of
 * the daemon sees only daemon/notifier.h.
 *
 * DESIGN: notifier.c has the notifier's state and its thread: the inbox
 * and the sampler's queue turned into jobs, Alertmanager's state, the
 * spool and the public functions.  notifier_send.c delivers: it renders
 * the bodies, runs jobs over HTTP (libcurl's multi handle) or as child
 * processes, reaps them and reschedules failures with backoff.
 *
 * Everything here runs on the notifier's delivery thread, except where a
 * field says "under mtx" (notifier_stats() and notifier_enqueue() take
 * it from other threads).
 */
#ifndef PW_DAEMON_NOTIFIER_IMPL_H
#define PW_DAEMON_NOTIFIER_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <curl/curl.h>

#include <procwatch/rules.h>

#include "daemon/config.h"
#include "daemon/notifier.h"

#define INBOX_MAX	4096		/* transitions not yet picked up */
#define SPOOL_NAME	"notify-spool.jsonl"
#define SPOOL_LINE_MAX	(1024 * 1024)
#define LOG_EVERY_MS	10000
#define FLUSH_MS	1000		/* at shutdown */
#define POLL_MS		200

struct job {
	size_t		 recv;		/* index into receivers */
	char		*body;		/* owned */
	int64_t		 created_ms;
	int64_t		 next_ms;	/* when to (re)try */
	unsigned	 attempts;
	bool		 in_flight;
	CURL		*easy;
	struct curl_slist *hdrs;
	pid_t		 child;		/* exec jobs */
	int64_t		 deadline_ms;	/* exec jobs */
	bool		 am_state;	/* alertmanager: built by am_flush() */
	uint64_t	 am_gen;	/* resolved alerts it holds: gen <= */
};

/* A resolved alert an Alertmanager receiver has not had yet. */
struct am_resolved {
	struct pw_alert	 a;
	uint64_t	 gen;
};

/*
 * One destination: a receiver, or one Alertmanager of an "alertmanager"
 * receiver with several URLs (an HA cluster: each gets every alert, as
 * Prometheus sends them, with state of its own).
 */
struct recv_state {
	const struct config_receiver *cfg;
	const char	*url;		/* cfg->urls[urlno]; NULL: exec */
	size_t		 urlno;
	unsigned char	*sw_key;	/* Standard Webhooks key, owned */
	size_t		 sw_keylen;
	/* under mtx, for notifier_stats() */
	uint64_t	 delivered, failed, dropped, queued;
	/* delivery thread only */
	int64_t		 last_log_ms;	/* failures */
	int64_t		 last_drop_ms;	/* drops */
	uint64_t	 unlogged_drops;
	struct pw_alert	*firing;	/* alertmanager: for re-sends */
	size_t		 nfiring, capfiring;
	struct am_resolved *resolved;	/* alertmanager: until delivered */
	size_t		 nresolved, capresolved;
	uint64_t	 gen;		/* of the newest resolved entry */
	bool		 am_dirty;	/* state changed since the last body */
	int64_t		 resend_ms;	/* next re-send */
};

struct notifier {
	const struct config	*cfg;
	struct pw_alerts	*alerts;
	struct recv_state	*rs;
	size_t			 nrs;
	char			 host[256];
	char			 base_url[128];
	char			*spool_path;	/* NULL: no spool */
	CURLM			*multi;

	pthread_t		 thread;
	bool			 running;
	pthread_mutex_t		 mtx;
	bool			 stop;		/* under mtx */
	struct pw_alertq	*queue;		/* the sampler's; may be NULL */
	struct pw_alert		*inbox;		/* under mtx */
	size_t			 ninbox;
	uint64_t		 inbox_dropped;	/* under mtx */

	/* The clock of ages and retries: pw_wall_ms() unless a test says. */
	notifier_clock_fn	*clock_ms;
	void			*clock_arg;

	/* delivery thread only */
	struct job		**jobs;
	size_t			 njobs, capjobs;
	bool			 dirty;		/* spool out of date */
	unsigned		 seed;
};

/*
 * Count a notification of receiver `ri` dropped, and log it (`why`) at
 * most once per LOG_EVERY_MS.  Thread: notifier.
 */
void	nt_note_drop(struct notifier *, size_t ri, const char *why);

/*
 * Remove jobs[at] (the last job takes its slot) and free it.
 * Thread: notifier.
 */
void	nt_job_remove(struct notifier *, size_t at);

/*
 * Alertmanager: resolved alerts up to `gen` reached the receiver; forget
 * them.  Thread: notifier.
 */
void	nt_am_delivered(struct recv_state *, uint64_t gen);

/*
 * The Standard Webhooks key of a receiver's secret (config-checked): a
 * "whsec_" secret base64-decoded, any other its bytes.  *key is malloc'd
 * for the caller.  0 or -ENOMEM.  Thread: any.
 */
int	nt_sw_key(const char *secret, unsigned char **key, size_t *len);

/* Has receiver `ri` a request in flight?  Thread: notifier. */
bool	nt_recv_in_flight(const struct notifier *, size_t ri);

/*
 * The body of one transition for receiver r in the procwatch format, and
 * of `na` alerts in Alertmanager's (API v2, postableAlert).  Return a
 * string from cJSON_PrintUnformatted() that the caller frees (a job's
 * body is freed with free(): cJSON allocates with malloc), or NULL when
 * out of memory.  Thread: notifier.
 */
char	*nt_body_procwatch(const struct notifier *,
	    const struct config_receiver *r, const struct pw_alert *a);
char	*nt_body_alertmanager(const struct notifier *,
	    const struct pw_alert *a, size_t na);

/*
 * Start the jobs that are due at `now` (at shutdown, `flushing`: first
 * attempts at once), over HTTP or as commands; a job that cannot start
 * counts as a failed attempt.  Thread: notifier.
 */
void	nt_start_due(struct notifier *, int64_t now, bool flushing);

/*
 * Collect finished HTTP requests and commands (a command past its
 * timeout is killed): a success removes the job, a failure reschedules
 * it with backoff or drops it after max_age_ms.  Thread: notifier.
 */
void	nt_reap_http(struct notifier *, int64_t now);
void	nt_reap_exec(struct notifier *, int64_t now);

#endif
