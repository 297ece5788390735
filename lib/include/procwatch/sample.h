/*
 * procwatch/sample.h: one decoded sample of one process.
 *
 * This is the wide form that readers fill and renderers consume.  The ring
 * (procwatch/ring.h) stores a packed 56-byte form of it; see lib/ring.c.
 */
#ifndef PROCWATCH_SAMPLE_H
#define PROCWATCH_SAMPLE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Process state from the third field of /proc/PID/stat (proc(5)). */
enum pw_state {
	PW_STATE_UNKNOWN = 0,
	PW_STATE_RUNNING,	/* R */
	PW_STATE_SLEEPING,	/* S */
	PW_STATE_DISK,		/* D */
	PW_STATE_ZOMBIE,	/* Z */
	PW_STATE_STOPPED,	/* T */
	PW_STATE_TRACED,	/* t */
	PW_STATE_DEAD,		/* X */
	PW_STATE_IDLE,		/* I */
	PW_STATE_PARKED,	/* P */
	PW_STATE_WAKEKILL,	/* K, W, x: rare, old kernels */
};

/* Flags of one sample. */
#define PW_SAMPLE_NO_IO		0x01	/* /proc/PID/io was not readable */
#define PW_SAMPLE_NO_FDS	0x02	/* /proc/PID/fd was not readable */
#define PW_SAMPLE_FIRST		0x04	/* no previous sample: rates unknown */
/*
 * Delay figures that could not be had (see the delay fields below): the
 * counters are 0 and the shares unknown.
 */
#define PW_SAMPLE_NO_CPU_DELAY	0x100	/* cpu_delay_ns */
#define PW_SAMPLE_NO_IO_DELAY	0x200	/* blkio_delay_ns */
#define PW_SAMPLE_NO_MEM_DELAY	0x400	/* swapin_ and mem_delay_ns */
#define PW_SAMPLE_NO_DELAYS	(PW_SAMPLE_NO_CPU_DELAY | \
	PW_SAMPLE_NO_IO_DELAY | PW_SAMPLE_NO_MEM_DELAY)

/*
 * Absolute values as read, plus rates derived from the previous sample.
 * Cumulative counters (cpu ticks, context switches, faults, io bytes) are the
 * kernel's totals since the process started.
 */
struct pw_sample {
	int64_t		ts_ms;		/* wall clock, ms since the epoch */
	uint64_t	utime_ticks;	/* user CPU, clock ticks */
	uint64_t	stime_ticks;	/* system CPU, clock ticks */
	/*
	 * CPU of the children it has reaped (wait(2)), user and system:
	 * group accounting only (procwatch/groupacc.h); not kept in the
	 * ring, so decoded samples have 0.
	 */
	uint64_t	cutime_ticks;
	uint64_t	cstime_ticks;
	double		cpu_user_pct;	/* % of one core since the previous sample */
	double		cpu_system_pct;
	uint64_t	rss_bytes;
	uint64_t	vms_bytes;
	uint64_t	swap_bytes;
	uint64_t	ctx_voluntary;
	uint64_t	ctx_involuntary;
	uint64_t	minor_faults;
	uint64_t	major_faults;
	uint64_t	read_bytes;	/* storage I/O, /proc/PID/io */
	uint64_t	write_bytes;
	/*
	 * Delays, ns, summed over the threads (lib/delay.c says where each
	 * comes from): runnable but waiting for a CPU, waiting for block
	 * I/O, for swap-in, and in memory reclaim, thrashing and compaction.
	 * The shares are % of the interval since the previous sample (100:
	 * one thread waited all of it), derived by the ring like CPU %;
	 * each is known when its PW_SAMPLE_NO_*_DELAY flag is clear and the
	 * sample is not PW_SAMPLE_FIRST.
	 */
	uint64_t	cpu_delay_ns;
	uint64_t	blkio_delay_ns;
	uint64_t	swapin_delay_ns;
	uint64_t	mem_delay_ns;
	double		cpu_delay_pct;
	double		io_delay_pct;
	double		swapin_delay_pct;
	double		mem_delay_pct;
	uint32_t	open_fds;
	uint32_t	threads;
	enum pw_state	state;
	unsigned	flags;		/* PW_SAMPLE_* */
};

/*
 * A process's proportional memory from /proc/PID/smaps_rollup
 * (procwatch/smaps.h).  The kernel walks the page tables for it, so it is
 * read on a slower schedule than the samples (`pss_every_ms`, for the
 * `pss_top` processes by RSS: lib/pss.c) and kept beside the ring, not
 * in it: it is the process's figure as of ts_ms, not a sample's.
 */
struct pw_pss {
	int64_t		ts_ms;		/* when read, wall clock; 0: unknown */
	uint64_t	pss_bytes;
	uint64_t	uss_bytes;	/* Private_Clean + Private_Dirty */
	uint64_t	swap_pss_bytes;
	bool		has_swap_pss;	/* the kernel has SwapPss (4.14+) */
};

/* The letter ps(1) shows for a state, '?' if unknown.  Thread: any. */
char		 pw_state_char(enum pw_state);
/* Map a /proc/PID/stat state letter to the enum.  Thread: any. */
enum pw_state	 pw_state_from_char(char);

#endif
