/*
 * profile_access.c: who may be profiled, and when ptrace is refused, why.
 *
 * DESIGN: PTRACE_SEIZE answers EPERM whatever the cause: a seccomp filter
 * (systemd's SystemCallFilter=@system-service leaves ptrace out), a
 * missing CAP_SYS_PTRACE, the Yama sysctl, a target in a user namespace
 * our capabilities do not reach, or a target another tracer holds.  Each
 * has a different remedy, so pw_ptrace_facts_read() gathers what can be
 * seen (proc(5) status files, the sysctl, the namespace links, and a
 * probe) and pw_ptrace_diagnose(), a pure function of those facts, names
 * the cause.  The probe is PTRACE_GETEVENTMSG on the target: the kernel
 * answers ESRCH for any process the calling thread does not trace, before
 * any permission check, so EPERM there can only come from a seccomp
 * filter (SystemCallErrorNumber=EPERM).
 */
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <linux/capability.h>
#include <linux/nsfs.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <procwatch/profile.h>

#define STATUS_MAX	16384	/* /proc/PID/status is about 1.5 KiB */
#define USERNS_DEPTH	33	/* the kernel nests at most 32 */

/* --- the diagnosis (pure) -------------------------------------------------------- */

/*
 * The text after "key:" at the start of a line of a status file, or NULL.
 */
static const char *
status_value(const char *text, const char *key)
{
	size_t klen = strlen(key);
	const char *p = text;

	if (text == NULL)
		return NULL;
	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, klen) == 0 && p[klen] == ':')
			return p + klen + 1;
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return NULL;
}

/* A decimal field of a status file; -1 when absent. */
static long
status_long(const char *text, const char *key)
{
	const char *v = status_value(text, key);
	char *end;
	long n;

	if (v == NULL)
		return -1;
	n = strtol(v, &end, 10);
	return end == v || n < 0 ? -1 : n;
}

/* 1 when CapEff has CAP_SYS_PTRACE, 0 when not, -1 when unknown. */
static int
has_ptrace_cap(const char *self_status)
{
	const char *v = status_value(self_status, "CapEff");
	unsigned long long caps;
	char *end;

	if (v == NULL)
		return -1;
	caps = strtoull(v, &end, 16);	/* proc(5): a hexadecimal mask */
	if (end == v)
		return -1;
	return (caps >> CAP_SYS_PTRACE & 1) != 0;
}

/*
 * 1 when one of the target's real, effective and saved ids (key "Uid" or
 * "Gid") is not `ours`: attaching then needs CAP_SYS_PTRACE, as
 * __ptrace_may_access() checks all three.  0 when all match, -1 unknown.
 */
static int
ids_differ(const char *target_status, const char *key, unsigned long ours)
{
	const char *v = status_value(target_status, key);
	unsigned long id[3];
	char *end;
	int i;

	if (v == NULL)
		return -1;
	for (i = 0; i < 3; i++) {
		id[i] = strtoul(v, &end, 10);
		if (end == v)
			return -1;
		v = end;
	}
	return id[0] != ours || id[1] != ours || id[2] != ours;
}

static void
say(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

enum pw_ptrace_cause
pw_ptrace_diagnose(const struct pw_ptrace_facts *f, pid_t pid, bool refused,
    char *why, size_t whylen)
{
	long seccomp = status_long(f->self_status, "Seccomp");
	long tracer = status_long(f->target_status, "TracerPid");
	int cap = has_ptrace_cap(f->self_status);
	int uid_differs, gid_differs;

	if (whylen > 0)
		why[0] = '\0';
	/* Checked first: with it, nothing else could be tried. */
	if (f->probe_errno == EPERM) {
		say(why, whylen, "ptrace denied by the seccomp filter "
		    "(SystemCallFilter=): every ptrace request fails with "
		    "EPERM, even one that needs no right; see "
		    "systemd/profiling.conf");
		return PW_PTRACE_SECCOMP;
	}
	if (f->yama_scope >= 3) {
		say(why, whylen, "kernel.yama.ptrace_scope=3 forbids ptrace "
		    "(it cannot be lowered until reboot)");
		return PW_PTRACE_YAMA;
	}
	if (tracer > 0) {
		say(why, whylen, "pid %ld is already traced by pid %ld (a "
		    "debugger or strace): a process has one tracer at a time",
		    (long)pid, tracer);
		return PW_PTRACE_TRACED;
	}
	if (cap == 0) {
		uid_differs = ids_differ(f->target_status, "Uid",
		    (unsigned long)f->uid);
		gid_differs = ids_differ(f->target_status, "Gid",
		    (unsigned long)f->gid);
		if (f->yama_scope == 2) {
			say(why, whylen, "CAP_SYS_PTRACE missing, and "
			    "kernel.yama.ptrace_scope=2 allows ptrace only "
			    "with it");
			return PW_PTRACE_YAMA;
		}
		if (uid_differs == 1 || gid_differs == 1) {
			say(why, whylen, "CAP_SYS_PTRACE missing: pid %ld runs "
			    "with other credentials (uid or gid) than "
			    "procwatchd (uid %lu), and only that capability "
			    "lets it attach", (long)pid,
			    (unsigned long)f->uid);
			return PW_PTRACE_NO_CAP;
		}
		if (f->yama_scope == 1) {
			say(why, whylen, "CAP_SYS_PTRACE missing, and "
			    "kernel.yama.ptrace_scope=1 allows attaching "
			    "without it only to descendants (grant "
			    "CAP_SYS_PTRACE, or set the sysctl to 0)");
			return PW_PTRACE_YAMA;
		}
		if (refused) {
			say(why, whylen, "CAP_SYS_PTRACE missing: pid %ld runs "
			    "as procwatchd's user but is not dumpable (it "
			    "changed credentials, or set PR_SET_DUMPABLE to "
			    "0), which only that capability overrides",
			    (long)pid);
			return PW_PTRACE_NO_CAP;
		}
	}
	if (f->userns == PW_USERNS_OTHER) {
		say(why, whylen, "pid %ld is in a user namespace that is "
		    "neither procwatchd's nor below it, where its "
		    "CAP_SYS_PTRACE does not reach", (long)pid);
		return PW_PTRACE_NAMESPACE;
	}
	if (!refused)
		return PW_PTRACE_OK;
	if (seccomp == 2) {
		/* Not probed, or the filter lets only some requests through. */
		say(why, whylen, "ptrace attach refused under a seccomp "
		    "filter with CAP_SYS_PTRACE present: the filter likely "
		    "denies it (SystemCallFilter=); see systemd/profiling.conf");
		return PW_PTRACE_SECCOMP;
	}
	say(why, whylen, "ptrace attach refused although CAP_SYS_PTRACE is %s, "
	    "no seccomp filter is set and kernel.yama.ptrace_scope is %d: "
	    "a security module (AppArmor, SELinux) may deny it",
	    cap == 1 ? "present" : "unknown", f->yama_scope);
	return PW_PTRACE_UNKNOWN;
}

/* --- reading the facts ------------------------------------------------------------ */

/* ROOT/REL into a new NUL-terminated string; NULL when unreadable. */
static char *
read_text(const char *root, const char *rel)
{
	char path[512], *buf;
	size_t len = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	if ((buf = malloc(STATUS_MAX)) == NULL) {
		close(fd);
		return NULL;
	}
	while (len < STATUS_MAX - 1 &&
	    (n = read(fd, buf + len, STATUS_MAX - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	return buf;
}

/*
 * Whether we are in the initial user namespace: its uid_map is the
 * identity over all 2^32 - 1 ids (user_namespaces(7)).
 */
static bool
in_initial_userns(const char *root)
{
	unsigned long inner = 1, outer = 1, count = 0;
	char *map;

	if ((map = read_text(root, "self/uid_map")) == NULL)
		return true;		/* no user namespaces at all */
	sscanf(map, "%lu %lu %lu", &inner, &outer, &count);
	free(map);
	return inner == 0 && outer == 0 && count == 4294967295UL;
}

/* Where ROOT/PID/ns/user is from ours (ROOT/self/ns/user). */
static enum pw_userns
userns_of(const char *root, pid_t pid)
{
	enum pw_userns rel = PW_USERNS_UNKNOWN;
	struct stat ours, st;
	char path[512];
	int fd, up, i;

	snprintf(path, sizeof(path), "%s/self/ns/user", root);
	if (stat(path, &ours) != 0)
		return PW_USERNS_UNKNOWN;
	snprintf(path, sizeof(path), "%s/%d/ns/user", root, (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		/*
		 * The link is guarded by a ptrace read check.  Refused from
		 * inside a user namespace, the target is most likely outside
		 * it; from the initial one, it is the capability's doing.
		 */
		if ((errno == EACCES || errno == EPERM) &&
		    !in_initial_userns(root))
			return PW_USERNS_OTHER;
		return PW_USERNS_UNKNOWN;
	}
	for (i = 0; i < USERNS_DEPTH; i++) {
		if (fstat(fd, &st) != 0)
			break;
		if (st.st_dev == ours.st_dev && st.st_ino == ours.st_ino) {
			rel = i == 0 ? PW_USERNS_SAME : PW_USERNS_BELOW;
			break;
		}
		/* EPERM: the parent is outside our namespace's reach. */
		if ((up = ioctl(fd, NS_GET_PARENT)) < 0) {
			if (errno == EPERM)
				rel = PW_USERNS_OTHER;
			break;
		}
		close(fd);
		fd = up;
	}
	close(fd);
	return rel;
}

int
pw_ptrace_facts_read(const char *proc_root, pid_t pid,
    struct pw_ptrace_facts *out)
{
	struct pw_ptrace_facts f = { .yama_scope = -1 };
	unsigned long msg;
	char rel[64], *scope;

	if (proc_root == NULL)
		proc_root = "/proc";
	snprintf(rel, sizeof(rel), "%d/status", (int)pid);
	f.self_status = read_text(proc_root, "self/status");
	f.target_status = read_text(proc_root, rel);
	if ((scope = read_text(proc_root, "sys/kernel/yama/ptrace_scope")) !=
	    NULL) {
		if (scope[0] >= '0' && scope[0] <= '9')
			f.yama_scope = atoi(scope);
		free(scope);
	}
	f.userns = userns_of(proc_root, pid);
	f.uid = getuid();
	f.gid = getgid();
	if (ptrace(PTRACE_GETEVENTMSG, pid, NULL, &msg) != 0)
		f.probe_errno = errno;
	*out = f;
	return 0;
}

void
pw_ptrace_facts_fini(struct pw_ptrace_facts *f)
{
	if (f == NULL)
		return;
	free(f->self_status);
	free(f->target_status);
	f->self_status = f->target_status = NULL;
}

int
pw_profile_check_access(const char *proc_root, pid_t pid, char *why,
    size_t whylen)
{
	struct pw_ptrace_facts f;
	int rc;

	if ((rc = pw_ptrace_facts_read(proc_root, pid, &f)) < 0)
		return rc;
	rc = pw_ptrace_diagnose(&f, pid, false, why, whylen) == PW_PTRACE_OK ?
	    0 : -EPERM;
	pw_ptrace_facts_fini(&f);
	return rc;
}
