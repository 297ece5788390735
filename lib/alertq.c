/*
 * alertq.c: the bounded queue of alert transitions (procwatch/alertq.h).
 *
 * DESIGN: a ring of `cap` struct pw_alert allocated up front under one
 * mutex, plus an eventfd as the consumer's wake-up.  The producer writes
 * the eventfd after unlocking; the consumer reads (clears) it before it
 * locks and drains, so a push that races with a take at worst wakes the
 * consumer once more for nothing, and is never left unannounced.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <sys/eventfd.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <procwatch/alertq.h>
#include <procwatch/rules.h>

struct pw_alertq {
	pthread_mutex_t		 mtx;
	struct pw_alert		*ring;		/* cap entries */
	size_t			 cap, head, len;	/* head: oldest */
	uint64_t		 dropped;	/* in all */
	uint64_t		 dropped_taken;	/* told to the consumer */
	int			 efd;
};

struct pw_alertq *
pw_alertq_new(size_t cap)
{
	struct pw_alertq *q;

	if (cap == 0 || (q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	/* Pages are touched only as far as the queue ever fills. */
	if ((q->ring = malloc(cap * sizeof(*q->ring))) == NULL)
		goto out_free;
	if ((q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		goto out_ring;
	if (pthread_mutex_init(&q->mtx, NULL) != 0)
		goto out_efd;
	q->cap = cap;
	return q;
out_efd:
	close(q->efd);
out_ring:
	free(q->ring);
out_free:
	free(q);
	return NULL;
}

void
pw_alertq_free(struct pw_alertq *q)
{
	if (q == NULL)
		return;
	pthread_mutex_destroy(&q->mtx);
	close(q->efd);
	free(q->ring);
	free(q);
}

size_t
pw_alertq_push(struct pw_alertq *q, const struct pw_alert *v, size_t n)
{
	uint64_t one = 1;
	size_t i, take;

	if (n == 0)
		return 0;
	pthread_mutex_lock(&q->mtx);
	take = q->cap - q->len < n ? q->cap - q->len : n;
	for (i = 0; i < take; i++)
		q->ring[(q->head + q->len + i) % q->cap] = v[i];
	q->len += take;
	q->dropped += n - take;
	pthread_mutex_unlock(&q->mtx);
	/* EAGAIN only when the counter is near 2^64: awake already. */
	if (write(q->efd, &one, sizeof(one)) < 0)
		(void)0;
	return take;
}

int
pw_alertq_take(struct pw_alertq *q, struct pw_alert **out, size_t *n,
    uint64_t *dropped)
{
	struct pw_alert *v = NULL;
	uint64_t cnt;
	size_t i;

	/* Clear first: a push from here on announces itself again. */
	if (read(q->efd, &cnt, sizeof(cnt)) < 0)
		(void)0;		/* EAGAIN: nothing was announced */
	pthread_mutex_lock(&q->mtx);
	if (q->len > 0 && (v = malloc(q->len * sizeof(*v))) == NULL) {
		pthread_mutex_unlock(&q->mtx);
		cnt = 1;		/* still waiting: announce them again */
		if (write(q->efd, &cnt, sizeof(cnt)) < 0)
			(void)0;
		return -ENOMEM;
	}
	for (i = 0; i < q->len; i++)
		v[i] = q->ring[(q->head + i) % q->cap];
	*out = v;
	*n = q->len;
	if (dropped != NULL)
		*dropped = q->dropped - q->dropped_taken;
	q->dropped_taken = q->dropped;
	q->head = 0;
	q->len = 0;
	pthread_mutex_unlock(&q->mtx);
	return 0;
}

int
pw_alertq_fd(const struct pw_alertq *q)
{
	return q->efd;
}

uint64_t
pw_alertq_dropped(struct pw_alertq *q)
{
	uint64_t d;

	pthread_mutex_lock(&q->mtx);
	d = q->dropped;
	pthread_mutex_unlock(&q->mtx);
	return d;
}
