/*
 * source.c: dispatch for struct pw_source, and the procfs source, which
 * describes processes with our own readers (procwatch/procfs.h) under any
 * procfs root, so tests can point it at a fake tree.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/cgroup.h>
#include <procwatch/procfs.h>

#include "source_impl.h"

/* getpwuid_r() buffers grow up to this on ERANGE. */
#define PWBUF_MAX	(64 * 1024)

struct procfs_source {
	struct pw_source	 base;
	const struct pw_procfs	*fs;		/* borrowed */
};

void
pw_procinfo_fini(struct pw_procinfo *pi)
{
	if (pi == NULL)
		return;
	free(pi->cmdline);
	free(pi->user);
	free(pi->cgroup);
	pi->cmdline = NULL;
	pi->user = NULL;
	pi->cgroup = NULL;
}

int
pw_source_describe(struct pw_source *src, const pid_t *pids, size_t n,
    struct pw_procinfo *out)
{
	return src->describe(src, pids, n, out);
}

void
pw_source_free(struct pw_source *src)
{
	if (src != NULL)
		src->free(src);
}

const char *
pw_source_name(const struct pw_source *src)
{
	return src->name;
}

/* The user name of a uid, or the uid in decimal when it has none. */
static int
user_name(uid_t uid, char **out)
{
	struct passwd pw, *res = NULL;
	char *buf = NULL, *nbuf, *name, num[16];
	size_t size = 1024;
	int rc;

	for (;;) {
		if ((nbuf = realloc(buf, size)) == NULL) {
			free(buf);
			return -ENOMEM;
		}
		buf = nbuf;
		rc = getpwuid_r(uid, &pw, buf, size, &res);
		if (rc != ERANGE || size >= PWBUF_MAX)
			break;
		size *= 2;
	}
	if (rc == 0 && res != NULL && res->pw_name != NULL &&
	    res->pw_name[0] != '\0')
		name = strdup(res->pw_name);
	else {
		snprintf(num, sizeof(num), "%u", (unsigned)uid);
		name = strdup(num);
	}
	free(buf);
	if (name == NULL)
		return -ENOMEM;
	*out = name;
	return 0;
}

/*
 * Describe one process into *pi (zeroed by the caller).  Returns 0,
 * -ESRCH when it is gone, or another negative errno.
 */
static int
describe_one(const struct pw_procfs *fs, pid_t pid, struct pw_procinfo *pi)
{
	struct pw_procstat ps;
	struct pw_procinfo r;
	int rc;

	memset(&r, 0, sizeof(r));
	if ((rc = pw_procfs_read_stat(fs, pid, &ps)) < 0)
		return rc;
	if ((rc = pw_procfs_read_uid(fs, pid, &r.uid)) < 0)
		return rc;
	if ((rc = pw_procfs_read_cmdline(fs, pid, &r.cmdline)) < 0)
		return rc;
	/*
	 * Without a cgroup the process is still described: it just matches
	 * no cgroup or unit target (no file in a fake tree or without
	 * CONFIG_CGROUPS, unusable contents, gone meanwhile).
	 */
	if ((rc = pw_cgroup_read(pw_procfs_root(fs), pid, &r.cgroup)) ==
	    -ENOMEM)
		goto out_cmdline;
	if ((rc = user_name(r.uid, &r.user)) < 0)
		goto out_cgroup;
	r.pid = pid;
	r.ppid = ps.ppid;
	r.start_ticks = ps.starttime;
	memcpy(r.comm, ps.comm, sizeof(r.comm));
	*pi = r;
	return 0;
out_cgroup:
	free(r.cgroup);
out_cmdline:
	free(r.cmdline);
	return rc;
}

static int
procfs_describe(struct pw_source *base, const pid_t *pids, size_t n,
    struct pw_procinfo *out)
{
	struct procfs_source *s = (struct procfs_source *)base;
	size_t i;
	int found = 0, rc;

	for (i = 0; i < n; i++)
		memset(&out[i], 0, sizeof(out[i]));
	for (i = 0; i < n; i++) {
		rc = describe_one(s->fs, pids[i], &out[i]);
		/* Gone, or unparsable (a fake tree): leave pid 0. */
		if (rc == -ESRCH || rc == -EINVAL)
			continue;
		if (rc < 0) {
			while (i-- > 0)
				pw_procinfo_fini(&out[i]);
			return rc;
		}
		found++;
	}
	return found;
}

static void
procfs_free(struct pw_source *base)
{
	free(base);
}

struct pw_source *
pw_source_new_procfs(const struct pw_procfs *fs)
{
	struct procfs_source *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->base.name = "procfs";
	s->base.describe = procfs_describe;
	s->base.free = procfs_free;
	s->fs = fs;
	return &s->base;
}
