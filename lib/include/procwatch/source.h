/*
 * procwatch/source.h: who a process is (identity and metadata for
 * selectors), behind one interface with two implementations.
 *
 * DESIGN: the libproc2 source (lib/source_libproc2.c, the only file that
 * calls libproc2) resolves names, users and command lines on the real /proc
 * for processes seen for the first time; the procfs source does the same
 * with our own readers under any root, so tests can use fake trees.  Both
 * read the cgroup path with pw_cgroup_read(): one more small file per new
 * process, whether or not a target needs it, so that the API can show it.
 * Neither is on the per-sample hot path: see procwatch/procfs.h.
 */
#ifndef PROCWATCH_SOURCE_H
#define PROCWATCH_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pw_procfs;

struct pw_procinfo {
	pid_t		pid;		/* 0 when the process was gone */
	pid_t		ppid;
	uint64_t	start_ticks;	/* starttime from stat: identity */
	uid_t		uid;		/* effective uid */
	char		comm[17];
	char		*cmdline;	/* owned: args joined by spaces, or "" */
	char		*user;		/* owned: user name, or the uid in decimal */
	char		*cgroup;	/* owned: cgroup path (procwatch/cgroup.h),
					   or NULL when unknown */
};

/*
 * Free the strings of an info; the struct itself is the caller's.
 * Thread: any (the info's owner).
 */
void	pw_procinfo_fini(struct pw_procinfo *);

struct pw_source;

/*
 * Sources.  pw_source_new_libproc2() reads the system's /proc through
 * libproc2; pw_source_new_procfs() reads `fs` (borrowed: it must outlive
 * the source).  Return NULL when out of memory or libproc2 fails.
 * Free with pw_source_free(); NULL is accepted.
 * Thread: the sampler thread only.
 */
struct pw_source	*pw_source_new_libproc2(void);
struct pw_source	*pw_source_new_procfs(const struct pw_procfs *fs);
void			 pw_source_free(struct pw_source *);
const char		*pw_source_name(const struct pw_source *);

/*
 * Describe the `n` processes in pids[] into out[0..n-1] (same order).  An
 * entry whose process is gone gets pid 0.  Returns the number described, or
 * a negative errno.  The caller frees each entry with pw_procinfo_fini().
 * Thread: the sampler thread only.
 */
int	pw_source_describe(struct pw_source *, const pid_t *pids, size_t n,
	    struct pw_procinfo *out);

#endif
