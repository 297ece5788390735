/*
 * hist_tier.c: per-minute and per-hour roll-ups of the raw cycles.
 *
 * DESIGN: one accumulator per series seen in the bucket in progress; when
 * a cycle falls in a later bucket, the finished one becomes a cycle of
 * roll-up series (per row: count, min, max, mean, last; for a row the
 * catalogue rolls up as PW_ROLLUP_INCREASE, the increase over the bucket
 * in place of the mean) that the writer appends to the tier's chain like
 * any cycle, delta-coded against the bucket before: an idle process's
 * roll-up repeats and costs next to nothing.  The hour tier is fed the
 * minute tier's buckets (merged: counts add, means weigh by count), so
 * both agree.  A counter's increase is taken between consecutive samples
 * and belongs to the bucket of the later one; a reset (the value went
 * down) counts the new value as the growth, as PW_ROLLUP_INCREASE says.
 *
 * On disk a bucket holds the sum, not the mean, and rows of kind RATE or
 * RATIO (percentages, rates: fractions) in thousandths rounded to whole
 * numbers, so that the codec codes every statistic as a small integer
 * delta: a busy process's minute costs tens of bytes, not the hundreds
 * that XORs of arbitrary doubles take.  Raw samples stay exact.
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

struct acc_col {
	double		count, min, max, sum, last, inc;
	double		prev;		/* raw counters: the last value */
};

struct acc {
	struct pw_hist_ident	 id;	/* strings malloc'd */
	uint32_t		 nrows;	/* PW_METRIC_NROWS, or 1 */
	struct acc_col		*col;
	bool			 seen;	/* in this bucket */
	int64_t			 last_ms;	/* the last cycle it was in */
};

/*
 * Gone series whose bucket a tier may keep beyond twice the live ones.
 * A host that starts hundreds of short processes a second would otherwise
 * hold an accumulator (some 3 KB) for every one of them until the minute,
 * or the hour, ends: past the bound the longest gone lose their roll-up
 * of the bucket (their raw samples stay as long as raw does).
 */
#define TIER_SLACK	256

struct hist_tier {
	int64_t		 width_ms;
	int64_t		 bucket;	/* start of the one in progress */
	bool		 started;
	int64_t		 interval_ms;
	struct acc	*a;
	size_t		 n, cap;
	size_t		*hash;		/* index + 1; 0 empty */
	size_t		 hcap;
	bool		 inc[PW_METRIC_NROWS];
	uint64_t	 evicted;	/* accumulators forgotten early */
};

static uint32_t
key_hash(const struct pw_hist_ident *id)
{
	uint32_t h = 2166136261u ^ (uint32_t)id->kind;
	const char *s;

	if (id->kind == PW_HIST_PROC) {
		h = (h ^ (uint32_t)id->pid) * 16777619u;
		h = (h ^ (uint32_t)id->start_time_ms) * 16777619u;
		return (h ^ (uint32_t)(id->start_time_ms >> 32)) * 16777619u;
	}
	for (s = id->name; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static bool
key_same(const struct pw_hist_ident *a, const struct pw_hist_ident *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == PW_HIST_PROC)
		return a->pid == b->pid && a->start_time_ms == b->start_time_ms;
	return strcmp(a->name, b->name) == 0;
}

struct hist_tier *
pw__hist_tier_new(int64_t width_ms)
{
	struct hist_tier *t;
	size_t m;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->width_ms = width_ms;
	for (m = 0; m < PW_METRIC_NROWS; m++)
		t->inc[m] = pw_metric_def((enum pw_metric)m)->rollup ==
		    PW_ROLLUP_INCREASE;
	return t;
}

static void
acc_fini(struct acc *a)
{
	free((char *)a->id.name);
	free((char *)a->id.cmdline);
	free((char *)a->id.target);
	free(a->col);
}

void
pw__hist_tier_free(struct hist_tier *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		acc_fini(&t->a[i]);
	free(t->a);
	free(t->hash);
	free(t);
}

static int
rehash(struct hist_tier *t)
{
	size_t i, j, ncap = t->hcap ? t->hcap : 1024;

	while (ncap < t->n * 2 + 2)
		ncap *= 2;
	free(t->hash);
	if ((t->hash = calloc(ncap, sizeof(*t->hash))) == NULL) {
		t->hcap = 0;
		return -ENOMEM;
	}
	t->hcap = ncap;
	for (i = 0; i < t->n; i++) {
		for (j = key_hash(&t->a[i].id) & (ncap - 1); t->hash[j] != 0;
		    j = (j + 1) & (ncap - 1))
			;
		t->hash[j] = i + 1;
	}
	return 0;
}

static void
col_reset(struct acc_col *c)
{
	c->count = 0;
	c->min = c->max = c->last = NAN;
	c->sum = c->inc = 0;
}

static struct acc *
acc_get(struct hist_tier *t, const struct pw_hist_ident *id, uint32_t nrows)
{
	struct acc *a, *na;
	size_t j, ncap, k;

	if (t->hcap > 0)
		for (j = key_hash(id) & (t->hcap - 1); t->hash[j] != 0;
		    j = (j + 1) & (t->hcap - 1))
			if (key_same(&t->a[t->hash[j] - 1].id, id)) {
				a = &t->a[t->hash[j] - 1];
				return a->nrows == nrows ? a : NULL;
			}
	if (t->n == t->cap) {
		ncap = t->cap ? t->cap * 2 : 256;
		if ((na = realloc(t->a, ncap * sizeof(*na))) == NULL)
			return NULL;
		t->a = na;
		t->cap = ncap;
	}
	a = &t->a[t->n];
	memset(a, 0, sizeof(*a));
	a->id = *id;
	a->nrows = nrows;
	a->id.name = strdup(id->name);
	a->id.cmdline = strdup(id->cmdline);
	a->id.target = strdup(id->target);
	a->col = malloc(nrows * sizeof(*a->col));
	if (a->id.name == NULL || a->id.cmdline == NULL ||
	    a->id.target == NULL || a->col == NULL) {
		acc_fini(a);
		return NULL;
	}
	for (k = 0; k < nrows; k++) {
		col_reset(&a->col[k]);
		a->col[k].prev = NAN;
	}
	t->n++;
	if ((t->n * 2 + 2 > t->hcap && rehash(t) < 0)) {
		t->n--;
		acc_fini(a);
		return NULL;
	}
	if (t->hcap > 0 && t->hash != NULL) {
		/* rehash() placed it if it ran; else place it now. */
		for (j = key_hash(id) & (t->hcap - 1); t->hash[j] != 0 &&
		    t->hash[j] != t->n; j = (j + 1) & (t->hcap - 1))
			;
		t->hash[j] = t->n;
	}
	return a;
}

static void
add_raw(struct hist_tier *t, struct acc_col *c, double v, bool inc)
{
	if (isnan(v))
		return;
	if (c->count == 0 || v < c->min)
		c->min = v;
	if (c->count == 0 || v > c->max)
		c->max = v;
	c->count++;
	c->sum += v;
	c->last = v;
	if (inc && !isnan(c->prev))
		c->inc += v >= c->prev ? v - c->prev : v;
	c->prev = v;
	(void)t;
}

static void
add_rolled(struct acc_col *c, const double *st, bool inc)
{
	double n = st[HIST_ST_COUNT];

	if (isnan(n) || n <= 0)
		return;
	if (c->count == 0 || st[HIST_ST_MIN] < c->min)
		c->min = st[HIST_ST_MIN];
	if (c->count == 0 || st[HIST_ST_MAX] > c->max)
		c->max = st[HIST_ST_MAX];
	c->count += n;
	if (inc)
		c->inc += st[HIST_ST_MEAN];
	else
		c->sum += st[HIST_ST_MEAN] * n;
	c->last = st[HIST_ST_LAST];
}

/* The finished bucket as a cycle; the accumulators start over. */
static int
emit(struct hist_tier *t, struct pw_hist_cycle **done)
{
	struct pw_hist_cycle *c;
	struct hist_ser *s;
	struct acc *a;
	size_t i, k, w, nser = 0;
	double *v;

	*done = NULL;
	for (i = 0; i < t->n; i++)
		nser += t->a[i].seen;
	if (nser == 0)
		return 0;
	if ((c = pw_hist_cycle_new(t->bucket, t->width_ms)) == NULL ||
	    (c->ser = calloc(nser, sizeof(*c->ser))) == NULL)
		goto fail;
	c->cap = nser;
	for (i = 0; i < t->n; i++) {
		a = &t->a[i];
		if (!a->seen)
			continue;
		s = &c->ser[c->n];
		s->id = a->id;
		s->ncols = a->nrows * HIST_NST;
		if ((s->id.name = pw__hist_strdup(c, a->id.name)) == NULL ||
		    (s->id.cmdline = pw__hist_strdup(c, a->id.cmdline)) ==
		    NULL || (s->id.target = pw__hist_strdup(c, a->id.target))
		    == NULL || (s->val = pw__hist_arena(c, s->ncols *
		    sizeof(double))) == NULL)
			goto fail;
		for (k = 0; k < a->nrows; k++) {
			struct acc_col *col = &a->col[k];
			bool inc = a->id.kind != PW_HIST_CUSTOM && t->inc[k];

			v = &s->val[k * HIST_NST];
			v[HIST_ST_COUNT] = col->count;
			v[HIST_ST_MIN] = col->count > 0 ? col->min : NAN;
			v[HIST_ST_MAX] = col->count > 0 ? col->max : NAN;
			v[HIST_ST_MEAN] = col->count <= 0 ? NAN :
			    inc ? col->inc : col->sum / col->count;
			v[HIST_ST_LAST] = col->count > 0 ? col->last : NAN;
			col_reset(col);
		}
		c->n++;
	}
	/* Series not seen in this bucket are forgotten. */
	for (i = 0, w = 0; i < t->n; i++) {
		if (t->a[i].seen) {
			t->a[i].seen = false;
			t->a[w++] = t->a[i];
		} else
			acc_fini(&t->a[i]);
	}
	if (w != t->n) {
		t->n = w;
		if (rehash(t) < 0)
			goto fail_noc;
	}
	*done = c;
	return 0;
fail:
	pw_hist_cycle_free(c);
fail_noc:
	return -ENOMEM;
}

/* Past the bound: forget the gone series, those gone longest first. */
static int
evict_gone(struct hist_tier *t, const struct pw_hist_cycle *cy)
{
	size_t limit = 2 * cy->n + TIER_SLACK, i, w, over;
	int64_t cut;

	if (t->n <= limit)
		return 0;
	over = t->n - limit;
	/* The series are in the order first seen: older gone ones first. */
	for (i = 0, w = 0; i < t->n; i++) {
		cut = over > 0 && t->a[i].last_ms < cy->ts_ms;
		if (cut) {
			acc_fini(&t->a[i]);
			over--;
			t->evicted++;
		} else
			t->a[w++] = t->a[i];
	}
	t->n = w;
	return rehash(t);
}

int
pw__hist_tier_feed(struct hist_tier *t, const struct pw_hist_cycle *cy,
    bool rolled, struct pw_hist_cycle **done)
{
	const struct hist_ser *s;
	struct acc *a;
	int64_t b;
	uint32_t nrows, k;
	size_t i;
	int rc;

	*done = NULL;
	b = cy->ts_ms - ((cy->ts_ms % t->width_ms) + t->width_ms) %
	    t->width_ms;
	if (t->started && b > t->bucket && (rc = emit(t, done)) < 0)
		return rc;
	if (!t->started || b > t->bucket)
		t->bucket = b;
	t->started = true;
	for (i = 0; i < cy->n; i++) {
		s = &cy->ser[i];
		nrows = rolled ? s->ncols / HIST_NST : s->ncols;
		if ((a = acc_get(t, &s->id, nrows)) == NULL)
			continue;	/* out of memory: a series fewer */
		a->seen = true;
		a->last_ms = cy->ts_ms;
		for (k = 0; k < nrows; k++) {
			bool inc = s->id.kind != PW_HIST_CUSTOM &&
			    k < PW_METRIC_NROWS && t->inc[k];

			if (rolled)
				add_rolled(&a->col[k], &s->val[k * HIST_NST],
				    inc);
			else
				add_raw(t, &a->col[k], s->val[k], inc);
		}
	}
	return evict_gone(t, cy);
}

int
pw__hist_tier_finish(struct hist_tier *t, struct pw_hist_cycle **done)
{
	*done = NULL;
	if (!t->started)
		return 0;
	return emit(t, done);
}

double
pw__hist_rollup_scale(enum pw_hist_kind kind, int row)
{
	const struct pw_metric_def *d;

	if (kind == PW_HIST_CUSTOM || row < 0 ||
	    (d = pw_metric_def((enum pw_metric)row)) == NULL)
		return 1;
	return d->kind == PW_KIND_RATE || d->kind == PW_KIND_RATIO ? 1000 : 1;
}

static double
scaled(double v, double scale)
{
	return isnan(v) || isinf(v) || scale == 1 ? v : llround(v * scale);
}

void
pw__hist_rollup_store(struct pw_hist_cycle *c)
{
	struct hist_ser *s;
	double *v, sc;
	uint32_t k;
	size_t i;

	for (i = 0; i < c->n; i++) {
		s = &c->ser[i];
		for (k = 0; k < s->ncols / HIST_NST; k++) {
			v = &s->val[k * HIST_NST];
			sc = pw__hist_rollup_scale(s->id.kind, (int)k);
			if (v[HIST_ST_COUNT] > 0 && !isnan(v[HIST_ST_MEAN]) &&
			    !(s->id.kind != PW_HIST_CUSTOM &&
			    pw_metric_def((enum pw_metric)k)->rollup ==
			    PW_ROLLUP_INCREASE))
				v[HIST_ST_MEAN] *= v[HIST_ST_COUNT];
			v[HIST_ST_MIN] = scaled(v[HIST_ST_MIN], sc);
			v[HIST_ST_MAX] = scaled(v[HIST_ST_MAX], sc);
			v[HIST_ST_MEAN] = scaled(v[HIST_ST_MEAN], sc);
			v[HIST_ST_LAST] = scaled(v[HIST_ST_LAST], sc);
		}
	}
}

void
pw__hist_rollup_load(enum pw_hist_kind kind, int row, const double *st,
    double *out)
{
	double sc = pw__hist_rollup_scale(kind, row);
	bool inc = kind != PW_HIST_CUSTOM && row >= 0 &&
	    pw_metric_def((enum pw_metric)row)->rollup == PW_ROLLUP_INCREASE;

	out[HIST_ST_COUNT] = isnan(st[HIST_ST_COUNT]) ? 0 : st[HIST_ST_COUNT];
	out[HIST_ST_MIN] = st[HIST_ST_MIN] / sc;
	out[HIST_ST_MAX] = st[HIST_ST_MAX] / sc;
	out[HIST_ST_LAST] = st[HIST_ST_LAST] / sc;
	out[HIST_ST_MEAN] = out[HIST_ST_COUNT] <= 0 ? NAN : inc ?
	    st[HIST_ST_MEAN] / sc : st[HIST_ST_MEAN] / sc / out[HIST_ST_COUNT];
}
