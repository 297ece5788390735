/*
 * procwatchctl.c: a command-line client for procwatchd's HTTP API: the
 * options, main() and the commands without a ctl_*.c of their own (show,
 * alerts, top, reload).
 *
 * DESIGN: every view is a small renderer over the daemon's JSON, so the
 * client knows nothing of the daemon's internals and works against any
 * procwatchd that speaks /api/v1.  Metric columns and lines name their
 * metric only: its JSON key, label and formatting come from the daemon's
 * catalogue (ctl_http.c fetches it, ctl_print.c formats by unit).
 * Fields a daemon leaves out or sets to null print as "-".
 * Exit status: 0 ok, 1 the daemon answered with an error (or nonsense),
 * 2 usage, 3 the daemon could not be reached.  See procwatchctl(1).
 */
#include <config.h>	/* autoconf's */

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "daemon/ctl.h"

#define DEFAULT_URL	"http://127.0.0.1:9717"
#define TOKEN_MAX	4096

/* Long options without a letter. */
enum {
	OPT_AT = 256,
	OPT_SINCE,
	OPT_UNTIL,
	OPT_WINDOW,
	OPT_FORMAT,
	OPT_RES,
	OPT_TARGET,
	OPT_TARGETS,
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: procwatchctl [options] COMMAND [ARGS]\n"
	    "commands:\n"
	    "  status [--all] [--sort KEY] [--at TIME]\n"
	    "                    a table of the monitored processes, busiest\n"
	    "                    first; KEY: cpu (default), mem, rss, fds,\n"
	    "                    pid, name; --all adds kernel threads and\n"
	    "                    exited processes; --at: as they were then\n"
	    "  show PID [--since TIME] [--until TIME]\n"
	    "                    one process, with CPU and RSS sparklines\n"
	    "  memory PID [N]    its memory now: RSS, PSS, USS, swap, and "
	    "the N\n"
	    "                    largest mappings by PSS (default 10)\n"
	    "  alerts [--at TIME] firing and pending alerts (firing at TIME)\n"
	    "  top [targets] [--at TIME] [--window DURATION]\n"
	    "                    the bottlenecks, worst first (of processes,\n"
	    "                    or of targets as wholes; of the window\n"
	    "                    ending at TIME)\n"
	    "  dump [PID | --target NAME | --targets] [--since TIME]\n"
	    "       [--until TIME] [--format csv|jsonl] [--resolution RES]\n"
	    "                    every sample of a window, one row each\n"
	    "                    (default the last hour, CSV)\n"
	    "  targets [NAME]    each target as a whole: processes, CPU, "
	    "memory;\n"
	    "                    with NAME, one target and its recent "
	    "history\n"
	    "  reload            make procwatchd reload its configuration\n"
	    "options:\n"
	    "  -u, --url URL         procwatchd's address (default "
	    "$PROCWATCH_URL,\n"
	    "                        else " DEFAULT_URL ")\n"
	    "  -T, --token-file FILE read the API token from FILE (default "
	    "$PROCWATCH_TOKEN)\n"
	    "  -j, --json            print the daemon's JSON instead of a "
	    "table\n"
	    "  -t, --timeout SEC     give up after SEC seconds (default 10)\n"
	    "  -h, --help            print this help and exit\n"
	    "TIME: 2026-12-05T03:12:00Z, -15m, 03:12 (the last one, local "
	    "time),\n"
	    "      now, or Unix seconds\n"
	    "exit status: 0 ok, 1 daemon error, 2 usage, 3 cannot connect\n");
}

/* --- commands -------------------------------------------------------------- */

/* A window's resolution, source and gaps (the history's samples). */
static void
print_window(const cJSON *hist)
{
	const cJSON *gaps, *g;

	if (ctl_str(hist, "resolution") == NULL || ctl_str(hist, "since") ==
	    NULL)
		return;
	printf("  %-10s%s to %s, %s samples from %s\n", "window",
	    ctl_str(hist, "since"), ctl_dash(ctl_str(hist, "until")),
	    ctl_str(hist, "resolution"), ctl_dash(ctl_str(hist, "source")));
	gaps = cJSON_GetObjectItemCaseSensitive(hist, "gaps");
	cJSON_ArrayForEach(g, gaps)
		printf("  %-10s%s to %s\n", "gap", ctl_dash(ctl_str(g,
		    "from")), ctl_dash(ctl_str(g, "until")));
}

/* Metric `name` of a process's sample, formatted by its unit, or "-". */
#define PROC_METRIC(s, name, buf)					\
	ctl_fmt_metric_key(c, (s), (name), CTL_KEY_PROCESS, -1, (buf),	\
	    sizeof(buf))

/* `show --since` of a process no longer in memory: its samples only. */
static int
show_past(struct ctl *c, unsigned long pid, cJSON **hist)
{
	const cJSON *arr, *last;
	cJSON *none;
	int rc = 0;

	if (c->json) {
		none = cJSON_CreateNull();
		rc = ctl_print_with_samples("process", &none, hist);
		cJSON_Delete(none);
		return rc;
	}
	arr = cJSON_GetObjectItemCaseSensitive(*hist, "samples");
	last = cJSON_IsArray(arr) ? cJSON_GetArrayItem(arr,
	    cJSON_GetArraySize(arr) - 1) : NULL;
	printf("pid %lu, no longer monitored: from the history\n", pid);
	if (cJSON_IsObject(last)) {
		ctl_print_cpu_memory(c, last, CTL_KEY_PROCESS, "\n");
		printf("  %-10s%s\n", "sampled", ctl_dash(ctl_str(last,
		    "ts")));
	}
	ctl_print_history(c, NULL, *hist, false);
	print_window(*hist);
	cJSON_Delete(*hist);
	*hist = NULL;
	return rc;
}

static int
cmd_show(struct ctl *c, const char *pidarg, const char *since,
    const char *until)
{
	char path[96], spath[256], b1[32], b2[32], t1[40], t2[40];
	struct reply r;
	cJSON *proc = NULL, *hist = NULL;
	const cJSON *s;
	char *end;
	unsigned long pid;
	int rc;

	errno = 0;
	pid = strtoul(pidarg, &end, 10);
	if (pidarg[0] < '0' || pidarg[0] > '9' || *end != '\0' ||
	    errno != 0 || pid == 0 || pid > 4194304) {
		ctl_warnx("show: \"%s\" is not a pid", pidarg);
		return EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "/api/v1/processes/%lu", pid);
	if (since == NULL && until == NULL)
		snprintf(spath, sizeof(spath), "%s/samples?limit=%d", path,
		    SPARK_SAMPLES);
	else {
		/* A window: the finest resolution that fits a screenful. */
		if ((rc = ctl_time_arg("--since", since != NULL ? since :
		    "-1h", t1, sizeof(t1))) != 0 ||
		    (rc = ctl_time_arg("--until", until != NULL ? until :
		    "now", t2, sizeof(t2))) != 0)
			return rc;
		snprintf(spath, sizeof(spath), "%s/samples?since=%s&until=%s"
		    "&resolution=auto&limit=%d", path, t1, t2,
		    SPARK_SAMPLES * 10);
	}
	if (since != NULL || until != NULL) {
		/* Gone from memory, the process may still be on disk. */
		if ((rc = ctl_http(c, "GET", path, NULL, &r)) != 0)
			return rc;
		if (r.status == 404) {
			free(r.body);
			if ((rc = ctl_get_json(c, spath, NULL, false,
			    &hist)) != 0)
				return rc;
			return show_past(c, pid, &hist);
		}
		if (r.status < 200 || r.status > 299 ||
		    (proc = cJSON_ParseWithLength(r.body, r.len)) == NULL) {
			ctl_http_error("GET", path, &r);
			free(r.body);
			return EXIT_DAEMON;
		}
		free(r.body);
	} else if ((rc = ctl_get_json(c, path, NULL, false, &proc)) != 0)
		return rc;
	/* The process may exit in between: a history-less view is fine. */
	if (ctl_get_json(c, spath, NULL, false, &hist) != 0)
		hist = NULL;
	if (c->json) {
		rc = ctl_print_with_samples("process", &proc, &hist);
		goto out;
	}

	s = cJSON_GetObjectItemCaseSensitive(proc, "sample");
	printf("pid %lu (%s), target %s, %s\n", pid,
	    ctl_dash(ctl_str(proc, "name")),
	    ctl_dash(ctl_str(proc, "target")),
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(proc, "alive")) ?
	    ctl_state_name(ctl_str(s, "state")) : "gone");
	printf("  %-10s%s\n", "command", ctl_dash(ctl_str(proc, "cmdline")));
	printf("  %-10s%s (uid %s)\n", "user", ctl_dash(ctl_str(proc, "user")),
	    ctl_fmt_num_key(proc, "uid", 0, b1, sizeof(b1)));
	printf("  %-10s%s\n", "parent",
	    ctl_fmt_num_key(proc, "ppid", 0, b1, sizeof(b1)));
	printf("  %-10s%s\n", "started", ctl_dash(ctl_str(proc, "start_time")));
	if (ctl_str(proc, "gone_at") != NULL)
		printf("  %-10s%s\n", "gone at", ctl_str(proc, "gone_at"));
	if (cJSON_IsObject(s)) {
		ctl_print_cpu_memory(c, s, CTL_KEY_PROCESS, "\n");
		printf("  %-10s%s of %s\n", "fds",
		    PROC_METRIC(s, "open_fds", b1),
		    PROC_METRIC(s, "fd_limit", b2));
		printf("  %-10s%s\n", "threads",
		    PROC_METRIC(s, "threads", b1));
		printf("  %-10s%s voluntary, %s involuntary\n", "switches",
		    PROC_METRIC(s, "ctx_switches_voluntary", b1),
		    PROC_METRIC(s, "ctx_switches_involuntary", b2));
		printf("  %-10s%s minor, %s major\n", "faults",
		    PROC_METRIC(s, "minor_faults", b1),
		    PROC_METRIC(s, "major_faults", b2));
		printf("  %-10sread %s, written %s\n", "i/o",
		    PROC_METRIC(s, "read_bytes", b1),
		    PROC_METRIC(s, "write_bytes", b2));
		printf("  %-10s%s\n", "sampled", ctl_dash(ctl_str(s, "ts")));
	} else
		printf("  (no sample yet)\n");
	ctl_print_history(c, proc, hist, false);
	print_window(hist);
out:
	cJSON_Delete(hist);
	cJSON_Delete(proc);
	return rc;
}

static int
cmd_alerts(struct ctl *c, const char *at)
{
	char path[96], when[40];
	const cJSON *arr, *a;
	cJSON *root = NULL;
	char b1[32], b2[32];
	double v;
	int rc;

	snprintf(path, sizeof(path), "/api/v1/alerts");
	if (at != NULL) {
		if ((rc = ctl_time_arg("--at", at, when, sizeof(when))) != 0)
			return rc;
		snprintf(path, sizeof(path), "/api/v1/alerts?at=%s", when);
	}
	if ((rc = ctl_get_json(c, path, "alerts are not available: this "
	    "procwatchd has no /api/v1/alerts", true, &root)) != 0 ||
	    c->json)
		goto out;
	if ((arr = ctl_first_array(root)) == NULL) {
		ctl_warnx("GET %s: no list of alerts in the reply", path);
		rc = EXIT_DAEMON;
		goto out;
	}
	if (cJSON_GetArraySize(arr) == 0) {
		printf("no alerts\n");
		goto out;
	}
	printf("%-9s %-8s %7s %-15s %-12s %-16s %s\n", "STATE", "SEVERITY",
	    "PID", "NAME", "TARGET", "RULE", "MESSAGE");
	cJSON_ArrayForEach(a, arr) {
		ctl_col(ctl_dash(ctl_str(a, "state")), 9, false);
		ctl_col(ctl_dash(ctl_str(a, "severity")), 8, false);
		ctl_col(ctl_fmt_num_key(a, "pid", 0, b1, sizeof(b1)), 7, true);
		ctl_col(ctl_dash(ctl_str(a, "name")), 15, false);
		ctl_col(ctl_dash(ctl_str(a, "target")), 12, false);
		ctl_col(ctl_dash(ctl_str(a, "rule")), 16, false);
		printf("%s", ctl_dash(ctl_str(a, "message")));
		if (ctl_num(a, "value", &v))
			printf(" (value %s)", ctl_fmt_num_key(a, "value",
			    -1, b2, sizeof(b2)));
		if (ctl_str(a, "started_at") != NULL)
			printf(" since %s", ctl_str(a, "started_at"));
		/* From the history (--at): when it fired. */
		if (at != NULL && ctl_str(a, "fired_at") != NULL)
			printf(" fired at %s", ctl_str(a, "fired_at"));
		putchar('\n');
	}
out:
	cJSON_Delete(root);
	return rc;
}

static int
cmd_top(struct ctl *c, bool by_target, const char *at, const char *window)
{
	char path[160], when[40];
	const cJSON *arr, *b, *sug, *it;
	cJSON *root = NULL;
	char b1[32], b2[32];
	int rc, rank = 0;
	size_t n;

	n = (size_t)snprintf(path, sizeof(path), "/api/v1/bottlenecks?by=%s",
	    by_target ? "target" : "process");
	if (at != NULL) {
		if ((rc = ctl_time_arg("--at", at, when, sizeof(when))) != 0)
			return rc;
		n += (size_t)snprintf(path + n, sizeof(path) - n, "&until=%s",
		    when);
	}
	if (window != NULL) {
		if (strspn(window, "0123456789.msdh") != strlen(window) ||
		    strlen(window) > 32) {
			ctl_warnx("--window: \"%s\" is not a duration such as "
			    "15m or 1h30m", window);
			return EXIT_USAGE;
		}
		snprintf(path + n, sizeof(path) - n, "&window=%s", window);
	}

	if ((rc = ctl_get_json(c, path, "bottlenecks are not available: this "
	    "procwatchd has no /api/v1/bottlenecks", true, &root)) != 0 ||
	    c->json)
		goto out;
	if ((arr = ctl_first_array(root)) == NULL) {
		ctl_warnx("GET %s: no list of bottlenecks in the reply", path);
		rc = EXIT_DAEMON;
		goto out;
	}
	if (at != NULL || window != NULL)
		printf("the window %s to %s\n", ctl_dash(ctl_str(root,
		    "since")), ctl_dash(ctl_str(root, "until")));
	if (cJSON_GetArraySize(arr) == 0) {
		printf("no bottlenecks\n");
		goto out;
	}
	if (by_target)
		printf("%3s %-8s %-6s %6s %5s %s\n", "#", "SEVERITY", "TYPE",
		    "IMPACT", "PROCS", "TARGET");
	else
		printf("%3s %-8s %-6s %6s %7s %-15s %s\n", "#", "SEVERITY",
		    "TYPE", "IMPACT", "PID", "NAME", "TARGET");
	cJSON_ArrayForEach(b, arr) {
		printf("%3d ", ++rank);
		ctl_col(ctl_dash(ctl_str(b, "severity")), 8, false);
		ctl_col(ctl_dash(ctl_str(b, "type")), 6, false);
		ctl_col(ctl_fmt_num_key(b, "impact_score", 2, b1,
		    sizeof(b1)), 6, true);
		if (by_target)
			ctl_col(ctl_fmt_num_key(b, "processes", 0, b2,
			    sizeof(b2)), 5, true);
		else {
			ctl_col(ctl_fmt_num_key(b, "pid", 0, b2, sizeof(b2)),
			    7, true);
			ctl_col(ctl_dash(ctl_str(b, "name")), 15, false);
		}
		printf("%s\n", ctl_dash(ctl_str(b, "target")));
		if (ctl_str(b, "description") != NULL)
			printf("    %s\n", ctl_str(b, "description"));
		sug = cJSON_GetObjectItemCaseSensitive(b, "suggestions");
		cJSON_ArrayForEach(it, sug)
			if (cJSON_IsString(it))
				printf("    - %s\n", it->valuestring);
	}
out:
	cJSON_Delete(root);
	return rc;
}

/* A pid as `dump` takes it: 1 to 7 digits, not starting with 0. */
static bool
pid_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 7 && s[0] != '0' &&
	    strspn(s, "0123456789") == n;
}

static int
cmd_reload(struct ctl *c)
{
	const char *path = "/api/v1/reload";
	const cJSON *m;
	struct reply r;
	cJSON *root;
	int rc;

	if ((rc = ctl_http(c, "POST", path, "{}", &r)) != 0)
		return rc;
	if (r.status == 404) {
		ctl_warnx("reload is not available: this procwatchd has no %s; "
		    "send it SIGHUP (systemctl reload procwatchd)", path);
		rc = EXIT_DAEMON;
	} else if (r.status < 200 || r.status > 299) {
		ctl_http_error("POST", path, &r);
		if (r.status == 401 || r.status == 403)
			ctl_warnx("set PROCWATCH_TOKEN or use --token-file");
		rc = EXIT_DAEMON;
	} else if (c->json)
		printf("%s%s", r.body, r.len > 0 && r.body[r.len - 1] == '\n' ?
		    "" : "\n");
	else {
		root = cJSON_ParseWithLength(r.body, r.len);
		m = cJSON_GetObjectItemCaseSensitive(root, "message");
		printf("reloaded%s%s\n", cJSON_IsString(m) ? ": " : "",
		    cJSON_IsString(m) ? m->valuestring : "");
		cJSON_Delete(root);
	}
	free(r.body);
	return rc;
}

/* --- set-up ---------------------------------------------------------------- */

/* The first line of `path`, surrounding blanks removed. */
static int
read_token(const char *path, char **out)
{
	char buf[TOKEN_MAX + 2];
	size_t n, i = 0;
	FILE *f;

	if ((f = fopen(path, "re")) == NULL) {
		ctl_warnx("%s: %s", path, strerror(errno));
		return -errno;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (strlen(buf) > TOKEN_MAX) {
		ctl_warnx("%s: token longer than %d bytes", path, TOKEN_MAX);
		return -EINVAL;
	}
	while (buf[i] == ' ' || buf[i] == '\t')
		i++;
	n = strlen(buf + i);
	while (n > 0 && (buf[i + n - 1] == ' ' || buf[i + n - 1] == '\t'))
		n--;
	buf[i + n] = '\0';
	if (n == 0) {
		ctl_warnx("%s: no token in the file", path);
		return -EINVAL;
	}
	if ((*out = strdup(buf + i)) == NULL)
		return -ENOMEM;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "token-file", required_argument, NULL, 'T' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "all", no_argument, NULL, 'a' },
		{ "sort", required_argument, NULL, 's' },
		{ "at", required_argument, NULL, OPT_AT },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "until", required_argument, NULL, OPT_UNTIL },
		{ "window", required_argument, NULL, OPT_WINDOW },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "resolution", required_argument, NULL, OPT_RES },
		{ "target", required_argument, NULL, OPT_TARGET },
		{ "targets", no_argument, NULL, OPT_TARGETS },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_dump_args da = { .csv = true, .resolution = "raw" };
	const char *at = NULL, *window = NULL;
	struct ctl c = { .timeout_s = 10 };
	const char *url = getenv("PROCWATCH_URL"), *tokfile = NULL, *cmd, *tok;
	bool all = false;
	enum ctl_sort_key key = CTL_SORT_CPU;
	size_t n;
	char *end;
	int ch, rc = EXIT_USAGE;

	/* GNU getopt permutes: "status --all" and "show 1 --json" work. */
	while ((ch = getopt_long(argc, argv, "u:T:jt:has:", opts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'u':
			url = optarg;
			break;
		case 'T':
			tokfile = optarg;
			break;
		case 'j':
			c.json = true;
			break;
		case 't':
			c.timeout_s = strtol(optarg, &end, 10);
			if (*end != '\0' || c.timeout_s <= 0 ||
			    c.timeout_s > 3600) {
				ctl_warnx("--timeout: expected 1 to 3600 "
				    "seconds");
				return EXIT_USAGE;
			}
			break;
		case 'a':
			all = true;
			break;
		case 's':
			if (ctl_parse_sort(optarg, &key) < 0) {
				ctl_warnx("--sort: expected cpu, mem, rss, fds, "
				    "pid or name");
				return EXIT_USAGE;
			}
			break;
		case OPT_AT:
			at = optarg;
			break;
		case OPT_SINCE:
			da.since = optarg;
			break;
		case OPT_UNTIL:
			da.until = optarg;
			break;
		case OPT_WINDOW:
			window = optarg;
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "csv") != 0 &&
			    strcmp(optarg, "jsonl") != 0) {
				ctl_warnx("--format: expected csv or jsonl");
				return EXIT_USAGE;
			}
			da.csv = strcmp(optarg, "csv") == 0;
			break;
		case OPT_RES:
			if (strcmp(optarg, "raw") != 0 &&
			    strcmp(optarg, "1m") != 0 &&
			    strcmp(optarg, "1h") != 0 &&
			    strcmp(optarg, "auto") != 0) {
				ctl_warnx("--resolution: expected raw, 1m, 1h "
				    "or auto");
				return EXIT_USAGE;
			}
			da.resolution = optarg;
			break;
		case OPT_TARGET:
			if (!ctl_target_name_ok(optarg)) {
				ctl_warnx("--target: \"%s\" is not a target "
				    "name (1 to 64 of A-Z a-z 0-9 _ . -)",
				    optarg);
				return EXIT_USAGE;
			}
			da.target = optarg;
			break;
		case OPT_TARGETS:
			da.targets = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[optind++];
	if (url == NULL || url[0] == '\0')
		url = DEFAULT_URL;
	if ((c.base = strdup(url)) == NULL)
		return EXIT_DAEMON;
	n = strlen(c.base);
	while (n > 0 && c.base[n - 1] == '/')
		c.base[--n] = '\0';
	if (tokfile != NULL) {
		if (read_token(tokfile, &c.token) < 0)
			goto out;
	} else if ((tok = getenv("PROCWATCH_TOKEN")) != NULL && tok[0] != '\0' &&
	    (c.token = strdup(tok)) == NULL)
		goto out;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (c.curl = curl_easy_init()) == NULL) {
		ctl_warnx("cannot initialise libcurl");
		rc = EXIT_DAEMON;
		goto out;
	}
	if (strcmp(cmd, "status") == 0 && optind == argc)
		rc = ctl_cmd_status(&c, all, key, at);
	else if (strcmp(cmd, "show") == 0 && optind + 1 == argc)
		rc = cmd_show(&c, argv[optind], da.since, da.until);
	else if (strcmp(cmd, "memory") == 0 && (optind + 1 == argc ||
	    optind + 2 == argc))
		rc = ctl_cmd_memory(&c, argv[optind], optind + 2 == argc ?
		    argv[optind + 1] : NULL);
	else if (strcmp(cmd, "alerts") == 0 && optind == argc)
		rc = cmd_alerts(&c, at);
	else if (strcmp(cmd, "top") == 0 && optind == argc)
		rc = cmd_top(&c, false, at, window);
	else if (strcmp(cmd, "top") == 0 && optind + 1 == argc &&
	    strcmp(argv[optind], "targets") == 0)
		rc = cmd_top(&c, true, at, window);
	else if (strcmp(cmd, "dump") == 0 && optind + 1 >= argc &&
	    (optind == argc || (pid_ok(argv[optind]) && da.target == NULL &&
	    !da.targets))) {
		da.pid = optind < argc ? argv[optind] : NULL;
		rc = ctl_dump(&c, &da);
	}
	else if (strcmp(cmd, "targets") == 0 && optind == argc)
		rc = ctl_cmd_targets(&c);
	else if (strcmp(cmd, "targets") == 0 && optind + 1 == argc)
		rc = ctl_cmd_target(&c, argv[optind]);
	else if (strcmp(cmd, "reload") == 0 && optind == argc)
		rc = cmd_reload(&c);
	else {
		ctl_warnx("%s: unknown command or wrong arguments", cmd);
		usage(stderr);
		rc = EXIT_USAGE;
	}
	ctl_catalogue_free(&c);
	curl_easy_cleanup(c.curl);
	curl_global_cleanup();
out:
	free(c.token);
	free(c.base);
	return rc;
}