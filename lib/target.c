/*
 * target.c: selectors that decide which processes a target watches.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <procwatch/cgroup.h>
#include <procwatch/target.h>

#include "pwutil.h"

static const char *const selector_names[] = {
	[PW_SEL_ALL] = "all",
	[PW_SEL_PID] = "pid",
	[PW_SEL_PIDFILE] = "pidfile",
	[PW_SEL_NAME] = "comm",
	[PW_SEL_CMDLINE] = "cmdline",
	[PW_SEL_USER] = "user",
	[PW_SEL_CGROUP] = "cgroup",
	[PW_SEL_UNIT] = "unit",
};

const char *
pw_selector_name(enum pw_selector sel)
{
	if ((unsigned)sel >= sizeof(selector_names) / sizeof(*selector_names))
		return "?";
	return selector_names[sel];
}

/* A decimal number, whole string, no sign, fitting in `max`. */
static int
parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		if (v > (max - (unsigned long)(*s - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	*out = v;
	return 0;
}

static int
lookup_user(const char *name, uid_t *uid)
{
	struct passwd pw, *res = NULL;
	unsigned long v;
	char buf[4096];

	if (parse_uint(name, (uid_t)-2, &v) == 0) {
		*uid = (uid_t)v;
		return 0;
	}
	if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 || res == NULL)
		return -ENOENT;
	*uid = pw.pw_uid;
	return 0;
}

/*
 * glibc's regcomp() builds an automaton whose size multiplies with nested
 * and stacked repetitions: "a++++...+" or "(a{999}){999}" take gigabytes.
 * A command-line selector needs none of that, so refuse it up front.
 */
#define RE_MAX_LEN	1024
#define RE_MAX_REPEATS	32
#define RE_MAX_BOUND	10000	/* product of all {m,n} upper bounds */

static const char *
regex_too_complex(const char *re)
{
	unsigned long product = 1, n;
	unsigned repeats = 0;
	bool after_repeat = false;
	const char *c;

	if (strlen(re) > RE_MAX_LEN)
		return "regex longer than 1024 characters";
	for (c = re; *c != '\0'; c++) {
		if (*c == '\\' && c[1] != '\0') {
			c++;
			after_repeat = false;
			continue;
		}
		if (*c != '*' && *c != '+' && *c != '?' && *c != '{') {
			after_repeat = false;
			continue;
		}
		if (after_repeat)
			return "repetition operator after a repetition operator";
		if (++repeats > RE_MAX_REPEATS)
			return "regex has more than 32 repetition operators";
		after_repeat = true;
		if (*c != '{')
			continue;
		/* {m}, {m,} or {m,n}: the largest count bounds the cost. */
		for (n = 0, c++; *c != '\0' && *c != '}'; c++)
			if (isdigit((unsigned char)*c))
				n = n < 100000 ? n * 10 + (unsigned long)(*c - '0') : n;
			else if (*c == ',')
				n = 0;
		if (*c == '\0')
			break;
		product *= n > 0 ? n : 1;
		if (product > RE_MAX_BOUND)
			return "repetition counts multiply past 10000";
	}
	return NULL;
}

int
pw_target_init(struct pw_target *t, const char *name, enum pw_selector sel,
    const char *arg, bool children, char *err, size_t errlen)
{
	struct pw_target n = { 0 };
	const char *why;
	unsigned long v;
	char **slot = NULL, unit[PW_UNIT_NAME_MAX];
	size_t len;
	int rc;

	memset(t, 0, sizeof(*t));
	if (name == NULL || *name == '\0') {
		pw_seterr(err, errlen, "empty target name");
		return -EINVAL;
	}
	n.sel = sel;
	n.children = children;
	switch (sel) {
	case PW_SEL_ALL:
		break;
	case PW_SEL_PID:
		if (parse_uint(arg, 0x3fffffff, &v) != 0 || v == 0) {
			pw_seterr(err, errlen, "not a positive pid");
			return -EINVAL;
		}
		n.pid = (pid_t)v;
		break;
	case PW_SEL_PIDFILE:
		if (arg == NULL || arg[0] != '/') {
			pw_seterr(err, errlen,
			    "pidfile must be an absolute path");
			return -EINVAL;
		}
		slot = &n.pidfile;
		break;
	case PW_SEL_NAME:
		if (arg == NULL || *arg == '\0' || strlen(arg) > 15) {
			pw_seterr(err, errlen,
			    "comm must be 1 to 15 characters");
			return -EINVAL;
		}
		slot = &n.comm;
		break;
	case PW_SEL_CMDLINE:
		if (arg == NULL) {
			pw_seterr(err, errlen, "missing regex");
			return -EINVAL;
		}
		if ((why = regex_too_complex(arg)) != NULL) {
			if (err != NULL && errlen > 0)
				snprintf(err, errlen, "bad regex: %s", why);
			return -EINVAL;
		}
		if ((rc = regcomp(&n.re, arg, REG_EXTENDED | REG_NOSUB)) != 0) {
			char msg[256];

			regerror(rc, &n.re, msg, sizeof(msg));
			if (err != NULL && errlen > 0)
				snprintf(err, errlen, "bad regex: %s", msg);
			regfree(&n.re);
			return -EINVAL;
		}
		n.has_re = true;
		slot = &n.pattern;
		break;
	case PW_SEL_USER:
		if (arg == NULL || lookup_user(arg, &n.uid) != 0) {
			pw_seterr(err, errlen, "unknown user");
			return -EINVAL;
		}
		slot = &n.user;
		break;
	case PW_SEL_CGROUP:
		if (pw_cgroup_path_check(arg, &why) < 0) {
			pw_seterr(err, errlen, "%s", why);
			return -EINVAL;
		}
		/* "/a/b/" is "/a/b"; the root stays "/". */
		len = strlen(arg);
		if (len > 1 && arg[len - 1] == '/')
			len--;
		if ((n.cgroup = strndup(arg, len)) == NULL)
			goto out_nomem;
		break;
	case PW_SEL_UNIT:
		if (pw_unit_name_normalize(arg, unit, sizeof(unit), &why) < 0) {
			pw_seterr(err, errlen, "%s", why);
			return -EINVAL;
		}
		arg = unit;
		slot = &n.unit;
		break;
	default:
		pw_seterr(err, errlen, "unknown selector");
		return -EINVAL;
	}
	if ((n.name = strdup(name)) == NULL)
		goto out_nomem;
	if (slot != NULL && (*slot = strdup(arg)) == NULL)
		goto out_nomem;
	n.min_processes = 1;
	n.max_processes = 0;
	*t = n;
	return 0;
out_nomem:
	pw_target_fini(&n);
	pw_seterr(err, errlen, "out of memory");
	return -ENOMEM;
}

char *
pw_target_describe(const struct pw_target *t, char *buf, size_t len)
{
	const char *arg = NULL;
	char num[16];

	switch (t->sel) {
	case PW_SEL_PID:
		snprintf(num, sizeof(num), "%ld", (long)t->pid);
		arg = num;
		break;
	case PW_SEL_PIDFILE:	arg = t->pidfile;	break;
	case PW_SEL_NAME:	arg = t->comm;		break;
	case PW_SEL_CMDLINE:	arg = t->pattern;	break;
	case PW_SEL_USER:	arg = t->user;		break;
	case PW_SEL_CGROUP:	arg = t->cgroup;	break;
	case PW_SEL_UNIT:	arg = t->unit;		break;
	default:
		break;
	}
	if (len > 0)
		snprintf(buf, len, "%s%s%s%s", pw_selector_name(t->sel),
		    arg != NULL ? " " : "", arg != NULL ? arg : "",
		    t->children ? " +children" : "");
	return buf;
}

void
pw_target_fini(struct pw_target *t)
{
	if (t == NULL)
		return;
	if (t->has_re)
		regfree(&t->re);
	free(t->name);
	free(t->pidfile);
	free(t->comm);
	free(t->pattern);
	free(t->user);
	free(t->cgroup);
	free(t->unit);
	memset(t, 0, sizeof(*t));
}

bool
pw_procinfo_is_kthread(const struct pw_procinfo *pi)
{
	/*
	 * kthreadd is pid 2 and the parent of every other kernel thread;
	 * none has arguments (the source shows "[comm]" or nothing).  In a
	 * pid namespace pid 2 is an ordinary process, which has arguments.
	 */
	return (pi->pid == 2 || pi->ppid == 2) && (pi->cmdline == NULL ||
	    pi->cmdline[0] == '\0' || pi->cmdline[0] == '[');
}

bool
pw_target_match(const struct pw_target *t, const struct pw_procinfo *pi,
    pid_t pidfile_pid)
{
	switch (t->sel) {
	case PW_SEL_ALL:
		return !pw_procinfo_is_kthread(pi);
	case PW_SEL_PID:
		return pi->pid == t->pid;
	case PW_SEL_PIDFILE:
		return pidfile_pid > 0 && pi->pid == pidfile_pid;
	case PW_SEL_NAME:
		return strcmp(pi->comm, t->comm) == 0;
	case PW_SEL_CMDLINE:
		return pi->cmdline != NULL &&
		    regexec(&t->re, pi->cmdline, 0, NULL, 0) == 0;
	case PW_SEL_USER:
		return pi->uid == t->uid;
	case PW_SEL_CGROUP:
		return pi->cgroup != NULL &&
		    pw_cgroup_path_under(pi->cgroup, t->cgroup);
	case PW_SEL_UNIT:
		return pi->cgroup != NULL &&
		    pw_cgroup_has_unit(pi->cgroup, t->unit);
	}
	return false;
}

int
pw_pidfile_read(const char *path, pid_t *pid)
{
	struct stat sb;
	char buf[64];
	unsigned long v = 0;
	ssize_t n;
	size_t i = 0;
	int fd;

	/*
	 * O_NONBLOCK and regular files only: a FIFO or a device in the
	 * pidfile's place must not block the sampler.
	 */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK |
	    O_NOCTTY)) < 0)
		return errno == ENOENT ? -ENOENT : -errno;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EINVAL;
	buf[n] = '\0';
	while (isspace((unsigned char)buf[i]))
		i++;
	if (!isdigit((unsigned char)buf[i]))
		return -EINVAL;
	for (; isdigit((unsigned char)buf[i]); i++) {
		v = v * 10 + (unsigned long)(buf[i] - '0');
		if (v > 0x3fffffff)
			return -EINVAL;
	}
	if (v == 0)
		return -EINVAL;
	*pid = (pid_t)v;
	return 0;
}
