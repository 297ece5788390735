/*
 * source_libproc2.c: the process-describing source built on libproc2.
 *
 * This is the only file that calls libproc2 (procps-ng 4): its API changed
 * between releases, so the changes stay here.  It is used when a process is
 * first seen, never per sample: libproc2 opens every file on every read,
 * which the hot path avoids (procwatch/procfs.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libproc2/pids.h>

#include <procwatch/cgroup.h>

#include "source_impl.h"

/* procps_pids_select() takes at most this many pids per call. */
#define SELECT_MAX	200

enum rel { R_PID, R_PPID, R_BEGAN, R_EUID, R_EUSER, R_CMD, R_CMDLINE };

static enum pids_item items[] = {
	PIDS_ID_PID, PIDS_ID_PPID, PIDS_TICS_BEGAN, PIDS_ID_EUID,
	PIDS_ID_EUSER, PIDS_CMD, PIDS_CMDLINE,
};

struct libproc2_source {
	struct pw_source	 base;
	struct pids_info	*info;
};

static int
fill(struct pids_stack *stk, struct pw_procinfo *pi)
{
	const char *user = PIDS_VAL(R_EUSER, str, stk, NULL);
	const char *cmd = PIDS_VAL(R_CMD, str, stk, NULL);
	const char *cmdline = PIDS_VAL(R_CMDLINE, str, stk, NULL);
	char uidbuf[16];

	pi->pid = PIDS_VAL(R_PID, s_int, stk, NULL);
	pi->ppid = PIDS_VAL(R_PPID, s_int, stk, NULL);
	pi->start_ticks = PIDS_VAL(R_BEGAN, ull_int, stk, NULL);
	pi->uid = PIDS_VAL(R_EUID, u_int, stk, NULL);
	snprintf(pi->comm, sizeof(pi->comm), "%s", cmd != NULL ? cmd : "");
	if (user == NULL || *user == '\0') {
		snprintf(uidbuf, sizeof(uidbuf), "%u", (unsigned)pi->uid);
		user = uidbuf;
	}
	pi->user = strdup(user);
	pi->cmdline = strdup(cmdline != NULL ? cmdline : "");
	if (pi->user == NULL || pi->cmdline == NULL)
		goto out_nomem;
	/*
	 * Read by hand rather than as PIDS_CGROUP, whose formatting differs
	 * between libproc2 releases; the same reader as the procfs source.
	 * Any other failure leaves the cgroup unknown (lib/source.c).
	 */
	if (pw_cgroup_read("/proc", pi->pid, &pi->cgroup) == -ENOMEM)
		goto out_nomem;
	return 0;
out_nomem:
	pw_procinfo_fini(pi);
	return -ENOMEM;
}

static int
describe_chunk(struct libproc2_source *s, const pid_t *pids, size_t n,
    struct pw_procinfo *out)
{
	unsigned these[SELECT_MAX];
	struct pids_fetch *f;
	struct pw_procinfo pi;
	size_t i, j;
	int k, found = 0, rc;

	for (i = 0; i < n; i++) {
		these[i] = (unsigned)pids[i];
		memset(&out[i], 0, sizeof(out[i]));
	}
	f = procps_pids_select(s->info, these, (int)n, PIDS_SELECT_PID);
	if (f == NULL)
		return -EIO;
	for (k = 0; k < f->counts->total; k++) {
		memset(&pi, 0, sizeof(pi));
		if ((rc = fill(f->stacks[k], &pi)) < 0) {
			for (j = 0; j < n; j++)
				pw_procinfo_fini(&out[j]);
			return rc;
		}
		/* Results come in /proc order; put each where it was asked. */
		for (j = 0; j < n && pids[j] != pi.pid; j++)
			;
		if (j == n || out[j].pid != 0) {
			pw_procinfo_fini(&pi);
			continue;
		}
		out[j] = pi;
		found++;
	}
	return found;
}

static int
l2_describe(struct pw_source *base, const pid_t *pids, size_t n,
    struct pw_procinfo *out)
{
	struct libproc2_source *s = (struct libproc2_source *)base;
	size_t off, chunk;
	int rc, found = 0;

	for (off = 0; off < n; off += chunk) {
		chunk = n - off < SELECT_MAX ? n - off : SELECT_MAX;
		if ((rc = describe_chunk(s, pids + off, chunk, out + off)) < 0) {
			while (off-- > 0)
				pw_procinfo_fini(&out[off]);
			return rc;
		}
		found += rc;
	}
	return found;
}

static void
l2_free(struct pw_source *base)
{
	struct libproc2_source *s = (struct libproc2_source *)base;

	procps_pids_unref(&s->info);
	free(s);
}

struct pw_source *
pw_source_new_libproc2(void)
{
	struct libproc2_source *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if (procps_pids_new(&s->info, items,
	    (int)(sizeof(items) / sizeof(*items))) < 0) {
		free(s);
		return NULL;
	}
	s->base.name = "libproc2";
	s->base.describe = l2_describe;
	s->base.free = l2_free;
	return &s->base;
}
