/*
 * procfs.c: reading and parsing /proc (proc(5)), the sampling hot path.
 *
 * DESIGN: the parsers work on a (buffer, length) pair that is never
 * NUL-terminated, so every scan is bounded by an end pointer and numbers are
 * read by hand instead of with strtoull()/sscanf(), which would run past
 * the end.  They neither allocate nor write to the caller's struct unless
 * they succeed.  pw_procfs_sample() is called once per monitored process per
 * cycle: it pread()s at offset 0 on descriptors kept in a pw_prochandle into
 * stack buffers and allocates nothing.  The other readers open, read and
 * close, and serve the slow paths (discovery, describing a new process).
 *
 * Errors: a file of a process that cannot be found (ENOENT, ESRCH) means
 * the process is gone and is reported as -ESRCH.  The exception is
 * /proc/PID/io, which is missing on kernels built without
 * CONFIG_TASK_IO_ACCOUNTING and unreadable (EACCES) for other users'
 * processes: either way the sample carries PW_SAMPLE_NO_IO and the handle
 * remembers it (io_fd == -2) so the file is not tried again every cycle.
 * Whether the process is still there is decided by stat and status, which
 * are read first.
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

/*
 * Read buffers.  A stat line is at most about 1.2 KB (52 numbers and a
 * 64-byte comm).  status is ~1.5 KB here, but its Cpus_allowed and
 * Mems_allowed masks grow with the machine and come before the ctxt lines
 * we need, so it gets room to spare: pread() copies only what exists.
 */
#define STAT_BUF	2048
#define STATUS_BUF	8192
#define IO_BUF		512
#define SMALL_BUF	4096		/* limits, meminfo */
#define CMDLINE_MAX	4096
#define PROCSTAT_MAX	(4 * 1024 * 1024)	/* /proc/stat: the intr line */

/* The io_fd value that says "io is not readable: don't try again". */
#define IO_UNAVAILABLE	(-2)

struct pw_procfs {
	char	*root;		/* without trailing slashes */
	bool	 is_proc;	/* the real /proc, not a fake tree */
	long	 page_size;
};

/* --- parsing helpers ------------------------------------------------------ */

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static const char *
skip_blanks(const char *p, const char *end)
{
	while (p < end && is_blank(*p))
		p++;
	return p;
}

/*
 * Decimal digits at *pp into *out, advancing *pp past them.  -EINVAL when
 * there is no digit or the value does not fit in 64 bits.
 */
static int
scan_u64(const char **pp, const char *end, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;
	unsigned d;

	if (p == end || !is_digit(*p))
		return -EINVAL;
	for (; p < end && is_digit(*p); p++) {
		d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*pp = p;
	*out = v;
	return 0;
}

/* A whole token [p, end) as a number: digits only, nothing else. */
static int
token_u64(const char *p, const char *end, uint64_t *out)
{
	if (scan_u64(&p, end, out) < 0 || p != end)
		return -EINVAL;
	return 0;
}

/*
 * The number after optional blanks at the start of [p, end), which must be
 * followed by a blank or the end of the line ("   1620 kB").
 */
static int
value_u64(const char *p, const char *end, uint64_t *out)
{
	uint64_t v;

	p = skip_blanks(p, end);
	if (scan_u64(&p, end, &v) < 0)
		return -EINVAL;
	if (p < end && !is_blank(*p))
		return -EINVAL;
	*out = v;
	return 0;
}

/*
 * The next line of buf[0, len) starting at *pos, without its newline; the
 * last line need not end in one.  Returns false when there is none left.
 */
static bool
next_line(const char *buf, size_t len, size_t *pos, const char **line,
    const char **eol)
{
	const char *nl;

	if (*pos >= len)
		return false;
	*line = buf + *pos;
	nl = memchr(*line, '\n', len - *pos);
	*eol = nl != NULL ? nl : buf + len;
	*pos = (size_t)(*eol - buf) + (nl != NULL);
	return true;
}

/*
 * If the line starts with `key` followed by `sep`, the text after the
 * separator; else NULL.  Matching the whole key keeps "write_bytes" from
 * matching "cancelled_write_bytes".
 */
static const char *
line_key(const char *line, const char *eol, const char *key, char sep)
{
	size_t klen = strlen(key);

	if ((size_t)(eol - line) <= klen || memcmp(line, key, klen) != 0 ||
	    line[klen] != sep)
		return NULL;
	return line + klen + 1;
}

static uint64_t
mul_sat(uint64_t a, uint64_t b)
{
	if (b != 0 && a > UINT64_MAX / b)
		return UINT64_MAX;
	return a * b;
}

/* --- parsers -------------------------------------------------------------- */

int
pw_procfs_parse_stat(const char *buf, size_t len, struct pw_procstat *out)
{
	struct pw_procstat ps;
	const char *p = buf, *end = buf + len, *comm, *close, *tok;
	uint64_t v;
	size_t n;
	int field;

	memset(&ps, 0, sizeof(ps));
	if (scan_u64(&p, end, &v) < 0 || v == 0 || v > INT_MAX)
		return -EINVAL;
	ps.pid = (pid_t)v;
	if (end - p < 2 || p[0] != ' ' || p[1] != '(')
		return -EINVAL;
	comm = p + 2;
	/* comm may hold ')', spaces and newlines: it ends at the last ')'. */
	for (close = end; close > comm && close[-1] != ')'; close--)
		;
	if (close == comm)
		return -EINVAL;
	close--;
	n = (size_t)(close - comm);
	if (n > sizeof(ps.comm) - 1)
		n = sizeof(ps.comm) - 1;
	memcpy(ps.comm, comm, n);
	ps.comm[n] = '\0';

	/* Fields 3..24, each preceded by one space (proc(5) numbering). */
	p = close + 1;
	for (field = 3; field <= 24; field++) {
		if (p == end || *p != ' ')
			return -EINVAL;
		tok = ++p;
		while (p < end && *p != ' ' && *p != '\n')
			p++;
		if (p == tok)
			return -EINVAL;
		switch (field) {
		case 3:
			if (p - tok != 1)
				return -EINVAL;
			ps.state = pw_state_from_char(*tok);
			continue;
		case 4: case 10: case 12: case 14: case 15: case 16:
		case 17: case 20: case 22: case 23: case 24:
			break;
		default:
			continue;	/* unused; some may be negative */
		}
		if (token_u64(tok, p, &v) < 0)
			return -EINVAL;
		switch (field) {
		case 4:
			if (v > INT_MAX)
				return -EINVAL;
			ps.ppid = (pid_t)v;
			break;
		case 10:
			ps.minflt = v;
			break;
		case 12:
			ps.majflt = v;
			break;
		case 14:
			ps.utime = v;
			break;
		case 15:
			ps.stime = v;
			break;
		case 16:
			ps.cutime = v;
			break;
		case 17:
			ps.cstime = v;
			break;
		case 20:
			if (v > UINT32_MAX)
				return -EINVAL;
			ps.threads = (uint32_t)v;
			break;
		case 22:
			ps.starttime = v;
			break;
		case 23:
			ps.vsize = v;
			break;
		case 24:
			ps.rss_pages = v;
			break;
		}
	}
	/*
	 * The kernel always writes more fields after rss.  Requiring the
	 * separator means a line cut inside rss is rejected instead of
	 * yielding a shorter number.
	 */
	if (p == end)
		return -EINVAL;
	*out = ps;
	return 0;
}

int
pw_procfs_parse_status(const char *buf, size_t len, struct pw_procstatus *out)
{
	struct pw_procstatus s;
	const char *line, *eol, *v;
	uint64_t ruid, euid;
	size_t pos = 0;
	bool has_uid = false;
	int rc = 0;

	memset(&s, 0, sizeof(s));
	while (next_line(buf, len, &pos, &line, &eol)) {
		if (line == eol)
			continue;
		/* Dispatch on the first letter: most lines are not ours. */
		switch (line[0]) {
		case 'V':
			if ((v = line_key(line, eol, "VmRSS", ':')) != NULL) {
				rc = value_u64(v, eol, &s.vmrss_kb);
				s.has_vm = true;
			} else if ((v = line_key(line, eol, "VmSwap", ':')) !=
			    NULL)
				rc = value_u64(v, eol, &s.vmswap_kb);
			break;
		case 'v':
			if ((v = line_key(line, eol, "voluntary_ctxt_switches",
			    ':')) != NULL)
				rc = value_u64(v, eol, &s.nvcsw);
			break;
		case 'n':
			if ((v = line_key(line, eol,
			    "nonvoluntary_ctxt_switches", ':')) != NULL)
				rc = value_u64(v, eol, &s.nivcsw);
			break;
		case 'U':
			if ((v = line_key(line, eol, "Uid", ':')) == NULL)
				break;
			/* Uid: real, effective, saved, filesystem. */
			v = skip_blanks(v, eol);
			if (scan_u64(&v, eol, &ruid) < 0 || v == eol ||
			    !is_blank(*v) || value_u64(v, eol, &euid) < 0 ||
			    ruid > UINT32_MAX || euid > UINT32_MAX)
				return -EINVAL;
			s.ruid = (uid_t)ruid;
			s.euid = (uid_t)euid;
			has_uid = true;
			break;
		}
		if (rc < 0)
			return -EINVAL;
	}
	if (!has_uid)
		return -EINVAL;
	*out = s;
	return 0;
}

int
pw_procfs_parse_io(const char *buf, size_t len, struct pw_procio *out)
{
	struct pw_procio io = { 0, 0 };
	const char *line, *eol, *v;
	size_t pos = 0;
	bool has_read = false, has_write = false;

	while (next_line(buf, len, &pos, &line, &eol)) {
		if ((v = line_key(line, eol, "read_bytes", ':')) != NULL) {
			if (value_u64(v, eol, &io.read_bytes) < 0)
				return -EINVAL;
			has_read = true;
		} else if ((v = line_key(line, eol, "write_bytes", ':')) !=
		    NULL) {
			if (value_u64(v, eol, &io.write_bytes) < 0)
				return -EINVAL;
			has_write = true;
		}
	}
	if (!has_read || !has_write)
		return -EINVAL;
	*out = io;
	return 0;
}

int
pw_procfs_parse_limits_nofile(const char *buf, size_t len, uint64_t *soft)
{
	static const char unlimited[] = "unlimited";
	const size_t ulen = sizeof(unlimited) - 1;
	const char *line, *eol, *v;
	uint64_t n;
	size_t pos = 0;

	/* "Max open files            1024                 4096   files" */
	while (next_line(buf, len, &pos, &line, &eol)) {
		if ((v = line_key(line, eol, "Max open files", ' ')) == NULL)
			continue;
		v = skip_blanks(v, eol);
		if ((size_t)(eol - v) >= ulen &&
		    memcmp(v, unlimited, ulen) == 0 &&
		    ((size_t)(eol - v) == ulen || is_blank(v[ulen]))) {
			*soft = UINT64_MAX;
			return 0;
		}
		if (value_u64(v, eol, &n) < 0)
			return -EINVAL;
		*soft = n;
		return 0;
	}
	return -EINVAL;
}

int
pw_procfs_parse_meminfo_total(const char *buf, size_t len, uint64_t *bytes)
{
	const char *line, *eol, *v;
	uint64_t kb;
	size_t pos = 0;

	while (next_line(buf, len, &pos, &line, &eol)) {
		if ((v = line_key(line, eol, "MemTotal", ':')) == NULL)
			continue;
		if (value_u64(v, eol, &kb) < 0 || kb > UINT64_MAX / 1024)
			return -EINVAL;
		*bytes = kb * 1024;
		return 0;
	}
	return -EINVAL;
}

int
pw_procfs_parse_btime(const char *buf, size_t len, int64_t *btime_s)
{
	const char *line, *eol, *v;
	uint64_t t;
	size_t pos = 0;

	while (next_line(buf, len, &pos, &line, &eol)) {
		if ((v = line_key(line, eol, "btime", ' ')) == NULL)
			continue;
		if (value_u64(v, eol, &t) < 0 || t > INT64_MAX)
			return -EINVAL;
		*btime_s = (int64_t)t;
		return 0;
	}
	return -EINVAL;
}

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
	return fs;
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
static int
gone(int negerr)
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
static int
open_file(const struct pw_procfs *fs, pid_t pid, const char *name)
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
static ssize_t
pread0(int fd, char *buf, size_t size)
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

	if ((fd = open_file(fs, pid, name)) < 0)
		return pid > 0 ? gone(fd) : fd;
	n = pw__read_upto(fd, buf, size);
	close(fd);
	if (n < 0 && pid > 0)
		n = gone((int)n);
	return n;
}

/* Drop a last line cut off by a full buffer. */
static size_t
whole_lines(const char *buf, size_t n, size_t size)
{
	const char *nl;

	if (n < size)
		return n;
	for (nl = buf + n; nl > buf && nl[-1] != '\n'; nl--)
		;
	return (size_t)(nl - buf);
}

/* A directory entry that names a process or a descriptor. */
static int
parse_num_name(const char *name, pid_t *out)
{
	const char *end = name + strlen(name);
	uint64_t v;

	if (token_u64(name, end, &v) < 0 || v == 0 || v > INT_MAX)
		return -EINVAL;
	*out = (pid_t)v;
	return 0;
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
		    parse_num_name(de->d_name, &fd) == 0)
			count++;
	}
	closedir(d);
	if (rc < 0)
		return rc;
	*n = count;
	return 0;
}

/* --- process handles and the hot path ------------------------------------- */

void
pw_prochandle_init(struct pw_prochandle *h, pid_t pid)
{
	memset(h, 0, sizeof(*h));
	h->pid = pid;
	h->stat_fd = -1;
	h->status_fd = -1;
	h->io_fd = -1;
	h->sched_fd = -1;
	h->statm_fd = -1;
}

/* Close the open descriptors; a -2 io_fd stays so io is not retried. */
static void
handle_close_fds(struct pw_prochandle *h)
{
	if (h->stat_fd >= 0)
		close(h->stat_fd);
	if (h->status_fd >= 0)
		close(h->status_fd);
	if (h->io_fd >= 0)
		close(h->io_fd);
	if (h->sched_fd >= 0)
		close(h->sched_fd);
	if (h->statm_fd >= 0)
		close(h->statm_fd);
	h->stat_fd = -1;
	h->status_fd = -1;
	if (h->io_fd >= 0)
		h->io_fd = -1;
	if (h->sched_fd >= 0)
		h->sched_fd = -1;
	h->statm_fd = -1;
	h->sched_valid = false;		/* no baseline without descriptors */
}

void
pw_prochandle_close(struct pw_prochandle *h)
{
	handle_close_fds(h);
	h->io_fd = -1;
	h->sched_fd = -1;
}

unsigned
pw_prochandle_nfds(const struct pw_prochandle *h)
{
	return (unsigned)(h->stat_fd >= 0) + (h->status_fd >= 0) +
	    (h->io_fd >= 0) + (h->sched_fd >= 0) + (h->statm_fd >= 0);
}

/*
 * Close what only a full read uses, keeping the idle check's schedstat and
 * statm and its baseline.  A -2 io_fd stays so io is not retried.
 */
static void
handle_park(struct pw_prochandle *h)
{
	if (h->stat_fd >= 0)
		close(h->stat_fd);
	if (h->status_fd >= 0)
		close(h->status_fd);
	if (h->io_fd >= 0) {
		close(h->io_fd);
		h->io_fd = -1;
	}
	h->stat_fd = -1;
	h->status_fd = -1;
}

/* Open ROOT/PID/name into *fd unless it is open already. */
static int
ensure_open(const struct pw_procfs *fs, pid_t pid, const char *name, int *fd)
{
	int rc;

	if (*fd >= 0)
		return 0;
	if ((rc = open_file(fs, pid, name)) < 0)
		return gone(rc);
	*fd = rc;
	return 0;
}

/* pread() a process's file: the length, -ESRCH when empty or gone. */
static ssize_t
pread_proc(int fd, char *buf, size_t size)
{
	ssize_t n;

	if ((n = pread0(fd, buf, size)) == 0)
		return -ESRCH;
	return n < 0 ? gone((int)n) : n;
}

/*
 * Read /proc/PID/io into *io.  Returns 0 with *readable false when io is
 * not available to us (h->io_fd becomes -2), or a negative errno.
 */
static int
sample_io(const struct pw_procfs *fs, struct pw_prochandle *h,
    struct pw_procio *io, bool *readable)
{
	char buf[IO_BUF];
	ssize_t n;
	int rc;

	*readable = false;
	if (h->io_fd == IO_UNAVAILABLE)
		return 0;
	if (h->io_fd < 0) {
		rc = open_file(fs, h->pid, "io");
		if (rc == -EACCES || rc == -EPERM || rc == -ENOENT) {
			h->io_fd = IO_UNAVAILABLE;
			return 0;
		}
		if (rc < 0)
			return gone(rc);
		h->io_fd = rc;
	}
	/* Permission may also be checked at read time (ptrace access). */
	if ((n = pread0(h->io_fd, buf, sizeof(buf))) == -EACCES ||
	    n == -EPERM) {
		close(h->io_fd);
		h->io_fd = IO_UNAVAILABLE;
		return 0;
	}
	if (n == 0)
		return -ESRCH;
	if (n < 0)
		return gone((int)n);
	if (pw_procfs_parse_io(buf, (size_t)n, io) < 0)
		return -EINVAL;
	*readable = true;
	return 0;
}

/* Up to `n` unsigned decimal fields of buf[0..len); how many were read. */
static size_t
parse_fields(const char *buf, size_t len, uint64_t *v, size_t n)
{
	size_t i = 0, k = 0;

	while (k < n) {
		while (i < len && buf[i] == ' ')
			i++;
		if (i == len || buf[i] < '0' || buf[i] > '9')
			break;
		v[k] = 0;
		for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
			if (v[k] > (UINT64_MAX - 9) / 10)
				return k;	/* overflow: not a field */
			v[k] = v[k] * 10 + (uint64_t)(buf[i] - '0');
		}
		k++;
	}
	return k;
}

/*
 * Read schedstat: run time (ns) and timeslices.  1 when read, 0 when the
 * kernel has no schedstat for us (h->sched_fd becomes -2), or -errno.
 */
static int
read_schedstat(const struct pw_procfs *fs, struct pw_prochandle *h,
    uint64_t *run_ns, uint64_t *slices)
{
	char buf[128];
	uint64_t v[3];
	ssize_t n;
	int fd;

	if (h->sched_fd == -2)
		return 0;
	if (h->sched_fd < 0) {
		if ((fd = open_file(fs, h->pid, "schedstat")) < 0) {
			h->sched_fd = -2;	/* stat tells if it is gone */
			return 0;
		}
		h->sched_fd = fd;
	}
	if ((n = pread_proc(h->sched_fd, buf, sizeof(buf))) < 0)
		return (int)n;
	if (parse_fields(buf, (size_t)n, v, 3) != 3)
		return 0;
	*run_ns = v[0];
	*slices = v[2];
	return 1;
}

/*
 * The idle check of pw_procfs_sample_since(): 1 when nothing can have
 * changed since `prev`, 0 when a full read is needed, or -errno.
 */
static int
is_unchanged(const struct pw_procfs *fs, struct pw_prochandle *h,
    const struct pw_sample *prev)
{
	char buf[256];
	uint64_t run_ns, slices, v[2];
	ssize_t n;
	int rc;

	if (!h->sched_valid || prev->threads != 1 ||
	    h->idle_streak >= PW_PROCFS_IDLE_MAX)
		return 0;
	if ((rc = read_schedstat(fs, h, &run_ns, &slices)) <= 0)
		return rc;
	if (run_ns != h->sched_run_ns || slices != h->sched_slices)
		return 0;
	if ((rc = ensure_open(fs, h->pid, "statm", &h->statm_fd)) < 0)
		return rc;
	if ((n = pread_proc(h->statm_fd, buf, sizeof(buf))) < 0)
		return (int)n;
	if (parse_fields(buf, (size_t)n, v, 2) != 2)
		return 0;
	/* statm counts pages; prev holds VmRSS, the same figure in kB. */
	if (v[0] * (uint64_t)fs->page_size != prev->vms_bytes ||
	    v[1] * (uint64_t)fs->page_size != prev->rss_bytes)
		return 0;
	return 1;
}

int
pw_procfs_sample(const struct pw_procfs *fs, struct pw_prochandle *h,
    bool keep_open, uint64_t start_ticks, struct pw_sample *out,
    struct pw_procstat *st)
{
	return pw_procfs_sample_since(fs, h, keep_open, start_ticks, NULL, out,
	    st);
}

int
pw_procfs_sample_since(const struct pw_procfs *fs, struct pw_prochandle *h,
    bool keep_open, uint64_t start_ticks, const struct pw_sample *prev,
    struct pw_sample *out, struct pw_procstat *st)
{
	char statbuf[STAT_BUF], statusbuf[STATUS_BUF];
	struct pw_procstat ps;
	struct pw_procstatus pst;
	struct pw_procio io = { 0, 0 };
	struct pw_sample s;
	uint64_t run_ns = 0, slices = 0;
	uint32_t nfds = 0;
	bool io_ok, have_sched = false;
	ssize_t n;
	int rc;

	if (h->pid <= 0)
		return -EINVAL;
	if (prev != NULL && keep_open) {
		if ((rc = is_unchanged(fs, h, prev)) < 0)
			goto out_close;
		if (rc == 1) {
			if (++h->idle_streak == PW_PROCFS_PARK_AFTER)
				handle_park(h);
			if (out != prev)
				*out = *prev;
			out->flags &= ~(unsigned)PW_SAMPLE_FIRST;
			return PW_PROCFS_UNCHANGED;
		}
	}
	h->idle_streak = 0;
	memset(&s, 0, sizeof(s));

	/* The baseline comes first: activity after it shows next time. */
	if (keep_open && (prev == NULL || prev->threads == 1)) {
		if ((rc = read_schedstat(fs, h, &run_ns, &slices)) < 0)
			goto out_close;
		have_sched = rc == 1;
	}

	/* stat first: it tells whether this is still the same process. */
	if ((rc = ensure_open(fs, h->pid, "stat", &h->stat_fd)) < 0)
		goto out_close;
	if ((n = pread_proc(h->stat_fd, statbuf, sizeof(statbuf))) < 0) {
		rc = (int)n;
		goto out_close;
	}
	if ((rc = pw_procfs_parse_stat(statbuf, (size_t)n, &ps)) < 0)
		goto out_close;
	if (start_ticks != 0 && ps.starttime != start_ticks) {
		rc = -ESRCH;		/* the pid was reused */
		goto out_close;
	}

	if ((rc = ensure_open(fs, h->pid, "status", &h->status_fd)) < 0)
		goto out_close;
	if ((n = pread_proc(h->status_fd, statusbuf, sizeof(statusbuf))) < 0) {
		rc = (int)n;
		goto out_close;
	}
	n = (ssize_t)whole_lines(statusbuf, (size_t)n, sizeof(statusbuf));
	if ((rc = pw_procfs_parse_status(statusbuf, (size_t)n, &pst)) < 0)
		goto out_close;

	if ((rc = sample_io(fs, h, &io, &io_ok)) < 0)
		goto out_close;
	if (!io_ok)
		s.flags |= PW_SAMPLE_NO_IO;

	rc = pw_procfs_count_fds(fs, h->pid, &nfds);
	if (rc == -EACCES || rc == -EPERM) {
		s.flags |= PW_SAMPLE_NO_FDS;
		nfds = 0;
	} else if (rc < 0)
		goto out_close;
	rc = 0;

	s.utime_ticks = ps.utime;
	s.stime_ticks = ps.stime;
	s.cutime_ticks = ps.cutime;
	s.cstime_ticks = ps.cstime;
	/* VmRSS is exact; stat's rss is in pages and lags per-CPU counters. */
	if (pst.has_vm)
		s.rss_bytes = mul_sat(pst.vmrss_kb, 1024);
	else
		s.rss_bytes = mul_sat(ps.rss_pages, (uint64_t)fs->page_size);
	s.vms_bytes = ps.vsize;
	s.swap_bytes = mul_sat(pst.vmswap_kb, 1024);
	s.ctx_voluntary = pst.nvcsw;
	s.ctx_involuntary = pst.nivcsw;
	s.minor_faults = ps.minflt;
	s.major_faults = ps.majflt;
	s.read_bytes = io.read_bytes;
	s.write_bytes = io.write_bytes;
	s.open_fds = nfds;
	s.threads = ps.threads;
	s.state = ps.state;
	*out = s;
	if (st != NULL)
		*st = ps;
	h->sched_valid = have_sched && ps.threads == 1;
	if (ps.threads != 1 && h->sched_fd >= 0) {
		close(h->sched_fd);	/* of no use until single-threaded */
		h->sched_fd = -1;
	}
	h->sched_run_ns = run_ns;
	h->sched_slices = slices;

out_close:
	if (rc == -ESRCH)
		pw_prochandle_close(h);
	else if (rc < 0 || !keep_open)
		handle_close_fds(h);
	return rc;
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
	n = (ssize_t)whole_lines(buf, (size_t)n, sizeof(buf));
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
			return gone(-errno);
		if (sb.st_size > 0) {
			*n = sb.st_size > UINT32_MAX ? UINT32_MAX :
			    (uint32_t)sb.st_size;
			return 0;
		}
	}
	return gone(count_entries(path, n));
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
	if ((fd = open_file(fs, 0, "stat")) < 0)
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
		if (parse_num_name(de->d_name, &pid) < 0)
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
		return gone(-errno);
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			rc = -errno;
			break;
		}
		if (parse_num_name(de->d_name, &tid) < 0)
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
