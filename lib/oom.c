/*
 * oom.c: the OOM kill detector (procwatch/oom.h says how it decides).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/oom.h>

#define EXITS_MAX	4096	/* per cycle */
#define CREDIT_CYCLES	3	/* a counter's rise waits this long */

/* A counter's unused rise. */
struct credit {
	uint64_t	n;		/* kills not yet matched */
	uint64_t	fired;		/* of those, by the cgroup's own limit */
	unsigned	age;		/* cycles since the newest rise */
};

struct ogroup {
	bool		 has_prev;
	uint64_t	 prev_kill, prev_oom;
	bool		 counted;	/* counters this cycle */
	struct credit	 cr;
	struct pw_cgstat st;
	char		 path[PW_OOM_CGROUP_MAX];
};

struct pw_oom {
	struct ogroup		*g;
	size_t			 ng;
	bool			 sys_has_prev;
	uint64_t		 sys_prev;
	struct credit		 sys;
	struct pw_oom_exit	*x;
	size_t			 nx, capx;
};

struct pw_oom *
pw_oom_new(size_t ngroups)
{
	struct pw_oom *o;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		return NULL;
	if (pw_oom_set_groups(o, ngroups) < 0) {
		free(o);
		return NULL;
	}
	return o;
}

void
pw_oom_free(struct pw_oom *o)
{
	if (o == NULL)
		return;
	free(o->g);
	free(o->x);
	free(o);
}

int
pw_oom_set_groups(struct pw_oom *o, size_t ngroups)
{
	struct ogroup *g;

	if ((g = calloc(ngroups ? ngroups : 1, sizeof(*g))) == NULL)
		return -ENOMEM;
	free(o->g);
	o->g = g;
	o->ng = ngroups;
	return 0;
}

void
pw_oom_begin(struct pw_oom *o)
{
	size_t i;

	o->nx = 0;
	for (i = 0; i < o->ng; i++)
		o->g[i].counted = false;
}

int
pw_oom_exit(struct pw_oom *o, const struct pw_oom_exit *x)
{
	struct pw_oom_exit *nx;
	size_t ncap;

	if (o->nx == o->capx) {
		if (o->capx >= EXITS_MAX)
			return -E2BIG;
		ncap = o->capx ? o->capx * 2 : 16;
		if ((nx = realloc(o->x, ncap * sizeof(*nx))) == NULL)
			return -ENOMEM;
		o->x = nx;
		o->capx = ncap;
	}
	o->x[o->nx] = *x;
	o->x[o->nx].comm[sizeof(x->comm) - 1] = '\0';
	o->x[o->nx].target[sizeof(x->target) - 1] = '\0';
	o->x[o->nx].cgroup[sizeof(x->cgroup) - 1] = '\0';
	o->nx++;
	return 0;
}

/* b - a, 0 when the counter went back (a new cgroup of the same path). */
static uint64_t
rise(uint64_t a, uint64_t b)
{
	return b > a ? b - a : 0;
}

void
pw_oom_group(struct pw_oom *o, size_t i, const char *path,
    const struct pw_cgstat *st)
{
	struct ogroup *g;
	uint64_t k;

	if (i >= o->ng)
		return;
	g = &o->g[i];
	if (st->mem_why != PW_CGW_OK || path == NULL) {
		g->has_prev = false;	/* counts start again when back */
		g->cr.n = g->cr.fired = 0;
		return;
	}
	/* Another cgroup (a unit restarted elsewhere): start afresh. */
	if (strncmp(g->path, path, sizeof(g->path) - 1) != 0)
		g->has_prev = false;
	snprintf(g->path, sizeof(g->path), "%s", path);
	g->st = *st;
	g->counted = true;
	if (g->has_prev) {
		k = rise(g->prev_kill, st->oom_kill);
		if (k > 0) {
			g->cr.n += k;
			/* The cgroup's own OOM ran (v2), or it has a limit. */
			if (st->has_events)
				g->cr.fired += rise(g->prev_oom, st->oom);
			else if (st->has_limit)
				g->cr.fired += k;
			if (g->cr.fired > g->cr.n)
				g->cr.fired = g->cr.n;
			g->cr.age = 0;
		}
	}
	g->has_prev = true;
	g->prev_kill = st->oom_kill;
	g->prev_oom = st->oom;
}

void
pw_oom_system(struct pw_oom *o, bool known, uint64_t oom_kill)
{
	uint64_t k;

	if (!known) {
		o->sys_has_prev = false;
		o->sys.n = 0;
		return;
	}
	if (o->sys_has_prev && (k = rise(o->sys_prev, oom_kill)) > 0) {
		o->sys.n += k;
		o->sys.age = 0;
	}
	o->sys_has_prev = true;
	o->sys_prev = oom_kill;
}

/* Largest last RSS first; then the lower pid, for a stable order. */
static int
by_rss(const void *a, const void *b)
{
	const struct pw_oom_exit *x = a, *y = b;

	if (x->rss_bytes != y->rss_bytes)
		return x->rss_bytes < y->rss_bytes ? 1 : -1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static void
age(struct credit *c)
{
	if (c->n > 0 && ++c->age > CREDIT_CYCLES)
		c->n = c->fired = 0;
}

size_t
pw_oom_end(struct pw_oom *o, int64_t now_ms, struct pw_oom_kill *out,
    size_t max)
{
	struct pw_oom_kill *k;
	struct ogroup *g;
	size_t i, n = 0;

	if (o->nx > 1)		/* qsort(NULL, 0, ...) is undefined */
		qsort(o->x, o->nx, sizeof(*o->x), by_rss);
	for (i = 0; i < o->nx && n < max; i++) {
		const struct pw_oom_exit *x = &o->x[i];

		if (x->signal >= 0 && x->signal != SIGKILL)
			continue;	/* the connector saw another end */
		g = x->group >= 0 && (size_t)x->group < o->ng ?
		    &o->g[x->group] : NULL;
		k = &out[n];
		memset(k, 0, sizeof(*k));
		if (g != NULL && g->counted) {
			if (g->cr.n == 0)
				continue;
			g->cr.n--;
			if (o->sys.n > 0)
				o->sys.n--;
			if (g->cr.fired > 0) {
				g->cr.fired--;
				k->limit = PW_OOM_CGROUP;
				snprintf(k->limit_cgroup,
				    sizeof(k->limit_cgroup), "%s", g->path);
				k->has_limit_bytes = g->st.has_limit;
				k->limit_bytes = g->st.limit_bytes;
			}
		} else {
			if (o->sys.n == 0)
				continue;
			o->sys.n--;
		}
		k->ts_ms = x->exit_ms != 0 ? x->exit_ms : now_ms;
		k->pid = x->pid;
		memcpy(k->comm, x->comm, sizeof(k->comm));
		memcpy(k->target, x->target, sizeof(k->target));
		memcpy(k->cgroup, x->cgroup, sizeof(k->cgroup));
		k->group = x->group;
		k->rss_bytes = x->rss_bytes;
		k->signal_seen = x->signal == SIGKILL;
		n++;
	}
	for (i = 0; i < o->ng; i++)
		age(&o->g[i].cr);
	age(&o->sys);
	o->nx = 0;
	return n;
}

const char *
pw_oom_limit_name(enum pw_oom_limit l)
{
	return l == PW_OOM_CGROUP ? "cgroup" : "system";
}
