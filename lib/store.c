/*
 * store.c: the set of monitored processes and their rings, shared between
 * the sampler (the only writer) and readers that copy out snapshots.
 *
 * DESIGN: see procwatch/store.h.  Processes are kept in an array sorted by
 * (pid, id) so a reader finds a pid by binary search and a snapshot comes
 * out in pid order without sorting.  Snapshots copy strings into one arena
 * so a reader frees one block.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/cgroup.h>
#include <procwatch/group.h>
#include <procwatch/target.h>

#include "internal.h"

struct snapshot_priv {
	struct pw_snapshot	 pub;
	char			*arena;
};

struct pw_store *
pw_store_new(size_t history, long hz)
{
	struct pw_store *st;
	pthread_rwlockattr_t attr;

	if (history == 0 || (st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	st->history = history;
	st->hz = hz > 0 ? hz : 100;
	st->next_id = 1;
	/* Prefer the writer: readers must not starve the sampler. */
	if (pthread_rwlockattr_init(&attr) != 0)
		goto out_free;
	pthread_rwlockattr_setkind_np(&attr,
	    PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	if (pthread_rwlock_init(&st->lock, &attr) != 0) {
		pthread_rwlockattr_destroy(&attr);
		goto out_free;
	}
	pthread_rwlockattr_destroy(&attr);
	return st;
out_free:
	free(st);
	return NULL;
}

void
pw__proc_free(struct pw_proc *p)
{
	if (p == NULL)
		return;
	pw_prochandle_close(&p->h);
	pw_ring_free(p->ring);
	free(p->cmdline);
	free(p->user);
	free(p->cgroup);
	free(p->target);
	free(p->new_cgroup);
	free(p);
}

static void
group_fini(struct pw_store_group *g)
{
	free(g->name);
	free(g->selector);
	free(g->ring);
	memset(g, 0, sizeof(*g));
}

/* Sample i of g, oldest first. */
static const struct pw_group_sample *
group_at(const struct pw_store_group *g, size_t i)
{
	return &g->ring[(g->head + g->cap - g->len + i) % g->cap];
}

/*
 * Fill the empty ring of `g` (cap samples) with the newest samples of
 * `old` (NULL: none).
 */
static int
group_ring(struct pw_store_group *g, const struct pw_store_group *old,
    size_t cap)
{
	size_t i, keep;

	if ((g->ring = calloc(cap, sizeof(*g->ring))) == NULL)
		return -ENOMEM;
	g->cap = cap;
	keep = old == NULL ? 0 : old->len < cap ? old->len : cap;
	for (i = 0; i < keep; i++)
		g->ring[i] = *group_at(old, old->len - keep + i);
	g->len = keep;
	g->head = keep % cap;
	return 0;
}

int
pw__store_set_groups(struct pw_store *st, const struct pw_target *targets,
    size_t n)
{
	struct pw_store_group *ng;
	struct pw_target all = { 0 };
	char sel[PW_CGROUP_PATH_MAX + 64];
	size_t i, j, count = n ? n : 1;

	if ((ng = calloc(count, sizeof(*ng))) == NULL)
		return -ENOMEM;
	if (n == 0) {
		all.name = (char *)PW_GROUP_ALL;
		all.sel = PW_SEL_ALL;
		targets = &all;
	}
	/* Build the whole new set first: the old one stays on failure. */
	for (i = 0; i < count; i++) {
		const struct pw_target *t = &targets[i];
		struct pw_store_group *g = &ng[i];

		for (j = 0; j < st->ngroups; j++)
			if (strcmp(st->groups[j].name, t->name) == 0)
				break;
		if ((g->name = strdup(t->name)) == NULL ||
		    (g->selector = strdup(pw_target_describe(t, sel,
		    sizeof(sel)))) == NULL ||
		    group_ring(g, j < st->ngroups ? &st->groups[j] : NULL,
		    st->history) < 0)
			goto fail;
		g->min_processes = n ? t->min_processes : 0;
		g->max_processes = n ? t->max_processes : 0;
	}
	for (j = 0; j < st->ngroups; j++)
		group_fini(&st->groups[j]);
	free(st->groups);
	st->groups = ng;
	st->ngroups = count;
	return 0;
fail:
	for (i = 0; i < count; i++)
		group_fini(&ng[i]);
	free(ng);
	return -ENOMEM;
}

void
pw__store_group_push(struct pw_store *st, size_t i,
    const struct pw_group_sample *s)
{
	struct pw_store_group *g;

	if (i >= st->ngroups || (g = &st->groups[i])->cap == 0)
		return;
	g->ring[g->head] = *s;
	g->head = (g->head + 1) % g->cap;
	if (g->len < g->cap)
		g->len++;
}

void
pw_store_free(struct pw_store *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nprocs; i++)
		pw__proc_free(st->procs[i]);
	free(st->procs);
	for (i = 0; i < st->ngroups; i++)
		group_fini(&st->groups[i]);
	free(st->groups);
	pthread_rwlock_destroy(&st->lock);
	free(st);
}

void
pw__store_wrlock(struct pw_store *st)
{
	pthread_rwlock_wrlock(&st->lock);
}

void
pw__store_unlock(struct pw_store *st)
{
	pthread_rwlock_unlock(&st->lock);
}

static int
proc_cmp(const struct pw_proc *a, pid_t pid, uint64_t id)
{
	if (a->pid != pid)
		return a->pid < pid ? -1 : 1;
	if (a->id != id)
		return a->id < id ? -1 : 1;
	return 0;
}

/* Index of the first process with pid >= `pid` (and id >= `id`). */
static size_t
lower_bound(const struct pw_store *st, pid_t pid, uint64_t id)
{
	size_t lo = 0, hi = st->nprocs, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (proc_cmp(st->procs[mid], pid, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
pw__store_insert(struct pw_store *st, struct pw_proc *p)
{
	struct pw_proc **np;
	size_t at, ncap;

	if (st->nprocs == st->cap) {
		ncap = st->cap ? st->cap * 2 : 64;
		if ((np = realloc(st->procs, ncap * sizeof(*np))) == NULL)
			return -ENOMEM;
		st->procs = np;
		st->cap = ncap;
	}
	p->id = st->next_id++;
	at = lower_bound(st, p->pid, p->id);
	memmove(&st->procs[at + 1], &st->procs[at],
	    (st->nprocs - at) * sizeof(*st->procs));
	st->procs[at] = p;
	st->nprocs++;
	return 0;
}

size_t
pw__store_expire(struct pw_store *st, int64_t cutoff_ms, uint64_t **ids,
    size_t *nids)
{
	uint64_t *v;
	size_t i, j;

	for (i = j = 0; i < st->nprocs; i++) {
		struct pw_proc *p = st->procs[i];

		if (!p->alive && p->gone_ms <= cutoff_ms) {
			/* Best effort: without memory the ids are not told. */
			if (ids != NULL && (v = realloc(*ids, (*nids + 1) *
			    sizeof(*v))) != NULL) {
				v[(*nids)++] = p->id;
				*ids = v;
			}
			pw__proc_free(p);
		} else
			st->procs[j++] = p;
	}
	i -= j;
	st->nprocs = j;
	return i;
}

/* The live process with this pid, else the newest gone one, else NULL. */
static struct pw_proc *
find_pid(const struct pw_store *st, pid_t pid)
{
	struct pw_proc *best = NULL;
	size_t i;

	for (i = lower_bound(st, pid, 0); i < st->nprocs &&
	    st->procs[i]->pid == pid; i++) {
		if (st->procs[i]->alive)
			return st->procs[i];
		best = st->procs[i];	/* ids ascend: the last is newest */
	}
	return best;
}

static size_t
strsize(const char *s)
{
	return s != NULL ? strlen(s) + 1 : 1;
}

static const char *
arena_put(char **cur, const char *s)
{
	char *at = *cur;
	size_t n = strsize(s);

	if (s != NULL)
		memcpy(at, s, n);
	else
		*at = '\0';
	*cur += n;
	return at;
}

static void
fill_view(const struct pw_proc *p, struct pw_proc_view *v, char **arena)
{
	memset(v, 0, sizeof(*v));
	v->id = p->id;
	v->pid = p->pid;
	v->ppid = p->ppid;
	v->uid = p->uid;
	memcpy(v->name, p->comm, sizeof(v->name));
	v->target = arena_put(arena, p->target);
	v->cmdline = arena_put(arena, p->cmdline);
	v->user = arena_put(arena, p->user);
	v->cgroup = arena_put(arena, p->cgroup);
	v->start_time_ms = p->start_time_ms;
	v->alive = p->alive;
	v->gone_ms = p->gone_ms;
	v->fd_limit = p->fd_limit;
	v->pss = p->pss;
	v->nsamples = pw_ring_len(p->ring);
	v->capacity = pw_ring_cap(p->ring);
	v->has_sample = pw_ring_latest(p->ring, &v->latest) == 0;
}

static size_t
proc_strings(const struct pw_proc *p)
{
	return strsize(p->target) + strsize(p->cmdline) + strsize(p->user) +
	    strsize(p->cgroup);
}

/* Copy `n` processes into a new snapshot.  Caller holds the read lock. */
static int
snapshot_of(const struct pw_store *st, struct pw_proc *const *procs,
    size_t n, bool include_gone, struct pw_snapshot **out)
{
	struct snapshot_priv *sp;
	size_t i, k, bytes = 0, count = 0;
	char *cur;

	for (i = 0; i < n; i++) {
		if (!include_gone && !procs[i]->alive)
			continue;
		bytes += proc_strings(procs[i]);
		count++;
	}
	for (i = 0; i < st->ngroups; i++)
		bytes += strsize(st->groups[i].name) +
		    strsize(st->groups[i].selector);
	if ((sp = calloc(1, sizeof(*sp))) == NULL)
		return -ENOMEM;
	sp->pub.procs = calloc(count ? count : 1, sizeof(*sp->pub.procs));
	sp->pub.groups = calloc(st->ngroups ? st->ngroups : 1,
	    sizeof(*sp->pub.groups));
	sp->arena = malloc(bytes ? bytes : 1);
	if (sp->pub.procs == NULL || sp->pub.groups == NULL ||
	    sp->arena == NULL) {
		free(sp->pub.procs);
		free(sp->pub.groups);
		free(sp->arena);
		free(sp);
		return -ENOMEM;
	}
	cur = sp->arena;
	for (i = k = 0; i < n; i++) {
		if (!include_gone && !procs[i]->alive)
			continue;
		fill_view(procs[i], &sp->pub.procs[k++], &cur);
	}
	for (i = 0; i < st->ngroups; i++) {
		const struct pw_store_group *g = &st->groups[i];
		struct pw_group_view *v = &sp->pub.groups[i];

		v->name = arena_put(&cur, g->name);
		v->selector = arena_put(&cur, g->selector);
		v->min_processes = g->min_processes;
		v->max_processes = g->max_processes;
		v->nsamples = g->len;
		v->capacity = g->cap;
		if ((v->has_sample = g->len > 0))
			v->latest = *group_at(g, g->len - 1);
	}
	sp->pub.ngroups = st->ngroups;
	sp->pub.n = count;
	sp->pub.taken_ms = st->taken_ms;
	sp->pub.mem_total = st->mem_total;
	*out = &sp->pub;
	return 0;
}

int
pw_store_snapshot(struct pw_store *st, bool include_gone,
    struct pw_snapshot **out)
{
	int rc;

	pthread_rwlock_rdlock(&st->lock);
	rc = snapshot_of(st, st->procs, st->nprocs, include_gone, out);
	pthread_rwlock_unlock(&st->lock);
	return rc;
}

int
pw_store_snapshot_pid(struct pw_store *st, pid_t pid,
    struct pw_snapshot **out)
{
	struct pw_proc *p;
	int rc;

	pthread_rwlock_rdlock(&st->lock);
	if ((p = find_pid(st, pid)) == NULL)
		rc = -ENOENT;
	else
		rc = snapshot_of(st, &p, 1, true, out);
	pthread_rwlock_unlock(&st->lock);
	return rc;
}

void
pw_snapshot_free(struct pw_snapshot *s)
{
	struct snapshot_priv *sp = (struct snapshot_priv *)s;

	if (s == NULL)
		return;
	free(sp->pub.procs);
	free(sp->pub.groups);
	free(sp->arena);
	free(sp);
}

const struct pw_group_view *
pw_snapshot_group(const struct pw_snapshot *s, const char *name)
{
	size_t i;

	for (i = 0; s != NULL && name != NULL && i < s->ngroups; i++)
		if (strcmp(s->groups[i].name, name) == 0)
			return &s->groups[i];
	return NULL;
}

int
pw_store_group_samples(struct pw_store *st, const char *name,
    int64_t since_ms, size_t limit, struct pw_group_sample **out, size_t *n,
    size_t *cap)
{
	const struct pw_store_group *g = NULL;
	struct pw_group_sample *buf;
	size_t i, first, k;
	int rc = 0;

	pthread_rwlock_rdlock(&st->lock);
	for (i = 0; i < st->ngroups; i++)
		if (strcmp(st->groups[i].name, name) == 0)
			g = &st->groups[i];
	if (g == NULL) {
		rc = -ENOENT;
		goto out_unlock;
	}
	/* The window: samples newer than since_ms, the newest `limit`. */
	for (first = g->len; first > 0 &&
	    group_at(g, first - 1)->ts_ms > since_ms; first--)
		;
	if (g->len - first > limit)
		first = g->len - limit;
	if ((buf = malloc((g->len - first ? g->len - first : 1) *
	    sizeof(*buf))) == NULL) {
		rc = -ENOMEM;
		goto out_unlock;
	}
	for (k = 0, i = first; i < g->len; i++)
		buf[k++] = *group_at(g, i);
	*out = buf;
	*n = k;
	*cap = g->cap;
out_unlock:
	pthread_rwlock_unlock(&st->lock);
	return rc;
}

int
pw_store_samples(struct pw_store *st, pid_t pid, int64_t since_ms,
    size_t limit, struct pw_sample **out, size_t *n, size_t *cap)
{
	struct pw_sample *buf;
	struct pw_proc *p;
	size_t want;
	int rc = 0;

	pthread_rwlock_rdlock(&st->lock);
	if ((p = find_pid(st, pid)) == NULL) {
		rc = -ENOENT;
		goto out_unlock;
	}
	want = pw_ring_len(p->ring);
	if (limit < want)
		want = limit;
	if ((buf = malloc((want ? want : 1) * sizeof(*buf))) == NULL) {
		rc = -ENOMEM;
		goto out_unlock;
	}
	*n = pw_ring_copy(p->ring, since_ms, buf, want);
	*cap = pw_ring_cap(p->ring);
	*out = buf;
out_unlock:
	pthread_rwlock_unlock(&st->lock);
	return rc;
}

int
pw_store_each(struct pw_store *st, int64_t since_ms, bool include_gone,
    pw_store_visit_fn *fn, void *arg)
{
	struct pw_sample *buf;
	struct pw_proc_view v;
	struct pw_proc *p;
	pid_t pid = 0;
	uint64_t id = 0;
	size_t at, n;
	int rc = 0;

	/* history is fixed for the store's life: read it without the lock. */
	if ((buf = malloc(st->history * sizeof(*buf))) == NULL)
		return -ENOMEM;
	for (;;) {
		pthread_rwlock_rdlock(&st->lock);
		/* Resume after (pid, id): the array may have changed. */
		at = lower_bound(st, pid, id);
		while (at < st->nprocs && !include_gone &&
		    !st->procs[at]->alive)
			at++;
		if (at == st->nprocs) {
			pthread_rwlock_unlock(&st->lock);
			break;
		}
		p = st->procs[at];
		memset(&v, 0, sizeof(v));
		v.id = p->id;
		v.pid = p->pid;
		v.ppid = p->ppid;
		v.uid = p->uid;
		memcpy(v.name, p->comm, sizeof(v.name));
		v.target = p->target != NULL ? p->target : "";
		v.cmdline = p->cmdline != NULL ? p->cmdline : "";
		v.user = p->user != NULL ? p->user : "";
		v.cgroup = p->cgroup != NULL ? p->cgroup : "";
		v.start_time_ms = p->start_time_ms;
		v.alive = p->alive;
		v.gone_ms = p->gone_ms;
		v.fd_limit = p->fd_limit;
		v.pss = p->pss;
		v.nsamples = pw_ring_len(p->ring);
		v.capacity = pw_ring_cap(p->ring);
		v.has_sample = pw_ring_latest(p->ring, &v.latest) == 0;
		n = pw_ring_copy(p->ring, since_ms, buf, st->history);
		rc = fn(&v, buf, n, arg);
		pid = p->pid;
		id = p->id + 1;
		pthread_rwlock_unlock(&st->lock);
		if (rc != 0)
			break;
	}
	free(buf);
	return rc;
}

void
pw_store_info(struct pw_store *st, int64_t *taken_ms, uint64_t *mem_total)
{
	pthread_rwlock_rdlock(&st->lock);
	if (taken_ms != NULL)
		*taken_ms = st->taken_ms;
	if (mem_total != NULL)
		*mem_total = st->mem_total;
	pthread_rwlock_unlock(&st->lock);
}

void
pw_store_counts(struct pw_store *st, size_t *alive, size_t *gone)
{
	size_t i, a = 0;

	pthread_rwlock_rdlock(&st->lock);
	for (i = 0; i < st->nprocs; i++)
		a += st->procs[i]->alive;
	*alive = a;
	*gone = st->nprocs - a;
	pthread_rwlock_unlock(&st->lock);
}
