/*
 * alert.c: the alert engine (procwatch/rules.h), which evaluates rules
 * after every sample cycle.
 *
 * DESIGN: the engine keeps one entry per process it has seen (sorted by the
 * store's process id), each with one small state per rule and, for rules
 * with an aggregate, a bounded window of (time, value) pairs fed once per
 * new sample.  Values, rates included, are the metric catalogue's
 * (procwatch/metric.h), read from the entry's previous and current
 * samples.  An evaluation walks the snapshot once; entries not
 * seen in it belong to processes that exited: their firing alerts resolve
 * and the entries are dropped.  Resolved alerts go into a fixed ring.  One
 * mutex guards everything; it is held for one evaluation (no I/O, no
 * allocation in steady state except a new process's entry) and for the
 * copies HTTP threads make.
 *
 * Rules with scope group live in one entry per configured target
 * instead, with the same per-rule states.  Their values come only from
 * the target's group view in the snapshot (its newest aggregate sample,
 * lib/groupacc.c; the entry keeps the previous one for rates), read by
 * the catalogue's group readers.  Before a target's first sample (no
 * view, or a ring still empty) its values are unknown and the states
 * stay, so nothing flaps; only its process count is known, from the
 * snapshot's live processes.  An evaluation also
 * counts the live processes of each target and remembers, per target,
 * the last process that went away and why (the exit lookup, asked only
 * for processes whose alerts resolve or whose target is left empty or
 * below its min_processes).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/custom.h>
#include <procwatch/events.h>
#include <procwatch/groupacc.h>
#include <procwatch/metric.h>
#include <procwatch/rules.h>
#include <procwatch/store.h>

#include "alert_impl.h"

void
pw_alerts_set_custom(struct pw_alerts *e, struct pw_custom *c)
{
	pthread_mutex_lock(&e->mtx);
	e->custom = c;
	pthread_mutex_unlock(&e->mtx);
}

void
pw__alerts_set_exit_lookup(struct pw_alerts *e, pw__alerts_exit_fn *fn,
    void *arg)
{
	pthread_mutex_lock(&e->mtx);
	e->exit_fn = fn;
	e->exit_arg = arg;
	pthread_mutex_unlock(&e->mtx);
}

/* pw__alerts_exit_fn over the events object: engine code, no callback. */
static int
exit_from_events(void *arg, pid_t pid, int64_t since_ms, char *reason,
    size_t len)
{
	struct pw_event ev;
	int rc;

	if ((rc = pw_events_exit_of(arg, pid, since_ms, &ev)) < 0)
		return rc;
	pw_event_exit_describe(&ev, reason, len);
	return 0;
}

void
pw_alerts_set_oom(struct pw_alerts *e, struct pw_monitor *m)
{
	pthread_mutex_lock(&e->mtx);
	e->oom_mon = m;
	pthread_mutex_unlock(&e->mtx);
}

void
pw_alerts_set_events(struct pw_alerts *e, struct pw_events *ev)
{
	pw__alerts_set_exit_lookup(e, ev != NULL ? exit_from_events : NULL,
	    ev);
}

struct pw_alerts *
pw_alerts_new(const struct pw_rule *rules, size_t n, size_t history)
{
	struct pw_alerts *e;
	size_t i;
	int m;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->next_id = 1;
	if (pthread_mutex_init(&e->mtx, NULL) != 0)
		goto out_free;
	if (n > 0 && ((e->rules = calloc(n, sizeof(*e->rules))) == NULL ||
	    (e->metrics = calloc(n, sizeof(*e->metrics))) == NULL))
		goto out_rules;
	for (; e->nrules < n; e->nrules++) {
		if ((m = pw__rule_metric_lookup(rules[e->nrules].metric,
		    rules[e->nrules].scope)) < 0)
			goto out_rules;
		e->metrics[e->nrules] = m;
		if (pw_rule_copy(&e->rules[e->nrules], &rules[e->nrules]) < 0)
			goto out_rules;
	}
	if (history > 0 &&
	    (e->hist = calloc(history, sizeof(*e->hist))) == NULL)
		goto out_rules;
	e->hcap = history;
	return e;
out_rules:
	for (i = 0; i < e->nrules; i++)
		pw_rule_fini(&e->rules[i]);
	free(e->rules);
	free(e->metrics);
	pthread_mutex_destroy(&e->mtx);
out_free:
	free(e);
	return NULL;
}

static void
rs_free(struct pw__rstate *rs, size_t nrules)
{
	size_t i;

	if (rs == NULL)
		return;
	for (i = 0; i < nrules; i++) {
		pw__window_fini(&rs[i].win);
	}
	free(rs);
}

static void
pentry_fini(struct pw__pentry *p, size_t nrules)
{
	rs_free(p->rs, nrules);
	p->rs = NULL;
}

void
pw__alerts_tentry_fini(struct pw__tentry *t, size_t nrules)
{
	rs_free(t->rs, nrules);
	free(t->name);
	memset(t, 0, sizeof(*t));
}

void
pw_alerts_free(struct pw_alerts *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->nents; i++)
		pentry_fini(&e->ents[i], e->nrules);
	free(e->ents);
	for (i = 0; i < e->ntents; i++)
		pw__alerts_tentry_fini(&e->tents[i], e->nrules);
	free(e->tents);
	for (i = 0; i < e->nrules; i++)
		pw_rule_fini(&e->rules[i]);
	free(e->rules);
	free(e->metrics);
	for (i = 0; i < e->ngraves; i++) {
		size_t k;

		for (k = 0; k < e->graves[i].n; k++)
			pw_rule_fini(&e->graves[i].rules[k]);
		free(e->graves[i].rules);
		free(e->graves[i].metrics);
	}
	free(e->graves);
	free(e->hist);
	pthread_mutex_destroy(&e->mtx);
	free(e);
}

size_t
pw_alerts_nrules(const struct pw_alerts *e)
{
	struct pw_alerts *m = (struct pw_alerts *)e;	/* the mutex only */
	size_t n;

	pthread_mutex_lock(&m->mtx);
	n = e->nrules;
	pthread_mutex_unlock(&m->mtx);
	return n;
}

const struct pw_rule *
pw_alerts_rule(const struct pw_alerts *e, size_t i)
{
	struct pw_alerts *m = (struct pw_alerts *)e;	/* the mutex only */
	const struct pw_rule *r;

	pthread_mutex_lock(&m->mtx);
	r = i < e->nrules ? &e->rules[i] : NULL;
	pthread_mutex_unlock(&m->mtx);
	return r;
}

/* Index of the entry of proc_id, or where it would go. */
static size_t
ent_lower(const struct pw_alerts *e, uint64_t id)
{
	size_t lo = 0, hi = e->nents, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (e->ents[mid].proc_id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct pw__pentry *
ent_get(struct pw_alerts *e, uint64_t id)
{
	struct pw__pentry *np;
	struct pw__rstate *rs = NULL;
	size_t at = ent_lower(e, id), ncap;

	if (at < e->nents && e->ents[at].proc_id == id)
		return &e->ents[at];
	if (e->nrules > 0 && (rs = calloc(e->nrules, sizeof(*rs))) == NULL)
		return NULL;
	if (e->nents == e->capents) {
		ncap = e->capents ? e->capents * 2 : 64;
		if ((np = realloc(e->ents, ncap * sizeof(*np))) == NULL) {
			free(rs);
			return NULL;
		}
		e->ents = np;
		e->capents = ncap;
	}
	memmove(&e->ents[at + 1], &e->ents[at],
	    (e->nents - at) * sizeof(*e->ents));
	memset(&e->ents[at], 0, sizeof(e->ents[at]));
	e->ents[at].proc_id = id;
	e->ents[at].rs = rs;
	e->nents++;
	return &e->ents[at];
}

static void
history_push(struct pw_alerts *e, const struct pw_alert *a)
{
	if (e->hcap == 0)
		return;
	if (e->hlen == e->hcap) {
		e->hhead = (e->hhead + 1) % e->hcap;
		e->hlen--;
	}
	e->hist[(e->hhead + e->hlen) % e->hcap] = *a;
	e->hlen++;
}

static void
tlist_add(struct pw__tlist *t, const struct pw_alert *a)
{
	struct pw_alert *np;
	size_t ncap;

	if (t->n == t->cap) {
		ncap = t->cap ? t->cap * 2 : 8;
		if ((np = realloc(t->a, ncap * sizeof(*np))) == NULL) {
			t->oom = true;
			return;
		}
		t->a = np;
		t->cap = ncap;
	}
	t->a[t->n++] = *a;
}

void
pw__alerts_resolve(struct pw_alerts *e, struct pw__rstate *s,
    int64_t now_ms, const char *reason, struct pw__tlist *t)
{
	if (s->state == PW_ALERT_FIRING) {
		s->a.state = PW_ALERT_RESOLVED;
		s->a.resolved_ms = now_ms;
		snprintf(s->a.reason, sizeof(s->a.reason), "%s", reason);
		history_push(e, &s->a);
		tlist_add(t, &s->a);
	}
	s->state = PW_ALERT_INACTIVE;
}

/*
 * Run rule i against subject v whose value is `val`; `thr` is the
 * threshold in force (the target's bound for a rule with one, which also
 * resolves there: a bound has no separate clear line).
 */
void
pw__alerts_step(struct pw_alerts *e, size_t i, struct pw__rstate *s,
    const struct pw__subject *v, double val, double thr, int64_t now_ms,
    struct pw__tlist *t)
{
	const struct pw_rule *r = &e->rules[i];
	bool cond = pw__rule_compare(r->op, val, thr);
	double clear = r->has_clear && r->bound == PW_BOUND_NONE ? r->clear :
	    thr;

	switch (s->state) {
	case PW_ALERT_INACTIVE:
		if (!cond)
			return;
		memset(&s->a, 0, sizeof(s->a));
		s->a.id = e->next_id++;
		s->a.rule = r;
		s->a.rule_index = i;
		s->a.proc_id = v->id;
		s->a.pid = v->pid;
		s->a.started_ms = now_ms;
		s->state = PW_ALERT_PENDING;
		break;
	case PW_ALERT_PENDING:
		if (!cond) {
			s->state = PW_ALERT_INACTIVE;
			return;
		}
		break;
	default:
		/* Firing: resolve only once past the clear threshold. */
		if (!pw__rule_compare(r->op, val, clear)) {
			s->a.value = val;
			s->a.threshold = thr;
			pw__rule_render(r, &s->a, v->last_exit, thr,
			    s->a.message, sizeof(s->a.message));
			pw__alerts_resolve(e, s, now_ms, "condition cleared",
			    t);
			return;
		}
		break;
	}
	snprintf(s->a.name, sizeof(s->a.name), "%s", v->name);
	snprintf(s->a.target, sizeof(s->a.target), "%s", v->target);
	s->a.value = val;
	s->a.threshold = thr;
	if (s->state == PW_ALERT_PENDING &&
	    now_ms - s->a.started_ms >= r->for_ms) {
		s->state = PW_ALERT_FIRING;
		s->a.fired_ms = now_ms;
	}
	s->a.state = s->state;
	pw__rule_render(r, &s->a, v->last_exit, thr, s->a.message,
	    sizeof(s->a.message));
	if (s->state == PW_ALERT_FIRING && s->a.fired_ms == now_ms)
		tlist_add(t, &s->a);
}

static void
eval_proc(struct pw_alerts *e, struct pw__pentry *p,
    const struct pw_proc_view *v, uint64_t mem_total, int64_t now_ms,
    struct pw__tlist *t)
{
	const struct pw_sample *prev;
	struct pw__subject sub = { v->id, v->pid, v->name,
	    v->target != NULL ? v->target : "", NULL };
	struct pw_metric_ctx ctx = pw__alert_ctx(mem_total, v->fd_limit);
	double val;
	size_t i;

	ctx.pss = v->pss;

	p->pid = v->pid;
	p->fd_limit = v->fd_limit;
	memcpy(p->name, v->name, sizeof(p->name));
	snprintf(p->target, sizeof(p->target), "%s", sub.target);
	if (p->has_cur && v->latest.ts_ms <= p->cur.ts_ms)
		return;			/* nothing new since last time */
	if (p->has_cur) {
		p->prev = p->cur;
		p->has_prev = true;
	}
	p->cur = v->latest;
	p->has_cur = true;
	prev = p->has_prev ? &p->prev : NULL;
	for (i = 0; i < e->nrules; i++) {
		const struct pw_rule *r = &e->rules[i];
		struct pw__rstate *s = &p->rs[i];

		if (pw__alert_is_target(e->metrics[i]) ||
		    !pw__rule_applies(r, v->target))
			continue;
		if (e->metrics[i] == PW__RULE_CUSTOM) {
			/* The process's series, else its target's, else
			 * the host's; none (or stale): the state stays. */
			if (e->custom == NULL || pw_custom_lookup(e->custom,
			    pw__rule_custom_name(r->metric), v->id, v->target,
			    &val, NULL) < 0)
				continue;
		} else if (!pw_metric_read(e->metrics[i], &ctx, &p->cur, prev,
		    &val))
			continue;	/* unknown: the state stays */
		if (r->agg != PW_AGG_NONE && !pw__window_feed(&s->win, r->agg,
		    r->window_ms, p->cur.ts_ms, val, &val))
			continue;
		pw__alerts_step(e, i, s, &sub, val, r->threshold, now_ms, t);
	}
}

int
pw_alerts_eval(struct pw_alerts *e, const struct pw_snapshot *snap,
    int64_t now_ms, struct pw_alert **out, size_t *nout)
{
	struct pw__tlist t = { NULL, 0, 0, false };
	struct pw__pentry *p;
	struct pw__tentry *te;
	size_t i, j;
	bool watch;

	*out = NULL;
	*nout = 0;
	pthread_mutex_lock(&e->mtx);
	watch = e->ntents > 0 && pw__alerts_has_target_rules(e);
	for (i = 0; i < e->nents; i++)
		e->ents[i].seen = false;
	for (i = 0; i < e->ntents; i++)
		e->tents[i].live = 0;
	for (i = 0; snap != NULL && i < snap->n; i++) {
		const struct pw_proc_view *v = &snap->procs[i];

		if (v->alive && watch &&
		    (te = pw__alerts_tent_find(e, v->target)) != NULL)
			te->live++;
		if (!v->alive || !v->has_sample)
			continue;
		if ((p = ent_get(e, v->id)) == NULL) {
			t.oom = true;
			continue;
		}
		p->seen = true;
		eval_proc(e, p, v, snap->mem_total, now_ms, &t);
	}
	/* Entries not seen: the process exited (or was never seen alive). */
	for (i = j = 0; i < e->nents; i++) {
		p = &e->ents[i];
		if (p->seen) {
			e->ents[j++] = *p;
			continue;
		}
		pw__alerts_gone(e, p, watch, now_ms, &t);
		pentry_fini(p, e->nrules);
	}
	e->nents = j;
	pw__alerts_eval_targets(e, snap, now_ms, &t);
	if (snap != NULL)
		e->last_taken_ms = snap->taken_ms;
	pthread_mutex_unlock(&e->mtx);
	if (t.oom && t.n == 0) {
		free(t.a);
		return -ENOMEM;
	}
	*out = t.a;
	*nout = t.n;
	return 0;
}

/* The rule states of slot i: the processes' entries, then the targets'. */
static struct pw__rstate **
rs_slot(struct pw_alerts *e, size_t i)
{
	return i < e->nents ? &e->ents[i].rs : &e->tents[i - e->nents].rs;
}

int
pw_alerts_reload(struct pw_alerts *e, const struct pw_rule *rules, size_t n,
    int64_t now_ms, struct pw_alert **out, size_t *nout)
{
	struct pw__tlist t = { NULL, 0, 0, false };
	struct pw_rule *nr = NULL;
	int *nm = NULL;
	struct pw__rstate **nrs = NULL;
	struct grave *ng;
	size_t *from = NULL, i, j, k, done = 0, nslots = 0;
	bool *kept = NULL;
	int m, rc = -ENOMEM;

	*out = NULL;
	*nout = 0;
	if (n > 0 && ((nr = calloc(n, sizeof(*nr))) == NULL ||
	    (nm = calloc(n, sizeof(*nm))) == NULL ||
	    (from = calloc(n, sizeof(*from))) == NULL))
		goto out_free;
	for (; done < n; done++) {
		if ((m = pw__rule_metric_lookup(rules[done].metric,
		    rules[done].scope)) < 0) {
			rc = -EINVAL;
			goto out_free;
		}
		nm[done] = m;
		if (pw_rule_copy(&nr[done], &rules[done]) < 0)
			goto out_free;
	}
	pthread_mutex_lock(&e->mtx);
	/* Allocate everything first, so a failure changes nothing. */
	if ((ng = realloc(e->graves, (e->ngraves + 1) * sizeof(*ng))) == NULL)
		goto out_unlock;
	e->graves = ng;
	nslots = e->nents + e->ntents;
	if ((kept = calloc(e->nrules ? e->nrules : 1, sizeof(*kept))) == NULL ||
	    (nrs = calloc(nslots ? nslots : 1, sizeof(*nrs))) == NULL)
		goto out_unlock;
	for (i = 0; i < nslots; i++)
		if (n > 0 && (nrs[i] = calloc(n, sizeof(**nrs))) == NULL)
			goto out_unlock;
	for (j = 0; j < n; j++) {
		from[j] = SIZE_MAX;
		for (k = 0; k < e->nrules; k++)
			if (!kept[k] && pw__rule_same(&e->rules[k], &nr[j])) {
				from[j] = k;
				kept[k] = true;
				break;
			}
	}
	for (i = 0; i < nslots; i++) {
		struct pw__rstate **rs = rs_slot(e, i);

		for (j = 0; j < n; j++) {
			if (from[j] == SIZE_MAX)
				continue;
			nrs[i][j] = (*rs)[from[j]];
			nrs[i][j].a.rule = &nr[j];
			nrs[i][j].a.rule_index = j;
		}
		/* Alerts of removed or changed rules resolve now. */
		for (k = 0; k < e->nrules; k++) {
			if (kept[k])
				continue;
			pw__alerts_resolve(e, &(*rs)[k], now_ms, "rule changed",
			    &t);
			pw__window_fini(&(*rs)[k].win);
		}
		free(*rs);
		*rs = nrs[i];
		nrs[i] = NULL;
	}
	e->graves[e->ngraves].rules = e->rules;
	e->graves[e->ngraves].n = e->nrules;
	e->graves[e->ngraves].metrics = e->metrics;
	e->ngraves++;
	e->rules = nr;
	e->metrics = nm;
	e->nrules = n;
	nr = NULL;
	nm = NULL;
	done = 0;
	rc = 0;
out_unlock:
	pthread_mutex_unlock(&e->mtx);
	if (nrs != NULL)
		for (i = 0; i < nslots; i++)
			free(nrs[i]);
	free(nrs);
	free(kept);
out_free:
	for (i = 0; i < done; i++)
		pw_rule_fini(&nr[i]);
	free(nr);
	free(nm);
	free(from);
	if (rc == 0 && !t.oom) {
		*out = t.a;
		*nout = t.n;
	} else
		free(t.a);
	return rc;
}

static int
cmp_id(const void *x, const void *y)
{
	const struct pw_alert *a = x, *b = y;

	return a->id < b->id ? -1 : a->id > b->id;
}

int
pw_alerts_copy(struct pw_alerts *e, unsigned mask, struct pw_alert **out,
    size_t *nout)
{
	struct pw_alert *arr;
	size_t i, k, n = 0, cap = 0, nslots;

	pthread_mutex_lock(&e->mtx);
	nslots = e->nents + e->ntents;
	if (mask & (PW_ALERTS_PENDING | PW_ALERTS_FIRING))
		for (i = 0; i < nslots; i++)
			for (k = 0; k < e->nrules; k++)
				if (mask & (1u << (*rs_slot(e, i))[k].state))
					cap++;
	if (mask & PW_ALERTS_RESOLVED)
		cap += e->hlen;
	if ((arr = calloc(cap ? cap : 1, sizeof(*arr))) == NULL) {
		pthread_mutex_unlock(&e->mtx);
		return -ENOMEM;
	}
	if (mask & (PW_ALERTS_PENDING | PW_ALERTS_FIRING))
		for (i = 0; i < nslots; i++)
			for (k = 0; k < e->nrules; k++)
				if (mask & (1u << (*rs_slot(e, i))[k].state))
					arr[n++] = (*rs_slot(e, i))[k].a;
	qsort(arr, n, sizeof(*arr), cmp_id);
	if (mask & PW_ALERTS_RESOLVED)
		for (i = e->hlen; i > 0; i--)
			arr[n++] = e->hist[(e->hhead + i - 1) % e->hcap];
	pthread_mutex_unlock(&e->mtx);
	*out = arr;
	*nout = n;
	return 0;
}

void
pw_alerts_rule_counts(struct pw_alerts *e, size_t r, size_t *pending,
    size_t *firing)
{
	size_t i;

	*pending = *firing = 0;
	pthread_mutex_lock(&e->mtx);
	for (i = 0; r < e->nrules && i < e->nents + e->ntents; i++) {
		if ((*rs_slot(e, i))[r].state == PW_ALERT_PENDING)
			(*pending)++;
		else if ((*rs_slot(e, i))[r].state == PW_ALERT_FIRING)
			(*firing)++;
	}
	pthread_mutex_unlock(&e->mtx);
}
