/*
 * procwatch/smaps.h: a process's memory by mapping, from
 * /proc/PID/smaps_rollup and /proc/PID/smaps (proc(5); the kernel's
 * Documentation/filesystems/proc.rst describes each field).
 *
 * PSS (proportional set size) counts each resident page divided by the
 * number of processes that map it, so that the PSS of all processes adds
 * up to the memory they use; USS (unique set size) is the memory only
 * this process maps (Private_Clean + Private_Dirty, as smem counts it),
 * what its exit would free; SwapPss is its proportional share of swap.
 * The kernel walks the page tables to produce them, which is why the
 * sampler reads them on a slower schedule (lib/pss.c) than the rest.
 *
 * DESIGN: one parser, fed any number of chunks of either file (a line may
 * straddle two chunks), keeps the totals and the `limit` largest mappings
 * by PSS in a bounded heap: smaps of a large process is megabytes, and
 * neither it nor a hostile file makes the parser grow past its limit.
 * Lines it does not know (VmFlags, THPeligible, new fields) are skipped;
 * a malformed line is skipped too, never a crash.  smaps_rollup is one
 * pseudo-mapping ("[rollup]") whose fields are the totals, exact to the
 * byte where smaps rounds each mapping's PSS down to a whole kB.
 */
#ifndef PROCWATCH_SMAPS_H
#define PROCWATCH_SMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pw_procfs;

/* Totals over the mappings, bytes. */
struct pw_smaps_totals {
	uint64_t	rss;
	uint64_t	pss;
	uint64_t	shared_clean;
	uint64_t	shared_dirty;
	uint64_t	private_clean;
	uint64_t	private_dirty;
	uint64_t	anonymous;
	uint64_t	swap;
	uint64_t	swap_pss;
	uint64_t	locked;
	bool		has_pss;	/* a Pss line was seen */
	bool		has_swap_pss;	/* a SwapPss line was seen */
};

/* USS: what only this process maps.  Thread: any. */
static inline uint64_t
pw_smaps_uss(const struct pw_smaps_totals *t)
{
	return t->private_clean + t->private_dirty;
}

/*
 * File-backed resident memory: what is resident and not anonymous
 * (page cache and shmem; shared anonymous memory is shmem, so it counts
 * here, as in the kernel's RssFile + RssShmem).  Thread: any.
 */
static inline uint64_t
pw_smaps_file(const struct pw_smaps_totals *t)
{
	return t->rss > t->anonymous ? t->rss - t->anonymous : 0;
}

#define PW_SMAPS_NAME_MAX	256	/* a longer path is cut, "..." ended */
#define PW_SMAPS_LIMIT_MAX	1000	/* mappings a caller may ask for */

/* One mapping of smaps. */
struct pw_smaps_map {
	uint64_t	start;		/* address range [start, end) */
	uint64_t	end;
	char		perms[5];	/* "rw-p" */
	/*
	 * The path, or the kernel's name: "[heap]", "[stack]", "[vdso]",
	 * "[anon:NAME]"; "[anon]" for an anonymous mapping without one.
	 * Shared anonymous memory shows as "/dev/zero (deleted)".
	 */
	char		name[PW_SMAPS_NAME_MAX];
	uint64_t	size;		/* bytes, as the kernel says */
	uint64_t	rss;
	uint64_t	pss;
	uint64_t	swap;
	uint64_t	swap_pss;
	uint64_t	private_bytes;	/* Private_Clean + Private_Dirty */
};

struct pw_smaps_parser;

/*
 * A parser that keeps the `limit` (0 .. PW_SMAPS_LIMIT_MAX) largest
 * mappings by PSS.  Returns NULL when out of memory or with a limit past
 * the maximum.  Free with pw_smaps_parser_free(); NULL is accepted.
 * Thread: one at a time per parser.
 */
struct pw_smaps_parser	*pw_smaps_parser_new(size_t limit);
void			 pw_smaps_parser_free(struct pw_smaps_parser *);

/*
 * Feed the next `len` bytes of the file (any chunking; NULs and bytes
 * past a line of PW_SMAPS_LINE_MAX are taken as they come, never read
 * past len).  Thread: as above.
 */
#define PW_SMAPS_LINE_MAX	4096
void	pw_smaps_parser_feed(struct pw_smaps_parser *, const char *buf,
	    size_t len);

/*
 * End the input and hand out what was found: the totals (summed over
 * the mappings), how many mappings there were, and the largest ones by
 * PSS (ties: RSS, then the lower address), largest first, in *maps
 * (malloc'd, free it; NULL with *n 0 when none).  The parser may be fed
 * again afterwards only after pw_smaps_parser_free() and a new one.
 * Returns 0 or -ENOMEM (nothing handed out).
 * Thread: as above.
 */
int	pw_smaps_parser_finish(struct pw_smaps_parser *,
	    struct pw_smaps_totals *tot, size_t *nmaps,
	    struct pw_smaps_map **maps, size_t *n);

/*
 * Parse a whole smaps_rollup (or smaps) buffer into totals: 0, or
 * -EINVAL when it holds no Rss and no Pss line (not such a file).
 * Thread: any.
 */
int	pw_smaps_parse_rollup(const char *buf, size_t len,
	    struct pw_smaps_totals *out);

/*
 * Read ROOT/PID/smaps_rollup.  Returns 0; -ESRCH when the process is
 * gone; -ENODATA when it has no address space (a kernel thread, a
 * zombie: the kernel answers ESRCH to the read though the pid exists);
 * -EACCES or -EPERM when the kernel refuses (another user's process
 * without CAP_SYS_PTRACE: smaps needs ptrace read access); -EINVAL when
 * the file makes no sense; another negative errno on I/O errors.
 * Thread: any; the procfs is only read.
 */
int	pw_smaps_read_rollup(const struct pw_procfs *, pid_t,
	    struct pw_smaps_totals *out);

/*
 * Read ROOT/PID/smaps through a parser keeping `limit` mappings:
 * pw_smaps_parser_finish()'s results.  Errors as pw_smaps_read_rollup(),
 * and -ENOMEM.  Thread: any; the procfs is only read.
 */
int	pw_smaps_read_maps(const struct pw_procfs *, pid_t, size_t limit,
	    struct pw_smaps_totals *tot, size_t *nmaps,
	    struct pw_smaps_map **maps, size_t *n);

#endif
