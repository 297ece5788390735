/*
 * monitor_oom.c: each group's cgroup figures (pressure, memory events)
 * and the OOM kills of watched processes, once per cycle.
 *
 * DESIGN: a cgroup target's cgroup is its path; a unit target's is found
 * from a member's cgroup path (cut after the unit's component) and kept
 * while the unit has no member.  Other targets have none.  The figures
 * are read on the sampler after the groups are accounted and before the
 * commit, so each group sample carries the cgroup figures of its cycle.
 * The OOM detector (procwatch/oom.h) gets the exits of the cycle, noted
 * where the sampler finds a process gone, and the counters; its kills go
 * into a ring under m->mtx for other threads and into the groups'
 * counters.  The cgroup mounts are looked up again on the schedule of
 * the descriptor limits.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/cgroup.h>
#include <procwatch/monitor.h>
#include <procwatch/oom.h>
#include <procwatch/psi.h>

#include "monitor_impl.h"

#define KILLS_PER_CYCLE	64

static void
ogroups_free(struct pw__ogroup *g, size_t n)
{
	size_t i;

	for (i = 0; g != NULL && i < n; i++)
		free(g[i].cgpath);
	free(g);
}

int
pw__oom_groups(struct pw_monitor *m, size_t n)
{
	struct pw__ogroup *g;

	if ((g = calloc(n ? n : 1, sizeof(*g))) == NULL)
		return -ENOMEM;
	if (m->oom == NULL) {
		if ((m->oom = pw_oom_new(n)) == NULL)
			goto fail;
	} else if (pw_oom_set_groups(m->oom, n) < 0)
		goto fail;
	if (m->oomk == NULL && (m->oomk = calloc(PW_MONITOR_OOM_KEPT,
	    sizeof(*m->oomk))) == NULL)
		goto fail;
	ogroups_free(m->ogroups, m->naccs);
	m->ogroups = g;
	return 0;
fail:
	free(g);
	return -ENOMEM;
}

void
pw__oom_fini(struct pw_monitor *m)
{
	ogroups_free(m->ogroups, m->naccs);
	m->ogroups = NULL;
	pw_oom_free(m->oom);
	m->oom = NULL;
	free(m->oomk);
	m->oomk = NULL;
}

void
pw__oom_note_exit(struct pw_monitor *m, const struct pw__known *k)
{
	const struct pw_proc *p = k->proc;
	struct pw_oom_exit x;
	int sig;
	int64_t ems;

	if (p == NULL || m->oom == NULL)
		return;
	memset(&x, 0, sizeof(x));
	x.pid = p->pid;
	memcpy(x.comm, p->comm, sizeof(x.comm));
	x.group = k->target >= 0 && (size_t)k->target < m->naccs ?
	    k->target : -1;
	if (x.group >= 0)
		snprintf(x.target, sizeof(x.target), "%s",
		    pw__monitor_target_name(&m->cfg, (size_t)x.group));
	x.rss_bytes = p->has_last ? p->pending.rss_bytes : 0;
	if (p->cgroup != NULL)
		snprintf(x.cgroup, sizeof(x.cgroup), "%s", p->cgroup);
	x.signal = -1;
	/* The feed has the exit by now: it is read as it happens. */
	if (m->exit_fn != NULL && m->exit_fn(m->exit_arg, p->pid,
	    p->start_time_ms, &sig, &ems) == 0) {
		x.signal = sig;
		x.exit_ms = ems;
	}
	(void)pw_oom_exit(m->oom, &x);
}

/* Group i's cgroup path now, or NULL (not a cgroup or unit target). */
static const char *
group_cgroup(struct pw_monitor *m, size_t i, bool *no_member)
{
	const struct pw_target *t;
	struct pw__ogroup *g = &m->ogroups[i];
	size_t j, len;
	char *path;

	*no_member = false;
	if (m->cfg.ntargets == 0 || i >= m->cfg.ntargets)
		return NULL;
	t = &m->cfg.targets[i];
	if (t->sel == PW_SEL_CGROUP)
		return t->cgroup;
	if (t->sel != PW_SEL_UNIT)
		return NULL;
	/* The first member (in pid order) with the unit in its path. */
	for (j = 0; j < m->nknown; j++) {
		const struct pw_proc *p = m->known[j].proc;

		if (p == NULL || m->known[j].target != (int)i ||
		    p->cgroup == NULL ||
		    (len = pw_cgroup_unit_prefix(p->cgroup, t->unit)) == 0)
			continue;
		if (g->cgpath == NULL || strlen(g->cgpath) != len ||
		    memcmp(g->cgpath, p->cgroup, len) != 0) {
			if ((path = strndup(p->cgroup, len)) == NULL)
				break;		/* keep the old one */
			free(g->cgpath);
			g->cgpath = path;
		}
		break;
	}
	*no_member = g->cgpath == NULL;
	return g->cgpath;
}

/* Count a kill in group i's totals and in its window. */
static void
count_kill(struct pw__ogroup *g, int64_t ts_ms)
{
	g->kills++;
	g->recent[g->pos] = ts_ms;
	g->pos = (g->pos + 1) % PW__OOM_RECENT;
	if (g->nrecent < PW__OOM_RECENT)
		g->nrecent++;
}

static uint32_t
count_recent(const struct pw__ogroup *g, int64_t now_ms, int64_t window_ms)
{
	uint32_t n = 0;
	size_t i;

	for (i = 0; i < g->nrecent; i++)
		if (g->recent[i] > now_ms - window_ms)
			n++;
	return n;
}

void
pw__oom_cycle(struct pw_monitor *m, int64_t now_ms)
{
	struct pw_oom_kill kills[KILLS_PER_CYCLE];
	struct pw_cgstat st;
	const char *path;
	uint64_t sys;
	size_t i, nk;
	bool no_member, sys_ok;

	if (m->oom == NULL || m->ogroups == NULL)
		return;
	if (now_ms >= m->cgfs_due_ms) {
		if (pw_cgfs_discover(m->cfg.proc_root, &m->cgfs) < 0)
			memset(&m->cgfs, 0, sizeof(m->cgfs));
		m->cgfs_due_ms = now_ms + m->cfg.limits_every_ms;
	}
	for (i = 0; i < m->naccs; i++) {
		path = group_cgroup(m, i, &no_member);
		pw_cgstat_read(&m->cgfs, path, &st);
		if (no_member)
			st.psi_why = st.mem_why = PW_CGW_NO_MEMBER;
		m->gsamples[i].cg = st;
		pw_oom_group(m->oom, i, path, &st);
	}
	/* Two statements: argument order is unspecified. */
	sys_ok = pw_vmstat_oom_kill(m->cfg.proc_root, &sys) == 0;
	pw_oom_system(m->oom, sys_ok, sys_ok ? sys : 0);
	nk = pw_oom_end(m->oom, now_ms, kills, KILLS_PER_CYCLE);
	for (i = 0; i < nk; i++)
		if (kills[i].group >= 0 && (size_t)kills[i].group < m->naccs)
			count_kill(&m->ogroups[kills[i].group], kills[i].ts_ms);
	for (i = 0; i < m->naccs; i++) {
		m->gsamples[i].oom_kills = m->ogroups[i].kills;
		m->gsamples[i].oom_kills_recent = count_recent(&m->ogroups[i],
		    now_ms, (int64_t)m->cfg.oom_alert_ms);
	}
	if (nk == 0)
		return;
	pthread_mutex_lock(&m->mtx);
	for (i = 0; i < nk; i++) {
		m->oomk[m->oomk_pos] = kills[i];
		m->oomk_pos = (m->oomk_pos + 1) % PW_MONITOR_OOM_KEPT;
		if (m->noomk < PW_MONITOR_OOM_KEPT)
			m->noomk++;
		m->oomk_total++;
	}
	pthread_mutex_unlock(&m->mtx);
}

void
pw_monitor_set_exit_lookup(struct pw_monitor *m, pw_exit_lookup_fn *fn,
    void *arg)
{
	m->exit_fn = fn;
	m->exit_arg = arg;
}

int
pw_monitor_oom_of(struct pw_monitor *m, pid_t pid, int64_t since_ms,
    struct pw_oom_kill *out)
{
	size_t i, at;
	int rc = -ENOENT;

	pthread_mutex_lock(&m->mtx);
	for (i = 0; i < m->noomk; i++) {
		at = (m->oomk_pos + PW_MONITOR_OOM_KEPT - 1 - i) %
		    PW_MONITOR_OOM_KEPT;
		if (m->oomk[at].pid == pid && m->oomk[at].ts_ms >= since_ms) {
			*out = m->oomk[at];
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&m->mtx);
	return rc;
}

int
pw_monitor_oom_kills(struct pw_monitor *m, struct pw_oom_kill **out,
    size_t *n, uint64_t *total)
{
	struct pw_oom_kill *v;
	size_t i, k, first;

	if ((v = malloc(PW_MONITOR_OOM_KEPT * sizeof(*v))) == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&m->mtx);
	k = m->noomk;
	first = (m->oomk_pos + PW_MONITOR_OOM_KEPT - k) % PW_MONITOR_OOM_KEPT;
	for (i = 0; i < k; i++)
		v[i] = m->oomk[(first + i) % PW_MONITOR_OOM_KEPT];
	if (total != NULL)
		*total = m->oomk_total;
	pthread_mutex_unlock(&m->mtx);
	*out = v;
	*n = k;
	return 0;
}
