/*
 * procwatch/psi.h: a cgroup's pressure stall information (PSI) and memory
 * events, and the system's count of OOM kills.
 *
 * DESIGN: the figures come from the cgroup file systems, found in
 * /proc/self/mounts: cgroup2 (mounted at /sys/fs/cgroup on a unified
 * system, /sys/fs/cgroup/unified on a hybrid one) has {cpu,memory,io}.
 * pressure in every cgroup (the kernel needs CONFIG_PSI, and not "psi=0")
 * and, where the memory controller is on v2, memory.events and
 * memory.max; where the memory controller is on v1 instead, its
 * hierarchy has memory.oom_control (oom_kill, under_oom) and
 * memory.limit_in_bytes.  A cgroup path (as in /proc/PID/cgroup) is
 * looked up in both, as systemd keeps the same paths in every hierarchy.
 * Every parser takes a (buffer, length) pair, never reads past it and
 * never allocates, so hostile or truncated files only make a figure
 * unknown; readers take the roots, so tests run against fake trees.
 */
#ifndef PROCWATCH_PSI_H
#define PROCWATCH_PSI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The resources with pressure files, in the order of pw_cgstat.psi[]. */
enum pw_psi_res {
	PW_PSI_CPU = 0,
	PW_PSI_MEMORY,
	PW_PSI_IO,
	PW_PSI_NRES
};

/* One pressure file: the "some" and "full" lines (cgroup-v2.rst, PSI). */
struct pw_psi {
	bool		has_some, has_full;
	uint32_t	some_avg10_x100;	/* avg10 in hundredths of % */
	uint32_t	full_avg10_x100;
	uint64_t	some_total_us;		/* stall time, microseconds */
	uint64_t	full_total_us;
};

/* Why a group's figures are unknown: pw_cgstat.psi_why / mem_why. */
enum pw_cgstat_why {
	PW_CGW_OK = 0,
	PW_CGW_NO_CGROUP,	/* the target is not a cgroup or unit target */
	PW_CGW_NO_MEMBER,	/* a unit target with no member to find it by */
	PW_CGW_NO_MOUNT,	/* no cgroup2 mount, or no v1 memory hierarchy */
	PW_CGW_NO_PSI,		/* the kernel has no PSI (no pressure files) */
	PW_CGW_NO_CONTROLLER,	/* no memory controller on the cgroup */
	PW_CGW_UNREADABLE,	/* the cgroup is gone, or its files are bad */
};

/* Where the memory events came from: pw_cgstat.mem_src. */
enum pw_cgstat_src {
	PW_CGS_NONE = 0,
	PW_CGS_V2,		/* memory.events, memory.max */
	PW_CGS_V1,		/* memory.oom_control, memory.limit_in_bytes */
};

/*
 * A cgroup's figures at one moment.  psi[r] is known when psi_why is
 * PW_CGW_OK (its has_full may still be false: an old kernel has no "full"
 * line for cpu); the memory events when mem_why is PW_CGW_OK, from
 * mem_src.  v1 has oom_kill and under_oom only (has_events false).
 */
struct pw_cgstat {
	uint8_t		psi_why;	/* enum pw_cgstat_why */
	uint8_t		mem_why;
	uint8_t		mem_src;	/* enum pw_cgstat_src */
	bool		has_events;	/* oom, high, max (v2) */
	bool		has_under_oom;	/* v1 */
	bool		under_oom;
	bool		has_limit;	/* a limit below "max" is set */
	struct pw_psi	psi[PW_PSI_NRES];
	uint64_t	oom_kill;	/* processes the OOM killer killed */
	uint64_t	oom;		/* times the limit's OOM was invoked */
	uint64_t	high;		/* times over memory.high (throttled) */
	uint64_t	max;		/* times at memory.max (reclaim) */
	uint64_t	limit_bytes;	/* with has_limit */
};

/* Where the hierarchies are; "" when there is none. */
struct pw_cgfs {
	char	v2[256];		/* the cgroup2 mount point */
	char	mem_v1[256];		/* the v1 hierarchy with "memory" */
	bool	mem_on_v2;		/* the memory controller is on v2 */
};

/*
 * The mount points of the cgroup2 file system and of the v1 hierarchy
 * that has the memory controller, from /proc/self/mounts contents
 * buf[0..len) (fstab(5) format).  A mount point with an octal escape (a
 * space in it) or one that does not fit is ignored.  Fills *out (every
 * field; mem_on_v2 stays false: pw_cgfs_discover() checks the
 * controllers).  Returns 0 or -EINVAL on a NUL byte.
 * Thread: any (pure).
 */
int	pw_cgfs_parse_mounts(const char *buf, size_t len, struct pw_cgfs *out);

/*
 * pw_cgfs_parse_mounts() over PROC_ROOT/self/mounts, and whether the
 * cgroup2 root lists "memory" in cgroup.controllers.  Without the file
 * *out is empty (no hierarchies).  Returns 0 or a negative errno from
 * reading it other than -ENOENT.
 * Thread: any.
 */
int	pw_cgfs_discover(const char *proc_root, struct pw_cgfs *out);

/*
 * Parse a pressure file ("some avg10=0.12 avg60=... total=N" and
 * "full ..." lines).  Unknown lines and fields are skipped, so later
 * kernels may add some.  Returns 0 when a "some" line was found, or
 * -EINVAL.  Thread: any (pure).
 */
int	pw_psi_parse(const char *buf, size_t len, struct pw_psi *out);

/*
 * The value of the line "KEY VALUE" in buf[0..len) (memory.events,
 * memory.oom_control, /proc/vmstat).  Returns 0, -ENOENT (no such line)
 * or -EINVAL (a malformed value or a NUL byte).
 * Thread: any (pure).
 */
int	pw_kv_find(const char *buf, size_t len, const char *key,
	    uint64_t *out);

/*
 * Read the figures of cgroup `path` (as in /proc/PID/cgroup, starting
 * with '/'; NULL: psi_why and mem_why are PW_CGW_NO_CGROUP) from the
 * hierarchies of `fs`.  Always fills *out.  Thread: any.
 */
void	pw_cgstat_read(const struct pw_cgfs *fs, const char *path,
	    struct pw_cgstat *out);

/*
 * The system's OOM kills so far: oom_kill of PROC_ROOT/vmstat (Linux
 * 4.13 and later).  Returns 0, -ENOENT (no such line or file) or another
 * negative errno.  Thread: any.
 */
int	pw_vmstat_oom_kill(const char *proc_root, uint64_t *out);

/* "the target is not a cgroup or unit target", ...  Thread: any. */
const char	*pw_cgstat_why_text(enum pw_cgstat_why);

#endif
