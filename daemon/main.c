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

#include <procwatch/monitor.h>

#include "api/api.h"
#include "daemon/config.h"
#include "daemon/log.h"

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
	struct config *cfg = NULL;
	const char *path = NULL;
	struct timespec tick = { 1, 0 };
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

	if ((mon = pw_monitor_new(&cfg->mon, &rc)) == NULL) {
		log_warnx("cannot create the monitor: %s", strerror(-rc));
		goto out;
	}
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
	if ((api = api_start(&ao, mon, err, sizeof(err))) == NULL) {
		log_warnx("cannot listen on %s:%u: %s", cfg->listen_host,
		    (unsigned)cfg->listen_port, err);
		goto out;
	}
	log_info("procwatchd %s listening on http://%s:%u/, %zu target(s), "
	    "every %u ms, %zu samples each", PACKAGE_VERSION, cfg->listen_host,
	    (unsigned)api_port(api), cfg->ntargets, cfg->mon.interval_ms,
	    cfg->mon.history);

	for (;;) {
		sig = sigtimedwait(&sigs, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT) {
			log_info("received %s, stopping",
			    sig == SIGTERM ? "SIGTERM" : "SIGINT");
			break;
		}
		if (sig == SIGHUP)
			log_warnx("SIGHUP: live reload is not supported yet; "
			    "restart to apply a new configuration");
	}
	status = 0;
out:
	api_stop(api);
	pw_monitor_free(mon);
	config_free(cfg);
	return status;
}
