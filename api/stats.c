/*
 * api/stats.c: the windowed views' shared state and helpers.
 *
 * The views are per-process statistics with trends and regression tests
 * (api/window.c), averages (api/averages.c), bottlenecks
 * (api/bottlenecks.c), per-thread CPU (api/threads.c) and saved baselines
 * (api/baselines.c); api/stats_impl.h says what they share.  Targets as
 * groups get the same statistics and bottlenecks over their rings of
 * aggregate samples (procwatch/groupacc.h).
 *
 * DESIGN: the figures come from lib/ (procwatch/stats.h, bottleneck.h);
 * the views parse parameters, keep the little state they need and render.
 * That state, under one mutex that is never held across a store call, a
 * /proc read or cJSON:
 *   - baselines: per metric the summary (n, mean, variance ...) of a
 *     window, saved by POST /api/v1/baselines, at most 64, by name;
 *   - the previous /threads reading per pid (tid -> CPU ticks, and when),
 *     so that per-thread CPU % can be measured since the previous request
 *     without blocking an HTTP thread on a second reading.  When there is
 *     no previous reading younger than the window (or it is too young to
 *     measure, under 0.5 s), each thread's CPU % is its average since it
 *     started, and the JSON says which basis was used.
 */
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include <procwatch/stats.h>

#include "api/api.h"
#include "api/params.h"
#include "api/stats.h"
#include "api/stats_impl.h"

#define MAX_WINDOW_MS		(30LL * 86400 * 1000)

struct api_stats *
api_stats_new(struct pw_monitor *mon, long hz, api_clock_fn *clock,
    void *clock_arg)
{
	struct api_stats *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if (pthread_mutex_init(&s->mu, NULL) != 0) {
		free(s);
		return NULL;
	}
	s->mon = mon;
	s->hz = hz;
	s->clock = clock;
	s->clock_arg = clock_arg;
	return s;
}

void
api_stats_free(struct api_stats *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < API_STATS_MAX_THREAD_PIDS; i++)
		free(s->prev[i].t);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int64_t
api_stats_now_ms(const struct api_stats *st)
{
	return api_now_ms(st->clock, st->clock_arg);
}

/* --- parameters ---------------------------------------------------------- */

bool
api_stats_window(const char *val, int64_t def, int64_t *ms, char *err,
    size_t errlen)
{
	if (val == NULL) {
		*ms = def;
		return true;
	}
	if (api_parse_duration(val, ms) < 0 || *ms <= 0 ||
	    *ms > MAX_WINDOW_MS) {
		api_fail(err, errlen, HTTP_BAD_REQUEST, "window: expected a "
		    "duration from 1ms to 30d such as 30s, 5m or 1h");
		return false;
	}
	return true;
}

/* --- rendering helpers --------------------------------------------------- */

bool
api_add_num(cJSON *o, const char *key, double v)
{
	if (!isfinite(v))
		return cJSON_AddNullToObject(o, key) != NULL;
	return cJSON_AddNumberToObject(o, key, v) != NULL;
}

bool
api_add_pair(cJSON *o, const char *key, double lo, double hi)
{
	cJSON *a;

	if (!isfinite(lo) || !isfinite(hi))
		return cJSON_AddNullToObject(o, key) != NULL;
	if ((a = cJSON_AddArrayToObject(o, key)) == NULL)
		return false;
	return cJSON_AddItemToArray(a, cJSON_CreateNumber(lo)) &&
	    cJSON_AddItemToArray(a, cJSON_CreateNumber(hi));
}

cJSON *
api_json_summary(const struct pw_summary *s)
{
	cJSON *o;
	bool ok;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	ok = cJSON_AddNumberToObject(o, "count", (double)s->n) != NULL;
	if (s->n == 0) {
		ok = ok && cJSON_AddNullToObject(o, "avg") &&
		    cJSON_AddNullToObject(o, "min") &&
		    cJSON_AddNullToObject(o, "max") &&
		    cJSON_AddNullToObject(o, "p50") &&
		    cJSON_AddNullToObject(o, "p95") &&
		    cJSON_AddNullToObject(o, "p99") &&
		    cJSON_AddNullToObject(o, "stddev") &&
		    cJSON_AddNullToObject(o, "ci95");
	} else {
		ok = ok && api_add_num(o, "avg", s->avg) &&
		    api_add_num(o, "min", s->min) &&
		    api_add_num(o, "max", s->max) &&
		    api_add_num(o, "p50", s->p50) &&
		    api_add_num(o, "p95", s->p95) &&
		    api_add_num(o, "p99", s->p99) &&
		    api_add_num(o, "stddev", s->n >= 2 ? s->stddev : NAN) &&
		    (s->has_ci ? api_add_pair(o, "ci95", s->ci_lo, s->ci_hi) :
		    cJSON_AddNullToObject(o, "ci95") != NULL);
	}
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

cJSON *
api_json_trend(const struct pw_trend *t)
{
	cJSON *o;

	if (!t->valid)
		return cJSON_CreateNull();
	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (!api_add_num(o, "slope_per_min", t->slope_per_min) ||
	    !api_add_pair(o, "slope_ci95", t->ci_lo, t->ci_hi) ||
	    !api_add_num(o, "r2", t->r2) ||
	    cJSON_AddNumberToObject(o, "points", (double)t->n) == NULL ||
	    cJSON_AddStringToObject(o, "direction",
	    pw_trend_dir_name(t->dir)) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

bool
api_add_item(cJSON *o, const char *key, cJSON *item)
{
	if (item == NULL)
		return false;
	if (!cJSON_AddItemToObject(o, key, item)) {
		cJSON_Delete(item);
		return false;
	}
	return true;
}
