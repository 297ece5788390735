/*
 * psi.c: a cgroup's pressure (PSI) and memory events, the cgroup mounts,
 * and the system's OOM kill count (procwatch/psi.h).
 *
 * DESIGN: each file is read whole into a stack buffer with one open and
 * one read (they are a few hundred bytes; a longer one is cut, which at
 * worst loses a line the parsers do not need) and parsed by hand over
 * (buffer, length), like lib/cgroup.c.  Nothing here allocates.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <procwatch/psi.h>

#include "internal.h"

#define SMALL_FILE	2048		/* pressure, events, oom_control */
#define MOUNTS_MAX	(64 * 1024)	/* /proc/self/mounts, cut beyond */
#define VMSTAT_MAX	(16 * 1024)	/* /proc/vmstat has ~8 KiB */

/* Read up to size-1 bytes of `path` into buf.  Length or -errno. */
static ssize_t
read_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	n = pw__read_upto(fd, buf, size - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* A decimal uint64 at s[0..n); false on anything else or overflow. */
static bool
parse_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 20)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return true;
}

/* "12.34" (at most two decimals) as 1234; false past 100.00. */
static bool
parse_pct_x100(const char *s, size_t n, uint32_t *out)
{
	uint64_t whole, frac = 0;
	const char *dot = memchr(s, '.', n);
	size_t wn = dot != NULL ? (size_t)(dot - s) : n, fn;

	if (!parse_u64(s, wn, &whole) || whole > 100)
		return false;
	if (dot != NULL) {
		fn = n - wn - 1;
		if (fn == 0 || fn > 2 || !parse_u64(dot + 1, fn, &frac))
			return false;
		if (fn == 1)
			frac *= 10;
	}
	if (whole * 100 + frac > 10000)
		return false;
	*out = (uint32_t)(whole * 100 + frac);
	return true;
}

int
pw_kv_find(const char *buf, size_t len, const char *key, uint64_t *out)
{
	const char *line, *end = buf + len, *eol, *sp;
	size_t klen = strlen(key);

	if (memchr(buf, '\0', len) != NULL)
		return -EINVAL;
	for (line = buf; line < end; line = eol + 1) {
		if ((eol = memchr(line, '\n', (size_t)(end - line))) == NULL)
			eol = end;
		if ((size_t)(eol - line) <= klen || line[klen] != ' ' ||
		    memcmp(line, key, klen) != 0)
			continue;
		sp = line + klen + 1;
		return parse_u64(sp, (size_t)(eol - sp), out) ? 0 : -EINVAL;
	}
	return -ENOENT;
}

/* One "some ..." or "full ..." line's fields into the right half of *p. */
static bool
psi_line(const char *s, const char *eol, bool full, struct pw_psi *p)
{
	const char *f, *fe, *eq;
	bool has_avg = false, has_total = false;
	uint32_t avg = 0;
	uint64_t total = 0;

	for (f = s; f < eol; f = fe + 1) {
		if ((fe = memchr(f, ' ', (size_t)(eol - f))) == NULL)
			fe = eol;
		if ((eq = memchr(f, '=', (size_t)(fe - f))) == NULL)
			continue;
		if (eq - f == 5 && memcmp(f, "avg10", 5) == 0)
			has_avg = parse_pct_x100(eq + 1,
			    (size_t)(fe - eq - 1), &avg);
		else if (eq - f == 5 && memcmp(f, "total", 5) == 0)
			has_total = parse_u64(eq + 1, (size_t)(fe - eq - 1),
			    &total);
	}
	if (!has_avg || !has_total)
		return false;
	if (full) {
		p->has_full = true;
		p->full_avg10_x100 = avg;
		p->full_total_us = total;
	} else {
		p->has_some = true;
		p->some_avg10_x100 = avg;
		p->some_total_us = total;
	}
	return true;
}

int
pw_psi_parse(const char *buf, size_t len, struct pw_psi *out)
{
	struct pw_psi p = { 0 };
	const char *line, *end = buf + len, *eol;

	if (memchr(buf, '\0', len) != NULL)
		return -EINVAL;
	for (line = buf; line < end; line = eol + 1) {
		if ((eol = memchr(line, '\n', (size_t)(end - line))) == NULL)
			eol = end;
		if (eol - line < 5 || line[4] != ' ')
			continue;
		if (memcmp(line, "some", 4) == 0 && !p.has_some) {
			if (!psi_line(line + 5, eol, false, &p))
				return -EINVAL;
		} else if (memcmp(line, "full", 4) == 0 && !p.has_full) {
			if (!psi_line(line + 5, eol, true, &p))
				return -EINVAL;
		}
	}
	if (!p.has_some)
		return -EINVAL;
	*out = p;
	return 0;
}

/* Copy the mount point s[0..n) to dst[dlen]; false if it cannot be used. */
static bool
take_mount(char *dst, size_t dlen, const char *s, size_t n)
{
	if (n == 0 || n >= dlen || s[0] != '/' || memchr(s, '\\', n) != NULL)
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

/* Is `item` one of the comma-separated options in s[0..n)? */
static bool
has_opt(const char *s, size_t n, const char *item)
{
	size_t ilen = strlen(item), i = 0, j;

	while (i < n) {
		for (j = i; j < n && s[j] != ','; j++)
			;
		if (j - i == ilen && memcmp(s + i, item, ilen) == 0)
			return true;
		i = j + 1;
	}
	return false;
}

int
pw_cgfs_parse_mounts(const char *buf, size_t len, struct pw_cgfs *out)
{
	struct pw_cgfs fs;
	const char *line, *end = buf + len, *eol, *f[4], *fe[4], *c;
	size_t i;

	if (memchr(buf, '\0', len) != NULL)
		return -EINVAL;
	memset(&fs, 0, sizeof(fs));
	for (line = buf; line < end; line = eol + 1) {
		if ((eol = memchr(line, '\n', (size_t)(end - line))) == NULL)
			eol = end;
		/* fs_spec fs_file fs_vfstype fs_mntops ... */
		for (c = line, i = 0; i < 4; i++) {
			while (c < eol && *c == ' ')
				c++;
			f[i] = c;
			while (c < eol && *c != ' ')
				c++;
			fe[i] = c;
			if (f[i] == fe[i])
				break;
		}
		if (i < 4)
			continue;
		if (fe[2] - f[2] == 7 && memcmp(f[2], "cgroup2", 7) == 0) {
			if (fs.v2[0] == '\0')
				(void)take_mount(fs.v2, sizeof(fs.v2), f[1],
				    (size_t)(fe[1] - f[1]));
		} else if (fe[2] - f[2] == 6 && memcmp(f[2], "cgroup", 6) == 0 &&
		    has_opt(f[3], (size_t)(fe[3] - f[3]), "memory")) {
			if (fs.mem_v1[0] == '\0')
				(void)take_mount(fs.mem_v1,
				    sizeof(fs.mem_v1), f[1],
				    (size_t)(fe[1] - f[1]));
		}
	}
	*out = fs;
	return 0;
}

int
pw_cgfs_discover(const char *proc_root, struct pw_cgfs *out)
{
	char path[PATH_MAX], ctl[SMALL_FILE];
	char mounts[MOUNTS_MAX];
	ssize_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%s/self/mounts",
	    proc_root != NULL ? proc_root : "/proc");
	if ((n = read_file(path, mounts, sizeof(mounts))) < 0)
		return n == -ENOENT ? 0 : (int)n;
	if ((rc = pw_cgfs_parse_mounts(mounts, (size_t)n, out)) < 0)
		return rc;
	if (out->v2[0] != '\0') {
		snprintf(path, sizeof(path), "%s/cgroup.controllers", out->v2);
		if ((n = read_file(path, ctl, sizeof(ctl))) > 0) {
			/* Space-separated: "cpuset cpu io memory pids". */
			char *tok, *save = NULL;

			for (tok = strtok_r(ctl, " \n", &save); tok != NULL;
			    tok = strtok_r(NULL, " \n", &save))
				if (strcmp(tok, "memory") == 0)
					out->mem_on_v2 = true;
		}
	}
	return 0;
}

/* Read ROOT PATH/NAME into buf; length or -errno. */
static ssize_t
read_cg(const char *root, const char *cg, const char *name, char *buf,
    size_t size)
{
	char path[PATH_MAX];
	int rc;

	/* The root cgroup's path is "/": no doubled slash. */
	rc = snprintf(path, sizeof(path), "%s%s/%s", root,
	    strcmp(cg, "/") == 0 ? "" : cg, name);
	if (rc < 0 || (size_t)rc >= sizeof(path))
		return -ENAMETOOLONG;
	return read_file(path, buf, size);
}

/* "max" or a number of bytes; 9223372036854771712 (v1's none) is none. */
static void
read_limit(const char *root, const char *cg, const char *name,
    struct pw_cgstat *st)
{
	char buf[64];
	ssize_t n;
	uint64_t v;

	if ((n = read_cg(root, cg, name, buf, sizeof(buf))) <= 0)
		return;
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	if (!parse_u64(buf, (size_t)n, &v) || v >= (UINT64_MAX >> 2))
		return;			/* "max", or v1's page-rounded max */
	st->has_limit = true;
	st->limit_bytes = v;
}

static void
read_psi(const struct pw_cgfs *fs, const char *cg, struct pw_cgstat *st)
{
	static const char *const files[PW_PSI_NRES] = {
		"cpu.pressure", "memory.pressure", "io.pressure",
	};
	char buf[SMALL_FILE];
	ssize_t n;
	int r;

	if (fs->v2[0] == '\0') {
		st->psi_why = PW_CGW_NO_MOUNT;
		return;
	}
	for (r = 0; r < PW_PSI_NRES; r++) {
		n = read_cg(fs->v2, cg, files[r], buf, sizeof(buf));
		if (n == -ENOENT || n == -EOPNOTSUPP) {
			/* A cgroup without pressure files: no PSI, if the
			 * cgroup itself is there. */
			char probe[64];

			st->psi_why = read_cg(fs->v2, cg, "cgroup.procs",
			    probe, sizeof(probe)) >= 0 ? PW_CGW_NO_PSI :
			    PW_CGW_UNREADABLE;
			return;
		}
		if (n < 0 || pw_psi_parse(buf, (size_t)n, &st->psi[r]) < 0) {
			st->psi_why = PW_CGW_UNREADABLE;
			return;
		}
	}
	st->psi_why = PW_CGW_OK;
}

static void
read_mem(const struct pw_cgfs *fs, const char *cg, struct pw_cgstat *st)
{
	char buf[SMALL_FILE];
	uint64_t v;
	ssize_t n;

	if (fs->mem_on_v2 && fs->v2[0] != '\0') {
		n = read_cg(fs->v2, cg, "memory.events", buf, sizeof(buf));
		if (n == -ENOENT) {
			st->mem_why = PW_CGW_NO_CONTROLLER;
			return;
		}
		if (n < 0 || pw_kv_find(buf, (size_t)n, "oom_kill",
		    &st->oom_kill) < 0) {
			st->mem_why = PW_CGW_UNREADABLE;
			return;
		}
		st->has_events = pw_kv_find(buf, (size_t)n, "oom", &st->oom) ==
		    0 && pw_kv_find(buf, (size_t)n, "high", &st->high) == 0 &&
		    pw_kv_find(buf, (size_t)n, "max", &st->max) == 0;
		read_limit(fs->v2, cg, "memory.max", st);
		st->mem_src = PW_CGS_V2;
		st->mem_why = PW_CGW_OK;
		return;
	}
	if (fs->mem_v1[0] == '\0') {
		st->mem_why = PW_CGW_NO_MOUNT;
		return;
	}
	n = read_cg(fs->mem_v1, cg, "memory.oom_control", buf, sizeof(buf));
	if (n == -ENOENT) {
		st->mem_why = PW_CGW_NO_CONTROLLER;
		return;
	}
	/* oom_kill is there since Linux 4.13. */
	if (n < 0 || pw_kv_find(buf, (size_t)n, "oom_kill", &st->oom_kill) <
	    0) {
		st->mem_why = PW_CGW_UNREADABLE;
		return;
	}
	if (pw_kv_find(buf, (size_t)n, "under_oom", &v) == 0) {
		st->has_under_oom = true;
		st->under_oom = v != 0;
	}
	read_limit(fs->mem_v1, cg, "memory.limit_in_bytes", st);
	st->mem_src = PW_CGS_V1;
	st->mem_why = PW_CGW_OK;
}

void
pw_cgstat_read(const struct pw_cgfs *fs, const char *path,
    struct pw_cgstat *out)
{
	memset(out, 0, sizeof(*out));
	if (path == NULL || path[0] != '/' || strstr(path, "/..") != NULL) {
		out->psi_why = out->mem_why = PW_CGW_NO_CGROUP;
		return;
	}
	read_psi(fs, path, out);
	read_mem(fs, path, out);
}

int
pw_vmstat_oom_kill(const char *proc_root, uint64_t *out)
{
	char path[PATH_MAX], buf[VMSTAT_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/vmstat",
	    proc_root != NULL ? proc_root : "/proc");
	if ((n = read_file(path, buf, sizeof(buf))) < 0)
		return (int)n;
	return pw_kv_find(buf, (size_t)n, "oom_kill", out) == 0 ? 0 : -ENOENT;
}

const char *
pw_cgstat_why_text(enum pw_cgstat_why w)
{
	switch (w) {
	case PW_CGW_OK:
		return NULL;
	case PW_CGW_NO_CGROUP:
		return "the target is not a cgroup or unit target";
	case PW_CGW_NO_MEMBER:
		return "the unit has no live process to find its cgroup by";
	case PW_CGW_NO_MOUNT:
		return "no cgroup2 file system (pressure) or memory hierarchy "
		    "is mounted";
	case PW_CGW_NO_PSI:
		return "the kernel has no pressure stall information "
		    "(CONFIG_PSI, psi=1)";
	case PW_CGW_NO_CONTROLLER:
		return "the memory controller is not enabled for the cgroup";
	case PW_CGW_UNREADABLE:
		return "the cgroup's files are missing or unreadable";
	}
	return "unknown";
}
