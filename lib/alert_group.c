/*
 * alert_group.c: rules with scope group in the alert engine
 * (procwatch/rules.h): one entry per configured target, its values from
 * the target's group view (the catalogue's group readers over its
 * aggregate samples), process_down and too_many_processes against each
 * target's own bounds, and what {last_exit} says.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/metric.h>
#include <procwatch/monitor.h>
#include <procwatch/oom.h>
#include <procwatch/rules.h>
#include <procwatch/store.h>

#include "alert_impl.h"

/* A configured target by name, or NULL. */
struct pw__tentry *
pw__alerts_tent_find(struct pw_alerts *e, const char *name)
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

bool
pw__alerts_has_target_rules(const struct pw_alerts *e)
{
	size_t i;

	for (i = 0; i < e->nrules; i++)
		if (pw__alert_is_target(e->metrics[i]))
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
void
pw__alerts_gone(struct pw_alerts *e, struct pw__pentry *p, bool watch,
    int64_t now_ms, struct pw__tlist *t)
{
	struct pw__tentry *te = watch ? pw__alerts_tent_find(e, p->target) :
	    NULL;
	char why[PW_RULE_REASON_MAX];
	struct pw_oom_kill kill;
	bool firing = false;
	size_t k;

	for (k = 0; k < e->nrules; k++)
		if (p->rs[k].state == PW_ALERT_FIRING)
			firing = true;
	if (te != NULL && te->live > 0 && te->live >= te->min_processes)
		te = NULL;		/* not below the minimum */
	why[0] = '\0';
	if ((firing || te != NULL) && e->oom_mon != NULL &&
	    pw_monitor_oom_of(e->oom_mon, p->pid, p->cur.ts_ms -
	    EXIT_SLACK_MS, &kill) == 0) {
		if (kill.limit == PW_OOM_CGROUP && kill.has_limit_bytes)
			snprintf(why, sizeof(why), "OOM-killed (cgroup limit "
			    "%.1f MiB)", (double)kill.limit_bytes / 1048576.0);
		else
			snprintf(why, sizeof(why), "OOM-killed (%s)",
			    kill.limit == PW_OOM_CGROUP ? "cgroup limit" :
			    "system out of memory");
	} else if ((firing || te != NULL) && e->exit_fn != NULL &&
	    e->exit_fn(e->exit_arg, p->pid, p->cur.ts_ms - EXIT_SLACK_MS, why,
	    sizeof(why)) < 0)
		why[0] = '\0';
	why[sizeof(why) - 1] = '\0';
	for (k = 0; k < e->nrules; k++)
		pw__alerts_resolve(e, &p->rs[k], now_ms, why[0] != '\0' ? why :
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
last_exit_text(const struct pw__tentry *te, size_t live, char *buf, size_t len)
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
rule_threshold(const struct pw_rule *r, const struct pw__tentry *te,
    double *thr)
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
 * The value of metric m for te into *val; false: unknown.  Values come
 * from the group's aggregate samples (gv: the target's view in the
 * snapshot, with a sample) as the catalogue reads them.  Before the
 * target's first sample (gv NULL) only its process count is known: the
 * live processes of the snapshot, which the sample would count.
 */
static bool
target_value(const struct pw__tentry *te, const struct pw_group_view *gv,
    enum pw_metric m, const struct pw_metric_ctx *ctx, double *val)
{
	if (gv != NULL)
		return pw_metric_read_group(m, ctx, &te->gcur, te->has_gprev ?
		    &te->gprev : NULL, val);
	if (m != PW_METRIC_PROCESSES)
		return false;
	*val = (double)te->live;
	return true;
}

/*
 * Rules with scope group, for each target armed by a cycle committed
 * since it was set.  Targets removed since the last evaluation resolve
 * and go.  A target whose newest aggregate sample is not newer than the
 * one seen last time is not re-evaluated.  An unknown value leaves the
 * rule's state as it is, but for a group left with no live process: a
 * figure of its members (the worst one's fd_usage) has no value then,
 * and its alert resolves, as a process's alerts do when it exits.
 */
void
pw__alerts_eval_targets(struct pw_alerts *e,
    const struct pw_snapshot *snap, int64_t now_ms, struct pw__tlist *t)
{
	const struct pw_group_view *gv;
	char last[PW_RULE_MESSAGE_MAX];
	struct pw__tentry *te;
	struct pw__subject sub, whole;
	int64_t taken_ms = snap != NULL ? snap->taken_ms : 0, ts;
	uint64_t mem_total = snap != NULL ? snap->mem_total : 0;
	struct pw_metric_ctx ctx = pw__alert_ctx(mem_total, 0);
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
			pw__alerts_resolve(e, &te->rs[k], now_ms,
			    "target removed", t);
		pw__alerts_tentry_fini(te, e->nrules);
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

			if (!pw__alert_is_target(e->metrics[k]) ||
			    !pw__rule_applies(r, te->name))
				continue;
			if (!rule_threshold(r, te, &thr)) {
				/* A bound taken away by a reload. */
				pw__alerts_resolve(e, &te->rs[k], now_ms,
				    "target changed", t);
				continue;
			}
			m = (enum pw_metric)(e->metrics[k] - PW__RULE_GROUP);
			if (!target_value(te, gv, m, &ctx, &val)) {
				if (gv != NULL && te->gcur.processes == 0)
					pw__alerts_resolve(e, &te->rs[k],
					    now_ms, "no process left", t);
				continue;	/* unknown: the state stays */
			}
			if (r->agg != PW_AGG_NONE &&
			    !pw__window_feed(&te->rs[k].win, r->agg,
			    r->window_ms, ts, val, &val))
				continue;
			pw__alerts_step(e, k, &te->rs[k],
			    m == PW_METRIC_PROCESSES ? &sub : &whole, val, thr,
			    now_ms, t);
		}
	}
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
	struct pw__tentry *nt;
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
		pw__alerts_tentry_fini(&nt[k], e->nrules);
	free(nt);
out_oom:
	pthread_mutex_unlock(&e->mtx);
	return -ENOMEM;
}

