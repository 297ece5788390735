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
 * cycle's, by alert id, so no queue between the alert engine and the
 * notifier has to be shared.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <procwatch/monitor.h>
#include <procwatch/rules.h>

#include "daemon/config.h"
#include "daemon/history.h"
#include "daemon/log.h"
#include "lib/history.h"

#define HISTORY_SUBDIR	"history"
#define FLUSH_MS	5000	/* at shutdown, for what is queued */
#define DAY_MS		INT64_C(86400000)

/* A firing alert as the previous cycle saw it. */
struct fired {
	uint64_t	id;
	pid_t		pid;
	char		rule[PW_RULE_NAME_MAX + 1];
	char		target[PW_RULE_NAME_MAX + 1];
	double		value;
};

struct history {
	struct pw_history	*h;
	char			 dir[PATH_MAX];	/* state_dir/history */
	struct pw_alerts	*alerts;	/* borrowed; may be NULL */
	/* The sampler's only (the cycle hook): */
	struct fired		*fired;		/* ordered by id */
	size_t			 nfired;
	uint64_t		 hook_oom;	/* cycles lost to ENOMEM */
	bool			 started;	/* the writer runs */
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

/* pw_cycle_fn, on the sampler: the committed cycle into the queue. */
static void
history_cycle(struct pw_monitor *mon, int64_t now_ms, void *arg)
{
	struct history *hs = arg;
	struct pw_hist_cycle *cyc;

	if ((cyc = pw_hist_cycle_new(now_ms,
	    (int64_t)pw_monitor_interval_ms(mon))) == NULL) {
		hs->hook_oom++;
		return;
	}
	if (pw_hist_cycle_from_store(cyc, pw_monitor_store(mon)) < 0 ||
	    (pw_monitor_custom(mon) != NULL &&
	    pw_hist_cycle_from_custom(cyc, pw_monitor_custom(mon)) < 0) ||
	    alert_events(hs, cyc, now_ms) < 0) {
		pw_hist_cycle_free(cyc);
		hs->hook_oom++;
		return;
	}
	(void)pw_history_push(hs->h, cyc);	/* a full queue counts it */
}

int
history_start(struct history *hs, struct pw_monitor *mon,
    struct pw_alerts *alerts)
{
	int rc;

	if (hs == NULL)
		return 0;
	hs->alerts = alerts;
	if ((rc = pw_history_start(hs->h)) < 0)
		return rc;
	hs->started = true;
	pw_monitor_set_cycle_hook(mon, history_cycle, hs);
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
	free(hs->fired);
	free(hs);
}
