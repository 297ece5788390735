/*
 * procwatch/target.h: which processes a target selects.
 *
 * A target is a named selector (all, pid, pidfile, comm name, command-line
 * regex, user, cgroup, systemd unit), optionally widened to the
 * descendants of what it matches.
 * Matching is pure: it looks only at a pw_procinfo and, for descendants, at
 * the parent chain the caller provides.
 */
#ifndef PROCWATCH_TARGET_H
#define PROCWATCH_TARGET_H

#include <regex.h>
#include <stdbool.h>
#include <sys/types.h>

#include <procwatch/source.h>

enum pw_selector {
	PW_SEL_ALL = 0,
	PW_SEL_PID,
	PW_SEL_PIDFILE,
	PW_SEL_NAME,		/* comm, exact */
	PW_SEL_CMDLINE,		/* POSIX extended regex on the command line */
	PW_SEL_USER,		/* effective user, by name or uid */
	PW_SEL_CGROUP,		/* cgroup path, or below it */
	PW_SEL_UNIT,		/* systemd unit named in the cgroup path */
};

/*
 * A target.  Fill it with pw_target_init_*(); release it with
 * pw_target_fini().  Fields are read-only for callers after init.
 */
struct pw_target {
	char		*name;		/* owned; unique among targets */
	enum pw_selector sel;
	bool		 children;	/* also select descendants */
	pid_t		 pid;		/* PW_SEL_PID */
	char		*pidfile;	/* owned, PW_SEL_PIDFILE */
	char		*comm;		/* owned, PW_SEL_NAME */
	char		*pattern;	/* owned, PW_SEL_CMDLINE: the source */
	regex_t		 re;		/* PW_SEL_CMDLINE, compiled */
	bool		 has_re;
	uid_t		 uid;		/* PW_SEL_USER */
	char		*user;		/* owned, PW_SEL_USER: as configured */
	char		*cgroup;	/* owned, PW_SEL_CGROUP: no trailing '/' */
	char		*unit;		/* owned, PW_SEL_UNIT: with its suffix */
	/*
	 * How many live processes the group should have: fewer than
	 * min_processes is "process down", more than max_processes (when
	 * not 0) is a runaway.  pw_target_init() sets 1 and 0.
	 */
	size_t		 min_processes;
	size_t		 max_processes;
};

/*
 * Initialise `t` for selector `sel` with its argument (NULL for ALL, the
 * decimal pid for PID, a path, a name, a regex, a user name or uid, a
 * cgroup path, a unit name).  A cgroup path is checked with
 * pw_cgroup_path_check() and a unit name normalised with
 * pw_unit_name_normalize() ("nginx" selects nginx.service); see
 * procwatch/cgroup.h.  On error `t` is left zeroed and `err` (if not NULL)
 * receives the reason (for a bad regex, regerror()'s text).  Returns 0,
 * -EINVAL or -ENOMEM.
 * Thread: any; `t` is the caller's, and once made it is only read, so
 * any thread may match with it (regexec(3) is thread-safe).
 */
int	pw_target_init(struct pw_target *t, const char *name,
	    enum pw_selector sel, const char *arg, bool children,
	    char *err, size_t errlen);
void	pw_target_fini(struct pw_target *);

/*
 * Does `t` select the process `pi` by itself (not through an ancestor)?
 * `pidfile_pid` is the pid read from t->pidfile this cycle (0 if none).
 * A process whose cgroup is unknown (pi->cgroup NULL) matches no cgroup or
 * unit target.
 * Thread: any.
 */
bool	pw_target_match(const struct pw_target *t,
	    const struct pw_procinfo *pi, pid_t pidfile_pid);

/*
 * Is pi a kernel thread (kthreadd or one of its children, without
 * arguments)?  The "all" selector, and no targets at all, leave them
 * out: they have no memory, no descriptors and no user CPU worth a ring
 * (README, "procwatchctl"); a target that names one (pid, name) still
 * samples it.
 * Thread: any (pure).
 */
bool	pw_procinfo_is_kthread(const struct pw_procinfo *pi);

/*
 * Read a pidfile: the first decimal number in it.  0, -ENOENT, -EINVAL.
 * Thread: any.
 */
int	pw_pidfile_read(const char *path, pid_t *pid);

/* Thread: any. */
const char	*pw_selector_name(enum pw_selector);

/*
 * Describe the selector of `t` in buf[len] as "unit demo.service",
 * "pid 42", "cmdline ^nginx", "all", with " +children" when it selects
 * descendants too (truncated to fit).  Returns buf.
 * Thread: any.
 */
char		*pw_target_describe(const struct pw_target *t, char *buf,
		    size_t len);

#endif
