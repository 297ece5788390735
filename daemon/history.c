/*
 * daemon/history.c: procwatchd's side of the history on disk
 * (daemon/history.h): options from the config, the lock and the
 * memory-only fallback, the cycle hook and the alert transitions.
 *
 * DESIGN: the cycle hook runs on the sampler after each commit and its
 * rule evaluation.  It copies the cycle out of the store (the store's
 * read lock, no I/O) and hands it to the engine's bounded queue, which
 * never waits: a full queue drops the cycle and counts it.  Alert
 * transitions are found by comparing the firing alerts with the previous
 * cycle's, by alert id.
 *
 * RESTARTS.  The alert engine starts empty, so an alert that was firing
 * when the daemon stopped would fire, and be announced, a second time.
 * history_start() reads what was firing from the history, and the
 * sampler's transitions then reach the notifier through the hook: the
 * first "firing" of each carried-over alert (same rule, target and pid)
 * is not announced again, and one that does not fire again within its
 * rule's `for`, ten intervals and a second of the first cycle (and as
 * many cycles) is announced resolved, since it stopped while no one
 * watched.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <procwatch/alertq.h>
#include <procwatch/events.h>
#include <procwatch/monitor.h>
#include <procwatch/oom.h>
#include <procwatch/rules.h>

#include "daemon/config.h"
#include "daemon/history.h"
#include "daemon/log.h"
#include "lib/history.h"
#include "lib/pwutil.h"

#define HISTORY_SUBDIR	"history"
#define FLUSH_MS	5000	/* at shutdown, for what is queued */
#define DAY_MS		INT64_C(86400000)
#define CARRY_GRACE_CYCLES	10	/* past a rule's `for`, */
#define CARRY_GRACE_MS		1000	/* and a second more */
#define ALERTQ_INNER	4096		/* as main's queue */

/* A firing alert as the previous cycle saw it. */
struct fired {
	uint64_t	id;
	pid_t		pid;
	char		rule[PW_RULE_NAME_MAX + 1];
	char		target[PW_RULE_NAME_MAX + 1];
	double		value;
};

/* An alert that was firing when the previous daemon stopped. */
struct carried {
	char		rule[PW_RULE_NAME_MAX + 1];
	char		target[PW_RULE_NAME_MAX + 1];
	pid_t		pid;
	double		value;
	int64_t		fired_ms;
	int64_t		deadline_ms;	/* resolved unless it fires by then;
					 * relative until the first cycle */
	int64_t		cycles_left;	/* and within so many cycles */
	bool		settled;
};

struct history {
	struct pw_history	*h;
	char			 dir[PATH_MAX];	/* state_dir/history */
	struct pw_alerts	*alerts;	/* borrowed; may be NULL */
	struct pw_monitor	*mon;		/* borrowed, once started */
	struct pw_events	*events;	/* borrowed; may be NULL */
	/* The sampler's only (the cycle hook): */
	struct fired		*fired;		/* ordered by id */
	size_t			 nfired;
	uint64_t		 hook_oom;	/* cycles lost to ENOMEM */
	bool			 started;	/* the writer runs */
	/* Transitions: the sampler's into inq, the notifier's from outq. */
	struct pw_alertq	*inq;		/* owned; NULL: not filtered */
	struct pw_alertq	*outq;		/* borrowed */
	struct carried		*carried;	/* the sampler's */
	size_t			 ncarried, nsettled;
	uint64_t		 synth_id;	/* ids of made-up resolutions */
	bool			 carry_started;	/* deadlines set */
};

/* pw_hist_log_fn: the engine's findings, one line each ("history ..."). */
static void
history_log(void *arg, int level, const char *msg)
{
	(void)arg;
	if (level == PW_HIST_LOG_WARN)
		log_warnx("%s", msg);
	else
		log_info("%s", msg);
}

int
history_open(const struct config *cfg, struct history **out, char *why,
    size_t whylen)
{
	struct pw_hist_opts o;
	struct history *hs;
	char dir[PATH_MAX];
	pid_t holder = 0;
	int rc;

	*out = NULL;
	if (!cfg->history_disk) {
		snprintf(why, whylen, "history_disk is false: history in "
		    "memory only");
		log_info("%s", why);
		return 0;
	}
	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", cfg->state_dir,
	    HISTORY_SUBDIR) >= sizeof(dir)) {
		snprintf(why, whylen, "state_dir %s: path too long: history in "
		    "memory only", cfg->state_dir);
		log_warnx("%s", why);
		return 0;
	}
	if ((hs = calloc(1, sizeof(*hs))) == NULL)
		return -ENOMEM;
	snprintf(hs->dir, sizeof(hs->dir), "%s", dir);
	pw_hist_opts_init(&o);
	o.dir = hs->dir;
	o.max_bytes = cfg->history_max_bytes;
	o.fsync_ms = cfg->history_fsync_ms;
	o.minute_keep_ms = (int64_t)cfg->history_minute_days * DAY_MS;
	o.hour_keep_ms = (int64_t)cfg->history_hour_days * DAY_MS;
	o.log = history_log;
	o.log_arg = NULL;
	rc = pw_history_open(&o, &hs->h, &holder);
	if (rc == -EBUSY) {
		if (holder > 0)
			snprintf(why, whylen, "state_dir %s: another procwatchd "
			    "(pid %ld) keeps its history there; give each "
			    "daemon a state_dir of its own", cfg->state_dir,
			    (long)holder);
		else
			snprintf(why, whylen, "state_dir %s: another procwatchd "
			    "keeps its history there; give each daemon a "
			    "state_dir of its own", cfg->state_dir);
		free(hs);
		return -EBUSY;
	}
	if (rc == -ENOMEM) {
		free(hs);
		return -ENOMEM;
	}
	if (rc < 0) {
		snprintf(why, whylen, "state_dir %s: cannot keep the history "
		    "in %s (%s): history in memory only", cfg->state_dir, dir,
		    strerror(-rc));
		log_warnx("%s", why);
		free(hs);
		return 0;
	}
	snprintf(why, whylen, "on");
	*out = hs;
	return 0;
}

/* Index of id in hs->fired, or where it would go. */
static size_t
fired_find(const struct fired *f, size_t n, uint64_t id, bool *found)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (f[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < n && f[lo].id == id;
	return lo;
}

/*
 * Note alert a as firing in hs->fired (kept in id order) without an
 * event: its "firing" is in the history already.  Out of memory, it is
 * not noted, and the history gets that "firing" twice.
 */
static void
fired_note(struct history *hs, const struct pw_alert *a)
{
	struct fired *v;
	size_t at;
	bool found;

	at = fired_find(hs->fired, hs->nfired, a->id, &found);
	if (found || (v = realloc(hs->fired, (hs->nfired + 1) *
	    sizeof(*v))) == NULL)
		return;
	memmove(v + at + 1, v + at, (hs->nfired - at) * sizeof(*v));
	memset(&v[at], 0, sizeof(v[at]));
	v[at].id = a->id;
	v[at].pid = a->pid;
	snprintf(v[at].rule, sizeof(v[at].rule), "%s",
	    a->rule != NULL ? a->rule->name : "");
	snprintf(v[at].target, sizeof(v[at].target), "%s", a->target);
	v[at].value = a->value;
	hs->fired = v;
	hs->nfired++;
}

static int
add_alert_event(struct pw_hist_cycle *cyc, int64_t now_ms, const char *type,
    const struct fired *f)
{
	struct pw_hist_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.ts_ms = now_ms;
	ev.kind = PW_HIST_EV_ALERT;
	ev.type = type;
	ev.pid = f->pid;
	ev.name = f->rule;
	ev.target = f->target;
	ev.value = f->value;
	return pw_hist_cycle_add_event(cyc, &ev);
}

/*
 * The transitions since the previous cycle: alerts firing now that were
 * not ("firing"), and alerts that were and are not any more
 * ("resolved").  pw_alerts_copy() orders the active alerts by id.
 */
static int
alert_events(struct history *hs, struct pw_hist_cycle *cyc, int64_t now_ms)
{
	struct pw_alert *a = NULL;
	struct fired *now = NULL;
	size_t n = 0, i, j;
	bool found;
	int rc;

	if (hs->alerts == NULL)
		return 0;
	if ((rc = pw_alerts_copy(hs->alerts, PW_ALERTS_FIRING, &a, &n)) < 0)
		return rc;
	if (n > 0 && (now = calloc(n, sizeof(*now))) == NULL) {
		free(a);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		now[i].id = a[i].id;
		now[i].pid = a[i].pid;
		snprintf(now[i].rule, sizeof(now[i].rule), "%s",
		    a[i].rule != NULL ? a[i].rule->name : "");
		snprintf(now[i].target, sizeof(now[i].target), "%s",
		    a[i].target);
		now[i].value = a[i].value;
		(void)fired_find(hs->fired, hs->nfired, now[i].id, &found);
		if (!found && (rc = add_alert_event(cyc, now_ms, "firing",
		    &now[i])) < 0)
			goto out;
	}
	for (j = 0; j < hs->nfired; j++) {
		(void)fired_find(now, n, hs->fired[j].id, &found);
		if (!found && (rc = add_alert_event(cyc, now_ms, "resolved",
		    &hs->fired[j])) < 0)
			goto out;
	}
	free(hs->fired);
	hs->fired = now;
	hs->nfired = n;
	now = NULL;
	rc = 0;
out:
	free(now);
	free(a);
	return rc;
}

/* The rule called name in the engine, and its index; NULL: none now. */
static const struct pw_rule *
rule_named(struct pw_alerts *alerts, const char *name, size_t *index)
{
	const struct pw_rule *r;
	size_t i;

	for (i = 0; (r = pw_alerts_rule(alerts, i)) != NULL; i++)
		if (strcmp(r->name, name) == 0) {
			*index = i;
			return r;
		}
	return NULL;
}

/*
 * What was firing when the previous daemon stopped, each with the time
 * by which it must fire again.  Thread: main, before the sampler.
 */
static void
carry_load(struct history *hs, int64_t now_ms, int64_t interval_ms)
{
	struct pw_hist_event *ev = NULL;
	const struct pw_rule *r;
	size_t n = 0, i, k = 0, idx;

	if (hs->alerts == NULL ||
	    pw_history_alerts_at(hs->h, now_ms, &ev, &n) < 0 || n == 0 ||
	    (hs->carried = calloc(n, sizeof(*hs->carried))) == NULL) {
		free(ev);
		return;
	}
	for (i = 0; i < n; i++) {
		if (ev[i].kind != PW_HIST_EV_ALERT)
			continue;
		snprintf(hs->carried[k].rule, sizeof(hs->carried[k].rule), "%s",
		    ev[i].name);
		snprintf(hs->carried[k].target, sizeof(hs->carried[k].target),
		    "%s", ev[i].target);
		hs->carried[k].pid = ev[i].pid;
		hs->carried[k].value = ev[i].value;
		hs->carried[k].fired_ms = ev[i].ts_ms;
		/*
		 * From the first cycle on (carry_pass()), in time and in
		 * cycles both, so a slow sampler (valgrind, a loaded host)
		 * is not taken for a cleared alert: a rate takes two cycles,
		 * `for` as many as it spans.
		 */
		r = rule_named(hs->alerts, ev[i].name, &idx);
		hs->carried[k].deadline_ms = (r != NULL ? r->for_ms : 0) +
		    CARRY_GRACE_CYCLES * interval_ms + CARRY_GRACE_MS;
		hs->carried[k].cycles_left = 2 + CARRY_GRACE_CYCLES +
		    (r != NULL && interval_ms > 0 ? r->for_ms / interval_ms :
		    0);
		k++;
	}
	hs->ncarried = k;
	free(ev);
	if (k > 0)
		log_info("history: %zu alert(s) were firing when procwatchd "
		    "stopped: each is announced again only if it changed",
		    k);
}

/* The carried alert that transition t continues, or NULL. */
static struct carried *
carry_find(struct history *hs, const struct pw_alert *t)
{
	size_t i;

	for (i = 0; i < hs->ncarried; i++)
		if (!hs->carried[i].settled && t->rule != NULL &&
		    hs->carried[i].pid == t->pid &&
		    strcmp(hs->carried[i].rule, t->rule->name) == 0 &&
		    strcmp(hs->carried[i].target, t->target) == 0)
			return &hs->carried[i];
	return NULL;
}

static void
carry_settle(struct history *hs, struct carried *c)
{
	c->settled = true;
	if (++hs->nsettled == hs->ncarried) {
		free(hs->carried);
		hs->carried = NULL;
		hs->ncarried = hs->nsettled = 0;
	}
}

/*
 * A resolution of carried alert c, for the notifier and the history: it
 * did not fire again in time.
 */
static int
carry_resolve(struct history *hs, struct carried *c, int64_t now_ms,
    struct pw_hist_cycle *cyc)
{
	const struct pw_rule *r;
	struct pw_alert a;
	struct fired f;
	size_t idx;

	if ((r = rule_named(hs->alerts, c->rule, &idx)) != NULL) {
		memset(&a, 0, sizeof(a));
		a.id = UINT64_C(1) << 63 | ++hs->synth_id;
		a.rule = r;
		a.rule_index = idx;
		a.state = PW_ALERT_RESOLVED;
		a.pid = c->pid;
		snprintf(a.target, sizeof(a.target), "%s", c->target);
		a.value = c->value;
		a.threshold = r->threshold;
		a.started_ms = a.fired_ms = c->fired_ms;
		a.resolved_ms = now_ms;
		snprintf(a.reason, sizeof(a.reason), "not firing after "
		    "procwatchd restarted");
		snprintf(a.message, sizeof(a.message), "%s resolved while "
		    "procwatchd was restarting", c->rule);
		(void)pw_alertq_push(hs->outq, &a, 1);
	}
	memset(&f, 0, sizeof(f));
	snprintf(f.rule, sizeof(f.rule), "%s", c->rule);
	snprintf(f.target, sizeof(f.target), "%s", c->target);
	f.pid = c->pid;
	f.value = c->value;
	return add_alert_event(cyc, now_ms, "resolved", &f);
}

/*
 * The sampler's transitions on to the notifier, but the carried alerts'
 * first firing; carried alerts past their deadline resolved.
 */
static int
carry_pass(struct history *hs, struct pw_hist_cycle *cyc, int64_t now_ms)
{
	struct pw_alert *t = NULL;
	struct carried *c;
	size_t n = 0, i, k = 0;
	int rc;

	if (hs->inq == NULL)
		return 0;
	if (!hs->carry_started) {
		/* The deadlines count from the first cycle after the start. */
		for (i = 0; i < hs->ncarried; i++)
			hs->carried[i].deadline_ms += now_ms;
		hs->carry_started = true;
	}
	if ((rc = pw_alertq_take(hs->inq, &t, &n, NULL)) < 0)
		return rc;
	for (i = 0; i < n; i++) {
		if (t[i].state == PW_ALERT_FIRING &&
		    (c = carry_find(hs, &t[i])) != NULL) {
			log_info("alert %s still firing after the restart: "
			    "%s[%ld] target %s, not announced again",
			    c->rule, t[i].name, (long)t[i].pid, t[i].target);
			/* Its "firing" is on disk from before the stop. */
			fired_note(hs, &t[i]);
			carry_settle(hs, c);
			continue;
		}
		t[k++] = t[i];
	}
	if (k > 0)
		(void)pw_alertq_push(hs->outq, t, k);
	free(t);
	for (i = 0; i < hs->ncarried; i++) {
		c = &hs->carried[i];
		if (c->settled || --c->cycles_left > 0 ||
		    now_ms < c->deadline_ms)
			continue;
		if ((rc = carry_resolve(hs, c, now_ms, cyc)) < 0)
			return rc;
		carry_settle(hs, c);
		if (hs->carried == NULL)
			break;
	}
	return 0;
}

void
history_set_events(struct history *hs, struct pw_events *events)
{
	if (hs != NULL)
		hs->events = events;
}

/*
 * The cycle's exits (from the store, which does not know how a process
 * ended) get their code or -signal from the events feed, and an OOM kill
 * the detector saw for one of them becomes an "oom_kill" event beside
 * it, so that what reads the history (OTLP's logs) can tell them apart.
 */
static int
exit_details(struct history *hs, struct pw_hist_cycle *cyc,
    struct pw_monitor *mon)
{
	const struct pw_hist_event *e;
	struct pw_hist_event oe;
	struct pw_oom_kill k;
	struct pw_event pe;
	size_t i, n = pw_hist_cycle_nevents(cyc);
	int64_t since;
	int rc;

	for (i = 0; i < n; i++) {
		e = pw_hist_cycle_event(cyc, i);
		if (e->kind != PW_HIST_EV_PROCESS || strcmp(e->type, "exit") != 0)
			continue;
		/* Its own start: a reused pid's older exit is not taken. */
		since = e->start_time_ms > 0 ? e->start_time_ms :
		    e->ts_ms - 60000;
		if (hs->events != NULL &&
		    pw_events_exit_of(hs->events, e->pid, since, &pe) == 0)
			(void)pw_hist_cycle_event_set_value(cyc, i,
			    pe.signal != 0 ? -(double)pe.signal :
			    (double)pe.exit_code);
		if (pw_monitor_oom_of(mon, e->pid, since, &k) < 0)
			continue;
		oe = *e;		/* e moves when the array grows */
		oe.type = "oom_kill";
		oe.ts_ms = k.ts_ms;
		oe.value = NAN;
		oe.detail = pw_oom_limit_name(k.limit);
		if ((rc = pw_hist_cycle_add_event(cyc, &oe)) < 0)
			return rc;
	}
	return 0;
}

void
history_cycle(struct history *hs, struct pw_monitor *mon, int64_t now_ms)
{
	struct pw_hist_cycle *cyc;

	if (hs == NULL || !hs->started)
		return;
	if ((cyc = pw_hist_cycle_new(now_ms,
	    (int64_t)pw_monitor_interval_ms(mon))) == NULL) {
		hs->hook_oom++;
		return;
	}
	if (pw_hist_cycle_from_store(cyc, pw_monitor_store(mon)) < 0 ||
	    exit_details(hs, cyc, mon) < 0 ||
	    (pw_monitor_custom(mon) != NULL &&
	    pw_hist_cycle_from_custom(cyc, pw_monitor_custom(mon)) < 0) ||
	    carry_pass(hs, cyc, now_ms) < 0 ||
	    alert_events(hs, cyc, now_ms) < 0) {
		pw_hist_cycle_free(cyc);
		hs->hook_oom++;
		return;
	}
	(void)pw_history_push(hs->h, cyc);	/* a full queue counts it */
}

int
history_start(struct history *hs, struct pw_monitor *mon,
    struct pw_alerts *alerts, struct pw_alertq *q)
{
	int rc;

	if (hs == NULL)
		return 0;
	hs->alerts = alerts;
	hs->outq = q;
	hs->mon = mon;
	if (alerts != NULL && q != NULL) {
		if ((hs->inq = pw_alertq_new(ALERTQ_INNER)) == NULL)
			return -ENOMEM;
		carry_load(hs, pw_wall_ms(),
		    (int64_t)pw_monitor_interval_ms(mon));
		pw_monitor_set_alerts(mon, alerts, hs->inq);
	}
	if ((rc = pw_history_start(hs->h)) < 0)
		return rc;
	hs->started = true;
	return 0;
}

struct pw_history *
history_engine(struct history *hs)
{
	return hs != NULL ? hs->h : NULL;
}

const char *
history_dir(struct history *hs)
{
	return hs != NULL ? hs->dir : NULL;
}

void
history_reload_check(const struct config *old, const struct config *nc)
{
	if (old->history_disk != nc->history_disk ||
	    strcmp(old->state_dir, nc->state_dir) != 0 ||
	    old->history_max_bytes != nc->history_max_bytes ||
	    old->history_fsync_ms != nc->history_fsync_ms ||
	    old->history_minute_days != nc->history_minute_days ||
	    old->history_hour_days != nc->history_hour_days)
		log_warnx("reload: state_dir and history_* take effect at the "
		    "next start; the history stays as it was opened");
}

void
history_close(struct history *hs)
{
	if (hs == NULL)
		return;
	if (hs->started && pw_history_flush(hs->h, FLUSH_MS) < 0)
		log_warnx("history: not everything queued was written in %d "
		    "ms", FLUSH_MS);
	pw_history_close(hs->h);
	if (hs->inq != NULL && hs->mon != NULL)
		pw_monitor_set_alerts(hs->mon, NULL, NULL);
	pw_alertq_free(hs->inq);	/* drained: the sampler is stopped */
	free(hs->carried);
	free(hs->fired);
	free(hs);
}
