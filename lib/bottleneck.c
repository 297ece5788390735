/*
 * bottleneck.c: rank monitored processes, or targets as a whole, by what
 * they cost, and say why.
 *
 * DESIGN: see procwatch/bottleneck.h for the bands.  The store walk only
 * gathers a few figures per process (CPU seconds, newest RSS, fds and
 * threads, three least-squares trends) into a flat array; ranking, the
 * sentences and the suggestions run afterwards without any lock.  This
 * file holds the two rankings and the two store queries that feed them:
 * it drives the walk, asks each subject for its entries and orders them.
 * The pieces it uses have a file each, sharing bottleneck_impl.h:
 *   bottleneck_severity.c	type and severity names, the severity bands
 *   bottleneck_leak.c		the leak rule: shape fit, sustained growth
 *   bottleneck_entry.c		the entry of each type for one subject
 *   bottleneck_fill.c		a subject's figures from its samples
 *   bottleneck_limits.c	cgroup CPU and memory limits, the CPU count
 *   bottleneck_text.c		the sentences and suggestions
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/bottleneck.h>
#include <procwatch/metric.h>
#include <procwatch/psi.h>
#include <procwatch/store.h>

#include "bottleneck_impl.h"

/* --- ranking -------------------------------------------------------------- */

static void
totals_add(struct pw__bn_totals *t, double cpu_s, uint64_t rss_bytes)
{
	if (cpu_s > 0)
		t->cpu_s += cpu_s;
	if (rss_bytes > t->largest_rss)
		t->largest_rss = rss_bytes;
}

static int
bn_cmp(const void *x, const void *y)
{
	const struct pw_bottleneck *a = x, *b = y;
	int c;

	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	if (a->impact != b->impact)
		return a->impact > b->impact ? -1 : 1;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if ((c = strcmp(a->target, b->target)) != 0)
		return c;		/* targets: by name */
	return (int)a->type - (int)b->type;
}

/* Order v[0..n), write its texts and hand it to the caller. */
static void
rank_done(struct pw_bottleneck *v, size_t n, struct pw_bottleneck **out,
    size_t *nout)
{
	size_t i;

	qsort(v, n, sizeof(*v), bn_cmp);
	for (i = 0; i < n; i++)
		pw_bottleneck_describe(&v[i]);
	*out = v;
	*nout = n;
}

int
pw_bottleneck_rank(const struct pw_bn_proc *procs, size_t n,
    const struct pw_bn_host *host, struct pw_bottleneck **out, size_t *nout)
{
	static const struct pw_bn_host none = { 0, 0 };
	const struct pw_bn_host *h = host != NULL ? host : &none;
	struct pw_bottleneck *v, *b, *leak, id, lk;
	struct pw__bn_totals tot = { 0, 0 };
	size_t i, k = 0;
	enum pw_severity stall;

	for (i = 0; i < n; i++)
		totals_add(&tot, procs[i].cpu_s, procs[i].rss_bytes);
	/* At most one entry of each type per process. */
	if ((v = calloc(n ? n * PW_BN_NTYPES : 1, sizeof(*v))) == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const struct pw_bn_proc *p = &procs[i];
		struct pw__bn_figures f = PW__BN_FIGURES_OF(p);

		pw__bn_proc_entry_id(p, &id);
		(void)pw__bn_cpu_entry(v, &k, &id, &f, &tot, h);
		pw__bn_proc_fds(v, &k, &id, p);
		leak = pw__bn_leak_entry(v, &k, &id, &f, h);
		if (leak != NULL) {
			lk = *leak;	/* v[] is not moved; a copy is clearer */
			leak = &lk;
		}
		pw__bn_memory_entry(v, &k, &id, &f, &tot, h, leak, PW_SEV_LOW);
		(void)pw__bn_stall_entry(v, &k, &id, PW_BN_CPU_STARVED,
		    p->cpu_delay_pct, PW_BN_MIN_DELAY_PCT,
		    pw_bn_cpu_delay_severity(p->cpu_delay_pct));
		(void)pw__bn_stall_entry(v, &k, &id, PW_BN_IO_BLOCKED,
		    p->io_delay_pct, PW_BN_MIN_DELAY_PCT,
		    pw_bn_io_delay_severity(p->io_delay_pct));
		stall = pw_bn_mem_stall_severity(p->mem_delay_pct, -1);
		if ((b = pw__bn_stall_entry(v, &k, &id, PW_BN_MEMORY_STALL,
		    p->mem_delay_pct, PW_BN_MIN_STALL_PCT, stall)) != NULL)
			b->ev.swap_bytes = p->swap_bytes;
	}
	rank_done(v, k, out, nout);
	return 0;
}

/* --- ranking targets ------------------------------------------------------ */

int
pw_bottleneck_rank_groups(const struct pw_bn_group *groups, size_t n,
    const struct pw_bn_host *host, struct pw_bottleneck **out, size_t *nout)
{
	static const struct pw_bn_host none = { 0, 0 };
	const struct pw_bn_host *h = host != NULL ? host : &none;
	struct pw_bottleneck *v, *b, id, lk;
	struct pw__bn_totals tot = { 0, 0 };
	size_t i, k = 0;
	enum pw_severity stall;

	for (i = 0; i < n; i++)
		totals_add(&tot, groups[i].cpu_s, groups[i].rss_bytes);
	/* At most one entry of each type per group. */
	if ((v = calloc(n ? n * PW_BN_NTYPES : 1, sizeof(*v))) == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const struct pw_bn_group *g = &groups[i];
		struct pw__bn_figures f = PW__BN_FIGURES_OF(g);

		pw__bn_group_entry_id(g, &id);
		if ((b = pw__bn_cpu_entry(v, &k, &id, &f, &tot, h)) != NULL)
			b->ev.children_cpu_s = g->children_cpu_s;
		pw__bn_group_fds(v, &k, &id, g);
		stall = pw__bn_group_pressure(v, &k, &id, g);
		if ((b = pw__bn_leak_entry(v, &k, &id, &f, h)) != NULL) {
			lk = *b;
			b = &lk;
		}
		pw__bn_memory_entry(v, &k, &id, &f, &tot, h, b, stall);
	}
	rank_done(v, k, out, nout);
	return 0;
}

/* --- from a store --------------------------------------------------------- */

struct walk {
	struct pw_bn_proc	*procs;
	size_t			 n, cap;
	double			*t_s, *v;
	size_t			 scratch;
};

/* Under the store's read lock: figures only, no allocation. */
static int
visit(const struct pw_proc_view *view, const struct pw_sample *s, size_t n,
    void *arg)
{
	struct walk *w = arg;

	if (n < 2 || w->n == w->cap || n > w->scratch)
		return 0;
	pw_bn_proc_fill(&w->procs[w->n++], view->name, view->target,
	    view->pid, view->fd_limit, view->start_time_ms, s, n, w->t_s,
	    w->v);
	return 0;
}

int
pw_bottlenecks(struct pw_store *st, const struct pw_bn_query *q,
    struct pw_bottleneck **out, size_t *nout)
{
	struct walk w = { 0 };
	struct pw_bottleneck *v = NULL;
	struct pw_snapshot *snap;
	struct pw__bn_plimit *lim = NULL, key, *l;
	struct pw_bn_host host;
	int64_t taken;
	size_t i, n = 0, probed, nlim;
	int rc;

	/* Room for every process alive now, plus some born meanwhile. */
	if ((rc = pw_store_snapshot(st, false, &snap)) < 0)
		return rc;
	w.cap = snap->n + 64;
	for (i = 0; i < snap->n; i++)
		if (snap->procs[i].capacity > w.scratch)
			w.scratch = snap->procs[i].capacity;
	nlim = snap->n;
	rc = pw__bn_limits_read(snap, q->cgroup_root, &lim);
	pw_snapshot_free(snap);
	if (rc < 0)
		return rc;
	pw_store_info(st, &taken, &host.mem_total);
	host.ncpu = q->ncpu;
	rc = -ENOMEM;
	w.procs = malloc(w.cap * sizeof(*w.procs));
	w.t_s = malloc((w.scratch ? w.scratch : 1) * sizeof(double));
	w.v = malloc((w.scratch ? w.scratch : 1) * sizeof(double));
	if (w.procs == NULL || w.t_s == NULL || w.v == NULL)
		goto out_free;
	if ((rc = pw_store_each(st, taken - q->window_ms, false, visit,
	    &w)) < 0)
		goto out_free;
	for (i = 0; i < w.n; i++) {
		key.pid = w.procs[i].pid;
		if ((l = bsearch(&key, lim, nlim, sizeof(*lim),
		    pw__bn_plimit_cmp)) != NULL) {
			w.procs[i].cpu_limit = l->cpu;
			w.procs[i].mem_limit = l->mem;
		}
	}
	if ((rc = pw_bottleneck_rank(w.procs, w.n, &host, &v, &n)) < 0)
		goto out_free;
	if (n > q->limit)
		n = q->limit;
	for (i = 0, probed = 0; q->probe != NULL && i < n &&
	    probed < q->nprobe; i++) {
		if (v[i].type != PW_BN_CPU)
			continue;
		q->probe(q->arg, v[i].pid, &v[i].ev.hot);
		probed++;
		if (v[i].ev.hot.known)
			pw_bottleneck_describe(&v[i]);
	}
	*out = v;
	*nout = n;
	rc = 0;
out_free:
	free(w.v);
	free(w.t_s);
	free(w.procs);
	free(lim);
	return rc;
}

/* Grow the scratch arrays of pw_bottlenecks_by_target() to n entries. */
static int
scratch_grow(struct pw_sample **s, double **t_s, double **v, size_t *cap,
    size_t n)
{
	void *p;

	if (n <= *cap)
		return 0;
	if ((p = realloc(*s, n * sizeof(**s))) == NULL)
		return -ENOMEM;
	*s = p;
	if ((p = realloc(*t_s, n * sizeof(**t_s))) == NULL)
		return -ENOMEM;
	*t_s = p;
	if ((p = realloc(*v, n * sizeof(**v))) == NULL)
		return -ENOMEM;
	*v = p;
	*cap = n;
	return 0;
}

int
pw_bottlenecks_by_target(struct pw_store *st, const struct pw_bn_query *q,
    struct pw_bottleneck **out, size_t *nout)
{
	struct pw_snapshot *snap;
	struct pw_bn_group *groups = NULL;
	struct pw_group_sample *g;
	struct pw_bottleneck *v = NULL;
	struct pw_sample *s = NULL;
	struct pw_bn_host host;
	double *t_s = NULL, *d = NULL, lc;
	uint64_t lm;
	int64_t taken;
	size_t i, k = 0, n, cap, scap = 0, nv = 0;
	char *cg;
	int rc;

	/* The snapshot gives the group names, in config order. */
	if ((rc = pw_store_snapshot(st, false, &snap)) < 0)
		return rc;
	pw_store_info(st, &taken, &host.mem_total);
	host.ncpu = q->ncpu;
	rc = -ENOMEM;
	if ((groups = calloc(snap->ngroups ? snap->ngroups : 1,
	    sizeof(*groups))) == NULL)
		goto out_free;
	for (i = 0; i < snap->ngroups; i++) {
		rc = pw_store_group_samples(st, snap->groups[i].name,
		    taken - q->window_ms, SIZE_MAX, &g, &n, &cap);
		if (rc == -ENOENT)
			continue;	/* gone in a reload meanwhile */
		if (rc < 0)
			goto out_free;
		if (n >= 2 && (rc = scratch_grow(&s, &t_s, &d, &scap, n)) < 0) {
			free(g);
			goto out_free;
		}
		if (n >= 2) {
			pw_bn_group_fill(&groups[k], snap->groups[i].name, g,
			    n, q->hz, s, t_s, d);
			if (q->cgroup_root != NULL &&
			    (cg = pw__bn_group_cgroup(snap,
			    &snap->groups[i])) != NULL) {
				pw_bn_read_limits(q->cgroup_root, cg, &lc,
				    &lm);
				free(cg);
				groups[k].cpu_limit = lc;
				/* The sampler's reading, if any, is as good. */
				if (lm > 0 && (groups[k].mem_limit == 0 ||
				    lm < groups[k].mem_limit))
					groups[k].mem_limit = lm;
			}
			k++;
		}
		free(g);
	}
	if ((rc = pw_bottleneck_rank_groups(groups, k, &host, &v, &nv)) < 0)
		goto out_free;
	*out = v;
	*nout = nv > q->limit ? q->limit : nv;
	rc = 0;
out_free:
	free(d);
	free(t_s);
	free(s);
	free(groups);
	pw_snapshot_free(snap);
	return rc;
}
