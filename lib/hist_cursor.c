/*
 * hist_cursor.c: the cursor (lib/history.h): every raw cycle after a
 * position, oldest first, for senders that resume where they stopped.
 *
 * DESIGN: a reader of the raw chain, kept open between calls.  At the
 * end of the segments it took, it looks once for newer ones written
 * since and starts again after its position.  When the budget deleted
 * segments it had not reached, the skip is counted, not hidden.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include <procwatch/metric.h>

#include "hist_impl.h"

struct pw_hist_cursor {
	struct pw_history	*h;
	struct hist_reader		 r;
	bool			 open;
	uint64_t		 seq;		/* of the segment being read */
	int64_t			 pos;
	uint64_t		 skipped;
	struct pw_hist_cycle	*cy;
};

int
pw_hist_cursor_new(struct pw_history *h, int64_t after_ms,
    struct pw_hist_cursor **out)
{
	struct pw_hist_cursor *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	if ((c->cy = pw_hist_cycle_new(0, 0)) == NULL) {
		free(c);
		return -ENOMEM;
	}
	c->h = h;
	c->pos = after_ms;
	*out = c;
	return 0;
}

void
pw_hist_cursor_free(struct pw_hist_cursor *c)
{
	if (c == NULL)
		return;
	if (c->open)
		pw__hist_reader_fini(&c->r);
	pw_hist_cycle_free(c->cy);
	free(c);
}

int64_t
pw_hist_cursor_pos(const struct pw_hist_cursor *c)
{
	return c->pos;
}

uint64_t
pw_hist_cursor_skipped(const struct pw_hist_cursor *c)
{
	return c->skipped;
}

/* The cycle of the reader's current record, with our rows. */
static int
emit_cycle(struct pw_hist_cursor *cu, int64_t ts)
{
	struct hist_reader *r = &cu->r;
	struct pw_hist_cycle *cy = cu->cy;
	const struct hist_slot *sl;
	double v[PW_METRIC_NROWS];
	uint32_t k, c;
	int row, rc;

	cy->ts_ms = ts;
	cy->interval_ms = r->interval_ms;
	for (k = 0; k < r->coder.npresent; k++) {
		sl = &r->coder.slot[r->coder.present[k]];
		for (c = 0; c < PW_METRIC_NROWS; c++)
			v[c] = NAN;
		for (c = 0; c < sl->ncols; c++)
			if ((row = pw__hist_col_row(r->seg, sl, c, 1)) >= 0)
				v[row] = sl->prev[c];
		if ((rc = pw_hist_cycle_add(cy, &sl->id, v,
		    pw__hist_out_rows(sl))) < 0)
			return rc;
	}
	return 0;
}

int
pw_hist_cursor_next(struct pw_hist_cursor *cu, const struct pw_hist_cycle **out)
{
	struct hist_chain *ch = &cu->h->chain[PW_HIST_RAW];
	struct hist_rec rec;
	bool newer;
	int rc, pass;
	size_t i;

	for (pass = 0; pass < 2; pass++) {
		if (!cu->open) {
			if ((rc = pw__hist_reader_init(&cu->r, cu->h,
			    PW_HIST_RAW, pw__hist_sat_add(cu->pos, 1),
			    INT64_MAX)) < 0)
				return rc;
			cu->r.since_ms = pw__hist_sat_add(cu->pos, 1);
			cu->open = true;
			/* The budget dropped what we had not read yet. */
			pthread_mutex_lock(&cu->h->mu);
			if (cu->r.nsegs > 0 && cu->pos != 0 &&
			    cu->r.segs[0]->first_ms >
			    pw__hist_sat_add(cu->pos, 1) &&
			    cu->r.segs[0]->seq > cu->seq && cu->seq != 0)
				cu->skipped++;
			pthread_mutex_unlock(&cu->h->mu);
		}
		for (;;) {
			pw__hist_cycle_reset(cu->cy, 0, 0);
			if ((rc = pw__hist_reader_next(&cu->r, &rec,
			    cu->cy)) < 0)
				return rc;
			if (rc == 0)
				break;
			if (cu->r.seg != NULL)
				cu->seq = cu->r.seg->seq;
			if (rec.ts_ms <= cu->pos)
				continue;
			if ((rc = emit_cycle(cu, rec.ts_ms)) < 0)
				return rc;
			cu->pos = rec.ts_ms;
			*out = cu->cy;
			return 1;
		}
		/* At the end of what we took: anything newer written since? */
		pw__hist_reader_fini(&cu->r);
		cu->open = false;
		newer = false;
		pthread_mutex_lock(&cu->h->mu);
		for (i = 0; i < ch->n && !newer; i++)
			newer = ch->seg[i]->last_ms > cu->pos;
		pthread_mutex_unlock(&cu->h->mu);
		if (!newer)
			return 0;
	}
	return 0;
}
