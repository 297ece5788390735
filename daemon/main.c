/*
 * main.c: procwatchd, wiring config, the monitor, the HTTP API and signals.
 *
 * DESIGN: signals are blocked before any thread starts and main waits for
 * them with sigtimedwait(), so no handler runs in an odd context (the
 * OpenNTPD habit).  Threads: main (signals, shutdown), the sampler (owned
 * by the monitor) and libmicrohttpd's workers (read-only on the store).
 */
#include <config.h>	/* autoconf's, not daemon/config.h */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include <procwatch/monitor.h>
#include <procwatch/rules.h>

#include "api/api.h"
#include "daemon/config.h"
#include "daemon/log.h"
#include "daemon/notifier.h"
#include "daemon/sdnotify.h"

#define DEFAULT_CONFIG	PW_SYSCONFDIR "/procwatch/procwatchd.json"

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

/* Descriptors are kept open per monitored process: lift the soft limit. */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_warn("setrlimit NOFILE");
	}
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* What the service manager was last told (see notify_tick()). */
struct notify_state {
	bool	is_ready;
	bool	watchdog;		/* WatchdogSec= is set for us */
	char	status[256];
};

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
static void
notify_tick(struct pw_monitor *mon, struct notify_state *ns)
{
	struct pw_monitor_stats st;
	char status[sizeof(ns->status)];
	uint64_t last, now, grace_ns;
	bool is_alive;

	if ((last = pw_monitor_last_cycle_ns(mon)) == 0)
		return;			/* no cycle yet: not ready */
	pw_monitor_get_stats(mon, &st);
	now = mono_ns();
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

static int
load_config(const char *path, struct config **cfg)
{
	char err[512];
	int rc;

	if (path == NULL && access(DEFAULT_CONFIG, F_OK) == 0)
		path = DEFAULT_CONFIG;
	if (path == NULL)
		rc = config_defaults(cfg);
	else
		rc = config_load(path, cfg, err, sizeof(err));
	if (rc < 0) {
		if (path == NULL)
			log_warnx("built-in defaults: %s", strerror(-rc));
		else
			log_warnx("%s", err);
	}
	return rc;
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
	struct api_options ao;
	struct api_server *api = NULL;
	struct pw_monitor *mon = NULL;
	struct pw_alerts *alerts = NULL;
	struct notifier *nt = NULL;
	struct config *cfg = NULL;
	char base_url[128];
	bool curl_up = false;
	const char *path = NULL;
	struct timespec tick = { 1, 0 };
	struct timespec wait_ready = { 0, 20000000 };	/* 20 ms */
	struct notify_state ns = { 0 };
	uint64_t wd_usec;
	char err[512];
	bool check = false, debug = false;
	sigset_t sigs;
	int ch, rc, sig, status = 1;

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
	log_init(debug);
	if (load_config(path, &cfg) < 0)
		return 1;
	if (cfg->debug)
		log_init(1);
	if (check) {
		config_describe(cfg, stdout);
		config_free(cfg);
		return 0;
	}

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);	/* threads inherit it */
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();

	/* libcurl's global state is set up before any thread exists. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_warnx("curl_global_init failed");
		goto out;
	}
	curl_up = true;
	if ((alerts = pw_alerts_new(cfg->rules, cfg->nrules,
	    cfg->alert_history)) == NULL) {
		log_warnx("cannot create the alert engine: out of memory");
		goto out;
	}
	if ((nt = notifier_new(cfg, alerts, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		goto out;
	}
	if ((mon = pw_monitor_new(&cfg->mon, &rc)) == NULL) {
		log_warnx("cannot create the monitor: %s", strerror(-rc));
		goto out;
	}
	pw_monitor_set_cycle_hook(mon, notifier_cycle_hook, nt);
	if ((rc = pw_monitor_start(mon)) < 0) {
		log_warnx("cannot start the sampler: %s", strerror(-rc));
		goto out;
	}
	memset(&ao, 0, sizeof(ao));
	ao.host = cfg->listen_host;
	ao.port = cfg->listen_port;
	ao.max_connections = cfg->max_connections;
	ao.conn_timeout_s = cfg->conn_timeout_s;
	ao.version = PACKAGE_VERSION;
	ao.alerts = alerts;
	ao.notify_stats = notifier_stats;
	ao.notify_arg = nt;
	ao.dygraphs_dir = cfg->dygraphs_dir;
	if ((api = api_start(&ao, mon, err, sizeof(err))) == NULL) {
		log_warnx("cannot listen on %s:%u: %s", cfg->listen_host,
		    (unsigned)cfg->listen_port, err);
		goto out;
	}
	log_info("procwatchd %s listening on http://%s:%u/, %zu target(s), "
	    "every %u ms, %zu samples each", PACKAGE_VERSION, cfg->listen_host,
	    (unsigned)api_port(api), cfg->ntargets, cfg->mon.interval_ms,
	    cfg->mon.history);
	snprintf(base_url, sizeof(base_url), "http://%s%s%s:%u",
	    strchr(cfg->listen_host, ':') != NULL ? "[" : "", cfg->listen_host,
	    strchr(cfg->listen_host, ':') != NULL ? "]" : "",
	    (unsigned)api_port(api));
	notifier_set_base_url(nt, base_url);
	if ((rc = notifier_start(nt)) < 0) {
		log_warnx("cannot start the notifier: %s", strerror(-rc));
		goto out;
	}
	log_info("%zu alert rule(s), %zu receiver(s)", cfg->nrules,
	    cfg->nreceivers);

	/* Ping at twice the rate the watchdog needs, at least every 1 s. */
	if ((ns.watchdog = sdnotify_watchdog_usec(&wd_usec)) &&
	    wd_usec / 2 < 1000000) {
		tick.tv_sec = 0;
		tick.tv_nsec = (long)(wd_usec / 2 > 1000 ? wd_usec / 2 :
		    1000) * 1000;
	}

	for (;;) {
		notify_tick(mon, &ns);
		/* Poll briefly until the first cycle is done and READY=1 sent. */
		sig = sigtimedwait(&sigs, NULL, ns.is_ready ? &tick :
		    &wait_ready);
		if (sig == SIGTERM || sig == SIGINT) {
			log_info("received %s, stopping",
			    sig == SIGTERM ? "SIGTERM" : "SIGINT");
			sdnotify("STOPPING=1");
			break;
		}
		if (sig == SIGHUP) {
			/* MONOTONIC_USEC: Type=notify-reload (systemd 253)
			 * wants it; older managers ignore it. */
			sdnotify("RELOADING=1\nMONOTONIC_USEC=%llu",
			    (unsigned long long)(mono_ns() / 1000u));
			log_warnx("SIGHUP: live reload is not supported yet; "
			    "restart to apply a new configuration");
			sdnotify("READY=1");
		}
	}
	status = 0;
out:
	api_stop(api);
	pw_monitor_free(mon);	/* no more cycle hooks after this */
	notifier_free(nt);	/* flushes for up to ~1 s, then spools */
	pw_alerts_free(alerts);
	config_free(cfg);
	if (curl_up)
		curl_global_cleanup();
	return status;
}
