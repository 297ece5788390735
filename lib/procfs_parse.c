/*
 * procfs_parse.c: the parsers of /proc files (proc(5)): PID/stat,
 * PID/status, PID/io, PID/limits, meminfo and stat's btime, and the
 * numeric names of /proc's directories.
 *
 * DESIGN: the parsers work on a (buffer, length) pair that is never
 * NUL-terminated, so every scan is bounded by an end pointer and numbers are
 * read by hand instead of with strtoull()/sscanf(), which would run past
 * the end.  They neither allocate nor write to the caller's struct unless
 * they succeed.  They are unit-tested against fixtures and fuzzed
 * (fuzz/fuzz_procfs.c).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <procwatch/procfs.h>

#include "procfs_impl.h"

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
	/*
	 * Field 42, delayacct_blkio_ticks (Linux 2.6.18 on): optional, so a
	 * short line from an old kernel or a trimmed fixture still parses.
	 */
	for (; field <= 42 && p < end && *p == ' '; field++) {
		tok = ++p;
		while (p < end && *p != ' ' && *p != '\n')
			p++;
		if (field == 42 && p < end && token_u64(tok, p, &v) == 0)
			ps.blkio_ticks = v;
	}
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

/* A directory entry that names a process or a descriptor. */
int
pw__procfs_parse_num_name(const char *name, pid_t *out)
{
	const char *end = name + strlen(name);
	uint64_t v;

	if (token_u64(name, end, &v) < 0 || v == 0 || v > INT_MAX)
		return -EINVAL;
	*out = (pid_t)v;
	return 0;
}
