/*
 * procwatch/procfs.h: reading and parsing /proc, the sampling hot path.
 *
 * DESIGN: a sample needs /proc/PID/stat, status and io plus the descriptor
 * count.  Opening each file every cycle costs about twice what a pread() at
 * offset 0 on a descriptor kept open across cycles costs, so a
 * pw_prochandle keeps those three open while the process is monitored.  A
 * kept descriptor also pins the process: after it exits (or its PID is
 * reused) reads fail with ESRCH instead of reading a stranger.  The
 * descriptor count is st_size of /proc/PID/fd (Linux >= 6.2), falling back
 * to counting entries.  Parsers take a buffer so they can be tested and
 * fuzzed without a /proc; readers take a procfs root so tests can point them
 * at a fake tree (tests/fixtures/proc/).
 */
#ifndef PROCWATCH_PROCFS_H
#define PROCWATCH_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <procwatch/sample.h>

/* Fields of /proc/PID/stat that we use (proc(5) numbering in comments). */
struct pw_procstat {
	pid_t		pid;		/* (1) */
	char		comm[17];	/* (2) without the parentheses */
	enum pw_state	state;		/* (3) */
	pid_t		ppid;		/* (4) */
	uint64_t	minflt;		/* (10) */
	uint64_t	majflt;		/* (12) */
	uint64_t	utime;		/* (14) ticks */
	uint64_t	stime;		/* (15) ticks */
	uint64_t	cutime;		/* (16) ticks of reaped children */
	uint64_t	cstime;		/* (17) */
	uint32_t	threads;	/* (20) */
	uint64_t	starttime;	/* (22) ticks after boot */
	uint64_t	vsize;		/* (23) bytes */
	uint64_t	rss_pages;	/* (24) */
	uint64_t	blkio_ticks;	/* (42) delayacct_blkio_ticks, main
					 * thread; 0 on kernels without it */
};

/* Fields of /proc/PID/status that we use; absent lines leave zeros. */
struct pw_procstatus {
	uint64_t	vmrss_kb;
	uint64_t	vmswap_kb;
	uint64_t	nvcsw;		/* voluntary_ctxt_switches */
	uint64_t	nivcsw;		/* nonvoluntary_ctxt_switches */
	uid_t		ruid;		/* first field of Uid: */
	uid_t		euid;		/* second field of Uid: */
	bool		has_vm;		/* kernel threads have no Vm* lines */
};

struct pw_procio {
	uint64_t	read_bytes;
	uint64_t	write_bytes;
};

/*
 * Parsers.  `buf` need not be NUL-terminated; `len` bytes are read.  Return
 * 0, or -EINVAL when a required field is missing or malformed.  They never
 * read past len and never allocate.
 * Thread: any (pure).
 */
int	pw_procfs_parse_stat(const char *buf, size_t len, struct pw_procstat *);
int	pw_procfs_parse_status(const char *buf, size_t len,
	    struct pw_procstatus *);
int	pw_procfs_parse_io(const char *buf, size_t len, struct pw_procio *);
/* Soft "Max open files" limit; UINT64_MAX for "unlimited".  Thread: any. */
int	pw_procfs_parse_limits_nofile(const char *buf, size_t len,
	    uint64_t *soft);
/* MemTotal in bytes from /proc/meminfo.  Thread: any. */
int	pw_procfs_parse_meminfo_total(const char *buf, size_t len,
	    uint64_t *bytes);
/* btime (boot time, seconds since the epoch) from /proc/stat.  Thread: any. */
int	pw_procfs_parse_btime(const char *buf, size_t len, int64_t *btime_s);

struct pw_procfs;

/*
 * A procfs root: "/proc", or a fake tree for tests.  Returns NULL when out
 * of memory.  Free with pw_procfs_free(); NULL is accepted.
 * Thread: any, but one handle is used by one thread at a time.
 */
struct pw_procfs	*pw_procfs_new(const char *root);
void			 pw_procfs_free(struct pw_procfs *);
const char		*pw_procfs_root(const struct pw_procfs *);

/*
 * How samples get their delays (procwatch/delay.h).  With `fn` (taskstats)
 * every full read asks it for all four, summed over the threads; without,
 * a single-threaded process's CPU delay comes from schedstat and its
 * block I/O delay from stat's field 42, and a multi-threaded one's are
 * unknown, as swap-in and memory delays are.  `delayacct` says whether
 * kernel.task_delayacct is on: off, every delay but the CPU's is unknown
 * (the kernel counts none).
 */
struct pw_delays;
typedef int pw_delay_fn(void *arg, pid_t tgid, struct pw_delays *out);
struct pw_delay_src {
	pw_delay_fn	*fn;		/* NULL: schedstat and stat */
	void		*arg;
	bool		 delayacct;
};
/*
 * Sample delays from `src` (borrowed; NULL: none, every delay unknown but
 * a single-threaded process's CPU delay).  Its fields may change between
 * samples; set it before any thread but its user shares the procfs.
 * Thread: the procfs's owner, before sharing it.
 */
void	pw_procfs_set_delays(struct pw_procfs *, const struct pw_delay_src *);

/*
 * Descriptors kept open for one process.  Caller storage: initialise with
 * pw_prochandle_init(), release with pw_prochandle_close().
 */
struct pw_prochandle {
	pid_t		pid;
	int		stat_fd;
	int		status_fd;
	int		io_fd;		/* -1, or -2 when io is not readable */
	int		sched_fd;	/* schedstat; -2 when not available */
	int		statm_fd;
	bool		sched_valid;	/* the two below are a baseline */
	uint64_t	sched_run_ns;	/* at the last full read */
	uint64_t	sched_slices;
	unsigned	idle_streak;	/* unchanged samples in a row */
	unsigned	ts_skips;	/* full reads since taskstats was asked */
};

/*
 * Thread: the thread that owns the handle (the sampler's are in its pid
 * table).
 */
void	pw_prochandle_init(struct pw_prochandle *, pid_t);
void	pw_prochandle_close(struct pw_prochandle *);
/*
 * How many descriptors the handle holds now (0 .. PW_PROCHANDLE_FDS_MAX).
 * Thread: the handle's owner.
 */
unsigned pw_prochandle_nfds(const struct pw_prochandle *);
#define PW_PROCHANDLE_FDS_MAX	5

/*
 * Read one sample of h->pid into *out (ts_ms left 0 for the caller) and the
 * parsed stat into *st (may be NULL).  When `keep_open` is set the
 * descriptors stay open in *h for the next call; otherwise they are closed
 * before returning.  When `start_ticks` is not 0 and differs from the
 * process's start time, the PID was reused: -ESRCH.
 * Returns 0, -ESRCH when the process is gone (a normal event), -EMFILE or
 * -ENFILE when out of descriptors, -EINVAL on unparsable content.
 * Thread: the handle's owner (the sampler); the procfs is only read.
 */
int	pw_procfs_sample(const struct pw_procfs *, struct pw_prochandle *h,
	    bool keep_open, uint64_t start_ticks, struct pw_sample *out,
	    struct pw_procstat *st);

/*
 * A single-threaded process's full read asks taskstats (procwatch/delay.h)
 * at least every so many times (lib/procfs_sample.c, sample_delays()).
 */
#define PW_PROCFS_TS_EVERY	10

/*
 * Like pw_procfs_sample(), given `prev`, the previous sample of the same
 * process from this handle (NULL: none).  DESIGN: a process that has not
 * been on a CPU cannot have changed its counters, descriptors, I/O or
 * state; only the kernel's reclaim can shrink its memory.  So when the
 * process is single-threaded (schedstat covers the main thread only), its
 * schedstat run time and timeslice count are those of the last full read,
 * and its statm sizes equal prev's, stat, status, io and the descriptor
 * count are skipped: *out gets *prev (ts_ms as prev's) and the call
 * returns PW_PROCFS_UNCHANGED without filling `st`.  That costs two small
 * preads instead of three larger ones and a stat().  At least every
 * PW_PROCFS_IDLE_MAX samples a full read happens anyway.  After
 * PW_PROCFS_PARK_AFTER unchanged samples in a row the stat, status and io
 * descriptors are closed ("parked") and reopened at the next full read:
 * most processes sleep, so a monitor of thousands keeps two descriptors
 * for most of them instead of five, and stays far from RLIMIT_NOFILE.
 * Thread: as pw_procfs_sample().
 */
#define PW_PROCFS_UNCHANGED	1
#define PW_PROCFS_IDLE_MAX	60
#define PW_PROCFS_PARK_AFTER	3
int	pw_procfs_sample_since(const struct pw_procfs *,
	    struct pw_prochandle *h, bool keep_open, uint64_t start_ticks,
	    const struct pw_sample *prev, struct pw_sample *out,
	    struct pw_procstat *st);

/*
 * Whole-file readers (open, read, close): not for the hot path.
 * Thread: any; the procfs is only read (the sampler, HTTP, the profiler).
 */
int	pw_procfs_read_stat(const struct pw_procfs *, pid_t,
	    struct pw_procstat *);
/*
 * The command line with NULs turned into spaces; *out is malloc'd.
 * Thread: any, as the readers above.
 */
int	pw_procfs_read_cmdline(const struct pw_procfs *, pid_t, char **out);
int	pw_procfs_read_uid(const struct pw_procfs *, pid_t, uid_t *euid);
int	pw_procfs_read_fd_limit(const struct pw_procfs *, pid_t,
	    uint64_t *soft);
int	pw_procfs_count_fds(const struct pw_procfs *, pid_t, uint32_t *n);
int	pw_procfs_mem_total(const struct pw_procfs *, uint64_t *bytes);
int	pw_procfs_boot_time(const struct pw_procfs *, int64_t *btime_s);

/*
 * List the numeric entries of the root (processes, not threads), sorted
 * ascending.  *pids is malloc'd (free it); *n receives the count.
 * Thread: any; the procfs is only read.
 */
int	pw_procfs_list_pids(const struct pw_procfs *, pid_t **pids, size_t *n);

/*
 * Threads of one process from ROOT/PID/task/: tid, comm and CPU ticks.
 * *out is malloc'd; *n receives the count.
 * Thread: any; the procfs is only read (HTTP, the profiler).
 */
struct pw_thread_stat {
	pid_t		tid;
	char		comm[17];
	uint64_t	utime;
	uint64_t	stime;
	uint64_t	starttime;	/* ticks after boot */
};
int	pw_procfs_list_threads(const struct pw_procfs *, pid_t,
	    struct pw_thread_stat **out, size_t *n);

#endif
