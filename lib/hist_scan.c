/*
 * hist_scan.c: every record of one tier over a time range, each as a
 * cycle of raw-like values, for views that need all series at once over
 * a long window (the bottlenecks of a past day: api/history_rank.c).
 *
 * DESIGN: a tier's record holds five statistics per row; a scan hands on
 * one value per row, the one that reads like a raw sample of that time:
 * the mean of a gauge or rate (SUMMARY rows) and the last value of a
 * counter or setting (INCREASE, LAST rows: a counter's last value is its
 * cumulative count at the bucket's end).  A raw record is handed on as
 * it is.  The cycle is rebuilt for each record and lent to the callback.
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

/* Slot sl of the record just read, as one row vector into vals. */
static void
slot_rows(const struct hist_seg *seg, const struct hist_slot *sl,
    uint32_t nst, double *vals, uint32_t nrows)
{
	double st[HIST_NST];
	uint32_t c;
	int row;
	bool sum;

	for (c = 0; c < nrows; c++)
		vals[c] = NAN;
	for (c = 0; c < sl->ncols / nst; c++) {
		if ((row = pw__hist_col_row(seg, sl, c * nst, nst)) < 0 ||
		    (uint32_t)row >= nrows)
			continue;
		if (nst == 1) {
			vals[row] = sl->prev[c];
			continue;
		}
		pw__hist_rollup_load(sl->id.kind, row, &sl->prev[c * nst], st);
		sum = sl->id.kind == PW_HIST_CUSTOM ||
		    pw_metric_def((enum pw_metric)row)->rollup ==
		    PW_ROLLUP_SUMMARY;
		vals[row] = sum ? st[HIST_ST_MEAN] : st[HIST_ST_LAST];
	}
}

int
pw_history_scan(struct pw_history *h, enum pw_hist_res res, int64_t since_ms,
    int64_t until_ms, pw_hist_scan_fn *fn, void *arg)
{
	struct hist_reader r;
	struct hist_rec rec;
	struct pw_hist_cycle *cy = NULL;
	const struct hist_slot *sl;
	uint32_t nst = res == PW_HIST_RAW ? 1 : HIST_NST, k, nrows;
	double vals[PW_METRIC_NROWS];
	int rc;

	if ((int)res < 0 || res >= PW_HIST_NRES || since_ms >= until_ms)
		return -EINVAL;
	if ((rc = pw__hist_reader_init(&r, h, (int)res, since_ms,
	    until_ms)) < 0)
		return rc;
	while ((rc = pw__hist_reader_next(&r, &rec, NULL)) == 1) {
		if (rec.ts_ms < since_ms)
			continue;
		if (rec.ts_ms >= until_ms)
			break;
		pw_hist_cycle_free(cy);
		if ((cy = pw_hist_cycle_new(rec.ts_ms, r.interval_ms)) ==
		    NULL) {
			rc = -ENOMEM;
			break;
		}
		for (k = 0; k < r.coder.npresent; k++) {
			sl = &r.coder.slot[r.coder.present[k]];
			nrows = pw__hist_out_rows(sl);
			if (nrows > PW_METRIC_NROWS)
				nrows = PW_METRIC_NROWS;
			slot_rows(r.seg, sl, nst, vals, nrows);
			if ((rc = pw_hist_cycle_add(cy, &sl->id, vals,
			    nrows)) < 0)
				goto out;
		}
		if ((rc = fn(arg, cy)) != 0)
			break;
	}
out:
	pw_hist_cycle_free(cy);
	pw__hist_reader_fini(&r);
	return rc < 0 ? rc : 0;
}
