/*
 * main.c: procwatchd, wiring config, the monitor, the HTTP API and signals.
 *
 * DESIGN: signals are blocked before any thread starts and main waits for
 * them with sigtimedwait(), so no handler runs in an odd context (the
 * OpenNTPD habit).  What it asks of the host besides (malloc tuning and
 * trimming, RLIMIT_NOFILE, delay accounting, priority warnings, the
 * service manager's status) is in host.c.
 *
 * THREADS.  Seven kinds; every public prototype names its callers on a
 * `Thread:` line.
 *
 *   thread        started by            owns
 *   main          -                     signals, reload, shutdown, the
 *                                       config (swapped on reload), the
 *                                       notifier pointer, heap trimming;
 *                                       curl_global_init() before any
 *                                       other thread exists
 *   sampler (1)   pw_monitor_start()    the libproc2 context, the known
 *                 lib/sampler.c         pid table, the only writer of the
 *                                       rings and group accumulators; runs
 *                                       only engine code: the cycle, the
 *                                       rules (pw_alerts_eval()) whose
 *                                       transitions it pushes into the
 *                                       bounded alert queue, and the C
 *                                       plugins' collectors
 *   HTTP (n)      api_start()           nothing: libmicrohttpd's workers
 *                 api/http.c            copy out under locks and render
 *                                       after releasing them
 *   events (0-1)  pw_events_new()       the netlink sockets and the table
 *                 lib/events.c          of live forked processes
 *   profiler (1)  pw_profiler_new()     the ptrace of a profiled process
 *                 lib/profile.c         and the running profile
 *   notifier (1)  notifier_start()      the curl multi handle, receiver
 *                 daemon/notifier.c     queues, the spool file; consumes
 *                                       the alert queue
 *   exec sources  custom_host_new()     the source commands (children)
 *   (0-1)         daemon/sources.c      and their schedule
 *   history (0-1) pw_history_start()    the segment files of the history
 *                 lib/history.h         on disk; consumes the cycles the
 *                 daemon/history.c      sampler's cycle hook queues
 *   push (0-9)    rw_start()            one a remote_write entry and one
 *                 daemon/remote_write.c for "otlp": its curl handle, its
 *                                       queue or history cursor and saved
 *                                       position; its mutex is a leaf
 *
 * LOCKS, in acquisition order: a thread may take a lock only if every
 * lock it holds is above it.  Only the first two ever hold another; all
 * the rest are leaves, held for a copy and never across I/O, cJSON,
 * libcurl or a call into another module.
 *
 *   1. main's nt_lock (rwlock, struct daemon): taken to use or replace
 *      d->nt; notifier_stats() takes 3 under it.
 *   2. the alert engine's mtx (lib/alert.c): pw_alerts_eval() takes 5
 *      (custom metrics in rules) and 6 (how a process ended,
 *      pw_alerts_set_events()) under it.
 *   3. the notifier's mtx (daemon/notifier.c): inbox and counters.
 *   4. the store's lock (rwlock, lib/store.c): the sampler's commit and
 *      a reload write; snapshots and copies read.
 *   5. the custom series store's mtx (lib/custom.c).
 *   6. the events object's mu (lib/events.c); the store's lock is never
 *      taken under it.
 *   7. the monitor's mtx (lib/monitor_impl.h): stop flag, config swap,
 *      cycle statistics.
 *   8. api/'s stats mu (api/stats_impl.h): baselines, thread CPU readings.
 *   9. the profiler's mu (lib/profile.c).
 *  10. the exec sources' mtx (daemon/sources.c): stop flag, schedule.
 *  11. main's rl_mtx (struct daemon): an HTTP reload request's answer.
 *  12. api/http.c's start_mu: MHD's first error while starting.
 *  13. the alert queue's mtx (lib/alertq.c): a copy in or out.
 *  14. the history's mutexes (lib/history.c): its queue and its index;
 *      the cycle hook (daemon/history.c) copies out of the store, the
 *      alert engine and the custom series one after another, never one
 *      under another, then pushes.
 *
 * lib/internal.h repeats the part of this that lib/ owns.
 */
#include <config.h>	/* autoconf's, not daemon/config.h */

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include <procwatch/alertq.h>
#include <procwatch/delay.h>
#include <procwatch/monitor.h>
#include <procwatch/events.h>
#include <procwatch/profile.h>
#include <procwatch/rules.h>

#include "api/api.h"
#include "daemon/config.h"
#include "daemon/history.h"
#include "daemon/host.h"
#include "daemon/log.h"
#include "daemon/notifier.h"
#include "daemon/remote_write.h"
#include "daemon/sdnotify.h"
#include "daemon/sources.h"
#include "lib/pwutil.h"

/* api/ may not include daemon/ headers: the two enums must agree. */
_Static_assert(PROCMETRICS_ALL == API_PROCMETRICS_ALL &&
    PROCMETRICS_NONE == API_PROCMETRICS_NONE &&
    PROCMETRICS_TOP == API_PROCMETRICS_TOP, "process_metrics modes");

#define DEFAULT_CONFIG	PW_SYSCONFDIR "/procwatch/procwatchd.json"
/* Alert transitions between the sampler and the notifier, at most. */
#define ALERTQ_CAP	4096

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: procwatchd [--config FILE] [--check-config] [--debug]\n"
	    "                  [--version] [--help]\n"
	    "  -c, --config FILE   JSON configuration (default: %s if it\n"
	    "                      exists, else built-in defaults)\n"
	    "  -t, --check-config  validate the configuration, print what\n"
	    "                      would be monitored, and exit\n"
	    "  -d, --debug         log debug messages\n"
	    "  -V, --version       print the version and exit\n"
	    "  -h, --help          print this help and exit\n",
	    DEFAULT_CONFIG);
}

/*
 * Load the configuration from `path`, or from DEFAULT_CONFIG when that
 * exists, or the built-in defaults.  On error `err` names file and field.
 */
static int
load_config(const char *path, struct config **cfg, char *err, size_t errlen)
{
	int rc;

	if (path == NULL && access(DEFAULT_CONFIG, F_OK) == 0)
		path = DEFAULT_CONFIG;
	if (path == NULL) {
		if ((rc = config_defaults(cfg)) < 0)
			snprintf(err, errlen, "built-in defaults: %s",
			    strerror(-rc));
		return rc;
	}
	return config_load(path, cfg, err, errlen);
}

/*
 * Everything main wires together.  The notifier is replaced on reload; the
 * API reaches it through daemon_notify_stats() under nt_lock, so it never
 * sees a freed one.
 */
struct daemon {
	const char		*path;		/* --config, or NULL */
	struct config		*cfg;
	struct pw_monitor	*mon;
	struct pw_alerts	*alerts;
	struct pw_alertq	*alertq;	/* sampler -> notifier */
	struct pw_profiler	*profiler;	/* on-demand stack sampling */
	struct pw_events	*events;	/* fork/exec/exit feed */
	struct notifier		*nt;
	struct remote_writer	*rw;		/* replaced under nt_lock too,
						   while the sampler is stopped */
	pthread_rwlock_t	 nt_lock;
	struct custom_host	*custom;	/* custom series, sources */
	struct history		*hist;		/* NULL: memory only */
	char			 hist_why[512];	/* why not, for /healthz */
	struct api_server	*api;
	struct api_server	*retired_api;	/* stopped at the next tick */
	char			 base_url[128];
	pthread_t		 main_thread;
	/* POST /api/v1/reload: an HTTP thread asks, main reloads. */
	pthread_mutex_t		 rl_mtx;
	pthread_cond_t		 rl_cond;
	bool			 rl_asked;
	uint64_t		 rl_done;	/* reloads finished */
	int			 rl_rc;
	char			 rl_msg[512];
};

static size_t
daemon_notify_stats(void *arg, struct api_receiver_stats *out, size_t max)
{
	struct daemon *d = arg;
	size_t n = 0;

	pthread_rwlock_rdlock(&d->nt_lock);
	if (d->nt != NULL)
		n = notifier_stats(d->nt, out, max);
	pthread_rwlock_unlock(&d->nt_lock);
	return n;
}

static size_t
daemon_rw_stats(void *arg, struct api_rw_stats *out, size_t max)
{
	struct daemon *d = arg;
	size_t n = 0;

	pthread_rwlock_rdlock(&d->nt_lock);
	n = rw_stats(d->rw, out, max);
	pthread_rwlock_unlock(&d->nt_lock);
	return n;
}

/*
 * After each committed cycle (the sampler's hook): the history's share
 * first (it also passes the cycle's alert transitions to the notifier),
 * then remote write's.  d->rw is replaced only while the sampler is
 * stopped; d->hist lives as long as the sampler.
 */
static void
daemon_cycle(struct pw_monitor *m, int64_t now_ms, void *arg)
{
	struct daemon *d = arg;

	history_cycle(d->hist, m, now_ms);
	rw_cycle(d->rw, m, now_ms);
}

static int daemon_reload_request(void *, char *, size_t);

static struct api_server *
daemon_api_start(struct daemon *d, const struct config *cfg, char *err,
    size_t errlen)
{
	struct api_options ao;

	memset(&ao, 0, sizeof(ao));
	ao.host = cfg->listen_host;
	ao.port = cfg->listen_port;
	ao.max_connections = cfg->max_connections;
	ao.conn_timeout_s = cfg->conn_timeout_s;
	ao.header_timeout_s = cfg->header_timeout_s;
	ao.version = PACKAGE_VERSION;
	ao.alerts = d->alerts;
	ao.notify_stats = daemon_notify_stats;
	ao.notify_arg = d;
	ao.rw_stats = daemon_rw_stats;
	ao.rw_arg = d;
	ao.dygraphs_dir = cfg->dygraphs_dir;
	ao.reload = daemon_reload_request;
	ao.reload_arg = d;
	ao.profiler = d->profiler;
	ao.events = d->events;
	ao.api_token = cfg->api_token;
	ao.tls_cert_pem = cfg->tls_cert_pem;
	ao.tls_key_pem = cfg->tls_key_pem;
	ao.read_token = cfg->read_token;
	/* Off loopback reads need a token unless public_read says not. */
	ao.auth_reads = cfg->auth_reads ||
	    (!config_host_is_loopback(cfg->listen_host) && !cfg->public_read);
	ao.process_metrics = (int)cfg->process_metrics;
	ao.process_metrics_top = cfg->process_metrics_top;
	ao.history = history_engine(d->hist);
	ao.history_off = d->hist == NULL ? d->hist_why : NULL;
	ao.history_dir = history_dir(d->hist);
	return api_start(&ao, d->mon, err, errlen);
}

/* The monitor's discovery feed (pw_monitor_set_discovery()). */
static int
daemon_discover(void *arg, pid_t **pids, size_t *n, bool *complete)
{
	return pw_events_take_pids(arg, pids, n, complete);
}

/* How a process ended, for the OOM detector (pw_monitor_set_exit_lookup()). */
static int
daemon_exit_lookup(void *arg, pid_t pid, int64_t since_ms, int *signal,
    int64_t *exit_ms)
{
	struct pw_event ev;
	int rc;

	if ((rc = pw_events_exit_of(arg, pid, since_ms, &ev)) < 0)
		return rc;
	*signal = ev.signal;
	*exit_ms = ev.ts_ms;
	return 0;
}

static void
set_base_url(struct daemon *d)
{
	const char *h = d->cfg->listen_host;
	bool v6 = strchr(h, ':') != NULL;

	snprintf(d->base_url, sizeof(d->base_url), "%s://%s%s%s:%u",
	    d->cfg->tls_cert_pem != NULL ? "https" : "http", v6 ? "[" : "", h,
	    v6 ? "]" : "", (unsigned)api_port(d->api));
}

static bool
api_options_differ(const struct config *a, const struct config *b)
{
	return strcmp(a->listen_host, b->listen_host) != 0 ||
	    a->listen_port != b->listen_port ||
	    a->max_connections != b->max_connections ||
	    a->conn_timeout_s != b->conn_timeout_s ||
	    a->header_timeout_s != b->header_timeout_s ||
	    (a->tls_cert_pem == NULL) != (b->tls_cert_pem == NULL) ||
	    (a->tls_cert_pem != NULL && (strcmp(a->tls_cert_pem,
	    b->tls_cert_pem) != 0 || strcmp(a->tls_key_pem,
	    b->tls_key_pem) != 0)) ||
	    (a->api_token == NULL) != (b->api_token == NULL) ||
	    (a->api_token != NULL && strcmp(a->api_token, b->api_token) != 0) ||
	    a->auth_reads != b->auth_reads ||
	    a->public_read != b->public_read ||
	    (a->read_token == NULL) != (b->read_token == NULL) ||
	    (a->read_token != NULL && strcmp(a->read_token, b->read_token) != 0) ||
	    strcmp(a->dygraphs_dir != NULL ? a->dygraphs_dir : "",
	    b->dygraphs_dir != NULL ? b->dygraphs_dir : "") != 0;
}

/*
 * Tell the alert engine which targets group rules watch, with their
 * bounds (process_down, too_many_processes): the configured ones, not the
 * implicit "every process" one.  0 or -ENOMEM.
 */
static int
daemon_set_targets(struct pw_alerts *alerts, const struct config *cfg)
{
	struct pw_alert_target *at;
	size_t i, n = 0;
	int rc;

	if ((at = calloc(cfg->ntargets ? cfg->ntargets : 1,
	    sizeof(*at))) == NULL)
		return -ENOMEM;
	for (i = 0; i < cfg->ntargets; i++) {
		if (cfg->targets[i].sel == PW_SEL_ALL)
			continue;
		at[n].name = cfg->targets[i].name;
		at[n].min_processes = cfg->targets[i].min_processes;
		at[n].max_processes = cfg->targets[i].max_processes;
		n++;
	}
	rc = pw_alerts_set_targets(alerts, at, n);
	free(at);
	return rc;
}

/*
 * Reload: parse and validate the file first and keep everything as it is
 * if that fails (OpenBSD's "load before commit").  Then, with the sampler
 * paused: replace the notifier (the old one spools what it has not
 * delivered, the new one picks it up), swap the rules (alerts of unchanged
 * rules carry over), and re-match the targets keeping every ring.  A new
 * listen address is served by a second server at once; the old one is
 * stopped at the next tick, after an HTTP reload request has had its
 * answer.  Thread: main.
 */
static int
daemon_reload(struct daemon *d, char *msg, size_t msglen)
{
	struct config *nc = NULL, *old = d->cfg;
	struct api_server *napi = NULL;
	struct notifier *nnt;
	struct remote_writer *nrw, *orw;
	struct pw_alert *t;
	size_t nt;
	char err[512];
	int rc;

	if ((rc = load_config(d->path, &nc, err, sizeof(err))) < 0) {
		snprintf(msg, msglen, "%.400s; the running configuration "
		    "stays", err);
		return rc == -ENOMEM ? rc : -EINVAL;
	}
	if (custom_host_check(nc, err, sizeof(err)) < 0) {
		snprintf(msg, msglen, "%.64s: %.300s; the running "
		    "configuration stays", d->path != NULL ? d->path :
		    "built-in defaults", err);
		config_free(nc);
		return -EINVAL;
	}
	if (api_options_differ(old, nc) &&
	    (napi = daemon_api_start(d, nc, err, sizeof(err))) == NULL) {
		snprintf(msg, msglen, "cannot listen on %.64s:%u: %.300s; the "
		    "running configuration stays", nc->listen_host,
		    (unsigned)nc->listen_port, err);
		config_free(nc);
		return -EINVAL;
	}
	if ((nnt = notifier_new(nc, d->alerts, err, sizeof(err))) == NULL) {
		snprintf(msg, msglen, "%.400s; the running configuration "
		    "stays", err);
		api_stop(napi);
		config_free(nc);
		return -ENOMEM;
	}
	if ((nrw = rw_new(nc, history_engine(d->hist), err, sizeof(err))) == NULL) {
		snprintf(msg, msglen, "%.400s; the running configuration "
		    "stays", err);
		notifier_free(nnt);
		api_stop(napi);
		config_free(nc);
		return -ENOMEM;
	}

	/* The sampler first: the old notifier then takes the last of the
	 * queue, whose alerts point at the rules about to be replaced. */
	pw_monitor_stop(d->mon);
	notifier_set_queue(nnt, d->alertq);
	pthread_rwlock_wrlock(&d->nt_lock);
	notifier_free(d->nt);		/* delivers ~1 s, spools the rest */
	d->nt = nnt;
	orw = d->rw;
	d->rw = nrw;
	pthread_rwlock_unlock(&d->nt_lock);
	rw_free(orw);			/* senders stop, positions saved */
	if (rw_start(d->rw) < 0)
		log_warnx("reload: cannot start the remote_write senders");
	if (pw_alerts_reload(d->alerts, nc->rules, nc->nrules, pw_wall_ms(), &t,
	    &nt) < 0)
		log_warnx("reload: the alert rules stay as they were");
	else
		notifier_enqueue(d->nt, t, nt);
	if (daemon_set_targets(d->alerts, nc) < 0)
		log_warnx("reload: process_down keeps the old targets: out of "
		    "memory");
	if ((rc = pw_monitor_reload(d->mon, &nc->mon)) < 0)
		log_warnx("reload: sampler: %s", strerror(-rc));
	(void)daemon_apply_delay_accounting(nc, err, sizeof(err));
	pw_monitor_set_delay_note(d->mon, err);
	history_reload_check(old, nc);
	d->cfg = nc;
	if (d->custom != NULL &&
	    custom_host_reload(d->custom, nc, err, sizeof(err)) < 0)
		log_warnx("reload: exec sources: %s", err);
	if (napi != NULL) {
		d->retired_api = d->api;
		d->api = napi;
	}
	api_set_process_metrics(d->api, (int)nc->process_metrics,
	    nc->process_metrics_top);
	set_base_url(d);
	notifier_set_base_url(d->nt, d->base_url);
	if ((rc = pw_monitor_start(d->mon)) < 0)
		log_warnx("reload: cannot restart the sampler: %s",
		    strerror(-rc));
	else
		daemon_warn_realtime(d->mon);
	if (notifier_start(d->nt) < 0)
		log_warnx("reload: cannot start the notifier");
	config_free(old);
	snprintf(msg, msglen, "reloaded %s: %zu target(s), every %u ms, "
	    "%zu samples each, %zu rule(s), %zu receiver(s), %s",
	    d->cfg->path != NULL ? d->cfg->path : "built-in defaults",
	    d->cfg->ntargets, d->cfg->mon.interval_ms, d->cfg->mon.history,
	    d->cfg->nrules, d->cfg->nreceivers, d->base_url);
	return 0;
}

/*
 * api_reload_fn: ask main to reload (a SIGHUP to the main thread wakes
 * it) and wait for the answer.  Thread: HTTP.
 */
static int
daemon_reload_request(void *arg, char *msg, size_t msglen)
{
	struct daemon *d = arg;
	struct timespec until;
	uint64_t seen;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 30;
	pthread_mutex_lock(&d->rl_mtx);
	seen = d->rl_done;
	d->rl_asked = true;
	pthread_kill(d->main_thread, SIGHUP);
	while (d->rl_done == seen && rc == 0)
		rc = pthread_cond_timedwait(&d->rl_cond, &d->rl_mtx, &until);
	if (d->rl_done == seen) {
		snprintf(msg, msglen, "the reload did not finish in 30 s");
		rc = -ETIMEDOUT;
	} else {
		snprintf(msg, msglen, "%s", d->rl_msg);
		rc = d->rl_rc;
	}
	pthread_mutex_unlock(&d->rl_mtx);
	return rc;
}

/* SIGHUP (or an HTTP request): reload, log, tell systemd and any asker. */
static void
daemon_on_sighup(struct daemon *d)
{
	char msg[512];
	int rc;

	/* MONOTONIC_USEC: Type=notify-reload (systemd 253) wants it; older
	 * managers ignore it. */
	sdnotify("RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)(pw_mono_ns() / 1000u));
	if ((rc = daemon_reload(d, msg, sizeof(msg))) < 0)
		log_warnx("reload: %s", msg);
	else
		log_info("%s", msg);
	sdnotify("READY=1");
	pthread_mutex_lock(&d->rl_mtx);
	if (d->rl_asked) {
		d->rl_asked = false;
		d->rl_rc = rc;
		snprintf(d->rl_msg, sizeof(d->rl_msg), "%s", msg);
		d->rl_done++;
		pthread_cond_broadcast(&d->rl_cond);
	}
	pthread_mutex_unlock(&d->rl_mtx);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 't' },
		{ "debug", no_argument, NULL, 'd' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon d;
	const char *path = NULL;
	struct timespec tick = { 1, 0 };
	struct timespec wait_ready = { 0, 20000000 };	/* 20 ms */
	struct daemon_notify_state ns = { 0 };
	struct daemon_trim_state trim = { 0, 0 };
	uint64_t wd_usec;
	char err[512];
	bool check = false, debug = false, curl_up = false;
	sigset_t sigs;
	int ch, rc, sig, status = 1;

	memset(&d, 0, sizeof(d));
	pthread_rwlock_init(&d.nt_lock, NULL);
	pthread_mutex_init(&d.rl_mtx, NULL);
	pthread_cond_init(&d.rl_cond, NULL);
	d.main_thread = pthread_self();
	while ((ch = getopt_long(argc, argv, "c:tdVh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 't':
			check = true;
			break;
		case 'd':
			debug = true;
			break;
		case 'V':
			printf("procwatchd %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	d.path = path;
	log_init(debug);
	if (load_config(path, &d.cfg, err, sizeof(err)) < 0) {
		log_warnx("%s", err);
		return 1;
	}
	if (d.cfg->debug)
		log_init(1);
	if (check) {
		config_describe(d.cfg, stdout);
		config_free(d.cfg);
		return 0;
	}

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);	/* threads inherit it */
	signal(SIGPIPE, SIG_IGN);
	daemon_tune_malloc();
	daemon_raise_nofile(d.cfg->max_connections);

	/* libcurl's global state is set up before any thread exists. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_warnx("curl_global_init failed");
		goto out;
	}
	curl_up = true;
	/*
	 * First: a second daemon on this state_dir stops here, before its
	 * notifier reads (and at exit rewrites) the first one's spool.
	 */
	if ((rc = history_open(d.cfg, &d.hist, d.hist_why,
	    sizeof(d.hist_why))) < 0) {
		log_warnx("%s", rc == -EBUSY ? d.hist_why :
		    "cannot open the history: out of memory");
		goto out;
	}
	if ((d.alerts = pw_alerts_new(d.cfg->rules, d.cfg->nrules,
	    d.cfg->alert_history)) == NULL) {
		log_warnx("cannot create the alert engine: out of memory");
		goto out;
	}
	if (daemon_set_targets(d.alerts, d.cfg) < 0) {
		log_warnx("cannot set the alert targets: out of memory");
		goto out;
	}
	if ((d.alertq = pw_alertq_new(ALERTQ_CAP)) == NULL) {
		log_warnx("cannot create the alert queue: %s",
		    strerror(errno != 0 ? errno : ENOMEM));
		goto out;
	}
	if ((d.nt = notifier_new(d.cfg, d.alerts, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		goto out;
	}
	notifier_set_queue(d.nt, d.alertq);
	/* Before the monitor, which reads the switch when it starts. */
	(void)daemon_apply_delay_accounting(d.cfg, err, sizeof(err));
	if ((d.mon = pw_monitor_new(&d.cfg->mon, &rc)) == NULL) {
		log_warnx("cannot create the monitor: %s", strerror(-rc));
		goto out;
	}
	pw_monitor_set_delay_note(d.mon, err);
	/* The sampler evaluates the rules; the notifier delivers. */
	pw_monitor_set_alerts(d.mon, d.alerts, d.alertq);
	/* An OOM-killed process's alerts say so (procwatch/oom.h). */
	pw_alerts_set_oom(d.alerts, d.mon);
	if ((d.rw = rw_new(d.cfg, history_engine(d.hist), err, sizeof(err))) == NULL ||
	    (rc = rw_start(d.rw)) < 0) {
		log_warnx("%s", d.rw == NULL ? err : "remote_write: cannot "
		    "start its threads");
		goto out;
	}
	pw_monitor_set_cycle_hook(d.mon, daemon_cycle, &d);
	/* Custom series, plugins and exec sources: before sampling starts. */
	if ((d.custom = custom_host_new(d.cfg, d.mon, d.alerts, err,
	    sizeof(err))) == NULL) {
		log_warnx("%s", err);
		goto out;
	}
	if ((d.events = pw_events_new(pw_monitor_store(d.mon),
	    d.cfg->mon.proc_root, 0)) == NULL) {
		log_warnx("cannot start the events feed: out of memory");
		goto out;
	}
	if (!pw_events_available(d.events, err, sizeof(err)))
		log_info("process events unavailable, polling only: %s", err);
	else {
		/* Alerts of exited processes say how they ended. */
		pw_alerts_set_events(d.alerts, d.events);
		/* New pids from fork/exec: /proc is listed only to reconcile. */
		pw_monitor_set_discovery(d.mon, daemon_discover, d.events);
		/* OOM kills: only SIGKILL exits (procwatch/oom.h). */
		pw_monitor_set_exit_lookup(d.mon, daemon_exit_lookup,
		    d.events);
		if (!pw_events_cpu_available(d.events, err, sizeof(err)))
			log_info("exits carry no CPU time: %s", err);
	}
	history_set_events(d.hist, d.events);
	if ((rc = history_start(d.hist, d.mon, d.alerts, d.alertq)) < 0) {
		log_warnx("cannot start the history writer: %s",
		    strerror(-rc));
		goto out;
	}
	if ((rc = pw_monitor_start(d.mon)) < 0) {
		log_warnx("cannot start the sampler: %s", strerror(-rc));
		goto out;
	}
	daemon_warn_realtime(d.mon);
	if ((d.profiler = pw_profiler_new(d.cfg->mon.proc_root, &rc)) == NULL) {
		log_warnx("cannot start the profiler: %s", strerror(-rc));
		goto out;
	}
	if ((d.api = daemon_api_start(&d, d.cfg, err, sizeof(err))) == NULL) {
		log_warnx("cannot listen on %s:%u: %s", d.cfg->listen_host,
		    (unsigned)d.cfg->listen_port, err);
		goto out;
	}
	daemon_info_http_nice();
	set_base_url(&d);
	if (!config_host_is_loopback(d.cfg->listen_host) && d.cfg->public_read)
		log_warnx("listen %s: not a loopback address, and public_read "
		    "serves what runs here to anyone who can reach it%s",
		    d.cfg->listen_host, d.cfg->api_token == NULL ?
		    "; with no api_token, changes (reload, custom series, "
		    "profiles) are open too" : "");
	log_info("procwatchd %s listening on %s/, %zu target(s), every %u ms, "
	    "%zu samples each", PACKAGE_VERSION, d.base_url, d.cfg->ntargets,
	    d.cfg->mon.interval_ms, d.cfg->mon.history);
	notifier_set_base_url(d.nt, d.base_url);
	if ((rc = notifier_start(d.nt)) < 0) {
		log_warnx("cannot start the notifier: %s", strerror(-rc));
		goto out;
	}
	log_info("%zu alert rule(s), %zu receiver(s)", d.cfg->nrules,
	    d.cfg->nreceivers);

	/* Ping at twice the rate the watchdog needs, at least every 1 s. */
	if ((ns.watchdog = sdnotify_watchdog_usec(&wd_usec)) &&
	    wd_usec / 2 < 1000000) {
		tick.tv_sec = 0;
		tick.tv_nsec = (long)(wd_usec / 2 > 1000 ? wd_usec / 2 :
		    1000) * 1000;
	}

	for (;;) {
		daemon_notify_tick(d.mon, &ns);
		daemon_trim_tick(d.mon, &trim);
		if (d.retired_api != NULL) {
			api_stop(d.retired_api);	/* answers have gone out */
			d.retired_api = NULL;
		}
		/* Poll briefly until the first cycle is done and READY=1 sent. */
		sig = sigtimedwait(&sigs, NULL, ns.is_ready ? &tick :
		    &wait_ready);
		if (sig == SIGTERM || sig == SIGINT) {
			log_info("received %s, stopping",
			    sig == SIGTERM ? "SIGTERM" : "SIGINT");
			sdnotify("STOPPING=1");
			break;
		}
		if (sig == SIGHUP)
			daemon_on_sighup(&d);
	}
	status = 0;
out:
	api_stop(d.retired_api);
	api_stop(d.api);
	pw_profiler_free(d.profiler);	/* ends a running profile */
	/*
	 * The sampler's alert evaluations read the events (how a process
	 * ended) and the events thread uses the store: stop the one, free
	 * the other.
	 */
	if (d.mon != NULL)
		pw_monitor_stop(d.mon);	/* no more cycle hooks after this */
	pw_events_free(d.events);
	/*
	 * The push senders read the history with cursors: they stop before
	 * it frees them (a sender catching up could read freed memory:
	 * fresh-ci's ASan daemon exited non-zero at SIGTERM), and after the
	 * API, which reads their counters.
	 */
	rw_free(d.rw);
	history_close(d.hist);	/* writes what is queued, fsyncs */
	pw_monitor_free(d.mon);
	notifier_free(d.nt);	/* flushes for up to ~1 s, then spools */
	pw_alertq_free(d.alertq);	/* drained: its producer is stopped */
	pw_alerts_free(d.alerts);
	custom_host_free(d.custom);	/* after everything that reads it */
	config_free(d.cfg);
	if (curl_up)
		curl_global_cleanup();
	pthread_cond_destroy(&d.rl_cond);
	pthread_mutex_destroy(&d.rl_mtx);
	pthread_rwlock_destroy(&d.nt_lock);
	return status;
}
