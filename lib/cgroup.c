/*
 * cgroup.c: reading a process's cgroup path and matching cgroup paths and
 * systemd unit names (procwatch/cgroup.h).
 *
 * DESIGN: the parser works on a (buffer, length) pair and scans by hand,
 * like lib/procfs.c, so hostile contents can neither run it past the end
 * nor make it allocate.  The reader is on the slow path only (a process
 * seen for the first time): one open, usually one read into a stack buffer.
 * Unit names are compared with memcmp(); unit globs go through fnmatch(3)
 * one path component at a time, with FNM_NOESCAPE because '\' is a unit
 * character (systemd escapes '-' in a name as "\x2d"), not a quote.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <procwatch/cgroup.h>

#include "internal.h"

/* A v1 system has about a dozen lines of at most PATH_MAX each. */
#define CGROUP_FILE_MAX	(64 * 1024)
#define CGROUP_BUF	4096		/* enough for nearly every process */

struct span {
	const char	*p;		/* NULL: none */
	size_t		 n;
};

/* Is `item` one of the comma-separated names in ctl[0..n)? */
static bool
has_item(const char *ctl, size_t n, const char *item)
{
	size_t ilen = strlen(item), i = 0, j;

	while (i <= n) {
		for (j = i; j < n && ctl[j] != ','; j++)
			;
		if (j - i == ilen && memcmp(ctl + i, item, ilen) == 0)
			return true;
		i = j + 1;
	}
	return false;
}

static bool
is_root(const struct span *s)
{
	return s->n == 1 && s->p[0] == '/';
}

int
pw_cgroup_parse(const char *buf, size_t len, const char **path,
    size_t *pathlen)
{
	struct span v2 = { NULL, 0 }, sysd = { NULL, 0 }, first = { NULL, 0 };
	const struct span *pick;
	const char *line, *end = buf + len, *eol, *c1, *c2;
	size_t ndigits;
	bool is_v2;

	if (memchr(buf, '\0', len) != NULL)
		return -EINVAL;
	for (line = buf; line < end; line = eol + 1) {
		if ((eol = memchr(line, '\n', (size_t)(end - line))) == NULL)
			eol = end;	/* a last line without its newline */
		/* ID: the hierarchy number, 0 for the v2 one. */
		for (c1 = line; c1 < eol && *c1 >= '0' && *c1 <= '9'; c1++)
			;
		ndigits = (size_t)(c1 - line);
		if (ndigits == 0 || ndigits > 10 || c1 == eol || *c1 != ':')
			return -EINVAL;
		/* CONTROLLERS: empty for v2; the path may hold ':'. */
		if ((c2 = memchr(c1 + 1, ':', (size_t)(eol - c1 - 1))) == NULL)
			return -EINVAL;
		c2++;
		if (c2 == eol || *c2 != '/' ||
		    (size_t)(eol - c2) >= PW_CGROUP_PATH_MAX)
			return -EINVAL;
		is_v2 = ndigits == 1 && line[0] == '0';
		if (is_v2 && c2 - c1 != 2)
			return -EINVAL;		/* "0:cpu:/": not the kernel's */
		if (is_v2) {
			if (v2.p != NULL)
				return -EINVAL;	/* two v2 lines: one is forged */
			v2.p = c2;
			v2.n = (size_t)(eol - c2);
			continue;
		}
		if (has_item(c1 + 1, (size_t)(c2 - c1 - 2), "name=systemd")) {
			if (sysd.p != NULL)
				return -EINVAL;
			sysd.p = c2;
			sysd.n = (size_t)(eol - c2);
		}
		if (first.p == NULL) {
			first.p = c2;
			first.n = (size_t)(eol - c2);
		}
	}
	if (v2.p != NULL && !is_root(&v2))
		pick = &v2;
	else if (sysd.p != NULL)
		pick = &sysd;
	else if (v2.p != NULL)
		pick = &v2;
	else if (first.p != NULL)
		pick = &first;
	else
		return -ENOENT;
	*path = pick->p;
	*pathlen = pick->n;
	return 0;
}

int
pw_cgroup_read(const char *root, pid_t pid, char **out)
{
	char small[CGROUP_BUF], path[PATH_MAX], *big = NULL, *buf = small;
	const char *cg;
	size_t len, cglen;
	ssize_t n;
	int fd, rc;

	if (pid <= 0)
		return -EINVAL;
	rc = snprintf(path, sizeof(path), "%s/%d/cgroup", root, (int)pid);
	if (rc < 0 || (size_t)rc >= sizeof(path))
		return -ENAMETOOLONG;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	if ((n = pw__read_upto(fd, small, sizeof(small))) < 0) {
		rc = (int)n;
		goto out_close;
	}
	len = (size_t)n;
	if (len == sizeof(small)) {
		/* Rare: many v1 hierarchies or deep paths.  One more byte
		 * than the cap tells a file that is too big. */
		if ((big = malloc(CGROUP_FILE_MAX + 1)) == NULL) {
			rc = -ENOMEM;
			goto out_close;
		}
		memcpy(big, small, len);
		buf = big;
		if ((n = pw__read_upto(fd, big + len, CGROUP_FILE_MAX + 1 - len))
		    < 0) {
			rc = (int)n;
			goto out_free;
		}
		len += (size_t)n;
		if (len > CGROUP_FILE_MAX) {
			rc = -E2BIG;
			goto out_free;
		}
	}
	if ((rc = pw_cgroup_parse(buf, len, &cg, &cglen)) < 0)
		goto out_free;
	if ((*out = strndup(cg, cglen)) == NULL)
		rc = -ENOMEM;
out_free:
	free(big);
out_close:
	close(fd);
	return rc;
}

int
pw_cgroup_path_check(const char *path, const char **why)
{
	const char *c, *comp;
	const char *msg = NULL;
	size_t n;

	if (path == NULL)
		path = "";
	if (path[0] != '/')
		msg = "must be an absolute cgroup path such as "
		    "\"/system.slice/nginx.service\"";
	else if (strlen(path) >= PW_CGROUP_PATH_MAX)
		msg = "longer than 4095 bytes";
	else if (strncmp(path, "/sys/fs/cgroup", 14) == 0 &&
	    (path[14] == '/' || path[14] == '\0'))
		msg = "is a file system path; give the path below the cgroup "
		    "root, as in /proc/PID/cgroup (\"/system.slice/x.service\")";
	for (c = path; msg == NULL && *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			msg = "contains a control character";
	/* Components between slashes; the last may be empty (a '/' end). */
	for (comp = path + 1; msg == NULL; comp += n + 1) {
		n = strcspn(comp, "/");
		if (n == 0 && comp[0] == '/')
			msg = "has an empty component (\"//\")";
		else if ((n == 1 && comp[0] == '.') ||
		    (n == 2 && comp[0] == '.' && comp[1] == '.'))
			msg = "has a \".\" or \"..\" component";
		if (comp[n] == '\0')
			break;
	}
	if (msg != NULL) {
		if (why != NULL)
			*why = msg;
		return -EINVAL;
	}
	return 0;
}

/* A kernel path of a process outside our cgroup namespace: "/../x". */
static bool
outside_ns(const char *path)
{
	return strncmp(path, "/..", 3) == 0 &&
	    (path[3] == '/' || path[3] == '\0');
}

bool
pw_cgroup_path_under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	if (path == NULL || path[0] != '/' || outside_ns(path))
		return false;
	if (n == 1 && prefix[0] == '/')
		return true;			/* the root holds everything */
	return strncmp(path, prefix, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/');
}

/* Unit types with a cgroup of their own (systemd.unit(5)). */
static const char *const cgroup_types[] = {
	"service", "scope", "slice", "socket", "mount", "swap",
};
/* The others: named so the error can say why they cannot be used. */
static const char *const other_types[] = {
	"target", "device", "automount", "timer", "path",
};

static bool
in_list(const char *s, size_t n, const char *const *list, size_t nlist)
{
	size_t i;

	for (i = 0; i < nlist; i++)
		if (strlen(list[i]) == n && memcmp(s, list[i], n) == 0)
			return true;
	return false;
}

/* systemd's VALID_CHARS, plus '@' (unit-name.c). */
static bool
unit_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == ':' || c == '-' || c == '_' ||
	    c == '.' || c == '\\' || c == '@';
}

static bool
is_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/*
 * Check the characters of a unit name or glob: unit characters, '*', '?'
 * and bracket expressions "[...]" or "[!...]" of unit characters (ranges
 * with '-').  Sets *dot to the last '.' outside brackets (NULL: none).
 * Returns NULL or the reason the pattern is bad.
 */
static const char *
scan_unit_pattern(const char *name, const char **dot)
{
	const char *c, *open;

	*dot = NULL;
	for (c = name; *c != '\0'; c++) {
		if (*c == '*' || *c == '?')
			continue;
		if (*c == '[') {
			open = c++;
			if (*c == '!' || *c == '^')
				c++;
			for (; *c != '\0' && *c != ']'; c++)
				if (!unit_char_ok(*c))
					return "a [...] set may hold only unit "
					    "characters";
			if (*c != ']')
				return "has a '[' without its ']'";
			if (c == open + 1 || (c == open + 2 &&
			    (open[1] == '!' || open[1] == '^')))
				return "has an empty [] set";
			continue;
		}
		if (!unit_char_ok(*c))
			return "may hold only A-Z a-z 0-9 : - _ . \\ and '@' "
			    "(systemd.unit(5)), or the globs * ? [...]";
		if (*c == '.')
			*dot = c;
	}
	return NULL;
}

int
pw_unit_name_normalize(const char *name, char *out, size_t outlen,
    const char **why)
{
	const char *msg = NULL, *bad, *dot = NULL, *suffix = "";
	size_t n, plen;

	n = name != NULL ? strlen(name) : 0;
	if (n == 0)
		msg = "must not be empty";
	else if ((bad = scan_unit_pattern(name, &dot)) != NULL)
		msg = bad;
	else if (dot == NULL)
		suffix = ".service";	/* "nginx", "app-*": services */
	else if (is_glob(dot + 1))
		msg = "the unit type after the last '.' must be written out, "
		    "not a glob (\"foo.*\": write \"foo.*.service\", "
		    "\"foo.*.scope\", ...)";
	else if (in_list(dot + 1, strlen(dot + 1), other_types,
	    sizeof(other_types) / sizeof(*other_types)))
		msg = "that unit type has no cgroup; use a service, scope, "
		    "slice, socket, mount or swap unit";
	else if (!in_list(dot + 1, strlen(dot + 1), cgroup_types,
	    sizeof(cgroup_types) / sizeof(*cgroup_types)))
		msg = "unknown unit type suffix (for a service whose name has "
		    "a dot, write it in full: \"my.app.service\")";
	plen = dot != NULL ? (size_t)(dot - name) : n;
	if (msg == NULL && plen == 0)
		msg = "has no name before the suffix";
	if (msg == NULL && name[0] == '@')
		msg = "has no name before '@'";
	if (msg == NULL && n + strlen(suffix) >= PW_UNIT_NAME_MAX)
		msg = "longer than 255 characters with its suffix";
	if (msg == NULL && strcmp(name, "-.slice") == 0)
		msg = "-.slice is the root cgroup; use \"cgroup\": \"/\"";
	if (msg == NULL && n + strlen(suffix) >= outlen)
		msg = "too long";
	if (msg != NULL) {
		if (why != NULL)
			*why = msg;
		return -EINVAL;
	}
	snprintf(out, outlen, "%s%s", name, suffix);
	return 0;
}

/* Does component c[0..n) name `unit`, or an instance of template `unit`? */
static bool
names_unit(const char *c, size_t n, const char *unit, size_t ulen,
    const char *at)
{
	size_t head, tail;

	if (at == NULL || at[1] != '.')
		return n == ulen && memcmp(c, unit, n) == 0;
	/* "getty@.service": "getty@" + an instance + ".service" */
	head = (size_t)(at - unit) + 1;
	tail = ulen - head;
	return n > head + tail && memcmp(c, unit, head) == 0 &&
	    memcmp(c + n - tail, unit + head, tail) == 0;
}

/*
 * The fnmatch(3) pattern for glob `unit`: itself, or for a template glob
 * ("*@.service": '@' just before the type) one that asks for a non-empty
 * instance ("*@?*.service").  Returns false if it does not fit.
 */
static bool
glob_pattern(const char *unit, char *pat, size_t patlen)
{
	const char *dot = strrchr(unit, '.');
	int rc;

	if (dot != NULL && dot > unit && dot[-1] == '@')
		rc = snprintf(pat, patlen, "%.*s?*%s", (int)(dot - unit), unit,
		    dot);
	else
		rc = snprintf(pat, patlen, "%s", unit);
	return rc >= 0 && (size_t)rc < patlen;
}

/*
 * The end of the first component of `path` naming `unit` (an offset into
 * path), or 0 when there is none.
 */
static size_t
unit_component_end(const char *path, const char *unit)
{
	char pat[PW_UNIT_NAME_MAX + 2], comp[PW_UNIT_NAME_MAX];
	const char *c, *at = strchr(unit, '@');
	size_t n, ulen = strlen(unit);
	bool glob = is_glob(unit);

	if (path == NULL || path[0] != '/' || outside_ns(path))
		return 0;
	if (glob && !glob_pattern(unit, pat, sizeof(pat)))
		return 0;
	for (c = path + 1; ; c += n + 1) {
		n = strcspn(c, "/");
		if (n == 0)
			;
		else if (!glob) {
			if (names_unit(c, n, unit, ulen, at))
				return (size_t)(c - path) + n;
		} else if (n < sizeof(comp)) {
			/* Longer components are no unit names: skipped. */
			memcpy(comp, c, n);
			comp[n] = '\0';
			/* '\' is a unit character ("\x2d"), not an escape. */
			if (fnmatch(pat, comp, FNM_NOESCAPE) == 0)
				return (size_t)(c - path) + n;
		}
		if (c[n] == '\0')
			return 0;
	}
}

bool
pw_cgroup_has_unit(const char *path, const char *unit)
{
	return unit_component_end(path, unit) > 0;
}

size_t
pw_cgroup_unit_prefix(const char *path, const char *unit)
{
	return unit_component_end(path, unit);
}

/* Is c[0..n) a unit name with a .service or .scope suffix? */
static bool
is_unit_component(const char *c, size_t n)
{
	const char *at;
	size_t i, sfx;

	if (n >= 8 && memcmp(c + n - 8, ".service", 8) == 0)
		sfx = 8;
	else if (n >= 6 && memcmp(c + n - 6, ".scope", 6) == 0)
		sfx = 6;
	else
		return false;
	if (n == sfx || n >= PW_UNIT_NAME_MAX || c[0] == '@')
		return false;
	for (i = 0; i < n; i++)
		if (!unit_char_ok(c[i]))
			return false;
	/* A template ("getty@.service") has no cgroup of its own. */
	at = memchr(c, '@', n);
	return at == NULL || at[1] != '.';
}

bool
pw_cgroup_unit(const char *path, char *buf, size_t len)
{
	const char *c, *found = NULL;
	size_t n, flen = 0;

	if (path == NULL || path[0] != '/' || outside_ns(path))
		return false;
	for (c = path + 1; ; c += n + 1) {
		n = strcspn(c, "/");
		if (is_unit_component(c, n)) {
			found = c;		/* the innermost so far */
			flen = n;
		}
		if (c[n] == '\0')
			break;
	}
	if (found == NULL || flen >= len)
		return false;
	memcpy(buf, found, flen);
	buf[flen] = '\0';
	return true;
}
