/*
 * procfs.c: reading /proc (proc(5)): the procfs root, opening and reading
 * a process's files, the whole-file readers, and the listings of
 * processes and threads.  The parsers are in lib/procfs_parse.c; process
 * handles and the sampling hot path are in lib/procfs_sample.c.
 *
 * DESIGN: the readers here open, read and close, and serve the slow paths
 * (discovery, describing a new process).
 *
 * Errors: a file of a process that cannot be found (ENOENT, ESRCH) means
 * the process is gone and is reported as -ESRCH.  The exception is
 * /proc/PID/io (see lib/procfs_sample.c).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <procwatch/procfs.h>

#include "internal.h"
#include "procfs_impl.h"

/* --- the procfs root ------------------------------------------------------ */

struct pw_procfs *
pw_procfs_new(const char *root)
{
	struct pw_procfs *fs;
	size_t len;
	long ps;

	if (root == NULL || *root == '\0')
		root = "/proc";
	len = strlen(root);
	while (len > 1 && root[len - 1] == '/')
		len--;
	if ((fs = calloc(1, sizeof(*fs))) == NULL)
		return NULL;
	if ((fs->root = strndup(root, len)) == NULL) {
		free(fs);
		return NULL;
	}
	/*
	 * Only the real /proc reports a descriptor count as the size of
	 * PID/fd; a directory in a fake tree has an unrelated size.
	 */
	fs->is_proc = strcmp(fs->root, "/proc") == 0;
	ps = sysconf(_SC_PAGESIZE);
	fs->page_size = ps > 0 ? ps : 4096;
	ps = sysconf(_SC_CLK_TCK);
	fs->hz = ps > 0 ? ps : 100;
	return fs;
}

void
pw_procfs_set_delays(struct pw_procfs *fs, const struct pw_delay_src *src)
{
	fs->delays = src;
}

void
pw_procfs_free(struct pw_procfs *fs)
{
	if (fs == NULL)
		return;
	free(fs->root);
	free(fs);
}

const char *
pw_procfs_root(const struct pw_procfs *fs)
{
	return fs->root;
}

/* --- file access ---------------------------------------------------------- */

/* ENOENT or ESRCH on a file of a process: the process is gone. */
int
pw__procfs_gone(int negerr)
{
	return negerr == -ENOENT || negerr == -ESRCH ? -ESRCH : negerr;
}

/* ROOT/PID/name, or ROOT/name when pid is 0. */
static int
make_path(const struct pw_procfs *fs, pid_t pid, const char *name,
    char *buf, size_t size)
{
	int n;

	if (pid > 0)
		n = snprintf(buf, size, "%s/%d/%s", fs->root, (int)pid, name);
	else
		n = snprintf(buf, size, "%s/%s", fs->root, name);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

/* Open ROOT/PID/name read-only: a descriptor, or a negative errno as is. */
int
pw__procfs_open(const struct pw_procfs *fs, pid_t pid, const char *name)
{
	char path[PATH_MAX];
	int fd, rc;

	if ((rc = make_path(fs, pid, name, path, sizeof(path))) < 0)
		return rc;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	return fd;
}

/* One pread() at offset 0: what the kernel hands out is one snapshot. */
ssize_t
pw__procfs_pread0(int fd, char *buf, size_t size)
{
	ssize_t n;

	do
		n = pread(fd, buf, size, 0);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

ssize_t
pw__read_upto(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len < size) {
		n = read(fd, buf + len, size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	return (ssize_t)len;
}

/*
 * Read the first `size` bytes of ROOT/PID/name (ROOT/name when pid is 0)
 * into buf.  Returns the length, or a negative errno (-ESRCH for a
 * process's file that is not there).
 */
static ssize_t
read_small(const struct pw_procfs *fs, pid_t pid, const char *name,
    char *buf, size_t size)
{
	ssize_t n;
	int fd;

	if ((fd = pw__procfs_open(fs, pid, name)) < 0)
		return pid > 0 ? pw__procfs_gone(fd) : fd;
	n = pw__read_upto(fd, buf, size);
	close(fd);
	if (n < 0 && pid > 0)
		n = pw__procfs_gone((int)n);
	return n;
}

/* Drop a last line cut off by a full buffer. */
size_t
pw__procfs_whole_lines(const char *buf, size_t n, size_t size)
{
	const char *nl;

	if (n < size)
		return n;
	for (nl = buf + n; nl > buf && nl[-1] != '\n'; nl--)
		;
	return (size_t)(nl - buf);
}

static int
cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/* Count the numeric entries of a directory (descriptors in PID/fd). */
static int
count_entries(const char *path, uint32_t *n)
{
	struct dirent *de;
	DIR *d;
	pid_t fd;
	uint32_t count = 0;
	int rc = 0;

	if ((d = opendir(path)) == NULL)
		return -errno;
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			rc = -errno;
			break;
		}
		/*
		 * "0" is a descriptor too; anything not numeric (".", "..",
		 * a fixture's .gitkeep) is not.
		 */
		if (strcmp(de->d_name, "0") == 0 ||
		    pw__procfs_parse_num_name(de->d_name, &fd) == 0)
			count++;
	}
	closedir(d);
	if (rc < 0)
		return rc;
	*n = count;
	return 0;
}

/* --- whole-file readers --------------------------------------------------- */

int
pw_procfs_read_stat(const struct pw_procfs *fs, pid_t pid,
    struct pw_procstat *out)
{
	char buf[STAT_BUF];
	ssize_t n;

	if (pid <= 0)
		return -EINVAL;
	if ((n = read_small(fs, pid, "stat", buf, sizeof(buf))) < 0)
		return (int)n;
	if (n == 0)
		return -ESRCH;
	return pw_procfs_parse_stat(buf, (size_t)n, out);
}

int
pw_procfs_read_cmdline(const struct pw_procfs *fs, pid_t pid, char **out)
{
	char *buf;
	ssize_t n;
	size_t i, len;

	if (pid <= 0)
		return -EINVAL;
	if ((buf = malloc(CMDLINE_MAX + 1)) == NULL)
		return -ENOMEM;
	if ((n = read_small(fs, pid, "cmdline", buf, CMDLINE_MAX)) < 0) {
		free(buf);
		return (int)n;
	}
	/* Arguments are NUL-separated; kernel threads have none at all. */
	len = (size_t)n;
	while (len > 0 && (buf[len - 1] == '\0' || buf[len - 1] == ' '))
		len--;
	for (i = 0; i < len; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[len] = '\0';
	*out = buf;
	return 0;
}

int
pw_procfs_read_uid(const struct pw_procfs *fs, pid_t pid, uid_t *euid)
{
	char buf[STATUS_BUF];
	struct pw_procstatus s;
	ssize_t n;
	int rc;

	if (pid <= 0)
		return -EINVAL;
	if ((n = read_small(fs, pid, "status", buf, sizeof(buf))) < 0)
		return (int)n;
	if (n == 0)
		return -ESRCH;
	n = (ssize_t)pw__procfs_whole_lines(buf, (size_t)n, sizeof(buf));
	if ((rc = pw_procfs_parse_status(buf, (size_t)n, &s)) < 0)
		return rc;
	*euid = s.euid;
	return 0;
}

int
pw_procfs_read_fd_limit(const struct pw_procfs *fs, pid_t pid,
    uint64_t *soft)
{
	char buf[SMALL_BUF];
	ssize_t n;

	if (pid <= 0)
		return -EINVAL;
	if ((n = read_small(fs, pid, "limits", buf, sizeof(buf))) < 0)
		return (int)n;
	if (n == 0)
		return -ESRCH;
	return pw_procfs_parse_limits_nofile(buf, (size_t)n, soft);
}

int
pw_procfs_count_fds(const struct pw_procfs *fs, pid_t pid, uint32_t *n)
{
	char path[PATH_MAX];
	struct stat sb;
	int rc;

	if (pid <= 0)
		return -EINVAL;
	if ((rc = make_path(fs, pid, "fd", path, sizeof(path))) < 0)
		return rc;
	/* Linux >= 6.2 gives the count as the size of /proc/PID/fd. */
	if (fs->is_proc) {
		if (stat(path, &sb) < 0)
			return pw__procfs_gone(-errno);
		if (sb.st_size > 0) {
			*n = sb.st_size > UINT32_MAX ? UINT32_MAX :
			    (uint32_t)sb.st_size;
			return 0;
		}
	}
	return pw__procfs_gone(count_entries(path, n));
}

int
pw_procfs_mem_total(const struct pw_procfs *fs, uint64_t *bytes)
{
	char buf[SMALL_BUF];
	ssize_t n;

	/* MemTotal is the first line; a cut-off tail does not matter. */
	if ((n = read_small(fs, 0, "meminfo", buf, sizeof(buf))) < 0)
		return (int)n;
	return pw_procfs_parse_meminfo_total(buf, (size_t)n, bytes);
}

int
pw_procfs_boot_time(const struct pw_procfs *fs, int64_t *btime_s)
{
	char *buf, *nbuf;
	size_t len = 0, cap = 16384;
	ssize_t n;
	int fd, rc;

	/* btime follows the intr line, which grows with the IRQ count. */
	if ((fd = pw__procfs_open(fs, 0, "stat")) < 0)
		return fd;
	if ((buf = malloc(cap)) == NULL) {
		rc = -ENOMEM;
		goto out_close;
	}
	for (;;) {
		if ((n = pw__read_upto(fd, buf + len, cap - len)) < 0) {
			rc = (int)n;
			goto out_free;
		}
		len += (size_t)n;
		if (len < cap || cap >= PROCSTAT_MAX)
			break;
		if ((nbuf = realloc(buf, cap * 2)) == NULL) {
			rc = -ENOMEM;
			goto out_free;
		}
		buf = nbuf;
		cap *= 2;
	}
	rc = pw_procfs_parse_btime(buf, len, btime_s);
out_free:
	free(buf);
out_close:
	close(fd);
	return rc;
}

int
pw_procfs_list_pids(const struct pw_procfs *fs, pid_t **pids, size_t *n)
{
	struct dirent *de;
	DIR *d;
	pid_t *v = NULL, *nv, pid;
	size_t len = 0, cap = 0;
	int rc = 0;

	if ((d = opendir(fs->root)) == NULL)
		return -errno;
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			rc = -errno;
			break;
		}
		if (pw__procfs_parse_num_name(de->d_name, &pid) < 0)
			continue;
		if (len == cap) {
			cap = cap == 0 ? 256 : cap * 2;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				rc = -ENOMEM;
				break;
			}
			v = nv;
		}
		v[len++] = pid;
	}
	closedir(d);
	if (rc < 0) {
		free(v);
		return rc;
	}
	if (len > 1)
		qsort(v, len, sizeof(*v), cmp_pid);
	*pids = v;
	*n = len;
	return 0;
}

static int
cmp_thread(const void *a, const void *b)
{
	const struct pw_thread_stat *x = a, *y = b;

	return (x->tid > y->tid) - (x->tid < y->tid);
}

int
pw_procfs_list_threads(const struct pw_procfs *fs, pid_t pid,
    struct pw_thread_stat **out, size_t *n)
{
	char path[PATH_MAX], name[64], buf[STAT_BUF];
	struct pw_thread_stat *v = NULL, *nv;
	struct pw_procstat ps;
	struct dirent *de;
	DIR *d;
	pid_t tid;
	size_t len = 0, cap = 0;
	ssize_t nr;
	int rc = 0;

	if (pid <= 0)
		return -EINVAL;
	if ((rc = make_path(fs, pid, "task", path, sizeof(path))) < 0)
		return rc;
	if ((d = opendir(path)) == NULL)
		return pw__procfs_gone(-errno);
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			rc = -errno;
			break;
		}
		if (pw__procfs_parse_num_name(de->d_name, &tid) < 0)
			continue;
		snprintf(name, sizeof(name), "task/%d/stat", (int)tid);
		nr = read_small(fs, pid, name, buf, sizeof(buf));
		if (nr == -ESRCH || nr == 0)
			continue;	/* the thread exited meanwhile */
		if (nr < 0) {
			rc = (int)nr;
			break;
		}
		if ((rc = pw_procfs_parse_stat(buf, (size_t)nr, &ps)) < 0)
			break;
		if (len == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				rc = -ENOMEM;
				break;
			}
			v = nv;
		}
		v[len].tid = tid;
		memcpy(v[len].comm, ps.comm, sizeof(v[len].comm));
		v[len].utime = ps.utime;
		v[len].stime = ps.stime;
		v[len].starttime = ps.starttime;
		len++;
	}
	closedir(d);
	if (rc < 0) {
		free(v);
		return rc;
	}
	if (len > 1)	/* qsort(NULL, 0, ...) is undefined (UBSan) */
		qsort(v, len, sizeof(*v), cmp_thread);
	*out = v;
	*n = len;
	return 0;
}
