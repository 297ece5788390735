/*
 * cycle.c: one sampling cycle, and the figures about cycles.
 *
 * DESIGN: a cycle finds its pids (discover.c), then reads every monitored
 * process through descriptors kept open across cycles (procwatch/procfs.h)
 * without any lock, feeds the groups' accumulators, and commits the whole
 * cycle to the store under its write lock in one pass with no I/O.  The
 * collectors (collect.c) run after the commit.  Everything but the
 * statistics is the sampler thread's own; the statistics are under
 * pw_monitor.mtx for pw_monitor_get_stats() on other threads.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <sys/resource.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/cgroup.h>
#include <procwatch/monitor.h>

#include "monitor_impl.h"
#include "procfs_impl.h"

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
sample_proc(struct pw_monitor *m, struct pw__known *k, int64_t now_ms,
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
		pw__oom_note_exit(m, k);
		pw__discover_gone(m, k);
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
	/* An unchanged read copied the last sample's dropped rates. */
	if (rc == PW_PROCFS_UNCHANGED)
		p->pending.flags &= ~p->delays_dropped;
	p->delays_dropped = p->has_prev ? pw__delays_check(&p->prev,
	    &p->pending, m->delays_on_since_ms) : 0;
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

/* Feed this cycle's members to their groups and finish the samples. */
static void
account_groups(struct pw_monitor *m)
{
	size_t i;

	for (i = 0; i < m->nknown; i++) {
		struct pw__known *k = &m->known[i];
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

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
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
			struct pw__known *k;

			k = pw__discover_find(m, fresh[i]->pid);
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
		if (p->pss_dirty) {
			p->pss = p->pss_next;
			p->pss_dirty = false;
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
	m->expired += pw__store_expire(st,
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

	if ((rc = pw__discover_pids(m, now_ms, &pids, &npids, &news, &nnews,
	    &listing)) < 0)
		return rc;
	/* Before the merge: a process gone from the list is an exit. */
	for (i = 0; i < m->naccs; i++)
		pw_groupacc_begin(m->accs[i], now_ms);
	if (m->oom != NULL)
		pw_oom_begin(m->oom);
	rc = pw__discover_merge(m, pids, npids, news, nnews, listing);
	free(pids);
	free(news);
	if (rc < 0)
		return rc;
	if ((rc = pw__discover_resolve(m, now_ms, &fresh, &nfresh)) < 0)
		goto out;
	/* One small read: the switch can be flipped at any time. */
	pw__monitor_delays_refresh(m, now_ms);
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
	pw__discover_moved_cgroups(m);
	account_groups(m);
	pw__pss_cycle(m, now_ms);
	pw__oom_cycle(m, now_ms);
	if (now_ms >= m->mem_due_ms) {
		if (pw_procfs_mem_total(m->fs, &mem_total) < 0)
			mem_total = 0;
		m->mem_due_ms = now_ms + m->cfg.limits_every_ms;
	}
	pushed = commit(m, now_ms, fresh, nfresh, mem_total);
	pthread_mutex_lock(&m->mtx);
	m->st.cycles++;
	m->st.samples += pushed;
	m->st.sample_errors += errors;
	m->st.vanished += vanished;
	m->st.samples_unchanged = m->idle_skips;
	m->st.listings = m->listings;
	m->st.fds_kept = m->fds_kept;
	m->st.fds_budget = m->fds_budget == SIZE_MAX ? 0 : m->fds_budget;
	m->st.procs_expired = m->expired;
	m->st.pss_reads = m->pss_reads;
	m->st.pss_denied = m->pss_denied;
	m->st.pss_ns_total = m->pss_ns;
	pthread_mutex_unlock(&m->mtx);
	pw__collect_run(m, now_ms);
out:
	free(fresh);
	return rc;
}

/* --- statistics ------------------------------------------------------------ */

static uint64_t
quantile(const uint64_t *v, size_t n, double q)
{
	uint64_t tmp[PW__STATS_WINDOW];
	size_t at;

	if (n == 0)
		return 0;
	memcpy(tmp, v, n * sizeof(*v));
	qsort(tmp, n, sizeof(*tmp), cmp_u64);
	at = (size_t)(q * (double)(n - 1) + 0.5);
	return tmp[at];
}

void
pw__cycle_record(struct pw_monitor *m, uint64_t dur_ns, uint64_t late_ns)
{
	pthread_mutex_lock(&m->mtx);
	m->cycle_ns[m->winpos] = dur_ns;
	m->jitter_ns[m->winpos] = late_ns;
	m->winpos = (m->winpos + 1) % PW__STATS_WINDOW;
	if (m->nwin < PW__STATS_WINDOW)
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
	uint64_t cyc[PW__STATS_WINDOW], jit[PW__STATS_WINDOW];
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
