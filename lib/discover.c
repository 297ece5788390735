/*
 * discover.c: which pids exist and which targets select them.
 *
 * DESIGN: every cycle lists the pids of the procfs root (one readdir), or
 * takes the events feed's new pids while that feed is complete, and merges
 * that sorted list with the sorted table of pids seen before.  Only pids
 * new to the table are described (name, command line, user: through
 * libproc2) and matched against the targets; a pid that matched nothing is
 * looked at again after 1, 2, 4 ... 32 s, since a fork is often followed
 * by an exec that changes its name.  All of it runs on the sampler thread
 * without a lock: the known table is the sampler's alone.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/cgroup.h>
#include <procwatch/monitor.h>
#include <procwatch/redact.h>
#include <procwatch/source.h>

#include "monitor_impl.h"

#define RECHECK_MAX_MS	32000

void
pw_monitor_set_discovery(struct pw_monitor *m, pw_discover_fn *fn, void *arg)
{
	m->discover = fn;
	m->discover_arg = arg;
	m->listed_ms = 0;		/* list at the next cycle */
}

struct pw__known *
pw__discover_find(struct pw_monitor *m, pid_t pid)
{
	size_t lo = 0, hi = m->nknown, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (m->known[mid].pid < pid)
			lo = mid + 1;
		else if (m->known[mid].pid > pid)
			hi = mid;
		else
			return &m->known[mid];
	}
	return NULL;
}

static int
direct_match(struct pw_monitor *m, const struct pw_procinfo *pi)
{
	size_t i;

	/* No targets is "all": not kernel threads (pw_target_match()). */
	if (m->cfg.ntargets == 0)
		return pw_procinfo_is_kthread(pi) ? -1 : 0;
	for (i = 0; i < m->cfg.ntargets; i++)
		if (pw_target_match(&m->cfg.targets[i], pi,
		    m->pidfile_pids[i]))
			return (int)i;
	return -1;
}

/* A target that selects descendants and matches an ancestor of `k`. */
static int
ancestor_match(struct pw_monitor *m, const struct pw__known *k)
{
	const struct pw__known *a = k;
	int depth;

	for (depth = 0; depth < 256 && a->ppid > 0; depth++) {
		if ((a = pw__discover_find(m, a->ppid)) == NULL)
			return -1;
		if (a->direct && a->target >= 0 &&
		    m->cfg.targets[a->target].children)
			return a->target;
	}
	return -1;
}

static const char *
target_name(const struct pw_monitor *m, int t)
{
	return pw__monitor_target_name(&m->cfg, (size_t)t);
}

/* What selectors need to know of a monitored process, from the store. */
static void
proc_info(const struct pw_proc *p, struct pw_procinfo *pi)
{
	memset(pi, 0, sizeof(*pi));
	pi->pid = p->pid;
	pi->ppid = p->ppid;
	pi->uid = p->uid;
	pi->start_ticks = p->start_ticks;
	memcpy(pi->comm, p->comm, sizeof(pi->comm));
	pi->cmdline = p->cmdline;	/* borrowed: never fini'd here */
	pi->user = p->user;
	pi->cgroup = p->cgroup;		/* cgroup and unit targets */
}

static struct pw_proc *
proc_new(struct pw_monitor *m, struct pw_procinfo *pi, int target,
    int64_t now_ms)
{
	struct pw_proc *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	if ((p->ring = pw_ring_new(m->cfg.history, m->hz)) == NULL ||
	    (p->target = strdup(target_name(m, target))) == NULL) {
		pw__proc_free(p);
		return NULL;
	}
	p->pid = pi->pid;
	p->ppid = pi->ppid;
	p->uid = pi->uid;
	p->start_ticks = pi->start_ticks;
	p->start_time_ms = m->btime_ms +
	    (int64_t)(pi->start_ticks * 1000 / (uint64_t)m->hz);
	memcpy(p->comm, pi->comm, sizeof(p->comm));
	p->cmdline = pi->cmdline;	/* ownership moves to the proc */
	p->user = pi->user;
	p->cgroup = pi->cgroup;
	pi->cmdline = pi->user = pi->cgroup = NULL;
	/* Matched as it is; kept, and so shown anywhere, without secrets. */
	if (!m->cfg.cmdline_plain && p->cmdline != NULL) {
		int err;
		char *r = pw_redact_cmdline(p->cmdline, m->cfg.redact_words,
		    m->cfg.nredact_words, &err);

		if (r == NULL && err != 0) {
			pw__proc_free(p);
			return NULL;
		}
		if (r != NULL) {
			free(p->cmdline);
			p->cmdline = r;
		}
	}
	p->alive = true;
	p->keep_open = m->cfg.keep_open;
	p->limits_due_ms = now_ms;
	pw_prochandle_init(&p->h, p->pid);
	return p;
}

/*
 * Mark a monitored process gone; the commit publishes it.  Its group
 * learns of the exit (its parent may be credited with its CPU).
 */
void
pw__discover_gone(struct pw_monitor *m, struct pw__known *k)
{
	if (k->proc != NULL) {
		if (k->target >= 0 && (size_t)k->target < m->naccs)
			(void)pw_groupacc_exit(m->accs[k->target],
			    k->proc->pid, k->proc->ppid, k->proc->has_last ?
			    &k->proc->pending : NULL);
		pw_prochandle_close(&k->proc->h);
		k->proc->has_pending = false;
		k->proc->vanished = true;
	}
	k->proc = NULL;
}

/*
 * Merge this cycle's pid list into the known table: drop the pids that are
 * gone, add the new ones (unmatched, due for a describe at once).
 */
static int
merge_pids(struct pw_monitor *m, const pid_t *pids, size_t n, bool listing)
{
	struct pw__known *old = m->known, *nk;
	size_t i = 0, j = 0, k = 0, cap = m->nknown + n;

	if ((nk = calloc(cap ? cap : 1, sizeof(*nk))) == NULL)
		return -ENOMEM;
	while (i < m->nknown || j < n) {
		if (j == n || (i < m->nknown && old[i].pid < pids[j])) {
			pw__oom_note_exit(m, &old[i]);
			pw__discover_gone(m, &old[i]);
			i++;
		} else if (i == m->nknown || pids[j] < old[i].pid) {
			nk[k].pid = pids[j++];
			nk[k].target = -1;
			nk[k].recheck_ms = INT64_MIN;
			k++;
		} else {
			nk[k] = old[i++];
			/* Listed again though it looked gone: look once more. */
			if (listing && nk[k].recheck_ms == INT64_MAX)
				nk[k].recheck_ms = INT64_MIN;
			k++;
			j++;
		}
	}
	free(old);
	m->known = nk;
	m->nknown = k;
	m->capknown = cap ? cap : 1;
	return 0;
}

static int
cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return x < y ? -1 : x > y;
}

/* The known pids and news[0..n-1] (sorted here), as one sorted set. */
static int
known_plus(struct pw_monitor *m, pid_t *news, size_t n, pid_t **out,
    size_t *nout)
{
	size_t i = 0, j = 0, k = 0;
	pid_t *v;

	if (n > 1)
		qsort(news, n, sizeof(*news), cmp_pid);
	if ((v = malloc((m->nknown + n + 1) * sizeof(*v))) == NULL)
		return -ENOMEM;
	while (i < m->nknown || j < n) {
		pid_t p;

		if (j == n || (i < m->nknown && m->known[i].pid <= news[j]))
			p = m->known[i++].pid;
		else
			p = news[j++];
		if (k == 0 || v[k - 1] != p)
			v[k++] = p;
	}
	*out = v;
	*nout = k;
	return 0;
}

/*
 * This cycle's pids: from the discovery feed and the known table while
 * the feed is complete and the last listing is recent, else by listing
 * /proc.  *news gets the feed's pids (for recheck_news()).
 */
int
pw__discover_pids(struct pw_monitor *m, int64_t now_ms, pid_t **pids, size_t *n,
    pid_t **news, size_t *nnews, bool *listing)
{
	bool complete = false;
	int rc;

	*news = NULL;
	*nnews = 0;
	/* The take comes first: a pid forked after it is in the next. */
	if (m->discover != NULL && m->discover(m->discover_arg, news, nnews,
	    &complete) < 0) {
		*news = NULL;
		*nnews = 0;
		complete = false;
	}
	*listing = !complete || m->listed_ms == 0 || now_ms < m->listed_ms ||
	    now_ms - m->listed_ms >= PW_LISTING_EVERY_MS;
	if (!*listing)
		rc = known_plus(m, *news, *nnews, pids, n);
	else if ((rc = pw_procfs_list_pids(m->fs, pids, n)) == 0) {
		m->listed_ms = now_ms;
		m->listings++;
	}
	if (rc < 0) {
		free(*news);
		*news = NULL;
		*nnews = 0;
	}
	return rc;
}

/* Pids that exec'd (or were reused) and matched nothing: look again now. */
static void
recheck_news(struct pw_monitor *m, const pid_t *news, size_t n)
{
	struct pw__known *k;
	size_t i;

	for (i = 0; i < n; i++)
		if ((k = pw__discover_find(m, news[i])) != NULL &&
		    k->proc == NULL) {
			k->recheck_ms = INT64_MIN;
			k->recheck_step_ms = 0;
		}
}

static void
read_pidfiles(struct pw_monitor *m)
{
	size_t i;
	pid_t pid;

	for (i = 0; i < m->cfg.ntargets; i++) {
		m->pidfile_pids[i] = 0;
		if (m->cfg.targets[i].sel == PW_SEL_PIDFILE &&
		    pw_pidfile_read(m->cfg.targets[i].pidfile, &pid) == 0)
			m->pidfile_pids[i] = pid;
	}
}

/*
 * Fold this cycle's pids into the known table, look again at the feed's
 * new pids that matched nothing, and read the pidfiles.
 */
int
pw__discover_merge(struct pw_monitor *m, const pid_t *pids, size_t n,
    const pid_t *news, size_t nnews, bool listing)
{
	int rc;

	if ((rc = merge_pids(m, pids, n, listing)) < 0)
		return rc;
	recheck_news(m, news, nnews);
	read_pidfiles(m);
	return 0;
}

/*
 * Is an unmonitored pid to be described this cycle?  Those of pid and
 * pidfile targets are, every cycle; the others when their recheck is due.
 */
static bool
is_due(const struct pw_monitor *m, const struct pw__known *k, int64_t now_ms)
{
	size_t ti;

	if (k->proc != NULL)
		return false;
	if (k->recheck_ms <= now_ms)
		return true;
	for (ti = 0; ti < m->cfg.ntargets; ti++)
		if ((m->cfg.targets[ti].sel == PW_SEL_PID &&
		    m->cfg.targets[ti].pid == k->pid) ||
		    (m->cfg.targets[ti].sel == PW_SEL_PIDFILE &&
		    m->pidfile_pids[ti] == k->pid))
			return true;
	return false;
}

/*
 * Describe and match the pids that are due.  New monitored processes are
 * appended to *fresh for the commit to insert.
 */
int
pw__discover_resolve(struct pw_monitor *m, int64_t now_ms,
    struct pw_proc ***fresh, size_t *nfresh)
{
	pid_t *due = NULL;
	size_t *idx = NULL;
	struct pw_procinfo *info = NULL;
	struct pw_proc **fr = NULL;
	size_t i, ndue = 0, nfr = 0;
	int rc = 0, t;

	*fresh = NULL;
	*nfresh = 0;
	for (i = 0; i < m->nknown; i++) {
		struct pw__known *k = &m->known[i];

		if (is_due(m, k, now_ms))
			ndue++;
	}
	if (ndue == 0)
		return 0;
	due = calloc(ndue, sizeof(*due));
	idx = calloc(ndue, sizeof(*idx));
	info = calloc(ndue, sizeof(*info));
	fr = calloc(ndue, sizeof(*fr));
	if (due == NULL || idx == NULL || info == NULL || fr == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	ndue = 0;
	for (i = 0; i < m->nknown; i++) {
		struct pw__known *k = &m->known[i];

		if (is_due(m, k, now_ms)) {
			idx[ndue] = i;
			due[ndue++] = k->pid;
		}
	}
	if ((rc = pw_source_describe(m->src, due, ndue, info)) < 0)
		goto out;
	rc = 0;
	/* First the direct matches, so children can find their parents. */
	for (i = 0; i < ndue; i++) {
		struct pw__known *k = &m->known[idx[i]];

		if (info[i].pid == 0) {
			/* Gone before we looked: not again until it is listed
			 * or forked anew (a reused pid). */
			k->recheck_ms = INT64_MAX;
			continue;
		}
		k->ppid = info[i].ppid;
		k->start_ticks = info[i].start_ticks;
		k->target = direct_match(m, &info[i]);
		k->direct = k->target >= 0;
	}
	for (i = 0; i < ndue; i++) {
		struct pw__known *k = &m->known[idx[i]];

		if (info[i].pid == 0)
			continue;
		if ((t = k->target) < 0)
			t = ancestor_match(m, k);
		if (t < 0) {
			k->recheck_step_ms = k->recheck_step_ms == 0 ? 1000 :
			    k->recheck_step_ms * 2;
			if (k->recheck_step_ms > RECHECK_MAX_MS)
				k->recheck_step_ms = RECHECK_MAX_MS;
			k->recheck_ms = now_ms + k->recheck_step_ms;
			continue;
		}
		k->target = t;
		if ((k->proc = proc_new(m, &info[i], t, now_ms)) == NULL) {
			rc = -ENOMEM;
			break;
		}
		fr[nfr++] = k->proc;
	}
out:
	if (info != NULL)
		for (i = 0; i < ndue; i++)
			pw_procinfo_fini(&info[i]);
	free(info);
	free(idx);
	free(due);
	if (rc < 0 || nfr == 0) {
		for (i = 0; i < nfr; i++)
			pw__proc_free(fr[i]);
		free(fr);
		return rc;
	}
	*fresh = fr;
	*nfresh = nfr;
	return 0;
}

/*
 * Processes whose cgroup changed: one a cgroup or unit target selected by
 * itself that it no longer matches has left that group; it is dropped and
 * matched afresh next cycle, as a new process.
 */
void
pw__discover_moved_cgroups(struct pw_monitor *m)
{
	struct pw_procinfo pi;
	const struct pw_target *t;
	size_t i;

	for (i = 0; i < m->nknown; i++) {
		struct pw__known *k = &m->known[i];
		struct pw_proc *p = k->proc;

		if (p == NULL || p->new_cgroup == NULL || !k->direct ||
		    k->target < 0 || m->cfg.ntargets == 0)
			continue;
		t = &m->cfg.targets[k->target];
		if (t->sel != PW_SEL_CGROUP && t->sel != PW_SEL_UNIT)
			continue;
		proc_info(p, &pi);
		pi.cgroup = p->new_cgroup;
		if (pw_target_match(t, &pi, 0))
			continue;
		pw__discover_gone(m, k);
		k->target = -1;
		k->direct = false;
		k->recheck_ms = INT64_MIN;
		k->recheck_step_ms = 0;
	}
}

/*
 * Which target selects each known pid under the new m->cfg: monitored
 * processes keep their rings (resized to the new history) under the
 * target that now selects them, or are marked gone; every other pid is
 * looked at again in the next cycle.
 */
void
pw__discover_retarget(struct pw_monitor *m)
{
	struct pw_procinfo pi;
	size_t i;
	int t;

	read_pidfiles(m);
	/* Which target selects each monitored process now. */
	for (i = 0; i < m->nknown; i++) {
		struct pw__known *k = &m->known[i];

		k->recheck_ms = INT64_MIN;	/* unmatched: look again */
		k->recheck_step_ms = 0;
		k->target = -1;
		k->direct = false;
		if (k->proc == NULL)
			continue;
		proc_info(k->proc, &pi);
		k->target = direct_match(m, &pi);
		k->direct = k->target >= 0;
	}
	pw__store_wrlock(m->store);
	for (i = 0; i < m->nknown; i++) {
		struct pw__known *k = &m->known[i];
		struct pw_proc *p = k->proc;
		char *name;

		if (p == NULL)
			continue;
		if ((t = k->target) < 0)
			t = ancestor_match(m, k);
		if (t < 0) {
			pw__discover_gone(m, k);	/* no longer selected */
			continue;
		}
		k->target = t;
		if (strcmp(p->target, target_name(m, t)) != 0 &&
		    (name = strdup(target_name(m, t))) != NULL) {
			free(p->target);
			p->target = name;
		}
		/* Out of memory: that ring keeps its old size. */
		(void)pw_ring_resize(p->ring, m->cfg.history);
	}
	/* Processes kept after exit get the new history too. */
	for (i = 0; i < m->store->nprocs; i++)
		if (!m->store->procs[i]->alive)
			(void)pw_ring_resize(m->store->procs[i]->ring,
			    m->cfg.history);
	m->store->history = m->cfg.history;
	/* Out of memory: no group samples until a reload succeeds. */
	m->groups_ok = pw__store_set_groups(m->store, m->cfg.targets,
	    m->cfg.ntargets) == 0;
	pw__store_unlock(m->store);
}
