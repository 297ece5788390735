/*
 * procwatch/alertq.h: a bounded queue of alert transitions (fired,
 * resolved) from the sampler, which evaluates the rules after each cycle,
 * to whoever delivers them (procwatchd's notifier thread).
 *
 * DESIGN: the capacity is fixed at creation and the storage allocated
 * then, so a push never allocates and never waits: what does not fit is
 * dropped and counted (pw_alertq_dropped()).  The consumer sleeps in
 * poll() on pw_alertq_fd(), an eventfd the producer writes after each
 * push, so the sampler needs to call no code of the consumer's to wake it.
 * The queue's mutex is a leaf, held only for a copy (lib/internal.h).
 */
#ifndef PROCWATCH_ALERTQ_H
#define PROCWATCH_ALERTQ_H

#include <stddef.h>
#include <stdint.h>

struct pw_alert;
struct pw_alertq;

/*
 * Create a queue that holds at most `cap` transitions (cap >= 1).
 * Returns NULL when out of memory or out of descriptors (the eventfd).
 * Free with pw_alertq_free(); NULL is accepted.  Queued transitions point
 * at their rules (pw_alert.rule): take them all before the alert engine
 * swaps its rules (pw_alerts_reload()).
 * Thread: main, before and after every producer and consumer.
 */
struct pw_alertq	*pw_alertq_new(size_t cap);
void			 pw_alertq_free(struct pw_alertq *);

/*
 * Copy v[0..n) in, oldest first; what does not fit is dropped and
 * counted.  Returns how many were queued.  Never blocks beyond the
 * queue's own leaf mutex, never allocates.
 * Thread: any (procwatchd: the sampler).
 */
size_t	pw_alertq_push(struct pw_alertq *, const struct pw_alert *v, size_t n);

/*
 * Take everything queued: *out gets a malloc'd array (NULL when *n is 0)
 * for the caller to free, and the eventfd is drained.  *dropped (may be
 * NULL) gets how many were dropped since the last take.  0, or -ENOMEM
 * with the queue unchanged.
 * Thread: the consumer (procwatchd: the notifier).
 */
int	pw_alertq_take(struct pw_alertq *, struct pw_alert **out, size_t *n,
	    uint64_t *dropped);

/*
 * The descriptor that polls readable while transitions may be waiting
 * (spurious wake-ups happen; an empty take is fine).  Owned by the queue.
 * Thread: any.
 */
int	pw_alertq_fd(const struct pw_alertq *);

/* Transitions dropped because the queue was full, in all.  Thread: any. */
uint64_t	pw_alertq_dropped(struct pw_alertq *);

#endif
