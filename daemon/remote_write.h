/*
 * daemon/remote_write.h: pushing procwatchd's series to Prometheus-
 * compatible stores (Prometheus, Thanos, Mimir, VictoriaMetrics) with
 * remote write 1.0, one sender thread per "remote_write" entry.
 *
 * With the on-disk history, each sender reads the cycles from it with a
 * cursor (lib/history.h) and saves its position under the state
 * directory: an outage of the receiver, or of procwatchd, costs nothing
 * while the history's budget keeps the cycles, and the backlog goes out
 * in time order (each series in order, as the receiver requires), faster
 * than real time but at most catchup_cycles_per_s.  Without it, the
 * sampler hands each cycle over into a bounded queue (queue_cycles);
 * past it the oldest cycle is dropped, and counted.
 */
#ifndef PW_DAEMON_REMOTE_WRITE_H
#define PW_DAEMON_REMOTE_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "api/api.h"
#include "daemon/config.h"

struct pw_history;
struct pw_monitor;
struct remote_writer;

/*
 * Senders for cfg's remote_write entries (cfg borrowed: it must outlive
 * the writer; a reload that changes them makes a new writer).  history
 * (borrowed, may be NULL: memory-only) is where the cycles come from.
 * NULL with a message in err when out of memory.  curl_global_init()
 * must have been called.  Thread: main.
 */
struct remote_writer	*rw_new(const struct config *cfg,
			    struct pw_history *history, char *err,
			    size_t errlen);
/* Start the threads: 0 or a negative errno.  Thread: main. */
int			 rw_start(struct remote_writer *);
/*
 * Stop (a request in flight is given up to a second) and free; the
 * history cursor's position is saved.  NULL is accepted.  Thread: main.
 */
void			 rw_free(struct remote_writer *);

/*
 * After a committed cycle at now_ms (the sampler's hook): memory-only,
 * the cycle is built from the store and queued; with a history, the
 * senders are only woken.  Never blocks on the network.
 * Thread: sampler.
 */
void			 rw_cycle(struct remote_writer *, struct pw_monitor *,
			    int64_t now_ms);

/* api_rw_stats_fn for /metrics (arg = the writer).  Thread: any. */
size_t			 rw_stats(void *arg, struct api_rw_stats *out,
			    size_t max);

#endif
