/*
 * hist_budget.c: what the history keeps (lib/history.h): the age limit
 * of each roll-up tier and the byte budget over all chains.
 *
 * DESIGN: whole segments are deleted, oldest first: first those past
 * their tier's age (minute_keep_ms for the minutes, hour_keep_ms for the
 * hours and the events; raw data has no age limit, only the budget),
 * then, while the total is over max_bytes, the oldest raw, then minute,
 * hour and event segments, so the coarse past outlives the fine.  The
 * segment being written is never deleted.  Runs on the writer thread,
 * or the thread opening or closing the history; a reader holding a
 * deleted segment keeps reading it until it lets go.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hist_impl.h"
#include "pwutil.h"

static void
delete_seg(struct pw_history *h, int tier, size_t i)
{
	struct hist_chain *ch = &h->chain[tier];
	struct hist_seg *s;
	char ip[4096];

	pthread_mutex_lock(&h->mu);
	s = ch->seg[i];
	memmove(&ch->seg[i], &ch->seg[i + 1], (ch->n - i - 1) * sizeof(*ch->seg));
	ch->n--;
	h->st.segments_expired++;
	pthread_mutex_unlock(&h->mu);
	/* A reader with the file open keeps reading it (unlink semantics). */
	unlink(s->path);
	snprintf(ip, sizeof(ip), "%s.idx", s->path);
	unlink(ip);
	pw__hist_seg_unref(s);
}

static uint64_t
total_bytes(struct pw_history *h)
{
	uint64_t t = 0;
	size_t i;
	int k;

	for (k = 0; k < HIST_NTIERS; k++)
		for (i = 0; i < h->chain[k].n; i++)
			t += h->chain[k].seg[i]->size;
	return t;
}

void
pw__hist_enforce(struct pw_history *h, int64_t now_ms)
{
	static const int order[] = { PW_HIST_RAW, PW_HIST_1M, PW_HIST_1H,
	    HIST_TIER_EV };
	struct hist_chain *ch;
	int64_t keep;
	size_t k;
	int t;

	for (t = PW_HIST_1M; t < HIST_NTIERS; t++) {
		ch = &h->chain[t];
		keep = t == PW_HIST_1M ? h->o.minute_keep_ms : h->o.hour_keep_ms;
		while (ch->n > 1 && ch->seg[0]->sealed &&
		    ch->seg[0]->last_ms < now_ms - keep)
			delete_seg(h, t, 0);
	}
	for (k = 0; k < NELEM(order) && total_bytes(h) > h->o.max_bytes;) {
		ch = &h->chain[order[k]];
		/* Never the segment being written. */
		if (ch->n > 1 || (ch->n == 1 && ch->fd < 0))
			delete_seg(h, order[k], 0);
		else
			k++;
	}
}

