/*
 * hist_at.c: the moment at a time (lib/history.h, ?at=): every series'
 * values in the last record at or before it.
 *
 * DESIGN: the raw chain first, from a key record up to ten minutes
 * before, then the minute roll-ups (their last values) up to an hour
 * before; a record older than two intervals means procwatchd was not
 * running then, and the answer is -ENOENT rather than stale values.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/metric.h>

#include "hist_impl.h"

void
pw_hist_at_free(struct pw_hist_at *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->n; i++) {
		pw__hist_ident_free_strings(&a->e[i].ident);
		free(a->e[i].val);
	}
	free(a->e);
	free(a);
}

static int
cmp_at(const void *x, const void *y)
{
	const struct pw_hist_at_entry *a = x, *b = y;

	if (a->ident.kind != b->ident.kind)
		return a->ident.kind < b->ident.kind ? -1 : 1;
	if (a->ident.kind == PW_HIST_PROC) {
		if (a->ident.pid != b->ident.pid)
			return a->ident.pid < b->ident.pid ? -1 : 1;
		return a->ident.start_time_ms < b->ident.start_time_ms ? -1 :
		    a->ident.start_time_ms > b->ident.start_time_ms;
	}
	return strcmp(a->ident.name, b->ident.name);
}

/* The last record at or before at_ms in a tier, as a set. */
static int
at_tier(struct pw_history *h, int tier, int64_t at_ms, int64_t reach_ms,
    struct pw_hist_at **out)
{
	struct pw_hist_at *a = NULL;
	struct hist_rec rec;
	struct hist_reader r;
	struct hist_seg *kseg = NULL;
	const struct hist_slot *sl;
	int64_t found = INT64_MIN, interval = 0;
	uint32_t nst = tier == PW_HIST_RAW ? 1 : HIST_NST, k, c;
	int rc, row;

	if ((rc = pw__hist_reader_init(&r, h, tier,
	    pw__hist_sat_add(at_ms, -reach_ms),
	    pw__hist_sat_add(at_ms, 1))) < 0)
		return rc;
	r.since_ms = at_ms;
	/* Decode up to the last record at or before at_ms; peek, then read. */
	for (;;) {
		int64_t next;

		if ((rc = pw__hist_reader_peek_ts(&r, &next)) <= 0)
			break;
		if (next > at_ms)
			break;
		if ((rc = pw__hist_reader_next(&r, &rec, NULL)) <= 0)
			break;
		if (rec.ts_ms > at_ms)
			break;		/* a record peek could not read */
		found = rec.ts_ms;
		interval = r.interval_ms;
		kseg = r.seg;
	}
	if (rc < 0)
		goto out;
	if (found != INT64_MIN) {
		if ((a = calloc(1, sizeof(*a))) == NULL ||
		    (a->e = calloc(r.coder.npresent ? r.coder.npresent : 1,
		    sizeof(*a->e))) == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		for (k = 0; k < r.coder.npresent; k++) {
			struct pw_hist_at_entry *e = &a->e[a->n];

			sl = &r.coder.slot[r.coder.present[k]];
			e->ident = sl->id;
			e->ident.name = strdup(sl->id.name);
			e->ident.cmdline = strdup(sl->id.cmdline);
			e->ident.target = strdup(sl->id.target);
			e->ts_ms = found;
			e->ncols = pw__hist_out_rows(sl);
			e->val = malloc(e->ncols * sizeof(double));
			a->n++;
			if (e->ident.name == NULL || e->ident.cmdline == NULL ||
			    e->ident.target == NULL || e->val == NULL) {
				rc = -ENOMEM;
				goto out;
			}
			for (c = 0; c < e->ncols; c++)
				e->val[c] = NAN;
			for (c = 0; c < sl->ncols / nst; c++) {
				double st[HIST_NST];

				if ((row = pw__hist_col_row(kseg, sl, c * nst,
				    nst)) < 0)
					continue;
				if (nst == 1) {
					e->val[row] = sl->prev[c];
					continue;
				}
				pw__hist_rollup_load(sl->id.kind, row,
				    &sl->prev[c * nst], st);
				e->val[row] = st[HIST_ST_LAST];
			}
		}
	}
	if (rc < 0)
		goto out;
	/* Nothing then, or the daemon was not running then. */
	if (a == NULL || found == INT64_MIN || at_ms - found >
	    (tier == PW_HIST_RAW ? 2 * (interval > 0 ? interval : 1000) :
	    2 * (interval > 0 ? interval : 60000))) {
		rc = -ENOENT;
		goto out;
	}
	a->at_ms = at_ms;
	a->res = (enum pw_hist_res)tier;
	qsort(a->e, a->n, sizeof(*a->e), cmp_at);
	*out = a;
	a = NULL;
	rc = 0;
out:
	pw_hist_at_free(a);
	pw__hist_reader_fini(&r);
	return rc;
}

int
pw_history_at(struct pw_history *h, int64_t at_ms, struct pw_hist_at **out)
{
	int rc;

	rc = at_tier(h, PW_HIST_RAW, at_ms, 600000, out);
	if (rc == -ENOENT)
		rc = at_tier(h, PW_HIST_1M, at_ms, 3600000, out);
	return rc;
}

