/*
 * sampler.c: the sampler thread: one cycle per interval on a drift-free
 * schedule, started and stopped by the owner, paused for a reload.
 *
 * DESIGN: the thread sleeps on absolute CLOCK_MONOTONIC deadlines
 * (pthread_cond_timedwait on a cond set to that clock), so the schedule
 * does not drift, missed deadlines are skipped rather than run late in a
 * burst, and a stop request wakes it at once.  Sample times follow the
 * monotonic clock from one wall-clock anchor taken at start, so a step of
 * the wall clock cannot reorder a ring.  A reload stops the thread, swaps
 * the configuration and starts it again: nothing else is paused.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <procwatch/alertq.h>
#include <procwatch/monitor.h>
#include <procwatch/rules.h>

#include "monitor_impl.h"
#include "pwutil.h"

void
pw_monitor_set_cycle_hook(struct pw_monitor *m, pw_cycle_fn *fn, void *arg)
{
	m->hook = fn;
	m->hook_arg = arg;
}

uint64_t
pw_monitor_last_cycle_ns(struct pw_monitor *m)
{
	return m->last_cycle_ns;
}

void
pw_monitor_set_alerts(struct pw_monitor *m, struct pw_alerts *alerts,
    struct pw_alertq *q)
{
	m->alerts = alerts;
	m->alertq = q;
}

/*
 * The rules after a commit: evaluated here, by the engine, and handed to
 * the consumer through the bounded queue.  Without memory for the
 * snapshot this cycle is not evaluated; the next one catches up, as the
 * rules' durations are measured in time, not cycles.
 */
static void
evaluate(struct pw_monitor *m, int64_t now_ms)
{
	struct pw_snapshot *snap;
	struct pw_alert *t = NULL;
	size_t nt = 0;

	if (m->alerts == NULL || m->alertq == NULL)
		return;
	if (pw_store_snapshot(m->store, false, &snap) < 0)
		return;
	if (pw_alerts_eval(m->alerts, snap, now_ms, &t, &nt) < 0)
		nt = 0;
	pw_snapshot_free(snap);
	(void)pw_alertq_push(m->alertq, t, nt);
	free(t);
}

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
		pw__cycle_record(m, t1 - t0, t0 > deadline ? t0 - deadline : 0);
		evaluate(m, anchor_wall +
		    (int64_t)((t0 - anchor_mono) / 1000000u));
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
		m->st.started_ms = pw_wall_ms(); /* kept across reloads */
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

int
pw_monitor_reload(struct pw_monitor *m, const struct pw_monitor_config *cfg)
{
	struct pw_monitor_config nc = *cfg;
	bool was_running = m->running;
	pid_t *pidfile_pids;
	int rc = 0;

	if (cfg->interval_ms == 0 || cfg->history == 0)
		return -EINVAL;
	pidfile_pids = calloc(cfg->ntargets ? cfg->ntargets : 1,
	    sizeof(*pidfile_pids));
	if (pidfile_pids == NULL)
		return -ENOMEM;
	pw_monitor_stop(m);
	/* Before m->cfg changes: the old names pick the counters kept. */
	if ((rc = pw__monitor_accs_make(m, &nc)) < 0) {
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
	pw__discover_retarget(m);

	pthread_mutex_lock(&m->mtx);
	m->st.targets = m->cfg.ntargets ? m->cfg.ntargets : 1;
	m->st.interval_ms = m->cfg.interval_ms;
	pthread_mutex_unlock(&m->mtx);
	if (was_running)
		rc = pw_monitor_start(m);
	return rc;
}
