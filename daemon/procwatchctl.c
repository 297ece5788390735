/*
 * procwatchctl.c: a command-line client for procwatchd's HTTP API: the
 * commands and main().
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
#define SPARK_SAMPLES	60
#define NELEMS(a)	(sizeof(a) / sizeof((a)[0]))

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

/*
 * The metric columns of `status`, between TARGET and STATE; FDS/LIMIT is
 * two metrics in one column.  The narrow ones abbreviate their label.
 */
static const struct ctl_col status_cols[] = {
	{ "cpu_percent", 6, 1, NULL },
	{ "rss_bytes", 7, -1, NULL },
	{ "memory_percent", 5, 1, NULL },
	{ "open_fds", 11, 0, "FDS/LIMIT" },	/* with fd_limit */
	{ "threads", 4, 0, "THR" },
};

/* "open/limit", "open/-" or "-": a process's descriptors. */
static const char *
fmt_fds(struct ctl *c, const cJSON *s, char *buf, size_t len)
{
	char b1[32], b2[32];
	const char *fds, *lim;

	fds = ctl_fmt_metric_key(c, s, "open_fds", CTL_KEY_PROCESS, 0, b1,
	    sizeof(b1));
	lim = ctl_fmt_metric_key(c, s, "fd_limit", CTL_KEY_PROCESS, 0, b2,
	    sizeof(b2));
	if (strcmp(fds, "-") == 0)
		return "-";
	snprintf(buf, len, "%s/%s", fds, lim);
	return buf;
}

/* --- status: order and filter ------------------------------------------- */

enum sort_key { SORT_CPU, SORT_MEM, SORT_FDS, SORT_PID, SORT_NAME };

/* A kernel thread as lib/target.c tells one (pw_procinfo_is_kthread()). */
static bool
is_kthread(const cJSON *p)
{
	const char *cmd = ctl_str(p, "cmdline");
	double pid = 0, ppid = 0;

	(void)ctl_num(p, "pid", &pid);
	(void)ctl_num(p, "ppid", &ppid);
	return (pid == 2 || ppid == 2) && (cmd == NULL || cmd[0] == '\0' ||
	    cmd[0] == '[');
}

/* The figure a row is sorted by; absent sorts last. */
static double
sort_value(const cJSON *p, enum sort_key k)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(p, "sample");
	const char *m = k == SORT_CPU ? "cpu_percent" : k == SORT_MEM ?
	    "rss_bytes" : "open_fds";
	double v;

	return ctl_num(s, m, &v) ? v : -1;
}

static enum sort_key status_key;	/* qsort has no argument */

static int
status_cmp(const void *x, const void *y)
{
	const cJSON *a = *(const cJSON * const *)x, *b = *(const cJSON * const *)y;
	double va, vb, pa = 0, pb = 0;
	int c;

	(void)ctl_num(a, "pid", &pa);
	(void)ctl_num(b, "pid", &pb);
	switch (status_key) {
	case SORT_NAME:
		if ((c = strcmp(ctl_dash(ctl_str(a, "name")),
		    ctl_dash(ctl_str(b, "name")))) != 0)
			return c;
		break;
	case SORT_PID:
		break;
	default:
		va = sort_value(a, status_key);
		vb = sort_value(b, status_key);
		if (va != vb)
			return va > vb ? -1 : 1;	/* busiest first */
		break;
	}
	return pa < pb ? -1 : pa > pb;
}

static int
parse_sort(const char *s, enum sort_key *k)
{
	static const struct { const char *name; enum sort_key k; } keys[] = {
		{ "cpu", SORT_CPU }, { "mem", SORT_MEM }, { "rss", SORT_MEM },
		{ "fds", SORT_FDS }, { "pid", SORT_PID }, { "name", SORT_NAME },
	};
	size_t i;

	for (i = 0; i < NELEMS(keys); i++)
		if (strcmp(s, keys[i].name) == 0) {
			*k = keys[i].k;
			return 0;
		}
	return -1;
}

/*
 * The rows of procs to show, in order: kernel threads only with `all`.
 * *out is malloc'd (the items are procs'); NULL with *n 0 when empty.
 */
static int
status_rows(const cJSON *procs, bool all, enum sort_key key,
    const cJSON ***out, size_t *n)
{
	const cJSON **v, *p;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if ((v = calloc((size_t)cJSON_GetArraySize(procs) + 1,
	    sizeof(*v))) == NULL)
		return -1;
	cJSON_ArrayForEach(p, procs)
		if (all || !is_kthread(p))
			v[k++] = p;
	status_key = key;
	qsort(v, k, sizeof(*v), status_cmp);
	*out = v;
	*n = k;
	return 0;
}

static int
cmd_status(struct ctl *c, bool all, enum sort_key key, const char *at)
{
	char path[128], when[40];
	cJSON *health = NULL, *root = NULL;
	const cJSON *procs, *p, *s, **rows = NULL;
	char b1[32], b2[32], b3[32], b4[32], fds[72];
	size_t i, r, nrows, hidden;
	double v;
	int rc;

	if (at != NULL) {
		if ((rc = ctl_time_arg("--at", at, when, sizeof(when))) != 0)
			return rc;
		snprintf(path, sizeof(path), "/api/v1/processes?at=%s", when);
	} else
		snprintf(path, sizeof(path), "%s", all ?
		    "/api/v1/processes?all=1" : "/api/v1/processes");
	if (c->json) {
		rc = ctl_get_json(c, path, NULL, true, &root);
		cJSON_Delete(root);
		return rc;
	}
	if ((rc = ctl_get_json(c, "/healthz", NULL, false, &health)) != 0)
		return rc;
	if ((rc = ctl_get_json(c, path, NULL, false, &root)) != 0)
		goto out;
	printf("procwatchd %s at %s: up %s, %s target(s), %s process(es), "
	    "every %s ms\n\n", ctl_dash(ctl_str(health, "version")), c->base,
	    ctl_num(health, "uptime_s", &v) ?
	    ctl_fmt_duration(v, b1, sizeof(b1)) : "-",
	    ctl_fmt_num_key(health, "targets", 0, b2, sizeof(b2)),
	    ctl_fmt_num_key(health, "processes", 0, b3, sizeof(b3)),
	    ctl_fmt_num_key(health, "interval_ms", 0, b4, sizeof(b4)));
	if (at != NULL)
		printf("as at %s (%s samples from the %s)\n\n",
		    ctl_dash(ctl_str(root, "at")),
		    ctl_dash(ctl_str(root, "resolution")),
		    ctl_dash(ctl_str(root, "source")));
	procs = cJSON_GetObjectItemCaseSensitive(root, "processes");
	if (!cJSON_IsArray(procs)) {
		ctl_warnx("GET %s: no \"processes\" array in the reply", path);
		rc = EXIT_DAEMON;
		goto out;
	}
	if (status_rows(procs, all, key, &rows, &nrows) < 0) {
		ctl_warnx("out of memory");
		rc = EXIT_DAEMON;
		goto out;
	}
	hidden = (size_t)cJSON_GetArraySize(procs) - nrows;
	if (nrows == 0) {
		printf("no processes %s%s\n", at != NULL ? "recorded then" :
		    "monitored", hidden > 0 ?
		    " but kernel threads (--all shows them)" : "");
		goto out;
	}
	ctl_col("PID", 7, true);
	ctl_col("NAME", 15, false);
	ctl_col("TARGET", 12, false);
	for (i = 0; i < NELEMS(status_cols); i++)
		ctl_print_col_head(c, &status_cols[i]);
	printf("STATE\n");
	for (r = 0; r < nrows; r++) {
		p = rows[r];
		s = cJSON_GetObjectItemCaseSensitive(p, "sample");
		ctl_col(ctl_fmt_num_key(p, "pid", 0, b1, sizeof(b1)), 7, true);
		ctl_col(ctl_dash(ctl_str(p, "name")), 15, false);
		ctl_col(ctl_dash(ctl_str(p, "target")), 12, false);
		for (i = 0; i < NELEMS(status_cols); i++) {
			if (strcmp(status_cols[i].metric, "open_fds") == 0)
				ctl_col(fmt_fds(c, s, fds, sizeof(fds)),
				    status_cols[i].width, true);
			else
				ctl_print_col(c, s, &status_cols[i],
				    CTL_KEY_PROCESS);
		}
		/* Then: the state is not kept; say whether it lives on. */
		if (at != NULL)
			printf("%s\n", cJSON_IsTrue(
			    cJSON_GetObjectItemCaseSensitive(p, "alive")) ?
			    "alive now" : "gone now");
		else
			printf("%s\n", cJSON_IsTrue(
			    cJSON_GetObjectItemCaseSensitive(p, "alive")) ?
			    ctl_state_name(ctl_str(s, "state")) : "gone");
	}
	if (hidden > 0)
		printf("(%zu kernel thread%s not shown: --all)\n", hidden,
		    hidden == 1 ? "" : "s");
out:
	free(rows);
	cJSON_Delete(root);
	cJSON_Delete(health);
	return rc;
}

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

/* "name/pid" of a target's top member, or "-". */
static const char *
fmt_top(const cJSON *t, const char *key, char *buf, size_t len)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(t, key);
	double pid;

	if (!cJSON_IsObject(m) || !ctl_num(m, "pid", &pid))
		return "-";
	snprintf(buf, len, "%s/%.0f", ctl_dash(ctl_str(m, "name")), pid);
	return buf;
}

/* The "sample" object of a target (not an object before its first). */
static const cJSON *
sample(const cJSON *t)
{
	return cJSON_GetObjectItemCaseSensitive(t, "sample");
}

/*
 * The metric columns of `targets`, after UP; GONE (not a metric) follows
 * the first.  A target's own fields carry the rows' names.
 */
static const struct ctl_col target_cols[] = {
	{ "processes", 5, 0, NULL },
	{ "cpu_percent", 6, 1, NULL },	/* from the group sample */
	{ "rss_bytes", 7, -1, NULL },
	{ "memory_percent", 5, 1, NULL },
	{ "open_fds", 5, 0, "FDS" },
	{ "threads", 5, 0, "THR" },
};

static int
cmd_targets(struct ctl *c)
{
	const char *path = "/api/v1/targets";
	const cJSON *arr, *t;
	cJSON *root = NULL;
	char b1[32], b2[48], b3[48];
	size_t i;
	int rc;

	if ((rc = ctl_get_json(c, path, "targets are not available: this "
	    "procwatchd has no /api/v1/targets", true, &root)) != 0 ||
	    c->json)
		goto out;
	arr = cJSON_GetObjectItemCaseSensitive(root, "targets");
	if (!cJSON_IsArray(arr)) {
		ctl_warnx("GET %s: no \"targets\" array in the reply", path);
		rc = EXIT_DAEMON;
		goto out;
	}
	ctl_col("TARGET", 16, false);
	ctl_col("UP", 4, false);
	for (i = 0; i < NELEMS(target_cols); i++) {
		ctl_print_col_head(c, &target_cols[i]);
		if (i == 0)
			ctl_col("GONE", 4, true);
	}
	ctl_col("TOP CPU", 22, false);
	printf("TOP RSS\n");
	cJSON_ArrayForEach(t, arr) {
		ctl_col(ctl_dash(ctl_str(t, "name")), 16, false);
		ctl_col(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t,
		    "up")) ? "yes" : "no", 4, false);
		for (i = 0; i < NELEMS(target_cols); i++) {
			/* The group's own: with members gone and children
			 * reaped. */
			if (strcmp(target_cols[i].metric, "cpu_percent") == 0 &&
			    cJSON_IsObject(sample(t)))
				ctl_print_col(c, sample(t), &target_cols[i],
				    CTL_KEY_GROUP);
			else
				ctl_print_col(c, t, &target_cols[i],
				    CTL_KEY_NAME);
			if (i == 0)
				ctl_col(ctl_fmt_num_key(t, "gone", 0, b1,
				    sizeof(b1)), 4, true);
		}
		ctl_col(fmt_top(t, "top_cpu", b2, sizeof(b2)), 22, false);
		printf("%s\n", fmt_top(t, "top_rss", b3, sizeof(b3)));
	}
out:
	cJSON_Delete(root);
	return rc;
}

/* A name procwatchd's configuration allows: 1-64 of A-Z a-z 0-9 _ . - */
static bool
target_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 64 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

/* A pid as `dump` takes it: 1 to 7 digits, not starting with 0. */
static bool
pid_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 7 && s[0] != '0' &&
	    strspn(s, "0123456789") == n;
}

/* Metric `name` of a group's sample, formatted by its unit, or "-". */
#define GROUP_METRIC(s, name, buf)					\
	ctl_fmt_metric_key(c, (s), (name), CTL_KEY_GROUP, -1, (buf),	\
	    sizeof(buf))

/*
 * A target's cgroup: its pressure (PSI avg10, some and full) and memory
 * events, or why there are none; the OOM kills procwatchd saw.
 */
static void
print_cgroup(struct ctl *c, const cJSON *s)
{
	char b[8][32];
	const char *why;

	if ((why = ctl_str(s, "pressure_unavailable")) != NULL)
		printf("  %-10snone: %s\n", "pressure", why);
	else
		printf("  %-10scpu %s%% (full %s%%), memory %s%% (full %s%%), "
		    "io %s%% (full %s%%) over 10 s\n", "pressure",
		    GROUP_METRIC(s, "pressure_cpu_some_percent", b[0]),
		    GROUP_METRIC(s, "pressure_cpu_full_percent", b[1]),
		    GROUP_METRIC(s, "pressure_memory_some_percent", b[2]),
		    GROUP_METRIC(s, "pressure_memory_full_percent", b[3]),
		    GROUP_METRIC(s, "pressure_io_some_percent", b[4]),
		    GROUP_METRIC(s, "pressure_io_full_percent", b[5]));
	if ((why = ctl_str(s, "memory_events_unavailable")) != NULL)
		printf("  %-10snone: %s\n", "memcg", why);
	else
		printf("  %-10soom_kill %s, oom %s, high %s, max %s, limit %s "
		    "(%s)\n", "memcg",
		    GROUP_METRIC(s, "memory_events_oom_kill", b[0]),
		    GROUP_METRIC(s, "memory_events_oom", b[1]),
		    GROUP_METRIC(s, "memory_events_high", b[2]),
		    GROUP_METRIC(s, "memory_events_max", b[3]),
		    GROUP_METRIC(s, "cgroup_memory_limit_bytes", b[4]),
		    ctl_dash(ctl_str(s, "memory_events_source")));
	printf("  %-10s%s killed by the OOM killer, %s lately\n", "oom",
	    GROUP_METRIC(s, "oom_kills", b[6]),
	    GROUP_METRIC(s, "oom_kills_recent", b[7]));
}

/* One target as a whole, with sparklines of its aggregate samples. */
static int
cmd_target(struct ctl *c, const char *name)
{
	char path[128], spath[160], b1[32], b2[32];
	char cpu_tail[128], key[80];
	const struct ctl_metric *m;
	cJSON *t = NULL, *hist = NULL;
	const cJSON *s, *pids, *it;
	double v, w;
	int rc;

	if (!target_name_ok(name)) {
		ctl_warnx("targets: \"%s\" is not a target name (1 to 64 of "
		    "A-Z a-z 0-9 _ . -)", name);
		return EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "/api/v1/targets/%s", name);
	snprintf(spath, sizeof(spath), "%s/samples?limit=%d", path,
	    SPARK_SAMPLES);
	if ((rc = ctl_get_json(c, path, NULL, false, &t)) != 0)
		return rc;
	if (ctl_get_json(c, spath, NULL, false, &hist) != 0)
		hist = NULL;	/* an older daemon: no group ring */
	if (c->json) {
		rc = ctl_print_with_samples("target", &t, &hist);
		goto out;
	}

	s = sample(t);
	printf("target %s (%s), %s, %s process(es)", name,
	    ctl_dash(ctl_str(t, "selector")),
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "up")) ?
	    "up" : "down", ctl_fmt_metric_key(c, t, "processes",
	    CTL_KEY_NAME, 0, b1, sizeof(b1)));
	if (ctl_num(t, "min_processes", &v) && v > 0)
		printf(", at least %.0f", v);
	if (ctl_num(t, "max_processes", &v))
		printf(", at most %.0f", v);
	printf(", %s gone\n", ctl_fmt_num_key(t, "gone", 0, b1, sizeof(b1)));
	if (cJSON_IsObject(s)) {
		snprintf(cpu_tail, sizeof(cpu_tail), "; %s s in all, %s s of "
		    "it reaped children\n", GROUP_METRIC(s, "cpu_seconds",
		    b1), GROUP_METRIC(s, "children_cpu_seconds", b2));
		ctl_print_cpu_memory(c, s, CTL_KEY_GROUP, cpu_tail);
		printf("  %-10s%s", "fds", GROUP_METRIC(s, "open_fds", b1));
		/* The worst member's usage, with whose it is: KEY_pid. */
		m = ctl_metric(c, "fd_usage");
		if (m->gkey != NULL && ctl_num(s, m->gkey, &v) &&
		    snprintf(key, sizeof(key), "%s_pid", m->gkey) > 0 &&
		    ctl_num(s, key, &w))
			printf(", worst member %s%% of its limit (pid %.0f)",
			    ctl_fmt_metric(m, v, 1, b1, sizeof(b1)), w);
		printf("\n  %-10s%s\n", "threads",
		    GROUP_METRIC(s, "threads", b1));
		printf("  %-10sread %s, written %s since watched\n", "i/o",
		    GROUP_METRIC(s, "read_bytes", b1),
		    GROUP_METRIC(s, "write_bytes", b2));
		print_cgroup(c, s);
		printf("  %-10s%s\n", "sampled", ctl_dash(ctl_str(s, "ts")));
	} else
		printf("  (no sample yet)\n");
	pids = cJSON_GetObjectItemCaseSensitive(t, "pids");
	if (cJSON_IsArray(pids) && cJSON_GetArraySize(pids) > 0) {
		printf("  %-10s", "pids");
		cJSON_ArrayForEach(it, pids)
			if (cJSON_IsNumber(it))
				printf(" %.0f", it->valuedouble);
		putchar('\n');
	}
	ctl_print_history(c, t, hist, true);
out:
	cJSON_Delete(hist);
	cJSON_Delete(t);
	return rc;
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
	enum sort_key key = SORT_CPU;
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
			if (parse_sort(optarg, &key) < 0) {
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
			if (!target_name_ok(optarg)) {
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
		rc = cmd_status(&c, all, key, at);
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
		rc = cmd_targets(&c);
	else if (strcmp(cmd, "targets") == 0 && optind + 1 == argc)
		rc = cmd_target(&c, argv[optind]);
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