/*
 * api/window_hist.c: the statistics of a past or long window of one
 * process or one target, from the history on disk (lib/history.h), for
 * /stats?window=24h and ?until= (api/window.c renders the ring's).
 *
 * DESIGN: the finest tier that holds the window's start and stays under
 * a point limit is read (raw up to an hour of samples at the interval,
 * then the minute tier up to 14 days, then the hour tier).  From raw the
 * figures are those of the ring.  From a tier: count, avg (the bucket
 * means weighted by their counts), min and max are those of the samples
 * rolled up; percentiles and stddev are of the bucket means (approximate,
 * and the response says so); the trend is fitted to the means at the
 * buckets' middles; a rate also gets its counter's increase over the
 * buckets (rate_counter[]).  No regression test: a bucket keeps no
 * variance.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <procwatch/metric.h>
#include <procwatch/monitor.h>
#include <procwatch/stats.h>

#include "api/api.h"
#include "api/catalogue.h"
#include "api/params.h"
#include "api/history.h"
#include "api/history_impl.h"
#include "api/routes.h"
#include "api/stats.h"
#include "api/stats_impl.h"
#include "lib/history.h"

#define MEMORY_WINDOW_MS	(30LL * 86400 * 1000)	/* the ring's views */
#define HIST_WINDOW_MS		(36500LL * 86400 * 1000) /* parsing only */
#define RAW_POINTS_MAX		3600	/* raw: an hour at 1 s */
#define TIER_POINTS_MAX		20160	/* 14 days of minutes */
#define FUTURE_SLACK_MS		1000	/* "now" a little late */

static const int64_t tier_width_ms[PW_HIST_NRES] = { 0, 60000, 3600000 };

/*
 * The windowed rates and the counters they are rates of: from a tier the
 * rate over the window is also the counter's increase over the time the
 * rate's samples cover (an interval each), times `scale` (CPU seconds
 * to percent of one core).
 */
static const struct {
	enum pw_metric	rate, counter;
	double		scale;
} rate_counter[] = {
	{ PW_METRIC_CPU_PERCENT, PW_METRIC_CPU_SECONDS, 100 },
	{ PW_METRIC_CPU_USER_PERCENT, PW_METRIC_CPU_USER_SECONDS, 100 },
	{ PW_METRIC_CPU_SYSTEM_PERCENT, PW_METRIC_CPU_SYSTEM_SECONDS, 100 },
	{ PW_METRIC_CTX_VOLUNTARY_RATE, PW_METRIC_CTX_VOLUNTARY, 1 },
	{ PW_METRIC_CTX_INVOLUNTARY_RATE, PW_METRIC_CTX_INVOLUNTARY, 1 },
	{ PW_METRIC_MINOR_FAULTS_RATE, PW_METRIC_MINOR_FAULTS, 1 },
	{ PW_METRIC_MAJOR_FAULTS_RATE, PW_METRIC_MAJOR_FAULTS, 1 },
	{ PW_METRIC_READ_BYTES_RATE, PW_METRIC_READ_BYTES, 1 },
	{ PW_METRIC_WRITE_BYTES_RATE, PW_METRIC_WRITE_BYTES, 1 },
};

unsigned
api_stats_span(struct api_stats *st, const char *window, int64_t def,
    const struct api_past *past, int64_t *window_ms, int64_t *until_ms,
    char *err, size_t errlen)
{
	struct api_ctx *c = past != NULL ? past->c : NULL;
	struct pw_history *h = c != NULL ? c->history : NULL;
	int64_t now = api_stats_now_ms(st), since, end, reach;
	bool has_since = past != NULL && past->since_ms != INT64_MIN;

	*until_ms = past != NULL ? past->until_ms : INT64_MAX;
	if (window != NULL && has_since)
		return api_fail(err, errlen, HTTP_BAD_REQUEST, "since: give "
		    "window or since, not both");
	if (window != NULL && (api_parse_duration(window, window_ms) < 0 ||
	    *window_ms <= 0 || *window_ms > HIST_WINDOW_MS))
		return api_fail(err, errlen, HTTP_BAD_REQUEST, "window: "
		    "expected a duration such as 30s, 5m, 24h or 7d");
	if (*until_ms != INT64_MAX && *until_ms > now + FUTURE_SLACK_MS)
		return api_fail(err, errlen, HTTP_BAD_REQUEST, "until: in the "
		    "future; a window ends now at the latest");
	end = *until_ms != INT64_MAX ? *until_ms : now;
	if (has_since) {
		if (past->since_ms >= end)
			return api_fail(err, errlen, HTTP_BAD_REQUEST, "since: "
			    "must be before until (or now)");
		*window_ms = end - past->since_ms;
	} else if (window == NULL)
		*window_ms = def;
	if (h == NULL) {
		if (*until_ms != INT64_MAX || has_since)
			return c != NULL ? api_hist_need_history(c, has_since ?
			    "since" : "until", err, errlen) : api_fail(err,
			    errlen, HTTP_BAD_REQUEST, "until: needs the "
			    "history on disk");
		if (*window_ms > MEMORY_WINDOW_MS)
			return api_fail(err, errlen, HTTP_BAD_REQUEST, "window: "
			    "over 30d needs the history on disk, and this "
			    "daemon keeps it in memory only");
		return 0;
	}
	/* The coarsest tier keeps the longest: a start before it has none. */
	reach = pw_history_reach_ms(h, PW_HIST_1H);
	since = end - *window_ms;
	if (since < now - reach)
		return api_fail(err, errlen, HTTP_BAD_REQUEST, "window: starts "
		    "%.0f days ago, beyond the %.0f days the history keeps",
		    (double)(now - since) / 86400000.0, (double)reach /
		    86400000.0);
	return 0;
}

enum pw_hist_res
api_hist_pick_res(struct pw_history *h, int64_t since, int64_t until,
    int64_t interval_ms, int64_t raw_max)
{
	struct pw_hist_stats hs;
	int64_t span = until - since;
	const int64_t *old = hs.oldest_ms;

	pw_history_stats(h, &hs);
	if (span / (interval_ms > 0 ? interval_ms : 1000) <= raw_max &&
	    ((old[PW_HIST_RAW] != 0 && old[PW_HIST_RAW] <= since) ||
	    old[PW_HIST_1M] == 0 || old[PW_HIST_1M] >= old[PW_HIST_RAW]))
		return PW_HIST_RAW;
	if (span / tier_width_ms[PW_HIST_1M] <= TIER_POINTS_MAX &&
	    ((old[PW_HIST_1M] != 0 && old[PW_HIST_1M] <= since) ||
	    old[PW_HIST_1H] == 0 || old[PW_HIST_1H] >= old[PW_HIST_1M]))
		return PW_HIST_1M;
	return PW_HIST_1H;
}

/* Points of column m of s into t (s) and v, from k on; the new k. */
static size_t
col_points(const struct pw_hist_series *s, size_t m, double *t, double *v,
    size_t k)
{
	int64_t half = tier_width_ms[s->res] / 2;
	size_t i, at;

	for (i = 0; i < s->n; i++) {
		at = i * s->ncols + m;
		if (!isfinite(s->val[at]) || (s->count != NULL &&
		    s->count[at] == 0))
			continue;
		t[k] = (double)(s->ts_ms[i] + half) / 1000.0;
		v[k++] = s->val[at];
	}
	return k;
}

/*
 * Column m of the tier series s and of its raw tail (either may be
 * NULL): the summary and the trend.  Scratch arrays hold every point.
 */
static void
col_stats(const struct pw_hist_series *s, const struct pw_hist_series *tail,
    size_t m, struct pw_bucket *b, double *t, double *v,
    struct pw_summary *sum, struct pw_trend *tr, double *span_s)
{
	size_t i, k = 0, nb = 0;

	if (s != NULL)
		k = col_points(s, m, t, v, k);
	if (tail != NULL)
		k = col_points(tail, m, t, v, k);
	*span_s = k > 0 ? t[k - 1] - t[0] : NAN;
	for (i = k; i-- > 0;)
		t[i] -= t[0];
	pw_stats_trend(t, v, k, tr);
	if (s == NULL || s->res == PW_HIST_RAW) {
		pw_stats_summarize(v, k, v, sum);	/* permutes v */
		return;
	}
	nb = pw_hist_series_buckets(s, m, b);
	if (tail != NULL)
		nb += pw_hist_series_buckets(tail, m, b + nb);
	pw_stats_summarize_buckets(b, nb, b, sum);
}

/* The samples a series summarises: its most counted column's. */
static double
samples_of(const struct pw_hist_series *s)
{
	size_t i, c;
	double best = 0, sum;

	if (s == NULL)
		return 0;
	if (s->count == NULL)
		return (double)s->n;
	for (c = 0; c < s->ncols && c < PW_METRIC_COUNT; c++) {
		for (sum = 0, i = 0; i < s->n; i++)
			sum += s->count[i * s->ncols + c];
		if (sum > best)
			best = sum;
	}
	return best;
}

/*
 * The increase of counter column c over tier series s and its raw tail
 * (a reset counts the new value, as the roll-up does), and the seconds
 * it covers: an interval for each sample with rate column r known (one
 * with a previous sample to grow from).  False when nothing is known.
 */
static bool
counter_increase(const struct pw_hist_series *s,
    const struct pw_hist_series *tail, size_t c, size_t r,
    int64_t interval_ms, double *inc, double *cover_s)
{
	double prev = NAN, x, n = 0;
	size_t i, at;

	*inc = 0;
	for (i = 0; s != NULL && c < s->ncols && i < s->n; i++) {
		at = i * s->ncols + c;
		if (s->count[at] == 0 || !isfinite(s->val[at]))
			continue;
		*inc += s->val[at];
		n += s->count[i * s->ncols + r];
		prev = s->last[at];
	}
	for (i = 0; tail != NULL && c < tail->ncols && i < tail->n; i++) {
		x = tail->val[i * tail->ncols + c];
		if (!isfinite(x))
			continue;
		if (isfinite(prev))
			*inc += x >= prev ? x - prev : x;
		if (isfinite(tail->val[i * tail->ncols + r]))
			n++;
		prev = x;
	}
	*cover_s = n * (double)interval_ms / 1000.0;
	return n > 0;
}

/* A rate's "increase" and "rate_from_increase" (a tier's window). */
static bool
add_rate_from_counter(cJSON *mm, const struct pw_hist_series *s,
    const struct pw_hist_series *tail, enum pw_metric m, int64_t interval_ms)
{
	double inc, cover_s;
	size_t i;

	for (i = 0; i < sizeof(rate_counter) / sizeof(rate_counter[0]); i++) {
		if (rate_counter[i].rate != m)
			continue;
		if (!counter_increase(s, tail, rate_counter[i].counter, m,
		    interval_ms, &inc, &cover_s) || cover_s <= 0)
			return cJSON_AddNullToObject(mm, "increase") != NULL &&
			    cJSON_AddNullToObject(mm, "rate_from_increase") !=
			    NULL;
		return api_add_num(mm, "increase", inc) &&
		    api_add_num(mm, "rate_from_increase", inc *
		    rate_counter[i].scale / cover_s);
	}
	return true;
}

/* What api_win_hist() read: a series, and the raw tail of a tier's. */
struct win_read {
	enum pw_hist_res		 res;
	const struct pw_hist_series	*s;	/* NULL: none */
	const struct pw_hist_series	*tail;	/* NULL: none */
	int64_t				 tail_from;	/* 0: no tail */
	int64_t				 first_ms, last_ms;
	size_t				 npoints;
};

static unsigned
render(const struct win_read *wr, int64_t since, int64_t until,
    int64_t window_ms, int64_t interval_ms, const bool *want, bool group,
    cJSON *o, char *err, size_t errlen)
{
	struct pw_summary sum;
	struct pw_trend tr;
	struct pw_bucket *b;
	double *t, *v, span_s;
	int64_t step = wr->res == PW_HIST_RAW ? interval_ms :
	    tier_width_ms[wr->res];
	size_t n = wr->npoints ? wr->npoints : 1;
	cJSON *mo, *mm;
	unsigned m;
	bool ok;

	b = malloc(n * sizeof(*b));
	t = malloc(n * sizeof(*t));
	v = malloc(n * sizeof(*v));
	if (b == NULL || t == NULL || v == NULL)
		goto out_oom;
	ok = api_add_num(o, "window_s", (double)window_ms / 1000.0) &&
	    cJSON_AddNumberToObject(o, "count", samples_of(wr->s) +
	    samples_of(wr->tail)) != NULL &&
	    cJSON_AddNumberToObject(o, "points", (double)wr->npoints) !=
	    NULL &&
	    api_add_num(o, "span_s", wr->npoints > 0 ? (double)(wr->last_ms -
	    wr->first_ms) / 1000.0 : 0) &&
	    cJSON_AddBoolToObject(o, "window_covered", wr->npoints > 0 &&
	    wr->first_ms <= since + step) != NULL &&
	    api_add_time(o, "from", since) && api_add_time(o, "to", until) &&
	    cJSON_AddStringToObject(o, "source", "history") != NULL &&
	    cJSON_AddStringToObject(o, "resolution",
	    api_hist_res_names[wr->res]) != NULL &&
	    api_add_time(o, "raw_tail_from", wr->tail_from) &&
	    cJSON_AddNumberToObject(o, "gaps", (double)((wr->s != NULL ?
	    wr->s->ngaps : 0) + (wr->tail != NULL ? wr->tail->ngaps : 0))) !=
	    NULL &&
	    (wr->res == PW_HIST_RAW || cJSON_AddStringToObject(o, "note",
	    "from roll-ups (and the raw samples after the last one): count, "
	    "avg, min and max are the samples'; percentiles and stddev are "
	    "of the bucket means (approximate); the trend is fitted to the "
	    "means; a rate's increase is its counter's, and "
	    "rate_from_increase that over the time sampled; no regression "
	    "test") != NULL) &&
	    (mo = cJSON_AddObjectToObject(o, "metrics")) != NULL;
	if (!ok)
		goto out_oom;
	for (m = 0; m < PW_METRIC_COUNT; m++) {
		if (!want[m])
			continue;
		if (group && !(pw_metric_def(m)->flags & PW_MF_GROUP))
			continue;
		col_stats(wr->s, wr->tail, m, b, t, v, &sum, &tr, &span_s);
		if ((mm = api_json_summary(&sum)) == NULL)
			goto out_oom;
		if (!cJSON_AddItemToObject(mo, group &&
		    m == PW_METRIC_FD_USAGE ? API_GROUP_KEY(FD_USAGE) :
		    pw_metric_name(m), mm)) {
			cJSON_Delete(mm);
			goto out_oom;
		}
		if (sum.n > 0 && !api_add_num(mm, "span_s", span_s))
			goto out_oom;
		if ((pw_metric_has_trend(m) || (group &&
		    m == PW_METRIC_FD_USAGE)) &&
		    !api_add_item(mm, "trend", api_json_trend(&tr)))
			goto out_oom;
		if (cJSON_AddNullToObject(mm, "regression") == NULL)
			goto out_oom;
		if (wr->res != PW_HIST_RAW && !add_rate_from_counter(mm, wr->s,
		    wr->tail, m, interval_ms))
			goto out_oom;
	}
	free(b);
	free(t);
	free(v);
	return HTTP_OK;
out_oom:
	free(b);
	free(t);
	free(v);
	return api_oom(err, errlen);
}

/* A read's 500 or out of memory; 0 when it found the series or none. */
static unsigned
read_status(int rc, char *err, size_t errlen)
{
	if (rc == 0 || rc == -ENOENT)
		return 0;
	if (rc == -ENOMEM)
		return api_oom(err, errlen);
	return api_fail(err, errlen, 500, "history: %s", strerror(-rc));
}

unsigned
api_win_hist(struct api_stats *st, const struct api_past *past, pid_t pid,
    const char *target, int64_t window_ms, int64_t until_ms,
    const bool *want, cJSON *o, char *err, size_t errlen)
{
	struct pw_history *h = past->c->history;
	struct pw_hist_query q;
	struct pw_hist_series *s = NULL, *tail = NULL;
	const struct pw_hist_series *who, *last;
	struct win_read wr;
	int64_t interval_ms = pw_monitor_interval_ms(st->mon);
	unsigned status;
	double procs;
	int rc;

	memset(&q, 0, sizeof(q));
	memset(&wr, 0, sizeof(wr));
	q.kind = target != NULL ? PW_HIST_GROUP : PW_HIST_PROC;
	q.pid = pid;
	q.name = target;
	q.until_ms = until_ms;
	q.since_ms = until_ms - window_ms;
	q.res = wr.res = api_hist_pick_res(h, q.since_ms, q.until_ms,
	    interval_ms, RAW_POINTS_MAX);
	rc = pw_history_series(h, &q, &s);
	if ((status = read_status(rc, err, errlen)) != 0)
		return status;
	/* The newest part of a tier's window, not rolled up yet: raw. */
	if (q.res != PW_HIST_RAW) {
		q.since_ms = s != NULL && s->n > 0 ? s->ts_ms[s->n - 1] +
		    tier_width_ms[q.res] : q.since_ms;
		q.res = PW_HIST_RAW;
		if (q.since_ms < q.until_ms) {
			rc = pw_history_series(h, &q, &tail);
			if ((status = read_status(rc, err, errlen)) != 0)
				goto out;
			if (tail != NULL)
				wr.tail_from = q.since_ms;
		}
	}
	if ((who = s != NULL ? s : tail) == NULL) {
		status = target != NULL ? api_fail(err, errlen, HTTP_NOT_FOUND,
		    "no samples of target \"%s\" in the window", target) :
		    api_fail(err, errlen, HTTP_NOT_FOUND, "no samples of pid "
		    "%ld in the window", (long)pid);
		goto out;
	}
	wr.s = s;
	wr.tail = tail;
	wr.npoints = (s != NULL ? s->n : 0) + (tail != NULL ? tail->n : 0);
	wr.first_ms = who->n > 0 ? who->ts_ms[0] : 0;
	last = tail != NULL && tail->n > 0 ? tail : s;
	wr.last_ms = last != NULL && last->n > 0 ? last->ts_ms[last->n - 1] :
	    0;
	status = api_oom(err, errlen);
	if (target != NULL) {
		procs = NAN;
		if (last != NULL && last->n > 0 &&
		    PW_METRIC_PROCESSES < last->ncols)
			procs = (last->last != NULL ? last->last :
			    last->val)[(last->n - 1) * last->ncols +
			    PW_METRIC_PROCESSES];
		if (cJSON_AddStringToObject(o, "name", target) == NULL ||
		    !api_add_num(o, API_NAME(PROCESSES), procs))
			goto out;
	} else if (cJSON_AddNumberToObject(o, "pid", (double)pid) == NULL ||
	    cJSON_AddStringToObject(o, "name", who->ident.name) == NULL ||
	    cJSON_AddStringToObject(o, "target", who->ident.target) == NULL ||
	    !api_add_time(o, pw_metric_name(PW_METRIC_START_TIME),
	    who->ident.start_time_ms))
		goto out;
	status = render(&wr, until_ms - window_ms, until_ms, window_ms,
	    interval_ms, want, target != NULL, o, err, errlen);
out:
	pw_hist_series_free(tail);
	pw_hist_series_free(s);
	return status;
}
