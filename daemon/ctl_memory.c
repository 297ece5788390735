/*
 * ctl_memory.c: `procwatchctl memory PID [LIMIT]`, a process's memory by
 * mapping from GET /api/v1/processes/{pid}/memory (api/memory.c): the
 * totals (RSS, PSS, USS, swap, shared and private) and the largest
 * mappings by PSS.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "daemon/ctl.h"

/* A byte count of o's `key`, or "-". */
static const char *
bytes(const cJSON *o, const char *key, char *buf, size_t len)
{
	double v;

	if (!ctl_num(o, key, &v))
		return "-";
	return ctl_fmt_bytes(v, buf, len);
}

int
ctl_cmd_memory(struct ctl *c, const char *pidarg, const char *limit)
{
	char path[128], b1[32], b2[32], b3[32], b4[32];
	const cJSON *t, *arr, *m;
	cJSON *root = NULL;
	unsigned long pid, lim = 10;
	char *end;
	int rc;

	errno = 0;
	pid = strtoul(pidarg, &end, 10);
	if (pidarg[0] < '0' || pidarg[0] > '9' || *end != '\0' ||
	    errno != 0 || pid == 0 || pid > 4194304) {
		ctl_warnx("memory: \"%s\" is not a pid", pidarg);
		return EXIT_USAGE;
	}
	if (limit != NULL) {
		lim = strtoul(limit, &end, 10);
		if (limit[0] < '0' || limit[0] > '9' || *end != '\0' ||
		    errno != 0 || lim == 0 || lim > 1000) {
			ctl_warnx("memory: \"%s\" is not a count of mappings "
			    "(1 to 1000)", limit);
			return EXIT_USAGE;
		}
	}
	snprintf(path, sizeof(path), "/api/v1/processes/%lu/memory?limit=%lu",
	    pid, lim);
	/* A 404 is the daemon's own "no process with pid N". */
	if ((rc = ctl_get_json(c, path, NULL, true, &root)) != 0 || c->json)
		goto out;
	t = cJSON_GetObjectItemCaseSensitive(root, "totals");
	if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(root,
	    "address_space"))) {
		printf("pid %lu has no address space (a kernel thread or a "
		    "zombie)\n", pid);
		goto out;
	}
	printf("pid %lu: %s mappings\n", pid,
	    ctl_fmt_num_key(root, "mappings", 0, b1, sizeof(b1)));
	printf("  %-10s%s\n", "rss", bytes(t, "rss_bytes", b1, sizeof(b1)));
	printf("  %-10s%s (proportional: shared pages divided among their "
	    "processes)\n", "pss", bytes(t, "pss_bytes", b1, sizeof(b1)));
	printf("  %-10s%s (only this process's: what its exit frees)\n",
	    "uss", bytes(t, "uss_bytes", b1, sizeof(b1)));
	printf("  %-10s%s, proportional %s\n", "swap",
	    bytes(t, "swap_bytes", b1, sizeof(b1)),
	    bytes(t, "swap_pss_bytes", b2, sizeof(b2)));
	printf("  %-10s%s clean, %s dirty\n", "shared",
	    bytes(t, "shared_clean_bytes", b1, sizeof(b1)),
	    bytes(t, "shared_dirty_bytes", b2, sizeof(b2)));
	printf("  %-10s%s clean, %s dirty\n", "private",
	    bytes(t, "private_clean_bytes", b1, sizeof(b1)),
	    bytes(t, "private_dirty_bytes", b2, sizeof(b2)));
	printf("  %-10s%s anonymous, %s file and shmem\n", "resident",
	    bytes(t, "anonymous_bytes", b1, sizeof(b1)),
	    bytes(t, "file_bytes", b2, sizeof(b2)));
	arr = cJSON_GetObjectItemCaseSensitive(root, "largest");
	if (cJSON_GetArraySize(arr) == 0)
		goto out;
	printf("\n%8s %8s %8s %8s %-4s %-29s %s\n", "PSS", "RSS", "SIZE",
	    "SWAP", "PERM", "ADDRESS", "MAPPING");
	cJSON_ArrayForEach(m, arr) {
		ctl_col(bytes(m, "pss_bytes", b1, sizeof(b1)), 8, true);
		ctl_col(bytes(m, "rss_bytes", b2, sizeof(b2)), 8, true);
		ctl_col(bytes(m, "size_bytes", b3, sizeof(b3)), 8, true);
		ctl_col(bytes(m, "swap_bytes", b4, sizeof(b4)), 8, true);
		ctl_col(ctl_dash(ctl_str(m, "perms")), 4, false);
		snprintf(path, sizeof(path), "%s-%s",
		    ctl_dash(ctl_str(m, "start")), ctl_dash(ctl_str(m, "end")));
		ctl_col(path, 29, false);
		printf("%s\n", ctl_dash(ctl_str(m, "name")));
	}
out:
	cJSON_Delete(root);
	return rc;
}
