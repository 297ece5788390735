/*
 * tests/unit/fakeproc.h: the one writer of fake /proc trees for the unit
 * tests.  A tree lives in a mkdtemp() directory under /tmp and holds the
 * host's stat, meminfo and uptime, and processes: <pid>/stat, status,
 * statm, io, schedstat, limits, cgroup, cmdline, fd/<n> and the threads
 * under task/<tid>/stat, in the formats of proc(5).
 *
 * DESIGN: a process is a plain struct fakeproc_proc that the test owns
 * and changes between two cycles (more CPU ticks, I/O, RSS), then hands
 * to fakeproc_update().  Files are rewritten in place (fopen "w" keeps
 * the inode), so a descriptor the sampler keeps open sees the new
 * content as it would with the kernel's files; only fakeproc_remove()
 * takes a process away.  Values go into the files as they are given, so
 * a test can check what the engine reports by hand: the stat file's
 * vsize is vms_kb * 1024, its rss and statm count 4 KiB pages.
 * Every function fails the running CMocka test on an I/O error, so the
 * callers need not check anything.
 */
#ifndef PW_TESTS_FAKEPROC_H
#define PW_TESTS_FAKEPROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct fakeproc;			/* defined in fakeproc.c only */

/* The host's files; fakeproc_new(NULL) takes the defaults below. */
struct fakeproc_host {
	int64_t		btime_s;	/* stat's btime */
	uint64_t	cpu[10];	/* stat's cpu line, user to guest_nice */
	uint64_t	processes;	/* stat's forks since boot */
	uint64_t	mem_total_kb;	/* meminfo */
	uint64_t	mem_free_kb;
	uint64_t	mem_available_kb; /* 0: no MemAvailable line */
	uint64_t	uptime_s;	/* uptime */
};

#define FAKEPROC_BTIME_S	1700000000LL	/* the default boot time */
#define FAKEPROC_MEM_TOTAL_KB	16000000ULL	/* the default MemTotal */

/* One thread of a process, under task/<tid>/stat. */
struct fakeproc_thread {
	pid_t		 tid;		/* 0 ends the list */
	const char	*comm;
	uint64_t	 utime, stime;	/* ticks */
};

#define FAKEPROC_THREADS	4
#define FAKEPROC_UNLIMITED	UINT32_MAX	/* nofile: "unlimited" */

/*
 * One process.  Zero is a fine default for every field but pid and comm:
 * state 'S', no io, schedstat, limits or cgroup file, no descriptors and
 * one thread, the main one.
 */
struct fakeproc_proc {
	pid_t		 pid, ppid;
	const char	*comm;
	const char	*cmdline;	/* ' ' separates arguments; NULL: "" */
	char		 state;		/* stat's letter; 0: 'S' */
	uid_t		 uid;		/* every Uid and Gid field */
	uint64_t	 utime, stime, cutime, cstime;	/* ticks */
	uint64_t	 starttime;	/* ticks after boot */
	uint64_t	 vms_kb, rss_kb, swap_kb;
	uint64_t	 vol, invol;	/* context switches */
	uint64_t	 minflt, majflt;
	bool		 has_io;	/* write io (unreadable: no file) */
	uint64_t	 read_bytes, write_bytes;
	bool		 has_schedstat;	/* write schedstat: the idle check */
	uint64_t	 run_ns, slices;
	uint64_t	 run_delay_ns;	/* schedstat's second field */
	uint64_t	 blkio_ticks;	/* stat's field 42 */
	unsigned	 nfds;		/* fd/0 .. fd/nfds-1 */
	unsigned	 nofile;	/* soft; hard is 4x; 0: no limits */
	const char	*cgroup;	/* "0::<cgroup>"; NULL: no file */
	unsigned	 threads;	/* stat's count; 0: t[]'s, at least 1 */
	/* task/: these, or the main thread alone (tid pid, the process's
	 * comm and times) when t[0].tid is 0. */
	struct fakeproc_thread t[FAKEPROC_THREADS];
};

/*
 * A new tree with the host's files from `h` (NULL: the defaults above).
 * Free with fakeproc_free(), which removes the whole tree.
 */
struct fakeproc	*fakeproc_new(const struct fakeproc_host *h);
void		 fakeproc_free(struct fakeproc *);

/* The tree's directory, the engine's proc_root; borrowed from fp. */
const char	*fakeproc_root(const struct fakeproc *);

/* Write (or rewrite) every file of process p. */
void		 fakeproc_add(struct fakeproc *, const struct fakeproc_proc *p);

/*
 * Rewrite what changes while p runs: stat, status, statm, io, schedstat,
 * fd/ and task/ (threads not in p->t are removed).  p must have been
 * added; cmdline, limits and cgroup are left as they are.
 */
void		 fakeproc_update(struct fakeproc *,
		    const struct fakeproc_proc *p);

/* The process exits: <pid>/ and all it holds are removed. */
void		 fakeproc_remove(struct fakeproc *, pid_t pid);

/*
 * Write one file by hand, in place: <root>/<file> when pid is 0, else
 * <root>/<pid>/<file> (the pid's directory is made when missing).  `file`
 * may name a subdirectory that exists ("task/7/stat").
 */
void		 fakeproc_put(struct fakeproc *, pid_t pid, const char *file,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void		 fakeproc_put_bytes(struct fakeproc *, pid_t pid,
		    const char *file, const void *data, size_t len);

#endif
