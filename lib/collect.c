/*
 * collect.c: custom collectors (procwatch/custom.h) that the sampler runs
 * at the end of every cycle, after the commit: once host-wide or once per
 * target.  What they emit goes into the custom series store through
 * pw_custom_put(), which has its own lock; a collector that fails or
 * emits a bad point is counted against its source, never fatal.
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

#include "monitor_impl.h"

void
pw_monitor_set_custom(struct pw_monitor *m, struct pw_custom *c)
{
	m->custom = c;
}

struct pw_custom *
pw_monitor_custom(struct pw_monitor *m)
{
	return m->custom;
}

int
pw_monitor_add_source(struct pw_monitor *m, const char *name, unsigned flags,
    pw_collect_fn *fn, void *arg)
{
	struct pw__msource *ns;

	if (m->custom == NULL || fn == NULL || name == NULL ||
	    name[0] == '\0' || strlen(name) > PW_CUSTOM_SOURCE_MAX ||
	    (flags & ~(unsigned)PW_COLLECT_PER_TARGET) != 0)
		return -EINVAL;
	if (m->nsrcs >= PW_MONITOR_SOURCES_MAX)
		return -ENOSPC;
	if ((ns = realloc(m->srcs, (m->nsrcs + 1) * sizeof(*ns))) == NULL)
		return -ENOMEM;
	m->srcs = ns;
	memset(&ns[m->nsrcs], 0, sizeof(*ns));
	memcpy(ns[m->nsrcs].name, name, strlen(name) + 1);
	ns[m->nsrcs].flags = flags;
	ns[m->nsrcs].fn = fn;
	ns[m->nsrcs].arg = arg;
	m->nsrcs++;
	return 0;
}

/* What emit needs: the call's scope and source. */
struct pw_emitter {
	struct pw_custom	*custom;
	const char		*source;
	const char		*target;	/* NULL: host */
	int64_t			 now_ms;
	unsigned		 rejected;
	char			 err[PW_CUSTOM_ERRMSG_MAX];
};

static int
emit(struct pw_emitter *e, const char *name, double value,
    const struct pw_custom_label *labels, size_t nlabels)
{
	struct pw_custom_point pt;
	char err[PW_CUSTOM_ERRMSG_MAX];
	int rc;

	memset(&pt, 0, sizeof(pt));
	pt.name = name;
	pt.scope = e->target != NULL ? PW_CUSTOM_TARGET : PW_CUSTOM_HOST;
	pt.target = e->target;
	pt.labels = labels;
	pt.nlabels = nlabels;
	pt.ts_ms = e->now_ms;
	pt.value = value;
	if ((rc = pw_custom_put(e->custom, &pt, e->source, e->now_ms, err,
	    sizeof(err))) < 0) {
		if (e->rejected++ == 0)
			snprintf(e->err, sizeof(e->err), "%.64s: %.90s",
			    name != NULL ? name : "(null)", err);
	}
	return rc;
}

static void
collect_one(struct pw_monitor *m, const struct pw__msource *src,
    const char *target, int64_t now_ms)
{
	struct pw_emitter e;
	struct pw_collect c;
	char msg[64];
	int rc;

	memset(&e, 0, sizeof(e));
	e.custom = m->custom;
	e.source = src->name;
	e.target = target;
	e.now_ms = now_ms;
	c.now_ms = now_ms;
	c.target = target;
	c.emitter = &e;
	c.emit = emit;
	rc = src->fn(src->arg, &c);
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "returned %d", rc);
		pw_custom_source_error(m->custom, src->name, PW_CERR_CALLBACK,
		    msg, now_ms);
	} else if (e.rejected > 0)
		pw_custom_source_error(m->custom, src->name, PW_CERR_REJECTED,
		    e.err, now_ms);
	else
		pw_custom_source_ok(m->custom, src->name);
}

/* Run the collectors, then age the custom series. */
void
pw__collect_run(struct pw_monitor *m, int64_t now_ms)
{
	size_t i, t;

	if (m->custom == NULL)
		return;
	for (i = 0; i < m->nsrcs; i++) {
		if ((m->srcs[i].flags & PW_COLLECT_PER_TARGET) == 0) {
			collect_one(m, &m->srcs[i], NULL, now_ms);
			continue;
		}
		if (m->cfg.ntargets == 0)
			collect_one(m, &m->srcs[i], PW_GROUP_ALL, now_ms);
		for (t = 0; t < m->cfg.ntargets; t++)
			collect_one(m, &m->srcs[i], m->cfg.targets[t].name,
			    now_ms);
	}
	pw_custom_expire(m->custom, now_ms);
}
