/*
 * procwatch/cgroup.h: a process's cgroup path (cgroups(7)) and the systemd
 * unit names in it, for the "cgroup" and "unit" selectors.
 *
 * DESIGN: /proc/PID/cgroup has one "ID:CONTROLLERS:PATH" line per
 * hierarchy.  On a cgroup v2 system that is the single line "0::PATH".  A
 * hybrid system adds v1 lines, among them systemd's own "name=systemd"
 * hierarchy, which systemd keeps equal to the v2 path.  A legacy (v1-only)
 * system has no "0::" line, or one that says "/" for every process when
 * cgroup2 is mounted but unused.  So the path is the "0::" line unless it
 * is "/", else the name=systemd line, else the "0::" line, else the first
 * line.  The contents are treated as hostile: a line that does not have
 * the kernel's shape, a NUL, a path longer than the kernel allows or two
 * lines for the same hierarchy (a forged line) make the whole file
 * unusable, and the process then has no known cgroup.
 */
#ifndef PROCWATCH_CGROUP_H
#define PROCWATCH_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The kernel refuses to print a longer path (PATH_MAX in cgroup.c). */
#define PW_CGROUP_PATH_MAX	4096
/* systemd's UNIT_NAME_MAX: a name is shorter than this. */
#define PW_UNIT_NAME_MAX	256

/*
 * Pick the cgroup path out of /proc/PID/cgroup contents, as the DESIGN
 * note says.  `buf` need not be NUL-terminated; `len` bytes are read.  On
 * success *path points into buf and *pathlen is its length (no newline).
 * Returns 0, -ENOENT when there is no line at all, or -EINVAL when the
 * contents are malformed or ambiguous.  Never allocates.
 * Thread: any (pure).
 */
int	pw_cgroup_parse(const char *buf, size_t len, const char **path,
	    size_t *pathlen);

/*
 * Read the cgroup path of `pid` from ROOT/PID/cgroup (`root` is a procfs
 * root such as "/proc").  *out is malloc'd on success; free it.  Returns
 * 0, -ENOENT (no such file: the process is gone or the kernel has no
 * cgroups; or no line), -ESRCH (gone while reading), -EINVAL (see
 * pw_cgroup_parse()), -E2BIG (more than 64 KiB), -ENOMEM, or another
 * negative errno from open(2) or read(2).
 * Thread: any.
 */
int	pw_cgroup_read(const char *root, pid_t pid, char **out);

/*
 * Check a configured cgroup path: absolute, at most PW_CGROUP_PATH_MAX - 1
 * bytes, no empty, "." or ".." component, no control character; one
 * trailing '/' is allowed.  Returns 0, or -EINVAL with *why (if not NULL)
 * set to a static explanation.
 * Thread: any (pure).
 */
int	pw_cgroup_path_check(const char *path, const char **why);

/*
 * Is the process cgroup `path` the cgroup `prefix` (checked by
 * pw_cgroup_path_check(), without a trailing '/') or below it?  Whole
 * components only: "/a/b/c" is under "/a/b", "/a/bc" is not.  A path
 * that starts with "/.." (a process outside our cgroup namespace) is
 * under nothing.
 * Thread: any (pure).
 */
bool	pw_cgroup_path_under(const char *path, const char *prefix);

/*
 * Turn a configured unit name or glob into the pattern to match: "nginx"
 * becomes "nginx.service"; "foo.slice" stays.  The name must use
 * systemd's characters (A-Z a-z 0-9 : - _ . \ and '@' before an
 * instance), be shorter than PW_UNIT_NAME_MAX with its suffix, and be of
 * a unit type that has a cgroup: service, scope, slice, socket, mount or
 * swap.  A template such as "getty@.service" stands for all of its
 * instances.
 *
 * Globs: '*', '?' and bracket sets "[...]"/"[!...]" of unit characters
 * (ranges with '-') may appear anywhere before the type, as in
 * "getty@*.service", "app-*.service", "*.scope", "session-[0-9]*.scope".
 * The type itself, the text after the last '.' outside brackets, is
 * never a glob: "foo.*" is refused rather than guessed at.  As for plain
 * names, a pattern without a '.' is a service pattern: "foo*" becomes
 * "foo*.service" (it does not match foo.slice, foo-x.scope and so on;
 * write those types out).  '\' is literal (no escaping).
 *
 * Writes the result to out[outlen] and returns 0, or -EINVAL with *why (if
 * not NULL) set to a static explanation (out is then untouched).
 * Thread: any (pure).
 */
int	pw_unit_name_normalize(const char *name, char *out, size_t outlen,
	    const char **why);

/*
 * Does the process cgroup `path` have a component naming `unit` (as
 * returned by pw_unit_name_normalize()), such as "nginx.service" in
 * "/system.slice/nginx.service/workers"?  A template unit matches every
 * instance ("getty@tty1.service" for "getty@.service").  A glob is
 * matched with fnmatch(3) (FNM_NOESCAPE) against each whole component:
 * "getty@*.service" matches "/system.slice/system-getty.slice/
 * getty@tty1.service", "*.scope" any process in a scope; a template glob
 * ("*@.service") wants a non-empty instance as a template does.  A path
 * outside our cgroup namespace ("/..") has no unit.  Thread: any.
 */
bool	pw_cgroup_has_unit(const char *path, const char *unit);

/*
 * The length of the start of `path` that is the cgroup of `unit` (as for
 * pw_cgroup_has_unit()): 23 for "/system.slice/a.service/x" and
 * "a.service".  0 when no component names it.  Never allocates.
 * Thread: any (pure).
 */
size_t	pw_cgroup_unit_prefix(const char *path, const char *unit);
/*
 * The systemd unit a process cgroup `path` belongs to: its innermost
 * component that is a unit name ending in ".service" or ".scope"
 * (systemd's characters only, shorter than PW_UNIT_NAME_MAX), so
 * "nginx.service" for "/system.slice/nginx.service/workers" and
 * "foo.scope" for "/user.slice/user-1000.slice/user@1000.service/
 * app.slice/foo.scope".  Slices, other types and templates
 * ("getty@.service") are skipped, so pw_cgroup_has_unit(path, name) holds
 * for the name found.  Returns true and writes the NUL-terminated name to
 * buf[len] (PW_UNIT_NAME_MAX is always enough), or false, leaving buf
 * untouched, when there is none: NULL, "/", a path outside our cgroup
 * namespace ("/.."), or a name that does not fit.  Never allocates.
 * Thread: any.
 */
bool	pw_cgroup_unit(const char *path, char *buf, size_t len);

#endif
