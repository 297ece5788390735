/*
 * embed.c: the embedding API (procwatch/procwatch.h), a facade over the
 * monitor, its store, targets and a custom series store.
 *
 * DESIGN: the installed structs are translated here into the internal
 * ones (pw_embed_target into pw_target, pw_proc_view into pw_embed_proc),
 * so that the internal headers can change without touching the ABI.  The
 * facade owns everything the monitor borrows (the targets, the proc root,
 * the custom store).  A snapshot keeps the internal snapshot in `priv`;
 * its strings point into it.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/custom.h>
#include <procwatch/monitor.h>
#include <procwatch/procwatch.h>
#include <procwatch/store.h>
#include <procwatch/target.h>

#include "pwutil.h"

#define EMBED_INTERVAL_MIN_MS	10
#define EMBED_INTERVAL_MAX_MS	3600000

struct pw_embed {
	struct pw_monitor	*mon;
	struct pw_custom	*custom;
	struct pw_target	*targets;
	size_t			 ntargets;
	char			*proc_root;
};

/*
 * The selector called `s`: pw_selector_name()'s names, and "name" for
 * PW_SEL_NAME as procwatchd.json spells it (the library says "comm").
 */
static int
selector_from(const char *s, enum pw_selector *out)
{
	unsigned i;

	if (s == NULL)
		return -EINVAL;
	if (strcmp(s, "name") == 0) {
		*out = PW_SEL_NAME;
		return 0;
	}
	for (i = 0; strcmp(pw_selector_name((enum pw_selector)i), "?") != 0;
	    i++) {
		if (strcmp(pw_selector_name((enum pw_selector)i), s) == 0) {
			*out = (enum pw_selector)i;
			return 0;
		}
	}
	return -EINVAL;
}

static void
targets_free(struct pw_target *t, size_t n)
{
	size_t i;

	for (i = 0; t != NULL && i < n; i++)
		pw_target_fini(&t[i]);
	free(t);
}

/* Translate cfg's targets into e->targets; on failure, none are kept. */
static int
targets_from(struct pw_embed *e, const struct pw_embed_config *cfg,
    char *err, size_t errlen)
{
	const struct pw_embed_target *et;
	enum pw_selector sel;
	char why[160];
	size_t i, j;
	int rc;

	if (cfg->ntargets == 0)
		return 0;
	if ((e->targets = calloc(cfg->ntargets, sizeof(*e->targets))) == NULL)
		return -ENOMEM;
	for (i = 0; i < cfg->ntargets; i++) {
		et = &cfg->targets[i];
		rc = -EINVAL;
		if (et->name == NULL || selector_from(et->selector, &sel) < 0) {
			pw_seterr(err, errlen, "target %zu: %s", i,
			    et->name == NULL ? "no name" : "unknown selector");
			goto out_targets;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(e->targets[j].name, et->name) == 0) {
				pw_seterr(err, errlen, "target %s: duplicate "
				    "name", et->name);
				goto out_targets;
			}
		}
		why[0] = '\0';
		if ((rc = pw_target_init(&e->targets[i], et->name, sel,
		    et->arg, et->children, why, sizeof(why))) < 0) {
			pw_seterr(err, errlen, "target %s: %s", et->name, why);
			goto out_targets;
		}
		e->ntargets++;
	}
	return 0;
out_targets:
	targets_free(e->targets, e->ntargets);
	e->targets = NULL;
	e->ntargets = 0;
	return rc;
}

int
pw_embed_new(const struct pw_embed_config *cfg, struct pw_embed **out,
    char *err, size_t errlen)
{
	struct pw_monitor_config mc;
	struct pw_embed *e;
	char why[128];
	int rc;

	pw_seterr(err, errlen, "%s", "");
	if (cfg == NULL || out == NULL ||
	    (cfg->ntargets > 0 && cfg->targets == NULL)) {
		pw_seterr(err, errlen, "no config");
		return -EINVAL;
	}
	pw_monitor_config_defaults(&mc);
	if (cfg->interval_ms != 0)
		mc.interval_ms = cfg->interval_ms;
	if (cfg->history != 0)
		mc.history = cfg->history;
	if (mc.interval_ms < EMBED_INTERVAL_MIN_MS ||
	    mc.interval_ms > EMBED_INTERVAL_MAX_MS || mc.history < 2) {
		pw_seterr(err, errlen, "interval_ms or history out of range");
		return -EINVAL;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return -ENOMEM;
	rc = -ENOMEM;
	if (cfg->proc_root != NULL &&
	    (e->proc_root = strdup(cfg->proc_root)) == NULL)
		goto out_free;
	if ((rc = targets_from(e, cfg, err, errlen)) < 0)
		goto out_root;
	rc = -ENOMEM;
	if ((e->custom = pw_custom_new(NULL)) == NULL)
		goto out_targets;
	mc.proc_root = e->proc_root;
	mc.targets = e->targets;
	mc.ntargets = e->ntargets;
	if ((e->mon = pw_monitor_new(&mc, &rc)) == NULL) {
		pw_seterr(err, errlen, "monitor: %s",
		    pw_strerror(-rc, why, sizeof(why)));
		goto out_custom;
	}
	pw_monitor_set_custom(e->mon, e->custom);
	*out = e;
	return 0;
out_custom:
	pw_custom_free(e->custom);
out_targets:
	targets_free(e->targets, e->ntargets);
out_root:
	free(e->proc_root);
out_free:
	free(e);
	return rc;
}

void
pw_embed_free(struct pw_embed *e)
{
	if (e == NULL)
		return;
	pw_monitor_free(e->mon);	/* stops the thread first */
	pw_custom_free(e->custom);
	targets_free(e->targets, e->ntargets);
	free(e->proc_root);
	free(e);
}

int
pw_embed_add_source(struct pw_embed *e, const char *name, unsigned flags,
    pw_collect_fn *fn, void *arg)
{
	return pw_monitor_add_source(e->mon, name, flags, fn, arg);
}

int
pw_embed_start(struct pw_embed *e)
{
	return pw_monitor_start(e->mon);
}

void
pw_embed_stop(struct pw_embed *e)
{
	pw_monitor_stop(e->mon);
}

int
pw_embed_cycle(struct pw_embed *e)
{
	return pw_monitor_cycle(e->mon, pw_wall_ms());
}

int
pw_embed_snapshot(struct pw_embed *e, bool include_gone,
    struct pw_embed_snapshot **out)
{
	struct pw_embed_snapshot *es;
	struct pw_snapshot *s;
	struct pw_embed_proc *p;
	size_t i;
	int rc;

	if ((rc = pw_store_snapshot(pw_monitor_store(e->mon), include_gone,
	    &s)) < 0)
		return rc;
	if ((es = calloc(1, sizeof(*es))) == NULL)
		goto out_snap;
	if (s->n > 0 && (es->procs = calloc(s->n, sizeof(*es->procs))) == NULL)
		goto out_es;
	for (i = 0; i < s->n; i++) {
		p = &es->procs[i];
		p->pid = s->procs[i].pid;
		p->ppid = s->procs[i].ppid;
		p->uid = s->procs[i].uid;
		memcpy(p->name, s->procs[i].name, sizeof(p->name));
		p->name[sizeof(p->name) - 1] = '\0';
		p->target = s->procs[i].target;
		p->cmdline = s->procs[i].cmdline;
		p->start_time_ms = s->procs[i].start_time_ms;
		p->alive = s->procs[i].alive;
		p->has_sample = s->procs[i].has_sample;
		p->latest = s->procs[i].latest;
	}
	es->taken_ms = s->taken_ms;
	es->mem_total = s->mem_total;
	es->n = s->n;
	es->priv = s;			/* the strings point into it */
	*out = es;
	return 0;
out_es:
	free(es);
out_snap:
	pw_snapshot_free(s);
	return -ENOMEM;
}

void
pw_embed_snapshot_free(struct pw_embed_snapshot *es)
{
	if (es == NULL)
		return;
	pw_snapshot_free(es->priv);
	free(es->procs);
	free(es);
}

int
pw_embed_series(struct pw_embed *e, const char *name, const char *target,
    double *value, int64_t *ts_ms)
{
	return pw_custom_lookup(e->custom, name, 0, target, value, ts_ms);
}
