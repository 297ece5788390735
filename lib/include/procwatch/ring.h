/*
 * procwatch/ring.h: fixed-capacity history of the samples of one process.
 *
 * Samples are packed into 56-byte records (lib/ring.c says how); pushing
 * overwrites the oldest once the ring is full.  Memory is allocated once, in
 * pw_ring_new(): a push never allocates.
 */
#ifndef PROCWATCH_RING_H
#define PROCWATCH_RING_H

#include <stddef.h>
#include <stdint.h>

#include <procwatch/sample.h>

struct pw_ring;

/* Bytes one stored sample takes in a ring. */
#define PW_RING_RECORD_BYTES	56

/*
 * Create a ring that keeps the newest `cap` samples (cap >= 1).  `hz` is the
 * kernel's clock tick rate (sysconf(_SC_CLK_TCK)), used to turn CPU ticks
 * into percentages.  Returns NULL when out of memory or cap is 0.
 * Free with pw_ring_free(); NULL is accepted.
 * Thread: one writer; readers must be excluded by the caller (the store).
 */
struct pw_ring	*pw_ring_new(size_t cap, long hz);
void		 pw_ring_free(struct pw_ring *);

/*
 * Append a sample.  Only the absolute fields are read (ts_ms, ticks,
 * counters, sizes, fds, threads, state, flags NO_IO/NO_FDS); the rates are
 * derived from the previous sample.  A counter that went backwards (a reset)
 * counts as a zero delta.  Samples whose ts_ms is not after the newest one
 * are accepted; their rates are 0.
 * Thread: the ring's writer (the sampler, under the store's write lock).
 */
void		 pw_ring_push(struct pw_ring *, const struct pw_sample *);

/*
 * Change the capacity to `cap` (>= 1), keeping the newest samples that fit.
 * Returns 0, or -EINVAL / -ENOMEM with the ring unchanged.
 * Thread: the ring's writer (the store's write lock: a reload).
 */
int		 pw_ring_resize(struct pw_ring *, size_t cap);

/* Thread: any thread holding the store's lock (a read lock suffices). */
size_t		 pw_ring_len(const struct pw_ring *);
size_t		 pw_ring_cap(const struct pw_ring *);
/*
 * Total pushes since creation: a reader can tell how many it missed.
 * Thread: as pw_ring_len().
 */
uint64_t	 pw_ring_pushed(const struct pw_ring *);

/*
 * Decode the newest sample into *out.  Returns 0, or -ENOENT if empty.
 * Thread: as pw_ring_len().
 */
int		 pw_ring_latest(const struct pw_ring *, struct pw_sample *out);

/*
 * Decode up to `max` samples, oldest first, that are newer than `since_ms`
 * (pass INT64_MIN for all), keeping the newest `max` of them when more match.
 * Returns how many were written to out[].  O(len).
 * Thread: as pw_ring_len().
 */
size_t		 pw_ring_copy(const struct pw_ring *, int64_t since_ms,
		    struct pw_sample *out, size_t max);

#endif
