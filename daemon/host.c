/*
 * daemon/host.c: what procwatchd does to and asks of the machine it runs
 * on, apart from the sampling itself: malloc's thresholds and trimming,
 * the descriptor limit, the kernel's delay accounting switch, why the
 * sampler or the HTTP threads did not get the priority asked for, and
 * what the service manager is told each tick.
 *
 * DESIGN: split out of main.c, which keeps the wiring (config, threads,
 * signals, reload) and calls these at start and from its loop; each is
 * self-contained, takes what it needs as arguments and only logs.
 */
#include <config.h>	/* autoconf's, not daemon/config.h */

#include <errno.h>
#if defined(HAVE_MALLOPT) || defined(HAVE_MALLOC_TRIM)
#include <malloc.h>
#endif
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <procwatch/delay.h>
#include <procwatch/monitor.h>
#include <procwatch/procfs.h>

#include "api/api.h"
#include "daemon/config.h"
#include "daemon/host.h"
#include "daemon/log.h"
#include "daemon/sdnotify.h"
#include "lib/pwutil.h"

/*
 * Large temporary buffers (a big /metrics page, a bottlenecks walk over
 * the events ring) are made and freed by HTTP threads.  glibc raises its
 * mmap and trim thresholds after the first such free and from then on
 * keeps the memory in those threads' arenas for good; fixed thresholds
 * send large blocks to mmap, which returns them on free.
 */
void
daemon_tune_malloc(void)
{
#ifdef HAVE_MALLOPT
	(void)mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	(void)mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
#endif
}

/*
 * Process churn frees rings and strings of every size in the sampler's
 * arena; glibc keeps such memory for reuse and the daemon's RSS ratchets
 * up.  Once 64 or more exited processes have been dropped from the store
 * (pw_monitor_stats.procs_expired), at most every 10 s, hand it back to
 * the kernel.  malloc_trim(0) walks every arena, so main can do it for
 * the sampler.  Thread: main.
 */
void
daemon_trim_tick(struct pw_monitor *mon, struct daemon_trim_state *ts)
{
#ifdef HAVE_MALLOC_TRIM
	struct pw_monitor_stats st;
	int64_t now = pw_mono_ns();

	pw_monitor_get_stats(mon, &st);
	if (st.procs_expired - ts->expired < 64 ||
	    (ts->trimmed_ns != 0 && now - ts->trimmed_ns < 10000000000LL))
		return;
	malloc_trim(0);
	ts->expired = st.procs_expired;
	ts->trimmed_ns = now;
#else
	(void)mon;
	(void)ts;
#endif
}

/*
 * Descriptors are kept open per monitored process: lift the soft limit.
 * The /proc budget leaves a quarter of it (at least 256, lib/cycle.c) to
 * the rest of the daemon; a flood of HTTP connections can take up to
 * 3 x max_connections of those (api/http.c), and with too few MHD would
 * stop accepting: say so at start.
 */
void
daemon_raise_nofile(unsigned max_connections)
{
	unsigned long long reserve, need;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
			log_warn("setrlimit NOFILE");
			(void)getrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	if (rl.rlim_cur == RLIM_INFINITY)
		return;
	reserve = rl.rlim_cur / 4 > 256 ? rl.rlim_cur / 4 : 256;
	need = 3ULL * max_connections + 64;
	if (reserve < need)
		log_warnx("RLIMIT_NOFILE %llu leaves %llu descriptors beside "
		    "the /proc budget, fewer than the %llu a flood of HTTP "
		    "connections can take (3 x max_connections %u + 64): "
		    "raise LimitNOFILE= to %llu or lower max_connections",
		    (unsigned long long)rl.rlim_cur, reserve, need,
		    max_connections, need * 4);
}

/*
 * Keep the service manager informed, once per main-loop tick: READY=1
 * once the first sample cycle has completed (the HTTP server already
 * listens), STATUS= when the summary changes, and WATCHDOG=1 only while
 * the sampler completes cycles.  The pings come from the main thread but
 * vouch for the sampler, which is what matters: a sampler stuck in a
 * blocking read stops them and WatchdogSec= restarts the service rather
 * than let it serve stale figures.  It may lag 3 intervals plus a second
 * (a slow cycle or a busy machine) before it counts as stuck.
 */
void
daemon_notify_tick(struct pw_monitor *mon, struct daemon_notify_state *ns)
{
	struct pw_monitor_stats st;
	char status[sizeof(ns->status)];
	uint64_t last, now, grace_ns;
	bool is_alive;

	if ((last = pw_monitor_last_cycle_ns(mon)) == 0)
		return;			/* no cycle yet: not ready */
	pw_monitor_get_stats(mon, &st);
	now = pw_mono_ns();
	grace_ns = (3 * (uint64_t)st.interval_ms + 1000) * 1000000u;
	is_alive = now < last || now - last <= grace_ns;
	if (is_alive)
		snprintf(status, sizeof(status), "monitoring %zu processes, "
		    "cycle p99 %.1f ms", st.procs_alive,
		    (double)st.cycle_ns_p99 / 1e6);
	else
		snprintf(status, sizeof(status), "sampler stuck: no cycle "
		    "for %llu s", (unsigned long long)((now - last) /
		    1000000000u));
	if (!ns->is_ready) {
		sdnotify("READY=1\nSTATUS=%s", status);
		ns->is_ready = true;
	} else if (strcmp(status, ns->status) != 0)
		sdnotify("STATUS=%s", status);
	memcpy(ns->status, status, sizeof(status));
	if (is_alive && ns->watchdog)
		sdnotify("WATCHDOG=1");
}

/*
 * "delay_accounting": turn kernel.task_delayacct on as the config asks,
 * log what was done (only when something was done or failed) and say it
 * in note[len] for /healthz.  Returns -1 when "on" could not be had.
 */
int
daemon_apply_delay_accounting(const struct config *cfg, char *note,
    size_t len)
{
	struct pw_procfs *fs;
	bool on = false;
	int rc;

	if ((fs = pw_procfs_new(cfg->mon.proc_root)) == NULL) {
		snprintf(note, len, "out of memory");
		return cfg->delay_accounting == DELAYACCT_ON ? -1 : 0;
	}
	rc = pw_delayacct_get(fs, &on);
	if (rc == -ENOENT) {
		snprintf(note, len, "the kernel has no kernel.task_delayacct "
		    "switch: delay accounting is on if it is built in");
		rc = 0;
	} else if (rc < 0) {
		snprintf(note, len, "cannot read kernel.task_delayacct: %s",
		    strerror(-rc));
		if (cfg->delay_accounting == DELAYACCT_ON)
			log_warnx("delay_accounting: %s", note);
		rc = cfg->delay_accounting == DELAYACCT_ON ? -1 : 0;
	} else if (on) {
		snprintf(note, len, "kernel.task_delayacct is on");
	} else if (cfg->delay_accounting == DELAYACCT_OFF) {
		snprintf(note, len, "kernel.task_delayacct is off and "
		    "delay_accounting is \"off\": I/O, swap-in and memory "
		    "delays are null");
	} else if ((rc = pw_delayacct_enable(fs)) == 0) {
		snprintf(note, len, "kernel.task_delayacct turned on by "
		    "delay_accounting \"%s\"", cfg->delay_accounting ==
		    DELAYACCT_ON ? "on" : "auto");
		log_info("delay accounting: turned on kernel.task_delayacct "
		    "(delay_accounting \"%s\"): I/O, swap-in and memory delays "
		    "are measured", cfg->delay_accounting == DELAYACCT_ON ?
		    "on" : "auto");
	} else {
		snprintf(note, len, "cannot turn on kernel.task_delayacct: "
		    "%s%s; I/O, swap-in and memory delays are null",
		    strerror(-rc), rc == -EACCES || rc == -EPERM ||
		    rc == -EROFS ? " (needs root and a writable /proc/sys)" :
		    "");
		if (cfg->delay_accounting == DELAYACCT_ON)
			log_warnx("delay_accounting \"on\": %s", note);
		else
			log_info("delay_accounting \"auto\": %s", note);
		rc = cfg->delay_accounting == DELAYACCT_ON ? -1 : 0;
	}
	pw_procfs_free(fs);
	return rc < 0 ? -1 : 0;
}

/* Whether a seccomp filter is on this process (Seccomp: 2 in its status). */
static bool
is_seccomp_filtered(void)
{
	char line[128];
	bool is = false;
	FILE *f;

	if ((f = fopen("/proc/self/status", "re")) == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "Seccomp:", 8) == 0) {
			is = atoi(line + 8) == 2;
			break;
		}
	fclose(f);
	return is;
}

/*
 * sampler_realtime was asked for and refused: say what is missing.  Under
 * a seccomp filter EPERM is most likely the filter's (the shipped unit's
 * ~@resources and RestrictRealtime=), which no capability overrides.
 */
void
daemon_warn_realtime(struct pw_monitor *mon)
{
	struct pw_monitor_stats st;

	pw_monitor_get_stats(mon, &st);
	if (st.realtime_error == 0)
		return;
	if (st.realtime_error == -EPERM && is_seccomp_filtered())
		log_warnx("sampler_realtime: cannot run the sampler SCHED_FIFO "
		    "(%s): a seccomp filter refuses it (systemd: "
		    "SystemCallFilter=~@resources and RestrictRealtime=yes "
		    "deny sched_setscheduler whatever the capabilities); "
		    "without them it needs CAP_SYS_NICE or LimitRTPRIO=1; "
		    "sampling goes on at normal priority",
		    strerror(-st.realtime_error));
	else
		log_warnx("sampler_realtime: cannot run the sampler SCHED_FIFO "
		    "(%s): it needs CAP_SYS_NICE or an RLIMIT_RTPRIO of 1 "
		    "(systemd: RestrictRealtime=no and LimitRTPRIO=1); "
		    "sampling goes on at normal priority",
		    strerror(-st.realtime_error));
}

/*
 * The HTTP threads lower their own priority (api/http.c) so that HTTP
 * work yields to the sampler.  When that is refused, say so once, at info
 * level: the shipped unit refuses it on purpose (~@resources), and
 * sampling itself is not affected.
 */
void
daemon_info_http_nice(void)
{
	int rc;

	if ((rc = api_http_nice_check()) == 0)
		return;
	if (rc == -EPERM && is_seccomp_filtered())
		log_info("http threads keep the sampler's priority: "
		    "setpriority (nice +10) refused (%s) by a seccomp filter "
		    "(systemd: SystemCallFilter=~@resources; "
		    "SystemCallFilter=setpriority after it allows it)",
		    strerror(-rc));
	else
		log_info("http threads keep the sampler's priority: "
		    "setpriority (nice +10) refused (%s)", strerror(-rc));
}
