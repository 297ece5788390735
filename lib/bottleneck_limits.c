/*
 * bottleneck_limits.c: what a subject's CPU and memory shares are of: the
 * host's CPU count, and the cgroup CPU and memory limits of a process or
 * a target (v2 files, else v1), read under a cgroup root.
 *
 * DESIGN: the limits are read outside the store's lock, after a snapshot,
 * and each cgroup path once however many processes share it.  The
 * tightest limit on the way up to the root counts.  A missing or
 * unreadable file means no limit, never an error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* strndup, qsort_r */
#endif
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/bottleneck.h>
#include <procwatch/metric.h>
#include <procwatch/psi.h>
#include <procwatch/store.h>

#include "bottleneck_impl.h"

double
pw_bn_read_ncpu(const char *proc_root)
{
	char path[PATH_MAX], line[256];
	FILE *fp;
	double n = 0;

	if (proc_root == NULL || (size_t)snprintf(path, sizeof(path),
	    "%s/stat", proc_root) >= sizeof(path))
		return 0;
	if ((fp = fopen(path, "re")) == NULL)
		return 0;
	/* proc(5): "cpuN ..." per online CPU, after the "cpu " total. */
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "cpu", 3) == 0 && line[3] >= '0' &&
		    line[3] <= '9')
			n++;
		else if (strncmp(line, "cpu", 3) != 0)
			break;
		/* A long line ends within the next read: skip its rest. */
		while (strchr(line, '\n') == NULL && fgets(line, sizeof(line),
		    fp) != NULL)
			;
	}
	fclose(fp);
	return n;
}

/* The first line of ROOT/DIR/PATH/FILE into buf; false if unreadable. */
static bool
read_line(const char *root, const char *dir, const char *path, size_t plen,
    const char *file, char *buf, size_t len)
{
	char fn[PATH_MAX];
	FILE *fp;
	bool ok;

	if ((size_t)snprintf(fn, sizeof(fn), "%s%s%.*s/%s", root, dir,
	    (int)plen, path, file) >= sizeof(fn))
		return false;
	if ((fp = fopen(fn, "re")) == NULL)
		return false;
	ok = fgets(buf, (int)len, fp) != NULL;
	fclose(fp);
	return ok;
}

/* The limits of the one cgroup PATH[0..plen), 0 where none. */
static void
limits_at(const char *root, const char *path, size_t plen, double *cpu,
    uint64_t *mem)
{
	char buf[128], *end;
	long long q, per;
	unsigned long long m;

	*cpu = 0;
	*mem = 0;
	/* v2: "max 100000" or "50000 100000"; memory.max "max" or bytes. */
	if (read_line(root, "", path, plen, "cpu.max", buf, sizeof(buf)) &&
	    sscanf(buf, "%lld %lld", &q, &per) == 2 && q > 0 && per > 0)
		*cpu = (double)q / (double)per;
	else if (read_line(root, "/cpu,cpuacct", path, plen,
	    "cpu.cfs_quota_us", buf, sizeof(buf)) &&
	    (q = strtoll(buf, NULL, 10)) > 0 && read_line(root,
	    "/cpu,cpuacct", path, plen, "cpu.cfs_period_us", buf,
	    sizeof(buf)) && (per = strtoll(buf, NULL, 10)) > 0)
		*cpu = (double)q / (double)per;
	if (read_line(root, "", path, plen, "memory.max", buf, sizeof(buf))) {
		m = strtoull(buf, &end, 10);
		if (end != buf)
			*mem = m;
	} else if (read_line(root, "/memory", path, plen,
	    "memory.limit_in_bytes", buf, sizeof(buf))) {
		/* v1 says "no limit" with a huge page-rounded number. */
		m = strtoull(buf, &end, 10);
		if (end != buf && m < (1ull << 62))
			*mem = m;
	}
}

void
pw_bn_read_limits(const char *root, const char *path, double *cpu_limit,
    uint64_t *mem_limit)
{
	size_t plen;
	double c;
	uint64_t m;

	*cpu_limit = 0;
	*mem_limit = 0;
	if (root == NULL || path == NULL || path[0] != '/' ||
	    strncmp(path, "/..", 3) == 0)
		return;
	/* The tightest limit on the way up counts; the root has none. */
	for (plen = strlen(path); plen > 1;) {
		limits_at(root, path, plen, &c, &m);
		if (c > 0 && (*cpu_limit == 0 || c < *cpu_limit))
			*cpu_limit = c;
		if (m > 0 && (*mem_limit == 0 || m < *mem_limit))
			*mem_limit = m;
		while (plen > 1 && path[plen - 1] != '/')
			plen--;
		if (plen > 1)
			plen--;		/* the '/' before the last component */
	}
}

int
pw__bn_plimit_cmp(const void *x, const void *y)
{
	const struct pw__bn_plimit *a = x, *b = y;

	return a->pid < b->pid ? -1 : a->pid > b->pid;
}

/* snap->procs[] indices by cgroup path, to read each path once. */
static int
cg_idx_cmp(const void *x, const void *y, void *arg)
{
	const struct pw_snapshot *snap = arg;
	const char *a = snap->procs[*(const size_t *)x].cgroup;
	const char *b = snap->procs[*(const size_t *)y].cgroup;

	return strcmp(a != NULL ? a : "", b != NULL ? b : "");
}

/*
 * The limits of every process of snap, by pid in a malloc'd *out: the
 * processes are visited by cgroup path, so each path is read once.
 */
int
pw__bn_limits_read(const struct pw_snapshot *snap, const char *root,
    struct pw__bn_plimit **out)
{
	struct pw__bn_plimit *v;
	size_t *idx, i, k;
	const char *cg, *prev = NULL;
	double cpu = 0;
	uint64_t mem = 0;

	if ((v = calloc(snap->n ? snap->n : 1, sizeof(*v))) == NULL)
		return -ENOMEM;
	if ((idx = malloc((snap->n ? snap->n : 1) * sizeof(*idx))) == NULL) {
		free(v);
		return -ENOMEM;
	}
	for (i = 0; i < snap->n; i++)
		idx[i] = i;
	if (root != NULL)
		qsort_r(idx, snap->n, sizeof(*idx), cg_idx_cmp, (void *)snap);
	for (i = 0; i < snap->n; i++) {
		k = idx[i];
		v[i].pid = snap->procs[k].pid;
		cg = snap->procs[k].cgroup;
		if (root == NULL || cg == NULL || cg[0] == '\0')
			continue;
		if (prev == NULL || strcmp(prev, cg) != 0) {
			pw_bn_read_limits(root, cg, &cpu, &mem);
			prev = cg;
		}
		v[i].cpu = cpu;
		v[i].mem = mem;
	}
	free(idx);
	qsort(v, snap->n, sizeof(*v), pw__bn_plimit_cmp);
	*out = v;
	return 0;
}

/*
 * The cgroup of group view gv for its limits: a cgroup selector's path,
 * or for a unit, the part of a member's cgroup path that ends in the
 * unit's component.  Returns a malloc'd path, or NULL (none, or a glob).
 */
char *
pw__bn_group_cgroup(const struct pw_snapshot *snap,
    const struct pw_group_view *gv)
{
	const char *sel = gv->selector, *unit, *cg, *at;
	size_t i, ulen;

	if (sel == NULL)
		return NULL;
	if (strncmp(sel, "cgroup ", 7) == 0)
		return strdup(sel + 7);
	if (strncmp(sel, "unit ", 5) != 0 || strpbrk(sel, "*?[") != NULL)
		return NULL;
	unit = sel + 5;
	ulen = strlen(unit);
	for (i = 0; i < snap->n; i++) {
		if (snap->procs[i].target == NULL || strcmp(
		    snap->procs[i].target, gv->name) != 0 ||
		    (cg = snap->procs[i].cgroup) == NULL)
			continue;
		for (at = strchr(cg, '/'); at != NULL; at = strchr(at + 1,
		    '/'))
			if (strncmp(at + 1, unit, ulen) == 0 &&
			    (at[1 + ulen] == '/' || at[1 + ulen] == '\0'))
				return strndup(cg, (size_t)(at + 1 + ulen -
				    cg));
	}
	return NULL;
}
