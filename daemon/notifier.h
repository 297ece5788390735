/*
 * daemon/notifier.h: evaluating alert rules after each sample cycle and
 * delivering the alerts that fire or resolve to the configured receivers
 * (webhooks, Alertmanager, commands).
 *
 * The sampler evaluates the rules (lib/, pw_monitor_set_alerts()) and
 * hands the transitions over in a bounded queue (procwatch/alertq.h);
 * a thread of its own delivers with libcurl's multi interface, retries with
 * exponential backoff and jitter, and keeps a spool file of what is still
 * to be delivered under the state directory.
 */
#ifndef PW_DAEMON_NOTIFIER_H
#define PW_DAEMON_NOTIFIER_H

#include <stddef.h>
#include <stdint.h>

#include "api/api.h"
#include "daemon/config.h"

struct notifier;
struct pw_alert;
struct pw_alerts;

/*
 * Create a notifier for cfg's receivers (cfg and alerts are borrowed and
 * must outlive it) and load the spool from cfg->state_dir.  `base_url`
 * ("http://127.0.0.1:9717", may be NULL) goes into Alertmanager's
 * generatorURL.  Returns NULL with a message in err when out of memory
 * or libcurl fails.  Free with notifier_free().  curl_global_init() must
 * have been called.  Thread: main.
 */
struct notifier	*notifier_new(const struct config *cfg,
		    struct pw_alerts *alerts, char *err, size_t errlen);
void		 notifier_set_base_url(struct notifier *, const char *url);

/*
 * The clock (milliseconds since the epoch) that ages jobs and schedules
 * retries; NULL restores the wall clock, the default.  For tests, which
 * drive the backoff with a fake clock.  Call before notifier_start();
 * fn is then called from the delivery thread.  Thread: main.
 */
typedef int64_t	 notifier_clock_fn(void *arg);
void		 notifier_set_clock(struct notifier *, notifier_clock_fn *fn,
		    void *arg);

/* Start the delivery thread.  0 or a negative errno.  Thread: main. */
int		 notifier_start(struct notifier *);

/*
 * Stop: deliver what can be delivered within about a second, write the
 * rest to the spool, join the thread.  Then free.  NULL is accepted.
 * Thread: main.
 */
void		 notifier_stop(struct notifier *);
void		 notifier_free(struct notifier *);

/*
 * Deliver the transitions the sampler pushes into q (borrowed; it must
 * outlive the notifier).  The delivery thread polls the queue's eventfd
 * and takes everything it holds on each turn, the last one at stop, so
 * after notifier_stop() the queue is empty if its producer was stopped
 * first.  Its drops count as "inbox full" for every receiver.  NULL: no
 * queue (tests use notifier_enqueue()).
 * Thread: main, before notifier_start().
 */
struct pw_alertq;
void		 notifier_set_queue(struct notifier *, struct pw_alertq *q);

/*
 * Queue alert transitions for delivery (as the cycle hook does); takes
 * ownership of t (malloc'd, may be NULL when nt is 0).  Never blocks on
 * delivery.  Thread: any.
 */
void		 notifier_enqueue(struct notifier *, struct pw_alert *t,
		    size_t nt);

/* api_notify_stats_fn for the API (arg = the notifier).  Thread: any. */
size_t		 notifier_stats(void *arg, struct api_receiver_stats *out,
		    size_t max);

#endif
