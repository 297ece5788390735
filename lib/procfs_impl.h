/*
 * procfs_impl.h: what lib/procfs.c (the procfs root, file access, the
 * whole-file readers and the listings), lib/procfs_parse.c (the parsers)
 * and lib/procfs_sample.c (process handles, the hot path) share about
 * reading /proc (procwatch/procfs.h), inside lib/ only.
 */
#ifndef PW_PROCFS_IMPL_H
#define PW_PROCFS_IMPL_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include <procwatch/procfs.h>

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

struct pw_procfs {
	char		*root;		/* without trailing slashes */
	bool		 is_proc;	/* the real /proc, not a fake tree */
	long		 page_size;
	long		 hz;		/* clock ticks: stat's field 42 */
	/* Delays (procwatch/delay.h): borrowed, the sampler's. */
	const struct pw_delay_src *delays;	/* NULL: none */
};

/* ENOENT or ESRCH on a file of a process: the process is gone (-ESRCH). */
int	pw__procfs_gone(int negerr);

/*
 * Open ROOT/PID/name (ROOT/name when pid is 0) read-only: a descriptor,
 * or a negative errno as is (see pw__procfs_gone()).
 */
int	pw__procfs_open(const struct pw_procfs *fs, pid_t pid,
	    const char *name);

/* One pread() at offset 0: the length, or a negative errno. */
ssize_t	pw__procfs_pread0(int fd, char *buf, size_t size);

/* n, less a last line cut off by a full buffer of `size` bytes. */
size_t	pw__procfs_whole_lines(const char *buf, size_t n, size_t size);

/*
 * A directory entry that names a process or a descriptor (1 and up):
 * 0 with *out set, or -EINVAL.
 */
int	pw__procfs_parse_num_name(const char *name, pid_t *out);

/*
 * delay.c: drop the delay-accounting rates (I/O, swap-in, memory) of s
 * that cannot be true: more wait since `prev` than its threads can have
 * spent since the switch was last seen off at `on_since_ms` (INT64_MIN:
 * not on; no check).  Sets s's PW_SAMPLE_NO_*_DELAY flags and returns
 * those it set.
 */
struct pw_sample;
unsigned pw__delays_check(const struct pw_sample *prev, struct pw_sample *s,
	    int64_t on_since_ms);

#endif /* PW_PROCFS_IMPL_H */
