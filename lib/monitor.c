/*
 * monitor.c: the sampling cycle and the sampler thread.
 *
 * DESIGN: every cycle lists the pids of the procfs root (one readdir) and
 * merges that sorted list with the sorted table of pids seen before.  Only
 * pids new to the table are described (name, command line, user: through
 * libproc2) and matched against the targets; a pid that matched nothing is
 * looked at again after 1, 2, 4 ... 32 s, since a fork is often followed by
 * an exec that changes its name.  Matched processes are read through
 * descriptors kept open across cycles (procwatch/procfs.h) without any lock,
 * then the whole cycle is committed to the store under its write lock in
 * one pass.  The thread sleeps on absolute CLOCK_MONOTONIC deadlines, so
 * the schedule does not drift, and a stop request wakes it at once.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <sys/resource.h>

#include <errno.h>
#include <sched.h>
#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <procwatch/cgroup.h>
#include <procwatch/group.h>
#include <procwatch/groupacc.h>
#include <procwatch/monitor.h>
#include <procwatch/source.h>

#include "internal.h"
#include "pwutil.h"

#define STATS_WINDOW	1024	/* cycles kept for p50/p99 */
#define RECHECK_MAX_MS	32000

/* A pid present in the procfs root, matched or not. */
struct known {
	pid_t		 pid;
	pid_t		 ppid;
	uint64_t	 start_ticks;
	int		 target;	/* index of the matching target, or -1 */
	bool		 direct;	/* matched by itself, not as a child */
	bool		 seen;		/* listed this cycle */
	int64_t		 recheck_ms;	/* when to describe an unmatched pid again */
	unsigned	 recheck_step_ms;
	struct pw_proc	*proc;		/* when monitored */
};

/* A collector added with pw_monitor_add_source(). */
struct msource {
	char		 name[PW_CUSTOM_SOURCE_MAX + 1];
	unsigned	 flags;
	pw_collect_fn	*fn;
	void		*arg;
};

struct pw_monitor {
	struct pw_monitor_config cfg;
	struct pw_procfs	*fs;
	struct pw_source	*src;
	struct pw_store		*store;
	long			 hz;
	int64_t			 btime_ms;
	int64_t			 mem_due_ms;

	/* (S) one accumulator and sample per group, in target order */
	struct pw_groupacc	**accs;
	struct pw_group_sample	*gsamples;
	size_t			 naccs;
	bool			 groups_ok;	/* the store's groups match */

	struct known		*known;		/* sorted by pid */
	size_t			 nknown, capknown;
	pid_t			*pidfile_pids;	/* per target, this cycle */

	pw_cycle_fn		*hook;
	void			*hook_arg;
	pw_discover_fn		*discover;
	void			*discover_arg;
	int64_t			 listed_ms;	/* (S) last listing of /proc */
	uint64_t		 listings;	/* (S) */

	struct pw_custom	*custom;	/* borrowed; may be NULL */
	struct msource		*srcs;
	size_t			 nsrcs;

	/* thread */
	pthread_t		 thread;
	bool			 running;
	pthread_mutex_t		 mtx;		/* guards stop and stats */
	pthread_cond_t		 cond;
	bool			 stop;
	_Atomic uint64_t	 last_cycle_ns;
	uint64_t		 idle_skips;	/* (S) samples of idle processes */
	size_t			 fds_kept;	/* (S) by the handles, this cycle */
	size_t			 fds_budget;	/* (S) */
	size_t			 freed_since_trim; /* (S) */
	int64_t			 trimmed_ms;	/* (S) */

	/* stats, under mtx */
	struct pw_monitor_stats	 st;
	uint64_t		 cycle_ns[STATS_WINDOW];
	uint64_t		 jitter_ns[STATS_WINDOW];
	size_t			 nwin, winpos;
};

static void	collect(struct pw_monitor *, int64_t now_ms);
static void	proc_info(const struct pw_proc *, struct pw_procinfo *);
static int	cmp_u64(const void *, const void *);

void
pw_monitor_config_defaults(struct pw_monitor_config *c)
{
	memset(c, 0, sizeof(*c));
	c->interval_ms = PW_DEFAULT_INTERVAL_MS;
	c->history = PW_DEFAULT_HISTORY;
	c->retention_ms = PW_DEFAULT_RETENTION_MS;
	c->limits_every_ms = PW_DEFAULT_LIMITS_MS;
	c->use_libproc2 = true;
	c->keep_open = true;
}

static void
accs_free(struct pw_groupacc **accs, size_t n)
{
	size_t i;

	for (i = 0; accs != NULL && i < n; i++)
		pw_groupacc_free(accs[i]);
	free(accs);
}

/* The name of target i of `c`: PW_GROUP_ALL when it has none. */
static const char *
cfg_target_name(const struct pw_monitor_config *c, size_t i)
{
	return c->ntargets == 0 ? PW_GROUP_ALL : c->targets[i].name;
}

/* The index of m's accumulator (not yet taken) for group `name`, or -1. */
static ssize_t
acc_find(const struct pw_monitor *m, const char *name)
{
	size_t j;

	for (j = 0; j < m->naccs; j++)
		if (m->accs[j] != NULL &&
		    strcmp(cfg_target_name(&m->cfg, j), name) == 0)
			return (ssize_t)j;
	return -1;
}

/*
 * The accumulators for the targets of `cfg`, in its order: those of groups
 * whose name stays are moved over from m (their counters carry on), the
 * rest are new.  Returns 0 or -ENOMEM (m untouched).
 */
static int
accs_make(struct pw_monitor *m, const struct pw_monitor_config *cfg)
{
	size_t i, n = cfg->ntargets ? cfg->ntargets : 1;
	struct pw_group_sample *gs;
	struct pw_groupacc **accs;
	ssize_t j;

	accs = calloc(n, sizeof(*accs));
	gs = calloc(n, sizeof(*gs));
	if (accs == NULL || gs == NULL)
		goto fail;
	for (i = 0; i < n; i++)
		if (acc_find(m, cfg_target_name(cfg, i)) < 0 &&
		    (accs[i] = pw_groupacc_new()) == NULL)
			goto fail;
	/* Nothing can fail now: take over the ones that stay. */
	for (i = 0; i < n; i++)
		if (accs[i] == NULL) {
			j = acc_find(m, cfg_target_name(cfg, i));
			accs[i] = m->accs[j];
			m->accs[j] = NULL;
		}
	accs_free(m->accs, m->naccs);
	free(m->gsamples);
	m->accs = accs;
	m->gsamples = gs;
	m->naccs = n;
	return 0;
fail:
	accs_free(accs, n);
	free(gs);
	return -ENOMEM;
}

struct pw_monitor *
pw_monitor_new(const struct pw_monitor_config *cfg, int *err)
{
	struct pw_monitor *m;
	int64_t btime_s = 0;
	int rc = -ENOMEM;

	if (cfg->interval_ms == 0 || cfg->history == 0) {
		*err = -EINVAL;
		return NULL;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL)
		goto out;
	m->cfg = *cfg;
	if (m->cfg.proc_root == NULL)
		m->cfg.proc_root = "/proc";
	m->hz = sysconf(_SC_CLK_TCK);
	if (m->hz <= 0)
		m->hz = 100;
	if ((m->fs = pw_procfs_new(m->cfg.proc_root)) == NULL)
		goto out_free;
	/* libproc2 reads only the real /proc; fake roots use our readers. */
	if (cfg->use_libproc2 && strcmp(m->cfg.proc_root, "/proc") == 0)
		m->src = pw_source_new_libproc2();
	else
		m->src = pw_source_new_procfs(m->fs);
	if (m->src == NULL)
		goto out_fs;
	if ((m->store = pw_store_new(cfg->history, m->hz)) == NULL)
		goto out_src;
	m->pidfile_pids = calloc(cfg->ntargets ? cfg->ntargets : 1,
	    sizeof(*m->pidfile_pids));
	if (m->pidfile_pids == NULL)
		goto out_store;
	if (pthread_mutex_init(&m->mtx, NULL) != 0)
		goto out_pidfile;
	if (pthread_cond_init(&m->cond, NULL) != 0)
		goto out_mtx;
	if ((rc = pw_procfs_boot_time(m->fs, &btime_s)) < 0)
		goto out_cond;
	rc = -ENOMEM;
	if (accs_make(m, cfg) < 0 ||
	    pw__store_set_groups(m->store, cfg->targets, cfg->ntargets) < 0) {
		accs_free(m->accs, m->naccs);
		free(m->gsamples);
		goto out_cond;
	}
	m->groups_ok = true;
	m->btime_ms = btime_s * 1000;
	m->st.targets = cfg->ntargets ? cfg->ntargets : 1;
	m->st.interval_ms = cfg->interval_ms;
	return m;
out_cond:
	pthread_cond_destroy(&m->cond);
out_mtx:
	pthread_mutex_destroy(&m->mtx);
out_pidfile:
	free(m->pidfile_pids);
out_store:
	pw_store_free(m->store);
out_src:
	pw_source_free(m->src);
out_fs:
	pw_procfs_free(m->fs);
out_free:
	free(m);
out:
	*err = rc;
	return NULL;
}

void
pw_monitor_free(struct pw_monitor *m)
{
	if (m == NULL)
		return;
	pw_monitor_stop(m);
	pw_store_free(m->store);	/* closes the kept descriptors */
	free(m->known);
	free(m->pidfile_pids);
	free(m->srcs);
	accs_free(m->accs, m->naccs);
	free(m->gsamples);
	pw_source_free(m->src);
	pw_procfs_free(m->fs);
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->mtx);
	free(m);
}

int
pw_monitor_threads(struct pw_monitor *m, pid_t pid,
    struct pw_thread_stat **out, int64_t **start_ms, size_t *n, long *hz)
{
	struct pw_thread_stat *v;
	int64_t *st;
	size_t k, i;
	int rc;

	/* m->fs is immutable after pw_monitor_new(): safe beside the sampler. */
	if ((rc = pw_procfs_list_threads(m->fs, pid, &v, &k)) < 0)
		return rc;
	if ((st = malloc((k ? k : 1) * sizeof(*st))) == NULL) {
		free(v);
		return -ENOMEM;
	}
	for (i = 0; i < k; i++)
		st[i] = m->btime_ms + (int64_t)(v[i].starttime * 1000 /
		    (uint64_t)m->hz);
	*out = v;
	*start_ms = st;
	*n = k;
	*hz = m->hz;
	return 0;
}

struct pw_store *
pw_monitor_store(struct pw_monitor *m)
{
	return m->store;
}

const struct pw_monitor_config *
pw_monitor_config(const struct pw_monitor *m)
{
	return &m->cfg;
}

void
pw_monitor_names_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; names != NULL && i < n; i++)
		free(names[i]);
	free(names);
}

int
pw_monitor_target_names(struct pw_monitor *m, char ***names, size_t *n)
{
	char **v = NULL;
	size_t i, k = 0;
	int rc = 0;

	pthread_mutex_lock(&m->mtx);
	if (m->cfg.ntargets > 0 &&
	    (v = calloc(m->cfg.ntargets, sizeof(*v))) == NULL)
		rc = -ENOMEM;
	for (i = 0; rc == 0 && i < m->cfg.ntargets; i++, k++)
		if ((v[i] = strdup(m->cfg.targets[i].name)) == NULL)
			rc = -ENOMEM;
	pthread_mutex_unlock(&m->mtx);
	if (rc < 0) {
		pw_monitor_names_free(v, k);
		return rc;
	}
	*names = v;
	*n = k;
	return 0;
}

unsigned
pw_monitor_interval_ms(struct pw_monitor *m)
{
	unsigned ms;

	pthread_mutex_lock(&m->mtx);
	ms = m->cfg.interval_ms;
	pthread_mutex_unlock(&m->mtx);
	return ms;
}

void
pw_monitor_set_cycle_hook(struct pw_monitor *m, pw_cycle_fn *fn, void *arg)
{
	m->hook = fn;
	m->hook_arg = arg;
}

void
pw_monitor_set_discovery(struct pw_monitor *m, pw_discover_fn *fn, void *arg)
{
	m->discover = fn;
	m->discover_arg = arg;
	m->listed_ms = 0;		/* list at the next cycle */
}

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
	struct msource *ns;

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

uint64_t
pw_monitor_last_cycle_ns(struct pw_monitor *m)
{
	return m->last_cycle_ns;
}

/* --- target resolution ----------------------------------------------------- */

static struct known *
known_find(struct pw_monitor *m, pid_t pid)
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

	if (m->cfg.ntargets == 0)
		return 0;
	for (i = 0; i < m->cfg.ntargets; i++)
		if (pw_target_match(&m->cfg.targets[i], pi,
		    m->pidfile_pids[i]))
			return (int)i;
	return -1;
}

/* A target that selects descendants and matches an ancestor of `k`. */
static int
ancestor_match(struct pw_monitor *m, const struct known *k)
{
	const struct known *a = k;
	int depth;

	for (depth = 0; depth < 256 && a->ppid > 0; depth++) {
		if ((a = known_find(m, a->ppid)) == NULL)
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
	return cfg_target_name(&m->cfg, (size_t)t);
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
static void
proc_gone(struct pw_monitor *m, struct known *k)
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
	struct known *old = m->known, *nk;
	size_t i = 0, j = 0, k = 0, cap = m->nknown + n;

	if ((nk = calloc(cap ? cap : 1, sizeof(*nk))) == NULL)
		return -ENOMEM;
	while (i < m->nknown || j < n) {
		if (j == n || (i < m->nknown && old[i].pid < pids[j])) {
			proc_gone(m, &old[i]);
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
static int
find_pids(struct pw_monitor *m, int64_t now_ms, pid_t **pids, size_t *n,
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
	struct known *k;
	size_t i;

	for (i = 0; i < n; i++)
		if ((k = known_find(m, news[i])) != NULL && k->proc == NULL) {
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
 * Is an unmonitored pid to be described this cycle?  Those of pid and
 * pidfile targets are, every cycle; the others when their recheck is due.
 */
static bool
is_due(const struct pw_monitor *m, const struct known *k, int64_t now_ms)
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
static int
resolve(struct pw_monitor *m, int64_t now_ms, struct pw_proc ***fresh,
    size_t *nfresh)
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
		struct known *k = &m->known[i];

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
		struct known *k = &m->known[i];

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
		struct known *k = &m->known[idx[i]];

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
		struct known *k = &m->known[idx[i]];

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

/* --- sampling -------------------------------------------------------------- */

/*
 * The descriptor budget for this cycle: the configured one, else derived
 * from the soft limit now in force (the daemon may raise it after start).
 */
static size_t
fd_budget(const struct pw_monitor *m)
{
	struct rlimit rl;
	rlim_t reserve;

	if (m->cfg.max_open_fds != 0)
		return m->cfg.max_open_fds;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return SIZE_MAX;
	reserve = rl.rlim_cur / 4 > 256 ? rl.rlim_cur / 4 : 256;
	return rl.rlim_cur > reserve ? (size_t)(rl.rlim_cur - reserve) : 0;
}

/*
 * Re-read the cgroup of a monitored process (on the fd-limit schedule:
 * nothing in the files we read every cycle says a process moved).  A new
 * path is kept in p->new_cgroup for the cycle to act on and the commit to
 * publish.
 */
static void
recheck_cgroup(struct pw_monitor *m, struct pw_proc *p)
{
	char *path = NULL;

	if (pw_cgroup_read(m->cfg.proc_root, p->pid, &path) < 0)
		return;
	if (p->cgroup != NULL && strcmp(path, p->cgroup) == 0) {
		free(path);
		return;
	}
	free(p->new_cgroup);
	p->new_cgroup = path;
}

static void
sample_proc(struct pw_monitor *m, struct known *k, int64_t now_ms,
    uint64_t *errors, uint64_t *vanished)
{
	struct pw_proc *p = k->proc;
	struct pw_procstat st;
	unsigned held = pw_prochandle_nfds(&p->h);
	bool keep;
	int rc;

	/*
	 * Keep descriptors only while the whole handle fits in the budget;
	 * otherwise this read closes what it holds, which gives room back.
	 */
	keep = p->keep_open &&
	    m->fds_kept - held + PW_PROCHANDLE_FDS_MAX <= m->fds_budget;
	/* The group's deltas start from it (and an exit reports it). */
	p->prev = p->pending;
	p->has_prev = p->has_last;
	/* p->pending still holds the last sample: the idle check's base. */
	rc = pw_procfs_sample_since(m->fs, &p->h, keep,
	    p->start_ticks, p->has_last ? &p->pending : NULL, &p->pending, &st);
	if (rc == -EMFILE || rc == -ENFILE) {
		/* Out of descriptors: read this one the slow way from now on. */
		p->keep_open = false;
		pw_prochandle_close(&p->h);
		rc = pw_procfs_sample(m->fs, &p->h, false, p->start_ticks,
		    &p->pending, &st);
	}
	m->fds_kept = m->fds_kept - held + pw_prochandle_nfds(&p->h);
	if (rc == -ESRCH) {
		(*vanished)++;
		p->pending = p->prev;	/* a failed read may have written it */
		proc_gone(m, k);
		k->target = -1;
		k->recheck_ms = INT64_MIN;	/* the pid may be reused */
		return;
	}
	if (rc < 0) {
		(*errors)++;
		p->has_pending = false;
		return;
	}
	p->pending.ts_ms = now_ms;
	if (rc != PW_PROCFS_UNCHANGED)	/* else st is not filled */
		memcpy(p->pending_comm, st.comm, sizeof(p->pending_comm));
	else
		m->idle_skips++;
	p->has_pending = true;
	p->has_last = true;
	if (now_ms >= p->limits_due_ms) {
		uint64_t lim;

		if (pw_procfs_read_fd_limit(m->fs, p->pid, &lim) == 0)
			p->fd_limit = lim;
		recheck_cgroup(m, p);
		/* Spread the re-reads so they do not all land in one cycle. */
		p->limits_due_ms = now_ms + m->cfg.limits_every_ms / 2 +
		    (int64_t)(p->id % 1000) * m->cfg.limits_every_ms / 2000;
	}
}

/*
 * Processes whose cgroup changed: one a cgroup or unit target selected by
 * itself that it no longer matches has left that group; it is dropped and
 * matched afresh next cycle, as a new process.
 */
static void
moved_cgroups(struct pw_monitor *m)
{
	struct pw_procinfo pi;
	const struct pw_target *t;
	size_t i;

	for (i = 0; i < m->nknown; i++) {
		struct known *k = &m->known[i];
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
		proc_gone(m, k);
		k->target = -1;
		k->direct = false;
		k->recheck_ms = INT64_MIN;
		k->recheck_step_ms = 0;
	}
}

/* Feed this cycle's members to their groups and finish the samples. */
static void
account_groups(struct pw_monitor *m)
{
	size_t i;

	for (i = 0; i < m->nknown; i++) {
		struct known *k = &m->known[i];
		struct pw_proc *p = k->proc;
		struct pw_groupacc *a;

		if (p == NULL || k->target < 0 || (size_t)k->target >= m->naccs)
			continue;
		a = m->accs[k->target];
		if (!p->has_pending)
			pw_groupacc_unsampled(a);
		else
			(void)pw_groupacc_member(a, p->pid, p->ppid,
			    p->has_prev ? &p->prev : NULL, &p->pending,
			    p->fd_limit, p->start_time_ms);
	}
	for (i = 0; i < m->naccs; i++)
		pw_groupacc_end(m->accs[i], m->hz, &m->gsamples[i]);
}

/* Publish the cycle: one pass under the write lock, no I/O. */
static uint64_t
commit(struct pw_monitor *m, int64_t now_ms, struct pw_proc **fresh,
    size_t nfresh, uint64_t mem_total)
{
	struct pw_store *st = m->store;
	uint64_t pushed = 0, *ids = NULL;
	size_t i, nids = 0;

	pw__store_wrlock(st);
	for (i = 0; i < nfresh; i++)
		if (pw__store_insert(st, fresh[i]) < 0) {
			/* Not in the store: forget it, it is found again later. */
			struct known *k = known_find(m, fresh[i]->pid);

			if (k != NULL) {
				k->proc = NULL;
				k->recheck_ms = INT64_MIN;
			}
			pw__proc_free(fresh[i]);
			fresh[i] = NULL;
		}
	for (i = 0; i < st->nprocs; i++) {
		struct pw_proc *p = st->procs[i];

		if (p->alive && p->vanished) {
			p->alive = false;
			p->gone_ms = now_ms;
		}
		if (p->new_cgroup != NULL) {
			free(p->cgroup);
			p->cgroup = p->new_cgroup;
			p->new_cgroup = NULL;
		}
		if (!p->has_pending)
			continue;
		pw_ring_push(p->ring, &p->pending);
		memcpy(p->comm, p->pending_comm, sizeof(p->comm));
		p->has_pending = false;
		pushed++;
	}
	for (i = 0; m->groups_ok && i < m->naccs; i++)
		pw__store_group_push(st, i, &m->gsamples[i]);
	if (mem_total != 0)
		st->mem_total = mem_total;
	st->taken_ms = now_ms;
	m->freed_since_trim += pw__store_expire(st,
	    now_ms - (int64_t)m->cfg.retention_ms,
	    m->custom != NULL ? &ids : NULL, &nids);
	pw__store_unlock(st);
	/* Their custom series go with their history, not an hour later. */
	if (nids > 0) {
		qsort(ids, nids, sizeof(*ids), cmp_u64);
		pw_custom_drop_procs(m->custom, ids, nids);
	}
	free(ids);
	return pushed;
}

/*
 * Process churn frees rings and strings of every size in the sampler's
 * arena; glibc keeps such memory for reuse and the daemon's RSS ratchets
 * up.  After many frees, at most every 10 s, hand it back to the kernel.
 */
static void
trim_heap(struct pw_monitor *m, int64_t now_ms)
{
#ifdef HAVE_MALLOC_TRIM
	if (m->freed_since_trim < 64 || now_ms - m->trimmed_ms < 10000)
		return;
	malloc_trim(0);
	m->freed_since_trim = 0;
	m->trimmed_ms = now_ms;
#else
	(void)m;
	(void)now_ms;
#endif
}

int
pw_monitor_cycle(struct pw_monitor *m, int64_t now_ms)
{
	struct pw_proc **fresh = NULL;
	size_t npids = 0, nfresh = 0, i;
	uint64_t errors = 0, vanished = 0, mem_total = 0, pushed;
	pid_t *pids = NULL, *news = NULL;
	size_t nnews = 0;
	bool listing;
	int rc;

	if ((rc = find_pids(m, now_ms, &pids, &npids, &news, &nnews,
	    &listing)) < 0)
		return rc;
	for (i = 0; i < m->naccs; i++)
		pw_groupacc_begin(m->accs[i], now_ms);
	rc = merge_pids(m, pids, npids, listing);
	free(pids);
	if (rc == 0)
		recheck_news(m, news, nnews);
	free(news);
	if (rc < 0)
		return rc;
	read_pidfiles(m);
	if ((rc = resolve(m, now_ms, &fresh, &nfresh)) < 0)
		goto out;
	/* Counted afresh: handles are also closed outside sample_proc(). */
	m->fds_budget = fd_budget(m);
	m->fds_kept = 0;
	for (i = 0; i < m->nknown; i++)
		if (m->known[i].proc != NULL)
			m->fds_kept += pw_prochandle_nfds(&m->known[i].proc->h);
	for (i = 0; i < m->nknown; i++)
		if (m->known[i].proc != NULL)
			sample_proc(m, &m->known[i], now_ms, &errors,
			    &vanished);
	moved_cgroups(m);
	account_groups(m);
	if (now_ms >= m->mem_due_ms) {
		if (pw_procfs_mem_total(m->fs, &mem_total) < 0)
			mem_total = 0;
		m->mem_due_ms = now_ms + m->cfg.limits_every_ms;
	}
	pushed = commit(m, now_ms, fresh, nfresh, mem_total);
	trim_heap(m, now_ms);
	pthread_mutex_lock(&m->mtx);
	m->st.cycles++;
	m->st.samples += pushed;
	m->st.sample_errors += errors;
	m->st.vanished += vanished;
	m->st.samples_unchanged = m->idle_skips;
	m->st.listings = m->listings;
	m->st.fds_kept = m->fds_kept;
	m->st.fds_budget = m->fds_budget == SIZE_MAX ? 0 : m->fds_budget;
	pthread_mutex_unlock(&m->mtx);
	collect(m, now_ms);
out:
	free(fresh);
	return rc;
}

/* --- collectors ------------------------------------------------------------ */

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
collect_one(struct pw_monitor *m, const struct msource *src,
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
static void
collect(struct pw_monitor *m, int64_t now_ms)
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

/* --- statistics ------------------------------------------------------------ */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t
quantile(const uint64_t *v, size_t n, double q)
{
	uint64_t tmp[STATS_WINDOW];
	size_t at;

	if (n == 0)
		return 0;
	memcpy(tmp, v, n * sizeof(*v));
	qsort(tmp, n, sizeof(*tmp), cmp_u64);
	at = (size_t)(q * (double)(n - 1) + 0.5);
	return tmp[at];
}

static void
record_cycle(struct pw_monitor *m, uint64_t dur_ns, uint64_t late_ns)
{
	pthread_mutex_lock(&m->mtx);
	m->cycle_ns[m->winpos] = dur_ns;
	m->jitter_ns[m->winpos] = late_ns;
	m->winpos = (m->winpos + 1) % STATS_WINDOW;
	if (m->nwin < STATS_WINDOW)
		m->nwin++;
	m->st.cycle_ns_total += dur_ns;
	m->st.cycle_ns_last = dur_ns;
	if (late_ns > m->st.jitter_ns_max)
		m->st.jitter_ns_max = late_ns;
	pthread_mutex_unlock(&m->mtx);
}

void
pw_monitor_get_stats(struct pw_monitor *m, struct pw_monitor_stats *out)
{
	uint64_t cyc[STATS_WINDOW], jit[STATS_WINDOW];
	size_t n;

	pthread_mutex_lock(&m->mtx);
	*out = m->st;
	n = m->nwin;
	memcpy(cyc, m->cycle_ns, n * sizeof(*cyc));
	memcpy(jit, m->jitter_ns, n * sizeof(*jit));
	pthread_mutex_unlock(&m->mtx);
	out->cycle_ns_p50 = quantile(cyc, n, 0.50);
	out->cycle_ns_p99 = quantile(cyc, n, 0.99);
	out->jitter_ns_p99 = quantile(jit, n, 0.99);
	pw_store_counts(m->store, &out->procs_alive, &out->procs_gone);
}

/* --- thread ---------------------------------------------------------------- */

static void *
sampler_main(void *arg)
{
	struct pw_monitor *m = arg;
	uint64_t period = (uint64_t)m->cfg.interval_ms * 1000000u;
	uint64_t deadline = pw_mono_ns(), t0, t1;
	/* Sample times follow the monotonic clock from one wall anchor, so
	 * a wall clock step cannot reorder a ring. */
	int64_t anchor_wall = pw_wall_ms();
	uint64_t anchor_mono = deadline;
	struct timespec ts;

	pthread_mutex_lock(&m->mtx);
	while (!m->stop) {
		pthread_mutex_unlock(&m->mtx);
		t0 = pw_mono_ns();
		pw_monitor_cycle(m, anchor_wall +
		    (int64_t)((t0 - anchor_mono) / 1000000u));
		t1 = pw_mono_ns();
		m->last_cycle_ns = t1;
		record_cycle(m, t1 - t0, t0 > deadline ? t0 - deadline : 0);
		if (m->hook != NULL)
			m->hook(m, anchor_wall +
			    (int64_t)((t0 - anchor_mono) / 1000000u),
			    m->hook_arg);
		/* Next deadline; skip the ones already missed. */
		deadline += period;
		t1 = pw_mono_ns();
		if (deadline < t1)
			deadline += ((t1 - deadline) / period + 1) * period;
		ts.tv_sec = (time_t)(deadline / 1000000000u);
		ts.tv_nsec = (long)(deadline % 1000000000u);
		pthread_mutex_lock(&m->mtx);
		while (!m->stop &&
		    pthread_cond_timedwait(&m->cond, &m->mtx, &ts) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&m->mtx);
	return NULL;
}

int
pw_monitor_start(struct pw_monitor *m)
{
	pthread_condattr_t ca;
	int rc;

	if (m->running)
		return -EALREADY;
	/* The deadline is on CLOCK_MONOTONIC: rebuild the cond for it. */
	pthread_cond_destroy(&m->cond);
	if (pthread_condattr_init(&ca) != 0)
		return -ENOMEM;
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	rc = pthread_cond_init(&m->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (rc != 0)
		return -rc;
	m->stop = false;
	if (m->st.started_ms == 0)
		m->st.started_ms = pw_wall_ms();	/* kept across reloads */
	if ((rc = pthread_create(&m->thread, NULL, sampler_main, m)) != 0)
		return -rc;
	m->running = true;
	pthread_mutex_lock(&m->mtx);
	m->st.realtime = false;
	m->st.realtime_error = 0;
	if (m->cfg.realtime) {
		struct sched_param sp = { .sched_priority = 1 };

		rc = pthread_setschedparam(m->thread, SCHED_FIFO, &sp);
		m->st.realtime = rc == 0;
		m->st.realtime_error = -rc;
	}
	pthread_mutex_unlock(&m->mtx);
	return 0;
}

void
pw_monitor_stop(struct pw_monitor *m)
{
	if (!m->running)
		return;
	pthread_mutex_lock(&m->mtx);
	m->stop = true;
	pthread_cond_signal(&m->cond);
	pthread_mutex_unlock(&m->mtx);
	pthread_join(m->thread, NULL);
	m->running = false;
}

/* --- reload ---------------------------------------------------------------- */

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

int
pw_monitor_reload(struct pw_monitor *m, const struct pw_monitor_config *cfg)
{
	struct pw_monitor_config nc = *cfg;
	bool was_running = m->running;
	struct pw_procinfo pi;
	pid_t *pidfile_pids;
	size_t i;
	int rc = 0, t;

	if (cfg->interval_ms == 0 || cfg->history == 0)
		return -EINVAL;
	pidfile_pids = calloc(cfg->ntargets ? cfg->ntargets : 1,
	    sizeof(*pidfile_pids));
	if (pidfile_pids == NULL)
		return -ENOMEM;
	pw_monitor_stop(m);
	/* Before m->cfg changes: the old names pick the counters kept. */
	if ((rc = accs_make(m, &nc)) < 0) {
		free(pidfile_pids);
		if (was_running)
			(void)pw_monitor_start(m);
		return rc;
	}
	nc.proc_root = m->cfg.proc_root;
	nc.use_libproc2 = m->cfg.use_libproc2;
	/* Under mtx: pw_monitor_target_names() reads it from HTTP threads. */
	pthread_mutex_lock(&m->mtx);
	m->cfg = nc;
	pthread_mutex_unlock(&m->mtx);
	free(m->pidfile_pids);
	m->pidfile_pids = pidfile_pids;
	read_pidfiles(m);

	/* Which target selects each monitored process now. */
	for (i = 0; i < m->nknown; i++) {
		struct known *k = &m->known[i];

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
		struct known *k = &m->known[i];
		struct pw_proc *p = k->proc;
		char *name;

		if (p == NULL)
			continue;
		if ((t = k->target) < 0)
			t = ancestor_match(m, k);
		if (t < 0) {
			proc_gone(m, k);	/* no longer selected */
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

	pthread_mutex_lock(&m->mtx);
	m->st.targets = m->cfg.ntargets ? m->cfg.ntargets : 1;
	m->st.interval_ms = m->cfg.interval_ms;
	pthread_mutex_unlock(&m->mtx);
	if (was_running)
		rc = pw_monitor_start(m);
	return rc;
}
