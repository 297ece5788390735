/*
 * hist_cycle.c: one cycle handed to the history, or read back from it
 * (lib/history.h).
 *
 * DESIGN: everything a cycle holds (strings, value vectors) comes from an
 * arena of 64 KiB blocks freed at once, so building a cycle of a thousand
 * processes costs a few allocations, not thousands, on the sampler.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/custom.h>
#include <procwatch/metric.h>

#include "hist_impl.h"
#include "internal.h"

#define ARENA_BLK	(64u << 10)

struct hist_arena_blk {
	struct hist_arena_blk	*next;
	size_t			 used, cap;
	max_align_t		 data[];
};

void *
pw__hist_arena(struct pw_hist_cycle *c, size_t size)
{
	struct hist_arena_blk *b = c->arena;
	size_t al = sizeof(max_align_t), cap;
	void *p;

	size = (size + al - 1) / al * al;
	if (b == NULL || b->cap - b->used < size) {
		cap = size > ARENA_BLK ? size : ARENA_BLK;
		if ((b = malloc(sizeof(*b) + cap)) == NULL)
			return NULL;
		b->cap = cap;
		b->used = 0;
		b->next = c->arena;
		c->arena = b;
	}
	p = (char *)b->data + b->used;
	b->used += size;
	return p;
}

char *
pw__hist_strdup(struct pw_hist_cycle *c, const char *s)
{
	size_t len = s != NULL ? strlen(s) : 0;
	char *d;

	if ((d = pw__hist_arena(c, len + 1)) == NULL)
		return NULL;
	if (len > 0)
		memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

static void
arena_free(struct hist_arena_blk *b)
{
	struct hist_arena_blk *next;

	for (; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
}

struct pw_hist_cycle *
pw_hist_cycle_new(int64_t ts_ms, int64_t interval_ms)
{
	struct pw_hist_cycle *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->ts_ms = ts_ms;
	c->interval_ms = interval_ms > 0 ? interval_ms : 0;
	return c;
}

void
pw_hist_cycle_free(struct pw_hist_cycle *c)
{
	if (c == NULL)
		return;
	arena_free(c->arena);
	free(c->ser);
	free(c->ev);
	free(c);
}

void
pw__hist_cycle_reset(struct pw_hist_cycle *c, int64_t ts_ms,
    int64_t interval_ms)
{
	struct hist_arena_blk *b = c->arena;

	/* Keep the first block: a cursor reuses one cycle for each. */
	if (b != NULL) {
		arena_free(b->next);
		b->next = NULL;
		b->used = 0;
	}
	c->n = 0;
	c->nev = 0;
	c->ts_ms = ts_ms;
	c->interval_ms = interval_ms;
}

int
pw_hist_cycle_add(struct pw_hist_cycle *c, const struct pw_hist_ident *id,
    const double *vals, size_t nvals)
{
	struct hist_ser *s, *ns;
	size_t ncols, i, ncap;

	if (id == NULL || (vals == NULL && nvals > 0))
		return -EINVAL;
	if (id->kind == PW_HIST_CUSTOM) {
		ncols = 1;
		if (nvals > 1 || id->name == NULL)
			return -EINVAL;
	} else if (id->kind == PW_HIST_PROC || id->kind == PW_HIST_GROUP) {
		ncols = PW_METRIC_NROWS;
		if (nvals > ncols || (id->kind == PW_HIST_GROUP &&
		    id->name == NULL))
			return -EINVAL;
	} else
		return -EINVAL;
	if (c->n == c->cap) {
		ncap = c->cap ? c->cap * 2 : 64;
		if ((ns = realloc(c->ser, ncap * sizeof(*ns))) == NULL)
			return -ENOMEM;
		c->ser = ns;
		c->cap = ncap;
	}
	s = &c->ser[c->n];
	memset(s, 0, sizeof(*s));
	s->id.kind = id->kind;
	s->id.pid = id->kind == PW_HIST_PROC ? id->pid : 0;
	s->id.start_time_ms = id->kind == PW_HIST_PROC ? id->start_time_ms : 0;
	s->ncols = (uint32_t)ncols;
	if ((s->id.name = pw__hist_strdup(c, id->name)) == NULL ||
	    (s->id.cmdline = pw__hist_strdup(c, id->cmdline)) == NULL ||
	    (s->id.target = pw__hist_strdup(c, id->target)) == NULL ||
	    (s->val = pw__hist_arena(c, ncols * sizeof(double))) == NULL)
		return -ENOMEM;
	for (i = 0; i < ncols; i++)
		s->val[i] = i < nvals ? vals[i] : NAN;
	c->n++;
	return 0;
}

int
pw_hist_cycle_add_event(struct pw_hist_cycle *c, const struct pw_hist_event *e)
{
	struct pw_hist_event *d, *ne;
	size_t ncap;

	if (e == NULL || (e->kind != PW_HIST_EV_PROCESS &&
	    e->kind != PW_HIST_EV_ALERT))
		return -EINVAL;
	if (c->nev == c->evcap) {
		ncap = c->evcap ? c->evcap * 2 : 16;
		if ((ne = realloc(c->ev, ncap * sizeof(*ne))) == NULL)
			return -ENOMEM;
		c->ev = ne;
		c->evcap = ncap;
	}
	d = &c->ev[c->nev];
	*d = *e;
	if ((d->type = pw__hist_strdup(c, e->type)) == NULL ||
	    (d->name = pw__hist_strdup(c, e->name)) == NULL ||
	    (d->target = pw__hist_strdup(c, e->target)) == NULL ||
	    (d->detail = pw__hist_strdup(c, e->detail)) == NULL)
		return -ENOMEM;
	c->nev++;
	return 0;
}

/* Every catalogue row of one process from its newest two samples. */
static void
read_proc_rows(const struct pw_store *st, const struct pw_proc *p,
    const struct pw_sample *cur, const struct pw_sample *prev, double *v)
{
	struct pw_metric_ctx ctx = { 0 };
	size_t m;

	ctx.mem_total = st->mem_total;
	ctx.fd_limit = p->fd_limit;
	ctx.hz = st->hz;
	ctx.start_time_ms = p->start_time_ms;
	for (m = 0; m < PW_METRIC_NROWS; m++)
		if (!pw_metric_read((enum pw_metric)m, &ctx, cur, prev, &v[m]))
			v[m] = NAN;
}

static void
read_group_rows(const struct pw_store *st, const struct pw_store_group *g,
    const struct pw_group_sample *cur, const struct pw_group_sample *prev,
    double *v)
{
	struct pw_metric_ctx ctx = { 0 };
	size_t m;

	ctx.mem_total = st->mem_total;
	ctx.hz = st->hz;
	ctx.min_processes = g->min_processes;
	ctx.max_processes = g->max_processes;
	for (m = 0; m < PW_METRIC_NROWS; m++)
		if (!pw_metric_read_group((enum pw_metric)m, &ctx, cur, prev,
		    &v[m]))
			v[m] = NAN;
}

static const struct pw_group_sample *
group_nth_newest(const struct pw_store_group *g, size_t i)
{
	return &g->ring[(g->head + g->cap - 1 - i) % g->cap];
}

int
pw_hist_cycle_from_store(struct pw_hist_cycle *c, struct pw_store *st)
{
	double v[PW_METRIC_NROWS];
	struct pw_sample two[2];
	struct pw_hist_ident id;
	struct pw_hist_event ev;
	const struct pw_store_group *g;
	const struct pw_proc *p;
	size_t i, k;
	int rc = 0;

	pthread_rwlock_rdlock(&st->lock);
	for (i = 0; i < st->nprocs && rc == 0; i++) {
		p = st->procs[i];
		if (!p->alive) {
			/*
			 * Gone in this cycle: its exit.  The commit stamps
			 * it with the cycle's own time; a window of one
			 * interval back would also take it from the cycle
			 * before when a late cycle is followed by one on
			 * time (history.sh saw the exit twice under load).
			 */
			if (p->gone_ms == c->ts_ms) {
				memset(&ev, 0, sizeof(ev));
				ev.ts_ms = p->gone_ms;
				ev.kind = PW_HIST_EV_PROCESS;
				ev.type = "exit";
				ev.pid = p->pid;
				ev.start_time_ms = p->start_time_ms;
				ev.name = p->comm;
				ev.target = p->target;
				ev.value = NAN;
				rc = pw_hist_cycle_add_event(c, &ev);
			}
			continue;
		}
		k = pw_ring_copy(p->ring, INT64_MIN, two, 2);
		if (k == 0 || two[k - 1].ts_ms != c->ts_ms)
			continue;	/* not sampled in this cycle */
		read_proc_rows(st, p, &two[k - 1], k == 2 ? &two[0] : NULL, v);
		id.kind = PW_HIST_PROC;
		id.pid = p->pid;
		id.start_time_ms = p->start_time_ms;
		id.name = p->comm;
		id.cmdline = p->cmdline;
		id.target = p->target;
		rc = pw_hist_cycle_add(c, &id, v, PW_METRIC_NROWS);
	}
	for (i = 0; i < st->ngroups && rc == 0; i++) {
		g = &st->groups[i];
		if (g->len == 0 || group_nth_newest(g, 0)->ts_ms != c->ts_ms)
			continue;
		read_group_rows(st, g, group_nth_newest(g, 0),
		    g->len > 1 ? group_nth_newest(g, 1) : NULL, v);
		memset(&id, 0, sizeof(id));
		id.kind = PW_HIST_GROUP;
		id.name = g->name;
		rc = pw_hist_cycle_add(c, &id, v, PW_METRIC_NROWS);
	}
	pthread_rwlock_unlock(&st->lock);
	return rc;
}

int
pw_hist_cycle_from_custom(struct pw_hist_cycle *c, struct pw_custom *cs)
{
	struct pw_custom_view *v = NULL;
	struct pw_hist_ident id;
	char key[1024];
	size_t n = 0, i, k, len;
	int rc;

	if ((rc = pw_custom_copy(cs, 0, &v, &n)) < 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++) {
		if (v[i].is_stale || v[i].ts_ms == 0)
			continue;
		/* One key per series: its name, where it belongs, its labels. */
		len = (size_t)snprintf(key, sizeof(key), "%s{", v[i].name);
		if (v[i].scope == PW_CUSTOM_PROC)
			len += (size_t)snprintf(key + len, sizeof(key) - len,
			    "pid=\"%ld\",", (long)v[i].pid);
		else if (v[i].scope == PW_CUSTOM_TARGET)
			len += (size_t)snprintf(key + len, sizeof(key) - len,
			    "target=\"%s\",", v[i].target);
		for (k = 0; k < v[i].nlabels && len < sizeof(key); k++)
			len += (size_t)snprintf(key + len, sizeof(key) - len,
			    "%s=\"%s\",", v[i].lnames[k], v[i].lvalues[k]);
		if (len >= sizeof(key))
			continue;	/* cannot be that long: caps */
		if (key[len - 1] == ',')
			len--;
		snprintf(key + len, sizeof(key) - len, "}");
		memset(&id, 0, sizeof(id));
		id.kind = PW_HIST_CUSTOM;
		id.pid = v[i].pid;
		id.name = key;
		id.target = v[i].target;
		rc = pw_hist_cycle_add(c, &id, &v[i].value, 1);
	}
	pw_custom_views_free(v, n);
	return rc;
}

int64_t
pw_hist_cycle_ts(const struct pw_hist_cycle *c)
{
	return c->ts_ms;
}

int64_t
pw_hist_cycle_interval(const struct pw_hist_cycle *c)
{
	return c->interval_ms;
}

size_t
pw_hist_cycle_nseries(const struct pw_hist_cycle *c)
{
	return c->n;
}

const double *
pw_hist_cycle_series(const struct pw_hist_cycle *c, size_t i,
    const struct pw_hist_ident **id, size_t *ncols)
{
	if (i >= c->n)
		return NULL;
	if (id != NULL)
		*id = &c->ser[i].id;
	if (ncols != NULL)
		*ncols = c->ser[i].ncols;
	return c->ser[i].val;
}

size_t
pw_hist_cycle_nevents(const struct pw_hist_cycle *c)
{
	return c->nev;
}

const struct pw_hist_event *
pw_hist_cycle_event(const struct pw_hist_cycle *c, size_t i)
{
	return i < c->nev ? &c->ev[i] : NULL;
}

int
pw_hist_cycle_event_set_value(struct pw_hist_cycle *c, size_t i,
    double value)
{
	if (i >= c->nev)
		return -EINVAL;
	c->ev[i].value = value;
	return 0;
}
