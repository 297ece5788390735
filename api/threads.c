/*
 * api/threads.c: per-thread CPU %, GET /api/v1/processes/{pid}/threads,
 * and the hot-thread probe of the bottleneck view (api/bottlenecks.c).
 *
 * DESIGN: a thread's CPU % needs two readings.  Rather than block an
 * HTTP thread between them, the previous reading per pid (tid -> CPU
 * ticks, and when) is kept in api_stats.prev[]; with one younger than the
 * window (and at least 0.5 s old) the figures are since that reading,
 * else each thread's average since it started.  The JSON names the basis.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <procwatch/monitor.h>
#include <procwatch/procfs.h>

#include "api/api.h"
#include "api/catalogue.h"
#include "api/stats.h"
#include "api/stats_impl.h"

#define THREADS_MIN_AGE_MS	500
#define BASIS_PREV	"since_previous_request"
#define BASIS_START	"since_thread_start"

static int
tick_cmp(const void *a, const void *b)
{
	const struct tick *x = a, *y = b;

	return (x->tid > y->tid) - (x->tid < y->tid);
}

int
api_threads_measure(struct api_stats *st, pid_t pid, int64_t window_ms,
    struct api_thread_view *tv)
{
	struct thread_prev *pe = NULL, *slot = NULL;
	struct pw_thread_stat *ts;
	struct tick *now_t, key, *hit;
	struct api_thread_row *rows;
	int64_t *start, now, age = -1, el;
	double total = 0, best = -1, up, sp;
	size_t n, i;
	long hz;
	int rc;

	memset(tv, 0, sizeof(*tv));
	if ((rc = pw_monitor_threads(st->mon, pid, &ts, &start, &n, &hz)) < 0)
		return rc;
	now = api_stats_now_ms(st);
	rows = calloc(n ? n : 1, sizeof(*rows));
	now_t = malloc((n ? n : 1) * sizeof(*now_t));
	if (rows == NULL || now_t == NULL) {
		free(rows);
		free(now_t);
		free(ts);
		free(start);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		now_t[i].tid = ts[i].tid;
		now_t[i].ticks = ts[i].utime + ts[i].stime;
	}
	qsort(now_t, n, sizeof(*now_t), tick_cmp);

	pthread_mutex_lock(&st->mu);
	for (i = 0; i < API_STATS_MAX_THREAD_PIDS; i++) {
		if (st->prev[i].pid == pid) {
			pe = &st->prev[i];
			break;
		}
		/* A free slot, else the stalest reading, is replaced. */
		if (slot == NULL || st->prev[i].pid == 0 ||
		    (slot->pid != 0 && st->prev[i].ts_ms < slot->ts_ms))
			slot = &st->prev[i];
	}
	if (pe != NULL)
		age = now - pe->ts_ms;
	tv->basis = BASIS_START;
	if (pe != NULL && age >= THREADS_MIN_AGE_MS && age <= window_ms) {
		tv->basis = BASIS_PREV;
		tv->since_prev = true;
		tv->interval_s = (double)age / 1000.0;
	}
	for (i = 0; i < n; i++) {
		rows[i].tid = ts[i].tid;
		memcpy(rows[i].name, ts[i].comm, sizeof(rows[i].name));
		hit = NULL;
		if (tv->since_prev) {
			key.tid = ts[i].tid;
			hit = bsearch(&key, pe->t, pe->n, sizeof(*pe->t),
			    tick_cmp);
		}
		/*
		 * The user/system split of the interval is not kept; it is
		 * apportioned as over the thread's life.
		 */
		up = ts[i].utime + ts[i].stime > 0 ? (double)ts[i].utime /
		    (double)(ts[i].utime + ts[i].stime) : 0;
		if (hit != NULL) {
			sp = (double)(ts[i].utime + ts[i].stime -
			    (hit->ticks <= ts[i].utime + ts[i].stime ?
			    hit->ticks : ts[i].utime + ts[i].stime));
			rows[i].cpu_pct = 100.0 * sp / (double)hz /
			    tv->interval_s;
			rows[i].basis = BASIS_PREV;
		} else {
			el = now - start[i];
			rows[i].cpu_pct = el > 0 ? 100.0 * (double)(ts[i].utime +
			    ts[i].stime) / (double)hz / ((double)el / 1000.0) : 0;
			rows[i].basis = BASIS_START;
		}
		rows[i].user_pct = rows[i].cpu_pct * up;
		rows[i].system_pct = rows[i].cpu_pct - rows[i].user_pct;
		total += rows[i].cpu_pct;
		if (rows[i].cpu_pct > best) {
			best = rows[i].cpu_pct;
			tv->hot = i;
		}
	}
	/* Keep this reading unless the kept one is too young to compare. */
	if (pe == NULL)
		pe = slot;
	if (pe->pid != pid || age < 0 || age >= THREADS_MIN_AGE_MS ||
	    age > window_ms) {
		free(pe->t);
		pe->pid = pid;
		pe->ts_ms = now;
		pe->t = now_t;
		pe->n = n;
		now_t = NULL;
	}
	pthread_mutex_unlock(&st->mu);
	for (i = 0; i < n; i++)
		rows[i].share = total > 0 ? rows[i].cpu_pct / total : 0;
	free(now_t);
	free(ts);
	free(start);
	tv->rows = rows;
	tv->n = n;
	return 0;
}

/* Is there one hot thread?  Busy enough to matter and most of the CPU. */
static bool
is_hot(const struct api_thread_view *tv)
{
	return tv->n > 1 && tv->rows[tv->hot].share >= HOT_SHARE &&
	    tv->rows[tv->hot].cpu_pct >= 5.0;
}

unsigned
api_stats_threads(struct api_stats *st, pid_t pid, const char *window,
    struct cJSON **out, char *err, size_t errlen)
{
	struct api_thread_view tv;
	const struct api_thread_row *h;
	int64_t window_ms;
	char msg[256];
	cJSON *o = NULL, *arr, *r, *hot;
	size_t i;
	int rc;

	*out = NULL;
	if (!api_stats_window(window, API_STATS_DEFAULT_WINDOW_MS,
	    &window_ms, err, errlen))
		return HTTP_BAD_REQUEST;
	if ((rc = api_threads_measure(st, pid, window_ms, &tv)) == -ENOMEM)
		return api_oom(err, errlen);
	if (rc < 0)
		return api_fail(err, errlen, HTTP_NOT_FOUND,
		    "no process with pid %ld", (long)pid);
	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddNumberToObject(o, "pid", (double)pid) == NULL ||
	    !api_add_num(o, "window_s", (double)window_ms / 1000.0) ||
	    cJSON_AddStringToObject(o, "basis", tv.basis) == NULL ||
	    !api_add_num(o, "interval_s", tv.since_prev ? tv.interval_s :
	    NAN) ||
	    cJSON_AddNumberToObject(o, "count", (double)tv.n) == NULL)
		goto out_oom;
	if (tv.n > 0 && is_hot(&tv)) {
		h = &tv.rows[tv.hot];
		snprintf(msg, sizeof(msg), "One hot thread: '%s' (tid %d) does "
		    "%.0f %% of the process's CPU (%.1f %% of one core)",
		    h->name, (int)h->tid, 100 * h->share, h->cpu_pct);
		if ((hot = cJSON_AddObjectToObject(o, "hot_thread")) == NULL ||
		    cJSON_AddNumberToObject(hot, "tid", (double)h->tid) ==
		    NULL ||
		    cJSON_AddStringToObject(hot, "name", h->name) == NULL ||
		    !api_add_num(hot, "share", h->share) ||
		    !api_add_num(hot, API_NAME(CPU_PERCENT), h->cpu_pct) ||
		    cJSON_AddStringToObject(o, "summary", msg) == NULL)
			goto out_oom;
	} else {
		snprintf(msg, sizeof(msg), tv.n > 1 ? "No single hot thread: "
		    "the CPU is spread over %zu threads" : "The process has "
		    "%zu thread", tv.n);
		if (cJSON_AddNullToObject(o, "hot_thread") == NULL ||
		    cJSON_AddStringToObject(o, "summary", msg) == NULL)
			goto out_oom;
	}
	if ((arr = cJSON_AddArrayToObject(o, "threads")) == NULL)
		goto out_oom;
	for (i = 0; i < tv.n; i++) {
		if ((r = cJSON_CreateObject()) == NULL)
			goto out_oom;
		if (!cJSON_AddItemToArray(arr, r)) {
			cJSON_Delete(r);
			goto out_oom;
		}
		if (cJSON_AddNumberToObject(r, "tid", (double)tv.rows[i].tid) ==
		    NULL ||
		    cJSON_AddStringToObject(r, "name", tv.rows[i].name) ==
		    NULL ||
		    !api_add_num(r, API_NAME(CPU_PERCENT),
		    tv.rows[i].cpu_pct) ||
		    !api_add_num(r, API_NAME(CPU_USER_PERCENT),
		    tv.rows[i].user_pct) ||
		    !api_add_num(r, API_NAME(CPU_SYSTEM_PERCENT),
		    tv.rows[i].system_pct) ||
		    !api_add_num(r, "share", tv.rows[i].share) ||
		    cJSON_AddStringToObject(r, "basis", tv.rows[i].basis) ==
		    NULL)
			goto out_oom;
	}
	free(tv.rows);
	*out = o;
	return HTTP_OK;
out_oom:
	free(tv.rows);
	cJSON_Delete(o);
	return api_oom(err, errlen);
}
