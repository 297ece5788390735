/*
 * daemon/history.h: procwatchd's side of the history on disk
 * (lib/history.h): opened under state_dir with the config's budget and
 * tiers, fed every committed cycle from the sampler's cycle hook (with the
 * alert transitions of that cycle), closed at shutdown.
 *
 * DESIGN: the history is optional.  A directory that cannot be used (it
 * is missing and cannot be made, it is read-only, we lack the rights)
 * leaves the daemon memory-only: history_open() says why once and the
 * reason is served in /healthz.  Another daemon holding the directory's
 * lock is different: two writers would interleave one history, so the
 * daemon refuses to start.  Reload keeps the history open and as it was
 * opened; a change to history_* or state_dir takes effect at restart.
 */
#ifndef PW_DAEMON_HISTORY_H
#define PW_DAEMON_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct history;
struct pw_alerts;
struct pw_history;
struct pw_monitor;

/*
 * Open the history that cfg describes.  Returns 0 and *out; *out is NULL
 * when the daemon runs memory-only (history_disk false, or the directory
 * cannot be used), and then `why` says so in one line that has been
 * logged.  Returns -EBUSY when another process holds the directory (`why`
 * names it and its pid; the caller refuses to start), or -ENOMEM.
 * Free with history_close().
 * Thread: main, before the sampler starts.
 */
int	history_open(const struct config *cfg, struct history **out,
	    char *why, size_t whylen);

/*
 * Start the writer; from then on history_cycle(), called from the
 * sampler's cycle hook, feeds it, with the firing/resolved transitions
 * of `alerts` (may be NULL).  The sampler's transitions then go to the
 * notifier's queue `q` through history_cycle() (pw_monitor_set_alerts()
 * is called here), so that alerts firing when the previous daemon
 * stopped are not announced twice.  Returns 0 or a negative errno (the
 * writer thread did not start).
 * Thread: main, while the sampler is stopped, after
 * pw_monitor_set_alerts(mon, alerts, q).
 */
struct pw_alertq;
struct pw_events;
/*
 * The events feed (borrowed, may be NULL) whose exit codes and signals
 * complete the exits the history records.  Thread: main, before
 * history_start().
 */
void	history_set_events(struct history *, struct pw_events *);
int	history_start(struct history *, struct pw_monitor *mon,
	    struct pw_alerts *alerts, struct pw_alertq *q);

/*
 * The committed cycle at now_ms into the history's queue (never waits),
 * with the cycle's alert transitions, which go on to the notifier's
 * queue from here.  NULL, or a history not started, does nothing.
 * Thread: the sampler (procwatchd's cycle hook), first in it.
 */
void	history_cycle(struct history *, struct pw_monitor *mon,
	    int64_t now_ms);

/*
 * The engine, for the API's readers (borrowed; NULL accepted, gives
 * NULL).  Thread: any.
 */
struct pw_history *history_engine(struct history *);
/* Where it is (state_dir/history); NULL for NULL.  Thread: any. */
const char	*history_dir(struct history *);

/*
 * Say at reload what of a new config's history settings waits for a
 * restart.  Thread: main.
 */
void	history_reload_check(const struct config *old,
	    const struct config *nc);

/*
 * Write what is queued (up to a few seconds), fsync, release the lock,
 * free.  The sampler must be stopped (no more cycle hooks) and the API
 * too.  NULL is accepted.  Thread: main.
 */
void	history_close(struct history *);

#endif
