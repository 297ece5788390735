/*
 * ctl_targets.c: `procwatchctl targets [NAME]`, each target as a whole
 * from GET /api/v1/targets, or one with its cgroup (pressure, memory
 * events, OOM kills) and sparklines of its group samples.
 *
 * DESIGN: split out of procwatchctl.c; a target name is checked here
 * (ctl_target_name_ok(), the config's rule) before it goes into a path,
 * and `dump --target` uses the same check.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "daemon/ctl.h"

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

int
ctl_cmd_targets(struct ctl *c)
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
bool
ctl_target_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 64 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
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
int
ctl_cmd_target(struct ctl *c, const char *name)
{
	char path[128], spath[160], b1[32], b2[32];
	char cpu_tail[128], key[80];
	const struct ctl_metric *m;
	cJSON *t = NULL, *hist = NULL;
	const cJSON *s, *pids, *it;
	double v, w;
	int rc;

	if (!ctl_target_name_ok(name)) {
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
