/*
 * hist_events.c: the events of a window and the alerts firing at a time
 * (lib/history.h).
 *
 * DESIGN: events have a chain of their own (kept as long as the hours),
 * every record a key record.  An event may be up to an interval older
 * than its record, so the window is read an hour past `until`.  Firing
 * alerts are replayed from the start: a firing opens one (by rule, pid
 * and target), a resolved closes it.  Results come in one allocation.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hist_impl.h"

/* Copy events into one allocation: the array, then the strings. */
static int
events_pack(const struct pw_hist_event *v, size_t n,
    struct pw_hist_event **out)
{
	size_t i, bytes = n * sizeof(**out);
	struct pw_hist_event *e;
	char *p;

#define SL(s)	(strlen(s) + 1)
	for (i = 0; i < n; i++)
		bytes += SL(v[i].type) + SL(v[i].name) + SL(v[i].target) +
		    SL(v[i].detail);
	if ((e = malloc(bytes ? bytes : 1)) == NULL)
		return -ENOMEM;
	p = (char *)(e + n);
	for (i = 0; i < n; i++) {
		e[i] = v[i];
#define CP(f)	do { memcpy(p, v[i].f, SL(v[i].f)); e[i].f = p; \
	    p += SL(v[i].f); } while (0)
		CP(type);
		CP(name);
		CP(target);
		CP(detail);
#undef CP
	}
#undef SL
	*out = e;
	return 0;
}

static int
events_collect(struct pw_history *h, int64_t since_ms, int64_t until_ms,
    unsigned kinds, struct pw_hist_cycle *into)
{
	struct pw_hist_cycle *tmp;
	struct hist_rec rec;
	struct hist_reader r;
	size_t i;
	int rc;

	if ((tmp = pw_hist_cycle_new(0, 0)) == NULL)
		return -ENOMEM;
	/* Events are up to an interval older than their record. */
	if ((rc = pw__hist_reader_init(&r, h, HIST_TIER_EV, since_ms,
	    pw__hist_sat_add(until_ms, 3600000))) < 0) {
		pw_hist_cycle_free(tmp);
		return rc;
	}
	while ((rc = pw__hist_reader_next(&r, &rec, tmp)) == 1) {
		for (i = 0; i < tmp->nev; i++) {
			const struct pw_hist_event *e = &tmp->ev[i];

			if (e->ts_ms < since_ms || e->ts_ms >= until_ms ||
			    (kinds != 0 && !(kinds & (1u << e->kind))))
				continue;
			if ((rc = pw_hist_cycle_add_event(into, e)) < 0)
				goto out;
		}
		pw__hist_cycle_reset(tmp, 0, 0);
		if (rec.ts_ms >= pw__hist_sat_add(until_ms, 3600000))
			break;
	}
out:
	pw__hist_reader_fini(&r);
	pw_hist_cycle_free(tmp);
	return rc < 0 ? rc : 0;
}

int
pw_history_events(struct pw_history *h, int64_t since_ms, int64_t until_ms,
    unsigned kinds, struct pw_hist_event **out, size_t *n)
{
	struct pw_hist_cycle *c;
	int rc;

	if ((c = pw_hist_cycle_new(0, 0)) == NULL)
		return -ENOMEM;
	if ((rc = events_collect(h, since_ms, until_ms, kinds, c)) == 0 &&
	    (rc = events_pack(c->ev, c->nev, out)) == 0)
		*n = c->nev;
	pw_hist_cycle_free(c);
	return rc;
}

static bool
same_alert(const struct pw_hist_event *a, const struct pw_hist_event *b)
{
	return a->pid == b->pid && strcmp(a->name, b->name) == 0 &&
	    strcmp(a->target, b->target) == 0;
}

int
pw_history_alerts_at(struct pw_history *h, int64_t at_ms,
    struct pw_hist_event **out, size_t *n)
{
	struct pw_hist_cycle *c;
	struct pw_hist_event *open = NULL;
	size_t i, j, k, nopen = 0;
	int rc;

	if ((c = pw_hist_cycle_new(0, 0)) == NULL)
		return -ENOMEM;
	if ((rc = events_collect(h, INT64_MIN, pw__hist_sat_add(at_ms, 1),
	    1u << PW_HIST_EV_ALERT, c)) < 0)
		goto out;
	if (c->nev > 0 && (open = malloc(c->nev * sizeof(*open))) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < c->nev; i++) {
		for (j = 0; j < nopen; j++)
			if (same_alert(&open[j], &c->ev[i]))
				break;
		if (strcmp(c->ev[i].type, "firing") == 0) {
			open[j] = c->ev[i];
			if (j == nopen)
				nopen++;
		} else if (j < nopen && strcmp(c->ev[i].type, "resolved") == 0) {
			for (k = j; k + 1 < nopen; k++)
				open[k] = open[k + 1];
			nopen--;
		}
	}
	if ((rc = events_pack(open, nopen, out)) == 0)
		*n = nopen;
out:
	free(open);
	pw_hist_cycle_free(c);
	return rc;
}

