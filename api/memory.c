/*
 * api/memory.c: GET /api/v1/processes/{pid}/memory: the process's memory
 * read now from /proc/PID/smaps_rollup and /proc/PID/smaps
 * (procwatch/smaps.h, through pw_monitor_memory()).
 *
 * MEMORY: {"pid", "address_space" (false for a kernel thread or a zombie:
 *          every figure is then 0), "totals": {"rss_bytes", "pss_bytes",
 *          "uss_bytes", "swap_bytes", "swap_pss_bytes" (null on a kernel
 *          without SwapPss), "shared_clean_bytes", "shared_dirty_bytes",
 *          "private_clean_bytes", "private_dirty_bytes",
 *          "anonymous_bytes", "file_bytes" (resident, not anonymous),
 *          "locked_bytes"}, "mappings" (how many), "limit",
 *          "largest": [MAP, largest PSS first]}
 * MAP:    {"name" (a path, "[heap]", "[stack]", "[anon]", ...), "start",
 *          "end" (hex addresses, "0x7f..."), "perms", "size_bytes",
 *          "rss_bytes", "pss_bytes", "swap_bytes", "private_bytes"}
 *
 * DESIGN: the totals come from smaps_rollup, whose PSS is exact where
 * smaps rounds each mapping's down to a kB; the mappings from smaps.
 * Both are read on the HTTP thread that asked: it is on demand, the
 * kernel's walk of one process, and it holds no lock of ours.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <procwatch/metric.h>
#include <procwatch/monitor.h>
#include <procwatch/smaps.h>

#include "api/api.h"
#include "api/catalogue.h"
#include "api/memory.h"
#include "api/params.h"
#include "pwutil.h"

static bool
add_hex(cJSON *o, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return cJSON_AddStringToObject(o, key, buf) != NULL;
}

static bool
add_totals(cJSON *o, const struct pw_smaps_totals *t)
{
	cJSON *j;

	return (j = cJSON_AddObjectToObject(o, "totals")) != NULL &&
	    api_add_u64(j, API_NAME(RSS_BYTES), t->rss) &&
	    api_add_u64(j, API_NAME(PSS_BYTES), t->pss) &&
	    api_add_u64(j, API_NAME(USS_BYTES), pw_smaps_uss(t)) &&
	    api_add_u64(j, API_NAME(SWAP_BYTES), t->swap) &&
	    (t->has_swap_pss || t->rss == 0 ?
	    api_add_u64(j, API_NAME(SWAP_PSS_BYTES), t->swap_pss) :
	    cJSON_AddNullToObject(j, API_NAME(SWAP_PSS_BYTES)) != NULL) &&
	    api_add_u64(j, "shared_clean_bytes", t->shared_clean) &&
	    api_add_u64(j, "shared_dirty_bytes", t->shared_dirty) &&
	    api_add_u64(j, "private_clean_bytes", t->private_clean) &&
	    api_add_u64(j, "private_dirty_bytes", t->private_dirty) &&
	    api_add_u64(j, "anonymous_bytes", t->anonymous) &&
	    api_add_u64(j, "file_bytes", pw_smaps_file(t)) &&
	    api_add_u64(j, "locked_bytes", t->locked);
}

static bool
add_map(cJSON *arr, const struct pw_smaps_map *m)
{
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return false;
	if (!cJSON_AddItemToArray(arr, o)) {
		cJSON_Delete(o);
		return false;
	}
	return api_add_text(o, "name", m->name) &&
	    add_hex(o, "start", m->start) && add_hex(o, "end", m->end) &&
	    api_add_text(o, "perms", m->perms) &&
	    api_add_u64(o, "size_bytes", m->size) &&
	    api_add_u64(o, API_NAME(RSS_BYTES), m->rss) &&
	    api_add_u64(o, API_NAME(PSS_BYTES), m->pss) &&
	    api_add_u64(o, API_NAME(SWAP_BYTES), m->swap) &&
	    api_add_u64(o, "private_bytes", m->private_bytes);
}

unsigned
api_memory_process(struct pw_monitor *mon, pid_t pid, const char *limit,
    cJSON **out, char *err, size_t errlen)
{
	struct pw_smaps_totals tot;
	struct pw_smaps_map *maps = NULL;
	size_t lim = API_MEMORY_DEFAULT_LIMIT, nmaps = 0, n = 0, i;
	bool mm = true;
	char ebuf[128];
	cJSON *o = NULL, *arr;
	int rc;

	*out = NULL;
	if (limit != NULL && api_parse_limit(limit, PW_SMAPS_LIMIT_MAX,
	    &lim) < 0)
		return api_fail(err, errlen, 400,
		    "limit: expected an integer from 1 to %d",
		    PW_SMAPS_LIMIT_MAX);
	rc = pw_monitor_memory(mon, pid, lim, &tot, &nmaps, &maps, &n);
	if (rc == -ENODATA) {
		memset(&tot, 0, sizeof(tot));
		mm = false;
	} else if (rc == -ESRCH)
		return api_fail(err, errlen, 404, "no process with pid %ld",
		    (long)pid);
	else if (rc == -EACCES || rc == -EPERM)
		return api_fail(err, errlen, 403, "the kernel refused to "
		    "show /proc/%ld/smaps: reading another user's process "
		    "needs ptrace read access (CAP_SYS_PTRACE, which the "
		    "shipped systemd unit grants)", (long)pid);
	else if (rc == -ENOMEM)
		return api_oom(err, errlen);
	else if (rc < 0)
		return api_fail(err, errlen, 500, "reading /proc/%ld/smaps: "
		    "%s", (long)pid, pw_strerror(-rc, ebuf, sizeof(ebuf)));
	if ((o = cJSON_CreateObject()) == NULL ||
	    !api_add_u64(o, "pid", (uint64_t)pid) ||
	    cJSON_AddBoolToObject(o, "address_space", mm) == NULL ||
	    !add_totals(o, &tot) ||
	    !api_add_u64(o, "mappings", nmaps) ||
	    !api_add_u64(o, "limit", lim) ||
	    (arr = cJSON_AddArrayToObject(o, "largest")) == NULL)
		goto out_oom;
	for (i = 0; i < n; i++)
		if (!add_map(arr, &maps[i]))
			goto out_oom;
	free(maps);
	*out = o;
	return 200;
out_oom:
	free(maps);
	cJSON_Delete(o);
	return api_oom(err, errlen);
}
