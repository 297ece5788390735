/*
 * monitor.c: a monitor's life: create, free, the accessors other threads
 * may call, and the per-group accumulators that survive a reload.
 *
 * DESIGN: the monitor is five files around one struct (monitor_impl.h):
 * discover.c finds pids and matches them to targets, cycle.c samples and
 * commits one cycle, collect.c runs the custom collectors, sampler.c is
 * the thread.  A cycle is discover -> sample -> account -> commit ->
 * collect; only the commit takes the store's write lock.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <procwatch/delay.h>
#include <procwatch/monitor.h>

#include "monitor_impl.h"

void
pw_monitor_config_defaults(struct pw_monitor_config *c)
{
	memset(c, 0, sizeof(*c));
	c->interval_ms = PW_DEFAULT_INTERVAL_MS;
	c->history = PW_DEFAULT_HISTORY;
	c->retention_ms = PW_DEFAULT_RETENTION_MS;
	c->limits_every_ms = PW_DEFAULT_LIMITS_MS;
	c->pss_every_ms = PW_DEFAULT_PSS_EVERY_MS;
	c->pss_top = PW_DEFAULT_PSS_TOP;
	c->oom_alert_ms = PW_DEFAULT_OOM_ALERT_MS;
	c->use_libproc2 = true;
	c->keep_open = true;
	c->delay_taskstats = true;
}

/*
 * Where samples get their delays: taskstats when it answers, else
 * schedstat and stat; and whether the kernel counts the delays that need
 * delay accounting.  Thread: the owner in pw_monitor_new(), then the
 * sampler (pw__monitor_delays_refresh()).
 */
static void
delays_setup(struct pw_monitor *m)
{
	int err = 0;

	m->st.delay_reason[0] = '\0';
	if (!m->cfg.delay_taskstats)
		snprintf(m->st.delay_reason, sizeof(m->st.delay_reason),
		    "taskstats: off in the configuration");
	else if (strcmp(m->cfg.proc_root, "/proc") != 0)
		snprintf(m->st.delay_reason, sizeof(m->st.delay_reason),
		    "taskstats: not for a procfs root other than /proc");
	else
		m->ts = pw_taskstats_open(&err, m->st.delay_reason,
		    sizeof(m->st.delay_reason));
	m->delays.fn = m->ts != NULL ? pw_taskstats_query : NULL;
	m->delays.arg = m->ts;
	m->st.delay_taskstats = m->ts != NULL;
	m->delays_off_ms = m->delays_on_since_ms = INT64_MIN;
	pw__monitor_delays_refresh(m, INT64_MIN);
	pw_procfs_set_delays(m->fs, &m->delays);
}

void
pw_monitor_set_delay_note(struct pw_monitor *m, const char *note)
{
	pthread_mutex_lock(&m->mtx);
	snprintf(m->st.delayacct_note, sizeof(m->st.delayacct_note), "%s",
	    note != NULL ? note : "");
	pthread_mutex_unlock(&m->mtx);
}

void
pw__monitor_delays_refresh(struct pw_monitor *m, int64_t now_ms)
{
	bool on = false;
	int rc;

	rc = pw_delayacct_get(m->fs, &on);
	/* Without the switch (before 5.14) it is on whenever built in. */
	if (rc == -ENOENT && strcmp(m->cfg.proc_root, "/proc") == 0) {
		on = true;
		rc = 1;
	}
	m->delays.delayacct = rc >= 0 && on;
	if (now_ms != INT64_MIN) {
		/*
		 * On since it was last seen off; first seen on: since now, as
		 * the owner may just have turned it on (delay_accounting).
		 */
		if (!m->delays.delayacct) {
			m->delays_off_ms = now_ms;
			m->delays_on_since_ms = INT64_MIN;
		} else if (m->delays_on_since_ms == INT64_MIN)
			m->delays_on_since_ms = m->delays_off_ms != INT64_MIN ?
			    m->delays_off_ms : now_ms;
	}
	pthread_mutex_lock(&m->mtx);
	m->st.delayacct = rc < 0 ? rc : on;
	pthread_mutex_unlock(&m->mtx);
}

static void
accs_free(struct pw_groupacc **accs, size_t n)
{
	size_t i;

	for (i = 0; accs != NULL && i < n; i++)
		pw_groupacc_free(accs[i]);
	free(accs);
}

/* The index of m's accumulator (not yet taken) for group `name`, or -1. */
static ssize_t
acc_find(const struct pw_monitor *m, const char *name)
{
	size_t j;

	for (j = 0; j < m->naccs; j++)
		if (m->accs[j] != NULL &&
		    strcmp(pw__monitor_target_name(&m->cfg, j), name) == 0)
			return (ssize_t)j;
	return -1;
}

/*
 * The accumulators for the targets of `cfg`, in its order: those of groups
 * whose name stays are moved over from m (their counters carry on), the
 * rest are new.  Returns 0 or -ENOMEM (m untouched).
 */
int
pw__monitor_accs_make(struct pw_monitor *m, const struct pw_monitor_config *cfg)
{
	size_t i, n = cfg->ntargets ? cfg->ntargets : 1;
	struct pw_group_sample *gs;
	struct pw_groupacc **accs;
	ssize_t j;

	accs = calloc(n, sizeof(*accs));
	gs = calloc(n, sizeof(*gs));
	if (accs == NULL || gs == NULL || pw__oom_groups(m, n) < 0)
		goto fail;
	for (i = 0; i < n; i++)
		if (acc_find(m, pw__monitor_target_name(cfg, i)) < 0 &&
		    (accs[i] = pw_groupacc_new()) == NULL)
			goto fail;
	/* Nothing can fail now: take over the ones that stay. */
	for (i = 0; i < n; i++)
		if (accs[i] == NULL) {
			j = acc_find(m, pw__monitor_target_name(cfg, i));
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
	if (pw__monitor_accs_make(m, cfg) < 0 ||
	    pw__store_set_groups(m->store, cfg->targets, cfg->ntargets) < 0) {
		accs_free(m->accs, m->naccs);
		free(m->gsamples);
		pw__oom_fini(m);
		goto out_cond;
	}
	m->groups_ok = true;
	delays_setup(m);
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
	free(m->pss_queue);
	accs_free(m->accs, m->naccs);
	free(m->gsamples);
	pw__oom_fini(m);
	pw_source_free(m->src);
	pw_procfs_free(m->fs);
	pw_taskstats_close(m->ts);
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
