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
 * instead, with the same per-rule states.  Their values come from the
 * target's group view in the snapshot (its newest aggregate sample; the
 * entry keeps the previous one for rates).  A snapshot without that view
 * (ngroups 0, or a target whose ring has no sample yet) gets the members'
 * values combined as the catalogue says a group combines them (the
 * count of live processes, sums, the worst fd_usage).  An evaluation also
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
#include <procwatch/groupacc.h>
#include <procwatch/metric.h>
#include <procwatch/rules.h>
#include <procwatch/store.h>

#include "rule_impl.h"

/* Is m evaluated per target (a group) rather than per process? */
static bool
is_target_metric(int m)
{
	return m >= PW__RULE_GROUP;
}

/*
 * The catalogue's context for a rule: a counter that went backwards
 * reads as a rate of 0, so that a reset ends a rate alert.
 */
static struct pw_metric_ctx
rule_ctx(uint64_t mem_total, uint64_t fd_limit)
{
	struct pw_metric_ctx c = { 0 };

	c.mem_total = mem_total;
	c.fd_limit = fd_limit;
	c.flags = PW_MCTX_RESET_IS_ZERO;
	return c;
}

/* The state of one (rule, process) pair. */
struct rstate {
	enum pw_alert_state	 state;	/* INACTIVE, PENDING or FIRING */
	struct pw_alert		 a;	/* valid unless INACTIVE */
	struct pw__window	 win;
};

/* One process seen by the engine. */
struct pentry {
	uint64_t		 proc_id;
	bool			 seen;
	bool			 has_cur, has_prev;
	struct pw_sample	 cur, prev;
	uint64_t		 fd_limit;	/* as last seen */
	/* As last seen, for when it is gone. */
	pid_t			 pid;
	char			 name[17];
	char			 target[PW_RULE_NAME_MAX + 1];
	struct rstate		*rs;	/* one per rule */
};

/* One configured target, for rules with scope group. */
struct tentry {
	char			*name;		/* owned */
	size_t			 min_processes;	/* 0: no process_down */
	size_t			 max_processes;	/* 0: no too_many_processes */
	bool			 is_removed;	/* resolve, then drop */
	bool			 is_armed;	/* a cycle since it was set */
	int64_t			 set_taken_ms;	/* snap->taken_ms then */
	size_t			 live;		/* in this evaluation */
	/* The group's last two aggregate samples, for rates. */
	bool			 has_gcur, has_gprev;
	struct pw_group_sample	 gcur, gprev;
	pid_t			 last_pid;	/* last process gone; 0: none */
	char			 last_name[17];
	char			 last_why[PW_RULE_REASON_MAX];
	struct rstate		*rs;		/* one per rule */
};

struct pw_alerts {
	pthread_mutex_t		 mtx;
	struct pw_rule		*rules;
	int			*metrics;	/* per rule: pw__rule_metric_lookup() */
	size_t			 nrules;
	struct pentry		*ents;		/* sorted by proc_id */
	size_t			 nents, capents;
	struct pw_alert		*hist;		/* ring of resolved alerts */
	size_t			 hcap, hhead, hlen;
	uint64_t		 next_id;
	struct pw_custom	*custom;	/* borrowed; may be NULL */
	pw_alerts_exit_fn	*exit_fn;	/* may be NULL */
	void			*exit_arg;	/* borrowed */
	struct tentry		*tents;		/* configured targets */
	size_t			 ntents;
	int64_t			 last_taken_ms;	/* of the last evaluation */
	/*
	 * Rule sets replaced by pw_alerts_reload().  Alerts in the history
	 * and in copies readers hold still point at them, so they live as
	 * long as the engine; reloads are rare and each costs one rule set.
	 */
	struct grave {
		struct pw_rule	*rules;
		size_t		 n;
		int		*metrics;
	}			*graves;
	size_t			 ngraves;
};

void
pw_alerts_set_custom(struct pw_alerts *e, struct pw_custom *c)
{
	pthread_mutex_lock(&e->mtx);
	e->custom = c;
	pthread_mutex_unlock(&e->mtx);
}

void
pw_alerts_set_exit_lookup(struct pw_alerts *e, pw_alerts_exit_fn *fn,
    void *arg)
{
	pthread_mutex_lock(&e->mtx);
	e->exit_fn = fn;
	e->exit_arg = arg;
	pthread_mutex_unlock(&e->mtx);
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
rs_free(struct rstate *rs, size_t nrules)
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
pentry_fini(struct pentry *p, size_t nrules)
{
	rs_free(p->rs, nrules);
	p->rs = NULL;
}

static void
tentry_fini(struct tentry *t, size_t nrules)
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
		tentry_fini(&e->tents[i], e->nrules);
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

static struct pentry *
ent_get(struct pw_alerts *e, uint64_t id)
{
	struct pentry *np;
	struct rstate *rs = NULL;
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

/* Transitions collected during one evaluation. */
struct tlist {
	struct pw_alert	*a;
	size_t		 n, cap;
	bool		 oom;
};

static void
tlist_add(struct tlist *t, const struct pw_alert *a)
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

static void
resolve(struct pw_alerts *e, struct rstate *s, int64_t now_ms,
    const char *reason, struct tlist *t)
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

/* What an alert is about: a process, or a target (id 0). */
struct subject {
	uint64_t	 id;
	pid_t		 pid;
	const char	*name;
	const char	*target;
	const char	*last_exit;	/* {last_exit}; NULL: empty */
};

/*
 * Run rule i against subject v whose value is `val`; `thr` is the
 * threshold in force (the target's bound for a rule with one, which also
 * resolves there: a bound has no separate clear line).
 */
static void
step(struct pw_alerts *e, size_t i, struct rstate *s,
    const struct subject *v, double val, double thr, int64_t now_ms,
    struct tlist *t)
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
			resolve(e, s, now_ms, "condition cleared", t);
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
eval_proc(struct pw_alerts *e, struct pentry *p,
    const struct pw_proc_view *v, uint64_t mem_total, int64_t now_ms,
    struct tlist *t)
{
	const struct pw_sample *prev;
	struct subject sub = { v->id, v->pid, v->name,
	    v->target != NULL ? v->target : "", NULL };
	struct pw_metric_ctx ctx = rule_ctx(mem_total, v->fd_limit);
	double val;
	size_t i;

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
		struct rstate *s = &p->rs[i];

		if (is_target_metric(e->metrics[i]) ||
		    !pw__rule_applies(r, v->target))
			continue;
		if (e->metrics[i] == PW__RULE_CUSTOM) {
			/* The process's series, else its target's, else
			 * the host's; none (or stale): the state stays. */
			if (e->custom == NULL || pw_custom_lookup(e->custom,
			    pw__rule_custom_name(r->metric), v->id, v->target, &val,
			    NULL) < 0)
				continue;
		} else if (!pw_metric_read(e->metrics[i], &ctx, &p->cur, prev,
		    &val))
			continue;	/* unknown: the state stays */
		if (r->agg != PW_AGG_NONE && !pw__window_feed(&s->win, r->agg,
		    r->window_ms, p->cur.ts_ms, val, &val))
			continue;
		step(e, i, s, &sub, val, r->threshold, now_ms, t);
	}
}

/* A configured target by name, or NULL. */
static struct tentry *
tent_find(struct pw_alerts *e, const char *name)
{
	size_t i;

	if (name == NULL || name[0] == '\0')
		return NULL;
	for (i = 0; i < e->ntents; i++)
		if (!e->tents[i].is_removed &&
		    strcmp(e->tents[i].name, name) == 0)
			return &e->tents[i];
	return NULL;
}

static bool
has_target_rules(const struct pw_alerts *e)
{
	size_t i;

	for (i = 0; i < e->nrules; i++)
		if (is_target_metric(e->metrics[i]))
			return true;
	return false;
}

/*
 * A process's exit event may be stamped a little before the sample that
 * last saw it alive (the sample's time is the cycle's start): look that
 * far back for it.  A pid reused within this slack could be misnamed.
 */
#define EXIT_SLACK_MS	1000

/*
 * Process p went away: resolve its alerts with the reason the exit lookup
 * gives, and remember it in its target when it leaves that target empty
 * or below its min_processes (`watch`: rules on targets exist).  The
 * lookup is asked only then.
 */
static void
gone(struct pw_alerts *e, struct pentry *p, bool watch, int64_t now_ms,
    struct tlist *t)
{
	struct tentry *te = watch ? tent_find(e, p->target) : NULL;
	char why[PW_RULE_REASON_MAX];
	bool firing = false;
	size_t k;

	for (k = 0; k < e->nrules; k++)
		if (p->rs[k].state == PW_ALERT_FIRING)
			firing = true;
	if (te != NULL && te->live > 0 && te->live >= te->min_processes)
		te = NULL;		/* not below the minimum */
	why[0] = '\0';
	if ((firing || te != NULL) && e->exit_fn != NULL &&
	    e->exit_fn(e->exit_arg, p->pid, p->cur.ts_ms - EXIT_SLACK_MS, why,
	    sizeof(why)) < 0)
		why[0] = '\0';
	why[sizeof(why) - 1] = '\0';
	for (k = 0; k < e->nrules; k++)
		resolve(e, &p->rs[k], now_ms, why[0] != '\0' ? why :
		    "process exited", t);
	if (te != NULL) {
		te->last_pid = p->pid;
		memcpy(te->last_name, p->name, sizeof(te->last_name));
		memcpy(te->last_why, why, sizeof(te->last_why));
	}
}

/*
 * {last_exit} of a target that has `live` processes: the last one that
 * went away, and how many are left when some are but fewer than its
 * min_processes.
 */
static void
last_exit_text(const struct tentry *te, size_t live, char *buf, size_t len)
{
	bool few = live > 0 && live < te->min_processes;
	int pos = 0;

	buf[0] = '\0';
	if (!few && te->last_pid == 0) {
		snprintf(buf, len, "no matching process");
		return;
	}
	if (few)
		pos = snprintf(buf, len, "only %zu running%s", live,
		    te->last_pid != 0 ? "; last gone: " : "");
	if (te->last_pid != 0 && pos >= 0 && (size_t)pos < len)
		snprintf(buf + pos, len - (size_t)pos, "%s (pid %ld) %s",
		    te->last_name, (long)te->last_pid,
		    te->last_why[0] != '\0' ? te->last_why : "exited");
}

/*
 * Without a group view: metric m of te from the engine's entries of its
 * live processes (every entry left is alive).  The process count is
 * their number; a row the catalogue combines by max (fd_usage) is the
 * worst of theirs, anything else their sum: 0 with none; unknown when processes live but none has a value (a first
 * sample's CPU %, unreadable descriptors).
 */
static bool
target_fallback(const struct pw_alerts *e, const struct tentry *te,
    enum pw_metric m, uint64_t mem_total, double *out)
{
	bool is_max = pw_metric_def(m)->gagg == PW_GAGG_MAX;
	struct pw_metric_ctx c;
	const struct pentry *p;
	double v, acc = 0;
	bool any = false;
	size_t i;

	if (m == PW_METRIC_PROCESSES) {
		*out = (double)te->live;
		return true;
	}
	for (i = 0; i < e->nents; i++) {
		p = &e->ents[i];
		c = rule_ctx(mem_total, p->fd_limit);
		if (!p->has_cur || strcmp(p->target, te->name) != 0 ||
		    !pw_metric_read(m, &c, &p->cur, p->has_prev ? &p->prev :
		    NULL, &v))
			continue;
		if (!is_max)
			acc += v;
		else if (!any || v > acc)
			acc = v;
		any = true;
	}
	*out = acc;
	return any || te->live == 0;
}

/* The group view of `name` in snap with a sample, or NULL. */
static const struct pw_group_view *
snap_group(const struct pw_snapshot *snap, const char *name)
{
	const struct pw_group_view *gv = pw_snapshot_group(snap, name);

	return gv != NULL && gv->has_sample ? gv : NULL;
}

/*
 * The threshold of rule r for target te in *thr: its own, or te's bound.
 * False when te has no such bound (0): r does not apply to te.
 */
static bool
rule_threshold(const struct pw_rule *r, const struct tentry *te, double *thr)
{
	size_t b;

	switch (r->bound) {
	case PW_BOUND_MIN_PROCESSES:
		b = te->min_processes;
		break;
	case PW_BOUND_MAX_PROCESSES:
		b = te->max_processes;
		break;
	default:
		*thr = r->threshold;
		return true;
	}
	*thr = (double)b;
	return b > 0;
}

/*
 * Rules with scope group, for each target armed by a cycle committed
 * since it was set.  Targets removed since the last evaluation resolve
 * and go.  With a group view in snap, a target whose newest aggregate
 * sample is not newer than the one seen last time is not re-evaluated.
 */
static void
eval_targets(struct pw_alerts *e, const struct pw_snapshot *snap,
    int64_t now_ms, struct tlist *t)
{
	const struct pw_group_view *gv;
	char last[PW_RULE_MESSAGE_MAX];
	struct tentry *te;
	struct subject sub, whole;
	int64_t taken_ms = snap != NULL ? snap->taken_ms : 0, ts;
	uint64_t mem_total = snap != NULL ? snap->mem_total : 0;
	struct pw_metric_ctx ctx = rule_ctx(mem_total, 0);
	enum pw_metric m;
	double val, thr;
	size_t i, j, k;

	for (i = j = 0; i < e->ntents; i++) {
		te = &e->tents[i];
		if (!te->is_removed) {
			e->tents[j++] = *te;
			continue;
		}
		for (k = 0; k < e->nrules; k++)
			resolve(e, &te->rs[k], now_ms, "target removed", t);
		tentry_fini(te, e->nrules);
	}
	e->ntents = j;
	for (i = 0; i < e->ntents; i++) {
		te = &e->tents[i];
		if (!te->is_armed) {
			if (taken_ms == 0 || taken_ms == te->set_taken_ms)
				continue;	/* no cycle since it was set */
			te->is_armed = true;
		}
		ts = now_ms;
		if ((gv = snap_group(snap, te->name)) != NULL) {
			/* Nothing new since last time: the states stay. */
			if (te->has_gcur && gv->latest.ts_ms <= te->gcur.ts_ms)
				continue;
			if (te->has_gcur) {
				te->gprev = te->gcur;
				te->has_gprev = true;
			}
			te->gcur = gv->latest;
			te->has_gcur = true;
			ts = te->gcur.ts_ms;
		}
		last_exit_text(te, gv != NULL ? gv->latest.processes :
		    te->live, last, sizeof(last));
		sub.id = 0;
		sub.pid = te->last_pid;
		sub.name = te->last_name;
		sub.target = te->name;
		sub.last_exit = last;
		/* A sum is about the whole target, not one process. */
		whole = sub;
		whole.pid = 0;
		whole.name = "";
		for (k = 0; k < e->nrules; k++) {
			const struct pw_rule *r = &e->rules[k];

			if (!is_target_metric(e->metrics[k]) ||
			    !pw__rule_applies(r, te->name))
				continue;
			if (!rule_threshold(r, te, &thr)) {
				/* A bound taken away by a reload. */
				resolve(e, &te->rs[k], now_ms, "target changed",
				    t);
				continue;
			}
			m = (enum pw_metric)(e->metrics[k] - PW__RULE_GROUP);
			if (gv != NULL ? !pw_metric_read_group(m, &ctx,
			    &te->gcur, te->has_gprev ? &te->gprev : NULL,
			    &val) : !target_fallback(e, te, m, mem_total, &val))
				continue;	/* unknown: the state stays */
			if (r->agg != PW_AGG_NONE &&
			    !pw__window_feed(&te->rs[k].win, r->agg, r->window_ms,
			    ts, val, &val))
				continue;
			step(e, k, &te->rs[k], m == PW_METRIC_PROCESSES ? &sub : &whole,
			    val, thr, now_ms, t);
		}
	}
}

int
pw_alerts_eval(struct pw_alerts *e, const struct pw_snapshot *snap,
    int64_t now_ms, struct pw_alert **out, size_t *nout)
{
	struct tlist t = { NULL, 0, 0, false };
	struct pentry *p;
	struct tentry *te;
	size_t i, j;
	bool watch;

	*out = NULL;
	*nout = 0;
	pthread_mutex_lock(&e->mtx);
	watch = e->ntents > 0 && has_target_rules(e);
	for (i = 0; i < e->nents; i++)
		e->ents[i].seen = false;
	for (i = 0; i < e->ntents; i++)
		e->tents[i].live = 0;
	for (i = 0; snap != NULL && i < snap->n; i++) {
		const struct pw_proc_view *v = &snap->procs[i];

		if (v->alive && watch && (te = tent_find(e, v->target)) != NULL)
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
		gone(e, p, watch, now_ms, &t);
		pentry_fini(p, e->nrules);
	}
	e->nents = j;
	eval_targets(e, snap, now_ms, &t);
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
static struct rstate **
rs_slot(struct pw_alerts *e, size_t i)
{
	return i < e->nents ? &e->ents[i].rs : &e->tents[i - e->nents].rs;
}

int
pw_alerts_reload(struct pw_alerts *e, const struct pw_rule *rules, size_t n,
    int64_t now_ms, struct pw_alert **out, size_t *nout)
{
	struct tlist t = { NULL, 0, 0, false };
	struct pw_rule *nr = NULL;
	int *nm = NULL;
	struct rstate **nrs = NULL;
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
		struct rstate **rs = rs_slot(e, i);

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
			resolve(e, &(*rs)[k], now_ms, "rule changed", &t);
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

/* Is `name` among targets[0..n)? */
static bool
listed(const struct pw_alert_target *targets, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (targets[i].name != NULL &&
		    strcmp(targets[i].name, name) == 0)
			return true;
	return false;
}

/* The first entry of targets[0..n) named `name`; it must be listed. */
static const struct pw_alert_target *
listed_get(const struct pw_alert_target *targets, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (targets[i].name != NULL &&
		    strcmp(targets[i].name, name) == 0)
			break;
	return &targets[i];
}

int
pw_alerts_set_targets(struct pw_alerts *e,
    const struct pw_alert_target *targets, size_t n)
{
	const struct pw_alert_target *at;
	struct tentry *nt;
	size_t i, k, nn;

	pthread_mutex_lock(&e->mtx);
	/* Allocate the new entries first: a failure changes nothing. */
	if ((nt = calloc(e->ntents + n + 1, sizeof(*nt))) == NULL)
		goto out_oom;
	nn = e->ntents;
	for (i = 0; i < n; i++) {
		if (targets[i].name == NULL || targets[i].name[0] == '\0' ||
		    listed(targets, i, targets[i].name))
			continue;		/* empty or a duplicate */
		for (k = 0; k < e->ntents; k++)
			if (strcmp(e->tents[k].name, targets[i].name) == 0)
				break;
		if (k < e->ntents)
			continue;		/* kept */
		if ((nt[nn].name = strdup(targets[i].name)) == NULL ||
		    (e->nrules > 0 && (nt[nn].rs = calloc(e->nrules,
		    sizeof(*nt[nn].rs))) == NULL)) {
			free(nt[nn].name);
			goto out_free;
		}
		nt[nn].min_processes = targets[i].min_processes;
		nt[nn].max_processes = targets[i].max_processes;
		nt[nn].set_taken_ms = e->last_taken_ms;
		nn++;
	}
	/*
	 * Kept ones keep their states (a removed one listed again, too) and
	 * take the new bounds.
	 */
	for (k = 0; k < e->ntents; k++) {
		nt[k] = e->tents[k];
		nt[k].is_removed = !listed(targets, n, nt[k].name);
		if (nt[k].is_removed)
			continue;
		at = listed_get(targets, n, nt[k].name);
		nt[k].min_processes = at->min_processes;
		nt[k].max_processes = at->max_processes;
	}
	free(e->tents);
	e->tents = nt;
	e->ntents = nn;
	pthread_mutex_unlock(&e->mtx);
	return 0;
out_free:
	for (k = e->ntents; k < nn; k++)
		tentry_fini(&nt[k], e->nrules);
	free(nt);
out_oom:
	pthread_mutex_unlock(&e->mtx);
	return -ENOMEM;
}
