/*
 * hist_series.c: one series of the history (lib/history.h): a process's,
 * a target's or a custom series' values over [since, until) at one
 * resolution, with its gaps; and the resolution that fits a limit.
 *
 * DESIGN: one pass over the tier's chain with a coder that decodes only
 * the slots matching the query (the others' values are stepped over).
 * Each process start time seen under the pid is a candidate series; the
 * one asked for (at_ms, else the newest) is kept, its newest `limit`
 * points.  A roll-up bucket written in two parts (a restart in the
 * middle) is merged into one point.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/metric.h>
#include <procwatch/stats.h>

#include "hist_impl.h"

struct cand {
	struct pw_hist_series	*ser;
	size_t			 cap;
	int64_t			 first_ms, last_ms;
};

void
pw_hist_series_free(struct pw_hist_series *s)
{
	if (s == NULL)
		return;
	pw__hist_ident_free_strings(&s->ident);
	free(s->ts_ms);
	free(s->val);
	free(s->min);
	free(s->max);
	free(s->last);
	free(s->count);
	free(s->gaps);
	free(s);
}

static int
cand_grow(struct cand *c, size_t ncols, bool tiered)
{
	struct pw_hist_series *s = c->ser;
	size_t ncap = c->cap ? c->cap * 2 : 256;
	void *p;

#define GROW(f, n)							\
	do {								\
		if ((p = realloc(s->f, ncap * (n) * sizeof(*s->f))) == NULL) \
			return -ENOMEM;					\
		s->f = p;						\
	} while (0)
	GROW(ts_ms, 1);
	GROW(val, ncols);
	if (tiered) {
		GROW(min, ncols);
		GROW(max, ncols);
		GROW(last, ncols);
		GROW(count, ncols);
	}
#undef GROW
	c->cap = ncap;
	return 0;
}

static int
cand_new(struct cand *c, const struct hist_slot *sl, enum pw_hist_res res)
{
	struct pw_hist_series *s;

	memset(c, 0, sizeof(*c));
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -ENOMEM;
	c->ser = s;
	s->ident = sl->id;
	s->ident.name = strdup(sl->id.name);
	s->ident.cmdline = strdup(sl->id.cmdline);
	s->ident.target = strdup(sl->id.target);
	s->res = res;
	s->ncols = pw__hist_out_rows(sl);
	if (s->ident.name == NULL || s->ident.cmdline == NULL ||
	    s->ident.target == NULL)
		return -ENOMEM;
	return 0;
}

/* Add the slot's values at ts as a point (or merge a split bucket). */
static int
cand_add(struct cand *c, const struct hist_reader *r,
    const struct hist_slot *sl, int64_t ts)
{
	struct pw_hist_series *s = c->ser;
	bool tiered = r->tier != PW_HIST_RAW;
	uint32_t nst = tiered ? HIST_NST : 1, k;
	size_t nc = s->ncols, i, base;
	double st[HIST_NST];
	const double *v;
	int row;

	if (tiered && s->n > 0 && s->ts_ms[s->n - 1] == ts) {
		/* A bucket written in two parts (a restart): merge them. */
		base = (s->n - 1) * nc;
		for (k = 0; k < sl->ncols / nst; k++) {
			if ((row = pw__hist_col_row(r->seg, sl, k * nst,
			    nst)) < 0)
				continue;
			pw__hist_rollup_load(sl->id.kind, row,
			    &sl->prev[k * nst], st);
			v = st;
			i = base + (size_t)row;
			if (v[HIST_ST_COUNT] <= 0)
				continue;
			if (s->count[i] == 0) {
				s->val[i] = v[HIST_ST_MEAN];
				s->min[i] = v[HIST_ST_MIN];
				s->max[i] = v[HIST_ST_MAX];
			} else {
				bool inc = sl->id.kind != PW_HIST_CUSTOM &&
				    pw_metric_def((enum pw_metric)row)->rollup ==
				    PW_ROLLUP_INCREASE;

				s->val[i] = inc ? s->val[i] + v[HIST_ST_MEAN] :
				    (s->val[i] * s->count[i] + v[HIST_ST_MEAN] *
				    v[HIST_ST_COUNT]) / (s->count[i] +
				    v[HIST_ST_COUNT]);
				if (v[HIST_ST_MIN] < s->min[i])
					s->min[i] = v[HIST_ST_MIN];
				if (v[HIST_ST_MAX] > s->max[i])
					s->max[i] = v[HIST_ST_MAX];
			}
			s->count[i] += (uint32_t)v[HIST_ST_COUNT];
			s->last[i] = v[HIST_ST_LAST];
		}
		return 0;
	}
	if (s->n == c->cap && cand_grow(c, nc, tiered) < 0)
		return -ENOMEM;
	/* A gap: longer than 1.5 intervals since the point before. */
	if (s->n > 0 && ts - s->ts_ms[s->n - 1] > (r->interval_ms > 0 ?
	    r->interval_ms * 3 / 2 : 1)) {
		struct pw_hist_gap *g = realloc(s->gaps, (s->ngaps + 1) *
		    sizeof(*g));

		if (g == NULL)
			return -ENOMEM;
		s->gaps = g;
		g[s->ngaps].from_ms = s->ts_ms[s->n - 1];
		g[s->ngaps].until_ms = ts;
		s->ngaps++;
	}
	base = s->n * nc;
	s->ts_ms[s->n] = ts;
	for (i = 0; i < nc; i++) {
		s->val[base + i] = NAN;
		if (tiered) {
			s->min[base + i] = s->max[base + i] = NAN;
			s->last[base + i] = NAN;
			s->count[base + i] = 0;
		}
	}
	for (k = 0; k < sl->ncols / nst; k++) {
		if ((row = pw__hist_col_row(r->seg, sl, k * nst, nst)) < 0)
			continue;
		i = base + (size_t)row;
		v = &sl->prev[k * nst];
		if (!tiered) {
			s->val[i] = v[0];
			continue;
		}
		pw__hist_rollup_load(sl->id.kind, row, v, st);
		s->val[i] = st[HIST_ST_MEAN];
		s->min[i] = st[HIST_ST_MIN];
		s->max[i] = st[HIST_ST_MAX];
		s->last[i] = st[HIST_ST_LAST];
		s->count[i] = (uint32_t)st[HIST_ST_COUNT];
	}
	s->n++;
	if (c->first_ms == 0)
		c->first_ms = ts;
	c->last_ms = ts;
	return 0;
}

static bool
slot_matches(const struct hist_slot *s, const struct pw_hist_query *q)
{
	if (s->id.kind != q->kind)
		return false;
	if (q->kind == PW_HIST_PROC)
		return s->id.pid == q->pid && (q->start_time_ms == 0 ||
		    s->id.start_time_ms == q->start_time_ms);
	return strcmp(s->id.name, q->name) == 0;
}

static bool
keep_slot(const struct hist_slot *s, void *arg)
{
	return slot_matches(s, arg);
}

/* Keep the newest `limit` points. */
static void
trim(struct pw_hist_series *s, size_t limit)
{
	size_t drop, nc = s->ncols, i, k;

	if (limit == 0 || s->n <= limit)
		return;
	drop = s->n - limit;
	s->truncated = true;
	memmove(s->ts_ms, s->ts_ms + drop, limit * sizeof(*s->ts_ms));
	memmove(s->val, s->val + drop * nc, limit * nc * sizeof(*s->val));
	if (s->min != NULL) {
		memmove(s->min, s->min + drop * nc, limit * nc * sizeof(double));
		memmove(s->max, s->max + drop * nc, limit * nc * sizeof(double));
		memmove(s->last, s->last + drop * nc,
		    limit * nc * sizeof(double));
		memmove(s->count, s->count + drop * nc,
		    limit * nc * sizeof(*s->count));
	}
	s->n = limit;
	for (i = 0, k = 0; i < s->ngaps; i++)
		if (s->gaps[i].until_ms > s->ts_ms[0])
			s->gaps[k++] = s->gaps[i];
	s->ngaps = k;
}

int
pw_history_series(struct pw_history *h, const struct pw_hist_query *q,
    struct pw_hist_series **out)
{
	struct cand *c = NULL, *nc;
	struct hist_rec rec;
	struct hist_reader r;
	const struct hist_slot *sl;
	size_t ncand = 0, i, best;
	uint32_t k, j;
	int rc;

	if (q == NULL || q->res >= PW_HIST_NRES || q->until_ms <= q->since_ms ||
	    (q->kind != PW_HIST_PROC && q->name == NULL) ||
	    q->kind > PW_HIST_CUSTOM)
		return -EINVAL;
	if ((rc = pw__hist_reader_init(&r, h, (int)q->res, q->since_ms,
	    q->until_ms)) < 0)
		return rc;
	r.coder.keep = keep_slot;
	r.coder.keep_arg = (void *)q;
	while ((rc = pw__hist_reader_next(&r, &rec, NULL)) == 1) {
		if (rec.ts_ms >= q->until_ms)
			break;
		if (rec.ts_ms < q->since_ms)
			continue;
		for (k = 0; k < r.coder.npresent; k++) {
			sl = &r.coder.slot[r.coder.present[k]];
			if (sl->skip || !slot_matches(sl, q))
				continue;
			for (i = 0; i < ncand; i++)
				if (c[i].ser->ident.start_time_ms ==
				    sl->id.start_time_ms)
					break;
			if (i == ncand) {
				if ((nc = realloc(c, (ncand + 1) *
				    sizeof(*c))) == NULL) {
					rc = -ENOMEM;
					goto out;
				}
				c = nc;
				if ((rc = cand_new(&c[ncand++], sl, q->res)) < 0)
					goto out;
			}
			if ((rc = cand_add(&c[i], &r, sl, rec.ts_ms)) < 0)
				goto out;
			/* Strings may change (an exec): keep the newest. */
			if (strcmp(c[i].ser->ident.name, sl->id.name) != 0 ||
			    strcmp(c[i].ser->ident.cmdline, sl->id.cmdline)) {
				char *n = strdup(sl->id.name);
				char *cl = strdup(sl->id.cmdline);

				if (n == NULL || cl == NULL) {
					free(n);
					free(cl);
					rc = -ENOMEM;
					goto out;
				}
				free((char *)c[i].ser->ident.name);
				free((char *)c[i].ser->ident.cmdline);
				c[i].ser->ident.name = n;
				c[i].ser->ident.cmdline = cl;
			}
		}
	}
	if (rc < 0)
		goto out;
	if (ncand == 0) {
		rc = -ENOENT;
		goto out;
	}
	/*
	 * Which holder of the pid: the one sampled around at_ms, else the
	 * last one started by then; without at_ms, the newest.
	 */
	best = 0;
	for (i = 1; i < ncand; i++)
		if (c[i].ser->ident.start_time_ms >
		    c[best].ser->ident.start_time_ms)
			best = i;
	if (q->at_ms != 0) {
		size_t by_start = ncand;

		for (i = 0; i < ncand; i++) {
			if (c[i].first_ms <= q->at_ms &&
			    q->at_ms <= c[i].last_ms) {
				by_start = ncand;
				best = i;
				break;
			}
			if (c[i].ser->ident.start_time_ms <= q->at_ms &&
			    (by_start == ncand ||
			    c[i].ser->ident.start_time_ms >
			    c[by_start].ser->ident.start_time_ms))
				by_start = i;
		}
		if (i == ncand && by_start < ncand)
			best = by_start;
	}
	trim(c[best].ser, q->limit);
	*out = c[best].ser;
	c[best].ser = NULL;
	rc = 0;
out:
	for (j = 0; j < ncand; j++)
		pw_hist_series_free(c[j].ser);
	free(c);
	pw__hist_reader_fini(&r);
	return rc;
}

enum pw_hist_res
pw_hist_res_auto(int64_t since_ms, int64_t until_ms, int64_t interval_ms,
    size_t limit)
{
	uint64_t span;

	if (until_ms <= since_ms || limit == 0)
		return PW_HIST_RAW;
	span = (uint64_t)until_ms - (uint64_t)since_ms;	/* no overflow */
	if (interval_ms <= 0)
		interval_ms = 1000;
	if (span / (uint64_t)interval_ms <= limit)
		return PW_HIST_RAW;
	if (span / 60000 <= limit)
		return PW_HIST_1M;
	return PW_HIST_1H;
}


size_t
pw_hist_series_buckets(const struct pw_hist_series *s, size_t col,
    struct pw_bucket *out)
{
	size_t i, k = 0, at;

	if (col >= s->ncols)
		return 0;
	for (i = 0; i < s->n; i++) {
		at = i * s->ncols + col;
		if (!isfinite(s->val[at]))
			continue;
		if (s->count == NULL) {
			out[k].n = 1;
			out[k].mean = out[k].min = out[k].max = s->val[at];
		} else {
			if (s->count[at] == 0)
				continue;
			out[k].n = s->count[at];
			out[k].mean = s->val[at];
			out[k].min = s->min[at];
			out[k].max = s->max[at];
		}
		k++;
	}
	return k;
}

int64_t
pw_history_reach_ms(const struct pw_history *h, enum pw_hist_res res)
{
	return res == PW_HIST_1H ? h->o.hour_keep_ms : h->o.minute_keep_ms;
}
