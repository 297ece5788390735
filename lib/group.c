/*
 * group.c: per-target totals over a store snapshot (procwatch/group.h).
 *
 * DESIGN: two passes over the snapshot.  The first finds each process's
 * group and counts the members, so every group's pid list is allocated
 * once at its size; the second adds up the figures.  A process finds its
 * group through a copy of the names sorted once per call, so a snapshot
 * of n processes over t targets costs O((n + t) log t) comparisons.  The
 * per-process CPU % is the one the ring derives from consecutive samples
 * (lib/ring.c), the same figure /api/v1/processes and /metrics show, so
 * a group's total is the sum of what its members report.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/group.h>
#include <procwatch/sample.h>
#include <procwatch/store.h>

/* A name and the group it belongs to, for the sorted lookup. */
struct gidx {
	const char	*name;
	size_t		 g;
};

/* What is counted per group besides the public figures. */
struct gacc {
	size_t	ncpu;		/* members with a CPU rate */
	size_t	nfds;		/* members whose fd count was read */
	size_t	nlive;		/* pids written so far */
};

static int
gidx_cmp(const void *x, const void *y)
{
	const struct gidx *a = x, *b = y;
	int c;

	if ((c = strcmp(a->name, b->name)) != 0)
		return c;
	return a->g < b->g ? -1 : a->g > b->g;
}

/* Index of the first entry named `name`, or nidx if there is none. */
static size_t
gidx_find(const struct gidx *idx, size_t nidx, const char *name)
{
	size_t lo = 0, hi = nidx, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(idx[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < nidx && strcmp(idx[lo].name, name) == 0 ? lo : nidx;
}

/*
 * Does snapshot entry i count as a live member?  The snapshot is ordered
 * by (pid, id), so of two live entries with one pid (a pid reused within
 * a cycle) the later is the newer process and the only one counted.
 */
static bool
counts_live(const struct pw_snapshot *snap, size_t i)
{
	const struct pw_proc_view *v = &snap->procs[i];

	if (!v->alive)
		return false;
	return i + 1 == snap->n || !snap->procs[i + 1].alive ||
	    snap->procs[i + 1].pid != v->pid;
}

static void
top_set(struct pw_group_top *t, const struct pw_proc_view *v, double cpu_pct)
{
	t->pid = v->pid;
	memcpy(t->name, v->name, sizeof(t->name));
	t->name[sizeof(t->name) - 1] = '\0';
	t->cpu_pct = cpu_pct;
	t->rss_bytes = v->latest.rss_bytes;
}

/* Add live process v to group g. */
static void
add_live(struct pw_group *g, struct gacc *a, const struct pw_proc_view *v,
    uint64_t mem_total)
{
	const struct pw_sample *s = &v->latest;
	double cpu = 0;
	bool has_cpu;

	g->processes++;
	g->pids[a->nlive++] = v->pid;
	if (v->start_time_ms != 0 && (g->oldest_start_ms == 0 ||
	    v->start_time_ms < g->oldest_start_ms))
		g->oldest_start_ms = v->start_time_ms;
	if (!v->has_sample)
		return;
	g->threads += s->threads;
	g->rss_bytes += s->rss_bytes;
	if (mem_total > 0)
		g->memory_pct += pw_sample_memory_pct(s, mem_total);
	if ((s->flags & PW_SAMPLE_NO_FDS) == 0) {
		g->open_fds += s->open_fds;
		a->nfds++;
	}
	/* A first sample has no rate yet: its 0 % would be a guess. */
	if ((has_cpu = (s->flags & PW_SAMPLE_FIRST) == 0)) {
		cpu = s->cpu_user_pct + s->cpu_system_pct;
		g->cpu_user_pct += s->cpu_user_pct;
		g->cpu_system_pct += s->cpu_system_pct;
		a->ncpu++;
		/* Strictly greater: in pid order, a tie keeps the lower pid. */
		if (g->top_cpu.pid == 0 || cpu > g->top_cpu.cpu_pct)
			top_set(&g->top_cpu, v, cpu);
	}
	if (g->top_rss.pid == 0 || s->rss_bytes > g->top_rss.rss_bytes)
		top_set(&g->top_rss, v, has_cpu ? cpu : 0);
}

int
pw_group_compute(const struct pw_snapshot *snap, const char *const *names,
    size_t nnames, struct pw_group **out, size_t *n)
{
	static const char *const all[] = { PW_GROUP_ALL };
	const struct pw_proc_view *v;
	struct pw_group *groups, *g;
	struct gidx *idx;
	struct gacc *acc;
	size_t ng, i, k, procs = snap != NULL ? snap->n : 0;
	uint64_t mem_total = snap != NULL ? snap->mem_total : 0;
	int rc = -ENOMEM;

	if (nnames == 0) {
		names = all;
		nnames = 1;
	}
	ng = nnames;
	if ((groups = calloc(ng, sizeof(*groups))) == NULL)
		return -ENOMEM;
	if ((acc = calloc(ng, sizeof(*acc))) == NULL)
		goto out_groups;
	if ((idx = calloc(ng, sizeof(*idx))) == NULL)
		goto out_acc;
	for (i = 0; i < ng; i++) {
		if ((groups[i].name = strdup(names[i])) == NULL)
			goto out_idx;
		idx[i].name = groups[i].name;
		idx[i].g = i;
	}
	qsort(idx, ng, sizeof(*idx), gidx_cmp);

	/* Pass 1: members per group, so each pid list is sized once. */
	for (i = 0; i < procs; i++) {
		v = &snap->procs[i];
		if (!counts_live(snap, i) || v->target == NULL)
			continue;
		for (k = gidx_find(idx, ng, v->target); k < ng &&
		    strcmp(idx[k].name, v->target) == 0; k++)
			groups[idx[k].g].npids++;
	}
	for (i = 0; i < ng; i++)
		if ((groups[i].pids = calloc(groups[i].npids ?
		    groups[i].npids : 1, sizeof(pid_t))) == NULL)
			goto out_idx;

	/* Pass 2: the figures. */
	for (i = 0; i < procs; i++) {
		v = &snap->procs[i];
		if (v->target == NULL || (v->alive && !counts_live(snap, i)))
			continue;
		for (k = gidx_find(idx, ng, v->target); k < ng &&
		    strcmp(idx[k].name, v->target) == 0; k++) {
			g = &groups[idx[k].g];
			if (v->alive)
				add_live(g, &acc[idx[k].g], v, mem_total);
			else
				g->gone++;
		}
	}
	for (i = 0; i < ng; i++) {
		g = &groups[i];
		g->is_up = g->processes > 0;
		g->has_cpu = g->processes == 0 || acc[i].ncpu > 0;
		g->cpu_pct = g->cpu_user_pct + g->cpu_system_pct;
		g->has_fds = g->processes == 0 || acc[i].nfds > 0;
		g->has_memory_pct = mem_total > 0;
	}
	free(idx);
	free(acc);
	*out = groups;
	*n = ng;
	return 0;

out_idx:
	free(idx);
out_acc:
	free(acc);
out_groups:
	pw_groups_free(groups, ng);
	return rc;
}

void
pw_groups_free(struct pw_group *groups, size_t n)
{
	size_t i;

	if (groups == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(groups[i].name);
		free(groups[i].pids);
	}
	free(groups);
}

const struct pw_group *
pw_group_find(const struct pw_group *groups, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(groups[i].name, name) == 0)
			return &groups[i];
	return NULL;
}
