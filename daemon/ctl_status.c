/*
 * ctl_status.c: `procwatchctl status`, the table of monitored processes
 * from GET /api/v1/processes (or ?at= for a past time) under a line of
 * /healthz: which rows to show, in which order, and their columns.
 *
 * DESIGN: split out of procwatchctl.c, which keeps the option parsing;
 * the sort key is parsed there with ctl_parse_sort() so that a bad
 * --sort is a usage error before any request.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "daemon/ctl.h"

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
sort_value(const cJSON *p, enum ctl_sort_key k)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(p, "sample");
	const char *m = k == CTL_SORT_CPU ? "cpu_percent" : k == CTL_SORT_MEM ?
	    "rss_bytes" : "open_fds";
	double v;

	return ctl_num(s, m, &v) ? v : -1;
}

static enum ctl_sort_key status_key;	/* qsort has no argument */

static int
status_cmp(const void *x, const void *y)
{
	const cJSON *a = *(const cJSON * const *)x, *b = *(const cJSON * const *)y;
	double va, vb, pa = 0, pb = 0;
	int c;

	(void)ctl_num(a, "pid", &pa);
	(void)ctl_num(b, "pid", &pb);
	switch (status_key) {
	case CTL_SORT_NAME:
		if ((c = strcmp(ctl_dash(ctl_str(a, "name")),
		    ctl_dash(ctl_str(b, "name")))) != 0)
			return c;
		break;
	case CTL_SORT_PID:
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

int
ctl_parse_sort(const char *s, enum ctl_sort_key *k)
{
	static const struct {
		const char *name;
		enum ctl_sort_key k;
	} keys[] = {
		{ "cpu", CTL_SORT_CPU }, { "mem", CTL_SORT_MEM }, { "rss", CTL_SORT_MEM },
		{ "fds", CTL_SORT_FDS }, { "pid", CTL_SORT_PID }, { "name", CTL_SORT_NAME },
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
status_rows(const cJSON *procs, bool all, enum ctl_sort_key key,
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

int
ctl_cmd_status(struct ctl *c, bool all, enum ctl_sort_key key,
    const char *at)
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
