/*
 * bottleneck_leak.c: the leak rule, when a figure (RSS, threads, fds)
 * grows steadily enough to report, and how bad that growth is.
 *
 * DESIGN: a least-squares line fits a step or a plateau too, so the fit
 * of the whole window (pw_bn_shape_fit()) also fits each third of it,
 * and pw_bn_is_sustained() asks that every third grows and the last one
 * still does.  A growth is then scored by the time left until its limit
 * (pw__bn_growth_entry()), which the leak and fds entries share.
 */
#include <string.h>

#include <procwatch/bottleneck.h>
#include <procwatch/stats.h>

#include "bottleneck_impl.h"

void
pw_bn_shape_fit(const double *t_s, const double *v, size_t n,
    struct pw_trend *trend, struct pw_bn_shape *shape)
{
	struct pw_trend part;
	size_t k, lo, hi;

	memset(shape, 0, sizeof(*shape));
	(void)pw_stats_trend(t_s, v, n, trend);
	if (n >= 2)
		shape->span_s = t_s[n - 1] - t_s[0];
	if (n < 9)
		return;
	shape->known = true;
	for (k = 0; k < 3; k++) {
		lo = n * k / 3;
		hi = n * (k + 1) / 3;
		if (pw_stats_trend(t_s + lo, v + lo, hi - lo, &part) < 0) {
			shape->known = false;
			return;
		}
		shape->part_slope[k] = part.slope_per_min;
	}
}

bool
pw_bn_is_sustained(const struct pw_trend *t, const struct pw_bn_shape *sh,
    double current, double min_growth)
{
	double growth;
	size_t k;

	if (!t->valid || t->dir != PW_TREND_GROWING ||
	    t->n < PW_BN_LEAK_MIN_POINTS || t->r2 < PW_BN_LEAK_MIN_R2 ||
	    t->ci_lo <= 0 || !sh->known || sh->span_s < PW_BN_LEAK_MIN_SPAN_S)
		return false;
	growth = t->slope_per_min * sh->span_s / 60.0;
	if (growth < min_growth || growth < PW_BN_LEAK_MIN_REL * current)
		return false;
	/* A step and a plateau fit a line too: every third must grow. */
	for (k = 0; k < 3; k++)
		if (!(sh->part_slope[k] > 0))
			return false;
	return sh->part_slope[2] >= PW_BN_LEAK_TAIL * t->slope_per_min;
}

/*
 * Score a growth of t and sh on entry b: its evidence, the time until
 * current reaches limit (when there is one) and the severity and impact
 * of that, else of the growth relative to current.
 */
void
pw__bn_growth_entry(struct pw_bottleneck *b, const struct pw_trend *t,
    const struct pw_bn_shape *sh, const char *metric, double current,
    double limit)
{
	double rel;

	b->ev.metric = metric;
	b->ev.trend = *t;
	b->ev.shape = *sh;
	b->ev.growth = t->slope_per_min * sh->span_s / 60.0;
	b->ev.current = current;
	b->ev.limit = limit;
	if (limit > 0) {
		b->ev.time_to_limit_s = current >= limit ? 0 :
		    (limit - current) / t->slope_per_min * 60.0;
		b->severity = pw_bn_growth_severity(b->ev.time_to_limit_s, 0);
		b->impact = 600.0 / (600.0 + b->ev.time_to_limit_s);
	} else {
		rel = current > 0 ? t->slope_per_min / current : 1;
		b->severity = pw_bn_growth_severity(-1, rel);
		b->impact = rel > 1 ? 1 : rel;
	}
}
